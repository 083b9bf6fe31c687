/**
 * Hostile input at the edges of the protocol, on SQLite and PostgreSQL:
 * fields a client may not set never reach a stored or broadcast message
 * (mass assignment), and numbers at the edges of what JSON and query
 * strings can say get `invalid_message` (HTTP 400) or a correct page,
 * never `internal`.
 */
import assert from "node:assert/strict";
import { createECDH, randomBytes } from "node:crypto";
import type { Config } from "../server/config.ts";
import {
  type ClientPool,
  type Frame,
  TEST_PASSWORD,
  type TestClient,
  type TestServer,
  withClients,
} from "./harness.ts";
import { migratedDatabase } from "./migrated_database.ts";
import { postgresSkipReason, startPostgres } from "./services.ts";

const pg = postgresSkipReason() ? null : await startPostgres();

/** Registers `name` once per store: SQLite, then PostgreSQL when present. */
function onBothStores(
  name: string,
  body: (pool: ClientPool, server: TestServer) => Promise<void>,
  config: Partial<Config> = {},
): void {
  Deno.test(`${name} (SQLite)`, () => withClients(body, config));
  if (!pg) {
    Deno.test({
      name: `${name} (PostgreSQL): skipped, ${postgresSkipReason()}`,
      ignore: true,
      fn() {},
    });
    return;
  }
  Deno.test(`${name} (PostgreSQL)`, async () => {
    const { url } = await migratedDatabase(pg);
    const options: Partial<Config> = { ...config, databaseUrl: url };
    await withClients(body, options);
  });
}

/** Sends raw JSON text (so `__proto__` stays an own key) and waits for its reply. */
async function rawRequest(
  client: TestClient,
  id: string,
  json: string,
): Promise<Frame> {
  client.send(json);
  return await client.waitFor((f) => f.id === id, `reply ${id}`);
}

const FORGED = {
  user: "mallory",
  id: "01FORGEDFORGEDFORGEDFORGED",
  seq: 999,
  ts: "1999-01-01T00:00:00.000Z",
  edited_at: "1999-01-01T00:00:00.000Z",
  deleted: true,
  room: "elsewhere",
  to: "mallory",
  polluted: "yes",
};

function assertClean(message: Record<string, unknown>, author: string): void {
  assert.equal(message.user, author);
  assert.notEqual(message.id, FORGED.id);
  assert.notEqual(message.seq, FORGED.seq);
  assert.notEqual(message.ts, FORGED.ts);
  assert.equal(message.edited_at, undefined);
  assert.equal(message.deleted, undefined);
  assert.equal(message.polluted, undefined);
  assert.equal(message.text, "hello");
  assert.equal(Object.getPrototypeOf(message), Object.prototype);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
}

onBothStores(
  "send_message: user, id, seq, ts, edited_at, deleted, room and __proto__ in data never reach the stored or broadcast message",
  async (pool, server) => {
    const alice = await pool.guest("alice");
    const bob = await pool.guest("bob");
    const data = JSON.stringify({ text: "hello", client_id: "k1", ...FORGED })
      .replace(/}$/, ',"__proto__":{"user":"mallory","deleted":true}}');
    const reply = await rawRequest(
      alice,
      "m1",
      `{"action":"send_message","id":"m1","data":${data}}`,
    );
    assert.equal(reply.action, "success", JSON.stringify(reply.data));
    const sent = reply.data.message as Record<string, unknown>;
    assertClean(sent, "alice");
    assert.equal(sent.room, "general");
    const seen = await bob.event("receive_message");
    assertClean(seen.data, "alice");
    assert.equal(seen.data.room, "general");
    const res = await fetch(`${server.url}/api/rooms/general/messages`);
    const stored = (await res.json()).messages as Record<string, unknown>[];
    assert.equal(stored.length, 1);
    assertClean(stored[0], "alice");
    assert.equal(stored[0].room, "general");
  },
);

