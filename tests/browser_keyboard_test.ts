/**
 * What a team coming from Slack or Zulip reaches for in its first hour,
 * in a real browser against a real server: "@" offers the names to
 * mention, "#" the rooms and ":" emoji by shortcode, picked from the
 * keyboard or by a tap, in English and French,
 * on a wide screen and a phone; Alt+Up and Alt+Down (with Shift: unread
 * only) move between rooms and conversations; a half-written message
 * outlives a reload.
 * Needs /usr/bin/chromium; without it the tests are reported as ignored.
 */

import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { TestClient } from "./harness.ts";
import {
  artifact,
  browserTest,
  confirmedFrom,
  currentConversation,
  currentRoom,
  guest,
  openPage,
  register,
  send,
  signIn,
} from "./browser_support.ts";

/** The names the mention list offers, top to bottom. */
async function offered(page: Page): Promise<string[]> {
  return await page.getByTestId("mention-option").locator(".mention-name")
    .allInnerTexts();
}

/** The composer's text. */
async function composerText(page: Page): Promise<string> {
  return await page.getByTestId("composer").inputValue();
}

browserTest(
  "web client offers the room's people when @ is typed, picked with the arrows and Tab, Enter or a click",
  async (browser, server) => {
    const people = await Promise.all(
      ["bob", "bonnie", "elbow", "carol"].map((name) =>
        TestClient.login(server.wsUrl, name)
      ),
    );
    try {
      const alice = await openPage(browser, server);
      await guest(alice, "alice");
      await alice.getByTestId("member-list").getByText("carol").waitFor();
      const composer = alice.getByTestId("composer");

      // Names that start with it first, then those that hold it; not me.
      await composer.pressSequentially("hello @bo");
      await alice.getByTestId("mention-picker").waitFor();
      const names = await offered(alice);
      assert.deepEqual(names.slice(0, 2).sort(), ["bob", "bonnie"]);
      assert.deepEqual(names.slice(2), ["elbow"]);
      const options = alice.getByTestId("mention-option");
      assert.equal(await options.nth(0).getAttribute("aria-selected"), "true");

      // Down moves the highlight, and the box says which one it is.
      await alice.screenshot({ path: artifact("keyboard_mentions.png") });
      await composer.press("ArrowDown");
      assert.equal(await options.nth(1).getAttribute("aria-selected"), "true");
      assert.equal(
        await composer.getAttribute("aria-activedescendant"),
        await options.nth(1).getAttribute("id"),
      );
      await composer.press("Tab");
      await alice.getByTestId("mention-picker").waitFor({ state: "detached" });
      assert.equal(await composerText(alice), `hello @${names[1]} `);
      assert.ok(
        await composer.evaluate((box) => box === document.activeElement),
        "the composer keeps the focus after Tab",
      );

      // Typing goes on after the name; Enter then sends as always.
      await composer.pressSequentially("and @el");
      assert.deepEqual(await offered(alice), ["elbow"]);
      await composer.press("Enter");
      assert.equal(await composerText(alice), `hello @${names[1]} and @elbow `);
      await composer.pressSequentially("see you");
      await composer.press("Enter");
      await confirmedFrom(
        alice,
        "alice",
        `hello @${names[1]} and @elbow see you`,
      ).waitFor();

      // A name typed in full is whole: Enter sends at once, as before.
      await composer.pressSequentially("thanks @elbow");
      assert.deepEqual(await offered(alice), ["elbow"]);
      await composer.press("Enter");
      await confirmedFrom(alice, "alice", "thanks @elbow").waitFor();
      assert.equal(await composerText(alice), "");

      // Esc closes the list and keeps the text; the next "@" offers again.
      await composer.pressSequentially("@ca");
      assert.deepEqual(await offered(alice), ["carol"]);
      await composer.press("Escape");
      await alice.getByTestId("mention-picker").waitFor({ state: "detached" });
      assert.equal(await composerText(alice), "@ca");
      await composer.pressSequentially("rol, @");
      assert.ok((await offered(alice)).includes("carol"));

      // A click picks too, and leaves the caret in the box.
      await composer.fill("");
      await composer.pressSequentially("ping @elb");
      await alice.getByTestId("mention-option").filter({ hasText: "elbow" })
        .click();
      assert.equal(await composerText(alice), "ping @elbow ");
      await composer.pressSequentially("now");
      assert.equal(await composerText(alice), "ping @elbow now");

      // No list inside a word, an address, or a command's bare names.
      await composer.fill("");
      await composer.pressSequentially("mail bob@bo");
      assert.equal(await alice.getByTestId("mention-picker").count(), 0);
      await composer.fill("");
      await composer.pressSequentially("/msg @bo");
      assert.equal(await alice.getByTestId("mention-picker").count(), 0);
    } finally {
      await Promise.all(people.map((p) => p.close()));
    }
  },
);

