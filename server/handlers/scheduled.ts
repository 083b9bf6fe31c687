/**
 * Scheduled messages (Slack's "Send later"): an account writes a message
 * now, to a room it is a member of or to a person, to be sent at a time it
 * chooses. The store keeps what the send will say; each node's sweep
 * (reminders.ts) sends it when due (scheduled_sends.ts), checking the
 * author again then exactly as a live send. Here: writing, listing,
 * changing and cancelling them, each told to the account's other
 * connections on every node.
 */
import { monotonicFactory } from "ulid";
import { findReadableRoom, readerOf } from "../access.ts";
import {
  fail,
  type Failure,
  isFailure,
  type Outcome,
  succeed,
} from "../protocol/errors.ts";
import { MAX_SCHEDULE_AHEAD_MS, MAX_SCHEDULED } from "../protocol/limits.ts";
import { nameKey } from "../protocol/names.ts";
import {
  emptyData,
  scheduledIdData,
  scheduleMessageData,
  updateScheduledData,
} from "../protocol/schemas.ts";
import type { ScheduledMessage } from "../protocol/types.ts";
import { conversationKey, type ScheduledRow } from "../store/mod.ts";
import { aheadProblem, type MemberContext, parseData } from "./context.ts";
import { cleanText, messageContent, replyTarget } from "./messages.ts";

/**
 * Scheduled ids, monotonic within a millisecond: the sweep sends those due
 * at one time in id order, so one author's messages written in one
 * millisecond (a pipelined burst, a bot's) go in the order written; a
 * plain ulid's random part sent them in any order.
 */
const scheduledIds = monotonicFactory();

const GUESTS: Failure = fail(
  "forbidden",
  "Guests cannot schedule messages: log in with an account.",
);

/**
 * `schedule_message`: checks what a send would check now (the room, one
 * the account is a member of, or the person; the text, the files, the
 * message answered) and keeps it to be sent at `send_at` (ahead, at most
 * a year); `too_many_scheduled` past {@link MAX_SCHEDULED}. The author's
 * other connections get `scheduled`.
 */
export async function scheduleMessage(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const data = parseData(scheduleMessageData, raw);
  if (isFailure(data)) return data;
  const { node } = ctx;
  const member = ctx.client.member;
  if (member.guest) return GUESTS;
  const now = Date.now();
  const sendAt = Date.parse(data.send_at);
  const late = aheadProblem("send_at", sendAt, {
    now,
    maxAheadMs: MAX_SCHEDULE_AHEAD_MS,
  });
  if (late) return late;
  const content = await messageContent(ctx, data);
  if (isFailure(content)) return content;
  const place = await target(ctx, data);
  if (isFailure(place)) return place;
  const replyTo = await replyTarget(ctx, data.reply_to, place.stream);
  if (isFailure(replyTo)) return replyTo;
  const row: ScheduledRow = {
    id: scheduledIds(now),
    userKey: member.userKey,
    ...place.row,
    text: content.text,
    ...(data.attachments?.length ? { attachments: data.attachments } : {}),
    ...(replyTo === undefined ? {} : { replyTo }),
    sendAt,
    createdAt: now,
  };
  if (await node.store.addScheduled(row, MAX_SCHEDULED) === "full") {
    return fail(
      "too_many_scheduled",
      `An account has at most ${MAX_SCHEDULED} messages scheduled: cancel one first.`,
    );
  }
  return told(ctx, "scheduled", { scheduled: scheduledView(row) });
}

/**
 * Where a scheduled message goes: a room the account reads and is a
 * member of (`room_not_found` otherwise, as a send from outside it is),
 * or an account (`user_not_found`); with the stream its reply must be of.
 */
async function target(
  ctx: MemberContext,
  data: { room?: string; to?: string },
): Promise<
  | { row: Pick<ScheduledRow, "room" | "roomKey" | "to">; stream: string }
  | Failure
> {
  const { node } = ctx;
  const member = ctx.client.member;
  if (data.room !== undefined) {
    const key = await findReadableRoom(node, readerOf(member), data.room);
    if (key === undefined || !await node.store.isMember(member.userKey, key)) {
      return fail(
        "room_not_found",
        `You are not a member of a room named '${data.room}'.`,
      );
    }
    return { row: { room: data.room, roomKey: key }, stream: key };
  }
  const to = data.to!;
  const account = await node.accounts.find(to);
  if (!account) return fail("user_not_found", `Nobody is called '${to}'.`);
  return {
    row: { to: account.username },
    stream: conversationKey(member.userKey, nameKey(account.username)),
  };
}

