/**
 * The team features of the web client in a real browser: replies that jump
 * to an original not loaded yet, reactions seen live on another page, the
 * pins panel and search, each opening its message in place, highlighted.
 * Needs /usr/bin/chromium; without it the tests are reported as ignored.
 */

import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import {
  artifact,
  axeAudit,
  browserTest,
  confirmedFrom,
  currentConversation,
  noteAppearance,
  openPage,
  register,
  send,
  STEP_TIMEOUT,
} from "./browser_support.ts";
import { TestClient } from "./harness.ts";
import { member, PNG, uploaded } from "./file_helpers.ts";
import { NO_RATE_LIMITS } from "../server/mod.ts";

const PHONE = { width: 390, height: 844 };
/** More messages than the client loads on entry (50) and one older page (50). */
const FILLER = 120;

/** Posts `n` numbered messages from a bot. */
async function fill(
  bot: TestClient,
  n: number,
  word = "filler",
): Promise<void> {
  for (let i = 1; i <= n; i++) {
    await bot.ok("send_message", { text: `${word} ${i}` });
  }
}

/** The row of the message with this seq. */
function row(page: Page, seq: number) {
  return page.locator(`[data-testid="message"][data-seq="${seq}"]`);
}

/**
 * Starts noting the highlight of the row with this seq (holding `text`,
 * when given): it lasts 2.5 s, less than a step may take on a busy
 * machine, so a poll could miss it.
 */
function noteFlash(page: Page, seq: number, text?: string) {
  return noteAppearance(page, {
    selector: `[data-testid="message"][data-seq="${seq}"].flash`,
    text,
  });
}

/** Whether an element is within the window's height. */
async function onScreen(page: Page, seq: number): Promise<boolean> {
  return await row(page, seq).evaluate((el) => {
    const box = el.getBoundingClientRect();
    return box.top >= 0 && box.bottom <= innerHeight;
  });
}

browserTest(
  "web client reply quotes its original and a click on the quote loads and shows the original",
  async (browser, server) => {
    const bot = await TestClient.login(server.wsUrl, "bob");
    try {
      const original = await bot.ok("send_message", {
        text: "the original plan: **ship on friday**",
      }) as { message: { id: string; seq: number } };
      await fill(bot, FILLER);
      await bot.ok("send_message", {
        text: "as planned",
        reply_to: original.message.id,
      });
      const page = await openPage(browser, server);
      await register(page, "alice");
      const reply = confirmedFrom(page, "bob", "as planned");
      await reply.getByTestId("reply-quote").filter({
        hasText: "the original plan",
      }).waitFor();
      // A quote reads the words, not their markdown.
      assert.equal(
        await reply.getByTestId("reply-quote").locator(".reply-text")
          .textContent(),
        "the original plan: ship on friday",
      );
      assert.equal(await row(page, original.message.seq).count(), 0);

      const flash = await noteFlash(page, original.message.seq);
      await reply.getByTestId("reply-quote").click();
      const target = row(page, original.message.seq);
      await flash.waitFor();
      assert.ok(await onScreen(page, original.message.seq));
      assert.equal(
        await target.evaluate((el) => el === document.activeElement),
        true,
        "the original takes the focus",
      );
      await page.screenshot({ path: artifact("team_ui_reply_jump.png") });

      // Answer it from the composer: the quote shows while composing and on the reply.
      await target.hover();
      await target.getByTestId("message-reply").click();
      await page.getByTestId("reply-bar").filter({
        hasText: /bob.*the original plan: ship on friday/,
      }).waitFor();
      await page.screenshot({ path: artifact("team_ui_reply_bar.png") });
      await page.getByTestId("composer").press("Escape");
      await page.getByTestId("reply-bar").waitFor({ state: "detached" });
      await target.hover();
      await target.getByTestId("message-reply").click();
      await send(page, "friday it is");
      const mine = confirmedFrom(page, "alice", "friday it is");
      await mine.getByTestId("reply-quote").filter({
        hasText: "the original plan",
      }).waitFor();
      await page.getByTestId("reply-bar").waitFor({ state: "detached" });
      await page.screenshot({ path: artifact("team_ui_reply_sent.png") });
      const heard = await bot.waitFor((f) =>
        f.action === "receive_message" &&
        (f.data as { text?: string }).text === "friday it is"
      );
      assert.equal(
        (heard.data as { reply_to?: { id: string } }).reply_to?.id,
        original.message.id,
      );

      // Deleted, the original leaves a quote that says so.
      await bot.ok("delete_message", { id: original.message.id });
      await mine.locator('[data-testid="reply-quote"][data-deleted="true"]')
        .filter({ hasText: "deleted" }).waitFor();
    } finally {
      await bot.close();
    }
  },
  { rateLimits: NO_RATE_LIMITS },
);

