import { compareNames } from "./protocol/names.ts";
import { nameSkeleton } from "./protocol/skeleton.ts";
import type { Role, RoomSummary } from "./protocol/types.ts";
import type { RoomView } from "./room_changes.ts";

/** Where a member's frames go; the registry never looks inside. */
export interface Outbox {
  /**
   * `wide`: the frame goes to a room of WIDE_BROADCAST connections or more
   * (writer.ts), so a busy server may let it wait to share a frame.
   */
  push(frame: string, wide?: boolean): void;
}

/** The session behind an account's connection. */
export interface MemberSession {
  /** SHA-256 of the session token. */
  readonly tokenHash: string;
  /** When the session ends (ms since the epoch): the connection closes then. */
  readonly expiresAt: number;
}

/** The room list a login reply carried, and when (performance.now()). */
export interface ListedInReply {
  rooms?: RoomSummary[];
  at?: number;
  /**
   * A pass of the node's lists skipped the connection while its reply was
   * being made: it may carry a change the reply's list, read earlier,
   * lacks (RoomLists.replied).
   */
  skipped?: boolean;
}

/** One logged-in connection as the registry sees it. */
export interface Member {
  /** Node-local connection id. */
  readonly id: number;
  readonly outbox: Outbox;
  readonly username: string;
  readonly userKey: string;
  /** The client's IP address. */
  readonly address: string;
  /**
   * Key of the room the connection looks at; set by `enter`. A guest gets
   * only this room's events; an account gets those of all its rooms.
   */
  roomKey: string;
  /** The user's role; changes with `set_role`. */
  role: Role;
  /** True for a guest (no account). */
  readonly guest: boolean;
  /**
   * Since when this name is this user's (ms since the epoch): the login of
   * a guest, the creation of an account. Older private messages to the
   * name were someone else's.
   */
  readonly since: number;
  /**
   * Who holds the name now, beyond the name itself: idempotency keys
   * (`client_id`) are scoped to it, so a later holder of the name never
   * gets an earlier holder's message back. `a:<creation time>` for an
   * account, `g:<hash of the guest_key>` for a guest.
   */
  readonly identity: string;
  /** The session an account logged in with; none for a guest. */
  readonly session?: MemberSession;
  /**
   * SHA-256 of the personal access token the connection logged in with
   * instead (it has no session): revoking the token closes it.
   */
  readonly apiToken?: string;
  /**
   * True for a bot account (an admin's integration): it posts in
   * announcement rooms too (handlers/posting.ts).
   */
  readonly bot?: true;
  /**
   * True while the client says none of its views is shown (`visibility`):
   * pushes go out as if the connection were not there.
   */
  hidden?: boolean;
  /**
   * Set when the client logged in with `room_changes`: after its first
   * `room_list` it gets only what changed (room_changes.ts).
   */
  readonly roomView?: RoomView;
  /**
   * Set when the client logged in with `room_list_in_reply`: the list its
   * login reply carries (`rooms` unset while the reply is being made, when
   * the node's lists skip it), which the node's next list is compared
   * with instead of being sent whole (room_lists.ts); unset after that.
   */
  listedInReply?: ListedInReply;
  /** Ends the connection (kick, ban): flushes what is queued, then closes. */
  disconnect(code: number, reason: string): void;
}

/**
 * Connections to deliver to: a room's set or a user's list. Read them with
 * `forEach` on the hot path (a Set's iterator makes an object per step).
 */
export type Members = ReadonlySet<Member> | readonly Member[];

/** How a room may be seen: public, or invite-only with an owner. */
export interface RoomInfo {
  key: string;
  name: string;
  /** Invite-only: listed and readable for its members alone. */
  private: boolean;
  /** Name key of the account that created it, if one did. */
  owner?: string;
  /** Its topic (`set_topic`); absent: none. */
  topic?: string;
  /** Archived (`archive_room`): readable, takes nothing new. */
  archived?: true;
  /**
   * "moderators" for an announcement room (`set_room_posting`): only its
   * owner, moderators and admins post; absent: everyone.
   */
  posting?: "moderators";
  /**
   * Which incarnation of the name this is: a room deleted and created
   * again has another (see room_history.ts).
   */
  epoch: string;
}

