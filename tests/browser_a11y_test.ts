/**
 * The web client against axe-core's WCAG 2.1 A and AA rules, screen by
 * screen, in both themes and at phone size: no serious or critical
 * finding anywhere. Needs /usr/bin/chromium; without it the tests are
 * reported as ignored.
 */

import assert from "node:assert/strict";
import type { Browser } from "playwright-core";
import {
  assertFocusShows,
  Audit,
  focusComesTo,
  focusedIs,
  PHONE,
  showActions,
  SMALL_PHONE,
  tabTo,
} from "./browser_a11y_support.ts";
import {
  browserTest,
  confirmedFrom,
  currentRoom,
  openPage,
  openPanel,
  type PageOptions,
  register,
  send,
  submitPassword,
  transitionsDone,
} from "./browser_support.ts";
import { TEST_PASSWORD, TestClient, type TestServer } from "./harness.ts";

/** Every screen of a signed-in user, in one theme and size. */
async function auditScreens(
  browser: Browser,
  server: TestServer,
  audit: Audit,
  options: PageOptions & { name: string; label: string },
): Promise<void> {
  const phone = (options.viewport?.width ?? 1280) < 700;
  const page = await openPage(browser, server, options);
  await page.goto("/");
  await page.getByTestId("login-username").waitFor();
  await audit.check(page, `${options.label} login`);
  await page.getByTestId("login-tab-register").click();
  await page.getByTestId("login-password").waitFor();
  await audit.check(page, `${options.label} register`);

  await register(page, options.name);
  await send(page, `hello from ${options.name}, see \`code\` and **bold**`);
  await confirmedFrom(page, options.name, "hello from").waitFor();
  await page.getByTestId("message").filter({ hasText: "welcome" }).waitFor();
  await page.locator(".hl-comment").waitFor();
  await audit.check(page, `${options.label} chat`);

  if (phone) {
    await page.getByTestId("drawer-toggle").click();
    await page.locator("#sidebar").waitFor({ state: "visible" });
    await transitionsDone(page);
    await audit.check(page, `${options.label} drawer`);
  }
  await page.getByTestId("settings").click();
  await page.getByTestId("lang-en").waitFor();
  await audit.check(page, `${options.label} settings menu`);
  await page.keyboard.press("Escape");
  await page.getByTestId("lang-en").waitFor({ state: "detached" });

  await page.getByTestId("create-room").click();
  await page.getByTestId("create-room-input").waitFor();
  await audit.check(page, `${options.label} create room`);
  await page.keyboard.press("Escape");
  if (phone) {
    await page.keyboard.press("Escape");
    await page.locator("#sidebar").waitFor({ state: "hidden" });
  }

  await page.getByTestId("room-menu").click();
  await page.getByTestId("notify-all").waitFor();
  await audit.check(page, `${options.label} room menu`);
  await page.keyboard.press("Escape");
  await page.getByTestId("notify-all").waitFor({ state: "detached" });

  if (phone) {
    await page.getByTestId("members-toggle").click();
    await page.getByTestId("member-list").waitFor({ state: "visible" });
    await transitionsDone(page);
  }
  // Every account has a menu beside others (ignore); an admin's holds
  // kick and ban too.
  const more = page.getByTestId("member-actions");
  await page.getByTestId("member").nth(1).waitFor();
  if (await more.count() > 0) {
    await more.first().click();
    await page.getByTestId("menu-ignore").waitFor();
    await audit.check(page, `${options.label} member menu`);
    await page.keyboard.press("Escape");
  }
  if (phone) {
    await page.keyboard.press("Escape");
    await page.getByTestId("member-list").waitFor({ state: "hidden" });
  }

  // The quick switcher (Ctrl+K), its first choice chosen.
  await page.keyboard.press("Control+k");
  await page.getByTestId("switch-option").first().waitFor();
  await audit.check(page, `${options.label} quick switcher`);
  await page.keyboard.press("Escape");
  await page.getByTestId("quick-switcher").waitFor({ state: "detached" });

  // Search (Ctrl+Shift+F), with results and their marks.
  await page.keyboard.press("Control+Shift+F");
  await page.getByTestId("search-input").fill("welcome");
  await page.getByTestId("search-result").first().waitFor();
  await audit.check(page, `${options.label} search`);
  await page.keyboard.press("Escape");
  await page.getByTestId("search-dialog").waitFor({ state: "detached" });

  await openPanel(page, "pins");
  await page.getByTestId("pins-panel").getByRole("status").waitFor();
  await audit.check(page, `${options.label} pins panel`);
  await page.keyboard.press("Escape");
  await page.getByTestId("pins-panel").waitFor({ state: "detached" });

  // The emoji picker, then a reaction and a reply quote on screen.
  const welcome = page.getByTestId("message").filter({ hasText: "welcome" });
  await showActions(page, "welcome", phone);
  await welcome.getByTestId("message-react").click();
  await page.getByTestId("emoji-picker").waitFor();
  await audit.check(page, `${options.label} emoji picker`);
  await page.getByTestId("emoji-option").first().click();
  await welcome.getByTestId("reaction").waitFor();
  await showActions(page, "welcome", phone);
  await welcome.getByTestId("message-reply").click();
  await page.getByTestId("reply-bar").waitFor();
  await audit.check(page, `${options.label} replying`);
  await page.getByTestId("composer").press("Escape");

  await page.getByTestId("message").first().hover();
  await page.getByTestId("composer").press("ArrowUp");
  await page.getByTestId("edit-input").waitFor();
  await audit.check(page, `${options.label} editing`);
  await page.getByTestId("edit-input").press("Escape");
  await page.context().close();
}

