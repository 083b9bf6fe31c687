/**
 * Custom emoji: `PUT` and `DELETE /api/emoji/:name`, `GET /emoji/:name`,
 * `list_emoji`, `remove_emoji`, the `emoji_updated` event and `:name:`
 * reactions, through a real server, on SQLite and, when PostgreSQL is
 * installed, on a database of its own.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { DEFAULT_RATE_LIMITS, NO_RATE_LIMITS } from "../server/rate_limit.ts";
import { MAX_CUSTOM_EMOJI } from "../server/protocol/limits.ts";
import { bothStores } from "./both_stores.ts";
import {
  gifOfFrames,
  member,
  PNG,
  pngOfSize,
  type ServerAddress,
  upload,
} from "./file_helpers.ts";
import {
  clusterSkipReason,
  expectError,
  roundTrip,
  TEST_PASSWORD,
  TestClient,
  withCluster,
} from "./harness.ts";
import { CUSTOM_EMOJI_MIGRATION } from "./store_contract/support.ts";
import { withUpgradedServer } from "./upgraded_server.ts";

const stores = await bothStores();

/** PUTs `bytes` as the custom emoji `name`; the status and the JSON body. */
async function putEmoji(
  server: ServerAddress,
  name: string,
  bytes: Uint8Array<ArrayBuffer>,
  headers: Record<string, string>,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${server.url}/api/emoji/${name}`, {
    method: "PUT",
    headers: { origin: server.url, "content-type": "image/png", ...headers },
    body: bytes,
  });
  return { status: res.status, body: await res.json() };
}

/** DELETEs the custom emoji `name`; the status. */
async function deleteEmoji(
  server: ServerAddress,
  name: string,
  cookie: string,
): Promise<number> {
  const res = await fetch(`${server.url}/api/emoji/${name}`, {
    method: "DELETE",
    headers: { origin: server.url, cookie },
  });
  await res.body?.cancel();
  return res.status;
}

/** GETs a custom emoji's picture: the status, headers and bytes. */
async function getEmoji(
  server: ServerAddress,
  path: string,
): Promise<{ status: number; headers: Headers; bytes: Uint8Array }> {
  const res = await fetch(`${server.url}/emoji/${path}`);
  return {
    status: res.status,
    headers: res.headers,
    bytes: new Uint8Array(await res.arrayBuffer()),
  };
}

const sha256 = (bytes: Uint8Array) =>
  createHash("sha256").update(bytes).digest("hex");

stores.test(
  "a custom emoji is added, listed, served with its type, heard by every connection (a guest's too), used as a reaction, and removed by its author; its reaction stays as text",
  async (server) => {
    const ann = await member(server, "ann");
    const ben = await member(server, "ben");
    const guest = await TestClient.login(server.wsUrl, "visitor");
    try {
      const gif = gifOfFrames(3, 16, 16);
      const added = await putEmoji(server, "party_parrot", gif, {
        cookie: ann.cookie,
        "content-type": "image/gif",
      });
      assert.equal(added.status, 200, JSON.stringify(added.body));
      const emoji = added.body.emoji as Record<string, unknown>;
      assert.equal(emoji.name, "party_parrot");
      assert.equal(emoji.author, "ann");
      assert.match(emoji.version as string, /^[0-9a-f]{16}$/);
      for (const client of [ben.client, guest]) {
        const heard = await client.event(
          "emoji_updated",
          (d) => (d.added as { name?: string })?.name === "party_parrot",
        );
        assert.deepEqual(heard.data, { added: emoji });
      }
      assert.deepEqual((await guest.ok("list_emoji")).emoji, [emoji]);
      const one = await fetch(`${server.url}/api/emoji/party_parrot`);
      assert.deepEqual(await one.json(), { emoji });

      // Anyone, no session needed; its own type, animated as sent.
      const got = await getEmoji(server, `party_parrot?v=${emoji.version}`);
      assert.equal(got.status, 200);
      assert.deepEqual(got.bytes, gif);
      assert.equal(got.headers.get("content-type"), "image/gif");
      assert.equal(got.headers.get("x-content-type-options"), "nosniff");
      assert.match(got.headers.get("content-security-policy")!, /sandbox/);
      assert.match(got.headers.get("cache-control")!, /immutable/);
      // No message carries it, and it stays however old.
      await server.node.store.sweepUploads(Date.now() + 86_400_000);
      await server.node.files.sweep();
      assert.equal((await getEmoji(server, "party_parrot")).status, 200);
      // The built-in names' lists are still the static files'.
      const names = await fetch(`${server.url}/emoji/en.json`);
      assert.equal(names.status, 200);
      assert.ok(Array.isArray(await names.json()));

      const sent = await ben.client.ok("send_message", {
        text: "so :party_parrot:",
      });
      const id = (sent.message as { id: string }).id;
      // Stored as written.
      assert.equal(
        (sent.message as { text: string }).text,
        "so :party_parrot:",
      );
      const reacted = await ben.client.ok("react", {
        id,
        emoji: ":party_parrot:",
      });
      assert.deepEqual(
        (reacted.message as { reactions: { emoji: string }[] }).reactions
          .map((r) => r.emoji),
        [":party_parrot:"],
      );
      await expectError(
        ben.client,
        "react",
        { id, emoji: ":no_such_emoji:" },
        "invalid_message",
      );

      // Another account may not remove it; its author may.
      await expectError(
        ben.client,
        "remove_emoji",
        { name: "party_parrot" },
        "forbidden",
      );
      const removed = await ann.client.ok("remove_emoji", {
        name: "party_parrot",
      });
      assert.equal(removed.name, "party_parrot");
      await guest.event("emoji_updated", (d) => d.removed === "party_parrot");
      assert.equal((await getEmoji(server, "party_parrot")).status, 404);
      assert.deepEqual((await ben.client.ok("list_emoji")).emoji, []);
      await server.node.files.sweep();
      assert.equal(await server.node.store.hashInUse(sha256(gif)), false);
      await expectError(
        ann.client,
        "remove_emoji",
        { name: "party_parrot" },
        "emoji_not_found",
      );
      // Its reaction stays, and may be taken back, not given again.
      const page = await ben.client.ok("history", { room: "general" });
      const kept = (page.messages as { id: string; reactions?: unknown[] }[])
        .find((m) => m.id === id)!;
      assert.equal(
        (kept.reactions as { emoji: string }[])[0].emoji,
        ":party_parrot:",
      );
      await expectError(
        ann.client,
        "react",
        { id, emoji: ":party_parrot:" },
        "invalid_message",
      );
      await ben.client.ok("react", {
        id,
        emoji: ":party_parrot:",
        on: false,
      });
    } finally {
      await ann.client.close();
      await ben.client.close();
      await guest.close();
    }
  },
  { rateLimits: NO_RATE_LIMITS },
);

stores.test(
  "a custom emoji is refused with a bad name, a built-in shortcode's or a taken one (emoji_exists), as SVG, over 256 KiB or 512 px, without an account, or from another site; nothing is added or removed",
  async (server) => {
    const ann = await member(server, "ann");
    try {
      assert.equal(
        (await putEmoji(server, "taken", PNG, { cookie: ann.cookie })).status,
        200,
      );
      const svg = new TextEncoder().encode(
        '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
      );
      const cases: [
        string,
        Uint8Array<ArrayBuffer>,
        Record<string, string>,
        number,
        string,
      ][] = [
        ["Big", PNG, {}, 400, "invalid_message"],
        ["a".repeat(33), PNG, {}, 400, "invalid_message"],
        ["thumbsup", PNG, {}, 409, "emoji_exists"],
        ["+1", PNG, {}, 409, "emoji_exists"],
        // A French shortcode of the built-in set.
        ["coeur", PNG, {}, 409, "emoji_exists"],
        ["taken", PNG, {}, 409, "emoji_exists"],
        ["svg", svg, { "content-type": "image/svg+xml" }, 415, "not_an_image"],
        ["svg", svg, {}, 415, "not_an_image"],
        ["big", new Uint8Array(256 * 1024 + 1), {}, 413, "invalid_message"],
        ["wide", pngOfSize(513, 10), {}, 400, "invalid_message"],
      ];
      for (const [name, bytes, headers, status, error] of cases) {
        const refused = await putEmoji(server, name, bytes, {
          cookie: ann.cookie,
          ...headers,
        });
        assert.deepEqual(
          [name, refused.status, refused.body.error],
          [name, status, error],
        );
      }
      const anonymous = await putEmoji(server, "anon", PNG, {});
      assert.deepEqual([anonymous.status, anonymous.body.error], [
        401,
        "bad_credentials",
      ]);
      // A page of another site, with the session's cookie.
      const forged = await putEmoji(server, "forged", PNG, {
        cookie: ann.cookie,
        origin: "https://evil.example",
      });
      assert.equal(forged.status, 403);
      const forgedDelete = await fetch(`${server.url}/api/emoji/taken`, {
        method: "DELETE",
        headers: { origin: "https://evil.example", cookie: ann.cookie },
      });
      await forgedDelete.body?.cancel();
      assert.equal(forgedDelete.status, 403);
      const names = (await ann.client.ok("list_emoji")).emoji as {
        name: string;
      }[];
      assert.deepEqual(names.map((e) => e.name), ["taken"]);
      assert.equal((await getEmoji(server, "wide")).status, 404);
    } finally {
      await ann.client.close();
    }
  },
  { rateLimits: NO_RATE_LIMITS },
);

stores.test(
  "GET and DELETE /api/emoji/:name of a name no emoji may have (a NUL, which PostgreSQL's text refuses, capitals, 5,000 characters) answer 404 emoji_not_found, and the emoji of that name stays",
  async (server) => {
    const ann = await member(server, "ann");
    try {
      const put = await putEmoji(server, "logo", PNG, { cookie: ann.cookie });
      assert.equal(put.status, 200, JSON.stringify(put.body));
      for (const name of ["lo%00go", "logo%00", "LOGO", "l".repeat(5000)]) {
        const got = await fetch(`${server.url}/api/emoji/${name}`);
        assert.deepEqual(
          [name.slice(0, 8), got.status, (await got.json()).error],
          [name.slice(0, 8), 404, "emoji_not_found"],
        );
        const gone = await fetch(`${server.url}/api/emoji/${name}`, {
          method: "DELETE",
          headers: { origin: server.url, cookie: ann.cookie },
        });
        assert.deepEqual(
          [name.slice(0, 8), gone.status, (await gone.json()).error],
          [name.slice(0, 8), 404, "emoji_not_found"],
        );
      }
      const names = (await ann.client.ok("list_emoji")).emoji as {
        name: string;
      }[];
      assert.deepEqual(names.map((e) => e.name), ["logo"]);
    } finally {
      await ann.client.close();
    }
  },
  { rateLimits: NO_RATE_LIMITS },
);

stores.test(
  "an admin removes another's custom emoji, over HTTP or the WebSocket, and the audit log says so; an author's own removal is not audited",
  async (server) => {
    const root = await member(server, "root");
    const ann = await member(server, "ann");
    try {
      for (const name of ["alpha", "beta", "own"]) {
        const put = await putEmoji(server, name, PNG, { cookie: ann.cookie });
        assert.equal(put.status, 200, JSON.stringify(put.body));
      }
      assert.equal(await deleteEmoji(server, "alpha", root.cookie), 204);
      await root.client.ok("remove_emoji", { name: "beta" });
      assert.equal(await deleteEmoji(server, "own", ann.cookie), 204);
      assert.equal(await deleteEmoji(server, "own", ann.cookie), 404);
      const log = await root.client.ok("audit_log");
      const entries = (log.entries as Record<string, unknown>[])
        .filter((e) => e.action === "remove_emoji")
        .map((e) => [e.by, e.target, e.details]);
      assert.deepEqual(entries, [
        ["root", "ann", { emoji: "beta" }],
        ["root", "ann", { emoji: "alpha" }],
      ]);
    } finally {
      await root.client.close();
      await ann.client.close();
    }
  },
  { rateLimits: NO_RATE_LIMITS },
);

stores.test(
  "adding a custom emoji takes from its account's uploads' pace: past it, 429 rate_limited, and a file upload waits too",
  async (server) => {
    const ann = await member(server, "ann");
    try {
      const statuses: number[] = [];
      for (let i = 1; i <= 3; i++) {
        const put = await putEmoji(server, `e${i}`, pngOfSize(i, 1), {
          cookie: ann.cookie,
        });
        statuses.push(put.status);
        if (put.status === 429) assert.equal(put.body.error, "rate_limited");
      }
      assert.deepEqual(statuses, [200, 200, 429]);
      const file = new File([PNG], "a.png", { type: "image/png" });
      const shared = await upload(server, ann.cookie, file);
      assert.deepEqual([shared.status, shared.body.error], [
        429,
        "rate_limited",
      ]);
    } finally {
      await ann.client.close();
    }
  },
  {
    rateLimits: {
      ...DEFAULT_RATE_LIMITS,
      perUploader: { burst: 2, perSecond: 1 / 3600 },
    },
  },
);

stores.test(
  "a server with 1,000 custom emoji refuses one more with too_many_emoji, and takes it once one is removed",
  async (server) => {
    const ann = await member(server, "ann");
    try {
      // Straight into the store: a thousand PUTs would be the test's minute.
      const store = server.node.store;
      for (let i = 0; i < MAX_CUSTOM_EMOJI; i++) {
        const id = i.toString(16).padStart(32, "0");
        const added = await store.addEmoji({
          name: `e${i}`,
          upload: {
            id,
            hash: "ab".repeat(32),
            name: `e${i}`,
            type: "image/png",
            size: 1,
            uploader: "ann",
            createdAt: Date.now(),
          },
          authorKey: "ann",
          createdAt: Date.now(),
        }, { max: MAX_CUSTOM_EMOJI });
        assert.equal(added, "added");
      }
      const refused = await putEmoji(server, "one_more", PNG, {
        cookie: ann.cookie,
      });
      assert.deepEqual([refused.status, refused.body.error], [
        403,
        "too_many_emoji",
      ]);
      await ann.client.ok("remove_emoji", { name: "e0" });
      const taken = await putEmoji(server, "one_more", PNG, {
        cookie: ann.cookie,
      });
      assert.equal(taken.status, 200, JSON.stringify(taken.body));
    } finally {
      await ann.client.close();
    }
  },
  { rateLimits: NO_RATE_LIMITS },
);

stores.test(
  "an emoji's author deleted leaves the emoji, without an author, and open clients hear it at once; another's emoji is not sent again",
  async (server) => {
    const root = await member(server, "root");
    const ann = await member(server, "ann");
    try {
      await putEmoji(server, "kept", PNG, { cookie: ann.cookie });
      await putEmoji(server, "mine", PNG, { cookie: root.cookie });
      const added = (name: string) =>
        root.client.events("emoji_updated").filter((f) =>
          (f.data.added as { name?: string } | undefined)?.name === name
        );
      await root.client.event(
        "emoji_updated",
        (d) => (d.added as { name?: string })?.name === "mine",
      );
      await root.client.ok("delete_account", { user: "ann", messages: "keep" });
      const heard = await root.client.event(
        "emoji_updated",
        (d) => (d.added as { author?: string | null })?.author === null,
      );
      assert.equal((heard.data.added as { name: string }).name, "kept");
      await roundTrip(root.client);
      assert.equal(added("mine").length, 1);
      const listed = (await root.client.ok("list_emoji")).emoji as {
        name: string;
        author: string | null;
      }[];
      assert.deepEqual(listed.map((e) => [e.name, e.author]), [
        ["kept", null],
        ["mine", "root"],
      ]);
      assert.equal((await getEmoji(server, "kept")).status, 200);
    } finally {
      await root.client.close();
      await ann.client.close();
    }
  },
  { rateLimits: NO_RATE_LIMITS },
);

stores.database(
  "upgrading: a server of before has no custom emoji after the first start, and takes one",
  (options) =>
    withUpgradedServer({
      options,
      async setUp(pool) {
        await pool.register("ann");
      },
      old: {
        marker: CUSTOM_EMOJI_MIGRATION,
        postgres: () => Promise.resolve(),
        sqlite: () => {},
      },
    }, async (server) => {
      // The rewind dropped the table: the migration made it again.
      const ann = await TestClient.loginWith(server.wsUrl, {
        username: "ann",
        password: TEST_PASSWORD,
      });
      try {
        assert.deepEqual((await ann.ok("list_emoji")).emoji, []);
        const login = await fetch(`${server.url}/api/login`, {
          method: "POST",
          headers: { "content-type": "application/json", origin: server.url },
          body: JSON.stringify({ username: "ann", password: TEST_PASSWORD }),
        });
        await login.body?.cancel();
        const cookie = login.headers.get("set-cookie")!.split(";")[0];
        const put = await putEmoji(server, "after", PNG, { cookie });
        assert.equal(put.status, 200, JSON.stringify(put.body));
      } finally {
        await ann.close();
      }
    }),
);

Deno.test({
  name:
    "on two nodes, a custom emoji added on one is heard on the other and reacted with there; its removal too",
  ignore: clusterSkipReason() !== undefined,
  fn: () =>
    withCluster(2, async (cluster, pools) => {
      const ada = await pools[0].register("ada");
      const bob = await pools[1].register("bob");
      const { url } = cluster.nodes[0];
      const put = await fetch(`${url}/api/emoji/blob`, {
        method: "PUT",
        headers: {
          authorization: `Bearer ${ada.token}`,
          "content-type": "image/png",
          origin: url,
        },
        body: PNG,
      });
      await put.body?.cancel();
      assert.equal(put.status, 200);
      await bob.event(
        "emoji_updated",
        (d) => (d.added as { name?: string })?.name === "blob",
      );
      const sent = await bob.ok("send_message", { text: "hi" });
      const id = (sent.message as { id: string }).id;
      await bob.ok("react", { id, emoji: ":blob:" });
      await ada.ok("remove_emoji", { name: "blob" });
      await bob.event("emoji_updated", (d) => d.removed === "blob");
    }),
});

stores.finish();
