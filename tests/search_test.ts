/**
 * Search (docs/protocol.md, Search): the `search` action and
 * `GET /api/search`, and `history` around a seq, on SQLite and on
 * PostgreSQL.
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { encodeTime } from "ulid";
import { NO_RATE_LIMITS } from "../server/mod.ts";
import { SEARCH_BUDGET } from "../server/store/mod.ts";
import { SqliteStore } from "../server/store/sqlite.ts";
import {
  eventually,
  expectError,
  type Frame,
  range,
  type TestClient,
  type TestServer,
  utcDay,
  withClients,
  withPool,
} from "./harness.ts";
import { bothStores, type StoreUnderTest } from "./both_stores.ts";
import { PNG, uploaded } from "./file_helpers.ts";

interface Result {
  id: string;
  seq: number;
  room?: string;
  with?: string;
  to?: string;
  user: string;
  text: string;
  ts: string;
  reactions?: unknown[];
}

const stores = await bothStores();

async function say(client: TestClient, text: string): Promise<Result> {
  return (await client.ok("send_message", { text })).message as Result;
}

async function whisper(
  client: TestClient,
  to: string,
  text: string,
): Promise<Result> {
  return (await client.ok("private_message", { to, text })).message as Result;
}

async function search(
  client: TestClient,
  data: Record<string, unknown>,
): Promise<{ results: Result[]; next?: string }> {
  const reply = await client.ok("search", data);
  return reply as unknown as { results: Result[]; next?: string };
}

async function texts(
  client: TestClient,
  query: string,
  more: Record<string, unknown> = {},
): Promise<string[]> {
  return (await search(client, { query, ...more })).results.map((r) => r.text);
}

stores.clients(
  "search: finds words whatever their accents and case, the last one as a prefix, newest first",
  async (pool) => {
    const alice = await pool.guest("alice");
    const bob = await pool.guest("bob");
    await say(alice, "L'École est fermée");
    await say(alice, "ECOLE primaire");
    await say(bob, "nothing to see");
    await say(bob, "les écoles");
    assert.deepEqual(await texts(bob, "ecole"), [
      "les écoles",
      "ECOLE primaire",
      "L'École est fermée",
    ]);
    assert.deepEqual(await texts(bob, "École FERM"), ["L'École est fermée"]);
    assert.deepEqual(await texts(bob, "absent"), []);
    const { results } = await search(bob, { query: "primaire" });
    assert.equal(results[0].room, "general");
    assert.equal(results[0].user, "alice");
    assert.equal(results[0].seq, 2);
    assert.equal("with" in results[0], false);
  },
);

stores.clients(
  "search: a last word of one letter is a whole word, not a prefix (which would stand for nearly every word); two letters are a prefix",
  async (pool) => {
    const alice = await pool.guest("alice");
    await say(alice, "test build");
    await say(alice, "plan b today");
    await say(alice, "tomorrow then");
    assert.deepEqual(await texts(alice, "t"), []);
    assert.deepEqual(await texts(alice, "b"), ["plan b today"]);
    assert.deepEqual(await texts(alice, "plan B"), ["plan b today"]);
    assert.deepEqual(await texts(alice, "to"), [
      "tomorrow then",
      "plan b today",
    ]);
  },
);

stores.clients(
  "search: pages of `limit` results, `next` leading to the older ones",
  async (pool) => {
    const alice = await pool.guest("alice");
    for (let i = 1; i <= 7; i++) await say(alice, `page word ${i}`);
    const first = await search(alice, { query: "word", limit: 3 });
    assert.deepEqual(first.results.map((r) => r.seq), [7, 6, 5]);
    assert.equal(first.next, first.results[2].id);
    const second = await search(alice, {
      query: "word",
      limit: 3,
      before: first.next,
    });
    assert.deepEqual(second.results.map((r) => r.seq), [4, 3, 2]);
    const last = await search(alice, {
      query: "word",
      limit: 3,
      before: second.next,
    });
    assert.deepEqual(last.results.map((r) => r.seq), [1]);
    assert.equal("next" in last, false);
    const all = await search(alice, { query: "word" });
    assert.equal(all.results.length, 7);
    assert.equal("next" in all, false);
  },
);

stores.clients(
  "search: someone else's private words are never found; one's own carry `with`",
  async (pool) => {
    const alice = await pool.register("alice");
    const bob = await pool.register("bob");
    const carol = await pool.register("carol");
    await whisper(alice, "bob", "the secret plan");
    await whisper(bob, "carol", "another secret");
    await say(carol, "a public secret");
    assert.deepEqual(await texts(carol, "secret"), [
      "a public secret",
      "another secret",
    ]);
    const forBob = await search(bob, { query: "secret" });
    assert.deepEqual(
      forBob.results.map((r) => [r.text, r.with ?? r.room]),
      [
        ["a public secret", "general"],
        ["another secret", "carol"],
        ["the secret plan", "alice"],
      ],
    );
    assert.deepEqual(
      (await search(alice, { query: "plan" })).results.map((r) => r.with),
      ["bob"],
    );
    assert.deepEqual(await texts(bob, "secret", { with: "Alice" }), [
      "the secret plan",
    ]);
    assert.deepEqual(await texts(carol, "plan", { with: "alice" }), []);
    assert.deepEqual(await texts(carol, "plan", { with: "bob" }), []);
    assert.deepEqual(await texts(bob, "secret", { room: "general" }), [
      "a public secret",
    ]);
  },
);

stores.clients(
  "search: a private room's words are found by its members only",
  async (pool) => {
    const alice = await pool.register("alice");
    const bob = await pool.register("bob");
    const guest = await pool.guest("carol");
    await alice.ok("create_room", { room: "vault", private: true });
    await say(alice, "the vault combination");
    await say(guest, "a vault in general");
    assert.deepEqual(await texts(alice, "vault"), [
      "a vault in general",
      "the vault combination",
    ]);
    assert.deepEqual(await texts(bob, "vault"), ["a vault in general"]);
    assert.deepEqual(await texts(guest, "combination"), []);
    await expectError(
      bob,
      "search",
      { query: "vault", room: "vault" },
      "room_not_found",
    );
    await alice.ok("invite", { room: "vault", user: "bob" });
    assert.deepEqual(await texts(bob, "combination", { room: "vault" }), [
      "the vault combination",
    ]);
  },
);

stores.clients(
  "search: a room one is banned from is left out, and naming it is banned",
  async (pool) => {
    const boss = await pool.register("boss");
    const bob = await pool.register("bob");
    await boss.ok("create_room", { room: "dev" });
    await say(boss, "the otter plan");
    await boss.ok("join_room", { room: "general" });
    await say(boss, "an otter in general");
    assert.deepEqual(await texts(bob, "otter"), [
      "an otter in general",
      "the otter plan",
    ]);
    await boss.ok("ban", { user: "bob", room: "dev", reason: "spam" });
    assert.deepEqual(await texts(bob, "otter"), ["an otter in general"]);
    await expectError(
      bob,
      "search",
      { query: "otter", room: "dev" },
      "banned",
    );
  },
);

stores.clients(
  "search: guests search rooms only; an account finds no private words its name got before it existed",
  async (pool) => {
    const alice = await pool.register("alice");
    const guest = await pool.guest("dave");
    await whisper(alice, "dave", "for the guest dave");
    assert.deepEqual(await texts(guest, "guest"), []);
    assert.deepEqual(await texts(guest, "guest", { with: "alice" }), []);
    await guest.close();
    // The name is free once the server has seen the guest go.
    const dave = await eventually(() => pool.register("dave"));
    assert.deepEqual(await texts(dave, "guest"), []);
    assert.deepEqual(await texts(dave, "guest", { with: "alice" }), []);
    await whisper(alice, "dave", "for the account dave");
    assert.deepEqual(await texts(dave, "dave"), ["for the account dave"]);
  },
);

stores.clients(
  "search: a deleted message is never found, an edited one by its new text",
  async (pool) => {
    const alice = await pool.guest("alice");
    const gone = await say(alice, "regrettable words");
    const edited = await say(alice, "first wording");
    await alice.ok("delete_message", { id: gone.id });
    await alice.ok("edit_message", { id: edited.id, text: "better phrasing" });
    assert.deepEqual(await texts(alice, "regrettable"), []);
    assert.deepEqual(await texts(alice, "wording"), []);
    assert.deepEqual(await texts(alice, "phras"), ["better phrasing"]);
  },
);

stores.clients(
  'search: the syntax characters ", *, NEAR, -, OR, :, ( are plain text',
  async (pool) => {
    const alice = await pool.guest("alice");
    await say(alice, 'they said "near" or (maybe) not: a-b*c');
    await say(alice, "unrelated");
    const expected = ['they said "near" or (maybe) not: a-b*c'];
    for (
      const query of [
        '"near',
        "NEAR",
        "near OR maybe",
        "-maybe",
        "a-b*",
        "not:",
        "(maybe",
        '" * - : ( ) NEAR',
      ]
    ) {
      const reply = await alice.request("search", { query });
      assert.equal(
        reply.action,
        "success",
        `${query}: ${JSON.stringify(reply)}`,
      );
      const found = (reply.data.results as Result[]).map((r) => r.text);
      assert.deepEqual(found, expected, query);
    }
    assert.deepEqual(await texts(alice, '*** "" ()'), []);
    assert.deepEqual(await texts(alice, "NOT unrelated"), []);
  },
);

stores.clients(
  "search: empty, blank, huge and malformed queries get invalid_message; unknown rooms room_not_found",
  async (pool) => {
    const alice = await pool.guest("alice");
    await expectError(alice, "search", {}, "invalid_message");
    await expectError(alice, "search", { query: "" }, "invalid_message");
    await expectError(alice, "search", { query: "  \n " }, "invalid_message");
    await expectError(alice, "search", { query: 42 }, "invalid_message");
    await expectError(
      alice,
      "search",
      { query: "x".repeat(501) },
      "invalid_message",
    );
    await expectError(
      alice,
      "search",
      { query: "a ".repeat(33) },
      "invalid_message",
    );
    await expectError(
      alice,
      "search",
      { query: "x", limit: 51 },
      "invalid_message",
    );
    await expectError(
      alice,
      "search",
      { query: "x", limit: 0 },
      "invalid_message",
    );
    await expectError(
      alice,
      "search",
      { query: "x", before: "" },
      "invalid_message",
    );
    await expectError(
      alice,
      "search",
      { query: "x", room: "nowhere" },
      "room_not_found",
    );
    // At the limits, fine.
    await alice.ok("search", { query: "é".repeat(500) });
    await alice.ok("search", { query: "a ".repeat(32), limit: 50 });
  },
);

stores.clients(
  "search: more than its burst at once is rate limited",
  async (pool) => {
    const alice = await pool.guest("alice");
    const replies = await Promise.all(
      Array.from({ length: 30 }, () => alice.request("search", { query: "x" })),
    );
    const limited = replies.filter((r) => r.data.code === "rate_limited");
    assert.ok(limited.length >= 5, `${limited.length} refused`);
    assert.ok(typeof limited[0].data.retry_after_ms === "number");
    assert.ok(replies.filter((r) => r.action === "success").length >= 20);
  },
);

/** GETs /api/search with these query parameters and headers. */
async function httpSearch(
  server: TestServer,
  params: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Frame["data"] }> {
  const response = await fetch(
    `${server.url}/api/search?${new URLSearchParams(params)}`,
    { headers },
  );
  return { status: response.status, body: await response.json() };
}

