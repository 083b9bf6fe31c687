/**
 * Two-factor authentication in the web client, in a real browser: the
 * account menu's dialog turns it on (the QR code and the key shown, a code
 * computed here from that key, ten recovery codes shown once, and copied
 * to the clipboard, one a line), and after a
 * logout the login form asks for a code as its second step; a wrong code
 * keeps it there; an admin turns it off on the admin page. Needs /usr/bin/chromium; without it the test is reported
 * as ignored.
 *
 * Codes are computed from the key the page shows (totp_codes.ts).
 */

import assert from "node:assert/strict";
import {
  artifact,
  axeAudit,
  browserTest,
  currentRoom,
  openPage,
  register,
  submitPassword,
} from "./browser_support.ts";
import { TEST_PASSWORD, TestClient } from "./harness.ts";
import { codeAt, wrongCode } from "./totp_codes.ts";

browserTest(
  "web client: two-factor authentication turned on in the account menu with a code of the key it shows, its recovery codes copied; the next sign-in asks for a code in a second step; the admin page's button turns it off",
  async (browser, server) => {
    // root, the first account, is the admin who turns ann's off at the end.
    const root = await openPage(browser, server);
    await register(root, "root");
    const page = await openPage(browser, server);
    await register(page, "ann");

    await page.getByTestId("settings").click();
    await page.getByTestId("totp-setting").click();
    const dialog = page.getByTestId("totp-dialog");
    await dialog.getByTestId("totp-state")
      .filter({ hasText: "Two-factor authentication is off." }).waitFor();
    await dialog.getByTestId("totp-password").fill(TEST_PASSWORD);
    await dialog.getByTestId("totp-start").click();
    const secret = await dialog.getByTestId("totp-secret").innerText();
    assert.match(secret, /^[A-Z2-7]{32}$/);
    await dialog.getByTestId("totp-qr").waitFor();
    await page.screenshot({ path: artifact("totp_setup.png") });
    // The QR code is named for screen readers; nothing serious for axe.
    assert.deepEqual(await axeAudit(page), []);
    await dialog.getByTestId("totp-code").fill(codeAt(secret));
    await dialog.getByTestId("totp-enable").click();
    const codes = dialog.getByTestId("totp-recovery").locator("li");
    await codes.nth(9).waitFor();
    await page.screenshot({ path: artifact("totp_recovery.png") });
    assert.equal(await codes.count(), 10);
    assert.match(await codes.first().innerText(), /^[a-z2-9]{5}-[a-z2-9]{5}$/);
    // Copied, one a line, as shown (headless Chromium asks a permission).
    await page.context().grantPermissions(
      ["clipboard-read", "clipboard-write"],
      { origin: server.url },
    );
    await dialog.getByTestId("totp-copy").click();
    await dialog.getByTestId("totp-copy").filter({ hasText: /^Copied$/ })
      .waitFor();
    assert.equal(
      await page.evaluate(() => navigator.clipboard.readText()),
      (await codes.allInnerTexts()).join("\n"),
    );
    await dialog.getByTestId("totp-done").click();
    await dialog.getByTestId("totp-state")
      .filter({ hasText: "Two-factor authentication is on." }).waitFor();
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });

    await page.getByTestId("logout").click();
    await page.getByTestId("login-tab-signin").waitFor();
    await page.getByTestId("login-tab-signin").click();
    await page.getByTestId("login-username").fill("ann");
    await page.getByTestId("login-password").fill(TEST_PASSWORD);
    // The password is right: no way in yet, the form asks for a code.
    const first = await submitPassword(
      page,
      () => page.getByTestId("login-submit").click(),
    );
    assert.equal(first, false);
    await page.getByTestId("login-totp").waitFor();
    await page.screenshot({ path: artifact("totp_login.png") });
    assert.deepEqual(await axeAudit(page), []);
    assert.equal(await page.getByTestId("login-password").isVisible(), false);
    assert.equal(await page.getByTestId("login-error").count(), 0);

    // A wrong code keeps the second step, saying why.
    await page.getByTestId("login-totp").fill(wrongCode(secret));
    const refused = await submitPassword(
      page,
      () => page.getByTestId("login-submit").click(),
    );
    assert.equal(refused, false);
    await page.getByTestId("login-error")
      .filter({ hasText: /wrong/ }).waitFor();
    await page.getByTestId("login-totp").waitFor();

    await page.getByTestId("login-totp")
      .fill(codeAt(secret, 1));
    const entered = await submitPassword(
      page,
      () => page.getByTestId("login-submit").click(),
    );
    assert.equal(entered, true);
    await currentRoom(page, "general");

    // The admin page turns it off (a button that asks twice), audited; the
    // next sign-in needs only the password.
    await root.goto("/admin");
    await root.getByTestId("admin-search").fill("ann");
    await root.getByTestId("admin-find").click();
    await root.locator('[data-testid="admin-account"][data-user="ann"]')
      .click();
    const panel = root.getByTestId("admin-account-panel");
    await panel.getByTestId("admin-reset-totp").click();
    await panel.getByTestId("admin-reset-totp").click();
    await root.getByTestId("admin-notice-ok")
      .filter({ hasText: "Two-factor authentication of ann turned off" })
      .waitFor();
    await root.getByTestId("admin-tab-audit").click();
    await root.locator(
      '[data-testid="admin-audit-entry"][data-action="reset_totp"]',
    ).waitFor();

    await page.getByTestId("logout").click();
    await page.getByTestId("login-tab-signin").click();
    await page.getByTestId("login-username").fill("ann");
    await page.getByTestId("login-password").fill(TEST_PASSWORD);
    assert.equal(
      await submitPassword(
        page,
        () => page.getByTestId("login-submit").click(),
      ),
      true,
    );
    await currentRoom(page, "general");
  },
);

browserTest(
  "web client: a password reset link for an account with two-factor authentication saves the new password, says a code is needed and leads to the sign-in form, which asks for it",
  async (browser, server) => {
    const root = await TestClient.register(server.wsUrl, "root");
    const ann = await TestClient.register(server.wsUrl, "ann");
    try {
      const { secret } = await ann.ok("totp_setup", {
        password: TEST_PASSWORD,
      }) as { secret: string };
      await ann.ok("totp_enable", { code: codeAt(secret) });
      const { link } = await root.ok("reset_password", { user: "ann" }) as {
        link: string;
      };

      const page = await openPage(browser, server);
      await page.goto(link);
      const newPassword = "a new password for ann";
      await page.locator('input[type="password"]').fill(newPassword);
      await page.getByRole("button", { name: "Save and sign in" }).click();
      await page.getByTestId("reset-totp-notice")
        .filter({ hasText: "two-factor authentication" }).waitFor();
      // The token is used up: the address keeps no trace of it.
      assert.equal(new URL(page.url()).hash, "");
      assert.deepEqual(await axeAudit(page), []);

      await page.getByTestId("reset-sign-in").click();
      await page.getByTestId("login-tab-signin").click();
      await page.getByTestId("login-username").fill("ann");
      await page.getByTestId("login-password").fill(newPassword);
      assert.equal(
        await submitPassword(
          page,
          () => page.getByTestId("login-submit").click(),
        ),
        false,
      );
      await page.getByTestId("login-totp").fill(codeAt(secret, 1));
      assert.equal(
        await submitPassword(
          page,
          () => page.getByTestId("login-submit").click(),
        ),
        true,
      );
      await currentRoom(page, "general");
    } finally {
      await ann.close();
      await root.close();
    }
  },
);
