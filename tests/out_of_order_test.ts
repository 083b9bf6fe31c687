/**
 * Actions in the wrong state or order, and requests that race one another
 * from two connections: each gets a documented error, never `internal`,
 * and the connection goes on.
 */
import assert from "node:assert/strict";
import { NO_RATE_LIMITS } from "../server/mod.ts";
import { eventually, metric, withClients } from "./harness.ts";

// The longest --db-commit-wait: a send queued behind a commit still waits
// for its own when a delete from another connection has been answered (a
// few ms); the server has counted the send before the delete is sent.
const COMMIT_WAIT_MS = 1_000;

Deno.test("a message whose room is deleted while it waits for its commit gets room_not_found, not internal, and the sender goes on in general", () =>
  withClients(async (pool, server) => {
    const boss = await pool.register("boss");
    const alice = await pool.register("alice");
    await alice.ok("create_room", { room: "doomed" });
    // A commit just now: the next append waits COMMIT_WAIT_MS for company.
    await alice.ok("send_message", { text: "first" });
    const frames = await metric(server.url, "chat_frames_received_total");
    const racing = alice.request("send_message", { text: "too late" });
    // The server has read the send, so its append is queued in the store.
    await eventually(async () =>
      assert.ok(
        await metric(server.url, "chat_frames_received_total") > frames,
      )
    );
    await boss.ok("delete_room", { room: "doomed" });
    const reply = await racing;
    assert.equal(reply.action, "error", JSON.stringify(reply.data));
    assert.equal(reply.data.code, "room_not_found", String(reply.data.message));
    assert.equal(reply.data.request, "send_message");
    const next = await alice.ok("send_message", { text: "still here" });
    assert.equal((next.message as { room: string }).room, "general");
  }, { rateLimits: NO_RATE_LIMITS, dbCommitWaitMs: COMMIT_WAIT_MS }));

Deno.test("a private message waiting for its commit while its offline recipient's account is deleted is not delivered to the next holder of the name", () =>
  withClients(async (pool, server) => {
    const boss = await pool.register("boss");
    const alice = await pool.register("alice");
    const bob = await pool.register("bob");
    await bob.close();
    await eventually(async () =>
      assert.ok(
        !((await boss.ok("list_users", { room: "general" })).users as string[])
          .includes("bob"),
      )
    );
    // A commit just now: the next append waits COMMIT_WAIT_MS for company.
    await alice.ok("private_message", { to: "bob", text: "first" });
    const frames = await metric(server.url, "chat_frames_received_total");
    const racing = alice.request("private_message", {
      to: "bob",
      text: "for the bob I know",
    });
    await eventually(async () =>
      assert.ok(
        await metric(server.url, "chat_frames_received_total") > frames,
      )
    );
    await boss.ok("delete_account", { user: "bob", messages: "keep" });
    await racing;
    // Someone else takes the freed name: nothing of the former bob's reaches it.
    const newBob = await pool.register("bob");
    await newBob.ok("list_rooms");
    assert.deepEqual(
      newBob.events("private_message").map((f) => f.data.text),
      [],
    );
    const history = await newBob.ok("history", { with: "alice" });
    assert.deepEqual(history.messages, []);
  }, { rateLimits: NO_RATE_LIMITS, dbCommitWaitMs: COMMIT_WAIT_MS }));
