/**
 * The web client's "Forgot password?": offered on the sign-in tab by a
 * server that sends mail only; a name or an address asked for in French,
 * the same words whatever was found, and the link mailed opens the reset
 * page, whose new password signs the owner in. Needs /usr/bin/chromium.
 */
import assert from "node:assert/strict";
import {
  artifact,
  browserTest,
  currentRoom,
  openPage,
  submitPassword,
} from "./browser_support.ts";
import { call } from "./api_helpers.ts";
import { TestClient } from "./harness.ts";
import { freePort, startSmtpReceiver } from "./smtp_receiver.ts";

const SMTP_PORT = freePort();

browserTest(
  "web client: on a server that sends mail, 'Mot de passe oublié ?' on the sign-in tab mails a verified address a link, says the same for an address it does not know, and the link's page sets the new password and signs in",
  async (browser, server) => {
    const smtp = await startSmtpReceiver({ port: SMTP_PORT });
    const ann = await TestClient.register(
      `${server.url.replace("http", "ws")}/ws`,
      "ann",
    );
    try {
      await ann.ok("set_email", { address: "ann@example.org" });
      const verifying = await smtp.next((m) => m.to === "ann@example.org");
      const token = /verify-email#(\S+)/.exec(verifying.text)![1];
      const verified = await call(server, "POST", "/api/verify-email", {
        headers: { origin: server.url },
        body: { token },
      });
      assert.equal(verified.status, 200);

      const page = await openPage(browser, server, { locale: "fr-FR" });
      const offered = page.waitForResponse((r) =>
        r.url().endsWith("/api/forgot-password")
      );
      await page.goto("/");
      await offered;
      await page.getByTestId("login-tab-signin").click();
      const forgot = page.getByTestId("login-forgot");
      assert.equal(await forgot.innerText(), "Mot de passe oublié ?");
      await forgot.click();
      await page.getByTestId("forgot-account").waitFor();
      await page.screenshot({ path: artifact("forgot_password.png") });

      // An address nobody verified: the same words, no mail.
      await page.getByTestId("forgot-account").fill("nobody@example.org");
      await page.getByTestId("forgot-submit").click();
      const sent = page.getByTestId("forgot-sent");
      await sent.waitFor();
      const unknownWords = await sent.innerText();
      await page.getByTestId("forgot-back").click();
      await page.getByTestId("login-forgot").click();
      await page.getByTestId("forgot-account").fill("ANN@example.org");
      await page.getByTestId("forgot-submit").click();
      await sent.waitFor();
      assert.equal(await sent.innerText(), unknownWords);
      assert.match(unknownWords, /pendant une heure/);
      await page.screenshot({ path: artifact("forgot_password_sent.png") });

      const mail = await smtp.next((m) =>
        m.subject === "Réinitialiser votre mot de passe"
      );
      assert.equal(mail.to, "ann@example.org");
      const link = /https:\/\/chat\.example\.org(\/reset#\S+)/.exec(mail.text)
        ?.[1];
      assert.ok(link, mail.text);
      await page.goto(link);
      await page.locator('input[type="password"]').fill("a brand new secret");
      await submitPassword(page, () => page.getByRole("button").click());
      await currentRoom(page, "general");
      assert.equal(
        smtp.mails.filter((m) => m.subject.startsWith("Réinitialiser")).length,
        1,
      );
    } finally {
      await ann.close();
      await smtp.close();
    }
  },
  {
    smtpUrl: `smtp://chat:secret@127.0.0.1:${SMTP_PORT}`,
    mailFrom: "chat@example.org",
    publicUrl: "https://chat.example.org",
  },
);

browserTest(
  "web client: a server that sends no mail offers no 'Forgot password?' on the sign-in tab",
  async (browser, server) => {
    const page = await openPage(browser, server);
    const asked = page.waitForResponse((r) =>
      r.url().endsWith("/api/forgot-password")
    );
    await page.goto("/");
    assert.equal((await asked).status(), 403);
    await page.getByTestId("login-tab-signin").click();
    await page.getByTestId("login-submit").waitFor();
    assert.equal(await page.getByTestId("login-forgot").count(), 0);
  },
);
