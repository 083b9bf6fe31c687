/**
 * Saved messages (Slack's "Later", Mattermost's "Saved", Zulip's
 * "Starred"): an account keeps messages it may read to come back to, on
 * every device. The store keeps ids only; what a saved message is, and
 * whether the account may still read it, is asked when it is listed, so a
 * room left or a ban hides it and a room joined again shows it.
 */
import { findReadable, mayReadRecord, readerOf } from "../access.ts";
import {
  fail,
  type Failure,
  isFailure,
  type Outcome,
  succeed,
} from "../protocol/errors.ts";
import {
  MAX_REMIND_AHEAD_MS,
  MAX_SAVED,
  SAVED_DEFAULT_LIMIT,
} from "../protocol/limits.ts";
import {
  listSavedData,
  savedMessageData,
  saveMessageData,
} from "../protocol/schemas.ts";
import type { SavedEvent } from "../protocol/types.ts";
import type { SavedRow } from "../store/mod.ts";
import { aheadProblem, type MemberContext, parseData } from "./context.ts";
import { readable } from "./message_updates.ts";
import { messageNotFound } from "./messages.ts";

const GUESTS: Failure = fail(
  "forbidden",
  "Guests cannot save messages: log in with an account.",
);

/**
 * `save_message`: saves a message the account may read (a room's, or of
 * its own private conversations); `message_not_found` otherwise, as a
 * reaction or a pin answers. Saving one saved already answers the same
 * and changes nothing. With `remind_at`, sets (a time ahead, at most a
 * year) or clears (null) its reminder (reminders.ts fires it). Its other
 * connections, on every node, get `saved` when something changed.
 */
export async function saveMessage(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const data = parseData(saveMessageData, raw);
  if (isFailure(data)) return data;
  const { node } = ctx;
  const member = ctx.client.member;
  if (member.guest) return GUESTS;
  const remindAt = data.remind_at === undefined || data.remind_at === null
    ? data.remind_at
    : Date.parse(data.remind_at);
  if (typeof remindAt === "number") {
    const late = aheadProblem("remind_at", remindAt, {
      now: Date.now(),
      maxAheadMs: MAX_REMIND_AHEAD_MS,
      clear: ", or null to clear the reminder",
    });
    if (late) return late;
  }
  const record = await findReadable(node, readerOf(member), data.id);
  if (!record) return messageNotFound(data.id);
  const result = await node.store.saveMessage(
    member.userKey,
    data.id,
    Date.now(),
    MAX_SAVED,
  );
  if (result === "full") {
    return fail(
      "too_many_saved",
      `An account keeps at most ${MAX_SAVED} saved messages: remove one first.`,
    );
  }
  if (remindAt === undefined) {
    return told(ctx, { id: data.id, saved: true }, result === "added");
  }
  // A second step: an unsave between the two leaves it unsaved, as if the
  // unsave came after.
  const changed = await node.store.setReminder(
    member.userKey,
    data.id,
    remindAt,
  );
  return told(
    ctx,
    {
      id: data.id,
      saved: true,
      remind_at: remindAt === null ? null : new Date(remindAt).toISOString(),
    },
    result === "added" || changed,
  );
}

/**
 * `unsave_message`: forgets a saved message, readable or not any more (a
 * room left, a message deleted); one not saved answers the same.
 */
export async function unsaveMessage(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const data = parseData(savedMessageData, raw);
  if (isFailure(data)) return data;
  const member = ctx.client.member;
  if (member.guest) return GUESTS;
  const gone = await ctx.node.store.unsaveMessage(member.userKey, data.id);
  return told(ctx, { id: data.id, saved: false }, gone);
}

/** The reply, and when something changed, `saved` to the other sockets. */
function told(ctx: MemberContext, event: SavedEvent, changed: boolean) {
  const member = ctx.client.member;
  if (!changed) return succeed({ ...event });
  return succeed(
    { ...event },
    () =>
      ctx.node.publish({ kind: "user", key: member.userKey }, "saved", event, {
        exceptConnection: member.id,
      }),
  );
}

