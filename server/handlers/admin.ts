/**
 * Administration of accounts and rooms, for the admin page and bots:
 * listing accounts and bans, password reset links, deleting accounts,
 * making rooms private or public and giving them owners. Every change is
 * written to the audit log.
 */
import type { z } from "zod";
import { log } from "../log.ts";
import { fail, isFailure, type Outcome, succeed } from "../protocol/errors.ts";
import {
  deleteAccountData,
  listAccountsData,
  listBansData,
  resetPasswordData,
  resetTotpData,
  updateRoomData,
} from "../protocol/schemas.ts";
import { GENERAL_ROOM } from "../protocol/types.ts";
import {
  type Ban,
  DELETED_OWNER,
  type RoomPosting,
  shownOwner,
} from "../store/mod.ts";
import type {
  AccountSummary,
  BanSummary,
  RoomDetails,
} from "../protocol/admin_types.ts";
import { resetLinkPath } from "../accounts/password_reset.ts";
import { auditOf } from "./audit.ts";
import { type MemberContext, parseData } from "./context.ts";
import { resolve } from "./moderation.ts";
import { publishStatusGone } from "./status.ts";
import { groupsChanged, groupsOfAccount } from "./groups.ts";
import { publishAvatar } from "../avatars.ts";
import { emojiAuthoredBy, publishAuthorless } from "../custom_emoji.ts";
import { publishCorrections } from "./message_updates.ts";
import { requireRole } from "./roles.ts";
import { renameRoom } from "./room_rename.ts";
import { changeArchived } from "./archive.ts";
import { changePosting } from "./posting.ts";

const logger = log("admin");

// Lists are pages of at most this many unless the request says.
const PAGE = 50;
// Enough to mark every banned account of a page; more bans than this is a
// server the admin page does not describe well anyway.
const BANS_SCANNED = 10_000;
/**
 * The polls a deleted account voted in whose readers are sent them again,
 * newest first (ids are in time order): a store read and an event each.
 */
const LIVE_POLLS = 100;

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** `list_accounts`: accounts by name, for moderators and admins. */
export async function listAccounts(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const denied = requireRole(ctx, "moderator");
  if (denied) return denied;
  const data = parseData(listAccountsData, raw);
  if (isFailure(data)) return data;
  const { store } = ctx.node;
  const [accounts, bans] = await Promise.all([
    store.listAccounts({
      query: data.query,
      staff: data.staff,
      limit: data.limit ?? PAGE,
    }),
    store.listBans(Date.now(), BANS_SCANNED),
  ]);
  const banned = new Set(
    bans.filter((b) => !b.roomKey && !b.address).map((b) => b.userKey),
  );
  return succeed({
    accounts: accounts.map((account): AccountSummary => {
      const shown: AccountSummary = {
        username: account.username,
        role: account.role,
        created_at: iso(account.createdAt),
      };
      if (banned.has(account.key)) shown.banned = true;
      return shown;
    }),
  });
}

/**
 * `list_bans`: bans in force, newest first, for moderators and admins;
 * only admins see the banned addresses.
 */
export async function listBans(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const denied = requireRole(ctx, "moderator");
  if (denied) return denied;
  const data = parseData(listBansData, raw);
  if (isFailure(data)) return data;
  const admin = ctx.client.member.role === "admin";
  const bans = await ctx.node.store.listBans(Date.now(), data.limit ?? PAGE);
  return succeed({
    bans: bans
      .filter((ban) => admin || ban.address === undefined)
      .map((ban) => banData(ctx, ban, admin)),
  });
}

/**
 * `list_all_rooms`: every room, private ones too, with its owner,
 * retention and topic, for the admin page (moderators and admins). A
 * private room's topic is its members' words, like its messages: it is
 * shown only to a caller that belongs to the room (access.ts), else a
 * moderator outside read what no other door shows it. The cost: one read
 * of the caller's rooms (none while it is online here).
 */
