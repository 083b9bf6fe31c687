/**
 * Incoming webhooks: made by an admin or a room's owner, posted to with
 * Slack's payload, shown with a HOOK badge, limited, and revocable.
 */
import assert from "node:assert/strict";
import {
  accountWithToken,
  type ApiAccount,
  assertCapped,
  call,
} from "./api_helpers.ts";
import type { ChatMessage } from "../server/protocol/types.ts";
import { DEFAULT_RATE_LIMITS } from "../server/rate_limit.ts";
import { TestClient, type TestServer, withServer } from "./harness.ts";

function pathOf(url: string): string {
  return new URL(url).pathname;
}

/** The admin (the first account) and the path of its hook in general. */
async function alertsHook(
  server: TestServer,
): Promise<{ root: ApiAccount; path: string }> {
  const root = await accountWithToken(server, "root");
  const made = await call(server, "POST", "/api/rooms/general/hooks", {
    body: { name: "alerts" },
    token: root.token,
  });
  return { root, path: pathOf(made.body.url) };
}

/**
 * alice, an account, logged in over the WebSocket, owning the public room
 * "builds" and its hook "CI" (the 201 answer in `made`).
 */
async function aliceBuildsHook(server: TestServer) {
  const alice = await accountWithToken(server, "alice");
  const owner = await TestClient.loginWith(server.wsUrl, {
    token: alice.token,
  });
  await owner.ok("create_room", { room: "builds" });
  const made = await call(server, "POST", "/api/rooms/builds/hooks", {
    body: { name: "CI" },
    token: alice.token,
  });
  assert.equal(made.status, 201);
  return { alice, owner, made };
}

Deno.test("a room owner's webhook posts under its name with a HOOK badge, and its URL is shown once", () =>
  withServer(async (server) => {
    await accountWithToken(server, "root");
    const { alice, owner, made } = await aliceBuildsHook(server);
    try {
      assert.equal(made.body.name, "CI");
      assert.equal(made.body.room, "builds");
      assert.match(
        made.body.url,
        /^http:\/\/127\.0\.0\.1:\d+\/api\/hooks\/\S{43}$/,
      );
      const posted = await call(server, "POST", pathOf(made.body.url), {
        body: { text: "build 12 passed" },
      });
      assert.equal(posted.status, 200);
      assert.equal(posted.body.message.user, "CI");
      assert.equal(posted.body.message.badge, "hook");
      const seen = await owner.event("receive_message");
      assert.equal(seen.data.text, "build 12 passed");
      assert.equal(seen.data.badge, "hook");
      // Slack's `username` and attachments.
      const slack = await call(server, "POST", pathOf(made.body.url), {
        body: {
          username: "Deploy Bot",
          attachments: [{
            fallback: "ignored when there is more",
            title: "Release 1.2",
            title_link: "https://example.com/r/1.2",
            text: "shipped",
            fields: [{ title: "env", value: "prod" }],
          }],
        },
      });
      assert.equal(slack.status, 200);
      assert.equal(slack.body.message.user, "Deploy Bot");
      assert.equal(
        slack.body.message.text,
        "Release 1.2 (https://example.com/r/1.2)\nshipped\nenv: prod",
      );
      // Slack's form encoding.
      const form = await call(server, "POST", pathOf(made.body.url), {
        body: `payload=${
          encodeURIComponent(JSON.stringify({ text: "as a form" }))
        }`,
        headers: { "content-type": "application/x-www-form-urlencoded" },
      });
      assert.equal(form.status, 200);
      assert.equal(form.body.message.text, "as a form");
      const listed = await call(server, "GET", "/api/rooms/builds/hooks", {
        token: alice.token,
      });
      assert.equal(listed.status, 200);
      assert.deepEqual(listed.body.hooks.map((h: { id: string }) => h.id), [
        made.body.id,
      ]);
      assert.ok(!JSON.stringify(listed.body).includes(pathOf(made.body.url)));
      const history = await call(server, "GET", "/api/rooms/builds/messages");
      assert.deepEqual(
        history.body.messages.map((m: { badge?: string }) => m.badge),
        ["hook", "hook", "hook"],
      );
    } finally {
      await owner.close();
    }
  }));

