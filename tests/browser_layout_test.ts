/**
 * The web client's layout in a real browser: a phone-sized screen with its
 * drawers, scrolling up through a long history, the light theme and the
 * French interface. Needs /usr/bin/chromium; without it the tests are
 * reported as ignored.
 */

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import type { Locator, Page } from "playwright-core";
import {
  artifact,
  browserTest,
  confirmedFrom,
  currentConversation,
  currentRoom,
  guest,
  openPage,
  openPanel,
  register,
  send,
  signIn,
  submitPassword,
  transitionsDone,
} from "./browser_support.ts";
import { accountWithToken, call } from "./api_helpers.ts";
import { TestClient } from "./harness.ts";

const PHONE = { width: 390, height: 844 };

browserTest(
  "web client on a phone opens the room drawer and the member panel",
  async (browser, server) => {
    const bot = await TestClient.login(server.wsUrl, "mia");
    try {
      await bot.ok("create_room", { room: "design" });
      await bot.ok("send_message", { text: "new mockups are up, **v2**" });
      await bot.ok("join_room", { room: "general" });

      const page = await openPage(browser, server, { viewport: PHONE });
      await guest(page, "noah");
      const sidebar = page.locator("#sidebar");
      assert.equal(await sidebar.isVisible(), false, "the drawer starts shut");
      assert.equal(await page.getByTestId("member-list").isVisible(), false);
      await send(page, "hi from my phone");
      await confirmedFrom(page, "noah", "hi from my phone").waitFor();
      await page.screenshot({ path: artifact("mobile_chat.png") });

      await page.getByTestId("drawer-toggle").click();
      await sidebar.waitFor({ state: "visible" });
      await transitionsDone(page);
      await page.screenshot({ path: artifact("mobile_drawer.png") });
      await page.locator('[data-testid="room-item"][data-room="design"]')
        .click();
      await currentRoom(page, "design");
      await sidebar.waitFor({ state: "hidden" });
      await confirmedFrom(page, "mia", "new mockups").locator("strong")
        .waitFor();

      // Esc closes the drawer too.
      await page.getByTestId("drawer-toggle").click();
      await sidebar.waitFor({ state: "visible" });
      await page.keyboard.press("Escape");
      await sidebar.waitFor({ state: "hidden" });

      // The member list hides behind a button.
      await page.getByTestId("members-toggle").click();
      const members = page.getByTestId("member-list");
      await members.waitFor({ state: "visible" });
      await members.locator('[data-testid="member"][data-user="noah"]')
        .waitFor();
      // The panel slides in: shot once it is in, however slow the machine.
      await transitionsDone(page);
      await page.screenshot({ path: artifact("mobile_members.png") });
      await page.keyboard.press("Escape");
      await members.waitFor({ state: "hidden" });
    } finally {
      await bot.close();
    }
  },
);

browserTest(
  "web client on a phone shows one message's actions at a time: a tap on another message moves them there, a room change hides them",
  async (browser, server) => {
    const bot = await TestClient.login(server.wsUrl, "mia");
    try {
      await bot.ok("send_message", { text: "first of two" });
      await bot.ok("send_message", { text: "second of two" });
      await bot.ok("create_room", { room: "design" });
      const page = await openPage(browser, server, { viewport: PHONE });
      await guest(page, "noah");
      const first = confirmedFrom(page, "mia", "first of two");
      const second = confirmedFrom(page, "mia", "second of two");
      const shown = page.locator(".msg-actions:visible");
      await first.getByTestId("message-text").tap();
      await first.getByTestId("message-react").waitFor({ state: "visible" });
      // Before, each row kept its own tap: the first message's bar stayed
      // over its name and time, a second bar opened on the next message.
      await second.getByTestId("message-text").tap();
      await second.getByTestId("message-react").waitFor({ state: "visible" });
      await first.getByTestId("message-react").waitFor({ state: "hidden" });
      assert.equal(await shown.count(), 1, "one message's actions at a time");
      await page.screenshot({ path: artifact("mobile_tapped.png") });

      // A room left and come back to shows none.
      await send(page, "/join design");
      await currentRoom(page, "design");
      await send(page, "/join general");
      await currentRoom(page, "general");
      await second.waitFor();
      assert.equal(await shown.count(), 0, "actions shown after a room change");
    } finally {
      await bot.close();
    }
  },
);

