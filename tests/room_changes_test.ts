/**
 * `room_changes`: a client that logs in with `"room_changes": true` gets
 * one full `room_list`, then only what changed, in the same places; every
 * other client gets whole lists as before.
 */
import assert from "node:assert/strict";
import { DEFAULT_CONFIG } from "../server/config.ts";
import { threadStoreSpec } from "../server/early_store.ts";
import { NO_RATE_LIMITS } from "../server/mod.ts";
import type { Store } from "../server/store/mod.ts";
import { openWorkerStore } from "../server/store/worker_store.ts";
import {
  type ClientPool,
  delay,
  eventually,
  expectError,
  startTestServer,
  TEST_PASSWORD,
  type TestClient,
  withClients,
  withPool,
} from "./harness.ts";

interface Room {
  name: string;
  users: number;
  private?: boolean;
  topic?: string;
}

// The rooms a client knows from what it received: its login reply, then
// each room_list (whole) and room_changes (applied), in order.
function mirror(client: TestClient): Room[] {
  const rooms = new Map<string, Room>();
  const replace = (list: Room[]) => {
    rooms.clear();
    for (const room of list) rooms.set(room.name, room);
  };
  for (const frame of client.received) {
    if (frame.action === "success" && frame.data.username !== undefined) {
      replace(frame.data.rooms as Room[]);
    } else if (frame.id !== undefined) {
      continue;
    } else if (frame.action === "room_list") {
      replace(frame.data.rooms as Room[]);
    } else if (frame.action === "room_changes") {
      for (const room of frame.data.rooms as Room[]) rooms.set(room.name, room);
      for (const name of frame.data.removed as string[]) rooms.delete(name);
    }
  }
  return sorted([...rooms.values()]);
}

function sorted(rooms: Room[]): Room[] {
  return [...rooms].sort((a, b) => a.name.localeCompare(b.name));
}

// Waits until what the client built from its events is what it would be
// told afresh (changes come at most 250 ms after the one that caused them).
async function agrees(client: TestClient): Promise<Room[]> {
  return await eventually(async () => {
    const fresh = sorted((await client.ok("list_rooms")).rooms as Room[]);
    assert.deepEqual(mirror(client), fresh);
    return fresh;
  });
}

async function optedIn(pool: ClientPool, data: Record<string, unknown>) {
  const client = await pool.connect();
  await client.ok(data.password ? "register" : "login", {
    ...data,
    room_changes: true,
  });
  await client.event("room_list");
  return client;
}

// Rooms to dwarf a change: a change smaller than the whole list is sent
// as a change.
async function fillers(pool: ClientPool, count = 6): Promise<void> {
  const filler = await pool.guest("filler");
  for (let i = 1; i <= count; i++) {
    await filler.ok("create_room", { room: `filler${i}` });
  }
}

Deno.test("room_changes: a join or leave sends the opted-in only the rooms whose counts changed, before the joined notice", () =>
  withClients(async (pool) => {
    await fillers(pool);
    const watcher = await optedIn(pool, { username: "watcher" });
    await watcher.ok("join_room", { room: "filler1" });
    await agrees(watcher);
    const bob = await pool.guest("bob");
    await agrees(watcher);
    // Past the 250 ms since the last list, the next goes out at once,
    // before the notice (docs/protocol.md, Events, Order).
    await delay(300);
    let from = watcher.received.length;
    await bob.ok("join_room", { room: "filler1" });
    const joined = await watcher.event(
      "system",
      (d) => d.kind === "joined" && d.user === "bob",
      { from },
    );
    const moved = await watcher.event("room_changes", () => true, { from });
    assert.ok(
      watcher.received.indexOf(moved) < watcher.received.indexOf(joined),
    );
    assert.deepEqual(sorted(moved.data.rooms as Room[]), [
      { name: "filler1", users: 2 },
      { name: "general", users: 0 },
    ]);
    assert.deepEqual(moved.data.removed, []);
    from = watcher.received.length;
    await bob.ok("leave_room");
    const left = await watcher.event("room_changes", () => true, { from });
    assert.deepEqual(sorted(left.data.rooms as Room[]), [
      { name: "filler1", users: 1 },
      { name: "general", users: 1 },
    ]);
    assert.equal(watcher.events("room_list").length, 1);
    await agrees(watcher);
  }));

