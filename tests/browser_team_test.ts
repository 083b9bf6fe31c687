/**
 * Team chat in a real browser: an account's rooms with the server's
 * unread counts on every device, private rooms and their invite links.
 * Needs /usr/bin/chromium; without it the tests are reported as ignored.
 */

import assert from "node:assert/strict";
import { DEFAULT_RATE_LIMITS, NO_RATE_LIMITS } from "../server/mod.ts";
import type { Page } from "playwright-core";
import {
  artifact,
  axeAudit,
  browserTest,
  confirmedFrom,
  createPrivateRoom,
  currentRoom,
  openPage,
  register,
  send,
  signIn,
  submitPassword,
  transitionsDone,
  waitForTitle,
} from "./browser_support.ts";
import {
  eventually,
  postAsPage,
  TEST_PASSWORD,
  TestClient,
  type TestServer,
} from "./harness.ts";

const PHONE = { width: 390, height: 844 };

/** The sidebar row of a room. */
function roomItem(page: Page, room: string) {
  return page.locator(`[data-testid="room-item"][data-room="${room}"]`);
}

browserTest(
  "web client two devices of one account clear each other's unread badge",
  async (browser, server) => {
    await createAccount(server, "root");
    const laptop = await openPage(browser, server);
    await register(laptop, "alice");
    // alice joins #dev from the laptop: it is one of her rooms everywhere.
    const bot = await TestClient.login(server.wsUrl, "bob");
    try {
      await bot.ok("create_room", { room: "dev" });
      await laptop.getByTestId("more-rooms").click();
      await roomItem(laptop, "dev").click();
      await currentRoom(laptop, "dev");
      await roomItem(laptop, "general").click();
      await currentRoom(laptop, "general");

      const phone = await openPage(browser, server, {
        viewport: PHONE,
        colorScheme: "light",
      });
      await signIn(phone, "alice");
      // The phone knows her rooms from the login, not from its history.
      await phone.getByTestId("drawer-toggle").click();
      await roomItem(phone, "dev").waitFor();
      await phone.keyboard.press("Escape");

      await bot.ok("send_message", { text: "deploy is done" });
      await bot.ok("send_message", { text: "@alice can you check?" });
      for (const page of [laptop, phone]) {
        await roomItem(page, "dev").getByTestId("room-unread").filter({
          hasText: /^@2$/,
        }).waitFor({ state: "attached" });
        await waitForTitle(page, "(2) Chat");
      }
      await laptop.screenshot({ path: artifact("team_badges.png") });
      assert.deepEqual(await axeAudit(laptop), [], "axe: badges, dark");
      await phone.getByTestId("drawer-toggle").click();
      await phone.locator("#sidebar").waitFor({ state: "visible" });
      await transitionsDone(phone);
      await phone.screenshot({ path: artifact("team_badges_phone.png") });
      assert.deepEqual(await axeAudit(phone), [], "axe: drawer, light");
      await phone.keyboard.press("Escape");

      // The laptop reads #dev: the phone's badge and title clear.
      await roomItem(laptop, "dev").click();
      await currentRoom(laptop, "dev");
      await confirmedFrom(laptop, "bob", "can you check").waitFor();
      await laptop.getByTestId("unread-line").waitFor();
      await waitForTitle(laptop, "Chat");
      await roomItem(phone, "dev").getByTestId("room-unread").waitFor({
        state: "detached",
      });
      await waitForTitle(phone, "Chat");
      await laptop.screenshot({ path: artifact("team_read.png") });

      // And the other way round: the phone reads, the laptop clears.
      await roomItem(laptop, "general").click();
      await currentRoom(laptop, "general");
      await bot.ok("send_message", { text: "one more" });
      await roomItem(laptop, "dev").getByTestId("room-unread").filter({
        hasText: /^1$/,
      }).waitFor();
      await phone.getByTestId("drawer-toggle").click();
      await roomItem(phone, "dev").click();
      await currentRoom(phone, "dev");
      await confirmedFrom(phone, "bob", "one more").waitFor();
      await roomItem(laptop, "dev").getByTestId("room-unread").waitFor({
        state: "detached",
      });
      await waitForTitle(laptop, "Chat");

      // Leaving from the room menu ends the membership on both devices.
      await phone.getByTestId("room-menu").click();
      await phone.getByTestId("leave-room").click();
      await currentRoom(phone, "general");
      await laptop.getByTestId("room-list").locator(
        '[data-testid="room-item"][data-room="dev"]',
      ).waitFor({ state: "detached" });
      await laptop.getByTestId("more-rooms").waitFor();
    } finally {
      await bot.close();
    }
  },
);

