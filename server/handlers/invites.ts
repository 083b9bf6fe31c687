import { randomBytes } from "node:crypto";
import { findReadableRoom, readerOf, roomRefusal } from "../access.ts";
import { log } from "../log.ts";
import {
  fail,
  type Failure,
  isFailure,
  type Outcome,
  succeed,
} from "../protocol/errors.ts";
import {
  createInviteData,
  inviteCodeData,
  roomData,
  roomUserData,
} from "../protocol/schemas.ts";
import type { InviteInfo } from "../protocol/types.ts";
import type { RoomInfo } from "../registry.ts";
import type { StoredInvite } from "../store/mod.ts";
import { type MemberContext, parseData } from "./context.ts";
import { RANK, refuseRank } from "./roles.ts";
import { archivedRefusal, storeRefusing } from "./archive.ts";

const logger = log("invites");

/** Most invites a room holds that can still be used. */
export const MAX_INVITES_PER_ROOM = 100;

/** Where the web client opens an invite: a route of the page, after login. */
export function inviteUrl(code: string): string {
  return `/#/invite/${code}`;
}

/**
 * The memberships others may fill by `invite`: nine tenths of
 * `--max-memberships` (0 for no cap; "none" when that leaves no place).
 * An invite asks the account nothing, so before, anyone could add it to
 * private rooms of theirs until its last place was taken, and every room
 * it then tried to join itself got `too_many_rooms`. The tenth kept is
 * for its own joins (by name or invite code) and creations. Cost: an
 * account others keep adding to rooms stops being added at nine tenths,
 * though it may still join more itself.
 */
export function inviteShare(maxMemberships: number): number | "none" {
  if (maxMemberships === 0) return 0;
  const share = maxMemberships - Math.ceil(maxMemberships / 10);
  return share > 0 ? share : "none";
}

/**
 * `invite`: a member adds an account to a room. Its connections are told
 * (`membership` and a `system` notice of kind `invited`) and the room
 * appears in their room list.
 */
export async function invite(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const data = parseData(roomUserData, raw);
  if (isFailure(data)) return data;
  const member = ctx.client.member;
  if (member.guest) {
    return fail("forbidden", "Log in with an account to invite people.");
  }
  const { node } = ctx;
  const room = await memberRoom(ctx, data.room);
  if (isFailure(room)) return room;
  const archived = archivedRefusal(node, room.key);
  if (archived) return archived;
  const account = await node.accounts.find(data.user);
  if (!account) {
    return fail("user_not_found", `No account is called '${data.user}'.`);
  }
  const refused = fail(
    "not_accepted",
    `${account.username} does not accept invitations from you.`,
  );
  // Before the ban's answer, which an ignored inviter need not learn; the
  // store checks again with its write (an ignore may commit meanwhile).
  if (await node.store.isIgnoring(account.key, member.userKey)) return refused;
  const ban = await node.store.findBan({ userKey: account.key }, room.key);
  if (ban) {
    return fail(
      "forbidden",
      `${account.username} is banned from ${room.name}.`,
    );
  }
  const share = inviteShare(node.maxMemberships);
  // The store refuses it too when another node archived the room before
  // this node's flag heard of it.
  const joined = share === "none" ? "full" : await storeRefusing(
    node,
    room.key,
    () =>
      node.addMembership(
        { key: account.key, name: account.username },
        room.key,
        {
          room: room.name,
          kind: "invited",
          user: account.username,
          text: `${member.username} added you to ${room.name}`,
          by: member.username,
        },
        share,
        member.userKey,
      ),
  );
  if (isFailure(joined)) return joined;
  if (joined === "ignored") return refused;
  if (joined === "full") {
    return fail(
      "too_many_rooms",
      `${account.username} belongs to too many rooms to be added to another: others may fill ${
        share === "none" ? 0 : share
      } of their ${node.maxMemberships} places.`,
    );
  }
  logger.info("{by} invited {user} to {room}", {
    by: member.username,
    user: account.username,
    room: room.name,
  });
  return succeed({ room: room.name, user: account.username }, joined);
}

/**
 * `remove_member`: the room's owner, a moderator or an admin ends
 * someone's membership; their connections leave the room and lose access.
 */
export async function removeMember(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const data = parseData(roomUserData, raw);
  if (isFailure(data)) return data;
  const { node } = ctx;
  const member = ctx.client.member;
  const room = await managedRoom(ctx, data.room);
  if (isFailure(room)) return room;
  const account = await node.accounts.find(data.user);
  const notMember = fail(
    "user_not_found",
    `'${data.user}' is not a member of ${room.name}.`,
  );
  if (!account) return notMember;
  if (account.key === member.userKey) {
    return fail("forbidden", "Use leave_room to leave a room yourself.");
  }
  if (account.key === room.owner) {
    return fail("forbidden", `${account.username} owns ${room.name}.`);
  }
  // The owner removes anyone from its room; others only those below them.
  const outranked = member.userKey === room.owner
    ? undefined
    : refuseRank(member.role, { name: account.username, role: account.role });
  if (outranked) return outranked;
  const text =
    `${member.username} removed ${account.username} from ${room.name}`;
  const removed = await node.removeMembership(
    { key: account.key, name: account.username },
    room.key,
    {
      kind: "removed",
      text,
      by: member.username,
      notice: {
        room: room.name,
        kind: "removed",
        user: account.username,
        text: `${member.username} removed you from ${room.name}`,
        by: member.username,
      },
    },
  );
  if (!removed) return notMember;
  logger.info("{text}", { text });
  return succeed({ room: room.name, user: account.username }, removed);
}

