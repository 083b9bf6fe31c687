import { log } from "../log.ts";
import {
  fail,
  type Failure,
  isFailure,
  type Outcome,
  succeed,
} from "../protocol/errors.ts";
import { nameKey } from "../protocol/names.ts";
import {
  banData,
  kickData,
  roomData,
  setRoleData,
  unbanData,
} from "../protocol/schemas.ts";
import { GENERAL_ROOM, type Role } from "../protocol/types.ts";
import { addressKey, isLoopback } from "../addresses.ts";
import { type MemberContext, parseData } from "./context.ts";
import { audit, auditOf, NO_REASON } from "./audit.ts";
import { refuseRank, requireRole } from "./roles.ts";

const logger = log("moderation");

/** A user a moderator acts on: online here, or an account, or both. */
interface Target {
  key: string;
  name: string;
  role: Role;
  online: boolean;
}

async function findTarget(
  ctx: MemberContext,
  user: string,
): Promise<Target | Failure> {
  const key = nameKey(user);
  const { node } = ctx;
  let online = await node.onlineName(key);
  // Redis came back empty and a node has not written its users again yet:
  // "not online" may be that node's user. Wait until it has (a second or
  // two, a TTL at most) and ask again, rather than answer user_not_found
  // to a kick of someone online.
  if (online === undefined && node.presence.settling()) {
    node.metrics.presenceWaits++;
    await node.presence.settled();
    online = await node.onlineName(key);
  }
  const account = await node.accounts.find(user);
  if (online === undefined && !account) {
    return fail("user_not_found", `Nobody is called '${user}'.`);
  }
  const onlineRole = [...node.registry.connectionsOf(key)][0]?.role;
  return {
    key,
    name: online ?? account!.username,
    role: account?.role ?? onlineRole ?? "user",
    online: online !== undefined,
  };
}

// Moderators act on users below them; nobody acts on themselves.
function outranks(ctx: MemberContext, target: Target): Failure | undefined {
  const actor = ctx.client.member;
  if (target.key === actor.userKey) {
    return fail("forbidden", "You cannot do that to yourself.");
  }
  return refuseRank(actor.role, target);
}

/**
 * The user a moderator or admin acts on, if the sender outranks it:
 * `user_not_found`, or `forbidden` for oneself and equal or higher ranks.
 */
export async function resolve(
  ctx: MemberContext,
  user: string,
): Promise<Target | Failure> {
  const target = await findTarget(ctx, user);
  if (isFailure(target)) return target;
  return outranks(ctx, target) ?? target;
}

function withReason(text: string, reason?: string): string {
  return reason ? `${text}: ${reason}` : text;
}

/** `kick`: disconnects every connection of a user; they may come back. */
export async function kick(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  // The role first, as for every moderation action: who may not act
  // learns nothing about the request's fields.
  const denied = requireRole(ctx, "moderator");
  if (denied) return denied;
  const data = parseData(kickData, raw);
  if (isFailure(data)) return data;
  const target = await resolve(ctx, data.user);
  if (isFailure(target)) return target;
  if (!target.online) {
    return fail("user_not_found", `${target.name} is not online.`);
  }
  const by = ctx.client.member.username;
  const text = withReason(`${target.name} was kicked by ${by}`, data.reason);
  logger.warn("{text}", { text });
  await audit(ctx, {
    action: "kick",
    target: target.name,
    reason: data.reason,
  });
  return succeed({ user: target.name }, () =>
    ctx.node.control({
      kind: "remove_user",
      userKey: target.key,
      reason: "kicked",
      text,
      by,
      because: data.reason || undefined,
    }));
}

/**
 * `ban`: server-wide (the name and the addresses it is online from) or from
 * one room. Persisted; a banned user cannot log in or join (`banned`).
 */
export async function ban(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const denied = requireRole(ctx, "moderator");
  if (denied) return denied;
  const data = parseData(banData, raw);
  if (isFailure(data)) return data;
  const target = await resolve(ctx, data.user);
  if (isFailure(target)) return target;
  const { node } = ctx;
  const by = ctx.client.member.username;
  const reason = data.reason?.trim() || NO_REASON;
  const createdAt = Date.now();
  const expiresAt = data.duration_s === undefined
    ? undefined
    : createdAt + data.duration_s * 1000;
  const until = expiresAt === undefined
    ? {}
    : { expires_at: new Date(expiresAt).toISOString() };
  const details = data.duration_s === undefined
    ? undefined
    : { duration_s: data.duration_s };
  if (data.room !== undefined) {
    const roomKey = await node.findRoomAnywhere(data.room);
    if (roomKey === undefined) {
      return fail("room_not_found", `No room named '${data.room}'.`);
    }
    if (roomKey === GENERAL_ROOM) {
      return fail(
        "invalid_message",
        "A ban from 'general' is a server-wide ban: leave out 'room'.",
      );
    }
    const room = node.registry.roomName(roomKey)!;
    // A room ban ends the membership (the store, in the ban's commit with
    // its audit entry); every node drops it (evict_user).
    await node.store.addBan({
      userKey: target.key,
      roomKey,
      reason,
      by,
      createdAt,
      expiresAt,
    }, {
      audit: auditOf(ctx, {
        action: "ban",
        target: target.name,
        room,
        reason,
        details,
      }),
    });
    const text = `${target.name} was banned from ${room} by ${by}: ${reason}`;
    logger.warn("{text}", { text });
    return succeed({ user: target.name, room, ...until }, () =>
      node.control({
        kind: "evict_user",
        userKey: target.key,
        roomKey,
        text,
        by,
        because: reason,
      }));
  }
  // A guest's addresses, on every node, go too, so it cannot come back
  // under another name; address bans only ever stop guests.
  // This machine's own addresses are never banned (http/client_info.ts).
  // An IPv6 address goes as its /64 (addressKey), all of which one machine
  // may send from. One commit: the name, its addresses and the audit entry.
  const addresses = [
    ...new Set(
      (await node.presence.guestAddresses(target.key))
        .filter((a) => !isLoopback(a)).map(addressKey),
    ),
  ];
  await node.store.addBan({
    userKey: target.key,
    reason,
    by,
    createdAt,
    expiresAt,
  }, {
    addresses,
    audit: auditOf(ctx, {
      action: "ban",
      target: target.name,
      reason,
      details,
    }),
  });
  const text = `${target.name} was banned by ${by}: ${reason}`;
  logger.warn("{text}", { text });
  return succeed({ user: target.name, ...until }, () =>
    node.control({
      kind: "remove_user",
      userKey: target.key,
      reason: "banned",
      text,
      by,
      because: reason,
    }));
}

