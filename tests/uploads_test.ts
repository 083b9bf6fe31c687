/**
 * Uploads: each keeps its own name and type whatever bytes it shares with
 * another; types come from the bytes; dimensions are read for the preview
 * cap; uploads stream to disk within the limit. Store-backed scenarios run
 * on SQLite and on PostgreSQL.
 */
import assert from "node:assert/strict";
import { bothStores } from "./both_stores.ts";
import {
  apngOfFrames,
  fetchFile,
  filesUnder,
  gifOfFrames,
  jpegBehindFill,
  member,
  PNG,
  pngOfSize,
  type ServerAddress,
  upload,
  type Uploaded,
  uploaded,
  webpOfFrames,
} from "./file_helpers.ts";
import { eventually, spawnServer, TestClient, withServer } from "./harness.ts";
import { DEFAULT_RATE_LIMITS } from "../server/rate_limit.ts";

const stores = await bothStores();

stores.test(
  "uploads: the same bytes uploaded twice keep each upload's own name and type",
  async (server) => {
    const alice = await member(server, "alice");
    const mallory = await member(server, "mallory");
    try {
      const bytes = new TextEncoder().encode("%PDF-1.4 the same bytes");
      const report = await uploaded(
        server,
        alice.cookie,
        new File([bytes], "report.pdf", { type: "application/pdf" }),
      );
      const payload = await uploaded(
        server,
        mallory.cookie,
        new File([bytes], "payload.exe", {
          type: "application/x-msdownload",
        }),
      );
      assert.equal(report.name, "report.pdf");
      assert.equal(report.type, "application/pdf");
      assert.equal(payload.name, "payload.exe");
      await alice.client.ok("send_message", {
        text: "",
        attachments: [{ url: report.url }],
      });
      await mallory.client.ok("send_message", {
        text: "",
        attachments: [{ url: payload.url }],
      });
      const history = await alice.client.ok("history", { room: "general" });
      const shown = (history.messages as { attachments: { type: string }[] }[])
        .map((m) => m.attachments[0].type);
      assert.deepEqual(shown, ["application/pdf", "application/x-msdownload"]);
      // What a browser saves: the name of the upload the URL came from.
      const got = await fetchFile(server, report.url);
      assert.equal(got.status, 200);
      assert.match(
        got.headers.get("content-disposition")!,
        /^attachment; filename="report\.pdf"/,
      );
      assert.deepEqual(got.bytes, bytes);
      const theirs = await fetchFile(server, payload.url);
      assert.match(
        theirs.headers.get("content-disposition")!,
        /filename="payload\.exe"/,
      );
    } finally {
      await alice.client.close();
      await mallory.client.close();
    }
  },
);

