import { canRead, findReadableRoom, memberBan, readerOf } from "../access.ts";
import { avatarsOf } from "../avatars.ts";
import { log } from "../log.ts";
import { addressKey, isLoopback } from "../addresses.ts";
import {
  fail,
  type Failure,
  isFailure,
  type Outcome,
  succeed,
} from "../protocol/errors.ts";
import { cleanName, nameKey } from "../protocol/names.ts";
import {
  createRoomData,
  joinRoomData,
  leaveRoomData,
  listMembersData,
  listUsersData,
} from "../protocol/schemas.ts";
import { LIST_MEMBERS_LIMIT } from "../protocol/limits.ts";
import { GENERAL_ROOM } from "../protocol/types.ts";
import { hereMentioned } from "../room_mentions.ts";
import { type Ban, shownOwner } from "../store/mod.ts";
import { type MemberContext, parseData } from "./context.ts";
import { takeInvite } from "./invites.ts";

const logger = log("rooms");

/** What a room name may be, as `room_name_invalid` says. */
export const ROOM_NAME_RULE =
  "A room name is 1 to 32 letters, digits, '_', '-' or '.', without spaces.";

/** `list_rooms`: every room the user may see, with its user count. */
export async function listRooms(ctx: MemberContext): Promise<Outcome> {
  const { member } = ctx.client;
  const viewer = member.guest ? undefined : member.userKey;
  return succeed({ rooms: await ctx.node.roomSummaries(viewer) });
}

/**
 * `create_room`: creates a room (`private`: invite-only, accounts only)
 * and moves the creator into it; an account becomes its first member and
 * its owner.
 */
export async function createRoom(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const data = parseData(createRoomData, raw);
  if (isFailure(data)) return data;
  const member = ctx.client.member;
  if (data.private && member.guest) {
    return fail(
      "forbidden",
      "Log in with an account to create a private room.",
    );
  }
  const name = cleanName(data.room);
  if (name === null) return fail("room_name_invalid", ROOM_NAME_RULE);
  const key = nameKey(name);
  const { node } = ctx;
  const taken = `A room named '${name}' exists already.`;
  if (node.registry.roomName(key) !== undefined) {
    return fail("room_exists", taken);
  }
  // Not named in the answer: it may be a private room.
  if (node.registry.roomLookingLike(name) !== undefined) {
    return fail(
      "room_exists",
      `A room whose name looks like '${name}' exists already.`,
    );
  }
  const refused = roomQuota(ctx) ?? membershipCap(ctx);
  if (refused) return refused;
  const options = member.guest
    ? {}
    : { private: data.private ?? false, owner: member.userKey };
  // The store decides, across nodes, who created it first.
  const stored = await node.store.createRoom(name, key, options);
  if (!stored) return fail("room_exists", taken);
  const tellOthers = node.addRoom(key, name, {
    ...options,
    createdAt: stored.createdAt,
  });
  const joined = member.guest ? undefined : await node.addMembership(
    { key: member.userKey, name: member.username },
    key,
  );
  if (joined === "full") {
    // Another node added the last membership since the check above: the
    // room goes again, unseen (nobody else knows its name yet).
    await node.deleteRoom(key, member.username).then((gone) => gone?.());
    return membershipsFull(node);
  }
  logger.info("{user} created {kind} room {room}", {
    user: member.username,
    kind: data.private ? "private" : "public",
    room: name,
  });
  const announce = node.moveMember(member, key);
  const epoch = node.registry.epochOf(key);
  return succeed({ room: name, epoch, history: [] }, () => {
    tellOthers();
    joined?.();
    announce();
  });
}

// Guests' names cost nothing, so their rooms are limited per address
// (loopback aside: a proxy on this host forwards the real one); an
// account's by how many it owns, whatever address it comes from.
function roomQuota(ctx: MemberContext): Failure | undefined {
  const { member } = ctx.client;
  const { node } = ctx;
  if (member.guest) {
    if (isLoopback(member.address)) return undefined;
    const wait = node.addressLimits.take(addressKey(member.address), "room");
    if (wait === 0) return undefined;
    return fail(
      "rate_limited",
      `Guests at your address made many rooms: try again in ${
        Math.ceil(wait / 1000)
      } s, or log in with an account.`,
      { retry_after_ms: Math.ceil(wait) },
    );
  }
  const max = node.maxRoomsPerUser;
  if (max > 0 && node.registry.roomsOwnedBy(member.userKey) >= max) {
    return fail(
      "too_many_rooms",
      `You own ${max} rooms already: delete one before creating another.`,
    );
  }
  return undefined;
}

// Each room an account belongs to is counted at each of its logins (its
// unread messages and mentions), so --max-memberships bounds a login's
// work. Checked here on this node's view first, so that a refused join
// spends no invite code and a refused creation makes no room; the store
// checks again with its insert, which closes the race between nodes.
function membershipCap(ctx: MemberContext): Failure | undefined {
  const { member } = ctx.client;
  const { node } = ctx;
  if (member.guest || node.maxMemberships === 0) return undefined;
  const rooms = node.registry.roomsOf(member.userKey)?.size ?? 0;
  return rooms >= node.maxMemberships ? membershipsFull(node) : undefined;
}

