/**
 * Who holds a name, beyond the name itself (Member.identity): idempotency
 * keys are scoped to it, and its first letter tells people, bots and
 * incoming webhooks apart, which is where a message's badge comes from.
 */
import type { MessageBadge } from "../protocol/types.ts";

/**
 * The identity of an account: the same holder for as long as it exists (a
 * name freed and registered again would be created at another time). A
 * bot's starts with `b:`, so its messages carry the BOT badge.
 */
export function accountIdentity(
  account: { createdAt: number; bot?: boolean },
): string {
  return `${account.bot ? "b" : "a"}:${account.createdAt}`;
}

/** The identity an incoming webhook posts under (HOOK badge). */
export function hookIdentity(hookId: string): string {
  return `h:${hookId}`;
}

/** The badge a message's sender identity calls for, if any. */
export function badgeOf(sender: string): MessageBadge | undefined {
  if (sender.startsWith("b:")) return "bot";
  if (sender.startsWith("h:")) return "hook";
  return undefined;
}
