/**
 * The web client's screens added after the first audit (tests/
 * browser_a11y_test.ts) against axe-core's WCAG 2.1 A and AA rules, in
 * both themes, on a desktop and on the narrowest common phone: a message's
 * thread, saved messages, the custom status and its presets, do not
 * disturb, a muted room, invites (made, listed, revoked) and a message
 * marked unread, and a message of someone ignored. No serious or critical finding anywhere. Needs
 * /usr/bin/chromium; without it the tests are reported as ignored.
 */

import type { Browser, Page } from "playwright-core";
import { Audit, showActions, SMALL_PHONE } from "./browser_a11y_support.ts";
import {
  browserTest,
  currentRoom,
  openPage,
  openPanel,
  type PageOptions,
  register,
  transitionsDone,
} from "./browser_support.ts";
import { TestClient, type TestServer } from "./harness.ts";

/** Opens the phone's drawer, where the sidebar and one's own card are. */
async function openDrawer(page: Page, phone: boolean): Promise<void> {
  if (!phone) return;
  await page.getByTestId("drawer-toggle").click();
  await page.locator("#sidebar").waitFor({ state: "visible" });
  await transitionsDone(page);
}

/** The screens of threads, saved messages, status, pauses, levels, invites and unread. */
async function auditScreens(
  browser: Browser,
  server: TestServer,
  audit: Audit,
  options: PageOptions & { name: string; label: string; guide: TestClient },
): Promise<void> {
  const page = await openPage(browser, server, options);
  await register(page, options.name);
  // Someone to ignore at the end, online in the member list (made after
  // the page's account: the first account, the desktop's, is the admin).
  const pest = await TestClient.register(server.wsUrl, `pest${options.name}`);
  try {
    await pest.ok("send_message", { text: "buy my stuff" });
    await auditSteps(page, audit, options);
  } finally {
    await pest.close();
    await page.context().close();
  }
}

