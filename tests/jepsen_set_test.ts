/**
 * A Jepsen-style set test of three nodes on one PostgreSQL and one Redis:
 * 20 clients add unique `client_id`s to three rooms while the test drops
 * every socket, SIGKILLs a node and starts it again, restarts Redis and
 * restarts PostgreSQL. Each client retries what was not acknowledged with
 * the same `client_id` after reconnecting, as docs/protocol.md
 * "Reconnecting without gaps or duplicates" says. Afterwards a fresh client
 * reads every room: each acknowledged message is there exactly once, each
 * unacknowledged one at most once, nothing else, and each room's seqs are
 * 1..N with no gap or duplicate.
 *
 * Beside it, two smaller histories across the nodes: a private message
 * queued for an offline account whose next socket dies right after login,
 * and edits and deletes made while a reader was away.
 *
 * The work is bounded by counts, not by a clock; every wait for the
 * servers' answer is at least a minute, since this runs on busy machines.
 */
import assert from "node:assert/strict";
import {
  delay,
  type Frame,
  historyOf,
  RawSocket,
  type ServerProcess,
  spawnServer,
  TEST_PASSWORD,
  TestClient,
} from "./harness.ts";
import {
  needing,
  POSTGRES,
  type PostgresService,
  type RedisService,
  redisSkipReason,
  startRedis,
  startRedisOnPort,
  testsOnService,
} from "./services.ts";

/** Any wait for a server's answer: generous, the machine is shared. */
const PATIENCE_MS = 60_000;
/** How long one client may go on failing before the test gives up. */
const GIVE_UP_MS = 240_000;

const CLIENTS = 20;
const ROOMS = ["alpha", "beta", "gamma"];
/** Messages each client adds in each phase; one fault per phase. */
const PER_PHASE = 3;
/** Phases: a quiet one, four with a fault each, a quiet one. */
const PHASES = 6;

interface Message {
  id: string;
  seq: number;
  room?: string;
  to?: string;
  user: string;
  text: string;
  client_id?: string;
  edited_at?: string;
  deleted?: boolean;
}

await testsOnService(
  "jepsen set",
  needing(POSTGRES, redisSkipReason),
  registerTests,
);

/** Three nodes that a test may kill and start again; all stopped at the end. */
class Nodes {
  readonly #args: string[];
  /** `list[i]` is node `n${i + 1}`, or undefined while it is down. */
  readonly list: (ServerProcess | undefined)[] = [];
  /** Every process started, for the logs and the final stop. */
  readonly #all: { id: string; node: ServerProcess }[] = [];

