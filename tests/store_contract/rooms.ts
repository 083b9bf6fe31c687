/**
 * The store contract for rooms and their messages: listRooms, createRoom,
 * deleteRoom, appendMessage and history.
 */
import assert from "node:assert/strict";
import type { ChatMessage } from "../../server/protocol/types.ts";
import { RoomGoneError, type Store } from "../../server/store/mod.ts";
import {
  after,
  append,
  BAN,
  dm,
  draft,
  ISO_MS,
  range,
  seqs,
  type StoreTest,
} from "./support.ts";

/** The contract of Rooms, appends, client_id retries and history pages. */
export function roomsAndMessages(test: StoreTest): void {
  test("a fresh store has the permanent room general", async (store) => {
    const rooms = await store.listRooms();
    assert.equal(rooms.length, 1);
    assert.equal(rooms[0].key, "general");
    assert.equal(rooms[0].name, "general");
    assert.equal(typeof rooms[0].createdAt, "number");
  });

  test("createRoom returns the room and listRooms lists it", async (store) => {
    const before = Date.now();
    const room = await store.createRoom("DevOps", "devops");
    assert.ok(room);
    assert.equal(room.key, "devops");
    assert.equal(room.name, "DevOps");
    assert.ok(room.createdAt >= before - 1000 && room.createdAt <= Date.now());
    const rooms = await store.listRooms();
    assert.deepEqual(rooms.map((r) => [r.key, r.name]), [
      ["general", "general"],
      ["devops", "DevOps"],
    ]);
  });

  test("listRooms lists rooms oldest first", async (store) => {
    // Created within the same millisecond more often than not: the order
    // must still be the order of creation, not of the keys.
    for (const key of ["zeta", "alpha", "mid", "beta"]) {
      await store.createRoom(key, key);
    }
    const rooms = await store.listRooms();
    assert.deepEqual(rooms.map((r) => r.key), [
      "general",
      "zeta",
      "alpha",
      "mid",
      "beta",
    ]);
  });

  test("createRoom with a taken key returns null and keeps the first name", async (store) => {
    assert.ok(await store.createRoom("Dev", "dev"));
    assert.equal(await store.createRoom("DEV", "dev"), null);
    assert.equal(await store.createRoom("General", "general"), null);
    const rooms = await store.listRooms();
    assert.deepEqual(rooms.map((r) => r.name), ["general", "Dev"]);
  });

  test("appendMessage stores a message with id, seq, room name, user, text and ts", async (store) => {
    await store.createRoom("Dev", "dev");
    const before = Date.now();
    const { message, duplicate } = await store.appendMessage(
      draft("dev", "hello"),
    );
    assert.equal(duplicate, false);
    assert.deepEqual(Object.keys(message).sort(), [
      "id",
      "room",
      "seq",
      "text",
      "ts",
      "user",
    ]);
    assert.equal(typeof message.id, "string");
    assert.ok(message.id.length > 0);
    assert.equal(message.seq, 1);
    assert.equal(message.room, "Dev");
    assert.equal(message.user, "Alice");
    assert.equal(message.text, "hello");
    assert.match(message.ts, ISO_MS);
    const ts = Date.parse(message.ts);
    assert.ok(ts >= before - 1000 && ts <= Date.now() + 1000);
    assert.deepEqual(await store.history("dev", {}), [message]);
  });

  test("seq counts from 1 in each room, independently", async (store) => {
    await store.createRoom("dev", "dev");
    const got: Record<string, number[]> = { general: [], dev: [] };
    for (const room of ["general", "dev", "general", "general", "dev"]) {
      const { message } = await store.appendMessage(draft(room, room));
      got[room].push(message.seq);
    }
    assert.deepEqual(got, { general: [1, 2, 3], dev: [1, 2] });
  });

  test("ids are unique and sort in the order messages were stored", async (store) => {
    await store.createRoom("dev", "dev");
    const messages: ChatMessage[] = [];
    for (let i = 0; i < 30; i++) {
      const room = i % 3 === 0 ? "dev" : "general";
      messages.push((await store.appendMessage(draft(room, `m${i}`))).message);
    }
    const ids = messages.map((m) => m.id);
    assert.equal(new Set(ids).size, ids.length);
    assert.deepEqual([...ids].sort(), ids);
  });

  test("concurrent appends get distinct seqs with no gaps", async (store) => {
    const results = await Promise.all(
      range(1, 50).map((n) =>
        store.appendMessage(draft("general", `m${n}`, { userKey: `u${n % 5}` }))
      ),
    );
    const got = results.map((r) => r.message.seq).sort((a, b) => a - b);
    assert.deepEqual(got, range(1, 50));
    assert.deepEqual(
      seqs(await store.history("general", { limit: 200 })),
      range(1, 50),
    );
  });

  test("the same clientId from the same user in the same room returns the first message", async (store) => {
    const first = await store.appendMessage(
      draft("general", "hi", { clientId: "k1" }),
    );
    assert.equal(first.duplicate, false);
    assert.equal(first.message.client_id, "k1");
    const again = await store.appendMessage(
      draft("general", "hi, edited", { clientId: "k1" }),
    );
    assert.equal(again.duplicate, true);
    assert.deepEqual(again.message, first.message);
    // The retry took no seq: the next message follows the first.
    const next = await store.appendMessage(draft("general", "next"));
    assert.equal(next.message.seq, 2);
    const history = await store.history("general", {});
    assert.deepEqual(history.map((m) => m.text), ["hi", "next"]);
  });

  test("the same clientId from another user or in another room is a new message", async (store) => {
    await store.createRoom("dev", "dev");
    const first = await store.appendMessage(
      draft("general", "one", { clientId: "k1" }),
    );
    const otherUser = await store.appendMessage(
      draft("general", "two", { clientId: "k1", userKey: "bob", user: "bob" }),
    );
    const otherRoom = await store.appendMessage(
      draft("dev", "three", { clientId: "k1" }),
    );
    assert.equal(otherUser.duplicate, false);
    assert.equal(otherRoom.duplicate, false);
    assert.equal(otherUser.message.seq, 2);
    assert.equal(otherRoom.message.seq, 1);
    assert.equal(
      new Set([first, otherUser, otherRoom].map((r) => r.message.id)).size,
      3,
    );
  });

  test("history returns the latest page oldest first, 50 by default", async (store) => {
    await append(store, "general", range(1, 60).map((n) => `m${n}`));
    const page = await store.history("general", {});
    assert.deepEqual(seqs(page), range(11, 60));
    assert.deepEqual(
      page.map((m) => m.text),
      range(11, 60).map((n) => `m${n}`),
    );
    assert.ok(page.every((m) => m.room === "general"));
  });

  test("history pages with beforeSeq, afterSeq and limit", async (store) => {
    await append(store, "general", range(1, 20).map((n) => `m${n}`));
    const page = async (query: Parameters<Store["history"]>[1]) =>
      seqs(await store.history("general", query));
    assert.deepEqual(await page({ limit: 3 }), [18, 19, 20]);
    assert.deepEqual(await page({ beforeSeq: 5 }), [1, 2, 3, 4]);
    assert.deepEqual(await page({ beforeSeq: 10, limit: 3 }), [7, 8, 9]);
    assert.deepEqual(await page({ afterSeq: 17 }), [18, 19, 20]);
    assert.deepEqual(await page({ afterSeq: 5, limit: 3 }), [6, 7, 8]);
    assert.deepEqual(await page({ afterSeq: 0, limit: 2 }), [1, 2]);
    assert.deepEqual(await page({ afterSeq: 3, beforeSeq: 7 }), [4, 5, 6]);
    assert.deepEqual(await page({ afterSeq: 20 }), []);
    assert.deepEqual(await page({ beforeSeq: 1 }), []);
    assert.deepEqual(await page({ limit: 1 }), [20]);
  });

  test("history returns at most 200 messages", async (store) => {
    await append(store, "general", range(1, 230).map((n) => `m${n}`));
    assert.deepEqual(
      seqs(await store.history("general", { limit: 1000 })),
      range(31, 230),
    );
    assert.deepEqual(
      seqs(await store.history("general", { afterSeq: 0, limit: 1000 })),
      range(1, 200),
    );
  });

  test("history of a room without messages is empty", async (store) => {
    await store.createRoom("dev", "dev");
    await append(store, "general", ["elsewhere"]);
    assert.deepEqual(await store.history("dev", {}), []);
    assert.deepEqual(await store.history("dev", { afterSeq: 0 }), []);
  });

  test("history keeps client_id on the messages that had one", async (store) => {
    await store.appendMessage(draft("general", "a", { clientId: "k1" }));
    await store.appendMessage(draft("general", "b"));
    const history = await store.history("general", {});
    assert.equal(history[0].client_id, "k1");
    assert.equal("client_id" in history[1], false);
  });

  test(
    "rooms and messages survive a close and reopen",
    async (store, reopen) => {
      await store.createRoom("DevOps", "devops");
      const sent = [
        ...(await append(store, "general", ["g1", "g2"])),
        (await store.appendMessage(draft("devops", "d1", { clientId: "k1" })))
          .message,
      ];
      const again = await reopen();
      const rooms = await again.listRooms();
      assert.deepEqual(rooms.map((r) => [r.key, r.name]), [
        ["general", "general"],
        ["devops", "DevOps"],
      ]);
      assert.deepEqual(await again.history("general", {}), sent.slice(0, 2));
      assert.deepEqual(await again.history("devops", {}), sent.slice(2));
      // Numbering goes on where it stopped, and retries are still known.
      const next = await again.appendMessage(draft("general", "g3"));
      assert.equal(next.message.seq, 3);
      const retry = await again.appendMessage(
        draft("devops", "d1", { clientId: "k1" }),
      );
      assert.equal(retry.duplicate, true);
      assert.deepEqual(retry.message, sent[2]);
    },
  );

  test("history with since returns only the messages stored at or after it", async (store) => {
    const [first] = await append(store, "general", ["old"]);
    await after(Date.parse(first.ts));
    const later = await append(store, "general", ["new", "newer"]);
    const since = Date.parse(later[0].ts);
    assert.deepEqual(
      (await store.history("general", { since })).map((m) => m.text),
      ["new", "newer"],
    );
    assert.deepEqual(
      seqs(await store.history("general", { since, afterSeq: 0 })),
      [2, 3],
    );
    assert.deepEqual(
      await store.history("general", { since: Date.now() + 60_000 }),
      [],
    );
  });

  test("history with a limit below 1 returns an empty page", async (store) => {
    await append(store, "general", ["a", "b", "c"]);
    for (const limit of [0, -1]) {
      assert.deepEqual(
        await store.history("general", { limit }),
        [],
        `${limit}`,
      );
      assert.deepEqual(
        await store.history("general", { limit, afterSeq: 0 }),
        [],
        `${limit} after 0`,
      );
    }
  });

  test("history of a room that does not exist is empty", async (store) => {
    assert.deepEqual(await store.history("nowhere", {}), []);
    assert.deepEqual(await store.history("nowhere", { afterSeq: 0 }), []);
  });

  // A room deleted while a send waited for its commit: the sender gets
  // room_not_found, not internal, so this is no failure of the store.
  test("appendMessage to a room that does not exist fails with RoomGoneError naming it and stores nothing", async (store) => {
    await assert.rejects(
      store.appendMessage(draft("nowhere", "lost")),
      (error) => error instanceof RoomGoneError && error.roomKey === "nowhere",
    );
    assert.deepEqual(await store.history("nowhere", {}), []);
    assert.deepEqual((await store.listRooms()).map((r) => r.key), ["general"]);
  });

  test("an append to a missing room fails alone among appends made at once", async (store) => {
    const outcomes = await Promise.allSettled([
      store.appendMessage(draft("general", "one")),
      store.appendMessage(draft("nowhere", "lost")),
      store.appendMessage(draft("general", "two")),
    ]);
    assert.deepEqual(outcomes.map((o) => o.status), [
      "fulfilled",
      "rejected",
      "fulfilled",
    ]);
    assert.ok(
      (outcomes[1] as PromiseRejectedResult).reason instanceof RoomGoneError,
    );
    assert.deepEqual(
      (await store.history("general", {})).map((m) => [m.seq, m.text]),
      [[1, "one"], [2, "two"]],
    );
  });
}

