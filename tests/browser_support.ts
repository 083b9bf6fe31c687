/**
 * What the browser tests of the web client share: Chromium with the flags
 * that work on the build machines, a fresh server per test, and steps that
 * read like what a person does (log in, send, wait for a message).
 */

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import {
  type Browser,
  chromium,
  type Locator,
  type Page,
  type Response,
  type WebSocket,
} from "playwright-core";
import axe from "axe-core";
import { removeGoneScratch } from "./browser_scratch.ts";
import diagnostics from "node:diagnostics_channel";
import { once } from "node:events";
import type { Socket } from "node:net";
import {
  PATIENT_WAIT_MS,
  startTestServer,
  TEST_PASSWORD,
  type TestServer,
  within,
} from "./harness.ts";
import type { Config } from "../server/config.ts";

const CHROMIUM = "/usr/bin/chromium";
const ROOT = new URL("../", import.meta.url);
const ARTIFACTS = new URL("../test-artifacts/", import.meta.url);
/**
 * Per-step wait: long enough for a slow CI machine (a page load took over
 * 10 s on a 2-core machine running other suites), short enough to fail.
 */
export const STEP_TIMEOUT = 30_000;
/**
 * Where a page sends a password: the server answers each after an scrypt
 * check, in turn with its other checks.
 */
const PASSWORD_PATHS = new Set([
  "/api/login",
  "/api/register",
  "/api/reset-password",
]);
/** Playwright's longest wait between two tries of a step. */
const PLAYWRIGHT_BACKOFF_MS = 1_100;
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
/**
 * The file's Chromium, in a process of its own (tests/browser_launcher.ts),
 * started as the file loads: its process and pipes then exist before any
 * test starts and outlive none, so no test's sanitizers count them, and
 * each test connects (0.1-0.5 s) instead of launching (4 s at load 24).
 */
const launcher = hasChromium ? startLauncher() : undefined;
/** The launcher's endpoint, read by the first test that needs it. */
let endpoint: Promise<string> | undefined;
let built = false;
/** Script errors and dialogs the pages of the running test met. */
const problems: string[] = [];

/**
 * A browser test with a fresh server and a fresh connection to the file's
 * Chromium, both closed at the end (the connection's contexts with it);
 * ignored without Chromium.
 */
export function browserTest(
  name: string,
  fn: (browser: Browser, server: TestServer) => Promise<void>,
  config: Partial<Config> = {},
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
      const server = await startTestServer(config);
      problems.length = 0;
      let connection: Connection | undefined;
      try {
        connection = await connect();
        await fn(connection.browser, server);
        assert.deepEqual(problems, [], "the pages met errors or dialogs");
      } catch (error) {
        // A step that timed out leaves Playwright's retry back-off timer
        // (at most 1 s) running: let it end here, or the next test's leak
        // check blames that test for it.
        await new Promise((done) => setTimeout(done, PLAYWRIGHT_BACKOFF_MS));
        throw error;
      } finally {
        await connection?.close();
        await server.close();
      }
    },
  });
}

/** How a page is opened: its window size and colour scheme. */
export interface PageOptions {
  /** Default: 1280x800. */
  viewport?: { width: number; height: number };
  /** Default: dark. */
  colorScheme?: "dark" | "light";
  /** Default: en-US. */
  locale?: string;
  /** The browser's time zone (IANA); default: the machine's. */
  timezoneId?: string;
}