stores.clients(
  "GET /api/search answers a session cookie or bearer token as the search action does",
  async (pool, server) => {
    const alice = await pool.register("alice");
    const bob = await pool.guest("bob");
    const carol = await pool.guest("carol");
    await say(bob, "the shared word");
    await whisper(bob, "carol", "a private word");
    await whisper(bob, "alice", "word for alice");
    const bearer = { authorization: `Bearer ${alice.token}` };
    const cookie = { cookie: `chat_session=${alice.token}` };
    const { request: _, ...viaWs } = await alice.ok("search", {
      query: "word",
    });
    for (const headers of [bearer, cookie]) {
      const { status, body } = await httpSearch(server, { q: "word" }, headers);
      assert.equal(status, 200);
      assert.deepEqual(body, viaWs);
    }
    assert.deepEqual(
      (await httpSearch(server, { q: "word", with: "bob" }, bearer)).body
        .results,
      (await search(alice, { query: "word", with: "bob" })).results,
    );
    const page = await httpSearch(server, { q: "word", limit: "1" }, bearer);
    assert.equal((page.body.results as Result[]).length, 1);
    const older = await httpSearch(server, {
      q: "word",
      limit: "1",
      before: page.body.next as string,
    }, bearer);
    assert.equal((older.body.results as Result[])[0].text, "the shared word");
    assert.deepEqual(
      (await httpSearch(server, { q: "private" }, bearer)).body.results,
      [],
    );
    await carol.ok("list_rooms");
    const refusals: [Record<string, string>, Record<string, string>, number][] =
      [
        [{ q: "word" }, {}, 401],
        [{ q: "word" }, { authorization: "Bearer nope" }, 401],
        [{ q: "" }, bearer, 400],
        [{}, bearer, 400],
        [{ q: "x".repeat(501) }, bearer, 400],
        [{ q: "word", limit: "many" }, bearer, 400],
        [{ q: "word", limit: "0" }, bearer, 400],
        [{ q: "word", room: "nowhere" }, bearer, 404],
      ];
    for (const [params, headers, status] of refusals) {
      const reply = await httpSearch(server, params, headers);
      assert.equal(reply.status, status, JSON.stringify(params));
      const expected = { 401: "bad_credentials", 400: "invalid_message" }[
        status as 401 | 400
      ] ?? "room_not_found";
      assert.equal(reply.body.error, expected);
      assert.equal(typeof reply.body.message, "string");
    }
  },
);

