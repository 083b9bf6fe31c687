/**
 * Link previews (docs/protocol.md, "Link previews"; docs/security.md, the
 * SSRF rules): a real server fetches pages from a web server of the test's
 * own on a loopback address, on SQLite and on PostgreSQL. Never a clock
 * raced against the machine: each test waits for the `message_updated`
 * that carries the previews, and a test that expects none from one link
 * puts a good link beside it in the same message (the previews are stored
 * once all its links are settled).
 */
import assert from "node:assert/strict";
import type { StartParts } from "../server/mod.ts";
import type { Config } from "../server/config.ts";
import {
  expectError,
  metric,
  PATIENT_WAIT_MS,
  startTestServer,
  TEST_PASSWORD,
  TestClient,
  type TestServer,
  withPool,
} from "./harness.ts";
import { accountWithToken, call } from "./api_helpers.ts";
import { bothStores } from "./both_stores.ts";
import { html, type PageServer, startPageServer } from "./page_server.ts";
import { LINK_PREVIEWS_MIGRATION } from "./store_contract/support.ts";
import { withUpgradedServer } from "./upgraded_server.ts";

interface Preview {
  url: string;
  title?: string;
  description?: string;
  site_name?: string;
}

interface Message {
  id: string;
  seq: number;
  text: string;
  version?: number;
  previews?: Preview[];
}

const stores = await bothStores();

const OG_HEAD = `<title>Plain title</title>
  <meta property="og:title" content="Tea &amp; cakes">
  <meta property="og:description" content="Where to find   the best
    tea in town.">
  <meta property="og:site_name" content="Tea Guide">`;

/** The pages most tests serve. */
const PAGES = {
  "/og": () => html(OG_HEAD),
  "/plain": () => html("<title>Just a title</title>"),
  "/other": () => html("<title>Another page</title>"),
};

/** The `message_updated` of `id` that carries previews. */
async function previewsOf(
  client: TestClient,
  id: string,
  from = 0,
): Promise<Message> {
  const frame = await client.event(
    "message_updated",
    (m) => m.id === id && Array.isArray(m.previews),
    { timeoutMs: PATIENT_WAIT_MS, from },
  );
  return frame.data as unknown as Message;
}

async function say(client: TestClient, text: string): Promise<Message> {
  return (await client.ok("send_message", { text })).message as Message;
}

/** A server that may preview the page server's loopback address. */
async function withPreviews(
  body: (server: TestServer, pages: PageServer) => Promise<void>,
  options: {
    config?: Partial<Config>;
    parts?: StartParts;
    pages?: PageServer;
  } = {},
): Promise<void> {
  const pages = options.pages ?? await startPageServer(PAGES);
  try {
    const server = await startTestServer(
      { linkPreviewsPrivate: true, ...options.config },
      options.parts,
    );
    try {
      await body(server, pages);
    } finally {
      await server.close();
    }
  } finally {
    if (!options.pages) await pages.close();
  }
}

