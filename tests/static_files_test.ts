/**
 * The web client served from memory, as the one-file builds do: it answers
 * like the static/ folder (index document, content types, HEAD, 404); and
 * from the folder, quietly.
 */
import assert from "node:assert/strict";
import { Hono } from "hono";
import { serveStaticFiles, staticFilesFrom } from "../server/static_files.ts";
import { spawnServer } from "./harness.ts";

const bytes = new Uint8Array([0, 1, 2, 255, 254]);
const files = staticFilesFrom({
  "/index.html": { text: "<!doctype html><title>é</title>" },
  "/app.js": { text: "console.log(1)" },
  "/sounds/ping.bin": { base64: btoa(String.fromCharCode(...bytes)) },
  "/docs/index.html": { text: "docs" },
});

function app(): Hono {
  const app = new Hono();
  app.use("/*", serveStaticFiles(files));
  app.notFound((c) => c.text("missing", 404));
  return app;
}

Deno.test("static files from memory: / and a folder answer with their index.html", async () => {
  const root = await app().request("/");
  assert.equal(root.status, 200);
  assert.equal(root.headers.get("content-type"), "text/html; charset=utf-8");
  assert.equal(await root.text(), "<!doctype html><title>é</title>");
  const docs = await app().request("/docs/");
  assert.equal(await docs.text(), "docs");
});

Deno.test("static files from memory: text and binary files come back byte for byte, twice", async () => {
  for (let i = 0; i < 2; i++) {
    const script = await app().request("/app.js");
    assert.match(script.headers.get("content-type")!, /^text\/javascript/);
    assert.equal(await script.text(), "console.log(1)");
    const binary = await app().request("/sounds/ping.bin");
    assert.deepEqual(await binary.bytes(), bytes);
  }
});

Deno.test("static files from memory: a missing file, a climb out or a POST falls through", async () => {
  for (
    const [method, path] of [
      ["GET", "/nothing.js"],
      ["GET", "/sounds/..%2fapp.js"],
      ["POST", "/app.js"],
    ]
  ) {
    const response = await app().request(path, { method });
    assert.equal(response.status, 404, `${method} ${path}`);
    await response.body?.cancel();
  }
});

Deno.test("static files from memory: a page the client routes itself (/admin) answers with the one file given", async () => {
  const routed = new Hono();
  routed.get("/admin", serveStaticFiles(files, "index.html"));
  const page = await routed.request("/admin");
  assert.equal(page.status, 200);
  assert.equal(page.headers.get("content-type"), "text/html; charset=utf-8");
  assert.equal(await page.text(), "<!doctype html><title>é</title>");
});

Deno.test("static files from the folder: a path the disk cannot open (a NUL, a file taken for a folder, a name over 255 bytes) is a 404, and writes nothing to the server's output", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-static-" });
  const server = await spawnServer(["--db", `${dir}/chat.db`]);
  try {
    const before = server.output().length;
    for (
      const path of [
        "/index.html%00",
        "/app%00.js",
        "/index.html/x",
        "/icons/" + "a".repeat(300),
      ]
    ) {
      const response = await fetch(server.url + path);
      assert.equal(response.status, 404, path);
      assert.equal((await response.json()).error, "not_found", path);
    }
    const page = await fetch(server.url + "/index.html");
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<html/i);
    // hono/deno's serveStatic printed each with console.warn: a line of
    // the client's making per request, outside the log and its format.
    assert.equal(server.output().slice(before), "");
  } finally {
    const status = await server.stop("SIGTERM");
    await Deno.remove(dir, { recursive: true });
    assert.equal(status.code, 0, server.output());
  }
});
