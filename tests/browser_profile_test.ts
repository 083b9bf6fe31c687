/**
 * The web client's profile cards: "Profile…" in the user menu sets a
 * title and a time zone (the browser's own offered), and an author's name
 * opens the card (picture, name, role, status, title, local time,
 * "Message" and "Mention"), by click or Enter, closed by Escape, in French
 * and English, on a 390 px phone; on a server that sends mail, the email
 * address set there and verified by its mailed link. Needs
 * /usr/bin/chromium.
 */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { PHONE } from "./browser_a11y_support.ts";
import {
  browserTest,
  confirmedFrom,
  currentConversation,
  openPage,
  register,
  send,
  transitionsDone,
} from "./browser_support.ts";
import { eventually, TestClient } from "./harness.ts";
import { freePort, startSmtpReceiver } from "./smtp_receiver.ts";

/**
 * Sets one's title in the "Profile…" dialog, the time zone as offered
 * (`zone`), or as chosen (`choose`, "" for "None").
 */
async function setTitle(
  page: Page,
  title: string,
  zone: string,
  options: { choose?: string } = {},
): Promise<void> {
  // On a phone, the user menu is in the drawer.
  const drawer = page.getByTestId("drawer-toggle");
  const phone = await drawer.isVisible();
  if (phone) {
    await drawer.click();
    await page.locator("#sidebar").waitFor({ state: "visible" });
    await transitionsDone(page);
  }
  await page.getByTestId("settings").click();
  await page.getByTestId("profile-setting").click();
  const dialog = page.getByTestId("profile-dialog");
  // The browser's own zone, offered once the card was read.
  await dialog.getByTestId("profile-title-input").and(
    page.locator(":enabled"),
  ).waitFor();
  assert.equal(await dialog.getByTestId("profile-zone").inputValue(), zone);
  await dialog.getByTestId("profile-title-input").fill(title);
  if (options.choose !== undefined) {
    await dialog.getByTestId("profile-zone").selectOption(options.choose);
  }
  await dialog.getByTestId("profile-save").click();
  await dialog.waitFor({ state: "detached" });
  if (phone) {
    await page.keyboard.press("Escape");
    await page.locator("#sidebar").waitFor({ state: "hidden" });
  }
}

browserTest(
  "web client: a title and the browser's own time zone set from 'Profile…' show on the card an author's name opens (by click or Enter, Escape closes it), with the local time in English and in French on a phone; 'Mention' and 'Message' act on it",
  async (browser, server) => {
    const lea = await openPage(browser, server, {
      locale: "fr-FR",
      timezoneId: "Europe/Paris",
      viewport: PHONE,
    });
    await register(lea, "lea");
    const bob = await openPage(browser, server, {
      timezoneId: "America/New_York",
    });
    await register(bob, "bob");

    await setTitle(lea, "Infirmière de nuit", "Europe/Paris");
    await setTitle(bob, "Night porter", "America/New_York");
    await send(lea, "bonjour");
    await send(bob, "hello");

    // bob opens lea's card from her name on her message.
    const leaName = confirmedFrom(bob, "lea", "bonjour").getByTestId(
      "msg-user",
    );
    await leaName.click();
    const card = bob.getByTestId("profile-card");
    await card.getByTestId("profile-title")
      .filter({ hasText: "Infirmière de nuit" }).waitFor();
    const time = await card.getByTestId("profile-time").textContent();
    assert.match(time ?? "", /^\d\d:\d\d local time$/);
    await bob.keyboard.press("Escape");
    await card.waitFor({ state: "detached" });
    // The keyboard too, and "Mention" writes her name in the box.
    await leaName.focus();
    await bob.keyboard.press("Enter");
    await card.getByTestId("profile-mention").click();
    await card.waitFor({ state: "detached" });
    assert.equal(await bob.getByTestId("composer").inputValue(), "@lea ");

    // lea, on her phone and in French, opens bob's card.
    await confirmedFrom(lea, "bob", "hello").getByTestId("msg-user").click();
    const hers = lea.getByTestId("profile-card");
    await hers.getByTestId("profile-title")
      .filter({ hasText: "Night porter" }).waitFor();
    const heure = await hers.getByTestId("profile-time").textContent();
    assert.match(heure ?? "", /^\d\d h \d\d, heure locale$/);
    const box = await hers.boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= PHONE.width, "fits");
    await hers.getByTestId("profile-message").click();
    await currentConversation(lea, "bob");
  },
);

