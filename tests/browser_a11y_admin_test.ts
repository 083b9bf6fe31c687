/**
 * The admin page (/admin) against axe-core's WCAG 2.1 A and AA rules, tab
 * by tab, in both themes, on a desktop and on the narrowest common phone:
 * its live figures, accounts (one chosen, banned, with a reset link),
 * rooms, bans, bots (one with a token's secret shown) and the audit log.
 * No serious or critical finding anywhere. Needs /usr/bin/chromium;
 * without it the tests are reported as ignored.
 */

import assert from "node:assert/strict";
import type { Browser, Page } from "playwright-core";
import {
  assertFocusShows,
  Audit,
  focusComesTo,
  focusedIs,
  SMALL_PHONE,
  tabTo,
} from "./browser_a11y_support.ts";
import {
  browserTest,
  openPage,
  type PageOptions,
  signIn,
  STEP_TIMEOUT,
} from "./browser_support.ts";
import { TestClient, type TestServer } from "./harness.ts";

// The page's lists come from the server's REST answers: wide on a busy machine.
const WIDE = { timeout: 3 * STEP_TIMEOUT };

/** Opens a tab of the admin page and waits for what it lists. */
async function openTab(page: Page, tab: string, shows: string): Promise<void> {
  await page.getByTestId(`admin-tab-${tab}`).click();
  await page.locator(`[data-testid="admin-tab-${tab}"][aria-selected="true"]`)
    .waitFor();
  await page.getByTestId(shows).first().waitFor(WIDE);
}

/** Every tab of the admin page, with something in each, in one theme and size. */
async function auditAdmin(
  page: Page,
  audit: Audit,
  label: string,
  first: boolean,
): Promise<void> {
  await page.goto("/admin");
  await page.getByTestId("admin-page").waitFor(WIDE);
  await page.locator('[data-testid="admin-figure"][data-figure="store"] dd')
    .filter({ hasNotText: "…" }).waitFor(WIDE);
  await audit.check(page, `${label} admin page`);

  await page.getByTestId("admin-search").fill("bo");
  await page.getByTestId("admin-find").click();
  await page.locator('[data-testid="admin-account"][data-user="bob"]').click();
  const panel = page.getByTestId("admin-account-panel");
  await panel.waitFor();
  if (first) {
    await panel.getByTestId("admin-ban-reason").fill("spam");
    await panel.getByTestId("admin-ban").click();
    await page.getByTestId("admin-notice-ok").waitFor(WIDE);
    await panel.getByTestId("admin-unban").waitFor(WIDE);
  }
  await panel.getByTestId("admin-reset-password").click();
  await page.getByTestId("admin-reset-link").waitFor(WIDE);
  await audit.check(page, `${label} admin accounts, one chosen`);

  await openTab(page, "rooms", "admin-room");
  await audit.check(page, `${label} admin rooms`);
  await openTab(page, "bans", "admin-ban-row");
  await audit.check(page, `${label} admin bans`);

  await openTab(page, "bots", "admin-bots");
  if (first) {
    await page.getByTestId("admin-bot-name").fill("ci");
    await page.getByTestId("admin-bot-create").click();
  }
  await page.locator('[data-testid="admin-bot"][data-bot="ci"]').click();
  const bot = page.getByTestId("admin-bot-panel");
  await bot.getByTestId("admin-bot-token-name").fill("deploy");
  await bot.getByTestId("admin-bot-token-create").click();
  await bot.getByTestId("admin-bot-secret").waitFor(WIDE);
  await audit.check(page, `${label} admin bots, a secret shown`);

  await openTab(page, "audit", "admin-audit-entry");
  await audit.check(page, `${label} admin audit log`);
}

