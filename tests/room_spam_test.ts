/**
 * Room spam and the room list's cost: guests' rooms are limited per
 * address, an account's by how many it owns (`--max-rooms-per-user`),
 * guest-made rooms nobody uses expire (`--guest-room-ttl`), and a storm of
 * new rooms reaches bystanders as a few coalesced `room_list` events, and
 * a long list reaches a client without `room_changes` at a bounded pace.
 * Clients act as other machines through a trusted proxy's X-Forwarded-For.
 */
import assert from "node:assert/strict";
import { DEFAULT_RATE_LIMITS, NO_RATE_LIMITS } from "../server/rate_limit.ts";
import {
  type Frame,
  range,
  roomsOf,
  roundTrip,
  usersIn,
  withClients,
} from "./harness.ts";

const ROOM_BURST = DEFAULT_RATE_LIMITS.perAddress!.room!.burst;
const FROM = (address: string) => ({
  headers: { "x-forwarded-for": address },
});

Deno.test(`create_room: guests of one address make ${ROOM_BURST} rooms, then get rate_limited; another address still may`, () =>
  withClients(async (pool) => {
    // Six names from one address, as in the attack: the names share it.
    const guests = await Promise.all(
      range(1, 6).map((n) =>
        pool.login({ username: `spammer${n}` }, FROM("192.0.2.70"))
      ),
    );
    const replies = [];
    for (const n of range(1, ROOM_BURST + 5)) {
      replies.push(
        await guests[n % 6].request("create_room", { room: `spam${n}` }),
      );
    }
    const made = replies.filter((r) => r.action === "success").length;
    assert.equal(made, ROOM_BURST);
    const refused = replies.find((r) => r.action === "error")!;
    assert.equal(refused.data.code, "rate_limited");
    assert.ok((refused.data.retry_after_ms as number) > 1000);
    const other = await pool.login({ username: "teacher" }, FROM("192.0.2.71"));
    await other.ok("create_room", { room: "lesson" });
  }, { trustProxy: true }));

Deno.test("create_room: an account that owns --max-rooms-per-user rooms gets too_many_rooms; rooms others made do not count", () =>
  withClients(async (pool) => {
    const alice = await pool.register("alice");
    await alice.ok("create_room", { room: "one" });
    await alice.ok("create_room", { room: "two", private: true });
    const refused = await alice.request("create_room", { room: "three" });
    assert.equal(refused.action, "error");
    assert.equal(refused.data.code, "too_many_rooms");
    assert.match(refused.data.message as string, /2 rooms/);
    // Rooms others made do not count.
    const bob = await pool.register("bob");
    await bob.ok("create_room", { room: "bobs" });
    await alice.ok("join_room", { room: "bobs" });
  }, { maxRoomsPerUser: 2 }));

Deno.test("guest rooms: one nobody is in nor writes in is deleted after --guest-room-ttl; an account's room, an occupied one and an archived one stay", () =>
  withClients(async (pool) => {
    const watcher = await pool.register("watcher");
    const owner = await pool.register("owner");
    await owner.ok("create_room", { room: "lasting" });
    await owner.ok("join_room", { room: "general" });
    // The rooms that stay are there before the one that goes is made: its
    // second of TTL can run out while a busy machine is still logging erin
    // in, and lists from before it was made lack it too.
    const erin = await pool.guest("erin");
    await erin.ok("create_room", { room: "busy" });
    const dave = await pool.guest("dave");
    // Archived by an admin: kept for its history, empty or not.
    await dave.ok("create_room", { room: "kept" });
    await dave.ok("send_message", { text: "for the record" });
    await watcher.ok("archive_room", { room: "kept" });
    await dave.ok("create_room", { room: "passing" });
    await dave.ok("send_message", { text: "anyone?" });
    await dave.ok("join_room", { room: "general" });
    const listed = await watcher.event(
      "room_list",
      (d) => roomsOf(d).some((r) => r.name === "passing"),
    );
    // The server deletes the empty one by itself and says so in the list.
    const list = await watcher.event(
      "room_list",
      (d) => !roomsOf(d).some((r) => r.name === "passing"),
      { from: watcher.received.indexOf(listed) + 1, timeoutMs: 30_000 },
    );
    const names = roomsOf(list.data).map((r) => r.name).sort();
    assert.deepEqual(names, ["busy", "general", "kept", "lasting"]);
    // The admin (watcher, the first account) reads who deleted it.
    const [entry] = (await watcher.ok("audit_log", { limit: 1 }))
      .entries as Record<string, unknown>[];
    assert.deepEqual(
      [entry.by, entry.action, entry.room, entry.reason],
      ["the server", "delete_room", "passing", "expired"],
    );
    const gone = await dave.request("join_room", { room: "passing" });
    assert.equal(gone.data.code, "room_not_found");
    // Its history went with it: a new room of that name starts afresh.
    const again = await dave.ok("create_room", { room: "passing" });
    assert.deepEqual(again.history, []);
    await erin.ok("send_message", { text: "still here" });
  }, { guestRoomTtlSeconds: 1 }));