for (const colorScheme of ["light", "dark"] as const) {
  browserTest(
    `web client passes axe-core's WCAG 2.1 AA rules on every screen (${colorScheme})`,
    async (browser, server) => {
      const bot = await TestClient.login(server.wsUrl, "guide");
      const audit = new Audit();
      try {
        await bot.ok("send_message", {
          // A list and a coloured code block: their marks and colours too
          // meet the contrast rules in both themes.
          text: "welcome! read https://example.com/faq first, @someone\n" +
            "- rule **one**\n1. step\n```ts\nconst x = 'y'; // z, 42\n```",
        });
        await auditScreens(browser, server, audit, {
          colorScheme,
          name: `desk${colorScheme}`,
          label: `${colorScheme} desktop`,
        });
        await auditScreens(browser, server, audit, {
          colorScheme,
          viewport: PHONE,
          name: `phone${colorScheme}`,
          label: `${colorScheme} phone`,
        });
      } finally {
        await bot.close();
      }
      audit.assertClean();
    },
  );
}

browserTest(
  "web client works from the keyboard alone: log in, rooms, menus, messages, invites",
  async (browser, server) => {
    const page = await openPage(browser, server);
    await page.goto("/");
    // The name field has the focus; tabs switch with the keyboard too.
    await page.getByTestId("login-username").waitFor();
    assert.ok(await focusedIs(page, "login-username"));
    await tabTo(page, "login-tab-register", { back: true });
    await page.keyboard.press("Enter");
    await tabTo(page, "login-username");
    await page.keyboard.type("keys");
    await page.keyboard.press("Tab");
    await page.keyboard.type(TEST_PASSWORD);
    await submitPassword(page, () => page.keyboard.press("Enter"));
    await currentRoom(page, "general");

    // The composer has the focus: type and send.
    assert.ok(await focusedIs(page, "composer"));
    await page.keyboard.type("typed without a mouse");
    await page.keyboard.press("Enter");
    await confirmedFrom(page, "keys", "typed without a mouse").waitFor();

    // Create a private room from the sidebar's "+".
    await tabTo(page, "create-room", { back: true });
    await page.keyboard.press("Enter");
    assert.ok(await focusedIs(page, "create-room-input"));
    await page.keyboard.type("quiet");
    await tabTo(page, "create-room-private");
    await page.keyboard.press("Space");
    await tabTo(page, "create-room-input", { back: true });
    await page.keyboard.press("Enter");
    await currentRoom(page, "quiet");
    await page.getByTestId("header-lock").waitFor();

    // The room menu: opens with its first item focused, Escape gives the
    // focus back to its button.
    await tabTo(page, "room-menu");
    await page.keyboard.press("Enter");
    await page.getByTestId("notify-all").waitFor();
    assert.ok(await focusedIs(page, "notify-all"));
    await page.keyboard.press("Escape");
    await page.getByTestId("notify-all").waitFor({ state: "detached" });
    assert.ok(await focusedIs(page, "room-menu"));

    // The invite dialog keeps the focus inside until Escape.
    await page.keyboard.press("Enter");
    await tabTo(page, "invite-open");
    await page.keyboard.press("Enter");
    const dialog = page.getByTestId("invite-dialog");
    await dialog.waitFor();
    assert.ok(await focusedIs(page, "invite-user"));
    await tabTo(page, "invite-create");
    await page.keyboard.press("Enter");
    await dialog.getByTestId("invite-row").waitFor();
    for (let i = 0; i < 12; i++) {
      await page.keyboard.press("Tab");
      assert.ok(
        await page.evaluate(() =>
          document.activeElement?.closest('[data-testid="invite-dialog"]') !==
            null
        ),
        "the focus left the open dialog",
      );
    }
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });
    assert.ok(await focusedIs(page, "room-menu"));

    // Messages: the list takes the focus, arrows walk the messages and a
    // message's actions are reachable.
    await tabTo(page, "composer");
    await page.keyboard.type("edit me later");
    await page.keyboard.press("Enter");
    await confirmedFrom(page, "keys", "edit me later").waitFor();
    await tabTo(page, "message-list", { back: true });
    await page.keyboard.press("ArrowUp");
    assert.ok(await focusedIs(page, "message"));
    // The author's name first: it opens the profile card.
    await page.keyboard.press("Tab");
    assert.ok(await focusedIs(page, "msg-user"));
    await page.keyboard.press("Tab");
    assert.ok(await focusedIs(page, "message-react"));
    await page.keyboard.press("Tab");
    assert.ok(await focusedIs(page, "message-reply"));
    await page.keyboard.press("Tab");
    // Moderators also have the pin between reply and edit.
    if (await focusedIs(page, "message-pin")) await page.keyboard.press("Tab");
    assert.ok(await focusedIs(page, "message-edit"));
    await page.keyboard.press("Enter");
    await page.getByTestId("edit-input").waitFor();
    assert.ok(await focusedIs(page, "edit-input"));
    await page.keyboard.press("Escape");
    await page.getByTestId("edit-input").waitFor({ state: "detached" });

    // The settings menu closes on Escape too.
    await tabTo(page, "settings");
    await page.keyboard.press("Enter");
    await page.getByTestId("lang-en").waitFor();
    await page.keyboard.press("Escape");
    await page.getByTestId("lang-en").waitFor({ state: "detached" });
    assert.ok(await focusedIs(page, "settings"));
  },
);

