/**
 * The web client's recent mentions panel: the messages that mention the
 * account, from the server, opened at their place, and a new one added
 * while it is open. A real server and Chromium (/usr/bin/chromium).
 */
import assert from "node:assert/strict";
import {
  browserTest,
  currentRoom,
  openPage,
  register,
} from "./browser_support.ts";
import { TestClient } from "./harness.ts";

browserTest(
  "web client: the Mentions panel lists the messages that mention the account in every room and conversation, newest first, opens a room's at the message, and shows a new one at its top while open",
  async (browser, server) => {
    const page = await openPage(browser, server);
    await register(page, "alice");
    await currentRoom(page, "general");
    const bob = await TestClient.register(server.wsUrl, "bob");
    try {
      await bob.ok("send_message", { text: "@alice in general" });
      await bob.ok("send_message", { text: "nothing for her" });
      await bob.ok("create_room", { room: "design" });
      await bob.ok("send_message", { text: "@alice in design" });
      await bob.ok("private_message", {
        to: "alice",
        text: "@alice privately",
      });

      await page.getByTestId("mentions-open").click();
      const panel = page.getByTestId("mentions-panel");
      const items = panel.getByTestId("mentions-item");
      await items.nth(2).waitFor();
      assert.deepEqual(
        await items.locator(".result-text").allTextContents(),
        ["@alice privately", "@alice in design", "@alice in general"],
      );

      // A room she never joined: the click takes her there, at it.
      await items.filter({ hasText: "@alice in design" }).click();
      await currentRoom(page, "design");
      await panel.waitFor({ state: "detached" });
      await page.locator('[data-testid="message"][data-seq="1"]')
        .filter({ hasText: "@alice in design" }).waitFor();

      // Open, it gains a new mention at its top; other messages do not.
      await page.getByTestId("mentions-open").click();
      await items.nth(2).waitFor();
      await bob.ok("send_message", { text: "not her either" });
      await bob.ok("send_message", { text: "@alice one more" });
      await items.first().filter({ hasText: "@alice one more" }).waitFor();
      assert.equal(await items.count(), 4);

      // Ctrl+K over it: the quick switcher takes its place. Both open, two
      // modal dialogs each pulled Tab back into itself and Escape closed
      // both.
      await page.keyboard.press("Control+K");
      await page.getByTestId("switch-input").waitFor();
      await panel.waitFor({ state: "detached" });

      // Search (Ctrl+Shift+F) from it closes it too: hidden behind the
      // search dialog, it came back when the search closed.
      await page.keyboard.press("Escape");
      await page.getByTestId("quick-switcher").waitFor({ state: "detached" });
      await page.getByTestId("mentions-open").click();
      await items.first().waitFor();
      await page.keyboard.press("Control+Shift+F");
      const search = page.getByTestId("search-dialog");
      await search.waitFor();
      await page.keyboard.press("Escape");
      await search.waitFor({ state: "detached" });
      assert.equal(await panel.count(), 0);
    } finally {
      await bob.close();
    }
  },
);
