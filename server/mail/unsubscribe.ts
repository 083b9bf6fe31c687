/**
 * The one-click unsubscribe link of missed-message mails (RFC 8058): the
 * account's key and an HMAC-SHA256 of that key and the account's creation
 * time under a secret every node reads the same from the store
 * (`secret("missed_mail")`, made on first use and kept, so links survive
 * restarts), in the query: a mail client's POST carries it, which a
 * fragment would not. It only turns the mails off; it cannot be forged for
 * another account without the secret, and it never expires for the
 * account it was mailed to (a link in an old mail still stops the mails,
 * as users expect). Keys are names, freed by a deletion and taken again
 * by whoever registers the name: the creation time in the signature makes
 * an old account's link nothing for the new one.
 */
import { Buffer } from "node:buffer";
import { createHmac, timingSafeEqual } from "node:crypto";
import type { Account, Store } from "../store/mod.ts";

/** The route a link points at (GET: a page with a button; POST: off). */
export const UNSUBSCRIBE_PATH = "/api/missed-mail/unsubscribe";

/** The account a link is for: its key, and when it was made. */
export interface LinkAccount {
  key: string;
  /** ms since the epoch: a name registered again is another account. */
  createdAt: number;
}

async function signature(
  store: Pick<Store, "secret">,
  account: LinkAccount,
): Promise<Buffer> {
  const key = await store.secret("missed_mail");
  return createHmac("sha256", key)
    .update(`unsubscribe:${account.key}:${account.createdAt}`).digest();
}

/** The whole unsubscribe link of an account's mails. */
export async function unsubscribeLink(
  node: { store: Pick<Store, "secret">; mail?: { publicUrl: string } },
  account: LinkAccount,
): Promise<string> {
  const sig = (await signature(node.store, account)).toString("base64url");
  const query = new URLSearchParams({ user: account.key, sig });
  return `${node.mail?.publicUrl ?? ""}${UNSUBSCRIBE_PATH}?${query}`;
}

/**
 * The account `sig` signs a link of, when `userKey` names an account and
 * `sig` is its signature (compared in constant time); else undefined.
 */
export async function signedAccount(
  store: Pick<Store, "secret" | "findAccount">,
  userKey: string,
  sig: string,
): Promise<Account | undefined> {
  const account = await store.findAccount(userKey);
  if (account === undefined) return undefined;
  const expected = await signature(store, account);
  const given = Buffer.from(sig, "base64url");
  return given.length === expected.length &&
      timingSafeEqual(given, expected)
    ? account
    : undefined;
}
