/**
 * The web client's long lists in a real browser: a sidebar of 3,000 rooms,
 * a member list of 1,000 people and 520 private conversations keep a
 * bounded number of rows in the DOM, show the right rows wherever they are
 * scrolled, and every row stays reachable by keyboard and by the find box;
 * an account's 520 conversations come 100 at a time, the older ones at a
 * click on "show more"; notices in the room ask for the member list once a
 * pause, not once each.
 * Needs /usr/bin/chromium; without it the tests are reported as ignored.
 */

import assert from "node:assert/strict";
import type { Locator, Page } from "playwright-core";
import {
  axeAudit,
  browserTest,
  currentConversation,
  currentRoom,
  guest,
  openPage,
  signIn,
} from "./browser_support.ts";
import { TestClient, type TestServer } from "./harness.ts";
import { NO_RATE_LIMITS } from "../server/mod.ts";

/** Rooms in the sidebar test, besides #general. */
const ROOMS = 3000;
/** Guests in #general in the member list test, besides the reader. */
const MEMBERS = 1000;
/** Private conversations in the conversations test, past the 500 rendered whole. */
const CONVERSATIONS = 520;
/** At most this many rows in the DOM: the view and its margins, far below the list. */
const BOUNDED = 150;

/** `room-0001` … : zero-padded, so the sidebar's order is the numbers'. */
function roomName(i: number): string {
  return `room-${String(i).padStart(4, "0")}`;
}

/** Runs `make(i)` for 1 ≤ i ≤ n, `width` at a time. */
async function inBatches<T>(
  n: number,
  width: number,
  make: (i: number) => Promise<T>,
): Promise<T[]> {
  const out: T[] = [];
  for (let from = 1; from <= n; from += width) {
    const batch = [];
    for (let i = from; i <= Math.min(n, from + width - 1); i++) {
      batch.push(make(i));
    }
    out.push(...await Promise.all(batch));
  }
  return out;
}

/**
 * The rows of `list` that the scroller shows, as [aria-posinset, the row's
 * name]: what a person sees there.
 */
async function rowsInView(
  list: Locator,
  scroller: string,
  name: string,
): Promise<[number, string][]> {
  return await list.evaluate((ul, { scroller, name }) => {
    const view = ul.closest(scroller)!.getBoundingClientRect();
    return [...ul.querySelectorAll("li")].filter((li) => {
      const box = li.getBoundingClientRect();
      return box.bottom > view.top + 1 && box.top < view.bottom - 1;
    }).map((li) => [
      Number(li.getAttribute("aria-posinset")),
      li.querySelector(`[${name}]`)?.getAttribute(name) ??
        li.getAttribute(name) ?? "",
    ]);
  }, { scroller, name }) as [number, string][];
}

/**
 * Waits for a row of `list` to say the whole list holds `whole.size` rows,
 * then checks that fewer than {@link BOUNDED} of its `rows` (`whole.of`
 * rows, in the failure's message) are in the DOM.
 */
async function windowed(
  list: Locator,
  rows: Locator,
  whole: { size: number; of: string },
): Promise<void> {
  await list.locator(`li[aria-setsize="${whole.size}"]`).first().waitFor();
  assert.ok(
    await rows.count() < BOUNDED,
    `${await rows.count()} ${whole.of} rows in the DOM`,
  );
}

/** Scrolls the scroller to a share (0 to 1) of its height. */
async function scrollTo(page: Page, scroller: string, share: number) {
  await page.locator(scroller).evaluate((el, share) => {
    el.scrollTop = (el.scrollHeight - el.clientHeight) * share;
  }, share);
}

/**
 * Scrolls the sidebar to a share of its height and waits until the row
 * in the middle of the view is the list's row there (rendered after the
 * scroll event).
 */