stores.clients(
  "GET /api/search is rate limited with the user's search requests",
  async (pool, server) => {
    const alice = await pool.register("alice");
    const bearer = { authorization: `Bearer ${alice.token}` };
    // Past the user's burst (40) at once.
    const replies = await Promise.all(
      Array.from({ length: 60 }, () => httpSearch(server, { q: "x" }, bearer)),
    );
    const limited = replies.filter((r) => r.status === 429);
    assert.ok(limited.length >= 10, `${limited.length} refused`);
    for (const reply of limited) {
      assert.equal(reply.body.error, "rate_limited");
      assert.equal(typeof reply.body.retry_after_ms, "number");
    }
  },
);

stores.clients(
  "history around_seq: half the limit before the seq, the rest from it, over WebSocket and HTTP",
  async (pool, server) => {
    const alice = await pool.guest("alice");
    for (let i = 1; i <= 30; i++) await say(alice, `m${i}`);
    const seqs = (data: Frame["data"]) =>
      (data.messages as Result[]).map((m) => m.seq);
    const range = (a: number, b: number) =>
      Array.from({ length: b - a + 1 }, (_, i) => a + i);
    assert.deepEqual(
      seqs(await alice.ok("history", { around_seq: 15, limit: 10 })),
      range(10, 19),
    );
    assert.deepEqual(
      seqs(await alice.ok("history", { room: "general", around_seq: 2 })),
      range(1, 26),
    );
    assert.deepEqual(
      seqs(await alice.ok("history", { around_seq: 29, limit: 6 })),
      range(26, 30),
    );
    await whisper(alice, "alice", "note to self");
    assert.deepEqual(
      seqs(await alice.ok("history", { with: "alice", around_seq: 1 })),
      [1],
    );
    const both = await expectError(
      alice,
      "history",
      { around_seq: 3, before_seq: 5 },
      "invalid_message",
    );
    // The refusal names the field (it once said "Invalid field data").
    assert.match(String(both.data.message), /'around_seq'/);
    await expectError(
      alice,
      "history",
      { around_seq: 3, after_seq: 1 },
      "invalid_message",
    );
    await expectError(alice, "history", { around_seq: -1 }, "invalid_message");
    const http = await fetch(
      `${server.url}/api/rooms/general/messages?around_seq=15&limit=4`,
    );
    assert.deepEqual(seqs(await http.json()), range(13, 16));
    const bad = await fetch(
      `${server.url}/api/rooms/general/messages?around_seq=15&after_seq=1`,
    );
    assert.equal(bad.status, 400);
    assert.deepEqual(await bad.json(), {
      error: "invalid_message",
      message:
        "Invalid field 'around_seq': around_seq cannot be combined with before_seq or after_seq.",
    });
  },
  { rateLimits: NO_RATE_LIMITS },
);

