/**
 * The web client's custom status (set_status): chosen from the account
 * menu's presets, shown beside the name in the others' member lists, on
 * the name's menu and on the account's own card, cleared everywhere, and
 * dropped at its end. Needs /usr/bin/chromium.
 */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { browserTest, openPage, register, signIn } from "./browser_support.ts";
import { TestClient } from "./harness.ts";

/** The member list's row of a name. */
function memberRow(page: Page, name: string) {
  return page.locator(`[data-testid="member"][data-user="${name}"]`);
}

browserTest(
  "web client: a status preset from the account menu, in French, shows beside the name in another's member list and on its menu, and on the account's other device; 'Clear status' takes it away everywhere; one's own words typed in the menu show too",
  async (browser, server) => {
    const lea = await openPage(browser, server, { locale: "fr-FR" });
    await register(lea, "lea");
    const tablet = await openPage(browser, server, { locale: "fr-FR" });
    await signIn(tablet, "lea");
    const bob = await openPage(browser, server);
    await register(bob, "bob");
    await memberRow(bob, "lea").waitFor();

    await lea.getByTestId("settings").click();
    await lea.getByTestId("status-meeting").click();
    const meeting = /📅\s*En réunion/;
    await lea.getByTestId("me").getByTestId("status-mark")
      .filter({ hasText: meeting }).waitFor();
    await tablet.getByTestId("me").getByTestId("status-mark")
      .filter({ hasText: meeting }).waitFor();
    await memberRow(bob, "lea").getByTestId("status-mark")
      .filter({ hasText: meeting }).waitFor();
    await memberRow(bob, "lea").getByTestId("member-actions").click();
    // An hour from now past midnight names its day ("until Mon 00:12").
    await bob.getByTestId("member-status")
      .filter({
        hasText: /lea's status: 📅 En réunion \(until (?:\S+ )?\d\d:\d\d\)/,
      })
      .waitFor();
    await bob.keyboard.press("Escape");

    await tablet.getByTestId("settings").click();
    await tablet.getByTestId("status-state")
      .filter({ hasText: "Statut : 📅 En réunion" }).waitFor();
    await tablet.getByTestId("status-clear").click();
    await memberRow(bob, "lea").getByTestId("status-mark")
      .waitFor({ state: "detached" });
    await lea.getByTestId("me").getByTestId("status-mark")
      .waitFor({ state: "detached" });

    // A status of one's own words, typed in the menu.
    await bob.getByTestId("settings").click();
    await bob.getByTestId("status-type").click();
    await bob.getByTestId("status-custom").fill("Deploying v2");
    await bob.getByTestId("status-custom").press("Enter");
    await memberRow(lea, "bob").getByTestId("status-mark")
      .filter({ hasText: "Deploying v2" }).waitFor();
  },
);

browserTest(
  "web client: a member's status set before the page opened shows in its member list, and goes when its end comes with no word from the server",
  async (browser, server) => {
    const carol = await TestClient.register(server.wsUrl, "carol");
    try {
      await carol.ok("set_status", {
        text: "On holiday",
        emoji: "🌴",
        until: Date.now() + 3_600_000,
      });
      const bob = await openPage(browser, server);
      // The page's clock runs as the real one until the jump below.
      await bob.clock.install();
      await register(bob, "bob");
      const mark = memberRow(bob, "carol").getByTestId("status-mark");
      await mark.filter({ hasText: /🌴\s*On holiday/ }).waitFor();
      await bob.clock.fastForward("01:00:05");
      await mark.waitFor({ state: "detached" });
    } finally {
      await carol.close();
    }
  },
);

browserTest(
  "web client: an account one ignores shows no status beside its name, in the member list or on its menu, however often it changes it; unignored, its status shows again",
  async (browser, server) => {
    // Its messages are hidden and its typing not shown; its status stood
    // beside its name in every member list the ignorer looked at.
    const carol = await TestClient.register(server.wsUrl, "carol");
    try {
      const bob = await openPage(browser, server);
      await register(bob, "bob");
      await carol.ok("set_status", { text: "bob, I know where you live" });
      const mark = memberRow(bob, "carol").getByTestId("status-mark");
      await mark.filter({ hasText: "I know where you live" }).waitFor();
      await memberRow(bob, "carol").getByTestId("member-actions").click();
      await bob.getByTestId("menu-ignore").click();
      await mark.waitFor({ state: "detached" });
      await carol.ok("set_status", { text: "bob, answer me" });
      // A status of another, set after carol's, shows: the page heard both.
      await memberRow(bob, "bob").waitFor();
      const dan = await TestClient.register(server.wsUrl, "dan");
      try {
        await dan.ok("set_status", { text: "Lunch" });
        await memberRow(bob, "dan").getByTestId("status-mark")
          .filter({ hasText: "Lunch" }).waitFor();
      } finally {
        await dan.close();
      }
      assert.equal(await mark.count(), 0, "carol's new status is not shown");
      await memberRow(bob, "carol").getByTestId("member-actions").click();
      assert.equal(await bob.getByTestId("member-status").count(), 0);
      await bob.getByTestId("menu-unignore").click();
      await mark.filter({ hasText: "bob, answer me" }).waitFor();
    } finally {
      await carol.close();
    }
  },
);
