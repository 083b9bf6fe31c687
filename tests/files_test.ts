/**
 * Shared files (extension): `POST /api/files` for accounts, attachments on
 * messages, and files served so they can never run as the chat's page.
 */
import assert from "node:assert/strict";
import {
  type ClientPool,
  expectError,
  TEST_PASSWORD,
  type TestServer,
  withClients,
} from "./harness.ts";
import type { Uploaded } from "./file_helpers.ts";
import { startServer } from "../server/mod.ts";

// A 1x1 transparent PNG.
const PNG = Uint8Array.from(
  atob(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
  ),
  (c) => c.charCodeAt(0),
);

async function sessionCookie(server: TestServer, username: string) {
  const res = await fetch(`${server.url}/api/register`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: server.url },
    body: JSON.stringify({ username, password: TEST_PASSWORD }),
  });
  await res.body?.cancel();
  assert.equal(res.status, 201);
  return res.headers.get("set-cookie")!.split(";")[0];
}

async function upload(
  server: TestServer,
  cookie: string | undefined,
  file: File,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const form = new FormData();
  form.append("file", file);
  const res = await fetch(`${server.url}/api/files`, {
    method: "POST",
    body: form,
    headers: cookie ? { cookie, origin: server.url } : { origin: server.url },
  });
  return { status: res.status, body: await res.json() };
}

async function accountWithCookie(pool: ClientPool, server: TestServer) {
  const cookie = await sessionCookie(server, "alice");
  const alice = await pool.login({}, { headers: { cookie } });
  return { alice, cookie };
}

Deno.test("files: an account uploads an image and both members get it as an attachment", () =>
  withClients(async (pool, server) => {
    const { alice, cookie } = await accountWithCookie(pool, server);
    const bob = await pool.guest("bob");
    const up = await upload(
      server,
      cookie,
      new File([PNG], "dot.png", { type: "image/png" }),
    );
    assert.equal(up.status, 201);
    const file = up.body as unknown as Uploaded;
    assert.match(file.url, /^\/files\/[0-9a-f]{32}\/dot\.png$/);
    assert.deepEqual(
      {
        name: file.name,
        size: file.size,
        type: file.type,
        width: file.width,
        height: file.height,
      },
      {
        name: "dot.png",
        size: PNG.length,
        type: "image/png",
        width: 1,
        height: 1,
      },
    );
    // The client's claims about the file are not trusted: only the url.
    const sent = await alice.ok("send_message", {
      text: "",
      attachments: [{ url: file.url, name: "evil.exe", size: 1 }],
    });
    const message = sent.message as { attachments: Uploaded[]; text: string };
    assert.deepEqual(message.attachments, [file]);
    assert.equal(message.text, "");
    const got = await bob.event("receive_message");
    assert.deepEqual(got.data.attachments, [file]);
    const history = await bob.ok("history", { room: "general" });
    assert.deepEqual(
      (history.messages as { attachments: Uploaded[] }[])[0].attachments,
      [file],
    );
    // Served inline, as an image, sandboxed.
    const res = await fetch(`${server.url}${file.url}`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "image/png");
    assert.match(res.headers.get("content-disposition")!, /^inline;/);
    assert.equal(res.headers.get("x-content-type-options"), "nosniff");
    assert.match(res.headers.get("content-security-policy")!, /sandbox/);
    assert.deepEqual(new Uint8Array(await res.arrayBuffer()), PNG);
  }));

Deno.test("files: SVG and HTML are served as downloads, never inline", () =>
  withClients(async (pool, server) => {
    const { cookie } = await accountWithCookie(pool, server);
    for (
      const [name, type, body] of [
        ["x.svg", "image/svg+xml", "<svg onload=alert(1)></svg>"],
        ["x.html", "text/html", "<script>alert(1)</script>"],
      ]
    ) {
      const up = await upload(server, cookie, new File([body], name, { type }));
      assert.equal(up.status, 201);
      const res = await fetch(`${server.url}${up.body.url}`, {
        headers: { cookie },
      });
      await res.body?.cancel();
      assert.equal(res.headers.get("content-type"), "application/octet-stream");
      assert.match(res.headers.get("content-disposition")!, /^attachment;/);
      assert.match(res.headers.get("content-security-policy")!, /sandbox/);
    }
  }));

Deno.test("files: guests cannot upload (401) and files over the limit get 413", () =>
  withClients(async (pool, server) => {
    const guest = await upload(
      server,
      undefined,
      new File(["hi"], "a.txt", { type: "text/plain" }),
    );
    assert.equal(guest.status, 401);
    assert.equal(guest.body.error, "bad_credentials");
    const { cookie } = await accountWithCookie(pool, server);
    const big = await upload(
      server,
      cookie,
      new File([new Uint8Array(2048)], "big.bin"),
    );
    assert.equal(big.status, 413);
    const fits = await upload(
      server,
      cookie,
      new File([new Uint8Array(1000)], "fits.bin"),
    );
    assert.equal(fits.status, 201);
  }, { maxFileBytes: 1024 }));

