/**
 * The web client's sharing and conversation features in a real browser
 * against a real server: files, unread counts, typing, edits, markdown.
 * Needs /usr/bin/chromium; without it the tests are reported as ignored.
 */

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import type { Locator, Page } from "playwright-core";
import { TestClient } from "./harness.ts";
import {
  artifact,
  assertNoInkAbove,
  browserTest,
  confirmedFrom,
  currentConversation,
  currentRoom,
  guest,
  messages,
  noteAppearance,
  notifications,
  openPage,
  recordNotifications,
  register,
  send,
  setHidden,
  signIn,
  STEP_TIMEOUT,
  waitForTitle,
} from "./browser_support.ts";
import {
  gifOfFrames,
  markToReadAgain,
  member,
  uploaded,
} from "./file_helpers.ts";

browserTest(
  "web client shares an image the other user sees as a preview and opens full size",
  async (browser, server) => {
    const alice = await openPage(browser, server);
    const bob = await openPage(browser, server);
    await register(alice, "alice");
    await register(bob, "bob");
    await send(bob, "morning! did anyone sketch the Q3 roadmap?");
    await confirmedFrom(alice, "bob", "Q3 roadmap").waitFor();

    const png = await drawPicture(alice);
    await alice.getByTestId("file-input").setInputFiles({
      name: "roadmap.png",
      mimeType: "image/png",
      buffer: png,
    });
    const chip = alice.getByTestId("upload").filter({ hasText: "roadmap.png" });
    await chip.and(alice.locator('[data-status="done"]')).waitFor();
    await send(alice, "here is a first draft **for review**");

    const row = confirmedFrom(bob, "alice", "first draft");
    await row.waitFor();
    const preview = row.getByTestId("attachment-image").locator("img");
    await preview.waitFor();
    await bob.waitForFunction(
      (img) => (img as HTMLImageElement).naturalWidth > 0,
      await preview.elementHandle(),
    );
    assert.equal(await preview.getAttribute("loading"), "lazy");
    assert.match(await preview.getAttribute("src") ?? "", /^\/files\//);
    const box = await preview.boundingBox();
    assert.ok(box && box.width <= 361 && box.height <= 241, "preview bounds");
    assert.equal(await alice.getByTestId("upload").count(), 0);

    // A click opens the lightbox; Esc closes it, and so does a click.
    await row.getByTestId("attachment-image").click();
    const lightbox = bob.getByTestId("lightbox");
    await lightbox.waitFor();
    await bob.screenshot({
      path: artifact("features_lightbox.png"),
      animations: "disabled",
    });
    await bob.keyboard.press("Escape");
    await lightbox.waitFor({ state: "detached" });
    await row.getByTestId("attachment-image").click();
    await lightbox.locator("img").click();
    await lightbox.waitFor({ state: "detached" });

    // Pasting an image uploads it too; sending it needs no text.
    await alice.getByTestId("composer").focus();
    await alice.evaluate(async (bytes) => {
      const file = new File([new Uint8Array(bytes)], "pasted.png", {
        type: "image/png",
      });
      const data = new DataTransfer();
      data.items.add(file);
      const composer = document.querySelector('[data-testid="composer"]')!;
      composer.dispatchEvent(
        new ClipboardEvent("paste", { clipboardData: data, bubbles: true }),
      );
      await Promise.resolve();
    }, [...png]);
    await alice.locator('[data-testid="upload"][data-status="done"]')
      .waitFor();
    await alice.getByTestId("composer").press("Enter");
    await bob.locator('[data-testid="message"][data-user="alice"]')
      .getByTestId("attachment-image").nth(1).waitFor();

    await send(bob, "looks great @alice, ship it");
    await confirmedFrom(alice, "bob", "ship it").waitFor();
    await alice.screenshot({ path: artifact("features_images.png") });
  },
);

browserTest(
  "web client shows an image the server read again as a preview at once, without a reload",
  async (browser, server) => {
    const alice = await member(server, "alice");
    try {
      const dot = await uploaded(
        server,
        alice.cookie,
        new File([gifOfFrames(1, 2, 3)], "dot.gif", { type: "image/gif" }),
      );
      await alice.client.ok("send_message", {
        text: "the dot",
        attachments: [{ url: dot.url }],
      });
      // As an upgrade past the readers that got GIF sizes wrong leaves it:
      // marked, its dimensions cleared, so a download card meanwhile.
      markToReadAgain(`${server.dir}/chat.db`, dot.url.split("/")[2]);
      const bob = await openPage(browser, server);
      await register(bob, "bob");
      const row = confirmedFrom(bob, "alice", "the dot");
      await row.getByTestId("attachment-file").waitFor();
      assert.equal(await server.node.files.rereadMarked(), 1);
      await row.getByTestId("attachment-image").waitFor();
      assert.equal(await row.getByTestId("attachment-file").count(), 0);
    } finally {
      await alice.client.close();
    }
  },
);

browserTest(
  "web client shows other files as download cards, names as text, and no upload for guests",
  async (browser, server) => {
    const carol = await openPage(browser, server);
    const dan = await openPage(browser, server);
    await register(carol, "carol");
    await guest(dan, "dan");

    const notes = Buffer.from("meeting notes\n".repeat(200));
    await carol.getByTestId("file-input").setInputFiles([
      { name: "notes.txt", mimeType: "text/plain", buffer: notes },
      {
        // The server cuts names at "=" today (see the report): none here.
        name: "<img src onerror>.svg",
        mimeType: "image/svg+xml",
        buffer: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'),
      },
    ]);
    await carol.locator('[data-testid="upload"][data-status="done"]').nth(1)
      .waitFor();
    await send(carol, "notes from today");

    const row = confirmedFrom(dan, "carol", "notes from today");
    await row.waitFor();
    const cards = row.getByTestId("attachment-file");
    await cards.nth(1).waitFor();
    assert.equal(await cards.count(), 2);
    // An SVG is a download like any other file, never an inline image.
    assert.equal(await row.locator("img").count(), 0);
    const card = cards.filter({ hasText: "notes.txt" });
    await card.filter({ hasText: "2.7 KB" }).waitFor();
    assert.match(await card.getAttribute("href") ?? "", /^\/files\/.+notes/);
    assert.equal(await card.getAttribute("download"), "notes.txt");
    await cards.filter({ hasText: "<img src onerror>.svg" }).waitFor();

    // A guest may not upload: the paperclip says why.
    const attach = dan.getByTestId("attach");
    assert.equal(await attach.getAttribute("aria-disabled"), "true");
    assert.equal(await attach.getAttribute("title"), "Sign in to share files");
    await attach.click({ force: true });
    assert.equal(await dan.getByTestId("upload").count(), 0);
    await dan.screenshot({ path: artifact("features_files.png") });
  },
);

browserTest(
  "web client refuses a file over the server's size limit at once, saying the limit, and sends no request for it",
  async (browser, server) => {
    const alice = await openPage(browser, server);
    const bruno = await openPage(browser, server, { locale: "fr-FR" });
    await register(alice, "alice");
    await register(bruno, "bruno");
    const uploads: string[] = [];
    for (const page of [alice, bruno]) {
      page.on("request", (request) => {
        if (new URL(request.url()).pathname === "/api/files") {
          uploads.push(request.url());
        }
      });
    }
    const video = {
      name: "holiday.mp4",
      mimeType: "video/mp4",
      buffer: Buffer.alloc(4097),
    };

    await alice.getByTestId("file-input").setInputFiles(video);
    const refused = alice.locator(
      '[data-testid="upload"][data-status="failed"]',
    )
      .filter({ hasText: "holiday.mp4" });
    await refused.filter({
      hasText: "Too large: files are at most 4 KB here.",
    }).waitFor();
    await bruno.getByTestId("file-input").setInputFiles(video);
    const refusedFr = bruno.locator(
      '[data-testid="upload"][data-status="failed"]',
    ).filter({ hasText: "Trop gros : les fichiers font au plus 4 Ko ici." });
    await refusedFr.waitFor();
    // The reason shows whole, on two lines if need be: before, the chip
    // cut it to one ("Trop gros : les fichiers fon…"), the limit unseen.
    for (const chip of [refused, refusedFr]) {
      const reason = chip.locator(".upload-meta");
      assert.ok(
        await reason.evaluate((el) => el.scrollWidth <= el.clientWidth),
        `the reason is cut: ${await reason.textContent()}`,
      );
    }

    // A file at the limit still goes; it is the barrier: had the video
    // been sent, its request would have come first.
    await alice.getByTestId("file-input").setInputFiles({
      name: "notes.txt",
      mimeType: "text/plain",
      buffer: Buffer.alloc(4096, "a"),
    });
    await alice.locator('[data-testid="upload"][data-status="done"]')
      .filter({ hasText: "notes.txt" }).waitFor();
    assert.equal(uploads.length, 1, `requests to /api/files: ${uploads}`);

    // The refused file is removed like any other; the other one is sent.
    await refused.getByRole("button").click();
    await refused.waitFor({ state: "detached" });
    await send(alice, "the notes, not the video");
    await confirmedFrom(alice, "alice", "not the video")
      .getByTestId("attachment-file").filter({ hasText: "notes.txt" })
      .waitFor();
  },
  { maxFileBytes: 4096 },
);

browserTest(
  "web client counts unread messages on conversations and in the tab title",
  async (browser, server) => {
    const erin = await openPage(browser, server);
    const finn = await openPage(browser, server);
    await recordNotifications(erin);
    await register(erin, "erin");
    await register(finn, "finn");
    await waitForTitle(erin, "Chat");

    await finn.locator('[data-testid="member"][data-user="erin"]').click();
    await currentConversation(finn, "erin");
    await send(finn, "are you around?");
    await send(finn, "need a hand with the deploy");

    const dm = erin.locator('[data-testid="dm-item"][data-user="finn"]');
    await dm.getByTestId("dm-unread").filter({ hasText: /^2$/ }).waitFor();
    await waitForTitle(erin, "(2) Chat");
    await erin.screenshot({ path: artifact("features_unread.png") });

    await dm.click();
    await currentConversation(erin, "finn");
    await waitForTitle(erin, "Chat");
    await erin.getByTestId("unread-line").waitFor();
    assert.equal(await erin.getByTestId("dm-unread").count(), 0);

    // The room behind an open conversation still counts what comes in;
    // a mention of erin is marked.
    await finn.locator('[data-testid="room-item"][data-room="general"]')
      .click();
    await send(finn, "@erin the build is green");
    await erin.locator('[data-testid="room-item"][data-room="general"]')
      .getByTestId("room-unread").filter({ hasText: "@1" }).waitFor();
    await waitForTitle(erin, "(1) Chat");

    // In a hidden tab, the open room counts too, until the tab comes back.
    await erin.locator('[data-testid="room-item"][data-room="general"]')
      .click();
    await waitForTitle(erin, "Chat");
    await setHidden(erin, true);
    await send(finn, "one more thing");
    await waitForTitle(erin, "(1) Chat");
    await setHidden(erin, false);
    await waitForTitle(erin, "Chat");
    await erin.getByTestId("unread-line").waitFor();
    const mention = confirmedFrom(erin, "finn", "the build is green");
    assert.match(await mention.getAttribute("class") ?? "", /mentioned/);
    await mention.locator(".mention.mention-self").waitFor();

    // Desktop notifications: offered in a banner, never asked for alone.
    assert.deepEqual(await notifications(erin), []);
    await erin.getByTestId("notify-enable").click();
    await erin.getByTestId("notify-banner").waitFor({ state: "detached" });
    await setHidden(erin, true);
    await finn.locator('[data-testid="dm-item"][data-user="erin"]').click();
    await send(finn, "call in 5?");
    await waitForTitle(erin, "(1) Chat");
    await erin.waitForFunction(() =>
      (globalThis as unknown as { shown: unknown[] }).shown.length === 1
    );
    assert.deepEqual(await notifications(erin), [
      { title: "finn · Direct message", body: "call in 5?" },
    ]);
    await setHidden(erin, false);

    // A muted conversation counts but stays silent; the mute is remembered.
    await erin.locator('[data-testid="dm-item"][data-user="finn"]').click();
    await currentConversation(erin, "finn");
    await erin.getByTestId("room-menu").click();
    await erin.getByTestId("notify-none").click();
    await erin.getByTestId("muted-mark").waitFor();
    await erin.locator('[data-testid="room-item"][data-room="general"]')
      .click();
    await setHidden(erin, true);
    await send(finn, "no rush");
    await waitForTitle(erin, "(1) Chat");
    // A mention in #general, sent after it, notifies: by the time it has,
    // a notification of the muted message would have shown before it.
    await finn.locator('[data-testid="room-item"][data-room="general"]')
      .click();
    await send(finn, "@erin lunch?");
    await erin.waitForFunction(() =>
      (globalThis as unknown as { shown: unknown[] }).shown.length >= 2
    );
    assert.deepEqual(
      (await notifications(erin)).map((shown) => shown.body),
      ["call in 5?", "@erin lunch?"],
      "muted, yet notified",
    );
    await setHidden(erin, false);
    await erin.reload();
    await erin.locator('[data-testid="dm-item"][data-user="finn"]').click();
    await erin.getByTestId("muted-mark").waitFor();
  },
);

browserTest(
  'web client: the room landed in at sign-in shows its "new messages" line above what came while away, as a room opened does',
  async (browser, server) => {
    const erin = await openPage(browser, server);
    const finn = await openPage(browser, server);
    await register(erin, "erin");
    await register(finn, "finn");
    await send(finn, "before you left");
    await confirmedFrom(erin, "finn", "before you left").waitFor();
    // Read on screen: the server has erin's position past it.
    const seen = await server.node.store.readState("erin", "general");
    const deadline = Date.now() + STEP_TIMEOUT;
    while (
      (await server.node.store.readState("erin", "general")).lastReadSeq <
        seen.lastSeq
    ) {
      if (Date.now() > deadline) throw new Error("never marked read");
      await new Promise((r) => setTimeout(r, 50));
    }
    await erin.close();
    await send(finn, "while you were away");
    await send(finn, "and one more");
    await confirmedFrom(finn, "finn", "and one more").waitFor();

    const back = await openPage(browser, server);
    await signIn(back, "erin");
    await confirmedFrom(back, "finn", "and one more").waitFor();
    const line = back.getByTestId("unread-line");
    await line.waitFor();
    // Right above the first message that came while away.
    const next = await line.evaluate((el) =>
      el.nextElementSibling?.textContent ?? ""
    );
    assert.match(next, /while you were away/);
    const before = await line.evaluate((el) =>
      el.previousElementSibling?.textContent ?? ""
    );
    assert.match(before, /before you left/);
  },
);

browserTest(
  "web client shows who is typing and clears it",
  async (browser, server) => {
    const gus = await openPage(browser, server);
    const hal = await openPage(browser, server);
    await register(gus, "gus");
    await register(hal, "hal");

    const typing = gus.getByTestId("typing-text");
    // The indicator lasts 5 s after the last event, which a poll on a busy
    // machine (12 key presses, each a round trip) could miss: note it.
    const halTyping = () =>
      noteAppearance(gus, {
        selector: '[data-testid="typing-text"]',
        text: "hal is typing…",
      });
    let shown = await halTyping();
    await hal.getByTestId("composer").pressSequentially("let me check", {
      delay: 20,
    });
    await shown.waitFor();
    assert.equal(await hal.getByTestId("typing-text").count(), 0);
    await gus.screenshot({ path: artifact("features_typing.png") });
    // The message itself ends the indicator at once.
    await hal.getByTestId("composer").press("Enter");
    await confirmedFrom(gus, "hal", "let me check").waitFor();
    await typing.waitFor({ state: "detached" });

    // Without a message it goes away by itself after a few seconds. The
    // server passes one typing event per 2 s per connection.
    await hal.waitForTimeout(2100);
    shown = await halTyping();
    await hal.getByTestId("composer").pressSequentially("hmm", { delay: 20 });
    await shown.waitFor();
    await typing.waitFor({ state: "detached" });

    // In a private conversation it shows on the other side only.
    await hal.locator('[data-testid="member"][data-user="gus"]').click();
    await currentConversation(hal, "gus");
    await gus.locator('[data-testid="member"][data-user="hal"]').click();
    await currentConversation(gus, "hal");
    await hal.waitForTimeout(2100);
    shown = await halTyping();
    await hal.getByTestId("composer").pressSequentially("psst", { delay: 20 });
    await shown.waitFor();
  },
);

browserTest(
  "web client counts down the characters left near the length limit, and says why a message over it does not go",
  async (browser, server) => {
    const page = await openPage(browser, server);
    await guest(page, "lena");
    const composer = page.getByTestId("composer");
    const count = page.getByTestId("composer-count");
    await composer.fill("a short one");
    assert.equal(await count.count(), 0, "no counter far from the limit");

    // 500 characters from the 4,000 limit the counter shows what is left.
    await composer.fill("x".repeat(3600));
    await count.filter({ hasText: /^400$/ }).waitFor();
    await composer.fill("x".repeat(4010));
    await count.filter({ hasText: /^-10$/ }).waitFor();
    assert.match(await count.getAttribute("class") ?? "", /\bover\b/);
    assert.equal(await page.getByTestId("send").isDisabled(), true);
    await composer.press("Enter");
    assert.equal(await composer.inputValue(), "x".repeat(4010), "kept");

    // Back at the limit it goes.
    await composer.fill("y".repeat(4000));
    await count.filter({ hasText: /^0$/ }).waitFor();
    await composer.press("Enter");
    await confirmedFrom(page, "lena", "yyyy").waitFor();
    await count.waitFor({ state: "detached" });
  },
);

browserTest(
  "web client edits and deletes one's own messages for everyone",
  async (browser, server) => {
    const ida = await openPage(browser, server);
    const jon = await openPage(browser, server);
    await register(ida, "ida");
    await register(jon, "jon");

    await send(ida, "the meeting is at 3pm");
    await confirmedFrom(ida, "ida", "the meeting is at 3pm").waitFor();
    await confirmedFrom(jon, "ida", "the meeting is at 3pm").waitFor();
    // jon cannot change ida's message: no actions on it.
    const hers = confirmedFrom(jon, "ida", "3pm");
    await hers.hover();
    assert.equal(await hers.getByTestId("message-edit").count(), 0);

    // Up in the empty composer edits the last message.
    await ida.getByTestId("composer").press("ArrowUp");
    const box = ida.getByTestId("edit-input");
    await box.waitFor();
    await box.fill("the meeting is at 4pm");
    await box.press("Enter");
    const edited = confirmedFrom(jon, "ida", "the meeting is at 4pm");
    await edited.getByTestId("message-edited").filter({ hasText: "(edited)" })
      .waitFor();
    assert.equal(await messages(jon, "3pm").count(), 0);
    await confirmedFrom(ida, "ida", "4pm").getByTestId("message-edited")
      .waitFor();
    // The keys typed next go to the composer, not to the page.
    await box.waitFor({ state: "detached" });
    await ida.keyboard.type("bring slides");
    assert.equal(
      await ida.getByTestId("composer").inputValue(),
      "bring slides",
    );
    await ida.getByTestId("composer").fill("");

    // Esc leaves an edit without a change, the composer taking the keys.
    await ida.getByTestId("composer").press("ArrowUp");
    await box.waitFor();
    await box.fill("never saved");
    await box.press("Escape");
    await box.waitFor({ state: "detached" });
    await ida.keyboard.type("or not");
    assert.equal(await ida.getByTestId("composer").inputValue(), "or not");
    await ida.getByTestId("composer").fill("");

    // Delete, from the hover actions, after a confirmation.
    await send(ida, "oops, wrong room");
    const oops = confirmedFrom(ida, "ida", "oops, wrong room");
    await oops.hover();
    await oops.getByTestId("message-delete").click();
    await ida.screenshot({ path: artifact("features_delete_confirm.png") });
    await oops.getByTestId("message-delete-confirm").click();
    const gone = jon.locator('[data-testid="message"][data-deleted="true"]');
    await gone.getByTestId("message-deleted").filter({
      hasText: "message deleted",
    }).waitFor();
    assert.equal(await messages(jon, "oops, wrong room").count(), 0);
    // An edit the Escape above had sent would have reached jon before this.
    assert.equal(await messages(jon, "never saved").count(), 0);

    // From the keyboard: Up, empty the text, Enter, Enter deletes.
    await send(ida, "typo messge");
    await confirmedFrom(ida, "ida", "typo messge").waitFor();
    await confirmedFrom(jon, "ida", "typo messge").waitFor();
    await ida.getByTestId("composer").press("ArrowUp");
    await box.fill("");
    await box.press("Enter");
    await ida.getByTestId("edit-delete-confirm").waitFor();
    await ida.keyboard.press("Enter");
    await messages(jon, "typo messge").waitFor({ state: "detached" });
    assert.equal(await gone.count(), 2);

    // An Enter that comes before the page re-rendered the last keystroke
    // (a busy page) still acts on the text as typed: both events in one task.
    await send(ida, "one more");
    await confirmedFrom(ida, "ida", "one more").waitFor();
    await ida.getByTestId("composer").press("ArrowUp");
    await box.waitFor();
    await box.evaluate((el: HTMLTextAreaElement) => {
      el.value = "";
      el.dispatchEvent(new InputEvent("input", { bubbles: true }));
      el.dispatchEvent(
        new KeyboardEvent("keydown", { key: "Enter", bubbles: true }),
      );
    });
    await ida.getByTestId("edit-delete-confirm").waitFor();
    await ida.keyboard.press("Escape");
    await box.waitFor({ state: "detached" });
    // The same in the composer: the message goes.
    await ida.getByTestId("composer").evaluate((el: HTMLTextAreaElement) => {
      el.value = "sent at once";
      el.dispatchEvent(new InputEvent("input", { bubbles: true }));
      el.dispatchEvent(
        new KeyboardEvent("keydown", { key: "Enter", bubbles: true }),
      );
    });
    await confirmedFrom(jon, "ida", "sent at once").waitFor();

    // The edit box takes focus before it is painted: text selected as soon
    // as it shows (a quick hand, a busy page) stays selected.
    await ida.evaluate(() => {
      new MutationObserver((_, observer) => {
        const shown = document.querySelector<HTMLTextAreaElement>(
          '[data-testid="edit-input"]',
        );
        if (!shown) return;
        observer.disconnect();
        shown.select();
      }).observe(document.body, { childList: true, subtree: true });
    });
    await ida.getByTestId("composer").press("ArrowUp");
    await box.waitFor();
    // Let whatever the page deferred to after painting run first.
    await ida.evaluate(() =>
      new Promise((done) =>
        requestAnimationFrame(() =>
          requestAnimationFrame(() => setTimeout(done, 50))
        )
      )
    );
    await ida.keyboard.press("Delete");
    await box.press("Enter");
    await ida.getByTestId("edit-delete-confirm").waitFor();
    await ida.keyboard.press("Escape");
    await box.waitFor({ state: "detached" });
    await jon.screenshot({ path: artifact("features_edited.png") });
  },
);

browserTest(
  "web client offers the next holder of a deleted author's name no Edit nor Delete on that author's kept messages, and Up in the empty composer passes them over",
  async (browser, server) => {
    // The first account is the admin.
    const root = await TestClient.register(server.wsUrl, "root");
    const old = await TestClient.register(server.wsUrl, "ida");
    try {
      await old.ok("send_message", { text: "kept from before" });
      await old.close();
      await root.ok("delete_account", { user: "ida", messages: "keep" });
      const ida = await openPage(browser, server);
      await register(ida, "ida");
      const kept = confirmedFrom(ida, "ida", "kept from before");
      await kept.hover();
      // Before, both were offered (the server answered forbidden).
      assert.equal(await kept.getByTestId("message-edit").count(), 0);
      assert.equal(await kept.getByTestId("message-delete").count(), 0);

      // Up edits no message then: the keys typed next stay in the composer.
      const composer = ida.getByTestId("composer");
      await composer.press("ArrowUp");
      await ida.keyboard.type("mine now");
      assert.equal(await composer.inputValue(), "mine now");
      assert.equal(await ida.getByTestId("edit-input").count(), 0);

      // Its own message, sent now, is offered both: the page knows its rules.
      await composer.press("Enter");
      const mine = confirmedFrom(ida, "ida", "mine now");
      await mine.hover();
      await mine.getByTestId("message-edit").waitFor();
      await mine.getByTestId("message-delete").waitFor();
    } finally {
      await old.close();
      await root.close();
    }
  },
);

browserTest(
  "web client renders markdown and links, and user text never as HTML",
  async (browser, server) => {
    const kim = await openPage(browser, server);
    const lea = await openPage(browser, server);
    await guest(kim, "kim");
    await guest(lea, "lea");

    await send(
      kim,
      "**ship** it *today*, see `make deploy` and https://example.com/docs?a=1. or javascript:alert(1)",
    );
    await send(kim, "<img src=x onerror=alert(1)>");
    await send(kim, "```\nconst a = '<b>not bold</b>';\n```");

    const rich = confirmedFrom(lea, "kim", "ship it today");
    await rich.waitFor();
    await rich.locator("strong").filter({ hasText: /^ship$/ }).waitFor();
    await rich.locator("em").filter({ hasText: /^today$/ }).waitFor();
    await rich.locator("code").filter({ hasText: /^make deploy$/ }).waitFor();
    // The words' own links: the row's actions hold a "Copy link" anchor too.
    const link = rich.getByTestId("message-text").locator("a");
    assert.equal(await link.count(), 1, "only the http link is a link");
    assert.equal(
      await link.getAttribute("href"),
      "https://example.com/docs?a=1",
    );
    assert.equal(await link.getAttribute("target"), "_blank");
    assert.equal(await link.getAttribute("rel"), "noopener noreferrer");

    const html = confirmedFrom(lea, "kim", "<img src=x onerror=alert(1)>");
    await html.waitFor();
    assert.equal(await html.locator("img").count(), 0);
    assert.equal(
      await html.getByTestId("message-text").innerText(),
      "<img src=x onerror=alert(1)>",
    );
    const code = confirmedFrom(lea, "kim", "not bold");
    await code.locator("pre code").filter({
      hasText: "const a = '<b>not bold</b>';",
    }).waitFor();
    assert.equal(await code.locator("b").count(), 0);

    // Slack's quotes and strikes: "> " lines and ~words~ (or ~~words~~).
    await send(kim, "> the plan was **friday**\n~~friday~~ ~monday~ tuesday");
    const quoted = confirmedFrom(lea, "kim", "the plan was");
    await quoted.locator("blockquote strong").filter({ hasText: /^friday$/ })
      .waitFor();
    assert.equal(
      await quoted.locator("blockquote").innerText(),
      "the plan was friday",
    );
    assert.deepEqual(await quoted.locator("s").allInnerTexts(), [
      "friday",
      "monday",
    ]);

    // Lists as Mattermost and Zulip teams write them: real ul and ol, a
    // numbered one from its first number, one level nested.
    await send(
      kim,
      "steps:\n3. build **it**\n4. ship\n  - tell @lea\n- after\n-5 degrees",
    );
    const listed = confirmedFrom(lea, "kim", "steps:");
    const numbered = listed.locator("ol");
    await numbered.waitFor();
    assert.equal(await numbered.getAttribute("start"), "3");
    assert.deepEqual(
      await numbered.locator(":scope > li").allInnerTexts(),
      ["build it", "ship\ntell @lea"],
    );
    await numbered.locator("li strong").filter({ hasText: /^it$/ }).waitFor();
    assert.equal(
      await numbered.locator("li ul > li").innerText(),
      "tell @lea",
    );
    assert.equal(
      await listed.getByTestId("message-text").getByRole("list").count(),
      3,
      "the numbered list, the one nested in it and the bulleted one",
    );
    assert.deepEqual(
      await listed.locator(".md-list + .md-p").allInnerTexts(),
      ["-5 degrees"],
    );

    // A fence that names a language is coloured once the highlighter,
    // a chunk of its own, has loaded under the page's policy; the code
    // stays text (an HTML sample is no element), and a language it does
    // not know stays plain.
    await send(kim, "```ts\nconst late = '<b>x</b>'; // why\n```");
    await send(kim, "```html\n<img src=x onerror=alert(1)>\n```");
    await send(kim, "```cobol\nDISPLAY 'plain'.\n```");
    const ts = confirmedFrom(lea, "kim", "const late");
    await ts.locator("pre code .hl-keyword").filter({ hasText: /^const$/ })
      .waitFor();
    await ts.locator("pre code .hl-comment").filter({ hasText: "// why" })
      .waitFor();
    assert.equal(
      await ts.locator("pre code").innerText(),
      "const late = '<b>x</b>'; // why",
    );
    assert.equal(await ts.locator("pre b").count(), 0);
    const tag = confirmedFrom(lea, "kim", "onerror");
    await tag.locator("pre code .hl-tag").first().waitFor();
    assert.equal(await tag.locator("pre img").count(), 0);
    assert.equal(
      await tag.locator("pre code").innerText(),
      "<img src=x onerror=alert(1)>",
    );
    const plain = confirmedFrom(lea, "kim", "DISPLAY");
    await plain.locator("pre code").waitFor();
    assert.equal(await plain.locator("pre code span").count(), 0);
    // Colours differ from the code's own: the theme's variables apply.
    const colours = await ts.locator("pre code").evaluate((code) => {
      const keyword = code.querySelector(".hl-keyword")!;
      return [getComputedStyle(code).color, getComputedStyle(keyword).color];
    });
    assert.notEqual(colours[0], colours[1]);
    await lea.screenshot({ path: artifact("features_markdown.png") });
  },
);

browserTest(
  "web client: a code block nesting template literals a message deep is shown, coloured only so deep, and the messages after it still are",
  async (browser, server) => {
    const kim = await TestClient.register(server.wsUrl, "kim");
    try {
      const lea = await openPage(browser, server);
      await guest(lea, "lea");
      // The highlighter loaded: the next block is coloured as the message
      // list draws it, not later in a render of its own.
      await kim.ok("send_message", { text: "```ts\nconst early = 1;\n```" });
      await confirmedFrom(lea, "kim", "const early").locator(".hl-keyword")
        .waitFor();
      // 2,640 spans deep as highlight.js nests them: out of stack in the
      // render, and nothing after it was drawn.
      const code = Array(10).fill("`${".repeat(132)).join("\n");
      await kim.ok("send_message", { text: "```ts\n" + code + "\n```" });
      await kim.ok("send_message", { text: "after the deep one" });
      await confirmedFrom(lea, "kim", "after the deep one").waitFor();
      const deep = confirmedFrom(lea, "kim", "`${`${");
      assert.equal(await deep.locator("pre code").innerText(), code);
      const spans = await deep.locator("pre code").evaluate((element) => {
        let deepest = 0;
        for (const span of element.querySelectorAll("span")) {
          let depth = 0;
          for (
            let at: Element | null = span;
            at !== element;
            at = at!.parentElement
          ) {
            depth++;
          }
          deepest = Math.max(deepest, depth);
        }
        return deepest;
      });
      assert.ok(spans > 0 && spans <= 16, `spans nest ${spans} deep`);
    } finally {
      await kim.close();
    }
  },
);

browserTest(
  "web client links #room to a room the reader knows, and a click opens it; a private room it does not know stays text",
  async (browser, server) => {
    const bob = await TestClient.register(server.wsUrl, "bob");
    try {
      // "constructor": a name every object inherits, found only as a room.
      await bob.ok("create_room", { room: "constructor" });
      await bob.ok("create_room", { room: "hideout", private: true });
      await bob.ok("join_room", { room: "general" });
      const ann = await openPage(browser, server);
      await guest(ann, "ann");
      await ann.locator("#sidebar").getByText("constructor").waitFor();

      await bob.ok("send_message", {
        text:
          "meet in #Constructor, not #hideout or #nowhere; `#constructor` is code, a#constructor a word",
      });
      const row = confirmedFrom(ann, "bob", "meet in");
      await row.waitFor();
      const links = row.getByTestId("room-link");
      assert.deepEqual(await links.allInnerTexts(), ["#Constructor"]);
      assert.equal(await links.getAttribute("title"), "Open #constructor");
      assert.match(
        await row.getByTestId("message-text").innerText(),
        /not #hideout or #nowhere; #constructor is code, a#constructor a word/,
      );

      await links.click();
      await currentRoom(ann, "constructor");
      assert.equal(new URL(ann.url()).hash, "", "the hash is left alone");
    } finally {
      await bob.close();
    }
  },
);

browserTest(
  "web client links #room at the end of a sentence without its full stop, and a room whose name ends with a dot with it",
  async (browser, server) => {
    const bob = await TestClient.register(server.wsUrl, "bob");
    try {
      await bob.ok("create_room", { room: "v2." });
      await bob.ok("join_room", { room: "general" });
      const ann = await openPage(browser, server);
      await guest(ann, "ann");
      await ann.locator("#sidebar").getByText("v2.").waitFor();

      await bob.ok("send_message", {
        text: "see #general. Then #v2. and #v2.. too",
      });
      const row = confirmedFrom(ann, "bob", "see");
      await row.waitFor();
      const links = row.getByTestId("room-link");
      await links.first().waitFor();
      assert.deepEqual(await links.allInnerTexts(), [
        "#general",
        "#v2.",
        "#v2.",
      ]);
      assert.equal(
        await row.getByTestId("message-text").innerText(),
        "see #general. Then #v2. and #v2.. too",
      );
      await links.nth(1).click();
      await currentRoom(ann, "v2.");
    } finally {
      await bob.close();
    }
  },
);

browserTest(
  "web client shows a link's URL as written, left to right, whatever direction controls the message holds",
  async (browser, server) => {
    const kim = await openPage(browser, server);
    const lea = await openPage(browser, server);
    await guest(kim, "kim");
    await guest(lea, "lea");

    // U+202E before the link turns the rest of the line around: the URL
    // was drawn backwards, reading "https://accounts.google.com/..." for a
    // link to evil.example.
    await send(
      kim,
      "Session expired, sign in again: \u202Ehttps://evil.example/moc.elgoog.stnuocca//:sptth",
    );
    // One inside the URL turned its path around the same way.
    await send(kim, "or here https://evil.example/\u202E/moc.elgoog//:sptth");

    const before = confirmedFrom(lea, "kim", "sign in again")
      .getByTestId("message-text").locator("a");
    await before.waitFor();
    assert.equal(
      await before.getAttribute("href"),
      "https://evil.example/moc.elgoog.stnuocca//:sptth",
    );
    assert.deepEqual(await drawnOrder(before), {
      text: "https://evil.example/moc.elgoog.stnuocca//:sptth",
      leftToRight: true,
    });

    const inside = confirmedFrom(lea, "kim", "or here")
      .getByTestId("message-text").locator("a");
    await inside.waitFor();
    assert.equal(
      await inside.getAttribute("href"),
      "https://evil.example/%E2%80%AE/moc.elgoog//:sptth",
    );
    assert.deepEqual(await drawnOrder(inside), {
      text: "https://evil.example//moc.elgoog//:sptth",
      leftToRight: true,
    });
  },
);

browserTest(
  "web client keeps a message's stacked accents within its own row, off the message above",
  async (browser, server) => {
    const kim = await openPage(browser, server);
    const lea = await openPage(browser, server);
    await guest(kim, "kim");
    await guest(lea, "lea");
    await send(lea, "the release is at five");
    await confirmedFrom(kim, "lea", "the release is at five").waitFor();

    // 600 combining marks above and below one letter: drawn in a column
    // nearly 200 pixels tall, over the rows around the message.
    let marks = "";
    for (let i = 0; i < 600; i++) {
      marks += String.fromCodePoint(0x300 + i % 0x30);
    }
    await send(kim, `Z${marks} see above`);
    await confirmedFrom(lea, "kim", "see above").waitFor();
    const above = confirmedFrom(lea, "lea", "the release is at five");
    await lea.mouse.move(0, 0);
    const covered = await above.screenshot({ animations: "disabled" });

    // The same row beside the same message without its marks (an edit
    // keeps every row where it was) is the row as it should look.
    await kim.getByTestId("composer").press("ArrowUp");
    await kim.getByTestId("edit-input").fill("Z see above");
    await kim.getByTestId("edit-input").press("Enter");
    await confirmedFrom(lea, "kim", "Z see above").getByTestId("message-edited")
      .waitFor();
    await lea.mouse.move(0, 0);
    const plain = await above.screenshot({ animations: "disabled" });
    assert.ok(
      Buffer.compare(covered, plain) === 0,
      "the message above is drawn as without the marks",
    );
  },
);

browserTest(
  "web client keeps a notice line's stacked accents within its own row, off the row above",
  async (browser, server) => {
    const kim = await openPage(browser, server);
    await guest(kim, "kim");
    await send(kim, "the release is at five");
    await confirmedFrom(kim, "kim", "the release is at five").waitFor();

    // An unknown command's error line says its name back: here a letter
    // under 600 combining marks, drawn in a column nearly 200 pixels tall.
    let marks = "";
    for (let i = 0; i < 600; i++) {
      marks += String.fromCodePoint(0x300 + i % 0x30);
    }
    await send(kim, `/z${marks}`);
    const line = kim.getByTestId("error-line").filter({
      hasText: "Unknown command /z",
    });
    await line.waitFor();
    // Above the row's top edge and its 6 pixels of margin: the row above.
    await assertNoInkAbove(line, ".notice-text", {
      margin: 6,
      what: "the line's",
    });
  },
);

/**
 * A link's text, and whether its characters are drawn in the order they
 * are written (each one's left edge right of the one before).
 */
async function drawnOrder(
  link: Locator,
): Promise<{ text: string; leftToRight: boolean }> {
  return await link.evaluate((element) => {
    const node = element.firstChild as Text;
    const text = node.data;
    const lefts = [...text].map((_, i) => {
      const range = document.createRange();
      range.setStart(node, i);
      range.setEnd(node, i + 1);
      return range.getBoundingClientRect().left;
    });
    return {
      text,
      leftToRight: lefts.every((left, i) => i === 0 || left > lefts[i - 1]),
    };
  });
}

browserTest(
  "web client: a desktop notification of a webhook's message says HOOK beside whatever name it shows",
  async (browser, server) => {
    const erin = await openPage(browser, server);
    await recordNotifications(erin);
    // The first account is the admin: erin may add a hook to general.
    await register(erin, "erin");
    await erin.getByTestId("notify-enable").click();
    await erin.getByTestId("notify-banner").waitFor({ state: "detached" });
    const made = await erin.request.post("/api/rooms/general/hooks", {
      data: { name: "Alerts" },
      headers: { origin: server.url },
    });
    assert.equal(made.status(), 201);
    const { url } = await made.json() as { url: string };
    await setHidden(erin, true);
    // A hook posting as a person erin trusts: only the badge tells.
    const posted = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "finn", text: "@erin send me the key" }),
    });
    assert.equal(posted.status, 200);
    await posted.body?.cancel();
    await erin.waitForFunction(() =>
      (globalThis as unknown as { shown: unknown[] }).shown.length === 1
    );
    assert.deepEqual(await notifications(erin), [
      { title: "finn (HOOK) in #general", body: "@erin send me the key" },
    ]);
  },
);

