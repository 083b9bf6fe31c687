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
import { TestClient } from "./harness.ts";

const STRACE = "/usr/bin/strace";
const MAIN = new URL("../main.ts", import.meta.url).pathname;

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

/** The server under strace, its output and the pid of the traced server. */
async function spawnTraced(dir: string) {
  const process = new Deno.Command(STRACE, {
    args: [
      "-f",
      "-y", // file paths beside descriptors
      "-qq",
      "-s",
      "0", // no data, only offsets and lengths
      "-e",
      "trace=pwrite64,write,fsync,fdatasync",
      "-o",
      `${dir}/trace`,
      Deno.execPath(),
      "run",
      "--allow-all",
      MAIN,
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--db",
      `${dir}/chat.db`,
      "--rate-limits",
      "off",
    ],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  let text = "";
  const decoder = new TextDecoder();
  const { promise: listening, resolve } = Promise.withResolvers<string>();
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) {
      text += decoder.decode(chunk, { stream: true });
      const found = /Listening on (http:\/\/\S+)/.exec(text);
      if (found) resolve(found[1]);
    }
  };
  const pumps = Promise.all([pump(process.stdout), pump(process.stderr)]);
  const url = await Promise.race([
    listening,
    process.status.then((s) => {
      throw new Error(`server exited (${s.code}):\n${text}`);
    }),
  ]);
  const children = await new Deno.Command("pgrep", {
    args: ["-P", String(process.pid)],
    stdout: "piped",
  }).output();
  const pid = Number(new TextDecoder().decode(children.stdout).trim());
  return {
    wsUrl: `${url.replace("http", "ws")}/ws`,
    /** Kills the server at once (the power goes), then strace ends. */
    async cut(): Promise<void> {
      Deno.kill(pid, "SIGKILL");
      await process.status;
      await pumps;
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
