/**
 * What an export and an import of a large store cost: a SQLite store of N
 * messages (default 1,000,000), `deno task export` of it to a file and
 * `deno task import` of that file into a new SQLite file (and into
 * PostgreSQL with --database-url), each under /usr/bin/time for its peak
 * memory and wall time.
 *
 *   deno task bench:export [--messages N] [--database-url URL]
 */
import { parseArgs } from "node:util";
import { commandLine } from "./command_line.ts";
import { fillHistory } from "../tests/history_fixture.ts";

const { values } = commandLine(() =>
  parseArgs({
    args: Deno.args,
    options: {
      messages: { type: "string", default: "1000000" },
      "database-url": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  }), {
  text: `deno task bench:export [--messages N] [--database-url URL]

What an export and an import of a large store cost: deno task export of a
SQLite store of N messages to a file, and deno task import of that file into
a new SQLite file (and into PostgreSQL with --database-url), each with its
peak memory and wall time.

  --messages N        messages in the store (default 1000000)
  --database-url URL  also import into this PostgreSQL database
  -h, --help          this text`,
  task: "bench:export",
});
const MESSAGES = Number(values.messages);
const ROOT = new URL("../", import.meta.url).pathname;

/** Runs a task under /usr/bin/time -v; its peak RSS (MiB) and seconds. */
async function measured(
  args: string[],
  io: { stdin?: string; stdout?: string },
): Promise<{ mib: number; seconds: number; stderr: string }> {
  const shell = [
    "/usr/bin/time -v",
    Deno.execPath(),
    "run -A",
    ...args,
    io.stdin ? `< ${io.stdin}` : "",
    io.stdout ? `> ${io.stdout}` : "",
  ].join(" ");
  const out = await new Deno.Command("bash", {
    args: ["-c", shell],
    cwd: ROOT,
    stdout: "null",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`${shell} failed:\n${stderr}`);
  const kib = Number(
    /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr)![1],
  );
  const [, m, s] = /Elapsed \(wall clock\) time.*: (?:(\d+):)?([\d.]+)$/m.exec(
    stderr.replace(
      /(\d+):(\d+):([\d.]+)$/m,
      (_, h, mm, ss) => `${Number(h) * 60 + Number(mm)}:${ss}`,
    ),
  )!;
  return {
    mib: kib / 1024,
    seconds: Number(m ?? 0) * 60 + Number(s),
    stderr,
  };
}

const dir = await Deno.makeTempDir({ prefix: "chat-bench-export-" });
try {
  const db = `${dir}/chat.db`;
  let started = performance.now();
  await fillHistory(db, MESSAGES);
  const size = (await Deno.stat(db)).size / 1024 / 1024;
  console.log(
    `Filled ${MESSAGES.toLocaleString("en")} messages (${
      size.toFixed(0)
    } MiB) in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  const file = `${dir}/chat.jsonl`;
  started = performance.now();
  const exported = await measured(
    ["scripts/export.ts", "--db", db],
    { stdout: file },
  );
  const lines = (await Deno.stat(file)).size / 1024 / 1024;
  console.log(
    `export: ${exported.seconds.toFixed(1)} s, peak ${
      exported.mib.toFixed(0)
    } MiB, ${lines.toFixed(0)} MiB of lines, ${
      Math.round(MESSAGES / exported.seconds).toLocaleString("en")
    } messages/s`,
  );
  const imported = await measured(
    ["scripts/import.ts", "--db", `${dir}/copy.db`],
    { stdin: file },
  );
  console.log(
    `import into SQLite: ${imported.seconds.toFixed(1)} s, peak ${
      imported.mib.toFixed(0)
    } MiB`,
  );
  if (values["database-url"]) {
    const pg = await measured(
      ["scripts/import.ts", "--database-url", values["database-url"]],
      { stdin: file },
    );
    console.log(
      `import into PostgreSQL: ${pg.seconds.toFixed(1)} s, peak ${
        pg.mib.toFixed(0)
      } MiB`,
    );
  }
} finally {
  await Deno.remove(dir, { recursive: true });
}
