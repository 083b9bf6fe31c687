/**
 * Who a notification reaches: the one rule Web Push (push.ts) and
 * missed-message mails (mail/missed_mail.ts) both ask, so that a new
 * notification level or pause rule cannot reach one and not the other.
 * Each asks it after its own cheap first cut (an account with no push
 * subscription, or no verified address with the mails on, costs no probe
 * here), and after presence (who is away is each path's own question).
 *
 * The page of an `@room`'s members is the one place it is not asked probe
 * by probe: the store's `mentionSubscriptions` says the rule of a
 * `mention` in one query (a page of 1,000 members would cost up to 4,000
 * probes here); a change to the rule changes that query too (the store
 * contract's tests/store_contract/mention_pushes.ts asks both of every
 * case and fails where they differ).
 */
import { pausedUntil } from "./handlers/do_not_disturb.ts";
import type { Store } from "./store/mod.ts";

/**
 * What a notification answers to, besides the account's ban and pause:
 * - `mention`: a room's message names the account (by name, `@group`,
 *   `@here`): a member of the room, not ignoring the author, not at
 *   `none` there;
 * - `room`: a room's message to a member at `all` (read from the members
 *   at `all`, so member and level are known): not ignoring the author;
 * - `private`: a private message in conversation `stream`: not at `none`
 *   there (an author the account ignores cannot send it one);
 * - `own`: the account's own reminder or scheduled message: nothing more.
 */
export type Notice =
  | { kind: "mention"; roomKey: string; authorKey: string }
  | { kind: "room"; authorKey: string }
  | { kind: "private"; stream: string }
  | { kind: "own" };

/** The store reads the rule makes: key probes each. */
export type NotifyRuleStore = Pick<
  Store,
  "findBan" | "isMember" | "isIgnoring" | "notifyLevel" | "doNotDisturb"
>;

/**
 * Whether `notice` reaches `userKey` now (`now`, ms: a pause is read
 * against it): not banned from the server (a banned account reads
 * nothing here, so no text may go to its browsers or its mailbox), its
 * choices for the notice allow it, not paused (set_do_not_disturb holds
 * mentions and private messages too). One to four key probes, read now,
 * so a level or a pause set a moment ago counts.
 */
export async function reaches(
  store: NotifyRuleStore,
  userKey: string,
  notice: Notice,
  now: number = Date.now(),
): Promise<boolean> {
  if (await store.findBan({ userKey })) return false;
  if (!await allows(store, userKey, notice)) return false;
  return pausedUntil(await store.doNotDisturb(userKey), now) === null;
}

// The account's own choices for the notice.
async function allows(
  store: NotifyRuleStore,
  userKey: string,
  notice: Notice,
): Promise<boolean> {
  switch (notice.kind) {
    case "mention":
      // Only members: a mention must not be a way to page anyone.
      return await store.isMember(userKey, notice.roomKey) &&
        !await store.isIgnoring(userKey, notice.authorKey) &&
        await store.notifyLevel(userKey, notice.roomKey) !== "none";
    case "room":
      return !await store.isIgnoring(userKey, notice.authorKey);
    case "private":
      return await store.notifyLevel(userKey, notice.stream) !== "none";
    case "own":
      return true;
  }
}