// ------------------------------------------------------------ room deletion

/** The contract of deleteRoom, and what goes with a room and what stays. */
export function roomDeletion(test: StoreTest): void {
  test("deleteRoom removes the room, its messages and its room bans; false when absent", async (store) => {
    await store.createRoom("Dev", "dev");
    const [message] = await append(store, "dev", ["gone"]);
    await store.addBan({ userKey: "trent", roomKey: "dev", ...BAN });
    assert.ok(await store.deleteRoom("dev"));
    assert.deepEqual((await store.listRooms()).map((r) => r.key), ["general"]);
    assert.deepEqual(await store.history("dev", {}), []);
    assert.equal(await store.findMessage(message.id), undefined);
    assert.equal(await store.findBan({ userKey: "trent" }, "dev"), undefined);
    assert.equal(await store.deleteRoom("dev"), false);
    assert.equal(await store.deleteRoom("never"), false);
    await assert.rejects(
      store.appendMessage(draft("dev", "too late")),
      RoomGoneError,
    );
  });

  test("deleteRoom keeps other rooms, server bans and private messages", async (store) => {
    await store.createRoom("dev", "dev");
    await store.createRoom("ops", "ops");
    await append(store, "dev", ["d1"]);
    const kept = await append(store, "ops", ["o1", "o2"]);
    const general = await append(store, "general", ["g1"]);
    const { message: secret } = await store.appendPrivate(
      dm("alice", "bob", "psst"),
    );
    await store.addBan({ userKey: "trent", ...BAN });
    await store.addBan({ userKey: "trent", roomKey: "ops", ...BAN });
    assert.ok(await store.deleteRoom("dev"));
    assert.deepEqual((await store.listRooms()).map((r) => r.key), [
      "general",
      "ops",
    ]);
    assert.deepEqual(await store.history("ops", {}), kept);
    assert.deepEqual(await store.history("general", {}), general);
    assert.deepEqual(await store.conversation("alice", "bob", {}), [secret]);
    assert.equal(
      (await store.findBan({ userKey: "trent" }))?.roomKey,
      undefined,
    );
    assert.equal(
      (await store.findBan({ userKey: "trent" }, "ops"))?.userKey,
      "trent",
    );
  });

  test("a room made again under its name within one millisecond is another incarnation: a later creation time, and an append naming the old one is refused, nothing stored", async (store) => {
    // A clock that stands still (where the store runs in this thread):
    // the old room and the new one made in the same millisecond.
    const now = Date.now;
    const frozen = now();
    Date.now = () => frozen;
    try {
      const old = await store.createRoom("dev", "dev");
      assert.ok(old);
      assert.ok(old.createdAt >= frozen);
      await store.deleteRoom("dev");
      const made = await store.createRoom("dev", "dev");
      assert.ok(made);
      assert.ok(made.createdAt > old.createdAt);
      await assert.rejects(
        store.appendMessage(
          draft("dev", "for the old dev", { roomCreatedAt: old.createdAt }),
        ),
        RoomGoneError,
      );
      assert.deepEqual(await store.history("dev", {}), []);
    } finally {
      Date.now = now;
    }
  });

  test("no two rooms share a creation time: made in one millisecond, or with the clock set back, each is later than the last", async (store) => {
    const now = Date.now;
    const frozen = now();
    const times: number[] = [];
    try {
      Date.now = () => frozen;
      for (const key of ["a", "b", "c"]) {
        times.push((await store.createRoom(key, key))!.createdAt);
      }
      Date.now = () => frozen - 3_600_000;
      times.push((await store.createRoom("d", "d"))!.createdAt);
      // A name taken creates nothing, and the next room is still later.
      assert.equal(await store.createRoom("a", "a"), null);
      times.push((await store.createRoom("e", "e"))!.createdAt);
    } finally {
      Date.now = now;
    }
    for (let i = 1; i < times.length; i++) {
      assert.ok(times[i] > times[i - 1], `${times}`);
    }
    assert.deepEqual(
      (await store.listRooms()).map((r) => [r.key, r.createdAt]).slice(1),
      ["a", "b", "c", "d", "e"].map((key, i) => [key, times[i]]),
    );
  });

  test("a room created again after deleteRoom starts at seq 1, and old client_ids are new messages", async (store) => {
    await store.createRoom("dev", "dev");
    await store.appendMessage(draft("dev", "one", { clientId: "k1" }));
    await append(store, "dev", ["two", "three"]);
    await store.deleteRoom("dev");
    const room = await store.createRoom("Dev", "dev");
    assert.equal(room?.name, "Dev");
    const again = await store.appendMessage(
      draft("dev", "one again", { clientId: "k1" }),
    );
    assert.equal(again.duplicate, false);
    assert.equal(again.message.seq, 1);
    assert.equal(again.message.room, "Dev");
    assert.deepEqual(
      (await store.history("dev", {})).map((m) => m.text),
      ["one again"],
    );
    // Last in the list, as any new room.
    assert.deepEqual((await store.listRooms()).map((r) => r.key), [
      "general",
      "dev",
    ]);
  });
}