stores.clients(
  "search: from, has, after and until filter what the words find, and list what they keep without words, newest first",
  async (pool, server) => {
    const alice = await pool.register("alice");
    const bob = await pool.register("bob");
    const photo = await uploaded(
      server,
      `chat_session=${alice.token}`,
      new File([PNG], "dot.png", { type: "image/png" }),
    );
    const oldest = await say(alice, "first words");
    await say(bob, "bob's words, https://example.com");
    await alice.ok("send_message", {
      text: "a photo",
      attachments: [{ url: photo.url }],
    });
    await whisper(alice, "bob", "see HTTP://example.org");
    const newest = await say(alice, "last words");
    assert.deepEqual(await texts(bob, "", { from: "alice" }), [
      "last words",
      "see HTTP://example.org",
      "a photo",
      "first words",
    ]);
    assert.deepEqual(await texts(bob, "words", { from: "ALICE" }), [
      "last words",
      "first words",
    ]);
    assert.deepEqual(await texts(bob, "", { has: ["link"] }), [
      "see HTTP://example.org",
      "bob's words, https://example.com",
    ]);
    assert.deepEqual(await texts(bob, "", { has: ["file"] }), ["a photo"]);
    assert.deepEqual(await texts(bob, "", { has: ["image", "file"] }), [
      "a photo",
    ]);
    assert.deepEqual(
      await texts(bob, "", { from: "alice", has: ["link"], with: "alice" }),
      ["see HTTP://example.org"],
    );
    // A reaction on it: the message is found; one taken back leaves none.
    await bob.ok("react", { id: oldest.id, emoji: "👍" });
    await bob.ok("react", { id: oldest.id, emoji: "🎉" });
    await bob.ok("react", { id: oldest.id, emoji: "🎉", on: false });
    const last = await say(alice, "last reacted");
    await alice.ok("react", { id: last.id, emoji: "👀" });
    await alice.ok("react", { id: last.id, emoji: "👀", on: false });
    assert.deepEqual(await texts(bob, "", { has: ["reaction"] }), [
      "first words",
    ]);
    assert.deepEqual(await texts(bob, "words", { has: ["reaction"] }), [
      "first words",
    ]);
    await alice.ok("delete_message", { id: last.id });
    // Days in UTC, both ends kept: the messages were stored from the
    // first's day to the last's, one day unless UTC midnight fell between
    // (a day taken from the clock at this line failed then).
    const dayBefore = utcDay(oldest.ts, -1);
    const dayAfter = utcDay(newest.ts, 1);
    assert.deepEqual(
      await texts(bob, "words", {
        after: utcDay(oldest.ts),
        until: utcDay(newest.ts),
      }),
      ["last words", "bob's words, https://example.com", "first words"],
    );
    assert.deepEqual(await texts(bob, "words", { until: dayBefore }), []);
    assert.deepEqual(await texts(bob, "words", { after: dayAfter }), []);
    assert.deepEqual(
      await texts(bob, "", { after: dayAfter, until: dayBefore }),
      [],
    );
    // Pages as a search by words pages: `next` is the last result's id.
    const first = await search(bob, { query: "", from: "alice", limit: 3 });
    assert.equal(first.results.length, 3);
    assert.equal(first.next, first.results[2].id);
    const second = await search(bob, {
      query: "",
      from: "alice",
      limit: 3,
      before: first.next,
    });
    assert.deepEqual(second.results.map((r) => r.text), ["first words"]);
    assert.equal(second.next, undefined);
    // The query may be left out with a filter, and holds words still.
    assert.deepEqual(
      (await search(bob, { from: "bob" })).results.map((r) => r.text),
      ["bob's words, https://example.com"],
    );
    assert.deepEqual(await texts(bob, "?!", { from: "bob" }), [
      "bob's words, https://example.com",
    ]);
    // Over HTTP, with `has` as one comma-separated list.
    const bearer = { authorization: `Bearer ${alice.token}` };
    const http = await httpSearch(
      server,
      { from: "alice", has: "link,file" },
      bearer,
    );
    assert.equal(http.status, 200);
    assert.deepEqual(http.body, { results: [] });
    const reacted = await httpSearch(server, { has: "reaction" }, bearer);
    assert.deepEqual(
      (reacted.body.results as Result[]).map((r) => r.text),
      ["first words"],
    );
    const links = await httpSearch(server, { has: "link", q: "" }, bearer);
    assert.deepEqual(
      (links.body.results as Result[]).map((r) => r.text),
      ["see HTTP://example.org", "bob's words, https://example.com"],
    );
    const bad = await httpSearch(server, { has: "link,gif" }, bearer);
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error, "invalid_message");
    const badDay = await httpSearch(server, { until: "2026-02-30" }, bearer);
    assert.equal(badDay.status, 400);
    assert.deepEqual(badDay.body, {
      error: "invalid_message",
      message: "Invalid field 'until': no such date.",
    });
  },
  { rateLimits: NO_RATE_LIMITS },
);

