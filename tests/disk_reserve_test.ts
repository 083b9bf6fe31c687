/**
 * The disk reserve (`--disk-reserve`, server/disk_reserve.ts): an upload
 * that would leave less than the reserve free on the files folder's file
 * system gets 507 `insufficient_storage` before its body is read, and
 * nothing is kept; uploads under way count for what they may still write.
 * The tests read this disk's real free space and keep wide margins (at
 * least 256 MiB each way), since other programs write to it meanwhile.
 */
import assert from "node:assert/strict";
import { statfs } from "node:fs/promises";
import { filesUnder, member, PNG, upload } from "./file_helpers.ts";
import {
  eventually,
  spawnServer,
  type TestServer,
  withServer,
} from "./harness.ts";
import { DEFAULT_RATE_LIMITS } from "../server/rate_limit.ts";

const MiB = 1024 * 1024;

/** Bytes free where the test servers keep their files (the temp folder). */
async function freeBytes(): Promise<number> {
  const { bavail, bsize } = await statfs(Deno.env.get("TMPDIR") || "/tmp");
  return bavail * bsize;
}

/** An upload over a raw connection: its answer, and a way to drop it. */
interface RawUpload {
  /** The status and JSON body the server answers with. */
  answer: Promise<{ status: number; body: { error?: string } }>;
  /** Resolves once the server has closed the connection. */
  closedByServer: Promise<void>;
  /** Closes the connection (an upload cut off mid-way). */
  close(): void;
}

/**
 * Starts `POST /api/files` with `length` as its Content-Length (or
 * chunked, with none) and sends only the start of a file part and
 * `sent` bytes of it: the server may answer before the body, or wait.
 */
async function startUpload(
  server: TestServer,
  cookie: string,
  options: { length?: number; sent: number },
): Promise<RawUpload> {
  const { hostname, port } = new URL(server.url);
  const conn = await Deno.connect({ hostname, port: Number(port) });
  const encoder = new TextEncoder();
  const head = encoder.encode(
    '--XyZ\r\nContent-Disposition: form-data; name="file"; filename="x"\r\n' +
      "Content-Type: application/octet-stream\r\n\r\n",
  );
  const part = new Uint8Array([...head, ...new Uint8Array(options.sent)]);
  const framing = options.length === undefined
    ? "Transfer-Encoding: chunked\r\n"
    : `Content-Length: ${options.length}\r\n`;
  const request = new Uint8Array([
    ...encoder.encode(
      `POST /api/files HTTP/1.1\r\nHost: ${hostname}:${port}\r\n` +
        `Origin: ${server.url}\r\nCookie: ${cookie}\r\n` +
        `Content-Type: multipart/form-data; boundary=XyZ\r\n${framing}\r\n`,
    ),
    ...(options.length === undefined
      ? encoder.encode(`${part.length.toString(16)}\r\n`)
      : []),
    ...part,
  ]);
  for (let at = 0; at < request.length;) {
    at += await conn.write(request.subarray(at));
  }
  const answer = (async () => {
    let text = "";
    const buffer = new Uint8Array(4096);
    for (;;) {
      const [header, rest] = text.split("\r\n\r\n", 2);
      const length = /content-length: (\d+)/i.exec(header)?.[1];
      if (length !== undefined && rest.length >= Number(length)) {
        return {
          status: Number(/^HTTP\/1\.1 (\d{3})/.exec(header)?.[1]),
          body: JSON.parse(rest.slice(0, Number(length))),
        };
      }
      const n = await conn.read(buffer).catch(() => null);
      if (n === null) throw new Error(`no answer before the body: ${text}`);
      text += new TextDecoder().decode(buffer.subarray(0, n));
    }
  })();
  // An upload dropped unanswered (close) has no answer to wait for.
  answer.catch(() => {});
  const closedByServer = answer.then(async () => {
    const buffer = new Uint8Array(4096);
    while (await conn.read(buffer).catch(() => null) !== null) {
      // Nothing more is expected.
    }
  }, () => {});
  let closed = false;
  return {
    answer,
    closedByServer,
    close() {
      if (!closed) conn.close();
      closed = true;
    },
  };
}

