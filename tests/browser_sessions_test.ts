/**
 * The web client when its session ends elsewhere (a logout in another tab,
 * a password change from another device): the server closes its socket
 * with 4004 and the page goes back to the login screen, saying why,
 * instead of reconnecting. Needs /usr/bin/chromium.
 */
import assert from "node:assert/strict";
import { browserTest, openPage, register } from "./browser_support.ts";
import { TEST_PASSWORD, TestClient } from "./harness.ts";

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
    await second.getByTestId("login-submit").click();
    await second.getByTestId("me-name").filter({ hasText: /^carol$/ })
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
      for (let refused = false; !refused;) {
        const tab = await TestClient.connect(server.wsUrl, {
          headers: { cookie },
        });
        tabs.push(tab);
        const reply = await tab.request("login", {});
        refused = reply.action === "error";
        if (refused) assert.equal(reply.data.code, "rate_limited");
      }
      const late = await first.context().newPage();
      await late.goto("/");
      // The bucket gives one login every 3 s: the tab's retries reach it.
      await late.getByTestId("me-name").filter({ hasText: /^dora$/ })
        .waitFor();
    } finally {
      await Promise.all(tabs.map((tab) => tab.close()));
    }
  },
);