  constructor(databaseUrl: string, redisUrl: string, args: string[]) {
    this.#args = [
      "--database-url",
      databaseUrl,
      "--redis-url",
      redisUrl,
      ...args,
    ];
  }

  /** Starts node `i` (0-based). */
  async start(i: number): Promise<ServerProcess> {
    const id = `n${i + 1}`;
    const node = await spawnServer([...this.#args, "--node-id", id]);
    this.#all.push({ id, node });
    this.list[i] = node;
    return node;
  }

  /** SIGKILLs node `i`. */
  async kill(i: number): Promise<void> {
    const node = this.list[i];
    this.list[i] = undefined;
    await node?.stop("SIGKILL");
  }

  /** Stops every process still running. */
  async stop(): Promise<void> {
    await Promise.all(this.#all.map(({ node }) => node.stop()));
  }

  /** The end of every process's output, for a failure message. */
  logs(lines = 40): string {
    return this.#all.map(({ id, node }) =>
      `--- ${id} (${node.url})\n${
        node.output().split("\n").map((l) => l.slice(0, 300)).slice(-lines)
          .join("\n")
      }`
    ).join("\n");
  }
}

interface World {
  nodes: Nodes;
  redis: RedisService;
  /** Sockets opened by the test body, closed at the end. */
  clients: Set<TestClient>;
}

let databases = 0;

/**
 * A test on three fresh nodes with a database and a Redis of their own;
 * every process and socket it started is stopped at the end, and on
 * failure the nodes' logs are added to the error.
 */
function worldTest(
  pg: PostgresService,
  name: string,
  body: (world: World) => Promise<void>,
): void {
  Deno.test(name, async () => {
    const database = `jepsen_${++databases}`;
    const url = await pg.createDatabase(database);
    const world: World = {
      redis: (await startRedis())!,
      nodes: undefined as unknown as Nodes,
      clients: new Set(),
    };
    const redisPort = world.redis.port;
    world.nodes = new Nodes(url, `redis://127.0.0.1:${redisPort}`, [
      "--rate-limits",
      "off",
      "--presence-ttl",
      "2",
    ]);
    try {
      await Promise.all([0, 1, 2].map((i) => world.nodes.start(i)));
      try {
        await body(world);
      } catch (error) {
        throw new Error(
          `${
            (error as Error).stack ?? error
          }\n\nNode logs:\n${world.nodes.logs()}`,
        );
      }
    } finally {
      await Promise.all([...world.clients].map((c) => c.close()));
      await world.nodes.stop();
      await world.redis.stop();
      await pg.start().catch(() => {});
      await pg.dropDatabase(database);
    }
  });
}

/** Opens a socket the test closes at the end. */
async function open(world: World, node: ServerProcess): Promise<TestClient> {
  const client = await TestClient.connect(node.wsUrl);
  world.clients.add(client);
  return client;
}

/** A request whose reply may take as long as a busy machine needs. */
async function ask(
  client: TestClient,
  action: string,
  data?: Record<string, unknown>,
): Promise<Frame["data"]> {
  const reply = await client.request(action, data, {
    timeoutMs: PATIENCE_MS,
  });
  if (reply.action !== "success") {
    throw new Error(`${action} failed: ${JSON.stringify(reply.data)}`);
  }
  return reply.data;
}

/** Logs a guest in on a node; returns the open client. */
async function guest(
  world: World,
  node: ServerProcess,
  data: Record<string, unknown>,
): Promise<TestClient> {
  const client = await open(world, node);
  try {
    await ask(client, "login", data);
    return client;
  } catch (error) {
    await client.close();
    world.clients.delete(client);
    throw error;
  }
}

// ------------------------------------------------------------ the set test

/** What one client knows at the end. */
interface Outcome {
  /** Acknowledged: client_id -> the message of the `success` reply. */
  acked: Map<string, Message>;
  /** Sent at least once and never acknowledged (given up). */
  unacked: Set<string>;
  /** Attempts that got no acknowledgement. */
  failures: number;
}

/**
 * One client of the set test: a guest that keeps its `guest_key`, sends to
 * one room, reconnects round robin over the nodes after any failure, and
 * retries with the same `client_id`. Messages whose index is 4 mod 5 are
 * abandoned when their first attempt is not acknowledged: they are the
 * "unacknowledged" part of the set.
 */
class SetClient {
  readonly name: string;
  readonly room: string;
  readonly outcome: Outcome = {
    acked: new Map(),
    unacked: new Set(),
    failures: 0,
  };
  #world: World;
  #index: number;
  #attempts = 0;
  #guestKey?: string;
  #client?: TestClient;
  #next = 0;

  constructor(world: World, index: number) {
    this.#world = world;
    this.#index = index;
    this.name = `c${index}`;
    this.room = ROOMS[index % ROOMS.length];
  }

  /** Drops the current socket at once, as a network cut would. */
  drop(): void {
    this.#client?.socket.close();
  }

  /** Adds `count` new messages to the set, each acknowledged or given up. */
  async add(count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      const n = this.#next++;
      const clientId = `${this.name}-${n}`;
      const text = `${this.name} message ${n}`;
      await this.#deliver(clientId, text, n % 5 === 4);
    }
  }

  async #deliver(
    clientId: string,
    text: string,
    abandonOnFailure: boolean,
  ): Promise<void> {
    const started = Date.now();
    for (;;) {
      let sent = false;
      try {
        const client = await this.#connected();
        sent = true;
        const reply = await client.request(
          "send_message",
          { text, client_id: clientId },
          { timeoutMs: PATIENCE_MS },
        );
        if (reply.action === "success") {
          const message = reply.data.message as Message;
          assert.equal(message.client_id, clientId);
          assert.equal(message.text, text);
          this.outcome.acked.set(clientId, message);
          this.outcome.unacked.delete(clientId);
          return;
        }
        // `internal` while the database is away: the send may or may not
        // have been stored. Anything else is a bug.
        assert.equal(reply.data.code, "internal", JSON.stringify(reply.data));
      } catch (error) {
        if (error instanceof assert.AssertionError) throw error;
        this.#disconnect();
      }
      if (sent) {
        this.outcome.unacked.add(clientId);
        this.outcome.failures++;
        if (abandonOnFailure) return;
      }
      if (Date.now() - started > GIVE_UP_MS) {
        throw new Error(`${this.name} could not deliver ${clientId}`);
      }
      await delay(200);
    }
  }

  #disconnect(): void {
    const client = this.#client;
    this.#client = undefined;
    if (client) {
      client.socket.close();
      this.#world.clients.delete(client);
    }
  }

  /** The open, logged-in socket in this client's room; reconnects if needed. */
  async #connected(): Promise<TestClient> {
    const current = this.#client;
    if (current && current.closeCode === undefined) return current;
    this.#disconnect();
    const started = Date.now();
    for (;;) {
      const node = this.#world.nodes.list[
        (this.#index + this.#attempts++) % 3
      ];
      if (node) {
        try {
          const client = await this.#login(node);
          if (client) return client;
        } catch {
          // The node is down, or its database or Redis: try the next one.
        }
      }
      if (Date.now() - started > GIVE_UP_MS) {
        throw new assert.AssertionError({
          message: `${this.name} could not log in again`,
        });
      }
      await delay(200);
    }
  }

  async #login(node: ServerProcess): Promise<TestClient | undefined> {
    const client = await open(this.#world, node);
    this.#client = client;
    const reply = await client.request("login", {
      username: this.name,
      ...(this.#guestKey ? { guest_key: this.#guestKey } : {}),
    }, { timeoutMs: PATIENCE_MS });
    if (reply.action !== "success") {
      // username_taken until the node notices (or forgets) the old socket.
      this.#disconnect();
      return undefined;
    }
    this.#guestKey = reply.data.guest_key as string;
    await ask(client, "join_room", { room: this.room });
    return client;
  }

  /** Closes its socket. */
  async close(): Promise<void> {
    const client = this.#client;
    this.#disconnect();
    await client?.close();
  }
}

