import { compareNames } from "../protocol/names.ts";

/** One logged-in connection as presence records it. */
export interface PresenceEntry {
  /** Unique across nodes: `<node id>:<connection id>`. */
  id: string;
  userKey: string;
  username: string;
  /** The room the connection looks at. */
  roomKey: string;
  /**
   * The rooms it counts in: an account's rooms, a guest's current one.
   * Absent means `[roomKey]`.
   */
  rooms?: string[];
  guest: boolean;
  /**
   * Since when the name is this user's (ms, Member.since): a guest's login.
   * Private messages to the name from before were a former holder's.
   */
  since: number;
  /** The client's address (guest bans cover it). */
  address: string;
  /** True while the client says none of its views is shown (`visibility`). */
  hidden?: boolean;
}

/**
 * Who is online and where, across every node: room counts, member lists,
 * online state and the uniqueness of guest names. Each node owns its own
 * entries; a node that dies has its entries expire (see the Redis
 * implementation), so presence converges without a coordinator.
 */
export interface PresenceManager {
  /**
   * Records a logged-in connection; false when the name is held elsewhere
   * by a guest, or when a guest asks for a name anyone holds.
   */
  add(entry: PresenceEntry): Promise<boolean>;
  /** Records a connection's room and the rooms it counts in. */
  move(id: string, roomKey: string, rooms?: string[]): void;
  /** Forgets a connection. */
  remove(id: string): void;
  /** Distinct users per room key (an account in each of its rooms). */
  roomCounts(): Promise<Map<string, number>>;
  /**
   * The same, synchronously, when this node alone knows the answer (one
   * process); undefined when it must be asked for.
   */
  roomCountsNow(): Map<string, number> | undefined;
  /** Names of the distinct users in a room, sorted. */
  usersIn(roomKey: string): Promise<string[]>;
  /**
   * Name keys of the accounts (no guest) that count in a room, on every
   * node, each once, in no order: whom an `@here` there notifies.
   */
  accountsIn(roomKey: string): Promise<string[]>;
  /**
   * Another node's users changed rooms or came or went (a `presence_changed`
   * event): counts and lists read the other nodes again from now on (on
   * Redis, those asked within a tenth of a second of the last read wait
   * for one read then).
   */
  othersChanged(): void;
  /** How many connections of a user are in a room, on every node. */
  connectionsIn(userKey: string, roomKey: string): Promise<number>;
  /** Addresses a guest is online from, on every node. */
  guestAddresses(userKey: string): Promise<string[]>;
  /** The display name of a user online anywhere, or undefined. */
  onlineName(userKey: string): Promise<string | undefined>;
  /**
   * Keys of the users online anywhere whose key starts with `prefix`, each
   * once, in no order: the user directory's online ones among all its
   * matches, however many the accounts (`find_people`).
   */
  onlineStartingWith(prefix: string): Promise<string[]>;
  /** True when a guest holds this name anywhere. */
  isGuestOnline(userKey: string): Promise<boolean>;
  /**
   * The name of a guest online anywhere whose name looks like `name` (the
   * same UTS #39 skeleton, protocol/skeleton.ts: the name itself too), if
   * any: for the names a guest's would read as (an account's, a group's).
   */
  guestLookingLike(name: string): Promise<string | undefined>;
  /**
   * When the guest holding this name, on any node, logged in (its
   * `since`); undefined when no guest holds it. A reply quotes to a guest
   * only what was sent since (handlers/private.ts).
   */
  guestSince(userKey: string): Promise<number | undefined>;
  /** Records that a connection's client is hidden, or shown again (`visibility`). */
  setHidden(id: string, hidden: boolean): void;
  /**
   * Those of `userKeys` who have a connection open, on any node, whose
   * client is not hidden: someone may be looking, so no push is needed.
   * One read for them all, whatever their number: an `@room` asks for a
   * page of a room's members at once (push.ts), where a read each cost a
   * Redis round trip or two a member.
   */
  watchingAmong(userKeys: readonly string[]): Promise<Set<string>>;
  /**
   * True while presence may lack the users of a live node: the shared
   * store came back empty (a Redis restart) and some node that was live
   * before, or this one, has not written its users again yet. A "not
   * online" read now may be wrong; {@linkcode settled} waits it out.
   */
  settling(): boolean;
  /**
   * Resolves once presence is whole again (see {@linkcode settling}): the
   * nodes awaited wrote their users, or one TTL passed since Redis came
   * back without them (then they are dead for presence anyway). Resolves
   * at once when nothing is awaited, and while the shared store is away
   * (this node's own view is the answer then).
   */
  settled(): Promise<void>;
  /** Called when presence changed in a way no publication announced (a node died). */
  onChange(handler: () => void): void;
  /** True while the shared presence store answers. */
  healthy(): boolean;
  /** Registers this node; called once by the node's start. */
  start(): Promise<void>;
  close(): Promise<void>;
}

/** Sorts names the way member lists show them. */
export function sortNames(names: Iterable<string>): string[] {
  return [...names].sort(compareNames);
}