stores.test(
  "uploads: HTML and SVG bytes claimed as image/png are recorded as application/octet-stream and served as sandboxed downloads",
  async (server) => {
    const alice = await member(server, "alice");
    try {
      for (
        const body of [
          "<html><script>alert(1)</script></html>",
          '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        ]
      ) {
        const file = await uploaded(
          server,
          alice.cookie,
          new File([body], "cat.png", { type: "image/png" }),
        );
        assert.equal(file.type, "application/octet-stream");
        assert.equal(file.width, undefined);
        await alice.client.ok("send_message", {
          text: "",
          attachments: [{ url: file.url }],
        });
        const got = await assertDownload(server, file.url);
        assert.equal(got.headers.get("x-content-type-options"), "nosniff");
        assert.match(
          got.headers.get("content-security-policy")!,
          /default-src 'none'.*sandbox/,
        );
      }
      // A real PNG claimed as something else is a PNG, shown inline.
      const real = await uploaded(
        server,
        alice.cookie,
        new File([PNG], "dot.bin", { type: "application/octet-stream" }),
      );
      assert.deepEqual(
        [real.type, real.width, real.height],
        ["image/png", 1, 1],
      );
    } finally {
      await alice.client.close();
    }
  },
);

stores.test(
  "uploads: a 20,000 x 20,000 PNG and a 10,000-frame GIF are recorded past the preview cap and served as downloads",
  async (server) => {
    const alice = await member(server, "alice");
    try {
      const huge = await uploaded(
        server,
        alice.cookie,
        new File([pngOfSize(20_000, 20_000)], "huge.png", {
          type: "image/png",
        }),
      );
      assert.deepEqual(
        [huge.type, huge.width, huge.height, huge.frames],
        ["image/png", 20_000, 20_000, undefined],
      );
      const long = await uploaded(
        server,
        alice.cookie,
        new File([gifOfFrames(10_000, 200, 100)], "long.gif", {
          type: "image/gif",
        }),
      );
      assert.deepEqual(
        [long.type, long.width, long.height, long.frames],
        ["image/gif", 200, 100, 10_000],
      );
      const small = await uploaded(
        server,
        alice.cookie,
        new File([gifOfFrames(3, 20, 10)], "small.gif", { type: "image/gif" }),
      );
      await alice.client.ok("send_message", {
        text: "",
        attachments: [huge, long, small].map((f) => ({ url: f.url })),
      });
      for (const file of [huge, long]) {
        await assertDownload(server, file.url);
      }
      const inline = await fetchFile(server, small.url);
      assert.equal(inline.headers.get("content-type"), "image/gif");
      assert.match(inline.headers.get("content-disposition")!, /^inline;/);
    } finally {
      await alice.client.close();
    }
  },
);

Deno.test(
  "uploads: a GIF whose first frame is larger than the screen its header declares is recorded at the frame's size, past the preview cap, and served as a download",
  () =>
    withServer(async (server) => {
      const alice = await member(server, "alice");
      try {
        // Header: a 1 x 1 screen. Chromium decodes both as 10,000 x 10,000
        // (100 megapixels, four times the cap): it enlarges the screen to
        // hold the first frame, offset included. Recorded as 1 x 1, each
        // was shown inline to every reader.
        const shapes = {
          "big.gif": gifOfFrames(1, 10_000, 10_000, { screen: [1, 1] }),
          "far.gif": gifOfFrames(1, 1000, 1000, {
            screen: [1, 1],
            offset: [9000, 9000],
          }),
        };
        const sent = [];
        for (const [name, bytes] of Object.entries(shapes)) {
          const up = await uploaded(
            server,
            alice.cookie,
            new File([bytes], name, { type: "image/gif" }),
          );
          assert.deepEqual(
            [up.type, up.width, up.height, up.frames],
            ["image/gif", 10_000, 10_000, undefined],
            name,
          );
          sent.push(up);
        }
        await alice.client.ok("send_message", {
          text: "",
          attachments: sent.map((f) => ({ url: f.url })),
        });
        for (const file of sent) {
          await assertDownload(server, file.url);
        }
      } finally {
        await alice.client.close();
      }
    }),
);

Deno.test(
  "uploads: a JPEG is recorded at the size of the frame header a decoder reads, not of one planted past a fill byte, and past the preview cap it is served as a download",
  () =>
    withServer(async (server) => {
      const alice = await member(server, "alice");
      try {
        // 6,000 x 6,000 is 36 megapixels (the cap is 25). image-size took
        // the 0xFF fill byte for a marker and landed on the planted 1 x 1:
        // recorded so, the JPEG was shown inline to every reader, and
        // Chromium 156 decodes such a file (one of its own, the fill byte
        // added) as 6,000 x 6,000.
        const up = await uploaded(
          server,
          alice.cookie,
          new File([jpegBehindFill(6000, 6000)], "photo.jpg", {
            type: "image/jpeg",
          }),
        );
        assert.deepEqual(
          [up.type, up.width, up.height],
          ["image/jpeg", 6000, 6000],
        );
        await alice.client.ok("send_message", {
          text: "",
          attachments: [{ url: up.url }],
        });
        await assertDownload(server, up.url);
      } finally {
        await alice.client.close();
      }
    }),
);

Deno.test(
  "uploads: an animated PNG's frames are counted wherever its acTL chunk is, 600 KiB of text before it included, and past the preview cap it is served as a download",
  () =>
    withServer(async (server) => {
      const alice = await member(server, "alice");
      try {
        // 1,000 frames of a megapixel: ten times the cap over all frames.
        // Read from the file's first 512 KiB only, the acTL behind the
        // text was never seen: a still image, previewed inline.
        const files = [0, 600 * 1024].map((text) =>
          new File([apngOfFrames(1000, 1000, 1000, text)], `a${text}.png`, {
            type: "image/png",
          })
        );
        const sent = [];
        for (const file of files) {
          const up = await uploaded(server, alice.cookie, file);
          assert.deepEqual(
            [up.type, up.width, up.height, up.frames],
            ["image/png", 1000, 1000, 1000],
            file.name,
          );
          sent.push(up);
        }
        await alice.client.ok("send_message", {
          text: "",
          attachments: sent.map((f) => ({ url: f.url })),
        });
        for (const file of sent) {
          await assertDownload(server, file.url);
        }
      } finally {
        await alice.client.close();
      }
    }),
);

stores.test(
  "uploads: past --upload-quota an account gets 413 quota_exceeded and nothing is kept; the same bytes count for each uploader; deleting its message gives the room back",
  async (server, store) => {
    const alice = await member(server, "alice");
    const bob = await member(server, "bob");
    const file = (tag: number, size = 1000) => {
      const bytes = new Uint8Array(size);
      bytes[0] = tag;
      return new File([bytes], `f${tag}.bin`);
    };
    try {
      const sent = [];
      for (let tag = 1; tag <= 3; tag++) {
        sent.push(await uploaded(server, alice.cookie, file(tag)));
      }
      const message = await alice.client.ok("send_message", {
        text: "",
        attachments: sent.map((f) => ({ url: f.url })),
      });
      // 3000 of 3500 bytes: a whole file does not fit, and is refused once
      // its size is known.
      const refused = await upload(server, alice.cookie, file(4));
      assert.equal(refused.status, 413);
      assert.deepEqual(refused.body, {
        error: "quota_exceeded",
        message: "An account may keep 3500 bytes of files and yours take " +
          "3000: delete messages that carry files, or wait a day for files " +
          "never sent to go.",
        quota_bytes: 3500,
        used_bytes: 3000,
      });
      // Half a file fits; then the account is full and even a byte is
      // refused before its body is read.
      await uploaded(server, alice.cookie, file(5, 500));
      const full = await upload(server, alice.cookie, file(6, 1));
      assert.equal(full.status, 413);
      assert.equal(full.body.error, "quota_exceeded");
      // Nothing of the refused ones is kept: 4 uploads' bytes, none staged.
      if (store.psql) {
        assert.match(
          await store.psql("SELECT count(*) FROM file_contents"),
          /^\s*count\s*-+\s*4\s/m,
        );
      } else {
        const kept = await filesUnder(`${server.dir}/files`);
        assert.equal(kept.length, 4, kept.join(", "));
      }
      // Bob has a quota of his own; Alice's bytes uploaded again are his.
      for (let tag = 1; tag <= 3; tag++) {
        await uploaded(server, bob.cookie, file(tag));
      }
      const again = await upload(server, bob.cookie, file(4));
      assert.equal(again.body.error, "quota_exceeded");
      // Alice's message deleted, its three files go, and their bytes with
      // them from her quota (the sweep runs just after the reply).
      await alice.client.ok("delete_message", {
        id: (message.message as { id: string }).id,
      });
      await eventually(async () => {
        const up = await upload(server, alice.cookie, file(4));
        assert.equal(up.status, 201, JSON.stringify(up.body));
      });
      await uploaded(server, alice.cookie, file(7, 2000));
    } finally {
      await alice.client.close();
      await bob.client.close();
    }
  },
  { uploadQuotaBytes: 3500 },
);

stores.finish();

/**
 * Fetches an uploaded file and checks it is served as a download (not
 * shown by the browser): what a file that is not a safe preview gets.
 */
async function assertDownload(
  server: ServerAddress,
  url: string,
): ReturnType<typeof fetchFile> {
  const got = await fetchFile(server, url);
  assert.equal(got.status, 200);
  assert.equal(got.headers.get("content-type"), "application/octet-stream");
  assert.match(got.headers.get("content-disposition")!, /^attachment;/);
  return got;
}

/** Resident memory of a process, in MiB (Linux). */
async function rssMiB(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)![1]) / 1024;
}