export async function listAllRooms(ctx: MemberContext): Promise<Outcome> {
  const denied = requireRole(ctx, "moderator");
  if (denied) return denied;
  const rooms = await ctx.node.store.listRooms();
  const mine = await roomsOfCaller(ctx, rooms.some((r) => r.private));
  // Counts on every node, as room_list has them.
  const counts = await ctx.node.presence.roomCounts();
  return succeed({
    rooms: rooms.map((room): RoomDetails => {
      const shown: RoomDetails = {
        name: room.name,
        users: counts.get(room.key) ?? 0,
        private: room.private,
      };
      const owner = shownOwner(room.owner);
      if (owner !== undefined) shown.owner = owner;
      if (room.retentionDays !== undefined) {
        shown.retention_days = room.retentionDays;
      }
      if (room.topic !== undefined && (!room.private || mine.has(room.key))) {
        shown.topic = room.topic;
      }
      if (room.archived) shown.archived = true;
      if (room.posting) shown.posting = room.posting;
      return shown;
    }),
  });
}

/** The caller's rooms, when some room is private (else none needed). */
async function roomsOfCaller(
  ctx: MemberContext,
  needed: boolean,
): Promise<ReadonlySet<string>> {
  if (!needed) return new Set();
  const { userKey } = ctx.client.member;
  return ctx.node.registry.roomsOf(userKey) ??
    new Set(await ctx.node.store.memberRooms(userKey));
}

function banData(ctx: MemberContext, ban: Ban, admin: boolean): BanSummary {
  const shown: BanSummary = {
    user: ban.userKey,
    reason: ban.reason,
    by: ban.by,
    created_at: iso(ban.createdAt),
  };
  if (ban.roomKey !== undefined) {
    shown.room = ctx.node.registry.roomName(ban.roomKey) ?? ban.roomKey;
  }
  if (admin && ban.address !== undefined) shown.address = ban.address;
  if (ban.expiresAt !== undefined) shown.expires_at = iso(ban.expiresAt);
  return shown;
}

// An account an admin acts on: it must exist and rank below the admin.
async function targetAccount(ctx: MemberContext, user: string) {
  const target = await resolve(ctx, user);
  if (isFailure(target)) return target;
  const account = await ctx.node.accounts.find(user);
  if (!account) {
    return fail("user_not_found", `No account is called '${user}'.`);
  }
  return account;
}

/**
 * `reset_password`: a one-time link (`/reset#<token>`, valid a day) with
 * which the account's owner chooses a new password; admins only. The
 * account's sessions end when it is used, not before.
 */
export async function resetPassword(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const denied = requireRole(ctx, "admin");
  if (denied) return denied;
  const data = parseData(resetPasswordData, raw);
  if (isFailure(data)) return data;
  const account = await targetAccount(ctx, data.user);
  if (isFailure(account)) return account;
  // A bot is refused there (password_reset.ts), as the operator's is.
  const reset = await ctx.node.accounts.createPasswordReset(
    account,
    auditOf(ctx, {
      action: "reset_password",
      target: account.username,
      reason: data.reason,
    }),
  );
  if (isFailure(reset)) return reset;
  logger.warn("{by} made a password reset link for {user}", {
    by: ctx.client.member.username,
    user: account.username,
  });
  return succeed({
    user: account.username,
    link: resetLinkPath(reset.token),
    expires_at: iso(reset.expiresAt),
  });
}

/**
 * `reset_totp`: turns an account's two-factor authentication off, for an
 * owner who lost its device and its recovery codes; admins only. Its
 * sessions and tokens stay; its next login needs only the password.
 */
export async function resetTotp(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const denied = requireRole(ctx, "admin");
  if (denied) return denied;
  const data = parseData(resetTotpData, raw);
  if (isFailure(data)) return data;
  const account = await targetAccount(ctx, data.user);
  if (isFailure(account)) return account;
  const off = await ctx.node.accounts.twoFactor.disable(
    account.key,
    auditOf(ctx, {
      action: "reset_totp",
      target: account.username,
      reason: data.reason,
    }),
  );
  if (off) return off;
  logger.warn("{by} turned off two-factor authentication of {user}", {
    by: ctx.client.member.username,
    user: account.username,
  });
  return succeed({ user: account.username });
}

/**
 * `delete_account`: deletes an account, ends its connections, and keeps
 * its messages under its name or anonymised; admins only. Its name is
 * free again afterwards.
 */
