/**
 * The admin page (/admin) in a real browser against a real server: live
 * figures, an account banned for an hour with a reason, the bans and the
 * audit log that show it, a password reset link its owner uses, a room
 * renamed while someone is in it, and a plain user turned away; screenshots at desktop and phone size; a
 * full disk named in the live figures (on a tmpfs, as root). Needs
 * /usr/bin/chromium; without it the test is reported as ignored.
 */

import assert from "node:assert/strict";
import {
  artifact,
  browserTest,
  currentRoom,
  messages,
  openPage,
  register,
  send,
  signIn,
  STEP_TIMEOUT,
  submitPassword,
} from "./browser_support.ts";
import {
  ClientPool,
  expectError,
  postAsPage,
  startTestServer,
  TEST_PASSWORD,
  TestClient,
} from "./harness.ts";
import { redisSkipReason, startRedis } from "./services.ts";
import { fill, mountSkipReason, withTmpfs } from "./tmpfs.ts";

// Every wait below is for the server's answer on a busy machine: wide.
const WIDE = { timeout: 3 * STEP_TIMEOUT };

browserTest(
  "admin page: an admin bans an account for an hour, sees it in the bans and the audit log, hands out a reset link and renames a room its people follow",
  async (browser, server) => {
    const root = await openPage(browser, server);
    await register(root, "root");
    // As the page registers: with this server's Origin (the CSRF check).
    const created = await postAsPage(server.url, "/api/register", {
      body: { username: "bob", password: TEST_PASSWORD },
    });
    assert.equal(created.status, 201);

    // An admin finds the page in the settings menu.
    await root.getByTestId("settings").click();
    await root.getByTestId("admin-link").click();
    await root.getByTestId("admin-page").waitFor(WIDE);
    // Live figures from /metrics (the page itself holds no WebSocket).
    await root.locator('[data-figure="connections"] dd')
      .filter({ hasText: /^\d+$/ }).waitFor(WIDE);
    await root.locator('[data-figure="store"] dd').filter({ hasText: "ok" })
      .waitFor(WIDE);

    await root.getByTestId("admin-search").fill("bo");
    await root.getByTestId("admin-find").click();
    const bob = root.locator('[data-testid="admin-account"][data-user="bob"]');
    await bob.waitFor(WIDE);
    // The first list holds every account; the search's answer drops root.
    await root.locator('[data-testid="admin-account"][data-user="root"]')
      .waitFor({ ...WIDE, state: "detached" });
    await bob.waitFor(WIDE);
    await bob.click();
    const panel = root.getByTestId("admin-account-panel");
    await panel.waitFor(WIDE);
    await panel.getByTestId("admin-ban-reason").fill("spam <b>links</b>");
    await panel.getByTestId("admin-ban-duration").selectOption({
      label: "1 hour",
    });
    await root.screenshot({ path: artifact("admin_account.png") });
    await panel.getByTestId("admin-ban").click();
    await root.getByTestId("admin-notice-ok").waitFor(WIDE);
    await bob.locator(".admin-banned").waitFor(WIDE);

    await panel.getByTestId("admin-reset-password").click();
    const link = root.getByTestId("admin-reset-link");
    await link.waitFor(WIDE);
    const url = await link.inputValue();
    assert.match(url, new RegExp(`^${server.url}/reset#[A-Za-z0-9_-]{43}$`));

    await root.getByTestId("admin-tab-bans").click();
    const ban = root.locator('[data-testid="admin-ban-row"][data-user="bob"]');
    await ban.waitFor(WIDE);
    // The reason is text, not markup.
    assert.match(await ban.innerText(), /spam <b>links<\/b>/);
    assert.equal(await ban.locator("b").count(), 0);

    await root.getByTestId("admin-tab-audit").click();
    const entry = root.locator(
      '[data-testid="admin-audit-entry"][data-action="ban"]',
    );
    await entry.waitFor(WIDE);
    const line = await entry.innerText();
    for (const part of ["root", "bob", "spam", "127.0.0.1", "3600"]) {
      assert.ok(line.includes(part), `${part} missing from: ${line}`);
    }
    await root.locator(
      '[data-testid="admin-audit-entry"][data-action="reset_password"]',
    ).waitFor(WIDE);
    await root.screenshot({ path: artifact("admin_audit.png") });

    // Lift the ban from the bans section, then bob uses the reset link.
    await root.getByTestId("admin-tab-bans").click();
    await ban.getByRole("button").click();
    await root.getByTestId("admin-no-bans").waitFor(WIDE);

    const owner = await openPage(browser, server);
    await owner.goto(url);
    await owner.locator('input[type="password"]').fill("a brand new secret");
    await submitPassword(owner, () => owner.getByRole("button").click());
    await currentRoom(owner, "general");

    // A room renamed on the page: whoever is in it follows to the new name.
    const chat = await openPage(browser, server);
    await signIn(chat, "root");
    await send(chat, "/create dev");
    await currentRoom(chat, "dev");
    await chat.getByTestId("room-menu").click();
    await chat.getByTestId("topic-open").click();
    await chat.getByTestId("topic-input").fill("Release on Friday");
    await chat.getByTestId("topic-save").click();
    await chat.getByTestId("topic-dialog").waitFor({ state: "detached" });
    await send(chat, "before the rename");
    await messages(chat, "before the rename").waitFor(WIDE);
    // Half-way through an answer as the rename comes: it follows too.
    const before = messages(chat, "before the rename");
    await before.hover();
    await before.getByTestId("message-reply").click();
    await chat.getByTestId("reply-bar").waitFor();
    await chat.getByTestId("composer").fill("a half-typed answer");
    await root.getByTestId("admin-tab-rooms").click();
    const dev = root.locator('[data-testid="admin-room"][data-room="dev"]');
    await dev.waitFor(WIDE);
    await dev.getByTestId("admin-room-name").fill("ops");
    await dev.getByTestId("admin-room-rename").click();
    const ops = root.locator('[data-testid="admin-room"][data-room="ops"]');
    await ops.waitFor(WIDE);
    // The notice says what was done, in words; the row shows its retention.
    await root.getByTestId("admin-notice-ok").filter({
      hasText: "Room #dev renamed to #ops",
    })
      .waitFor(WIDE);
    await ops.getByTestId("admin-room-retention").fill("30");
    await ops.getByTestId("admin-room-set-retention").click();
    await ops.filter({ hasText: "kept 30 days" }).waitFor(WIDE);
    // Its topic too, moved with the name.
    assert.equal(
      await ops.getByTestId("admin-room-topic").textContent(),
      "Release on Friday",
    );
    await chat.getByTestId("current-room").filter({ hasText: /^ops$/ })
      .waitFor(WIDE);
    await messages(chat, "before the rename").waitFor(WIDE);
    assert.equal(
      await chat.getByTestId("composer").inputValue(),
      "a half-typed answer",
    );
    await chat.getByTestId("reply-bar").filter({
      hasText: "before the rename",
    }).waitFor();
    await root.screenshot({ path: artifact("admin_rooms.png") });

    // At phone size the page still fits and works; a plain user is refused.
    const phone = await openPage(browser, server, {
      viewport: { width: 390, height: 844 },
    });
    await signIn(phone, "root");
    await phone.goto("/admin");
    await phone.getByTestId("admin-tab-rooms").click();
    await phone.locator('[data-testid="admin-room"][data-room="ops"]')
      .waitFor(WIDE);
    const overflow = await phone.evaluate(() =>
      document.documentElement.scrollWidth - innerWidth
    );
    assert.ok(overflow <= 0, `the page is ${overflow}px too wide`);
    await phone.screenshot({ path: artifact("admin_phone.png") });

    // A plain user's menu has no link; the page itself says no.
    await owner.getByTestId("settings").click();
    await owner.getByTestId("notify-setting").waitFor(WIDE);
    assert.equal(await owner.getByTestId("admin-link").count(), 0);
    await owner.goto("/admin");
    await owner.getByTestId("admin-refused").waitFor(WIDE);
    assert.equal(await owner.getByTestId("admin-page").count(), 0);
  },
);

