/**
 * The web client when its session ends, here or elsewhere (a logout in
 * another tab, a password change from another device): the server closes
 * its socket with 4004 and the page goes back to the login screen, saying
 * why, instead of reconnecting; and the browser keeps nothing of the
 * account for whoever uses it next. Needs /usr/bin/chromium.
 */
import assert from "node:assert/strict";
import type { Browser, Page } from "playwright-core";
import {
  browserTest,
  confirmedFrom,
  currentConversation,
  currentRoom,
  openPage,
  register,
  send,
  signIn,
  STEP_TIMEOUT,
  submitPassword,
} from "./browser_support.ts";
import { TEST_PASSWORD, TestClient, type TestServer } from "./harness.ts";
import { DEFAULT_RATE_LIMITS } from "../server/mod.ts";

/** Seconds between two logins of one account once its bucket is spent, in the refused-tab test. */
const LOGIN_REFILL_S = 30;

browserTest(
  "web client: after an account's logout the login screen opens on Sign in, there again after a reload; after a guest's, on Guest",
  async (browser, server) => {
    const lena = await openPage(browser, server);
    await register(lena, "lena");
    await lena.getByTestId("logout").click();
    // Before, it always opened on Guest: an account's owner coming back
    // was offered a guest's name first, and "Your session has ended. Sign
    // in again." showed above a form that did not sign in.
    const signinTab = lena.locator(
      '[data-testid="login-tab-signin"][aria-selected="true"]',
    );
    await signinTab.waitFor();
    await lena.reload();
    await signinTab.waitFor();
    // No tab to pick: the name and the password sign in.
    await lena.getByTestId("login-username").fill("lena");
    await lena.getByTestId("login-password").fill(TEST_PASSWORD);
    await submitPassword(lena, () => lena.getByTestId("login-submit").click());
    await currentRoom(lena, "general");

    const gil = await openPage(browser, server);
    await gil.goto("/");
    await gil.getByTestId("login-username").fill("gil");
    await gil.getByTestId("login-submit").click();
    await currentRoom(gil, "general");
    await gil.getByTestId("logout").click();
    await gil.locator('[data-testid="login-tab-guest"][aria-selected="true"]')
      .waitFor();
  },
);

browserTest(
  "web client: a logout in one tab sends the other tab of that session back to the login screen",
  async (browser, server) => {
    const first = await openPage(browser, server);
    await register(first, "carol");
    // A second tab of the same browser: same cookie, same session.
    const second = await first.context().newPage();
    await second.goto("/");
    await second.getByTestId("me-name").filter({ hasText: /^carol$/ })
      .waitFor();

    await first.getByTestId("logout").click();
    await first.getByTestId("login-username").waitFor();
    await second.getByTestId("login-error").filter({
      hasText: "Your session has ended",
    }).waitFor();
    await second.getByTestId("login-username").waitFor();

    // The login screen works: the tab signs in again.
    await second.getByTestId("login-tab-signin").click();
    await second.getByTestId("login-username").fill("carol");
    await second.getByTestId("login-password").fill(TEST_PASSWORD);
    await submitPassword(
      second,
      () => second.getByTestId("login-submit").click(),
    );
    await second.getByTestId("me-name").filter({ hasText: /^carol$/ })
      .waitFor();
  },
);

browserTest(
  'web client: the login form\'s errors, "Your session has ended" too, change language with the interface',
  async (browser, server) => {
    const first = await openPage(browser, server);
    await register(first, "gus");
    const second = await first.context().newPage();
    await second.goto("/");
    await second.getByTestId("me-name").filter({ hasText: /^gus$/ })
      .waitFor();

    // Logged out in one tab: the other says why, then the reader picks
    // French under the form. Before, the sentence stayed English.
    await first.getByTestId("logout").click();
    const error = second.getByTestId("login-error");
    await error.filter({ hasText: "Your session has ended. Sign in again." })
      .waitFor();
    await second.getByRole("button", { name: "Français" }).click();
    await error.filter({
      hasText: "Votre session a pris fin. Reconnectez-vous.",
    }).waitFor();

    // A refused sign-in, said in French, turns English with the form.
    await second.getByTestId("login-tab-signin").click();
    await second.getByTestId("login-username").fill("gus");
    await second.getByTestId("login-password").fill("not the password");
    await submitPassword(
      second,
      () => second.getByTestId("login-submit").click(),
    );
    await error.filter({
      hasText: "Nom d'utilisateur ou mot de passe incorrect.",
    }).waitFor();
    await second.getByRole("button", { name: "English" }).click();
    await error.filter({ hasText: "Wrong username or password." }).waitFor();

    // And one the page says before asking the server.
    await second.getByTestId("login-username").fill("");
    await second.getByTestId("login-submit").click();
    await error.filter({ hasText: "Enter a username." }).waitFor();
    await second.getByRole("button", { name: "Français" }).click();
    await error.filter({ hasText: "Saisissez un nom d'utilisateur." })
      .waitFor();
  },
);

