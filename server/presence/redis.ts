import type { Redis } from "ioredis";
import { log } from "../log.ts";
import { nameSkeleton } from "../protocol/skeleton.ts";
import type { MemoryPresence } from "./memory.ts";
import { type PresenceEntry, type PresenceManager, sortNames } from "./mod.ts";

const logger = log("presence");

const NODES = "chat:v1:nodes";
const conns = (node: string) => `chat:v1:conns:${node}`;
const names = (node: string) => `chat:v1:names:${node}`;
// Users all of whose connections on the node are hidden (`visibility`):
// written only when a client says so, so other clients cost nothing.
const hiddenUsers = (node: string) => `chat:v1:hidden:${node}`;
// When each guest on the node logged in (ms): a reply on another node
// quotes to it only what was sent since (presence/mod.ts, guestSince).
const guestLogins = (node: string) => `chat:v1:guest_since:${node}`;
// The skeletons (UTS #39) of the names of the node's guests, each to its
// name: whether a name looks like a guest's online is one HGET a node.
const guestLooks = (node: string) => `chat:v1:guest_looks:${node}`;

// Atomically: refuse the name when another live node holds it as a guest,
// or when a guest asks for a name another live node holds at all; else
// record it for this node, with a guest's login time and its name's
// skeleton. Values are "g:<name>" or "a:<name>".
const CLAIM_SCRIPT = `
local live = redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[3], '+inf')
for _, node in ipairs(live) do
  if node ~= ARGV[4] then
    local held = redis.call('HGET', 'chat:v1:names:' .. node, ARGV[1])
    if held and (string.sub(held, 1, 1) == 'g' or ARGV[2] == 'g') then
      return 0
    end
  end
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2] .. ':' .. ARGV[5])
redis.call('PEXPIRE', KEYS[2], ARGV[6])
if ARGV[2] == 'g' then
  redis.call('HSET', KEYS[3], ARGV[1], ARGV[7])
  redis.call('PEXPIRE', KEYS[3], ARGV[6])
  redis.call('HSET', KEYS[4], ARGV[8], ARGV[5])
  redis.call('PEXPIRE', KEYS[4], ARGV[6])
end
return 1
`;

// Which of the users ARGV[2..] have a name on a live node (ARGV[1]: now)
// that the node does not mark hidden: HMGET of each live node's names and
// hidden marks, the nodes read once for all the users. Answers the live
// nodes (noted as known) and the users watching.
const WATCHING_SCRIPT = `
local live = redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[1], '+inf')
local watching = {}
for _, node in ipairs(live) do
  local held = redis.call('HMGET', 'chat:v1:names:' .. node, unpack(ARGV, 2))
  local hidden = redis.call('HMGET', 'chat:v1:hidden:' .. node, unpack(ARGV, 2))
  for i = 1, #held do
    if held[i] and not hidden[i] then watching[i] = true end
  end
end
local found = {}
for i in pairs(watching) do found[#found + 1] = ARGV[i + 1] end
return {live, found}
`;

/**
 * Users a run of WATCHING_SCRIPT reads at most: Lua's unpack takes up to
 * about 8,000 values, and a run blocks Redis for its time (1,000 users on
 * two nodes: a few hundred microseconds). More users are more runs, all
 * in one pipeline: still one round trip.
 */
const WATCHING_RUN = 1_000;

/**
 * Every live node's entries as one read found them, shared by the callers
 * of a turn (RedisPresence #everyone): indexed by user at the first
 * question for one, so that a turn's thousand questions cost one pass.
 */
class Entries {
  readonly all: PresenceEntry[];
  #byUser?: Map<string, PresenceEntry[]>;

  constructor(all: PresenceEntry[]) {
    this.all = all;
  }

  /** A user's entries, on every node. */
  of(userKey: string): PresenceEntry[] {
    this.#byUser ??= Map.groupBy(this.all, (entry) => entry.userKey);
    return this.#byUser.get(userKey) ?? [];
  }
}

interface LocalUser {
  name: string;
  guest: boolean;
  /** Since when the name is the user's (a guest's login). */
  since: number;
  connections: number;
  /** How many of the connections are hidden. */
  hidden: number;
}