browserTest(
  "web client reply to a photo sent without words quotes it as a file, not as nothing",
  async (browser, server) => {
    const bob = await member(server, "bob");
    try {
      const photo = await uploaded(
        server,
        bob.cookie,
        new File([PNG], "photo.png", { type: "image/png" }),
      );
      const sent = await bob.client.ok("send_message", {
        text: "",
        attachments: [{ url: photo.url }],
      }) as { message: { id: string } };
      await bob.client.ok("send_message", {
        text: "here is my homework",
        reply_to: sent.message.id,
      });
      const page = await openPage(browser, server, { viewport: PHONE });
      await register(page, "alice");
      await confirmedFrom(page, "bob", "here is my homework")
        .getByTestId("reply-quote").filter({ hasText: /bob\s*a file/ })
        .waitFor();
    } finally {
      await bob.client.close();
    }
  },
);

browserTest(
  "web client reactions from one page show on the other with who reacted",
  async (browser, server) => {
    const bot = await TestClient.login(server.wsUrl, "carol");
    try {
      const alice = await openPage(browser, server);
      await register(alice, "alice");
      const bob = await openPage(browser, server, {
        viewport: PHONE,
        colorScheme: "light",
      });
      await register(bob, "bob");
      await bot.ok("send_message", { text: "lunch at noon?" });
      const onAlice = confirmedFrom(alice, "carol", "lunch at noon");
      await onAlice.hover();
      await onAlice.getByTestId("message-react").click();
      const picker = alice.getByTestId("emoji-picker");
      await picker.waitFor();
      await alice.screenshot({ path: artifact("team_ui_picker.png") });
      assert.deepEqual(await axeAudit(alice), [], "axe: emoji picker, dark");
      // From the keyboard: arrows move, Escape closes and gives the focus back.
      await alice.keyboard.press("ArrowRight");
      assert.equal(
        await alice.evaluate(() =>
          document.activeElement?.getAttribute("aria-label")
        ),
        ":-1:",
      );
      await alice.keyboard.press("Escape");
      await picker.waitFor({ state: "detached" });
      assert.equal(
        await onAlice.getByTestId("message-react").evaluate((el) =>
          el === document.activeElement
        ),
        true,
      );
      await alice.keyboard.press("Enter");
      await picker.locator('[data-emoji="🎉"]').click();
      await picker.waitFor({ state: "detached" });

      const onBob = confirmedFrom(bob, "carol", "lunch at noon");
      const bobChip = onBob.locator(
        '[data-testid="reaction"][data-emoji="🎉"]',
      );
      await bobChip.filter({ hasText: "1" }).waitFor();
      assert.equal(await bobChip.getAttribute("title"), "alice");
      assert.equal(await bobChip.getAttribute("aria-pressed"), "false");
      await bobChip.click();
      await bobChip.and(bob.locator('[aria-pressed="true"]')).filter({
        hasText: "2",
      }).waitFor();

      const aliceChip = onAlice.locator(
        '[data-testid="reaction"][data-emoji="🎉"]',
      );
      await aliceChip.filter({ hasText: "2" }).waitFor();
      assert.equal(await aliceChip.getAttribute("title"), "alice, bob");
      // Keyboard focus shows who reacted too.
      await aliceChip.focus();
      await alice.keyboard.press("Shift+Tab");
      await alice.keyboard.press("Tab");
      await onAlice.getByTestId("reaction-who").filter({
        hasText: "alice, bob",
      }).waitFor({ state: "visible" });
      await alice.screenshot({ path: artifact("team_ui_reactions.png") });

      // alice takes hers back: bob's page counts one again.
      await alice.keyboard.press("Enter");
      await bobChip.filter({ hasText: "1" }).waitFor();
      assert.equal(await bobChip.getAttribute("title"), "bob");
      // A long press on the phone shows the names without toggling; they
      // show for 4 s, which a poll on a busy machine could miss.
      const names = await noteAppearance(bob, {
        selector: '.chip-wrap.show [data-testid="reaction-who"]',
        text: "bob",
      });
      await bobChip.dispatchEvent("touchstart");
      await names.waitFor();
      await bobChip.dispatchEvent("touchend");
      // A real tap ends with a click, which the long press swallows.
      await bobChip.dispatchEvent("click");
      await bob.screenshot({ path: artifact("team_ui_reactions_phone.png") });
      // The server answers a page's requests in order: once bob's next
      // message is confirmed, a toggle sent before it has come back.
      await send(bob, "see you there");
      await confirmedFrom(bob, "bob", "see you there").waitFor();
      assert.equal(await bobChip.count(), 1, "the long press toggled");
      assert.equal(await bobChip.getAttribute("aria-pressed"), "true");
    } finally {
      await bot.close();
    }
  },
);