browserTest(
  "web client on a phone gives the focus back to the drawer's button after creating a room there",
  async (browser, server) => {
    const page = await openPage(browser, server, { viewport: PHONE });
    await register(page, "noor");
    await page.getByTestId("drawer-toggle").click();
    await page.getByTestId("create-room").click();
    await page.getByTestId("create-room-input").fill("design");
    await page.getByTestId("create-room-submit").click();
    await currentRoom(page, "design");
    await page.locator("#sidebar").waitFor({ state: "hidden" });
    // The form went away with the drawer, and the focus with it: before,
    // it fell to the page's body, where a screen reader starts over from
    // the top (the composer is not focused on phones: it opens the keyboard).
    await page.waitForFunction(() =>
      document.activeElement?.getAttribute("data-testid") === "drawer-toggle"
    );
  },
);
browserTest(
  "web client keeps the focus in the field after the server refuses a new room's name or an invite, so Escape and typing still work",
  async (browser, server) => {
    const page = await openPage(browser, server);
    await register(page, "rosa");
    await page.getByTestId("create-room").click();
    const name = page.getByTestId("create-room-input");
    await name.fill("general");
    await page.getByTestId("create-room-submit").click();
    await page.getByTestId("create-room-error").waitFor();
    // Before, the field and the button were disabled while the server
    // answered, and the focus fell to the page's body: typing went nowhere
    // and Escape no longer closed the form.
    await page.waitForFunction(() =>
      document.activeElement?.getAttribute("data-testid") ===
        "create-room-input"
    );
    await page.keyboard.press("Escape");
    await name.waitFor({ state: "detached" });

    await page.getByTestId("create-room").click();
    await name.fill("atelier");
    await name.press("Enter");
    await currentRoom(page, "atelier");
    await page.getByTestId("room-menu").click();
    await page.getByTestId("invite-open").click();
    const user = page.getByTestId("invite-user");
    await user.fill("nobody");
    await page.getByTestId("invite-add").click();
    await page.getByTestId("invite-status").filter({ hasText: "nobody" })
      .waitFor();
    assert.ok(await focusedIs(page, "invite-user"), "focus left the field");
  },
);