/** Options of {@link RedisPresence}. */
export interface RedisPresenceOptions {
  /** This node's id, unique in the cluster. */
  nodeId: string;
  /** Answers for this node alone while Redis is away. */
  fallback: MemoryPresence;
  /** Entries of a node that stops heartbeating expire after this (`--presence-ttl`). */
  ttlMs: number;
  /**
   * Resolves when this node hears publications again (the broker's
   * subscription is back). After a lost connection the node writes its
   * users again only then, or a beat later at most: another node that
   * finds them (a kick) publishes to them at once, and a node not yet
   * subscribed would never hear it. Default: at once.
   */
  hearing?: () => Promise<void>;
}

/**
 * How often a request that waits for presence to be whole (`settled`)
 * looks for the nodes it awaits: one ZRANGEBYSCORE, only in the seconds
 * after Redis came back empty.
 */
const SETTLE_POLL_MS = 100;

/**
 * How long one read of the other nodes' entries serves this node's room
 * counts, member lists and `@here` (ms). Each read is every connection of
 * every other node, parsed: 12 to 16 ms for 2,000 accounts in 20 rooms, 100
 * ms for 5,000 in 50 (load 10), and one guest's socket may send 200
 * `list_users` a second, an account 100 messages saying `@here` in a room of
 * its own: each was a read. Now they share one a quarter second, the pace
 * of room lists, read again (within OTHERS_REREAD_MS of the last) when a
 * `presence_changed` event says another node's users moved (othersChanged).
 * The cost: a change another node wrote shows up to that much later here
 * if its event has not come yet (this node's own, never).
 */
const OTHERS_READ_MS = 250;

/**
 * How soon after the last read began a `presence_changed` brings the next
 * (ms): the askers wait for it, all for one read. Each guest's login, move
 * and logout on another node sends one, and when it started a read at
 * once, 60 guests logging in and out on one node added 28 to 106 reads in
 * 0.2 to 0.5 s to a socket asking list_users on another (12 to 16 ms each
 * at 2,000 accounts): the quarter second's cache was gone. Now reads come
 * at most ten a second whatever the churn; a count or list read after the
 * event still sees it, at most that much later.
 */
const OTHERS_REREAD_MS = 100;

/**
 * Presence shared through Redis. Each node keeps its connections in its own
 * hashes that expire unless it heartbeats, and lists itself in a sorted set
 * scored by expiry time; readers look only at live nodes. A node that dies
 * drops out of every count within the TTL (`--presence-ttl`). While Redis is
 * unreachable, answers fall back to this node's own view.
 */
