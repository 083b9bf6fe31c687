/**
 * The one-click unsubscribe link of missed-message mails (RFC 8058): the
 * account's key and an HMAC-SHA256 of it under a secret every node reads
 * the same from the store (`secret("missed_mail")`, made on first use and
 * kept, so links survive restarts), in the query: a mail client's POST
 * carries it, which a fragment would not. It only turns the mails off; it
 * cannot be forged for another account without the secret, and it never
 * expires (a link in an old mail still stops the mails, as users expect).
 */
import { Buffer } from "node:buffer";
import { createHmac, timingSafeEqual } from "node:crypto";
import type { Store } from "../store/mod.ts";

/** The route a link points at (GET: a page with a button; POST: off). */
export const UNSUBSCRIBE_PATH = "/api/missed-mail/unsubscribe";

async function signature(
  store: Pick<Store, "secret">,
  userKey: string,
): Promise<Buffer> {
  const key = await store.secret("missed_mail");
  return createHmac("sha256", key).update(`unsubscribe:${userKey}`).digest();
}

/** The whole unsubscribe link of an account's mails. */
export async function unsubscribeLink(
  node: { store: Pick<Store, "secret">; mail?: { publicUrl: string } },
  userKey: string,
): Promise<string> {
  const sig = (await signature(node.store, userKey)).toString("base64url");
  const query = new URLSearchParams({ user: userKey, sig });
  return `${node.mail?.publicUrl ?? ""}${UNSUBSCRIBE_PATH}?${query}`;
}

/** Whether `sig` is the signature of `userKey`'s link (constant time). */
export async function signedFor(
  store: Pick<Store, "secret">,
  userKey: string,
  sig: string,
): Promise<boolean> {
  const expected = await signature(store, userKey);
  const given = Buffer.from(sig, "base64url");
  return given.length === expected.length && timingSafeEqual(given, expected);
}