/** The refusal of a membership past `--max-memberships`, to the caller. */
export function membershipsFull(node: { maxMemberships: number }): Failure {
  return fail(
    "too_many_rooms",
    `You belong to ${node.maxMemberships} rooms already: leave one before joining another.`,
  );
}

/**
 * `join_room`: makes a room the connection's current one and returns its
 * latest history. An account that is not a member yet joins it; a private
 * room needs an `invite` code (or an invitation). Unknown rooms and private
 * rooms one may not enter get the same `room_not_found`.
 */
export async function joinRoom(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const data = parseData(joinRoomData, raw);
  if (isFailure(data)) return data;
  const { node } = ctx;
  const member = ctx.client.member;
  const notFound = fail("room_not_found", `No room named '${data.room}'.`);
  const key = await node.findRoomAnywhere(data.room);
  if (key === undefined) return notFound;
  const room = node.registry.roomInfo(key)!;
  const isMember = !member.guest &&
    node.registry.isMemberOf(member.userKey, key);
  if (!isMember && room.private) {
    // Only a real code of this room tells that the room exists.
    const invite = data.invite === undefined
      ? undefined
      : await node.store.findInvite(data.invite);
    if (invite?.roomKey !== key) return notFound;
    if (member.guest) {
      return fail(
        "forbidden",
        "Log in with an account to join a private room.",
      );
    }
  }
  const banOf = () => memberBan(node.store, member, key);
  const ban = await banOf();
  if (ban) {
    return fail("banned", `You are banned from ${room.name}: ${ban.reason}`);
  }
  if (!isMember) {
    const full = membershipCap(ctx);
    if (full) return full;
  }
  let used: string | undefined;
  if (!isMember && data.invite !== undefined) {
    const invite = await takeInvite(ctx, data.invite, key);
    if (isFailure(invite)) return invite;
    used = invite.code;
  }
  const joined = member.guest || isMember
    ? undefined
    : await node.addMembership(
      { key: member.userKey, name: member.username },
      key,
    );
  // A use that made no member goes back: another device of the account
  // joined first (both saw no membership, so a 2-use link was spent by
  // one account opening it in two tabs), the cap, the room gone. A guest's
  // (a public room's link) made no member either, but opened the room.
  if (used !== undefined && !member.guest && typeof joined !== "function") {
    await node.store.returnInvite(used);
  }
  if (joined === "full") return membershipsFull(node);
  return await enter(ctx, key, joined, banOf);
}

/**
 * `leave_room`: ends the membership of a room (the current one by
 * default); connections looking at it go back to `general`, which itself
 * cannot be left. A guest leaves its current room.
 */
export async function leaveRoom(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const data = parseData(leaveRoomData, raw);
  if (isFailure(data)) return data;
  const { node } = ctx;
  const member = ctx.client.member;
  const notFound = fail("room_not_found", `No room named '${data.room}'.`);
  const key = data.room === undefined
    ? member.roomKey
    : await findReadableRoom(node, readerOf(member), data.room);
  if (key === undefined) return notFound;
  if (key === GENERAL_ROOM) {
    return fail("cannot_leave_general", "You cannot leave 'general'.");
  }
  if (member.guest) {
    if (key !== member.roomKey) return notFound;
    return await enter(ctx, GENERAL_ROOM);
  }
  const room = node.registry.roomName(key) ?? key;
  const left = await node.removeMembership(
    { key: member.userKey, name: member.username },
    key,
    { kind: "left", text: `${member.username} left ${room}` },
  );
  if (!left) return notFound;
  // The removal moved this connection to `general` if it looked at the room.
  const announce = node.moveMember(member, member.roomKey);
  const current = node.registry.roomName(member.roomKey) ?? member.roomKey;
  const history = await node.store.history(member.roomKey, {});
  // The room entered's epoch, as `enter` gives it: without it a client
  // resuming from this history had no epoch to send.
  const epoch = node.registry.epochOf(member.roomKey);
  const here_mentioned = await hereMentioned(
    node,
    member,
    member.roomKey,
    history,
  );
  return succeed(
    { room: current, epoch, history, here_mentioned, left: room },
    () => {
      left();
      announce();
    },
  );
}

