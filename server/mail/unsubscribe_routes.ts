/**
 * The unsubscribe link of missed-message mails (unsubscribe.ts), without
 * login: GET shows a page with one button (a mail scanner that opens links
 * turns nothing off), POST turns the mails off: the button's form, or a
 * mail client's one-click POST (RFC 8058, `List-Unsubscribe=One-Click`).
 * A wrong signature is 403, the same for an account that is not there.
 */
import { Hono } from "hono";
import { html } from "hono/html";
import type { ChatNode } from "../node.ts";
import { signedFor, UNSUBSCRIBE_PATH } from "./unsubscribe.ts";

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

/** The routes of the link: mounted by app.ts before its same-origin check. */
export function unsubscribeRoutes(node: ChatNode): Hono {
  const app = new Hono();
  const signed = async (user: string, sig: string) =>
    user !== "" && sig !== "" && await signedFor(node.store, user, sig);
  app.get(UNSUBSCRIBE_PATH, async (c) => {
    const user = c.req.query("user") ?? "";
    const sig = c.req.query("sig") ?? "";
    if (!await signed(user, sig)) {
      return c.html(
        await page("Chat", html`<p>This link is not valid.</p>`),
        403,
      );
    }
    return c.html(
      await page(
        "Chat",
        html`
          <p>Stop the mails of messages you missed? / Ne plus recevoir les courriels des messages manqués ?</p>
          <form
            method="post"><button type="submit">Unsubscribe / Se désabonner</button></form>
        `,
      ),
    );
  });
  app.post(UNSUBSCRIBE_PATH, async (c) => {
    const user = c.req.query("user") ?? "";
    const sig = c.req.query("sig") ?? "";
    if (!await signed(user, sig)) {
      return c.html(
        await page("Chat", html`<p>This link is not valid.</p>`),
        403,
      );
    }
    const setting = await node.store.setMissedMail(user, { enabled: false });
    // The account's pages show the change at once.
    if (setting !== undefined) {
      node.publish({ kind: "user", key: user }, "missed_mail", setting);
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
