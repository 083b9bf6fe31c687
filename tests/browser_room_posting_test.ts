/**
 * The web client's announcement rooms: "Only moderators post" in the room's
 * menu for who manages it, a line in place of the composer (and no topic to
 * edit) for the members who may not post, and the admin page's rooms, in English and in French.
 * Real browsers, a real server. Needs /usr/bin/chromium.
 */
import assert from "node:assert/strict";
import {
  browserTest,
  confirmedFrom,
  currentRoom,
  openPage,
  register,
  send,
  STEP_TIMEOUT,
} from "./browser_support.ts";
import { ClientPool, expectError } from "./harness.ts";

const WIDE = { timeout: 3 * STEP_TIMEOUT };

browserTest(
  "web client: the owner makes a room an announcement room from its menu; a member sees a line instead of the composer, the owner keeps the composer, and the owner opens it again, in English and French",
  async (browser, server) => {
    const alice = await openPage(browser, server);
    await register(alice, "alice");
    await send(alice, "/create news");
    await currentRoom(alice, "news");
    const bob = await openPage(browser, server, { locale: "fr-FR" });
    await register(bob, "bob");
    await send(bob, "/join news");
    await currentRoom(bob, "news");
    // A member who does not manage the room is not offered it.
    await bob.getByTestId("room-menu").click();
    await bob.getByTestId("notify-none").waitFor();
    assert.equal(await bob.getByTestId("posting-moderators").count(), 0);
    assert.equal(await bob.getByTestId("topic-open").count(), 1);
    await bob.keyboard.press("Escape");

    await alice.getByTestId("room-menu").click();
    assert.equal(
      (await alice.getByTestId("posting-moderators").textContent())?.trim(),
      "Only moderators post",
    );
    await alice.getByTestId("posting-moderators").click();

    await bob.getByTestId("posting-bar").waitFor(WIDE);
    assert.equal(await bob.getByTestId("composer").count(), 0);
    assert.match(
      (await bob.getByTestId("posting-bar").textContent()) ?? "",
      /Seuls le propriétaire du salon, les modérateurs et les admins publient ici/,
    );
    // Nor its topic, which the server refuses him now (posting_restricted).
    await bob.getByTestId("room-menu").click();
    await bob.getByTestId("notify-none").waitFor();
    assert.equal(await bob.getByTestId("topic-open").count(), 0);
    await bob.keyboard.press("Escape");
    // The owner still posts, and the member reads it.
    await send(alice, "release on Friday");
    await bob.getByTestId("message-text").filter({
      hasText: "release on Friday",
    }).waitFor(WIDE);
    assert.equal(await alice.getByTestId("posting-bar").count(), 0);

    await alice.getByTestId("room-menu").click();
    assert.equal(
      (await alice.getByTestId("posting-everyone").textContent())?.trim(),
      "Let everyone post",
    );
    await alice.getByTestId("posting-everyone").click();
    await bob.getByTestId("composer").waitFor(WIDE);
    assert.equal(await bob.getByTestId("posting-bar").count(), 0);
    await send(bob, "merci");
    await alice.getByTestId("message-text").filter({ hasText: "merci" })
      .waitFor(WIDE);
  },
  // Named, so that the first account (alice) is a plain user.
  { admin: "root" },
);