/** A fault: `strike` breaks something, `heal` mends it. */
interface Fault {
  name: string;
  strike(): Promise<void>;
  heal(): Promise<void>;
}

/**
 * The faults, one per phase. Phases 0 and 5 have none, so the faults meet
 * a cluster that was working and leave one that must work again.
 */
function faults(
  world: World,
  pg: PostgresService,
  clients: SetClient[],
): Fault[] {
  const none = async () => {};
  let redisPort = 0;
  return [
    { name: "none", strike: none, heal: none },
    {
      name: "every socket dropped",
      // Right after the clients sent: some sends are in flight.
      async strike() {
        await delay(5);
        for (const client of clients) client.drop();
      },
      heal: none,
    },
    {
      name: "n3 SIGKILLed",
      strike: () => world.nodes.kill(2),
      async heal() {
        await world.nodes.start(2);
      },
    },
    {
      name: "Redis restarted",
      async strike() {
        redisPort = world.redis.port;
        await world.redis.stop();
      },
      async heal() {
        world.redis = (await startRedisOnPort(redisPort))!;
      },
    },
    {
      name: "PostgreSQL restarted",
      strike: () => pg.shutdown(),
      heal: () => pg.start(),
    },
    { name: "none", strike: none, heal: none },
  ];
}

/**
 * One phase: every client adds one message on a working cluster; then the
 * fault strikes while they add the rest, and is healed a second later.
 */