browserTest(
  "web client offers the room's members who are offline after the people online when @ is typed",
  async (browser, server) => {
    // Accounts belong to general from their registration: bonnie and
    // boris are members, gone offline; bob is a guest, online.
    for (const name of ["bonnie", "boris"]) {
      await (await TestClient.register(server.wsUrl, name)).close();
    }
    const bob = await TestClient.login(server.wsUrl, "bob");
    try {
      const alice = await openPage(browser, server);
      await guest(alice, "alice");
      await alice.getByTestId("member-list").getByText("bob").waitFor();
      const composer = alice.getByTestId("composer");
      await composer.pressSequentially("hi @bo");
      await alice.getByTestId("mention-option").filter({ hasText: "boris" })
        .waitFor();
      assert.deepEqual(await offered(alice), ["bob", "bonnie", "boris"]);
      const options = alice.getByTestId("mention-option");
      assert.doesNotMatch(
        await options.nth(0).getAttribute("class") ?? "",
        /offline/,
      );
      assert.match(await options.nth(1).getAttribute("class") ?? "", /offline/);
      // Typing on narrows them; Enter picks one who is offline as any other.
      await composer.pressSequentially("n");
      assert.deepEqual(await offered(alice), ["bonnie"]);
      await composer.press("Enter");
      assert.equal(await composerText(alice), "hi @bonnie ");
    } finally {
      await bob.close();
    }
  },
);

browserTest(
  "web client offers names to mention on a phone in French, and a tap picks one",
  async (browser, server) => {
    const bob = await TestClient.login(server.wsUrl, "bob");
    try {
      const chloe = await openPage(browser, server, {
        viewport: { width: 390, height: 780 },
        locale: "fr-FR",
      });
      await guest(chloe, "chloe");
      // The member list is a drawer here: wait for bob through the list.
      const composer = chloe.getByTestId("composer");
      await composer.pressSequentially("salut @b");
      const list = chloe.getByRole("listbox", {
        name: "Personnes à mentionner",
      });
      await list.waitFor();
      await chloe.getByText("Tab ou Entrée choisit · Échap ferme").waitFor();
      const box = await chloe.getByTestId("mention-picker").boundingBox();
      assert.ok(
        box && box.x >= 0 && box.x + box.width <= 390 && box.y >= 0,
        `the list is on screen: ${JSON.stringify(box)}`,
      );
      await chloe.screenshot({ path: artifact("keyboard_mentions_phone.png") });
      await chloe.getByTestId("mention-option").filter({ hasText: "bob" })
        .tap();
      assert.equal(await composerText(chloe), "salut @bob ");
      await send(chloe, "salut @bob, ça va ?");
      await confirmedFrom(chloe, "chloe", "ça va").waitFor();
    } finally {
      await bob.close();
    }
  },
);

