/**
 * The web client's accounts, private messages and moderation in a real
 * browser against a real server. Needs /usr/bin/chromium; without it the
 * tests are reported as ignored.
 */

import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import {
  artifact,
  browserTest,
  confirmedFrom,
  currentConversation,
  currentRoom,
  guest,
  messages,
  noteAppearance,
  openPage,
  register,
  send,
  signIn,
  STEP_TIMEOUT,
  submitPassword,
} from "./browser_support.ts";
import { ClientPool, TEST_PASSWORD, type TestServer } from "./harness.ts";

browserTest(
  "web client keeps an account signed in across a reload, until it logs out",
  async (browser, server) => {
    const carol = await openPage(browser, server);
    // Notes whether the login form ever shows, from the first paint on.
    await carol.addInitScript(() => {
      const w = globalThis as unknown as { sawLoginForm: boolean };
      w.sawLoginForm = false;
      new MutationObserver(() => {
        if (document.querySelector('[data-testid="login-username"]')) {
          w.sawLoginForm = true;
        }
      }).observe(document, { childList: true, subtree: true });
    });

    await carol.goto("/");
    await carol.getByTestId("login-tab-register").click();
    await carol.getByTestId("login-username").fill("carol");
    await carol.getByTestId("login-password").fill("short");
    await carol.getByTestId("password-hint").filter({ hasText: "8" })
      .waitFor();
    await carol.getByTestId("login-password").fill(TEST_PASSWORD);
    await carol.screenshot({ path: artifact("accounts_register.png") });
    await submitPassword(
      carol,
      () => carol.getByTestId("login-submit").click(),
    );
    await currentRoom(carol, "general");
    await carol.getByTestId("role-badge").filter({ hasText: /^admin$/ })
      .waitFor();

    await send(carol, "hello as carol");
    await confirmedFrom(carol, "carol", "hello as carol").waitFor();

    await carol.reload();
    await currentRoom(carol, "general");
    assert.equal(
      await carol.evaluate(() =>
        (globalThis as unknown as { sawLoginForm: boolean }).sawLoginForm
      ),
      false,
      "the login form flashed during the reload",
    );
    await carol.getByTestId("me-name").filter({ hasText: /^carol$/ })
      .waitFor();
    await carol.getByTestId("role-badge").filter({ hasText: /^admin$/ })
      .waitFor();
    await confirmedFrom(carol, "carol", "hello as carol").waitFor();

    // The server drops her socket: the client comes back with the cookie.
    const banner = await noteAppearance(carol, "connection-banner");
    for (const member of server.node.registry.connectionsOf("carol")) {
      member.disconnect(4000, "test: dropped by the server");
    }
    await banner.waitFor();
    await carol.getByTestId("connection-banner").waitFor({
      state: "detached",
      timeout: 3 * STEP_TIMEOUT,
    });
    await send(carol, "back after a drop");
    await confirmedFrom(carol, "carol", "back after a drop").waitFor();
    await carol.getByTestId("me-name").filter({ hasText: /^carol$/ })
      .waitFor();
    await carol.screenshot({ path: artifact("accounts_reloaded.png") });

    await carol.getByTestId("logout").click();
    await carol.getByTestId("login-username").waitFor();
    assert.equal(
      (await carol.request.get("/api/session")).status(),
      401,
      "the session survived the logout",
    );
    // A reload after logging out stays on the login screen.
    await carol.reload();
    await carol.getByTestId("login-username").waitFor();
    assert.equal(await carol.getByTestId("current-room").count(), 0);

    // Signing in again works, and a wrong password says so.
    await carol.getByTestId("login-tab-signin").click();
    await carol.getByTestId("login-username").fill("carol");
    await carol.getByTestId("login-password").fill("wrong password");
    await submitPassword(
      carol,
      () => carol.getByTestId("login-submit").click(),
    );
    await carol.getByTestId("login-error").filter({
      hasText: "Wrong username or password",
    }).waitFor();
    await carol.screenshot({ path: artifact("accounts_bad_password.png") });
    await carol.getByTestId("login-password").fill(TEST_PASSWORD);
    await submitPassword(
      carol,
      () => carol.getByTestId("login-submit").click(),
    );
    await currentRoom(carol, "general");
  },
);