async function scrolledTo(page: Page, share: number): Promise<void> {
  await scrollTo(page, ".sidebar-scroll", share);
  await page.waitForFunction((share) => {
    const el = document.querySelector(".sidebar-scroll")!;
    const view = el.getBoundingClientRect();
    const middle = document.elementFromPoint(
      view.left + 40,
      view.top + view.height / 2,
    )?.closest("li");
    const at = Number(middle?.getAttribute("aria-posinset"));
    const size = Number(middle?.getAttribute("aria-setsize"));
    return Math.abs(at / size - share) < 0.05;
  }, share);
}

/** The data-room (or data-user) of the focused element. */
async function focused(page: Page, name: string): Promise<string | null> {
  return await page.evaluate(
    (name) =>
      document.activeElement?.closest(`[${name}]`)?.getAttribute(name) ?? null,
    name,
  );
}

/**
 * Waits until the focused element is the one whose `name` attribute is
 * `value`: a key that moves focus to a row not rendered yet moves it once
 * the row is.
 */
async function focusReaches(
  page: Page,
  name: string,
  value: string,
): Promise<void> {
  await page.waitForFunction(
    ({ name, value }) => document.activeElement?.getAttribute(name) === value,
    { name, value },
  );
}

/**
 * Presses End in the conversations' list and waits for the focus on the
 * oldest, which was not rendered: the list's last row, in its place.
 */
async function endReachesOldest(page: Page, list: Locator): Promise<void> {
  await page.keyboard.press("End");
  await focusReaches(page, "data-user", "zz-oldest");
  assert.equal(
    await list.locator('li:has([data-user="zz-oldest"])').getAttribute(
      "aria-posinset",
    ),
    String(CONVERSATIONS),
  );
}

/** Guest `name` logs in, sends `to` one private message, and leaves. */
async function writes(
  server: TestServer,
  name: string,
  to: string,
): Promise<void> {
  const sender = await TestClient.login(server.wsUrl, name);
  try {
    await sender.ok("private_message", { to, text: "hello" });
  } finally {
    await sender.close();
  }
}

/**
 * {@link CONVERSATIONS} guests write to `to` once each: `zz-oldest` alone
 * first, then `pen-0001` … in batches, and `a-newest` alone last, so the
 * list's ends (most recent first) are known whatever order a batch commits
 * in. Ties of one millisecond sort by name, so "zz-" and "a-" keep them.
 */
async function manyConversations(
  server: TestServer,
  to: string,
): Promise<void> {
  await writes(server, "zz-oldest", to);
  await inBatches(
    CONVERSATIONS - 2,
    50,
    (i) => writes(server, `pen-${String(i).padStart(4, "0")}`, to),
  );
  await writes(server, "a-newest", to);
}