Deno.test("a hook post that is neither JSON nor Slack's form gets 415 and posts nothing: multipart, text, none, +json", () =>
  withServer(async (server) => {
    const { path } = await alertsHook(server);
    const multipart = new FormData();
    multipart.set("payload", JSON.stringify({ text: "as multipart" }));
    const refused = [
      await call(server, "POST", path, { body: multipart }),
      await call(server, "POST", path, {
        body: JSON.stringify({ text: "as text" }),
        headers: { "content-type": "text/plain" },
      }),
      await call(server, "POST", path, {
        body: JSON.stringify({ text: "as vnd" }),
        headers: { "content-type": "application/vnd.api+json" },
      }),
      await call(server, "POST", path),
    ];
    for (const answer of refused) {
      assert.equal(answer.status, 415, JSON.stringify(answer.body));
      assert.equal(answer.body.error, "invalid_message");
    }
    // The documented two, with a charset and in capitals, still post.
    const json = await call(server, "POST", path, {
      body: JSON.stringify({ text: "as json" }),
      headers: { "content-type": "Application/JSON; charset=utf-8" },
    });
    assert.equal(json.status, 200);
    const form = await call(server, "POST", path, {
      body: `payload=${encodeURIComponent(JSON.stringify({ text: "form" }))}`,
      headers: {
        "content-type": "application/x-www-form-urlencoded; charset=utf-8",
      },
    });
    assert.equal(form.status, 200);
    const history = await call(server, "GET", "/api/rooms/general/messages");
    assert.deepEqual(
      history.body.messages.map((m: { text: string }) => m.text),
      ["as json", "form"],
    );
  }));

Deno.test("a reply to a hook's message posted under a person's name quotes it with the HOOK badge, live, in history and over HTTP", () =>
  withServer(async (server) => {
    const { path } = await alertsHook(server);
    const alice = await TestClient.login(server.wsUrl, "alice");
    const bob = await TestClient.login(server.wsUrl, "bob");
    try {
      const posted = await call(server, "POST", path, {
        body: { username: "alice", text: "paste the key here" },
      });
      assert.equal(posted.status, 200);
      const original = posted.body.message;
      const quote = {
        id: original.id,
        seq: original.seq,
        user: "alice",
        text: "paste the key here",
        badge: "hook",
      };
      const sent = await bob.ok("send_message", {
        text: "is that really you?",
        reply_to: original.id,
      });
      const reply = sent.message as ChatMessage;
      assert.deepEqual(reply.reply_to, quote);
      const seen = await alice.event(
        "receive_message",
        (m) => m.id === reply.id,
      );
      assert.deepEqual(seen.data.reply_to, quote);
      const page = await alice.ok("history", { room: "general" });
      assert.deepEqual(
        (page.messages as ChatMessage[]).at(-1)?.reply_to,
        quote,
      );
      const http = await call(server, "GET", "/api/rooms/general/messages");
      assert.deepEqual(http.body.messages.at(-1).reply_to, quote);
    } finally {
      await alice.close();
      await bob.close();
    }
  }));

Deno.test("a hook's post under its maker's name, pinned by the maker, is not the maker's own: the notice has no `own`; the maker's own message's has", () =>
  withServer(async (server) => {
    const { root, path } = await alertsHook(server);
    const admin = await TestClient.loginWith(server.wsUrl, {
      token: root.token,
    });
    try {
      const posted = await call(server, "POST", path, {
        body: { username: "root", text: "deploy at noon" },
      });
      assert.equal(posted.status, 200);
      await admin.ok("pin", { id: posted.body.message.id });
      const hook = await admin.event("system", (d) => d.kind === "pinned");
      assert.equal(hook.data.text, "root pinned a message by root");
      assert.equal(hook.data.own, undefined);
      const sent = await admin.ok("send_message", { text: "my own plan" });
      const own = (sent.message as ChatMessage).id;
      await admin.ok("pin", { id: own });
      const mine = await admin.event(
        "system",
        (d) => d.kind === "pinned" && d.id === own,
      );
      assert.equal(mine.data.text, "root pinned their own message");
      assert.equal(mine.data.own, true);
    } finally {
      await admin.close();
    }
  }));

