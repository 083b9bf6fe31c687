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

/**
 * When an account identity's account was created (the number after `a:`
 * or `b:`); undefined for a guest's or a hook's: a store refuses the
 * appends of an account identity whose account is gone (deleted since).
 */
export function accountCreatedAt(identity: string): number | undefined {
  const found = /^[ab]:(\d+)$/.exec(identity);
  return found ? Number(found[1]) : undefined;
}

/** The identity an incoming webhook posts under (HOOK badge). */
export function hookIdentity(hookId: string): string {
  return `h:${hookId}`;
}

/**
 * The key an incoming webhook's messages are stored under: no account's
 * (a name has no `:`), so its posts are told apart from any holder's.
 */
export function hookUserKey(hookId: string): string {
  return `hook:${hookId}`;
}

/** Whether a message's user key is an incoming webhook's (hookUserKey). */
export function isHookUserKey(userKey: string): boolean {
  return userKey.startsWith("hook:");
}

/** The badge a message's sender identity calls for, if any. */
export function badgeOf(sender: string): MessageBadge | undefined {
  if (sender.startsWith("b:")) return "bot";
  if (sender.startsWith("h:")) return "hook";
  return undefined;
}
