import type { Redis } from "ioredis";
import { log } from "../log.ts";
import type { Broker, DeliveryHandler, Publication } from "./mod.ts";

const logger = log("broker");

/** The channel every node publishes to; the version guards the format. */
export const REDIS_CHANNEL = "chat:v1:publications";

interface Envelope {
  /** Format version. */
  v: 1;
  /** The publishing node, which already delivered it locally. */
  node: string;
  p: Publication;
}

/** Options of {@link RedisBroker}. */
export interface RedisBrokerOptions {
  /** This node's id, unique in the cluster. */
  nodeId: string;
  /** The connection used to publish (also usable for commands). */
  publisher: Redis;
  /** A connection of its own: a subscribed connection takes no commands. */
  subscriber: Redis;
}

/**
 * Fan-out through Redis pub/sub. Local members get a publication at once,
 * without a round trip; Redis carries it to the other nodes only, tagged
 * with this node's id and a format version. When Redis is away, delivery
 * stays local and receivers catch up from the store by `seq`.
 */
export class RedisBroker implements Broker {
  #node: string;
  #publisher: Redis;
  #subscriber: Redis;
  #handler: DeliveryHandler = () => {};
  #closed = false;
  #closing: Promise<void> | undefined;
  #subscribed = false;

  constructor(options: RedisBrokerOptions) {
    this.#node = options.nodeId;
    this.#publisher = options.publisher;
    this.#subscriber = options.subscriber;
    this.#subscriber.on("message", (_channel: string, text: string) => {
      this.#receive(text);
    });
    this.#subscriber.on("ready", () => {
      this.#subscribed = false;
      void this.#subscribe();
    });
  }

  /** Subscribes; call once at start. */
  async start(): Promise<void> {
    await this.#subscribe();
  }

  async #subscribe(): Promise<void> {
    if (this.#subscribed || this.#closed) return;
    try {
      await this.#subscriber.subscribe(REDIS_CHANNEL);
      this.#subscribed = true;
    } catch (error) {
      logger.error("Cannot subscribe to Redis: {error}", {
        error: (error as Error).message,
      });
    }
  }

  onDelivery(handler: DeliveryHandler): void {
    this.#handler = handler;
  }

  publish(publication: Publication): void {
    if (this.#closed) return;
    this.#handler(publication);
    const envelope: Envelope = { v: 1, node: this.#node, p: publication };
    this.#publisher.publish(REDIS_CHANNEL, JSON.stringify(envelope)).catch(
      (error: Error) => {
        logger.error(
          "Redis publish failed, delivered on this node only: {error}",
          {
            error: error.message,
          },
        );
      },
    );
  }

  #receive(text: string): void {
    let envelope: Envelope;
    try {
      envelope = JSON.parse(text);
    } catch {
      return;
    }
    if (envelope.v !== 1 || envelope.node === this.#node) return;
    try {
      this.#handler(envelope.p);
    } catch (error) {
      logger.error("Delivery from node {node} failed: {error}", {
        node: envelope.node,
        error,
      });
    }
  }

  healthy(): boolean {
    return this.#subscribed && this.#publisher.status === "ready" &&
      this.#subscriber.status === "ready";
  }

  /** Unsubscribes and closes both connections; a second call waits for the first. */
  close(): Promise<void> {
    // Once: quitting a closed connection again makes ioredis start a
    // 2-second disconnect timer on the old socket that nothing clears.
    this.#closing ??= (async () => {
      this.#closed = true;
      for (const redis of [this.#subscriber, this.#publisher]) {
        try {
          await redis.quit();
        } catch {
          redis.disconnect();
        }
      }
    })();
    return this.#closing;
  }
}