browserTest(
  "web client: 'None' saved as the time zone in 'Profile…' stays chosen when it opens again, and the next title saved publishes no zone: the browser's own was offered again",
  async (browser, server) => {
    const ann = await openPage(browser, server, { timezoneId: "Europe/Paris" });
    await register(ann, "ann");
    const bob = await openPage(browser, server);
    await register(bob, "bob");
    await setTitle(ann, "Editor", "Europe/Paris", { choose: "" });
    await setTitle(ann, "Chief editor", "");
    await send(ann, "hello");

    await confirmedFrom(bob, "ann", "hello").getByTestId("msg-user").click();
    const card = bob.getByTestId("profile-card");
    await card.getByTestId("profile-title")
      .filter({ hasText: "Chief editor" }).waitFor();
    assert.equal(await card.getByTestId("profile-time").count(), 0);
  },
);

/** The test id of the focused element, or its tag when it has none. */
function focused(page: Page): Promise<string> {
  return page.evaluate(() => {
    const at = document.activeElement as HTMLElement | null;
    return at?.dataset.testid ?? at?.tagName ?? "none";
  });
}

browserTest(
  "web client keyboard: 'Profile…' from the user menu puts the keyboard in its title field once the card is read and gives it back to the menu's button (as the menu's other dialogs), and a card opened from a member's menu gives the focus back to that menu's button when Escape closes it",
  async (browser, server) => {
    const ann = await openPage(browser, server);
    await register(ann, "ann");
    const cy = await openPage(browser, server);
    await register(cy, "cy");
    await ann.getByTestId("member").filter({ hasText: "cy" }).waitFor();

    // The field is disabled while the card is read: the dialog's first
    // focus missed it and the keyboard stayed on the menu's button.
    await ann.getByTestId("settings").focus();
    await ann.keyboard.press("Enter");
    await ann.getByTestId("profile-setting").press("Enter");
    const field = ann.getByTestId("profile-title-input");
    await field.and(ann.locator(":enabled")).waitFor();
    await ann.waitForFunction(() =>
      document.activeElement?.getAttribute("data-testid") ===
        "profile-title-input"
    );
    await ann.keyboard.type("Editor");
    assert.equal(await field.inputValue(), "Editor");
    // "None" chosen is the list's one empty choice (a blank one came too).
    const zone = ann.getByTestId("profile-zone");
    await zone.selectOption("");
    assert.equal(await zone.locator('option[value=""]').count(), 1);
    await ann.keyboard.press("Escape");
    await ann.getByTestId("profile-dialog").waitFor({ state: "detached" });
    // Back on the button of the menu it came from, not the page's body.
    assert.equal(await focused(ann), "settings");

    // So do the menu's other dialogs (their items went with the menu),
    // and its Access tokens page.
    for (
      const item of [
        "avatar-setting",
        "groups-setting",
        "tokens-setting",
        "totp-setting",
      ]
    ) {
      await ann.getByTestId("settings").press("Enter");
      await ann.getByTestId(item).press("Enter");
      const dialog = ann.locator('[role="dialog"]');
      await dialog.waitFor();
      await ann.keyboard.press("Escape");
      await dialog.waitFor({ state: "detached" });
      assert.equal(await focused(ann), "settings", item);
    }

    // The menu's item went with the menu: the focus fell to the body.
    const menu = ann.getByTestId("member").filter({ hasText: "cy" })
      .getByTestId("member-actions");
    await menu.focus();
    await ann.keyboard.press("Enter");
    await ann.getByTestId("menu-profile").press("Enter");
    const card = ann.getByTestId("profile-card");
    await card.getByTestId("profile-message").waitFor();
    await ann.keyboard.press("Escape");
    await card.waitFor({ state: "detached" });
    assert.equal(await focused(ann), "member-actions");
    assert.equal(
      await menu.evaluate((button) => button === document.activeElement),
      true,
    );
  },
);

browserTest(
  "web client: a webhook's message shows the name it posts as, but opens no one's card: a hook posting as finn led to finn's real card and its 'Message' button",
  async (browser, server) => {
    // The first account is the admin: erin may add a hook to general.
    const erin = await openPage(browser, server);
    await register(erin, "erin");
    const finn = await openPage(browser, server);
    await register(finn, "finn");
    await send(finn, "from the real finn");
    const made = await erin.request.post("/api/rooms/general/hooks", {
      data: { name: "Alerts" },
      headers: { origin: server.url },
    });
    assert.equal(made.status(), 201);
    const { url } = await made.json() as { url: string };
    const posted = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "finn", text: "pay the invoice" }),
    });
    assert.equal(posted.status, 200);
    await posted.body?.cancel();

    const hooked = confirmedFrom(erin, "finn", "pay the invoice");
    await hooked.locator(".msg-user").filter({ hasText: "finn" }).waitFor();
    assert.equal(await hooked.getByTestId("msg-user").count(), 0);
    // The person's own message still opens his card.
    await confirmedFrom(erin, "finn", "from the real finn")
      .getByTestId("msg-user").click();
    await erin.getByTestId("profile-card").getByTestId("profile-message")
      .waitFor();
  },
);