onBothStores(
  "private_message: forged fields and __proto__ in data never reach the stored or delivered message",
  async (pool) => {
    const alice = await pool.guest("alice");
    const bob = await pool.guest("bob");
    const data = JSON.stringify({ text: "hello", ...FORGED, to: "bob" })
      .replace(/}$/, ',"__proto__":{"user":"mallory"}}');
    const reply = await rawRequest(
      alice,
      "p1",
      `{"action":"private_message","id":"p1","data":${data}}`,
    );
    assert.equal(reply.action, "success", JSON.stringify(reply.data));
    const sent = reply.data.message as Record<string, unknown>;
    assertClean(sent, "alice");
    assert.equal(sent.to, "bob");
    assert.equal(sent.room, undefined);
    const seen = await bob.event("private_message");
    assertClean(seen.data, "alice");
    assert.equal(seen.data.to, "bob");
    const page = await bob.ok("history", { with: "alice" });
    const stored = page.messages as Record<string, unknown>[];
    assert.equal(stored.length, 1);
    assertClean(stored[0], "alice");
  },
);

onBothStores(
  "send_message: an attachment's name, size, type and extra fields come from the upload, not from the message",
  async (pool, server) => {
    const register = await fetch(`${server.url}/api/register`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: server.url },
      body: JSON.stringify({ username: "alice", password: TEST_PASSWORD }),
    });
    await register.body?.cancel();
    const cookie = register.headers.get("set-cookie")!.split(";")[0];
    const form = new FormData();
    form.append(
      "file",
      new File(["plain words"], "notes.txt", { type: "text/plain" }),
    );
    const res = await fetch(`${server.url}/api/files`, {
      method: "POST",
      body: form,
      headers: { cookie, origin: server.url },
    });
    assert.equal(res.status, 201);
    const uploaded = await res.json();
    const alice = await pool.login({}, { headers: { cookie } });
    const bob = await pool.guest("bob");
    const forged = {
      url: uploaded.url,
      name: "payload.exe",
      size: 1,
      type: "text/html",
      sha256: "0".repeat(64),
      __proto__: null,
    };
    const reply = await alice.request("send_message", {
      text: "hello",
      attachments: [forged],
    });
    assert.equal(reply.action, "success", JSON.stringify(reply.data));
    const seen = await bob.event("receive_message");
    const history = await bob.ok("history", {});
    for (
      const message of [
        reply.data.message as Record<string, unknown>,
        seen.data,
        (history.messages as Record<string, unknown>[])[0],
      ]
    ) {
      assert.deepEqual(message.attachments, [{
        url: uploaded.url,
        name: uploaded.name,
        size: uploaded.size,
        type: uploaded.type,
      }]);
    }
  },
);

// Each value as JSON text, so 2**63 and -0 arrive exactly as a client
// would write them.
const BAD_NUMBERS = ["1e300", "9223372036854775808", "1.5", '"5"', "-1"];

onBothStores(
  "history: after_seq, before_seq and limit at the edges of JSON get invalid_message or a correct page, never internal",
  async (pool) => {
    const alice = await pool.guest("alice");
    for (let i = 1; i <= 3; i++) {
      await alice.ok("send_message", { text: `${i}` });
    }
    let n = 0;
    for (const field of ["after_seq", "before_seq", "limit"]) {
      for (const value of BAD_NUMBERS) {
        const id = `h${++n}`;
        const reply = await rawRequest(
          alice,
          id,
          `{"action":"history","id":"${id}","data":{"${field}":${value}}}`,
        );
        assert.equal(reply.action, "error", `${field}=${value}`);
        assert.equal(reply.data.code, "invalid_message", `${field}=${value}`);
      }
    }
    const seqs = async (json: string) => {
      const id = `h${++n}`;
      const reply = await rawRequest(
        alice,
        id,
        `{"action":"history","id":"${id}","data":${json}}`,
      );
      assert.equal(
        reply.action,
        "success",
        `${json}: ${JSON.stringify(reply.data)}`,
      );
      return (reply.data.messages as { seq: number }[]).map((m) => m.seq);
    };
    assert.deepEqual(await seqs('{"after_seq":-0}'), [1, 2, 3]);
    assert.deepEqual(await seqs('{"before_seq":-0}'), []);
    assert.deepEqual(await seqs('{"after_seq":9007199254740991}'), []);
    assert.deepEqual(await seqs('{"before_seq":9007199254740991}'), [1, 2, 3]);
    assert.deepEqual(await seqs('{"after_seq":1,"limit":1.0}'), [2]);
    assert.deepEqual(await seqs('{"limit":2e0}'), [2, 3]);
  },
);