browserTest(
  "web client offers Mark unread on one's own message only when someone else wrote after it: one's own messages are never unread",
  async (browser, server) => {
    const page = await openPage(browser, server);
    await register(page, "alice");
    const bot = await TestClient.login(server.wsUrl, "bob");
    try {
      await bot.ok("join_room", { room: "general" });
      await send(page, "my note");
      await confirmedFrom(page, "alice", "my note").waitFor();
      await bot.ok("send_message", { text: "seen it" });
      await send(page, "my reply");
      const reply = confirmedFrom(page, "alice", "my reply");
      await reply.waitFor();
      // Before, it was offered there and did nothing: nothing after it is
      // someone else's, so nothing would be unread.
      await reply.hover();
      await reply.getByTestId("message-edit").waitFor();
      assert.equal(await reply.getByTestId("message-mark-unread").count(), 0);
      const note = confirmedFrom(page, "alice", "my note");
      await note.hover();
      await note.getByTestId("message-mark-unread").waitFor();
      const theirs = confirmedFrom(page, "bob", "seen it");
      await theirs.hover();
      await theirs.getByTestId("message-mark-unread").waitFor();
      // Someone else writes after it: now it would mark that unread.
      await bot.ok("send_message", { text: "ok" });
      await confirmedFrom(page, "bob", "ok").waitFor();
      await reply.hover();
      await reply.getByTestId("message-mark-unread").waitFor();
    } finally {
      await bot.close();
    }
  },
);

browserTest(
  "web client Mark unread on a message: the new line goes above it, the room stays unread while on screen, and the account's other device shows it unread until it is opened again",
  async (browser, server) => {
    await createAccount(server, "root");
    const laptop = await openPage(browser, server);
    await register(laptop, "alice");
    const bot = await TestClient.login(server.wsUrl, "bob");
    // A third connection of alice's: sees each read_state the server sends.
    const watcher = await TestClient.loginWith(server.wsUrl, {
      username: "alice",
      password: TEST_PASSWORD,
    });
    try {
      await bot.ok("create_room", { room: "dev" });
      await bot.ok("join_room", { room: "general" });
      const phone = await openPage(browser, server, { locale: "fr-FR" });
      await signIn(phone, "alice");
      await phone.getByTestId("more-rooms").click();
      await roomItem(phone, "dev").click();
      await currentRoom(phone, "dev");

      const seqs: number[] = [];
      for (const text of ["first note", "second note", "third note"]) {
        const sent = await bot.ok("send_message", { text });
        seqs.push((sent.message as { seq: number }).seq);
      }
      // The laptop has general on screen: it reads all three.
      await confirmedFrom(laptop, "bob", "third note").waitFor();
      await watcher.event(
        "read_state",
        (d) => d.room === "general" && d.last_read_seq === seqs[2],
      );

      const second = confirmedFrom(laptop, "bob", "second note");
      await second.hover();
      await second.getByTestId("message-mark-unread").click();
      // The "new" line stands right above the message marked unread.
      await laptop.getByTestId("unread-line").waitFor();
      assert.equal(
        await laptop.getByTestId("unread-line").evaluate((line) =>
          (line.nextElementSibling as HTMLElement | null)?.dataset.seq
        ),
        String(seqs[1]),
      );
      await watcher.event(
        "read_state",
        (d) =>
          d.room === "general" && d.last_read_seq === seqs[0] &&
          d.marked_unread === true,
      );
      // The other device (in French) shows general unread again.
      await roomItem(phone, "general").getByTestId("room-unread").filter({
        hasText: /^2$/,
      }).waitFor();
      await laptop.screenshot({ path: artifact("team_marked_unread.png") });

      // Still unread on the laptop once it moves on (to dev, which the
      // phone joined for the account): its badge says so.
      await roomItem(laptop, "dev").click();
      await currentRoom(laptop, "dev");
      await roomItem(laptop, "general").getByTestId("room-unread").filter({
        hasText: /^2$/,
      }).waitFor();

      // Opened again, from the phone: read on every device.
      await roomItem(phone, "general").click();
      await currentRoom(phone, "general");
      await phone.getByTestId("unread-line").filter({ hasText: /^Nouveau$/i })
        .waitFor();
      await roomItem(laptop, "general").getByTestId("room-unread").waitFor({
        state: "detached",
      });
      // Nothing read it meanwhile: the marked position held until then.
      await eventually(() => {
        const states = watcher.events("read_state").map((e) => [
          e.data.last_read_seq,
          e.data.marked_unread ?? false,
        ]);
        const marked = states.findIndex(([, unread]) => unread);
        assert.deepEqual(states.slice(marked), [
          [seqs[0], true],
          [seqs[2], false],
        ]);
      });
    } finally {
      await watcher.close();
      await bot.close();
    }
  },
);