/**
 * How far a process's resident memory rose above where it was while
 * `work` ran, in MiB (sampled every 20 ms).
 */
async function rssGrowth(
  pid: number,
  work: () => Promise<void>,
): Promise<number> {
  const before = await rssMiB(pid);
  let peak = before;
  const sampler = setInterval(async () => {
    peak = Math.max(peak, await rssMiB(pid).catch(() => 0));
  }, 20);
  try {
    await work();
  } finally {
    clearInterval(sampler);
  }
  return peak - before;
}

Deno.test({
  name:
    "uploads: 20 parallel maximum-size uploads and an endless chunked upload keep the server's memory bounded and leave no partial file",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "chat-uploads-" });
    const server = await spawnServer([
      "--db",
      `${dir}/chat.db`,
      "--max-file-bytes",
      String(10 * 1024 * 1024),
    ]);
    const pid = server.process.pid;
    try {
      const base = { url: server.url, wsUrl: server.wsUrl } as Parameters<
        typeof member
      >[0];
      const alice = await member(base, "alice");
      await alice.client.close();
      const grew = await rssGrowth(pid, async () => {
        const max = new Uint8Array(10 * 1024 * 1024);
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) => {
            const bytes = max.slice();
            bytes[0] = i; // 20 different files
            return upload(base, alice.cookie, new File([bytes], `big${i}`));
          }),
        );
        assert.deepEqual(results.map((r) => r.status), Array(20).fill(201));
        assert.equal(
          await endlessUpload(server.url, alice.cookie),
          413,
          "an endless body is cut at the limit",
        );
      });
      // Buffered whole, 20 x 10 MiB went up by 400+ MiB; streamed, by a
      // few chunks each, though a busy machine's late collections took it
      // to 153 MiB once (load 10): the bound sits between the two.
      assert.ok(grew < 250, `RSS grew by ${grew.toFixed(0)} MiB`);
      const files = await filesUnder(`${dir}/files`);
      assert.equal(files.length, 20, files.join(", "));
      assert.ok(
        files.every((f) => !f.startsWith(".staging/")),
        `nothing staged is left: ${files.join(", ")}`,
      );
    } finally {
      await server.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/**
 * Runs `body` against a server process of its own with an account that
 * uploads: `send` uploads bytes and fails the test unless they are taken.
 */
async function withUploader(
  body: (
    pid: number,
    send: (bytes: Uint8Array<ArrayBuffer>) => Promise<Uploaded>,
  ) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "chat-uploads-" });
  const server = await spawnServer(["--db", `${dir}/chat.db`]);
  try {
    const base = { url: server.url, wsUrl: server.wsUrl };
    const alice = await member(base, "alice");
    await alice.client.close();
    await body(
      server.process.pid,
      (bytes) => uploaded(base, alice.cookie, new File([bytes], "a")),
    );
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name:
    "uploads: GIFs of 699,000 empty frames have their frames counted without the server's memory growing by hundreds of MiB",
  ignore: Deno.build.os !== "linux",
  fn: () =>
    withUploader(async (pid, send) => {
      // 10 MiB, the default --max-file-bytes, in frames of 15 bytes.
      const gif = gifOfFrames(699_000, 1, 1);
      // A plain file of that size first: what any upload grows by is not
      // what the frames cost.
      await send(new Uint8Array(gif.length));
      const grew = await rssGrowth(pid, async () => {
        for (let i = 1; i <= 4; i++) {
          const copy = gif.slice();
          copy[20] = i; // four different files (the first frame's left edge)
          assert.equal((await send(copy)).frames, 699_000);
        }
      });
      // Counted by omggif, which made an object per frame, four such GIFs
      // took the server up by 246 to 300 MiB (and held the event loop 80
      // to 500 ms each); walked, by 20 to 35 MiB.
      assert.ok(grew < 150, `RSS grew by ${grew.toFixed(0)} MiB`);
    }),
});

