/**
 * Link previews in the web client, in a real browser: the card under a
 * message (the title a link that opens a new tab and tells the page
 * nothing, the site name, the description; markup in them shown as
 * text), the author's button that removes them, none for others'.
 * Needs /usr/bin/chromium; without it the tests are reported as ignored.
 */
import assert from "node:assert/strict";
import { browserTest, openPage, register, send } from "./browser_support.ts";
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
      await pages.close();
    }
  },
  { linkPreviewsPrivate: true },
);
