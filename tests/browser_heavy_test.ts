/**
 * The web client under heavy traffic, in a real browser: long rooms scrolled
 * far back while messages keep coming. Needs /usr/bin/chromium; without it
 * the tests are reported as ignored.
 */

import assert from "node:assert/strict";
import type { Locator, Page } from "playwright-core";
import { browserTest, guest, openPage, signIn } from "./browser_support.ts";
import { TestClient } from "./harness.ts";
import { MAX_SCROLLED_BACK } from "../client/room_log.ts";
import { NO_RATE_LIMITS } from "../server/mod.ts";

/** Posts `n` numbered messages from a bot, a hundred in flight at a time. */
async function fill(bot: TestClient, n: number): Promise<void> {
  for (let from = 1; from <= n; from += 100) {
    const batch = [];
    for (let i = from; i < Math.min(n + 1, from + 100); i++) {
      batch.push(bot.ok("send_message", { text: `history line ${i}` }));
    }
    await Promise.all(batch);
  }
}

/** The row of the message with this seq. */
function row(page: Page, seq: number): Locator {
  return page.locator(`[data-testid="message"][data-seq="${seq}"]`);
}

/** The seq of the first message row on screen. */
async function firstShown(page: Page): Promise<number> {
  const first = page.locator('[data-testid="message"][data-seq]').first();
  return Number(await first.getAttribute("data-seq"));
}

/** The seq of the last message row on screen. */
async function lastShown(page: Page): Promise<number> {
  const last = page.locator('[data-testid="message"][data-seq]').last();
  return Number(await last.getAttribute("data-seq"));
}

/** Scrolls to the top page after page, each time waiting for the older page. */
async function scrollToOldest(page: Page, list: Locator): Promise<void> {
  let first = await firstShown(page);
  while (first > 1) {
    await list.evaluate((el) => el.scrollTop = 0);
    await page.waitForFunction((before) => {
      const top = document.querySelector('[data-testid="message"][data-seq]');
      return Number(top?.getAttribute("data-seq")) < before;
    }, first);
    first = await firstShown(page);
  }
}

browserTest(
  "a room read far back holds a window of messages, keeps the row read in place as messages arrive, and pages down to them",
  async (browser, server) => {
    const bot = await TestClient.login(server.wsUrl, "archivist");
    try {
      // Past a window and a half: paging down then trims as many rows at the
      // top as each page adds below, which leaves the list's height, and so
      // its scroll position, as it was.
      const total = MAX_SCROLLED_BACK + 200;
      await fill(bot, total);
      const page = await openPage(browser, server);
      await guest(page, "olga");
      await row(page, total).waitFor();
      const list = page.getByTestId("message-list");
      await scrollToOldest(page, list);
      await page.getByText("Welcome to #general").waitFor();
      assert.ok(
        await page.getByTestId("message").count() <= MAX_SCROLLED_BACK,
        "at most a window of messages is held while reading back",
      );
      await row(page, 1).scrollIntoViewIfNeeded();
      const before = await row(page, 1).boundingBox();
      assert.ok(before, "the first message has a box");

      // A private message after it says the room message was handled.
      await bot.ok("send_message", { text: "fresh news below" });
      await bot.ok("private_message", { to: "olga", text: "psst" });
      await page.locator('[data-testid="dm-item"][data-user="archivist"]')
        .waitFor();
      const kept = await row(page, 1).boundingBox();
      assert.ok(kept, "the first message, being read, is still there");
      assert.ok(
        Math.abs(kept.y - before.y) < 40,
        `the row being read moved (${before.y} to ${kept.y})`,
      );

      // Scrolling down fetches the newer messages again, up to the live one.
      // At the bottom of a page the list also fetches the next one by itself,
      // so the live one may come between two looks: each wait ends on a newer
      // last row or on the live one, whichever the page shows first.
      const fresh = page.getByTestId("message").filter({
        hasText: "fresh news below",
      });
      while (await fresh.count() === 0) {
        const last = await lastShown(page);
        await list.evaluate((el) => el.scrollTop = el.scrollHeight);
        await page.waitForFunction((before) => {
          const rows = document.querySelectorAll(
            '[data-testid="message"][data-seq]',
          );
          const newest = rows[rows.length - 1];
          return Number(newest?.getAttribute("data-seq")) > before ||
            newest?.textContent?.includes("fresh news below") === true;
        }, last);
      }
      // And the room follows live messages again.
      await bot.ok("send_message", { text: "and more news" });
      await page.getByTestId("message").filter({ hasText: "and more news" })
        .waitFor();
    } finally {
      await bot.close();
    }
  },
  { rateLimits: NO_RATE_LIMITS },
);

/** Rooms an account belongs to in the sidebar test. */
const ROOMS = 300;

browserTest(
  "a room list change costs the sidebar of an account in many rooms work in proportion to the rooms, not rooms times memberships",
  async (browser, server) => {
    const owner = await TestClient.register(server.wsUrl, "owner");
    const other = await TestClient.register(server.wsUrl, "other");
    try {
      for (let from = 1; from < ROOMS; from += 100) {
        await Promise.all(
          Array.from(
            { length: Math.min(100, ROOMS - from) },
            (_, i) => owner.ok("create_room", { room: `room${from + i}` }),
          ),
        );
      }
      const page = await openPage(browser, server);
      await signIn(page, "owner");
      await page.locator('[data-testid="room-item"]').nth(ROOMS - 1).waitFor();
      // Names are compared by key (NFKC, case-folded): count the keys made.
      await page.evaluate(() => {
        const counted = globalThis as unknown as { normalized: number };
        counted.normalized = 0;
        const normalize = String.prototype.normalize;
        String.prototype.normalize = function (form?: string) {
          counted.normalized++;
          return normalize.call(this, form);
        };
      });
      await other.ok("create_room", { room: "elsewhere" });
      await page.getByTestId("more-rooms").filter({ hasText: "(1)" })
        .waitFor();
      const normalized = await page.evaluate(() =>
        (globalThis as unknown as { normalized: number }).normalized
      );
      assert.ok(
        normalized < 20 * ROOMS,
        `${normalized} name keys made for one new room among ${ROOMS}`,
      );
    } finally {
      await owner.close();
      await other.close();
    }
  },
  { rateLimits: NO_RATE_LIMITS, maxRoomsPerUser: 0 },
);