browserTest(
  "web client pins a message and the pins panel opens it in place",
  async (browser, server) => {
    const bot = await TestClient.login(server.wsUrl, "bob");
    try {
      const page = await openPage(browser, server, { colorScheme: "light" });
      // The first account is the admin: it may pin.
      await register(page, "alice");
      const sent = await bot.ok("send_message", {
        text: "wifi password is *on the fridge*",
      }) as { message: { seq: number } };
      const message = confirmedFrom(page, "bob", "wifi password");
      await message.hover();
      await message.getByTestId("message-pin").click();
      await message.getByTestId("pinned-mark").waitFor();
      await page.getByText("alice pinned a message by bob").waitFor();
      await fill(bot, FILLER);
      await page.reload();
      await confirmedFrom(page, "bob", `filler ${FILLER}`).waitFor();
      assert.equal(await row(page, sent.message.seq).count(), 0);

      await page.getByTestId("pins-open").click();
      const panel = page.getByTestId("pins-panel");
      await panel.getByTestId("pin-item").filter({ hasText: "wifi password" })
        .waitFor();
      // The panel reads the words, not their markdown.
      assert.equal(
        await panel.getByTestId("pin-item").locator(".result-text")
          .textContent(),
        "wifi password is on the fridge",
      );
      await page.screenshot({ path: artifact("team_ui_pins.png") });
      assert.deepEqual(await axeAudit(page), [], "axe: pins panel, light");
      const flash = await noteFlash(page, sent.message.seq);
      await panel.getByTestId("pin-item").click();
      await panel.waitFor({ state: "detached" });
      await flash.waitFor();
      assert.ok(await onScreen(page, sent.message.seq));

      // Escape closes the panel and gives the focus back to its button.
      await page.getByTestId("pins-open").click();
      await panel.waitFor();
      await page.keyboard.press("Escape");
      await panel.waitFor({ state: "detached" });
      assert.equal(
        await page.getByTestId("pins-open").evaluate((el) =>
          el === document.activeElement
        ),
        true,
      );
    } finally {
      await bot.close();
    }
  },
  { rateLimits: NO_RATE_LIMITS },
);