browserTest(
  "web client on a 375 px phone: a tapped message's actions do not cover its time",
  async (browser, server) => {
    const page = await openPage(browser, server, {
      viewport: { width: 375, height: 740 },
    });
    // The first account is the admin: its own message has every action
    // (react, reply, pin, edit, save, delete), the widest bar.
    await register(page, "isabella");
    await send(page, "the bar must leave my time readable");
    const row = confirmedFrom(page, "isabella", "leave my time readable");
    await row.getByTestId("message-text").tap();
    const bar = row.locator(".msg-actions");
    await bar.getByTestId("message-delete").waitFor({ state: "visible" });
    await transitionsDone(page);
    const time = await row.locator(".msg-time").boundingBox();
    const actions = await bar.boundingBox();
    assert.ok(time && actions, "the time and the bar have boxes");
    await page.screenshot({ path: artifact("phone_tapped_time.png") });
    // Before, the bar sat over the top of the row, its name and time.
    const apart = time.x + time.width <= actions.x ||
      actions.x + actions.width <= time.x ||
      time.y + time.height <= actions.y ||
      actions.y + actions.height <= time.y;
    assert.ok(
      apart,
      `the bar ${JSON.stringify(actions)} covers the time ${
        JSON.stringify(time)
      }`,
    );
  },
);

browserTest(
  "web client scrolled back: a message handled between a scroll and its scroll event leaves the view where the scroll put it",
  async (browser, server) => {
    const bot = await TestClient.login(server.wsUrl, "archivist");
    try {
      // Four lines each: the first page is well over 1,000 px.
      for (let i = 1; i <= 60; i++) {
        await bot.ok("send_message", {
          text: `history line ${i}\nsecond\nthird\nfourth`,
        });
      }
      const page = await openPage(browser, server, {
        viewport: { width: 1280, height: 600 },
      });
      // Frames the page receives can be held, then handled at once at a
      // chosen point of a script: the socket's message handler runs
      // through this wrapper.
      await page.addInitScript(() => {
        const held: (() => void)[] = [];
        const hold = globalThis as unknown as {
          holdFrames: boolean;
          heldFrames(): number;
          releaseFrames(): void;
        };
        hold.holdFrames = false;
        hold.heldFrames = () => held.length;
        hold.releaseFrames = () => {
          hold.holdFrames = false;
          for (const handle of held.splice(0)) handle();
        };
        const own = Object.getOwnPropertyDescriptor(
          WebSocket.prototype,
          "onmessage",
        )!;
        Object.defineProperty(WebSocket.prototype, "onmessage", {
          configurable: true,
          get() {
            return own.get!.call(this);
          },
          set(handler: ((event: MessageEvent) => void) | null) {
            own.set!.call(
              this,
              handler && ((event: MessageEvent) => {
                if (hold.holdFrames) held.push(() => handler.call(this, event));
                else handler.call(this, event);
              }),
            );
          },
        });
      });
      await guest(page, "olga");
      const list = page.getByTestId("message-list");
      await seq(page, 60).waitFor();
      const frames = () =>
        page.evaluate(() =>
          new Promise((done) =>
            requestAnimationFrame(() => requestAnimationFrame(done))
          )
        );
      // Scrolled back 600 px from the bottom, its scroll event handled
      // (the list measured its anchor row there).
      const at = await list.evaluate((el) =>
        el.scrollTop = el.scrollHeight - el.clientHeight - 600
      );
      await frames();
      assert.ok(at > 1000, `room to scroll up (${at})`);

      await page.evaluate(() =>
        (globalThis as unknown as { holdFrames: boolean }).holdFrames = true
      );
      await bot.ok("send_message", { text: "news while reading back" });
      await page.waitForFunction(() =>
        (globalThis as unknown as { heldFrames(): number }).heldFrames() > 0
      );
      // A jump up, then the message handled (and rendered, in the same
      // task's microtasks) before the jump's scroll event.
      await list.evaluate((el, to) => {
        el.scrollTop = to;
        (globalThis as unknown as { releaseFrames(): void }).releaseFrames();
      }, at - 300);
      await page.getByTestId("message").filter({
        hasText: "news while reading back",
      }).waitFor({ state: "attached" });
      await frames();
      // Before fad99fc, the row measured before the jump went back where
      // it was: the view jumped back down the 300 px.
      const now = await list.evaluate((el) => el.scrollTop);
      assert.ok(
        Math.abs(now - (at - 300)) <= 2,
        `the view is at ${now}, not where the scroll put it (${at - 300})`,
      );
    } finally {
      await bot.close();
    }
  },
);