stores.clients(
  "search: a filter alone is enough, and a bad day, has or from is invalid_message",
  async (pool) => {
    const bob = await pool.guest("bob");
    for (
      const data of [
        { query: "" },
        {},
        { query: "  ", has: [] },
        { query: "x", after: "2026-1-01" },
        { query: "x", after: "2026-13-01" },
        { query: "x", until: "2026-02-29" },
        { query: "x", until: "20260101" },
        { query: "x", until: 20260101 },
        { query: "x", until: "2026-01-01", zone: "Mars/Olympus" },
        { query: "x", until: "2026-01-01", zone: "UTC+1" },
        { query: "x", until: "2026-01-01", zone: "" },
        { query: "x", until: "2026-01-01", zone: 60 },
        // Names Intl takes but Temporal, which reads the days, does not.
        { query: "x", until: "2026-01-01", zone: "Factory" },
        { query: "x", after: "2026-01-01", zone: "SystemV/AST4" },
        { query: "x", has: ["gif"] },
        { query: "x", has: "file" },
        { query: "x", from: "" },
      ]
    ) {
      await expectError(bob, "search", data, "invalid_message");
    }
    assert.deepEqual(await texts(bob, "", { until: "2024-02-29" }), []);
    assert.deepEqual(await texts(bob, "", { has: ["file"] }), []);
  },
  { rateLimits: NO_RATE_LIMITS },
);