/** The admin page on a desktop, then on a phone, in one theme. */
async function auditBoth(
  browser: Browser,
  server: TestServer,
  audit: Audit,
  colorScheme: PageOptions["colorScheme"],
): Promise<void> {
  const desk = await openPage(browser, server, { colorScheme });
  await signIn(desk, "root");
  await auditAdmin(desk, audit, `${colorScheme} desktop`, true);
  await desk.context().close();
  const phone = await openPage(browser, server, {
    colorScheme,
    viewport: SMALL_PHONE,
  });
  await signIn(phone, "root");
  await auditAdmin(phone, audit, `${colorScheme} phone`, false);
  await phone.context().close();
}

for (const colorScheme of ["light", "dark"] as const) {
  browserTest(
    `admin page passes axe-core's WCAG 2.1 AA rules on every tab (${colorScheme})`,
    async (browser, server) => {
      const audit = new Audit();
      // The first account is the admin: root, before bob.
      for (const name of ["root", "bob"]) {
        await (await TestClient.register(server.wsUrl, name)).close();
      }
      await auditBoth(browser, server, audit, colorScheme);
      audit.assertClean();
    },
  );
}

browserTest(
  "admin page works from the keyboard alone: one stop for its tabs, the arrows move between them, each focus shows",
  async (browser, server) => {
    for (const name of ["root", "bob"]) {
      await (await TestClient.register(server.wsUrl, name)).close();
    }
    const page = await openPage(browser, server);
    await signIn(page, "root");
    await page.goto("/admin");
    await page.getByTestId("admin-page").waitFor(WIDE);
    await tabTo(page, "admin-tab-accounts");

    // The arrows open the next tab, and the one after the last is the first.
    for (
      const [tab, shows] of [
        ["rooms", "admin-room"],
        ["bans", "admin-no-bans"],
        ["emoji", "admin-no-emoji"],
        ["bots", "admin-bots"],
        ["audit", "admin-audit"],
        ["accounts", "admin-account"],
      ]
    ) {
      await page.keyboard.press("ArrowRight");
      await focusComesTo(page, `admin-tab-${tab}`);
      await assertFocusShows(page, `admin-tab-${tab}`);
      await page.locator(
        `[data-testid="admin-tab-${tab}"][aria-selected="true"]`,
      ).waitFor();
      await page.getByTestId(shows).first().waitFor(WIDE);
    }
    await page.keyboard.press("ArrowLeft");
    await focusComesTo(page, "admin-tab-audit");
    await page.keyboard.press("Home");
    await focusComesTo(page, "admin-tab-accounts");
    await page.keyboard.press("End");
    await focusComesTo(page, "admin-tab-audit");
    await page.getByTestId("admin-audit").waitFor(WIDE);
    await page.keyboard.press("Home");
    await focusComesTo(page, "admin-tab-accounts");
    await page.getByTestId("admin-account").first().waitFor(WIDE);

    // Tab leaves the tabs for the panel; Shift+Tab comes back to the chosen one.
    await page.keyboard.press("Tab");
    await focusComesTo(page, "admin-search");
    await assertFocusShows(page, "admin-search");
    await page.keyboard.press("Shift+Tab");
    await focusComesTo(page, "admin-tab-accounts");

    // A delete that asks first: Escape takes the question back, and the
    // focus stays on the button.
    await page.getByTestId("admin-search").fill("bob");
    await page.keyboard.press("Enter");
    await page.locator('[data-testid="admin-account"][data-user="bob"]')
      .focus();
    await page.keyboard.press("Enter");
    await tabTo(page, "admin-delete-account");
    await page.keyboard.press("Enter");
    const question = page.getByTestId("admin-delete-account-question");
    await question.filter({ hasText: /./ }).waitFor();
    await page.keyboard.press("Escape");
    await question.filter({ hasText: /^$/ }).waitFor({ state: "attached" });
    assert.ok(await focusedIs(page, "admin-delete-account"));
    assert.equal(
      await page.locator('[data-testid="admin-account"][data-user="bob"]')
        .count(),
      1,
    );
  },
);
