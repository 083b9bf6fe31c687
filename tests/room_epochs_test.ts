/**
 * Room epochs (server/room_history.ts): a room deleted and created again
 * under its name, or a database restored from a backup, must not let a
 * client resume by `after_seq` into the wrong stream. Replies
 * carry the room's epoch; a resume from another epoch, or past
 * the room's newest seq, gets `stale_epoch`.
 */
import assert from "node:assert/strict";
import { startServer } from "../server/mod.ts";
import {
  type ClientPool,
  range,
  sendMany,
  TestClient,
  withClients,
} from "./harness.ts";

/** n texts to send. */
function texts(n: number): string[] {
  return range(1, n).map((i) => `m${i}`);
}

/** `root` registers first and so is the admin, who may delete rooms. */
async function admin(pool: ClientPool): Promise<TestClient> {
  return await pool.register("root");
}

Deno.test("room epochs: a room created again under its name has another epoch, and a resume from the old one gets stale_epoch", () =>
  withClients(async (pool) => {
    const root = await admin(pool);
    const first = await root.ok("create_room", { room: "dev" });
    const oldEpoch = first.epoch as string;
    assert.equal(typeof oldEpoch, "string");
    await sendMany(root, texts(5));
    const page = await root.ok("history", { room: "dev", after_seq: 2 });
    assert.equal(page.epoch, oldEpoch);
    await root.ok("delete_room", { room: "dev" });
    await root.event("system", (d) => d.kind === "deleted");
    const second = await root.ok("create_room", { room: "dev" });
    const newEpoch = second.epoch as string;
    assert.notEqual(newEpoch, oldEpoch);
    await root.ok("send_message", { text: "new one" });
    await root.ok("send_message", { text: "new two" });
    // A resume from what the client saw of the old room.
    const stale = await root.request("history", {
      room: "dev",
      after_seq: 1,
      epoch: oldEpoch,
    });
    assert.equal(stale.action, "error");
    assert.equal(stale.data.code, "stale_epoch");
    assert.equal(stale.data.epoch, newEpoch);
    // The new epoch, but past the room's newest seq.
    const past = await root.request("history", {
      room: "dev",
      after_seq: 5,
      epoch: newEpoch,
    });
    assert.equal(past.data.code, "stale_epoch");
    // Without an epoch, a page past the end is empty, as it always was.
    const plain = await root.ok("history", { room: "dev", after_seq: 5 });
    assert.deepEqual(plain.messages, []);
    // The current epoch resumes as before.
    const fresh = await root.ok("history", {
      room: "dev",
      after_seq: 1,
      epoch: newEpoch,
    });
    assert.deepEqual(
      (fresh.messages as { text: string }[]).map((m) => m.text),
      ["new two"],
    );
    // Joining tells the epoch too.
    const joined = await root.ok("join_room", { room: "general" });
    assert.equal(typeof joined.epoch, "string");
  }));

Deno.test("room epochs: a message still waiting for its commit when its room is deleted and created again is refused (room_not_found), never stored in the new room", () =>
  withClients(async (pool) => {
    const root = await admin(pool);
    const carol = await pool.register("carol");
    const gus = await pool.guest("gus");
    await root.ok("create_room", { room: "dev" });
    await gus.ok("join_room", { room: "dev" });
    await gus.ok("send_message", { text: "committed" });
    // Right after a commit, a lone message waits --db-commit-wait (10 s
    // here: three round trips must fit in it on a busy machine, 3 s did
    // not always) for others to share its commit: the room goes and comes
    // back meanwhile, as another client may make it at any moment.
    const waiting = gus.request("send_message", { text: "for the old dev" });
    await root.ok("delete_room", { room: "dev" });
    await root.event("system", (d) => d.kind === "deleted");
    await carol.ok("create_room", { room: "dev", private: true });
    const reply = await waiting;
    assert.equal(reply.action, "error");
    assert.equal(reply.data.code, "room_not_found");
    const { messages } = await carol.ok("history", { room: "dev" });
    assert.deepEqual(messages, []);
  }, { dbCommitWaitMs: 10_000 }));