browserTest(
  "web client gives the focus back to the message's row when its delete is cancelled or done, so Up and Down walk on",
  async (browser, server) => {
    const page = await openPage(browser, server);
    await register(page, "ines");
    for (const text of ["first line", "second line"]) {
      await send(page, text);
      await confirmedFrom(page, "ines", text).waitFor();
    }
    const second = confirmedFrom(page, "ines", "second line");
    const key = await second.getAttribute("data-key");
    const rowFocused = () =>
      page.waitForFunction(
        (k) => document.activeElement?.getAttribute("data-key") === k,
        key,
      );
    await second.focus();
    await tabTo(page, "message-delete");
    await page.keyboard.press("Enter");
    // Escape gives up: the bar went, its Cancel with it. Before, the focus
    // fell to the page's body, and the arrows walked nothing.
    await page.keyboard.press("Escape");
    await rowFocused();

    await tabTo(page, "message-delete");
    await page.keyboard.press("Enter");
    await tabTo(page, "message-delete-confirm");
    await page.keyboard.press("Enter");
    await page.locator(`[data-key="${key}"]`).getByTestId("message-deleted")
      .waitFor();
    await rowFocused();
    await page.keyboard.press("ArrowUp");
    const first = await confirmedFrom(page, "ines", "first line")
      .getAttribute("data-key");
    await page.waitForFunction(
      (k) => document.activeElement?.getAttribute("data-key") === k,
      first,
    );
  },
);

