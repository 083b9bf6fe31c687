/**
 * `@here`: a mention of the members of a room online when it is sent
 * (server/room_mentions.ts hereMembers), one row each (server/mentions.ts),
 * with `@room`'s permission rule. Every single-node scenario runs on SQLite
 * and, when PostgreSQL is installed, on a fresh PostgreSQL database of its
 * own; the cross-node one on two nodes sharing PostgreSQL and Redis.
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import type { Config } from "../server/config.ts";
import { DEFAULT_RATE_LIMITS } from "../server/rate_limit.ts";
import {
  ClientPool,
  type Cluster,
  clusterSkipReason,
  delay,
  eventually,
  type Frame,
  startCluster,
  startTestServer,
  TestClient,
  wentOffline,
  withAccountsAcrossAddresses,
  withCluster,
  withServer,
} from "./harness.ts";
import { accountWithToken, call } from "./api_helpers.ts";
import { migratedDatabase } from "./migrated_database.ts";
import {
  postgresSkipReason,
  redisClient,
  startPostgres,
  startRedis,
} from "./services.ts";

const pg = postgresSkipReason() ? null : await startPostgres();

const BACKENDS: {
  name: string;
  fresh(): Promise<{ options: Partial<Config>; drop(): Promise<void> }>;
}[] = [{
  name: "sqlite",
  fresh: () => Promise.resolve({ options: {}, drop: () => Promise.resolve() }),
}];
if (pg) {
  BACKENDS.push({
    name: "postgres",
    async fresh() {
      const database = await migratedDatabase(pg);
      return { options: { databaseUrl: database.url }, drop: database.drop };
    },
  });
} else {
  Deno.test({
    name: `here mentions: PostgreSQL runs skipped, ${postgresSkipReason()}`,
    ignore: true,
    fn() {},
  });
}

function hereTest(
  name: string,
  body: (pool: ClientPool) => Promise<void>,
  options: Partial<Config> = {},
): void {
  for (const backend of BACKENDS) {
    Deno.test(`${name} (${backend.name})`, async () => {
      const store = await backend.fresh();
      const server = await startTestServer({ ...store.options, ...options });
      const pool = new ClientPool(server.wsUrl);
      try {
        await body(pool);
      } finally {
        await pool.closeAll();
        await server.close();
        await store.drop();
      }
    });
  }
}

type Message = { id: string; text: string; here_mention?: boolean };

/** The unread mentions in `general` a new login of the account is told. */
async function generalMentions(
  pool: ClientPool,
  client: TestClient,
): Promise<number> {
  const again = await pool.login({ token: client.token });
  const reply = again.received.find((f) => f.data.request === "login")!;
  const memberships = reply.data.memberships as {
    room: string;
    mentions: number;
  }[];
  const general = memberships.find((m) => m.room === "general")!;
  await again.close();
  return general.mentions;
}

/** Sends texts one after the other; the messages as stored. */
async function sendAll(
  client: TestClient,
  texts: string[],
): Promise<(Message & { seq: number })[]> {
  const sent = [];
  for (const text of texts) {
    sent.push((await client.ok("send_message", { text })).message);
  }
  return sent as (Message & { seq: number })[];
}

/** Three accounts: ada and bob online, carol gone offline, as seen by ada. */
async function carolOffline(
  pool: ClientPool,
): Promise<{ ada: TestClient; bob: TestClient; carol: TestClient }> {
  const ada = await pool.register("ada");
  const bob = await pool.register("bob");
  const carol = await pool.register("carol");
  await carol.close();
  await wentOffline(ada, "carol");
  return { ada, bob, carol };
}

/** The first `receive_message` event a client got for message `id`. */
function received(client: TestClient, id: string): Promise<Message> {
  return eventually(() => {
    const event = client.received.find((f: Frame) =>
      f.action === "receive_message" && (f.data as Message).id === id
    );
    assert.ok(event, `no receive_message for ${id}`);
    return event.data as Message;
  });
}

