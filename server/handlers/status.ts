/**
 * A custom status (Slack's, Zulip's and Mattermost's): an account says
 * what it is up to in a short text and an emoji, maybe until a time, and
 * others see it beside its name. Kept on the account's row, so every node
 * and device reads one status; an ended one is never shown (reads leave it
 * out, the web client drops it at its `until`).
 */
import type { ChatNode } from "../node.ts";
import { fail, isFailure, type Outcome, succeed } from "../protocol/errors.ts";
import { reactionEmoji } from "../protocol/emoji.ts";
import { nameKey } from "../protocol/names.ts";
import { getStatusData, setStatusData } from "../protocol/schemas.ts";
import type { Status, StatusEvent } from "../protocol/types.ts";
import type { StoredStatus } from "../store/mod.ts";
import { type MemberContext, parseData } from "./context.ts";
import { untilProblem } from "./do_not_disturb.ts";

const GUESTS = "Guests have no status: log in with an account.";

/**
 * `set_status {"text","emoji"?,"until"?}`: sets the account's status, or
 * clears it (no text, no emoji). Every other logged-in connection, on
 * every node, gets `status`: each shares `general` with the account, which
 * every account belongs to for good.
 */
export async function setStatus(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const data = parseData(setStatusData, raw);
  if (isFailure(data)) return data;
  const { node } = ctx;
  const member = ctx.client.member;
  if (member.guest) return fail("forbidden", GUESTS);
  const text = data.text ?? "";
  let emoji: string | null = null;
  if (data.emoji) {
    emoji = reactionEmoji(data.emoji);
    if (emoji === null) {
      return fail(
        "invalid_message",
        "A status's emoji is one emoji, or a :name: of the built-in set.",
      );
    }
  }
  const until = data.until ?? null;
  const status: Status | null = text === "" && emoji === null
    ? null
    : { text, emoji, until };
  if (status !== null && until !== null) {
    const late = untilProblem(until, Date.now(), "keep it until cleared");
    if (late) return late;
  }
  // A deleted account's sockets are closed with it: no row is no error
  // worth a code of its own, the status is what was asked.
  await node.store.setStatus(member.userKey, status);
  const event: StatusEvent = { user: member.username, status };
  return succeed(
    { status },
    () =>
      node.publish({ kind: "everyone" }, "status", event, {
        exceptConnection: member.id,
      }),
  );
}

/**
 * An account deleted took its status with it (a column of its row): every
 * connection, on every node, hears it cleared, as if it had cleared it.
 * Clients keep the statuses they heard by name, so without it a deleted
 * account's status stayed beside the name on their screens, and beside
 * its next holder's (a guest's, an account's). One frame to every
 * connection per deletion, which is an admin's rare act; sent whether or
 * not it had one (a read to know would race a set_status).
 */
export function publishStatusGone(node: ChatNode, username: string): void {
  const event: StatusEvent = { user: username, status: null };
  node.publish({ kind: "everyone" }, "status", event);
}

/**
 * `get_status {"users":[…]}`: the statuses of up to 100 accounts by name,
 * as `[{"user","status"}]`, only those who have one now. Guests may ask:
 * they see the names in the rooms they are in.
 */
export async function getStatus(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const data = parseData(getStatusData, raw);
  if (isFailure(data)) return data;
  const asked = new Map<string, string>();
  for (const user of data.users) {
    const key = nameKey(user);
    if (!asked.has(key)) asked.set(key, user);
  }
  const now = Date.now();
  const statuses: StatusEvent[] = [];
  for (const stored of await ctx.node.store.statuses([...asked.keys()])) {
    const status = shown(stored, now);
    if (status) statuses.push({ user: asked.get(stored.userKey)!, status });
  }
  return succeed({ statuses });
}

/** `GET /api/me/status`: the caller's status, null for none. */
export async function ownStatus(ctx: MemberContext): Promise<Outcome> {
  const member = ctx.client.member;
  if (member.guest) return fail("forbidden", GUESTS);
  return succeed({ status: await statusOf(ctx.node, member.userKey) });
}

/** An account's status as the protocol shows it (login, GET): null for none or ended. */
export async function statusOf(
  node: ChatNode,
  userKey: string,
): Promise<Status | null> {
  const [stored] = await node.store.statuses([userKey]);
  return stored ? shown(stored, Date.now()) : null;
}

/** A stored status as shown at `now`: null once its `until` has come. */
function shown(stored: StoredStatus, now: number): Status | null {
  if (stored.until !== null && stored.until <= now) return null;
  return { text: stored.text, emoji: stored.emoji, until: stored.until };
}