/** `unban`: lifts a server-wide or room ban. */
export async function unban(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const denied = requireRole(ctx, "moderator");
  if (denied) return denied;
  const data = parseData(unbanData, raw);
  if (isFailure(data)) return data;
  const { node } = ctx;
  let roomKey: string | undefined;
  if (data.room !== undefined) {
    roomKey = await node.findRoomAnywhere(data.room);
    if (roomKey === undefined) {
      return fail("room_not_found", `No room named '${data.room}'.`);
    }
  }
  const room = roomKey === undefined
    ? undefined
    : node.registry.roomName(roomKey) ?? data.room;
  // The entry is written only if a ban was lifted, in the same commit.
  const lifted = await node.store.removeBans(
    nameKey(data.user),
    roomKey,
    auditOf(ctx, { action: "unban", target: data.user, room }),
  );
  if (lifted === 0) {
    return fail("user_not_found", `'${data.user}' is not banned there.`);
  }
  logger.warn("{user} unbanned by {by}", {
    user: data.user,
    by: ctx.client.member.username,
  });
  return succeed({ user: data.user });
}

/** `delete_room`: members move to `general`; `general` itself stays. */
export async function deleteRoom(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const denied = requireRole(ctx, "moderator");
  if (denied) return denied;
  const data = parseData(roomData, raw);
  if (isFailure(data)) return data;
  const { node } = ctx;
  const roomKey = await node.findRoomAnywhere(data.room);
  if (roomKey === undefined) {
    return fail("room_not_found", `No room named '${data.room}'.`);
  }
  if (roomKey === GENERAL_ROOM) {
    return fail("forbidden", "'general' cannot be deleted.");
  }
  const room = node.registry.roomName(roomKey)!;
  const outranked = await refuseOwner(ctx, roomKey);
  if (outranked) return outranked;
  const by = ctx.client.member.username;
  // Another moderator may have deleted it a moment ago: done all the same
  // (the entry is the deletion's, written with it).
  const announce = await node.deleteRoom(
    roomKey,
    by,
    auditOf(ctx, { action: "delete_room", room }),
  );
  if (announce) logger.warn("{by} deleted room {room}", { by, room });
  return succeed({ room }, announce);
}

// A room is its owner's: a moderator deletes those of users, of guests
// (which have no owner) and of other moderators, not an admin's (before,
// a moderator deleted an admin's rooms with their history).
async function refuseOwner(
  ctx: MemberContext,
  roomKey: string,
): Promise<Failure | undefined> {
  const owner = ctx.node.registry.roomInfo(roomKey)?.owner;
  if (owner === undefined || owner === ctx.client.member.userKey) {
    return undefined;
  }
  // An owner whose account was deleted (DELETED_OWNER) ranks as nobody.
  const account = await ctx.node.store.findAccount(owner);
  if (!account) return undefined;
  return refuseRank(ctx.client.member.role, {
    name: account.username,
    role: account.role,
  }, { equal: true });
}

/** `set_role`: admins make accounts admins, moderators or users. */
export async function setRole(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const denied = requireRole(ctx, "admin");
  if (denied) return denied;
  const data = parseData(setRoleData, raw);
  if (isFailure(data)) return data;
  const { node } = ctx;
  const account = await node.accounts.find(data.user);
  if (!account) {
    return fail("user_not_found", `No account is called '${data.user}'.`);
  }
  if (account.key === ctx.client.member.userKey) {
    return fail("forbidden", "Admins cannot change their own role.");
  }
  // Only an admin gets here: it changes any role but another admin's.
  const outranked = refuseRank(ctx.client.member.role, {
    name: account.username,
    role: account.role,
  });
  if (outranked) return outranked;
  const changed = await node.store.setRole(
    account.key,
    data.role,
    auditOf(ctx, {
      action: "set_role",
      target: account.username,
      details: { role: data.role },
    }),
  );
  if (!changed) {
    return fail("user_not_found", `No account is called '${data.user}'.`);
  }
  const by = ctx.client.member.username;
  logger.warn("{by} made {user} {role}", {
    by,
    user: account.username,
    role: data.role,
  });
  return succeed(
    { user: account.username, role: data.role },
    () =>
      node.control({
        kind: "role_changed",
        userKey: account.key,
        role: data.role,
        by,
        user: account.username,
        createdAt: account.createdAt,
      }),
  );
}
