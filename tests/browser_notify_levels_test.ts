/**
 * The web client's notification levels, kept on the server: two browser
 * contexts (two devices) of one account and a real server. The room
 * menu's choice shows on the other device, a muted room's unread is marked
 * without its count, and the mutes an older client kept in the browser go
 * to the server once. Needs /usr/bin/chromium.
 */
import type { Page } from "playwright-core";
import {
  browserTest,
  currentRoom,
  openPage,
  register,
  send,
  signIn,
} from "./browser_support.ts";

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