browserTest(
  "web client private messages show unread counts until opened",
  async (browser, server) => {
    const dave = await openPage(browser, server);
    const erin = await openPage(browser, server);
    await register(dave, "dave");
    await register(erin, "erin");

    // dave starts a conversation by clicking erin in the member list.
    await dave.locator('[data-testid="member"][data-user="erin"]').click();
    await currentConversation(dave, "erin");
    await send(dave, "hi erin, this is private");
    await confirmedFrom(dave, "dave", "hi erin, this is private").waitFor();

    // erin is still in #general: the conversation shows up, unread.
    const fromDave = erin.locator('[data-testid="dm-item"][data-user="dave"]');
    await fromDave.getByTestId("dm-unread").filter({ hasText: /^1$/ })
      .waitFor();
    await currentRoom(erin, "general");
    assert.equal(await messages(erin, "hi erin, this is private").count(), 0);
    await erin.screenshot({ path: artifact("dm_unread.png") });

    await fromDave.click();
    await currentConversation(erin, "dave");
    await confirmedFrom(erin, "dave", "hi erin, this is private").waitFor();
    await fromDave.getByTestId("dm-unread").waitFor({ state: "detached" });

    // Her reply lands in dave's open conversation: nothing unread there.
    await send(erin, "hello dave");
    await confirmedFrom(dave, "erin", "hello dave").waitFor();
    await confirmedFrom(erin, "erin", "hello dave").waitFor();
    // Her own copy comes after her confirmation; dave's answer, sent once
    // he had it, comes after that copy: only then can a double show.
    await send(dave, "got it");
    await confirmedFrom(erin, "dave", "got it").waitFor();
    assert.equal(await messages(dave, "hello dave").count(), 1);
    assert.equal(await messages(erin, "hello dave").count(), 1);
    assert.equal(await dave.getByTestId("dm-unread").count(), 0);
    await erin.screenshot({ path: artifact("dm_conversation.png") });

    // /msg to an account that is offline: it waits for the next login.
    await createAccount(server, "frank");
    await send(dave, "/msg frank see you tomorrow");
    await currentConversation(dave, "frank");
    await confirmedFrom(dave, "dave", "see you tomorrow").waitFor();
    const frank = await openPage(browser, server);
    await signIn(frank, "frank");
    const queued = frank.locator('[data-testid="dm-item"][data-user="dave"]');
    await queued.getByTestId("dm-unread").filter({ hasText: /^1$/ }).waitFor();
    await queued.click();
    await confirmedFrom(frank, "dave", "see you tomorrow").waitFor();
    assert.equal(await messages(frank, "see you tomorrow").count(), 1);

    // dave (the first account: admin) makes erin a moderator; she sees it.
    assert.equal(await erin.getByTestId("role-badge").count(), 0);
    await send(dave, "/role erin moderator");
    await dave.getByTestId("system-line").filter({
      hasText: "erin is now moderator",
    }).waitFor();
    await erin.getByTestId("role-badge").filter({ hasText: /^moderator$/ })
      .waitFor();
    await erin.getByTestId("system-line").filter({
      hasText: "dave made you moderator",
    }).waitFor();
    await erin.screenshot({ path: artifact("dm_moderator.png") });
  },
);

browserTest(
  "web client in French says who made you moderator, and who deleted the room it moved you out of",
  async (browser, server) => {
    const boss = await openPage(browser, server);
    const lea = await openPage(browser, server, { locale: "fr-FR" });
    await register(boss, "boss");
    await register(lea, "lea");

    // The server's sentences are English; a French page says them from
    // the notices' fields (by, role).
    await send(boss, "/role lea moderator");
    await lea.getByTestId("system-line").filter({
      hasText: "boss vous a nommé modérateur",
    }).waitFor();

    await send(boss, "/create atelier");
    await currentRoom(boss, "atelier");
    await send(lea, "/join atelier");
    await currentRoom(lea, "atelier");
    await send(boss, "/delete");
    await currentRoom(lea, "general");
    await lea.getByTestId("system-line").filter({
      hasText: "Vous avez été déplacé dans #general : boss a supprimé atelier",
    }).waitFor();
    await lea.screenshot({ path: artifact("notices_french.png") });
  },
);