export class RedisPresence implements PresenceManager {
  #redis: Redis;
  #node: string;
  #fallback: MemoryPresence;
  #entries = new Map<string, PresenceEntry>();
  #users = new Map<string, LocalUser>();
  #timer: ReturnType<typeof setInterval>;
  #liveNodes = new Set<string>();
  /**
   * Nodes known live: the last beat's and any a read found since. Those
   * Redis no longer lists when this node writes its users again are
   * awaited (#awaited): a beat alone comes a third of a TTL apart, and may
   * not have seen a node started since.
   */
  #known = new Set<string>();
  /** False after a command failed, until a read or a heartbeat is answered (`#exec`). */
  #answering = true;
  #handlers: (() => void)[] = [];
  #ttl: number;
  #hearing: () => Promise<void>;
  /**
   * Nodes live before Redis came back without them, and until when (ms)
   * they are awaited: presence lacks their users until they write them
   * again (`settling`).
   */
  #awaited = new Map<string, number>();
  /**
   * False from a lost connection until this node wrote its entries again.
   * Meanwhile its beats do not list it (ZADD XX): a node listed is a node
   * whose users are written, so one missing from a list is really gone.
   */
  #written = false;
  #rejoining: Promise<void> | undefined;
  /** The read of everyone this turn's callers share, until it is sent (#everyone). */
  #nextRead: Promise<Entries | undefined> | undefined;
  /** The last read of the other nodes' entries, and when it started (#recent). */
  #others?: {
    at: number;
    /** A `presence_changed` came after it began (othersChanged). */
    stale?: boolean;
    asked: Set<string>;
    nodes: Promise<Map<string, PresenceEntry[]>>;
  };
  #rejoinTimer: ReturnType<typeof setTimeout> | undefined;
  /** The wait of a read due OTHERS_REREAD_MS after the last (#recent). */
  #reread?: { timer: ReturnType<typeof setTimeout>; done: () => void };
  #closed = false;

  constructor(redis: Redis, options: RedisPresenceOptions) {
    this.#redis = redis;
    this.#node = options.nodeId;
    this.#fallback = options.fallback;
    this.#ttl = options.ttlMs;
    this.#hearing = options.hearing ?? (() => Promise.resolve());
    // Three heartbeats per TTL: one lost beat does not expire a live node.
    this.#timer = setInterval(() => this.#beat(), this.#ttl / 3);
    // After a reconnect our keys may be gone (Redis restarted empty): write
    // them all again, and be listed only with them.
    redis.on("close", () => this.#written = false);
    redis.on("ready", () => void this.#rejoin());
  }

  /** Registers this node; call once at start. */
  async start(): Promise<void> {
    await this.#heartbeat(true);
  }

  async add(entry: PresenceEntry): Promise<boolean> {
    const user = this.#users.get(entry.userKey);
    try {
      const now = Date.now();
      const granted = await this.#redis.eval(
        CLAIM_SCRIPT,
        4,
        NODES,
        names(this.#node),
        guestLogins(this.#node),
        guestLooks(this.#node),
        entry.userKey,
        entry.guest ? "g" : "a",
        String(now),
        this.#node,
        entry.username,
        String(this.#ttl),
        String(entry.since),
        nameSkeleton(entry.username),
      );
      if (granted !== 1) return false;
    } catch (error) {
      logger.error(
        "Redis unreachable, name {name} checked on this node only: {error}",
        {
          name: entry.username,
          error: (error as Error).message,
        },
      );
    }
    if (user) {
      user.connections++;
      // A shown connection beside hidden ones: the user is watching again.
      if (user.hidden > 0) this.#writeHidden(entry.userKey, user);
    } else {
      this.#users.set(entry.userKey, {
        name: entry.username,
        guest: entry.guest,
        since: entry.since,
        connections: 1,
        hidden: 0,
      });
    }
    this.#entries.set(entry.id, { ...entry, hidden: false });
    this.#write(entry);
    return true;
  }

  move(id: string, roomKey: string, rooms?: string[]): void {
    const entry = this.#entries.get(id);
    if (!entry) return;
    entry.roomKey = roomKey;
    if (rooms) entry.rooms = rooms;
    else delete entry.rooms;
    this.#write(entry);
  }

  remove(id: string): void {
    const entry = this.#entries.get(id);
    if (!entry) return;
    this.#entries.delete(id);
    const pipeline = this.#redis.pipeline().hdel(conns(this.#node), id);
    const user = this.#users.get(entry.userKey);
    if (user && entry.hidden) user.hidden--;
    if (user && --user.connections <= 0) {
      this.#users.delete(entry.userKey);
      pipeline.hdel(names(this.#node), entry.userKey)
        .hdel(hiddenUsers(this.#node), entry.userKey)
        .hdel(guestLogins(this.#node), entry.userKey);
      if (user.guest) {
        pipeline.hdel(guestLooks(this.#node), nameSkeleton(user.name));
      }
    } else if (user && (user.hidden > 0 || entry.hidden)) {
      this.#hiddenChange(pipeline, entry.userKey, user);
    }
    pipeline.exec().catch((error) => this.#lost(error));
  }

  setHidden(id: string, hidden: boolean): void {
    const entry = this.#entries.get(id);
    const user = entry && this.#users.get(entry.userKey);
    if (!entry || !user || (entry.hidden ?? false) === hidden) return;
    entry.hidden = hidden;
    user.hidden += hidden ? 1 : -1;
    this.#write(entry);
    this.#writeHidden(entry.userKey, user);
  }

  async watchingAmong(userKeys: readonly string[]): Promise<Set<string>> {
    const watching = new Set<string>();
    if (userKeys.length === 0) return watching;
    try {
      const pipeline = this.#redis.pipeline();
      const now = String(Date.now());
      for (let i = 0; i < userKeys.length; i += WATCHING_RUN) {
        pipeline.eval(
          WATCHING_SCRIPT,
          1,
          NODES,
          now,
          ...userKeys.slice(i, i + WATCHING_RUN),
        );
      }
      for (const [error, answer] of await this.#exec(pipeline)) {
        if (error) throw error;
        const [live, found] = answer as [string[], string[]];
        for (const node of live) this.#known.add(node);
        for (const key of found) watching.add(key);
      }
      return watching;
    } catch (error) {
      this.#lost(error);
      return await this.#fallback.watchingAmong(userKeys);
    }
  }

  #writeHidden(userKey: string, user: LocalUser): void {
    const pipeline = this.#redis.pipeline();
    this.#hiddenChange(pipeline, userKey, user);
    pipeline.exec().catch((error) => this.#lost(error));
  }

  // Adds to `pipeline` the hidden mark the user's connections here call for.
  #hiddenChange(
    pipeline: ReturnType<Redis["pipeline"]>,
    userKey: string,
    user: LocalUser,
  ): void {
    if (user.hidden > 0 && user.hidden >= user.connections) {
      pipeline.hset(hiddenUsers(this.#node), userKey, "1")
        .pexpire(hiddenUsers(this.#node), this.#ttl);
    } else {
      pipeline.hdel(hiddenUsers(this.#node), userKey);
    }
  }

  #write(entry: PresenceEntry): void {
    this.#redis.pipeline()
      .hset(conns(this.#node), entry.id, JSON.stringify(entry))
      .pexpire(conns(this.#node), this.#ttl)
      .exec()
      .catch((error) => this.#lost(error));
  }

  // The nodes whose lease runs, noted as known.
  async #liveNow(): Promise<string[]> {
    const live = await this.#redis.zrangebyscore(NODES, Date.now(), "+inf");
    for (const node of live) this.#known.add(node);
    return live;
  }

  /**
   * Every live node's entries, or undefined when Redis does not answer.
   * The calls of one turn of the event loop share one read, sent once the
   * turn's code has run (a microtask), so each caller still gets a read
   * sent after it asked: a room deleted or made private moves its every
   * member looking at it at once, and each move asks connectionsIn for the
   * room left and the room entered. A read each was two round trips and
   * every entry of the cluster parsed, per member: 2,000 members, 4,000
   * reads of everyone.
   */
  #everyone(): Promise<Entries | undefined> {
    this.#nextRead ??= Promise.resolve().then(() => {
      this.#nextRead = undefined;
      return this.#readEveryone();
    });
    return this.#nextRead;
  }

  async #readEveryone(): Promise<Entries | undefined> {
    try {
      const live = await this.#liveNow();
      return new Entries(
        (await this.#entriesOf(live)).flatMap(([, entries]) => entries),
      );
    } catch (error) {
      this.#lost(error);
      return undefined;
    }
  }

  // These nodes' entries, each node's apart, in one round trip.
  async #entriesOf(
    nodes: string[],
  ): Promise<[string, PresenceEntry[]][]> {
    const pipeline = this.#redis.pipeline();
    for (const node of nodes) pipeline.hvals(conns(node));
    const results = await this.#exec(pipeline);
    return results.map(([error, values], i) => {
      if (error) throw error;
      return [
        nodes[i],
        (values as string[]).map((value) => JSON.parse(value)),
      ];
    });
  }

  // Every live node's entries for counts and lists: this node's as they
  // are now, the others' as read at most OTHERS_READ_MS ago (one read at a
  // time, shared). The live nodes are asked each time (one small command),
  // so a node that closed or died drops out at once and a new one is read
  // at once. Undefined when Redis does not answer.
  async #recent(): Promise<Entries | undefined> {
    try {
      const live = (await this.#liveNow()).filter((n) => n !== this.#node);
      let others = this.#others;
      const now = performance.now();
      if (
        others === undefined ||
        now - others.at >= OTHERS_READ_MS ||
        (others.stale && now - others.at >= OTHERS_REREAD_MS) ||
        live.some((node) => !others!.asked.has(node))
      ) {
        others = {
          at: now,
          asked: new Set(live),
          nodes: this.#entriesOf(live).then((read) => new Map(read)),
        };
        this.#others = others;
      } else if (others.stale) {
        const at = others.at + OTHERS_REREAD_MS;
        others = {
          at,
          asked: new Set(live),
          nodes: this.#waitFor(at - now).then(() => this.#entriesOf(live))
            .then((read) => new Map(read)),
        };
        this.#others = others;
      }
      const nodes = await others.nodes.catch((error) => {
        // A failed read is not kept: the next asks Redis again.
        if (this.#others === others) this.#others = undefined;
        throw error;
      });
      return new Entries([
        ...this.#entries.values(),
        ...live.flatMap((node) => nodes.get(node) ?? []),
      ]);
    } catch (error) {
      this.#lost(error);
      return undefined;
    }
  }

  async roomCounts(): Promise<Map<string, number>> {
    const all = await this.#recent();
    if (!all) return await this.#fallback.roomCounts();
    const users = new Map<string, Set<string>>();
    for (const entry of all.all) {
      for (const room of entry.rooms ?? [entry.roomKey]) {
        let set = users.get(room);
        if (!set) users.set(room, set = new Set());
        set.add(entry.userKey);
      }
    }
    return new Map([...users].map(([room, set]) => [room, set.size]));
  }

  roomCountsNow(): undefined {
    return undefined;
  }

  async usersIn(roomKey: string): Promise<string[]> {
    const all = await this.#recent();
    if (!all) return await this.#fallback.usersIn(roomKey);
    const byKey = new Map<string, string>();
    for (const entry of all.all) {
      if ((entry.rooms ?? [entry.roomKey]).includes(roomKey)) {
        byKey.set(entry.userKey, entry.username);
      }
    }
    return sortNames(byKey.values());
  }

  othersChanged(): void {
    // A read that has not begun yet (its wait, #waitFor) will see it.
    const others = this.#others;
    if (others && others.at <= performance.now()) others.stale = true;
  }

  // Resolves after `ms`, or at once when presence closes.
  #waitFor(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        if (this.#reread?.done === done) this.#reread = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#reread?.done();
      this.#reread = { timer, done };
    });
  }

  async accountsIn(roomKey: string): Promise<string[]> {
    const all = await this.#recent();
    if (!all) return await this.#fallback.accountsIn(roomKey);
    const keys = new Set<string>();
    for (const entry of all.all) {
      if (!entry.guest && (entry.rooms ?? [entry.roomKey]).includes(roomKey)) {
        keys.add(entry.userKey);
      }
    }
    return [...keys];
  }

  async connectionsIn(userKey: string, roomKey: string): Promise<number> {
    const all = await this.#everyone();
    if (!all) return await this.#fallback.connectionsIn(userKey, roomKey);
    return all.of(userKey).filter((e) => e.roomKey === roomKey).length;
  }

  async guestAddresses(userKey: string): Promise<string[]> {
    const all = await this.#everyone();
    if (!all) return await this.#fallback.guestAddresses(userKey);
    return [
      ...new Set(all.of(userKey).filter((e) => e.guest).map((e) => e.address)),
    ];
  }

  async onlineName(userKey: string): Promise<string | undefined> {
    const held = await this.#held(userKey);
    if (held === undefined) return await this.#fallback.onlineName(userKey);
    return held[0]?.slice(2);
  }

  async onlineStartingWith(prefix: string): Promise<string[]> {
    // HSCAN's MATCH walks each live node's names hash inside Redis and
    // sends back only the matches: the cost grows with the users online,
    // never with the accounts. Glob characters in a name match themselves.
    const pattern = prefix.replace(/[\\*?[\]]/g, "\\$&") + "*";
    try {
      const found = new Set<string>();
      for (const node of await this.#liveNow()) {
        let cursor = "0";
        do {
          const [next, pairs] = await this.#redis.hscan(
            names(node),
            cursor,
            "MATCH",
            pattern,
            "COUNT",
            1000,
          );
          for (let i = 0; i < pairs.length; i += 2) found.add(pairs[i]);
          cursor = next;
        } while (cursor !== "0");
      }
      this.#answering = true;
      return [...found];
    } catch (error) {
      this.#lost(error);
      return await this.#fallback.onlineStartingWith(prefix);
    }
  }

  async isGuestOnline(userKey: string): Promise<boolean> {
    const held = await this.#held(userKey);
    if (held === undefined) return await this.#fallback.isGuestOnline(userKey);
    return held.some((value) => value.startsWith("g:"));
  }

  async guestLookingLike(name: string): Promise<string | undefined> {
    const skeleton = nameSkeleton(name);
    try {
      const live = await this.#liveNow();
      const pipeline = this.#redis.pipeline();
      for (const node of live) pipeline.hget(guestLooks(node), skeleton);
      for (const [error, value] of await this.#exec(pipeline)) {
        if (error) throw error;
        if (value !== null) return value as string;
      }
      return undefined;
    } catch (error) {
      this.#lost(error);
      return await this.#fallback.guestLookingLike(name);
    }
  }

  async guestSince(userKey: string): Promise<number | undefined> {
    try {
      const live = await this.#liveNow();
      const pipeline = this.#redis.pipeline();
      for (const node of live) pipeline.hget(guestLogins(node), userKey);
      let since: number | undefined;
      for (const [error, value] of await this.#exec(pipeline)) {
        if (error) throw error;
        if (value !== null) since = Math.max(since ?? 0, Number(value));
      }
      return since;
    } catch (error) {
      this.#lost(error);
      return await this.#fallback.guestSince(userKey);
    }
  }

  // The name's entries on every live node ("g:<name>" or "a:<name>").
  async #held(userKey: string): Promise<string[] | undefined> {
    try {
      const live = await this.#liveNow();
      const pipeline = this.#redis.pipeline();
      for (const node of live) pipeline.hget(names(node), userKey);
      const results = await this.#exec(pipeline);
      return results.map(([, value]) => value as string | null).filter((
        v,
      ): v is string => v !== null);
    } catch (error) {
      this.#lost(error);
      return undefined;
    }
  }

  settling(): boolean {
    if (this.#closed || this.#redis.status !== "ready") return false;
    if (!this.#written) return true;
    const now = Date.now();
    for (const [node, until] of this.#awaited) {
      if (until > now) return true;
      this.#awaited.delete(node);
    }
    return false;
  }

  async settled(): Promise<void> {
    // A node awaited is dead for presence one TTL after Redis came back;
    // this node's own rewrite waits a beat at most (#rejoin).
    const until = Date.now() + this.#ttl;
    while (this.settling() && Date.now() < until) {
      if (this.#written) {
        try {
          for (const node of await this.#liveNow()) {
            this.#awaited.delete(node);
          }
          if (!this.settling()) return;
        } catch (error) {
          this.#lost(error);
          return;
        }
      }
      await new Promise((resolve) => setTimeout(resolve, SETTLE_POLL_MS));
    }
  }

  onChange(handler: () => void): void {
    this.#handlers.push(handler);
  }

  healthy(): boolean {
    return this.#redis.status === "ready" && this.#answering;
  }

  // The timer's beat: a renewal, or, after a lost connection, the rewrite.
  #beat(): void {
    if (this.#written) void this.#heartbeat();
    else if (this.#redis.status === "ready") void this.#rejoin();
  }

  // Writes every entry again once this node hears publications
  // (RedisPresenceOptions.hearing), or a beat later at most: a
  // subscription that does not come back must not keep its users out of
  // presence for good. One at a time.
  #rejoin(): Promise<void> {
    this.#rejoining ??= (async () => {
      try {
        await Promise.race([
          this.#hearing(),
          new Promise((resolve) =>
            this.#rejoinTimer = setTimeout(resolve, this.#ttl / 3)
          ),
        ]);
        clearTimeout(this.#rejoinTimer);
        await this.#heartbeat(true);
      } finally {
        clearTimeout(this.#rejoinTimer);
        this.#rejoining = undefined;
      }
    })();
    return this.#rejoining;
  }

  // Renews this node's lease; with `rewrite`, writes every entry again and
  // lists the node, in one MULTI: nobody sees it listed without them.
  // Also notices nodes that stopped heartbeating and tells the handlers.
  async #heartbeat(rewrite = false): Promise<void> {
    if (this.#closed) return;
    const now = Date.now();
    // Whether this node's hashes should exist as the beat is sent.
    const holding = this.#entries.size > 0;
    try {
      const pipeline = rewrite ? this.#redis.multi() : this.#redis.pipeline();
      if (!rewrite) {
        // XX: a renewal never lists the node again once Redis lost it (a
        // restart); CH answers 0 then, and the rewrite below lists it.
        pipeline.zadd(NODES, "XX", "CH", now + this.#ttl, this.#node);
      }
      if (rewrite) {
        pipeline.del(
          conns(this.#node),
          names(this.#node),
          hiddenUsers(this.#node),
          guestLogins(this.#node),
          guestLooks(this.#node),
        );
        for (const entry of this.#entries.values()) {
          pipeline.hset(conns(this.#node), entry.id, JSON.stringify(entry));
        }
        for (const [key, user] of this.#users) {
          pipeline.hset(
            names(this.#node),
            key,
            `${user.guest ? "g" : "a"}:${user.name}`,
          );
          if (user.hidden > 0 && user.hidden >= user.connections) {
            pipeline.hset(hiddenUsers(this.#node), key, "1");
          }
          if (user.guest) {
            pipeline.hset(guestLogins(this.#node), key, String(user.since))
              .hset(guestLooks(this.#node), nameSkeleton(user.name), user.name);
          }
        }
      }
      if (rewrite) pipeline.zadd(NODES, now + this.#ttl, this.#node);
      // The guests' looks and logins first: the check below reads the answer of
      // conns' PEXPIRE fourth from the end.
      pipeline
        .zremrangebyscore(NODES, "-inf", now - this.#ttl)
        .pexpire(guestLooks(this.#node), this.#ttl)
        .pexpire(guestLogins(this.#node), this.#ttl)
        .pexpire(conns(this.#node), this.#ttl)
        .pexpire(names(this.#node), this.#ttl)
        .pexpire(hiddenUsers(this.#node), this.#ttl)
        .zrangebyscore(NODES, now, "+inf");
      const results = await this.#exec(pipeline);
      // PEXPIRE answers 0 for a key that is gone. Redis frozen (SIGSTOP, a
      // VM paused) past the TTL expires our hashes while the connection
      // stays up, so no "ready" comes to write them again: this node's
      // users left every count for good (25 s frozen at a 15 s TTL: a room
      // of 6 showed 0 until they reconnected). Finding them gone, write
      // them all again now; costs one rewrite beat, no extra round trip.
      // Not listed any more (Redis restarted, or frozen past the TTL and
      // the node swept out): the same.
      if (
        !rewrite &&
        (results[0]?.[1] === 0 || (holding && results.at(-4)?.[1] === 0))
      ) {
        return await this.#rejoin();
      }
      const live = new Set(results.at(-1)?.[1] as string[] ?? []);
      if (rewrite) {
        this.#written = true;
        // Nodes live at our last beat that Redis no longer lists lost
        // their entries with it (a restart), or stopped: awaited one TTL,
        // after which they would have expired anyway.
        for (const node of this.#known) {
          if (!live.has(node) && node !== this.#node) {
            this.#awaited.set(node, now + this.#ttl);
          }
        }
      }
      for (const node of live) this.#awaited.delete(node);
      const gone = [...this.#liveNodes].some((node) => !live.has(node));
      const added = [...live].some((node) => !this.#liveNodes.has(node));
      this.#liveNodes = live;
      this.#known = new Set(live);
      if (gone || added || rewrite) {
        for (const handler of this.#handlers) handler();
      }
    } catch (error) {
      this.#lost(error);
    }
  }

  /**
   * Sends `pipeline` and notes that Redis answered: the one place that
   * makes {@linkcode RedisPresence.healthy} true again after a failure.
   * The writes sent without waiting (`#write`, `remove`) do not come
   * here: their answers are not awaited, and a heartbeat follows within
   * a third of the TTL.
   */
  async #exec(
    pipeline: ReturnType<Redis["pipeline"]>,
  ): Promise<[Error | null, unknown][]> {
    const results = await pipeline.exec() ?? [];
    this.#answering = true;
    return results;
  }

  #lost(error: unknown): void {
    // Redis frozen with its connection open stays "ready": the heartbeat's
    // timeout is what tells /healthz (within a heartbeat and a timeout).
    this.#answering = false;
    logger.error("Redis presence error: {error}", {
      error: (error as Error).message,
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    clearTimeout(this.#rejoinTimer);
    this.#reread?.done();
    try {
      await this.#redis.pipeline()
        .zrem(NODES, this.#node)
        .del(
          conns(this.#node),
          names(this.#node),
          hiddenUsers(this.#node),
          guestLogins(this.#node),
          guestLooks(this.#node),
        )
        .exec();
    } catch {
      // Redis is away: the keys expire on their own.
    }
  }
}