browserTest(
  "web client works from the keyboard alone: a thread answered, a message saved and found, a status set and cleared, notifications paused, a member's menu",
  async (browser, server) => {
    const guide = await TestClient.login(server.wsUrl, "guide");
    try {
      const { message } = await guide.ok("send_message", {
        text: "welcome, ask anything",
      }) as { message: { id: string } };
      await guide.ok("send_message", {
        text: "ask here",
        reply_to: message.id,
      });
      const page = await openPage(browser, server);
      await register(page, "keys");
      // The first: the reply under it quotes its words.
      const welcome = confirmedFrom(page, "guide", "welcome, ask anything")
        .first();
      await welcome.getByTestId("thread-open").waitFor();
      const key = await welcome.getAttribute("data-key");
      const rowFocused = () =>
        page.waitForFunction(
          (k) => document.activeElement?.getAttribute("data-key") === k,
          key,
        );

      // From the composer to the messages, up to the one with a thread,
      // and into its thread: the panel's reply box takes the focus.
      assert.ok(await focusedIs(page, "composer"));
      await tabTo(page, "message-list", { back: true });
      await page.keyboard.press("ArrowUp");
      await page.keyboard.press("ArrowUp");
      await rowFocused();
      await tabTo(page, "thread-open", { max: 3 });
      await page.keyboard.press("Enter");
      const thread = page.getByTestId("thread-panel");
      await thread.getByTestId("thread-reply").waitFor();
      // It opens on its reply box, where the reader acts, as in Slack (it
      // opened on its close button before).
      assert.ok(
        await focusedIs(page, "thread-input"),
        "the thread panel's reply box did not take the focus",
      );
      await assertFocusShows(page, "thread-input");
      await page.keyboard.type("typed in the thread");
      await page.keyboard.press("Enter");
      await thread.getByTestId("thread-reply").filter({
        hasText: "typed in the thread",
      }).waitFor();
      assert.ok(await focusedIs(page, "thread-input"));
      await page.keyboard.press("Escape");
      await thread.waitFor({ state: "detached" });
      await focusComesTo(page, "thread-open");
      await assertFocusShows(page, "thread-open");

      // Saved from the message's actions, then found in the saved panel.
      await tabTo(page, "message-save");
      await page.keyboard.press("Enter");
      await welcome.locator('[data-testid="message-save"][aria-pressed="true"]')
        .waitFor({ state: "attached" });
      await tabTo(page, "saved-open", { back: true });
      await page.keyboard.press("Enter");
      const saved = page.getByTestId("saved-panel");
      await saved.getByTestId("saved-item").waitFor();
      await tabTo(page, "saved-item");
      await page.keyboard.press("Escape");
      await saved.waitFor({ state: "detached" });
      assert.ok(await focusedIs(page, "saved-open"));
      // Chosen, it brings the focus to the message.
      await page.keyboard.press("Enter");
      await saved.getByTestId("saved-item").waitFor();
      await tabTo(page, "saved-item");
      await page.keyboard.press("Enter");
      await saved.waitFor({ state: "detached" });
      await rowFocused();

      // A status in one's own words, from the settings menu; Escape leaves
      // its form for the menu's button, and so does saving it.
      await tabTo(page, "settings");
      await page.keyboard.press("Enter");
      await tabTo(page, "status-type");
      await page.keyboard.press("Enter");
      await focusComesTo(page, "status-custom");
      await page.keyboard.press("Escape");
      await page.getByTestId("status-custom").waitFor({ state: "detached" });
      assert.ok(await focusedIs(page, "settings"));
      await page.keyboard.press("Enter");
      await tabTo(page, "status-type");
      await page.keyboard.press("Enter");
      await focusComesTo(page, "status-custom");
      // Its Back goes to the item that opened it.
      await tabTo(page, "status-back");
      await page.keyboard.press("Enter");
      await focusComesTo(page, "status-type");
      await page.keyboard.press("Enter");
      await focusComesTo(page, "status-custom");
      await assertFocusShows(page, "status-custom");
      await page.keyboard.type("at lunch");
      await page.keyboard.press("Enter");
      await page.getByTestId("me").getByTestId("status-mark").waitFor();
      await focusComesTo(page, "settings");
      await assertFocusShows(page, "settings");
      // Cleared from the same menu: the focus stays on its button.
      await page.keyboard.press("Enter");
      await tabTo(page, "status-clear");
      await page.keyboard.press("Enter");
      await page.getByTestId("me").getByTestId("status-mark").waitFor({
        state: "detached",
      });
      await focusComesTo(page, "settings");
      // So does pausing notifications, and a room's level from its menu.
      await page.keyboard.press("Enter");
      await tabTo(page, "pause-hour");
      await page.keyboard.press("Enter");
      await page.getByTestId("paused-mark").waitFor();
      await focusComesTo(page, "settings");
      await tabTo(page, "room-menu");
      await page.keyboard.press("Enter");
      await tabTo(page, "notify-mentions");
      await page.keyboard.press("Enter");
      await page.getByTestId("notify-mentions").waitFor({ state: "detached" });
      await focusComesTo(page, "room-menu");

      // A member's menu opens on its first item, and its kick asks for a
      // reason in a field that has the focus; Escape gives it back to the
      // menu's button.
      await tabTo(page, "member-actions");
      await page.keyboard.press("Enter");
      await page.waitForFunction(() =>
        document.activeElement?.getAttribute("role") === "menuitem"
      );
      await tabTo(page, "menu-kick");
      await page.keyboard.press("Enter");
      await focusComesTo(page, "moderation-reason");
      await tabTo(page, "moderation-back");
      await page.keyboard.press("Enter");
      await focusComesTo(page, "menu-kick");
      await page.keyboard.press("Enter");
      await focusComesTo(page, "moderation-reason");
      await page.keyboard.press("Escape");
      await page.getByTestId("moderation-reason").waitFor({
        state: "detached",
      });
      assert.ok(await focusedIs(page, "member-actions"));
    } finally {
      await guide.close();
    }
  },
);