browserTest(
  "web client: a tab whose cookie login is refused for now (the account's logins spent) gets in after the backoff",
  async (browser, server) => {
    const first = await openPage(browser, server);
    await register(first, "dora");
    // Another tab's cookie, as a browser restoring 25 tabs sends it: the
    // other tabs' logins spend the account's bucket (20 at once).
    const cookie = (await first.context().cookies())
      .map((c) => `${c.name}=${c.value}`).join("; ");
    const tabs: TestClient[] = [];
    try {
      // All at once, as a browser restoring its tabs asks.
      await Promise.all(Array.from({ length: 25 }, async () => {
        tabs.push(
          await TestClient.connect(server.wsUrl, { headers: { cookie } }),
        );
      }));
      const replies = await Promise.all(
        tabs.map((tab) => tab.request("login", {})),
      );
      const refused = replies.filter((reply) => reply.action === "error");
      assert.ok(refused.length > 0, "the account's logins were never spent");
      for (const reply of refused) {
        assert.equal(reply.data.code, "rate_limited");
      }
      const late = await first.context().newPage();
      let lateRefused = 0;
      late.on(
        "websocket",
        (socket) =>
          socket.on("framereceived", ({ payload }) => {
            if (String(payload).includes('"rate_limited"')) lateRefused++;
          }),
      );
      await late.goto("/");
      // The bucket gives one login every LOGIN_REFILL_S: the tab's retries
      // reach it, each after a backoff of up to 15 s.
      await late.getByTestId("me-name").filter({ hasText: /^dora$/ })
        .waitFor({ timeout: 3 * STEP_TIMEOUT });
      assert.ok(lateRefused > 0, "the tab was let in at once");
    } finally {
      await Promise.all(tabs.map((tab) => tab.close()));
    }
  },
  // One login every 3 s (the default) raced the spending: tabs logged in
  // one after the other took longer than that each on a busy machine, the
  // bucket never ran dry, and the test never ended. Slower here, so that
  // the tab's first try (a page load, 10 s on a loaded machine) comes
  // before the refill, however slowly the other tabs got in.
  {
    rateLimits: {
      ...DEFAULT_RATE_LIMITS,
      perUser: {
        ...DEFAULT_RATE_LIMITS.perUser,
        login: { burst: 20, perSecond: 1 / LOGIN_REFILL_S },
      },
    },
  },
);

browserTest(
  "web client: a logout the server never answered keeps the chat and says so, since the session cookie still logs in",
  async (browser, server) => {
    const dana = await openPage(browser, server);
    await register(dana, "dana");
    // The network drops as she logs out on a shared computer: the
    // HttpOnly cookie, which only the server's answer clears, stays.
    await dana.route("**/api/logout", (route) => route.abort());
    await dana.getByTestId("logout").click();
    await dana.locator(".notice.error").filter({
      hasText: "You are still signed in",
    }).waitFor();
    await currentRoom(dana, "general");
    assert.equal(await dana.getByTestId("login-username").count(), 0);
    // What the login screen would have hidden: the next person's reload
    // is in her account.
    await dana.reload();
    await dana.getByTestId("me-name").filter({ hasText: /^dana$/ }).waitFor();

    // With the server's answer the logout goes through, cookie and all.
    await dana.unroute("**/api/logout");
    await dana.getByTestId("logout").click();
    await dana.getByTestId("login-username").waitFor();
    await dana.reload();
    await dana.getByTestId("login-username").waitFor();
    assert.equal(await dana.getByTestId("me-name").count(), 0);
  },
);

