/**
 * Push subscriptions kept from before a push endpoint had to be https
 * (security.md, "A Web Push subscription at a plain `http:` endpoint"):
 * every push to one is refused at its call's check, so the row only costs
 * a refused call per private message or mention of its account, and keeps
 * telling the account's browser it is subscribed. Each start drops those
 * the check would refuse whatever their host resolves to (the operator's
 * `--webhook-allow` still lets its own push service speak http), and logs
 * how many. Cost: one read of the subscriptions at start (a scan of the
 * table; a few rows per account at most).
 */
import { log } from "./log.ts";
import type { OutboundGuard } from "./outbound.ts";
import type { Store } from "./store/mod.ts";

const logger = log("push");

/** Drops the subscriptions `guard` never lets a push reach; returns how many. */
export async function dropHttpPushSubscriptions(
  store: Pick<Store, "plainHttpPushEndpoints" | "deletePushSubscription">,
  guard: Pick<OutboundGuard, "refusesHttpPush">,
): Promise<number> {
  let dropped = 0;
  for (const endpoint of await store.plainHttpPushEndpoints()) {
    if (!guard.refusesHttpPush(endpoint)) continue;
    if (await store.deletePushSubscription(endpoint)) dropped++;
  }
  if (dropped > 0) {
    logger.warn(
      "Dropped {count} push subscriptions at plain http endpoints: push services speak only HTTPS, and every push to them was refused",
      { count: dropped },
    );
  }
  return dropped;
}