onBothStores(
  "GET /api/rooms/:room/messages: edge numbers in the query get 400 invalid_message or a correct page, never 500",
  async (pool, server) => {
    const alice = await pool.guest("alice");
    for (let i = 1; i <= 3; i++) {
      await alice.ok("send_message", { text: `${i}` });
    }
    const get = async (query: string) => {
      const res = await fetch(
        `${server.url}/api/rooms/general/messages?${query}`,
      );
      const body = await res.json();
      return { status: res.status, body };
    };
    const bad = [
      "1e300",
      "9223372036854775808",
      "1.5",
      "-1",
      "NaN",
      "Infinity",
      "abc",
      "5abc",
    ];
    for (const field of ["after_seq", "before_seq", "limit"]) {
      for (const value of bad) {
        const { status, body } = await get(`${field}=${value}`);
        assert.equal(status, 400, `${field}=${value}`);
        assert.equal(body.error, "invalid_message", `${field}=${value}`);
      }
    }
    const seqs = async (query: string) => {
      const { status, body } = await get(query);
      assert.equal(status, 200, `${query}: ${JSON.stringify(body)}`);
      return (body.messages as { seq: number }[]).map((m) => m.seq);
    };
    assert.deepEqual(await seqs("after_seq=-0"), [1, 2, 3]);
    assert.deepEqual(await seqs("after_seq=5"), []);
    assert.deepEqual(await seqs("after_seq=1&limit=1"), [2]);
    assert.deepEqual(await seqs("after_seq=9007199254740991"), []);
    assert.deepEqual(await seqs("before_seq=9007199254740991"), [1, 2, 3]);
    assert.deepEqual(await seqs("limit=2"), [2, 3]);
  },
);