async function phase(clients: SetClient[], fault: Fault): Promise<void> {
  await Promise.all(clients.map((client) => client.add(1)));
  await Promise.all([
    (async () => {
      await fault.strike();
      await delay(1000);
      await fault.heal();
    })(),
    ...clients.map((client) => client.add(PER_PHASE - 1)),
  ]);
}

function registerTests(pg: PostgresService): void {
  worldTest(
    pg,
    "jepsen set: across dropped sockets, a killed node and restarts of Redis and PostgreSQL, every acknowledged message is stored once and every room counts 1..N",
    async (world) => {
      const first = world.nodes.list[0]!;
      const owner = await guest(world, first, { username: "owner" });
      for (const room of ROOMS) await ask(owner, "create_room", { room });
      await owner.close();
      const clients = Array.from(
        { length: CLIENTS },
        (_, i) => new SetClient(world, i),
      );
      try {
        for (const fault of faults(world, pg, clients)) {
          await phase(clients, fault);
        }
      } finally {
        await Promise.all(clients.map((client) => client.close()));
      }

      // A fresh client reads everything.
      const reader = await guest(world, world.nodes.list[1]!, {
        username: "reader",
      });
      const stored = new Map<string, Message>();
      let acknowledged = 0;
      let unacknowledged = 0;
      for (const room of ROOMS) {
        const messages = await historyOf<Message>(reader, room);
        assert.deepEqual(
          messages.map((m) => m.seq),
          messages.map((_, i) => i + 1),
          `${room}: seqs 1..${messages.length}, no gap, no duplicate`,
        );
        for (const message of messages) {
          const key = message.client_id!;
          assert.ok(key, `${room} seq ${message.seq} has its client_id`);
          assert.equal(
            stored.has(key),
            false,
            `${key} stored twice: seqs ${
              stored.get(key)?.seq
            } and ${message.seq}`,
          );
          stored.set(key, message);
        }
      }
      for (const client of clients) {
        const { acked, unacked } = client.outcome;
        acknowledged += acked.size;
        unacknowledged += unacked.size;
        for (const [key, message] of acked) {
          const found = stored.get(key);
          assert.ok(found, `acknowledged ${key} (seq ${message.seq}) is lost`);
          assert.equal(found.room, client.room);
          assert.deepEqual(
            { id: found.id, seq: found.seq, user: found.user },
            { id: message.id, seq: message.seq, user: client.name },
            `${key} as acknowledged`,
          );
        }
      }
      const sent = new Set(
        clients.flatMap((c) => [
          ...c.outcome.acked.keys(),
          ...c.outcome.unacked,
        ]),
      );
      for (const key of stored.keys()) {
        assert.ok(sent.has(key), `${key} was stored but never sent`);
      }
      const total = CLIENTS * PER_PHASE * PHASES;
      assert.equal(acknowledged + unacknowledged, total);
      assert.ok(
        stored.size >= acknowledged && stored.size <= total,
        `${stored.size} stored of ${acknowledged} acknowledged`,
      );
      const failures = clients.reduce((n, c) => n + c.outcome.failures, 0);
      console.log(
        `jepsen set: ${acknowledged} acknowledged, ${unacknowledged} ` +
          `unacknowledged (${stored.size - acknowledged} of them stored), ` +
          `${failures} attempts without an answer`,
      );
      // The faults met sends: otherwise this test proves nothing.
      assert.ok(failures > 0, "no send met a fault");
    },
  );

  worldTest(
    pg,
    "jepsen set: a private message queued for an offline account is pushed at a later login when the socket that logged in died at once",
    async (world) => {
      const [n1, n2, n3] = world.nodes.list as ServerProcess[];
      const olga = await open(world, n1);
      const registered = await olga.request("register", {
        username: "olga",
        password: TEST_PASSWORD,
      });
      assert.equal(registered.action, "success");
      const token = olga.token!;
      await olga.close();
      const sender = await guest(world, n2, { username: "sender" });
      const ROUNDS = 4;
      for (let round = 0; round < ROUNDS; round++) {
        // Offline means gone from presence on every node.
        await waitUntil(async () => {
          const { users } = await ask(sender, "list_users", {
            room: "general",
          });
          return !(users as string[]).includes("olga");
        }, "olga offline");
        const sent = (await ask(sender, "private_message", {
          to: "olga",
          text: `queued ${round}`,
          client_id: `dm-${round}`,
        })).message as Message;
        // A socket logs in and dies: at once, or right after the reply.
        const dying = await RawSocket.open(n3.wsUrl);
        const logins = countLogins(n3, "olga");
        await dying.sendText(
          JSON.stringify({ action: "login", id: "l", data: { token } }),
        );
        // The reply and the pushed messages share one frame: then this
        // socket did get the message, and no later login owes it. Events
        // from other nodes (a room list, a presence change) may come in
        // frames before it, from the moment the login claimed the name.
        const got = round % 2 === 1 ? await readThroughReply(dying, "l") : "";
        dying.abort();
        // Wait for the server's own word that it handled that login.
        await waitUntil(
          () => countLogins(n3, "olga") > logins,
          "the dying login handled",
        );
        // The next login, on another node, gets the message pushed.
        const back = await open(world, round % 2 ? n1 : n2);
        await ask(back, "login", { token });
        if (got.includes(sent.id)) {
          await back.close();
          continue;
        }
        const pushed = await back.event(
          "private_message",
          (d) => d.id === sent.id,
          { timeoutMs: PATIENCE_MS },
        ).catch(async () => {
          const { messages } = await ask(back, "history", { with: "sender" });
          throw new Error(
            `round ${round}: ${sent.id} was not pushed at the next login; ` +
              `history with sender: ${JSON.stringify(messages)}; ` +
              `the dying socket read: ${got || "nothing"}`,
          );
        });
        assert.equal(pushed.data.text, `queued ${round}`);
        await back.close();
      }
    },
  );

  worldTest(
    pg,
    "jepsen set: a node SIGKILLed and started again under its id has its moderation heard by the others",
    async (world) => {
      const n2 = world.nodes.list[1]!;
      let n1 = world.nodes.list[0]!;
      const first = await guest(world, n1, { username: "owner" });
      // Control events of the first n1, which the others have seen.
      for (const room of ["a", "b", "c"]) {
        await ask(first, "create_room", { room });
      }
      await world.nodes.kill(0);
      n1 = await world.nodes.start(0);
      const boss = await open(world, n1);
      await ask(boss, "register", {
        username: "boss",
        password: TEST_PASSWORD,
      });
      const troll = await guest(world, n2, { username: "troll" });
      await ask(boss, "kick", { user: "troll" });
      // The new n1 numbers its control events from 1 again: the others
      // had dropped them as already seen.
      await waitFor(() => {
        assert.equal(troll.closeCode, 4003);
        return Promise.resolve();
      }, "the troll's socket is closed");
    },
  );

  worldTest(
    pg,
    "jepsen set: edits and deletes made on other nodes while a reader was away are final in the pages it reads after catching up",
    async (world) => {
      const [n1, n2, n3] = world.nodes.list as ServerProcess[];
      const ann = await guest(world, n1, { username: "ann" });
      const reader = await guest(world, n2, { username: "reader" });
      const key = reader.received.find((f) => f.data.request === "login")!
        .data.guest_key as string;
      const sent: Message[] = [];
      for (let i = 1; i <= 6; i++) {
        sent.push(
          (await ask(ann, "send_message", {
            text: `draft ${i}`,
            client_id: `m${i}`,
          })).message as Message,
        );
      }
      await reader.event("receive_message", (d) => d.id === sent[5].id, {
        timeoutMs: PATIENCE_MS,
      });
      const lastSeen = sent[5].seq;
      await reader.close();
      // While the reader is away: edits and deletes on another node, and
      // a node and Redis going down in between.
      await ask(ann, "edit_message", { id: sent[0].id, text: "final 1" });
      await ask(ann, "delete_message", { id: sent[1].id });
      await ask(ann, "edit_message", { id: sent[2].id, text: "interim 3" });
      await world.nodes.kill(1);
      await ask(ann, "edit_message", { id: sent[2].id, text: "final 3" });
      const port = world.redis.port;
      await world.redis.stop();
      await ask(ann, "edit_message", { id: sent[3].id, text: "interim 4" });
      await ask(ann, "delete_message", { id: sent[3].id });
      world.redis = (await startRedisOnPort(port))!;
      await ask(ann, "edit_message", { id: sent[4].id, text: "final 5" });
      const after = (await ask(ann, "send_message", {
        text: "new while away",
        client_id: "m7",
      })).message as Message;
      // A retried edit of an edit that was acknowledged changes nothing.
      await ask(ann, "edit_message", { id: sent[0].id, text: "final 1" });

      const back = await waitFor(
        () => guest(world, n3, { username: "reader", guest_key: key }),
        "the reader logs in again",
      );
      // Catching up by after_seq brings what is new, not the changes...
      const { messages: caughtUp } = await ask(back, "history", {
        room: "general",
        after_seq: lastSeen,
        limit: 200,
      });
      assert.deepEqual(
        (caughtUp as Message[]).map((m) => m.id),
        [after.id],
      );
      // ...and any page read again shows them, final, on every node.
      const expected = [
        { seq: sent[0].seq, text: "final 1", edited: true, deleted: false },
        { seq: sent[1].seq, text: "", edited: false, deleted: true },
        { seq: sent[2].seq, text: "final 3", edited: true, deleted: false },
        { seq: sent[3].seq, text: "", edited: true, deleted: true },
        { seq: sent[4].seq, text: "final 5", edited: true, deleted: false },
        { seq: sent[5].seq, text: "draft 6", edited: false, deleted: false },
        {
          seq: after.seq,
          text: "new while away",
          edited: false,
          deleted: false,
        },
      ];
      const started = await world.nodes.start(1);
      for (const node of [n1, started, n3]) {
        const client = node === n3 ? back : await guest(world, node, {
          username: `check_${node.url.slice(-5)}`,
        });
        const page = await historyOf<Message>(client, "general");
        assert.deepEqual(
          page.map((m) => ({
            seq: m.seq,
            text: m.text,
            edited: m.edited_at !== undefined,
            deleted: m.deleted === true,
          })),
          expected,
          `history through ${node.url}`,
        );
      }
    },
  );
}

