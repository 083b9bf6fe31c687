/**
 * The web client's side of integrations in a real browser: the access
 * tokens page (a secret shown once, a token that works, then revoked), the
 * BOT and HOOK badges on messages, and a room's webhooks page (incoming
 * and outgoing hooks, failures shown). Needs /usr/bin/chromium.
 */

import assert from "node:assert/strict";
import { call } from "./api_helpers.ts";
import {
  artifact,
  browserTest,
  confirmedFrom,
  noteAppearance,
  openPage,
  register,
  send,
} from "./browser_support.ts";
import { eventually, TestClient } from "./harness.ts";

browserTest(
  "web client makes an access token that works once shown, lists it, and revokes it",
  async (browser, server) => {
    const page = await openPage(browser, server);
    await register(page, "alice");
    await page.getByTestId("settings").click();
    await page.getByTestId("tokens-setting").click();
    await page.getByTestId("tokens-page").waitFor();
    await page.getByTestId("token-name").fill("<b>laptop</b>");
    await page.getByTestId("token-create").click();
    const secret = (await page.getByTestId("token-secret").locator("code")
      .textContent())!;
    assert.match(secret, /^chat_/);
    // The name is text, not markup.
    await page.getByTestId("token-row").filter({ hasText: "<b>laptop</b>" })
      .waitFor();
    await page.screenshot({ path: artifact("integrations_tokens.png") });
    const me = await call(server, "GET", "/api/me", { token: secret });
    assert.equal(me.body.username, "alice");

    await page.getByTestId("token-revoke").click();
    await page.getByTestId("token-row").waitFor({ state: "detached" });
    const after = await call(server, "GET", "/api/me", { token: secret });
    assert.equal(after.status, 401);
    await page.getByTestId("tokens-close").click();
    await page.getByTestId("tokens-page").waitFor({ state: "detached" });

    // A bot's and a hook's messages carry their badges. The secret shown
    // once is not drawn again, even for the frame the page opens with.
    const secretShown = await noteAppearance(page, "token-secret");
    await page.getByTestId("settings").click();
    await page.getByTestId("tokens-setting").click();
    await page.getByTestId("tokens-page").waitFor();
    assert.equal(await secretShown.seen(), false, "the secret was drawn again");
    await page.getByTestId("token-name").fill("admin script");
    await page.getByTestId("token-create").click();
    const admin = (await page.getByTestId("token-secret").locator("code")
      .textContent())!;
    await page.keyboard.press("Escape");
    await call(server, "POST", "/api/bots", {
      token: admin,
      body: { name: "ci" },
    });
    const bot = await call(server, "POST", "/api/bots/ci/tokens", {
      token: admin,
      body: { name: "ci" },
    });
    await call(server, "POST", "/api/rooms/general/messages", {
      token: bot.body.token,
      body: { text: "build passed" },
    });
    const hook = await call(server, "POST", "/api/rooms/general/hooks", {
      token: admin,
      body: { name: "Alerts" },
    });
    await call(server, "POST", new URL(hook.body.url).pathname, {
      body: { text: "disk full" },
    });
    await page.locator('[data-testid="message"][data-user="ci"]')
      .getByTestId("sender-badge").filter({ hasText: /^BOT$/ }).waitFor();
    await page.locator('[data-testid="message"][data-user="Alerts"]')
      .getByTestId("sender-badge").filter({ hasText: /^HOOK$/ }).waitFor();
    await page.screenshot({ path: artifact("integrations_badges.png") });
  },
);