Deno.test("webhooks are managed by admins and room owners only, and a removed one's URL is gone", () =>
  withServer(async (server) => {
    const root = await accountWithToken(server, "root");
    const bob = await accountWithToken(server, "bob");
    const made = await call(server, "POST", "/api/rooms/general/hooks", {
      body: { name: "alerts" },
      token: root.token,
    });
    assert.equal(made.status, 201);
    const cases: [string, string, unknown, number, string][] = [
      ["POST", "/api/rooms/general/hooks", { name: "mine" }, 403, "forbidden"],
      ["GET", "/api/rooms/general/hooks", undefined, 403, "forbidden"],
      ["DELETE", `/api/hooks/${made.body.id}`, undefined, 403, "forbidden"],
      [
        "POST",
        "/api/rooms/nowhere/hooks",
        { name: "x" },
        404,
        "room_not_found",
      ],
    ];
    for (const [method, path, body, status, code] of cases) {
      const answer = await call(server, method, path, {
        body,
        token: bob.token,
      });
      assert.deepEqual(
        [answer.status, answer.body.error],
        [status, code],
        path,
      );
    }
    const bad = await call(server, "POST", "/api/rooms/general/hooks", {
      body: { name: "" },
      token: root.token,
    });
    assert.deepEqual([bad.status, bad.body.error], [400, "invalid_message"]);
    const removed = await call(server, "DELETE", `/api/hooks/${made.body.id}`, {
      token: root.token,
    });
    assert.equal(removed.status, 204);
    const after = await call(server, "POST", pathOf(made.body.url), {
      body: { text: "still there?" },
    });
    assert.deepEqual([after.status, after.body.error], [404, "not_found"]);
    const again = await call(server, "DELETE", `/api/hooks/${made.body.id}`, {
      token: root.token,
    });
    assert.equal(again.status, 404);
  }));

Deno.test("a webhook refuses bad payloads with the message rules' codes", () =>
  withServer(async (server) => {
    const { path } = await alertsHook(server);
    const cases: [unknown, number, string][] = [
      [{}, 400, "empty_message"],
      [{ text: "  " }, 400, "empty_message"],
      [{ text: 7 }, 400, "invalid_message"],
      [{ text: "x".repeat(5000) }, 400, "message_too_long"],
      ["{", 400, "invalid_json"],
      [{ text: "x".repeat(70 * 1024) }, 413, "invalid_message"],
    ];
    for (const [body, status, code] of cases) {
      const answer = await call(server, "POST", path, { body });
      assert.deepEqual(
        [answer.status, answer.body?.error],
        [status, code],
        JSON.stringify(body).slice(0, 30),
      );
    }
    const unknown = await call(server, "POST", "/api/hooks/not-a-secret", {
      body: { text: "hi" },
    });
    assert.deepEqual([unknown.status, unknown.body.error], [404, "not_found"]);
  }));

/** A hook payload `depth` deep: its `x` nests arrays in each other. */
function nestedPayload(text: string, depth: number): string {
  const deep = "[".repeat(depth - 1) + "]".repeat(depth - 1);
  return `{"text":${JSON.stringify(text)},"x":${deep}}`;
}

Deno.test("a webhook refuses a payload nesting over 32 deep, as JSON or in Slack's form, before parsing it, and posts nothing; 32 deep posts", () =>
  withServer(async (server) => {
    const { path } = await alertsHook(server);
    const form = { "content-type": "application/x-www-form-urlencoded" };
    // 60 KB once encoded, under the 64 KiB limit.
    const inForm = await call(server, "POST", path, {
      body: `payload=${encodeURIComponent(nestedPayload("deep", 10_000))}`,
      headers: form,
    });
    assert.deepEqual([inForm.status, inForm.body.error], [
      400,
      "invalid_message",
    ]);
    assert.equal(
      inForm.body.message,
      "The form's 'payload' nests arrays and objects more than 32 deep.",
    );
    const asJson = await call(server, "POST", path, {
      body: nestedPayload("deep", 33),
    });
    assert.deepEqual([asJson.status, asJson.body.error], [
      400,
      "invalid_message",
    ]);
    assert.match(asJson.body.message, /more than 32 deep/);
    for (
      const [body, headers] of [[nestedPayload("json", 32), {}], [
        `payload=${encodeURIComponent(nestedPayload("form", 32))}`,
        form,
      ]] as const
    ) {
      const posted = await call(server, "POST", path, { body, headers });
      assert.equal(posted.status, 200);
    }
    const history = await call(server, "GET", "/api/rooms/general/messages");
    assert.deepEqual(
      history.body.messages.map((m: { text: string }) => m.text),
      ["json", "form"],
    );
  }));