/** The screens, one after another, on a signed-in page. */
async function auditSteps(
  page: Page,
  audit: Audit,
  options: PageOptions & { name: string; label: string; guide: TestClient },
): Promise<void> {
  const phone = (options.viewport?.width ?? 1280) < 700;
  const label = options.label;

  // A thread: "1 reply" under the guide's message, then its panel.
  const welcome = page.getByTestId("message").filter({ hasText: "welcome" })
    .first();
  await welcome.getByTestId("thread-open").waitFor();
  await audit.check(page, `${label} chat with a thread`);
  await welcome.getByTestId("thread-open").click();
  const thread = page.getByTestId("thread-panel");
  await thread.getByTestId("thread-reply").waitFor();
  await audit.check(page, `${label} thread panel`);
  await page.keyboard.press("Escape");
  await thread.waitFor({ state: "detached" });

  // Saved messages: the message's action, then the panel listing it.
  const save = (await showActions(page, "welcome", phone)).getByTestId(
    "message-save",
  );
  await save.click();
  await page.locator('[data-testid="message-save"][aria-pressed="true"]')
    .waitFor({ state: "attached" });
  await openPanel(page, "saved");
  const saved = page.getByTestId("saved-panel");
  await saved.getByTestId("saved-item").waitFor();
  await audit.check(page, `${label} saved panel`);
  await page.keyboard.press("Escape");
  await saved.waitFor({ state: "detached" });

  // Recent mentions: the panel, empty here.
  await openPanel(page, "mentions");
  const mentions = page.getByTestId("mentions-panel");
  await mentions.getByText("No one has mentioned you yet.").waitFor();
  await audit.check(page, `${label} mentions panel`);
  await page.keyboard.press("Escape");
  await mentions.waitFor({ state: "detached" });

  // Marked unread: the line above it, and the bar that jumps to it.
  await (await showActions(page, "welcome", phone)).getByTestId(
    "message-mark-unread",
  ).click();
  await page.getByTestId("unread-line").waitFor();
  await audit.check(page, `${label} marked unread`);

  // A private room with its invites: one made, listed, then revoked.
  await openDrawer(page, phone);
  await page.getByTestId("create-room").click();
  await page.getByTestId("create-room-input").fill(`quiet-${options.name}`);
  await page.getByTestId("create-room-private").check();
  await page.getByTestId("create-room-submit").click();
  await currentRoom(page, `quiet-${options.name}`);
  if (phone) await page.locator("#sidebar").waitFor({ state: "hidden" });
  await page.getByTestId("room-menu").click();
  await page.getByTestId("invite-open").click();
  const invites = page.getByTestId("invite-dialog");
  await invites.getByTestId("invite-create").click();
  await invites.getByTestId("invite-row").waitFor();
  await audit.check(page, `${label} invites`);
  await invites.getByTestId("invite-revoke").click();
  await invites.getByTestId("invite-row").waitFor({ state: "detached" });
  await audit.check(page, `${label} invites, all revoked`);
  await page.keyboard.press("Escape");
  await invites.waitFor({ state: "detached" });

  // A muted room in the sidebar, with unread: general, muted from here.
  await page.getByTestId("room-menu").click();
  await page.getByTestId("notify-mentions").click();
  await page.getByTestId("room-menu").click();
  await page.locator('[data-testid="notify-mentions"][aria-checked="true"]')
    .waitFor();
  await audit.check(page, `${label} room menu, mentions only`);
  await page.keyboard.press("Escape");
  await openDrawer(page, phone);
  await page.locator('[data-testid="room-item"][data-room="general"]').click();
  await currentRoom(page, "general");
  if (phone) await page.locator("#sidebar").waitFor({ state: "hidden" });
  await page.getByTestId("room-menu").click();
  await page.getByTestId("notify-none").click();
  await page.getByTestId("notify-none").waitFor({ state: "detached" });
  await openDrawer(page, phone);
  await page.locator(
    `[data-testid="room-item"][data-room="quiet-${options.name}"]`,
  )
    .click();
  await currentRoom(page, `quiet-${options.name}`);
  await options.guide.ok("send_message", { text: "while you were away" });
  await page.locator(
    '[data-testid="room-item"][data-room="general"].muted [data-testid="room-unread"]',
  ).waitFor({ state: "attached" });
  await openDrawer(page, phone);
  await audit.check(page, `${label} sidebar with a muted room`);

  // A status in one's own words, then the presets with it set.
  await page.getByTestId("settings").click();
  await page.getByTestId("status-type").click();
  await page.getByTestId("status-custom").waitFor();
  await audit.check(page, `${label} custom status form`);
  await page.getByTestId("status-custom").fill("at the dentist");
  await page.getByTestId("status-custom").press("Enter");
  await page.getByTestId("me").getByTestId("status-mark").waitFor();
  await audit.check(page, `${label} with a status`);
  await page.getByTestId("settings").click();
  await page.getByTestId("status-clear").waitFor();
  await audit.check(page, `${label} status presets, one set`);

  // Do not disturb: paused for an hour, the menu offers to resume.
  await page.getByTestId("pause-hour").click();
  await page.getByTestId("paused-mark").waitFor();
  await audit.check(page, `${label} paused`);
  await page.getByTestId("settings").click();
  await page.getByTestId("pause-resume").waitFor();
  await audit.check(page, `${label} settings menu, paused`);
  await page.keyboard.press("Escape");

  // Someone ignored: their message hidden, with a way to show it.
  await page.locator('[data-testid="room-item"][data-room="general"]').click();
  await currentRoom(page, "general");
  if (phone) {
    await page.locator("#sidebar").waitFor({ state: "hidden" });
    await page.getByTestId("members-toggle").click();
    await page.getByTestId("member-list").waitFor({ state: "visible" });
  }
  await page.getByRole("button", { name: `Actions for pest${options.name}` })
    .click();
  await page.getByTestId("menu-ignore").click();
  if (phone) {
    await page.keyboard.press("Escape");
    await page.getByTestId("member-list").waitFor({ state: "hidden" });
  }
  await page.locator('[data-ignored="true"]').getByTestId("show-ignored")
    .waitFor();
  await audit.check(page, `${label} a message of someone ignored`);
}

for (const colorScheme of ["light", "dark"] as const) {
  browserTest(
    `web client's threads, saved messages, status, pauses, levels, invites and unread pass axe-core's WCAG 2.1 AA rules (${colorScheme})`,
    async (browser, server) => {
      const guide = await TestClient.login(server.wsUrl, "guide");
      const audit = new Audit();
      try {
        const welcome = await guide.ok("send_message", {
          text: "welcome! read https://example.com/faq first",
        });
        const id = (welcome.message as { id: string }).id;
        await guide.ok("send_message", { text: "ask here", reply_to: id });
        await auditScreens(browser, server, audit, {
          colorScheme,
          name: `desk${colorScheme}`,
          label: `${colorScheme} desktop`,
          guide,
        });
        await auditScreens(browser, server, audit, {
          colorScheme,
          viewport: SMALL_PHONE,
          name: `phone${colorScheme}`,
          label: `${colorScheme} phone`,
          guide,
        });
      } finally {
        await guide.close();
      }
      audit.assertClean();
    },
  );
}
