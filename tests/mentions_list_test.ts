/**
 * Recent mentions (`list_mentions`, `GET /api/mentions`): the messages that
 * mention an account, across its rooms and conversations, newest first,
 * and the read rules that leave some out, through a real server on SQLite
 * and, when PostgreSQL is installed, on a fresh PostgreSQL database.
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import postgres from "postgres";
import type { Config } from "../server/config.ts";
import { AFTER_EVERY_ID } from "../server/store/mention_pages.ts";
import { ROOM_MENTIONS as POSTGRES_ROOM_MENTIONS } from "../server/store/postgres_mentions.ts";
import { ROOM_MENTIONS as SQLITE_ROOM_MENTIONS } from "../server/store/sqlite_mentions.ts";
import { call } from "./api_helpers.ts";
import { bothStores } from "./both_stores.ts";
import { delay, expectError, type TestClient, wentOffline } from "./harness.ts";
import {
  MENTION_IDS_MIGRATION,
  ROOM_MARKERS_MIGRATION,
} from "./store_contract/support.ts";
import { withUpgradedServer } from "./upgraded_server.ts";

const stores = await bothStores();

type Listed = { mentions: { id: string }[]; next: string | null };

/** Sends `text` to `room` (a message goes to the sender's current room). */
async function say(
  client: TestClient,
  room: string,
  text: string,
): Promise<{ id: string; room_mention?: boolean }> {
  await client.ok("join_room", { room });
  return (await client.ok("send_message", { text })).message as {
    id: string;
    room_mention?: boolean;
  };
}

stores.clients(
  "list_mentions lists the messages that mention the account in every room and conversation, newest first, each as history gives it, and pages with next",
  async (pool) => {
    // The first account is the admin: ann may @room any room.
    const ann = await pool.register("ann");
    const ben = await pool.register("ben");
    await ben.ok("create_room", { room: "dev" });
    await ann.ok("join_room", { room: "dev" });
    const named = (await say(ann, "general", "hi @ben")) as { id: string };
    await say(ann, "general", "no one");
    const everyone = (await say(ann, "dev", "@room deploy")) as {
      id: string;
      room_mention?: boolean;
    };
    assert.equal(everyone.room_mention, true);
    const direct = (await ann.ok("private_message", {
      to: "ben",
      text: "@ben see this",
    })).message as { id: string };
    // His own @room is no mention of him.
    await say(ben, "dev", "@room me too");

    const page = (await ben.ok("list_mentions")) as unknown as Listed;
    assert.deepEqual(page.mentions.map((m) => m.id), [
      direct.id,
      everyone.id,
      named.id,
    ]);
    assert.equal(page.next, null);
    const general = (await ben.ok("history", { room: "general" }))
      .messages as { id: string }[];
    assert.deepEqual(page.mentions[2], general.find((m) => m.id === named.id));
    const conversation = (await ben.ok("history", { with: "ann" }))
      .messages as { id: string }[];
    assert.deepEqual(page.mentions[0], conversation.at(-1));

    const first =
      (await ben.ok("list_mentions", { limit: 2 })) as unknown as Listed;
    assert.deepEqual(first.mentions.map((m) => m.id), [direct.id, everyone.id]);
    assert.equal(first.next, everyone.id);
    const second = (await ben.ok("list_mentions", {
      before: first.next,
      limit: 2,
    })) as unknown as Listed;
    assert.deepEqual(second.mentions.map((m) => m.id), [named.id]);
    assert.equal(second.next, null);
  },
);

stores.clients(
  "list_mentions lists a message that names a group of the account's, and an @here that reached it, not one that reached another",
  async (pool) => {
    const ann = await pool.register("ann");
    const ben = await pool.register("ben");
    const cat = await pool.register("cat");
    await ann.ok("create_group", {
      name: "design",
      description: "the designers",
      members: ["ben"],
    });
    const group = await say(ann, "general", "@design review");
    // All three are online in general: the @here reaches each.
    const here = await say(ann, "general", "@here standup");
    const ids = async (client: TestClient) =>
      ((await client.ok("list_mentions")) as unknown as Listed).mentions.map((
        m,
      ) => m.id);
    assert.deepEqual(await ids(ben), [here.id, group.id]);
    assert.deepEqual(await ids(cat), [here.id]);
    await cat.close();
    await wentOffline(ann, "cat");
    const later = await say(ann, "general", "@here again");
    assert.deepEqual(await ids(ben), [later.id, here.id, group.id]);
    // Offline when it was sent: not a mention of hers.
    const back = await pool.login({ token: cat.token });
    assert.deepEqual(await ids(back), [here.id]);
  },
);