// The move happens before the history read, so no message can fall between
// the two: one stored meanwhile arrives as an event and may also be in the
// history, and clients merge by seq.
//
// With `banOf`, the ban is read again once the connection is in the room
// (and its membership stored): a room ban acknowledged while this join was
// under way, after its first look, found no member to evict and no
// membership to end, and the join would go on into the room after it. Read
// in the same batch as the history: no round trip more.
async function enter(
  ctx: MemberContext,
  key: string,
  joined?: () => void,
  banOf?: () => Promise<Ban | undefined>,
): Promise<Outcome> {
  const { node } = ctx;
  const member = ctx.client.member;
  const announce = node.moveMember(member, key);
  const room = node.registry.roomName(key) ?? key;
  // Debug, not info: at info, formatting and writing this line was a fifth
  // of a join's CPU (docs/performance.md, "Reads of the history").
  logger.debug("{user} moved to {room}", { user: member.username, room });
  const [history, ban] = await Promise.all([
    node.store.history(key, {}),
    banOf?.(),
  ]);
  if (ban) {
    // Undone as the ban does it (evict_user, on every node), the
    // membership this join stored too.
    if (joined) await node.store.removeMember(member.userKey, key);
    node.control({
      kind: "evict_user",
      userKey: member.userKey,
      roomKey: key,
      text: `${member.username} was banned from ${room}: ${ban.reason}`,
      by: ban.by,
      because: ban.reason,
    });
    return fail("banned", `You are banned from ${room}: ${ban.reason}`);
  }
  // Made private (or deleted) while this join was under way: what this
  // connection may no longer read it does not get, history included.
  // For a connected member canRead asks this node's registry, which those
  // changes update before they are acknowledged here.
  if (member.roomKey !== key || !await canRead(node, readerOf(member), key)) {
    if (member.roomKey === key) node.moveMember(member, GENERAL_ROOM)();
    return fail("room_not_found", `No room named '${room}'.`);
  }
  const epoch = node.registry.epochOf(key);
  const topic = node.registry.roomInfo(key)?.topic;
  // Undefined (no `@here` that pinged) leaves the field out of the JSON.
  const here_mentioned = await hereMentioned(node, member, key, history);
  const reply = topic === undefined
    ? { room, epoch, history, here_mentioned }
    : { room, epoch, history, here_mentioned, topic };
  return succeed(reply, () => {
    joined?.();
    announce();
  });
}

/**
 * The key of the room `room` names, when the member may read it, or of its
 * current room when it names none (`list_users`, `list_members`).
 */
async function namedOrCurrentRoom(
  ctx: MemberContext,
  room: string | undefined,
): Promise<string | Failure> {
  const member = ctx.client.member;
  const key = room === undefined
    ? member.roomKey
    : await findReadableRoom(ctx.node, readerOf(member), room);
  return key ?? fail("room_not_found", `No room named '${room}'.`);
}

/** `list_users`: distinct users online in a room, the current one by default. */
export async function listUsers(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const data = parseData(listUsersData, raw);
  if (isFailure(data)) return data;
  const key = await namedOrCurrentRoom(ctx, data.room);
  if (isFailure(key)) return key;
  const users = await ctx.node.usersIn(key);
  const room = ctx.node.registry.roomName(key);
  // The owner goes with the list, so that a client beside it offers
  // remove_member only where the server allows it (the owner cannot be
  // removed, and removes anyone).
  const owner = shownOwner(ctx.node.registry.roomInfo(key)?.owner);
  // Only those with a picture, by name: a client asks `/avatars/` for no
  // other (a request a name shown, in a room of 2,000, before).
  const avatars = await avatarsOf(ctx.node, users);
  return succeed({
    room,
    users,
    ...owner === undefined ? {} : { owner },
    ...Object.keys(avatars).length === 0 ? {} : { avatars },
  });
}

// A guest's socket and name cost nothing, and each new one starts with
// full buckets: guests walking general's accounts are held per address
// (loopback aside: a proxy on this host forwards the real one), as one
// account is by its own bucket.
function guestDirectoryPace(ctx: MemberContext): Failure | undefined {
  const { member } = ctx.client;
  if (!member.guest || isLoopback(member.address)) return undefined;
  const wait = ctx.node.addressLimits.take(
    addressKey(member.address),
    "people",
  );
  if (wait === 0) return undefined;
  return fail(
    "rate_limited",
    `Guests at your address looked up many names: try again in ${
      Math.ceil(wait / 1000)
    } s, or log in with an account.`,
    { retry_after_ms: Math.ceil(wait) },
  );
}

/**
 * `list_members`: the accounts that belong to a room, online or not, whose
 * names start with `prefix` (compared as names are), by name key: for a
 * composer that offers members who are offline too. A room one may read
 * (as `list_users`); `general` lists every account.
 */
export async function listMembers(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const data = parseData(listMembersData, raw);
  if (isFailure(data)) return data;
  const paced = guestDirectoryPace(ctx);
  if (paced) return paced;
  const key = await namedOrCurrentRoom(ctx, data.room);
  if (isFailure(key)) return key;
  const members = await ctx.node.store.roomMembers(
    key,
    nameKey(data.prefix ?? ""),
    LIST_MEMBERS_LIMIT,
  );
  return succeed({ room: ctx.node.registry.roomName(key), members });
}
