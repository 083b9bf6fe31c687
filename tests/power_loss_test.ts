/**
 * Power loss, simulated: the server runs under strace, which records every
 * write to the SQLite write-ahead log and every fsync of it. After a burst
 * of acknowledged messages the server is killed, and the database is
 * copied as a machine losing power would leave it: the WAL cut where its
 * last fsync ended (what was written after it was only in the page cache).
 * The promise checked: every acknowledged message is in that copy.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { SqliteStore } from "../server/store/sqlite.ts";
import { member, uploaded } from "./file_helpers.ts";
import { spawnServer, TestClient } from "./harness.ts";
import { STRACE, straceSkipReason } from "./services.ts";

const skip = straceSkipReason();

/**
 * The server under strace; `cut()` kills it at once (the power goes).
 * `calls`: the system calls recorded, besides writes and flushes.
 */
async function spawnTraced(
  dir: string,
  options: { args?: string[]; calls?: string[] } = {},
) {
  const server = await spawnServer(
    ["--db", `${dir}/chat.db`, "--rate-limits", "off", ...options.args ?? []],
    {
      wrapper: [
        STRACE,
        "-f",
        "-y", // file paths beside descriptors
        "-qq",
        "-s",
        "0", // no data, only offsets and lengths
        "-e",
        `trace=${
          ["pwrite64", "write", "fsync", "fdatasync", ...options.calls ?? []]
            .join(",")
        }`,
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
    url: server.url,
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
 * that had completed when that fsync began (0 when it was never synced).
 * With `strace -f`, a call that another thread interrupts is printed in
 * two lines (`<unfinished ...>`, then `<... fsync resumed>`): those count
 * too, or an fsync of the store's thread is missed whenever the checkpoint
 * thread is in a call at the same moment.
 */
export function syncedWalLength(trace: string): number {
  const START =
    /^(\d+)\s+(pwrite64|fsync|fdatasync)\(\d+<([^>]*)>(?:, [^,]*, (\d+), (\d+))?(?:\)\s+=\s+(-?\d+)| <unfinished \.\.\.>)/;
  const RESUMED =
    /^(\d+)\s+<\.\.\. (pwrite64|fsync|fdatasync) resumed>.*\)\s+=\s+(-?\d+)/;
  interface Call {
    name: string;
    end: number;
    // For an fsync: what had been written when it began.
    covers: number;
  }
  const pending = new Map<string, Call>();
  let furthest = 0;
  let synced = 0;
  const finish = (call: Call, result: number) => {
    if (result < 0) return;
    if (call.name === "pwrite64") furthest = Math.max(furthest, call.end);
    else synced = Math.max(synced, call.covers);
  };
  for (const line of trace.split("\n")) {
    const resumed = RESUMED.exec(line);
    if (resumed) {
      const call = pending.get(resumed[1]);
      pending.delete(resumed[1]);
      if (call && call.name === resumed[2]) finish(call, Number(resumed[3]));
      continue;
    }
    const start = START.exec(line);
    if (!start || !start[3].endsWith("chat.db-wal")) continue;
    const [, pid, name, , length, offset, result] = start;
    const call = {
      name,
      end: Number(offset ?? 0) + Number(length ?? 0),
      covers: furthest,
    };
    if (result === undefined) pending.set(pid, call);
    else finish(call, Number(result));
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

Deno.test("power loss: the trace reader counts calls strace splits in two lines when threads overlap", () => {
  const wal = "/tmp/x/chat.db-wal";
  const trace = [
    `11  pwrite64(30<${wal}>, ""..., 4096, 0) = 4096`,
    `11  fsync(30<${wal}>) = 0`,
    `11  pwrite64(30<${wal}>, ""..., 24, 4096 <unfinished ...>`,
    `12  fsync(39<${wal}> <unfinished ...>`,
    `11  <... pwrite64 resumed>)           = 24`,
    `11  fsync(30<${wal}> <unfinished ...>`,
    `12  <... fsync resumed>)              = 0`,
    `11  <... fsync resumed>)              = 0`,
    // Written after the last fsync: only in the page cache.
    `11  pwrite64(30<${wal}>, ""..., 4096, 4120) = 4096`,
  ].join("\n");
  // The first thread's last fsync began after its 24 bytes were written;
  // the second thread's began before, and covers only the first page.
  assert.equal(syncedWalLength(trace), 4120);
  assert.equal(
    syncedWalLength(trace.split("\n").slice(0, 7).join("\n")),
    4096,
  );
});

/**
 * Whether a file in the files folder would be there, whole, after a power
 * cut at the end of `trace` (strace -f -y of writes, flushes, renames and
 * folders made): its bytes written before a flush of the file began, its
 * name (the rename that put it there) before a flush of its folder began,
 * and the folder itself, when the trace made it, before a flush of the one
 * above began. POSIX promises no more; ext4 and others often keep more,
 * but not always (a rename over a new folder, delayed allocation).
 */
function survivesPowerCut(trace: string, path: string): string[] {
  const START =
    /^(\d+)\s+(\w+)\((.*?)(?:\)\s+=\s+(-?\d+).*| <unfinished \.\.\.>)$/;
  const RESUMED = /^(\d+)\s+<\.\.\. (\w+) resumed>.*\)\s+=\s+(-?\d+)/;
  const FD_PATH = /^\d+<([^>]*)>/;
  const QUOTED = /"([^"]*)"/g;
  const written = new Map<string, number>();
  // Per path: bytes covered by a flush, and when its last flush began.
  const synced = new Map<string, number>();
  const flushedAt = new Map<string, number>();
  // Names made (renamed to, or folders made): when, and from what.
  const made = new Map<string, { at: number; from?: string }>();
  const pending = new Map<string, { name: string; args: string }>();
  let clock = 0;
  const finish = (name: string, args: string, result: number) => {
    clock++;
    if (result < 0) return;
    const fd = FD_PATH.exec(args)?.[1];
    if ((name === "write" || name === "pwrite64") && fd !== undefined) {
      written.set(fd, (written.get(fd) ?? 0) + result);
    } else if (name.startsWith("rename")) {
      const [from, to] = [...args.matchAll(QUOTED)].map((m) => m[1]);
      made.set(to, { at: clock, from });
    } else if (name.startsWith("mkdir")) {
      const [dir] = [...args.matchAll(QUOTED)].map((m) => m[1]);
      made.set(dir, { at: clock });
    }
  };
  const begin = (name: string, args: string) => {
    clock++;
    const fd = FD_PATH.exec(args)?.[1];
    if ((name === "fsync" || name === "fdatasync") && fd !== undefined) {
      synced.set(fd, written.get(fd) ?? 0);
      flushedAt.set(fd, clock);
    }
  };
  for (const line of trace.split("\n")) {
    const resumed = RESUMED.exec(line);
    if (resumed) {
      const call = pending.get(resumed[1]);
      pending.delete(resumed[1]);
      if (call && call.name === resumed[2]) {
        finish(call.name, call.args, Number(resumed[3]));
      }
      continue;
    }
    const start = START.exec(line);
    if (!start) continue;
    const [, pid, name, args, result] = start;
    begin(name, args);
    if (result === undefined) pending.set(pid, { name, args });
    else finish(name, args, Number(result));
  }
  const lost: string[] = [];
  const name = made.get(path);
  if (name === undefined) return [`no rename made ${path}`];
  const folder = path.slice(0, path.lastIndexOf("/"));
  if ((flushedAt.get(folder) ?? 0) <= name.at) {
    lost.push(`its name: ${folder} not flushed after the rename`);
  }
  const madeFolder = made.get(folder);
  const above = folder.slice(0, folder.lastIndexOf("/"));
  if (madeFolder && (flushedAt.get(above) ?? 0) <= madeFolder.at) {
    lost.push(`its folder: ${above} not flushed after ${folder} was made`);
  }
  const from = name.from ?? path;
  const bytes = written.get(from) ?? 0;
  if ((synced.get(from) ?? 0) < bytes) {
    lost.push(`its bytes: ${synced.get(from) ?? 0} of ${bytes} flushed`);
  }
  return lost;
}

Deno.test({
  name:
    `power loss: the file an acknowledged message carries survives, its bytes and its name in the files folder flushed before the upload is answered${
      skip ? ` (skipped: ${skip})` : ""
    }`,
  ignore: skip !== undefined,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "chat-power-files-" });
    try {
      const server = await spawnTraced(dir, {
        args: ["--files-dir", `${dir}/files`],
        calls: ["rename", "renameat", "renameat2", "mkdir", "mkdirat"],
      });
      let path: string;
      try {
        const alice = await member(server, "alice");
        const bytes = new Uint8Array(300_000).map((_, i) => i * 7);
        const file = await uploaded(
          server,
          alice.cookie,
          new File([bytes], "scan.pdf", { type: "application/pdf" }),
        );
        await alice.client.ok("send_message", {
          text: "the scan",
          attachments: [{ url: file.url }],
        });
        const hash = createHash("sha256").update(bytes).digest("hex");
        path = `${dir}/files/${hash.slice(0, 2)}/${hash}`;
        alice.client.socket.close();
      } finally {
        await server.cut();
      }
      const trace = await Deno.readTextFile(`${dir}/trace`);
      assert.deepEqual(
        survivesPowerCut(trace, path),
        [],
        trace.split("\n").filter((line) => line.includes("/files")).join(
          "\n",
        ),
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