Deno.test("a webhook's form of more than 100 fields gets 400 unparsed, at its URL or any other, and posts nothing; 100 fields post", () =>
  withServer(async (server) => {
    const { path } = await alertsHook(server);
    const form = { "content-type": "application/x-www-form-urlencoded" };
    const payload = (text: string) =>
      `payload=${encodeURIComponent(JSON.stringify({ text }))}`;
    // 64 KiB of empty fields: the form's parse, before the URL's secret is
    // looked up, took 95 ms at a load of 20.
    const wrongUrl = await call(server, "POST", "/api/hooks/not-a-secret", {
      body: "a&".repeat(32_000),
      headers: form,
    });
    const tooMany = await call(server, "POST", path, {
      body: [payload("101 fields"), ...Array(100).fill("x=1")].join("&"),
      headers: form,
    });
    for (const refused of [wrongUrl, tooMany]) {
      assert.deepEqual([refused.status, refused.body.error], [
        400,
        "invalid_message",
      ]);
      assert.equal(
        refused.body.message,
        "The form has more than 100 fields: send payload=<json>.",
      );
    }
    const posted = await call(server, "POST", path, {
      body: [payload("100 fields"), ...Array(99).fill("x=1")].join("&"),
      headers: form,
    });
    assert.equal(posted.status, 200);
    const history = await call(server, "GET", "/api/rooms/general/messages");
    assert.deepEqual(
      history.body.messages.map((m: { text: string }) => m.text),
      ["100 fields"],
    );
  }));

Deno.test("a webhook refuses a NUL or a lone surrogate anywhere, as a sent message does: nothing is stored changed", () =>
  withServer(async (server) => {
    const { root, path } = await alertsHook(server);
    // Each was answered 200 with the text as sent, and stored otherwise:
    // SQLite cut the text at the NUL and turned the surrogate into U+FFFD
    // (PostgreSQL cannot store a NUL at all).
    const bad = ["a\u0000b", "a\ud800b"];
    const bodies = bad.flatMap((text) => [
      { text },
      { text: "ok", username: text },
      { attachments: [{ title: text }] },
      { attachments: [{ fields: [{ title: "env", value: text }] }] },
    ]);
    for (const body of bodies) {
      const answer = await call(server, "POST", path, { body });
      assert.deepEqual(
        [answer.status, answer.body.error],
        [400, "invalid_message"],
        JSON.stringify(body),
      );
    }
    const named = await call(server, "POST", "/api/rooms/general/hooks", {
      body: { name: "a\ud800" },
      token: root.token,
    });
    assert.deepEqual([named.status, named.body.error], [
      400,
      "invalid_message",
    ]);
    const history = await call(server, "GET", "/api/rooms/general/messages");
    assert.deepEqual(history.body.messages, []);
  }));

Deno.test("a webhook's display name and a hook's name refuse direction marks and invisible spaces, and keep emoji", async (t) => {
  await withServer(async (server) => {
    const { root, path } = await alertsHook(server);
    // "\u202E" shows what follows backwards, "\u200B" is a space that does
    // not show: both were stored and shown as the poster's name. A soft
    // hyphen, a grapheme joiner and an invisible separator show nothing
    // either, and a Hangul filler shows a blank (round 15).
    for (
      const name of [
        "deploy\u202Egnp.exe",
        "ali\u200Bce",
        "\u2067root",
        "ali\u00ADce",
        "ali\u034Fce",
        "ad\u2063min",
        "\u3164",
      ]
    ) {
      await t.step(JSON.stringify(name), async () => {
        const posted = await call(server, "POST", path, {
          body: { text: "hi", username: name },
        });
        assert.deepEqual([posted.status, posted.body.error], [
          400,
          "invalid_message",
        ]);
        const made = await call(server, "POST", "/api/rooms/general/hooks", {
          body: { name },
          token: root.token,
        });
        assert.deepEqual([made.status, made.body.error], [
          400,
          "invalid_message",
        ]);
      });
    }
    // Joiners, variation selectors and a flag's tags make emoji; a
    // non-joiner is a letter's shape in Persian.
    const emoji =
      "Deploy \u{1F468}\u200D\u{1F4BB} \u2764\uFE0F \u{1F3F4}\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F} \u0645\u06CC\u200C\u062E\u0648\u0627\u0647\u0645";
    const posted = await call(server, "POST", path, {
      body: { text: "hi", username: emoji },
    });
    assert.equal(posted.status, 200);
    assert.equal(posted.body.message.user, emoji);
  });
});