browserTest(
  "web client loads older messages when scrolled to the top, keeping its place",
  async (browser, server) => {
    const bot = await TestClient.login(server.wsUrl, "archivist");
    try {
      for (let i = 1; i <= 120; i++) {
        await bot.ok("send_message", { text: `history line ${i}` });
      }
      const page = await openPage(browser, server);
      await guest(page, "olga");
      const list = page.getByTestId("message-list");
      await seq(page, 120).waitFor();
      assert.equal(await seq(page, 1).count(), 0, "only the newest page first");

      // Scrolled to the top, the page before comes in above; the message
      // that was at the top stays in sight.
      const oldest = await firstSeq(page);
      await list.evaluate((el) => el.scrollTop = 0);
      await seq(page, oldest - 1).waitFor({ state: "attached" });
      const kept = await seq(page, oldest).boundingBox();
      const view = await list.boundingBox();
      assert.ok(kept && view, "rows have boxes");
      assert.ok(
        kept.y >= view.y - 40 && kept.y <= view.y + view.height,
        `the row at the top moved out of sight (${kept.y} vs ${view.y})`,
      );

      await scrollToOldest(page, list);
      await seq(page, 1).waitFor({ state: "attached" });
      await page.getByText("Welcome to #general").waitFor();
      assert.equal(await page.getByTestId("message").count(), 120);

      // Far from the bottom, a button goes back down; a new message says so.
      await bot.ok("send_message", { text: "fresh news below" });
      const jump = page.getByTestId("jump-latest");
      await jump.filter({ hasText: "1 new message" }).waitFor();
      await page.screenshot({ path: artifact("layout_history.png") });
      await jump.click();
      await jump.waitFor({ state: "detached" });
      // (Its text is also in the live region that reads new messages out.)
      await page.getByTestId("message").filter({ hasText: "fresh news below" })
        .waitFor();

      // A private conversation pages back the same way.
      for (let i = 1; i <= 70; i++) {
        await bot.ok("private_message", { to: "olga", text: `psst ${i}` });
      }
      await page.locator('[data-testid="dm-item"][data-user="archivist"]')
        .click();
      await currentConversation(page, "archivist");
      await page.getByText("psst 70").waitFor();
      await scrollToOldest(page, list);
      await page.getByText("psst 1", { exact: true }).waitFor({
        state: "attached",
      });
      assert.equal(await page.getByTestId("message").count(), 70);
    } finally {
      await bot.close();
    }
  },
);

browserTest(
  "web client keeps the newest message in sight when the composer grows under it",
  async (browser, server) => {
    const bot = await TestClient.login(server.wsUrl, "archivist");
    try {
      for (let i = 1; i <= 40; i++) {
        await bot.ok("send_message", { text: `status line ${i}` });
      }
      const page = await openPage(browser, server);
      await register(page, "ines");
      await seq(page, 40).waitFor();
      await newestInSight(page);
      const list = page.getByTestId("message-list");
      const full = await list.evaluate((el) => el.clientHeight);

      // Each of these takes height from the list, with no scroll: a reader
      // at the bottom must still see the newest message, not its top half.
      const composer = page.getByTestId("composer");
      await composer.fill("first point\nsecond point\nthird point");
      await shrunkBelow(page, full);
      await newestInSight(page);
      await composer.fill("");

      await seq(page, 40).hover();
      await seq(page, 40).getByTestId("message-reply").click();
      await page.getByTestId("reply-bar").waitFor();
      await shrunkBelow(page, full);
      await newestInSight(page);
      await page.getByTestId("reply-cancel").click();
      await page.getByTestId("reply-bar").waitFor({ state: "detached" });

      await page.getByTestId("file-input").setInputFiles({
        name: "chart.png",
        mimeType: "image/png",
        buffer: await picture(page),
      });
      await page.getByTestId("upload").waitFor();
      await shrunkBelow(page, full);
      await newestInSight(page);
    } finally {
      await bot.close();
    }
  },
);

