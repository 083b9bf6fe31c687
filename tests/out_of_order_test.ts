/**
 * Actions in the wrong state or order, and requests that race one another
 * from two connections: each gets a documented error, never `internal`,
 * and the connection goes on.
 */
import assert from "node:assert/strict";
import { NO_RATE_LIMITS } from "../server/mod.ts";
import { eventually, metric, withClients } from "./harness.ts";

// Long enough that a send queued behind it is still waiting for its commit
// when a delete from another connection has been answered; the wait is
// the commit's, not a race against the machine (frames counted first).
const COMMIT_WAIT_MS = 3_000;

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