browserTest(
  "web client offers rooms after # and emoji by shortcode after :, picked with the arrows, Tab, Enter or a click",
  async (browser, server) => {
    const bob = await TestClient.login(server.wsUrl, "bob");
    try {
      await bob.ok("create_room", { room: "design" });
      await bob.ok("create_room", { room: "dev-ops" });
      const alice = await openPage(browser, server);
      await guest(alice, "alice");
      await alice.locator("#sidebar").getByText("dev-ops").waitFor();
      const composer = alice.getByTestId("composer");

      // "#" offers the rooms, those that start with what follows it first.
      await composer.pressSequentially("see #de");
      await alice.getByRole("listbox", { name: "Rooms to name" }).waitFor();
      assert.deepEqual(await offered(alice), ["design", "dev-ops"]);
      await composer.press("ArrowDown");
      await composer.press("Tab");
      assert.equal(await composerText(alice), "see #dev-ops ");

      // ":" and two letters offer emoji; Enter puts the emoji in, not the name.
      await composer.pressSequentially("and :thu");
      await alice.getByRole("listbox", { name: "Emoji" }).waitFor();
      const emoji = await offered(alice);
      assert.equal(emoji[0], ":thumbsup:");
      assert.ok(emoji.includes(":thumbsdown:"), emoji.join(" "));
      await alice.screenshot({ path: artifact("keyboard_emoji.png") });
      await composer.press("Enter");
      await alice.getByTestId("mention-picker").waitFor({ state: "detached" });
      assert.equal(await composerText(alice), "see #dev-ops and 👍 ");
      await composer.pressSequentially("now");
      await composer.press("Enter");
      await confirmedFrom(alice, "alice", "see #dev-ops and 👍 now")
        .waitFor();

      // Esc closes the list and keeps the text; a click picks.
      await composer.pressSequentially("ok :smi");
      await alice.getByRole("listbox", { name: "Emoji" }).waitFor();
      await composer.press("Escape");
      await alice.getByTestId("mention-picker").waitFor({ state: "detached" });
      assert.equal(await composerText(alice), "ok :smi");
      await composer.fill("");
      await composer.pressSequentially("ok :tad");
      await alice.getByTestId("mention-option").filter({ hasText: ":tada:" })
        .click();
      assert.equal(await composerText(alice), "ok 🎉 ");

      // No list for a time, one letter, a word's "#", or /join's bare name.
      for (const typed of ["at 12:30", "ok :p", "issue#4", "/join #de"]) {
        await composer.fill("");
        await composer.pressSequentially(typed);
        assert.equal(
          await alice.getByTestId("mention-picker").count(),
          0,
          typed,
        );
      }
    } finally {
      await bob.close();
    }
  },
);

browserTest(
  "web client offers emoji by their French shortcodes and rooms on a phone in French, and a tap picks one",
  async (browser, server) => {
    const chloe = await openPage(browser, server, {
      viewport: { width: 390, height: 780 },
      locale: "fr-FR",
    });
    await guest(chloe, "chloe");
    const composer = chloe.getByTestId("composer");
    await composer.pressSequentially("merci :pouce_vers_le_h");
    await chloe.getByRole("listbox", { name: "Émojis" }).waitFor();
    assert.equal((await offered(chloe))[0], ":pouce_vers_le_haut:");
    const box = await chloe.getByTestId("mention-picker").boundingBox();
    assert.ok(
      box && box.x >= 0 && box.x + box.width <= 390 && box.y >= 0,
      `the list is on screen: ${JSON.stringify(box)}`,
    );
    await chloe.screenshot({ path: artifact("keyboard_emoji_phone.png") });
    await chloe.getByTestId("mention-option").first().tap();
    assert.equal(await composerText(chloe), "merci 👍 ");
    // English shortcodes work in French too.
    await composer.pressSequentially("dans #gen");
    await chloe.getByRole("listbox", { name: "Salons à citer" }).waitFor();
    await chloe.getByTestId("mention-option").filter({ hasText: "general" })
      .tap();
    await composer.pressSequentially(":tada");
    await chloe.getByTestId("mention-option").filter({ hasText: ":tada:" })
      .tap();
    assert.equal(await composerText(chloe), "merci 👍 dans #general 🎉 ");
    await composer.press("Enter");
    await confirmedFrom(chloe, "chloe", "merci 👍 dans #general 🎉").waitFor();
  },
);

