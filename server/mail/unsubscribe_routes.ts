/**
 * The unsubscribe link of missed-message mails (unsubscribe.ts), without
 * login: GET shows a page with one button (a mail scanner that opens links
 * turns nothing off), POST turns the mails off: the button's form, or a
 * mail client's one-click POST (RFC 8058, `List-Unsubscribe=One-Click`).
 * One middleware before both reads the link: a wrong signature is 403, the
 * same for an account that is not there (or no longer the one mailed).
 */
import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import { html } from "hono/html";
import { auditEntry, SERVER_ACTOR } from "../handlers/audit.ts";
import { remoteAddressOf } from "../http/client_info.ts";
import type { ChatNode } from "../node.ts";
import type { Account } from "../store/mod.ts";
import { missedMailState } from "./mail_language.ts";
import { signedAccount, UNSUBSCRIBE_PATH } from "./unsubscribe.ts";

function page(title: string, body: unknown): Promise<string> | string {
  return html`
    <!doctype html>
    <html>
      <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width">
        <title>${title}</title>
      </head>
      <body
        style="font-family:sans-serif;max-width:32em;margin:3em auto">${body}</body>
    </html>
  ` as unknown as
    | Promise<string>
    | string;
}

/** What the link's middleware leaves the route: the account it signs. */
type Signed = { Variables: { account: Account } };

/** The routes of the link: mounted by app.ts before its same-origin check. */
export function unsubscribeRoutes(node: ChatNode): Hono<Signed> {
  const app = new Hono<Signed>();
  const signed = createMiddleware<Signed>(async (c, next) => {
    const user = c.req.query("user") ?? "";
    const sig = c.req.query("sig") ?? "";
    const account = user !== "" && sig !== ""
      ? await signedAccount(node.store, user, sig)
      : undefined;
    if (account === undefined) {
      return c.html(
        await page("Chat", html`<p>This link is not valid.</p>`),
        403,
      );
    }
    c.set("account", account);
    await next();
  });
  app.use(UNSUBSCRIBE_PATH, signed);
  app.get(UNSUBSCRIBE_PATH, async (c) =>
    c.html(
      await page(
        "Chat",
        html`
          <p>Stop the mails of messages you missed? / Ne plus recevoir les courriels des messages manqués ?</p>
          <form
            method="post"><button type="submit">Unsubscribe / Se désabonner</button></form>
        `,
      ),
    ));
  app.post(UNSUBSCRIBE_PATH, async (c) => {
    const account = c.get("account");
    // An account change made without login: the log says it was the link,
    // from where, in the setting's commit; a link posted again adds none.
    const setting = await node.store.setMissedMail(
      account.key,
      { enabled: false },
      auditEntry(SERVER_ACTOR, remoteAddressOf(c), {
        action: "unsubscribe_missed_mail",
        target: account.username,
      }),
    );
    // The account's pages show the change at once.
    if (setting !== undefined) {
      node.publish(
        { kind: "user", key: account.key },
        "missed_mail",
        missedMailState(setting, node.mail),
      );
    }
    return c.html(
      await page(
        "Chat",
        html`<p>Done: no more mails of missed messages. / C’est fait : plus de courriels des messages manqués.</p>`,
      ),
    );
  });
  return app;
}
