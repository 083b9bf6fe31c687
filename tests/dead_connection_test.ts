/**
 * Connections that die without a close frame: the server's pings find them
 * and the room is told, as for a polite goodbye.
 */
import assert from "node:assert/strict";
import { RawSocket, TestClient, within, withServer } from "./harness.ts";

Deno.test("dead connection: a client that stops answering pings is removed and the room told", async () => {
  await withServer(async (server) => {
    const alice = await TestClient.login(server.wsUrl, "alice");
    // Logs in, then never answers a ping (RawSocket does not).
    const ghost = await RawSocket.open(server.wsUrl);
    try {
      assert.equal(ghost.status, 101);
      await ghost.sendText(
        JSON.stringify({ action: "login", data: { username: "ghost" } }),
      );
      await alice.event(
        "system",
        (d) => d.kind === "joined" && d.user === "ghost",
      );
      // The server's own frames say why it went, not a clock: a ping, then
      // its close for want of a pong (a client kept until TCP gives up
      // would stay for good on loopback).
      const { frames, code } = await within(
        120_000,
        ghost.readUntilClose(),
        "the close of a client that never answers pings",
      );
      const controls = frames.filter((f) => f.opcode !== 0x1);
      assert.deepEqual(controls.map((f) => f.opcode), [0x9, 0x8]);
      assert.equal(code, 1001);
      const left = await alice.event(
        "system",
        (d) => d.kind === "left" && d.user === "ghost",
      );
      assert.equal(left.data.room, "general");
      // alice idled longer than ghost (her last frame came before ghost's
      // upgrade): she was pinged too, her WebSocket answered, and she stays.
      assert.equal(alice.closeCode, undefined);
      const users = await alice.ok("list_users");
      assert.deepEqual(users.users, ["alice"]);
      // The name is free again.
      const again = await TestClient.login(server.wsUrl, "ghost");
      await again.close();
    } finally {
      ghost.abort();
      await alice.close();
    }
    // Half the idle timeout is a pong's window: 10 s, for a client in this
    // busy process (with 1.5 s, a starved one could miss it).
  }, { idleTimeoutSeconds: 20 });
});
