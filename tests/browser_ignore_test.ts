/**
 * Ignoring in the web client, in a real browser: the member menu ignores
 * and stops ignoring, in English and in French; an ignored account's room
 * messages are hidden behind a line with a "Show" button, on every page
 * of the account (the server keeps the list). Needs /usr/bin/chromium;
 * without it the tests are reported as ignored.
 */

import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import {
  artifact,
  browserTest,
  openPage,
  register,
  signIn,
} from "./browser_support.ts";
import { TestClient } from "./harness.ts";

/** The row of a message from `user` holding `text` once shown. */
function rowOf(page: Page, user: string) {
  return page.locator(`[data-testid="message"][data-user="${user}"]`);
}

browserTest(
  "web client hides an ignored account's messages with a way to show them, and its member menu ignores and stops ignoring, in English and French",
  async (browser, server) => {
    const page = await openPage(browser, server);
    await register(page, "alice");
    const mallory = await TestClient.register(server.wsUrl, "mallory");
    try {
      await mallory.ok("send_message", { text: "first words" });
      await rowOf(page, "mallory").filter({ hasText: "first words" })
        .waitFor();
      await page.getByRole("button", { name: "Actions for mallory" }).click();
      await page.getByTestId("menu-ignore").click();
      await page.getByText(
        "You ignore mallory: their messages are hidden",
      ).waitFor();
      // Hidden at once, those already on screen too.
      const hidden = page.locator(
        '[data-testid="message"][data-user="mallory"][data-ignored="true"]',
      );
      await hidden.filter({
        hasText: "Message from mallory, whom you ignore",
      }).waitFor();
      await mallory.ok("send_message", { text: "buy my stuff" });
      await page.waitForFunction(() =>
        document.querySelectorAll('[data-ignored="true"]').length === 2
      );
      assert.equal(
        await page.getByText("buy my stuff").count(),
        0,
        "an ignored account's text is not on the page",
      );
      await page.screenshot({ path: artifact("ignored_hidden.png") });
      // Shown on demand, one message at a time.
      await hidden.last().getByTestId("show-ignored").click();
      await rowOf(page, "mallory").filter({ hasText: "buy my stuff" })
        .waitFor();
      assert.equal(await hidden.count(), 1);

      // Another device, in French: the server's list hides him there too.
      const phone = await openPage(browser, server, { locale: "fr-FR" });
      await signIn(phone, "alice");
      await phone.locator('[data-ignored="true"]').filter({
        hasText: "Message de mallory, que vous ignorez",
      }).first().waitFor();
      await phone.getByRole("button", { name: "Actions pour mallory" })
        .click();
      await phone.getByTestId("menu-unignore").filter({
        hasText: "Ne plus ignorer",
      }).click();
      await phone.getByText("Vous n'ignorez plus mallory.").waitFor();
      // The first page hears it (the `ignored` event): shown again.
      await rowOf(page, "mallory").filter({ hasText: "first words" })
        .waitFor();
      await page.waitForFunction(() =>
        document.querySelectorAll('[data-ignored="true"]').length === 0
      );
      await page.getByRole("button", { name: "Actions for mallory" }).click();
      await page.getByTestId("menu-ignore").waitFor();
    } finally {
      await mallory.close();
    }
  },
);