Deno.test("a webhook's display name and a hook's name refuse a letter under a pile of marks, and keep accents", async () => {
  await withServer(async (server) => {
    const { root, path } = await alertsHook(server);
    // 60 combining marks on one letter drew the name in a column about
    // 100 pixels tall, over the messages around it.
    let marks = "";
    for (let i = 0; i < 60; i++) {
      marks += String.fromCodePoint(0x300 + i % 0x30);
    }
    for (const name of [`Z${marks}`, "a\u0300\u0301\u0302\u0303\u0304"]) {
      const posted = await call(server, "POST", path, {
        body: { text: "hi", username: name },
      });
      assert.deepEqual([posted.status, posted.body.error], [
        400,
        "invalid_message",
      ]);
      const made = await call(server, "POST", "/api/rooms/general/hooks", {
        body: { name },
        token: root.token,
      });
      assert.deepEqual([made.status, made.body.error], [
        400,
        "invalid_message",
      ]);
    }
    // Vietnamese written decomposed (two marks on a letter), a keycap.
    for (
      const name of ["Nguye\u0302\u0303n Thi\u0323", "Build 1\uFE0F\u20E3"]
    ) {
      const posted = await call(server, "POST", path, {
        body: { text: "hi", username: name },
      });
      assert.equal(posted.status, 200, name);
      assert.equal(posted.body.message.user, name);
    }
    const history = await call(server, "GET", "/api/rooms/general/messages");
    assert.deepEqual(
      history.body.messages.map((m: { user: string }) => m.user),
      ["Nguye\u0302\u0303n Thi\u0323", "Build 1\uFE0F\u20E3"],
    );
  });
});

Deno.test("a webhook over its rate limit gets 429 with the wait, and the room gets nothing more", () =>
  withServer(async (server) => {
    const root = await accountWithToken(server, "root");
    const made = await call(server, "POST", "/api/rooms/general/hooks", {
      body: { name: "flood" },
      token: root.token,
    });
    const path = pathOf(made.body.url);
    let limited;
    let posted = 0;
    for (let i = 0; i < 40 && !limited; i++) {
      const answer = await call(server, "POST", path, {
        body: { text: `${i}` },
      });
      if (answer.status === 429) limited = answer;
      else posted++;
    }
    assert.ok(limited, "no 429 within 40 posts");
    assert.equal(limited.body.error, "rate_limited");
    assert.ok(limited.body.retry_after_ms > 0);
    assert.ok(Number(limited.headers.get("retry-after")) >= 1);
    const history = await call(server, "GET", "/api/rooms/general/messages", {
      body: undefined,
    });
    assert.equal(history.body.messages.length, posted);
  }));

Deno.test("the webhooks an account made share its message budget: past it each gets 429, whatever its own pace allows", () =>
  withServer(async (server) => {
    const root = await accountWithToken(server, "root");
    const hook = async (name: string) =>
      pathOf(
        (await call(server, "POST", "/api/rooms/general/hooks", {
          body: { name },
          token: root.token,
        })).body.url,
      );
    const [first, second] = [await hook("one"), await hook("two")];
    const post = (path: string, text: string) =>
      call(server, "POST", path, { body: { text } });
    for (let i = 0; i < 6; i++) {
      assert.equal((await post(first, `one ${i}`)).status, 200);
    }
    for (let i = 0; i < 4; i++) {
      assert.equal((await post(second, `two ${i}`)).status, 200);
    }
    // Each hook may post 30 at once; their maker's budget holds 10.
    const limited = await post(second, "two more");
    assert.equal(limited.status, 429);
    assert.equal(limited.body.error, "rate_limited");
    assert.ok(limited.body.retry_after_ms > 0);
  }, {
    rateLimits: {
      ...DEFAULT_RATE_LIMITS,
      perUser: {
        ...DEFAULT_RATE_LIMITS.perUser,
        message: { burst: 10, perSecond: 1 / 60 },
      },
    },
  }));

Deno.test("a webhook's posts and its maker's own messages share one budget, whatever the case of the maker's name", () =>
  withServer(async (server) => {
    const maker = await accountWithToken(server, "Root");
    const path = pathOf(
      (await call(server, "POST", "/api/rooms/general/hooks", {
        body: { name: "ci" },
        token: maker.token,
      })).body.url,
    );
    for (let i = 0; i < 6; i++) {
      const posted = await call(server, "POST", path, {
        body: { text: `hook ${i}` },
      });
      assert.equal(posted.status, 200);
    }
    for (let i = 0; i < 4; i++) {
      const sent = await call(server, "POST", "/api/rooms/general/messages", {
        body: { text: `own ${i}` },
        token: maker.token,
      });
      assert.equal(sent.status, 201);
    }
    // Six posts and four of the maker's own: the budget of 10 is spent.
    const limited = await call(server, "POST", path, {
      body: { text: "hook more" },
    });
    assert.equal(limited.status, 429);
    assert.equal(limited.body.error, "rate_limited");
  }, {
    rateLimits: {
      ...DEFAULT_RATE_LIMITS,
      perUser: {
        ...DEFAULT_RATE_LIMITS.perUser,
        message: { burst: 10, perSecond: 1 / 60 },
      },
    },
  }));

