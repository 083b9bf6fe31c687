/**
 * `deno task ok`: format check, lint, type check of every folder, then the
 * tests, and one last line `N passed, N failed, N skipped` (what .ci/run
 * reports). Each of the three checks counts as one test, so a format slip
 * fails the run and shows in the count; the tests run even when a check
 * failed, so their figures are always there. A test that hangs is killed
 * with what it started and counted as failed, and the files after it run on
 * (scripts/test_run.ts). That needs --allow-all: finding what a test started
 * reads /proc, and adopting its daemons calls prctl through FFI.
 */

import { runTests, summaryLine, type Tally } from "./test_run.ts";

const CHECKS: [string, string[]][] = [
  ["format", ["fmt", "--check"]],
  ["lint", ["lint"]],
  ["type check", ["task", "check"]],
];

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

if (import.meta.main) {
  const total: Tally = { passed: 0, failed: 0, skipped: 0 };
  for (const [name, args] of CHECKS) {
    if (await runCheck(name, args)) total.passed++;
    else total.failed++;
  }
  console.log("\n== tests: deno task test");
  // The rest after a hang: the client is built already.
  const tests = await runTests(["task", "test"], {
    resume: ["test", "--allow-all", "tests/"],
  });
  total.passed += tests.passed;
  total.failed += tests.failed;
  total.skipped += tests.skipped;
  console.log(summaryLine(total));
  Deno.exit(total.failed === 0 ? 0 : 1);
}
