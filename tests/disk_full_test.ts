/**
 * A full disk: sends get `internal` (no ack, no broadcast), uploads 507
 * with nothing partial kept, /healthz says so, and service resumes by
 * itself once there is room again, with nothing lost, no seq skipped and
 * no corruption. The database and the files live on a small tmpfs the test
 * mounts (root only; skipped, saying why, elsewhere). A read-only remount
 * cannot be tested this way: Linux refuses it while the database is open
 * for writing ("mount point is busy").
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { filesUnder, member, PNG, upload } from "./file_helpers.ts";
import {
  eventually,
  historyOf,
  metric,
  roundTrip,
  TestClient,
  type TestServer,
  withServer,
} from "./harness.ts";
import { fill, mountSkipReason, withTmpfs } from "./tmpfs.ts";

const skip = await mountSkipReason();

async function health(server: TestServer) {
  const res = await fetch(`${server.url}/healthz`);
  return { status: res.status, body: await res.json() };
}

/**
 * Sends until the full disk refuses a message, and checks that the refused
 * one got `internal` and was not broadcast; returns the texts accepted
 * before it. A WAL that the checkpoint thread has started over holds a few
 * commits in space it already has: those are stored and acknowledged, as
 * they should be, and only a commit that needs new space fails.
 */
async function sendUntilRefused(
  sender: TestClient,
  watcher: TestClient,
): Promise<string[]> {
  const accepted: string[] = [];
  for (let i = 0; i < 1000; i++) {
    const text = `while full ${i} ${"x".repeat(3000)}`;
    const reply = await sender.request("send_message", { text });
    if (reply.action === "success") {
      accepted.push(text);
      continue;
    }
    assert.equal(reply.data.code, "internal", JSON.stringify(reply.data));
    await roundTrip(watcher);
    assert.ok(
      !watcher.events("receive_message").some((f) => f.data.text === text),
      "a refused message was broadcast",
    );
    return accepted;
  }
  throw new Error("the full disk never refused a message");
}

Deno.test({
  name:
    `disk full: sends get internal, uploads 507, /healthz and /metrics (chat_disk_full) say so, and service resumes when space returns${
      skip ? ` (skipped: ${skip})` : ""
    }`,
  ignore: skip !== undefined,
  fn: () =>
    withTmpfs((dir) =>
      withServer(async (server) => {
        const alice = await member(server, "alice");
        const watcher = await TestClient.login(server.wsUrl, "watcher");
        try {
          await alice.client.ok("send_message", { text: "before" });
          await fill(`${dir}/filler`);
          const accepted = await sendUntilRefused(alice.client, watcher);
          const up = await upload(
            server,
            alice.cookie,
            new File([new Uint8Array(64 * 1024)], "big.bin"),
          );
          assert.equal(up.status, 507, JSON.stringify(up.body));
          const sick = await health(server);
          assert.equal(sick.status, 503);
          assert.deepEqual(sick.body, {
            status: "unavailable",
            store: "down",
            storage: "full",
          });
          assert.equal(await metric(server.url, "chat_store_up"), 0);
          assert.equal(await metric(server.url, "chat_disk_full"), 1);

          await Deno.remove(`${dir}/filler`);
          // The last check's answer stands for 100 ms: asked until seen.
          await eventually(async () =>
            assert.equal((await health(server)).status, 200)
          );
          assert.equal(await metric(server.url, "chat_store_up"), 1);
          assert.equal(await metric(server.url, "chat_disk_full"), 0);
          await alice.client.ok("send_message", { text: "after" });
          const file = await upload(
            server,
            alice.cookie,
            new File([PNG], "dot.png", { type: "image/png" }),
          );
          assert.equal(file.status, 201);
          const history = await historyOf<{ text: string; seq: number }>(
            watcher,
            "general",
          );
          assert.deepEqual(
            history.map((m) => [m.seq, m.text]),
            // Every acknowledged message, no seq skipped by the refused one.
            ["before", ...accepted, "after"].map((text, i) => [i + 1, text]),
          );
          const files = await filesUnder(`${dir}/files`);
          assert.equal(files.length, 1, `nothing partial: ${files}`);
        } finally {
          await alice.client.close();
          await watcher.close();
        }
        await server.shutdown();
        const db = new DatabaseSync(`${dir}/chat.db`);
        try {
          const [check] = db.prepare("PRAGMA integrity_check").all();
          assert.equal(check.integrity_check, "ok");
        } finally {
          db.close();
        }
      }, {
        db: `${dir}/chat.db`,
        // No reserve: the disk itself runs out here (a 4 MiB tmpfs is all
        // reserve at the default; the reserve is disk_reserve_test.ts's).
        diskReserveBytes: 0,
      })
    ),
});
