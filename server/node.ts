import type { Broker, Publication, Topic } from "./broker/mod.ts";
import { log } from "./log.ts";
import { Metrics } from "./metrics.ts";
import { nameKey } from "./protocol/names.ts";
import { encodeEvent } from "./protocol/envelope.ts";
import {
  type ChatMessage,
  GENERAL_ROOM,
  type SystemEvent,
} from "./protocol/types.ts";
import { type Member, RoomRegistry } from "./registry.ts";
import type { Store } from "./store/mod.ts";

const logger = log("node");

/** The parts a node is built from; backends are chosen by the caller. */
export interface NodeParts {
  store: Store;
  broker: Broker;
}

/**
 * One server process: it owns the registry, the store and the broker, and
 * is the one place where "store, then publish" happens. Handlers ask it to
 * do things; it never sees a socket.
 */
export class ChatNode {
  readonly registry = new RoomRegistry();
  readonly metrics = new Metrics();
  readonly store: Store;
  readonly broker: Broker;
  #nextConnectionId = 1;

  constructor(parts: NodeParts) {
    this.store = parts.store;
    this.broker = parts.broker;
    this.broker.onDelivery((publication) => this.#deliver(publication));
  }

  /** Loads the stored rooms; call once before serving. */
  async start(): Promise<void> {
    for (const room of await this.store.listRooms()) {
      this.registry.addRoom(room.key, room.name);
    }
    if (this.registry.roomName(GENERAL_ROOM) === undefined) {
      throw new Error(`The store has no '${GENERAL_ROOM}' room`);
    }
  }

  /** A fresh node-local connection id. */
  nextConnectionId(): number {
    return this.#nextConnectionId++;
  }

  /** Encodes an event once and publishes it to a topic. */
  publish(
    topic: Topic,
    action: string,
    data: unknown,
    options: { exceptUser?: string } = {},
  ): void {
    const publication: Publication = {
      topic,
      frame: encodeEvent(action, data),
    };
    if (options.exceptUser !== undefined) {
      publication.exceptUser = options.exceptUser;
    }
    this.broker.publish(publication);
  }

  /** Sends a `system` event to a room, except to the user it is about. */
  notifyRoom(roomKey: string, event: SystemEvent, exceptUser?: string): void {
    this.publish({ kind: "room", key: roomKey }, "system", event, {
      exceptUser,
    });
  }

  /** Sends the current room list to every connection. */
  publishRoomList(): void {
    this.publish({ kind: "everyone" }, "room_list", {
      rooms: this.registry.summaries(),
    });
  }

  /** Publishes a stored message to its room. */
  publishMessage(roomKey: string, message: ChatMessage): void {
    this.publish({ kind: "room", key: roomKey }, "receive_message", message);
  }

  /**
   * Moves a member to a room now, and returns the notices to publish once
   * the mover's reply is queued: the room left hears "left" when the user's
   * last connection went, the room entered hears "joined" when it is the
   * user's first, and everyone gets the new room list.
   */
  moveMember(member: Member, roomKey: string): () => void {
    const change = this.registry.enter(member, roomKey);
    return () => {
      if (change.from !== undefined && change.leftFrom) {
        this.#announce(change.from, member, "left");
      }
      if (change.joinedTo) this.#announce(roomKey, member, "joined");
      if (change.moved) this.publishRoomList();
    };
  }

  /** Removes a member that disconnected, with the notices it calls for. */
  removeMember(member: Member): void {
    const departure = this.registry.release(member);
    if (!departure) return;
    if (departure.leftRoom) this.#announce(departure.roomKey, member, "left");
    this.publishRoomList();
  }

  #announce(roomKey: string, member: Member, kind: "joined" | "left"): void {
    const room = this.registry.roomName(roomKey) ?? roomKey;
    this.notifyRoom(roomKey, {
      room,
      kind,
      user: member.username,
      text: `${member.username} ${kind} ${room}`,
    }, member.userKey);
  }

  /** The key of a room name; undefined when there is no such room. */
  findRoom(name: string): string | undefined {
    const key = nameKey(name);
    return this.registry.roomName(key) === undefined ? undefined : key;
  }

  #deliver(publication: Publication): void {
    const { topic, frame, exceptUser } = publication;
    const members = topic.kind === "room"
      ? this.registry.membersOf(topic.key)
      : topic.kind === "user"
      ? this.registry.connectionsOf(topic.key)
      : this.registry.everyone();
    let delivered = 0;
    for (const member of members) {
      if (member.userKey === exceptUser) continue;
      member.outbox.push(frame);
      delivered++;
    }
    this.metrics.eventsDelivered += delivered;
  }

  /** Closes the store and the broker. */
  async close(): Promise<void> {
    await this.broker.close();
    await this.store.close();
    logger.debug("Node closed");
  }
}
