/**
 * The pace at which an account sets up or removes its integrations:
 * access tokens (its own, or as an admin a bot's), incoming and outgoing
 * webhooks, push subscriptions. Each is a commit of its own, and with
 * SQLite's `synchronous = FULL` on the server's thread (`--db-thread
 * off`, the default) its fsync holds every socket for about 10 ms; a push
 * subscription also checks a P-256 key, an outgoing hook looks a name up.
 * These drew on no bucket (push, outgoing hooks) or on the 200 requests a
 * second any request may make: one account's 16 requests at a time took
 * another account's `GET /api/me` from 2.7 to 153 ms (594 subscriptions
 * in 8 s) and from 3.8 to 91 ms (290 tokens made and revoked). People set
 * these up by hand and a browser subscribes once per page it loads, so 30
 * at once covers a browser restoring its tabs and a script setting up a
 * team; counted for every node with Redis (buckets/mod.ts), as uploads.
 */
import type { ChatNode } from "../node.ts";
import { fail, type Failure } from "../protocol/errors.ts";

/** Takes one setup from an account's budget: `undefined`, or `rate_limited` with the wait. */
export type SetupPace = (userKey: string) => Promise<Failure | undefined>;

// One per node: the routes outside the REST API and those in it (loaded
// later, api/lazy.ts) must draw on the same buckets.
const paces = new WeakMap<ChatNode, SetupPace>();

/** The one budget every integration route of `node` shares. */
export function setupPace(node: ChatNode): SetupPace {
  const known = paces.get(node);
  if (known) return known;
  const buckets = node.buckets({
    name: "integration_setup",
    spec: node.limits.perIntegrationSetup,
  });
  const pace: SetupPace = async (userKey) => {
    const wait = await buckets.take(userKey);
    if (wait === 0) return undefined;
    return fail(
      "rate_limited",
      `Slow down: tokens, webhooks and push subscriptions may change again in ${
        Math.ceil(wait / 1000)
      } s.`,
      { retry_after_ms: wait },
    );
  };
  paces.set(node, pace);
  return pace;
}