/**
 * `create_invite`: the room's owner, a moderator or an admin makes an
 * invite link, limited in uses and time when asked.
 */
export async function createInvite(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const data = parseData(createInviteData, raw);
  if (isFailure(data)) return data;
  const room = await managedRoom(ctx, data.room);
  if (isFailure(room)) return room;
  const archived = archivedRefusal(ctx.node, room.key);
  if (archived) return archived;
  const now = Date.now();
  // Invites are rows made at the request rate: the dead ones go, and the
  // usable ones are bounded, or they would grow the database and every
  // list_invites reply for ever.
  const { store } = ctx.node;
  await store.deleteDeadInvites(room.key, now);
  if ((await store.listInvites(room.key, now)).length >= MAX_INVITES_PER_ROOM) {
    return fail(
      "forbidden",
      `A room has at most ${MAX_INVITES_PER_ROOM} usable invites: revoke one first.`,
    );
  }
  // 128 random bits: a link cannot be guessed.
  const code = randomBytes(16).toString("base64url");
  const stored: StoredInvite = {
    code,
    roomKey: room.key,
    createdBy: ctx.client.member.username,
    createdAt: now,
    uses: 0,
    revoked: false,
  };
  if (data.expires_in_s !== undefined) {
    stored.expiresAt = now + data.expires_in_s * 1000;
  }
  if (data.max_uses !== undefined) stored.maxUses = data.max_uses;
  // The store refuses it too when another node archived the room before
  // this node's flag heard of it.
  const made = await storeRefusing(
    ctx.node,
    room.key,
    () => ctx.node.store.createInvite(stored),
  );
  if (isFailure(made)) return made;
  logger.info("{by} made an invite to {room}", {
    by: ctx.client.member.username,
    room: room.name,
  });
  return succeed({ ...toInviteInfo(stored, room.name) });
}

/** `list_invites`: a room's usable invites, for its owner and moderators. */
export async function listInvites(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const data = parseData(roomData, raw);
  if (isFailure(data)) return data;
  const room = await managedRoom(ctx, data.room);
  if (isFailure(room)) return room;
  const invites = await ctx.node.store.listInvites(room.key, Date.now());
  return succeed({
    room: room.name,
    invites: invites.map((invite) => toInviteInfo(invite, room.name)),
  });
}

/** `revoke_invite`: the room's owner or a moderator ends an invite link. */
export async function revokeInvite(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const data = parseData(inviteCodeData, raw);
  if (isFailure(data)) return data;
  const { node } = ctx;
  const invalid = fail("invite_invalid", "No such invite.");
  const stored = await node.store.findInvite(data.code);
  if (!stored) return invalid;
  const name = node.registry.roomName(stored.roomKey);
  if (name === undefined) return invalid;
  const room = await managedRoom(ctx, name);
  if (isFailure(room)) return room.code === "forbidden" ? room : invalid;
  await node.store.revokeInvite(data.code);
  return succeed({ code: data.code, room: room.name });
}

/**
 * Uses an invite code to join the room `roomKey`: `invite_invalid` when it
 * is unknown, for another room, revoked, expired or used up.
 */
export async function takeInvite(
  ctx: MemberContext,
  code: string,
  roomKey: string,
): Promise<StoredInvite | Failure> {
  const invalid = fail(
    "invite_invalid",
    "This invite is no longer valid: ask for a new one.",
  );
  const found = await ctx.node.store.findInvite(code);
  if (found?.roomKey !== roomKey) return invalid;
  return await ctx.node.store.useInvite(code, Date.now()) ?? invalid;
}

// A room the user belongs to (guests: none), or `room_not_found`.
async function memberRoom(
  ctx: MemberContext,
  name: string,
): Promise<RoomInfo | Failure> {
  const { node } = ctx;
  const member = ctx.client.member;
  const key = await findReadableRoom(node, readerOf(member), name);
  if (key === undefined || !node.registry.isMemberOf(member.userKey, key)) {
    return fail("room_not_found", `No room named '${name}'.`);
  }
  return node.registry.roomInfo(key)!;
}

/**
 * A room the user may manage: its owner, or a moderator or admin who may
 * see it; `room_not_found` when it may not see it, else `forbidden`.
 */
export async function managedRoom(
  ctx: MemberContext,
  name: string,
): Promise<RoomInfo | Failure> {
  const { node } = ctx;
  const member = ctx.client.member;
  const key = await findReadableRoom(node, readerOf(member), name);
  if (key === undefined) {
    return fail("room_not_found", `No room named '${name}'.`);
  }
  const room = node.registry.roomInfo(key)!;
  if (member.guest) {
    return fail("forbidden", "Log in with an account to manage a room.");
  }
  if (room.owner !== member.userKey && RANK[member.role] < RANK.moderator) {
    return fail(
      "forbidden",
      `Only the owner of ${room.name} or a moderator may do that.`,
    );
  }
  // An owner banned from its public room (a private one's ban ended the
  // membership, so it is not found above) reads no links and makes none.
  if (await roomRefusal(node.store, readerOf(member), key)) {
    return fail("forbidden", `You are banned from ${room.name}.`);
  }
  return room;
}

function toInviteInfo(invite: StoredInvite, room: string): InviteInfo {
  const info: InviteInfo = {
    code: invite.code,
    url: inviteUrl(invite.code),
    room,
    created_by: invite.createdBy,
    created_at: new Date(invite.createdAt).toISOString(),
    uses: invite.uses,
  };
  if (invite.expiresAt !== undefined) {
    info.expires_at = new Date(invite.expiresAt).toISOString();
  }
  if (invite.maxUses !== undefined) info.max_uses = invite.maxUses;
  return info;
}