browserTest(
  "web client in the light theme and in French",
  async (browser, server) => {
    const paul = await openPage(browser, server, { colorScheme: "light" });
    const rosa = await openPage(browser, server, {
      colorScheme: "light",
      locale: "fr-FR",
    });
    await register(paul, "paul");
    await rosa.goto("/");
    // The browser's language picks French on the login screen already.
    await rosa.getByTestId("login-submit").filter({
      hasText: "Entrer en invité",
    }).waitFor();
    await rosa.getByTestId("login-tab-register").click();
    await rosa.getByTestId("login-username").fill("rosa");
    await rosa.getByTestId("login-password").fill("correct horse battery");
    await submitPassword(rosa, () => rosa.getByTestId("login-submit").click());
    await currentRoom(rosa, "general");
    await rosa.getByPlaceholder("Écrire dans #general").waitFor();

    await send(paul, "Bonjour Rosa! the *slides* are ready: `deck-v3.pdf`");
    await paul.getByTestId("file-input").setInputFiles({
      name: "chart.png",
      mimeType: "image/png",
      buffer: await picture(paul),
    });
    await paul.locator('[data-testid="upload"][data-status="done"]')
      .waitFor();
    await send(paul, "and the chart @rosa");
    await confirmedFrom(rosa, "paul", "and the chart").getByTestId(
      "attachment-image",
    ).waitFor();
    await send(rosa, "Merci, je regarde ça tout de suite 👍");
    await confirmedFrom(paul, "rosa", "Merci").waitFor();

    // A private conversation, in both themes' screenshots.
    await paul.locator('[data-testid="member"][data-user="rosa"]').click();
    await currentConversation(paul, "rosa");
    await send(paul, "can we go over the **numbers** before the call?");
    await rosa.locator('[data-testid="dm-item"][data-user="paul"]')
      .getByTestId("dm-unread").waitFor();
    await settle(rosa);
    await rosa.screenshot({ path: artifact("light_french_chat.png") });
    await rosa.locator('[data-testid="dm-item"][data-user="paul"]').click();
    await currentConversation(rosa, "paul");
    await send(rosa, "oui, à 14h ?");
    await confirmedFrom(paul, "rosa", "14h").waitFor();
    await settle(paul);
    await paul.screenshot({ path: artifact("light_dm.png") });

    // A menu takes focus when it opens; Escape closes it and gives focus
    // back to its button; so does a click anywhere outside it.
    const roomMenu = rosa.getByTestId("room-menu");
    const mute = rosa.getByTestId("notify-all");
    await roomMenu.click();
    await rosa.waitForFunction(() =>
      document.activeElement?.getAttribute("data-testid") === "notify-all"
    );
    await rosa.keyboard.press("Escape");
    await mute.waitFor({ state: "detached" });
    await rosa.waitForFunction(() =>
      document.activeElement?.getAttribute("data-testid") === "room-menu"
    );
    await roomMenu.click();
    await mute.waitFor();
    await rosa.getByTestId("composer").click();
    await mute.waitFor({ state: "detached" });

    // The switcher in the user menu changes the language, and it stays.
    await rosa.getByTestId("settings").click();
    await rosa.getByTestId("lang-en").click();
    await rosa.getByPlaceholder("Message @paul").waitFor();
    await rosa.reload();
    await currentRoom(rosa, "general");
    await rosa.getByPlaceholder("Message #general").waitFor();

    const phone = await openPage(browser, server, {
      viewport: PHONE,
      colorScheme: "light",
    });
    await guest(phone, "sam");
    await phone.getByTestId("drawer-toggle").click();
    await phone.locator("#sidebar").waitFor({ state: "visible" });
    await transitionsDone(phone);
    await phone.screenshot({ path: artifact("mobile_light_drawer.png") });
    // Escape in the user menu closes the menu, not the drawer it sits in.
    await phone.getByTestId("settings").click();
    await phone.getByTestId("lang-en").waitFor();
    await phone.keyboard.press("Escape");
    await phone.getByTestId("lang-en").waitFor({ state: "detached" });
    // A drawer the Escape closed would have slid away by then.
    await transitionsDone(phone);
    assert.ok(
      await phone.locator("#sidebar").isVisible(),
      "Escape in the menu closed the drawer",
    );
    await phone.keyboard.press("Escape");
    await confirmedFrom(phone, "paul", "and the chart").getByTestId(
      "attachment-image",
    ).waitFor();
    await settle(phone);
    await phone.screenshot({ path: artifact("mobile_light_chat.png") });
  },
);

/** Waits until the newest message's bottom edge is inside the list's view. */
async function newestInSight(page: Page): Promise<void> {
  await page.waitForFunction(() => {
    const list = document.querySelector('[data-testid="message-list"]');
    const rows = document.querySelectorAll('[data-testid="message"]');
    const newest = rows[rows.length - 1];
    if (!list || !newest) return false;
    return newest.getBoundingClientRect().bottom <=
      list.getBoundingClientRect().bottom + 1;
  });
}

/** Waits until the list's view is shorter than `height` px (something took its room). */
async function shrunkBelow(page: Page, height: number): Promise<void> {
  await page.waitForFunction(
    (h) =>
      document.querySelector('[data-testid="message-list"]')!.clientHeight <
        h,
    height,
  );
}