Deno.test("room epochs: every reply that puts a connection in a room carries that room's epoch, an account's leave_room too", () =>
  withClients(async (pool) => {
    const alice = await pool.register("alice");
    const visitor = await pool.guest("visitor");
    const general = (await alice.ok("history", { room: "general" })).epoch;
    assert.equal(typeof general, "string");
    const created = await alice.ok("create_room", { room: "dev" });
    assert.equal(typeof created.epoch, "string");
    const joined = await visitor.ok("join_room", { room: "dev" });
    assert.equal(joined.epoch, created.epoch);
    // An account leaving the room it looks at is back in general: the
    // reply's history is general's, and so must its epoch be, or a client
    // resuming from it has no epoch to send.
    const left = await alice.ok("leave_room", { room: "dev" });
    assert.equal(left.room, "general");
    assert.equal(left.left, "dev");
    assert.equal(left.epoch, general);
    // Leaving a room it does not look at: the reply is the current room's.
    await alice.ok("create_room", { room: "ops" });
    await alice.ok("join_room", { room: "general" });
    const away = await alice.ok("leave_room", { room: "ops" });
    assert.equal(away.room, "general");
    assert.equal(away.epoch, general);
    const guestLeft = await visitor.ok("leave_room", {});
    assert.equal(guestLeft.epoch, general);
  }));

Deno.test("room epochs: GET /api/rooms/:room/messages answers 409 stale_epoch for another epoch, and carries the epoch", () =>
  withClients(async (pool, server) => {
    const alice = await pool.guest("alice");
    await sendMany(alice, texts(3));
    const url = `${server.url}/api/rooms/general/messages`;
    const page = await (await fetch(`${url}?after_seq=1`)).json();
    assert.equal(typeof page.epoch, "string");
    assert.equal(page.messages.length, 2);
    const same = await fetch(`${url}?after_seq=1&epoch=${page.epoch}`);
    assert.equal(same.status, 200);
    await same.body?.cancel();
    const other = await fetch(`${url}?after_seq=1&epoch=zzz`);
    assert.equal(other.status, 409);
    const body = await other.json();
    assert.equal(body.error, "stale_epoch");
    assert.equal(body.epoch, page.epoch);
    const past = await fetch(`${url}?after_seq=9&epoch=${page.epoch}`);
    assert.equal(past.status, 409);
    await past.body?.cancel();
    // An empty page at the end is no stale position.
    const end = await fetch(`${url}?after_seq=3`);
    assert.equal(end.status, 200);
    assert.deepEqual((await end.json()).messages, []);
  }));

Deno.test("room epochs: after a database is restored from an older copy, a resume past its newest seq gets stale_epoch", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-epoch-" });
  const db = `${dir}/chat.db`;
  const run = async (body: (client: TestClient) => Promise<void>) => {
    const server = await startServer({ hostname: "127.0.0.1", port: 0, db });
    const client = await TestClient.login(
      `${server.url.replace("http", "ws")}/ws`,
      "alice",
    );
    try {
      await body(client);
    } finally {
      await client.close();
      await server.shutdown();
    }
  };
  try {
    await run((client) => sendMany(client, texts(3)).then(() => {}));
    // The backup: a shut-down server's file is whole.
    await Deno.copyFile(db, `${dir}/backup.db`);
    let seen = 0;
    let epoch = "";
    await run(async (client) => {
      await sendMany(client, texts(3));
      const page = await client.ok("history", { room: "general" });
      seen = (page.messages as { seq: number }[]).at(-1)!.seq;
      epoch = page.epoch as string;
    });
    assert.equal(seen, 6);
    for (const suffix of ["-wal", "-shm"]) {
      await Deno.remove(`${db}${suffix}`).catch(() => {});
    }
    await Deno.copyFile(`${dir}/backup.db`, db);
    await run(async (client) => {
      const stale = await client.request("history", {
        room: "general",
        after_seq: seen,
        epoch,
      });
      assert.equal(stale.data.code, "stale_epoch");
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
