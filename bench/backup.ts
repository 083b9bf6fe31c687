/**
 * What an online backup costs the people chatting: a server process on a
 * store of many messages, one client sending without pause (each send waits
 * for its acknowledgement), and `deno task backup` run meanwhile. Prints the
 * send latencies before and during the backup, and the backup's own figures.
 *
 *   deno task bench:backup [--messages N] [--runs N]
 */
import { parseArgs } from "node:util";
import { commandLine } from "./command_line.ts";
import { spawnServer, TestClient } from "../tests/harness.ts";
import { fillHistory } from "../tests/history_fixture.ts";

const { values } = commandLine(() =>
  parseArgs({
    args: Deno.args,
    options: {
      messages: { type: "string", default: "200000" },
      runs: { type: "string", default: "3" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  }), {
  text: `deno task bench:backup [--messages N] [--runs N]

What an online backup costs the people chatting: a server on a store of N
messages, one client sending without pause, and deno task backup run
meanwhile; prints the send latencies before and during each backup.

  --messages N   messages in the store (default 200000)
  --runs N       backups taken, one after the other (default 3)
  -h, --help     this text`,
  task: "bench:backup",
});
const MESSAGES = Number(values.messages);
const RUNS = Number(values.runs);
const BACKUP = new URL("../scripts/backup.ts", import.meta.url).pathname;

interface Send {
  start: number;
  ms: number;
}

/** Sends until told to stop; each send's start and latency. */
function keepSending(client: TestClient): {
  sends: Send[];
  stop: () => Promise<void>;
} {
  const sends: Send[] = [];
  let going = true;
  const loop = (async () => {
    for (let i = 0; going; i++) {
      const start = performance.now();
      await client.ok("send_message", { text: `live ${i}` });
      sends.push({ start, ms: performance.now() - start });
      // The client keeps every frame it got; a long run would grow it.
      client.received.length = 0;
    }
  })();
  return {
    sends,
    stop: async () => {
      going = false;
      await loop;
    },
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

function describe(sends: Send[]): string {
  const ms = sends.map((s) => s.ms);
  return `${sends.length} sends, median ${median(ms).toFixed(1)} ms, longest ${
    Math.max(...ms).toFixed(0)
  } ms`;
}

const dir = await Deno.makeTempDir({ prefix: "chat-bench-backup-" });
try {
  const db = `${dir}/chat.db`;
  const filled = performance.now();
  await fillHistory(db, MESSAGES);
  const size = (await Deno.stat(db)).size / 1024 / 1024;
  console.log(
    `store: ${MESSAGES} messages, ${size.toFixed(0)} MiB (filled in ${
      ((performance.now() - filled) / 1000).toFixed(1)
    } s)`,
  );
  const server = await spawnServer(["--db", db, "--rate-limits", "off"]);
  const client = await TestClient.login(server.wsUrl, "alice");
  try {
    for (let run = 1; run <= RUNS; run++) {
      const sender = keepSending(client);
      await new Promise((resolve) => setTimeout(resolve, 3000));
      const started = performance.now();
      const output = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--allow-read",
          "--allow-write",
          BACKUP,
          "--db",
          db,
          "--to",
          `${dir}/backup-${run}.db`,
        ],
        env: { NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const ended = performance.now();
      await sender.stop();
      const text = new TextDecoder().decode(output.stdout).trim();
      if (!output.success) {
        throw new Error(new TextDecoder().decode(output.stderr));
      }
      const before = sender.sends.filter((s) => s.start + s.ms < started);
      const during = sender.sends.filter((s) =>
        s.start + s.ms >= started && s.start <= ended
      );
      console.log(`run ${run}: ${text.replace(/^.*: /, "backup ")}`);
      console.log(`  before: ${describe(before)}`);
      console.log(
        `  during (${((ended - started) / 1000).toFixed(1)} s with the ` +
          `process start): ${describe(during)}`,
      );
      await Deno.remove(`${dir}/backup-${run}.db`);
    }
  } finally {
    await client.close();
    await server.stop();
  }
} finally {
  await Deno.remove(dir, { recursive: true });
}