/** The row of the message with this seq. */
function seq(page: Page, n: number) {
  return page.locator(`[data-testid="message"][data-seq="${n}"]`);
}

/** The lowest seq on the page. */
async function firstSeq(page: Page): Promise<number> {
  return await page.locator('[data-testid="message"][data-seq]').first()
    .evaluate((el) => Number((el as HTMLElement).dataset.seq));
}

/**
 * Scrolls to the top until the first message has come in: each scroll
 * loads one older page, as fast as the machine answers.
 */
async function scrollToOldest(page: Page, list: Locator): Promise<void> {
  const deadline = Date.now() + 60_000;
  while ((await seq(page, 1).count()) === 0 && Date.now() < deadline) {
    await list.evaluate((el) => el.scrollTop = 0);
    await page.waitForTimeout(300);
  }
}

/** Lets images load and the list's transitions end before a screenshot. */
async function settle(page: Page): Promise<void> {
  await page.waitForFunction(() =>
    [...document.images].every((img) => img.complete)
  );
  await transitionsDone(page);
}

/** A small chart drawn in the page, as PNG bytes. */
async function picture(page: Page): Promise<Buffer> {
  const dataUrl = await page.evaluate(() => {
    const canvas = document.createElement("canvas");
    canvas.width = 480;
    canvas.height = 300;
    const g = canvas.getContext("2d")!;
    g.fillStyle = "#f7f8fa";
    g.fillRect(0, 0, 480, 300);
    const bars = [120, 180, 90, 220, 160];
    bars.forEach((h, i) => {
      g.fillStyle = i === 3 ? "#5865f2" : "#a5adf7";
      g.fillRect(40 + i * 85, 260 - h, 55, h);
    });
    g.fillStyle = "#1e1f22";
    g.font = "bold 26px sans-serif";
    g.fillText("Weekly active users", 30, 40);
    return canvas.toDataURL("image/png");
  });
  return Buffer.from(dataUrl.split(",")[1], "base64");
}

browserTest(
  "web client: a moderator's name stays readable beside its badge in French",
  async (browser, server) => {
    // The first account is the admin, who names lea moderator.
    const root = await TestClient.register(server.wsUrl, "root");
    try {
      const lea = await openPage(browser, server, { locale: "fr-FR" });
      await register(lea, "lea");
      await root.ok("set_role", { user: "lea", role: "moderator" });
      const footer = lea.getByTestId("me");
      await footer.locator(".role-badge.moderator").waitFor();
      await transitionsDone(lea);
      // "MODÉRATEUR" is twice "MODERATOR"'s width in the footer: before, it
      // never gave way and "lea" was cut down to "l…".
      const name = footer.getByTestId("me-name");
      // Its box as wide as its text: any less, even a fraction of a pixel,
      // and the browser draws an ellipsis.
      const cut = await name.evaluate((el) => {
        const text = document.createRange();
        text.selectNodeContents(el);
        return el.getBoundingClientRect().width <
          text.getBoundingClientRect().width;
      });
      assert.equal(cut, false, "the name is cut short");
      await lea.screenshot({ path: artifact("french_moderator_footer.png") });
    } finally {
      await root.close();
    }
  },
);

browserTest(
  "web client: the sign-in card fits a phone's width in French and in English",
  async (browser, server) => {
    for (const width of [320, 390]) {
      for (const locale of ["fr-FR", "en-US"]) {
        const page = await openPage(browser, server, {
          viewport: { width, height: 740 },
          locale,
        });
        await page.goto("/");
        await page.getByTestId("login-tab-register").waitFor();
        // "Invité · Se connecter · Créer un compte" never wrapped: at 390 px
        // the tabs made the card 22 px wider than the screen, its right
        // edge and the username field's cut off.
        // Against the screen's width, not innerWidth: a phone's browser
        // widens its layout to the content that overflows.
        const box = await page.locator(".login-card").evaluate((el) => {
          const card = el.getBoundingClientRect();
          return {
            left: card.left,
            right: card.right,
            page: document.documentElement.scrollWidth,
          };
        });
        assert.ok(
          box.left >= 0 && box.right <= width && box.page <= width,
          `${locale} at ${width} px: the card spans ${box.left}..${box.right} px, the page ${box.page} px`,
        );
        if (locale === "fr-FR") {
          await page.screenshot({
            path: artifact(`phone_french_login_${width}.png`),
          });
        }
        await page.context().close();
      }
    }
  },
);

