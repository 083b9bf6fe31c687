/**
 * The web client's notification levels, kept on the server: two browser
 * contexts (two devices) of one account and a real server. The room
 * menu's choice shows on the other device, a muted room's unread is marked
 * without its count, the mutes an older client kept in the browser go to
 * the server once, and a pause of every notification (do not disturb)
 * follows the account. Needs /usr/bin/chromium.
 */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import {
  browserTest,
  currentConversation,
  currentRoom,
  notifications,
  openPage,
  recordNotifications,
  register,
  send,
  setHidden,
  signIn,
  waitForTitle,
} from "./browser_support.ts";
import { TEST_PASSWORD, TestClient } from "./harness.ts";

/** The sidebar row of a room. */
function roomRow(page: Page, room: string) {
  return page.locator(`[data-testid="room-item"][data-room="${room}"]`);
}

/** Waits until a room's sidebar row is marked muted (level `none`). */
async function mutedRow(page: Page, room: string): Promise<void> {
  await roomRow(page, room).and(page.locator(".muted")).waitFor();
}

browserTest(
  "web client: 'Nothing' in a room's menu mutes it on the account's other device, whose unread mark there has no count; 'Every message' unmutes it",
  async (browser, server) => {
    const laptop = await openPage(browser, server);
    await register(laptop, "alice");
    await send(laptop, "/create design");
    await currentRoom(laptop, "design");
    const phone = await openPage(browser, server);
    await signIn(phone, "alice");
    await currentRoom(phone, "general");

    await laptop.getByTestId("room-menu").click();
    await laptop.getByTestId("notify-none").click();
    await laptop.getByTestId("muted-mark").waitFor();
    await mutedRow(phone, "design");
    // Off #design, or the laptop would read its message for both devices.
    await roomRow(laptop, "general").click();
    await currentRoom(laptop, "general");

    // A message in #design: the phone marks it unread, quietly.
    const bob = await openPage(browser, server);
    await register(bob, "bob");
    await send(bob, "/join design");
    await currentRoom(bob, "design");
    await send(bob, "a new mock-up");
    await phone.waitForFunction(() => {
      const badge = document.querySelector(
        '[data-testid="room-item"][data-room="design"] [data-testid="room-unread"]',
      );
      return badge?.classList.contains("quiet") && badge.textContent === "";
    });

    // The menu shows the level chosen, on the other device too.
    await roomRow(phone, "design").click();
    await currentRoom(phone, "design");
    await phone.getByTestId("room-menu").click();
    await phone.locator('[data-testid="notify-none"][aria-checked="true"]')
      .waitFor();
    await phone.getByTestId("notify-all").click();
    await roomRow(laptop, "design").and(laptop.locator(".muted")).waitFor({
      state: "detached",
    });
  },
);

browserTest(
  "web client: the mutes an older client kept in the browser go to the server at the next login when it holds none, then leave the browser",
  async (browser, server) => {
    const laptop = await openPage(browser, server);
    await register(laptop, "alice");
    await send(laptop, "/create design");
    await currentRoom(laptop, "design");
    // What a client of before kept: the log keys it muted.
    await laptop.evaluate(() =>
      localStorage.setItem("chat.muted.alice", JSON.stringify(["design"]))
    );
    await laptop.reload();
    await mutedRow(laptop, "design");
    await laptop.waitForFunction(() =>
      localStorage.getItem("chat.muted.alice") === null
    );

    // Another device learns it from the server.
    const phone = await openPage(browser, server);
    await signIn(phone, "alice");
    await mutedRow(phone, "design");
  },
);

browserTest(
  "web client: 'Pause notifications' on one device shows on the other and silences its desktop notifications while unread still counts; 'Resume' brings them back",
  async (browser, server) => {
    const phone = await openPage(browser, server);
    await recordNotifications(phone);
    await register(phone, "alice");
    await phone.getByTestId("notify-enable").click();
    await phone.getByTestId("notify-banner").waitFor({ state: "detached" });
    await setHidden(phone, true);
    const laptop = await openPage(browser, server);
    await signIn(laptop, "alice");
    const bob = await openPage(browser, server);
    await register(bob, "bob");
    await bob.locator('[data-testid="member"][data-user="alice"]').click();
    await currentConversation(bob, "alice");

    // Before the pause, a private message notifies.
    await send(bob, "before the pause");
    await phone.waitForFunction(() =>
      (globalThis as unknown as { shown: unknown[] }).shown.length === 1
    );

    await laptop.getByTestId("settings").click();
    await laptop.getByTestId("pause-hour").click();
    await laptop.getByTestId("paused-mark").waitFor();
    await phone.getByTestId("paused-mark").waitFor();

    // Paused: the message counts as unread, in the title too, and shows
    // no notification (the notifier decides as the message arrives).
    await send(bob, "during the pause");
    const dm = phone.locator('[data-testid="dm-item"][data-user="bob"]');
    await dm.getByTestId("dm-unread").filter({ hasText: /^2$/ }).waitFor();
    await waitForTitle(phone, "(2) Chat");
    assert.deepEqual(
      (await notifications(phone)).map((n) => n.body),
      ["before the pause"],
    );

    await setHidden(phone, false);
    await phone.getByTestId("settings").click();
    await phone.getByTestId("pause-state").filter({ hasText: /\d\d:\d\d/ })
      .waitFor();
    await phone.getByTestId("pause-resume").click();
    await phone.getByTestId("paused-mark").waitFor({ state: "detached" });
    await laptop.getByTestId("paused-mark").waitFor({ state: "detached" });
    await setHidden(phone, true);
    await send(bob, "after the pause");
    await phone.waitForFunction(() =>
      (globalThis as unknown as { shown: unknown[] }).shown.length === 2
    );
    assert.deepEqual(
      (await notifications(phone)).map((n) => n.body),
      ["before the pause", "after the pause"],
    );
  },
);

browserTest(
  "web client: a pause that ends drops from the open settings menu and the gear at its end, with nothing else to render them",
  async (browser, server) => {
    const page = await openPage(browser, server);
    await register(page, "alice");
    // Another device of the account sets the pause; logged in first, so
    // that its arrival in the room list renders nothing later.
    const other = await TestClient.loginWith(server.wsUrl, {
      username: "alice",
      password: TEST_PASSWORD,
    });
    try {
      await page.getByTestId("settings").click();
      await page.getByTestId("pause-hour").waitFor();
      // The pause must be seen on before it ends: a few seconds ahead, and
      // a minute if the machine was too busy to show it in time.
      let seen = false;
      for (const ahead of [8_000, 60_000]) {
        const until = Date.now() + ahead;
        await other.ok("set_do_not_disturb", { until });
        try {
          await page.getByTestId("pause-resume").waitFor({
            timeout: Math.max(1, until - Date.now() - 1_000),
          });
          seen = true;
          break;
        } catch {
          // Too late to see it on: try again, further ahead.
        }
      }
      assert.ok(seen, "the pause showed in the menu before it ended");
      // Its end, with a wide margin for a busy machine: the menu offers
      // a pause again and the gear's mark goes, without a click.
      await page.getByTestId("pause-hour").waitFor({ timeout: 120_000 });
      await page.getByTestId("paused-mark").waitFor({
        state: "detached",
        timeout: 120_000,
      });
      assert.doesNotMatch(
        await page.getByTestId("pause-state").innerText(),
        /\d\d:\d\d/,
      );
    } finally {
      await other.close();
    }
  },
);
