/**
 * `GET` and `POST /api/forgot-password`: whether this server mails reset
 * links (the login page shows "Forgot password?" only then), and the
 * request itself (mail/forgot_password.ts), answered 202 whatever account
 * it names.
 */
import { Hono } from "hono";
import { remoteAddressOf } from "../http/client_info.ts";
import { httpError, httpFailure } from "../http/errors.ts";
import { jsonOnly } from "../http/json_only.ts";
import { forgotPassword, NO_RESET_MAIL } from "../mail/forgot_password.ts";
import type { ServeInfo } from "../http_server.ts";
import type { ChatNode } from "../node.ts";
import { forgotPasswordBody } from "../protocol/schemas.ts";

/** The routes of "Forgot password?". */
export function forgotPasswordRoutes(node: ChatNode): Hono {
  const routes = new Hono();

  // A server-wide fact, the same for everyone: no account is named.
  routes.get("/api/forgot-password", (c) => {
    if (forgotPassword(node) === undefined) {
      return httpError(c, "forbidden", NO_RESET_MAIL);
    }
    return c.json({ available: true });
  });

  routes.post("/api/forgot-password", jsonOnly, async (c) => {
    // The body is read first, as on every route (malformed JSON is 400
    // everywhere); then whether the server mails, which depends on the
    // server alone, never on the account named.
    let raw: unknown;
    try {
      raw = await c.req.json();
    } catch {
      return httpError(c, "invalid_json", "The body is not JSON.");
    }
    const body = forgotPasswordBody.safeParse(raw);
    if (!body.success) {
      return httpError(
        c,
        "invalid_message",
        'Send {"account"} as JSON: an account\'s name or an email address, up to 254 characters.',
      );
    }
    const forgot = forgotPassword(node);
    if (forgot === undefined) return httpError(c, "forbidden", NO_RESET_MAIL);
    const refused = await forgot.ask({
      account: body.data.account,
      lang: body.data.lang ?? "en",
      address: remoteAddressOf(c),
      // Outside the HTTP front (app.request in a test), at the next turn.
      answered: (c.env as ServeInfo | undefined)?.answered?.() ??
        new Promise((resolve) => setTimeout(resolve, 0)),
    });
    if (refused) return httpFailure(c, refused);
    // No body: nothing in the answer depends on the account.
    return c.body(null, 202);
  });

  return routes;
}