browserTest(
  "web client: notices already shown, and the hint for a conversation, change language with the interface",
  async (browser, server) => {
    // The first account is the admin: mia may pin.
    const mia = await TestClient.register(server.wsUrl, "mia");
    const page = await openPage(browser, server);
    try {
      await register(page, "bob");
      const pinned = await mia.ok("send_message", { text: "the plan" }) as {
        message: { id: string };
      };
      await confirmedFrom(page, "mia", "the plan").waitFor();
      await mia.ok("pin", { id: pinned.message.id });
      const lines = page.getByTestId("system-line");
      await lines.filter({ hasText: "mia pinned their own message" })
        .waitFor();

      await page.getByTestId("settings").click();
      await page.getByTestId("lang-fr").click();
      await page.getByPlaceholder("Écrire dans #general").waitFor();
      // Before, the lines kept the words of their arrival: a French
      // interface with English notices until the page was reloaded.
      await lines.filter({ hasText: "mia a épinglé son propre message" })
        .waitFor();
      assert.equal(await lines.filter({ hasText: "pinned" }).count(), 0);
      // So does the hint for starting a conversation ("/msg name text").
      await page.locator(".sidebar kbd", { hasText: "/msg nom texte" })
        .waitFor();
      await page.screenshot({ path: artifact("notices_in_french.png") });
    } finally {
      await mia.close();
    }
  },
);

browserTest(
  "web client in French: a hook's post under the pinner's name, pinned, reads as a message by them, not as their own",
  async (browser, server) => {
    // The first account is the admin: mia may make a hook and pin.
    const mia = await accountWithToken(server, "mia");
    const hook = await call(server, "POST", "/api/rooms/general/hooks", {
      token: mia.token,
      body: { name: "alerts" },
    });
    const admin = await TestClient.loginWith(server.wsUrl, {
      token: mia.token,
    });
    try {
      const page = await openPage(browser, server, { locale: "fr-FR" });
      await register(page, "bob");
      const posted = await call(
        server,
        "POST",
        new URL(hook.body.url).pathname,
        {
          body: { username: "mia", text: "déploiement à midi" },
        },
      );
      await confirmedFrom(page, "mia", "déploiement à midi").waitFor();
      await admin.ok("pin", { id: posted.body.message.id });
      // Before, the client compared the names and said "son propre
      // message"; the server's notice (no `own`) says whose it is.
      const lines = page.getByTestId("system-line");
      await lines.filter({ hasText: "mia a épinglé un message de mia" })
        .waitFor();
      assert.equal(await lines.filter({ hasText: "son propre" }).count(), 0);
    } finally {
      await admin.close();
    }
  },
);

browserTest(
  "web client: lines the client wrote itself, command results and refusals, change language with the interface too",
  async (browser, server) => {
    const page = await openPage(browser, server);
    await register(page, "bob");
    const lines = page.getByTestId("system-line");
    const errors = page.getByTestId("error-line");
    await send(page, "/rooms");
    await lines.filter({ hasText: "Rooms: general (1)" }).waitFor();
    await send(page, "/nope");
    await errors.filter({ hasText: "Unknown command /nope." }).waitFor();
    // A refusal the server wrote in English (bob, the first account, is
    // the admin: nobody is not there to kick).
    await send(page, "/kick nobody");
    await errors.filter({ hasText: "Nobody is called 'nobody'." }).waitFor();

    await page.getByTestId("settings").click();
    await page.getByTestId("lang-fr").click();
    await page.getByPlaceholder("Écrire dans #general").waitFor();
    // Before, they kept the words they were written in.
    await lines.filter({ hasText: "Salons : general (1)" }).waitFor();
    await errors.filter({ hasText: "Commande inconnue /nope." }).waitFor();
    await errors.filter({ hasText: "Personne de ce nom ici." }).waitFor();
    assert.equal(await errors.filter({ hasText: /Unknown|Nobody/ }).count(), 0);
    await page.screenshot({ path: artifact("own_lines_in_french.png") });
  },
);