/**
 * Sends the start of an upload and returns the server's answer, once the
 * server has closed the connection: having answered before the body, it
 * reads what may follow for a while (@hono/node-server, 500 ms), then
 * drops it.
 */
async function answerTo(
  server: TestServer,
  cookie: string,
  options: { length?: number; sent: number },
) {
  const started = await startUpload(server, cookie, options);
  // A server that waits for the body never answers: a minute, far above
  // the milliseconds an answer takes, says so rather than hanging.
  const timer = setTimeout(() => started.close(), 60_000);
  try {
    const answer = await started.answer;
    clearTimeout(timer);
    await started.closedByServer;
    return answer;
  } finally {
    clearTimeout(timer);
    started.close();
  }
}

async function stagedFiles(server: TestServer): Promise<string[]> {
  return await filesUnder(`${server.dir}/files/.staging`);
}

Deno.test("disk reserve: above the disk's free space every upload gets 507 insufficient_storage, nothing is kept or counted, and sends still work; with 0 the same upload is kept", async () => {
  const dot = new File([PNG], "dot.png", { type: "image/png" });
  await withServer(async (server) => {
    const alice = await member(server, "alice");
    try {
      const refused = await upload(server, alice.cookie, dot);
      assert.equal(refused.status, 507, JSON.stringify(refused.body));
      assert.equal(refused.body.error, "insufficient_storage");
      const empty = await upload(server, alice.cookie, new File([], "e.txt"));
      assert.equal(empty.status, 507, JSON.stringify(empty.body));
      assert.deepEqual(await filesUnder(`${server.dir}/files`), []);
      assert.equal(await server.node.store.uploadedBytes("alice"), 0);
      // The chat itself is what the reserve is for.
      await alice.client.ok("send_message", { text: "still here" });
    } finally {
      await alice.client.close();
    }
  }, { diskReserveBytes: 2 ** 52 });
  await withServer(async (server) => {
    const alice = await member(server, "alice");
    try {
      const kept = await upload(server, alice.cookie, dot);
      assert.equal(kept.status, 201, JSON.stringify(kept.body));
      assert.equal(await server.node.store.uploadedBytes("alice"), PNG.length);
    } finally {
      await alice.client.close();
    }
  }, { diskReserveBytes: 0 });
});

Deno.test("disk reserve: just under the free space, an upload whose declared length, or a body sent without one, could cross it gets 507 before its body is read; a small one is kept", async () => {
  // 256 MiB above the reserve: a 1 GiB file cannot fit, a PNG can.
  const reserve = await freeBytes() - 256 * MiB;
  await withServer(async (server) => {
    const alice = await member(server, "alice");
    try {
      const declared = await answerTo(server, alice.cookie, {
        length: 1024 * MiB,
        sent: 0,
      });
      assert.equal(declared.status, 507, JSON.stringify(declared.body));
      assert.equal(declared.body.error, "insufficient_storage");
      // No length: counted at the largest file, 1 GiB here.
      const chunked = await answerTo(server, alice.cookie, { sent: 0 });
      assert.equal(chunked.status, 507, JSON.stringify(chunked.body));
      assert.equal(chunked.body.error, "insufficient_storage");
      assert.deepEqual(await filesUnder(`${server.dir}/files`), []);

      const small = await upload(
        server,
        alice.cookie,
        new File([PNG], "dot.png", { type: "image/png" }),
      );
      assert.equal(small.status, 201, JSON.stringify(small.body));
    } finally {
      await alice.client.close();
    }
  }, { diskReserveBytes: reserve, maxFileBytes: 1024 * MiB });
});

