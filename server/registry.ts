import type { Role } from "./protocol/types.ts";

/** Where a member's frames go; the registry never looks inside. */
export interface Outbox {
  push(frame: string): void;
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
  /** Key of the member's current room; set by `enter`. */
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
  /** Ends the connection (kick, ban): flushes what is queued, then closes. */
  disconnect(code: number, reason: string): void;
}

interface RoomEntry {
  name: string;
  members: Set<Member>;
  /** Connections per user in this room: users count once. */
  users: Map<string, { name: string; connections: number }>;
}

interface UserEntry {
  name: string;
  guest: boolean;
  // An array, not a Set: usually one connection (a Set costs ~300 bytes
  // more for each user online). Replaced, never changed in place.
  members: Member[];
}

/** What a move between rooms changed, for the notices it calls for. */
export interface RoomChange {
  /** False when nothing changed (already there, or released meanwhile). */
  moved: boolean;
  /** The room left, or undefined for a member's first room. */
  from?: string;
  /** The user's last connection left `from`: the room hears "left". */
  leftFrom: boolean;
  /** The user's first connection entered the new room: it hears "joined". */
  joinedTo: boolean;
}

/** What removing a member changed. */
export interface Departure {
  roomKey: string;
  /** The user's last connection left the room. */
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

  /** Adds a room; false when its key is taken. */
  addRoom(key: string, name: string): boolean {
    if (this.#rooms.has(key)) return false;
    this.#rooms.set(key, { name, members: new Set(), users: new Map() });
    return true;
  }

  /** The room's display name, or undefined when there is no such room. */
  roomName(key: string): string | undefined {
    return this.#rooms.get(key)?.name;
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
    if (user) {
      user.members = [...user.members, member];
    } else {
      this.#users.set(member.userKey, {
        name: member.username,
        guest: member.guest,
        members: [member],
      });
    }
    this.#members.add(member);
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

  /** The display name of an online user. */
  onlineName(userKey: string): string | undefined {
    return this.#users.get(userKey)?.name;
  }

  /** Removes an empty room; false when it has members or does not exist. */
  removeRoom(key: string): boolean {
    const room = this.#rooms.get(key);
    if (!room || room.members.size > 0) return false;
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
    if (member.roomKey !== "") {
      if (member.roomKey === roomKey) return change;
      change.from = member.roomKey;
      change.leftFrom = this.#exitRoom(member);
    }
    to.members.add(member);
    const count = to.users.get(member.userKey);
    if (count) {
      count.connections++;
    } else {
      to.users.set(member.userKey, { name: member.username, connections: 1 });
      change.joinedTo = true;
    }
    member.roomKey = roomKey;
    change.moved = true;
    return change;
  }

  /** Removes a member everywhere and frees its name once its last one goes. */
  release(member: Member): Departure | undefined {
    if (!this.#members.delete(member)) return undefined;
    const roomKey = member.roomKey;
    const leftRoom = roomKey !== "" && this.#exitRoom(member);
    member.roomKey = "";
    const user = this.#users.get(member.userKey);
    // A new array, so a loop over the old one (a delivery that closes a
    // slow socket) goes on undisturbed.
    if (user) user.members = user.members.filter((m) => m !== member);
    const offline = !user || user.members.length === 0;
    if (offline) this.#users.delete(member.userKey);
    return { roomKey, leftRoom, offline };
  }

  #exitRoom(member: Member): boolean {
    const room = this.#rooms.get(member.roomKey);
    if (!room) return false;
    room.members.delete(member);
    const count = room.users.get(member.userKey);
    if (!count) return false;
    if (--count.connections > 0) return false;
    room.users.delete(member.userKey);
    return true;
  }

  /** Connections in a room. */
  membersOf(roomKey: string): Iterable<Member> {
    return this.#rooms.get(roomKey)?.members ?? [];
  }

  /** Connections of one user. */
  connectionsOf(userKey: string): Iterable<Member> {
    return this.#users.get(userKey)?.members ?? [];
  }

  /** Every logged-in connection. */
  everyone(): Iterable<Member> {
    return this.#members;
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

  /** Every room's key and name, in creation order. */
  rooms(): { key: string; name: string }[] {
    return [...this.#rooms].map(([key, room]) => ({ key, name: room.name }));
  }
}

function compareNames(a: string, b: string): number {
  return a.localeCompare(b, undefined, { sensitivity: "base" });
}
