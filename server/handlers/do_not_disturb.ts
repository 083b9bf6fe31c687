/**
 * Do not disturb (Slack's, Zulip's and Mattermost's "pause notifications"):
 * until a time, no Web Push goes to the account and no missed-message
 * mail is queued for it (one rule, notify_rule.ts, asked by push.ts and
 * mail/missed_mail.ts), and its web clients raise no alert, on every
 * device; after it, as before. Kept on the account's row, so that every
 * node and device read one choice.
 */
import type { ChatNode } from "../node.ts";
import {
  fail,
  type Failure,
  isFailure,
  type Outcome,
  succeed,
} from "../protocol/errors.ts";
import { setDoNotDisturbData } from "../protocol/schemas.ts";
import type { DoNotDisturbEvent } from "../protocol/types.ts";
import { type MemberContext, parseData } from "./context.ts";

/**
 * The furthest a pause may reach: a week, as the longest of Slack's
 * choices. A pause for good would be a silent account nobody remembers
 * setting.
 */
export const MAX_DO_NOT_DISTURB_MS = 7 * 24 * 3600_000;

const GUESTS =
  "Guests keep their notification choices in the browser: log in with an account.";

/**
 * `set_do_not_disturb`: until when the account is not disturbed (null ends
 * it). Its other connections, on every node, get `do_not_disturb`.
 */
export async function setDoNotDisturb(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const data = parseData(setDoNotDisturbData, raw);
  if (isFailure(data)) return data;
  const { node } = ctx;
  const member = ctx.client.member;
  if (member.guest) return fail("forbidden", GUESTS);
  const { until } = data;
  const late = until === null
    ? undefined
    : untilProblem(until, Date.now(), "end do not disturb");
  if (late) return late;
  // A deleted account's sockets are closed with it: no row is no error
  // worth a code of its own, the value is what was asked.
  await node.store.setDoNotDisturb(member.userKey, until);
  const event: DoNotDisturbEvent = { until };
  return succeed(
    { ...event },
    () =>
      node.publish(
        { kind: "user", key: member.userKey },
        "do_not_disturb",
        event,
        { exceptConnection: member.id },
      ),
  );
}

/**
 * Why `until` cannot end a pause or a status (set_status): not in the
 * future, or more than {@link MAX_DO_NOT_DISTURB_MS} ahead; undefined when
 * it can. `nullDoes` says what null would do instead.
 */
export function untilProblem(
  until: number,
  now: number,
  nullDoes: string,
): Failure | undefined {
  if (until <= now) {
    return fail(
      "invalid_message",
      `'until' must be in the future (ms since the epoch), or null to ${nullDoes}.`,
    );
  }
  if (until > now + MAX_DO_NOT_DISTURB_MS) {
    return fail("invalid_message", "'until' may be at most 7 days ahead.");
  }
  return undefined;
}

/** `GET /api/do-not-disturb`: until when the caller is not disturbed. */
export async function getDoNotDisturb(ctx: MemberContext): Promise<Outcome> {
  const member = ctx.client.member;
  if (member.guest) return fail("forbidden", GUESTS);
  return succeed({ until: await doNotDisturbOf(ctx.node, member.userKey) });
}

/**
 * Until when an account is not disturbed, as the protocol says it (login,
 * GET): a time past reads as null.
 */
export async function doNotDisturbOf(
  node: ChatNode,
  userKey: string,
): Promise<number | null> {
  return pausedUntil(await node.store.doNotDisturb(userKey), Date.now());
}

/** The stored until if it is still ahead of `now`, else null. */
export function pausedUntil(
  until: number | null,
  now: number,
): number | null {
  return until !== null && until > now ? until : null;
}
