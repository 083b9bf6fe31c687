/**
 * Name rules (server/protocol/names.ts) through a real server: control,
 * invisible and bidi characters are refused; look-alikes (full width, ß,
 * ligatures, decomposed accents) are the same user or room; and (UTS #39)
 * names that mix scripts beyond the "Highly Restrictive" level are refused
 * as invalid, while a name whose confusable skeleton equals a room's or an
 * online user's is taken.
 */
import assert from "node:assert/strict";
import { highlyRestrictive } from "../server/protocol/names.ts";
import { nameSkeleton } from "../server/protocol/skeleton.ts";
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

Deno.test("names: R00T with zeros and root, ADM1N and ADMIN, BiII with capital I and Bill share one skeleton; admin and ADM1N, ali and all do not", () => {
  assert.equal(nameSkeleton("R00T"), nameSkeleton("root"));
  assert.equal(nameSkeleton("r00t"), nameSkeleton("ROOT"));
  assert.equal(nameSkeleton("ADM1N"), nameSkeleton("ADMIN"));
  assert.equal(nameSkeleton("BiII"), nameSkeleton("Bill"));
  assert.equal(nameSkeleton("m0d"), nameSkeleton("mod"));
  assert.equal(nameSkeleton("rnod"), nameSkeleton("Mod"));
  // Names that do not look alike stay apart.
  assert.notEqual(nameSkeleton("ADM1N"), nameSkeleton("admin"));
  assert.notEqual(nameSkeleton("ali"), nameSkeleton("all"));
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
    // The name is freed when the server sees the close (seconds on a busy
    // machine).
    let reply;
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
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

Deno.test("login and register: look-alikes written with digits for letters (R00T for root, ADM1N for ADMIN, BiII for Bill) get username_taken", () =>
  withClients(async (pool) => {
    for (const name of ["root", "ADMIN"]) {
      await (await pool.register(name)).close();
    }
    await pool.guest("Bill");
    const other = await pool.connect();
    for (const username of ["R00T", "r00t", "ADM1N", "BiII"]) {
      await expectError(other, "login", { username }, "username_taken");
    }
    await expectError(
      other,
      "register",
      { username: "R00T", password: TEST_PASSWORD },
      "username_taken",
    );
    await other.ok("login", { username: "rooted" });
  }));

Deno.test("create_room: R00T beside a room called root gets room_exists", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    await alice.ok("create_room", { room: "root" });
    await expectError(alice, "create_room", { room: "R00T" }, "room_exists");
  }));

const INVISIBLE_OR_CONTROL = [
  "ali\u200Bce", // zero-width space
  "\u200Balice",
  "alice\u200B",
  "\u202Eecila", // right-to-left override
  "ali\u202Dce", // left-to-right override
  "ali\u2066ce", // left-to-right isolate
  "\u3164", // Hangul filler
  "ali\u3164ce",
  "ali\u0000ce",
  "ali\u0008ce",
  "ali\u001Bce",
  "ali\u0085ce", // next line (C1)
  "ali\u2028ce", // line separator
  "ali\u034Fce", // combining grapheme joiner
  "alice\uFE0F", // variation selector
];

Deno.test("names: control, zero-width, bidi-override and Hangul-filler characters in a username get username_invalid", () =>
  withClients(async (pool) => {
    const client = await pool.connect();
    for (const username of INVISIBLE_OR_CONTROL) {
      await expectError(client, "login", { username }, "username_invalid");
    }
    await client.ok("login", { username: "alice" });
  }));

Deno.test("names: the same characters in a room name get room_name_invalid", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    for (const room of INVISIBLE_OR_CONTROL) {
      await expectError(alice, "create_room", { room }, "room_name_invalid");
    }
    const rooms = (await alice.ok("list_rooms")).rooms as { name: string }[];
    assert.deepEqual(rooms.map((r) => r.name), ["general"]);
  }));

Deno.test("names: full-width 'ａｌｉｃｅ' and 'STRASSE' are taken while 'alice' and 'Straße' are online", () =>
  withClients(async (pool) => {
    await pool.guest("alice");
    await pool.guest("Straße");
    const client = await pool.connect();
    for (
      const username of [
        "ａｌｉｃｅ",
        "ＡＬＩＣＥ",
        "STRASSE",
        "strasse",
        "Strasse",
      ]
    ) {
      await expectError(client, "login", { username }, "username_taken");
    }
    await client.ok("login", { username: "bob" });
  }));

Deno.test("names: a guest cannot take a look-alike of a registered account's name", () =>
  withClients(async (pool) => {
    const owner = await pool.register("Straße");
    await owner.close();
    const client = await pool.connect();
    await expectError(
      client,
      "login",
      { username: "STRASSE" },
      "username_taken",
    );
    await expectError(client, "register", {
      username: "ｓｔｒａｓｓｅ",
      password: "another good password",
    }, "username_taken");
  }));

Deno.test("names: look-alike room names (full-width, ß, ligature, decomposed accent) get room_exists", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    for (const room of ["dev", "Straße", "file", "Café"]) {
      await alice.ok("create_room", { room });
    }
    for (
      const room of [
        "ｄｅｖ",
        "ＤＥＶ",
        "STRASSE",
        "strasse",
        "\uFB01le", // "ﬁle": the fi ligature
        "Cafe\u0301", // e + combining acute
        "CAFÉ",
      ]
    ) {
      await expectError(alice, "create_room", { room }, "room_exists");
    }
    const joined = await alice.ok("join_room", { room: "ＳＴＲＡＳＳＥ" });
    assert.equal(joined.room, "Straße");
  }));
