/**
 * `@room` in the web client, in a real browser: another's `@room` in a
 * small room counts as a mention of the reader (the sidebar's "@"), its
 * row stands out as one and `@room` as the reader's own name does; the
 * composer offers `@room` after "@" in a room, with what it does. `@here`
 * likewise for a reader online when it is sent, offered after `@room`; in
 * a page of history, only for a reader online then (`here_mentioned`). A
 * sent message that mentions accounts not in its room (not notified) says
 * so under it, with an "Invite" button for an account. Needs
 * /usr/bin/chromium; without it the test is reported as ignored.
 */

import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import {
  artifact,
  browserTest,
  createPrivateRoom,
  currentRoom,
  guest,
  openPage,
  register,
  send,
  signIn,
} from "./browser_support.ts";
import { eventually, TestClient, wentOffline } from "./harness.ts";

browserTest(
  "web client counts another's @room in a small room as a mention of the reader, highlights it, and offers @room after @ in a room",
  async (browser, server) => {
    const bob = await TestClient.register(server.wsUrl, "bob");
    try {
      await bob.ok("create_room", { room: "crew" });
      const page = await openPage(browser, server);
      await register(page, "alice");
      await send(page, "/join crew");
      await currentRoom(page, "crew");
      const roomItem = (name: string) =>
        page.locator(`[data-testid="room-item"][data-room="${name}"]`);
      await roomItem("general").click();
      await currentRoom(page, "general");

      // Not a name of hers: only room_mention makes it her mention.
      await bob.ok("send_message", { room: "crew", text: "@room standup now" });
      await roomItem("crew").locator(".unread-badge.at-me")
        .filter({ hasText: "@1" }).waitFor();

      await roomItem("crew").click();
      await currentRoom(page, "crew");
      const row = page.locator(
        '[data-testid="message"][data-user="bob"].mentioned',
      ).filter({ hasText: "standup now" });
      await row.waitFor();
      assert.equal(
        await row.locator(".mention.mention-self").innerText(),
        "@room",
      );
      await page.screenshot({ path: artifact("room_mention.png") });

      // Offered first after "@", before the people whose names match.
      await page.getByTestId("composer").pressSequentially("hey @ro");
      const option = page.getByTestId("mention-option").first();
      await option.filter({ hasText: "Notify everyone in this room" })
        .waitFor();
      assert.equal(await option.locator(".mention-name").innerText(), "room");
    } finally {
      await bob.close();
    }
  },
);

browserTest(
  "web client counts another's @here as a mention of the reader online, highlights @here, and offers @here after @room",
  async (browser, server) => {
    const bob = await TestClient.register(server.wsUrl, "bob");
    try {
      await bob.ok("create_room", { room: "crew" });
      const page = await openPage(browser, server);
      await register(page, "alice");
      await send(page, "/join crew");
      await currentRoom(page, "crew");
      const roomItem = (name: string) =>
        page.locator(`[data-testid="room-item"][data-room="${name}"]`);
      await roomItem("general").click();
      await currentRoom(page, "general");

      // alice is online in crew: bob's @here is her mention.
      const sent = await bob.ok("send_message", {
        room: "crew",
        text: "@here standup now",
      });
      assert.equal(
        (sent.message as { here_mention?: boolean }).here_mention,
        true,
      );
      await roomItem("crew").locator(".unread-badge.at-me")
        .filter({ hasText: "@1" }).waitFor();

      await roomItem("crew").click();
      await currentRoom(page, "crew");
      const row = page.locator(
        '[data-testid="message"][data-user="bob"].mentioned',
      ).filter({ hasText: "standup now" });
      await row.waitFor();
      assert.equal(
        await row.locator(".mention.mention-self").innerText(),
        "@here",
      );
      await page.screenshot({ path: artifact("here_mention.png") });

      // Offered after "@", after @room, before the people.
      await page.getByTestId("composer").pressSequentially("hey @");
      const options = page.getByTestId("mention-option");
      await options.nth(1).filter({
        hasText: "Notify everyone online in this room",
      }).waitFor();
      assert.deepEqual(
        [
          await options.nth(0).locator(".mention-name").innerText(),
          await options.nth(1).locator(".mention-name").innerText(),
        ],
        ["room", "here"],
      );
    } finally {
      await bob.close();
    }
  },
);

