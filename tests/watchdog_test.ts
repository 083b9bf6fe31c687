/**
 * The test runner's watchdog (scripts/test_run.ts, scripts/watchdog.ts) over
 * a run of which one test hangs (tests/fixtures/hanging_tests.ts), with a
 * silence limit of seconds instead of minutes.
 */
import assert from "node:assert/strict";
import { isRunning } from "./processes.ts";

const FIXTURE = "tests/fixtures/hanging_tests.ts";
const AFTER = "tests/fixtures/after_hang.ts";
// Long enough for a busy machine to start deno and run the first test of
// each run (up to 8.7 s and 6.1 s at a load of 20 on 2 cores, against 15 s
// before); the whole test takes this long plus the starts.
const SILENCE_MS = 30_000;

Deno.test({
  name:
    "a hung test is killed with the processes it started, named, counted as one failure, and the next file runs",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "chat-watchdog-" });
    const pidsFile = `${dir}/pids`;
    let pids: number[] = [];
    try {
      const { stdout } = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--allow-all",
          "scripts/test_run.ts",
          "--silence-ms",
          String(SILENCE_MS),
          "--",
          "test",
          "--allow-all",
          "--no-check",
          FIXTURE,
          AFTER,
        ],
        env: { HANGING_TESTS_PIDS: pidsFile, NO_COLOR: "1" },
        // Without a working watchdog the run would hang this test too.
        signal: AbortSignal.timeout(SILENCE_MS + 120_000),
        stdout: "piped",
        stderr: "inherit",
      }).output();
      const out = new TextDecoder().decode(stdout);
      pids = Deno.readTextFileSync(pidsFile).split(" ").map(Number);
      assert.equal(pids.length, 2);

      const lines = out.trimEnd().split("\n");
      assert.equal(lines.at(-1), "2 passed, 1 failed, 0 skipped", out);
      assert.match(
        out,
        /HUNG: .* "hangs with a child and a daemon running" in \.\/tests\/fixtures\/hanging_tests\.ts/,
      );
      assert.doesNotMatch(out, /never reached/);
      assert.match(out, /^runs after the hang \.\.\. ok/m);

      // Killed, not merely orphaned: the daemon left the run's session.
      const deadline = Date.now() + 30_000;
      while (pids.some(isRunning) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.deepEqual(pids.filter(isRunning), [], "left running");
    } finally {
      for (const pid of pids.filter(isRunning)) Deno.kill(pid, "SIGKILL");
      await Deno.remove(dir, { recursive: true });
    }
  },
});
