import { belongsTo, findReadableRoom, readerOf } from "../access.ts";
import type { ChatNode } from "../node.ts";
import { fail, type Failure, isFailure } from "../protocol/errors.ts";
import { nameKey } from "../protocol/names.ts";
import { conversationKey } from "../store/mod.ts";
import type { MemberContext } from "./context.ts";

/**
 * A place an account keeps something of its own about (its read position,
 * a draft, a notification level): its stream, and how replies and events
 * name it (`room`, or `with` as the account wrote the other side's name).
 */
export interface OwnPlace {
  stream: string;
  where: { room?: string; with?: string };
}

/**
 * The place of `{"room"}` (a room the account belongs to: else
 * `room_not_found`, which tells a private room one is not in from no room
 * at all no more than elsewhere) or of `{"with"}` (its private
 * conversation with that name, which need not be anyone's yet).
 */
export async function ownPlace(
  ctx: MemberContext,
  data: { room?: string; with?: string },
): Promise<OwnPlace | Failure> {
  const { node } = ctx;
  const member = ctx.client.member;
  if (data.room === undefined) {
    return {
      stream: conversationKey(member.userKey, nameKey(data.with!)),
      where: { with: data.with },
    };
  }
  const key = await findReadableRoom(node, readerOf(member), data.room);
  // A REST request's account may have no socket here: belongsTo asks the
  // store then (one read), as the registry knows only online ones.
  if (key === undefined || !await belongsTo(node, member.userKey, key)) {
    return fail("room_not_found", `No room named '${data.room}'.`);
  }
  return { stream: key, where: { room: node.registry.roomName(key) } };
}

/** Options of {@link keptPlace}. */
export interface KeptPlaceOptions {
  /** The `forbidden` sentence for a guest: its choices stay in its browser. */
  guests: string;
  /**
   * True when the write adds a row (a star, a level other than
   * `mentions`, a draft with text): then a conversation's other side must
   * be someone. Taking one away stays allowed, since that account may
   * have been deleted since.
   */
  adds: boolean;
}

/**
 * The place an account's write of its own choice names (`star`, `unstar`,
 * `set_notify_level`, `set_draft`), checked as each of them checks it:
 * `forbidden` for a guest, the place ({@link ownPlace}), and, for a write
 * that adds a row in a conversation, `user_not_found` when nobody has that
 * name ({@link nobodyCalled}).
 */
export async function keptPlace(
  ctx: MemberContext,
  data: { room?: string; with?: string },
  options: KeptPlaceOptions,
): Promise<OwnPlace | Failure> {
  if (ctx.client.member.guest) return fail("forbidden", options.guests);
  const place = await ownPlace(ctx, data);
  if (isFailure(place)) return place;
  if (options.adds && data.with !== undefined) {
    const nobody = await nobodyCalled(ctx, data.with);
    if (nobody) return nobody;
  }
  return place;
}

/**
 * `user_not_found` when nobody is called `name`, else undefined: a draft
 * or a level in a conversation with nobody would be a row no conversation
 * shows. One account read, as private_message makes, when that account is
 * not online here.
 */
export async function nobodyCalled(
  ctx: MemberContext,
  name: string,
): Promise<Failure | undefined> {
  const { node } = ctx;
  if (await node.onlineName(nameKey(name)) !== undefined) return undefined;
  if (await node.accounts.find(name) !== undefined) return undefined;
  return fail("user_not_found", `Nobody is called '${name}'.`);
}

/**
 * An account's rows of places (levels, stars) with how the protocol names
 * each. A room's row outlives the account's membership (leaving keeps it,
 * so a rejoin finds it again), but is named only while the account
 * belongs: named after a removal, it told a former member that a private
 * room still existed (under its key, also one made again by others), which
 * `room_not_found` tells nobody. The account's rooms come from the
 * registry when it is online here (its login has just read them), else
 * from the store.
 */
export async function namedPlaces<T extends { stream: string; with?: string }>(
  node: ChatNode,
  userKey: string,
  rows: Promise<T[]>,
): Promise<{ row: T; where: { room: string } | { with: string } }[]> {
  const [all, member] = await Promise.all([rows, node.roomsOf(userKey)]);
  const named: { row: T; where: { room: string } | { with: string } }[] = [];
  for (const row of all) {
    if (row.with !== undefined) {
      named.push({ row, where: { with: row.with } });
      continue;
    }
    const room = node.registry.roomName(row.stream);
    if (room !== undefined && member.has(row.stream)) {
      named.push({ row, where: { room } });
    }
  }
  return named;
}