/** The seq of the message right below the "new" line, or null without one. */
async function belowUnreadLine(page: Page): Promise<string | null> {
  return await page.evaluate(() =>
    (document.querySelector('[data-testid="unread-line"]')
      ?.nextElementSibling as HTMLElement | null)?.dataset.seq ?? null
  );
}

browserTest(
  "web client marks unread from a message with Alt+click, or U on the message chosen with the arrows, as in Slack; /help says so",
  async (browser, server) => {
    const alice = await openPage(browser, server);
    await register(alice, "alice");
    const bob = await TestClient.login(server.wsUrl, "bob");
    // Another connection of alice's: sees each read_state the server sends.
    const watcher = await TestClient.loginWith(server.wsUrl, {
      username: "alice",
      password: TEST_PASSWORD,
    });
    try {
      const seqs: number[] = [];
      for (const text of ["first note", "second note", "third note"]) {
        const sent = await bob.ok("send_message", { text });
        seqs.push((sent.message as { seq: number }).seq);
      }
      await confirmedFrom(alice, "bob", "third note").waitFor();
      await watcher.event(
        "read_state",
        (d) => d.room === "general" && d.last_read_seq === seqs[2],
      );

      // Up from the list reaches the newest message: U marks it.
      await alice.getByTestId("message-list").focus();
      await alice.keyboard.press("ArrowUp");
      assert.equal(
        await alice.evaluate(() =>
          (document.activeElement as HTMLElement | null)?.dataset.seq
        ),
        String(seqs[2]),
      );
      await alice.keyboard.press("u");
      await watcher.event(
        "read_state",
        (d) => d.last_read_seq === seqs[1] && d.marked_unread === true,
      );
      await eventually(async () =>
        assert.equal(await belowUnreadLine(alice), String(seqs[2]))
      );

      // Alt+click on the text of an earlier message, not on a button.
      await confirmedFrom(alice, "bob", "first note")
        .getByTestId("message-text").click({ modifiers: ["Alt"] });
      await watcher.event(
        "read_state",
        (d) => d.last_read_seq === seqs[0] - 1 && d.marked_unread === true,
      );
      await eventually(async () =>
        assert.equal(await belowUnreadLine(alice), String(seqs[0]))
      );

      await send(alice, "/help");
      await alice.getByText(
        "Alt+click, or U on a message chosen with ↑ ↓ — Mark unread from it.",
      ).waitFor();
    } finally {
      await watcher.close();
      await bob.close();
    }
  },
);

browserTest(
  "web client's new-messages bar gives the server's exact count when the first unread message is not loaded: deleted ones are not counted",
  async (browser, server) => {
    const bot = await TestClient.login(server.wsUrl, "bob");
    try {
      await bot.ok("create_room", { room: "dev" });
      const first = await openPage(browser, server);
      await register(first, "alice");
      await first.getByTestId("more-rooms").click();
      await roomItem(first, "dev").click();
      await currentRoom(first, "dev");
      await first.context().close();
      // While alice is away: 300 new messages, the 20 oldest deleted, so
      // 280 unread, more than the newest page the client loads.
      const ids: string[] = [];
      for (let i = 1; i <= 300; i++) {
        const text = `note ${String(i).padStart(3, "0")}`;
        const sent = await bot.ok("send_message", { text });
        ids.push((sent.message as { id: string }).id);
      }
      for (const id of ids.slice(0, 20)) {
        await bot.ok("delete_message", { id });
      }

      const page = await openPage(browser, server);
      await signIn(page, "alice");
      await roomItem(page, "dev").getByTestId("room-unread").filter({
        hasText: /^280$/,
      }).waitFor();
      await roomItem(page, "dev").click();
      await currentRoom(page, "dev");
      await confirmedFrom(page, "bob", "note 300").waitFor({
        state: "attached",
      });
      await page.getByTestId("message-list").evaluate((list) => {
        list.scrollTop = list.scrollHeight;
      });
      const bar = page.getByTestId("unread-bar");
      await bar.waitFor();
      assert.equal(
        await bar.getByTestId("unread-bar-jump").evaluate((b) =>
          b.firstChild?.textContent
        ),
        "280 new messages",
      );
      // One more while it is on screen: counted too.
      await bot.ok("send_message", { text: "note 301" });
      await bar.filter({ hasText: "281 new messages" }).waitFor();
    } finally {
      await bot.close();
    }
  },
  { rateLimits: NO_RATE_LIMITS },
);