hereTest(
  "@here is a mention for the members online when it is sent and not for one offline then, who reads it later",
  async (pool) => {
    const { ada, bob, carol } = await carolOffline(pool);
    const sent = (await bob.ok("send_message", {
      text: "@here standup in five, @ada",
    })).message as Message;
    assert.equal(sent.here_mention, true);
    assert.equal((await received(ada, sent.id)).here_mention, true);
    // Named and online: one mention, not two.
    assert.equal(await generalMentions(pool, ada), 1);
    assert.equal(await generalMentions(pool, bob), 0);
    assert.equal(await generalMentions(pool, carol), 0);
    // carol reads it later: it still says it notified (those online).
    const again = await pool.login({ token: carol.token });
    const history = (await again.ok("history", { room: "general" }))
      .messages as Message[];
    assert.equal(history.find((m) => m.id === sent.id)?.here_mention, true);
  },
);

hereTest(
  "history, join_room and leave_room tell each reader which @here of their page mentioned it: one online when it was sent, not one offline then",
  async (pool) => {
    const { ada, bob, carol } = await carolOffline(pool);
    const [before] = await sendAll(bob, ["before it"]);
    const [here] = await sendAll(bob, ["@here standup in five"]);
    const mentioned = async (client: TestClient) =>
      (await client.ok("history", { room: "general" })).here_mentioned;
    assert.deepEqual(await mentioned(ada), [here.seq]);
    assert.deepEqual(await mentioned(bob), [], "its author's own @here");
    const later = await pool.login({ token: carol.token });
    assert.deepEqual(await mentioned(later), []);
    assert.equal(
      (await later.ok("history", { room: "general", before_seq: here.seq }))
        .here_mentioned,
      undefined,
      "a page without a here_mention message",
    );
    assert.ok(before.seq < here.seq);
    const joined = async (client: TestClient) =>
      (await client.ok("join_room", { room: "general" })).here_mentioned;
    assert.deepEqual(await joined(ada), [here.seq]);
    assert.deepEqual(await joined(later), []);
    await ada.ok("create_room", { room: "crew" });
    const left = await ada.ok("leave_room", { room: "crew" });
    assert.equal(left.room, "general");
    assert.deepEqual(left.here_mentioned, [here.seq]);
    // An edit decides again: carol is online now, ada too.
    await bob.ok("edit_message", { id: here.id, text: "@here standup now" });
    assert.deepEqual(await mentioned(later), [here.seq]);
    assert.deepEqual(await mentioned(ada), [here.seq]);
  },
);

Deno.test("GET /api/rooms/:room/messages says which @here of its page mentioned the token's account: none for one offline then, nor without a token", () =>
  withServer(async (server) => {
    const ada = await accountWithToken(server, "ada");
    const carol = await accountWithToken(server, "carol");
    const online = await TestClient.loginWith(server.wsUrl, {
      token: ada.token,
    });
    const bob = await TestClient.register(server.wsUrl, "bob");
    try {
      const sent = (await bob.ok("send_message", { text: "@here look" }))
        .message as Message & { seq: number };
      const page = async (token?: string) =>
        (await call(server, "GET", "/api/rooms/general/messages", { token }))
          .body.here_mentioned;
      assert.deepEqual(await page(ada.token), [sent.seq]);
      assert.deepEqual(await page(carol.token), []);
      assert.deepEqual(await page(), []);
    } finally {
      await online.close();
      await bob.close();
    }
  }));

hereTest(
  "in a room of more than --room-mention-members members only moderators and admins notify with @here; the message is still sent",
  async (pool) => {
    // The first account is the admin.
    const ada = await pool.register("ada");
    const bob = await pool.register("bob");
    const carol = await pool.register("carol");
    const quiet = (await bob.ok("send_message", { text: "@here lunch?" }))
      .message as Message;
    assert.equal(quiet.text, "@here lunch?");
    assert.equal(quiet.here_mention, undefined);
    assert.equal(await generalMentions(pool, carol), 0);
    const loud = (await ada.ok("send_message", {
      text: "@here the server restarts",
    })).message as Message;
    assert.equal(loud.here_mention, true);
    assert.equal(await generalMentions(pool, carol), 1);
    assert.equal(await generalMentions(pool, bob), 1);
  },
  { roomMentionMembers: 2 },
);

hereTest(
  "an ignored author's @here is no mention for the ignorer online, and one for the others",
  async (pool) => {
    const ada = await pool.register("ada");
    const bob = await pool.register("bob");
    const carol = await pool.register("carol");
    await carol.ok("ignore_user", { user: "bob" });
    await bob.ok("send_message", { text: "@here look" });
    assert.equal(await generalMentions(pool, carol), 0);
    assert.equal(await generalMentions(pool, ada), 1);
  },
);