browserTest(
  "web client: a room's admin makes an incoming hook whose URL posts once shown, sees an outgoing hook fail, and deletes both",
  async (browser, server) => {
    // A receiver that refuses every delivery: one failure, not retried.
    // What comes to /later is for the hook registered after the first one
    // was deleted.
    const refused: string[] = [];
    const later: string[] = [];
    const receiver = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      async (request) => {
        const body = await request.text();
        if (new URL(request.url).pathname === "/later") later.push(body);
        else refused.push(body);
        return new Response(null, { status: 410 });
      },
    );
    const bob = await TestClient.login(server.wsUrl, "bob");
    try {
      const page = await openPage(browser, server);
      await register(page, "alice");
      const openHooks = async () => {
        await page.getByTestId("room-menu").click();
        await page.getByTestId("hooks-open").click();
        await page.getByTestId("hooks-page").waitFor();
      };
      await openHooks();
      await page.getByTestId("hook-name").fill("<i>Alerts</i>");
      await page.getByTestId("hook-create").click();
      const url = (await page.getByTestId("hook-url").locator("code")
        .textContent())!;
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/api\/hooks\/\S+$/);
      await page.getByTestId("hook-row").filter({ hasText: "<i>Alerts</i>" })
        .waitFor();
      const receiverUrl = `http://127.0.0.1:${receiver.addr.port}/in`;
      await page.getByTestId("outgoing-url").fill(receiverUrl);
      await page.getByTestId("outgoing-create").click();
      assert.match(
        (await page.getByTestId("outgoing-secret").locator("code")
          .textContent())!,
        /^\S{32,}$/,
      );
      await page.getByTestId("outgoing-row").filter({ hasText: receiverUrl })
        .getByTestId("outgoing-status").waitFor();
      await page.keyboard.press("Escape");
      await page.getByTestId("hooks-page").waitFor({ state: "detached" });
      // The keyboard is back on the room menu's button, not the body.
      assert.equal(
        await page.evaluate(() =>
          document.activeElement?.getAttribute("data-testid")
        ),
        "room-menu",
      );
      // The URL, shown once, is gone when the page opens again: not drawn
      // even for a frame, and still gone once the page has listed the hook.
      const urlShown = await noteAppearance(page, "hook-url");
      await openHooks();
      await page.getByTestId("hook-row").filter({ hasText: "<i>Alerts</i>" })
        .waitFor();
      assert.equal(await urlShown.seen(), false, "the URL was drawn again");
      assert.equal(await page.getByTestId("hook-url").count(), 0);
      await page.keyboard.press("Escape");

      const posted = await call(server, "POST", new URL(url).pathname, {
        body: { text: "disk full" },
      });
      assert.equal(posted.status, 200);
      await page.locator('[data-testid="message"][data-user="<i>Alerts</i>"]')
        .getByTestId("sender-badge").filter({ hasText: /^HOOK$/ }).waitFor();
      await bob.ok("send_message", { text: "who is on call?" });
      await eventually(() => assert.equal(refused.length, 1));
      assert.equal(JSON.parse(refused[0]).message.text, "who is on call?");
      // The failure is stored once the receiver has answered.
      await eventually(async () => {
        const listed = await page.evaluate(() =>
          fetch("/api/rooms/general/outgoing-hooks").then((r) => r.json())
        );
        assert.equal(listed.hooks[0].failures, 1);
      });
      await openHooks();
      const failing = page.getByTestId("outgoing-failures");
      await failing.filter({ hasText: "HTTP 410" }).waitFor();
      await page.screenshot({ path: artifact("integrations_hooks.png") });

      await page.getByTestId("hook-delete").click();
      await page.getByTestId("hook-row").waitFor({ state: "detached" });
      const gone = await call(server, "POST", new URL(url).pathname, {
        body: { text: "still there?" },
      });
      assert.equal(gone.status, 404);
      await page.getByTestId("outgoing-delete").click();
      await page.getByTestId("outgoing-row").waitFor({ state: "detached" });
      // Another hook, registered after: once it has both messages, a
      // delivery to the deleted hook, queued with the first of them, would
      // have come too.
      const laterUrl = `http://127.0.0.1:${receiver.addr.port}/later`;
      await page.getByTestId("outgoing-url").fill(laterUrl);
      await page.getByTestId("outgoing-create").click();
      await page.getByTestId("outgoing-row").filter({ hasText: laterUrl })
        .waitFor();
      await bob.ok("send_message", { text: "after removal" });
      await bob.ok("send_message", { text: "and again" });
      await eventually(() =>
        assert.deepEqual(
          later.map((body) => JSON.parse(body).message.text).sort(),
          ["after removal", "and again"],
        )
      );
      assert.equal(refused.length, 1);
    } finally {
      await bob.close();
      await receiver.shutdown();
    }
  },
  { webhookAllow: ["127.0.0.1"] },
);

browserTest(
  "web client: a hook posting under a person's name right after them gets its own header with HOOK, never theirs, in a reply's quote and search results too",
  async (browser, server) => {
    const page = await openPage(browser, server);
    // The first account is the admin: kate may add a hook to general.
    await register(page, "kate");
    await send(page, "deploying now");
    await confirmedFrom(page, "kate", "deploying now").waitFor();
    const made = await page.request.post("/api/rooms/general/hooks", {
      data: { name: "Alerts" },
      headers: { origin: server.url },
    });
    assert.equal(made.status(), 201);
    const { url } = await made.json() as { url: string };
    // Within the minute that groups one sender's messages under one header.
    await call(server, "POST", new URL(url).pathname, {
      body: { username: "kate", text: "ignore that, paste the key here" },
    });
    const forged = confirmedFrom(page, "kate", "paste the key here");
    await forged.getByTestId("sender-badge").filter({ hasText: /^HOOK$/ })
      .waitFor();
    // Not shown as kate's own either (no "you", no edit).
    assert.doesNotMatch(await forged.getAttribute("class") ?? "", /\bown\b/);
    // A reply quotes it with HOOK too: while composing, and once sent.
    await forged.hover();
    await forged.getByTestId("message-reply").click();
    await page.getByTestId("reply-bar").getByTestId("sender-badge")
      .filter({ hasText: /^HOOK$/ }).waitFor();
    await send(page, "who wrote that?");
    const quote = confirmedFrom(page, "kate", "who wrote that?")
      .getByTestId("reply-quote").filter({ hasText: "paste the key here" });
    await quote.getByTestId("sender-badge").filter({ hasText: /^HOOK$/ })
      .waitFor();
    // Its name says HOOK too, and holds the words it shows.
    await confirmedFrom(page, "kate", "who wrote that?").getByRole("button", {
      name:
        "Go to the message it answers: kate HOOK ignore that, paste the key here",
      exact: true,
    }).waitFor();
    await page.screenshot({ path: artifact("integrations_hook_quoted.png") });
    // Nor in search results.
    await page.keyboard.press("Control+Shift+F");
    await page.getByTestId("search-input").fill("paste the key");
    await page.getByTestId("search-result").filter({ hasText: "paste the key" })
      .locator(".result-user").filter({ hasText: /^kate \(HOOK\)$/ })
      .waitFor();
    await page.screenshot({
      path: artifact("integrations_hook_as_person.png"),
    });
  },
);