/** Waits until `check` holds, asking again every 100 ms for at most a minute. */
async function waitUntil(
  check: () => boolean | Promise<boolean>,
  what: string,
): Promise<void> {
  await waitFor(async () => {
    if (!await check()) throw new Error(`not yet: ${what}`);
  }, what);
}

/** Retries `attempt` until it succeeds, for at most a minute. */
async function waitFor<T>(
  attempt: () => Promise<T>,
  what: string,
): Promise<T> {
  const deadline = Date.now() + PATIENCE_MS;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) {
        throw new Error(`${what}: ${(error as Error).message}`);
      }
    }
    await delay(100);
  }
}

/** How many times a node has logged that this account logged in. */
function countLogins(node: ServerProcess, name: string): number {
  return node.output().split(`${name} logged in`).length - 1;
}

/**
 * Reads a raw socket's frames up to and including the one that holds the
 * reply to request `id`, and returns them all, one per line.
 */
async function readThroughReply(
  socket: RawSocket,
  id: string,
): Promise<string> {
  const frames: string[] = [];
  for (;;) {
    const frame = await socket.readText();
    frames.push(frame);
    const replied = frame.split("\n").some((line) =>
      (JSON.parse(line) as { id?: string }).id === id
    );
    if (replied) return frames.join("\n");
  }
}
