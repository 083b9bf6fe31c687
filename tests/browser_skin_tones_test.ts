/**
 * Emoji skin tones in a real browser against a real server: a tone chosen
 * once (in the user menu or under the reaction picker) is what
 * `:thumbsup:` and the picker put in, a toned reaction is one chip others
 * add to, and the account's tone outlives a reload.
 * Needs /usr/bin/chromium; without it the tests are reported as ignored.
 */

import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import {
  artifact,
  axeAudit,
  browserTest,
  confirmedFrom,
  openPage,
  register,
} from "./browser_support.ts";
import { TestClient } from "./harness.ts";

const MEDIUM_THUMBS_UP = "\u{1f44d}\u{1f3fd}"; // 👍🏽
const DARK_THUMBS_UP = "\u{1f44d}\u{1f3ff}"; // 👍🏿

/** Chooses a tone (0 to 5) in the user menu. */
async function chooseInMenu(page: Page, tone: number): Promise<void> {
  await page.getByTestId("settings").click();
  await page.getByTestId(`menu-tone-${tone}`).click();
}

/** Whether the user menu shows this tone as the chosen one. */
async function menuShows(page: Page, tone: number): Promise<boolean> {
  await page.getByTestId("settings").click();
  await page.screenshot({ path: artifact(`skin_tones_menu_${tone}.png`) });
  const checked =
    await page.getByTestId(`menu-tone-${tone}`).getAttribute("aria-checked") ===
      "true";
  await page.keyboard.press("Escape");
  return checked;
}

browserTest(
  "web client puts emoji in the skin tone chosen: :thumbsup: and the picker, a toned reaction others add to, kept after a reload",
  async (browser, server) => {
    const carol = await TestClient.login(server.wsUrl, "carol");
    try {
      const alice = await openPage(browser, server);
      await register(alice, "alice");
      const bob = await openPage(browser, server, { colorScheme: "light" });
      await register(bob, "bob");

      // The tone from the user menu: completion offers and inserts it.
      assert.equal(await menuShows(alice, 0), true, "no tone at first");
      await chooseInMenu(alice, 3);
      const composer = alice.getByTestId("composer");
      await composer.pressSequentially("ship it :thumbsu");
      const option = alice.getByTestId("mention-option").first();
      await option.filter({ hasText: MEDIUM_THUMBS_UP }).waitFor();
      assert.equal(
        await option.locator(".mention-name").innerText(),
        ":thumbsup:",
      );
      await composer.press("Enter");
      assert.equal(
        await composer.inputValue(),
        `ship it ${MEDIUM_THUMBS_UP} `,
      );
      await composer.press("Enter");
      await confirmedFrom(bob, "alice", `ship it ${MEDIUM_THUMBS_UP}`)
        .waitFor();

      // The picker shows the built-in set in the tone, the tone pressed.
      const { seq } = (await carol.ok("send_message", { text: "lunch?" }))
        .message as { seq: number };
      const onAlice = confirmedFrom(alice, "carol", "lunch?");
      await onAlice.hover();
      await onAlice.getByTestId("message-react").click();
      const picker = alice.getByTestId("emoji-picker");
      await picker.waitFor();
      assert.equal(
        await picker.getByTestId("tone-3").getAttribute("aria-pressed"),
        "true",
      );
      assert.deepEqual(await axeAudit(alice), [], "axe: picker with tones");
      await alice.screenshot({ path: artifact("skin_tones_picker.png") });
      await picker.locator(`[data-emoji="${MEDIUM_THUMBS_UP}"]`).click();
      await picker.waitFor({ state: "detached" });

      // bob, with no tone of his own, sees it and adds to the same key.
      const bobChip = confirmedFrom(bob, "carol", "lunch?").locator(
        `[data-testid="reaction"][data-emoji="${MEDIUM_THUMBS_UP}"]`,
      );
      await bobChip.filter({ hasText: "1" }).waitFor();
      await bobChip.click();
      await bobChip.and(bob.locator('[aria-pressed="true"]')).filter({
        hasText: "2",
      }).waitFor();
      const history = await carol.ok("history", {});
      const lunch = (history.messages as {
        seq: number;
        reactions?: unknown;
      }[]).find((message) => message.seq === seq);
      assert.deepEqual(lunch?.reactions, [
        { emoji: MEDIUM_THUMBS_UP, count: 2, users: ["alice", "bob"] },
      ]);

      // A swatch under the picker changes the tone; the account keeps it.
      await onAlice.hover();
      await onAlice.getByTestId("message-react").click();
      await picker.getByTestId("tone-5").click();
      await picker.locator(`[data-emoji="${DARK_THUMBS_UP}"]`).waitFor();
      assert.equal(
        await picker.getByTestId("tone-5").getAttribute("aria-pressed"),
        "true",
      );
      await alice.keyboard.press("Escape");
      await picker.waitFor({ state: "detached" });
      await alice.reload();
      await confirmedFrom(alice, "carol", "lunch?").waitFor();
      assert.equal(await menuShows(alice, 5), true, "the tone after a reload");
      await composer.pressSequentially(":thumbsu");
      await alice.getByTestId("mention-option").first().filter({
        hasText: DARK_THUMBS_UP,
      }).waitFor();
    } finally {
      await carol.close();
    }
  },
);
