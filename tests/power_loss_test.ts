/**
 * Power loss, simulated: the server runs under strace, which records every
 * write to the SQLite write-ahead log and every fsync of it. After a burst
 * of acknowledged messages the server is killed, and the database is
 * copied as a machine losing power would leave it: the WAL cut where its
 * last fsync ended (what was written after it was only in the page cache).
 * The promise checked: every acknowledged message is in that copy.
 */
import assert from "node:assert/strict";
import { SqliteStore } from "../server/store/sqlite.ts";
import { spawnServer, TestClient } from "./harness.ts";

const STRACE = "/usr/bin/strace";

function skipReason(): string | undefined {
  if (Deno.build.os !== "linux") return "strace runs on Linux only";
  try {
    Deno.statSync(STRACE);
  } catch {
    return "strace is not installed (apt-get install strace)";
  }
  return undefined;
}

const skip = skipReason();

/** The server under strace; `cut()` kills it at once (the power goes). */
async function spawnTraced(dir: string) {
  const server = await spawnServer(
    ["--db", `${dir}/chat.db`, "--rate-limits", "off"],
    {
      wrapper: [
        STRACE,
        "-f",
        "-y", // file paths beside descriptors
        "-qq",
        "-s",
        "0", // no data, only offsets and lengths
        "-e",
        "trace=pwrite64,write,fsync,fdatasync",
        "-o",
        `${dir}/trace`,
      ],
    },
  );
  const children = await new Deno.Command("pgrep", {
    args: ["-P", String(server.process.pid)],
    stdout: "piped",
  }).output();
  const pid = Number(new TextDecoder().decode(children.stdout).trim());
  return {
    wsUrl: server.wsUrl,
    async cut(): Promise<void> {
      // The traced server, not strace: strace then ends with it.
      Deno.kill(pid, "SIGKILL");
      await server.stop("SIGKILL");
    },
  };
}

/**
 * Where the WAL's last fsync left it: the end of the furthest write to it
 * made before that fsync (0 when it was never synced).
 */
function syncedWalLength(trace: string): number {
  let furthest = 0;
  let synced = 0;
  for (const line of trace.split("\n")) {
    const call =
      /(pwrite64|write|fsync|fdatasync)\(\d+<([^>]*)>(?:, [^,]*, (\d+)(?:, (\d+))?)?\) = (-?\d+)/
        .exec(line);
    if (!call || !call[2].endsWith("chat.db-wal")) continue;
    const [, name, , length, offset, result] = call;
    if (Number(result) < 0) continue;
    if (name === "pwrite64") {
      furthest = Math.max(furthest, Number(offset) + Number(length));
    } else if (name === "fsync" || name === "fdatasync") {
      synced = furthest;
    }
  }
  return synced;
}

Deno.test({
  name:
    `power loss: every acknowledged message survives, the WAL cut at its last fsync${
      skip ? ` (skipped: ${skip})` : ""
    }`,
  ignore: skip !== undefined,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "chat-power-" });
    try {
      const server = await spawnTraced(dir);
      const acked: string[] = [];
      try {
        const alice = await TestClient.login(server.wsUrl, "alice");
        // Pipelined, so that several share a group commit.
        const replies = await Promise.all(
          Array.from(
            { length: 40 },
            (_, i) => alice.request("send_message", { text: `m${i}` }),
          ),
        );
        for (const reply of replies) {
          assert.equal(reply.action, "success");
          acked.push((reply.data.message as { text: string }).text);
        }
        alice.socket.close();
      } finally {
        await server.cut();
      }
      const synced = syncedWalLength(await Deno.readTextFile(`${dir}/trace`));
      const after = `${dir}/after`;
      await Deno.mkdir(after);
      await Deno.copyFile(`${dir}/chat.db`, `${after}/chat.db`);
      const wal = await Deno.readFile(`${dir}/chat.db-wal`);
      await Deno.writeFile(`${after}/chat.db-wal`, wal.subarray(0, synced));
      const store = new SqliteStore(`${after}/chat.db`, {
        busyTimeoutMs: 2000,
        permanentRooms: [{ name: "general", key: "general" }],
      });
      try {
        const kept = (await store.history("general", { limit: 200 }))
          .map((m) => m.text);
        assert.deepEqual(
          acked.filter((text) => !kept.includes(text)),
          [],
          `acknowledged but lost (WAL synced to ${synced} of ${wal.length} bytes)`,
        );
      } finally {
        await store.close();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