Deno.test(
  "uploads: a form that ends before its closing boundary gets 400 invalid_message and the server serves on",
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "chat-uploads-" });
    const server = await spawnServer(["--db", `${dir}/chat.db`]);
    try {
      const base = { url: server.url, wsUrl: server.wsUrl };
      const alice = await member(base, "alice");
      await alice.client.close();
      const part = (name: string) =>
        `--X\r\nContent-Disposition: form-data; name="file"; ` +
        `filename="${name}"\r\nContent-Type: text/plain\r\n\r\nabc`;
      // A whole request whose form stops inside the file (the part kept),
      // or inside a second file (the part skipped). busboy destroyed the
      // part's stream with "Unexpected end of form", and when that came
      // before anything read it (the file it goes to still being opened:
      // the request in one write, its end read at once) the error was
      // uncaught and the server process exited. Ten of each.
      const shapes = [part("a.txt"), `${part("a.txt")}\r\n${part("b.txt")}`];
      for (let i = 0; i < 10; i++) {
        for (const form of shapes) {
          const answer = await postInOneWrite(server.url, "/api/files", {
            headers: {
              cookie: alice.cookie,
              origin: server.url,
              "content-type": "multipart/form-data; boundary=X",
            },
            body: form,
          });
          assert.match(answer, /^HTTP\/1\.1 400 /, answer);
          assert.match(answer, /"error":"invalid_message"/, answer);
        }
      }
      const after = await uploaded(
        base,
        alice.cookie,
        new File(["abc"], "a.txt", { type: "text/plain" }),
      );
      assert.equal(after.size, 3);
      assert.deepEqual(
        (await filesUnder(dir)).filter((f) => f.endsWith(".part")),
        [],
      );
      // Drained and stopped by the signal (0), not gone before it (1).
      assert.equal((await server.stop()).code, 0, server.output());
    } finally {
      await server.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
);