browserTest(
  "web client: the number beside a room reads as people online, a person and no pill, not as an unread count, in English and French",
  async (browser, server) => {
    const mia = await TestClient.login(server.wsUrl, "mia");
    try {
      await mia.ok("create_room", { room: "design" });
      await mia.ok("join_room", { room: "general" });
      for (
        const [viewport, colorScheme] of [
          [{ width: 375, height: 740 }, "light"],
          [{ width: 1280, height: 800 }, "dark"],
        ] as const
      ) {
        const page = await openPage(browser, server, { viewport, colorScheme });
        const sidebar = page.locator("#sidebar");
        // On a phone the rooms are in the drawer.
        const rooms = async () => {
          // A drawer closing is still visible: wait until it is shut.
          await transitionsDone(page);
          if (await sidebar.isVisible()) return;
          await page.getByTestId("drawer-toggle").click();
          await sidebar.waitFor({ state: "visible" });
          await transitionsDone(page);
        };
        // An account, a member of both rooms: an unread count beside it.
        await register(page, `ann${viewport.width}`);
        await send(page, "/join design");
        await currentRoom(page, "design");
        await rooms();
        await page.locator('[data-testid="room-item"][data-room="general"]')
          .click();
        await currentRoom(page, "general");
        await mia.ok("join_room", { room: "design" });
        await mia.ok("send_message", { text: "mockups v3" });
        await mia.ok("join_room", { room: "general" });
        await rooms();
        const design = page.locator(
          '[data-testid="room-item"][data-room="design"]',
        );
        await design.getByTestId("room-unread").waitFor();
        const count = page.locator(
          '[data-testid="room-item"][data-room="general"] [data-testid="room-count"]',
        );
        await count.filter({ hasText: /^2$/ }).waitFor();
        // Before, a grey pill with no title: an unread count to a newcomer.
        assert.equal(await count.getAttribute("title"), "2 online");
        assert.equal(await count.locator("svg").count(), 1);
        const look = await count.evaluate((el) => {
          const style = getComputedStyle(el);
          return {
            background: style.backgroundColor,
            radius: style.borderRadius,
          };
        });
        assert.deepEqual(look, {
          background: "rgba(0, 0, 0, 0)",
          radius: "0px",
        });
        await page.screenshot({
          path: artifact(`room_online_${viewport.width}_${colorScheme}.png`),
        });

        await page.getByTestId("settings").click();
        await page.getByTestId("lang-fr").click();
        await rooms();
        await count.and(page.locator('[title="2 en ligne"]')).waitFor();
        await page.screenshot({
          path: artifact(`room_online_${viewport.width}_${colorScheme}_fr.png`),
        });
        await page.context().close();
      }
    } finally {
      await mia.close();
    }
  },
);

browserTest(
  "web client: /msg to a name nobody has leaves no conversation in the sidebar and gives the words back, in English and French",
  async (browser, server) => {
    const page = await openPage(browser, server);
    await register(page, "bob");
    await send(page, "/msg nobody hello?");
    const errors = page.getByTestId("error-line");
    await errors.filter({
      hasText: "No one here is called nobody: the message was not sent.",
    }).waitFor();
    // Back in the room it was typed in, with the words to correct.
    await currentRoom(page, "general");
    const composer = page.getByTestId("composer");
    assert.equal(await composer.inputValue(), "/msg nobody hello?");
    // Before, "nobody" stayed in the sidebar, open on a failed message.
    assert.equal(await page.getByTestId("dm-item").count(), 0);
    assert.equal(await page.getByTestId("message-error").count(), 0);

    await page.getByTestId("settings").click();
    await page.getByTestId("lang-fr").click();
    await errors.filter({
      hasText: "Personne ne s'appelle nobody ici : le message n'a pas été",
    }).waitFor();
    await page.screenshot({ path: artifact("msg_to_nobody_in_french.png") });
  },
);

browserTest(
  "web client: a failed message's label and the login screen's removal text change language with the interface too",
  async (browser, server) => {
    const bob = await openPage(browser, server);
    const gina = await openPage(browser, server);
    await register(bob, "bob");
    await guest(gina, "gina");
    await send(bob, "/msg gina hi");
    await confirmedFrom(bob, "bob", "hi").waitFor();

    // bob, the first account, is the admin: gina lands on the login screen.
    await send(bob, "/kick gina spam");
    const removed = gina.getByTestId("removed-notice");
    await removed.filter({ hasText: "gina was kicked by bob: spam" })
      .waitFor();

    // A guest kicked is nobody now: the server refuses, in English, and
    // the conversation bob had keeps the failed message.
    await send(bob, "hello?");
    const failed = bob.getByTestId("message-error");
    await failed.filter({ hasText: "Not sent:" }).waitFor();

    await bob.getByTestId("settings").click();
    await bob.getByTestId("lang-fr").click();
    // Before, the label said "Non envoyé : " and the English refusal.
    await failed.filter({ hasText: "Non envoyé : Personne de ce nom ici." })
      .waitFor();

    await gina.getByRole("button", { name: "Français" }).click();
    // Before, the heading changed and the kick's sentence stayed English.
    await removed.filter({ hasText: "Vous avez été retiré du chat" })
      .filter({ hasText: "gina a été expulsé par bob : spam" }).waitFor();
    await gina.screenshot({ path: artifact("removed_in_french.png") });
  },
);

