/**
 * Starred rooms and conversations kept on the server: `star`, `unstar`,
 * the login's `starred` and the `starred` event, through a real server, on
 * SQLite and, when PostgreSQL is installed, on a fresh PostgreSQL database
 * of its own.
 */
import assert from "node:assert/strict";
import { NO_RATE_LIMITS } from "../server/rate_limit.ts";
import { MAX_STARS } from "../server/handlers/stars.ts";
import { conversationKey } from "../server/store/mod.ts";
import { bothStores } from "./both_stores.ts";
import { expectError, roundTrip, type TestClient } from "./harness.ts";

const stores = await bothStores();

/** The `starred` of a client's login reply. */
function loginStars(client: TestClient): unknown {
  const reply = client.received.find((f) =>
    f.data.request === "login" || f.data.request === "register"
  )!;
  return reply.data.starred;
}

stores.clients(
  "star: every connection of the account gets starred, a later login lists it, unstar takes it off everywhere; starring twice is the same",
  async (pool) => {
    const ann = await pool.register("ann");
    assert.deepEqual(loginStars(ann), { rooms: [], with: [] });
    const phone = await pool.login({ token: ann.token });
    const ben = await pool.register("ben");
    await ann.ok("create_room", { room: "Dev" });
    assert.deepEqual(await ann.ok("star", { room: "dev" }), {
      request: "star",
    });
    for (const device of [ann, phone]) {
      const seen = await device.event("starred", (d) => d.room === "Dev");
      assert.deepEqual(seen.data, { room: "Dev", starred: true });
    }
    await phone.ok("star", { with: "Ben" });
    await ann.event("starred", (d) => d.with === "Ben");
    await ann.ok("star", { room: "Dev" });

    const laptop = await pool.login({ token: ann.token });
    assert.deepEqual(loginStars(laptop), { rooms: ["Dev"], with: ["Ben"] });

    assert.deepEqual(await laptop.ok("unstar", { room: "Dev" }), {
      request: "unstar",
    });
    for (const device of [ann, phone]) {
      await device.event(
        "starred",
        (d) => d.room === "Dev" && d.starred === false,
      );
    }
    await laptop.ok("unstar", { room: "Dev" });
    assert.deepEqual(loginStars(await pool.login({ token: ann.token })), {
      rooms: [],
      with: ["Ben"],
    });
    // Other accounts never hear of it.
    await roundTrip(ben);
    assert.deepEqual(ben.events("starred"), []);
  },
);

stores.clients(
  "star is refused with a clear code to guests, outside the account's rooms, for nobody, without a place and past the stars an account keeps",
  async (pool, server) => {
    const guest = await pool.guest("gus");
    await expectError(guest, "star", { room: "general" }, "forbidden");
    const ann = await pool.register("ann");
    await expectError(ann, "star", { room: "nowhere" }, "room_not_found");
    await expectError(ann, "unstar", { room: "nowhere" }, "room_not_found");
    await expectError(ann, "star", {}, "invalid_message");
    await expectError(
      ann,
      "star",
      { room: "general", with: "ben" },
      "invalid_message",
    );
    await expectError(ann, "star", { with: "nobody" }, "user_not_found");
    // A private room one is not in reads as one that does not exist.
    const ben = await pool.register("ben");
    await ben.ok("create_room", { room: "secret", private: true });
    await expectError(ann, "star", { room: "secret" }, "room_not_found");

    // Stars of people who need not exist: straight into the store, so
    // that the cap is reached without registering 500 accounts.
    const annKey = (await server.node.accounts.find("ann"))!.key;
    for (let i = 0; i < MAX_STARS - 1; i++) {
      const stream = conversationKey(annKey, `p${i}`);
      assert.ok(
        await server.node.store.star(
          annKey,
          { stream, with: `p${i}`, createdAt: i },
          MAX_STARS,
        ),
      );
    }
    await ann.ok("star", { with: "ben" });
    await pool.register("cat");
    await expectError(ann, "star", { with: "cat" }, "too_many_stars");
    // The ones kept may be starred again or go.
    await ann.ok("star", { with: "ben" });
    await ann.ok("unstar", { with: "p2" });
    await ann.ok("star", { with: "cat" });
    assert.equal(
      (await server.node.store.listStars(annKey)).length,
      MAX_STARS,
    );
  },
  { rateLimits: NO_RATE_LIMITS },
);

stores.clients(
  "a starred room stays starred when renamed, is not listed once left and is again on rejoining; its deletion takes every account's star there",
  async (pool, server) => {
    const root = await pool.register("root");
    const ann = await pool.register("ann");
    await root.ok("create_room", { room: "dev" });
    await ann.ok("join_room", { room: "dev" });
    await ann.ok("star", { room: "dev" });
    await root.ok("update_room", { room: "dev", name: "Lab" });
    await root.event("system", (d) => d.kind === "renamed");
    assert.deepEqual(loginStars(await pool.login({ token: ann.token })), {
      rooms: ["Lab"],
      with: [],
    });
    // A room made again under the old name is not starred.
    await root.ok("create_room", { room: "dev" });
    await ann.ok("join_room", { room: "dev" });
    assert.deepEqual(loginStars(await pool.login({ token: ann.token })), {
      rooms: ["Lab"],
      with: [],
    });

    await ann.ok("leave_room", { room: "Lab" });
    assert.deepEqual(loginStars(await pool.login({ token: ann.token })), {
      rooms: [],
      with: [],
    });
    await ann.ok("join_room", { room: "Lab" });
    assert.deepEqual(loginStars(await pool.login({ token: ann.token })), {
      rooms: ["Lab"],
      with: [],
    });

    await ann.ok("leave_room", { room: "Lab" });
    await root.ok("star", { room: "Lab" });
    await root.ok("delete_room", { room: "Lab" });
    const annKey = (await server.node.accounts.find("ann"))!.key;
    const rootKey = (await server.node.accounts.find("root"))!.key;
    assert.deepEqual(await server.node.store.listStars(annKey), []);
    assert.deepEqual(await server.node.store.listStars(rootKey), []);
    await root.ok("create_room", { room: "Lab" });
    await ann.ok("join_room", { room: "Lab" });
    assert.deepEqual(loginStars(await pool.login({ token: ann.token })), {
      rooms: [],
      with: [],
    });
  },
);

stores.clients(
  "a deleted account's stars go with it",
  async (pool, server) => {
    const root = await pool.register("root");
    const ann = await pool.register("ann");
    await ann.ok("star", { room: "general" });
    await ann.ok("star", { with: "root" });
    const annKey = (await server.node.accounts.find("ann"))!.key;
    assert.equal((await server.node.store.listStars(annKey)).length, 2);
    await root.ok("delete_account", {
      user: "ann",
      messages: "keep",
      reason: "asked to leave",
    });
    assert.deepEqual(await server.node.store.listStars(annKey), []);
  },
);
