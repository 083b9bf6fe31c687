/**
 * The web client's archived rooms: archived from the room's menu, a bar in
 * place of the composer (with "Unarchive" for who manages the room), the
 * room listed last and dimmed in the sidebar and marked in Ctrl+K, the
 * notices, in English and in French. Two browser contexts (two people), a real server. Needs
 * /usr/bin/chromium.
 */
import assert from "node:assert/strict";
import {
  browserTest,
  currentRoom,
  openPage,
  register,
  send,
} from "./browser_support.ts";

browserTest(
  "web client: a room archived from its menu shows a bar instead of the composer, is listed last and dimmed, and its owner unarchives it from the bar, in English and French",
  async (browser, server) => {
    const alice = await openPage(browser, server);
    await register(alice, "alice");
    await send(alice, "/create ops");
    await currentRoom(alice, "ops");
    await send(alice, "/create design");
    await currentRoom(alice, "design");
    const bob = await openPage(browser, server, { locale: "fr-FR" });
    await register(bob, "bob");
    await send(bob, "/join design");
    await currentRoom(bob, "design");
    // A member who does not manage the room is not offered it.
    await bob.getByTestId("room-menu").click();
    await bob.getByTestId("notify-none").waitFor();
    assert.equal(await bob.getByTestId("archive-room").count(), 0);
    await bob.keyboard.press("Escape");

    await alice.getByTestId("room-menu").click();
    assert.equal(
      (await alice.getByTestId("archive-room").textContent())?.trim(),
      "Archive room",
    );
    await alice.getByTestId("archive-room").click();

    for (const page of [alice, bob]) {
      await page.getByTestId("archived-bar").waitFor();
      assert.equal(await page.getByTestId("composer").count(), 0);
    }
    assert.match(
      (await alice.getByTestId("archived-bar").textContent()) ?? "",
      /This room is archived/,
    );
    assert.match(
      (await bob.getByTestId("archived-bar").textContent()) ?? "",
      /Ce salon est archivé/,
    );
    assert.equal(await bob.getByTestId("archived-unarchive").count(), 0);
    await alice.getByTestId("system-line").filter({
      hasText: "alice archived the room",
    }).waitFor();
    await bob.getByTestId("system-line").filter({
      hasText: "alice a archivé le salon",
    }).waitFor();
    // Listed after the live rooms, marked.
    const rooms = await alice.getByTestId("room-list")
      .getByTestId("room-item").evaluateAll((items) =>
        items.map((el) => [el.dataset.room, el.dataset.archived ?? ""])
      );
    assert.deepEqual(rooms, [
      ["general", ""],
      ["ops", ""],
      ["design", "true"],
    ]);
    // Ctrl+K says so too, where it offers it.
    await bob.keyboard.press("Control+k");
    await bob.getByTestId("switch-input").pressSequentially("design");
    const offered = bob.locator(
      '[data-testid="switch-option"][data-name="design"]',
    );
    await offered.getByTestId("switch-archived").filter({
      hasText: /^archivé$/,
    }).waitFor();
    await bob.keyboard.press("Escape");
    await bob.getByTestId("quick-switcher").waitFor({ state: "detached" });

    await alice.getByTestId("room-menu").click();
    assert.equal(await alice.getByTestId("archive-room").count(), 0);
    await alice.getByTestId("unarchive-room").waitFor();
    // Nor the topic nor invitations, which the room refuses.
    assert.equal(await alice.getByTestId("topic-open").count(), 0);
    assert.equal(await alice.getByTestId("invite-open").count(), 0);
    await alice.keyboard.press("Escape");
    await alice.getByTestId("archived-unarchive").click();
    for (const page of [alice, bob]) {
      await page.getByTestId("composer").waitFor();
      assert.equal(await page.getByTestId("archived-bar").count(), 0);
    }
    await bob.getByTestId("system-line").filter({
      hasText: "alice a désarchivé le salon",
    }).waitFor();
    await send(bob, "back to work");
    await alice.getByTestId("message-text").filter({ hasText: "back to work" })
      .waitFor();
  },
  // Named, so that the first account (alice) is a plain user.
  { admin: "root" },
);
