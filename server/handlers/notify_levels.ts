/**
 * Notification levels (Slack's, Zulip's and Mattermost's per-channel
 * preferences): how much a room or a private conversation may claim an
 * account's attention, kept on the server so that every device of the
 * account and Web Push (push.ts) honour one choice. `all`: every message
 * alerts the web client; `mentions` (the default): mentions and private
 * messages alert and push; `none`: nothing alerts or pushes, unread is
 * still counted.
 */
import type { ChatNode } from "../node.ts";
import { fail, isFailure, type Outcome, succeed } from "../protocol/errors.ts";
import { setNotifyLevelData } from "../protocol/schemas.ts";
import type { NotifyLevelEvent } from "../protocol/types.ts";
import { type StoredNotifyLevel } from "../store/mod.ts";
import { type MemberContext, parseData } from "./context.ts";
import { keptPlace, namedPlaces } from "./own_place.ts";

/**
 * Rows an account may keep (levels other than `mentions`): a person has a
 * few dozen; levels of conversations with any name would be rows without
 * end.
 */
export const MAX_NOTIFY_LEVELS = 1000;

const GUESTS =
  "Guests keep their notification choices in the browser: log in with an account.";

/**
 * `set_notify_level`: the account's level in a room it belongs to or a
 * private conversation. Its other connections, on every node, get
 * `notify_level`.
 */
export async function setNotifyLevel(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const data = parseData(setNotifyLevelData, raw);
  if (isFailure(data)) return data;
  const { node } = ctx;
  const member = ctx.client.member;
  // Setting one back to `mentions` deletes the row.
  const place = await keptPlace(ctx, data, {
    guests: GUESTS,
    adds: data.level !== "mentions",
  });
  if (isFailure(place)) return place;
  const { stream, where } = place;
  const setting: StoredNotifyLevel = {
    stream,
    ...(where.with === undefined ? {} : { with: where.with }),
    level: data.level,
    updatedAt: Date.now(),
  };
  const kept = await node.store.setNotifyLevel(
    member.userKey,
    setting,
    MAX_NOTIFY_LEVELS,
  );
  if (!kept) {
    return fail(
      "forbidden",
      `An account keeps at most ${MAX_NOTIFY_LEVELS} notification levels other than 'mentions': set one back first.`,
    );
  }
  node.push.levelChanged(stream);
  const event: NotifyLevelEvent = { ...where, level: data.level };
  return succeed(
    { ...event },
    () =>
      node.publish(
        { kind: "user", key: member.userKey },
        "notify_level",
        event,
        {
          exceptConnection: member.id,
        },
      ),
  );
}

/**
 * `list_notify_levels`: the account's levels other than `mentions`; those
 * of rooms it does not belong to (left, removed, deleted) are left out.
 */
export async function listNotifyLevels(ctx: MemberContext): Promise<Outcome> {
  const member = ctx.client.member;
  if (member.guest) return fail("forbidden", GUESTS);
  return succeed({
    levels: await notifyLevelsOf(ctx.node, member.userKey),
  });
}

/**
 * An account's levels as the protocol says them (login, list): those of
 * rooms it does not belong to are left out (namedPlaces says why).
 */
export async function notifyLevelsOf(
  node: ChatNode,
  userKey: string,
): Promise<NotifyLevelEvent[]> {
  const named = await namedPlaces(
    node,
    userKey,
    node.store.listNotifyLevels(userKey),
  );
  return named.map(({ row, where }) => ({ ...where, level: row.level }));
}
