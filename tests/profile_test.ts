/**
 * Profile cards: `set_profile` and `get_profile` through a real server, on
 * SQLite and, when PostgreSQL is installed, on a database of its own.
 */
import assert from "node:assert/strict";
import { NO_RATE_LIMITS } from "../server/rate_limit.ts";
import { bothStores } from "./both_stores.ts";
import { expectError } from "./harness.ts";
import { PROFILE_MIGRATION } from "./store_contract/support.ts";
import { withUpgradedServer } from "./upgraded_server.ts";

const stores = await bothStores();

stores.clients(
  'get_profile: another account reads the card its owner set (title trimmed and NFC, time zone, status, role, since when); a field left out stays, "" clears it, and its owner sees a zone cleared apart from one never set',
  async (pool) => {
    const root = await pool.register("root");
    const ann = await pool.register("Ann");
    const ben = await pool.register("ben");
    assert.deepEqual(
      await ann.ok("set_profile", {
        title: "  Designe\u0301e, Lyon ",
        timezone: "Europe/Paris",
      }),
      { request: "set_profile" },
    );
    await ann.ok("set_status", { text: "In a meeting", emoji: "📅" });
    const { profile } = await ben.ok("get_profile", { name: "ANN" }) as {
      profile: Record<string, unknown>;
    };
    assert.equal(typeof profile.created_at, "string");
    assert.ok(
      Math.abs(Date.parse(profile.created_at as string) - Date.now()) < 600_000,
    );
    assert.deepEqual({ ...profile, created_at: "…" }, {
      name: "Ann",
      role: "user",
      title: "Designée, Lyon",
      timezone: "Europe/Paris",
      status: { text: "In a meeting", emoji: "📅", until: null },
      created_at: "…",
    });
    // One field at a time: the other stays.
    await ann.ok("set_profile", { timezone: "" });
    await ann.ok("set_status", { text: "" });
    assert.deepEqual(
      ((await root.ok("get_profile", { name: "ann" })) as {
        profile: Record<string, unknown>;
      }).profile,
      {
        name: "Ann",
        role: "user",
        title: "Designée, Lyon",
        created_at: profile.created_at,
      },
    );
    await ann.ok("set_profile", { title: "" });
    // Her own card tells the zone she cleared ("") from one never set
    // (ben's): her client offered the browser's zone again, and its next
    // save published it.
    const bare = (await ann.ok("get_profile", { name: "ann" })) as {
      profile: Record<string, unknown>;
    };
    assert.deepEqual(bare.profile, {
      name: "Ann",
      role: "user",
      timezone: "",
      created_at: profile.created_at,
    });
    const fresh = (await ben.ok("get_profile", { name: "ben" })) as {
      profile: Record<string, unknown>;
    };
    assert.deepEqual(Object.keys(fresh.profile).sort(), [
      "created_at",
      "name",
      "role",
    ]);
    // The first account is the admin, as its card says.
    assert.equal(
      ((await ann.ok("get_profile", { name: "root" })) as {
        profile: { role: string };
      }).profile.role,
      "admin",
    );
  },
);

stores.clients(
  "set_profile refuses a title over 80 characters, on two lines, turned around, holding an invisible character or under a pile of marks, and a time zone no IANA list names; guests may neither set nor read a card",
  async (pool) => {
    const ann = await pool.register("ann");
    for (
      const data of [
        { title: "x".repeat(81) },
        { title: "Nurse\nDoctor" },
        { title: "\u202Eesrun" },
        { title: "Doc\u00ADtor" },
        { title: "\u3164" },
        { title: "x" + "\u0301".repeat(5) },
        { title: 7 },
        { timezone: "Mars/Base" },
        { timezone: "+01:00" },
        { timezone: "Europe/Paris\n" },
        { timezone: null },
      ]
    ) {
      await expectError(ann, "set_profile", data, "invalid_message");
    }
    // 80 characters, an emoji counted as one, pass; so does a zone's link.
    await ann.ok("set_profile", {
      title: "🩺".repeat(80),
      timezone: "Asia/Calcutta",
    });
    await ann.ok("set_profile", { timezone: "UTC" });
    for (const data of [{}, { name: 7 }, { name: "a\0" }]) {
      await expectError(ann, "get_profile", data, "invalid_message");
    }
    const gus = await pool.guest("gus");
    await expectError(gus, "set_profile", { title: "hi" }, "forbidden");
    await expectError(gus, "get_profile", { name: "ann" }, "forbidden");
    // A guest's name is no account's.
    await expectError(ann, "get_profile", { name: "gus" }, "user_not_found");
    for (const name of ["nobody", ""]) {
      await expectError(ann, "get_profile", { name }, "user_not_found");
    }
  },
  // Each refusal draws on a bucket too.
  { rateLimits: NO_RATE_LIMITS },
);

stores.clients(
  "set_profile holds a title to its rules as it keeps it (NFC): 80 letters that NFC writes as two code points each are over 80, which the import of its own export refused",
  async (pool) => {
    const ann = await pool.register("ann");
    // U+0958 (क़) is no composed form: NFC writes it U+0915 U+093C.
    await expectError(
      ann,
      "set_profile",
      { title: "\u0958".repeat(80) },
      "invalid_message",
    );
    await ann.ok("set_profile", { title: "\u0958".repeat(40) });
    const { profile } = await ann.ok("get_profile", { name: "ann" }) as {
      profile: { title?: string };
    };
    assert.equal(profile.title, "\u0915\u093C".repeat(40));
  },
);

stores.clients(
  "get_profile follows the directory: an account banned from the server is not found while the ban lasts; a deleted account's card goes with it",
  async (pool) => {
    const root = await pool.register("root");
    const ann = await pool.register("ann");
    const bob = await pool.register("bob");
    await bob.ok("set_profile", { title: "Spammer", timezone: "UTC" });
    await root.ok("ban", { user: "bob", reason: "spam" });
    await expectError(ann, "get_profile", { name: "bob" }, "user_not_found");
    await root.ok("unban", { user: "bob" });
    const back = await ann.ok("get_profile", { name: "bob" }) as {
      profile: { title?: string };
    };
    assert.equal(back.profile.title, "Spammer");
    await ann.ok("set_profile", { title: "Nurse", timezone: "UTC" });
    await root.ok("delete_account", { user: "ann", messages: "keep" });
    await expectError(root, "get_profile", { name: "ann" }, "user_not_found");
    // The name's next holder starts without a card.
    await pool.register("ann");
    const fresh = await root.ok("get_profile", { name: "ann" }) as {
      profile: Record<string, unknown>;
    };
    assert.equal(fresh.profile.title, undefined);
    assert.equal(fresh.profile.timezone, undefined);
  },
);

stores.database(
  "upgrading: an account of a server of before has an empty card after the first start, and may fill it",
  (options) =>
    withUpgradedServer({
      options,
      async setUp(pool) {
        await pool.register("ann");
      },
      old: {
        marker: PROFILE_MIGRATION,
        postgres: () => Promise.resolve(),
        sqlite: () => {},
      },
    }, async (server) => {
      // The rewind dropped the columns: the migration made them again.
      const store = server.node.store;
      assert.deepEqual(await store.profile("ann"), {
        title: null,
        timezone: null,
      });
      assert.equal(await store.setProfile("ann", { title: "Back" }), true);
      assert.deepEqual(await store.profile("ann"), {
        title: "Back",
        timezone: null,
      });
    }),
);

stores.finish();