Deno.test("room_changes: a deleted room comes in removed", () =>
  withClients(async (pool) => {
    const admin = await pool.register("boss");
    await fillers(pool);
    const watcher = await optedIn(pool, { username: "watcher" });
    const from = watcher.received.length;
    await admin.ok("create_room", { room: "doomed" });
    await watcher.event(
      "room_changes",
      (d) => (d.rooms as Room[]).some((r) => r.name === "doomed"),
      { from },
    );
    await admin.ok("delete_room", { room: "doomed" });
    const gone = await watcher.event(
      "room_changes",
      (d) => (d.removed as string[]).length > 0,
      { from },
    );
    assert.deepEqual(gone.data.removed, ["doomed"]);
    assert.equal(watcher.events("room_list").length, 1);
    assert.ok(!(await agrees(watcher)).some((r) => r.name === "doomed"));
  }));

Deno.test("room_changes: a private room appears and goes for its members only", () =>
  withClients(async (pool) => {
    await fillers(pool);
    const owner = await optedIn(pool, {
      username: "owner",
      password: TEST_PASSWORD,
    });
    const friend = await optedIn(pool, {
      username: "friend",
      password: TEST_PASSWORD,
    });
    const stranger = await optedIn(pool, {
      username: "stranger",
      password: TEST_PASSWORD,
    });
    await owner.ok("create_room", { room: "secret", private: true });
    const made = await owner.event(
      "room_changes",
      (d) => (d.rooms as Room[]).some((r) => r.name === "secret"),
    );
    assert.ok(
      (made.data.rooms as Room[]).some((r) =>
        r.name === "secret" && r.private === true
      ),
    );
    const from = friend.received.length;
    await owner.ok("invite", { room: "secret", user: "friend" });
    await friend.event(
      "room_changes",
      (d) => (d.rooms as Room[]).some((r) => r.name === "secret"),
      { from },
    );
    await owner.ok("remove_member", { room: "secret", user: "friend" });
    const removed = await friend.event(
      "room_changes",
      (d) => (d.removed as string[]).includes("secret"),
      { from },
    );
    assert.deepEqual(removed.data.removed, ["secret"]);
    for (const client of [owner, friend, stranger]) await agrees(client);
    assert.ok(!stranger.rawFrames.some((raw) => raw.includes("secret")));
  }));

Deno.test("room_changes: a random run of moves, creations and deletions, applied to the first list, is always the fresh list", () =>
  withClients(async (pool) => {
    let seed =
      Number(Deno.env.get("ROOM_CHANGES_SEED") ?? Date.now() % 2147483647) ||
      1;
    console.log(`seed ${seed}`);
    const random = (n: number) => {
      seed = (seed * 48271) % 2147483647;
      return seed % n;
    };
    // The first account is the admin: it may delete any room.
    const names = ["ann", "ben", "cat"];
    const clients: TestClient[] = [];
    for (const username of names) {
      clients.push(
        await optedIn(pool, { username, password: TEST_PASSWORD }),
      );
    }
    const plain = await pool.guest("plain");
    await fillers(pool, 3);
    const rooms: string[] = [];
    for (let step = 0; step < 60; step++) {
      const who = random(3);
      const client = clients[who];
      const op = random(6);
      const room = rooms[random(Math.max(rooms.length, 1))];
      if (op === 0 || rooms.length === 0) {
        const name = `r${step}`;
        const reply = await client.request("create_room", {
          room: name,
          private: random(2) === 0,
        });
        if (reply.action === "success") rooms.push(name);
      } else if (op === 1) {
        await client.request("join_room", { room });
      } else if (op === 2) {
        await client.request("leave_room", { room });
      } else if (op === 3) {
        await client.request("invite", { room, user: names[random(3)] });
      } else if (op === 4) {
        const reply = await clients[0].request("delete_room", { room });
        if (reply.action === "success") rooms.splice(rooms.indexOf(room), 1);
      } else {
        await client.request("remove_member", { room, user: names[random(3)] });
      }
      if (step % 15 === 14) {
        for (const c of clients) await agrees(c);
      }
    }
    for (const c of [...clients, plain]) await agrees(c);
    // Some runs change a client's list and change it back within one
    // pace (a private room made and deleted), which nets to nothing sent:
    // a public room at the end changes every list, whatever the seed.
    await clients[0].ok("create_room", { room: "last" });
    for (const c of [...clients, plain]) await agrees(c);
    for (const c of clients) {
      assert.ok(c.events("room_changes").length > 0);
    }
    assert.equal(plain.events("room_changes").length, 0);
  }));

Deno.test("room_changes: a client that did not ask still gets whole room_lists", () =>
  withClients(async (pool) => {
    await fillers(pool, 2);
    const plain = await pool.guest("plain");
    const from = plain.received.length;
    const bob = await pool.guest("bob");
    await bob.ok("join_room", { room: "filler1" });
    const list = await plain.event(
      "room_list",
      (d) =>
        (d.rooms as Room[]).some((r) => r.name === "filler1" && r.users === 1),
      { from },
    );
    assert.deepEqual(sorted(list.data.rooms as Room[]), [
      { name: "filler1", users: 1 },
      { name: "filler2", users: 1 },
      { name: "general", users: 1 },
    ]);
    assert.equal(plain.events("room_changes").length, 0);
  }));