Deno.test("files: an attachment that was never uploaded gets invalid_message", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    await expectError(alice, "send_message", {
      text: "look",
      attachments: [{ url: `/files/${"0".repeat(64)}/x.png` }],
    }, "invalid_message");
    await expectError(alice, "send_message", {
      text: "look",
      attachments: [{ url: "https://evil.example/x.png" }],
    }, "invalid_message");
    // Without files, an empty text is still empty.
    await expectError(
      alice,
      "send_message",
      { text: " ", attachments: [] },
      "empty_message",
    );
  }));

Deno.test("files: an unknown file is 404 and a file name cannot climb out", () =>
  withClients(async (pool, server) => {
    const missing = await fetch(`${server.url}/files/${"a".repeat(64)}/x`);
    await missing.body?.cancel();
    assert.equal(missing.status, 404);
    const { cookie } = await accountWithCookie(pool, server);
    const up = await upload(
      server,
      cookie,
      new File(["x"], "../../etc/pass\u202Ewd.txt"),
    );
    assert.equal(up.status, 201);
    assert.equal(up.body.name, "passwd.txt");
  }));

Deno.test("files: a name loses the direction marks and invisible spaces that would disguise it, and keeps its emoji", () =>
  withClients(async (pool, server) => {
    const { cookie } = await accountWithCookie(pool, server);
    // A right-to-left mark before an override, a zero-width space, a word
    // joiner, a left-to-right isolate: each shows nothing or turns the name.
    const disguised = await upload(
      server,
      cookie,
      new File(["x"], "invoice\u200F\u202Egnp.exe\u200B\u2060\u2066"),
    );
    assert.equal(disguised.status, 201);
    assert.equal(disguised.body.name, "invoicegnp.exe");
    const emoji = await upload(
      server,
      cookie,
      new File(["y"], "👩‍👩‍👧 family ❤️.txt"),
    );
    assert.equal(emoji.status, 201);
    assert.equal(emoji.body.name, "👩‍👩‍👧 family ❤️.txt");
  }));

Deno.test("files: a long name is cut between characters, never inside an emoji, and the file is shared and served", () =>
  withClients(async (pool, server) => {
    const { cookie } = await accountWithCookie(pool, server);
    // Names keep 200 UTF-16 units: here the 200th is the first half of an
    // emoji. Cut there, the lone half made encodeURIComponent throw: 500
    // `internal`, the upload recorded against the quota all the same.
    const long = `${"a".repeat(199)}😀 notes.txt`;
    const up = await upload(server, cookie, new File(["z"], long));
    assert.equal(up.status, 201, JSON.stringify(up.body));
    assert.equal(up.body.name, "a".repeat(199));
    const got = await fetch(`${server.url}${up.body.url}`, {
      headers: { cookie },
    });
    assert.equal(got.status, 200);
    assert.equal(await got.text(), "z");
    assert.match(
      got.headers.get("content-disposition")!,
      new RegExp(`filename\\*=UTF-8''${"a".repeat(199)}$`),
    );
  }));

Deno.test("files: a bot uploads with its session token as a bearer token", () =>
  withClients(async (pool, server) => {
    const bot = await pool.register("bot");
    const form = new FormData();
    form.append("file", new File(["beep"], "beep.txt", { type: "text/plain" }));
    const res = await fetch(`${server.url}/api/files`, {
      method: "POST",
      body: form,
      headers: { authorization: `Bearer ${bot.token}` },
    });
    const body = await res.json();
    assert.equal(res.status, 201, JSON.stringify(body));
    assert.equal(body.name, "beep.txt");
  }));

Deno.test("files: a name with '=' or quotes survives, and the same bytes keep each upload's name", () =>
  withClients(async (pool, server) => {
    const { cookie } = await accountWithCookie(pool, server);
    const send = async (name: string) => {
      const form = new FormData();
      form.append("file", new File(["same bytes"], name));
      form.append("name", name);
      const res = await fetch(`${server.url}/api/files`, {
        method: "POST",
        body: form,
        headers: { cookie, origin: server.url },
      });
      return await res.json() as Uploaded;
    };
    const first = await send('a b=c "d".txt');
    assert.equal(first.name, 'a b=c "d".txt');
    const second = await send("copy.txt");
    assert.equal(second.name, "copy.txt");
    assert.notEqual(first.url, second.url);
    const alice = await pool.login({
      username: "alice",
      password: TEST_PASSWORD,
    });
    const sent = await alice.ok("send_message", {
      text: "",
      attachments: [{ url: first.url }, { url: second.url }],
    });
    const names = (sent.message as { attachments: Uploaded[] }).attachments
      .map((a) => a.name);
    assert.deepEqual(names, ['a b=c "d".txt', "copy.txt"]);
  }));

Deno.test("files: a --files-dir that cannot be a folder (under a file) stops the start with an error naming it, instead of answering every upload 500", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-files-dir-" });
  try {
    await Deno.writeTextFile(`${dir}/a-file`, "not a folder");
    await assert.rejects(
      startServer({
        hostname: "127.0.0.1",
        port: 0,
        db: `${dir}/chat.db`,
        filesDir: `${dir}/a-file/files`,
      }),
      (error: Error) => {
        assert.match(error.message, /^Cannot keep files in '.*a-file\/files'/);
        return true;
      },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