/**
 * POSTs `body` over a connection of its own, the whole request in one
 * write, and reads the answer until the server closes; the answer's text.
 */
async function postInOneWrite(
  url: string,
  path: string,
  request: { headers: Record<string, string>; body: string },
): Promise<string> {
  const { hostname, port } = new URL(url);
  const body = new TextEncoder().encode(request.body);
  const head = Object.entries({
    ...request.headers,
    host: `${hostname}:${port}`,
    "content-length": String(body.length),
    connection: "close",
  }).map(([name, value]) => `${name}: ${value}\r\n`).join("");
  const bytes = new Uint8Array([
    ...new TextEncoder().encode(`POST ${path} HTTP/1.1\r\n${head}\r\n`),
    ...body,
  ]);
  const conn = await Deno.connect({ hostname, port: Number(port) });
  try {
    for (let at = 0; at < bytes.length;) {
      at += await conn.write(bytes.subarray(at));
    }
    return await new Response(conn.readable).text();
  } catch (error) {
    return `no answer: ${error}`;
  }
}

/**
 * Sends an upload with a chunked body that never ends (64 KiB chunks of a
 * file part, up to 100 MiB) over a raw connection; returns the status the
 * server answers with, which it must do before the body ends.
 */
async function endlessUpload(url: string, cookie: string): Promise<number> {
  const { hostname, port } = new URL(url);
  const conn = await Deno.connect({ hostname, port: Number(port) });
  const encoder = new TextEncoder();
  const write = async (bytes: Uint8Array) => {
    for (let at = 0; at < bytes.length;) {
      at += await conn.write(bytes.subarray(at));
    }
  };
  const chunk = (bytes: Uint8Array) =>
    new Uint8Array([
      ...encoder.encode(`${bytes.length.toString(16)}\r\n`),
      ...bytes,
      ...encoder.encode("\r\n"),
    ]);
  let answer = "";
  const reading = (async () => {
    const buffer = new Uint8Array(4096);
    for (;;) {
      const n = await conn.read(buffer).catch(() => null);
      if (n === null) return;
      answer += new TextDecoder().decode(buffer.subarray(0, n));
      if (answer.includes("\r\n\r\n")) return;
    }
  })();
  try {
    await write(encoder.encode(
      `POST /api/files HTTP/1.1\r\nHost: ${hostname}:${port}\r\n` +
        `Origin: ${url}\r\nCookie: ${cookie}\r\n` +
        "Content-Type: multipart/form-data; boundary=XyZ\r\n" +
        "Transfer-Encoding: chunked\r\n\r\n",
    ));
    await write(chunk(encoder.encode(
      '--XyZ\r\nContent-Disposition: form-data; name="file"; filename="x"\r\n' +
        "Content-Type: application/octet-stream\r\n\r\n",
    )));
    const block = chunk(new Uint8Array(64 * 1024));
    const answered = reading.then(() => "answered" as const);
    for (let sent = 0; sent < 100 * 1024 * 1024 && answer === "";) {
      // A server that stops reading leaves a write waiting: its answer ends
      // the wait.
      const wrote = await Promise.race([
        write(block).then(() => "wrote" as const, () => "closed" as const),
        answered,
      ]);
      if (wrote !== "wrote") break;
      sent += 64 * 1024;
    }
    await reading;
  } finally {
    conn.close();
  }
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);
}