browserTest(
  "web client moves to the room above or below with Alt+Up and Alt+Down, and to the next unread one with Shift",
  async (browser, server) => {
    const alice = await openPage(browser, server);
    await register(alice, "alice");
    await send(alice, "/create design");
    await currentRoom(alice, "design");
    await send(alice, "/create ops");
    await currentRoom(alice, "ops");

    // While alice is in #ops: bob writes in #design and to her.
    const bob = await TestClient.register(server.wsUrl, "bob");
    try {
      await bob.ok("join_room", { room: "design" });
      await bob.ok("send_message", { text: "the mockups are up" });
      await bob.ok("private_message", { to: "alice", text: "psst, lunch?" });
      await alice.locator('[data-testid="room-item"][data-room="design"]')
        .getByTestId("room-unread").waitFor();
      await alice.locator('[data-testid="dm-item"][data-user="bob"]')
        .getByTestId("dm-unread").waitFor();

      // From the composer, as Slack users do: the nearest unread below
      // (the conversation), then round the list to #design.
      const composer = alice.getByTestId("composer");
      await composer.focus();
      await alice.keyboard.press("Alt+Shift+ArrowDown");
      await currentConversation(alice, "bob");
      await confirmedFrom(alice, "bob", "psst, lunch?").waitFor();
      await alice.keyboard.press("Alt+Shift+ArrowDown");
      await currentRoom(alice, "design");
      await confirmedFrom(alice, "bob", "the mockups are up").waitFor();

      // Without Shift: the row above or below, with the draft kept.
      await composer.fill("half a thought");
      await alice.keyboard.press("Alt+ArrowUp");
      await currentRoom(alice, "general");
      assert.equal(await composerText(alice), "");
      await alice.keyboard.press("Alt+ArrowDown");
      await currentRoom(alice, "design");
      assert.equal(await composerText(alice), "half a thought");
      await alice.keyboard.press("Alt+ArrowDown");
      await currentRoom(alice, "ops");
      await alice.keyboard.press("Alt+ArrowDown");
      await currentConversation(alice, "bob");

      // From the message list too (its own Up and Down walk messages).
      await alice.getByTestId("message-list").focus();
      await alice.keyboard.press("Alt+ArrowUp");
      await currentRoom(alice, "ops");

      // /help lists the keys.
      await send(alice, "/help");
      await alice.getByText(
        "Alt+Shift+↑ / Alt+Shift+↓ — The nearest one with unread messages.",
      )
        .waitFor();
    } finally {
      await bob.close();
    }
  },
);

/** Waits until the composer holds exactly this text. */
async function draftIs(page: Page, text: string): Promise<void> {
  await page.waitForFunction(
    (wanted) =>
      document.querySelector<HTMLTextAreaElement>('[data-testid="composer"]')
        ?.value === wanted,
    text,
  );
}

/** Opens a room from the sidebar. */
async function openRoom(page: Page, room: string): Promise<void> {
  await page.locator(`[data-testid="room-item"][data-room="${room}"]`).click();
  await currentRoom(page, room);
}

browserTest(
  "web client marks the rooms with unsent text and keeps it through a reload; the browser forgets it at logout, the server gives it back at sign-in",
  async (browser, server) => {
    const alice = await openPage(browser, server);
    await register(alice, "alice");
    await send(alice, "/create design");
    await currentRoom(alice, "design");
    const composer = alice.getByTestId("composer");
    await composer.fill("half a thought about the logo");
    await openRoom(alice, "general");
    // The sidebar marks the room with unsent text, as Slack does.
    const designRow = alice.locator(
      '[data-testid="room-item"][data-room="design"]',
    );
    await designRow.getByTestId("draft-mark").waitFor();
    assert.match(await designRow.innerText(), /\(draft\)/);
    await composer.fill("and one for everyone");

    await alice.reload();
    await currentRoom(alice, "general");
    await draftIs(alice, "and one for everyone");
    await openRoom(alice, "design");
    await draftIs(alice, "half a thought about the logo");

    // Sent, a draft is gone for good: no ghost of it after a reload.
    await composer.press("Enter");
    await confirmedFrom(alice, "alice", "half a thought about the logo")
      .waitFor();
    await alice.reload();
    await currentRoom(alice, "general");
    await draftIs(alice, "and one for everyone");
    await openRoom(alice, "design");
    await draftIs(alice, "");
    assert.equal(await designRow.getByTestId("draft-mark").count(), 0);
    await alice.locator('[data-testid="room-item"][data-room="general"]')
      .getByTestId("draft-mark").waitFor();

    // The text is the account's: the browser forgets it with the session,
    // and the server gives it back at the account's next sign-in.
    await alice.getByTestId("logout").click();
    await alice.getByTestId("login-submit").waitFor();
    const kept = await alice.evaluate(() =>
      Object.keys(localStorage).filter((k) => k.includes("drafts"))
    );
    assert.deepEqual(kept, []);
    await signIn(alice, "alice");
    await draftIs(alice, "and one for everyone");
  },
);