// Moves a stored message to the instant `iso`: its `ts` and the time its
// id begins with (a search's days bound ids), as if sent then.
async function restamp(
  server: TestServer,
  store: StoreUnderTest,
  message: Result,
  iso: string,
): Promise<void> {
  const ms = Date.parse(iso);
  const id = encodeTime(ms, 10) + message.id.slice(10);
  if (store.psql) {
    await store.psql(
      `UPDATE messages SET id = '${id}', ts = ${ms} WHERE id = '${message.id}'`,
    );
    return;
  }
  const db = new DatabaseSync(`${server.dir}/chat.db`);
  try {
    db.exec("PRAGMA busy_timeout = 5000");
    db.prepare("UPDATE messages SET id = ?, ts = ? WHERE id = ?")
      .run(id, ms, message.id);
  } finally {
    db.close();
  }
}

stores.test(
  "search: with a zone, after and until are the reader's days, from its midnights (23 and 25 hours on a change of clocks); without one, UTC's",
  (server, store) =>
    withPool(server, async (pool) => {
      const bob = await pool.guest("bob");
      const at = async (text: string, iso: string) =>
        await restamp(server, store, await say(bob, text), iso);
      // Sent in the order of their times: ids grow with the rows, as the
      // stores' walks by filters expect. Paris: the 29th of March has 23
      // hours (from 23:00 UTC the day before to 22:00 UTC), the 25th of
      // October 25 (22:00 UTC the day before to 23:00 UTC).
      await at("march 29 00:30 Paris", "2026-03-28T23:30:00Z");
      await at("march 30 00:30 Paris", "2026-03-29T22:30:00Z");
      await at("october 25 23:30 Paris", "2026-10-25T22:30:00Z");
      await at("october 26 00:30 Paris", "2026-10-25T23:30:00Z");
      // 00:30 in Tokyo on the 7th is 15:30 UTC on the 6th (07:30 in Los
      // Angeles); 23:30 in Los Angeles on the 6th, 07:30 UTC on the 7th.
      await at("early in Tokyo", "2026-12-06T15:30:00Z");
      await at("late in Los Angeles", "2026-12-07T07:30:00Z");
      const on = (day: string, zone?: string) =>
        texts(bob, "", { after: day, until: day, ...(zone ? { zone } : {}) });
      const la = "America/Los_Angeles";
      assert.deepEqual(await on("2026-12-06", la), [
        "late in Los Angeles",
        "early in Tokyo",
      ]);
      assert.deepEqual(await on("2026-12-07", la), []);
      assert.deepEqual(await on("2026-12-06"), ["early in Tokyo"]);
      assert.deepEqual(await on("2026-12-07"), ["late in Los Angeles"]);
      assert.deepEqual(await on("2026-12-06", "Asia/Tokyo"), []);
      assert.deepEqual(await on("2026-12-07", "Asia/Tokyo"), [
        "late in Los Angeles",
        "early in Tokyo",
      ]);
      assert.deepEqual(
        await on("2026-12-06", "UTC"),
        await on("2026-12-06"),
      );
      const paris = "Europe/Paris";
      assert.deepEqual(await on("2026-03-29", paris), [
        "march 29 00:30 Paris",
      ]);
      assert.deepEqual(await on("2026-03-30", paris), [
        "march 30 00:30 Paris",
      ]);
      assert.deepEqual(await on("2026-10-25", paris), [
        "october 25 23:30 Paris",
      ]);
      assert.deepEqual(await on("2026-10-26", paris), [
        "october 26 00:30 Paris",
      ]);
      // after alone, until alone: each bound its own day's midnight.
      assert.deepEqual(
        await texts(bob, "paris", { after: "2026-10-26", zone: paris }),
        ["october 26 00:30 Paris"],
      );
      assert.deepEqual(
        await texts(bob, "paris", { until: "2026-03-29", zone: paris }),
        ["march 29 00:30 Paris"],
      );
      // Over HTTP, as `zone`.
      const carol = await pool.register("carol");
      const bearer = { authorization: `Bearer ${carol.token}` };
      const http = await httpSearch(
        server,
        { after: "2026-12-06", until: "2026-12-06", zone: la },
        bearer,
      );
      assert.equal(http.status, 200);
      assert.deepEqual(
        (http.body.results as Result[]).map((r) => r.text),
        ["late in Los Angeles", "early in Tokyo"],
      );
      for (const zone of ["Mars/Olympus", "+01:00", "", "Factory"]) {
        const bad = await httpSearch(
          server,
          { after: "2026-12-06", zone },
          bearer,
        );
        assert.equal(bad.status, 400, zone);
        assert.equal(bad.body.error, "invalid_message", zone);
      }
    }),
  { rateLimits: NO_RATE_LIMITS },
);