Deno.test("room_list: a storm of create_room reaches a bystander as a few coalesced lists, the last one complete", () =>
  withClients(async (pool) => {
    const bystander = await pool.guest("bystander");
    const maker = await pool.register("maker");
    const before = bystander.received.length;
    const started = performance.now();
    // Sent together, answered one after the other.
    const replies = await Promise.all(
      range(1, 40).map((n) => maker.request("create_room", { room: `r${n}` })),
    );
    const elapsed = performance.now() - started;
    assert.ok(replies.every((r) => r.action === "success"));
    const last = await bystander.event(
      "room_list",
      (d) => roomsOf(d).filter((r) => r.name.startsWith("r")).length === 40,
    );
    const lists = bystander.received.slice(before)
      .filter((f) => f.action === "room_list");
    // At most one list per 250 ms, the first at once and one after.
    const bound = Math.ceil((performance.now() - started) / 250) + 1;
    assert.ok(
      lists.length <= bound,
      `${lists.length} lists in ${Math.round(elapsed)} ms (bound ${bound})`,
    );
    assert.ok(lists.length < 40, `${lists.length} lists for 40 rooms`);
    assert.ok(lists.includes(last));
  }, { maxRoomsPerUser: 0 }));

Deno.test("room_list: a client without room_changes gets a long list at most once per its length at 16 KiB a second, then the latest, and none that did not change", () =>
  withClients(async (pool) => {
    const maker = await pool.register("maker");
    // About 25 KiB of list: one every 1.5 s at most.
    for (const batch of range(0, 9)) {
      await Promise.all(
        range(1, 50).map((n) =>
          maker.ok("create_room", {
            room: `room-with-a-long-name-${batch * 50 + n}`,
          })
        ),
      );
    }
    const bystander = await pool.guest("bystander");
    const first = await bystander.event(
      "room_list",
      (d) => roomsOf(d).length === 501,
    );
    // Six newcomers, each changing general's count, one after another.
    for (const n of range(1, 6)) {
      await pool.guest(`newcomer${n}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const joined = Date.now();
    // The latest comes, once its wait is over.
    const last = await bystander.event(
      "room_list",
      (d) => usersIn(roomsOf(d), "general") === 8,
    );
    const lists = bystander.events("room_list");
    const at = (f: Frame) => Date.parse(f.timestamp);
    for (let i = lists.indexOf(first) + 1; i < lists.length; i++) {
      const wait = JSON.stringify(lists[i - 1].data.rooms).length * 1000 /
        16384;
      assert.ok(
        at(lists[i]) - at(lists[i - 1]) >= wait - 5,
        `lists ${at(lists[i]) - at(lists[i - 1])} ms apart, ${
          Math.round(wait)
        } ms the least`,
      );
    }
    // Coalesced: while the newcomers came (about a second, several on a
    // busy machine), at most one list per wait after the first, then the
    // latest; not one per newcomer.
    const span = joined - at(first);
    const least = JSON.stringify(first.data.rooms).length * 1000 / 16384;
    const bound = 2 + Math.floor(span / least);
    assert.ok(
      lists.length - lists.indexOf(first) <= bound,
      `${
        lists.length - lists.indexOf(first)
      } lists in ${span} ms (bound ${bound})`,
    );
    // A private room of someone else changes nothing it sees: no list, while
    // its maker gets one with it.
    const from = bystander.received.length;
    await maker.ok("create_room", { room: "hideout", private: true });
    await maker.event(
      "room_list",
      (d) => roomsOf(d).some((r) => r.name === "hideout"),
    );
    await roundTrip(bystander);
    assert.equal(
      bystander.received.slice(from).filter((f) => f.action === "room_list")
        .length,
      0,
    );
    assert.ok(bystander.events("room_list").includes(last));
  }, { maxRoomsPerUser: 0, maxMemberships: 0, rateLimits: NO_RATE_LIMITS }));