browserTest(
  "web client: logging out leaves nothing of the account in the browser, and a reload keeps the sidebar until then",
  async (browser, server) => {
    const alice = await aliceAndBob(browser, server);
    await alice.context().grantPermissions(["notifications"]);
    // The language is the device's: it stays.
    await alice.getByTestId("settings").click();
    await alice.getByTestId("lang-en").click();
    await talkPrivately(alice, "bob", "the secret plans");
    await alice.getByTestId("room-menu").click();
    await alice.getByTestId("notify-none").click();
    await alice.getByTestId("muted-mark").waitFor();

    // A reload keeps the sidebar's conversation and its mute.
    await alice.reload();
    const withBob = alice.locator('[data-testid="dm-item"][data-user="bob"]');
    await withBob.click();
    await currentConversation(alice, "bob");
    await alice.getByTestId("muted-mark").waitFor();
    await alice.getByTestId("composer").fill("a draft for bob");
    // A push notification the service worker showed for the account.
    await alice.evaluate(async () => {
      const registration = await navigator.serviceWorker.ready;
      await registration.showNotification("bob · Direct message", {
        body: "the secret plans",
      });
    });
    const before = await leftovers(alice);
    assert.match(JSON.stringify(before.local), /bob/, "nothing to forget");
    assert.equal(before.notifications, 1);

    await alice.getByTestId("logout").click();
    await alice.getByTestId("login-username").waitFor();
    await assertNothingOfAlice(alice);
    assert.equal(before.local["chat.lang"], "en");
    assert.equal((await leftovers(alice)).local["chat.lang"], "en");

    // Reloaded, the page still shows and keeps nothing of hers.
    await alice.reload();
    await alice.getByTestId("login-username").waitFor();
    await assertNothingOfAlice(alice);
  },
);

browserTest(
  "web client: logging out empties the browser's own cache of the files the account opened",
  async (browser, server) => {
    const alice = await aliceAndBob(browser, server);
    // A picture alice uploaded and opened: the browser keeps it (private,
    // an hour) in its HTTP cache, where only-if-cached finds it.
    const url = await alice.evaluate(async () => {
      const form = new FormData();
      const png = Uint8Array.from(
        atob(
          "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
        ),
        (c) => c.charCodeAt(0),
      );
      form.append("file", new Blob([png], { type: "image/png" }), "plans.png");
      const uploaded = await fetch("/api/files", {
        method: "POST",
        body: form,
      });
      const { url } = await uploaded.json();
      await (await fetch(url)).arrayBuffer();
      return url as string;
    });
    const cached = (target: string) =>
      alice.evaluate(async (target) => {
        try {
          const answer = await fetch(target, {
            cache: "only-if-cached",
            mode: "same-origin",
          });
          return answer.status;
        } catch {
          return 0;
        }
      }, target);
    assert.equal(await cached(url), 200, "the picture was never cached");

    await alice.getByTestId("logout").click();
    await alice.getByTestId("login-username").waitFor();
    // A cache miss under only-if-cached is 504 (or a network error).
    assert.notEqual(await cached(url), 200);
  },
);

browserTest(
  "web client: a session ended elsewhere leaves nothing of the account, open page or not",
  async (browser, server) => {
    const alice = await aliceAndBob(browser, server);
    await talkPrivately(alice, "bob", "the secret plans");
    const elsewhere = await openPage(browser, server);
    await signIn(elsewhere, "alice");

    // Her password changed on another device: the open page hears 4004.
    await changePassword(elsewhere, TEST_PASSWORD, "another long password");
    await alice.getByTestId("login-error").filter({
      hasText: "Your session has ended",
    }).waitFor();
    await assertNothingOfAlice(alice);

    // Signed in again, then the page closed; the session ends while no
    // page of it is open: the next page to open forgets it.
    await alice.getByTestId("login-tab-signin").click();
    await alice.getByTestId("login-username").fill("alice");
    await alice.getByTestId("login-password").fill("another long password");
    await submitPassword(
      alice,
      () => alice.getByTestId("login-submit").click(),
    );
    await currentRoom(alice, "general");
    await talkPrivately(alice, "bob", "more secret plans");
    await alice.reload();
    await alice.locator('[data-testid="dm-item"][data-user="bob"]').waitFor();
    const context = alice.context();
    await alice.close();
    await changePassword(elsewhere, "another long password", TEST_PASSWORD);
    const next = await context.newPage();
    await next.goto("/");
    await next.getByTestId("login-username").waitFor();
    await assertNothingOfAlice(next);
  },
);