/** A room's epoch, from its creation time (ms). */
export function roomEpoch(createdAt: number): string {
  return createdAt.toString(36);
}

interface RoomEntry extends RoomInfo {
  /**
   * Connections that get the room's events: every connection of an online
   * member account, and guests looking at it.
   */
  members: Set<Member>;
  /**
   * The same connections as an array, made by the first read after a
   * change and dropped by the next change: a delivery walks it with a
   * plain loop, where a Set's forEach made a call per member that V8 does
   * not inline (docs/performance.md, "Fan-out: the members' loop").
   * Replaced, never changed in place, so a delivery that closes a socket
   * goes on over the list it read. It costs a pointer per member, and a
   * copy of the set for the first delivery after a change (less than that
   * delivery's own loop).
   */
  list?: Member[];
  /** Connections per user in this room: users count once. */
  users: Map<string, { name: string; connections: number }>;
  /** When it was created (ms), its epoch's number. */
  createdAt: number;
}

interface UserEntry {
  name: string;
  guest: boolean;
  // An array, not a Set: usually one connection (a Set costs ~300 bytes
  // more for each user online). Replaced, never changed in place.
  members: Member[];
  /** An account's rooms (its memberships); none for a guest. */
  rooms?: Set<string>;
}

/** What a move between rooms changed, for the notices it calls for. */
export interface RoomChange {
  /** False when nothing changed (already there, or released meanwhile). */
  moved: boolean;
  /** The room left, or undefined for a member's first room. */
  from?: string;
  /** A guest's last connection left `from`: the room hears "left". */
  leftFrom: boolean;
  /** A guest's first connection entered the new room: it hears "joined". */
  joinedTo: boolean;
}

/** What removing a member changed. */
export interface Departure {
  roomKey: string;
  /** A guest's last connection left the room. */
  leftRoom: boolean;
  /** The user has no connection left on this node. */
  offline: boolean;
}

/**
 * Who is where on this node: rooms, their members, and the names in use.
 * Plain maps and sets; it knows nothing of sockets, JSON or SQL, and all its
 * operations are synchronous so no two requests see a half-done change.
 */
export class RoomRegistry {
  #rooms = new Map<string, RoomEntry>();
  #users = new Map<string, UserEntry>();
  #members = new Set<Member>();
  // Confusable skeletons (UTS #39) of room names and of the names online,
  // each to the key that holds it: a look-alike of either is refused.
  #roomSkeletons = new Map<string, string>();
  #userSkeletons = new Map<string, string>();