/**
 * The contrast of a colour on a background, both read through a probe
 * element (so `var(--x)` and translucent layers are resolved the way the
 * page draws them), each layer composited over the one before.
 */
function contrastOnPage(
  fore: string,
  layers: string[],
): number {
  const probe = document.createElement("span");
  document.body.append(probe);
  const read = (css: string, property: "color" | "backgroundColor") => {
    probe.style[property] = css;
    const [r, g, b, a = 1] = getComputedStyle(probe)[property]
      .match(/[\d.]+/g)!.map(Number);
    return { rgb: [r, g, b], a };
  };
  let under = [255, 255, 255];
  for (const layer of layers) {
    const { rgb, a } = read(layer, "backgroundColor");
    under = rgb.map((c, i) => a * c + (1 - a) * under[i]);
  }
  const { rgb, a } = read(fore, "color");
  const color = rgb.map((c, i) => a * c + (1 - a) * under[i]);
  probe.remove();
  const luminance = (c: number[]) => {
    const [r, g, b] = c.map((v) => {
      const s = v / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const [hi, lo] = [luminance(color), luminance(under)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

browserTest(
  "web client at 375 px works from the keyboard: the room drawer takes the focus and keeps Tab until a room is chosen, a message's actions are reached with Tab, the thread panel keeps it until Escape, and so does the member panel",
  async (browser, server) => {
    const guide = await TestClient.login(server.wsUrl, "guide");
    try {
      await guide.ok("create_room", { room: "lab" });
      const { message } = await guide.ok("send_message", {
        room: "lab",
        text: "welcome to the lab",
      }) as { message: { id: string } };
      await guide.ok("send_message", {
        room: "lab",
        text: "ask here",
        reply_to: message.id,
      });
      const page = await openPage(browser, server, { viewport: SMALL_PHONE });
      await register(page, "keys");
      const inDrawer = () =>
        page.evaluate(() =>
          document.activeElement?.closest("#sidebar") !== null
        );

      // The drawer takes the focus as it opens (its close button was still
      // hidden, sliding in, and the focus stayed behind), and Tab stays in
      // it: before, it walked on into the room under the scrim.
      await tabTo(page, "drawer-toggle");
      await page.keyboard.press("Enter");
      await focusComesTo(page, "drawer-close");
      const stops = await page.locator("#sidebar").evaluate((nav) =>
        nav.querySelectorAll("button, a[href], input, textarea").length
      );
      for (let i = 0; i <= stops; i++) {
        await page.keyboard.press("Tab");
        assert.ok(await inDrawer(), `Tab ${i + 1} left the drawer`);
      }
      await tabTo(page, "drawer-close", { max: stops + 1 });
      await page.keyboard.press("Shift+Tab");
      assert.ok(await inDrawer(), "Shift+Tab left the drawer");
      // A room from the ones to join: chosen, the drawer gives the focus
      // back to its button.
      await tabTo(page, "more-rooms");
      await page.keyboard.press("Enter");
      const lab = page.getByTestId("room-item").filter({ hasText: "lab" });
      await lab.waitFor();
      for (let i = 0; i < stops + 4; i++) {
        if (await lab.evaluate((el) => el === document.activeElement)) break;
        await page.keyboard.press("Tab");
      }
      await page.keyboard.press("Enter");
      await currentRoom(page, "lab");
      await page.locator("#sidebar").waitFor({ state: "hidden" });
      await focusComesTo(page, "drawer-toggle");

      // Up to the message with a thread, then Tab through its link to its
      // actions: on a touch screen the bar went as the focus left the row
      // for the link, and Tab skipped every action.
      // The first: the reply under it quotes its words.
      const welcome = confirmedFrom(page, "guide", "welcome to the lab")
        .first();
      const key = await welcome.getAttribute("data-key");
      await tabTo(page, "message-list");
      for (let i = 0; i < 5; i++) {
        const at = await page.evaluate(() =>
          document.activeElement?.getAttribute("data-key")
        );
        if (at === key) break;
        await page.keyboard.press("ArrowUp");
      }
      await tabTo(page, "thread-open", { max: 3 });
      await tabTo(page, "message-save", { max: 8 });
      await page.keyboard.press("Enter");
      await welcome.locator('[data-testid="message-save"][aria-pressed="true"]')
        .waitFor();
      assert.ok(await focusedIs(page, "message-save"));

      // Into the thread: on a touch screen its close button takes the
      // focus (the reply box would open the keyboard over the replies);
      // Tab stays in the panel, and Escape gives the focus back.
      await tabTo(page, "thread-open", { back: true, max: 8 });
      await page.keyboard.press("Enter");
      const thread = page.getByTestId("thread-panel");
      await thread.getByTestId("thread-reply").waitFor();
      await focusComesTo(page, "dialog-close");
      await tabTo(page, "thread-input", { max: 3 });
      await page.keyboard.type("typed on a phone");
      await page.keyboard.press("Enter");
      await thread.getByTestId("thread-reply").filter({
        hasText: "typed on a phone",
      }).waitFor();
      for (let i = 0; i < 4; i++) {
        await page.keyboard.press("Tab");
        assert.ok(
          await page.evaluate(() =>
            document.activeElement?.closest('[data-testid="thread-panel"]') !==
              null
          ),
          "Tab left the thread panel",
        );
      }
      await page.keyboard.press("Escape");
      await thread.waitFor({ state: "detached" });
      await focusComesTo(page, "thread-open");

      // The member panel takes the focus as it opens too, keeps Tab, and
      // Escape gives the focus back to its button.
      await tabTo(page, "members-toggle", { back: true });
      await page.keyboard.press("Enter");
      await focusComesTo(page, "members-close");
      for (let i = 0; i < 4; i++) {
        await page.keyboard.press("Tab");
        assert.ok(
          await page.evaluate(() =>
            document.activeElement?.closest("#member-list") !== null
          ),
          "Tab left the member panel",
        );
      }
      await page.keyboard.press("Escape");
      await focusComesTo(page, "members-toggle");
    } finally {
      await guide.close();
    }
  },
);

browserTest(
  "web client draws every name's colour at 4.5:1 on a message's backgrounds, and its focus ring at 3:1 on every panel, in both themes",
  async (browser, server) => {
    const short: string[] = [];
    for (const colorScheme of ["light", "dark"] as const) {
      const page = await openPage(browser, server, { colorScheme });
      await page.goto("/");
      await page.getByTestId("login-username").waitFor();
      // A name's colour is one of twelve hues, by its hash: axe sees the
      // few names a test happens to use, this sees them all.
      const names = await page.evaluate((contrast) => {
        const measure = new Function(`return (${contrast})`)();
        const found: string[] = [];
        const row = document.createElement("span");
        document.body.append(row);
        for (let hue = 0; hue < 12; hue++) {
          row.className = `msg-user c${hue}`;
          const color = getComputedStyle(row).color;
          for (
            const layers of [
              ["var(--bg-main)"],
              ["var(--bg-main)", "var(--bg-hover)"],
              ["var(--bg-main)", "var(--own-tint)"],
              ["var(--bg-main)", "var(--mention-bg)"],
            ]
          ) {
            const ratio = measure(color, layers);
            if (ratio < 4.5) {
              found.push(`c${hue} ${color} on ${layers.join(" + ")}: ${ratio}`);
            }
          }
        }
        row.remove();
        for (
          const panel of [
            "var(--bg)",
            "var(--bg-sidebar)",
            "var(--bg-main)",
            "var(--bg-elev)",
          ]
        ) {
          const ratio = measure("var(--focus)", [panel]);
          if (ratio < 3) found.push(`focus ring on ${panel}: ${ratio}`);
        }
        return found;
      }, contrastOnPage.toString());
      short.push(...names.map((line) => `${colorScheme}: ${line}`));
      await page.context().close();
    }
    assert.deepEqual(short, []);
  },
);
