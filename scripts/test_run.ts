/**
 * Runs `deno test` (through `deno task test` for `deno task ok`) under the
 * watchdog (scripts/watchdog.ts), relays its output and counts it: deno's own
 * summary when the run ends, or, when a test hangs, the tests finished so
 * far plus one failure for the hung test, named in the log. After a hang the
 * files not yet started run on (deno test --ignore= the ones that did).
 *
 * Run alone (what tests/watchdog_test.ts does, with a short limit):
 *   deno run -A scripts/test_run.ts [--silence-ms N] -- test DENO_ARGS...
 * prints `N passed, N failed, N skipped` last.
 */
import {
  adoptOrphans,
  killDescendants,
  plain,
  Progress,
  SILENCE_LIMIT_MS,
  type Tally,
} from "./watchdog.ts";

export type { Tally };

// deno test's last line: "ok | 3 passed (1 step) | 0 failed | 1 ignored (12ms)".
const TEST_SUMMARY =
  /^(?:ok|FAILED) \| (\d+) passed.*?\| (\d+) failed(?: \| (\d+) ignored)?/;

interface Seen {
  summary?: Tally;
  progress: Progress;
}

// Streams a stream to one of ours, reading each line as it comes.
async function relay(
  stream: ReadableStream<Uint8Array>,
  out: typeof Deno.stdout,
  seen: Seen,
): Promise<void> {
  const decoder = new TextDecoder();
  let pending = "";
  for await (const bytes of stream) {
    await out.write(bytes);
    const lines = (pending + decoder.decode(bytes, { stream: true }))
      .split("\n");
    pending = lines.pop()!;
    for (const line of lines) read(line, seen);
    seen.progress.partial(pending);
  }
  read(pending, seen);
}

function read(line: string, seen: Seen): void {
  seen.progress.line(line);
  const match = TEST_SUMMARY.exec(plain(line));
  if (!match) return;
  seen.summary = {
    passed: Number(match[1]),
    failed: Number(match[2]),
    skipped: Number(match[3] ?? 0),
  };
}

/** How {@link runTests} watches and goes on. */
export interface RunOptions {
  /** Silence (no test started or finished) that counts as a hang. */
  silenceMs?: number;
  /**
   * The `deno test ...` arguments that run the rest after a hang, to which
   * `--ignore=` the files already started is added; `args` when not given.
   */
  resume?: string[];
}

/**
 * Runs deno with `args` and counts its tests. A run silent for too long is
 * killed with everything it started, counted as one failure, and the files
 * it had not started run on.
 */
export async function runTests(
  args: string[],
  options: RunOptions = {},
): Promise<Tally> {
  const resume = options.resume ?? args;
  const total: Tally = { passed: 0, failed: 0, skipped: 0 };
  const started: string[] = [];
  let next: string[] | undefined = args;
  while (next) {
    const run = await runOnce(next, options.silenceMs ?? SILENCE_LIMIT_MS);
    total.passed += run.tally.passed;
    total.failed += run.tally.failed;
    total.skipped += run.tally.skipped;
    const fresh = run.files.filter((file) => !started.includes(file));
    started.push(...fresh);
    // A hang before any file started would only hang again.
    next = run.hung && fresh.length > 0
      ? [resume[0], `--ignore=${started.join(",")}`, ...resume.slice(1)]
      : undefined;
    if (next) console.log(`\n== tests: the rest: deno ${next.join(" ")}`);
  }
  return total;
}

interface Run {
  tally: Tally;
  hung: boolean;
  files: string[];
}

async function runOnce(args: string[], silenceMs: number): Promise<Run> {
  // Adopting before the spawn: a daemon the run starts at once is ours too.
  const spawned: { pid?: number } = {};
  const stopReaping = adoptOrphans(() => spawned.pid);
  const child = new Deno.Command(Deno.execPath(), {
    args,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  spawned.pid = child.pid;
  const seen: Seen = { progress: new Progress() };
  let hung: string | undefined;
  let killing: Promise<void> | undefined;
  const watch = setInterval(() => {
    if (hung || Date.now() - seen.progress.lastMove < silenceMs) return;
    hung = seen.progress.describe();
    console.log(
      `\ntests ... HUNG: nothing moved for ${
        Math.round(silenceMs / 1000)
      } s while running ${hung}; killing the run and what it started`,
    );
    killing = killDescendants().then((killed) => {
      try {
        child.kill("SIGKILL"); // Elsewhere than Linux, where none was found.
      } catch {
        // Already killed.
      }
      console.log(`tests ... killed ${killed} processes`);
    });
  }, Math.min(1_000, silenceMs / 4));
  try {
    await Promise.all([
      relay(child.stdout, Deno.stdout, seen),
      relay(child.stderr, Deno.stderr, seen),
    ]);
    const { success } = await child.status;
    // The run's output ends with deno test; what it started may still be
    // dying.
    await killing;
    const { files, tally } = seen.progress;
    if (hung) {
      console.log(`tests ... FAILED: hung: ${hung}`);
      return {
        tally: { ...tally, failed: tally.failed + 1 },
        hung: true,
        files,
      };
    }
    if (!seen.summary) {
      // The run broke before it could count (bundle or compile error).
      console.log("tests ... FAILED: no summary from deno test");
      return {
        tally: { passed: 0, failed: 1, skipped: 0 },
        hung: false,
        files,
      };
    }
    if (!success && seen.summary.failed === 0) {
      // Counted nothing as failed but still failed (e.g. an unhandled error).
      return { tally: { ...seen.summary, failed: 1 }, hung: false, files };
    }
    return { tally: seen.summary, hung: false, files };
  } finally {
    clearInterval(watch);
    stopReaping();
  }
}

/** The one summary line .ci/run reads. */
export function summaryLine(total: Tally): string {
  return `${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`;
}

if (import.meta.main) {
  const dash = Deno.args.indexOf("--");
  const own = Deno.args.slice(0, dash);
  const at = own.indexOf("--silence-ms");
  const silenceMs = at < 0 ? SILENCE_LIMIT_MS : Number(own[at + 1]);
  const tally = await runTests(Deno.args.slice(dash + 1), { silenceMs });
  console.log(summaryLine(tally));
  Deno.exit(tally.failed === 0 ? 0 : 1);
}
