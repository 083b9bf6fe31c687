/**
 * Web Push over HTTP: the VAPID public key for `pushManager.subscribe()`,
 * and an account's browser subscriptions.
 */
import { Buffer } from "node:buffer";
import { createECDH } from "node:crypto";
import { type Context, Hono } from "hono";
import { z } from "zod";
import { lookup, noNul } from "../protocol/schemas.ts";
import { httpError, httpFailure } from "../http/errors.ts";
import { notJson } from "../http/json_only.ts";
import { requestAccount, requestCredential } from "../http/request_account.ts";
import type { ChatNode } from "../node.ts";
import { isFailure } from "../protocol/errors.ts";
import type { SetupPace } from "../http/setup_pace.ts";

/** Most subscriptions one account keeps (browsers, phones): the oldest go. */
export const MAX_PUSH_SUBSCRIPTIONS = 20;

const base64url = z.string().max(200).regex(/^[A-Za-z0-9_-]+={0,2}$/);

// A browser's PushSubscription.toJSON(); other fields are ignored.
/** A browser's PushSubscription.toJSON() as `POST /api/push/subscriptions` takes it. */
export const subscriptionBody = z.object({
  // Stored as sent: no NUL nor lone surrogate, as a webhook's URL.
  endpoint: noNul(2048),
  keys: z.object({ p256dh: base64url, auth: base64url }),
});

/** What `DELETE /api/push/subscriptions` takes: `{"endpoint"}`. */
export const endpointBody = z.object({ endpoint: lookup(0, 2048) });

/**
 * `GET /api/push/vapid-public-key`, `POST` and `DELETE
 * /api/push/subscriptions`.
 */
export function pushRoutes(
  node: ChatNode,
  setupPace: SetupPace,
): Hono {
  const routes = new Hono();

  routes.get("/api/push/vapid-public-key", (c) => {
    return c.json({ key: node.push.publicKey });
  });

  routes.post("/api/push/subscriptions", async (c) => {
    const credential = await requestCredential(c, node);
    if (isFailure(credential)) return httpFailure(c, credential);
    const { account, session, apiToken } = credential;
    const refused = notJson(c);
    if (refused) return refused;
    // Before the key check and the endpoint's look-up it saves.
    const slow = await setupPace(account.key);
    if (slow) return httpFailure(c, slow);
    const body = subscriptionBody.safeParse(await json(c));
    if (!body.success) {
      return httpError(
        c,
        "invalid_message",
        'Send the browser\'s PushSubscription JSON: {"endpoint", "keys": {"p256dh", "auth"}}.',
      );
    }
    const { endpoint, keys } = body.data;
    // RFC 8291: an uncompressed P-256 point and a 16-byte secret.
    const point = Buffer.from(keys.p256dh, "base64url");
    if (
      point.length !== 65 || point[0] !== 4 || !onCurve(point) ||
      Buffer.from(keys.auth, "base64url").length !== 16
    ) {
      return httpError(
        c,
        "invalid_message",
        "keys.p256dh must be a P-256 public key and keys.auth 16 bytes, in base64url.",
      );
    }
    const verdict = await node.push.guard.check(endpoint, "push", {
      timeoutMs: node.push.timing.timeoutMs,
      signal: c.req.raw.signal,
    });
    if (!verdict.ok) return httpError(c, "url_not_allowed", verdict.reason);
    const saved = await node.store.savePushSubscription({
      endpoint,
      userKey: account.key,
      p256dh: keys.p256dh,
      auth: keys.auth,
      createdAt: Date.now(),
      // It ends with the credential that made it (the store deletes it
      // with that session or token): someone who once held a session gets
      // no lasting feed of private messages, a password change ends it.
      ...(session ? { session: session.tokenHash } : { apiToken }),
    });
    if (!saved) {
      return httpError(c, "bad_credentials", "This session has ended.");
    }
    const all = await node.store.pushSubscriptions(account.key);
    for (const old of all.slice(0, -MAX_PUSH_SUBSCRIPTIONS)) {
      await node.store.deletePushSubscription(old.endpoint, account.key);
    }
    return c.json({ endpoint }, 201);
  });

  routes.delete("/api/push/subscriptions", async (c) => {
    const account = await requestAccount(c, node);
    if (isFailure(account)) return httpFailure(c, account);
    const refused = notJson(c);
    if (refused) return refused;
    const slow = await setupPace(account.key);
    if (slow) return httpFailure(c, slow);
    const body = endpointBody.safeParse(await json(c));
    if (!body.success) {
      return httpError(c, "invalid_message", 'Send {"endpoint"} as JSON.');
    }
    if (
      !await node.store.deletePushSubscription(body.data.endpoint, account.key)
    ) {
      return httpError(c, "not_found", "No such subscription.");
    }
    return c.body(null, 204);
  });

  return routes;
}

// A point off the curve passed the shape check, was stored, and each push
// to it threw as it was encrypted: an ERR line and a stack in the log per
// message sent to the account, at the will of whoever sends them. An ECDH
// with it throws as the encryption would: a key pair and a secret, 1 to 5 ms
// of CPU once per subscription (WebCrypto's import takes such a point).
function onCurve(point: Buffer): boolean {
  try {
    const ecdh = createECDH("prime256v1");
    ecdh.generateKeys();
    ecdh.computeSecret(point);
    return true;
  } catch {
    return false;
  }
}

// Bad JSON reads as nothing: the schema then says what to send. Through
// Hono's request, which keeps the text app.ts's depth check read.
async function json(c: Context): Promise<unknown> {
  try {
    return await c.req.json();
  } catch {
    return undefined;
  }
}