browserTest(
  "a sidebar of 3,000 rooms holds a bounded window of rows that follows the scroll, and any room is reached by keyboard or by the find box",
  async (browser, server) => {
    const maker = await TestClient.login(server.wsUrl, "maker");
    try {
      await inBatches(
        ROOMS,
        100,
        (i) => maker.ok("create_room", { room: roomName(i) }),
      );
      const page = await openPage(browser, server);
      await guest(page, "reader");
      const list = page.getByTestId("room-list");
      const rows = list.getByTestId("room-item");
      // #general first, then the rooms by name; 3,001 in all.
      await windowed(list, rows, { size: ROOMS + 1, of: "room" });
      // Each row says where it stands in the whole list, the find box has
      // a name: axe-core's WCAG rules hold on the windowed list.
      assert.deepEqual(await axeAudit(page), []);
      const first = await rowsInView(list, ".sidebar-scroll", "data-room");
      assert.deepEqual(first[0], [1, "general"]);
      assert.deepEqual(first[1], [2, roomName(1)]);

      // Scrolled anywhere, the rows in view are the list's rows there, in
      // order, with no gap, and the DOM stays bounded.
      for (const share of [0.5, 1, 0.25]) {
        await scrolledTo(page, share);
        const shown = await rowsInView(list, ".sidebar-scroll", "data-room");
        assert.ok(shown.length >= 5, `only ${shown.length} rows in view`);
        shown.forEach(([position, name], i) => {
          assert.equal(position, shown[0][0] + i, "rows in view are in order");
          assert.equal(
            name,
            position === 1 ? "general" : roomName(position - 1),
          );
        });
        assert.ok(await rows.count() < BOUNDED);
      }
      const last = await (async () => {
        await scrollTo(page, ".sidebar-scroll", 1);
        await list.locator(`[data-room="${roomName(ROOMS)}"]`).waitFor();
        return true;
      })();
      assert.ok(last, "the last room shows at the bottom");

      // By keyboard: from the first row, arrows walk the rows and End goes
      // to the last room, which was not rendered; Enter opens it.
      await scrollTo(page, ".sidebar-scroll", 0);
      await list.locator('[data-room="general"]').focus();
      await page.keyboard.press("ArrowDown");
      await page.keyboard.press("ArrowDown");
      assert.equal(await focused(page, "data-room"), roomName(2));
      await page.keyboard.press("End");
      await focusReaches(page, "data-room", roomName(ROOMS));
      await page.keyboard.press("ArrowUp");
      assert.equal(await focused(page, "data-room"), roomName(ROOMS - 1));
      await page.keyboard.press("Home");
      await focusReaches(page, "data-room", "general");
      await page.keyboard.press("PageDown");
      await page.keyboard.press("End");
      await focusReaches(page, "data-room", roomName(ROOMS));
      await page.keyboard.press("Enter");
      await currentRoom(page, roomName(ROOMS));

      // By the find box: one room out of 3,000, opened with a click.
      await page.getByTestId("room-find").fill("ROOM-1234");
      await list.locator(`[data-room="${roomName(1234)}"]`).waitFor();
      assert.equal(await rows.count(), 1);
      await rows.first().click();
      await currentRoom(page, roomName(1234));
      await page.getByTestId("room-find").fill("no such room");
      await page.getByText("No room by that name.").waitFor();
      await page.getByTestId("room-find").fill("");

      // A live update while read in the middle: a new room sorted above the
      // view keeps the rows in view where they were.
      await scrolledTo(page, 0.5);
      const before = await rowsInView(list, ".sidebar-scroll", "data-room");
      const anchor = list.locator(`[data-room="${before[2][1]}"]`);
      const y = (await anchor.boundingBox())!.y;
      await maker.ok("create_room", { room: "aaa-new" });
      await list.locator(`li[aria-setsize="${ROOMS + 2}"]`).first().waitFor();
      const moved = (await anchor.boundingBox())!.y;
      assert.ok(
        Math.abs(moved - y) < 2,
        `the row read moved from ${y} to ${moved} px`,
      );
      assert.ok(await rows.count() < BOUNDED);
    } finally {
      await maker.close();
    }
  },
  { rateLimits: NO_RATE_LIMITS },
);

browserTest(
  "a member list of 1,000 holds a bounded window of rows, and anyone is reached by scroll, keyboard or the find box",
  async (browser, server) => {
    const members = await inBatches(
      MEMBERS,
      50,
      (i) =>
        TestClient.login(server.wsUrl, `member-${String(i).padStart(4, "0")}`),
    );
    try {
      const page = await openPage(browser, server);
      await guest(page, "reader");
      const panel = page.getByTestId("member-list");
      const rows = panel.getByTestId("member");
      await panel.getByText(`Members — ${MEMBERS + 1}`).waitFor();
      await windowed(panel, rows, { size: MEMBERS + 1, of: "member" });

      assert.deepEqual(await axeAudit(page), []);

      // The bottom of the list: the reader's own row, sorted last.
      await scrollTo(page, "#member-list", 1);
      await panel.locator('[data-user="reader"]').waitFor();
      const shown = await rowsInView(
        panel.locator("ul"),
        "#member-list",
        "data-user",
      );
      assert.deepEqual(shown.at(-1), [MEMBERS + 1, "reader"]);

      // Keyboard: End skips the reader's own row (nothing to press there)
      // to the last member with a button.
      await scrollTo(page, "#member-list", 0);
      await panel.locator('[data-user="member-0001"] button').first().focus();
      await page.keyboard.press("ArrowDown");
      assert.equal(await focused(page, "data-user"), "member-0002");
      await page.keyboard.press("End");
      await page.waitForFunction(() =>
        document.activeElement?.closest("[data-user]")?.getAttribute(
          "data-user",
        ) === "member-1000"
      );

      // A member joining while the list is scrolled: counted, still bounded.
      const late = await TestClient.login(server.wsUrl, "member-late");
      members.push(late);
      await panel.getByText(`Members — ${MEMBERS + 2}`).waitFor();
      assert.ok(await rows.count() < BOUNDED);

      // The find box: one member out of a thousand, messaged with a click.
      await page.getByTestId("member-find").fill("member-0777");
      await panel.locator('[data-user="member-0777"]').waitFor();
      assert.equal(await rows.count(), 1);
      await panel.locator('[data-user="member-0777"] button').first().click();
      await currentConversation(page, "member-0777");
    } finally {
      await Promise.all(members.map((m) => m.close()));
    }
  },
  { rateLimits: NO_RATE_LIMITS },
);

