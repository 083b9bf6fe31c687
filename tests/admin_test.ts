/**
 * The admin page's protocol (docs/protocol.md, "Administration"): the
 * audit log, bans that end, accounts (list, password reset links,
 * deletion), rooms made private or public with an owner, and the same
 * actions over `/api/admin/*`. Scenarios that touch the store run on
 * SQLite and PostgreSQL.
 */
import assert from "node:assert/strict";
import { NO_RATE_LIMITS } from "../server/mod.ts";
import { DEFAULT_RATE_LIMITS } from "../server/rate_limit.ts";
import { bothStores } from "./both_stores.ts";
import {
  ClientPool,
  eventually,
  expectError,
  historyOf,
  roundTrip,
  TEST_PASSWORD,
  type TestClient,
  type TestServer,
  wentOffline,
  withClients,
  withPool,
} from "./harness.ts";

const stores = await bothStores();

/** The 4003 close code of a connection ended by a moderator. */
const CLOSE_REMOVED = 4003;

/** An audit entry as `audit_log` returns it. */
interface Entry {
  id: number;
  at: string;
  by: string;
  action: string;
  target?: string;
  room?: string;
  reason?: string;
  address: string;
  details?: Record<string, unknown>;
}

/** Registers `root`, the first account and so the admin. */
async function admin(pool: ClientPool): Promise<TestClient> {
  const root = await pool.register("root");
  const reply = root.received.find((f) => f.data.request === "register");
  assert.equal(reply?.data.role, "admin");
  return root;
}

function tokenOf(client: TestClient): string {
  const reply = client.received.find((f) =>
    f.data.request === "register" || f.data.request === "login"
  );
  const token = reply?.data.token;
  assert.equal(typeof token, "string");
  return token as string;
}

async function entries(
  root: TestClient,
  data: Record<string, unknown> = {},
): Promise<Entry[]> {
  return (await root.ok("audit_log", data)).entries as Entry[];
}

/** A request to `/api/admin/<action>` (or any path) with a bearer token. */
async function api(
  server: TestServer,
  path: string,
  options: {
    token?: string;
    body?: unknown;
    headers?: Record<string, string>;
  } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  // As the admin page does: with this server's Origin (the CSRF check).
  const headers = new Headers({ origin: server.url, ...options.headers });
  if (options.token) headers.set("authorization", `Bearer ${options.token}`);
  const init: RequestInit = { headers };
  if (options.body !== undefined) {
    init.method = "POST";
    headers.set("content-type", "application/json");
    init.body = JSON.stringify(options.body);
  }
  const response = await fetch(`${server.url}${path}`, init);
  return { status: response.status, body: await response.json() };
}

stores.test("audit_log: every moderation and admin action says who, what, whom, when, why and from where, and outlives what it describes", (server) =>
  withPool(server, async (pool) => {
    const root = await admin(pool);
    const bob = await pool.register("bob");
    await pool.register("carol");
    await bob.ok("create_room", { room: "dev" });
    const before = Date.now();
    await root.ok("ban", {
      user: "bob",
      room: "dev",
      reason: "flooding",
      duration_s: 600,
    });
    await root.ok("unban", { user: "bob", room: "dev" });
    await root.ok("set_role", { user: "carol", role: "moderator" });
    await root.ok("kick", { user: "bob", reason: "calm down" });
    await root.ok("delete_room", { room: "dev" });
    await root.ok("reset_password", { user: "carol", reason: "forgot it" });
    await root.ok("delete_account", {
      user: "bob",
      messages: "anonymise",
      reason: "asked to leave",
    });
    const log = await entries(root);
    assert.deepEqual(log.map((e) => e.action), [
      "delete_account",
      "reset_password",
      "delete_room",
      "kick",
      "set_role",
      "unban",
      "ban",
    ]);
    for (const entry of log) {
      assert.equal(entry.by, "root");
      assert.equal(entry.address, "127.0.0.1");
      assert.ok(Date.parse(entry.at) >= before - 1000, entry.at);
    }
    const [deleted, reset, room, kick, role, unban, ban] = log;
    assert.deepEqual(
      { target: ban.target, room: ban.room, reason: ban.reason },
      { target: "bob", room: "dev", reason: "flooding" },
    );
    assert.deepEqual(ban.details, { duration_s: 600 });
    assert.deepEqual([unban.target, unban.room], ["bob", "dev"]);
    assert.deepEqual([role.target, role.details], ["carol", {
      role: "moderator",
    }]);
    assert.deepEqual([kick.target, kick.reason], ["bob", "calm down"]);
    assert.equal(room.room, "dev");
    assert.deepEqual([reset.target, reset.reason], ["carol", "forgot it"]);
    assert.deepEqual(
      [deleted.target, deleted.reason, deleted.details],
      ["bob", "asked to leave", { messages: "anonymise" }],
    );
    assert.ok(log.every((e, i) => i === 0 || log[i - 1].id > e.id));
  }));