hereTest(
  "an edit decides @here again: without it no one counts it and here_mention goes, with it again those online then count it",
  async (pool) => {
    const ada = await pool.register("ada");
    const bob = await pool.register("bob");
    const sent = (await bob.ok("send_message", { text: "@here deploy" }))
      .message as Message;
    assert.equal(await generalMentions(pool, ada), 1);
    const plain = (await bob.ok("edit_message", {
      id: sent.id,
      text: "deploy",
    })).message as Message;
    assert.equal(plain.here_mention, undefined);
    assert.equal(await generalMentions(pool, ada), 0);
    const loud = (await bob.ok("edit_message", {
      id: sent.id,
      text: "@HERE deploy",
    })).message as Message;
    assert.equal(loud.here_mention, true);
    assert.equal(await generalMentions(pool, ada), 1);
    const found = (await ada.ok("search", { query: "deploy" }))
      .results as Message[];
    assert.equal(found.find((m) => m.id === sent.id)?.here_mention, true);
  },
);

hereTest(
  "@here in a private conversation notifies nothing and carries no here_mention",
  async (pool) => {
    const ada = await pool.register("ada");
    await pool.register("bob");
    const sent = await ada.ok("private_message", {
      to: "bob",
      text: "@here are you there",
    });
    assert.equal((sent.message as Message).here_mention, undefined);
  },
);

Deno.test("@here writes a mention row for each account online in the room and none for its guests, who keep no counts, and a guest's page says none mentioned it without reading the mentions", async () => {
  // Guests cost nothing to bring (256 sockets an address): a room's owner
  // with 250 of its own guests in the room wrote 251 rows a message, the
  // database growing 18 to 25 MiB per 1,000 where plain ones took 0.2.
  const server = await startTestServer();
  const pool = new ClientPool(server.wsUrl);
  const db = new DatabaseSync(`${server.dir}/chat.db`);
  try {
    const owner = await pool.register("owner");
    await owner.ok("create_room", { room: "hall" });
    const ada = await pool.register("ada");
    await ada.ok("join_room", { room: "hall" });
    const guests = [];
    for (const name of ["gus", "gwen", "gil"]) {
      const guest = await pool.guest(name);
      await guest.ok("join_room", { room: "hall" });
      guests.push(guest);
    }
    const { users } = await owner.ok("list_users", { room: "hall" });
    assert.equal((users as string[]).length, 5, "all five are in the room");
    const sent = (await owner.ok("send_message", {
      room: "hall",
      text: "@here doors open",
    })).message as Message & { seq: number };
    assert.equal(sent.here_mention, true);
    const rows = db.prepare(
      "SELECT user_key FROM mentions WHERE stream = 'hall' AND seq = ?",
    ).all(sent.seq).map((row) => row.user_key).sort();
    assert.deepEqual(rows, ["@here", "ada"]);
    // Counted from here on: a guest's answer is known without the read.
    const store = server.node.store as unknown as Record<
      string,
      (...args: unknown[]) => Promise<unknown>
    >;
    const read = store.mentionedAt.bind(store);
    let reads = 0;
    store.mentionedAt = (...args) => {
      reads++;
      return read(...args);
    };
    const page = await guests[0].ok("history", { room: "hall" });
    assert.deepEqual(page.here_mentioned, []);
    assert.equal(reads, 0, "a guest's page read no mention rows");
    const adas = await ada.ok("history", { room: "hall" });
    assert.deepEqual(adas.here_mentioned, [sent.seq]);
    assert.equal(reads, 1, "an account's page reads its rows once");
  } finally {
    db.close();
    await pool.closeAll();
    await server.close();
  }
});