browserTest(
  "web client search marks the matched words and opens a result at its message",
  async (browser, server) => {
    const bot = await TestClient.login(server.wsUrl, "bob");
    try {
      const sent = await bot.ok("send_message", {
        text: "L'école **ouvre** à 8 h, <b>pas</b> avant",
      }) as { message: { seq: number } };
      await fill(bot, 25, "needle");
      await fill(bot, FILLER);
      const page = await openPage(browser, server, { viewport: PHONE });
      await register(page, "alice");
      await confirmedFrom(page, "bob", `filler ${FILLER}`).waitFor();

      await page.keyboard.press("Control+Shift+F");
      const dialog = page.getByTestId("search-dialog");
      await dialog.waitFor();
      await page.getByTestId("search-input").fill("needle");
      await dialog.getByTestId("search-result").nth(19).waitFor();
      assert.equal(await dialog.getByTestId("search-result").count(), 20);
      // Newest first.
      await dialog.getByTestId("search-result").first().filter({
        hasText: "needle 25",
      }).waitFor();
      await dialog.getByTestId("search-more").click();
      await dialog.getByTestId("search-result").nth(24).waitFor();
      await dialog.getByTestId("search-more").waitFor({ state: "detached" });

      await page.getByTestId("search-input").fill("ecole ouv");
      const hit = dialog.getByTestId("search-result").filter({
        hasText: "ouvre",
      });
      await hit.waitFor();
      assert.deepEqual(await hit.locator("mark").allTextContents(), [
        "école",
        "ouvre",
      ]);
      // User text stays text: the tags show as typed; the message's
      // markdown reads as words, not as stars.
      assert.match(await hit.textContent() ?? "", /<b>pas<\/b>/);
      assert.doesNotMatch(await hit.textContent() ?? "", /\*/);
      await page.screenshot({ path: artifact("team_ui_search_phone.png") });
      assert.deepEqual(await axeAudit(page), [], "axe: search, dark phone");
      const flash = await noteFlash(page, sent.message.seq);
      await hit.click();
      await dialog.waitFor({ state: "detached" });
      await flash.waitFor();
      assert.ok(await onScreen(page, sent.message.seq));
      await page.screenshot({ path: artifact("team_ui_search_jump.png") });

      // The header's button opens it too; Escape closes it.
      await page.getByTestId("search-open").click();
      await dialog.waitFor();
      await page.keyboard.press("Escape");
      await dialog.waitFor({ state: "detached" });
      // So does `/search words`, searching them at once.
      await send(page, "/search école");
      await dialog.getByTestId("search-result").filter({ hasText: "ouvre" })
        .waitFor();
      assert.equal(
        await page.getByTestId("search-input").inputValue(),
        "école",
      );
      await page.keyboard.press("Escape");

      // A private message found opens its conversation at the message.
      const dm = await bot.ok("private_message", {
        to: "alice",
        text: "la cantine ferme à midi",
      }) as { message: { seq: number } };
      await page.getByTestId("search-open").click();
      await page.getByTestId("search-input").fill("cantine");
      const found = dialog.getByTestId("search-result").filter({
        hasText: "@bob",
      });
      await found.locator("mark", { hasText: "cantine" }).waitFor();
      const dmFlash = await noteFlash(page, dm.message.seq, "cantine");
      await found.click();
      await currentConversation(page, "bob");
      await dmFlash.waitFor();
    } finally {
      await bot.close();
    }
  },
  { rateLimits: NO_RATE_LIMITS },
);

browserTest(
  "web client search reads on by itself past pages the server's work budget left empty: filters alone find the older messages without a click",
  async (browser, server) => {
    // A real store with a small work budget (16 list entries a page: 4
    // messages read by filters alone), under the real rate limits: 23
    // messages take 6 pages, more than the 4 the dialog once read.
    const store = server.node.store;
    const search = store.search.bind(store);
    store.search = (query) => search({ ...query, budget: 16 });
    const bot = await TestClient.login(server.wsUrl, "bob");
    try {
      for (let i = 1; i <= 3; i++) {
        await bot.ok("send_message", { text: `spec ${i} https://example.com` });
      }
      await fill(bot, 20, "plain words");
      const page = await openPage(browser, server);
      await register(page, "alice");
      await page.keyboard.press("Control+Shift+F");
      const dialog = page.getByTestId("search-dialog");
      await page.getByTestId("search-input").fill("has:link");
      await dialog.getByTestId("search-status").filter({ hasText: "3 results" })
        .waitFor();
      assert.deepEqual(
        await dialog.getByTestId("search-result").locator(".result-text")
          .allTextContents(),
        [3, 2, 1].map((i) => `spec ${i} https://example.com`),
      );
      await dialog.getByTestId("search-more").waitFor({ state: "detached" });
    } finally {
      await bot.close();
    }
  },
);

browserTest(
  "web client search box emptied while a search is still reading shows the hint again, not Searching… for ever",
  async (browser, server) => {
    // The store holds the search until the box is emptied.
    const store = server.node.store;
    const search = store.search.bind(store);
    let reached!: () => void;
    const asked = new Promise<void>((resolve) => reached = resolve);
    let open!: () => void;
    const gate = new Promise<void>((resolve) => open = resolve);
    store.search = async (query) => {
      reached();
      await gate;
      return await search(query);
    };
    try {
      const page = await openPage(browser, server);
      await register(page, "alice");
      await page.keyboard.press("Control+Shift+F");
      const dialog = page.getByTestId("search-dialog");
      const input = page.getByTestId("search-input");
      await input.fill("has:link");
      await input.press("Enter");
      await asked;
      await input.fill("");
      await input.press("Enter");
      open();
      await dialog.getByTestId("search-status").filter({
        hasText: "Every word must be in the message",
      }).waitFor();
      await dialog.getByTestId("search-tips").waitFor();
    } finally {
      open();
    }
  },
);

