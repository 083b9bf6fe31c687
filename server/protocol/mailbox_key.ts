/**
 * The one reading of an email address as a mailbox: what "Forgot
 * password?" by address compares (both stores keep it beside the
 * address, `email_key`) and what the mail pace counts by (mail_pace.ts).
 * Unicode's case, not ASCII's alone: SQLite's `lower()` folds A-Z only,
 * and PostgreSQL's follows the database's locale (a `C` one folds A-Z
 * only too), so `ÉLISE@example.com` found `élise@example.com` on one
 * store and not the other. The address's other spellings a mail server
 * may fold (`+tags`, a Gmail address's dots) are not folded: they are
 * the mail server's own rules, and the client address's bucket bounds
 * those. NFKC's compatibility folds (`\uFB00` to `ff`) are not a mail
 * server's either: set_email refuses such an address (schemas.ts,
 * round 21), so past NFC this key folds case alone.
 */

/** The address in lower case, NFKC: one key for one mailbox. */
export function mailboxKey(address: string): string {
  return address.normalize("NFKC").toLowerCase();
}