Deno.test("an @here pays its author's message budget one message for each 50 accounts online past the first 50: the owner of a room of many online is held to the rows names could write, sends and edits alike", async () => {
  // One owner with 250 accounts online in its room wrote 245,000 to
  // 432,000 mention rows in 10 s of @here (77 to 89 MiB of database and
  // WAL), where its budget of messages naming 50 each writes 100,000; its
  // edits of one @here rewrote 251 rows each at the 200/s of any request.
  const message = { burst: 5, perSecond: 0.001 };
  await withAccountsAcrossAddresses(async ({ server, pool, register }) => {
    const db = new DatabaseSync(`${server.dir}/chat.db`);
    try {
      const owner = await pool.register("owner");
      await owner.ok("create_room", { room: "hall" });
      for (let i = 0; i < 51; i++) {
        const member = await register(`m${i}`);
        await member.ok("join_room", { room: "hall" });
      }
      // Messages go to the room a socket looks at: the last it made or
      // joined.
      await owner.ok("create_room", { room: "nook" });
      const ada = await pool.register("ada");
      await ada.ok("join_room", { room: "nook" });
      const rows = (stream: string, seq: number) =>
        db.prepare(
          "SELECT count(*) AS n FROM mentions WHERE stream = ? AND seq = ?",
        ).get(stream, seq)!.n;
      // In a room of one other online, an @here costs what any message
      // does.
      for (const text of ["@here tea", "@here cake"]) {
        const sent = (await owner.ok("send_message", { room: "nook", text }))
          .message as Message & { seq: number };
        assert.equal(rows("nook", sent.seq), 2, "the marker and ada's row");
      }
      // In the hall, 51 online: two messages' worth. Three of the five
      // are spent; this one takes the last two.
      await owner.ok("join_room", { room: "hall" });
      const first = (await owner.ok("send_message", {
        room: "hall",
        text: "@here doors open",
      })).message as Message & { seq: number };
      assert.equal(first.here_mention, true);
      assert.equal(rows("hall", first.seq), 52);
      const refused = await owner.request("send_message", {
        room: "hall",
        text: "@here doors close",
      });
      assert.equal(refused.data.code, "rate_limited");
      assert.ok((refused.data.retry_after_ms as number) > 0);
      const edit = await owner.request("edit_message", {
        id: first.id,
        text: "@here doors open at six",
      });
      assert.equal(edit.data.code, "rate_limited");
      const page = await owner.ok("history", { room: "hall" });
      assert.deepEqual(
        (page.messages as Message[]).map((m) => m.text),
        ["@here doors open"],
        "neither the refused send nor the refused edit is stored",
      );
    } finally {
      db.close();
    }
  }, {
    rateLimits: {
      ...DEFAULT_RATE_LIMITS,
      perUser: { ...DEFAULT_RATE_LIMITS.perUser, message },
    },
  });
});

/**
 * Two nodes on a PostgreSQL and a Redis of their own: `reads` counts the
 * reads of a node's presence entries since `resetReads` (Redis's HVALS
 * calls), by whichever node.
 */
async function withPresenceReads(
  body: (parts: {
    cluster: Cluster;
    pools: ClientPool[];
    reads(): Promise<number>;
    resetReads(): Promise<unknown>;
  }) => Promise<void>,
): Promise<void> {
  const pg = (await startPostgres())!;
  const redis = (await startRedis())!;
  const admin = redisClient(redis.url);
  let cluster: Cluster | undefined;
  let pools: ClientPool[] = [];
  try {
    cluster = await startCluster(pg.url, redis.url, { nodes: 2 });
    pools = cluster.nodes.map((node) => new ClientPool(node.wsUrl));
    await body({
      cluster,
      pools,
      reads: async () =>
        Number(
          /cmdstat_hvals:calls=(\d+)/.exec(
            await admin.info("commandstats"),
          )?.[1] ?? 0,
        ),
      resetReads: () => admin.config("RESETSTAT"),
    });
  } finally {
    await admin.quit();
    await Promise.all(pools.map((pool) => pool.closeAll()));
    await cluster?.stop();
    await redis.stop();
    await pg.stop();
  }
}