  /** Adds a room; false when its key is taken. */
  addRoom(
    key: string,
    name: string,
    options: {
      private?: boolean;
      owner?: string;
      createdAt?: number;
      topic?: string;
      archived?: boolean;
      posting?: string;
    } = {},
  ): boolean {
    if (this.#rooms.has(key)) return false;
    const room: RoomEntry = {
      key,
      name,
      epoch: roomEpoch(options.createdAt ?? 0),
      createdAt: options.createdAt ?? 0,
      private: options.private ?? false,
      members: new Set(),
      users: new Map(),
    };
    if (options.owner !== undefined) room.owner = options.owner;
    if (options.topic) room.topic = options.topic;
    if (options.archived) room.archived = true;
    if (options.posting === "moderators") room.posting = "moderators";
    this.#rooms.set(key, room);
    const skeleton = nameSkeleton(name);
    if (!this.#roomSkeletons.has(skeleton)) {
      this.#roomSkeletons.set(skeleton, key);
    }
    return true;
  }

  /** Makes a room private or public and sets its owner; false when absent. */
  updateRoom(
    key: string,
    change: { private: boolean; owner?: string },
  ): boolean {
    const room = this.#rooms.get(key);
    if (!room) return false;
    room.private = change.private;
    if (change.owner === undefined) delete room.owner;
    else room.owner = change.owner;
    return true;
  }

  /** Sets a room's topic (none: undefined or ""); false when absent. */
  setTopic(key: string, topic: string | undefined): boolean {
    const room = this.#rooms.get(key);
    if (!room) return false;
    if (topic) room.topic = topic;
    else delete room.topic;
    return true;
  }

  /** Archives a room or brings it back; false when absent. */
  setArchived(key: string, archived: boolean): boolean {
    const room = this.#rooms.get(key);
    if (!room) return false;
    if (archived) room.archived = true;
    else delete room.archived;
    return true;
  }

  /** Sets who posts in a room (`set_room_posting`); false when absent. */
  setPosting(key: string, posting: "everyone" | "moderators"): boolean {
    const room = this.#rooms.get(key);
    if (!room) return false;
    if (posting === "moderators") room.posting = posting;
    else delete room.posting;
    return true;
  }

  /** Whether only a room's owner, moderators and admins post in it. */
  moderatorsPost(key: string): boolean {
    return this.#rooms.get(key)?.posting === "moderators";
  }

  /** Whether a room is archived (false for no such room). */
  isArchived(key: string): boolean {
    return this.#rooms.get(key)?.archived === true;
  }

  /**
   * Renames a room in place, keeping its members, settings and creation
   * order: connections looking at it look at `newKey`, accounts' rooms
   * follow. False when there is no room `key` or `newKey` is another's.
   */
  renameRoom(key: string, newKey: string, name: string): boolean {
    const room = this.#rooms.get(key);
    if (!room || (newKey !== key && this.#rooms.has(newKey))) return false;
    const skeleton = nameSkeleton(room.name);
    if (this.#roomSkeletons.get(skeleton) === key) {
      this.#roomSkeletons.delete(skeleton);
    }
    room.key = newKey;
    room.name = name;
    // A new map keeps the room where it was in creation order.
    this.#rooms = new Map(
      [...this.#rooms].map(([k, r]) => k === key ? [newKey, room] : [k, r]),
    );
    const renamed = nameSkeleton(name);
    if (!this.#roomSkeletons.has(renamed)) {
      this.#roomSkeletons.set(renamed, newKey);
    }
    for (const member of room.members) {
      if (member.roomKey === key) member.roomKey = newKey;
      const rooms = this.#users.get(member.userKey)?.rooms;
      if (rooms?.delete(key)) rooms.add(newKey);
    }
    return true;
  }

  /** The name of a room whose name looks like this one, if any. */
  roomLookingLike(name: string): string | undefined {
    const key = this.#roomSkeletons.get(nameSkeleton(name));
    return key === undefined ? undefined : this.roomName(key);
  }

  /** The room's display name, or undefined when there is no such room. */
  roomName(key: string): string | undefined {
    return this.#rooms.get(key)?.name;
  }

  /** When a room was created (ms); undefined when absent. */
  createdAtOf(key: string): number | undefined {
    return this.#rooms.get(key)?.createdAt;
  }

  /** A room's epoch; undefined when absent. */
  epochOf(key: string): string | undefined {
    return this.#rooms.get(key)?.epoch;
  }

  /** Whether a room is private, who owns it, its epoch; undefined when absent. */
  roomInfo(key: string): RoomInfo | undefined {
    const room = this.#rooms.get(key);
    if (!room) return undefined;
    const info: RoomInfo = {
      key,
      name: room.name,
      private: room.private,
      epoch: room.epoch,
    };
    if (room.owner !== undefined) info.owner = room.owner;
    if (room.topic !== undefined) info.topic = room.topic;
    if (room.archived) info.archived = true;
    if (room.posting) info.posting = room.posting;
    return info;
  }

  /** How many rooms an account created and owns. */
  roomsOwnedBy(userKey: string): number {
    let owned = 0;
    for (const room of this.#rooms.values()) {
      if (room.owner === userKey) owned++;
    }
    return owned;
  }

  /** Number of rooms. */
  get roomCount(): number {
    return this.#rooms.size;
  }

  /** Number of logged-in connections. */
  get memberCount(): number {
    return this.#members.size;
  }

  /** Number of distinct users online. */
  get userCount(): number {
    return this.#users.size;
  }

  /**
   * Takes a name for a connection. A guest name is exclusive; an account may
   * hold several connections, but never alongside a guest of the same name.
   */
  claim(member: Member): boolean {
    const user = this.#users.get(member.userKey);
    if (user && (member.guest || user.guest)) return false;
    const skeleton = nameSkeleton(member.username);
    const lookalike = this.#userSkeletons.get(skeleton);
    if (lookalike !== undefined && lookalike !== member.userKey) return false;
    if (user) {
      user.members = [...user.members, member];
    } else {
      this.#userSkeletons.set(skeleton, member.userKey);
      const entry: UserEntry = {
        name: member.username,
        guest: member.guest,
        members: [member],
      };
      if (!member.guest) entry.rooms = new Set();
      this.#users.set(member.userKey, entry);
    }
    this.#members.add(member);
    // Another connection of the account already holds its rooms.
    for (const key of this.#users.get(member.userKey)!.rooms ?? []) {
      const room = this.#rooms.get(key);
      if (room) this.#subscribe(room, member);
    }
    return true;
  }

  /**
   * Adds rooms to an online account's memberships: each of its connections
   * here gets their events from now on. Returns the keys that were new;
   * unknown rooms and users not online here are skipped.
   */
  joinRooms(userKey: string, roomKeys: Iterable<string>): string[] {
    const user = this.#users.get(userKey);
    const added: string[] = [];
    if (!user?.rooms) return added;
    for (const key of roomKeys) {
      const room = this.#rooms.get(key);
      if (!room || user.rooms.has(key)) continue;
      user.rooms.add(key);
      for (const member of user.members) this.#subscribe(room, member);
      added.push(key);
    }
    return added;
  }

  /**
   * Ends an online account's membership here: its connections stop getting
   * the room's events. Returns those that were looking at it (each must be
   * moved elsewhere with `enter`), or undefined when it was no member.
   */
  leaveRoom(userKey: string, roomKey: string): Member[] | undefined {
    const user = this.#users.get(userKey);
    if (!user?.rooms?.delete(roomKey)) return undefined;
    const room = this.#rooms.get(roomKey);
    const viewers: Member[] = [];
    for (const member of user.members) {
      if (room) this.#unsubscribe(room, member);
      if (member.roomKey === roomKey) viewers.push(member);
    }
    return viewers;
  }

  /** True when an online account belongs to the room (false for guests). */
  isMemberOf(userKey: string, roomKey: string): boolean {
    return this.#users.get(userKey)?.rooms?.has(roomKey) ?? false;
  }

  /** An online account's rooms; undefined for guests and users not here. */
  roomsOf(userKey: string): ReadonlySet<string> | undefined {
    return this.#users.get(userKey)?.rooms;
  }

  /** True when an online account belongs to any private room. */
  hasPrivateRooms(userKey: string): boolean {
    for (const key of this.#users.get(userKey)?.rooms ?? []) {
      if (this.#rooms.get(key)?.private) return true;
    }
    return false;
  }

  #subscribe(room: RoomEntry, member: Member): boolean {
    if (room.members.has(member)) return false;
    room.members.add(member);
    room.list = undefined;
    const count = room.users.get(member.userKey);
    if (count) {
      count.connections++;
      return false;
    }
    room.users.set(member.userKey, { name: member.username, connections: 1 });
    return true;
  }

  // True when it was the user's last connection in the room.
  #unsubscribe(room: RoomEntry, member: Member): boolean {
    if (!room.members.delete(member)) return false;
    room.list = undefined;
    const count = room.users.get(member.userKey);
    if (!count) return false;
    if (--count.connections > 0) return false;
    room.users.delete(member.userKey);
    return true;
  }

  /** True while a member is claimed (logged in and not released). */
  isMember(member: Member): boolean {
    return this.#members.has(member);
  }

  /** True when a guest holds this name key on this node. */
  isGuestOnline(userKey: string): boolean {
    return this.#users.get(userKey)?.guest === true;
  }

  /**
   * The name of a guest on this node whose name looks like `name` (the
   * same UTS #39 skeleton: the name itself too), if any: one look-up of
   * the skeletons the node's names are claimed under.
   */
  guestLookingLike(name: string): string | undefined {
    const key = this.#userSkeletons.get(nameSkeleton(name));
    const user = key === undefined ? undefined : this.#users.get(key);
    return user?.guest ? user.name : undefined;
  }

  /** The display name of an online user. */
  onlineName(userKey: string): string | undefined {
    return this.#users.get(userKey)?.name;
  }

  /**
   * Keys of the users online here whose key starts with `prefix`: a walk
   * of every online user, as many as this node holds connections for.
   */
  onlineStartingWith(prefix: string): string[] {
    return [...this.#users.keys()].filter((key) => key.startsWith(prefix));
  }

  /**
   * Removes a room that no connection looks at any more, ending every
   * membership of it here; false when one still does or it does not exist.
   */
  removeRoom(key: string): boolean {
    const room = this.#rooms.get(key);
    if (!room) return false;
    for (const member of room.members) {
      if (member.roomKey === key) return false;
    }
    for (const member of room.members) {
      this.#users.get(member.userKey)?.rooms?.delete(key);
    }
    const skeleton = nameSkeleton(room.name);
    if (this.#roomSkeletons.get(skeleton) === key) {
      this.#roomSkeletons.delete(skeleton);
    }
    return this.#rooms.delete(key);
  }

  /**
   * Moves a claimed member into a room (leaving its current one). A member
   * released meanwhile (its socket closed during a request) stays out.
   */
  enter(member: Member, roomKey: string): RoomChange {
    const to = this.#rooms.get(roomKey);
    if (!to) throw new Error(`No room with key '${roomKey}'`);
    const change: RoomChange = {
      moved: false,
      leftFrom: false,
      joinedTo: false,
    };
    if (!this.#members.has(member)) return change;
    if (member.roomKey === roomKey) return change;
    if (member.roomKey !== "") change.from = member.roomKey;
    if (member.guest) {
      // A guest is where it looks, nowhere else.
      const from = this.#rooms.get(member.roomKey);
      if (from) change.leftFrom = this.#unsubscribe(from, member);
      change.joinedTo = this.#subscribe(to, member);
    } else {
      // An account looks only at its rooms: entering one joins it here.
      this.joinRooms(member.userKey, [roomKey]);
    }
    member.roomKey = roomKey;
    change.moved = true;
    return change;
  }

  /** Removes a member everywhere and frees its name once its last one goes. */
  release(member: Member): Departure | undefined {
    if (!this.#members.delete(member)) return undefined;
    const roomKey = member.roomKey;
    const user = this.#users.get(member.userKey);
    let leftRoom = false;
    for (const key of user?.rooms ?? [roomKey]) {
      const room = this.#rooms.get(key);
      if (room && this.#unsubscribe(room, member) && member.guest) {
        leftRoom = true;
      }
    }
    member.roomKey = "";
    // A new array, so a loop over the old one (a delivery that closes a
    // slow socket) goes on undisturbed.
    if (user) user.members = user.members.filter((m) => m !== member);
    const offline = !user || user.members.length === 0;
    if (offline) {
      this.#users.delete(member.userKey);
      const skeleton = nameSkeleton(member.username);
      if (this.#userSkeletons.get(skeleton) === member.userKey) {
        this.#userSkeletons.delete(skeleton);
      }
    }
    return { roomKey, leftRoom, offline };
  }

  /**
   * Connections that get a room's events, as they are now: a later change
   * makes a new list and leaves this one as it was.
   */
  membersOf(roomKey: string): readonly Member[] {
    const room = this.#rooms.get(roomKey);
    if (room === undefined) return [];
    return room.list ??= [...room.members];
  }

  /** Connections of one user. */
  connectionsOf(userKey: string): Members {
    return this.#users.get(userKey)?.members ?? [];
  }

  /** Every logged-in connection. */
  everyone(): Members {
    return this.#members;
  }

  /** Name keys of the accounts (no guest) in a room, each once, in no order. */
  accountsIn(roomKey: string): string[] {
    const room = this.#rooms.get(roomKey);
    if (!room) return [];
    return [...room.users.keys()].filter((key) =>
      this.#users.get(key)?.guest === false
    );
  }

  /** Names of the distinct users in a room, sorted case-insensitively. */
  usersIn(roomKey: string): string[] | undefined {
    const room = this.#rooms.get(roomKey);
    if (!room) return undefined;
    return [...room.users.values()].map((u) => u.name).sort(compareNames);
  }

  /** Distinct users in one room on this node. */
  userCountIn(roomKey: string): number {
    return this.#rooms.get(roomKey)?.users.size ?? 0;
  }

  /** Distinct users per room key on this node. */
  localCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const [key, room] of this.#rooms) counts.set(key, room.users.size);
    return counts;
  }

  /** Every room as roomInfo gives it, in creation order. */
  rooms(): RoomInfo[] {
    return [...this.#rooms.keys()].map((key) => this.roomInfo(key)!);
  }
}