Deno.test(
  "uploads: each upload costs at least a hundredth of a full-size file, so a burst of empty files meets 429 rate_limited: 200 of them fit a budget of 3 files",
  () =>
    withServer(async (server) => {
      const alice = await member(server, "alice");
      try {
        // Refilling a file an hour: the burst alone is measured. A whole
        // file is held while one is received, so 2 of the 3 files' budget
        // go to empty ones, a hundredth each.
        let accepted = 0;
        let refused: Awaited<ReturnType<typeof upload>> | undefined;
        while (!refused && accepted < 400) {
          const up = await upload(
            server,
            alice.cookie,
            new File([], `e${accepted}.bin`),
          );
          if (up.status === 201) accepted++;
          else refused = up;
        }
        assert.ok(accepted >= 199 && accepted <= 205, `${accepted} accepted`);
        assert.equal(refused?.status, 429);
        assert.equal(refused?.body.error, "rate_limited");
      } finally {
        await alice.client.close();
      }
    }, {
      rateLimits: {
        ...DEFAULT_RATE_LIMITS,
        perUploader: { burst: 3, perSecond: 1 / 3600 },
      },
    }),
);

Deno.test(
  "uploads: an account uploads 30 files of the largest size at once, then gets 429 rate_limited with Retry-After; smaller files cost their share, other accounts are not held up",
  () =>
    withServer(async (server) => {
      const alice = await member(server, "alice");
      const bob = await member(server, "bob");
      try {
        const file = (i: number, size: number) => {
          const bytes = new Uint8Array(size);
          bytes[0] = i;
          return new File([bytes], `f${i}.bin`);
        };
        // Half the largest size: 30 full files' budget holds 59 of them.
        for (let i = 0; i < 40; i++) {
          await uploaded(server, alice.cookie, file(i, 512));
        }
        for (let i = 0; i < 10; i++) {
          await uploaded(server, bob.cookie, file(i, 1024));
        }
        let accepted = 0;
        let refused: Awaited<ReturnType<typeof upload>> | undefined;
        while (!refused && accepted < 100) {
          const up = await upload(server, alice.cookie, file(accepted, 1024));
          if (up.status === 201) accepted++;
          else refused = up;
        }
        // 40 halves took 20 files of the 30; ten more whole ones fit.
        assert.equal(accepted, 10);
        assert.equal(refused?.status, 429);
        assert.equal(refused?.body.error, "rate_limited");
        const wait = (refused?.body as { retry_after_ms?: number })
          .retry_after_ms;
        assert.ok(wait! > 0 && wait! <= 60_000, `retry_after_ms ${wait}`);
        const form = new FormData();
        form.append("file", file(100, 1024));
        const again = await fetch(`${server.url}/api/files`, {
          method: "POST",
          body: form,
          headers: { cookie: alice.cookie, origin: server.url },
        });
        await again.body?.cancel();
        assert.equal(again.status, 429);
        assert.ok(Number(again.headers.get("retry-after")) >= 1);
        await uploaded(server, bob.cookie, file(99, 1024));
      } finally {
        await alice.client.close();
        await bob.client.close();
      }
    }, { maxFileBytes: 1024 }),
);

