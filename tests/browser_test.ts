/**
 * The web client in a real browser against a real server: two people chat
 * in #general, then in a room one of them creates. Needs /usr/bin/chromium;
 * without it the test is reported as ignored.
 */

import assert from "node:assert/strict";
import type { Locator, Page, WebSocketRoute } from "playwright-core";
import {
  artifact,
  browserTest,
  confirmedFrom,
  currentRoom,
  guest,
  messages,
  openPage,
  send,
  STEP_TIMEOUT,
} from "./browser_support.ts";
import { TestClient } from "./harness.ts";

browserTest(
  "web client two people chat in #general and in a new room",
  async (browser, server) => {
    const alice = await openPage(browser, server);
    const bob = await openPage(browser, server);

    await guest(alice, "alice");
    await guest(bob, "bob");

    // alice posts in #general: bob sees it, alice sees it once and confirmed.
    await send(alice, "hello from alice");
    await messageFrom(bob, "alice", "hello from alice").waitFor();
    await confirmedFrom(alice, "alice", "hello from alice").waitFor();
    // Her own copy of the message comes after the confirmation; bob's
    // answer, sent once he had his, comes after it: a double shows by then.
    await send(bob, "hi alice");
    await confirmedFrom(alice, "bob", "hi alice").waitFor();
    assert.equal(await messages(alice, "hello from alice").count(), 1);
    assert.equal(await messages(bob, "hello from alice").count(), 1);

    // bob creates #dev and moves into it.
    await bob.getByTestId("create-room").click();
    await bob.getByTestId("create-room-input").fill("dev");
    await bob.getByTestId("create-room-input").press("Enter");
    await currentRoom(bob, "dev");

    // alice joins it from the room list.
    await alice.locator('[data-testid="room-item"][data-room="dev"]').click();
    await currentRoom(alice, "dev");

    await send(alice, "hi bob, alice in dev");
    await send(bob, "hi alice, bob in dev");
    await messageFrom(bob, "alice", "hi bob, alice in dev").waitFor();
    await messageFrom(alice, "bob", "hi alice, bob in dev").waitFor();
    await confirmedFrom(alice, "alice", "hi bob, alice in dev").waitFor();
    await confirmedFrom(bob, "bob", "hi alice, bob in dev").waitFor();
    // Sent once both had both, this comes after their own copies.
    await send(bob, "see you both later");
    await confirmedFrom(alice, "bob", "see you both later").waitFor();
    await confirmedFrom(bob, "bob", "see you both later").waitFor();
    assert.equal(await messages(alice, "hi bob, alice in dev").count(), 1);
    assert.equal(await messages(bob, "hi alice, bob in dev").count(), 1);

    // The room list counts both, and the member list names both.
    for (const page of [alice, bob]) {
      await roomCount(page, "dev", "2");
      await page.locator('[data-testid="member"][data-user="alice"]')
        .waitFor();
      await page.locator('[data-testid="member"][data-user="bob"]').waitFor();
      assert.equal(await page.getByTestId("connection-banner").count(), 0);
    }

    await alice.screenshot({ path: artifact("browser_alice.png") });
    await bob.screenshot({ path: artifact("browser_bob.png") });
  },
);

browserTest(
  "web client resumes after a dropped connection and shows what it missed",
  async (browser, server) => {
    const alice = await openPage(browser, server);
    // Every socket of the page goes through a route the test can cut. A
    // cut page side leaves the server side open, as when a network dies
    // and the server has not noticed yet: the re-login gets username_taken.
    const links: { page: WebSocketRoute; server: WebSocketRoute }[] = [];
    let refusedLogins = 0;
    await alice.routeWebSocket(/\/ws$/, (page) => {
      const upstream = page.connectToServer();
      page.onClose(() => {});
      upstream.onMessage((frame) => {
        if (String(frame).includes('"username_taken"')) refusedLogins++;
        page.send(frame);
      });
      links.push({ page, server: upstream });
    });

    await guest(alice, "alice");
    await send(alice, "/create dev");
    await currentRoom(alice, "dev");
    await send(alice, "before the drop");
    await confirmedFrom(alice, "alice", "before the drop").waitFor();

    const bob = await TestClient.login(server.wsUrl, "bob");
    try {
      await bob.ok("join_room", { room: "dev" });
      const bobOnline = alice.locator(
        '[data-testid="member"][data-user="bob"] [data-testid="presence"]',
      );
      await bobOnline.waitFor();

      const first = links.length - 1;
      await links[first].page.close();
      await alice.getByTestId("connection-banner").waitFor();
      // Offline, alice cannot see who is there: no green dot for bob.
      await bobOnline.waitFor({ state: "detached" });
      await send(alice, "typed while offline");
      await alice.locator('[data-testid="message"][data-pending="true"]')
        .filter({ hasText: "typed while offline" }).waitFor();
      await bob.ok("send_message", { text: "sent while alice was away" });

      // Let at least one re-login meet the stale session, then let the
      // server see the old socket go.
      await waitUntil(() => refusedLogins > 0, "a re-login to be refused");
      await links[first].server.close();

      const resumed = { timeout: 3 * STEP_TIMEOUT };
      await confirmedFrom(alice, "bob", "sent while alice was away").waitFor(
        resumed,
      );
      await confirmedFrom(alice, "alice", "typed while offline").waitFor(
        resumed,
      );
      await alice.getByTestId("connection-banner").waitFor({
        state: "detached",
      });
      // Back, with a fresh member list: his dot again.
      await bobOnline.waitFor();
      await currentRoom(alice, "dev");
      // Sent once bob had alice's queued message: her own copy of it, and
      // a second one had it gone out twice, come before this.
      await bob.waitFor(
        (f) =>
          f.action === "receive_message" &&
          f.data.text === "typed while offline",
        "alice's queued message",
      );
      await bob.ok("send_message", { text: "welcome back" });
      await confirmedFrom(alice, "bob", "welcome back").waitFor();
      for (
        const text of [
          "before the drop",
          "sent while alice was away",
          "typed while offline",
        ]
      ) {
        assert.equal(await messages(alice, text).count(), 1, text);
      }
    } finally {
      await bob.close();
    }
  },
);