browserTest(
  "web client shows an @here in history as a mention only to a reader online when it was sent, after a reload too, and not to one offline then",
  async (browser, server) => {
    const bob = await TestClient.register(server.wsUrl, "bob");
    try {
      const carol = await TestClient.register(server.wsUrl, "carol");
      await carol.close();
      await wentOffline(bob, "carol");
      const page = await openPage(browser, server);
      await register(page, "alice");
      await eventually(async () => {
        const { users } = await bob.ok("list_users", { room: "general" });
        assert.ok((users as string[]).includes("alice"), "alice is online");
      });
      await bob.ok("send_message", { text: "@here standup now" });
      const row = (p: Page) =>
        p.locator('[data-testid="message"][data-user="bob"]')
          .filter({ hasText: "standup now" });
      const mentioned = async (p: Page) =>
        await row(p).evaluate((el) => el.classList.contains("mentioned"));
      await row(page).and(page.locator(".mentioned")).waitFor();

      // Read again from the server's history, as a reload does.
      await page.reload();
      await currentRoom(page, "general");
      await row(page).waitFor();
      assert.equal(await mentioned(page), true, "alice was online");
      assert.equal(
        await row(page).locator(".mention.mention-self").innerText(),
        "@here",
      );

      const late = await openPage(browser, server);
      await signIn(late, "carol");
      await row(late).waitFor();
      assert.equal(await mentioned(late), false, "carol was offline");
      assert.equal(await row(late).locator(".mention-self").count(), 0);
      await late.screenshot({ path: artifact("here_mention_offline.png") });
    } finally {
      await bob.close();
    }
  },
);

browserTest(
  "web client: a message in a private room that @mentions accounts not in it says they were not notified, in English and French, and its Invite adds them",
  async (browser, server) => {
    const bob = await TestClient.register(server.wsUrl, "bob");
    const carol = await TestClient.register(server.wsUrl, "carol");
    try {
      const page = await openPage(browser, server);
      await register(page, "alice");
      await createPrivateRoom(page, "secret");

      await send(page, "@bob @carol can you look?");
      const line = page.getByTestId("system-line").filter({
        hasText: "bob, carol are not in secret and were not notified.",
      });
      await line.waitFor();
      const invite = line.getByTestId("mention-invite");
      assert.equal(
        await invite.getAttribute("aria-label"),
        "Invite bob, carol to secret",
      );

      await page.getByTestId("settings").click();
      await page.getByTestId("lang-fr").click();
      await page.getByPlaceholder("Écrire dans secret").waitFor();
      await page.keyboard.press("Escape");
      const ligne = page.getByTestId("system-line").filter({
        hasText:
          "bob, carol ne sont pas dans secret et n'ont pas été notifiés.",
      });
      const inviter = ligne.getByTestId("mention-invite").filter({
        hasText: "Inviter",
      });
      await inviter.waitFor();
      await page.screenshot({ path: artifact("mention_not_members.png") });
      await inviter.click();
      // Both are members now: the room hears them join, the button goes.
      await bob.event("membership", (d) => d.room === "secret");
      await carol.event("membership", (d) => d.room === "secret");
      await ligne.getByTestId("mention-invite").waitFor({ state: "detached" });

      // Members now: a mention of them says nothing more.
      await send(page, "@bob merci");
      await page.locator(
        '[data-testid="message"][data-user="alice"][data-seq]:not([data-pending])',
      ).filter({ hasText: "merci" }).waitFor();
      assert.equal(
        await page.getByTestId("system-line").filter({
          hasText: "notifié",
        }).count(),
        1,
      );
    } finally {
      await bob.close();
      await carol.close();
    }
  },
);

browserTest(
  "web client in a public room: a mention of an account not in it says so too, with Invite for an account and without it for a guest, who may not invite",
  async (browser, server) => {
    const bob = await TestClient.register(server.wsUrl, "bob");
    const ada = await TestClient.register(server.wsUrl, "ada");
    try {
      await ada.ok("create_room", { room: "dev" });
      const guestPage = await openPage(browser, server);
      await guest(guestPage, "gus");
      await send(guestPage, "/join dev");
      await currentRoom(guestPage, "dev");
      await send(guestPage, "@bob is the build green?");
      const line = guestPage.getByTestId("system-line").filter({
        hasText: "bob is not in #dev and was not notified.",
      });
      await line.waitFor();
      assert.equal(await line.getByTestId("mention-invite").count(), 0);

      const page = await openPage(browser, server);
      await register(page, "alice");
      await send(page, "/join dev");
      await currentRoom(page, "dev");
      await send(page, "@bob it is");
      await page.getByTestId("system-line").filter({
        hasText: "bob is not in #dev and was not notified.",
      }).getByTestId("mention-invite").click();
      await bob.event("membership", (d) => d.room === "dev");
    } finally {
      await bob.close();
      await ada.close();
    }
  },
);
