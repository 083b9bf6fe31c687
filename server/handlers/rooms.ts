import { log } from "../log.ts";
import { fail, isFailure, type Outcome, succeed } from "../protocol/errors.ts";
import { cleanName, nameKey } from "../protocol/names.ts";
import { listUsersData, roomData } from "../protocol/schemas.ts";
import { GENERAL_ROOM } from "../protocol/types.ts";
import { type MemberContext, parseData } from "./context.ts";

const logger = log("rooms");

const ROOM_NAME_RULE =
  "A room name is 1 to 32 letters, digits, '_', '-' or '.', without spaces.";

/** `list_rooms`: every room with its user count. */
export async function listRooms(ctx: MemberContext): Promise<Outcome> {
  return succeed({ rooms: await ctx.node.roomSummaries() });
}

/** `create_room`: creates a room and moves the creator into it. */
export async function createRoom(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const data = parseData(roomData, raw);
  if (isFailure(data)) return data;
  const name = cleanName(data.room);
  if (name === null) return fail("room_name_invalid", ROOM_NAME_RULE);
  const key = nameKey(name);
  const { node } = ctx;
  const taken = `A room named '${name}' exists already.`;
  if (node.registry.roomName(key) !== undefined) {
    return fail("room_exists", taken);
  }
  // The store decides, across nodes, who created it first.
  const stored = await node.store.createRoom(name, key);
  if (!stored) return fail("room_exists", taken);
  const tellOthers = node.addRoom(key, name);
  const member = ctx.client.member;
  logger.info("{user} created room {room}", {
    user: member.username,
    room: name,
  });
  const announce = node.moveMember(member, key);
  return succeed({ room: name, history: [] }, () => {
    tellOthers();
    announce();
  });
}

/** `join_room`: moves the connection to a room and returns its latest history. */
export async function joinRoom(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const data = parseData(roomData, raw);
  if (isFailure(data)) return data;
  const key = await ctx.node.findRoomAnywhere(data.room);
  if (key === undefined) {
    return fail("room_not_found", `No room named '${data.room}'.`);
  }
  const member = ctx.client.member;
  // Address bans stop guests only, as at login.
  const ban = await ctx.node.store.findBan(
    {
      userKey: member.userKey,
      address: member.guest ? member.address : undefined,
    },
    key,
  );
  if (ban) {
    const room = ctx.node.registry.roomName(key);
    return fail("banned", `You are banned from ${room}: ${ban.reason}`);
  }
  return await enter(ctx, key);
}

/** `leave_room`: back to `general`, which itself cannot be left. */
export async function leaveRoom(ctx: MemberContext): Promise<Outcome> {
  if (ctx.client.member.roomKey === GENERAL_ROOM) {
    return fail("cannot_leave_general", "You cannot leave 'general'.");
  }
  return await enter(ctx, GENERAL_ROOM);
}

// The move happens before the history read, so no message can fall between
// the two: one stored meanwhile arrives as an event and may also be in the
// history, and clients merge by seq.
async function enter(ctx: MemberContext, key: string): Promise<Outcome> {
  const { node } = ctx;
  const member = ctx.client.member;
  const announce = node.moveMember(member, key);
  const room = node.registry.roomName(key) ?? key;
  logger.info("{user} moved to {room}", { user: member.username, room });
  const history = await node.store.history(key, {});
  return succeed({ room, history }, announce);
}

/** `list_users`: distinct users of a room, the current one by default. */
export async function listUsers(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const data = parseData(listUsersData, raw);
  if (isFailure(data)) return data;
  const key = data.room === undefined
    ? ctx.client.member.roomKey
    : await ctx.node.findRoomAnywhere(data.room);
  if (key === undefined) {
    return fail("room_not_found", `No room named '${data.room}'.`);
  }
  const users = await ctx.node.usersIn(key);
  return succeed({ room: ctx.node.registry.roomName(key), users });
}