browserTest(
  "web client: an anonymised author's name ('deleted user', after delete_account) is plain text that opens no card: the card could only say the account was not found",
  async (browser, server) => {
    // The first account is the admin.
    const root = await TestClient.register(server.wsUrl, "root");
    const gus = await TestClient.register(server.wsUrl, "gus");
    try {
      await gus.ok("send_message", { room: "general", text: "my last word" });
      await gus.close();
      await root.ok("delete_account", { user: "gus", messages: "anonymise" });
    } finally {
      await gus.close();
      await root.close();
    }
    const erin = await openPage(browser, server);
    await register(erin, "erin");
    const row = confirmedFrom(erin, "deleted user", "my last word");
    await row.locator(".msg-user").filter({ hasText: "deleted user" })
      .waitFor();
    assert.equal(await row.getByTestId("msg-user").count(), 0);
  },
);

const SMTP_PORT = freePort();

browserTest(
  "web client: on a server that sends mail, 'Profile…' sets the email address, says it is not verified, and the link mailed opens a page (in French for a French browser) that verifies it; 'Profile…' then says so, and turns the missed-message mails off; the interface's language set to French makes them French",
  async (browser, server) => {
    const smtp = await startSmtpReceiver({ port: SMTP_PORT });
    try {
      const ann = await openPage(browser, server);
      await register(ann, "ann");
      const openProfile = async () => {
        await ann.getByTestId("settings").click();
        await ann.getByTestId("profile-setting").click();
        const dialog = ann.getByTestId("profile-dialog");
        await dialog.getByTestId("profile-title-input").and(
          ann.locator(":enabled"),
        ).waitFor();
        return dialog;
      };
      let dialog = await openProfile();
      await dialog.getByTestId("profile-email-input").fill("ann@example.org");
      await dialog.getByTestId("profile-save").click();
      await dialog.waitFor({ state: "detached" });
      const mail = await smtp.next((m) => m.to === "ann@example.org");
      const link = /https:\/\/chat\.example\.org(\/verify-email#\S+)/
        .exec(mail.text)?.[1];
      assert.ok(link, mail.text);
      dialog = await openProfile();
      await dialog.getByTestId("profile-email-state")
        .filter({ hasText: "Not verified yet" }).waitFor();
      assert.equal(
        await dialog.getByTestId("profile-email-input").inputValue(),
        "ann@example.org",
      );
      await ann.keyboard.press("Escape");
      await dialog.waitFor({ state: "detached" });

      const page = await openPage(browser, server, { locale: "fr-FR" });
      await page.goto(`${server.url}${link}`);
      await page.getByTestId("verify-email-outcome")
        .filter({ hasText: "ann@example.org est vérifiée." }).waitFor();
      assert.equal(new URL(page.url()).hash, "", "the token leaves the bar");

      dialog = await openProfile();
      await dialog.getByTestId("profile-email-state")
        .filter({ hasText: "Verified." }).waitFor();
      // Missed-message mails: on by default, turned off and kept so.
      const missed = dialog.getByTestId("profile-missed-mail");
      assert.equal(await missed.isChecked(), true);
      await missed.uncheck();
      await dialog.getByTestId("profile-save").click();
      await dialog.waitFor({ state: "detached" });
      dialog = await openProfile();
      assert.equal(
        await dialog.getByTestId("profile-missed-mail").isChecked(),
        false,
      );
      await ann.keyboard.press("Escape");
      await dialog.waitFor({ state: "detached" });
      // The interface in French: the mails will be French too.
      await ann.getByTestId("settings").click();
      await ann.getByTestId("lang-fr").click();
      await eventually(async () =>
        assert.deepEqual(
          await server.node.store.missedMailSetting("ann"),
          { enabled: false, language: "fr" },
        )
      );
    } finally {
      await smtp.close();
    }
  },
  {
    smtpUrl: `smtp://chat:secret@127.0.0.1:${SMTP_PORT}`,
    mailFrom: "chat@example.org",
    publicUrl: "https://chat.example.org",
  },
);
