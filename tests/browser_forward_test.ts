/**
 * Forwarding in the web client, in a real browser: a message's "Forward…"
 * action, its dialog that finds a person or a room as one types, and the
 * forward's card ("Forwarded from bob in #general") with its link to the
 * original, which says "Original message deleted" once the original is;
 * a forward of a forward without a text of its own, which passes on the
 * original's copy (previewed so in the dialog);
 * in English and in French; axe-core finds nothing serious in the dialog
 * nor the card.
 * Needs /usr/bin/chromium; without it the tests are reported as ignored.
 */
import assert from "node:assert/strict";
import type { Locator, Page } from "playwright-core";
import { browserTest, openPage, register } from "./browser_support.ts";
import { TestClient } from "./harness.ts";
import { Audit } from "./browser_a11y_support.ts";

/** Forwards the message that says `original` to the place typed as `to`. */
async function forward(
  page: Page,
  original: string,
  to: { typed: string; name: string },
  text: string,
  audit?: Audit,
): Promise<void> {
  const row = page.getByTestId("message").filter({ hasText: original })
    .first();
  await forwardRow(page, row, to, text, audit);
}

/** Forwards the message of `row` to the place typed as `to`. */
async function forwardRow(
  page: Page,
  row: Locator,
  to: { typed: string; name: string },
  text: string,
  audit?: Audit,
): Promise<void> {
  await row.waitFor();
  await row.hover();
  await row.getByTestId("message-forward").click();
  const dialog = page.getByTestId("forward-dialog");
  await dialog.getByTestId("forward-to").fill(to.typed);
  await dialog.locator(
    `[data-testid="forward-option"][data-name="${to.name}"]`,
  ).waitFor();
  await audit?.check(page, "the forward dialog, its places offered");
  await dialog.getByTestId("forward-to").press("Enter");
  await dialog.getByTestId("forward-text").fill(text);
  await dialog.getByTestId("forward-send").click();
  await dialog.waitFor({ state: "detached" });
}

browserTest(
  "web client forwarding: Forward… sends a message on to a person found by typing and to a room, whose card names its author and room and links to it, and says 'Original message deleted' once the original is",
  async (browser, server) => {
    const bob = await TestClient.register(server.wsUrl, "bob");
    try {
      const page = await openPage(browser, server);
      const audit = new Audit();
      await register(page, "alice");
      const original = await bob.ok("send_message", {
        text: "The build is green",
      });
      const seq = (original.message as { seq: number }).seq;

      await forward(
        page,
        "The build is green",
        {
          typed: "@bo",
          name: "bob",
        },
        "FYI",
        audit,
      );
      const got = await bob.event(
        "private_message",
        (m) => m.forwarded !== undefined,
      );
      assert.equal(got.data.text, "FYI");
      assert.deepEqual(
        (got.data.forwarded as { room?: string; text: string }).room,
        "general",
      );

      await forward(page, "The build is green", {
        typed: "#gen",
        name: "general",
      }, "look <b>here</b>");
      const mine = page.getByTestId("message").filter({
        hasText: "look <b>here</b>",
      });
      const card = mine.getByTestId("forwarded");
      await card.waitFor();
      assert.equal(
        await card.getByTestId("forwarded-from").textContent(),
        "Forwarded from bob in #general",
      );
      assert.equal(
        await card.getByTestId("forwarded-text").textContent(),
        "The build is green",
      );
      // User text as text: no element made of it.
      assert.equal(await mine.locator("b").count(), 0);
      const href = await card.getByTestId("forwarded-link").getAttribute(
        "href",
      );
      assert.ok(href?.endsWith(`/#/room/general/${seq}`), href ?? "");
      assert.equal(
        await card.getByTestId("forwarded-link").textContent(),
        "View original",
      );
      await audit.check(page, "a forward's card");
      // Its original deleted: the card says so, with nothing of it left.
      await bob.ok("delete_message", {
        id: (original.message as { id: string }).id,
      });
      await card.getByTestId("forwarded-deleted").filter({
        hasText: "Original message deleted",
      }).waitFor();
      assert.equal(await card.getByTestId("forwarded-text").count(), 0);
      assert.equal(await card.getByTestId("forwarded-link").count(), 0);
      await audit.check(page, "a forward's card, its original deleted");
      audit.assertClean();
    } finally {
      await bob.close();
    }
  },
);

