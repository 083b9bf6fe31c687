/**
 * The web client's Threads panel: the threads the account takes part in,
 * unread ones marked (and axe-core's WCAG 2.1 AA rules passed), opening
 * one at its room; a real server, a browser page and a WebSocket client.
 * Needs /usr/bin/chromium.
 */
import assert from "node:assert/strict";
import { Audit } from "./browser_a11y_support.ts";
import {
  browserTest,
  currentConversation,
  currentRoom,
  openPage,
  register,
} from "./browser_support.ts";
import { TestClient } from "./harness.ts";

browserTest(
  "web client: a thread that names the account is in its Threads panel marked unread; opening it opens its room and thread panel and reads it; a new reply marks it unread again live",
  async (browser, server) => {
    const alice = await openPage(browser, server);
    await register(alice, "alice");
    await currentRoom(alice, "general");
    const bob = await TestClient.register(server.wsUrl, "bob");
    try {
      await bob.ok("create_room", { room: "design" });
      const root = (await bob.ok("send_message", { text: "plans for friday?" }))
        .message as { id: string };
      const reply = async (text: string) => {
        const { message } = await bob.ok("send_message", {
          text,
          reply_to: root.id,
        });
        const seq = (message as { seq: number }).seq;
        // Published once the server noted who takes part in the thread.
        await bob.event(
          "replies_updated",
          (d) => d.id === root.id && d.last_reply_seq === seq,
        );
      };
      await reply("@alice what do you think?");

      await alice.getByTestId("threads-open").click();
      const panel = alice.getByTestId("threads-panel");
      const item = panel.getByTestId("threads-item").filter({
        hasText: "plans for friday?",
      });
      await item.and(alice.locator('[data-unread="true"]')).waitFor();
      await item.getByTestId("threads-count").filter({ hasText: "1 reply" })
        .waitFor();
      // The panel and its unread mark pass axe-core's WCAG 2.1 AA rules.
      const audit = new Audit();
      await audit.check(alice, "threads panel, one thread unread");
      audit.assertClean();

      // Opened: its room, then its thread panel, which reads it.
      await item.click();
      await currentRoom(alice, "design");
      const thread = alice.getByTestId("thread-panel");
      await thread.getByTestId("thread-reply").filter({
        hasText: "what do you think?",
      }).waitFor();
      await alice.keyboard.press("Escape");
      await thread.waitFor({ state: "detached" });
      await alice.getByTestId("threads-open").click();
      await item.and(alice.locator('[data-unread="false"]')).waitFor();

      // Another reply: the open panel reads its list again.
      await reply("and saturday?");
      await item.and(alice.locator('[data-unread="true"]')).waitFor();
      await item.getByTestId("threads-count").filter({
        hasText: "2 replies",
      }).waitFor();
    } finally {
      await bob.close();
    }
  },
);

browserTest(
  "web client: the Threads button counts the threads with replies the account has not read, and the count goes once it reads them",
  async (browser, server) => {
    const alice = await openPage(browser, server);
    await register(alice, "alice");
    await currentRoom(alice, "general");
    const button = alice.getByTestId("threads-open");
    const badge = button.getByTestId("threads-unread");
    const bob = await TestClient.register(server.wsUrl, "bob");
    try {
      const root = (await bob.ok("send_message", { text: "lunch at noon?" }))
        .message as { id: string };
      await bob.ok("send_message", {
        text: "@alice are you in?",
        reply_to: root.id,
      });
      await badge.filter({ hasText: /^1$/ }).waitFor();
      await alice.locator(
        '[data-testid="threads-open"][aria-label="Threads, 1 with new replies"]',
      ).waitFor();

      // Read in its thread panel: no count left.
      await button.click();
      await alice.getByTestId("threads-panel").getByTestId("threads-item")
        .filter({ hasText: "lunch at noon?" }).click();
      await alice.getByTestId("thread-panel").getByTestId("thread-reply")
        .filter({ hasText: "are you in?" }).waitFor();
      await badge.waitFor({ state: "detached" });
      await alice.locator(
        '[data-testid="threads-open"][aria-label="Threads"]',
      ).waitFor();
    } finally {
      await bob.close();
    }
  },
);

browserTest(
  "web client: a private conversation's thread in the Threads panel opens the conversation and its thread panel",
  async (browser, server) => {
    const alice = await openPage(browser, server);
    await register(alice, "alice");
    await currentRoom(alice, "general");
    const bob = await TestClient.register(server.wsUrl, "bob");
    try {
      const { message } = await bob.ok("private_message", {
        to: "alice",
        text: "a secret plan",
      });
      const root = message as { id: string };
      const { message: sent } = await bob.ok("private_message", {
        to: "alice",
        text: "step one: coffee",
        reply_to: root.id,
      });
      const seq = (sent as { seq: number }).seq;
      await bob.event(
        "replies_updated",
        (d) => d.id === root.id && d.last_reply_seq === seq,
      );
      await alice.getByTestId("threads-open").click();
      const item = alice.getByTestId("threads-panel").getByTestId(
        "threads-item",
      ).filter({ hasText: "a secret plan" });
      await item.and(alice.locator('[data-unread="true"]')).click();
      await currentConversation(alice, "bob");
      await alice.getByTestId("thread-panel").getByTestId("thread-reply")
        .filter({ hasText: "step one: coffee" }).waitFor();
    } finally {
      await bob.close();
    }
  },
);

browserTest(
  "web client: an open Threads panel reads its list again at most once a second while replies pour in, and ends with the newest count and no refusal",
  async (browser, server) => {
    const alice = await openPage(browser, server);
    let lists = 0;
    alice.on("websocket", (socket) =>
      socket.on("framesent", (frame) => {
        if (String(frame.payload).includes('"list_threads"')) lists++;
      }));
    await register(alice, "alice");
    await currentRoom(alice, "general");
    const bob = await TestClient.register(server.wsUrl, "bob");
    try {
      const root = (await bob.ok("send_message", { text: "standup?" }))
        .message as { id: string };
      const reply = (text: string) =>
        bob.ok("send_message", { text, reply_to: root.id });
      await reply("@alice first");
      await alice.getByTestId("threads-open").click();
      const panel = alice.getByTestId("threads-panel");
      const item = panel.getByTestId("threads-item").filter({
        hasText: "standup?",
      });
      await item.getByTestId("threads-count").filter({ hasText: "1 reply" })
        .waitFor();
      // 40 replies as fast as one socket sends them: a replies_updated
      // each to alice, whose panel was read once for each (the search
      // bucket's 20, then 2 a second: refused, the refusal shown).
      const began = Date.now();
      const counted = lists;
      for (let i = 0; i < 40; i++) await reply(`more ${i}`);
      await item.getByTestId("threads-count").filter({
        hasText: "41 replies",
      }).waitFor();
      const seconds = (Date.now() - began) / 1000;
      const reads = lists - counted;
      assert.ok(
        reads <= Math.ceil(seconds) + 1,
        `${reads} reads of the list in ${seconds} s`,
      );
      assert.equal(await panel.getByRole("alert").count(), 0);
    } finally {
      await bob.close();
    }
  },
);