/** `list_scheduled`: the account's scheduled messages, the soonest first. */
export async function listScheduled(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const data = parseData(emptyData, raw);
  if (isFailure(data)) return data;
  const member = ctx.client.member;
  if (member.guest) return GUESTS;
  const rows = await ctx.node.store.listScheduled(member.userKey);
  return succeed({ scheduled: rows.map(scheduledView) });
}

/**
 * `update_scheduled`: a new text (checked as a send's, its files kept) or
 * time (ahead, at most a year; or now, `send_now`, which sends it at
 * once), or both; `scheduled_not_found` for none,
 * or one being sent now. The author's other connections get `scheduled`.
 */
export async function updateScheduled(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const data = parseData(updateScheduledData, raw);
  if (isFailure(data)) return data;
  const { node } = ctx;
  const member = ctx.client.member;
  if (member.guest) return GUESTS;
  const now = Date.now();
  const sendAt = data.send_now
    ? now
    : data.send_at === undefined
    ? undefined
    : Date.parse(data.send_at);
  if (sendAt !== undefined && !data.send_now) {
    const late = aheadProblem("send_at", sendAt, {
      now,
      maxAheadMs: MAX_SCHEDULE_AHEAD_MS,
    });
    if (late) return late;
  }
  let text: string | undefined;
  if (data.text !== undefined) {
    // Whether it may be empty depends on its files: at most 100 rows read.
    const rows = await node.store.listScheduled(member.userKey);
    const row = rows.find((r) => r.id === data.id);
    if (row === undefined) return notFound(data.id);
    const clean = cleanText(data.text, (row.attachments?.length ?? 0) > 0);
    if (isFailure(clean)) return clean;
    text = clean;
  }
  const row = await node.store.updateScheduled(
    member.userKey,
    data.id,
    {
      ...(text === undefined ? {} : { text }),
      ...(sendAt === undefined ? {} : { sendAt }),
    },
    now,
  );
  if (row === undefined) return notFound(data.id);
  // Due now: this node's sweep runs at once rather than at its next pass.
  if (data.send_now) node.sweepDue();
  return told(ctx, "scheduled", { scheduled: scheduledView(row) });
}

/**
 * `cancel_scheduled`: forgets a scheduled message unsent;
 * `scheduled_not_found` for none, or one being sent now. The author's
 * other connections get `scheduled_cancelled`.
 */
export async function cancelScheduled(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const data = parseData(scheduledIdData, raw);
  if (isFailure(data)) return data;
  const member = ctx.client.member;
  if (member.guest) return GUESTS;
  const gone = await ctx.node.store.cancelScheduled(
    member.userKey,
    data.id,
    Date.now(),
  );
  if (!gone) return notFound(data.id);
  const { node } = ctx;
  return succeed({}, () =>
    node.publish(
      { kind: "user", key: member.userKey },
      "scheduled_cancelled",
      { id: data.id },
      { exceptConnection: member.id },
    ));
}

function notFound(id: string): Failure {
  return fail(
    "scheduled_not_found",
    `No scheduled message with id '${id.slice(0, 64)}' waits to be sent.`,
  );
}

/** The reply, and the same data as `event` to the author's other sockets. */
function told(
  ctx: MemberContext,
  event: string,
  data: { scheduled: ScheduledMessage },
): Outcome {
  const member = ctx.client.member;
  return succeed(
    data,
    () =>
      ctx.node.publish(
        { kind: "user", key: member.userKey },
        event,
        data.scheduled,
        { exceptConnection: member.id },
      ),
  );
}

/** A scheduled message as its author reads it. */
export function scheduledView(row: ScheduledRow): ScheduledMessage {
  return {
    id: row.id,
    ...(row.room === undefined ? {} : { room: row.room }),
    ...(row.to === undefined ? {} : { to: row.to }),
    text: row.text,
    ...(row.attachments === undefined ? {} : { attachments: row.attachments }),
    ...(row.replyTo === undefined ? {} : { reply_to: row.replyTo }),
    send_at: new Date(row.sendAt).toISOString(),
    created_at: new Date(row.createdAt).toISOString(),
  };
}