Deno.test("a room has at most 10 incoming webhooks; removing one makes room for another", () =>
  withServer(async (server) => {
    const { root } = await alertsHook(server);
    // Each hook is a row kept until it is removed. One made above: nine
    // more, then the eleventh is refused.
    const make = () =>
      call(server, "POST", "/api/rooms/general/hooks", {
        body: { name: "another" },
        token: root.token,
      });
    for (let i = 2; i <= 10; i++) assert.equal((await make()).status, 201);
    const { hooks } = (await call(server, "GET", "/api/rooms/general/hooks", {
      token: root.token,
    })).body;
    assert.equal(hooks.length, 10);
    await assertCapped(
      make,
      () => call(server, "DELETE", `/api/hooks/${hooks[0].id}`, root),
      "A room has at most 10 incoming webhooks: remove one first.",
    );
  }));

Deno.test("deleting a room removes its webhooks", () =>
  withServer(async (server) => {
    const root = await accountWithToken(server, "root");
    const admin = await TestClient.loginWith(server.wsUrl, {
      token: root.token,
    });
    try {
      await admin.ok("create_room", { room: "temp" });
      const made = await call(server, "POST", "/api/rooms/temp/hooks", {
        body: { name: "x" },
        token: root.token,
      });
      await admin.ok("delete_room", { room: "temp" });
      await admin.ok("create_room", { room: "temp" });
      const after = await call(server, "POST", pathOf(made.body.url), {
        body: { text: "hi" },
      });
      assert.equal(after.status, 404);
    } finally {
      await admin.close();
    }
  }));

Deno.test("a webhook posts for its maker's account: once that account is deleted its hook gets 403 and posts nothing, also after someone registers the name again", () =>
  withServer(async (server) => {
    const root = await accountWithToken(server, "root");
    const admin = await TestClient.loginWith(server.wsUrl, {
      token: root.token,
    });
    const { made, owner } = await aliceBuildsHook(server);
    try {
      await owner.close();
      await admin.ok("delete_account", { user: "alice", messages: "keep" });
      const refused = [403, "forbidden"];
      const posted = await call(server, "POST", pathOf(made.body.url), {
        body: { text: "spam from a deleted account" },
      });
      assert.deepEqual([posted.status, posted.body.error], refused);
      // The next alice is not the hook's maker, though its name is.
      const next = await accountWithToken(server, "alice");
      const again = await call(server, "POST", pathOf(made.body.url), {
        body: { text: "spam through the next alice" },
      });
      assert.deepEqual([again.status, again.body.error], refused);
      const history = await call(
        server,
        "GET",
        "/api/rooms/builds/messages",
        { token: next.token },
      );
      assert.deepEqual(history.body.messages, []);
    } finally {
      await admin.close();
      await owner.close();
    }
  }));

Deno.test("a webhook posts for its maker: once the maker is banned from the room its hooks get 403 and post nothing, and it makes no new one", () =>
  withServer(async (server) => {
    const root = await accountWithToken(server, "root");
    const admin = await TestClient.loginWith(server.wsUrl, {
      token: root.token,
    });
    const { alice, owner, made } = await aliceBuildsHook(server);
    try {
      await admin.ok("ban", { user: "alice", room: "builds", reason: "spam" });
      const posted = await call(server, "POST", pathOf(made.body.url), {
        body: { text: "still here" },
      });
      assert.deepEqual([posted.status, posted.body.error], [403, "forbidden"]);
      const again = await call(server, "POST", "/api/rooms/builds/hooks", {
        body: { name: "CI 2" },
        token: alice.token,
      });
      assert.deepEqual([again.status, again.body.error], [403, "banned"]);
      const history = await call(
        server,
        "GET",
        "/api/rooms/builds/messages",
        { token: root.token },
      );
      assert.deepEqual(history.body.messages, []);
      // Lifted, the same URL posts again.
      await admin.ok("unban", { user: "alice", room: "builds" });
      const back = await call(server, "POST", pathOf(made.body.url), {
        body: { text: "back" },
      });
      assert.equal(back.status, 200);
    } finally {
      await admin.close();
      await owner.close();
    }
  }));