stores.clients(
  "search: from lists what the name's account wrote since it was made, not what a guest wrote under the name before",
  async (pool) => {
    const reader = await pool.guest("reader");
    const guest = await pool.guest("carol");
    await say(guest, "a guest's words");
    await guest.close();
    const carol = await pool.register("carol");
    await say(carol, "the account's words");
    assert.deepEqual(await texts(reader, "", { from: "carol" }), [
      "the account's words",
    ]);
    assert.deepEqual(await texts(reader, "words", { from: "carol" }), [
      "the account's words",
    ]);
    // A name without an account: every message under it.
    assert.deepEqual(await texts(carol, "", { from: "reader" }), []);
    await say(reader, "the reader's words");
    assert.deepEqual(await texts(carol, "", { from: "reader" }), [
      "the reader's words",
    ]);
  },
  { rateLimits: NO_RATE_LIMITS },
);

stores.clients(
  "search: has link reads a sixteenth of the rows a page of filters reads (the test reads each row's text): a link under 400 messages without one comes a page or more later, through next",
  async (pool) => {
    const alice = await pool.register("alice");
    const link = await say(alice, "notes at https://example.com/notes");
    // 4,000 characters of "HTTP:/" each cost SQLite's LIKE and
    // PostgreSQL's ILIKE 25 to 190 µs a row (round 15): 4,096 of them a
    // page held the store up to 770 ms.
    for (let from = 0; from < 400; from += 100) {
      await Promise.all(
        range(from, from + 99).map((i) => say(alice, `HTTP:/ plain ${i}`)),
      );
    }
    const first = await search(alice, { has: ["link"] });
    assert.deepEqual(first.results, []);
    assert.ok(first.next !== undefined, "a next page");
    let before: string | undefined = first.next;
    let found: Result[] = [];
    let pages = 1;
    while (before !== undefined && found.length === 0) {
      const page = await search(alice, { has: ["link"], before });
      found = page.results;
      before = page.next;
      pages++;
    }
    assert.deepEqual(found.map((r) => r.id), [link.id]);
    assert.ok(pages >= 2, `${pages} pages`);
    // By its words, the link comes at once.
    const plain = await search(alice, { query: "notes" });
    assert.deepEqual(plain.results.map((r) => r.id), [link.id]);
  },
  { rateLimits: NO_RATE_LIMITS },
);

