/**
 * User groups in the web client, in a real browser: the Groups dialog of
 * the account menu creates, edits and deletes a group (in French), every
 * other page's dialog follows at once; "@" offers the group after the
 * people; another's `@group` counts as a mention of its members and
 * highlights their row and the `@group` in it. Needs /usr/bin/chromium; without it the test is
 * reported as ignored.
 */

import assert from "node:assert/strict";
import { browserTest, openPage, register, send } from "./browser_support.ts";

browserTest(
  "web client: a group made in the Groups dialog (in French) is offered after @, and another's @group is a mention of its members; edits and its deletion reach the other pages' dialogs",
  async (browser, server) => {
    const lea = await openPage(browser, server, { locale: "fr-FR" });
    await register(lea, "lea");
    const bob = await openPage(browser, server);
    await register(bob, "bob");

    await lea.getByTestId("settings").click();
    await lea.getByRole("menuitem", { name: "Groupes" }).click();
    const dialog = lea.getByTestId("groups-dialog");
    await dialog.getByTestId("groups-empty")
      .filter({ hasText: "Aucun groupe" }).waitFor();
    await dialog.getByTestId("group-new").click();
    await dialog.getByTestId("group-name").fill("design");
    await dialog.getByTestId("group-description").fill("Les designers");
    await dialog.getByTestId("group-members-input").fill("@bob, lea");
    await dialog.getByTestId("group-save").click();
    const leaRow = dialog.locator(
      '[data-testid="group-row"][data-group="design"]',
    );
    await leaRow.getByTestId("group-members")
      .filter({ hasText: "bob, lea" }).waitFor();

    // bob's dialog lists it, without the creator's buttons.
    await bob.getByTestId("settings").click();
    await bob.getByTestId("groups-setting").click();
    const bobRow = bob.getByTestId("groups-dialog")
      .locator('[data-testid="group-row"][data-group="design"]');
    await bobRow.filter({ hasText: "Les designers" }).waitFor();
    if (await bobRow.getByTestId("group-edit").count() !== 0) {
      throw new Error("bob may not edit lea's group");
    }
    await bob.keyboard.press("Escape");
    await bob.getByTestId("groups-dialog").waitFor({ state: "detached" });

    // Offered after "@", with what it is.
    await lea.keyboard.press("Escape");
    await lea.getByTestId("composer").pressSequentially("@desi");
    await lea.getByTestId("mention-option")
      .filter({ hasText: "Les designers" }).waitFor();
    await lea.getByTestId("composer").fill("");
    await send(lea, "@design review at five");
    const row = bob.locator(
      '[data-testid="message"][data-user="lea"].mentioned',
    )
      .filter({ hasText: "review at five" });
    await row.waitFor();
    assert.equal(
      await row.locator(".mention.mention-self").innerText(),
      "@design",
    );

    // An edit and the deletion reach bob's open dialog.
    await bob.getByTestId("settings").click();
    await bob.getByTestId("groups-setting").click();
    await lea.getByTestId("settings").click();
    await lea.getByRole("menuitem", { name: "Groupes" }).click();
    await leaRow.getByTestId("group-edit").click();
    await dialog.getByTestId("group-members-input").fill("lea");
    await dialog.getByTestId("group-save").click();
    await bobRow.getByTestId("group-members")
      .filter({ hasText: /^lea$/ }).waitFor();
    await leaRow.getByTestId("group-delete").click();
    await bobRow.waitFor({ state: "detached" });
    await bob.getByTestId("groups-empty").waitFor();
  },
);