/** A page in its own browser context (own cookies); page errors fail loudly in the log. */
export async function openPage(
  browser: Browser,
  server: TestServer,
  options: PageOptions = {},
): Promise<Page> {
  const mobile = (options.viewport?.width ?? 1280) < 700;
  const context = await browser.newContext({
    viewport: options.viewport ?? { width: 1280, height: 800 },
    colorScheme: options.colorScheme ?? "dark",
    locale: options.locale ?? "en-US",
    timezoneId: options.timezoneId,
    baseURL: server.url,
    isMobile: mobile,
    hasTouch: mobile,
    deviceScaleFactor: mobile ? 2 : 1,
  });
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_TIMEOUT);
  page.on("pageerror", (error) => {
    console.error(`page error: ${error.message}`);
    problems.push(`page error: ${error.message}`);
  });
  // Inline styles or scripts would break under the server's CSP.
  page.on("console", (message) => {
    if (message.text().includes("Content Security Policy")) {
      problems.push(`CSP: ${message.text()}`);
    }
  });
  // A user text that ran as script would open a dialog: fail on any.
  page.on("dialog", (dialog) => {
    problems.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  return page;
}

/**
 * Opens one of the header's panels (pins, saved, mentions, scheduled): by
 * its button, or on a phone, whose header has no room for it, by the
 * header menu's item.
 */
export async function openPanel(
  page: Page,
  name: "pins" | "saved" | "mentions" | "scheduled",
): Promise<void> {
  const button = page.getByTestId(`${name}-open`);
  if (await button.isVisible()) return await button.click();
  await page.getByTestId("room-menu").click();
  await page.getByTestId(`${name}-menu`).click();
}

/** Creates an account in the browser and lands in #general. */
export async function register(page: Page, name: string): Promise<void> {
  await page.goto("/");
  await page.getByTestId("login-tab-register").click();
  await page.getByTestId("login-username").fill(name);
  await page.getByTestId("login-password").fill(TEST_PASSWORD);
  await submitPassword(page, () => page.getByTestId("login-submit").click());
  await currentRoom(page, "general");
}

/** Signs in to an existing account and lands in #general. */
export async function signIn(page: Page, name: string): Promise<void> {
  await page.goto("/");
  await page.getByTestId("login-tab-signin").click();
  await page.getByTestId("login-username").fill(name);
  await page.getByTestId("login-password").fill(TEST_PASSWORD);
  await submitPassword(page, () => page.getByTestId("login-submit").click());
  await currentRoom(page, "general");
}

/**
 * Does `submit` (the click or key that sends a password from the page) and
 * waits for the answers it brings, not for a time: the server's reply to
 * the password, then, when that let the page in, the reply to the login of
 * the socket the page opens with its new cookie. True when the page got in.
 *
 * A password's reply can take long on a busy machine (scrypt, in turn with
 * the server's other checks), and the socket's login follows it: no step's
 * wait can say how long both take. Each answer is waited for as the harness
 * waits for one that hashes (PATIENT_WAIT_MS, a bound that only a server
 * that never answers reaches); what the page shows after them is its own
 * quick work, for a step's wait.
 */
export async function submitPassword(
  page: Page,
  submit: () => Promise<void>,
): Promise<boolean> {
  let answered = (_ok: boolean) => {};
  let loggedIn = () => {};
  const answer = new Promise<boolean>((resolve) => answered = resolve);
  const login = new Promise<void>((resolve) => loggedIn = resolve);
  const onResponse = (response: Response) => {
    const { pathname } = new URL(response.url());
    if (
      PASSWORD_PATHS.has(pathname) && response.request().method() === "POST"
    ) answered(response.ok());
  };
  // Every socket the page opens from now: a refused socket login (rate
  // limited, say) is tried again on a new one.
  const onSocket = (socket: WebSocket) => {
    socket.on("framereceived", ({ payload }) => {
      if (typeof payload === "string" && isLoginSuccess(payload)) loggedIn();
    });
  };
  page.on("response", onResponse);
  page.on("websocket", onSocket);
  try {
    await submit();
    const ok = await within(PATIENT_WAIT_MS, answer, "the password's reply");
    if (ok) await within(PATIENT_WAIT_MS, login, "the socket's login reply");
    return ok;
  } finally {
    page.off("response", onResponse);
    page.off("websocket", onSocket);
  }
}

/** Whether a WebSocket frame (objects joined by "\n") holds a login's success reply. */
function isLoginSuccess(payload: string): boolean {
  // History pages are large: read only frames that can hold the reply.
  if (!payload.includes('"request":"login"')) return false;
  return payload.split("\n").some((line) => {
    try {
      const frame = JSON.parse(line);
      return frame.action === "success" && frame.data?.request === "login";
    } catch {
      return false;
    }
  });
}

/** Joins as a guest and lands in #general. */
export async function guest(page: Page, name: string): Promise<void> {
  await page.goto("/");
  await page.getByTestId("login-username").fill(name);
  await page.getByTestId("login-submit").click();
  await currentRoom(page, "general");
}

/** Makes a private room with the sidebar's form and lands in it. */
export async function createPrivateRoom(
  page: Page,
  room: string,
): Promise<void> {
  await page.getByTestId("create-room").click();
  await page.getByTestId("create-room-input").fill(room);
  await page.getByTestId("create-room-private").check();
  await page.getByTestId("create-room-submit").click();
  await currentRoom(page, room);
}

/** Types a message (or command) and presses Enter. */
export async function send(page: Page, text: string): Promise<void> {
  await page.getByTestId("composer").fill(text);
  await page.getByTestId("composer").press("Enter");
}

/** A room's row in one of the sidebar's lists (by the list's test id). */
export function roomIn(page: Page, list: string, room: string): Locator {
  return page.locator(
    `[data-testid="${list}"] [data-testid="room-item"][data-room="${room}"]`,
  );
}

/** Waits until the header names this room (`options.timeout`: a step's by default). */
export async function currentRoom(
  page: Page,
  room: string,
  options: { timeout?: number } = {},
): Promise<void> {
  await page.getByTestId("current-room").filter({
    hasText: new RegExp(`^${room}$`),
  }).waitFor(options);
}

/** Waits until the header names this private conversation. */
export async function currentConversation(
  page: Page,
  user: string,
): Promise<void> {
  await page.getByTestId("current-conversation").filter({
    hasText: new RegExp(`^${user}$`),
  }).waitFor();
}

/** Message rows holding this text. */
export function messages(page: Page, text: string): Locator {
  return page.getByTestId("message").filter({ hasText: text });
}

/** A row the server confirmed: it has a seq and is no longer pending. */
export function confirmedFrom(page: Page, user: string, text: string): Locator {
  return page.locator(
    `[data-testid="message"][data-user="${user}"][data-seq]:not([data-pending])`,
  ).filter({ hasText: text });
}

/**
 * Replaces the page's Notification API with one that grants permission
 * when asked and records what it would show.
 */
export async function recordNotifications(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = globalThis as unknown as {
      shown: { title: string; body: string }[];
      Notification: unknown;
    };
    w.shown = [];
    let permission = "default";
    class FakeNotification {
      static get permission(): string {
        return permission;
      }
      static requestPermission(): Promise<string> {
        permission = "granted";
        return Promise.resolve(permission);
      }
      onclick: (() => void) | null = null;
      constructor(title: string, options: { body?: string } = {}) {
        w.shown.push({ title, body: options.body ?? "" });
      }
      close(): void {}
    }
    w.Notification = FakeNotification;
  });
}

