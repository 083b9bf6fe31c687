import type { Redis } from "ioredis";
import { log } from "../log.ts";
import type { Broker, DeliveryHandler, Publication } from "./mod.ts";

const logger = log("broker");

/**
 * Control events whose publish failed, kept to publish again: at most this
 * many (the oldest go first), about 200 bytes each.
 */
const UNSENT_CONTROLS = 1000;

/** The channel every node publishes to; the version guards the format. */
export const REDIS_CHANNEL = "chat:v1:publications";

interface Envelope {
  /** Format version. */
  v: 1;
  /** The publishing node, which already delivered it locally. */
  node: string;
  /**
   * A control event's number on its node: one published again after a
   * failed publish (a timeout: Redis may have got it after all) is applied
   * once. `<process>.<n>`: a node started again under its id counts anew.
   */
  c?: string;
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
  /** Waiting for the subscription to be back (`hearing`). */
  #hearers: (() => void)[] = [];
  /** True once a subscription was made: a later one follows an outage. */
  #everSubscribed = false;
  #onReturn: () => void = () => {};
  /** Control envelopes whose publish failed, oldest first. */
  #unsent: string[] = [];
  #resending = false;
  #controls = 0;
  /** This process among the nodes started under this id. */
  #incarnation = crypto.randomUUID().slice(0, 8);
  /** `<node>:<c>` of the last control events received, oldest first. */
  #seen = new Set<string>();

  constructor(options: RedisBrokerOptions) {
    this.#node = options.nodeId;
    this.#publisher = options.publisher;
    this.#subscriber = options.subscriber;
    this.#subscriber.on("message", (_channel: string, text: string) => {
      this.#receive(text);
    });
    this.#subscriber.on("close", () => this.#subscribed = false);
    this.#subscriber.on("ready", () => {
      this.#subscribed = false;
      void this.#subscribe();
    });
    // A control event (a ban, an ended session) lost in an outage is not
    // filled from the store as messages are: publish it again once Redis
    // is back. A node whose subscription came back before this publish
    // gets it; one that came back after reads the store then (onReturn).
    this.#publisher.on("ready", () => void this.#resend());
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
      for (const resolve of this.#hearers.splice(0)) resolve();
      const returned = this.#everSubscribed;
      this.#everSubscribed = true;
      if (returned) this.#onReturn();
    } catch (error) {
      logger.error("Cannot subscribe to Redis: {error}", {
        error: (error as Error).message,
      });
    }
  }

  /**
   * Resolves once other nodes' publications reach this node: at once while
   * subscribed, else when the subscription is back (or the broker closed).
   * Presence waits for it before listing the node again (presence/redis.ts).
   */
  hearing(): Promise<void> {
    if (this.#subscribed || this.#closed) return Promise.resolve();
    return new Promise((resolve) => this.#hearers.push(resolve));
  }

  onDelivery(handler: DeliveryHandler): void {
    this.#handler = handler;
  }

  onReturn(handler: () => void): void {
    this.#onReturn = handler;
  }

  publish(publication: Publication): void {
    if (this.#closed) return;
    this.#handler(publication);
    const control = publication.type === "control";
    const envelope: Envelope = { v: 1, node: this.#node, p: publication };
    if (control) envelope.c = `${this.#incarnation}.${++this.#controls}`;
    const text = JSON.stringify(envelope);
    // Controls keep their order: one behind a failed one waits for it.
    if (control && this.#unsent.length > 0) {
      this.#keep(text);
      if (this.#publisher.status === "ready") void this.#resend();
      return;
    }
    this.#publisher.publish(REDIS_CHANNEL, text).catch((error: Error) => {
      logger.error(
        "Redis publish failed, delivered on this node only: {error}",
        { error: error.message },
      );
      if (control) {
        this.#keep(text);
        // Redis may be back already, its "ready" gone by.
        if (this.#publisher.status === "ready") void this.#resend();
      }
    });
  }

  #keep(text: string): void {
    this.#unsent.push(text);
    if (this.#unsent.length > UNSENT_CONTROLS) this.#unsent.shift();
  }

  // Publishes the kept control events in order; stops at the first failure
  // (the next "ready" goes on).
  async #resend(): Promise<void> {
    if (this.#resending || this.#closed) return;
    this.#resending = true;
    try {
      while (this.#unsent.length > 0 && !this.#closed) {
        await this.#publisher.publish(REDIS_CHANNEL, this.#unsent[0]);
        this.#unsent.shift();
      }
    } catch (error) {
      logger.error("Redis publish of a kept control event failed: {error}", {
        error: (error as Error).message,
      });
    } finally {
      this.#resending = false;
    }
  }

  #receive(text: string): void {
    let envelope: Envelope;
    try {
      envelope = JSON.parse(text);
    } catch {
      return;
    }
    if (envelope.v !== 1 || envelope.node === this.#node) return;
    if (envelope.c !== undefined) {
      const id = `${envelope.node}:${envelope.c}`;
      if (this.#seen.has(id)) return;
      this.#seen.add(id);
      if (this.#seen.size > UNSENT_CONTROLS * 2) {
        this.#seen.delete(this.#seen.values().next().value!);
      }
    }
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
      for (const resolve of this.#hearers.splice(0)) resolve();
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