browserTest(
  "web client entering a room with more new messages than a screen: once scrolled past them, a bar says how many and jumps back to the first",
  async (browser, server) => {
    await createAccount(server, "root");
    const page = await openPage(browser, server);
    await register(page, "alice");
    const bot = await TestClient.login(server.wsUrl, "bob");
    try {
      await bot.ok("create_room", { room: "dev" });
      await page.getByTestId("more-rooms").click();
      await roomItem(page, "dev").click();
      await currentRoom(page, "dev");
      await bot.ok("join_room", { room: "general" });
      const total = 80;
      for (let i = 1; i <= total; i++) {
        const text = `note ${String(i).padStart(3, "0")}`;
        await bot.ok("send_message", { text });
      }
      await roomItem(page, "general").getByTestId("room-unread").filter({
        hasText: new RegExp(`^${total}$`),
      }).waitFor();

      await roomItem(page, "general").click();
      await currentRoom(page, "general");
      await confirmedFrom(page, "bob", `note ${String(total).padStart(3, "0")}`)
        .waitFor({
          state: "attached",
        });
      await page.getByTestId("unread-line").waitFor();
      // Down to the newest: the first unread is far above, the bar says so.
      await page.getByTestId("message-list").evaluate((list) => {
        list.scrollTop = list.scrollHeight;
      });
      const bar = page.getByTestId("unread-bar");
      await bar.filter({ hasText: `${total} new messages` }).waitFor();
      await page.screenshot({ path: artifact("unread_bar.png") });
      await page.getByTestId("unread-bar-jump").click();
      await confirmedFrom(page, "bob", "note 001").waitFor();
      await page.waitForFunction(() => {
        const list = document.querySelector('[data-testid="message-list"]');
        const line = document.querySelector('[data-testid="unread-line"]');
        if (!list || !line) return false;
        const box = list.getBoundingClientRect();
        const at = line.getBoundingClientRect();
        return at.top >= box.top && at.bottom <= box.bottom;
      });
      assert.equal(
        await page.getByTestId("unread-line").evaluate((line) =>
          line.nextElementSibling?.textContent?.includes("note 001")
        ),
        true,
      );
      await bar.waitFor({ state: "detached" });

      // Scrolled down again, "Mark as read" dismisses the bar and its line.
      await page.getByTestId("message-list").evaluate((list) => {
        list.scrollTop = list.scrollHeight;
      });
      await bar.waitFor();
      await page.getByTestId("unread-bar-read").click();
      await bar.waitFor({ state: "detached" });
      await page.getByTestId("unread-line").waitFor({ state: "detached" });
    } finally {
      await bot.close();
    }
  },
);

