/**
 * One Chromium for one browser test file, in a process of its own
 * (started by tests/browser_support.ts): it launches Chromium behind
 * Playwright's browser server, writes the server's WebSocket endpoint as
 * one line on stdout, and closes Chromium and exits when its stdin ends.
 * The test file holds the other end of stdin: it closes it when the file
 * ends, and the system closes it when the test process dies (even killed
 * with -9), so Chromium never outlives the tests that use it.
 *
 * Why a process and not the test file's own: a Chromium and a connection
 * kept from one test to the next would be an open child process, socket
 * and timers at the end of the first, which Deno's per-test sanitizers
 * rightly fail. Here each test connects (a fraction of a second) instead
 * of launching (seconds on a busy machine), and Chromium's pipes and
 * timers live in this process.
 *
 * Usage: deno run --allow-all tests/browser_launcher.ts CHROMIUM [FLAG...]
 */

import { chromium } from "playwright-core";
import { SCRATCH_PREFIX } from "./browser_scratch.ts";

// Chromium's profile and Playwright's artifacts go in a folder of this
// launcher's (node:os's tmpdir reads TMPDIR), named with its pid: each
// test file left a profile of 1.4 MB or more in /tmp, because the test
// process kills its children as it exits (this launcher included, before
// Playwright or this code removes anything). The next file's start
// removes the folders of launchers gone (browser_support.ts), so a run
// leaves at most its last one.
const scratch = Deno.makeTempDirSync({
  prefix: `${SCRATCH_PREFIX}${Deno.pid}-`,
});
Deno.env.set("TMPDIR", scratch);
const removeScratch = () => Deno.removeSync(scratch, { recursive: true });

const [executablePath, ...args] = Deno.args;
const server = await chromium.launchServer({
  executablePath,
  args,
  headless: true,
  host: "127.0.0.1",
  port: 0,
});
// Chromium gone on its own (a crash): the tests' connects fail at once
// with Playwright's error instead of waiting for a browser.
const crashed = () => {
  removeScratch();
  Deno.exit(1);
};
server.on("close", crashed);
console.log(server.wsEndpoint());

// Nothing is ever written to stdin: reading it only waits for its end.
for await (const _ of Deno.stdin.readable) {
  // The test file writes nothing; a stray byte changes nothing.
}
server.off("close", crashed);
await server.close();
removeScratch();
Deno.exit(0);
