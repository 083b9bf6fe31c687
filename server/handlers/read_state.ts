import { fail, isFailure, type Outcome, succeed } from "../protocol/errors.ts";
import { markReadData, markUnreadData } from "../protocol/schemas.ts";
import type { ReadStateEvent } from "../protocol/types.ts";
import { toReadState } from "../node.ts";
import { type MarkedRead } from "../store/mod.ts";
import { type MemberContext, parseData } from "./context.ts";
import { ownPlace } from "./own_place.ts";

/**
 * `mark_read`: an account has read a room or a private conversation up to
 * `seq` (the position only moves forward). Its other connections, on
 * every node, get `read_state` with the new counts when it moved.
 */
export function markRead(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const data = parseData(markReadData, raw);
  if (isFailure(data)) return Promise.resolve(data);
  return moveReadPosition(
    ctx,
    data,
    (user, stream, since) =>
      ctx.node.store.markRead(user, stream, data.seq, since),
  );
}

/**
 * `mark_unread`: the message `seq` of a room or a private conversation, and
 * every later one, are unread again ("Mark unread" on a message): the
 * position moves back to just before it, never forward. The account's
 * other connections get `read_state` when it moved, as for `mark_read`.
 */
export function markUnread(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const data = parseData(markUnreadData, raw);
  if (isFailure(data)) return Promise.resolve(data);
  return moveReadPosition(
    ctx,
    data,
    (user, stream, since) =>
      ctx.node.store.markUnread(user, stream, data.seq, since),
    { marked_unread: true },
  );
}

/**
 * Finds the stream, moves the position with `move`, and tells the
 * account's other connections (`read_state` with `tell` added).
 */
async function moveReadPosition(
  ctx: MemberContext,
  data: { room?: string; with?: string },
  move: (
    userKey: string,
    stream: string,
    since: number | undefined,
  ) => Promise<MarkedRead>,
  tell: Pick<ReadStateEvent, "marked_unread"> = {},
): Promise<Outcome> {
  const { node } = ctx;
  const member = ctx.client.member;
  if (member.guest) {
    return fail(
      "forbidden",
      "Guests keep no read state: log in with an account.",
    );
  }
  const place = await ownPlace(ctx, data);
  if (isFailure(place)) return place;
  const { stream, where } = place;
  // A position that does not move writes nothing (the store says so) and
  // tells nobody: each such request was a commit, and a read_state to
  // every other connection of the account, so its connections, each within
  // its own rate limit, cost the server N x N events (20 of them slowed
  // everyone's sends from 2 ms to 140 ms).
  // In a conversation the name may have been someone else's before (a
  // guest's, a deleted account's): its messages then are no more counted
  // than history shows them.
  const { moved, state } = await move(
    member.userKey,
    stream,
    where.with === undefined ? undefined : member.since,
  );
  if (!moved) return succeed({ ...where, ...toReadState(state) });
  const event: ReadStateEvent = { ...where, ...toReadState(state), ...tell };
  return succeed(
    { ...where, ...toReadState(state) },
    () =>
      node.publish({ kind: "user", key: member.userKey }, "read_state", event, {
        exceptConnection: member.id,
      }),
  );
}