/** What the page showed as desktop notifications. */
export async function notifications(
  page: Page,
): Promise<{ title: string; body: string }[]> {
  return await page.evaluate(() =>
    (globalThis as unknown as { shown: { title: string; body: string }[] })
      .shown
  );
}

/** Pretends the tab went to the background (or came back): what switching tabs does. */
export async function setHidden(page: Page, hidden: boolean): Promise<void> {
  await page.evaluate((hide) => {
    Object.defineProperty(document, "visibilityState", {
      value: hide ? "hidden" : "visible",
      configurable: true,
    });
    Object.defineProperty(document, "hidden", {
      value: hide,
      configurable: true,
    });
    document.dispatchEvent(new Event("visibilitychange"));
  }, hidden);
}

/**
 * What {@linkcode noteAppearance} watches for: an element with this test id,
 * or one matching a CSS selector (and holding a text, when given).
 */
export type Watched = string | { selector: string; text?: string };

/** An element watched for since {@linkcode noteAppearance} was called. */
export interface Appearance {
  /** Waits until it has shown, however briefly (at once if it did). */
  waitFor(): Promise<void>;
  /** Whether it has shown so far, even for one frame. */
  seen(): Promise<boolean>;
}

/**
 * Starts noting whether an element shows up, however briefly. A locator's
 * `waitFor` polls, so it can miss an element that comes and goes between
 * two polls, like the banner of a reconnect that took a few milliseconds,
 * or a highlight that lasts 2.5 s when a step took longer; and a `count()`
 * taken once cannot tell that something flashed for a frame. Attribute
 * and text changes count too (a class added to a row that was there).
 */
export async function noteAppearance(
  page: Page,
  watched: Watched,
): Promise<Appearance> {
  const { selector, text } = typeof watched === "string"
    ? { selector: `[data-testid="${watched}"]`, text: undefined }
    : watched;
  const key = JSON.stringify([selector, text ?? null]);
  await page.evaluate(({ key, selector, text }) => {
    const seen = globalThis as unknown as { seen?: Record<string, boolean> };
    const marks = seen.seen ??= {};
    const present = () =>
      [...document.querySelectorAll(selector)].some((el) =>
        text === null || (el.textContent ?? "").includes(text)
      );
    marks[key] = present();
    if (marks[key]) return;
    new MutationObserver((_, observer) => {
      if (present()) {
        marks[key] = true;
        observer.disconnect();
      }
    }).observe(document, {
      childList: true,
      subtree: true,
      attributes: true,
      characterData: true,
    });
  }, { key, selector, text: text ?? null });
  const read = (key: string) =>
    (globalThis as unknown as { seen: Record<string, boolean> }).seen[key];
  return {
    async waitFor() {
      await page.waitForFunction(read, key);
    },
    async seen() {
      return await page.evaluate(read, key);
    },
  };
}

