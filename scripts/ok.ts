/**
 * `deno task ok`: format check, lint, type check of every folder, then the
 * tests, and one last line `N passed, N failed, N skipped` (what .ci/run
 * reports). Each of the three checks counts as one test, so a format slip
 * fails the run and shows in the count; the tests run even when a check
 * failed, so their figures are always there.
 */

/** One step's outcome in the summary. */
interface Tally {
  passed: number;
  failed: number;
  skipped: number;
}

const CHECKS: [string, string[]][] = [
  ["format", ["fmt", "--check"]],
  ["lint", ["lint"]],
  ["type check", ["task", "check"]],
];

// deno test's last line: "ok | 3 passed (1 step) | 0 failed | 1 ignored (12ms)".
const TEST_SUMMARY =
  /^(?:ok|FAILED) \| (\d+) passed.*?\| (\d+) failed(?: \| (\d+) ignored)?/;

async function runCheck(name: string, args: string[]): Promise<boolean> {
  console.log(`\n== ${name}: deno ${args.join(" ")}`);
  const { success } = await new Deno.Command(Deno.execPath(), {
    args,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  console.log(`${name} ... ${success ? "ok" : "FAILED"}`);
  return success;
}

// Streams a stream to one of ours, keeping the last test summary seen.
async function relay(
  stream: ReadableStream<Uint8Array>,
  out: typeof Deno.stdout,
  seen: { summary?: Tally },
): Promise<void> {
  const decoder = new TextDecoder();
  let pending = "";
  for await (const bytes of stream) {
    await out.write(bytes);
    const lines = (pending + decoder.decode(bytes, { stream: true }))
      .split("\n");
    pending = lines.pop()!;
    for (const line of lines) read(line, seen);
  }
  read(pending, seen);
}

function read(line: string, seen: { summary?: Tally }): void {
  // Colours would hide the summary from the pattern.
  // deno-lint-ignore no-control-regex
  const plain = line.replace(/\x1b\[[0-9;]*m/g, "");
  const match = TEST_SUMMARY.exec(plain);
  if (!match) return;
  seen.summary = {
    passed: Number(match[1]),
    failed: Number(match[2]),
    skipped: Number(match[3] ?? 0),
  };
}

async function runTests(): Promise<Tally> {
  console.log("\n== tests: deno task test");
  const child = new Deno.Command(Deno.execPath(), {
    args: ["task", "test"],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const seen: { summary?: Tally } = {};
  await Promise.all([
    relay(child.stdout, Deno.stdout, seen),
    relay(child.stderr, Deno.stderr, seen),
  ]);
  const { success } = await child.status;
  if (!seen.summary) {
    // The run broke before it could count (bundle or compile error).
    console.log("tests ... FAILED: no summary from deno test");
    return { passed: 0, failed: 1, skipped: 0 };
  }
  if (!success && seen.summary.failed === 0) {
    // Counted nothing as failed but still failed (e.g. an unhandled error).
    return { ...seen.summary, failed: 1 };
  }
  return seen.summary;
}

if (import.meta.main) {
  const total: Tally = { passed: 0, failed: 0, skipped: 0 };
  for (const [name, args] of CHECKS) {
    if (await runCheck(name, args)) total.passed++;
    else total.failed++;
  }
  const tests = await runTests();
  total.passed += tests.passed;
  total.failed += tests.failed;
  total.skipped += tests.skipped;
  console.log(
    `${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`,
  );
  Deno.exit(total.failed === 0 ? 0 : 1);
}