browserTest(
  "web client: an account's private conversations come back in the sidebar after a logout and a sign-in, and show in another browser with what is unread",
  async (browser, server) => {
    const alice = await aliceAndBob(browser, server);
    await talkPrivately(alice, "bob", "lunch at noon?");
    await alice.getByTestId("logout").click();
    await alice.getByTestId("login-username").waitFor();
    await assertNothingOfAlice(alice);

    // Signed in again: the browser forgot the sidebar, the server did not.
    await signIn(alice, "alice");
    const withBob = (page: Page) =>
      page.locator('[data-testid="dm-item"][data-user="bob"]');
    await withBob(alice).waitFor();
    const bob = await TestClient.loginWith(server.wsUrl, {
      username: "bob",
      password: TEST_PASSWORD,
    });
    try {
      await bob.ok("private_message", { to: "alice", text: "yes, noon" });
    } finally {
      await bob.close();
    }
    await withBob(alice).getByTestId("dm-unread").filter({ hasText: /^1$/ })
      .waitFor();

    // Another browser that never saw the conversation: listed, unread.
    const laptop = await openPage(browser, server);
    await signIn(laptop, "alice");
    await withBob(laptop).getByTestId("dm-unread").filter({ hasText: /^1$/ })
      .waitFor();
    await withBob(laptop).click();
    await currentConversation(laptop, "bob");
    await confirmedFrom(laptop, "bob", "yes, noon").waitFor();
  },
);

/** Registers bob, then alice, each in a browser of their own; returns alice's page. */
async function aliceAndBob(
  browser: Browser,
  server: TestServer,
): Promise<Page> {
  await register(await openPage(browser, server), "bob");
  const alice = await openPage(browser, server);
  await register(alice, "alice");
  return alice;
}

/** Opens a private conversation with `to` by /msg and waits for the message's confirmation. */
async function talkPrivately(
  page: Page,
  to: string,
  text: string,
): Promise<void> {
  await send(page, `/msg ${to} ${text}`);
  await currentConversation(page, to);
  const me = await page.getByTestId("me-name").innerText();
  await confirmedFrom(page, me, text).waitFor();
}

/** Changes the signed-in account's password over HTTP, from the page. */
async function changePassword(
  page: Page,
  from: string,
  to: string,
): Promise<void> {
  const status = await page.evaluate(async ([from, to]) => {
    const response = await fetch("/api/password", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ old_password: from, new_password: to }),
    });
    return response.status;
  }, [from, to]);
  assert.equal(status, 204);
}

/** What the page's origin keeps: storage, databases, the service worker's caches and notifications. */
interface Leftovers {
  local: Record<string, string>;
  session: Record<string, string>;
  databases: string[];
  cached: { url: string; body: string }[];
  notifications: number;
}

function leftovers(page: Page): Promise<Leftovers> {
  return page.evaluate(async () => {
    const all = (storage: Storage) =>
      Object.fromEntries(
        Array.from(
          { length: storage.length },
          (_, i) => storage.key(i)!,
        ).map((key) => [key, storage.getItem(key) ?? ""]),
      );
    const cached: { url: string; body: string }[] = [];
    for (const name of await caches.keys()) {
      const cache = await caches.open(name);
      for (const request of await cache.keys()) {
        const response = await cache.match(request);
        cached.push({ url: request.url, body: await response!.text() });
      }
    }
    const registration = await navigator.serviceWorker.getRegistration();
    return {
      local: all(localStorage),
      session: all(sessionStorage),
      databases: (await indexedDB.databases()).map((db) => db.name ?? ""),
      cached,
      notifications: (await registration?.getNotifications() ?? []).length,
    };
  });
}

/** Nothing naming alice's correspondent or her words, kept or shown. */
async function assertNothingOfAlice(page: Page): Promise<void> {
  const private_ = /bob|secret plans|draft for bob/;
  const left = await leftovers(page);
  assert.doesNotMatch(JSON.stringify(left.local), private_);
  assert.doesNotMatch(JSON.stringify(left.local), /alice/);
  assert.deepEqual(left.session, {});
  assert.deepEqual(left.databases, []);
  for (const { url, body } of left.cached) {
    assert.doesNotMatch(new URL(url).pathname, /^\/(api|ws|files)(\/|$)/);
    assert.doesNotMatch(body, /secret plans|draft for bob/, url);
  }
  assert.equal(left.notifications, 0);
  assert.doesNotMatch(await page.locator("body").innerText(), private_);
}
