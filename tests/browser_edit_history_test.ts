/**
 * The web client's edit history: a message's "(edited)" mark is a button
 * that opens the texts its edits replaced, by mouse and by keyboard, in
 * English and French; a tap inside it on a phone stays there. Needs
 * /usr/bin/chromium.
 */
import assert from "node:assert/strict";
import { PHONE } from "./browser_a11y_support.ts";
import {
  assertNoInkAbove,
  browserTest,
  confirmedFrom,
  openPage,
  register,
  send,
} from "./browser_support.ts";
import { TestClient } from "./harness.ts";

browserTest(
  "web client: the (edited) mark opens the message's edit history, newest first with its times, from the keyboard too; French on the other page",
  async (browser, server) => {
    const ida = await openPage(browser, server);
    await register(ida, "ida");
    const jon = await openPage(browser, server, { locale: "fr-FR" });
    await register(jon, "jon");

    await send(ida, "lunch at 12");
    await confirmedFrom(jon, "ida", "lunch at 12").waitFor();
    for (const text of ["lunch at 1", "lunch at 1:30"]) {
      await ida.getByTestId("composer").press("ArrowUp");
      const box = ida.getByTestId("edit-input");
      await box.fill(text);
      await box.press("Enter");
      await confirmedFrom(ida, "ida", text).waitFor();
    }

    // Ida's page: the mark is a button, Enter opens the dialog.
    const mark = confirmedFrom(ida, "ida", "lunch at 1:30")
      .getByTestId("message-edited");
    await mark.focus();
    await mark.press("Enter");
    const dialog = ida.getByTestId("edit-history");
    await dialog.getByText("Edit history").waitFor();
    const texts = dialog.getByTestId("edit-version-text");
    await texts.nth(2).waitFor();
    assert.deepEqual(await texts.allTextContents(), [
      "lunch at 1:30",
      "lunch at 1",
      "lunch at 12",
    ]);
    await dialog.getByText("Original").waitFor();
    assert.equal(await dialog.locator("time").count(), 3);
    await ida.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });

    // Jon's page, in French: the mark and the dialog's words.
    const his = confirmedFrom(jon, "ida", "lunch at 1:30")
      .getByTestId("message-edited");
    await his.filter({ hasText: "(modifié)" }).click();
    const french = jon.getByTestId("edit-history");
    await french.getByText("Historique des modifications").waitFor();
    await french.getByTestId("edit-version-text").nth(2).waitFor();
    await french.getByText("Actuel").waitFor();
    await french.getByRole("button", { name: "Fermer" }).first().click();
    await french.waitFor({ state: "detached" });
  },
);

browserTest(
  "web client on a phone: a tap inside a message's edit history leaves the message behind it as it was (the tap reached its row, which showed its actions)",
  async (browser, server) => {
    const kim = await openPage(browser, server, { viewport: PHONE });
    await register(kim, "kim");
    await send(kim, "first text");
    await kim.getByTestId("composer").press("ArrowUp");
    const box = kim.getByTestId("edit-input");
    await box.fill("second text");
    await box.press("Enter");
    const row = confirmedFrom(kim, "kim", "second text");
    await row.getByTestId("message-edited").tap();
    const dialog = kim.getByTestId("edit-history");
    await dialog.getByTestId("edit-version-text").nth(1).tap();
    await dialog.getByRole("button", { name: "Close" }).last().tap();
    await dialog.waitFor({ state: "detached" });
    assert.equal(
      await row.evaluate((r) => r.classList.contains("selected")),
      false,
    );
    assert.equal(await row.getByTestId("message-forward").isVisible(), false);
  },
);

browserTest(
  "web client keeps an old version's stacked accents within its own line of the edit history, off the version above",
  async (browser, server) => {
    const ida = await TestClient.register(server.wsUrl, "ida");
    try {
      const kim = await openPage(browser, server);
      await register(kim, "kim");
      // A text of one letter under 600 combining marks, edited away: the
      // history shows it below the text now, in a column nearly 200
      // pixels tall (a message's text clips them already).
      let marks = "";
      for (let i = 0; i < 600; i++) {
        marks += String.fromCodePoint(0x300 + i % 0x30);
      }
      const { message } = await ida.ok("send_message", {
        text: `Z${marks}`,
      }) as { message: { id: string } };
      await ida.ok("edit_message", { id: message.id, text: "plain now" });
      await confirmedFrom(kim, "ida", "plain now").getByTestId(
        "message-edited",
      ).click();
      const old = kim.getByTestId("edit-version").nth(1);
      await old.getByTestId("edit-version-text").waitFor();
      // Above the old version's line: the version above and its head.
      await assertNoInkAbove(old, ".edit-version-text", {
        what: "the old text's",
      });
    } finally {
      await ida.close();
    }
  },
);