/**
 * Every id the account saved, newest saved first: what a device reads at
 * login to show Save or Remove on any message it shows. One range of the
 * (user_key, saved_at, message_id) index, no message read, so no
 * readability check either: an id says nothing the account was not shown
 * when it saved it, and a device asks only about messages it may read.
 * The cap bounds it: 1000 ids are 29 KB of JSON.
 */
async function savedIds(ctx: MemberContext): Promise<string[]> {
  const rows = await ctx.node.store.listSaved(ctx.client.member.userKey, {
    limit: MAX_SAVED,
  });
  return rows.map((row) => row.id);
}

/**
 * `list_saved`: a page of the account's saved messages, newest saved
 * first, each as `history` gives it. Those the account may not read now
 * are left out (their rows stay: a room joined again shows them); those
 * gone with their room, and those deleted that it may read, are forgotten
 * as they are met. `next`,
 * when the page was full, is the `before` of the next page (savedCursor):
 * a page may hold fewer than `limit` when some were left out. With `ids`,
 * `{"ids"}`: every id saved (savedIds).
 */
export async function listSaved(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const data = parseData(listSavedData, raw);
  if (isFailure(data)) return data;
  const { node } = ctx;
  const member = ctx.client.member;
  if (member.guest) return GUESTS;
  if (data.ids) return succeed({ ids: await savedIds(ctx) });
  const limit = data.limit ?? SAVED_DEFAULT_LIMIT;
  const rows = await node.store.listSaved(member.userKey, {
    ...(data.before === undefined ? {} : savedPlace(data.before)),
    limit,
  });
  const reader = readerOf(member);
  const saved = [];
  // The next page is read after the place `next` names, whether or not
  // its row is still there then: unsaved by the account meanwhile, or
  // forgotten here as its message is gone.
  const next = rows.length === limit
    ? savedCursor(rows[rows.length - 1])
    : null;
  for (const row of rows) {
    const record = await node.store.findMessage(row.id);
    // Deleted (or gone with its room) is for good: its row would only
    // count against the cap, unseen. Unreadable for now stays, deleted or
    // not: forgetting a message deleted in a room the account lost told
    // it, by its ids, that someone deleted it after it left. A room gone
    // takes its rows: which rooms exist is no secret (create_room says).
    if (!record) {
      await node.store.unsaveMessage(member.userKey, row.id);
      continue;
    }
    if (!await mayReadRecord(node, reader, record)) continue;
    if (record.message.deleted) {
      await node.store.unsaveMessage(member.userKey, row.id);
      continue;
    }
    saved.push({
      id: row.id,
      saved_at: new Date(row.savedAt).toISOString(),
      ...(row.remindAt === undefined
        ? {}
        : { remind_at: new Date(row.remindAt).toISOString() }),
      message: readable(node, record.stream, record.message),
    });
  }
  return succeed({ saved, next });
}

/**
 * `next` of a page of saved messages: where its last row stands, when it
 * was saved (ms) and its message's id, as `1733500000000.01J…`. The id
 * alone (what `next` was before) named a row: once the account unsaved
 * it, the next page was empty and ended the list.
 */
function savedCursor(row: SavedRow): string {
  return `${row.savedAt}.${row.id}`;
}

/**
 * The place a `before` names: a cursor (savedCursor), or a bare message id
 * (a `next` of servers of before, or a saved item's id), which names its
 * row while the message is saved. The ids the server makes (ULIDs) hold
 * no dot.
 */
function savedPlace(
  before: string,
): { before: string; beforeSavedAt?: number } {
  const cursor = /^(\d{1,15})\.(.+)$/.exec(before);
  return cursor === null
    ? { before }
    : { before: cursor[2], beforeSavedAt: Number(cursor[1]) };
}