Deno.test("login: a room_changes that is not true or false is invalid_message", () =>
  withClients(async (pool) => {
    const client = await pool.connect();
    await expectError(
      client,
      "login",
      { username: "alice", room_changes: "yes" },
      "invalid_message",
    );
  }));

// Logs in with the reply's list as the first one: no room_list comes
// before the first change.
async function listedInReply(
  pool: ClientPool,
  data: Record<string, unknown>,
): Promise<TestClient> {
  const client = await pool.connect();
  await client.ok("login", { ...data, room_list_in_reply: true });
  return client;
}

Deno.test("login with room_list_in_reply: no room_list follows the reply, the next change comes as room_changes against the reply's list", () =>
  withClients(async (pool) => {
    await fillers(pool);
    const watcher = await listedInReply(pool, {
      username: "watcher",
      room_changes: true,
    });
    const bob = await pool.guest("bob");
    await bob.ok("join_room", { room: "filler1" });
    // The login's own list, had it been sent, would come before this.
    await watcher.event(
      "room_changes",
      (d) =>
        (d.rooms as Room[]).some((r) => r.name === "filler1" && r.users === 1),
    );
    assert.deepEqual(watcher.events("room_list"), []);
    await agrees(watcher);
  }));

Deno.test("login with room_list_in_reply: an account's private rooms are in the reply and not sent again", () =>
  withClients(async (pool) => {
    await fillers(pool);
    const owner = await pool.register("owner");
    await owner.ok("create_room", { room: "secret", private: true });
    const again = await listedInReply(pool, {
      username: "owner",
      password: TEST_PASSWORD,
      room_changes: true,
    });
    assert.ok(
      (again.received[0].data.rooms as Room[]).some((r) =>
        r.name === "secret" && r.private === true
      ),
    );
    const bob = await pool.guest("bob");
    await bob.ok("join_room", { room: "filler2" });
    const changed = await again.event(
      "room_changes",
      (d) => (d.rooms as Room[]).some((r) => r.name === "filler2"),
    );
    assert.ok(
      !(changed.data.rooms as Room[]).some((r) => r.name === "secret"),
    );
    assert.deepEqual(again.events("room_list"), []);
    await agrees(again);
  }));

Deno.test("login with room_list_in_reply and no room_changes: the first room_list is the first change after the reply", () =>
  withClients(async (pool) => {
    await fillers(pool, 2);
    const witness = await optedIn(pool, { username: "witness" });
    const from = witness.received.length;
    const plain = await listedInReply(pool, { username: "plain" });
    const listed = sorted(plain.received[0].data.rooms as Room[]);
    assert.deepEqual(
      listed.find((r) => r.name === "general"),
      { name: "general", users: 2 },
    );
    // The node's list for this login has gone out once the witness has
    // its share: whatever the plain client was sent then came before what
    // follows.
    await witness.event(
      "room_changes",
      (d) =>
        (d.rooms as Room[]).some((r) => r.name === "general" && r.users === 2),
      { from },
    );
    const bob = await pool.guest("bob");
    await bob.ok("join_room", { room: "filler1" });
    const first = await plain.event("room_list");
    assert.notDeepEqual(sorted(first.data.rooms as Room[]), listed);
    const list = await plain.event(
      "room_list",
      (d) =>
        (d.rooms as Room[]).some((r) => r.name === "filler1" && r.users === 1),
    );
    assert.deepEqual(sorted(list.data.rooms as Room[]), [
      { name: "filler1", users: 1 },
      { name: "filler2", users: 1 },
      { name: "general", users: 2 },
    ]);
    assert.equal(plain.events("room_changes").length, 0);
  }));

