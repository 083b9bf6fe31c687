import { AccountService } from "./accounts/service.ts";
import type { FileStorage } from "./files.ts";
import type {
  Broker,
  ControlEvent,
  EventPublication,
  Publication,
  Topic,
} from "./broker/mod.ts";
import { log } from "./log.ts";
import { Metrics } from "./metrics.ts";
import { CLOSE_REMOVED } from "./protocol/close_codes.ts";
import { encodeEvent } from "./protocol/envelope.ts";
import { nameKey } from "./protocol/names.ts";
import {
  type ChatMessage,
  GENERAL_ROOM,
  type Role,
  type RoomSummary,
  type SystemEvent,
} from "./protocol/types.ts";
import type { PresenceManager } from "./presence/mod.ts";
import { type RateLimitConfig, UserRateLimits } from "./rate_limit.ts";
import { type Member, RoomRegistry } from "./registry.ts";
import { RoomSequencer } from "./sequencer.ts";
import type { Store } from "./store/mod.ts";

const logger = log("node");

/**
 * The parts a node is built from: backends as backends.ts picked them,
 * values from Config. The node has no defaults of its own.
 */
export interface NodeParts {
  store: Store;
  broker: Broker;
  /** Presence across nodes, built around this node's registry. */
  presence: (registry: RoomRegistry) => PresenceManager;
  /** This node's id, unique in a cluster (`--node-id`, or random). */
  nodeId: string;
  /** Where shared files go. */
  files: FileStorage;
  /** The operator's admin account name (`--admin`). */
  admin?: string;
  /** How long a login session lasts, in ms (`--session-days`). */
  sessionTtlMs: number;
  /** Request limits (`--rate-limits`). */
  limits: RateLimitConfig;
  /** Rooms with more users than this get no joined/left notices (`--announce-limit`). */
  announceLimit: number;
}

/**
 * One server process: it holds the registry, the store, the broker and
 * presence it was given, and delivers what the broker hands it to its own
 * members, each room in seq order. Handlers do "store, then publish"
 * themselves: they write to `store`, then return the `publish*` calls to
 * make once their reply is queued. The node never sees a socket. Whatever
 * must happen on every node (a room created or deleted, a user removed)
 * goes out as a control event and is applied by each node to its own
 * members.
 */
export class ChatNode {
  readonly id: string;
  readonly registry = new RoomRegistry();
  readonly metrics = new Metrics();
  readonly store: Store;
  readonly broker: Broker;
  readonly presence: PresenceManager;
  readonly accounts: AccountService;
  readonly files: FileStorage;
  readonly limits: RateLimitConfig;
  readonly userLimits: UserRateLimits;
  #sequencer: RoomSequencer;
  #nextConnectionId = 1;
  #roomListTimer?: ReturnType<typeof setTimeout>;
  #announceLimit: number;
  #closed = false;