browserTest(
  "admin page: an admin lets only moderators post in a room and opens it again; a member's post is refused meanwhile",
  async (browser, server) => {
    const pool = new ClientPool(server.wsUrl);
    try {
      const root = await openPage(browser, server);
      await register(root, "root");
      const ann = await pool.register("ann");
      await ann.ok("create_room", { room: "club" });
      const ben = await pool.register("ben");
      await ben.ok("join_room", { room: "club" });
      await root.goto("/admin");
      await root.getByTestId("admin-page").waitFor(WIDE);
      await root.getByTestId("admin-tab-rooms").click();
      const club = root.locator('[data-testid="admin-room"][data-room="club"]');
      const posting = club.getByTestId("admin-room-posting");
      await posting.filter({ hasText: /^Only moderators post$/ }).click(WIDE);
      const notice = root.getByTestId("admin-notice-ok");
      await notice.filter({ hasText: /^Only moderators post in #club$/ })
        .waitFor(WIDE);
      await club.locator(".admin-meta").filter({ hasText: "moderators post" })
        .waitFor(WIDE);
      await expectError(
        ben,
        "send_message",
        { text: "hi" },
        "posting_restricted",
      );

      await posting.filter({ hasText: /^Let everyone post$/ }).click(WIDE);
      await notice.filter({ hasText: /^Everyone posts in #club$/ })
        .waitFor(WIDE);
      await ben.ok("send_message", { text: "back" });
    } finally {
      await pool.closeAll();
    }
  },
);

browserTest(
  "web client: in an announcement room, the thread panel of a member who may not post shows the composer's line instead of a reply box, and the box once everyone posts again",
  async (browser, server) => {
    const pool = new ClientPool(server.wsUrl);
    try {
      const ann = await pool.register("ann");
      await ann.ok("create_room", { room: "news" });
      const root = (await ann.ok("send_message", { text: "release on Friday" }))
        .message as { id: string };
      await ann.ok("send_message", { text: "notes follow", reply_to: root.id });
      await ann.ok("set_room_posting", { room: "news", posting: "moderators" });

      const ben = await openPage(browser, server);
      await register(ben, "ben");
      await send(ben, "/join news");
      await currentRoom(ben, "news");
      await ben.getByTestId("posting-bar").waitFor(WIDE);
      await confirmedFrom(ben, "ann", "release on Friday")
        .getByTestId("thread-open").filter({ hasText: "1 reply" }).click(WIDE);
      const panel = ben.getByTestId("thread-panel");
      await panel.getByTestId("thread-reply").filter({
        hasText: "notes follow",
      })
        .waitFor(WIDE);
      await panel.getByTestId("posting-bar").waitFor(WIDE);
      assert.equal(await panel.getByTestId("thread-input").count(), 0);

      // The room opened again: the reply box comes back.
      await ann.ok("set_room_posting", { room: "news", posting: "everyone" });
      await panel.getByTestId("thread-input").waitFor(WIDE);
      assert.equal(await panel.getByTestId("posting-bar").count(), 0);
    } finally {
      await pool.closeAll();
    }
  },
);

browserTest(
  "web client: a member who may not post in an announcement room, or in an archived room, is offered no Reply on its messages (it filled a composer that is not there), and Reply comes back once it may post",
  async (browser, server) => {
    const pool = new ClientPool(server.wsUrl);
    try {
      const ann = await pool.register("ann");
      await ann.ok("create_room", { room: "news" });
      await ann.ok("send_message", { text: "release on Friday" });
      await ann.ok("set_room_posting", { room: "news", posting: "moderators" });

      const ben = await openPage(browser, server);
      await register(ben, "ben");
      await send(ben, "/join news");
      await currentRoom(ben, "news");
      await ben.getByTestId("posting-bar").waitFor(WIDE);
      const message = confirmedFrom(ben, "ann", "release on Friday");
      await message.hover();
      await message.getByTestId("message-react").waitFor(WIDE);
      assert.equal(await message.getByTestId("message-reply").count(), 0);

      await ann.ok("set_room_posting", { room: "news", posting: "everyone" });
      await ben.getByTestId("composer").waitFor(WIDE);
      await message.hover();
      await message.getByTestId("message-reply").waitFor(WIDE);

      await ann.ok("archive_room", { room: "news" });
      await ben.getByTestId("archived-bar").waitFor(WIDE);
      await message.hover();
      await message.getByTestId("message-reply").waitFor({
        ...WIDE,
        state: "detached",
      });
    } finally {
      await pool.closeAll();
    }
  },
);