stores.test("audit_log: pages newest first with before and limit", (server) =>
  withPool(server, async (pool) => {
    const root = await admin(pool);
    for (const name of ["a1", "a2", "a3"]) {
      await pool.register(name);
      await root.ok("set_role", { user: name, role: "moderator" });
    }
    const first = await root.ok("audit_log", { limit: 2 });
    const page1 = first.entries as Entry[];
    assert.deepEqual(page1.map((e) => e.target), ["a3", "a2"]);
    assert.equal(first.next_before, page1[1].id);
    const second = await root.ok("audit_log", {
      before: first.next_before,
      limit: 2,
    });
    assert.deepEqual((second.entries as Entry[]).map((e) => e.target), [
      "a1",
    ]);
    assert.equal(second.next_before, undefined);
    await expectError(root, "audit_log", { limit: 0 }, "invalid_message");
    await expectError(root, "audit_log", { before: "x" }, "invalid_message");
  }));

stores.test("ban: with duration_s the ban ends by itself, and list_bans shows when", (server) =>
  withPool(server, async (pool) => {
    const root = await admin(pool);
    const bob = await pool.register("bob");
    const token = tokenOf(bob);
    await bob.close();
    await wentOffline(root, "bob");
    // An hour while the ban is looked at: with a ban of seconds, a busy
    // machine could see it end before the checks that it is in force.
    const sent = Date.now();
    const reply = await root.ok("ban", {
      user: "bob",
      reason: "cool off",
      duration_s: 3600,
    });
    const ends = Date.parse(reply.expires_at as string);
    assert.ok(
      ends >= sent + 3600_000 && ends <= Date.now() + 3600_000,
      reply.expires_at as string,
    );
    const { bans } = await root.ok("list_bans");
    assert.deepEqual(
      (bans as Record<string, unknown>[]).map((b) => [b.user, b.reason]),
      [["bob", "cool off"]],
    );
    assert.equal(
      (bans as Record<string, unknown>[])[0].expires_at,
      reply.expires_at,
    );
    const accounts = (await root.ok("list_accounts", { query: "bo" }))
      .accounts as Record<string, unknown>[];
    assert.deepEqual(accounts.map((a) => [a.username, a.banned]), [[
      "bob",
      true,
    ]]);
    const refused = await pool.connect();
    await expectError(refused, "login", { token }, "banned");
    // Banning again replaces the end: one second from now.
    const shortened = await root.ok("ban", {
      user: "bob",
      reason: "cool off",
      duration_s: 1,
    });
    assert.ok(Date.parse(shortened.expires_at as string) < ends);
    // The ban's own clock, not the machine's speed: wide margin.
    await eventually(async () => {
      const client = await pool.connect();
      const answer = await client.request("login", { token });
      await client.close();
      assert.equal(answer.action, "success", JSON.stringify(answer.data));
    }, { timeoutMs: 20_000, intervalMs: 250 });
    assert.deepEqual((await root.ok("list_bans")).bans, []);
    await expectError(
      root,
      "ban",
      { user: "bob", duration_s: 0 },
      "invalid_message",
    );
  }));

