/**
 * The web client's room topics: set from the room's menu, shown under the
 * room's name in the header, cut when long with the whole on hover and on
 * a tap, its link clickable as in a message, in English and in French.
 * Two browser contexts (two people), a real server. Needs /usr/bin/chromium.
 */
import assert from "node:assert/strict";
import {
  browserTest,
  currentRoom,
  openPage,
  register,
  send,
} from "./browser_support.ts";

const TOPIC = "Plans for the week: https://example.com/plan and " +
  "a long list of everything we promised to ship before Friday, " +
  "the release notes, the migration guide, the new icons and the " +
  "French translation of every page of the settings";

browserTest(
  "web client: a room's topic set from its menu shows under its name, cut with the whole on hover and tap, its link clickable, in English and French",
  async (browser, server) => {
    const alice = await openPage(browser, server);
    await register(alice, "alice");
    await send(alice, "/create design");
    await currentRoom(alice, "design");
    const bob = await openPage(browser, server, { locale: "fr-FR" });
    await register(bob, "bob");
    await send(bob, "/join design");
    await currentRoom(bob, "design");

    await alice.getByTestId("room-menu").click();
    await alice.getByTestId("topic-open").click();
    await alice.getByTestId("topic-input").fill(`  ${TOPIC}  `);
    await alice.getByTestId("topic-save").click();
    await alice.getByTestId("topic-dialog").waitFor({ state: "detached" });

    for (const page of [alice, bob]) {
      const topic = page.getByTestId("room-topic");
      await topic.waitFor();
      // The whole on hover; one line, cut, in the header.
      assert.equal(await topic.getAttribute("title"), TOPIC);
      assert.ok(
        await topic.evaluate((el) => el.scrollWidth > el.clientWidth),
        "a long topic is cut",
      );
      // The link is a message's link.
      const link = topic.locator('a.md-link[href="https://example.com/plan"]');
      assert.equal(await link.getAttribute("target"), "_blank");
      // A tap (not on the link) unfolds it whole.
      await topic.click({ position: { x: 4, y: 4 } });
      await page.waitForFunction(() => {
        const el = document.querySelector('[data-testid="room-topic"]');
        return el !== null && el.classList.contains("open") &&
          el.scrollWidth <= el.clientWidth;
      });
    }
    // Each in its language: the notice, and the menu's item.
    await alice.getByTestId("system-line").filter({
      hasText: `alice set the topic: ${TOPIC}`,
    }).waitFor();
    await bob.getByTestId("system-line").filter({
      hasText: `alice a changé le sujet : ${TOPIC}`,
    }).waitFor();
    // A topic written as a list stays on its one line, its number shown.
    await send(alice, "/topic 1. Be kind");
    const listed = bob.getByTestId("room-topic").locator("ol > li");
    await listed.filter({ hasText: "Be kind" }).waitFor();
    assert.equal(
      await listed.evaluate((li) => getComputedStyle(li).display),
      "inline list-item",
    );
    const [height, line] = await bob.getByTestId("room-topic").evaluate(
      (el) => [el.clientHeight, parseFloat(getComputedStyle(el).lineHeight)],
    );
    assert.ok(height < 2 * line, `one line: ${height} px, lines of ${line}`);
    await bob.getByTestId("room-menu").click();
    assert.equal(
      (await bob.getByTestId("topic-open").textContent())?.trim(),
      "Changer le sujet",
    );
    await bob.getByTestId("topic-open").click();
    // Bob clears it; both headers lose the line.
    await bob.getByTestId("topic-input").fill("");
    await bob.getByTestId("topic-save").click();
    for (const page of [alice, bob]) {
      await page.getByTestId("room-topic").waitFor({ state: "detached" });
    }
    // In general a plain user is not offered it (the server refuses it).
    await send(alice, "/join general");
    await currentRoom(alice, "general");
    await alice.getByTestId("room-menu").click();
    await alice.getByTestId("notify-none").waitFor();
    assert.equal(await alice.getByTestId("topic-open").count(), 0);
  },
  // Named, so that the first account (alice) is a plain user.
  { admin: "root" },
);