/**
 * The header's name (a room's or a conversation's) on a phone: how wide it
 * is drawn, whether its text is cut, and whether the header's buttons all
 * stand inside the screen.
 */
async function headerName(page: Page, testId: string): Promise<{
  width: number;
  cut: boolean;
  ellipsis: boolean;
  outside: string[];
}> {
  return await page.locator(".room-header").evaluate((header, id) => {
    const name = header.querySelector<HTMLElement>(`[data-testid="${id}"]`)!;
    const shown = [...header.querySelectorAll<HTMLElement>("button")]
      .filter((b) => b.getClientRects().length > 0);
    // What shows of it: its title clips it.
    const box = name.getBoundingClientRect();
    const title = name.closest(".room-title")!.getBoundingClientRect();
    return {
      width: Math.max(0, Math.min(box.right, title.right) - box.left),
      cut: name.scrollWidth > name.clientWidth,
      ellipsis: getComputedStyle(name).textOverflow === "ellipsis",
      outside: shown.filter((b) =>
        b.getBoundingClientRect().right > innerWidth + 0.5 ||
        b.getBoundingClientRect().left < -0.5
      ).map((b) => b.dataset.testid ?? b.className),
    };
  }, testId);
}

browserTest(
  "web client on a phone keeps a room's or a conversation's name readable in its header, cut with an ellipsis, its other panels in the header's menu",
  async (browser, server) => {
    const room = "quarterly-planning-and-budgets";
    const other = "bartholomew-of-the-long-names";
    const alice = await TestClient.register(server.wsUrl, "alice");
    const bot = await TestClient.login(server.wsUrl, other);
    try {
      await alice.ok("create_room", { room });
      await bot.ok("private_message", { to: "alice", text: "hello there" });
      for (const width of [320, 390]) {
        for (const colorScheme of ["light", "dark"] as const) {
          const page = await openPage(browser, server, {
            viewport: { width, height: 740 },
            colorScheme,
          });
          await signIn(page, "alice");
          await page.getByTestId("drawer-toggle").click();
          await page.locator(`[data-testid="room-item"][data-room="${room}"]`)
            .click();
          await currentRoom(page, room);
          await page.locator("#sidebar").waitFor({ state: "hidden" });
          await page.screenshot({
            path: artifact(`phone_header_${width}_${colorScheme}.png`),
          });
          // At 390 px the header's nine buttons left the name no width: a
          // "#" and nothing after it. Now at least five letters or so.
          const inRoom = await headerName(page, "current-room");
          assert.ok(
            inRoom.width >= 64,
            `${width} px: the room's name is ${inRoom.width} px wide`,
          );
          assert.ok(inRoom.cut, `${width} px: so long a name fits whole?`);
          assert.ok(inRoom.ellipsis, `${width} px: cut without an ellipsis`);
          assert.deepEqual(inRoom.outside, [], `${width} px: off the screen`);

          // The panels the header has no room for are in its menu.
          assert.equal(await page.getByTestId("saved-open").isVisible(), false);
          await openPanel(page, "saved");
          await page.getByTestId("saved-panel").waitFor();
          await page.keyboard.press("Escape");
          await page.getByTestId("saved-panel").waitFor({
            state: "detached",
          });

          await page.getByTestId("drawer-toggle").click();
          await page.locator(`[data-testid="dm-item"][data-user="${other}"]`)
            .click();
          await currentConversation(page, other);
          await page.locator("#sidebar").waitFor({ state: "hidden" });
          const inConversation = await headerName(
            page,
            "current-conversation",
          );
          assert.ok(
            inConversation.width >= 64,
            `${width} px: the conversation's name is ${inConversation.width} px wide`,
          );
          assert.ok(
            inConversation.ellipsis,
            `${width} px: the conversation's name cut without an ellipsis`,
          );
          assert.deepEqual(
            inConversation.outside,
            [],
            `${width} px: off the screen in the conversation`,
          );
          await page.screenshot({
            path: artifact(`phone_header_dm_${width}_${colorScheme}.png`),
          });
          await page.context().close();
        }
      }
    } finally {
      await bot.close();
      await alice.close();
    }
  },
);
