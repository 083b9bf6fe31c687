/**
 * Ignoring (Matrix's "ignore", Discord's "block"): an account stops
 * another from reaching it. The ignored account's private messages to it
 * and its invites of it are refused with `not_accepted` (private.ts,
 * invites.ts), and so are its edits, reactions and pins in their old
 * conversation (`ignoredThere`); its typing there is told to nobody
 * (typing.ts), its mentions push nothing (push.ts), and the web client
 * hides its messages. Ignoring also leaves the rooms it added the ignorer
 * to. Accounts only, on both sides: a guest's name passes to the next
 * guest, who would inherit the ignore, and a guest has no place to keep
 * its own.
 */
import {
  fail,
  type Failure,
  isFailure,
  type Outcome,
  succeed,
} from "../protocol/errors.ts";
import { MAX_IGNORED } from "../protocol/limits.ts";
import { nameKey } from "../protocol/names.ts";
import { emptyData, userData } from "../protocol/schemas.ts";
import type { IgnoredUser } from "../protocol/types.ts";
import { conversationUsers } from "../store/mod.ts";
import { type MemberContext, parseData } from "./context.ts";

const GUESTS = "Log in with an account to ignore people.";

/**
 * `ignore_user`: the caller ignores an account; the rooms that account
 * added it to are left at once (their names in `left`), and the caller's
 * connections, on every node, get `ignored`.
 */
export async function ignoreUser(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const data = parseData(userData, raw);
  if (isFailure(data)) return data;
  const member = ctx.client.member;
  if (member.guest) return fail("forbidden", GUESTS);
  const { node } = ctx;
  const account = await node.accounts.find(data.user);
  if (!account) {
    return fail("user_not_found", `No account is called '${data.user}'.`);
  }
  if (account.key === member.userKey) {
    return fail("forbidden", "You cannot ignore yourself.");
  }
  const added = await node.store.ignore(member.userKey, {
    key: account.key,
    name: account.username,
    max: MAX_IGNORED,
  });
  if (added === "full") {
    return fail(
      "forbidden",
      `You ignore ${MAX_IGNORED} accounts already: unignore one first.`,
    );
  }
  // Recorded first, so an invite checked after this is refused; one
  // checked before that commits after the read below stays (a window of
  // one store round trip: ignoring again leaves it).
  const rooms = await node.store.roomsInvitedBy(member.userKey, {
    key: account.key,
    since: account.createdAt,
  });
  const left: string[] = [];
  const announcements: (() => void)[] = [];
  for (const roomKey of rooms) {
    const room = node.registry.roomName(roomKey) ?? roomKey;
    const gone = await node.removeMembership(
      { key: member.userKey, name: member.username },
      roomKey,
      { kind: "left", text: `${member.username} left ${room}` },
    );
    if (!gone) continue;
    left.push(room);
    announcements.push(gone);
  }
  const event = { user: account.username, ignored: true };
  return succeed({ user: account.username, left }, () => {
    for (const announce of announcements) announce();
    if (added || left.length > 0) {
      node.publish({ kind: "user", key: member.userKey }, "ignored", event);
    }
  });
}

/**
 * `unignore_user`: the caller stops ignoring an account (one since
 * deleted is unignored already); its connections get `ignored` with
 * `ignored: false`.
 */
export async function unignoreUser(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const data = parseData(userData, raw);
  if (isFailure(data)) return data;
  const member = ctx.client.member;
  if (member.guest) return fail("forbidden", GUESTS);
  const { node } = ctx;
  const key = nameKey(data.user);
  if (!await node.store.unignore(member.userKey, key)) {
    return fail("user_not_found", `You do not ignore '${data.user}'.`);
  }
  // An account's deletion forgets who ignored it: the account is there,
  // unless it was deleted since this unignore's commit.
  const user = (await node.accounts.find(data.user))?.username ?? data.user;
  return succeed({ user }, () => {
    node.publish({ kind: "user", key: member.userKey }, "ignored", {
      user,
      ignored: false,
    });
  });
}

/** `list_ignored`: the accounts the caller ignores, by name key. */
export async function listIgnored(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const data = parseData(emptyData, raw);
  if (isFailure(data)) return data;
  const member = ctx.client.member;
  if (member.guest) return fail("forbidden", GUESTS);
  const entries = await ctx.node.store.listIgnored(member.userKey);
  const users = entries.map((entry): IgnoredUser => ({
    user: entry.name,
    ignored_at: new Date(entry.at).toISOString(),
  }));
  return succeed({ users });
}

/**
 * `not_accepted` when `stream` is a private conversation whose other side
 * ignores the caller: an edit, a reaction or a pin there reaches that side
 * as a new message would (an edit a second rewrote an old message live).
 * Answered as `private_message` is, saying no more. Costs one key probe,
 * in conversations only.
 */
export async function ignoredThere(
  ctx: MemberContext,
  stream: string,
): Promise<Failure | undefined> {
  const users = conversationUsers(stream);
  if (users === undefined) return undefined;
  const me = ctx.client.member.userKey;
  const other = users[0] === me ? users[1] : users[0];
  if (other === me || !await ctx.node.store.isIgnoring(other, me)) {
    return undefined;
  }
  const name = (await ctx.node.accounts.find(other))?.username ?? other;
  return fail(
    "not_accepted",
    `${name} does not accept private messages from you.`,
  );
}