/** Waits until the tab title is exactly `title`. */
export async function waitForTitle(page: Page, title: string): Promise<void> {
  await page.waitForFunction((t) => document.title === t, title);
}

/** The WCAG 2.1 A and AA rule tags of axe-core. */
const WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

/** One axe-core finding, trimmed to what a failing test should print. */
export interface AxeFinding {
  /** The rule, e.g. `color-contrast`. */
  id: string;
  /** `minor`, `moderate`, `serious` or `critical`. */
  impact: string;
  /** What the rule checks. */
  help: string;
  /** CSS selectors of the offending elements (at most 10). */
  targets: string[];
}

/**
 * Waits until the page's transitions have ended (the drawer slides in for
 * 0.2 s, longer on a busy machine): what is measured or audited next is
 * the settled page. Endless animations (a pulsing dot) are not waited for.
 */
export async function transitionsDone(page: Page): Promise<void> {
  await page.waitForFunction(() =>
    document.getAnimations().every((animation) =>
      animation.playState !== "running" ||
      animation.effect?.getTiming().iterations === Infinity
    )
  );
}

/**
 * Runs axe-core's WCAG 2.1 A and AA rules on the page once its
 * transitions have ended, and returns the serious and critical findings. axe is evaluated through the
 * DevTools protocol, which the page's CSP does not govern (an inline
 * script tag would be refused, as it should be).
 */
export async function axeAudit(page: Page): Promise<AxeFinding[]> {
  // A colour read halfway through a fade is not the colour the user reads:
  // on a loaded machine a 150 ms transition can still be running here.
  await transitionsDone(page);
  const loaded = await page.evaluate(() => "axe" in globalThis);
  if (!loaded) await page.evaluate(axe.source);
  return await page.evaluate(async (tags) => {
    const run = (globalThis as unknown as {
      axe: {
        run(
          context: Document,
          options: unknown,
        ): Promise<
          {
            violations: {
              id: string;
              impact: string | null;
              help: string;
              nodes: { target: unknown[] }[];
            }[];
          }
        >;
      };
    }).axe.run;
    const result = await run(document, {
      runOnly: { type: "tag", values: tags },
      resultTypes: ["violations"],
    });
    return result.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => ({
        id: v.id,
        impact: v.impact ?? "",
        help: v.help,
        targets: v.nodes.slice(0, 10).map((n) => n.target.join(" ")),
      }));
  }, WCAG_TAGS);
}

/** Where a screenshot goes. */
export function artifact(name: string): string {
  return new URL(name, ARTIFACTS).pathname;
}

/** A test's connection to the file's Chromium. */
interface Connection {
  browser: Browser;
  /** Closes the test's contexts, then the connection, and waits until its socket has closed. */
  close(): Promise<void>;
}

/**
 * Connects to the file's Chromium (launched on the first call's behalf).
 *
 * Closing a connected browser resolves once Playwright has sent its close
 * frame, not once the WebSocket's socket has closed: until then the `ws`
 * library keeps a 30 s timer that would kill a socket whose peer never
 * answers. A test that ended there (one that closed its server itself,
 * leaving nothing to do after) failed Deno's timer-leak check, on a busy
 * machine. So the sockets opened while connecting are noted through
 * Node's `net.client.socket` channel, and closing waits for their 'close'
 * (`ws` clears the timer in its own listener, registered before ours).
 */
async function connect(): Promise<Connection> {
  const wsEndpoint = await (endpoint ??= readEndpoint());
  const sockets: Socket[] = [];
  const note = (message: unknown) =>
    sockets.push((message as { socket: Socket }).socket);
  diagnostics.subscribe("net.client.socket", note);
  let browser: Browser;
  try {
    browser = await chromium.connect(wsEndpoint);
  } finally {
    diagnostics.unsubscribe("net.client.socket", note);
  }
  // Without a socket to wait for, the close would race the timer again.
  assert.ok(sockets.length > 0, "no socket seen while connecting to Chromium");
  return {
    browser,
    async close() {
      // Closing the connection closes the test's contexts too, but in the
      // launcher, after it returned: a page still open then saw its server
      // close and connected again to a server closing (whose login timer
      // outlived it, failing the next test's leak check).
      await Promise.all(browser.contexts().map((context) => context.close()));
      await browser.close();
      await Promise.all(
        sockets.map((socket) =>
          socket.closed ? undefined : once(socket, "close")
        ),
      );
    },
  };
}

