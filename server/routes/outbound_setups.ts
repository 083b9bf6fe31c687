/**
 * The pace at which an account registers or removes the URLs the server
 * calls for it: push subscriptions and outgoing webhooks. Each is a
 * commit (a fsync with SQLite's `synchronous = FULL`, two for a push
 * subscription past its account's 20), after a P-256 key check or a DNS
 * look-up of a name the account chose. These routes drew on no bucket at
 * all: one account's 16 requests at a time (594 subscriptions in 8 s)
 * took another account's `GET /api/me` from 2.7 to 153 ms (p50), since
 * every send waits for the same writer. A browser subscribes once per
 * page it loads and an owner sets hooks up by hand, so the burst covers a
 * browser restoring its tabs; counted for every node with Redis
 * (buckets/mod.ts), as uploads are.
 */
import type { ChatNode } from "../node.ts";
import { fail, type Failure } from "../protocol/errors.ts";

/** Takes one setup from an account's budget: `undefined`, or `rate_limited` with the wait. */
export type OutboundSetupLimit = (
  userKey: string,
) => Promise<Failure | undefined>;

/** The one budget the push and outgoing-webhook routes share. */
export function outboundSetupLimit(node: ChatNode): OutboundSetupLimit {
  const buckets = node.buckets({
    name: "outbound_setup",
    spec: node.limits.perOutboundSetup,
  });
  return async (userKey) => {
    const wait = await buckets.take(userKey);
    if (wait === 0) return undefined;
    return fail(
      "rate_limited",
      `Slow down: push subscriptions and outgoing webhooks may change again in ${
        Math.ceil(wait / 1000)
      } s.`,
      { retry_after_ms: wait },
    );
  };
}
