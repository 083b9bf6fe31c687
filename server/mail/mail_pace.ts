/**
 * One pace for every mail the server sends a person, in one limiter (the
 * node's per-address buckets, rate_limit.ts, shared by the nodes with
 * Redis): each mail takes a token of the bucket of the mailbox it goes to
 * (`mailbox`), whatever sends it (a verification link, a reset link, a
 * missed-message mail), and each request that may mail someone takes one
 * of its client address's (its /64) budget for that request (`mail` for
 * set_email, `forgot_password`), loopback aside (a proxy on this host
 * forwards the real one). An account costs a registration, 20 an hour from
 * an address, and each account's bucket alone let one address mail 100
 * links to one mailbox in 18 s (round 18).
 */
import { addressKey, isLoopback } from "../addresses.ts";
import { mailboxKey } from "../protocol/mailbox_key.ts";
import { fail, type Failure } from "../protocol/errors.ts";
import type { AddressCategory, RateLimits } from "../rate_limit.ts";

/** The per-address budgets of requests that may mail someone. */
export type MailAsk = "mail" | "forgot_password";

/**
 * Takes one of the client address's `ask` budget: 0, or the ms to wait.
 * Loopback is not counted, as for every per-address limit.
 */
export function takeAsk(
  limits: RateLimits<AddressCategory>,
  ask: MailAsk,
  client: string,
): number {
  return isLoopback(client) ? 0 : limits.take(addressKey(client), ask);
}

/** Gives back what {@link takeAsk} took (the request mailed nothing). */
function giveAsk(
  limits: RateLimits<AddressCategory>,
  ask: MailAsk,
  client: string,
): void {
  if (!isLoopback(client)) limits.give(addressKey(client), ask, 1);
}

/** Takes one mail to `mailbox` from its bucket: 0, or the ms to wait. */
export function takeMailbox(
  limits: RateLimits<AddressCategory>,
  mailbox: string,
): number {
  return limits.take(mailboxKey(mailbox), "mailbox");
}

/** Gives back a mail to `mailbox` that was not sent after all. */
export function giveMailbox(
  limits: RateLimits<AddressCategory>,
  mailbox: string,
): void {
  limits.give(mailboxKey(mailbox), "mailbox", 1);
}

/**
 * Takes set_email's mail: one from the client address's `mail` budget
 * and one from the mailbox's; the refusal, or undefined. A refusal by the
 * mailbox gives the address's token back.
 */
export function takeMail(
  limits: RateLimits<AddressCategory>,
  ask: { client: string; mailbox: string },
): Failure | undefined {
  const asked = takeAsk(limits, "mail", ask.client);
  if (asked > 0) {
    return refusal(
      asked,
      `Many mails were asked from your address: try again in ${
        Math.ceil(asked / 1000)
      } s.`,
    );
  }
  const wait = takeMailbox(limits, ask.mailbox);
  if (wait === 0) return undefined;
  giveAsk(limits, "mail", ask.client);
  return refusal(
    wait,
    `Many links went to this address lately: try again in ${
      Math.ceil(wait / 1000)
    } s.`,
  );
}

function refusal(wait: number, message: string): Failure {
  return fail("rate_limited", message, { retry_after_ms: Math.ceil(wait) });
}
