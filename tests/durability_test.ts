/**
 * Crash and restart behaviour, against the server running as its own
 * process exactly as `deno task start` runs it.
 */
import assert from "node:assert/strict";
import {
  eventually,
  type Frame,
  historyOf,
  spawnServer,
  TestClient,
} from "./harness.ts";

type Message = { id: string; seq: number; text: string; user: string };

Deno.test("durability: history and rooms survive a restart", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-restart-" });
  try {
    const first = await spawnServer(["--db", `${dir}/chat.db`]);
    try {
      const alice = await TestClient.login(first.wsUrl, "alice");
      await alice.ok("send_message", { text: "before restart" });
      await alice.ok("create_room", { room: "Dev" });
      await alice.ok("send_message", { text: "in dev" });
      await alice.close();
    } finally {
      const status = await first.stop("SIGTERM");
      assert.equal(status.code, 0, first.output());
    }

    const second = await spawnServer(["--db", `${dir}/chat.db`]);
    try {
      const bob = await TestClient.login(second.wsUrl, "alice");
      const rooms = (await bob.ok("list_rooms")).rooms as { name: string }[];
      assert.deepEqual(rooms.map((r) => r.name), ["general", "Dev"]);
      const general = await historyOf<Message>(bob, "general");
      assert.deepEqual(general.map((m) => [m.seq, m.text]), [[
        1,
        "before restart",
      ]]);
      const joined = await bob.ok("join_room", { room: "dev" });
      assert.deepEqual(
        (joined.history as Message[]).map((m) => [m.seq, m.text]),
        [[1, "in dev"]],
      );
      // Numbering goes on where it stopped.
      const next = await bob.ok("send_message", { text: "after restart" });
      assert.equal((next.message as Message).seq, 2);
      await bob.close();
    } finally {
      await second.stop();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// Both ways the store can run: on its own thread (the default) or on the
// sockets' thread.
for (const thread of ["on", "off"]) {
  Deno.test(`durability: SIGKILL under load loses no acknowledged message (--db-thread ${thread})`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "chat-kill-" });
    try {
      const server = await spawnServer([
        "--db",
        `${dir}/chat.db`,
        "--db-thread",
        thread,
      ]);
      const senders = await Promise.all(
        ["s1", "s2", "s3", "s4"].map((name) =>
          TestClient.login(server.wsUrl, name)
        ),
      );
      const acked = new Map<string, Message>();
      const seen = new Map<string, Message>();
      // Each sender keeps sending until the server dies; every success and
      // every receive_message it saw is a promise the server must keep.
      const loops = senders.map(async (client, n) => {
        for (let i = 0; client.closeCode === undefined; i++) {
          let reply: Frame;
          try {
            reply = await client.request("send_message", {
              text: `s${n}-${i}`,
              client_id: `s${n}-${i}`,
            });
          } catch {
            return;
          }
          if (reply.action === "success") {
            const message = reply.data.message as Message;
            acked.set(message.id, message);
          }
        }
      });
      // Let the load run until the server has acknowledged a good number
      // (however long that takes on this machine), then kill without warning
      // (killed too when that wait fails, so nothing is left running).
      try {
        await eventually(
          () => assert.ok(acked.size >= 50, `${acked.size} acked`),
          { timeoutMs: 120_000 },
        );
      } finally {
        await server.stop("SIGKILL");
        await Promise.all(loops);
      }
      for (const client of senders) {
        for (const frame of client.events("receive_message")) {
          const message = frame.data as unknown as Message;
          seen.set(message.id, message);
        }
        await client.close();
      }
      assert.ok(
        acked.size > 20,
        `only ${acked.size} messages were acknowledged`,
      );

      const restarted = await spawnServer(["--db", `${dir}/chat.db`]);
      try {
        const reader = await TestClient.login(restarted.wsUrl, "reader");
        const stored = await historyOf<Message>(reader, "general");
        const ids = new Set(stored.map((m) => m.id));
        for (const id of [...acked.keys(), ...seen.keys()]) {
          assert.ok(ids.has(id), `acknowledged message ${id} was lost`);
        }
        // And the stored sequence has no gap.
        stored.forEach((m, i) => assert.equal(m.seq, i + 1));
        await reader.close();
      } finally {
        await restarted.stop();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}
