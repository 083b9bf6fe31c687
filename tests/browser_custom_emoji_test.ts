/**
 * The web client's custom emoji: added from the reaction picker's "Custom"
 * part (in French: name, file, preview) and used as the reaction at once,
 * shown as their picture at text size in reactions and messages on
 * another's page (in English), offered by ":" completion, and removed
 * from the admin page, after which their `:name:` shows as text. Needs
 * /usr/bin/chromium.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import type { Locator } from "playwright-core";
import {
  browserTest,
  confirmedFrom,
  openPage,
  register,
  send,
} from "./browser_support.ts";
import { gifOfFrames, member, PNG } from "./file_helpers.ts";

/** Waits until the custom emoji picture inside `where` has loaded. */
async function pictureShown(where: Locator, name: string): Promise<void> {
  const picture = where.locator(
    `[data-testid="custom-emoji"][alt=":${name}:"]`,
  ).first();
  await picture.waitFor();
  await picture.page().waitForFunction(
    (img) => (img as HTMLImageElement).naturalWidth > 0,
    await picture.elementHandle(),
  );
}

browserTest(
  "web client: a custom emoji added from the picker (in French) is the reaction at once, shows as its picture on another's page (in English), is offered by ':' completion, and once removed on the admin page its :name: is text again",
  async (browser, server) => {
    // The first account is the admin.
    const lea = await openPage(browser, server, { locale: "fr-FR" });
    await register(lea, "lea");
    const bob = await openPage(browser, server);
    await register(bob, "bob");
    await send(bob, "lunch?");
    const onLea = confirmedFrom(lea, "bob", "lunch?");
    await onLea.waitFor();

    await onLea.hover();
    await onLea.getByTestId("message-react").click();
    const picker = lea.getByTestId("emoji-picker");
    await picker.getByTestId("emoji-custom")
      .filter({ hasText: "Personnalisés" }).waitFor();
    await picker.getByTestId("emoji-add")
      .filter({ hasText: "Ajouter un emoji…" }).click();
    await picker.getByTestId("emoji-add-file").setInputFiles({
      name: "parrot.gif",
      mimeType: "image/gif",
      buffer: Buffer.from(gifOfFrames(2, 16, 16)),
    });
    await picker.getByTestId("emoji-add-preview").waitFor();
    await picker.getByTestId("emoji-add-name").fill("party_parrot");
    await picker.getByTestId("emoji-add-save")
      .filter({ hasText: "Ajouter" }).click();
    await picker.waitFor({ state: "detached" });

    // bob sees the reaction as the picture, with its name as alt text.
    const onBob = confirmedFrom(bob, "bob", "lunch?");
    const chip = onBob.locator(
      '[data-testid="reaction"][data-emoji=":party_parrot:"]',
    );
    await chip.filter({ hasText: "1" }).waitFor();
    await pictureShown(chip, "party_parrot");

    // His picker lists it under "Custom"; ":" completion offers it.
    await onBob.hover();
    await onBob.getByTestId("message-react").click();
    const bobPicker = bob.getByTestId("emoji-picker");
    await bobPicker.getByTestId("emoji-custom").filter({ hasText: "Custom" })
      .waitFor();
    await pictureShown(
      bobPicker.locator('[data-emoji=":party_parrot:"]'),
      "party_parrot",
    );
    await bob.keyboard.press("Escape");
    await bobPicker.waitFor({ state: "detached" });
    const composer = bob.getByTestId("composer");
    await composer.click();
    await composer.pressSequentially("so :party_p");
    const option = bob.getByTestId("mention-option")
      .filter({ hasText: ":party_parrot:" });
    await option.waitFor();
    await composer.press("Enter");
    await composer.press("Enter");
    const sent = confirmedFrom(lea, "bob", "so");
    await pictureShown(sent, "party_parrot");

    // Removed on lea's admin page: bob's message and reaction show the
    // text again.
    await lea.goto("/admin");
    await lea.getByTestId("admin-tab-emoji")
      .filter({ hasText: "Emoji personnalisés" }).click();
    const row = lea.locator(
      '[data-testid="admin-emoji-row"][data-name="party_parrot"]',
    );
    await row.filter({ hasText: "par lea" }).waitFor();
    await row.getByTestId("admin-emoji-remove").click();
    await lea.getByTestId("admin-no-emoji").waitFor();
    const mine = confirmedFrom(bob, "bob", "so");
    await mine.getByTestId("custom-emoji").waitFor({ state: "detached" });
    await mine.filter({ hasText: "so :party_parrot:" }).waitFor();
    await chip.filter({ hasText: ":party_parrot:" }).waitFor();
  },
);

