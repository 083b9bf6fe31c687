import { fail, isFailure, type Outcome, succeed } from "../protocol/errors.ts";
import { nameKey } from "../protocol/names.ts";
import { typingData } from "../protocol/schemas.ts";
import { type MemberContext, parseData } from "./context.ts";

/** Typing notices closer together than this from one connection are dropped. */
export const TYPING_INTERVAL_MS = 2000;

const lastTyping = new WeakMap<object, number>();

/**
 * `typing` (extension): tells the others in the room, or the other side of
 * a private conversation, that this user is typing; nobody in an archived
 * room. Throttled on the wire.
 */
export async function typing(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const data = parseData(typingData, raw);
  if (isFailure(data)) return data;
  const { node } = ctx;
  const member = ctx.client.member;
  // The target is checked before the throttle, so a typo is always told.
  const toKey = data.to === undefined ? undefined : nameKey(data.to);
  const to = toKey === undefined ? undefined : await node.onlineName(toKey);
  if (toKey !== undefined && to === undefined) {
    return fail("user_not_found", `'${data.to}' is not online.`);
  }
  // Nobody needs to hear that they type themselves: told to every
  // connection of the account, each connection's one notice per 2 s was
  // N x N events (100 connections made 37,400 in 7 s).
  if (toKey === member.userKey) return succeed({});
  const now = performance.now();
  const last = lastTyping.get(member);
  if (last !== undefined && now - last < TYPING_INTERVAL_MS) {
    return succeed({});
  }
  lastTyping.set(member, now);
  if (toKey !== undefined) {
    // An ignorer hears nothing of the ignored account; the answer is the
    // same as when it is told, so that it learns nothing either. One key
    // probe per notice sent (at most one per 2 s per connection).
    if (await node.store.isIgnoring(toKey, member.userKey)) {
      return succeed({});
    }
    return succeed(
      {},
      () =>
        node.publish({ kind: "user", key: toKey }, "typing", {
          to,
          user: member.username,
        }),
    );
  }
  // An archived room takes no message, so nobody there is writing one: its
  // readers would see "is typing" for nothing. Answered the same.
  if (node.registry.isArchived(member.roomKey)) return succeed({});
  const room = node.registry.roomName(member.roomKey);
  return succeed(
    {},
    () =>
      node.publish({ kind: "room", key: member.roomKey }, "typing", {
        room,
        user: member.username,
      }, { exceptUser: member.userKey, viewersOnly: true }),
  );
}