browserTest(
  "web client private room: an invite link opens it in another account's page, once, and leaving it asks first",
  async (browser, server) => {
    await createAccount(server, "root");
    const alice = await openPage(browser, server);
    await register(alice, "alice");
    await createPrivateRoom(alice, "secret");
    await alice.getByTestId("header-lock").waitFor();
    // Its welcome and composer name it as its header does: a lock, no "#".
    await alice.locator(".room-intro h2").filter({
      hasText: /^Welcome to secret$/,
    }).waitFor();
    await alice.locator(
      '[data-testid="composer"][placeholder="Message secret"]',
    )
      .waitFor();
    await roomItem(alice, "secret").getByTestId("room-lock").waitFor();

    // The owner makes a one-use link and copies it.
    await alice.getByTestId("room-menu").click();
    await alice.getByTestId("invite-open").click();
    const dialog = alice.getByTestId("invite-dialog");
    await dialog.waitFor();
    await alice.waitForFunction(() =>
      document.activeElement?.getAttribute("data-testid") === "invite-user"
    );
    await dialog.getByTestId("invite-uses").selectOption("1");
    await dialog.getByTestId("invite-create").click();
    const url = await dialog.getByTestId("invite-url").first().inputValue();
    assert.match(url, /\/#\/invite\/[^/]+\/secret$/);
    await dialog.getByTestId("invite-row").filter({ hasText: "used 0 of 1" })
      .waitFor();
    await alice.screenshot({ path: artifact("team_invite_dialog.png") });
    assert.deepEqual(await axeAudit(alice), [], "axe: invite dialog");
    await alice.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });
    await alice.waitForFunction(() =>
      document.activeElement?.getAttribute("data-testid") === "room-menu"
    );

    // bob opens the link before logging in: it waits through the login.
    // alice keeps the dialog open: the link, used up, leaves its list.
    await alice.getByTestId("room-menu").click();
    await alice.getByTestId("invite-open").click();
    await dialog.getByTestId("invite-row").filter({ hasText: "used 0 of 1" })
      .waitFor();
    await createAccount(server, "bob");
    const bob = await openPage(browser, server, { colorScheme: "light" });
    await bob.goto(url);
    await bob.getByTestId("login-tab-signin").click();
    await bob.getByTestId("login-username").fill("bob");
    await bob.getByTestId("login-password").fill(TEST_PASSWORD);
    await submitPassword(bob, () => bob.getByTestId("login-submit").click());
    await currentRoom(bob, "secret");
    await bob.getByTestId("header-lock").waitFor();
    await bob.getByTestId("intro-lock").waitFor();
    await alice.locator('[data-testid="member"][data-user="bob"]').waitFor();
    await alice.getByTestId("system-line").filter({
      hasText: "bob joined secret",
    }).waitFor();
    await dialog.getByTestId("invite-row").waitFor({ state: "detached" });
    await alice.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });
    assert.ok(!bob.url().includes("invite"), "the used link left the address");
    await bob.screenshot({ path: artifact("team_private_room.png") });
    assert.deepEqual(await axeAudit(bob), [], "axe: private room, light");

    // The link was for one use: carol is told so, clearly.
    await createAccount(server, "carol");
    const carol = await openPage(browser, server, { viewport: PHONE });
    await signIn(carol, "carol");
    await carol.goto(url);
    await carol.getByTestId("error-line").filter({
      hasText: "has been used up",
    }).waitFor();
    await currentRoom(carol, "general");
    assert.equal(await roomItem(carol, "secret").count(), 0);
    await carol.screenshot({ path: artifact("team_invite_invalid.png") });
    assert.deepEqual(await axeAudit(carol), [], "axe: invalid invite, phone");

    // The owner adds carol by name instead, then removes bob.
    await alice.getByTestId("room-menu").click();
    await alice.getByTestId("invite-open").click();
    await alice.getByTestId("invite-user").fill("carol");
    await alice.getByTestId("invite-add").click();
    await alice.getByTestId("invite-status").filter({
      hasText: "carol was added",
    }).waitFor();
    await alice.keyboard.press("Escape");
    await carol.getByTestId("drawer-toggle").click();
    await roomItem(carol, "secret").getByTestId("room-lock").waitFor();
    await carol.keyboard.press("Escape");

    await alice.locator('[data-testid="member"][data-user="bob"]')
      .getByTestId("member-actions").click();
    await alice.getByTestId("menu-remove").click();
    await currentRoom(bob, "general");
    await bob.getByTestId("system-line").filter({
      hasText: "alice removed you from secret",
    }).waitFor();
    assert.equal(await roomItem(bob, "secret").count(), 0);

    // On her phone carol leaves: a private room asks first, since only an
    // invite brings her back, and "Stay" keeps her in.
    await carol.getByTestId("drawer-toggle").click();
    await roomItem(carol, "secret").click();
    await currentRoom(carol, "secret");
    await carol.getByTestId("room-menu").click();
    await carol.getByTestId("leave-room").click();
    await carol.getByTestId("leave-confirm").filter({
      hasText: "only an invite brings you back",
    }).waitFor();
    await carol.waitForFunction(() =>
      document.activeElement?.getAttribute("data-testid") === "leave-cancel"
    );
    await carol.screenshot({ path: artifact("team_leave_private.png") });
    await carol.getByTestId("leave-cancel").click();
    await carol.getByTestId("leave-confirm").waitFor({ state: "detached" });
    await currentRoom(carol, "secret");
    await carol.getByTestId("room-menu").click();
    await carol.getByTestId("leave-room").click();
    await carol.getByTestId("leave-confirm").click();
    await currentRoom(carol, "general");
    assert.equal(await roomItem(carol, "secret").count(), 0);
  },
);