/** The names the quick switcher offers, top to bottom. */
async function jumpChoices(page: Page): Promise<string[]> {
  return await page.getByTestId("switch-option").evaluateAll((options) =>
    options.map((o) => o.getAttribute("data-name") ?? "")
  );
}

/** Waits until the quick switcher offers these names, top to bottom. */
async function offersJumps(page: Page, names: string[]): Promise<void> {
  await page.waitForFunction(
    (wanted) =>
      [...document.querySelectorAll('[data-testid="switch-option"]')]
        .map((o) => o.getAttribute("data-name")).join("\n") === wanted,
    names.join("\n"),
  ).catch(() => {});
  assert.deepEqual(await jumpChoices(page), names);
}

browserTest(
  "web client jumps with Ctrl+K, as in Slack: one's places unread first, rooms to join, people to write to; arrows, Enter, Esc; Ctrl+Shift+F searches",
  async (browser, server) => {
    const alice = await openPage(browser, server);
    await register(alice, "alice");
    await send(alice, "/create design");
    await currentRoom(alice, "design");
    await send(alice, "/create ops");
    await currentRoom(alice, "ops");
    await openRoom(alice, "general");

    // bob opens #dev-talk, which alice is not in, and writes to her;
    // carol is in #general, and alice has never written to her.
    const bob = await TestClient.register(server.wsUrl, "bob");
    const carol = await TestClient.login(server.wsUrl, "carol");
    try {
      await bob.ok("create_room", { room: "dev-talk" });
      await bob.ok("private_message", { to: "alice", text: "psst, lunch?" });
      await alice.locator('[data-testid="dm-item"][data-user="bob"]')
        .getByTestId("dm-unread").waitFor();
      await alice.getByTestId("member-list").getByText("carol").waitFor();

      // From the composer: the box opens focused, the unread first.
      const composer = alice.getByTestId("composer");
      await composer.focus();
      await alice.keyboard.press("Control+k");
      const box = alice.getByTestId("switch-input");
      await box.waitFor();
      assert.ok(await box.evaluate((el) => el === document.activeElement));
      const options = alice.getByTestId("switch-option");
      await options.first().waitFor();
      assert.equal((await jumpChoices(alice))[0], "bob");
      assert.equal(await options.first().getAttribute("aria-selected"), "true");

      // A person to write to, by letters in order.
      await box.pressSequentially("crl");
      await offersJumps(alice, ["carol"]);
      assert.match(await options.first().innerText(), /Message/);
      await box.press("Enter");
      await currentConversation(alice, "carol");
      await alice.getByTestId("quick-switcher").waitFor({ state: "detached" });

      // Joined first, then the room to join, which says so.
      await alice.keyboard.press("Control+k");
      await box.pressSequentially("de");
      await offersJumps(alice, ["design", "dev-talk"]);
      assert.match(await options.nth(1).innerText(), /Join/);
      await alice.screenshot({ path: artifact("keyboard_jump.png") });
      await box.press("ArrowDown");
      assert.equal(await options.nth(1).getAttribute("aria-selected"), "true");
      assert.equal(
        await box.getAttribute("aria-activedescendant"),
        await options.nth(1).getAttribute("id"),
      );
      await box.press("Enter");
      await currentRoom(alice, "dev-talk");
      await alice.getByTestId("quick-switcher").waitFor({ state: "detached" });

      // Esc closes it, as Ctrl+K again does, and nothing moves.
      await alice.keyboard.press("Control+k");
      await box.waitFor();
      await alice.keyboard.press("Escape");
      await alice.getByTestId("quick-switcher").waitFor({ state: "detached" });
      await alice.keyboard.press("Control+k");
      await box.waitFor();
      await alice.keyboard.press("Control+k");
      await alice.getByTestId("quick-switcher").waitFor({ state: "detached" });
      await currentRoom(alice, "dev-talk");

      // Message search has Mattermost's key now.
      await alice.keyboard.press("Control+Shift+F");
      await alice.getByTestId("search-dialog").waitFor();
      await alice.keyboard.press("Control+k");
      await box.waitFor();
      assert.equal(await alice.getByTestId("search-dialog").count(), 0);
      await alice.keyboard.press("Escape");

      // /help lists both keys.
      await send(alice, "/help");
      await alice.getByText("Ctrl+K — Jump to a room or a person.").waitFor();
      await alice.getByText("Ctrl+Shift+F — Search messages.").waitFor();
    } finally {
      await bob.close();
      await carol.close();
    }

    // On a phone, in French: "Aller à…" atop the drawer, a tap to go.
    const chloe = await openPage(browser, server, {
      viewport: { width: 390, height: 844 },
      locale: "fr-FR",
    });
    await guest(chloe, "chloe");
    await chloe.getByTestId("drawer-toggle").tap();
    await chloe.getByTestId("switch-open").filter({ hasText: "Aller à…" })
      .tap();
    const dialog = chloe.getByTestId("quick-switcher");
    await dialog.getByText("Aller à…").waitFor();
    await chloe.getByTestId("switch-input").fill("desi");
    await chloe.getByTestId("switch-option").filter({ hasText: "design" })
      .tap();
    await currentRoom(chloe, "design");
    const width = await chloe.evaluate(() => innerWidth);
    await chloe.getByTestId("drawer-toggle").tap();
    await chloe.getByTestId("switch-open").tap();
    const card = await dialog.boundingBox();
    assert.ok(card && card.x >= 0 && card.x + card.width <= width);
    await chloe.screenshot({ path: artifact("keyboard_jump_phone.png") });
  },
);