export async function deleteAccount(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const denied = requireRole(ctx, "admin");
  if (denied) return denied;
  const data = parseData(deleteAccountData, raw);
  if (isFailure(data)) return data;
  const account = await targetAccount(ctx, data.user);
  if (isFailure(account)) return account;
  const { node } = ctx;
  const by = ctx.client.member.username;
  // Its rooms keep an owner nobody can become (the store sets it as it
  // deletes); every node's copy follows below. A room another node made
  // a moment ago is read from the store with it.
  const owned = node.registry.rooms().filter((room) =>
    room.owner === account.key
  );
  // Its groups lose it as a member or their creator: every page is told.
  const groups = await groupsOfAccount(node, account.key);
  // Its custom emoji stay, without an author: every page is told.
  const emoji = await emojiAuthoredBy(node, account.key);
  // The entry is written in the deletion's commit, only if it deleted.
  const deleted = await node.store.deleteAccount(
    account.key,
    data.messages,
    auditOf(ctx, {
      action: "delete_account",
      target: account.username,
      reason: data.reason,
      details: { messages: data.messages },
    }),
  );
  if (!deleted) {
    return fail("user_not_found", `No account is called '${data.user}'.`);
  }
  // Its votes went from every poll: the readers of the newest ones get
  // them again with their new counts; older ones show them at their next
  // read. Bounded: a store read and an event each.
  const polls = deleted.polls.toSorted().reverse().slice(0, LIVE_POLLS);
  const groupsTold = groupsChanged(node, groups, account.key);
  const text = `${account.username}'s account was deleted by ${by}`;
  logger.warn("{text} ({messages} messages)", {
    text,
    messages: data.messages,
  });
  return succeed(
    { user: account.username, messages: data.messages },
    () => {
      node.control({
        kind: "remove_user",
        userKey: account.key,
        reason: "kicked",
        text,
        by,
        accountDeleted: true,
      });
      publishStatusGone(node, account.username);
      groupsTold?.();
      // Its picture went with it (the store's cascade), its bytes with
      // the sweep.
      publishAvatar(node, account.username, null);
      void node.files.sweep();
      publishAuthorless(node, emoji).catch((error) =>
        logger.error(
          "Sending custom emoji without their deleted author failed: {error}",
          { error },
        )
      );
      publishCorrections(node, polls).catch((error) =>
        logger.error(
          "Sending polls without a deleted account's votes failed: {error}",
          { error },
        )
      );
      for (const room of owned) {
        node.control({
          kind: "room_changed",
          key: room.key,
          private: room.private,
          owner: DELETED_OWNER,
        });
      }
    },
  );
}

/**
 * `update_room`: renames a room, makes it private or public, gives it an
 * owner (an account) or none, and its own retention; admins only.
 * `general` stays public and keeps its name.
 */