browserTest(
  'admin page: its notices name a private room as the chat does, without "#"',
  async (browser, server) => {
    const root = await openPage(browser, server);
    await register(root, "root");
    await send(root, "/create dev");
    await currentRoom(root, "dev");
    await root.goto("/admin");
    await root.getByTestId("admin-page").waitFor(WIDE);
    await root.getByTestId("admin-tab-rooms").click();
    const dev = root.locator('[data-testid="admin-room"][data-room="dev"]');
    await dev.getByTestId("admin-room-private").click();
    // Before, "Room #dev updated" and "Room #dev renamed to #ops".
    const notice = root.getByTestId("admin-notice-ok");
    await notice.filter({ hasText: /^Room dev updated$/ }).waitFor(WIDE);
    await dev.filter({ hasText: "private" }).waitFor(WIDE);
    await dev.getByTestId("admin-room-name").fill("ops");
    await dev.getByTestId("admin-room-rename").click();
    await notice.filter({ hasText: /^Room dev renamed to ops$/ })
      .waitFor(WIDE);
  },
);

browserTest(
  "admin page: an admin archives a private room it is not in and brings it back; its member hears it, the audit log says so",
  async (browser, server) => {
    const pool = new ClientPool(server.wsUrl);
    try {
      const root = await openPage(browser, server);
      await register(root, "root");
      const ann = await pool.register("ann");
      await ann.ok("create_room", { room: "club", private: true });
      await root.goto("/admin");
      await root.getByTestId("admin-page").waitFor(WIDE);
      await root.getByTestId("admin-tab-rooms").click();
      const club = root.locator('[data-testid="admin-room"][data-room="club"]');
      const archive = club.getByTestId("admin-room-archive");
      await archive.filter({ hasText: /^Archive$/ }).click(WIDE);
      const notice = root.getByTestId("admin-notice-ok");
      await notice.filter({ hasText: /^Room club archived$/ }).waitFor(WIDE);
      await club.locator(".admin-meta").filter({ hasText: "archived" })
        .waitFor(WIDE);
      await ann.event("system", (d) => d.kind === "archived");
      await expectError(ann, "send_message", { text: "hi" }, "room_archived");

      await archive.filter({ hasText: /^Unarchive$/ }).click(WIDE);
      await notice.filter({ hasText: /^Room club unarchived$/ })
        .waitFor(WIDE);
      await ann.event("system", (d) => d.kind === "unarchived");
      await ann.ok("send_message", { text: "back" });
      await root.getByTestId("admin-tab-audit").click();
      const entries = root.locator(
        '[data-testid="admin-audit-entry"][data-action="update_room"]',
      );
      await entries.nth(1).waitFor(WIDE);
      assert.match(await entries.nth(0).innerText(), /archived.*false/);
      assert.match(await entries.nth(1).innerText(), /archived.*true/);
    } finally {
      await pool.closeAll();
    }
  },
);