stores.test(
  "link previews: a link's title, description and site name come to every reader after the send, and stay in history and search",
  async (server) => {
    const pages = await startPageServer(PAGES);
    try {
      await withPool(server, async (pool) => {
        const alice = await pool.register("alice");
        const bob = await pool.register("bob");
        const link = `${pages.origin}/og`;
        const sent = await say(alice, `Tea time: ${link}.`);
        // The send is answered before any page is asked for.
        assert.equal(sent.previews, undefined);
        const expected: Preview[] = [{
          url: link,
          title: "Tea & cakes",
          description: "Where to find the best tea in town.",
          site_name: "Tea Guide",
        }];
        const heard = await previewsOf(bob, sent.id);
        assert.deepEqual(heard.previews, expected);
        assert.equal(heard.version, 1);
        assert.deepEqual((await previewsOf(alice, sent.id)).previews, expected);
        const page = await bob.ok("history", { room: "general" });
        const kept = (page.messages as Message[]).find((m) => m.id === sent.id);
        assert.deepEqual(kept?.previews, expected);
        const found = await bob.ok("search", { query: "tea time" });
        assert.deepEqual((found.results as Message[])[0].previews, expected);
        const carol = await accountWithToken(server, "carol");
        const rest = await call(server, "GET", "/api/rooms/general/messages", {
          token: carol.token,
        });
        assert.deepEqual(
          (rest.body.messages as Message[]).find((m) => m.id === sent.id)
            ?.previews,
          expected,
        );
        // Asked once, naming the server, with no cookie.
        assert.deepEqual(pages.paths(), ["/og"]);
        assert.match(pages.requests[0].userAgent ?? "", /^chat-server\//);
        assert.equal(pages.requests[0].cookie, null);
        // A private message's previews go to both sides.
        const whisper = (await alice.ok("private_message", {
          to: "bob",
          text: `${pages.origin}/plain`,
        })).message as Message;
        const plain = [{ url: `${pages.origin}/plain`, title: "Just a title" }];
        assert.deepEqual((await previewsOf(bob, whisper.id)).previews, plain);
        assert.deepEqual((await previewsOf(alice, whisper.id)).previews, plain);
        const talk = await bob.ok("history", { with: "alice" });
        assert.deepEqual((talk.messages as Message[])[0].previews, plain);
      });
    } finally {
      await pages.close();
    }
  },
  { linkPreviewsPrivate: true },
);

stores.test(
  "link previews: the author (or a moderator) removes them, another user cannot, and an edit brings those of its new links",
  async (server) => {
    const pages = await startPageServer(PAGES);
    try {
      await withPool(server, async (pool) => {
        const alice = await pool.register("alice");
        const bob = await pool.register("bob");
        const sent = await say(alice, `${pages.origin}/og`);
        await previewsOf(bob, sent.id);
        await expectError(
          bob,
          "remove_link_previews",
          { id: sent.id },
          "forbidden",
        );
        const from = bob.received.length;
        const removed = await alice.ok("remove_link_previews", {
          id: sent.id,
        });
        assert.equal((removed.message as Message).previews, undefined);
        const heard = await bob.event(
          "message_updated",
          (m) => m.id === sent.id,
          { from },
        );
        assert.equal((heard.data as unknown as Message).previews, undefined);
        const page = await bob.ok("history", { room: "general" });
        assert.equal((page.messages as Message[])[0].previews, undefined);
        // Removing none is no change.
        const again = await alice.ok("remove_link_previews", { id: sent.id });
        assert.equal(
          (again.message as Message).version,
          (removed.message as Message).version,
        );
        const beforeEdit = bob.received.length;
        await alice.ok("edit_message", {
          id: sent.id,
          text: `Better: ${pages.origin}/other`,
        });
        const edited = await previewsOf(bob, sent.id, beforeEdit);
        assert.deepEqual(edited.previews, [{
          url: `${pages.origin}/other`,
          title: "Another page",
        }]);
        await expectError(
          alice,
          "remove_link_previews",
          { id: "01ARZ3NDEKTSV4RRFFQ69G5FAV" },
          "invalid_message",
        );
        // An admin (or moderator) removes a room message's previews too.
        const boss = await pool.register("boss");
        const other = await say(bob, `${pages.origin}/plain`);
        await previewsOf(boss, other.id);
        const taken = await boss.ok("remove_link_previews", { id: other.id });
        assert.equal((taken.message as Message).previews, undefined);
      });
    } finally {
      await pages.close();
    }
  },
  { linkPreviewsPrivate: true, admin: "boss" },
);

Deno.test("link previews: with SQLite on its own thread, a room's newest page kept beside it is read again once previews come", async () => {
  // The page answers only after the first read: that page is kept
  // (store/recent_pages.ts) before the previews are stored.
  const release = Promise.withResolvers<void>();
  const pages = await startPageServer({
    "/plain": async () => {
      await release.promise;
      return html("<title>Just a title</title>");
    },
  });
  try {
    await withPreviews(async (server) => {
      const alice = await TestClient.login(server.wsUrl, "alice");
      try {
        const sent = await say(alice, `${pages.origin}/plain`);
        const first = await alice.ok("history", { room: "general" });
        assert.equal((first.messages as Message[])[0].previews, undefined);
        await alice.ok("history", { room: "general" });
        const store = server.node.store as { recentPageHits?: number };
        assert.equal(store.recentPageHits, 1, "the kept page was served");
        release.resolve();
        await previewsOf(alice, sent.id);
        const again = await alice.ok("history", { room: "general" });
        assert.deepEqual((again.messages as Message[])[0].previews, [
          { url: `${pages.origin}/plain`, title: "Just a title" },
        ]);
      } finally {
        release.resolve();
        await alice.close();
      }
    }, { config: { dbThread: true }, pages });
  } finally {
    await pages.close();
  }
});

Deno.test("link previews: a link posted many times is fetched once", async () => {
  await withPreviews(async (server, pages) => {
    const alice = await TestClient.login(server.wsUrl, "alice");
    try {
      const sent: Message[] = [];
      for (let i = 0; i < 5; i++) {
        sent.push(await say(alice, `${i}: ${pages.origin}/og`));
      }
      for (const message of sent) {
        const heard = await previewsOf(alice, message.id);
        assert.equal(heard.previews?.[0].title, "Tea & cakes");
      }
      assert.deepEqual(pages.paths(), ["/og"]);
    } finally {
      await alice.close();
    }
  });
});

Deno.test(
  "link previews: a plain <title> previews, a Latin-1 page as its header says; a non-HTML answer, a head past 512 KiB and a fourth link give none; a huge page is read no further",
  async () => {
    let servedHuge = 0;
    const pages = await startPageServer({
      ...PAGES,
      // HTML in a text/plain answer: not read as a page.
      "/json": () =>
        new Response("<title>Not a page</title>", {
          headers: { "content-type": "text/plain" },
        }),
      // Latin-1, as its header says.
      "/latin1": () =>
        new Response(
          new Uint8Array([
            ...new TextEncoder().encode("<title>Caf"),
            0xe9,
            ...new TextEncoder().encode("</title>"),
          ]),
          { headers: { "content-type": 'text/html; charset="iso-8859-1"' } },
        ),
      // Its title comes after 600 KiB: never read.
      "/late": () =>
        html(`<!-- ${"x".repeat(600 * 1024)} --><title>Too late</title>`),
      // 8 MiB after a good head: the read stops at 512 KiB.
      "/huge": () => {
        const head = new TextEncoder().encode(
          `<html><head><title>Huge</title></head><body>`,
        );
        const chunk = new Uint8Array(64 * 1024).fill(0x61);
        let sent = 0;
        return new Response(
          new ReadableStream<Uint8Array>({
            pull(controller) {
              if (sent === 0) controller.enqueue(head);
              if (sent >= 128) return controller.close();
              controller.enqueue(chunk);
              sent++;
              servedHuge = sent * chunk.length;
            },
          }),
          { headers: { "content-type": "text/html" } },
        );
      },
    });
    try {
      await withPreviews(async (server) => {
        const alice = await TestClient.login(server.wsUrl, "alice");
        try {
          const o = pages.origin;
          const first = await say(
            alice,
            `${o}/json ${o}/late ${o}/plain ${o}/other`,
          );
          const heard = await previewsOf(alice, first.id);
          assert.deepEqual(heard.previews, [
            { url: `${o}/plain`, title: "Just a title" },
          ]);
          const latin = await say(alice, `${o}/latin1`);
          assert.deepEqual((await previewsOf(alice, latin.id)).previews, [
            { url: `${o}/latin1`, title: "Café" },
          ]);
          assert.ok(!pages.paths().includes("/other"), "a fourth link");
          const huge = await say(alice, `${o}/huge`);
          assert.deepEqual((await previewsOf(alice, huge.id)).previews, [
            { url: `${o}/huge`, title: "Huge" },
          ]);
          // The stream was given up on well before its 8 MiB.
          assert.ok(servedHuge < 4 * 1024 * 1024, `${servedHuge} bytes served`);
        } finally {
          await alice.close();
        }
      }, { pages });
    } finally {
      await pages.close();
    }
  },
);

Deno.test(
  "link previews: a page whose answer names no charset is read in the one its <meta charset> names, or its http-equiv form",
  async () => {
    const latin = (meta: string) => () =>
      new Response(
        new Uint8Array([
          ...new TextEncoder().encode(`${meta}<title>Caf`),
          0xe9,
          ...new TextEncoder().encode("</title>"),
        ]),
        { headers: { "content-type": "text/html" } },
      );
    const pages = await startPageServer({
      "/meta": latin('<meta charset="windows-1252">'),
      "/equiv": latin(
        '<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1">',
      ),
    });
    try {
      await withPreviews(async (server) => {
        const alice = await TestClient.login(server.wsUrl, "alice");
        try {
          const o = pages.origin;
          const sent = await say(alice, `${o}/meta ${o}/equiv`);
          assert.deepEqual((await previewsOf(alice, sent.id)).previews, [
            { url: `${o}/meta`, title: "Café" },
            { url: `${o}/equiv`, title: "Café" },
          ]);
        } finally {
          await alice.close();
        }
      }, { pages });
    } finally {
      await pages.close();
    }
  },
);

Deno.test(
  "link previews: /metrics counts the pages asked for by result: ok, refused, not_html, error; a cached link once",
  async () => {
    const pages = await startPageServer({
      ...PAGES,
      "/json": () =>
        new Response("{}", { headers: { "content-type": "application/json" } }),
    });
    try {
      await withPreviews(async (server) => {
        const alice = await TestClient.login(server.wsUrl, "alice");
        const count = (result: string) =>
          metric(server.url, `chat_link_previews_total{result="${result}"}`);
        try {
          assert.equal(await count("ok"), 0);
          const o = pages.origin;
          // ::1 is not among the addresses allowed; /gone answers 404.
          const sent = await say(alice, `${o}/og http://[::1]:9/ ${o}/json`);
          await previewsOf(alice, sent.id);
          const again = await say(alice, `${o}/og ${o}/gone`);
          await previewsOf(alice, again.id);
          assert.deepEqual(
            [
              await count("ok"),
              await count("refused"),
              await count("not_html"),
              await count("error"),
              await count("timeout"),
            ],
            [1, 1, 1, 1, 0],
          );
        } finally {
          await alice.close();
        }
      }, {
        pages,
        config: { linkPreviewsPrivate: false },
        parts: { linkPreviewAllow: ["127.0.0.1"] },
      });
    } finally {
      await pages.close();
    }
  },
);

Deno.test(
  "link previews: a page that never answers is given up on after 5 s, and the message's other links are previewed",
  async () => {
    const gaveUp = Promise.withResolvers<void>();
    const pages = await startPageServer({
      ...PAGES,
      "/slow": async (request) => {
        // Answers only once the chat server has hung up.
        await new Promise((resolve) =>
          request.signal.addEventListener("abort", resolve, { once: true })
        );
        gaveUp.resolve();
        return html("<title>Too slow</title>");
      },
    });
    try {
      await withPreviews(async (server) => {
        const alice = await TestClient.login(server.wsUrl, "alice");
        try {
          const sent = await say(
            alice,
            `${pages.origin}/slow ${pages.origin}/og`,
          );
          const heard = await previewsOf(alice, sent.id);
          assert.deepEqual(heard.previews?.map((p) => p.url), [
            `${pages.origin}/og`,
          ]);
          await gaveUp.promise;
          assert.equal(
            await metric(
              server.url,
              'chat_link_previews_total{result="timeout"}',
            ),
            1,
          );
        } finally {
          await alice.close();
        }
      }, { pages });
    } finally {
      await pages.close();
    }
  },
);

Deno.test(
  "link previews: a flood of links to a page that never answers waits behind another author's link, and past 100 waiting of one account's, or of one address's guests, they get none",
  async () => {
    const release = Promise.withResolvers<void>();
    const allHeld = Promise.withResolvers<void>();
    let held = 0;
    const pages = await startPageServer({
      ...PAGES,
      // Each holds one of the node's 4 places until the test lets go.
      "/hold": async () => {
        if (++held === 4) allHeld.resolve();
        await release.promise;
        return html("");
      },
    });
    const holds = () => pages.paths().filter((p) => p === "/hold").length;
    try {
      await withPreviews(async (server) => {
        // Two guest names from one address: one author to the queue.
        const mallory = await TestClient.login(server.wsUrl, "mallory");
        const mal = await TestClient.login(server.wsUrl, "mal");
        const alice = await TestClient.register(server.wsUrl, "alice");
        try {
          // 120 distinct links, 3 a message: every place, then 100 waiting.
          for (let i = 0; i < 40; i++) {
            const links = [0, 1, 2].map((j) =>
              `${pages.origin}/hold?n=${i * 3 + j}`
            );
            await say(i % 2 ? mal : mallory, links.join(" "));
          }
          await allHeld.promise;
          const sent = await say(alice, `${pages.origin}/og`);
          release.resolve();
          const heard = await previewsOf(alice, sent.id);
          assert.equal(heard.previews?.[0].title, "Tea & cakes");
          // Asked for as soon as a place came free, not after mallory's.
          const paths = pages.paths();
          assert.ok(paths.indexOf("/og") < 8, paths.join(" "));
          // The 4 held and the 100 that waited, then none: the 16 others
          // were refused when sent. Once they have been asked for,
          // mallory's next link, queued behind them, tells they are done.
          const deadline = Date.now() + PATIENT_WAIT_MS;
          while (holds() < 104 && Date.now() < deadline) {
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
          const last = await say(mallory, `${pages.origin}/plain`);
          await previewsOf(mallory, last.id);
          assert.equal(holds(), 104);
        } finally {
          await alice.close();
          await mal.close();
          await mallory.close();
        }
      }, { pages });
    } finally {
      release.resolve();
      await pages.close();
    }
  },
);

Deno.test(
  "link previews: without --link-previews-private no private address is asked, directly, by name or by a redirect",
  async () => {
    // The inside: an IPv6 loopback server none of these may reach.
    const inside = await startPageServer({
      "/secret": () => html("<title>Secret</title>"),
    }, "::1");
    const pages = await startPageServer({
      ...PAGES,
      "/to-inside": () => moved(`${inside.origin}/secret`),
      "/to-metadata": () => moved("http://169.254.169.254/latest/meta-data/"),
      // Four redirects: the fourth is not followed.
      "/hop1": () => moved("/hop2"),
      "/hop2": () => moved("/hop3"),
      "/hop3": () => moved("/hop4"),
      "/hop4": () => moved("/og"),
      // Three: followed.
      "/hops": () => moved("/r2"),
      "/r2": () => moved("/r3"),
      "/r3": () => moved("/other"),
    });
    try {
      await withPreviews(async (server) => {
        const alice = await TestClient.login(server.wsUrl, "alice");
        try {
          const o = pages.origin;
          const first = await say(
            alice,
            `${inside.origin}/secret ${o}/to-inside ${o}/plain`,
          );
          assert.deepEqual((await previewsOf(alice, first.id)).previews, [
            { url: `${o}/plain`, title: "Just a title" },
          ]);
          const second = await say(
            alice,
            `http://inside.example:${
              new URL(inside.origin).port
            }/secret ${o}/to-metadata ${o}/hops`,
          );
          // /hops: three redirects, then the page.
          assert.deepEqual((await previewsOf(alice, second.id)).previews, [
            { url: `${o}/hops`, title: "Another page" },
          ]);
          const third = await say(alice, `${o}/hop1 ${o}/plain`);
          assert.deepEqual((await previewsOf(alice, third.id)).previews, [
            { url: `${o}/plain`, title: "Just a title" },
          ]);
          assert.ok(!pages.paths().includes("/og"), pages.paths().join());
          assert.deepEqual(inside.requests, []);
        } finally {
          await alice.close();
        }
      }, {
        pages,
        config: { linkPreviewsPrivate: false },
        parts: {
          // The page server's address only; the name of the inside
          // resolves to the inside's.
          linkPreviewAllow: ["127.0.0.1"],
          resolve: (host) =>
            Promise.resolve(host === "inside.example" ? ["::1"] : []),
        },
      });
    } finally {
      await pages.close();
      await inside.close();
    }
  },
);

function moved(location: string): Response {
  return new Response(null, { status: 302, headers: { location } });
}

Deno.test(
  "link previews: with --link-previews off the page server gets no request",
  async () => {
    const pages = await startPageServer(PAGES);
    try {
      await withPreviews(async (off) => {
        const alice = await TestClient.login(off.wsUrl, "alice");
        try {
          const sent = await say(alice, `${pages.origin}/plain`);
          assert.equal(sent.previews, undefined);
          // Then a server with previews asks for another page: were the
          // first server to fetch, its request would have come by then.
          await withPreviews(async (on) => {
            const bob = await TestClient.login(on.wsUrl, "bob");
            try {
              const other = await say(bob, `${pages.origin}/other`);
              await previewsOf(bob, other.id);
            } finally {
              await bob.close();
            }
          }, { pages });
          assert.deepEqual(pages.paths(), ["/other"]);
          assert.equal(off.node.linkPreviews, undefined);
          const page = await alice.ok("history", { room: "general" });
          assert.equal((page.messages as Message[])[0].previews, undefined);
        } finally {
          await alice.close();
        }
      }, { pages, config: { linkPreviews: false } });
    } finally {
      await pages.close();
    }
  },
);

stores.database(
  "upgrading: a server of before's messages read as they were, and their next edit's links are previewed",
  async (options) => {
    const pages = await startPageServer(PAGES);
    try {
      let id = "";
      await withUpgradedServer({
        options: { ...options, linkPreviewsPrivate: true },
        async setUp(pool) {
          const alice = await pool.register("alice");
          id = (await say(alice, "no link yet")).id;
          await alice.ok("edit_message", { id, text: "still none" });
        },
        old: { marker: LINK_PREVIEWS_MIGRATION, ...nothingToChange() },
      }, async (server) => {
        const alice = await TestClient.loginWith(server.wsUrl, {
          username: "alice",
          password: TEST_PASSWORD,
        });
        try {
          const page = await alice.ok("history", { room: "general" });
          const kept = (page.messages as Message[]).find((m) => m.id === id);
          assert.equal(kept?.version, 1);
          assert.equal(kept?.previews, undefined);
          const edited = (await alice.ok("edit_message", {
            id,
            text: `now: ${pages.origin}/plain`,
          })).message as Message;
          assert.equal(edited.version, 2);
          const heard = await previewsOf(alice, id);
          assert.equal(heard.version, 3);
          assert.deepEqual(heard.previews, [
            { url: `${pages.origin}/plain`, title: "Just a title" },
          ]);
        } finally {
          await alice.close();
        }
      });
    } finally {
      await pages.close();
    }
  },
);

// A server of before left no rows this migration changes.
function nothingToChange() {
  return { postgres: () => Promise.resolve(), sqlite: () => {} };
}

stores.finish();