export async function updateRoom(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const denied = requireRole(ctx, "admin");
  if (denied) return denied;
  const data = parseData(updateRoomData, raw);
  if (isFailure(data)) return data;
  const { node } = ctx;
  let roomKey = await node.findRoomAnywhere(data.room);
  if (roomKey === undefined) {
    return fail("room_not_found", `No room named '${data.room}'.`);
  }
  if (roomKey === GENERAL_ROOM && data.private) {
    return fail("forbidden", "'general' stays public.");
  }
  if (data.posting !== undefined) {
    return await postingByAdmin(ctx, roomKey, {
      ...data,
      posting: data.posting,
    });
  }
  if (data.archived !== undefined) {
    return await archiveByAdmin(ctx, roomKey, {
      ...data,
      archived: data.archived,
    });
  }
  let owner: string | null | undefined = data.owner;
  let ownerName: string | undefined;
  if (data.owner) {
    const account = await node.accounts.find(data.owner);
    if (!account) {
      return fail("user_not_found", `No account is called '${data.owner}'.`);
    }
    owner = account.key;
    ownerName = account.username;
  }
  // The entry says what was asked: the room private or not as it will be.
  const details: Record<string, string | boolean | number> = {
    private: data.private ?? node.registry.roomInfo(roomKey)?.private ??
      false,
  };
  if (data.owner !== undefined) details.owner = ownerName ?? "";
  if (data.retention_days !== undefined) {
    // "default": the room follows --retention-days again.
    details.retention_days = data.retention_days ?? "default";
  }
  const entry = (room: string, from?: string) =>
    auditOf(ctx, {
      action: "update_room",
      room,
      reason: data.reason,
      details: from === undefined ? details : { ...details, from },
    });
  const change = {
    private: data.private,
    owner,
    retentionDays: data.retention_days,
  };
  // A rename makes the change in its own commit, with the entry: one
  // commit either way, so the log never lists a change half made.
  const renamed = data.name === undefined
    ? undefined
    : await renameRoom(ctx, roomKey, data.name, { audit: entry, change });
  if (isFailure(renamed)) return renamed;
  if (renamed) roomKey = renamed.key;
  const room = renamed ? renamed.room : await node.store.updateRoom(
    roomKey,
    change,
    entry(node.registry.roomName(roomKey) ?? data.room),
  );
  if (!room) return fail("room_not_found", `No room named '${data.room}'.`);
  // A new private owner belongs to the room, or it could not see it: an
  // admin's choice, past --max-memberships too (one room more at most).
  const joined = ownerName !== undefined && room.private
    ? await node.addMembership(
      { key: room.owner!, name: ownerName },
      roomKey,
      undefined,
      0,
    )
    : undefined;
  if (renamed) details.from = renamed.from;
  logger.warn("{by} changed room {room}: {details}", {
    by: ctx.client.member.username,
    room: room.name,
    details,
  });
  const reply: {
    room: string;
    private: boolean;
    owner?: string;
    retention_days?: number;
  } = { room: room.name, private: room.private };
  if (room.retentionDays !== undefined) {
    reply.retention_days = room.retentionDays;
  }
  const shown = shownOwner(room.owner);
  if (shown !== undefined) {
    reply.owner = ownerName ??
      (await node.accounts.find(shown))?.username ??
      shown;
  }
  return succeed(reply, () => {
    renamed?.announce();
    node.control({
      kind: "room_changed",
      key: roomKey,
      private: room.private,
      owner: room.owner,
    });
    // Never "full": no cap was given.
    if (typeof joined === "function") joined();
    // A shorter retention shows at once, not at the next hourly pass.
    if (data.retention_days !== undefined) void node.expireOldMessages();
  });
}

/**
 * `update_room` with `archived`: an admin archives any room or brings it
 * back, a private one it does not belong to too (which `archive_room`
 * answers `room_not_found`: there an admin manages only the rooms it may
 * see), as the admin page's rooms do. The same change as `archive_room`
 * (archive.ts), with the audit entry `update_room` `{"archived"}`. On its
 * own: the other fields' change is one commit with its entry, and this is
 * another.
 */
async function archiveByAdmin(
  ctx: MemberContext,
  roomKey: string,
  data: z.infer<typeof updateRoomData> & { archived: boolean },
): Promise<Outcome> {
  const { archived, name, owner, reason } = data;
  if (
    name !== undefined || data.private !== undefined || owner !== undefined ||
    data.retention_days !== undefined || data.posting !== undefined
  ) {
    return fail(
      "invalid_message",
      "Send 'archived' on its own: the room's other changes go in another update_room.",
    );
  }
  const room = ctx.node.registry.roomName(roomKey) ?? data.room;
  const entry = auditOf(ctx, {
    action: "update_room",
    room,
    reason,
    details: { archived },
  });
  return await changeArchived(ctx, roomKey, archived, entry);
}

/**
 * `update_room` with `posting`: an admin makes any room an announcement
 * room or opens it again, as the admin page's rooms do; the same change
 * as `set_room_posting` (posting.ts), with the audit entry `update_room`
 * `{"posting"}`. On its own, as `archived` is (see archiveByAdmin).
 */
async function postingByAdmin(
  ctx: MemberContext,
  roomKey: string,
  data: z.infer<typeof updateRoomData> & { posting: RoomPosting },
): Promise<Outcome> {
  const { posting, name, owner, reason } = data;
  if (
    name !== undefined || data.private !== undefined || owner !== undefined ||
    data.retention_days !== undefined || data.archived !== undefined
  ) {
    return fail(
      "invalid_message",
      "Send 'posting' on its own: the room's other changes go in another update_room.",
    );
  }
  const room = ctx.node.registry.roomName(roomKey) ?? data.room;
  const entry = auditOf(ctx, {
    action: "update_room",
    room,
    reason,
    details: { posting },
  });
  return await changePosting(ctx, roomKey, posting, entry);
}
