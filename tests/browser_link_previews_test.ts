/**
 * Link previews in the web client, in a real browser: the card under a
 * message (the title a link that opens a new tab and tells the page
 * nothing, the site name, the description; markup in them shown as
 * text), the author's button that removes them, none for others', a
 * moderator's on others' room messages.
 * Needs /usr/bin/chromium; without it the tests are reported as ignored.
 */
import assert from "node:assert/strict";
import {
  assertNoInkAbove,
  browserTest,
  openPage,
  register,
  send,
} from "./browser_support.ts";
import { TestClient } from "./harness.ts";
import { html, startPageServer } from "./page_server.ts";

browserTest(
  "web client link previews: a card under the message, text only, which its author can remove and others cannot",
  async (browser, server) => {
    const pages = await startPageServer({
      "/tea": () =>
        html(`<meta property="og:title" content="&lt;b&gt;Tea&lt;/b&gt; time">
          <meta property="og:description" content="Where to find the best tea.">
          <meta property="og:site_name" content="Tea Guide">`),
      "/cakes": () => html("<title>Cakes</title>"),
    });
    // The first account is the admin: root, so that alice is a user.
    const root = await TestClient.register(server.wsUrl, "root");
    const bob = await TestClient.login(server.wsUrl, "bob");
    try {
      const page = await openPage(browser, server);
      await register(page, "alice");
      await send(page, `look: ${pages.origin}/tea`);
      const card = page.getByTestId("link-preview");
      await card.waitFor();
      const title = card.locator("a.link-preview-title");
      assert.equal(await title.textContent(), "<b>Tea</b> time");
      assert.equal(await card.locator("b").count(), 0);
      assert.equal(await title.getAttribute("href"), `${pages.origin}/tea`);
      assert.equal(
        await title.getAttribute("rel"),
        "noopener noreferrer nofollow",
      );
      assert.equal(await title.getAttribute("target"), "_blank");
      assert.equal(
        await card.locator(".link-preview-site").textContent(),
        "Tea Guide",
      );
      assert.equal(
        await card.locator(".link-preview-description").textContent(),
        "Where to find the best tea.",
      );
      // Another's message: its card, without the button.
      await bob.ok("send_message", { text: `${pages.origin}/cakes` });
      const others = page.getByTestId("message").filter({ hasText: "Cakes" });
      await others.getByTestId("link-preview").waitFor();
      assert.equal(
        await others.getByTestId("link-previews-remove").count(),
        0,
      );
      // The author removes its own; every reader's card goes.
      await page.getByTestId("message").filter({ hasText: "look:" })
        .getByTestId("link-previews-remove").click();
      await page.getByTestId("message").filter({ hasText: "look:" })
        .getByTestId("link-preview").waitFor({ state: "detached" });
      await bob.event(
        "message_updated",
        (m) => String(m.text).startsWith("look:") && m.previews === undefined,
      );
    } finally {
      await bob.close();
      await root.close();
      await pages.close();
    }
  },
  { linkPreviewsPrivate: true },
);

browserTest(
  "web client link previews: a moderator can remove those of someone else's room message, not of a private one",
  async (browser, server) => {
    const pages = await startPageServer({
      "/tea": () => html("<title>Tea</title>"),
      "/cakes": () => html("<title>Cakes</title>"),
    });
    // The first account is the admin; it makes mo, the page, a moderator.
    const root = await TestClient.register(server.wsUrl, "root");
    const bob = await TestClient.login(server.wsUrl, "bob");
    try {
      const page = await openPage(browser, server);
      await register(page, "mo");
      await root.ok("set_role", { user: "mo", role: "moderator" });
      await page.getByTestId("role-badge").filter({ hasText: /^moderator$/ })
        .waitFor();
      await bob.ok("send_message", { text: `tea: ${pages.origin}/tea` });
      const row = page.getByTestId("message").filter({ hasText: "tea:" });
      await row.getByTestId("link-preview").waitFor();
      await row.getByTestId("link-previews-remove").click();
      await row.getByTestId("link-preview").waitFor({ state: "detached" });
      await bob.event(
        "message_updated",
        (m) => String(m.text).startsWith("tea:") && m.previews === undefined,
      );
      // Someone else's private message: the server refuses a moderator.
      await bob.ok("private_message", {
        to: "mo",
        text: `cakes: ${pages.origin}/cakes`,
      });
      await page.locator('[data-testid="dm-item"][data-user="bob"]').click();
      const dm = page.getByTestId("message").filter({ hasText: "cakes:" });
      await dm.getByTestId("link-preview").waitFor();
      assert.equal(await dm.getByTestId("link-previews-remove").count(), 0);
    } finally {
      await bob.close();
      await root.close();
      await pages.close();
    }
  },
  { linkPreviewsPrivate: true },
);

browserTest(
  "web client keeps a link preview's stacked accents within its card, off the message's own text",
  async (browser, server) => {
    // A page whose site name and title are each one letter under 199
    // combining marks (a preview's 200 characters): drawn in columns
    // about 70 pixels tall, the site name's over the message above it.
    let marks = "";
    for (let i = 0; i < 199; i++) {
      marks += String.fromCodePoint(0x300 + i % 0x30);
    }
    const pages = await startPageServer({
      "/tall": () =>
        html(`<meta property="og:title" content="Z${marks}">
          <meta property="og:site_name" content="Z${marks}">`),
    });
    try {
      const page = await openPage(browser, server);
      await register(page, "alice");
      await send(page, `look: ${pages.origin}/tall`);
      const card = page.getByTestId("link-preview");
      await card.waitFor();
      await card.locator(".link-preview-title").waitFor();
      // Above the card's top edge and its 6 pixels of margin.
      await assertNoInkAbove(card, ".link-preview, .link-preview-title", {
        margin: 6,
        what: "the card's",
      });
    } finally {
      await pages.close();
    }
  },
  { linkPreviewsPrivate: true },
);
