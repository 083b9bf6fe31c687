/**
 * The admin page's bot screen in a real browser against a real server: a
 * bot made (a bad name refused in the reader's language), a token whose
 * secret is shown once and works until revoked, and a private-message hook
 * refused for a URL the server will not call, then added, delivered to and
 * removed; the screen at phone size. Each secret is drawn beside the token
 * or hook it belongs to, each refusal inside the form or item refused (the
 * page's notice is off screen on a phone). Needs /usr/bin/chromium.
 */

import assert from "node:assert/strict";
import { call } from "./api_helpers.ts";
import {
  artifact,
  browserTest,
  openPage,
  register,
  signIn,
  STEP_TIMEOUT,
} from "./browser_support.ts";
import { eventually, TestClient } from "./harness.ts";

// Every wait below is for the server's answer on a busy machine: wide.
const WIDE = { timeout: 3 * STEP_TIMEOUT };

browserTest(
  "admin page: an admin makes a bot, a token shown once that works until revoked, and a private-message hook added and removed",
  async (browser, server) => {
    // The bot's receiver: every delivery it gets, by path.
    const received: string[] = [];
    const receiver = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      async (request) => {
        received.push(await request.text());
        return new Response(null, { status: 204 });
      },
    );
    const bob = await TestClient.login(server.wsUrl, "bob");
    try {
      const page = await openPage(browser, server);
      await register(page, "root");
      await page.goto("/admin");
      await page.getByTestId("admin-tab-bots").click();
      await page.getByTestId("admin-no-bots").waitFor(WIDE);

      // The name rules of register, in the server's words (English),
      // said inside the form, as an alert, and not again at the page's top.
      await page.getByTestId("admin-bot-name").fill("two words");
      await page.getByTestId("admin-bot-create").click();
      const createForm = page.locator("form", {
        has: page.getByTestId("admin-bot-create"),
      });
      const nameRefused = createForm.getByTestId("admin-bot-error");
      await nameRefused.filter({ hasText: /letters|digits|characters/i })
        .waitFor(WIDE);
      assert.equal(await nameRefused.getAttribute("role"), "alert");
      assert.equal(await page.getByTestId("admin-notice-error").count(), 0);

      await page.getByTestId("admin-bot-name").fill("ci");
      await page.getByTestId("admin-bot-create").click();
      const row = page.locator('[data-testid="admin-bot"][data-bot="ci"]');
      await row.filter({ hasText: "created" }).waitFor(WIDE);
      const panel = page.getByTestId("admin-bot-panel");
      await panel.waitFor(WIDE);
      // Focus goes to the bot's heading, so a screen reader says which.
      await eventually(async () =>
        assert.equal(
          await page.evaluate(() => document.activeElement?.textContent),
          "ci",
        )
      );
      assert.equal(await page.getByTestId("admin-bot-name").inputValue(), "");
      assert.equal(await nameRefused.count(), 0);

      // A token: its secret shown once, beside it, focused, with the
      // warning. The name is text, not markup.
      await panel.getByTestId("admin-bot-token-name").fill("<b>deploy</b>");
      await panel.getByTestId("admin-bot-token-create").click();
      const token = panel.getByTestId("admin-bot-token").filter({
        hasText: "<b>deploy</b>",
      });
      const secretBox = panel.getByTestId("admin-bot-secret");
      await token.getByTestId("admin-bot-secret").filter({
        hasText: "you will not see it again",
      }).waitFor(WIDE);
      assert.equal(await secretBox.count(), 1);
      const value = token.getByTestId("admin-bot-secret-value");
      const secret = await value.inputValue();
      assert.match(secret, /^chat_/);
      await eventually(async () =>
        assert.equal(
          await page.evaluate(() =>
            document.activeElement?.getAttribute("data-testid")
          ),
          "admin-bot-secret-value",
        )
      );
      await page.screenshot({ path: artifact("admin_bots.png") });

      const me = await call(server, "GET", "/api/me", { token: secret });
      assert.equal(me.status, 200);
      assert.equal(me.body.username, "ci");
      assert.equal(me.body.bot, true);

      // Done with it: gone, focus back on the field that made it, and not
      // drawn again on coming back to the section, which shows the bot's
      // tokens as they are now (one made meanwhile by a script).
      await panel.getByTestId("admin-bot-secret-done").click();
      await secretBox.waitFor({ ...WIDE, state: "detached" });
      assert.equal(
        await page.evaluate(() =>
          document.activeElement?.getAttribute("data-testid")
        ),
        "admin-bot-token-name",
      );
      await page.getByTestId("admin-tab-rooms").click();
      await page.getByTestId("admin-room").first().waitFor(WIDE);
      const scripted = await page.evaluate(() =>
        fetch("/api/bots/ci/tokens", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ name: "from a script" }),
        }).then(async (r) => ({ status: r.status, id: (await r.json()).id }))
      );
      assert.equal(scripted.status, 201);
      await page.getByTestId("admin-tab-bots").click();
      const fromScript = panel.getByTestId("admin-bot-token").filter({
        hasText: "from a script",
      });
      await fromScript.waitFor(WIDE);
      await token.waitFor(WIDE);
      assert.equal(await secretBox.count(), 0);
      assert.ok(!(await page.content()).includes(secret));

      // Revoked meanwhile by the script: revoking it here is refused, and
      // the refusal is said inside that token's row.
      const revokedBehind = await page.evaluate(
        (id) =>
          fetch(`/api/bots/ci/tokens/${id}`, { method: "DELETE" })
            .then((r) => r.status),
        scripted.id,
      );
      assert.ok(revokedBehind < 300, `revoked: ${revokedBehind}`);
      const revokeStale = fromScript.getByTestId("admin-bot-token-revoke");
      await revokeStale.click();
      await revokeStale.filter({ hasText: /^Really\?/ }).waitFor(WIDE);
      await revokeStale.click();
      const staleRefused = fromScript.getByTestId("admin-bot-error");
      await staleRefused.filter({ hasText: "No such token" }).waitFor(WIDE);
      assert.equal(await staleRefused.getAttribute("role"), "alert");
      assert.equal(await token.getByTestId("admin-bot-error").count(), 0);

      // Revoking asks twice; then the token opens nothing.
      const revoke = token.getByTestId("admin-bot-token-revoke");
      await revoke.click();
      await revoke.filter({ hasText: /^Really\?/ }).waitFor(WIDE);
      // Said in a live region too, which a screen reader announces.
      const asked = token.getByTestId("admin-bot-token-revoke-question");
      assert.equal(await asked.getAttribute("role"), "status");
      assert.match(await asked.innerText(), /^Really\?/);
      assert.equal(await token.count(), 1);
      await revoke.click();
      await token.waitFor({ ...WIDE, state: "detached" });
      await page.getByTestId("admin-notice-ok").filter({
        hasText: "revoked",
      }).waitFor(WIDE);
      const after = await call(server, "GET", "/api/me", { token: secret });
      assert.equal(after.status, 401);

      // A URL the server will not call (only 127.0.0.1 is allowed here).
      const hookUrl = panel.getByTestId("admin-bot-hook-url");
      // Refused inside the form's own box, where the admin is looking.
      await hookUrl.fill("http://127.0.0.2:9/refused");
      await panel.getByTestId("admin-bot-hook-add").click();
      const hookForm = panel.locator("form", {
        has: page.getByTestId("admin-bot-hook-url"),
      });
      const hookRefused = hookForm.getByTestId("admin-bot-error");
      await hookRefused.waitFor(WIDE);
      assert.equal(await hookRefused.getAttribute("role"), "alert");
      const formBox = await hookForm.boundingBox();
      const errorBox = await hookRefused.boundingBox();
      assert.ok(formBox && errorBox);
      assert.ok(
        errorBox.x >= formBox.x && errorBox.y >= formBox.y &&
          errorBox.x + errorBox.width <= formBox.x + formBox.width + 0.5 &&
          errorBox.y + errorBox.height <= formBox.y + formBox.height + 0.5,
        `the error ${JSON.stringify(errorBox)} is outside its form ${
          JSON.stringify(formBox)
        }`,
      );
      // The earlier refusal, of another action, is gone.
      assert.equal(await staleRefused.count(), 0);
      assert.equal(await panel.getByTestId("admin-bot-hook").count(), 0);

      const url = `http://127.0.0.1:${receiver.addr.port}/ci`;
      await hookUrl.fill(url);
      await panel.getByTestId("admin-bot-hook-add").click();
      const hook = panel.locator(
        `[data-testid="admin-bot-hook"][data-url="${url}"]`,
      );
      await hook.getByTestId("admin-bot-secret").filter({
        hasText: "signing secret",
      }).waitFor(WIDE);
      assert.equal(await hookRefused.count(), 0);

      // Another secret made: the hook's goes, the new token's is beside it.
      await panel.getByTestId("admin-bot-token-name").fill("second");
      await panel.getByTestId("admin-bot-token-create").click();
      const second = panel.getByTestId("admin-bot-token").filter({
        hasText: "second",
      });
      await second.getByTestId("admin-bot-secret").waitFor(WIDE);
      assert.equal(await secretBox.count(), 1);
      assert.equal(await hook.getByTestId("admin-bot-secret").count(), 0);
      await bob.ok("private_message", { to: "ci", text: "deploy please" });
      await eventually(() => assert.equal(received.length, 1));
      assert.equal(JSON.parse(received[0]).message.text, "deploy please");

      const remove = hook.getByTestId("admin-bot-hook-remove");
      await remove.click();
      await remove.click();
      await hook.waitFor({ ...WIDE, state: "detached" });
      const listed = await page.evaluate(() =>
        fetch("/api/bots/ci/outgoing-hooks").then((r) => r.json())
      );
      assert.deepEqual(listed.hooks, []);

      // At phone size the screen fits.
      const phone = await openPage(browser, server, {
        viewport: { width: 390, height: 844 },
      });
      await signIn(phone, "root");
      await phone.goto("/admin");
      await phone.getByTestId("admin-tab-bots").click();
      await phone.locator('[data-testid="admin-bot"][data-bot="ci"]').click();
      await phone.getByTestId("admin-bot-panel").waitFor(WIDE);
      const overflow = await phone.evaluate(() =>
        document.documentElement.scrollWidth - innerWidth
      );
      assert.ok(overflow <= 0, `the page is ${overflow}px too wide`);
      await phone.screenshot({ path: artifact("admin_bots_phone.png") });
    } finally {
      await bob.close();
      await receiver.shutdown();
    }
  },
  { webhookAllow: ["127.0.0.1"] },
);

browserTest(
  "admin page: a bot name the server refuses is explained in French to a French reader",
  async (browser, server) => {
    const page = await openPage(browser, server, { locale: "fr-FR" });
    await register(page, "root");
    await page.goto("/admin");
    await page.getByTestId("admin-tab-bots").click();
    await page.getByTestId("admin-no-bots").filter({ hasText: "Aucun bot" })
      .waitFor(WIDE);
    await page.getByTestId("admin-bot-name").fill("two words");
    await page.getByTestId("admin-bot-create").click();
    await page.locator("form", { has: page.getByTestId("admin-bot-create") })
      .getByTestId("admin-bot-error").filter({
        hasText: "Un nom compte de 1 à",
      }).waitFor(WIDE);
  },
);