Deno.test(
  "uploads: every login reply carries --max-file-bytes as limits.max_file_bytes, so a client refuses a larger file before sending it",
  () =>
    withServer(async (server) => {
      const alice = await member(server, "alice");
      const guest = await TestClient.login(server.wsUrl, "dan");
      try {
        for (const client of [alice.client, guest]) {
          const reply = client.received.find((f) =>
            f.action === "success" && f.data.request === "login"
          );
          assert.deepEqual(reply?.data.limits, { max_file_bytes: 1536 });
        }
        // The figure is the one uploads are held to.
        const over = await upload(
          server,
          alice.cookie,
          new File([new Uint8Array(1537)], "over.bin"),
        );
        assert.equal(over.status, 413);
        await uploaded(
          server,
          alice.cookie,
          new File([new Uint8Array(1536)], "at.bin"),
        );
      } finally {
        await alice.client.close();
        await guest.close();
      }
    }, { maxFileBytes: 1536 }),
);

/** CPU time a process has used so far, user and system, in ms (Linux). */
async function cpuMs(pid: number): Promise<number> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
  // Fields after the command's closing parenthesis; utime and stime are
  // the 12th and 13th of them, in clock ticks (100 a second on Linux).
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

Deno.test({
  name:
    "uploads: WebPs of 1,310,000 empty frames have their frames counted for about the CPU any file of their size costs",
  ignore: Deno.build.os !== "linux",
  fn: () =>
    withUploader(async (pid, send) => {
      // 10 MiB, the default --max-file-bytes, in chunks of 8 bytes.
      const webp = webpOfFrames(1_310_000, 10, 10);
      const cpuOf = async (bytes: Uint8Array<ArrayBuffer>) => {
        const before = await cpuMs(pid);
        for (let i = 1; i <= 4; i++) {
          const copy = bytes.slice();
          copy[28] = i; // four different files (the height's top byte)
          const up = await send(copy);
          if (bytes === webp) assert.equal(up.frames, 1_310_000);
        }
        return await cpuMs(pid) - before;
      };
      const plain = await cpuOf(new Uint8Array(webp.length));
      const animated = await cpuOf(webp);
      // A string made of each chunk's name cost 330 ms of CPU per such WebP
      // more than a plain file (4: 1,690 to 1,790 ms against 360), all of
      // it on the event loop; compared as a number, nothing more. CPU time,
      // not a clock: a busy machine slows both kinds the same.
      assert.ok(
        animated < 2 * plain + 500,
        `4 WebPs took ${animated} ms of CPU, 4 plain files ${plain} ms`,
      );
    }),
});
