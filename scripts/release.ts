/**
 * The one-file builds, from one entry point:
 *
 * - `deno task dist` writes `dist/chat-server`, a text file that runs on any
 *   machine with Deno: a shebang with the permissions the server needs, then
 *   the server bundled by `deno bundle` (npm packages included, so the first
 *   run needs no registry).
 * - `deno task compile` writes `chat-server`, a real executable with the
 *   Deno runtime inside (`deno compile`; it downloads that runtime, or takes
 *   `DENORT_BIN`).
 *
 * Both start from `build/entry.ts`, generated here: it runs server/cli.ts
 * with the built web client (static/, `deno task build`) embedded, so the
 * file serves the client from memory and needs no folder beside it.
 *
 * Usage: deno run -A scripts/release.ts dist|compile [--output PATH]
 */
import { dirname, resolve } from "node:path";
import { parseArgs } from "node:util";
import { usageError } from "../server/usage_error.ts";

const ROOT = new URL("../", import.meta.url);
const STATIC = new URL("static/", ROOT);
const ENTRY = new URL("build/entry.ts", ROOT);

/**
 * What the server needs and nothing more. Net: the listening address and the
 * PostgreSQL and Redis hosts are chosen at run time. Read and write: the
 * database, the files folder and backups may be anywhere. Env: all of it,
 * because ioredis's `debug` reads the whole environment when it loads (and
 * postgres reads `PG*`). Sys: only what postgres asks for its default user
 * name, `statfs` for the free space under the files folder
 * (`--disk-reserve`), and `networkInterfaces`, the machine's own addresses,
 * which outgoing webhooks and Web Push may not call (server/outbound.ts;
 * without it a public address of the machine passed). No run, ffi or
 * import.
 */
export const PERMISSIONS: readonly string[] = [
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-sys=uid,gid,userInfo,statfs,networkInterfaces",
];

/**
 * `deno run` flags of the dist file besides permissions: no deno.json or
 * package.json of the folder it runs in, no registry, no prompt (a missing
 * permission fails rather than asks), and JavaScript whatever its name.
 */
export const RUN_FLAGS: readonly string[] = [
  "--no-config",
  "--no-npm",
  "--no-remote",
  "--no-prompt",
  "--ext=js",
];

/**
 * V8 flags, the same as `deno task start`'s (and the bench's): a young
 * generation of at most 4 MiB per semi-space, V8's default lets it grow to
 * 16 MiB while clients connect and keeps the pages (RSS per idle connection
 * 35 -> 30 KiB at 5,000, docs/performance.md step 7); and an old generation
 * that grows by half at most before its next full collection, where V8's
 * own factor (up to 4x) let 5,000 connecting clients leave 28 KiB each
 * behind instead of 21 (docs/performance.md, "The old generation's growing
 * factor"). The costs: more frequent, shorter scavenges, and a few more
 * full collections while many clients connect.
 */
export const V8_FLAGS: readonly string[] = [
  "--v8-flags=--max-semi-space-size=4,--heap-growing-percent=50",
];

/** The dist file's first line. */
export const SHEBANG = `#!/usr/bin/env -S deno run ${
  [...RUN_FLAGS, ...V8_FLAGS, ...PERMISSIONS].join(" ")
}`;

// Text types are embedded as they are, anything else in base64.
const TEXT = /\.(html|css|js|mjs|json|svg|txt|webmanifest|map)$/i;

/** Runs deno; on failure prints the command (and `hint`) and exits with 1. */
async function deno(args: string[], hint?: string): Promise<void> {
  const { success } = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!success) {
    console.error(`error: deno ${args.join(" ")} failed`);
    if (hint) console.error(hint);
    Deno.exit(1);
  }
}

// Deno's own error names only the URL it could not fetch: an operator on a
// machine that cannot reach it learns here what to do instead.
const DENORT_HINT =
  "deno compile downloads Deno's runtime (denort) from dl.deno.land unless " +
  "DENORT_BIN names a denort binary of the same Deno version: where that " +
  "host cannot be reached, set DENORT_BIN, or use deno task dist (README, " +
  '"Install with one file").';

async function* walk(dir: URL, prefix = "/"): AsyncGenerator<[string, URL]> {
  const entries = await Array.fromAsync(Deno.readDir(dir));
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    if (entry.name.startsWith(".")) continue;
    if (entry.isDirectory) {
      yield* walk(new URL(`${entry.name}/`, dir), `${prefix}${entry.name}/`);
    } else if (entry.isFile) {
      yield [`${prefix}${entry.name}`, new URL(entry.name, dir)];
    }
  }
}