browserTest(
  "web client search says how far back it found nothing when its own reading stops, and Search older walks on until the older results, in English and in French",
  async (browser, server) => {
    // A real store with a small work budget (16 list entries a page, not
    // 16,384): short pages without a store of 16,000 messages.
    const store = server.node.store;
    const search = store.search.bind(store);
    store.search = (query) => search({ ...query, budget: 16 });
    const bot = await TestClient.login(server.wsUrl, "bob");
    try {
      // "apple" and "pear" together in the three oldest only, each alone in
      // the 400 newest: a page reads about 16 of those, the dialog's own
      // reading 8 pages.
      await fill(bot, 3, "apple pear deep");
      for (let i = 1; i <= 400; i++) {
        await bot.ok("send_message", {
          text: `${i % 2 ? "apple" : "pear"} ${i}`,
        });
      }
      const page = await openPage(browser, server);
      await register(page, "alice");
      await confirmedFrom(page, "bob", "pear 400").waitFor();

      await page.keyboard.press("Control+Shift+F");
      const dialog = page.getByTestId("search-dialog");
      await page.getByTestId("search-input").fill("apple pear");
      const status = dialog.getByTestId("search-status");
      // The page's own reading stops (8 pages): the status names the time
      // it read back to, the button offers older messages.
      await status.filter({ hasText: /^No message found since .+\.$/ })
        .waitFor();
      const more = dialog.getByTestId("search-more");
      await more.filter({ hasText: "Search older messages…" }).waitFor();
      const done = status.filter({ hasText: "3 results" });
      for (let click = 0; !await done.isVisible(); click++) {
        assert.ok(click < 30, "More results reaches the oldest");
        await more.click();
        // Each click asks for a few pages: the button is enabled again once
        // they are in, or gone at the end.
        await dialog.locator('[data-testid="search-more"]:enabled').or(done)
          .waitFor();
      }
      assert.deepEqual(
        await dialog.getByTestId("search-result").allTextContents().then((
          texts,
        ) => texts.map((text) => text.match(/deep \d/)?.[0])),
        ["deep 3", "deep 2", "deep 1"],
      );
      await more.waitFor({ state: "detached" });

      const french = await openPage(browser, server, { locale: "fr-FR" });
      await register(french, "chloe");
      await french.keyboard.press("Control+Shift+F");
      const dialogue = french.getByTestId("search-dialog");
      await french.getByTestId("search-input").fill("apple pear");
      await dialogue.getByTestId("search-status").filter({
        hasText: /^Aucun message trouvé depuis le .+\.$/,
      }).waitFor();
      await dialogue.getByTestId("search-more").filter({
        hasText: "Chercher dans les plus anciens…",
      }).waitFor();
    } finally {
      await bot.close();
    }
  },
  { rateLimits: NO_RATE_LIMITS },
);

browserTest(
  "web client: a link to a message of a public room the reader is not in shows the room's name, topic, member count and the message with a Join button, and joins only when asked",
  async (browser, server) => {
    const bot = await TestClient.register(server.wsUrl, "bob");
    try {
      await bot.ok("create_room", { room: "plans" });
      await bot.ok("set_topic", { room: "plans", topic: "Where we go" });
      const sent = await bot.ok("send_message", {
        room: "plans",
        text: "the roadmap, for all",
      }) as { message: { seq: number } };
      const page = await openPage(browser, server);
      await register(page, "carol");
      await page.evaluate(
        (seq) => location.hash = `#/room/plans/${seq}`,
        sent.message.seq,
      );
      const dialog = page.getByTestId("link-preview");
      await dialog.getByRole("heading", { name: "#plans" }).waitFor();
      assert.equal(
        await dialog.getByTestId("link-preview-topic").innerText(),
        "Where we go",
      );
      assert.equal(
        await dialog.getByTestId("link-preview-members").innerText(),
        "1 member",
      );
      assert.equal(
        await dialog.getByTestId("link-preview-message").innerText(),
        "bob the roadmap, for all",
      );
      // Looked at, not joined: the room's members are as they were.
      const members = async () =>
        (await bot.ok("list_members", { room: "plans" })).members as string[];
      assert.deepEqual(await members(), ["bob"]);

      await dialog.getByTestId("link-preview-join").click();
      await dialog.waitFor({ state: "detached" });
      await page.waitForFunction(
        (seq) => document.activeElement?.getAttribute("data-seq") === seq,
        String(sent.message.seq),
      );
      assert.deepEqual((await members()).sort(), ["bob", "carol"]);
    } finally {
      await bot.close();
    }
  },
  { rateLimits: NO_RATE_LIMITS },
);