browserTest(
  "a sidebar of 520 private conversations holds a bounded window of rows, and any conversation is reached by keyboard or by the find box",
  async (browser, server) => {
    const page = await openPage(browser, server);
    await guest(page, "reader");
    await manyConversations(server, "reader");

    const list = page.getByTestId("dm-list");
    const rows = list.getByTestId("dm-item");
    await windowed(list, rows, { size: CONVERSATIONS, of: "conversation" });
    // Each row says where it stands in the whole list, the find box has a
    // name: axe-core's WCAG rules hold.
    assert.deepEqual(await axeAudit(page), []);
    // The rooms are few: their find box stays away, the conversations' shows.
    assert.equal(await page.getByTestId("room-find").count(), 0);
    const first = await rowsInView(list, ".sidebar-scroll", "data-user");
    assert.deepEqual(first[0], [1, "a-newest"]);

    // By keyboard: End goes to the oldest, which was not rendered, through
    // the rows' own buttons (not their close buttons); Enter opens it.
    await list.locator('[data-user="a-newest"]').focus();
    await page.keyboard.press("ArrowDown");
    assert.match(
      (await focused(page, "data-user")) ?? "",
      /^pen-\d{4}$/,
      "ArrowDown goes to the second conversation",
    );
    await endReachesOldest(page, list);
    await page.keyboard.press("Home");
    await focusReaches(page, "data-user", "a-newest");
    await page.keyboard.press("End");
    await focusReaches(page, "data-user", "zz-oldest");
    await page.keyboard.press("Enter");
    await currentConversation(page, "zz-oldest");
    assert.ok(await rows.count() < BOUNDED);

    // By the find box: one conversation out of 520, opened with a click.
    const find = page.getByTestId("dm-find");
    await find.fill("PEN-0321");
    await list.locator('[data-user="pen-0321"]').waitFor();
    assert.equal(await rows.count(), 1);
    await rows.first().click();
    await currentConversation(page, "pen-0321");
    await find.fill("nobody here");
    await page.getByText("No conversation with that name.").waitFor();
    await find.fill("");

    // A new message from a conversation far down the list brings it to the
    // top, where it shows unread.
    await scrollTo(page, ".sidebar-scroll", 0);
    await writes(server, "pen-0400", "reader");
    const top = list.locator('li[aria-posinset="1"]');
    await top.locator('[data-user="pen-0400"]').waitFor();
    // Attached, not visible: the pointer left on the list hides a hovered
    // row's badge behind its close button.
    const badge = top.getByTestId("dm-unread");
    await badge.waitFor({ state: "attached" });
    assert.equal(await badge.textContent(), "2");
    assert.ok(await rows.count() < BOUNDED);
  },
  { rateLimits: NO_RATE_LIMITS },
);