Deno.test("disk reserve: an upload under way holds its space, so a second that would cross the reserve with it gets 507 until the first is dropped", async () => {
  // Room above the reserve for one 512 MiB file, with 256 MiB to spare,
  // not for two.
  const reserve = await freeBytes() - 768 * MiB;
  await withServer(async (server) => {
    const alice = await member(server, "alice");
    const first = await startUpload(server, alice.cookie, {
      length: 512 * MiB,
      sent: 64 * 1024,
    });
    try {
      // Staged: its space is claimed (the claim comes before the file).
      await eventually(async () =>
        assert.equal((await stagedFiles(server)).length, 1)
      );
      const second = await answerTo(server, alice.cookie, {
        length: 512 * MiB,
        sent: 0,
      });
      assert.equal(second.status, 507, JSON.stringify(second.body));
      assert.equal(second.body.error, "insufficient_storage");

      first.close();
      await eventually(async () =>
        assert.deepEqual(await stagedFiles(server), [])
      );
      // Past the reserve now; a length over the largest file then meets
      // the size limit, answered before the body too.
      await eventually(async () => {
        const third = await answerTo(server, alice.cookie, {
          length: 600 * MiB,
          sent: 0,
        });
        assert.equal(third.status, 413, JSON.stringify(third.body));
      });
    } finally {
      first.close();
      await alice.client.close();
    }
  }, { diskReserveBytes: reserve, maxFileBytes: 512 * MiB });
});

Deno.test("disk reserve: an upload cut off after its space was set aside costs the account that share of its pace, so stalled uploads cannot keep the reserve taken for ever", async () => {
  // Three full-size files' budget, refilled once an hour: measured whole.
  await withServer(async (server) => {
    const alice = await member(server, "alice");
    try {
      for (let i = 0; i < 3; i++) {
        // Declares a whole file, sends a little and stops: what an account
        // holding space without writing it does (the server drops it at
        // its request timeout, 300 s; closing here is the same exit).
        const stalled = await startUpload(server, alice.cookie, {
          length: MiB,
          sent: 1024,
        });
        await eventually(async () =>
          assert.equal((await stagedFiles(server)).length, 1)
        );
        stalled.close();
        await eventually(async () =>
          assert.deepEqual(await stagedFiles(server), [])
        );
      }
      // Each held a whole file's space: the budget is spent, where a
      // hundredth each left it almost whole (an account could hold 30
      // files' space, then 30 again as each timed out, without end).
      const refused = await upload(
        server,
        alice.cookie,
        new File([PNG], "dot.png", { type: "image/png" }),
      );
      assert.equal(refused.status, 429, JSON.stringify(refused.body));
      assert.equal(refused.body.error, "rate_limited");
    } finally {
      await alice.client.close();
    }
  }, {
    diskReserveBytes: MiB,
    maxFileBytes: MiB,
    rateLimits: {
      ...DEFAULT_RATE_LIMITS,
      perUploader: { burst: 3, perSecond: 1 / 3600 },
    },
  });
});

Deno.test("disk reserve: the operator's log says so at start when the disk already keeps less than the reserve, and at the first refused upload, not at each", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-reserve-log-" });
  // Far above any disk's free space: every upload is refused.
  const server = await spawnServer([
    "--db",
    `${dir}/chat.db`,
    "--disk-reserve",
    String(2 ** 52),
  ]);
  try {
    const alice = await member(server, "alice");
    try {
      for (let i = 0; i < 3; i++) {
        const refused = await upload(
          server,
          alice.cookie,
          new File([PNG], `dot${i}.png`, { type: "image/png" }),
        );
        assert.equal(refused.status, 507, JSON.stringify(refused.body));
      }
    } finally {
      await alice.client.close();
    }
  } finally {
    // Stopped, the process has written all it will: the counts are final.
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
  const output = server.output();
  const atStart = output.match(
    /The files folder's disk has \d+ bytes free, less than --disk-reserve keeps \(4503599627370496\): every upload will be refused/g,
  );
  assert.equal(atStart?.length, 1, output);
  const refusals = output.match(
    /Uploads refused \(507 insufficient_storage, 1 since the last such line\): the files folder's disk has \d+ bytes free and --disk-reserve keeps 4503599627370496/g,
  );
  assert.equal(refusals?.length, 1, output);
  assert.equal(output.match(/Uploads refused/g)?.length, 1, output);
});