const clusterSkip = clusterSkipReason();
Deno.test({
  name:
    "@here on two nodes is a mention for a member online on the other node, not for one offline",
  ignore: clusterSkip !== undefined,
  fn: () =>
    withCluster(2, async (_cluster, pools) => {
      const ada = await pools[0].register("ada");
      const bob = await pools[1].register("bob");
      const carol = await pools[1].register("carol");
      await carol.close();
      // Both nodes see bob online and carol gone before the @here.
      await eventually(async () => {
        const { users } = await ada.ok("list_users", { room: "general" });
        assert.deepEqual(users, ["ada", "bob"]);
      });
      const sent = (await ada.ok("send_message", { text: "@here ship it" }))
        .message as Message;
      assert.equal(sent.here_mention, true);
      assert.equal((await received(bob, sent.id)).here_mention, true);
      assert.equal(await generalMentions(pools[0], bob), 1);
      assert.equal(await generalMentions(pools[1], carol), 0);
    }),
});
Deno.test({
  name:
    "on several nodes, list_users and @here sent again and again read the other nodes' presence at most once per node every 250 ms, not once a request",
  ignore: clusterSkip !== undefined,
  fn: async () => {
    // Each read is every connection of every node, parsed: 12 to 16 ms for
    // 2,000 accounts in 20 rooms, 100 ms for 5,000 in 50 (load 10). One
    // guest's socket may send 200 list_users a second, an account 100
    // messages saying @here in a room of its own.
    await withPresenceReads(async ({ pools, reads, resetReads }) => {
      const ada = await pools[0].register("ada");
      await ada.ok("create_room", { room: "attic" });
      await pools[1].register("bob");
      const gus = await pools[0].guest("gus");
      await eventually(async () => {
        const { users } = await gus.ok("list_users", { room: "general" });
        assert.deepEqual(users, ["ada", "bob", "gus"]);
      });
      const started = performance.now();
      await resetReads();
      await Promise.all([
        ...Array.from(
          { length: 40 },
          () => gus.ok("list_users", { room: "general" }),
        ),
        ...Array.from(
          { length: 20 },
          () => ada.ok("send_message", { room: "attic", text: "@here" }),
        ),
      ]);
      const read = await reads();
      const quarters = Math.ceil((performance.now() - started) / 250);
      // Each node reads the other's entries (one HVALS) at most once a
      // quarter second, whatever asks: lists, counts, @here.
      assert.ok(
        read <= 2 * (quarters + 1),
        `${read} presence reads in ${quarters} quarters of a second`,
      );
    });
  },
});
Deno.test({
  name:
    "on several nodes, guests coming and going on one node do not make every list_users on the other read its presence again: at most one read a tenth of a second",
  ignore: clusterSkip !== undefined,
  fn: async () => {
    // Each guest's login and logout sends presence_changed, which dropped
    // the other node's quarter-second read: a list_users after each was a
    // read of every connection of the node (12 to 16 ms at 2,000 accounts).
    await withPresenceReads(async ({ cluster, pools, reads, resetReads }) => {
      const gus = await pools[0].guest("gus");
      await pools[1].guest("ida");
      await eventually(async () => {
        const { users } = await gus.ok("list_users", { room: "general" });
        assert.deepEqual(users, ["gus", "ida"]);
      });
      // Sixty guests log in and out on node 1, once alone, once while gus
      // asks list_users on node 0 again and again: the logins' own reads
      // (who else holds the name, which rooms hear them) are the same both
      // times; what the lists add is what is bounded.
      const flap = async (from: number) => {
        for (let i = from; i < from + 60; i++) {
          const guest = await TestClient.login(
            cluster.nodes[1].wsUrl,
            `g${i}`,
          );
          await guest.close();
        }
      };
      await resetReads();
      await flap(0);
      const alone = await reads();
      await resetReads();
      const started = performance.now();
      let done = false;
      const asking = (async () => {
        // As fast as its list bucket allows: its burst of 200 at up to
        // 200 a second, then its 20 a second.
        for (let asked = 0; !done; asked++) {
          await gus.ok("list_users", { room: "general" });
          await delay(asked < 150 ? 5 : 50);
        }
      })();
      try {
        await flap(60);
      } finally {
        done = true;
        await asking;
      }
      const tenths = Math.ceil((performance.now() - started) / 100);
      const added = await reads() - alone;
      // Node 0 reads node 1 at most once a tenth of a second, and once
      // more for the read under way at the start; as many again for the
      // logins' own reads, which differ a little from one run to the next.
      assert.ok(
        added <= 2 * (tenths + 1),
        `list_users added ${added} presence reads in ${tenths} tenths of a second (${alone} without)`,
      );
    });
  },
});
if (clusterSkip !== undefined) {
  Deno.test({
    name: `here mentions across nodes: skipped, ${clusterSkip}`,
    ignore: true,
    fn() {},
  });
}
