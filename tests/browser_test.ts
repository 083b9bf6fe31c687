/**
 * The web client in a real browser against a real server: two people chat
 * in #general, then in a room one of them creates. Needs /usr/bin/chromium;
 * without it the test is reported as ignored.
 */

import assert from "node:assert/strict";
import {
  type Browser,
  type BrowserContext,
  chromium,
  type Locator,
  type Page,
  type WebSocketRoute,
} from "playwright-core";
import { type RunningServer, startServer } from "../server/mod.ts";
import { TestClient } from "./harness.ts";

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

const hasChromium = isFile(CHROMIUM);

Deno.test({
  name: hasChromium
    ? "web client two people chat in #general and in a new room"
    : "web client two people chat in #general and in a new room (skipped: /usr/bin/chromium missing — apt-get install chromium)",
  ignore: !hasChromium,
  async fn() {
    await buildClient();
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
      const alice = await openPage(browser, server);
      const bob = await openPage(browser, server);

      await login(alice, "alice");
      await login(bob, "bob");

      // alice posts in #general: bob sees it, alice sees it once and confirmed.
      await send(alice, "hello from alice");
      await messageFrom(bob, "alice", "hello from alice").waitFor();
      await confirmedFrom(alice, "alice", "hello from alice").waitFor();
      assert.equal(await messages(alice, "hello from alice").count(), 1);
      assert.equal(await messages(bob, "hello from alice").count(), 1);

      // bob creates #dev and moves into it.
      await bob.getByTestId("create-room").click();
      await bob.getByTestId("create-room-input").fill("dev");
      await bob.getByTestId("create-room-input").press("Enter");
      await currentRoom(bob, "dev");

      // alice joins it from the room list.
      await alice.locator('[data-testid="room-item"][data-room="dev"]').click();
      await currentRoom(alice, "dev");

      await send(alice, "hi bob, alice in dev");
      await send(bob, "hi alice, bob in dev");
      await messageFrom(bob, "alice", "hi bob, alice in dev").waitFor();
      await messageFrom(alice, "bob", "hi alice, bob in dev").waitFor();
      await confirmedFrom(alice, "alice", "hi bob, alice in dev").waitFor();
      await confirmedFrom(bob, "bob", "hi alice, bob in dev").waitFor();
      assert.equal(await messages(alice, "hi bob, alice in dev").count(), 1);
      assert.equal(await messages(bob, "hi alice, bob in dev").count(), 1);

      // The room list counts both, and the member list names both.
      for (const page of [alice, bob]) {
        await roomCount(page, "dev", "2");
        await page.locator('[data-testid="member"][data-user="alice"]')
          .waitFor();
        await page.locator('[data-testid="member"][data-user="bob"]').waitFor();
        assert.equal(await page.getByTestId("connection-banner").count(), 0);
      }

      await alice.screenshot({
        path: new URL("browser_alice.png", ARTIFACTS).pathname,
      });
      await bob.screenshot({
        path: new URL("browser_bob.png", ARTIFACTS).pathname,
      });
    } finally {
      await browser?.close();
      await server.shutdown();
    }
  },
});

Deno.test({
  name: hasChromium
    ? "web client resumes after a dropped connection and shows what it missed"
    : "web client resumes after a dropped connection and shows what it missed (skipped: /usr/bin/chromium missing — apt-get install chromium)",
  ignore: !hasChromium,
  async fn() {
    await buildClient();
    const server = await startServer({
      hostname: "127.0.0.1",
      port: 0,
      db: ":memory:",
    });
    let browser: Browser | undefined;
    let bob: TestClient | undefined;
    try {
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: CHROMIUM_FLAGS,
        headless: true,
      });
      const alice = await openPage(browser, server);
      // Every socket of the page goes through a route the test can cut. A
      // cut page side leaves the server side open, as when a network dies
      // and the server has not noticed yet: the re-login gets username_taken.
      const links: { page: WebSocketRoute; server: WebSocketRoute }[] = [];
      let refusedLogins = 0;
      await alice.routeWebSocket(/\/ws$/, (page) => {
        const upstream = page.connectToServer();
        page.onClose(() => {});
        upstream.onMessage((frame) => {
          if (String(frame).includes('"username_taken"')) refusedLogins++;
          page.send(frame);
        });
        links.push({ page, server: upstream });
      });

      await login(alice, "alice");
      await send(alice, "/create dev");
      await currentRoom(alice, "dev");
      await send(alice, "before the drop");
      await confirmedFrom(alice, "alice", "before the drop").waitFor();

      bob = await TestClient.login(
        `${server.url.replace("http", "ws")}/ws`,
        "bob",
      );
      await bob.ok("join_room", { room: "dev" });

      const first = links.length - 1;
      await links[first].page.close();
      await alice.getByTestId("connection-banner").waitFor();
      await send(alice, "typed while offline");
      await alice.locator('[data-testid="message"][data-pending="true"]')
        .filter({ hasText: "typed while offline" }).waitFor();
      await bob.ok("send_message", { text: "sent while alice was away" });

      // Let at least one re-login meet the stale session, then let the
      // server see the old socket go.
      await waitUntil(() => refusedLogins > 0);
      await links[first].server.close();

      const resumed = { timeout: 3 * STEP_TIMEOUT };
      await confirmedFrom(alice, "bob", "sent while alice was away").waitFor(
        resumed,
      );
      await confirmedFrom(alice, "alice", "typed while offline").waitFor(
        resumed,
      );
      await alice.getByTestId("connection-banner").waitFor({
        state: "detached",
      });
      await currentRoom(alice, "dev");
      for (
        const text of [
          "before the drop",
          "sent while alice was away",
          "typed while offline",
        ]
      ) {
        assert.equal(await messages(alice, text).count(), 1, text);
      }
      await bob.waitFor(
        (f) =>
          f.action === "receive_message" &&
          f.data.text === "typed while offline",
        "alice's queued message",
      );
    } finally {
      await bob?.close();
      await browser?.close();
      await server.shutdown();
    }
  },
});

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

async function openPage(
  browser: Browser,
  server: RunningServer,
): Promise<Page> {
  const context: BrowserContext = await browser.newContext({
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

async function login(page: Page, name: string): Promise<void> {
  await page.goto("/");
  await page.getByTestId("login-username").fill(name);
  await page.getByTestId("login-submit").click();
  await currentRoom(page, "general");
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

function messages(page: Page, text: string): Locator {
  return page.getByTestId("message").filter({ hasText: text });
}

function messageFrom(page: Page, user: string, text: string): Locator {
  return page.locator(`[data-testid="message"][data-user="${user}"]`).filter({
    hasText: text,
  });
}

/** A row the server confirmed: it has a seq and is no longer pending. */
function confirmedFrom(page: Page, user: string, text: string): Locator {
  return page.locator(
    `[data-testid="message"][data-user="${user}"][data-seq]:not([data-pending])`,
  )
    .filter({ hasText: text });
}

async function roomCount(
  page: Page,
  room: string,
  count: string,
): Promise<void> {
  await page.locator(
    `[data-testid="room-item"][data-room="${room}"] [data-testid="room-count"]`,
  )
    .filter({ hasText: new RegExp(`^${count}$`) })
    .waitFor();
}

async function waitUntil(ready: () => boolean): Promise<void> {
  const end = Date.now() + STEP_TIMEOUT;
  while (!ready()) {
    assert.ok(
      Date.now() < end,
      "Timed out waiting for a re-login to be refused",
    );
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}
