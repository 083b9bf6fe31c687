/**
 * The tasks of deno.json as an operator meets them: each that takes options
 * answers `--help` with its usage (exit 0), and a wrong option with one line
 * saying what is wrong (exit 2), never a stack trace, and does none of its
 * work either way (no build, no store, no download).
 */
import assert from "node:assert/strict";
import pLimit from "p-limit";

const ROOT = new URL("../", import.meta.url).pathname;

/**
 * Tasks that take no options of their own (or run a tool that has its
 * own: `deno test`, `deno check`), or whose help settings_test.ts checks
 * (`start`, `dev`: the server's).
 */
const WITHOUT_OPTIONS = new Set([
  "start",
  "dev",
  "build",
  "test",
  "check",
  "ok",
  "readme",
  "lookalikes",
  "emoji",
]);

const TASKS = Object.keys(
  JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)).tasks as Record<
    string,
    string
  >,
).filter((name) => !WITHOUT_OPTIONS.has(name));

async function task(
  name: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["task", "-q", name, ...args],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const text = new TextDecoder();
  return {
    code: output.code,
    stdout: text.decode(output.stdout),
    stderr: text.decode(output.stderr),
  };
}

Deno.test("tasks: each task with options answers --help with its usage and a wrong option with a one-line error and exit code 2, not a stack trace", async () => {
  assert.ok(TASKS.includes("dist") && TASKS.includes("bench:backup"));
  // A few at a time: each is a Deno process that loads its script.
  const limit = pLimit(3);
  const problems = (await Promise.all(TASKS.map((name) =>
    limit(async () => {
      const found: string[] = [];
      const help = await task(name, ["--help"]);
      if (help.code !== 0) found.push(`--help exited ${help.code}`);
      if (!/usage|deno task|options/i.test(help.stdout)) {
        found.push(`--help printed no usage: ${help.stdout}${help.stderr}`);
      }
      const wrong = await task(name, ["--no-such-option"]);
      if (wrong.code !== 2) found.push(`a wrong option exited ${wrong.code}`);
      if (!wrong.stderr.includes("'--no-such-option'")) {
        found.push(`a wrong option was not named: ${wrong.stderr}`);
      }
      if (/Uncaught|\n\s+at /.test(wrong.stderr + help.stderr)) {
        found.push(`a stack trace: ${wrong.stderr}${help.stderr}`);
      }
      return found.map((problem) => `deno task ${name}: ${problem}`);
    })
  ))).flat();
  assert.deepEqual(problems, []);
});