  constructor(parts: NodeParts) {
    this.id = parts.nodeId;
    this.store = parts.store;
    this.broker = parts.broker;
    this.files = parts.files;
    this.presence = parts.presence(this.registry);
    this.limits = parts.limits;
    this.#announceLimit = parts.announceLimit;
    this.userLimits = new UserRateLimits(this.limits);
    this.accounts = new AccountService(parts.store, {
      admin: parts.admin,
      sessionTtlMs: parts.sessionTtlMs,
      isGuestOnline: (key) => this.presence.isGuestOnline(key),
    });
    this.#sequencer = new RoomSequencer((roomKey, afterSeq, beforeSeq) =>
      this.#missed(roomKey, afterSeq, beforeSeq)
    );
    this.broker.onDelivery((publication) => this.#receive(publication));
    this.presence.onChange(() => this.#scheduleRoomList());
  }

  /** Loads the stored rooms; call once before serving. */
  async start(): Promise<void> {
    await this.#loadRooms();
    if (this.registry.roomName(GENERAL_ROOM) === undefined) {
      throw new Error(`The store has no '${GENERAL_ROOM}' room`);
    }
    await this.accounts.start();
    await this.files.start();
    await this.presence.start();
  }

  // Rooms this node has not heard of yet (created by another node just
  // now, or before it started), with where their numbering stands.
  async #loadRooms(): Promise<void> {
    for (const room of await this.store.listRooms()) {
      if (!this.registry.addRoom(room.key, room.name)) continue;
      const [last] = await this.store.history(room.key, { limit: 1 });
      this.#sequencer.expect(room.key, (last?.seq ?? 0) + 1);
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
    const publication: EventPublication = {
      type: "event",
      topic,
      frame: encodeEvent(action, data),
    };
    if (options.exceptUser !== undefined) {
      publication.exceptUser = options.exceptUser;
    }
    this.broker.publish(publication);
  }

  /** Publishes a stored message to its room, ordered by seq everywhere. */
  publishMessage(roomKey: string, message: ChatMessage): void {
    this.broker.publish({
      type: "event",
      topic: { kind: "room", key: roomKey },
      frame: encodeEvent("receive_message", message),
      sequence: { roomKey, seq: message.seq },
    });
  }

  /** Sends a `system` event to a room, except to the user it is about. */
  notifyRoom(roomKey: string, event: SystemEvent, exceptUser?: string): void {
    this.publish({ kind: "room", key: roomKey }, "system", event, {
      exceptUser,
    });
  }

  /**
   * Adds a room the store just created to this node now, and returns the
   * announcement to every node (the room lists), to make once the
   * creator's reply is queued.
   */
  addRoom(key: string, name: string): () => void {
    if (this.registry.addRoom(key, name)) this.#sequencer.expect(key, 1);
    return () => this.control({ kind: "room_created", key, name });
  }

  /** Asks every node to apply a control event (this one included). */
  control(event: ControlEvent): void {
    this.broker.publish({ type: "control", event });
  }

  /**
   * Room counts changed: every node sends its members a fresh room list,
   * at once on a small node, after a short pause that merges bursts on a
   * busy one.
   */
  presenceChanged(): void {
    this.control({ kind: "presence_changed" });
  }

  /** Every room with its distinct user count across nodes, in creation order. */
  async roomSummaries(): Promise<RoomSummary[]> {
    return this.#summaries(await this.presence.roomCounts());
  }

  /** Names of the distinct users in a room across nodes. */
  usersIn(roomKey: string): Promise<string[]> {
    return this.presence.usersIn(roomKey);
  }

  /** The display name of a user online on any node. */
  onlineName(userKey: string): Promise<string | undefined> {
    return this.presence.onlineName(userKey);
  }

  /**
   * Takes the member's name on this node and across nodes; false when it is
   * taken (a guest's, or any for a guest).
   */
  async claim(member: Member): Promise<boolean> {
    if (!this.registry.claim(member)) return false;
    const granted = await this.presence.add({
      id: `${this.id}:${member.id}`,
      userKey: member.userKey,
      username: member.username,
      roomKey: member.roomKey,
      guest: member.guest,
      address: member.address,
    });
    if (!granted) this.registry.release(member);
    return granted;
  }

  /**
   * Moves a member to a room now, and returns the notices to publish once
   * the mover's reply is queued: the room left hears "left" when the user's
   * last connection went, the room entered hears "joined" when it is the
   * user's first, and everyone gets the new room list.
   */
  moveMember(member: Member, roomKey: string): () => void {
    const change = this.registry.enter(member, roomKey);
    if (change.moved) this.presence.move(`${this.id}:${member.id}`, roomKey);
    return () => {
      // The socket may have closed while the reply was being made; its
      // departure was announced then, so this move is old news.
      if (change.moved) this.presenceChanged();
      if (!this.registry.isMember(member)) return;
      if (change.from !== undefined && change.leftFrom) {
        this.#announceUnlessElsewhere(change.from, member, "left", 0);
      }
      if (change.joinedTo) {
        this.#announceUnlessElsewhere(roomKey, member, "joined", 1);
      }
    };
  }

  // The registry knows first and last connections on this node; with other
  // nodes, presence says whether the user is in the room elsewhere too
  // (`expected` counts this connection: 1 after joining, 0 after leaving).
  #announceUnlessElsewhere(
    roomKey: string,
    member: Member,
    kind: "joined" | "left",
    expected: number,
  ): void {
    if (this.presence.roomCountsNow() !== undefined) {
      this.#announce(roomKey, member, kind);
      return;
    }
    this.presence.connectionsIn(member.userKey, roomKey).then((count) => {
      if (count <= expected) this.#announce(roomKey, member, kind);
    }, () => this.#announce(roomKey, member, kind));
  }

  /** Removes a member that disconnected, with the notices it calls for. */
  removeMember(member: Member): void {
    const departure = this.registry.release(member);
    if (!departure) return;
    this.presence.remove(`${this.id}:${member.id}`);
    if (departure.leftRoom) {
      this.#announceUnlessElsewhere(departure.roomKey, member, "left", 0);
    }
    this.presenceChanged();
  }

  // In a crowd, every arrival told to everyone is quadratic traffic that
  // nobody reads: big rooms stay quiet, as in IRC's large channels.
  #announce(roomKey: string, member: Member, kind: "joined" | "left"): void {
    if (this.registry.userCountIn(roomKey) > this.#announceLimit) return;
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

  /**
   * Like `findRoom`, but asks the store when this node does not know the
   * room: another node may have created it a moment ago.
   */
  async findRoomAnywhere(name: string): Promise<string | undefined> {
    const key = this.findRoom(name);
    if (key !== undefined) return key;
    await this.#loadRooms();
    return this.findRoom(name);
  }

  #receive(publication: Publication): void {
    if (this.#closed) return;
    if (publication.type === "control") {
      this.#apply(publication.event);
      return;
    }
    const sequence = publication.sequence;
    if (sequence) {
      this.#sequencer.offer(
        sequence.roomKey,
        sequence.seq,
        () => this.#deliver(publication),
      );
    } else {
      this.#deliver(publication);
    }
  }

  #deliver(publication: EventPublication): void {
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

  // Messages a gap left out, read back from the store.
  async #missed(roomKey: string, afterSeq: number, beforeSeq: number) {
    const messages = await this.store.history(roomKey, {
      afterSeq,
      beforeSeq,
      limit: 200,
    });
    return messages.map((message) => ({
      seq: message.seq,
      deliver: () =>
        this.#deliver({
          type: "event",
          topic: { kind: "room", key: roomKey },
          frame: encodeEvent("receive_message", message),
        }),
    }));
  }

  #apply(event: ControlEvent): void {
    switch (event.kind) {
      case "presence_changed":
        this.#scheduleRoomList();
        return;
      case "room_created":
        if (this.registry.addRoom(event.key, event.name)) {
          this.#sequencer.expect(event.key, 1);
        }
        this.#scheduleRoomList();
        return;
      case "room_deleted":
        this.#roomDeleted(event.key, event.name, event.by);
        return;
      case "remove_user":
        this.#removeUser(event.userKey, event.reason, event.text);
        return;
      case "evict_user":
        this.#evict(event.userKey, event.roomKey, event.text);
        return;
      case "role_changed":
        this.#applyRole(event.userKey, event.role, event.by);
        return;
    }
  }

  // A small server sends the room list at once, in the same turn as the
  // reply that changed it, so a client sees both together. A busy one (or
  // one that must ask Redis) coalesces bursts, hundreds of logins at once,
  // into one list per connection, pausing longer the more it carries.
  #scheduleRoomList(): void {
    if (this.#roomListTimer !== undefined || this.#closed) return;
    const members = this.registry.memberCount;
    const counts = members < 200 ? this.presence.roomCountsNow() : undefined;
    if (counts) {
      this.#sendRoomList(this.#summaries(counts));
      return;
    }
    const pause = members < 200 ? 0 : Math.min(1000, members / 10);
    this.#roomListTimer = setTimeout(async () => {
      this.#roomListTimer = undefined;
      try {
        this.#sendRoomList(await this.roomSummaries());
      } catch (error) {
        logger.error("Cannot build the room list: {error}", { error });
      }
    }, pause);
  }

  #sendRoomList(rooms: RoomSummary[]): void {
    this.#deliver({
      type: "event",
      topic: { kind: "everyone" },
      frame: encodeEvent("room_list", { rooms }),
    });
  }

  #summaries(counts: Map<string, number>): RoomSummary[] {
    return this.registry.rooms().map(({ key, name }) => ({
      name,
      users: counts.get(key) ?? 0,
    }));
  }

  // Every connection of a user here gets the notice and is closed; its
  // room hears it instead of "left".
  #removeUser(userKey: string, kind: "kicked" | "banned", text: string): void {
    const members = [...this.registry.connectionsOf(userKey)];
    const rooms = new Set<string>();
    for (const member of members) {
      rooms.add(member.roomKey);
      const room = this.registry.roomName(member.roomKey) ?? member.roomKey;
      member.outbox.push(
        encodeEvent("system", {
          room,
          kind,
          user: member.username,
          text,
          scope: "server",
        }),
      );
      this.registry.release(member);
      this.presence.remove(`${this.id}:${member.id}`);
      member.disconnect(CLOSE_REMOVED, text.slice(0, 120));
    }
    // The node that held the connections tells their rooms, on every node.
    const name = members[0]?.username;
    for (const roomKey of rooms) {
      const room = this.registry.roomName(roomKey) ?? roomKey;
      this.notifyRoom(roomKey, { room, kind, user: name, text }, userKey);
    }
    if (members.length > 0) this.#scheduleRoomList();
  }

  // A room ban: the user's connections in that room go back to `general`.
  #evict(userKey: string, roomKey: string, text: string): void {
    const room = this.registry.roomName(roomKey) ?? roomKey;
    let name: string | undefined;
    for (const member of [...this.registry.connectionsOf(userKey)]) {
      if (member.roomKey !== roomKey) continue;
      name = member.username;
      member.outbox.push(
        encodeEvent("system", {
          room,
          kind: "banned",
          user: name,
          text,
          scope: "room",
        }),
      );
      // The room hears "banned" below, not "left".
      const change = this.registry.enter(member, GENERAL_ROOM);
      this.presence.move(`${this.id}:${member.id}`, GENERAL_ROOM);
      if (change.joinedTo) {
        this.#announceUnlessElsewhere(GENERAL_ROOM, member, "joined", 1);
      }
      this.presenceChanged();
    }
    if (name !== undefined) {
      this.notifyRoom(
        roomKey,
        { room, kind: "banned", user: name, text },
        userKey,
      );
    }
  }

  // Members here move to `general`, each told; then the room is gone.
  #roomDeleted(roomKey: string, room: string, by: string): void {
    const deleted = encodeEvent("system", {
      room,
      kind: "deleted",
      text: `${by} deleted ${room}`,
    });
    const announcements: (() => void)[] = [];
    for (const member of [...this.registry.membersOf(roomKey)]) {
      member.outbox.push(deleted);
      announcements.push(this.moveMember(member, GENERAL_ROOM));
    }
    this.registry.removeRoom(roomKey);
    this.#sequencer.forget(roomKey);
    for (const announce of announcements) announce();
    this.#scheduleRoomList();
  }

  #applyRole(userKey: string, role: Role, by: string): void {
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

  /** Stops timers, then closes presence, the broker, the files and the store. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#roomListTimer);
    this.#sequencer.close();
    await this.presence.close();
    await this.broker.close();
    // The files' sweep uses the store: it ends first.
    await this.files.close();
    await this.store.close();
    logger.debug("Node closed");
  }
}