stores.test("reset_password: the link sets a new password once and ends the old sessions and the other links", (server) =>
  withPool(server, async (pool) => {
    const root = await admin(pool);
    const carol = await pool.register("carol");
    const oldToken = tokenOf(carol);
    const reply = await root.ok("reset_password", { user: "Carol" });
    assert.equal(reply.user, "carol");
    const link = reply.link as string;
    assert.match(link, /^\/reset#[A-Za-z0-9_-]{43}$/);
    assert.ok(Date.parse(reply.expires_at as string) > Date.now());
    const resetToken = link.slice("/reset#".length);
    const spareLink = (await root.ok("reset_password", { user: "carol" }))
      .link as string;
    const spareToken = spareLink.slice("/reset#".length);
    const weak = await api(server, "/api/reset-password", {
      body: { token: resetToken, password: "x" },
    });
    assert.equal(weak.body.error, "invalid_message");
    const done = await api(server, "/api/reset-password", {
      body: { token: resetToken, password: "a brand new secret" },
    });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.deepEqual(done.body, {
      username: "carol",
      role: "user",
      totp: false,
    });
    const again = await api(server, "/api/reset-password", {
      body: { token: resetToken, password: "another new secret" },
    });
    assert.deepEqual([again.status, again.body.error], [
      401,
      "bad_credentials",
    ]);
    // Every other link for carol ended with the new password.
    const spare = await api(server, "/api/reset-password", {
      body: { token: spareToken, password: "another new secret" },
    });
    assert.deepEqual([spare.status, spare.body.error], [
      401,
      "bad_credentials",
    ]);
    // The old session ends, and its socket closes as after change_password.
    await eventually(() => assert.equal(carol.closeCode, 4004));
    const stale = await pool.connect();
    await expectError(stale, "login", { token: oldToken }, "bad_credentials");
    const fresh = await pool.connect();
    await expectError(
      fresh,
      "login",
      { username: "carol", password: TEST_PASSWORD },
      "bad_credentials",
    );
    await pool.login({ username: "carol", password: "a brand new secret" });
    // The page itself is the client's.
    const page = await fetch(`${server.url}/reset`);
    assert.match(await page.text(), /<div id="app">/);
  }));

stores.test("delete_account: the account goes, its messages stay under its name or anonymised", (server) =>
  withPool(server, async (pool) => {
    const root = await admin(pool);
    const bob = await pool.register("bob");
    const dave = await pool.register("dave");
    await bob.ok("send_message", { text: "bob was here" });
    await dave.ok("send_message", { text: "dave was here" });
    const reply = await root.ok("delete_account", {
      user: "bob",
      messages: "anonymise",
    });
    assert.deepEqual(reply, {
      request: "delete_account",
      user: "bob",
      messages: "anonymise",
    });
    // Not a kick, though of kind kicked: a field says so, and who did it.
    const told = await bob.event("system", (d) => d.kind === "kicked");
    assert.equal(told.data.text, "bob's account was deleted by root");
    assert.equal(told.data.account_deleted, true);
    assert.equal(told.data.by, "root");
    await bob.closed;
    assert.equal(bob.closeCode, CLOSE_REMOVED);
    await root.ok("delete_account", { user: "dave", messages: "keep" });
    await dave.closed;
    const { messages } = await root.ok("history", { room: "general" });
    assert.deepEqual(
      (messages as { user: string; text: string }[]).map((
        m,
      ) => [m.user, m.text]),
      [["deleted user", "bob was here"], ["dave", "dave was here"]],
    );
    await expectError(
      root,
      "delete_account",
      { user: "bob", messages: "keep" },
      "user_not_found",
    );
    await expectError(
      root,
      "delete_account",
      { user: "root", messages: "keep" },
      "forbidden",
    );
    await expectError(
      root,
      "delete_account",
      { user: "x", messages: "shred" },
      "invalid_message",
    );
    // The name is free again.
    await pool.register("bob");
  }));

stores.test("delete_account: a message its sockets send while it is deleted is anonymised or refused, never stored under its name", (server) =>
  withPool(server, async (pool) => {
    const root = await admin(pool);
    const reader = await pool.guest("reader");
    const acked = new Set<string>();
    // Three accounts, each sending without pause until the deletion closes
    // its socket: some of its messages are waiting for their commit, or
    // arrive after the deletion, when the deletion commits.
    for (const name of ["bob", "carol", "dave"]) {
      const victim = await pool.register(name);
      let sent = 0;
      const flood = (async () => {
        while (victim.closeCode === undefined) {
          victim.send({
            action: "send_message",
            data: { text: `${name} ${sent}` },
            id: `flood${sent++}`,
          });
          await new Promise((resolve) => setTimeout(resolve, 0));
        }
      })();
      await victim.waitFor((f) => f.data.request === "send_message");
      await root.ok("delete_account", { user: name, messages: "anonymise" });
      await victim.closed;
      await flood;
      for (const f of victim.received) {
        if (f.action === "success" && f.data.request === "send_message") {
          acked.add((f.data.message as { id: string }).id);
        }
      }
    }
    const history = await historyOf<{ seq: number; id: string; user: string }>(
      reader,
      "general",
    );
    assert.deepEqual(
      history.filter((m) => m.user !== "deleted user").map((m) => m.user),
      [],
    );
    // Nothing acknowledged is missing: each is there, anonymised.
    const kept = new Set(history.map((m) => m.id));
    assert.deepEqual([...acked].filter((id) => !kept.has(id)), []);
  }));

stores.test(
  "delete_account: a reaction its sockets add while it is deleted is anonymised or refused, never listed under its name",
  (server) =>
    withPool(server, async (pool) => {
      const root = await admin(pool);
      const emoji = ["👍", "🎉", "👀", "🔥", "🚀", "✅", "😀", "🙏"];
      for (const name of ["bob", "carol", "dave", "erin", "frank", "gina"]) {
        const ids: string[] = [];
        for (let n = 0; n < 8; n++) {
          const { message } = await root.ok("send_message", { text: `m${n}` });
          ids.push((message as { id: string }).id);
        }
        const victim = await pool.register(name);
        const phone = await pool.login({ token: victim.token });
        // Two devices reacting without pause until the deletion closes them.
        let sent = 0;
        const flood = (device: TestClient) =>
          (async () => {
            while (device.closeCode === undefined) {
              const n = sent++;
              device.send({
                action: "react",
                data: { id: ids[n % 8], emoji: emoji[(n >> 3) % 8] },
                id: `flood${n}`,
              });
              await new Promise((resolve) => setTimeout(resolve, 0));
            }
          })();
        const floods = [flood(victim), flood(phone)];
        await victim.waitFor((f) => f.data.request === "react");
        await root.ok("delete_account", { user: name, messages: "anonymise" });
        await Promise.all([victim.closed, phone.closed, ...floods]);
        const { messages } = await root.ok("history", { room: "general" });
        const users = (messages as { reactions?: { users: string[] }[] }[])
          .flatMap((m) => (m.reactions ?? []).flatMap((r) => r.users));
        assert.deepEqual(users.filter((u) => u !== "deleted user"), [], name);
      }
    }),
  { rateLimits: NO_RATE_LIMITS },
);

stores.test("update_room: an admin makes a room private with an owner; guests looking at it go back to general", (server) =>
  withPool(server, async (pool) => {
    const root = await admin(pool);
    const carol = await pool.register("carol");
    await root.ok("create_room", { room: "Dev" });
    const guest = await pool.guest("gus");
    await guest.ok("join_room", { room: "dev" });
    const reply = await root.ok("update_room", {
      room: "dev",
      private: true,
      owner: "carol",
      reason: "team only",
    });
    assert.deepEqual(reply, {
      request: "update_room",
      room: "Dev",
      private: true,
      owner: "carol",
    });
    await guest.event("system", (d) => d.kind === "removed");
    await carol.event(
      "membership",
      (d) => d.room === "Dev" && d.member === true,
    );
    await eventually(async () => {
      assert.equal((await guest.ok("list_users")).room, "general");
    });
    const listed = (await guest.ok("list_rooms")).rooms as { name: string }[];
    assert.ok(!listed.some((r) => r.name === "Dev"));
    await expectError(guest, "join_room", { room: "dev" }, "room_not_found");
    // Its owner manages it like the creator of a private room.
    await carol.ok("create_invite", { room: "dev" });
    const back = await root.ok("update_room", { room: "dev", private: false });
    assert.equal(back.private, false);
    await guest.ok("join_room", { room: "dev" });
    await expectError(
      root,
      "update_room",
      { room: "general", private: true },
      "forbidden",
    );
    await expectError(root, "update_room", { room: "nope" }, "room_not_found");
    await expectError(
      root,
      "update_room",
      { room: "dev", owner: "nobody" },
      "user_not_found",
    );
    const [entry] = await entries(root);
    assert.deepEqual(
      [entry.action, entry.room, entry.reason, entry.details],
      ["update_room", "Dev", undefined, { private: false }],
    );
  }));

stores.test("update_room: everyone getting a room's events hears room_owner when its owner changes, given, taken or gone with its deleted account, and nothing when it stays", (server) =>
  withPool(server, async (pool) => {
    const root = await admin(pool);
    const carol = await pool.register("carol");
    const dave = await pool.register("dave");
    const gus = await pool.guest("gus");
    await carol.ok("create_room", { room: "Dev" });
    await dave.ok("join_room", { room: "dev" });
    await gus.ok("join_room", { room: "dev" });
    const owners = (client: TestClient) =>
      client.events("room_owner").map((f) => f.data);

    await root.ok("update_room", { room: "dev", owner: "Dave" });
    for (const reader of [carol, dave, gus]) {
      await reader.event("room_owner");
      assert.deepEqual(owners(reader), [{ room: "Dev", owner: "dave" }]);
    }
    // The same owner again, or only the room's retention: nothing to hear.
    await root.ok("update_room", { room: "dev", owner: "dave" });
    await root.ok("update_room", { room: "dev", retention_days: 30 });
    await root.ok("update_room", { room: "dev", owner: null });
    await dave.event("room_owner", (d) => d.owner === undefined);
    assert.deepEqual(owners(dave), [
      { room: "Dev", owner: "dave" },
      { room: "Dev" },
    ]);
    // Root never looked at dev: it hears nothing.
    await roundTrip(root);
    assert.deepEqual(owners(root), []);

    // An owner whose account is deleted leaves the room with none.
    await root.ok("update_room", { room: "dev", owner: "carol" });
    await dave.event("room_owner", (d) => d.owner === "carol");
    await root.ok("delete_account", { user: "carol", messages: "keep" });
    await dave.event("room_owner", (d) => d.owner === undefined, {
      from: dave.received.findLastIndex((f) => f.data.owner === "carol"),
    });
  }));

stores.test("update_room: an admin renames a room; its people stay in it under the new name with its history, and the old name is free", (server) =>
  withPool(server, async (pool) => {
    const root = await admin(pool);
    const carol = await pool.register("carol");
    await root.ok("create_room", { room: "dev" });
    await root.ok("send_message", { text: "one" });
    await carol.ok("join_room", { room: "dev" });
    const guest = await pool.guest("gus");
    await guest.ok("join_room", { room: "dev" });
    const reply = await root.ok("update_room", {
      room: "dev",
      name: "Ops",
      reason: "clearer",
    });
    assert.equal(reply.room, "Ops");
    for (const client of [carol, guest]) {
      const { data } = await client.event(
        "system",
        (d) => d.kind === "renamed",
      );
      assert.deepEqual([data.room, data.from, data.user], [
        "Ops",
        "dev",
        "root",
      ]);
    }
    // Still in it, under the new name: sends and history go on.
    assert.equal((await guest.ok("list_users")).room, "Ops");
    await guest.ok("send_message", { text: "two" });
    await carol.event("receive_message", (d) => d.text === "two");
    const history = await historyOf<
      { seq: number; text: string; room: string }
    >(
      carol,
      "ops",
    );
    assert.deepEqual(history.map((m) => [m.seq, m.text, m.room]), [
      [1, "one", "Ops"],
      [2, "two", "Ops"],
    ]);
    const rooms = (await carol.ok("list_rooms")).rooms as { name: string }[];
    assert.deepEqual(rooms.map((r) => r.name).sort(), ["Ops", "general"]);
    await expectError(carol, "history", { room: "dev" }, "room_not_found");
    // The old name is free; a taken one, a bad one and general are refused.
    await carol.ok("create_room", { room: "dev" });
    await expectError(
      root,
      "update_room",
      { room: "ops", name: "DEV" },
      "room_exists",
    );
    await expectError(
      root,
      "update_room",
      { room: "ops", name: "a b" },
      "room_name_invalid",
    );
    await expectError(
      root,
      "update_room",
      { room: "general", name: "lobby" },
      "forbidden",
    );
    const [entry] = await entries(root);
    assert.deepEqual(
      [entry.action, entry.room, entry.reason, entry.details],
      ["update_room", "Ops", "clearer", { private: false, from: "dev" }],
    );
  }));

stores.test("list_all_rooms: the admin page sees every room with its owner, retention, topic and people; a plain user is forbidden", (server) =>
  withPool(server, async (pool) => {
    const root = await admin(pool);
    const carol = await pool.register("carol");
    await carol.ok("create_room", { room: "Secret", private: true });
    await carol.ok("set_topic", { room: "Secret", topic: "Who knows" });
    await carol.ok("invite", { room: "Secret", user: "root" });
    await root.ok("create_room", { room: "dev" });
    await root.ok("update_room", { room: "dev", retention_days: 30 });
    await root.ok("update_room", { room: "dev", owner: "carol" });
    const listed = await api(server, "/api/admin/list_all_rooms", {
      token: tokenOf(root),
    });
    assert.equal(listed.status, 200, JSON.stringify(listed.body));
    const rooms = (listed.body.rooms as Record<string, unknown>[])
      .sort((a, b) => String(a.name).localeCompare(String(b.name)));
    for (const room of rooms) assert.equal(typeof room.users, "number");
    assert.deepEqual(rooms.map(({ users: _, ...rest }) => rest), [
      { name: "dev", private: false, owner: "carol", retention_days: 30 },
      { name: "general", private: false },
      {
        name: "Secret",
        private: true,
        owner: "carol",
        topic: "Who knows",
      },
    ]);
    const refused = await api(server, "/api/admin/list_all_rooms", {
      token: tokenOf(carol),
    });
    assert.deepEqual([refused.status, refused.body.error], [403, "forbidden"]);
  }));

stores.test("list_all_rooms: a private room's topic is shown only to its members, as its messages are", (server) =>
  withPool(server, async (pool) => {
    const root = await admin(pool);
    const mo = await pool.register("mo");
    await root.ok("set_role", { user: "mo", role: "moderator" });
    await mo.event("system", (d) => d.kind === "info");
    const carol = await pool.register("carol");
    await carol.ok("create_room", { room: "Secret", private: true });
    await carol.ok("set_topic", { room: "Secret", topic: "Layoffs in May" });
    await carol.ok("create_room", { room: "lobby" });
    await carol.ok("set_topic", { room: "lobby", topic: "Say hello" });
    const topics = async (client: TestClient) => {
      const { rooms } = await client.ok("list_all_rooms", {});
      return Object.fromEntries(
        (rooms as { name: string; topic?: string }[])
          .filter((r) => r.name !== "general")
          .map((r) => [r.name, r.topic]),
      );
    };
    // Outside the room: its name and owner, not what its members wrote.
    assert.deepEqual(await topics(mo), {
      lobby: "Say hello",
      Secret: undefined,
    });
    // Over HTTP with a token, the account's socket closed: the store says.
    const token = tokenOf(mo);
    await mo.close();
    await wentOffline(root, "mo");
    const outside = await api(server, "/api/admin/list_all_rooms", { token });
    assert.equal(outside.status, 200, JSON.stringify(outside.body));
    const { users: _, ...secret } =
      (outside.body.rooms as Record<string, unknown>[])
        .find((r) => r.name === "Secret") ?? {};
    assert.deepEqual(secret, { name: "Secret", private: true, owner: "carol" });
    await carol.ok("invite", { room: "Secret", user: "mo" });
    const inside = await api(server, "/api/admin/list_all_rooms", { token });
    assert.equal(
      (inside.body.rooms as { name: string; topic?: string }[])
        .find((r) => r.name === "Secret")?.topic,
      "Layoffs in May",
    );
    // A member online here is answered from this node's registry.
    const again = await pool.login({ token });
    assert.deepEqual(await topics(again), {
      lobby: "Say hello",
      Secret: "Layoffs in May",
    });
  }));

stores.finish();

const ADMIN_ONLY: [string, Record<string, unknown>][] = [
  ["audit_log", {}],
  ["reset_password", { user: "root" }],
  ["delete_account", { user: "root", messages: "keep" }],
  ["update_room", { room: "general", private: false }],
  ["set_role", { user: "root", role: "user" }],
];
const MODERATOR: [string, Record<string, unknown>][] = [
  ["list_accounts", {}],
  ["list_bans", {}],
  ["ban", { user: "root" }],
  ["unban", { user: "root" }],
  ["kick", { user: "root" }],
  ["delete_room", { room: "general" }],
];

Deno.test("admin actions: a plain user and a guest get forbidden, a moderator only what it may do", () =>
  withClients(async (pool) => {
    const root = await admin(pool);
    const user = await pool.register("plain");
    const guest = await pool.guest("visitor");
    const mod = await pool.register("mo");
    await root.ok("set_role", { user: "mo", role: "moderator" });
    await mod.event("system", (d) => d.kind === "info");
    for (const [action, data] of [...ADMIN_ONLY, ...MODERATOR]) {
      await expectError(user, action, data, "forbidden");
      await expectError(guest, action, data, "forbidden");
    }
    for (const [action, data] of ADMIN_ONLY) {
      await expectError(mod, action, data, "forbidden");
    }
    const { accounts } = await mod.ok("list_accounts", { query: "" });
    assert.deepEqual(
      (accounts as { username: string; role: string }[]).map((a) => [
        a.username,
        a.role,
      ]),
      [["mo", "moderator"], ["plain", "user"], ["root", "admin"]],
    );
    // The staff alone: what the web client reads to know others' ranks.
    const staff = await mod.ok("list_accounts", { staff: true });
    assert.deepEqual(
      (staff.accounts as { username: string }[]).map((a) => a.username),
      ["mo", "root"],
    );
    assert.deepEqual((await mod.ok("list_bans")).bans, []);
    // Nothing refused is in the log.
    assert.deepEqual((await entries(root)).map((e) => e.action), ["set_role"]);
  }));

Deno.test("/api/admin/*: a token's requests draw on the buckets its REST requests do, and past them get 429 rate_limited", () =>
  withClients(async (pool, server) => {
    const root = await admin(pool);
    await pool.register("plain");
    const token = tokenOf(root);
    // Five at once (this server's setting), as over the REST API: a
    // moderator's token, or a leaked one, banned and listed without end.
    const answers: number[] = [];
    for (let i = 0; i < 5; i++) {
      answers.push(
        (await api(server, "/api/admin/list_bans", { token })).status,
      );
    }
    assert.deepEqual(answers, [200, 200, 200, 200, 200]);
    const refused = await api(server, "/api/admin/ban", {
      token,
      body: { user: "plain", reason: "spam" },
    });
    assert.deepEqual(
      [refused.status, refused.body.error],
      [429, "rate_limited"],
    );
    assert.ok((refused.body.retry_after_ms as number) > 0);
    // The same bucket as the REST API's.
    const me = await fetch(`${server.url}/api/me`, {
      headers: { authorization: `Bearer ${token}` },
    });
    await me.body?.cancel();
    assert.equal(me.status, 429);
    // The ban was not made.
    assert.deepEqual((await root.ok("list_bans", {})).bans, []);
  }, {
    rateLimits: {
      ...DEFAULT_RATE_LIMITS,
      perConnection: {
        ...DEFAULT_RATE_LIMITS.perConnection,
        request: { burst: 5, perSecond: 1 / 3600 },
      },
    },
  }));

Deno.test("/api/admin/*: the same actions over HTTP with the same rules, audited with the client's address", () =>
  withClients(async (pool, server) => {
    const root = await admin(pool);
    const plain = await pool.register("plain");
    const rootToken = tokenOf(root);
    const proxied = { "x-forwarded-for": "203.0.113.7" };
    const listed = await api(
      server,
      "/api/admin/list_accounts?query=PLA&limit=5",
      {
        token: rootToken,
      },
    );
    assert.equal(listed.status, 200, JSON.stringify(listed.body));
    assert.deepEqual(
      (listed.body.accounts as { username: string }[]).map((a) => a.username),
      ["plain"],
    );
    const staff = await api(server, "/api/admin/list_accounts?staff=true", {
      token: rootToken,
    });
    assert.deepEqual(
      (staff.body.accounts as { username: string }[]).map((a) => a.username),
      ["root"],
    );
    const banned = await api(server, "/api/admin/ban", {
      token: rootToken,
      body: { user: "plain", reason: "spam", duration_s: 3600 },
      headers: proxied,
    });
    assert.equal(banned.status, 200, JSON.stringify(banned.body));
    assert.equal(banned.body.user, "plain");
    await plain.closed;
    assert.equal(plain.closeCode, CLOSE_REMOVED);
    const log = await api(server, "/api/admin/audit_log?limit=1", {
      token: rootToken,
    });
    const [entry] = log.body.entries as Entry[];
    assert.deepEqual(
      [entry.action, entry.by, entry.target, entry.reason, entry.address],
      ["ban", "root", "plain", "spam", "203.0.113.7"],
    );
    const lifted = await api(server, "/api/admin/unban", {
      token: rootToken,
      body: { user: "plain" },
    });
    assert.equal(lifted.status, 200);
    // A plain user's session and no session at all: forbidden.
    const plainAgain = await pool.login({
      username: "plain",
      password: TEST_PASSWORD,
    });
    for (const token of [tokenOf(plainAgain), undefined]) {
      const read = await api(server, "/api/admin/audit_log", { token });
      assert.deepEqual([read.status, read.body.error], [403, "forbidden"]);
      const write = await api(server, "/api/admin/kick", {
        token,
        body: { user: "root" },
      });
      assert.deepEqual([write.status, write.body.error], [403, "forbidden"]);
    }
    const unknown = await api(server, "/api/admin/drop_tables", {
      token: rootToken,
    });
    assert.deepEqual([unknown.status, unknown.body.error], [404, "not_found"]);
    const wrongMethod = await api(server, "/api/admin/ban", {
      token: rootToken,
    });
    assert.equal(wrongMethod.status, 405);
    // HEAD answers as GET would, without the body.
    for (const [action, status] of [["list_accounts", 200], ["ban", 405]]) {
      const head = await fetch(`${server.url}/api/admin/${action}`, {
        method: "HEAD",
        headers: { authorization: `Bearer ${rootToken}` },
      });
      assert.equal(head.status, status, `HEAD ${action}`);
      assert.equal(await head.text(), "");
      // A 405 says which method the action takes (RFC 9110, 15.5.6).
      if (status === 405) assert.equal(head.headers.get("allow"), "POST");
    }
    const posted = await fetch(`${server.url}/api/admin/list_accounts`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${rootToken}`,
        "content-type": "application/json",
      },
      body: "{}",
    });
    assert.equal(posted.status, 405);
    assert.equal(posted.headers.get("allow"), "GET, HEAD");
    assert.equal((await posted.json()).error, "invalid_message");
    const broken = await fetch(`${server.url}/api/admin/ban`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${rootToken}`,
        "content-type": "application/json",
      },
      body: "{",
    });
    assert.deepEqual(
      [broken.status, (await broken.json()).error],
      [400, "invalid_json"],
    );
    // With the admin's cookie, a page on another site still gets nothing
    // done: the browser sends its Origin (CSRF).
    const forged = await api(server, "/api/admin/ban", {
      headers: {
        origin: "https://evil.example",
        cookie: `chat_session=${rootToken}`,
      },
      body: { user: "plain" },
    });
    assert.deepEqual([forged.status, forged.body.error], [403, "forbidden"]);
    const bad = await api(server, "/api/admin/ban", {
      token: rootToken,
      body: { user: "plain", duration_s: -5 },
    });
    assert.deepEqual([bad.status, bad.body.error], [400, "invalid_message"]);
    const page = await fetch(`${server.url}/admin`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<div id="app">/);
  }, { trustProxy: true }));
