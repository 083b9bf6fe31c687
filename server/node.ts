import { AccountService } from "./accounts/service.ts";
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
import {
  DEFAULT_RATE_LIMITS,
  type RateLimitConfig,
  UserRateLimits,
} from "./rate_limit.ts";
import { type Member, RoomRegistry } from "./registry.ts";
import type { Store } from "./store/mod.ts";

const logger = log("node");

/** The parts a node is built from; backends are chosen by the caller. */
export interface NodeParts {
  store: Store;
  broker: Broker;
  /** The operator's admin account name (`--admin`). */
  admin?: string;
  /** How long a login session lasts, in ms. */
  sessionTtlMs?: number;
  /** Request limits (default: DEFAULT_RATE_LIMITS). */
  limits?: RateLimitConfig;
}

/** Close code for a connection ended by a moderator (kick or ban). */
export const CLOSE_REMOVED = 4003;

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
  readonly accounts: AccountService;
  readonly limits: RateLimitConfig;
  readonly userLimits: UserRateLimits;
  #nextConnectionId = 1;

  constructor(parts: NodeParts) {
    this.store = parts.store;
    this.broker = parts.broker;
    this.limits = parts.limits ?? DEFAULT_RATE_LIMITS;
    this.userLimits = new UserRateLimits(this.limits);
    this.accounts = new AccountService(parts.store, {
      admin: parts.admin,
      sessionTtlMs: parts.sessionTtlMs,
      isGuestOnline: (key) => this.registry.isGuestOnline(key),
    });
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
    await this.accounts.start();
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
      // The socket may have closed while the reply was being made; its
      // departure was announced then, so this move is old news.
      if (!this.registry.isMember(member)) {
        if (change.moved) this.publishRoomList();
        return;
      }
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

  /**
   * Ends every connection of a user (kick, server ban): each gets the
   * notice, its room hears it instead of "left", then the socket closes.
   */
  removeUser(userKey: string, kind: "kicked" | "banned", text: string): number {
    const members = [...this.registry.connectionsOf(userKey)];
    const rooms = new Set<string>();
    for (const member of members) {
      rooms.add(member.roomKey);
      const room = this.registry.roomName(member.roomKey) ?? member.roomKey;
      member.outbox.push(
        encodeEvent("system", { room, kind, user: member.username, text }),
      );
      this.registry.release(member);
      member.disconnect(CLOSE_REMOVED, text.slice(0, 120));
    }
    const name = members[0]?.username;
    for (const roomKey of rooms) {
      const room = this.registry.roomName(roomKey) ?? roomKey;
      this.notifyRoom(roomKey, { room, kind, user: name, text }, userKey);
    }
    if (members.length > 0) this.publishRoomList();
    return members.length;
  }

  /**
   * Sends every connection of a user that is in a room back to `general`
   * (room ban), each told why.
   */
  evictFromRoom(userKey: string, roomKey: string, text: string): void {
    const room = this.registry.roomName(roomKey) ?? roomKey;
    let name: string | undefined;
    for (const member of [...this.registry.connectionsOf(userKey)]) {
      if (member.roomKey !== roomKey) continue;
      name = member.username;
      member.outbox.push(
        encodeEvent("system", { room, kind: "banned", user: name, text }),
      );
      this.moveMember(member, GENERAL_ROOM)();
    }
    if (name !== undefined) {
      this.notifyRoom(
        roomKey,
        { room, kind: "banned", user: name, text },
        userKey,
      );
    }
  }

  /**
   * Deletes a room: its members move to `general`, each told, then the
   * room and its history go from the store.
   */
  async deleteRoom(roomKey: string, by: string): Promise<void> {
    const room = this.registry.roomName(roomKey) ?? roomKey;
    await this.store.deleteRoom(roomKey);
    const text = `${by} deleted ${room}`;
    const deleted = encodeEvent("system", { room, kind: "deleted", text });
    const announcements: (() => void)[] = [];
    for (const member of [...this.registry.membersOf(roomKey)]) {
      member.outbox.push(deleted);
      announcements.push(this.moveMember(member, GENERAL_ROOM));
    }
    this.registry.removeRoom(roomKey);
    for (const announce of announcements) announce();
    this.publishRoomList();
  }

  /** Changes the role of a user's online connections and tells them. */
  applyRole(userKey: string, role: Member["role"], by: string): void {
    for (const member of this.registry.connectionsOf(userKey)) {
      member.role = role;
      const room = this.registry.roomName(member.roomKey) ?? member.roomKey;
      member.outbox.push(encodeEvent("system", {
        room,
        kind: "info",
        user: member.username,
        text: `${by} made you ${role}`,
        role,
      }));
    }
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
