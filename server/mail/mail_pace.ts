/**
 * How often mails may go out on behalf of whoever asks, past the asking
 * account's own bucket: per client address (its /64), whatever accounts
 * it makes, and per mailbox, whoever asks. An account costs a
 * registration, 20 an hour from an address, and each account's bucket
 * alone let one address mail 100 links to one mailbox in 18 s (round 18).
 */
import { addressKey, isLoopback } from "../addresses.ts";
import { fail, type Failure } from "../protocol/errors.ts";
import type { AddressCategory, RateLimits } from "../rate_limit.ts";

/**
 * The key of a mailbox's bucket: the address in lower case, NFKC. Its
 * other spellings a mail server may fold (`+tags`, a Gmail address's
 * dots) are not folded: the client address's bucket bounds those.
 */
function mailboxKey(address: string): string {
  return address.normalize("NFKC").toLowerCase();
}

/**
 * Takes one mail from the client address's bucket (loopback aside: a
 * proxy on this host forwards the real one) and the mailbox's; the
 * refusal, or undefined. A refusal by the mailbox gives the address's
 * token back.
 */
export function takeMail(
  limits: RateLimits<AddressCategory>,
  ask: { client: string; mailbox: string },
): Failure | undefined {
  const client = isLoopback(ask.client) ? undefined : addressKey(ask.client);
  if (client !== undefined) {
    const wait = limits.take(client, "mail");
    if (wait > 0) {
      return refusal(
        wait,
        `Many mails were asked from your address: try again in ${
          Math.ceil(wait / 1000)
        } s.`,
      );
    }
  }
  const wait = limits.take(mailboxKey(ask.mailbox), "mailbox");
  if (wait === 0) return undefined;
  if (client !== undefined) limits.give(client, "mail", 1);
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