browserTest(
  "web client copies a link to a message, and the link opens the room at that message for another reader, however far back",
  async (browser, server) => {
    const bot = await TestClient.register(server.wsUrl, "bob");
    try {
      const original = await bot.ok("send_message", {
        text: "the plan, to link to",
      }) as { message: { seq: number } };
      const page = await openPage(browser, server);
      await page.context().grantPermissions(
        ["clipboard-read", "clipboard-write"],
        { origin: server.url },
      );
      await register(page, "alice");
      const row = confirmedFrom(page, "bob", "the plan, to link to");
      await row.hover();
      const copy = row.getByTestId("message-copy-link");
      const link = `${server.url}/#/room/general/${original.message.seq}`;
      assert.equal(await copy.getAttribute("href"), link);
      await copy.click();
      await row.locator(
        '[data-testid="message-copy-link"]' +
          '[aria-label="Link copied"]',
      ).waitFor();
      assert.equal(
        await page.evaluate(() => navigator.clipboard.readText()),
        link,
      );

      // Far back for a reader who opens the link: loaded, shown, lit.
      await fill(bot, FILLER);
      const reader = await openPage(browser, server);
      await register(reader, "carol");
      await confirmedFrom(reader, "bob", `filler ${FILLER}`).waitFor();
      assert.equal(
        await reader.locator(
          `[data-testid="message"][data-seq="${original.message.seq}"]`,
        ).count(),
        0,
      );
      // Opened in a new tab: the page logs in with its session first.
      const tab = await reader.context().newPage();
      tab.setDefaultTimeout(STEP_TIMEOUT);
      await tab.goto(link);
      await tab.waitForFunction(
        (seq) => document.activeElement?.getAttribute("data-seq") === seq,
        String(original.message.seq),
      );
      assert.ok(await onScreen(tab, original.message.seq));
      assert.equal(new URL(tab.url()).hash, "", "followed once");
      await tab.close();

      // A link in a message opens its message in the same tab.
      await bot.ok("send_message", { text: `see ${link}` });
      const cited = confirmedFrom(reader, "bob", "see ");
      const anchor = cited.getByTestId("message-text").locator("a");
      assert.equal(await anchor.getAttribute("target"), null);
      const again = await noteFlash(reader, original.message.seq);
      await anchor.click();
      await again.waitFor();
      assert.equal(reader.context().pages().length, 1);
    } finally {
      await bot.close();
    }
  },
  { rateLimits: NO_RATE_LIMITS },
);

browserTest(
  "web client's link to a conversation's message opens it for either party, and says so to anyone else",
  async (browser, server) => {
    const bot = await TestClient.register(server.wsUrl, "bob");
    try {
      const alice = await openPage(browser, server);
      await register(alice, "alice");
      const sent = await bot.ok("private_message", {
        to: "alice",
        text: "just between us",
      }) as { message: { seq: number } };
      const link = `${server.url}/#/dm/bob/alice/${sent.message.seq}`;
      const flash = await noteFlash(alice, sent.message.seq, "just between us");
      await alice.goto(link);
      await currentConversation(alice, "bob");
      await flash.waitFor();
      const row = confirmedFrom(alice, "bob", "just between us");
      await row.hover();
      assert.equal(
        await row.getByTestId("message-copy-link").getAttribute("href"),
        link,
      );

      const carol = await openPage(browser, server);
      await register(carol, "carol");
      await carol.goto(link);
      await carol.getByTestId("error-line").filter({
        hasText: "This link is to a conversation between two other people.",
      }).waitFor();
    } finally {
      await bot.close();
    }
  },
);