browserTest(
  "web client forwarding in French: the dialog and the card speak French, a forward without a text of its own shows its card alone, and one with no place to go says to choose one; its original deleted, the card says so",
  async (browser, server) => {
    const bob = await TestClient.register(server.wsUrl, "bob");
    try {
      const page = await openPage(browser, server, { locale: "fr-FR" });
      await register(page, "alice");
      const original = await bob.ok("send_message", {
        text: "Livraison vendredi",
      });
      const row = page.getByTestId("message").filter({
        hasText: "Livraison vendredi",
      }).first();
      await row.waitFor();
      await row.hover();
      const button = row.getByTestId("message-forward");
      assert.equal(await button.getAttribute("title"), "Transférer…");
      await button.click();
      const dialog = page.getByTestId("forward-dialog");
      await dialog.getByTestId("forward-send").click();
      await dialog.getByTestId("forward-status").filter({
        hasText: "Choisissez d'abord un salon ou une personne.",
      }).waitFor();
      await dialog.getByTestId("forward-cancel").click();
      await dialog.waitFor({ state: "detached" });

      await forward(page, "Livraison vendredi", {
        typed: "#general",
        name: "general",
      }, "");
      const cards = page.getByTestId("forwarded");
      await cards.first().waitFor();
      assert.equal(
        await cards.first().getByTestId("forwarded-from").textContent(),
        "Transféré de bob dans #general",
      );
      assert.equal(
        await cards.first().getByTestId("forwarded-link").textContent(),
        "Voir l'original",
      );
      await bob.ok("delete_message", {
        id: (original.message as { id: string }).id,
      });
      await cards.first().getByTestId("forwarded-deleted").filter({
        hasText: "Message d'origine supprimé",
      }).waitFor();
    } finally {
      await bob.close();
    }
  },
);

browserTest(
  "web client forwarding a forward without a text of its own: the dialog previews the original it passes on, the new card shows the original, and both cards say 'Original message deleted' once it is",
  async (browser, server) => {
    const bob = await TestClient.register(server.wsUrl, "bob");
    try {
      const page = await openPage(browser, server);
      await register(page, "alice");
      const original = await bob.ok("send_message", { text: "Ship friday" });
      const { id } = original.message as { id: string };
      const middle = await bob.ok("forward_message", { id, room: "general" });
      const row = page.getByTestId("message").filter({
        has: page.getByTestId("forwarded"),
      });
      await row.first().waitFor();
      await row.first().hover();
      await row.first().getByTestId("message-forward").click();
      const dialog = page.getByTestId("forward-dialog");
      assert.equal(
        await dialog.getByTestId("forwarded-text").textContent(),
        "Ship friday",
      );
      await dialog.getByTestId("forward-cancel").click();
      await dialog.waitFor({ state: "detached" });
      await forwardRow(page, row.first(), {
        typed: "#gen",
        name: "general",
      }, "");
      const got = await bob.event(
        "receive_message",
        (m) => m.forwarded !== undefined && m.user === "alice",
      );
      assert.equal((got.data.forwarded as { id: string }).id, id);
      assert.notEqual(
        (got.data.forwarded as { id: string }).id,
        (middle.message as { id: string }).id,
      );
      await row.nth(1).waitFor();
      assert.deepEqual(
        await row.getByTestId("forwarded-text").allTextContents(),
        ["Ship friday", "Ship friday"],
      );
      await bob.ok("delete_message", { id });
      await row.nth(1).getByTestId("forwarded-deleted").waitFor();
      await row.first().getByTestId("forwarded-deleted").waitFor();
      assert.equal(await row.getByTestId("forwarded-text").count(), 0);
    } finally {
      await bob.close();
    }
  },
);