onBothStores(
  "NUL in a name, message id, invite code or search cursor, over the WebSocket and HTTP: invalid_message (or 404 for an id in a path), never internal",
  async (pool, server) => {
    const root = await pool.register("root");
    const nul = "a\0b";
    const requests: [string, Record<string, unknown>][] = [
      ["history", { with: nul }],
      ["history", { room: nul }],
      ["private_message", { to: nul, text: "x" }],
      ["send_message", { text: "x", reply_to: nul }],
      ["private_message", { to: "root", text: "x", reply_to: nul }],
      ["edit_message", { id: nul, text: "x" }],
      ["delete_message", { id: nul }],
      ["react", { id: nul, emoji: "👍" }],
      ["pin", { id: nul }],
      ["list_pins", { with: nul }],
      ["search", { query: "x", with: nul }],
      ["search", { query: "x", before: nul }],
      ["mark_read", { with: nul, seq: 1 }],
      ["join_room", { room: "general", invite: nul }],
      ["revoke_invite", { code: nul }],
      ["invite", { room: "general", user: nul }],
      ["remove_member", { room: "general", user: nul }],
      ["kick", { user: nul }],
      ["ban", { user: nul }],
      ["unban", { user: nul }],
      ["set_role", { user: nul, role: "user" }],
      ["list_accounts", { query: nul }],
      ["reset_password", { user: nul }],
      ["delete_account", { user: nul, messages: "keep" }],
      ["update_room", { room: "general", owner: nul }],
    ];
    for (const [action, data] of requests) {
      const reply = await root.request(action, data);
      assert.equal(
        reply.data.code,
        "invalid_message",
        `${action} ${JSON.stringify(data)}: ${JSON.stringify(reply.data)}`,
      );
    }
    const stranger = await pool.connect();
    const login = await stranger.request("login", {
      username: nul,
      password: TEST_PASSWORD,
    });
    assert.equal(login.data.code, "invalid_message");

    const headers = {
      authorization: `Bearer ${root.token}`,
      "content-type": "application/json",
    };
    const calls: [string, string, unknown?][] = [
      ["GET", "/api/search?q=x&before=a%00b"],
      ["GET", "/api/search?q=x&with=a%00b"],
      ["POST", "/api/private/a%00b/messages", { text: "x" }],
      ["POST", "/api/rooms/general/messages", { text: "x", reply_to: nul }],
      ["GET", "/api/rooms/a%00b/messages"],
      ["DELETE", "/api/hooks/a%00b"],
      ["DELETE", "/api/outgoing-hooks/a%00b"],
      ["GET", "/api/bots/a%00b/tokens"],
      ["POST", "/api/bots/a%00b/tokens", { name: "x" }],
      ["DELETE", "/api/push/subscriptions", { endpoint: `https://x/${nul}` }],
    ];
    for (const [method, path, body] of calls) {
      const response = await fetch(`${server.url}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const answer = await response.json();
      assert.ok(
        [400, 404].includes(response.status),
        `${method} ${path}: ${response.status} ${JSON.stringify(answer)}`,
      );
    }
  },
);

onBothStores(
  "a push endpoint or outgoing webhook URL holding a NUL or a lone surrogate: 400 invalid_message and nothing stored, never internal",
  async (pool, server) => {
    const root = await pool.register("root");
    const headers = {
      authorization: `Bearer ${root.token}`,
      "content-type": "application/json",
    };
    const keys = {
      p256dh: createECDH("prime256v1").generateKeys().toString("base64url"),
      auth: randomBytes(16).toString("base64url"),
    };
    // A URL parser takes both (it percent-encodes them), so the address
    // checks passed and the URL was stored as sent: PostgreSQL's text
    // refused the NUL (500 internal); the surrogate was taken (201), a
    // string that is not text, which PostgreSQL keeps in UTF-8.
    for (const odd of ["\0", "\uD800"]) {
      const calls: [string, unknown][] = [
        ["/api/push/subscriptions", {
          endpoint: `https://8.8.8.8/a${odd}b`,
          keys,
        }],
        ["/api/rooms/general/outgoing-hooks", {
          url: `https://8.8.8.8/a${odd}b`,
        }],
      ];
      for (const [path, body] of calls) {
        const response = await fetch(`${server.url}${path}`, {
          method: "POST",
          headers,
          body: JSON.stringify(body),
        });
        const answer = await response.json();
        assert.deepEqual(
          [response.status, answer.error],
          [400, "invalid_message"],
          `${path} ${JSON.stringify(body)}: ${JSON.stringify(answer)}`,
        );
      }
    }
    const hooks = await fetch(
      `${server.url}/api/rooms/general/outgoing-hooks`,
      { headers },
    );
    assert.deepEqual((await hooks.json()).hooks, []);
    // The same URLs, well formed, are taken.
    const fine = await fetch(`${server.url}/api/push/subscriptions`, {
      method: "POST",
      headers,
      body: JSON.stringify({ endpoint: "https://8.8.8.8/ab", keys }),
    });
    assert.equal(fine.status, 201, await fine.text());
  },
  { webhookAllow: ["8.8.8.8"] },
);

if (pg) {
  // Last, inside a test so the sanitizers see the server stop.
  Deno.test("input edges: stop PostgreSQL", async () => {
    await pg.stop();
  });
}
