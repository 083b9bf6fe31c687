/**
 * The web client's accounts, private messages and moderation in a real
 * browser against a real server. Needs /usr/bin/chromium; without it the
 * tests are reported as ignored.
 */

import assert from "node:assert/strict";
import {
  type Browser,
  chromium,
  type Locator,
  type Page,
} from "playwright-core";
import { type RunningServer, startServer } from "../server/mod.ts";

const CHROMIUM = "/usr/bin/chromium";
const ROOT = new URL("../", import.meta.url);
const ARTIFACTS = new URL("../test-artifacts/", import.meta.url);
/** Per-step wait: long enough for a slow CI machine, short enough to fail fast. */
const STEP_TIMEOUT = 10_000;
/** Flags that work as root on the build machines (NOTES.md); the last ones keep Chromium off the internet. */
const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const PASSWORD = "correct horse battery";

const hasChromium = isFile(CHROMIUM);
let built = false;

/** A browser test with a fresh server and browser, both closed at the end. */
function browserTest(
  name: string,
  fn: (browser: Browser, server: RunningServer) => Promise<void>,
): void {
  Deno.test({
    name: hasChromium
      ? name
      : `${name} (skipped: /usr/bin/chromium missing — apt-get install chromium)`,
    ignore: !hasChromium,
    async fn() {
      if (!built) {
        await buildClient();
        built = true;
      }
      await Deno.mkdir(ARTIFACTS, { recursive: true });
      const server = await startServer({
        hostname: "127.0.0.1",
        port: 0,
        db: ":memory:",
      });
      let browser: Browser | undefined;
      try {
        browser = await chromium.launch({
          executablePath: CHROMIUM,
          args: CHROMIUM_FLAGS,
          headless: true,
        });
        await fn(browser, server);
      } finally {
        await browser?.close();
        await server.shutdown();
      }
    },
  });
}

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
    await carol.getByTestId("login-password").fill(PASSWORD);
    await carol.screenshot({ path: artifact("accounts_register.png") });
    await carol.getByTestId("login-submit").click();
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
    for (const member of server.node.registry.connectionsOf("carol")) {
      member.disconnect(4000, "test: dropped by the server");
    }
    await carol.getByTestId("connection-banner").waitFor();
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
    await carol.getByTestId("login-submit").click();
    await carol.getByTestId("login-error").filter({
      hasText: "Wrong username or password",
    }).waitFor();
    await carol.screenshot({ path: artifact("accounts_bad_password.png") });
    await carol.getByTestId("login-password").fill(PASSWORD);
    await carol.getByTestId("login-submit").click();
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
  "web client moderator kicks a guest from the member list, and deletes a room",
  async (browser, server) => {
    const admin = await openPage(browser, server);
    const gina = await openPage(browser, server);
    const hank = await openPage(browser, server);
    await register(admin, "boss");
    await admin.getByTestId("role-badge").filter({ hasText: /^admin$/ })
      .waitFor();
    await guest(gina, "gina");
    await guest(hank, "hank");

    // A guest has no menu; the admin does, with a reason form in it.
    assert.equal(await gina.getByTestId("member-actions").count(), 0);
    await admin.getByRole("button", { name: "Actions for gina" }).click();
    await admin.getByTestId("menu-kick").click();
    await admin.getByTestId("moderation-reason").fill("too many capitals");
    await admin.screenshot({ path: artifact("moderation_menu.png") });
    const sockets = countSockets(gina);
    await admin.getByTestId("moderation-confirm").click();
    await admin.getByTestId("system-line").filter({
      hasText: "gina was kicked: too many capitals",
    }).waitFor();

    await admin.screenshot({ path: artifact("moderation_admin.png") });

    // gina lands on the login screen with the reason, and stays there.
    await gina.getByTestId("removed-notice").filter({
      hasText: "too many capitals",
    }).waitFor();
    await gina.getByTestId("login-username").waitFor();
    await admin.locator('[data-testid="member"][data-user="gina"]').waitFor({
      state: "detached",
    });
    await gina.waitForTimeout(1500);
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
      hasText: "hank was banned from #ops",
    }).waitFor();
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
  },
);

/** Bundles the client so the test sees the current source, not an old app.js. */
async function buildClient(): Promise<void> {
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["task", "build"],
    cwd: ROOT,
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.equal(
    code,
    0,
    `deno task build failed:\n${new TextDecoder().decode(stderr)}`,
  );
}

/** A page in its own browser context (own cookies), 1280x800, dark. */
async function openPage(
  browser: Browser,
  server: RunningServer,
): Promise<Page> {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 800 },
    colorScheme: "dark",
    baseURL: server.url,
  });
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_TIMEOUT);
  page.on(
    "pageerror",
    (error) => console.error(`page error: ${error.message}`),
  );
  return page;
}

async function register(page: Page, name: string): Promise<void> {
  await page.goto("/");
  await page.getByTestId("login-tab-register").click();
  await page.getByTestId("login-username").fill(name);
  await page.getByTestId("login-password").fill(PASSWORD);
  await page.getByTestId("login-submit").click();
  await currentRoom(page, "general");
}

async function signIn(page: Page, name: string): Promise<void> {
  await page.goto("/");
  await page.getByTestId("login-tab-signin").click();
  await page.getByTestId("login-username").fill(name);
  await page.getByTestId("login-password").fill(PASSWORD);
  await page.getByTestId("login-submit").click();
  await currentRoom(page, "general");
}

async function guest(page: Page, name: string): Promise<void> {
  await page.goto("/");
  await page.getByTestId("login-username").fill(name);
  await page.getByTestId("login-submit").click();
  await currentRoom(page, "general");
}

/** Registers an account over HTTP, without a browser. */
async function createAccount(
  server: RunningServer,
  name: string,
): Promise<void> {
  const response = await fetch(`${server.url}/api/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: name, password: PASSWORD }),
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

async function send(page: Page, text: string): Promise<void> {
  await page.getByTestId("composer").fill(text);
  await page.getByTestId("composer").press("Enter");
}

async function currentRoom(page: Page, room: string): Promise<void> {
  await page.getByTestId("current-room").filter({
    hasText: new RegExp(`^${room}$`),
  }).waitFor();
}

async function currentConversation(page: Page, user: string): Promise<void> {
  await page.getByTestId("current-conversation").filter({
    hasText: new RegExp(`^${user}$`),
  }).waitFor();
}

function messages(page: Page, text: string): Locator {
  return page.getByTestId("message").filter({ hasText: text });
}

/** A row the server confirmed: it has a seq and is no longer pending. */
function confirmedFrom(page: Page, user: string, text: string): Locator {
  return page.locator(
    `[data-testid="message"][data-user="${user}"][data-seq]:not([data-pending])`,
  )
    .filter({ hasText: text });
}

function artifact(name: string): string {
  return new URL(name, ARTIFACTS).pathname;
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}
