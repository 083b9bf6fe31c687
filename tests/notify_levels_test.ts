/**
 * Notification levels kept on the server: `set_notify_level`,
 * `list_notify_levels`, the login's `notify_levels` and the `notify_level`
 * event, through a real server, on SQLite and, when PostgreSQL is
 * installed, on a fresh PostgreSQL database of its own.
 */
import assert from "node:assert/strict";
import type { Config } from "../server/config.ts";
import { NO_RATE_LIMITS } from "../server/rate_limit.ts";
import { MAX_NOTIFY_LEVELS } from "../server/handlers/notify_levels.ts";
import {
  ClientPool,
  expectError,
  roundTrip,
  startTestServer,
  type TestClient,
} from "./harness.ts";
import { migratedDatabase } from "./migrated_database.ts";
import { postgresSkipReason, startPostgres } from "./services.ts";

const pg = postgresSkipReason() ? null : await startPostgres();

/** Options for a fresh store of each backend, and a way to drop it. */
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
    name: `notify levels: PostgreSQL runs skipped, ${postgresSkipReason()}`,
    ignore: true,
    fn() {},
  });
}

/** One scenario on every backend, with a server and a client pool. */
function levelTest(
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

/** The `notify_levels` of a client's login reply. */
function loginLevels(client: TestClient): unknown {
  const reply = client.received.find((f) =>
    f.data.request === "login" || f.data.request === "register"
  )!;
  return reply.data.notify_levels;
}

levelTest(
  "set_notify_level: the account's other devices get the level, a later login and list_notify_levels carry it, 'mentions' clears it everywhere",
  async (pool) => {
    const ann = await pool.register("ann");
    assert.deepEqual(loginLevels(ann), []);
    const phone = await pool.login({ token: ann.token });
    const ben = await pool.register("ben");
    await ann.ok("create_room", { room: "Dev" });
    const set = await ann.ok("set_notify_level", {
      room: "dev",
      level: "none",
    });
    assert.deepEqual(set, {
      request: "set_notify_level",
      room: "Dev",
      level: "none",
    });
    const seen = await phone.event("notify_level", (d) => d.room === "Dev");
    assert.deepEqual(seen.data, { room: "Dev", level: "none" });
    await phone.ok("set_notify_level", { with: "Ben", level: "all" });
    await ann.event("notify_level", (d) => d.with === "Ben");

    const laptop = await pool.login({ token: ann.token });
    const expected = [
      { with: "Ben", level: "all" },
      { room: "Dev", level: "none" },
    ];
    const sorted = (levels: unknown) =>
      (levels as { room?: string; with?: string }[]).toSorted((a, b) =>
        (a.room ?? a.with!) < (b.room ?? b.with!) ? -1 : 1
      );
    assert.deepEqual(sorted(loginLevels(laptop)), expected);
    assert.deepEqual(
      sorted((await laptop.ok("list_notify_levels")).levels),
      expected,
    );

    await ann.ok("set_notify_level", { room: "Dev", level: "mentions" });
    for (const device of [phone, laptop]) {
      await device.event(
        "notify_level",
        (d) => d.room === "Dev" && d.level === "mentions",
      );
    }
    assert.deepEqual((await laptop.ok("list_notify_levels")).levels, [
      { with: "Ben", level: "all" },
    ]);
    // The sender never hears its own; other accounts never hear any.
    await roundTrip(ann);
    assert.deepEqual(
      ann.events("notify_level").map((f) => f.data.with ?? f.data.room),
      ["Ben"],
    );
    await roundTrip(ben);
    assert.deepEqual(ben.events("notify_level"), []);
  },
);

levelTest(
  "set_notify_level is refused with a clear code to guests, outside the account's rooms, for an unknown level and past the levels an account keeps",
  async (pool) => {
    const guest = await pool.guest("gus");
    await expectError(
      guest,
      "set_notify_level",
      { room: "general", level: "none" },
      "forbidden",
    );
    await expectError(guest, "list_notify_levels", {}, "forbidden");
    const ann = await pool.register("ann");
    await expectError(
      ann,
      "set_notify_level",
      { room: "nowhere", level: "none" },
      "room_not_found",
    );
    await expectError(
      ann,
      "set_notify_level",
      { room: "general", level: "loud" },
      "invalid_message",
    );
    await expectError(
      ann,
      "set_notify_level",
      { level: "none" },
      "invalid_message",
    );
    await expectError(
      ann,
      "set_notify_level",
      { room: "general", with: "ben", level: "none" },
      "invalid_message",
    );
    // A private room one is not in reads as one that does not exist.
    const ben = await pool.register("ben");
    await ben.ok("create_room", { room: "secret", private: true });
    await expectError(
      ann,
      "set_notify_level",
      { room: "secret", level: "none" },
      "room_not_found",
    );

    for (let i = 0; i < MAX_NOTIFY_LEVELS; i++) {
      await ann.ok("set_notify_level", { with: `p${i}`, level: "none" });
    }
    await expectError(
      ann,
      "set_notify_level",
      { with: "one_more", level: "none" },
      "forbidden",
    );
    // The ones kept may still change or go.
    await ann.ok("set_notify_level", { with: "p1", level: "all" });
    await ann.ok("set_notify_level", { with: "p2", level: "mentions" });
    await ann.ok("set_notify_level", { with: "one_more", level: "none" });
    const kept = (await ann.ok("list_notify_levels")).levels as unknown[];
    assert.equal(kept.length, MAX_NOTIFY_LEVELS);
  },
  { rateLimits: NO_RATE_LIMITS },
);

levelTest(
  "list_notify_levels and the login name no private room the account was removed from, nor one made again under its name by others",
  async (pool) => {
    const ann = await pool.register("ann");
    const ben = await pool.register("ben");
    await ann.ok("create_room", { room: "plans", private: true });
    await ann.ok("invite", { room: "plans", user: "ben" });
    await ben.ok("set_notify_level", { room: "plans", level: "none" });
    assert.deepEqual((await ben.ok("list_notify_levels")).levels, [
      { room: "plans", level: "none" },
    ]);
    await ann.ok("remove_member", { room: "plans", user: "ben" });
    // Removed, ben is told no more of plans than of any private room he
    // is not in: not that it still exists.
    assert.deepEqual((await ben.ok("list_notify_levels")).levels, []);
    assert.deepEqual(loginLevels(await pool.login({ token: ben.token })), []);
    // Nor of a private room someone else makes under the name.
    await ann.ok("delete_room", { room: "plans" });
    const cat = await pool.register("cat");
    await cat.ok("create_room", { room: "plans", private: true });
    assert.deepEqual((await ben.ok("list_notify_levels")).levels, []);
    assert.deepEqual(loginLevels(await pool.login({ token: ben.token })), []);
  },
);
