/**
 * Profile pictures: `PUT` and `DELETE /api/me/avatar`, `GET
 * /avatars/:name`, the `avatar_updated` event and the login's `avatar`,
 * through a real server, on SQLite and, when PostgreSQL is installed, on a
 * database of its own.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { DEFAULT_RATE_LIMITS, NO_RATE_LIMITS } from "../server/rate_limit.ts";
import { bothStores } from "./both_stores.ts";
import {
  gifOfFrames,
  jpegBehindFill,
  member,
  PNG,
  pngOfSize,
  type ServerAddress,
  webpOfFrames,
} from "./file_helpers.ts";
import {
  PATIENT_WAIT_MS,
  roundTrip,
  TestClient,
  withServer,
} from "./harness.ts";
import { AVATARS_MIGRATION } from "./store_contract/support.ts";
import { withUpgradedServer } from "./upgraded_server.ts";

const stores = await bothStores();

/** PUTs `bytes` as a profile picture; the status and the JSON body. */
async function putAvatar(
  server: ServerAddress,
  bytes: Uint8Array<ArrayBuffer>,
  headers: Record<string, string>,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${server.url}/api/me/avatar`, {
    method: "PUT",
    headers: { origin: server.url, "content-type": "image/png", ...headers },
    body: bytes,
  });
  return { status: res.status, body: await res.json() };
}

/** GETs an account's picture: the status, headers and bytes. */
async function getAvatar(
  server: ServerAddress,
  name: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; bytes: Uint8Array }> {
  const res = await fetch(`${server.url}/avatars/${name}`, { headers });
  return {
    status: res.status,
    headers: res.headers,
    bytes: new Uint8Array(await res.arrayBuffer()),
  };
}

/** The `avatar` of a client's login reply. */
function loginAvatar(client: TestClient): unknown {
  return client.received.find((f) => f.data.request === "login")!.data.avatar;
}

const sha256 = (bytes: Uint8Array) =>
  createHash("sha256").update(bytes).digest("hex");

stores.test(
  "a profile picture is set, served to anyone with a validator, replaced and removed; every other connection hears each change and a later login carries it",
  async (server) => {
    const ann = await member(server, "ann");
    const ben = await member(server, "ben");
    try {
      assert.equal(loginAvatar(ann.client), null);
      assert.equal((await getAvatar(server, "ann")).status, 404);

      const set = await putAvatar(server, PNG, { cookie: ann.cookie });
      assert.equal(set.status, 200);
      const version = set.body.avatar as string;
      assert.match(version, /^[0-9a-f]{16}$/);
      const heard = await ben.client.event(
        "avatar_updated",
        (d) => d.user === "ann",
      );
      assert.deepEqual(heard.data, { user: "ann", version });

      const own = await fetch(`${server.url}/api/me/avatar`, {
        headers: { cookie: ann.cookie },
      });
      assert.deepEqual(await own.json(), { avatar: version });

      // Anyone, no session needed, by any spelling of the name.
      const got = await getAvatar(server, "ANN");
      assert.equal(got.status, 200);
      assert.deepEqual(got.bytes, PNG);
      assert.equal(got.headers.get("content-type"), "image/png");
      assert.equal(got.headers.get("x-content-type-options"), "nosniff");
      assert.match(got.headers.get("content-security-policy")!, /sandbox/);
      assert.equal(
        got.headers.get("cross-origin-resource-policy"),
        "same-origin",
      );
      assert.match(got.headers.get("cache-control")!, /max-age=60/);
      const etag = got.headers.get("etag")!;
      assert.equal(etag, `"${version}"`);
      const again = await getAvatar(server, "ann", { "if-none-match": etag });
      assert.equal(again.status, 304);

      // No message carries it, and it stays however old.
      await server.node.store.sweepUploads(Date.now() + 86_400_000);
      await server.node.files.sweep();
      assert.deepEqual((await getAvatar(server, "ann")).bytes, PNG);

      const later = await TestClient.loginWith(server.wsUrl, {}, {
        headers: { cookie: ann.cookie },
      });
      assert.equal(loginAvatar(later), version);
      await later.close();

      // Replaced: the new bytes, a new version, the old bytes forgotten.
      const wide = pngOfSize(64, 32);
      const replaced = await putAvatar(server, wide, { cookie: ann.cookie });
      assert.equal(replaced.status, 200);
      assert.notEqual(replaced.body.avatar, version);
      await ben.client.event(
        "avatar_updated",
        (d) => d.version === replaced.body.avatar,
      );
      assert.deepEqual((await getAvatar(server, "ann")).bytes, wide);
      await server.node.files.sweep();
      assert.equal(await server.node.store.hashInUse(sha256(PNG)), false);

      const removed = await fetch(`${server.url}/api/me/avatar`, {
        method: "DELETE",
        headers: { origin: server.url, cookie: ann.cookie },
      });
      assert.equal(removed.status, 204);
      await ben.client.event(
        "avatar_updated",
        (d) => d.user === "ann" && d.version === null,
      );
      assert.equal((await getAvatar(server, "ann")).status, 404);
      await server.node.files.sweep();
      assert.equal(await server.node.store.hashInUse(sha256(wide)), false);
    } finally {
      await ann.client.close();
      await ben.client.close();
    }
  },
  { rateLimits: NO_RATE_LIMITS },
);

stores.test(
  "a profile picture is refused when it is SVG, no image, over 1 MiB or over 1024 px, without a session, from another site, or changed too often; nothing changes",
  async (server) => {
    const ann = await member(server, "ann");
    try {
      const svg = new TextEncoder().encode(
        '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
      );
      const cases: [
        Uint8Array<ArrayBuffer>,
        Record<string, string>,
        number,
        string,
      ][] = [
        [svg, { "content-type": "image/svg+xml" }, 415, "not_an_image"],
        [svg, {}, 415, "not_an_image"],
        [new TextEncoder().encode("<html>hi</html>"), {}, 415, "not_an_image"],
        [PNG, { "content-type": "text/html" }, 415, "not_an_image"],
        [new Uint8Array(0), {}, 415, "not_an_image"],
        [new Uint8Array(1024 * 1024 + 1), {}, 413, "invalid_message"],
        [pngOfSize(1025, 10), {}, 400, "invalid_message"],
      ];
      for (const [bytes, headers, status, error] of cases) {
        const refused = await putAvatar(server, bytes, {
          cookie: ann.cookie,
          ...headers,
        });
        assert.deepEqual([refused.status, refused.body.error], [status, error]);
      }
      // No session (a guest has none), and a page of another site.
      const anonymous = await putAvatar(server, PNG, {});
      assert.deepEqual([anonymous.status, anonymous.body.error], [
        401,
        "bad_credentials",
      ]);
      const forged = await putAvatar(server, PNG, {
        cookie: ann.cookie,
        origin: "https://evil.example",
      });
      assert.equal(forged.status, 403);
      const forgedDelete = await fetch(`${server.url}/api/me/avatar`, {
        method: "DELETE",
        headers: { origin: "https://evil.example", cookie: ann.cookie },
      });
      await forgedDelete.body?.cancel();
      assert.equal(forgedDelete.status, 403);
      assert.equal((await getAvatar(server, "ann")).status, 404);

      // Ten changes at once, then one a minute: the four refused after
      // the pace was taken (their bytes read) spent theirs.
      const statuses: number[] = [];
      for (let i = 1; i <= 8; i++) {
        const put = await putAvatar(server, pngOfSize(i, 1), {
          cookie: ann.cookie,
        });
        statuses.push(put.status);
        if (put.status === 429) assert.equal(put.body.error, "rate_limited");
      }
      assert.deepEqual(statuses, [200, 200, 200, 200, 200, 200, 429, 429]);
      assert.deepEqual(
        (await getAvatar(server, "ann")).bytes,
        pngOfSize(6, 1),
      );
    } finally {
      await ann.client.close();
    }
  },
  { rateLimits: DEFAULT_RATE_LIMITS },
);

stores.test(
  "an animated profile picture past the preview cap on all frames (100 megapixels) is refused, as GIF or WebP; one at the cap is taken",
  async (server) => {
    const ann = await member(server, "ann");
    try {
      for (
        const past of [
          gifOfFrames(101, 1000, 1000),
          webpOfFrames(101, 1000, 1000),
        ]
      ) {
        const refused = await putAvatar(server, past, { cookie: ann.cookie });
        assert.deepEqual([refused.status, refused.body.error], [
          400,
          "invalid_message",
        ]);
      }
      assert.equal((await getAvatar(server, "ann")).status, 404);
      const taken = await putAvatar(server, gifOfFrames(100, 1000, 1000), {
        cookie: ann.cookie,
      });
      assert.equal(taken.status, 200);
      assert.equal((await getAvatar(server, "ann")).status, 200);
    } finally {
      await ann.client.close();
    }
  },
);

stores.test(
  "an account deleted takes its profile picture with it: it is no longer served, every connection hears it removed, and its bytes go",
  async (server) => {
    const root = await member(server, "root");
    const ann = await member(server, "ann");
    try {
      const bytes = pngOfSize(7, 7);
      assert.equal(
        (await putAvatar(server, bytes, { cookie: ann.cookie })).status,
        200,
      );
      await root.client.event("avatar_updated", (d) => d.user === "ann");
      await root.client.ok("delete_account", { user: "ann", messages: "keep" });
      await root.client.event(
        "avatar_updated",
        (d) => d.user === "ann" && d.version === null,
      );
      assert.equal((await getAvatar(server, "ann")).status, 404);
      await server.node.files.sweep();
      assert.equal(await server.node.store.hashInUse(sha256(bytes)), false);
    } finally {
      await root.client.close();
      await ann.client.close();
    }
  },
  { rateLimits: NO_RATE_LIMITS },
);

stores.test(
  "a GIF, WebP or JPEG is taken as a PNG is, and served as the type its bytes say whatever the Content-Type claimed",
  async (server) => {
    const ann = await member(server, "ann");
    try {
      const cases: [Uint8Array<ArrayBuffer>, string, string][] = [
        [gifOfFrames(2, 8, 8), "image/gif", "image/gif"],
        [webpOfFrames(2, 8, 8), "image/webp", "image/webp"],
        [jpegBehindFill(8, 8), "image/jpeg", "image/jpeg"],
        [PNG, "image/jpeg", "image/png"],
      ];
      for (const [bytes, claimed, served] of cases) {
        const put = await putAvatar(server, bytes, {
          cookie: ann.cookie,
          "content-type": claimed,
        });
        assert.equal(put.status, 200, JSON.stringify(put.body));
        const got = await getAvatar(server, "ann");
        assert.equal(got.headers.get("content-type"), served);
        assert.deepEqual(got.bytes, bytes);
      }
    } finally {
      await ann.client.close();
    }
  },
  { rateLimits: NO_RATE_LIMITS },
);

stores.test(
  "a picture whose account is deleted while its body arrives is refused, and the name's next holder has none",
  async (server) => {
    const root = await member(server, "root");
    const ann = await member(server, "ann");
    let next: Awaited<ReturnType<typeof member>> | undefined;
    // Told when the PUT's session has been read: the account it names is
    // then the one deleted below, whatever the body does after.
    const accounts = server.node.accounts;
    const resumed = Promise.withResolvers<void>();
    const resume = accounts.resume.bind(accounts);
    accounts.resume = async (token) => {
      const found = await resume(token);
      resumed.resolve();
      return found;
    };
    // By hand, with its length as a browser sends it (fetch would send a
    // stream chunked), its body held back after its first bytes.
    const { hostname, port } = new URL(server.url);
    const socket = await Deno.connect({ hostname, port: Number(port) });
    const encoder = new TextEncoder();
    try {
      await socket.write(encoder.encode(
        `PUT /api/me/avatar HTTP/1.1\r\nhost: ${hostname}:${port}\r\n` +
          `origin: ${server.url}\r\ncookie: ${ann.cookie}\r\n` +
          `content-type: image/png\r\ncontent-length: ${PNG.length}\r\n` +
          `connection: close\r\n\r\n`,
      ));
      await socket.write(PNG.subarray(0, 8));
      await resumed.promise;
      await root.client.ok("delete_account", { user: "ann", messages: "keep" });
      await new Promise((resolve) => setTimeout(resolve, 2));
      next = await member(server, "ann");
      await socket.write(PNG.subarray(8));
      const answer = new TextDecoder().decode(
        await new Response(socket.readable).arrayBuffer(),
      );
      assert.match(answer, /^HTTP\/1\.1 401 /);
      assert.match(answer, /"error":"bad_credentials"/);
      assert.equal((await getAvatar(server, "ann")).status, 404);
      assert.equal(await server.node.store.findAvatar("ann"), undefined);
    } finally {
      try {
        socket.close();
      } catch {
        // Closed with its readable, once the answer was read.
      }
      await root.client.close();
      await ann.client.close();
      await next?.client.close();
    }
  },
  { rateLimits: NO_RATE_LIMITS },
);

stores.test(
  "list_users carries the picture's version of each listed member that has one (avatars, by name), and no field for a list with none",
  async (server) => {
    const ann = await member(server, "ann");
    const ben = await member(server, "ben");
    try {
      const bare = await ben.client.ok("list_users", { room: "general" });
      assert.equal("avatars" in bare, false);
      const set = await putAvatar(server, PNG, { cookie: ann.cookie });
      assert.equal(set.status, 200);
      const listed = await ben.client.ok("list_users", { room: "general" });
      assert.deepEqual((listed.users as string[]).toSorted(), ["ann", "ben"]);
      assert.deepEqual(listed.avatars, { ann: set.body.avatar });
    } finally {
      await ann.client.close();
      await ben.client.close();
    }
  },
);

stores.test(
  "find_people gives the picture's version of a person who has one (avatar), and none for another",
  async (server) => {
    const ann = await member(server, "anna");
    const anne = await member(server, "anne");
    const ben = await member(server, "ben");
    try {
      const set = await putAvatar(server, PNG, { cookie: ann.cookie });
      assert.equal(set.status, 200);
      const found = await ben.client.ok("find_people", { query: "ann" });
      assert.deepEqual(found.people, [
        { username: "anna", online: true, avatar: set.body.avatar },
        { username: "anne", online: true },
      ]);
    } finally {
      await ann.client.close();
      await anne.client.close();
      await ben.client.close();
    }
  },
);

stores.test(
  "list_conversations gives the other side's picture version (avatar) of a conversation with one who has one, and none for another",
  async (server) => {
    const ann = await member(server, "ann");
    const ben = await member(server, "ben");
    const cat = await member(server, "cat");
    try {
      const set = await putAvatar(server, PNG, { cookie: ann.cookie });
      assert.equal(set.status, 200);
      await ann.client.ok("private_message", { to: "cat", text: "hi" });
      await ben.client.ok("private_message", { to: "cat", text: "yo" });
      const listed = await cat.client.ok("list_conversations");
      const pick = (c: Record<string, unknown>) => [c.with, c.avatar];
      assert.deepEqual(
        (listed.conversations as Record<string, unknown>[]).map(pick),
        [["ben", undefined], ["ann", set.body.avatar]],
      );
    } finally {
      await ann.client.close();
      await ben.client.close();
      await cat.client.close();
    }
  },
);

Deno.test("a chunked profile picture without a session is answered 401 before its body ends: none is read for nobody", async () => {
  await withServer(async (server) => {
    const { hostname, port } = new URL(server.url);
    const socket = await Deno.connect({ hostname, port: Number(port) });
    try {
      await socket.write(new TextEncoder().encode(
        `PUT /api/me/avatar HTTP/1.1\r\nhost: ${hostname}:${port}\r\n` +
          `origin: ${server.url}\r\ncontent-type: image/png\r\n` +
          `transfer-encoding: chunked\r\n\r\n8\r\n`,
      ));
      await socket.write(PNG.subarray(0, 8));
      await socket.write(new TextEncoder().encode("\r\n"));
      // The body never ends: only an answer that does not wait for it
      // comes (the deadline, generous, only bounds a failure).
      let answer = "";
      const chunk = new Uint8Array(4096);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<null>((resolve) => {
        timer = setTimeout(() => resolve(null), PATIENT_WAIT_MS);
      });
      try {
        while (!answer.includes("\r\n\r\n")) {
          const read = await Promise.race([socket.read(chunk), late]);
          if (read === null) break;
          answer += new TextDecoder().decode(chunk.subarray(0, read));
        }
      } finally {
        clearTimeout(timer);
      }
      assert.match(answer, /^HTTP\/1\.1 401 /);
      // The server, having answered, drains what is left of the body for
      // at most 500 ms (@hono/node-server), then closes the connection:
      // waited for, so that its timer is done when the test ends.
      while (await socket.read(chunk) !== null) {
        // Nothing more comes.
      }
    } finally {
      socket.close();
    }
  });
});

Deno.test("a profile picture that would eat into the disk reserve gets 507 insufficient_storage, and nothing changes", async () => {
  await withServer(async (server) => {
    const ann = await member(server, "ann");
    try {
      const refused = await putAvatar(server, PNG, { cookie: ann.cookie });
      assert.deepEqual([refused.status, refused.body.error], [
        507,
        "insufficient_storage",
      ]);
      assert.equal((await getAvatar(server, "ann")).status, 404);
      assert.equal(await server.node.store.uploadedBytes("ann"), 0);
    } finally {
      await ann.client.close();
    }
  }, { diskReserveBytes: 2 ** 52 });
});

Deno.test("a profile picture whose bytes cannot be written gets an error, and the picture it was to replace stays, served as before, with no avatar_updated", async () => {
  const filesDir = await Deno.makeTempDir({ prefix: "chat-test-avatars-" });
  try {
    await withServer(async (server) => {
      const ann = await member(server, "ann");
      const ben = await member(server, "ben");
      try {
        const set = await putAvatar(server, PNG, { cookie: ann.cookie });
        assert.equal(set.status, 200);
        await ben.client.event(
          "avatar_updated",
          (d) => d.version === set.body.avatar,
        );
        // A file where the new bytes' folder goes: their write fails.
        const wide = pngOfSize(64, 32);
        const folder = sha256(wide).slice(0, 2);
        assert.notEqual(folder, sha256(PNG).slice(0, 2));
        await Deno.writeFile(join(filesDir, folder), new Uint8Array());
        const failed = await putAvatar(server, wide, { cookie: ann.cookie });
        assert.deepEqual([failed.status, failed.body.error], [500, "internal"]);

        const kept = await getAvatar(server, "ann");
        assert.equal(kept.status, 200);
        assert.deepEqual(kept.bytes, PNG);
        assert.equal(kept.headers.get("etag"), `"${set.body.avatar}"`);
        await roundTrip(ben.client);
        assert.deepEqual(
          ben.client.events("avatar_updated").map((f) => f.data.version),
          [set.body.avatar],
        );
        // Nothing of the failed one is kept.
        await server.node.files.sweep();
        assert.equal(await server.node.store.hashInUse(sha256(wide)), false);
        assert.equal(await server.node.store.hashInUse(sha256(PNG)), true);
      } finally {
        await ann.client.close();
        await ben.client.close();
      }
    }, { filesDir });
  } finally {
    await Deno.remove(filesDir, { recursive: true });
  }
});

stores.database(
  "upgrading: an account of a server of before has no profile picture after the first start, and may set one",
  (options) =>
    withUpgradedServer({
      options,
      async setUp(pool) {
        await pool.register("ann");
      },
      old: {
        marker: AVATARS_MIGRATION,
        postgres: () => Promise.resolve(),
        sqlite: () => {},
      },
    }, async (server) => {
      // The rewind dropped the table: the migration made it again.
      const store = server.node.store;
      assert.equal(await store.findAvatar("ann"), undefined);
      const picture = {
        id: "a1".repeat(16),
        hash: sha256(PNG),
        name: "avatar",
        type: "image/png",
        size: PNG.length,
        uploader: "ann",
        width: 1,
        height: 1,
        createdAt: Date.now(),
      };
      assert.equal(await store.setAvatar("ann", picture), true);
      assert.deepEqual(await store.findAvatar("ann"), picture);
    }),
);

stores.finish();