/** Registers an account over HTTP, for a page to sign in to later. */
async function createAccount(server: TestServer, name: string): Promise<void> {
  const reply = await postAsPage(server.url, "/api/register", {
    body: { username: name, password: TEST_PASSWORD },
  });
  assert.equal(reply.status, 201);
}

browserTest(
  "web client names a private room without '#' wherever it names it: search results, the pins panel, the invite dialog, the member and room menus, the way back from a conversation",
  async (browser, server) => {
    await createAccount(server, "root");
    // bob is online, so he shows in the room's members once added.
    const bob = await TestClient.register(server.wsUrl, "bob");
    try {
      const alice = await openPage(browser, server);
      await register(alice, "alice");
      await createPrivateRoom(alice, "secret");
      await alice.getByTestId("header-lock").waitFor();
      const exactly = (text: string) => ({ hasText: new RegExp(`^${text}$`) });

      // The invite dialog's title, and the line after adding bob by name.
      await alice.getByTestId("room-menu").click();
      await alice.getByTestId("invite-open").click();
      const dialog = alice.getByTestId("invite-dialog");
      await dialog.locator("h2").filter(exactly("Invite people to secret"))
        .waitFor();
      await dialog.getByTestId("invite-user").fill("bob");
      await dialog.getByTestId("invite-add").click();
      await dialog.getByTestId("invite-status")
        .filter(exactly("bob was added to secret.")).waitFor();
      await alice.keyboard.press("Escape");
      await dialog.waitFor({ state: "detached" });

      // The member menu and the room menu.
      const bobRow = alice.locator('[data-testid="member"][data-user="bob"]');
      await bobRow.getByTestId("member-actions").click();
      await alice.getByTestId("menu-remove").filter(
        exactly("Remove from secret"),
      ).waitFor();
      await alice.keyboard.press("Escape");
      await alice.getByRole("menu").waitFor({ state: "detached" });
      await alice.getByTestId("room-menu").click();
      await alice.getByTestId("leave-room").filter(exactly("Leave secret"))
        .waitFor();
      await alice.keyboard.press("Escape");

      // A search result, and the pins panel, say where they are.
      await send(alice, "a needle in the haystack");
      const message = confirmedFrom(alice, "alice", "a needle");
      await message.waitFor();
      await alice.getByTestId("search-open").click();
      await alice.getByTestId("search-input").fill("needle");
      await alice.getByTestId("search-result").locator(".result-where")
        .filter(exactly("secret")).waitFor();
      await alice.screenshot({ path: artifact("team_private_search.png") });
      await alice.keyboard.press("Escape");
      await alice.getByTestId("search-dialog").waitFor({ state: "detached" });
      await message.hover();
      await message.getByTestId("message-pin").click();
      await message.getByTestId("pinned-mark").waitFor();
      await alice.getByTestId("pins-open").click();
      await alice.getByTestId("pins-panel").locator("h2")
        .filter(exactly("Pinned in secret")).waitFor();
      await alice.keyboard.press("Escape");

      // From a conversation, the way back shows the room's lock, not "#".
      await bobRow.locator(".member-main").click();
      await alice.getByTestId("current-conversation").filter(exactly("bob"))
        .waitFor();
      const back = alice.getByRole("button", { name: "Back to secret" });
      await back.waitFor();
      assert.equal(await back.textContent(), "secret");
    } finally {
      await bob.close();
    }
  },
);