browserTest(
  "an account's 520 private conversations come 100 at a time, the older ones at each click on show more, and the whole list keeps a bounded window of rows",
  async (browser, server) => {
    // Online while written to: an offline account takes 200 at most.
    const reader = await TestClient.register(server.wsUrl, "reader");
    try {
      await manyConversations(server, "reader");
    } finally {
      await reader.close();
    }

    const page = await openPage(browser, server);
    await signIn(page, "reader");
    const list = page.getByTestId("dm-list");
    const rows = list.getByTestId("dm-item");
    const more = page.getByTestId("more-dms");
    await more.waitFor();
    assert.equal(await more.textContent(), "Show older conversations");
    assert.equal(await rows.count(), 100, "the newest page");
    assert.equal(await list.locator('[data-user="zz-oldest"]').count(), 0);
    assert.deepEqual(await axeAudit(page), []);
    for (let shown = 200; shown <= 500; shown += 100) {
      await more.click();
      await page.waitForFunction(
        (n) =>
          document.querySelectorAll('[data-testid="dm-item"]').length === n,
        shown,
      );
    }
    // Past 500 the list is windowed, the button under it until the end.
    await more.click();
    await list.locator(`li[aria-setsize="${CONVERSATIONS}"]`).first()
      .waitFor();
    await more.waitFor({ state: "detached" });
    assert.ok(
      await rows.count() < BOUNDED,
      `${await rows.count()} conversation rows in the DOM`,
    );
    // The view stays where the button was, at the end: the window there
    // holds the rows in view, each one in its place.
    const end = await rowsInView(list, ".sidebar-scroll", "data-user");
    assert.ok(end.length > 0, "rows in view at the end");
    assert.deepEqual(
      end.map(([at]) => at),
      end.map((_, i) => end[0][0] + i),
    );
    await scrollTo(page, ".sidebar-scroll", 0);
    await list.locator('li[aria-posinset="1"] [data-user="a-newest"]')
      .waitFor();
    await list.locator('[data-user="a-newest"]').focus();
    await endReachesOldest(page, list);
    await page.keyboard.press("Enter");
    await currentConversation(page, "zz-oldest");
  },
  { rateLimits: NO_RATE_LIMITS },
);

browserTest(
  "web client: joined and left notices in its room ask for the member list once a pause, not once each: a guest going out of and into general eleven times costs the page no list while its clock stands still, and the list is right once the pause is over",
  async (browser, server) => {
    // Each page asked for the whole list at every notice: one guest going
    // in and out of a room of 450 web clients made the server answer
    // 10,162 lists in 10 s (client/connection/members.ts).
    const page = await openPage(browser, server);
    let asked = 0;
    page.on("websocket", (socket) =>
      socket.on("framesent", (frame) => {
        if (String(frame.payload).includes('"list_users"')) asked++;
      }));
    await page.clock.install();
    await guest(page, "reader");
    const member = (name: string) =>
      page.locator(`[data-testid="member"][data-user="${name}"]`);
    await member("reader").waitFor();
    const mover = await TestClient.login(server.wsUrl, "mover");
    try {
      await mover.ok("create_room", { room: "side" });
      await mover.ok("join_room", { room: "general" });
      // Joined, left, joined: three lines in the page's log.
      const lines = page.getByTestId("system-line").filter({
        hasText: /mover (joined|left) general/,
      });
      await lines.nth(2).waitFor();
      await member("mover").waitFor();
      // From here no timer of the page fires: a list that waits for its
      // pause is never asked.
      const now = await page.evaluate(() => Date.now());
      await page.clock.pauseAt(now + 10);
      const before = asked;
      for (let i = 0; i < 11; i++) {
        await mover.ok("join_room", { room: i % 2 === 0 ? "side" : "general" });
        await lines.nth(3 + i).waitFor();
      }
      // The last move was to side: mover left general.
      assert.equal(asked - before, 0, "no list asked during the pause");
      await page.clock.resume();
      await member("mover").waitFor({ state: "detached" });
      assert.equal(asked - before, 1, "one list once the pause was over");
    } finally {
      await mover.close();
    }
  },
);
