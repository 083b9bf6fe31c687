/**
 * The web client's side of integrations in a real browser: the access
 * tokens page (a secret shown once, a token that works, then revoked), and
 * the BOT and HOOK badges on messages. Needs /usr/bin/chromium.
 */

import assert from "node:assert/strict";
import { call } from "./api_helpers.ts";
import {
  artifact,
  browserTest,
  openPage,
  register,
} from "./browser_support.ts";

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

    // A bot's and a hook's messages carry their badges.
    await page.getByTestId("settings").click();
    await page.getByTestId("tokens-setting").click();
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