stores.clients(
  "list_mentions leaves out a private room's mentions once the account left it, and shows them again once it is back",
  async (pool) => {
    const ann = await pool.register("ann");
    const ben = await pool.register("ben");
    await ann.ok("create_room", { room: "den", private: true });
    await ann.ok("invite", { room: "den", user: "ben" });
    const inDen = (await say(ann, "den", "@ben plans")) as { id: string };
    const listed = async () =>
      ((await ben.ok("list_mentions")) as unknown as Listed).mentions.map((
        m,
      ) => m.id);
    assert.deepEqual(await listed(), [inDen.id]);
    await ben.ok("leave_room", { room: "den" });
    assert.deepEqual(await listed(), []);
    await ann.ok("invite", { room: "den", user: "ben" });
    assert.deepEqual(await listed(), [inDen.id]);
  },
);

stores.clients(
  "list_mentions leaves out an @room (an @room @here too) sent in a room before the account joined it, and lists those sent since",
  async (pool) => {
    const ann = await pool.register("ann");
    const ben = await pool.register("ben");
    await ann.ok("create_room", { room: "dev" });
    await say(ann, "dev", "@room before ben");
    const last = await say(ann, "dev", "@room @here also before") as {
      ts?: string;
    };
    // A message of the join's very millisecond counts: let one pass.
    const sent = Date.parse(last.ts!);
    while (Date.now() <= sent) await delay(1);
    await ben.ok("join_room", { room: "dev" });
    const since = await say(ann, "dev", "@room since ben came");
    const listed = async () =>
      ((await ben.ok("list_mentions")) as unknown as Listed).mentions.map((
        m,
      ) => m.id);
    assert.deepEqual(await listed(), [since.id]);
  },
);

stores.clients(
  "list_mentions keeps an @room that names the account once it left the public room and after it joined again, listed once, as a plain name's mention is; an @room alone stays out",
  async (pool) => {
    const ann = await pool.register("ann"); // the first: an admin
    const ben = await pool.register("ben");
    await ann.ok("create_room", { room: "dev" });
    await ben.ok("join_room", { room: "dev" });
    const both = await say(ann, "dev", "@room hi @ben");
    const named = await say(ann, "dev", "hi @ben");
    const everyone = await say(ann, "dev", "@room hi") as {
      id: string;
      ts: string;
    };
    const listed = async () =>
      ((await ben.ok("list_mentions")) as unknown as Listed).mentions.map((
        m,
      ) => m.id);
    assert.equal(both.room_mention, true);
    assert.deepEqual(await listed(), [everyone.id, named.id, both.id]);
    await ben.ok("leave_room", { room: "dev" });
    assert.deepEqual(await listed(), [named.id, both.id]);
    // The join's very millisecond counts: let the last @room's pass.
    while (Date.now() <= Date.parse(everyone.ts)) await delay(1);
    await ben.ok("join_room", { room: "dev" });
    assert.deepEqual(await listed(), [named.id, both.id]);
  },
);

stores.clients(
  "list_mentions leaves out a room's mentions while the account is banned from it",
  async (pool) => {
    const ann = await pool.register("ann");
    const ben = await pool.register("ben");
    await ann.ok("create_room", { room: "dev" });
    await ben.ok("join_room", { room: "dev" });
    const there = (await say(ann, "dev", "@ben look")) as { id: string };
    const elsewhere = (await say(ann, "general", "@ben and here")) as {
      id: string;
    };
    const listed = async () =>
      ((await ben.ok("list_mentions")) as unknown as Listed).mentions.map((
        m,
      ) => m.id);
    assert.deepEqual(await listed(), [elsewhere.id, there.id]);
    await ann.ok("ban", { user: "ben", room: "dev", reason: "spam" });
    assert.deepEqual(await listed(), [elsewhere.id]);
  },
);

