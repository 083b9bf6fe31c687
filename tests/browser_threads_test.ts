/**
 * The web client's threads: "N replies" under a message opens the thread
 * panel, whose composer answers the message; the count and the panel
 * follow replies from another person live. Two browser pages, a real
 * server. Needs /usr/bin/chromium.
 */
import assert from "node:assert/strict";
import { MAX_MESSAGES_PER_ROOM } from "../client/room_log.ts";
import { NO_RATE_LIMITS } from "../server/mod.ts";
import {
  browserTest,
  confirmedFrom,
  currentRoom,
  openPage,
  register,
  send,
} from "./browser_support.ts";
import { TestClient } from "./harness.ts";

browserTest(
  "web client: a reply shows 'N replies' under its message on both pages; the thread panel lists the replies, answers in the thread, and counts another's reply live",
  async (browser, server) => {
    const alice = await openPage(browser, server);
    await register(alice, "alice");
    await currentRoom(alice, "general");
    const bob = await openPage(browser, server);
    await register(bob, "bob");
    await currentRoom(bob, "general");
    await send(alice, "who wants lunch?");

    // Bob answers with the message's Reply action and the main composer.
    const root = confirmedFrom(bob, "alice", "who wants lunch?");
    await root.hover();
    await root.getByTestId("message-reply").click();
    await send(bob, "me, at noon");
    await confirmedFrom(bob, "bob", "me, at noon").waitFor();

    // Alice sees the count come under her message, and opens the thread.
    const onAlice = confirmedFrom(alice, "alice", "who wants lunch?");
    const link = onAlice.getByTestId("thread-open");
    await link.filter({ hasText: "1 reply" }).waitFor();
    await link.click();
    const panel = alice.getByTestId("thread-panel");
    await panel.getByTestId("thread-root").filter({
      hasText: "who wants lunch?",
    }).waitFor();
    await panel.getByTestId("thread-reply").filter({ hasText: "me, at noon" })
      .waitFor();

    // Its composer looks like the app's: a field, and the accent's button
    // (before, the browser's own grey button and white-edged box).
    const send_ = panel.getByTestId("thread-send");
    assert.equal(
      await send_.evaluate((el) => getComputedStyle(el).backgroundColor),
      await alice.evaluate(() => {
        const probe = document.createElement("span");
        probe.style.color = "var(--accent)";
        document.body.append(probe);
        const accent = getComputedStyle(probe).color;
        probe.remove();
        return accent;
      }),
    );

    // Alice answers in the thread: it is a reply to her message.
    await panel.getByTestId("thread-input").fill("great, see you");
    await send_.click();
    await panel.getByTestId("thread-reply").filter({
      hasText: "great, see you",
    }).waitFor();
    const onBob = confirmedFrom(bob, "alice", "who wants lunch?");
    await onBob.getByTestId("thread-open").filter({ hasText: "2 replies" })
      .waitFor();
    await confirmedFrom(bob, "alice", "great, see you").getByTestId(
      "reply-quote",
    ).filter({ hasText: "who wants lunch?" }).waitFor();

    // Bob's next reply shows in Alice's open panel, and her count moves.
    // The first of Alice's rows that say it: the next quotes it.
    const again = confirmedFrom(bob, "alice", "who wants lunch?").first();
    await again.hover();
    await again.getByTestId("message-reply").click();
    await send(bob, "count me in too");
    await panel.getByTestId("thread-reply").filter({
      hasText: "count me in too",
    }).waitFor();
    await onAlice.getByTestId("thread-open").filter({ hasText: "3 replies" })
      .waitFor();
  },
);

browserTest(
  "web client: the open thread panel shows a new reply live after its message left the loaded ones",
  async (browser, server) => {
    const alice = await openPage(browser, server);
    await register(alice, "alice");
    await currentRoom(alice, "general");
    const bob = await TestClient.register(server.wsUrl, "bob");
    try {
      const root = (await bob.ok("send_message", { text: "walk at five?" }))
        .message as { id: string };
      await bob.ok("send_message", { text: "sure", reply_to: root.id });
      const onAlice = confirmedFrom(alice, "bob", "walk at five?");
      await onAlice.getByTestId("thread-open").filter({ hasText: "1 reply" })
        .click();
      const panel = alice.getByTestId("thread-panel");
      await panel.getByTestId("thread-reply").filter({ hasText: "sure" })
        .waitFor();

      // A busy room: live messages past twice what a log keeps trim it back,
      // and the root is no longer among the loaded messages.
      const filler = 2 * MAX_MESSAGES_PER_ROOM;
      for (let from = 1; from <= filler; from += 50) {
        await Promise.all(
          Array.from(
            { length: 50 },
            (_, i) => bob.ok("send_message", { text: `filler ${from + i}` }),
          ),
        );
      }
      await confirmedFrom(alice, "bob", `filler ${filler}`).waitFor();

      await bob.ok("send_message", {
        text: "count me in",
        reply_to: root.id,
      });
      await panel.getByTestId("thread-reply").filter({
        hasText: "count me in",
      }).waitFor();
    } finally {
      await bob.close();
    }
  },
  { rateLimits: NO_RATE_LIMITS },
);