Deno.test("login with room_list_in_reply: with 501 rooms of 250-character topics a login carries the list once", () =>
  withClients(async (pool) => {
    const maker = await pool.register("maker");
    const topic = "t".repeat(250);
    for (let from = 1; from <= 500; from += 50) {
      await Promise.all(
        Array.from({ length: 50 }, async (_, i) => {
          const room = `room${String(from + i).padStart(3, "0")}`;
          await maker.ok("create_room", { room });
          await maker.ok("set_topic", { room, topic });
        }),
      );
    }
    // Every frame of a guest's login up to the room change another guest
    // then makes: the login's own list (whole), if sent, comes first.
    // (The maker, a member, counts in every room: the mover makes 2.)
    const loginBytes = async (name: string, room: string, options: object) => {
      const client = await pool.connect();
      await client.ok("login", { username: name, ...options });
      const mover = await pool.guest(`${name}_mover`);
      await mover.ok("join_room", { room });
      await client.waitFor((f) =>
        f.id === undefined &&
        (f.action === "room_changes" || f.action === "room_list") &&
        (f.data.rooms as Room[]).some((r) => r.name === room && r.users === 2)
      );
      const bytes = client.rawFrames.reduce((n, raw) => n + raw.length, 0);
      await mover.close();
      await client.close();
      return { bytes, lists: client.events("room_list").length };
    };
    const twice = await loginBytes("twice", "room001", { room_changes: true });
    const once = await loginBytes("once", "room002", {
      room_changes: true,
      room_list_in_reply: true,
    });
    console.log(`login bytes: ${twice.bytes} without, ${once.bytes} with`);
    assert.equal(twice.lists, 1);
    assert.equal(once.lists, 0);
    // The list is about 146 kB: it went once, not twice.
    assert.ok(twice.bytes - once.bytes > 140_000);
  }, { rateLimits: NO_RATE_LIMITS, maxRoomsPerUser: 0 }));

// A server whose store holds `doNotDisturb` of `held` (read by a login
// after its reply's room list) until the test lets it go: the store on
// its thread, as an early store (server/early_store.ts) wrapped.
async function withHeldLogin(
  body: (pool: ClientPool, hold: (held: string) => HeldRead) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "chat-held-" });
  const config = { dbThread: true, db: `${dir}/chat.db` };
  const spec = threadStoreSpec({ ...DEFAULT_CONFIG, ...config });
  assert.ok(spec, "this build has store threads");
  let holding: { key: string; read: HeldRead } | undefined;
  // The thread's store defines its calls on itself, bound: an object over
  // it with its own (and its close, a method of its class).
  const store = openWorkerStore(spec).then((store): Store =>
    Object.create(store, {
      doNotDisturb: {
        value: async (key: string) => {
          const hold = holding;
          if (hold?.key === key) {
            holding = undefined;
            hold.read.reached.resolve();
            await hold.read.released.promise;
          }
          return await store.doNotDisturb(key);
        },
      },
      close: { value: () => store.close() },
    })
  );
  const server = await startTestServer(config, { store: { spec, store } });
  try {
    await withPool(server, (pool) =>
      body(pool, (held) => {
        const read = {
          reached: Promise.withResolvers<void>(),
          released: Promise.withResolvers<void>(),
        };
        holding = { key: held, read };
        return read;
      }));
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
}

interface HeldRead {
  reached: PromiseWithResolvers<void>;
  released: PromiseWithResolvers<void>;
}

Deno.test("login with room_list_in_reply: a topic set after the reply's list was read reaches the client without any later change", () =>
  withHeldLogin(async (pool, hold) => {
    const setter = await pool.register("setter");
    await setter.ok("create_room", { room: "news" });
    await (await pool.register("watcher")).close();
    const witness = await optedIn(pool, { username: "witness" });
    // The watcher's reply has read its list and waits for a read after it.
    const read = hold("watcher");
    const watcher = await pool.connect();
    const login = watcher.request("login", {
      username: "watcher",
      password: TEST_PASSWORD,
      room_changes: true,
      room_list_in_reply: true,
    });
    await read.reached.promise;
    const from = witness.received.length;
    await setter.ok("set_topic", { room: "news", topic: "later" });
    // The node's pass for the topic has gone (the witness has it): it
    // skipped the watcher, whose reply was being made.
    await witness.waitFor(
      (f) =>
        f.id === undefined &&
        (f.action === "room_changes" || f.action === "room_list") &&
        (f.data.rooms as Room[]).some((r) => r.topic === "later"),
      "the topic in the witness's list",
      { from },
    );
    read.released.resolve();
    const reply = await login;
    assert.equal(reply.action, "success");
    const listed = (reply.data.rooms as Room[]).find((r) => r.name === "news");
    assert.equal(listed?.topic, undefined);
    // Nothing changes after the topic: the watcher has it all the same.
    await eventually(() =>
      assert.equal(
        mirror(watcher).find((r) => r.name === "news")?.topic,
        "later",
      )
    );
  }));

Deno.test("login: a room_list_in_reply that is not true or false is invalid_message", () =>
  withClients(async (pool) => {
    const client = await pool.connect();
    await expectError(
      client,
      "login",
      { username: "alice", room_list_in_reply: 1 },
      "invalid_message",
    );
  }));