stores.clients(
  "list_mentions leaves out a deleted message, a deleted room's, and those of an author the account ignores",
  async (pool) => {
    const ann = await pool.register("ann");
    const ben = await pool.register("ben");
    const mallory = await pool.register("mallory");
    await ann.ok("create_room", { room: "dev" });
    const kept = (await say(ann, "general", "@ben stays")) as { id: string };
    const erased = (await say(ann, "general", "@ben goes")) as { id: string };
    const inDev = (await say(ann, "dev", "@ben in dev")) as { id: string };
    const noisy = (await say(mallory, "general", "@ben buy now")) as {
      id: string;
    };
    const listed = async () =>
      ((await ben.ok("list_mentions")) as unknown as Listed).mentions.map((
        m,
      ) => m.id);
    assert.deepEqual(await listed(), [noisy.id, inDev.id, erased.id, kept.id]);
    await ann.ok("delete_message", { id: erased.id });
    await ann.ok("delete_room", { room: "dev" });
    await ben.ok("ignore_user", { user: "mallory" });
    assert.deepEqual(await listed(), [kept.id]);
  },
);

stores.clients(
  "list_mentions follows a room through a rename (listed under its new name, @room too) and keeps a conversation's mention once its author's account is deleted",
  async (pool) => {
    const ann = await pool.register("ann"); // the first: an admin
    const ben = await pool.register("ben");
    const cat = await pool.register("cat");
    await ann.ok("create_room", { room: "dev" });
    await ben.ok("join_room", { room: "dev" });
    const named = await say(ann, "dev", "@ben look");
    const everyone = await say(ann, "dev", "@room deploy");
    const direct = (await cat.ok("private_message", {
      to: "ben",
      text: "@ben psst",
    })).message as { id: string };
    await ann.ok("update_room", { room: "dev", name: "ops" });
    await ann.ok("delete_account", { user: "cat", messages: "keep" });
    const listed = (await ben.ok("list_mentions")) as unknown as {
      mentions: { id: string; room?: string; user: string }[];
    };
    assert.deepEqual(
      listed.mentions.map((m) => [m.id, m.room ?? null, m.user]),
      [
        [direct.id, null, "cat"],
        [everyone.id, "ops", "ann"],
        [named.id, "ops", "ann"],
      ],
    );
  },
);

stores.clients(
  "list_mentions leaves out what was written before the account held its name: a guest's mention under it, a deleted account's, an @room of then",
  async (pool) => {
    const ann = await pool.register("ann"); // the first: an admin
    const gus = await pool.guest("gus");
    await say(ann, "general", "@gus welcome");
    await gus.close();
    await pool.register("ben");
    await ann.ok("delete_account", { user: "ben", messages: "keep" });
    await say(ann, "general", "@ben where did you go?");
    await say(ann, "general", "@room an old notice");
    const newGus = await pool.register("gus");
    const newBen = await pool.register("ben");
    const listed = async (client: TestClient) =>
      ((await client.ok("list_mentions")) as unknown as Listed).mentions;
    assert.deepEqual(await listed(newGus), []);
    assert.deepEqual(await listed(newBen), []);
    const fresh = await say(ann, "general", "@room @ben @gus now");
    assert.deepEqual((await listed(newBen)).map((m) => m.id), [fresh.id]);
    assert.deepEqual((await listed(newGus)).map((m) => m.id), [fresh.id]);
  },
);

stores.clients(
  "list_mentions is forbidden to guests and invalid_message for a bad before or limit",
  async (pool) => {
    const ben = await pool.register("ben");
    const guest = await pool.guest("gus");
    await expectError(guest, "list_mentions", {}, "forbidden");
    await expectError(ben, "list_mentions", { limit: 0 }, "invalid_message");
    await expectError(ben, "list_mentions", { limit: 101 }, "invalid_message");
    await expectError(ben, "list_mentions", { before: 7 }, "invalid_message");
  },
);

