/**
 * The web client's scheduled messages: the composer's Send later menu, the
 * Scheduled panel (from the header) to edit, send now and cancel, and the
 * message going out at its time, and the composer's "N scheduled" link to
 * the panel where messages wait for a room or conversation. A real server,
 * Chromium. Needs
 * /usr/bin/chromium.
 */
import assert from "node:assert/strict";
import {
  artifact,
  browserTest,
  confirmedFrom,
  currentRoom,
  openPage,
  register,
  signIn,
} from "./browser_support.ts";
import { TestClient } from "./harness.ts";

browserTest(
  "web client: Send later in an hour empties the box and keeps the message for then; the Scheduled panel edits it, and Send now sends it to the room",
  async (browser, server) => {
    const page = await openPage(browser, server);
    await register(page, "alice");
    await page.getByTestId("composer").fill("standup in five");
    const before = Date.now();
    await page.getByTestId("send-later").click();
    await page.getByTestId("later-1h").click();
    await page.getByText("Scheduled for").waitFor();
    assert.equal(await page.getByTestId("composer").inputValue(), "");

    const [kept] = await server.node.store.listScheduled("alice");
    assert.equal(kept.text, "standup in five");
    assert.equal(kept.room, "general");
    const ahead = kept.sendAt - before;
    assert.ok(ahead >= 3600_000 && ahead < 3660_000, `${ahead} ms`);

    await page.getByTestId("scheduled-open").click();
    const panel = page.getByTestId("scheduled-panel");
    const item = panel.getByTestId("scheduled-item");
    await item.getByTestId("scheduled-edit").click();
    await item.getByTestId("scheduled-edit-text").fill("standup now");
    await item.getByTestId("scheduled-save").click();
    await item.getByTestId("scheduled-text").filter({ hasText: "standup now" })
      .waitFor();
    await item.getByTestId("scheduled-send-now").click();
    // Sent: out of the list, and in the room as alice's.
    await item.waitFor({ state: "detached" });
    await panel.getByText("No message is scheduled.").waitFor();
    await page.keyboard.press("Escape");
    await confirmedFrom(page, "alice", "standup now").waitFor();
    assert.deepEqual(await server.node.store.listScheduled("alice"), []);
  },
);

browserTest(
  "web client: a message scheduled to a person from the conversation can be cancelled from the panel on another device, and the first device's panel follows",
  async (browser, server) => {
    const page = await openPage(browser, server);
    await register(page, "alice");
    const other = await openPage(browser, server);
    await register(other, "bob");
    await other.close();
    await page.getByTestId("composer").fill("/msg bob hello");
    await page.getByTestId("composer").press("Enter");
    await page.getByTestId("composer").fill("see you tomorrow");
    await page.getByTestId("send-later").click();
    await page.getByTestId("later-tomorrow").click();
    await page.getByText("Scheduled for").waitFor();
    const [kept] = await server.node.store.listScheduled("alice");
    assert.equal(kept.to, "bob");
    const nine = new Date(kept.sendAt);
    assert.equal(nine.getHours(), 9);
    assert.equal(nine.getMinutes(), 0);

    await page.getByTestId("scheduled-open").click();
    const item = page.getByTestId("scheduled-panel").getByTestId(
      "scheduled-item",
    );
    await item.waitFor();

    const phone = await openPage(browser, server);
    await signIn(phone, "alice");
    await phone.getByTestId("send-later").click();
    await phone.getByTestId("scheduled-open-composer").click();
    const phoneItem = phone.getByTestId("scheduled-panel").getByTestId(
      "scheduled-item",
    );
    await phoneItem.getByTestId("scheduled-cancel").click();
    await phoneItem.waitFor({ state: "detached" });
    await item.waitFor({ state: "detached" });
    assert.deepEqual(await server.node.store.listScheduled("alice"), []);
  },
);

browserTest(
  'web client: a room or conversation with messages scheduled to it shows "N scheduled" above the composer, read at sign-in and kept by other devices\' changes, which opens the Scheduled panel',
  async (browser, server) => {
    // alice's other device schedules before the page signs in.
    const phone = await TestClient.register(server.wsUrl, "alice");
    const bob = await TestClient.register(server.wsUrl, "bob");
    try {
      const later = new Date(Date.now() + 3600_000).toISOString();
      await phone.ok("schedule_message", {
        room: "general",
        text: "for the room",
        send_at: later,
      });
      await phone.ok("schedule_message", {
        to: "bob",
        text: "for bob",
        send_at: later,
      });
      const page = await openPage(browser, server);
      await signIn(page, "alice");
      const mark = page.getByTestId("scheduled-mark");
      await mark.filter({ hasText: /^1 scheduled$/ }).waitFor();
      await phone.ok("schedule_message", {
        room: "general",
        text: "for the room again",
        send_at: later,
      });
      await mark.filter({ hasText: /^2 scheduled$/ }).waitFor();
      await page.screenshot({ path: artifact("scheduled_mark.png") });
      await mark.click();
      await page.getByTestId("scheduled-panel").getByTestId("scheduled-item")
        .nth(2).waitFor();
      await page.keyboard.press("Escape");
      await page.getByTestId("scheduled-panel").waitFor({ state: "detached" });

      await bob.ok("private_message", { to: "alice", text: "hi" });
      await page.locator('[data-testid="dm-item"][data-user="bob"]').click();
      await mark.filter({ hasText: /^1 scheduled$/ }).waitFor();
      // A room with none: no mark.
      await page.getByTestId("composer").fill("/create quiet");
      await page.getByTestId("composer").press("Enter");
      await currentRoom(page, "quiet");
      assert.equal(await mark.count(), 0);
    } finally {
      await phone.close();
      await bob.close();
    }
  },
);