stores.clients(
  "search: in a quiet room, a search by filters alone finds the room's old messages in one page, however many messages the other rooms hold since",
  async (pool) => {
    const alice = await pool.register("alice");
    // A connection sends to the room it is in: quiet, then general.
    await alice.ok("create_room", { room: "quiet" });
    const link = await say(alice, "notes at https://example.com/notes");
    await say(alice, "no link here");
    await alice.ok("join_room", { room: "general" });
    // A page by `has link` alone reads 256 rows of the whole store (a
    // sixteenth of a page of filters): these bury the room's link below
    // the first page's.
    for (let from = 0; from < 400; from += 100) {
      await Promise.all(
        range(from, from + 99).map((i) => say(alice, `plain ${i}`)),
      );
    }
    const page = await search(alice, { has: ["link"], room: "quiet" });
    assert.deepEqual(page.results.map((r) => r.id), [link.id]);
    assert.equal(page.next, undefined);
  },
  { rateLimits: NO_RATE_LIMITS },
);

Deno.test("search: on a store large enough, words that never come together get a page cut short by the work budget, with next, and next pages reach the end", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-test-" });
  try {
    // "left" and "right" each in half the messages, never together, and
    // "every" in all: the rarest list is longer than the budget (shorter,
    // FTS5's own AND walks it whole, no longer), and the three are more
    // than one page may walk.
    const filling = new SqliteStore(`${dir}/chat.db`, { busyTimeoutMs: 2000 });
    await filling.createRoom("general", "general");
    for (let from = 0; from < 2 * SEARCH_BUDGET + 4096; from += 4096) {
      await Promise.all(
        range(from, from + 4095).map((i) =>
          filling.appendMessage({
            roomKey: "general",
            userKey: "filler",
            user: "filler",
            text: `${i % 2 ? "left" : "right"} every`,
          })
        ),
      );
    }
    await filling.close();
    await withClients(async (pool) => {
      const reader = await pool.guest("reader");
      const first = await search(reader, { query: "left right every" });
      assert.deepEqual(first.results, []);
      assert.ok(first.next !== undefined, "a next page");
      let before: string | undefined = first.next;
      let pages = 1;
      while (before !== undefined) {
        const page = await search(reader, {
          query: "left right every",
          before,
        });
        assert.deepEqual(page.results, []);
        assert.ok(page.next === undefined || page.next < before);
        before = page.next;
        pages++;
      }
      assert.ok(pages >= 2, `${pages} pages`);
      // Words that do come together fill their page as before.
      const { results } = await search(reader, { query: "left every" });
      assert.equal(results.length, 20);
    }, { db: `${dir}/chat.db`, rateLimits: NO_RATE_LIMITS });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

stores.finish();