/**
 * Starts the file's Chromium launcher. Its stdin is never written: closing
 * it (when the file ends, or the system's doing when this process dies)
 * is what tells it to close Chromium and end.
 */
function startLauncher(): Deno.ChildProcess {
  removeGoneScratch();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      new URL("browser_launcher.ts", import.meta.url).pathname,
      CHROMIUM,
      ...CHROMIUM_FLAGS,
    ],
    cwd: ROOT,
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const stdin = child.stdin.getWriter();
  addEventListener("unload", () => void stdin.close().catch(() => {}));
  return child;
}

/**
 * The launcher's first line, its browser server's endpoint. Read with
 * no read left pending: a read started in one test and done in another
 * fails the first's sanitizers.
 */
async function readEndpoint(): Promise<string> {
  const reader = launcher!.stdout.getReader();
  const decoder = new TextDecoder();
  let text = "";
  try {
    while (!text.includes("\n")) {
      const { done, value } = await reader.read();
      if (done) {
        throw new Error(
          "Chromium's launcher ended without an endpoint: its errors are above",
        );
      }
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    reader.releaseLock();
  }
  return text.slice(0, text.indexOf("\n"));
}

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

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/**
 * How many pixels of a PNG are of the pure green a test gave some text:
 * decoded by the page itself (its policy allows data: images).
 */
async function inkPixels(page: Page, png: Uint8Array): Promise<number> {
  return await page.evaluate(async (base64) => {
    const image = new Image();
    image.src = `data:image/png;base64,${base64}`;
    await image.decode();
    const canvas = document.createElement("canvas");
    canvas.width = image.width;
    canvas.height = image.height;
    const context = canvas.getContext("2d")!;
    context.drawImage(image, 0, 0);
    const { data } = context.getImageData(0, 0, image.width, image.height);
    let count = 0;
    for (let i = 0; i < data.length; i += 4) {
      // Green well above red and blue: the ink, or its anti-aliased edge.
      if (data[i + 1] > 150 && data[i] < 120 && data[i + 2] < 120) count++;
    }
    return count;
  }, Buffer.from(png).toString("base64"));
}

/** What {@linkcode assertNoInkAbove} is told besides the box and its ink. */
export interface InkAboveOptions {
  /** Pixels above the box that belong to it (its top margin), not counted. Default 0. */
  margin?: number;
  /** Whose ink, for the failure's sentence ("the question's marks"). */
  what: string;
}

/**
 * Asserts that the text a selector names inside a box (the box itself
 * included when it matches) draws nothing above the box: stacked accents
 * that the stylesheet must clip. The text is painted a green nothing else on
 * the page has, and its pixels are counted in the 90 above the box's top
 * (less its margin) and within the box, so that a zero above is not
 * blindness. Only the colour changes: the clipping under test is the
 * stylesheet's.
 */
export async function assertNoInkAbove(
  box: Locator,
  ink: string,
  options: InkAboveOptions,
): Promise<void> {
  const page = box.page();
  const clip = await box.evaluate((element, ink) => {
    const painted = [element, ...element.querySelectorAll("*")].filter((
      each,
    ) => each.matches(ink));
    for (const each of painted) {
      (each as HTMLElement).style.color = "rgb(0, 255, 0)";
    }
    const { left, top, width, height } = element.getBoundingClientRect();
    return { x: left, y: top, width, height, painted: painted.length };
  }, ink);
  assert.ok(clip.painted > 0, `nothing in the box matches ${ink}`);
  // The pointer away, so that no hover colours or moves anything.
  await page.mouse.move(0, 0);
  const top = Math.max(0, clip.y - 90);
  const above = await inkPixels(
    page,
    await page.screenshot({
      clip: {
        x: clip.x,
        y: top,
        width: clip.width,
        height: clip.y - (options.margin ?? 0) - top,
      },
      animations: "disabled",
    }),
  );
  const own = await inkPixels(
    page,
    await page.screenshot({
      clip: { x: clip.x, y: clip.y, width: clip.width, height: clip.height },
      animations: "disabled",
    }),
  );
  assert.ok(own > 0, `${options.what} own letters are counted`);
  assert.equal(above, 0, `${above} pixels of ${options.what} marks above`);
}