function base64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/** Writes build/entry.ts with every file of static/ in it. */
async function writeEntry(): Promise<void> {
  const files: Record<string, { text: string } | { base64: string }> = {};
  for await (const [path, url] of walk(STATIC)) {
    const bytes = await Deno.readFile(url);
    files[path] = TEXT.test(path)
      ? { text: new TextDecoder().decode(bytes) }
      : { base64: base64(bytes) };
  }
  if (!files["/index.html"] || !files["/app.js"]) {
    console.error("error: static/ has no index.html or app.js to embed");
    Deno.exit(1);
  }
  await Deno.mkdir(new URL("build/", ROOT), { recursive: true });
  await Deno.writeTextFile(
    ENTRY,
    `// Generated by scripts/release.ts from static/; do not edit.
// The entry of \`deno task dist\` and \`deno task compile\`: the chat-server
// program with the web client in memory. The store's threads start before
// the server loads, as from main.ts (the one-file dist has none).
import { openStoreEarly } from "../server/early_store.ts";
import { staticFilesFrom } from "../server/static_files.ts";

const store = openStoreEarly(Deno.args, (name) => Deno.env.get(name));
const { runCli } = await import("../server/cli.ts");
await runCli(Deno.args, {
  staticFiles: staticFilesFrom(${JSON.stringify(files)}),
  store,
});
`,
  );
}

/** Bundles the entry into one file behind the shebang, then swaps it in. */
async function dist(output: string): Promise<void> {
  const bundle = `${output}.bundle.js`;
  await deno([
    "bundle",
    "--quiet",
    "--platform",
    "deno",
    // Half the size, and a faster start. Not --keep-names: with it, Deno
    // 2.9's bundler leaves out the require() shim that bundled CommonJS
    // packages (ioredis) need ("Dynamic require ... is not supported").
    "--minify",
    "-o",
    bundle,
    ENTRY.pathname,
  ]);
  const code = await Deno.readTextFile(bundle);
  await Deno.remove(bundle);
  // Bundled CommonJS packages (busboy) call require("node:stream") through
  // esbuild's shim, which throws unless a require is in scope: one for this
  // module only, not a global that would make other packages think they run
  // on Node.
  const prelude = 'import { createRequire } from "node:module";\n' +
    "const require = createRequire(import.meta.url);";
  // Written beside, then renamed: a failed build leaves the old file whole.
  const partial = `${output}.partial`;
  await Deno.writeTextFile(partial, `${SHEBANG}\n${prelude}\n${code}`, {
    mode: 0o755,
  });
  await Deno.chmod(partial, 0o755);
  await Deno.rename(partial, output);
}

// Workers are not found by import analysis: the store's threads.
const WORKERS = [
  "server/store/store_worker.ts",
  "server/store/checkpoint_worker.ts",
  "server/store/search_index_worker.ts",
];

async function compile(output: string): Promise<void> {
  await deno([
    "compile",
    ...PERMISSIONS,
    // Baked into the executable: it runs with them whatever its arguments.
    ...V8_FLAGS,
    ...WORKERS.flatMap((path) => ["--include", path]),
    "-o",
    output,
    ENTRY.pathname,
  ], DENORT_HINT);
}

/** The text of `deno task dist --help` (and `deno task compile --help`). */
export const RELEASE_HELP =
  `Usage: deno task dist [--output PATH]      (default dist/chat-server)
       deno task compile [--output PATH]   (default chat-server)

dist writes the server, every library it uses and the web client in one text
file, run by Deno 2.9.6 from its first line: copy it to any machine that has
Deno and run it where the data should be (README, "Install with one file").
compile writes the same program with the Deno runtime inside, for machines
without Deno: it downloads the runtime (denort) from dl.deno.land, or takes
the file DENORT_BIN names. Both build the web client first.

Options:
  -o, --output PATH   where to write it
  -h, --help          print this help`;

if (import.meta.main) {
  let parsed;
  try {
    parsed = parseArgs({
      args: Deno.args,
      options: {
        output: { type: "string", short: "o" },
        help: { type: "boolean", short: "h" },
      },
      allowPositionals: true,
    });
  } catch (error) {
    console.error(
      usageError((error as Error).message, "deno task dist --help"),
    );
    Deno.exit(2);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(RELEASE_HELP);
    Deno.exit(0);
  }
  const kind = positionals[0];
  if ((kind !== "dist" && kind !== "compile") || positionals.length > 1) {
    console.error(
      usageError(
        "name one build, dist or compile: deno run -A scripts/release.ts dist|compile [--output PATH]",
        "deno task dist --help",
      ),
    );
    Deno.exit(2);
  }
  const output = resolve(
    values.output ??
      new URL(kind === "dist" ? "dist/chat-server" : "chat-server", ROOT)
        .pathname,
  );
  await deno(["task", "build"]);
  await writeEntry();
  await Deno.mkdir(dirname(output), { recursive: true });
  await (kind === "dist" ? dist(output) : compile(output));
  const { size } = await Deno.stat(output);
  console.log(`Wrote ${output} (${(size / 1024).toFixed(0)} KiB)`);
}