browserTest(
  "web client marks every room and conversation read at once with Shift+Esc or the sidebar's button, on every device of the account",
  async (browser, server) => {
    const bot = await TestClient.register(server.wsUrl, "bob");
    try {
      await bot.ok("create_room", { room: "dev" });
      await bot.ok("create_room", { room: "ops" });
      const laptop = await openPage(browser, server);
      await register(laptop, "alice");
      for (const room of ["dev", "ops"]) {
        await laptop.getByTestId("composer").fill(`/join ${room}`);
        await laptop.getByTestId("composer").press("Enter");
        await currentRoom(laptop, room);
      }
      await roomItem(laptop, "general").click();
      await currentRoom(laptop, "general");
      const desk = await openPage(browser, server);
      await signIn(desk, "alice");

      await bot.ok("join_room", { room: "dev" });
      await bot.ok("send_message", { text: "deploy is done" });
      await bot.ok("join_room", { room: "ops" });
      await bot.ok("send_message", { text: "@alice disk is full" });
      await bot.ok("private_message", { to: "alice", text: "lunch?" });
      const dm = (page: Page) =>
        page.locator('[data-testid="dm-item"]').filter({ hasText: "bob" });
      for (const page of [laptop, desk]) {
        await roomItem(page, "dev").getByTestId("room-unread").waitFor();
        await roomItem(page, "ops").getByTestId("room-unread").waitFor();
        await dm(page).getByTestId("dm-unread").waitFor();
      }

      // From the composer, as in Slack.
      await laptop.getByTestId("composer").focus();
      await laptop.keyboard.press("Shift+Escape");
      // Every badge gone: the first of them detached is none left.
      for (const page of [laptop, desk]) {
        await page.getByTestId("room-unread").first().waitFor({
          state: "detached",
        });
        await page.getByTestId("dm-unread").first().waitFor({
          state: "detached",
        });
        await waitForTitle(page, "Chat");
        await page.getByTestId("mark-all-read").waitFor({ state: "detached" });
      }

      // The sidebar's button, shown while anything is unread.
      await bot.ok("send_message", { text: "and the backup too" });
      await roomItem(desk, "ops").getByTestId("room-unread").waitFor();
      await desk.getByTestId("mark-all-read").click();
      for (const page of [laptop, desk]) {
        await page.getByTestId("room-unread").first().waitFor({
          state: "detached",
        });
      }
      // Read means read: opening the room shows no "new" line.
      await roomItem(laptop, "ops").click();
      await confirmedFrom(laptop, "bob", "and the backup too").waitFor();
      assert.equal(await laptop.getByTestId("unread-line").count(), 0);
    } finally {
      await bot.close();
    }
  },
);

// Rooms, joins and messages come fast here; the `read` bucket is the
// server's own (100 at once, then 10 a second).
const NONE = { burst: 0, perSecond: 0 };

// 15 s of marks at the server's pace, far more on a busy machine; a page
// that stops marking leaves rooms unread for good.
const MARK_ALL_WAIT_MS = 120_000;

browserTest(
  "web client marks 250 unread rooms read with the sidebar's button, paced by the server's read limit, without being disconnected for it",
  async (browser, server) => {
    const rooms = Array.from({ length: 250 }, (_, i) => `r${i}`);
    const bot = await TestClient.register(server.wsUrl, "bob");
    const alice = await TestClient.register(server.wsUrl, "alice");
    try {
      for (const room of rooms) {
        await bot.ok("create_room", { room });
        await alice.ok("join_room", { room });
        await bot.ok("send_message", { text: `news of ${room}` });
      }
      const page = await openPage(browser, server);
      await signIn(page, "alice");
      await roomItem(page, "r249").getByTestId("room-unread").waitFor();
      // A socket opened from now on is a reconnect.
      let sockets = 0;
      page.on("websocket", () => sockets++);
      await page.getByTestId("mark-all-read").click();
      // Sent all at once, 100 were marked, 100 refused, and the socket
      // closed (1008) for being over its limits again and again: the other
      // 150 rooms stayed unread. Now the last 150 go at 10 a second.
      await page.getByTestId("room-unread").first().waitFor({
        state: "detached",
        timeout: MARK_ALL_WAIT_MS,
      });
      await page.getByTestId("mark-all-read").waitFor({ state: "detached" });
      const again = await TestClient.loginWith(server.wsUrl, {
        token: alice.token,
      });
      const login = again.received.find((f) => f.data.request === "login")!;
      const unread = (login.data.memberships as { unread: number }[])
        .filter((m) => m.unread > 0);
      assert.deepEqual(unread, []);
      await again.close();
      assert.equal(sockets, 0, `the page kept its socket (${sockets} more)`);
    } finally {
      await alice.close();
      await bot.close();
    }
  },
  {
    maxRoomsPerUser: 0,
    rateLimits: {
      ...DEFAULT_RATE_LIMITS,
      perConnection: {
        ...DEFAULT_RATE_LIMITS.perConnection,
        room: NONE,
        membership: NONE,
        message: NONE,
      },
      perUser: {
        ...DEFAULT_RATE_LIMITS.perUser,
        room: NONE,
        membership: NONE,
        message: NONE,
      },
    },
  },
);