browserTest(
  "web client: a long message's desktop notification is cut between two characters, never inside an emoji",
  async (browser, server) => {
    const erin = await openPage(browser, server);
    await recordNotifications(erin);
    await register(erin, "erin");
    await erin.getByTestId("notify-enable").click();
    await erin.getByTestId("notify-banner").waitFor({ state: "detached" });
    const made = await erin.request.post("/api/rooms/general/hooks", {
      data: { name: "Alerts" },
      headers: { origin: server.url },
    });
    assert.equal(made.status(), 201);
    const { url } = await made.json() as { url: string };
    await setHidden(erin, true);
    // 138 UTF-16 units, then emoji (two each): the cut at 139 units fell
    // between the first emoji's halves.
    const text = `@erin ${"a".repeat(132)}${"😀".repeat(5)}`;
    const posted = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text }),
    });
    assert.equal(posted.status, 200);
    await posted.body?.cancel();
    await erin.waitForFunction(() =>
      (globalThis as unknown as { shown: unknown[] }).shown.length === 1
    );
    const [shown] = await notifications(erin);
    assert.ok(shown.body.isWellFormed(), JSON.stringify(shown.body.slice(-3)));
    assert.equal(shown.body, `@erin ${"a".repeat(132)}😀…`);
  },
);

/** A small picture drawn in the page, as PNG bytes. */
async function drawPicture(page: Page): Promise<Buffer> {
  const dataUrl = await page.evaluate(() => {
    const canvas = document.createElement("canvas");
    canvas.width = 640;
    canvas.height = 400;
    const g = canvas.getContext("2d")!;
    const sky = g.createLinearGradient(0, 0, 640, 400);
    sky.addColorStop(0, "#5865f2");
    sky.addColorStop(1, "#eb459e");
    g.fillStyle = sky;
    g.fillRect(0, 0, 640, 400);
    const colours = ["#fee75c", "#57f287", "#ffffff"];
    for (let i = 0; i < 3; i++) {
      g.fillStyle = colours[i];
      g.globalAlpha = 0.85;
      g.fillRect(60 + i * 180, 260 - i * 70, 120, 80 + i * 70);
    }
    g.globalAlpha = 1;
    g.fillStyle = "#ffffff";
    g.font = "bold 44px sans-serif";
    g.fillText("Q3 roadmap", 40, 70);
    return canvas.toDataURL("image/png");
  });
  return Buffer.from(dataUrl.split(",")[1], "base64");
}
