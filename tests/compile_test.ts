/**
 * `deno task compile` makes one `chat-server` executable with the web
 * client inside, from the same entry as `deno task dist`. Compiling
 * downloads a runtime (denort) from dl.deno.land; where that host is
 * unreachable and DENORT_BIN is unset the test is skipped, saying so.
 */
import assert from "node:assert/strict";
import { spawnServer } from "./harness.ts";

const root = new URL("../", import.meta.url).pathname;
const outDir = await Deno.makeTempDir({ prefix: "chat-compile-" });
const binary = `${outDir}/chat-server`;

async function run(args: string[]): Promise<Deno.CommandOutput> {
  return await new Deno.Command(Deno.execPath(), {
    args,
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  })
    .output();
}

// `deno task compile`, into a temporary folder.
const compiled = await run(["task", "compile", "--output", binary]);
const stderr = new TextDecoder().decode(compiled.stderr);
const cannotDownload = !compiled.success &&
  /dns error|dl\.deno\.land|failed to download|error sending request|denort/i
    .test(stderr);
if (cannotDownload) await Deno.remove(outDir, { recursive: true });

Deno.test({
  name: cannotDownload
    ? "compile: where the Deno runtime cannot be downloaded, the failure says to set DENORT_BIN or use deno task dist"
    : "compile: skipped the failure without dl.deno.land: the Deno runtime was downloaded here",
  ignore: !cannotDownload,
  fn() {
    assert.match(stderr, /DENORT_BIN names a denort binary/);
    assert.match(stderr, /use deno task dist/);
  },
});

Deno.test({
  name: cannotDownload
    ? "compile: skipped: the Deno runtime (denort) cannot be downloaded from dl.deno.land here; set DENORT_BIN to a denort binary to test"
    : "compile: the chat-server executable serves the client and the API",
  ignore: cannotDownload,
  async fn() {
    try {
      assert.ok(compiled.success, `deno compile failed:\n${stderr}`);
      // Alone in its folder: the client comes from inside the binary.
      const server = await spawnServer([], { executable: binary, cwd: outDir });
      try {
        const health = await fetch(`${server.url}/healthz`);
        assert.deepEqual(await health.json(), { status: "ok" });
        const page = await fetch(`${server.url}/`);
        assert.equal(page.status, 200);
        assert.match(await page.text(), /<script[^>]+app\.js/);
        const bundle = await fetch(`${server.url}/app.js`);
        assert.equal(bundle.status, 200);
        await bundle.body?.cancel();
        await Deno.stat(`${outDir}/chat.db`);
      } finally {
        await server.stop();
      }
    } finally {
      await Deno.remove(outDir, { recursive: true });
    }
  },
});