browserTest(
  "web client's Ctrl+K finds, as the person types, a teammate the page has never seen a name of, and opens the conversation",
  async (browser, server) => {
    // dana logged in once (so she is in #general) and left before alice's
    // page opened: she wrote nothing and no list the page holds names her.
    const watcher = await TestClient.register(server.wsUrl, "watcher");
    const dana = await TestClient.register(server.wsUrl, "dana");
    await dana.close();
    try {
      for (;;) {
        const { users } = await watcher.ok("list_users", { room: "general" });
        if (!(users as string[]).includes("dana")) break;
        await new Promise((done) => setTimeout(done, 50));
      }
    } finally {
      await watcher.close();
    }
    const alice = await openPage(browser, server);
    await register(alice, "alice");
    await alice.keyboard.press("Control+k");
    const box = alice.getByTestId("switch-input");
    await box.waitFor();
    await box.pressSequentially("dan");
    await offersJumps(alice, ["dana"]);
    const option = alice.getByTestId("switch-option").first();
    assert.match(await option.innerText(), /Message/);
    await box.press("Enter");
    await currentConversation(alice, "dana");
    await alice.getByTestId("quick-switcher").waitFor({ state: "detached" });
  },
);

browserTest(
  "web client's Ctrl+K puts the place visited last first, not the one with the newest message, and remembers the visits through a reload",
  async (browser, server) => {
    const alice = await openPage(browser, server);
    await register(alice, "alice");
    await send(alice, "/create proj-alpha");
    await currentRoom(alice, "proj-alpha");
    await send(alice, "/create proj-beta");
    await currentRoom(alice, "proj-beta");
    // #proj-beta holds the newest message; #proj-alpha was visited after it.
    await send(alice, "the newest message");
    await confirmedFrom(alice, "alice", "the newest message").waitFor();
    await openRoom(alice, "proj-alpha");
    await openRoom(alice, "general");

    const box = alice.getByTestId("switch-input");
    await alice.keyboard.press("Control+k");
    await box.pressSequentially("proj");
    await offersJumps(alice, ["proj-alpha", "proj-beta"]);
    await alice.keyboard.press("Escape");

    await alice.reload();
    await alice.getByTestId("composer").waitFor();
    await alice.keyboard.press("Control+k");
    await box.pressSequentially("proj");
    await offersJumps(alice, ["proj-alpha", "proj-beta"]);
  },
);
