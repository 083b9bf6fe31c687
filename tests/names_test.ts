/**
 * Look-alike names (UTS #39): names that mix scripts beyond the "Highly
 * Restrictive" level are refused as invalid, and a name whose confusable
 * skeleton equals a room's or an online user's is taken.
 */
import assert from "node:assert/strict";
import { highlyRestrictive, nameSkeleton } from "../server/protocol/names.ts";
import { expectError, TEST_PASSWORD, withClients } from "./harness.ts";

// Latin r and t around Cyrillic о (U+043E), and around Devanagari zeros.
const CYRILLIC_ROOT = "r\u043e\u043et";
const DEVANAGARI_ROOT = "r\u0966\u0966t";
// Wholly Cyrillic: с о р е, the same shapes as Latin "cope".
const CYRILLIC_COPE = "\u0441\u043e\u0440\u0435";

Deno.test("names: root, Cyrillic rооt and r००t with Devanagari digits share one skeleton", () => {
  assert.equal(nameSkeleton(CYRILLIC_ROOT), nameSkeleton("root"));
  assert.equal(nameSkeleton(DEVANAGARI_ROOT), nameSkeleton("root"));
  assert.equal(nameSkeleton(CYRILLIC_COPE), nameSkeleton("cope"));
  assert.equal(nameSkeleton("ROOT"), nameSkeleton("root"));
  assert.notEqual(nameSkeleton("root"), nameSkeleton("boot"));
});

Deno.test("names: one script, or Latin with Japanese, Chinese or Korean writing, is highly restrictive; Latin with Cyrillic or Devanagari is not", () => {
  for (
    const ok of [
      "root",
      "dev_1.x",
      CYRILLIC_COPE,
      "ελληνικά",
      "日本のrootさん",
      "한국어abc",
      "Straße",
    ]
  ) {
    assert.ok(highlyRestrictive(ok), ok);
  }
  for (const mixed of [CYRILLIC_ROOT, DEVANAGARI_ROOT, "Ωmega"]) {
    assert.ok(!highlyRestrictive(mixed), mixed);
  }
});

Deno.test("login: Cyrillic rооt and r००t with Devanagari digits get username_invalid beside root", () =>
  withClients(async (pool) => {
    await pool.guest("root");
    const other = await pool.connect();
    for (const name of [CYRILLIC_ROOT, DEVANAGARI_ROOT]) {
      await expectError(other, "login", { username: name }, "username_invalid");
    }
  }));

Deno.test("login: a wholly Cyrillic look-alike of an online name gets username_taken, and is free once that user leaves", () =>
  withClients(async (pool) => {
    const cope = await pool.guest("cope");
    const other = await pool.connect();
    await expectError(
      other,
      "login",
      { username: CYRILLIC_COPE },
      "username_taken",
    );
    await cope.close();
    // The name is freed when the server sees the close.
    let reply;
    for (let i = 0; i < 50; i++) {
      reply = await other.request("login", { username: CYRILLIC_COPE });
      if (reply.action === "success") break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(reply?.action, "success");
  }));

Deno.test("create_room: a look-alike of an existing room gets room_exists, a mixed-script name room_name_invalid", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    await alice.ok("create_room", { room: "cope" });
    await expectError(
      alice,
      "create_room",
      { room: CYRILLIC_COPE },
      "room_exists",
    );
    await alice.ok("create_room", { room: "m" });
    await expectError(alice, "create_room", { room: "rn" }, "room_exists");
    await expectError(
      alice,
      "create_room",
      { room: CYRILLIC_ROOT },
      "room_name_invalid",
    );
    // A room in one other script is fine.
    await alice.ok("create_room", { room: "ελληνικά" });
  }));

Deno.test("login and register: a look-alike of an offline account gets username_taken", () =>
  withClients(async (pool) => {
    const owner = await pool.register("cope");
    await owner.close();
    const other = await pool.connect();
    await expectError(
      other,
      "login",
      { username: CYRILLIC_COPE },
      "username_taken",
    );
    await expectError(
      other,
      "register",
      { username: CYRILLIC_COPE, password: TEST_PASSWORD },
      "username_taken",
    );
    await other.ok("login", { username: "copse" });
  }));