browserTest(
  "admin page: the selected tab keeps its colours under the pointer (its white label sat on the hover's light grey, unreadable, in the light theme)",
  async (browser, server) => {
    const root = await openPage(browser, server, { colorScheme: "light" });
    await register(root, "root");
    await root.goto("/admin");
    await root.getByTestId("admin-page").waitFor(WIDE);
    const tab = root.getByTestId("admin-tab-audit");
    await tab.click();
    await root.mouse.move(0, 0);
    const colours = () =>
      tab.evaluate((element) => {
        const style = getComputedStyle(element);
        return [style.backgroundColor, style.color];
      });
    const away = await colours();
    assert.notEqual(away[0], away[1]);
    await tab.hover();
    assert.deepEqual(await colours(), away);
  },
);

const redisSkip = redisSkipReason();

browserTest(
  `admin page: the live figures say Redis is "ok" on a node that uses it, where they showed "—" as for a node without it${
    redisSkip ? ` (skipped: ${redisSkip})` : ""
  }`,
  async (browser, alone) => {
    const page = await openPage(browser, alone);
    await register(page, "root");
    await page.goto("/admin");
    await page.getByTestId("admin-page").waitFor(WIDE);
    const redisFigure = page.locator('[data-figure="redis"] dd');
    await page.locator('[data-figure="store"] dd').filter({ hasText: /^ok$/ })
      .waitFor(WIDE);
    assert.equal(await redisFigure.innerText(), "—");
    if (redisSkip) return;

    const redis = (await startRedis())!;
    try {
      const server = await startTestServer({ redisUrl: redis.url });
      try {
        const root = await openPage(browser, server);
        await register(root, "root");
        await root.goto("/admin");
        await root.getByTestId("admin-page").waitFor(WIDE);
        await root.locator('[data-figure="redis"] dd')
          .filter({ hasText: /^ok$/ }).waitFor(WIDE);
      } finally {
        await server.close();
      }
    } finally {
      await redis.stop();
    }
  },
);

const tmpfsSkip = await mountSkipReason();

browserTest(
  `admin page: a full disk under the store reads "down: disk full" in the live figures, not a bare "down", and "ok" once there is room${
    tmpfsSkip ? ` (skipped: ${tmpfsSkip})` : ""
  }`,
  async (browser) => {
    if (tmpfsSkip) return;
    await withTmpfs(async (dir) => {
      // Its own server, on the small disk (no reserve: the disk itself
      // runs out, as in disk_full_test.ts).
      const server = await startTestServer({
        db: `${dir}/chat.db`,
        diskReserveBytes: 0,
      });
      let sender: TestClient | undefined;
      try {
        const root = await openPage(browser, server);
        await register(root, "root");
        await root.goto("/admin");
        await root.getByTestId("admin-page").waitFor(WIDE);
        const store = root.locator('[data-figure="store"] dd');
        await store.filter({ hasText: /^ok$/ }).waitFor(WIDE);

        sender = await TestClient.login(server.wsUrl, "sender");
        await fill(`${dir}/filler`);
        // Until a commit needs space the disk no longer has.
        for (let i = 0;; i++) {
          assert.ok(i < 1000, "the full disk never refused a message");
          const reply = await sender.request("send_message", {
            text: `while full ${i} ${"x".repeat(3000)}`,
          });
          if (reply.action === "error") break;
        }
        await store.filter({ hasText: /^down: disk full$/ }).waitFor(WIDE);

        await Deno.remove(`${dir}/filler`);
        await store.filter({ hasText: /^ok$/ }).waitFor(WIDE);
      } finally {
        await sender?.close();
        await server.close();
      }
    });
  },
);