stores.clients(
  "REST GET /api/mentions answers as list_mentions does, with before and limit",
  async (pool, server) => {
    const ann = await pool.register("ann");
    const ben = await pool.register("ben");
    for (const text of ["@ben one", "@ben two", "@ben three"]) {
      await say(ann, "general", text);
    }
    const token = ben.token!;
    const listed = await call(server, "GET", "/api/mentions?limit=2", {
      token,
    });
    assert.equal(listed.status, 200, JSON.stringify(listed.body));
    const { request: _, ...overSocket } = await ben.ok("list_mentions", {
      limit: 2,
    });
    assert.deepEqual(listed.body, overSocket);
    const rest = await call(
      server,
      "GET",
      `/api/mentions?before=${listed.body.next}&limit=2`,
      { token },
    );
    assert.deepEqual(
      (rest.body as Listed).mentions.map((m) => (m as { text?: string }).text),
      ["@ben one"],
    );
    const bad = await call(server, "GET", "/api/mentions?limit=0", { token });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error, "invalid_message");
  },
);

stores.database(
  "upgrading: the mentions a server of before stored, whose rows held no message id, are listed after its first start, newest first",
  (options) =>
    withUpgradedServer({
      options,
      async setUp(pool) {
        const ann = await pool.register("ann");
        await pool.register("ben");
        await ann.ok("send_message", { text: "@ben first" });
        await ann.ok("send_message", { text: "@ben second" });
      },
      old: {
        marker: MENTION_IDS_MIGRATION,
        postgres: () => Promise.resolve(),
        sqlite: () => {},
      },
    }, async (server) => {
      const ids = await server.node.store.listMentions("ben", { limit: 10 });
      const texts = [];
      for (const id of ids) {
        texts.push((await server.node.store.findMessage(id))?.message.text);
      }
      assert.deepEqual(texts, ["@ben second", "@ben first"]);
    }),
);

/**
 * The plan of a page of an account's rooms' `@room` markers, one string.
 * PostgreSQL is told not to scan (its tables here are a few rows, which a
 * scan reads fastest), so that it names an index whenever one fits.
 */
async function roomMarkersPlan(
  options: Partial<Config>,
  dbPath: string,
): Promise<string> {
  const args = ["ben", AFTER_EVERY_ID, 50];
  if (options.databaseUrl) {
    const sql = postgres(options.databaseUrl, { max: 1, onnotice: () => {} });
    try {
      await sql`SET enable_seqscan = off`;
      const rows = await sql.unsafe(`EXPLAIN ${POSTGRES_ROOM_MENTIONS}`, args);
      return rows.map((row) => row["QUERY PLAN"]).join("\n");
    } finally {
      await sql.end();
    }
  }
  const db = new DatabaseSync(dbPath, { readOnly: true });
  try {
    return db.prepare(`EXPLAIN QUERY PLAN ${SQLITE_ROOM_MENTIONS}`)
      .all(...args).map((row) => row.detail).join("\n");
  } finally {
    db.close();
  }
}

stores.database(
  "upgrading: a server of before's @room markers get an index by room, which a page of list_mentions reads from each of the account's rooms instead of every marker of the server",
  (options) =>
    withUpgradedServer({
      options,
      async setUp(pool) {
        const ann = await pool.register("ann");
        const ben = await pool.register("ben");
        await ann.ok("create_room", { room: "dev" });
        await say(ann, "dev", "@room not for ben");
        await say(ann, "general", "@room for ben");
        await ben.ok("list_mentions");
      },
      old: {
        marker: ROOM_MARKERS_MIGRATION,
        postgres: () => Promise.resolve(),
        sqlite: () => {},
      },
    }, async (server, dbPath) => {
      const plan = await roomMarkersPlan(options, dbPath);
      assert.match(plan, /mentions_room_markers/);
      assert.doesNotMatch(plan, /mentions_newest/);
      // The memberships are read first, then each room's markers.
      assert.doesNotMatch(plan, /SCAN n/);
      const ids = await server.node.store.listMentions("ben", { limit: 10 });
      const texts = [];
      for (const id of ids) {
        texts.push((await server.node.store.findMessage(id))?.message.text);
      }
      assert.deepEqual(texts, ["@room for ben"]);
    }),
);

stores.finish();