browserTest(
  "web client applies a reply before the events batched behind it",
  async (browser, server) => {
    const jon = await openPage(browser, server);
    // jon's socket goes through a route that misses one message, then sends
    // the history page that fills the gap and the edit of that message made
    // meanwhile in one frame, as a busy server batches them.
    const MISSED = "missed by jon";
    let dropped = false;
    let held: string[] | null = null;
    // Once the batch has gone, frames pass through again: a line after the
    // edit (a room list, a read state) must not wait behind it for ever.
    let released = false;
    await jon.routeWebSocket(/\/ws$/, (page) => {
      const upstream = page.connectToServer();
      upstream.onMessage((frame) => {
        for (const line of String(frame).split("\n")) {
          if (line === "") continue;
          const { action, data } = JSON.parse(line);
          if (action === "receive_message" && data.text === MISSED) {
            if (!dropped) {
              dropped = true;
              continue;
            }
          }
          const fillsGap = action === "success" &&
            Array.isArray(data?.messages) &&
            data.messages.some((m: { text: string }) => m.text === MISSED);
          if (held === null && fillsGap) {
            held = [line];
          } else if (held !== null && !released) {
            held.push(line);
            if (action === "message_updated") {
              page.send(held.join("\n"));
              released = true;
            }
          } else {
            page.send(line);
          }
        }
      });
    });
    await guest(jon, "jon");

    const ida = await TestClient.login(server.wsUrl, "ida");
    try {
      await ida.ok("send_message", { text: "hello jon" });
      await confirmedFrom(jon, "ida", "hello jon").waitFor();
      const { message: missed } = await ida.ok("send_message", {
        text: MISSED,
      }) as { message: { id: string } };
      await ida.ok("send_message", { text: "after the gap" });
      await confirmedFrom(jon, "ida", "after the gap").waitFor();
      // jon saw the seq jump and asked for the missing one: hold the page.
      await waitUntil(() => held !== null, "the page that fills the gap");
      await ida.ok("edit_message", {
        id: missed.id,
        text: "edited while the page was on its way",
      });
      await waitUntil(() => released, "the batched frame");

      await confirmedFrom(jon, "ida", "edited while the page was on its way")
        .getByTestId("message-edited").waitFor();
      assert.equal(await messages(jon, MISSED).count(), 0);
      const seqs = await jon.locator('[data-testid="message"][data-seq]')
        .evaluateAll((rows) => rows.map((row) => row.getAttribute("data-seq")));
      assert.deepEqual(seqs, ["1", "2", "3"]);
    } finally {
      await ida.close();
    }
  },
);

function messageFrom(page: Page, user: string, text: string): Locator {
  return page.locator(`[data-testid="message"][data-user="${user}"]`).filter({
    hasText: text,
  });
}

async function roomCount(
  page: Page,
  room: string,
  count: string,
): Promise<void> {
  await page.locator(
    `[data-testid="room-item"][data-room="${room}"] [data-testid="room-count"]`,
  )
    .filter({ hasText: new RegExp(`^${count}$`) })
    .waitFor();
}

async function waitUntil(ready: () => boolean, what: string): Promise<void> {
  const end = Date.now() + STEP_TIMEOUT;
  while (!ready()) {
    assert.ok(Date.now() < end, `Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
