/**
 * The web client's reminders on saved messages: "Remind me…" in a
 * message's actions, the due time in the Saved panel, and the line atop
 * it when the reminder comes due. A real server, Chromium. Needs
 * /usr/bin/chromium.
 */
import assert from "node:assert/strict";
import {
  browserTest,
  confirmedFrom,
  openPage,
  register,
  send,
  signIn,
} from "./browser_support.ts";

browserTest(
  "web client: Remind me in 20 minutes saves the message with its due time in the Saved panel; when it comes due, a line atop the panel says so and its due time goes",
  async (browser, server) => {
    const page = await openPage(browser, server);
    await register(page, "alice");
    await send(page, "call the plumber");
    const row = confirmedFrom(page, "alice", "call the plumber");
    await row.hover();
    await row.getByTestId("message-remind").click();
    const before = Date.now();
    await row.getByTestId("remind-20m").click();
    await row.locator('[data-testid="message-save"][aria-pressed="true"]')
      .waitFor({ state: "attached" });

    const [saved] = await server.node.store.listSaved("alice", { limit: 10 });
    assert.ok(saved.remindAt !== undefined);
    const ahead = saved.remindAt - before;
    assert.ok(ahead >= 20 * 60_000 && ahead < 21 * 60_000, `${ahead} ms`);

    await page.getByTestId("saved-open").click();
    const panel = page.getByTestId("saved-panel");
    const due = panel.getByTestId("saved-remind-at");
    await due.waitFor();
    assert.equal(
      await due.getAttribute("datetime"),
      new Date(saved.remindAt).toISOString(),
    );

    // Due now, straight in the store: the sweep (every 100 ms) fires it.
    await server.node.store.setReminder("alice", saved.id, Date.now() - 1);
    await panel.getByTestId("reminder-line").filter({
      hasText: "Reminder: alice: call the plumber",
    }).waitFor();
    await due.waitFor({ state: "detached" });
  },
  { reminderSweepMs: 100 },
);

browserTest(
  "web client: a reminder changed to a chosen time in the Saved panel, then cleared there, leaves the message saved without one; the other device's open panel follows",
  async (browser, server) => {
    const page = await openPage(browser, server);
    await register(page, "alice");
    await send(page, "renew the passport");
    const row = confirmedFrom(page, "alice", "renew the passport");
    await row.hover();
    await row.getByTestId("message-remind").click();
    await row.getByTestId("remind-tomorrow").click();
    await row.locator('[data-testid="message-save"][aria-pressed="true"]')
      .waitFor({ state: "attached" });
    const [first] = await server.node.store.listSaved("alice", { limit: 1 });
    const nine = new Date(first.remindAt!);
    assert.equal(nine.getHours(), 9);
    assert.equal(nine.getMinutes(), 0);

    const phone = await openPage(browser, server);
    await signIn(phone, "alice");
    await phone.getByTestId("saved-open").click();
    const phonePanel = phone.getByTestId("saved-panel");
    await phonePanel.getByTestId("saved-remind-at").waitFor();

    await page.getByTestId("saved-open").click();
    const panel = page.getByTestId("saved-panel");
    await panel.getByTestId("saved-remind-at").waitFor();
    await panel.getByTestId("message-remind").click();
    await panel.getByTestId("remind-custom").click();
    await panel.getByTestId("remind-at").fill("2099-01-02T10:30");
    await panel.getByTestId("remind-set").click();
    // Past a year ahead: refused, said, and the time stays.
    await page.getByText("at most a year ahead").waitFor();
    const within = new Date(Date.now() + 30 * 24 * 3600_000);
    within.setHours(10, 30, 0, 0);
    const pad = (n: number) => String(n).padStart(2, "0");
    const local = `${within.getFullYear()}-${pad(within.getMonth() + 1)}-${
      pad(within.getDate())
    }T10:30`;
    await panel.getByTestId("message-remind").click();
    await panel.getByTestId("remind-custom").click();
    await panel.getByTestId("remind-at").fill(local);
    await panel.getByTestId("remind-set").click();
    for (const shown of [panel, phonePanel]) {
      await shown.locator(
        `[data-testid="saved-remind-at"][datetime="${within.toISOString()}"]`,
      ).waitFor();
    }
    await panel.getByTestId("message-remind").click();
    await panel.getByTestId("remind-clear").click();
    await panel.getByTestId("saved-remind-at").waitFor({ state: "detached" });
    await phonePanel.getByTestId("saved-remind-at").waitFor({
      state: "detached",
    });
    const [last] = await server.node.store.listSaved("alice", { limit: 1 });
    assert.equal(last.id, first.id);
    assert.equal(last.remindAt, undefined);
  },
);