browserTest(
  "web client on a phone: the picker of a message low on the screen keeps its grown 'Add emoji…' form inside the window, so its Add button is reached",
  async (browser, server) => {
    const viewport = { width: 390, height: 844 };
    const lea = await openPage(browser, server, { viewport });
    await register(lea, "lea");
    await send(lea, "lunch?");
    const message = confirmedFrom(lea, "lea", "lunch?");
    // A tap shows a message's actions on a touch screen.
    await message.click();
    await message.getByTestId("message-react").click();
    const picker = lea.getByTestId("emoji-picker");
    await picker.getByTestId("emoji-add").click();
    await picker.getByTestId("emoji-add-file").setInputFiles({
      name: "parrot.gif",
      mimeType: "image/gif",
      buffer: Buffer.from(gifOfFrames(2, 16, 16)),
    });
    await picker.getByTestId("emoji-add-preview").waitFor();
    await picker.getByTestId("emoji-add-name").fill("team_parrot");
    // Placed above the message by its height before the form opened, it
    // grew down past the window's bottom, the Add button with it.
    const save = picker.getByTestId("emoji-add-save");
    await lea.waitForFunction(
      ([selector, height]) => {
        const box = document.querySelector(selector)!.getBoundingClientRect();
        return box.top >= 0 && box.bottom <= height;
      },
      ['[data-testid="emoji-picker"]', viewport.height] as const,
    );
    const box = await save.boundingBox();
    assert.ok(box && box.y + box.height <= viewport.height, "Add is shown");
    await save.click();
    await picker.waitFor({ state: "detached" });
    await message.locator(
      '[data-testid="reaction"][data-emoji=":team_parrot:"]',
    )
      .waitFor();
  },
);

browserTest(
  "web client: the picker's 'Add emoji…' form shows the keyboard's focus on its 'Choose a picture' button, whose file input is hidden",
  async (browser, server) => {
    const lea = await openPage(browser, server);
    await register(lea, "lea");
    await send(lea, "lunch?");
    const message = confirmedFrom(lea, "lea", "lunch?");
    await message.hover();
    await message.getByTestId("message-react").click();
    const picker = lea.getByTestId("emoji-picker");
    await picker.getByTestId("emoji-add").click();
    await picker.getByTestId("emoji-add").focus();
    await lea.keyboard.press("Tab");
    const input = picker.getByTestId("emoji-add-file");
    await lea.waitForFunction(
      (element) => document.activeElement === element,
      await input.elementHandle(),
    );
    // The input is a clipped pixel: its own ring shows nowhere.
    const ring = await input.evaluate((element) =>
      getComputedStyle(element.closest("label")!).outlineStyle
    );
    assert.equal(ring, "solid");
  },
);

browserTest(
  "web client: a custom emoji named __proto__, added while a page is open, is listed in its picker (before, its event set the page's list's prototype and it never showed)",
  async (browser, server) => {
    const lea = await member(server, "lea");
    try {
      const add = async (name: string) => {
        const res = await fetch(`${server.url}/api/emoji/${name}`, {
          method: "PUT",
          headers: {
            origin: server.url,
            cookie: lea.cookie,
            "content-type": "image/png",
          },
          body: PNG,
        });
        await res.body?.cancel();
        if (res.status !== 200) throw new Error(`${name}: ${res.status}`);
      };
      // One before the page opens: once its picker shows it, the page's
      // list is read and the next ones come as events.
      await add("before");
      const bob = await openPage(browser, server);
      await register(bob, "bob");
      await send(bob, "lunch?");
      const mine = confirmedFrom(bob, "bob", "lunch?");
      const picker = bob.getByTestId("emoji-picker");
      const pickerShows = async (name: string) => {
        await mine.hover();
        await mine.getByTestId("message-react").click();
        await pictureShown(picker.locator(`[data-emoji=":${name}:"]`), name);
      };
      await pickerShows("before");
      await bob.keyboard.press("Escape");
      await picker.waitFor({ state: "detached" });

      await add("__proto__");
      await add("after");
      await pickerShows("after");
      await pictureShown(
        picker.locator('[data-emoji=":__proto__:"]'),
        "__proto__",
      );
    } finally {
      await lea.client.close();
    }
  },
);