browserTest(
  "web client moderator kicks a guest from the member list and reads it once, and deletes a room",
  async (browser, server) => {
    const admin = await openPage(browser, server);
    const gina = await openPage(browser, server);
    const hank = await openPage(browser, server);
    await register(admin, "boss");
    await admin.getByTestId("role-badge").filter({ hasText: /^admin$/ })
      .waitFor();
    await guest(gina, "gina");
    await guest(hank, "hank");

    // A guest has no menu (once her list shows the others, an admin's
    // would be there); the admin does, with a reason form in it.
    await gina.locator('[data-testid="member"][data-user="boss"]').waitFor();
    await gina.locator('[data-testid="member"][data-user="hank"]').waitFor();
    assert.equal(await gina.getByTestId("member-actions").count(), 0);
    await admin.getByRole("button", { name: "Actions for gina" }).click();
    await admin.getByTestId("menu-kick").click();
    await admin.getByTestId("moderation-reason").fill("too many capitals");
    await admin.screenshot({ path: artifact("moderation_menu.png") });
    const sockets = countSockets(gina);
    await admin.getByTestId("moderation-confirm").click();
    // gina was in the room on screen: its notice says it, and the reply,
    // which comes before it, wrote nothing of its own (before, both).
    await admin.getByTestId("system-line").filter({
      hasText: "gina was kicked by boss: too many capitals",
    }).waitFor();
    assert.equal(await lines(admin, "gina was kicked"), 1);

    await admin.screenshot({ path: artifact("moderation_admin.png") });

    // gina lands on the login screen with the reason, and stays there.
    await gina.getByTestId("removed-notice").filter({
      hasText: "too many capitals",
    }).waitFor();
    await gina.getByTestId("login-username").waitFor();
    await admin.locator('[data-testid="member"][data-user="gina"]').waitFor({
      state: "detached",
    });
    // A reconnect would be on the page's own timers, at most 0.5 s after
    // the close that came before the notice: a page timer set now, and
    // longer, runs after it, however slow the machine.
    await gina.evaluate(() => new Promise((done) => setTimeout(done, 1500)));
    assert.equal(sockets.opened, 0, "the kicked page opened a new socket");
    assert.equal(await gina.getByTestId("current-room").count(), 0);
    await gina.screenshot({ path: artifact("moderation_kicked.png") });

    // A room ban from the member menu moves hank from #ops to #general.
    await send(admin, "/create ops");
    await currentRoom(admin, "ops");
    const ops = hank.locator('[data-testid="room-item"][data-room="ops"]');
    await ops.click();
    await currentRoom(hank, "ops");
    await admin.getByRole("button", { name: "Actions for hank" }).click();
    await admin.getByTestId("menu-ban-room").click();
    await admin.getByTestId("moderation-confirm").click();
    await admin.getByTestId("system-line").filter({
      hasText: "hank was banned from ops by boss",
    }).waitFor();
    assert.equal(await lines(admin, "hank was banned"), 1);
    await currentRoom(hank, "general");
    await hank.getByTestId("system-line").filter({
      hasText: "You were moved to #general: hank was banned from ops",
    }).waitFor();
    await ops.click();
    await hank.getByTestId("error-line").filter({ hasText: "banned" })
      .waitFor();
    await currentRoom(hank, "general");

    // Unbanned, he goes back; the admin deletes #ops: he is moved again.
    await send(admin, "/unban hank #ops");
    await admin.getByTestId("system-line").filter({
      hasText: "hank was unbanned from #ops",
    }).waitFor();
    await ops.click();
    await currentRoom(hank, "ops");
    await send(admin, "/delete");
    await currentRoom(hank, "general");
    await hank.getByTestId("system-line").filter({
      hasText: "You were moved to #general: boss deleted ops",
    }).waitFor();
    await admin.getByTestId("system-line").filter({
      hasText: "#ops was deleted",
    }).waitFor();
    await currentRoom(admin, "general");
    await hank.locator('[data-testid="room-item"][data-room="ops"]').waitFor({
      state: "detached",
    });
    // A guest's /help leaves out what it may not do.
    await send(hank, "/help");
    const help = hank.getByTestId("system-line").filter({ hasText: "/join" });
    await help.waitFor();
    assert.doesNotMatch(await help.innerText(), /\/kick|\/ban|\/role/);
    await send(admin, "/help");
    await admin.getByTestId("system-line").filter({ hasText: "/role" })
      .waitFor();
    await hank.screenshot({ path: artifact("moderation_moved.png") });

    // No room hears of an offline account's ban: the reply's line says it.
    await createAccount(server, "ivan");
    await send(admin, "/ban ivan spam");
    await admin.getByTestId("system-line").filter({
      hasText: "ivan was banned from the server: spam",
    }).waitFor();
    // A ban from a room hank is not looking at: that room hears nothing.
    await send(admin, "/create den");
    await currentRoom(admin, "den");
    await send(admin, "/ban hank #den");
    await admin.getByTestId("system-line").filter({
      hasText: "hank was banned from #den",
    }).waitFor();
  },
);

/** How many of a page's notice lines say `text`. */
function lines(page: Page, text: string): Promise<number> {
  return page.getByTestId("system-line").filter({ hasText: text }).count();
}

/** Registers an account over HTTP, without a browser. */
browserTest(
  "web client shows a conversation with an account since deleted greyed, as a deleted account",
  async (browser, server) => {
    const pool = new ClientPool(server.wsUrl);
    try {
      const boss = await pool.register("boss");
      const gina = await openPage(browser, server);
      await register(gina, "gina");
      const hal = await pool.register("hal");
      await hal.ok("private_message", { to: "gina", text: "bye gina" });
      const row = gina.locator('[data-testid="dm-item"][data-user="hal"]');
      await row.waitFor();
      assert.equal(await row.getByTestId("dm-deleted").count(), 0);
      await boss.ok("delete_account", { user: "hal", messages: "keep" });
      // The list says so from the next one on: at the next login.
      await gina.reload();
      await row.getByTestId("dm-deleted").filter({
        hasText: /^deleted account$/,
      }).waitFor();
      assert.match(await row.getAttribute("class") ?? "", /\bdeleted\b/);
      await gina.screenshot({ path: artifact("dm_deleted_account.png") });
    } finally {
      await pool.closeAll();
    }
  },
);

async function createAccount(
  server: TestServer,
  name: string,
): Promise<void> {
  const response = await fetch(`${server.url}/api/register`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: server.url },
    body: JSON.stringify({ username: name, password: TEST_PASSWORD }),
  });
  await response.body?.cancel();
  assert.equal(response.status, 201);
}

/** Counts the WebSockets a page opens from now on. */
function countSockets(page: Page): { opened: number } {
  const count = { opened: 0 };
  page.on("websocket", () => count.opened++);
  return count;
}
