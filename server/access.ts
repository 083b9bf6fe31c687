/**
 * Who may read what: the one rule for rooms, their history, members,
 * search, reactions, pins and files, however they are reached (WebSocket or
 * HTTP). A public room is open to everyone not banned from it or from the
 * server (by account or by address); a private room only to its member
 * accounts; a private conversation only to its two parties, each since the
 * name became theirs.
 */
import type { ChatNode } from "./node.ts";
import { fail, type Failure } from "./protocol/errors.ts";
import { GENERAL_ROOM } from "./protocol/types.ts";
import type { Member } from "./registry.ts";
import {
  type AccountStore,
  type Ban,
  conversationUsers,
  type MessageRecord,
  type SearchScope,
} from "./store/mod.ts";

/** Someone asking to read, as far as the connection or request tells. */
export interface Reader {
  /** Name key of the account a login or session proved; none for guests and anonymous requests. */
  userKey?: string;
  /** When that account was created: older messages to its name are not its. */
  since?: number;
  /** The client's address, for address bans. */
  address?: string;
  /**
   * Name key of a guest: bans of the name cover it (a room ban names the
   * guest, not its address), nothing else does.
   */
  guest?: string;
}

/**
 * True when the reader may see the stream exists and read it, bans aside
 * (see {@linkcode roomRefusal}): `stream` is a room key or a conversation
 * key ('@a:b'). Online accounts are answered from this node's registry,
 * others from the store. With `ts`, the question is about one message
 * stored then (ms): a conversation's messages from before the name was the
 * reader's are not the reader's.
 */
export async function canRead(
  node: ChatNode,
  reader: Reader,
  stream: string,
  ts?: number,
): Promise<boolean> {
  if (conversationUsers(stream) !== undefined) {
    return isParty(reader, stream, ts ?? Number.POSITIVE_INFINITY);
  }
  const room = node.registry.roomInfo(stream);
  if (!room) return false;
  if (!room.private) return true;
  if (reader.userKey === undefined) return false;
  return await belongsTo(node, reader.userKey, stream);
}

/**
 * True when the account is a member of the room: of `general` always (from
 * its registration, when the store writes that row too; answered without
 * a read); else from this node's
 * registry while the account is online here (what its sockets were told),
 * else from the store (a REST request of an account with no socket here).
 */
export async function belongsTo(
  node: ChatNode,
  userKey: string,
  roomKey: string,
): Promise<boolean> {
  if (roomKey === GENERAL_ROOM) return true;
  if (node.registry.roomsOf(userKey) !== undefined) {
    return node.registry.isMemberOf(userKey, roomKey);
  }
  return await node.store.isMember(userKey, roomKey);
}

/**
 * The key of a room the reader may read, by name (asking the store for
 * rooms other nodes created); undefined for a room that does not exist
 * and for a private one the reader does not belong to, alike.
 */
export async function findReadableRoom(
  node: ChatNode,
  reader: Reader,
  name: string,
): Promise<string | undefined> {
  const key = await node.findRoomAnywhere(name);
  if (key === undefined) return undefined;
  return await canRead(node, reader, key) ? key : undefined;
}

/**
 * Whom a ban lookup names for this reader: an account by its name only,
 * a guest or an anonymous reader by name and address. An account on the
 * address of a banned guest (a school's or an office's one NAT address)
 * reads, joins and writes on. Reads ({@linkcode roomRefusal}) and joins
 * and sends ({@linkcode memberBan}) both ask through here: written twice,
 * the rule drifted once (reads refused accounts that joins let in).
 */
function banSubject(reader: Reader): { userKey?: string; address?: string } {
  // The store matches an IPv6 guest's /64 (how bans name it: one machine
  // picks its addresses there at will) and its exact address (bans made
  // before) in one lookup.
  return reader.userKey === undefined
    ? { userKey: reader.guest, address: reader.address }
    : { userKey: reader.userKey };
}

/** Why this reader may not read the room (a ban), or undefined when it may. */
export async function roomRefusal(
  store: AccountStore,
  reader: Reader,
  roomKey: string,
): Promise<Failure | undefined> {
  const ban = await store.findBan(banSubject(reader), roomKey);
  return ban && banRefusal(ban);
}

/** The `banned` answer to a request a ban covers: the server's or a room's. */
export function banRefusal(ban: Ban): Failure {
  return fail(
    "banned",
    ban.roomKey === undefined
      ? `You are banned from this server: ${ban.reason}`
      : `You are banned from this room: ${ban.reason}`,
  );
}

/**
 * The ban that keeps a connection's member out of a room (or, without
 * `roomKey`, off the server), as {@linkcode banSubject} names it.
 */
export async function memberBan(
  store: AccountStore,
  member: { userKey: string; guest: boolean; address: string },
  roomKey?: string,
): Promise<Ban | undefined> {
  return await store.findBan(
    banSubject(readerOf({ ...member, since: 0 })),
    roomKey,
  );
}

/**
 * True when the reader is a party of the private conversation `@a:b` and
 * held its name when a message of it (the newest at `ts`) was sent.
 */
export function isParty(
  reader: Reader,
  conversation: string,
  ts: number,
): boolean {
  if (reader.userKey === undefined) return false;
  const parties: string[] = conversationUsers(conversation) ?? [];
  return parties.includes(reader.userKey) && ts >= (reader.since ?? 0);
}

/**
 * True when the reader may read the room and is not banned from it nor
 * from the server: what must still hold at each use for something made or
 * written while it did (an outgoing webhook reading for its maker, an
 * edit of one's own message there).
 */
export async function mayReadRoom(
  node: ChatNode,
  reader: Reader,
  roomKey: string,
): Promise<boolean> {
  return await canRead(node, reader, roomKey) &&
    await roomRefusal(node.store, reader, roomKey) === undefined;
}

/**
 * True while the account that made a hook (incoming or outgoing) may still
 * read its room: that account, not merely its name. A hook outlived its
 * maker's deletion, posting (and reading) for a name nobody held, and then
 * for whoever registered the name next; now an account made after the
 * hook is not its maker. One account read per post or delivery more.
 */
export async function hookMakerMayRead(
  node: ChatNode,
  hook: { makerKey: string; createdAt: number; roomKey: string },
): Promise<boolean> {
  const maker = await node.store.findAccount(hook.makerKey);
  if (!maker || maker.createdAt > hook.createdAt) return false;
  return await mayReadRoom(
    node,
    { userKey: maker.key, since: maker.createdAt },
    hook.roomKey,
  );
}

/**
 * True while a bot's private-message hook may deliver: its account is the
 * one it was made for (deleting it deletes its hooks; this also holds
 * while a deletion commits) and is not banned from the server: a banned
 * account reads no private message, so its hooks get none either.
 */
export async function privateHookMayRead(
  node: ChatNode,
  hook: { userKey: string; createdAt: number },
): Promise<boolean> {
  const account = await node.store.findAccount(hook.userKey);
  if (!account || account.createdAt > hook.createdAt) return false;
  return !await node.store.findBan({ userKey: account.key });
}

/**
 * A logged-in connection as a reader: guests read as nobody known, but
 * bans of their name apply (or a room ban would leave them reading it).
 */
export function readerOf(
  member: { guest: boolean; userKey: string; since: number; address: string },
): Reader {
  return member.guest
    ? { address: member.address, guest: member.userKey }
    : { userKey: member.userKey, since: member.since, address: member.address };
}

/**
 * A message the reader may read, or undefined when there is no such
 * message, it is deleted, it is not the reader's to read, or the reader is
 * banned from its room: all look the same, so an id never tells what it
 * holds.
 */
export async function findReadable(
  node: ChatNode,
  reader: Reader,
  id: string,
): Promise<MessageRecord | undefined> {
  const record = await node.store.findMessage(id);
  if (!record || record.message.deleted) return undefined;
  return await mayReadRecord(node, reader, record) ? record : undefined;
}

/**
 * Whether the reader may read a stored message, deleted or not: it is the
 * reader's to read (canRead, at the time it was sent) and, in a room, the
 * reader is not banned from it. {@linkcode findReadable}'s rule, also a
 * thread's root (handlers/threads.ts), which a delete does not hide.
 */
export async function mayReadRecord(
  node: ChatNode,
  reader: Reader,
  record: MessageRecord,
): Promise<boolean> {
  return await mayReadAt(node, reader, {
    stream: record.stream,
    ts: Date.parse(record.message.ts),
  });
}

/**
 * {@linkcode mayReadRecord}'s rule for a message known by its stream and
 * when it was sent (ms), as the store's lighter reads name it
 * (`pollChoices`).
 */
export async function mayReadAt(
  node: ChatNode,
  reader: Reader,
  message: { stream: string; ts: number },
): Promise<boolean> {
  const { stream, ts } = message;
  if (!await canRead(node, reader, stream, ts)) return false;
  if (conversationUsers(stream) !== undefined) return true;
  return await roomRefusal(node.store, reader, stream) === undefined;
}

/**
 * True when a member may pin and unpin a stream's messages (one it may
 * read): moderators, admins and a room's owner in rooms, either side in
 * a private conversation.
 */
export function canPin(
  node: ChatNode,
  member: Member,
  stream: string,
): boolean {
  if (conversationUsers(stream) !== undefined) return true;
  if (member.role === "moderator" || member.role === "admin") return true;
  return !member.guest &&
    node.registry.roomInfo(stream)?.owner === member.userKey;
}

/**
 * What a search covers: one conversation (`withKey`), one room
 * (`roomKey`, already found readable and not banned), or every room the
 * reader may read and is not banned from, and all of an account's
 * conversations. Guests search rooms only. Each room costs a ban look-up
 * (an indexed read): rooms number in the hundreds, not millions.
 */
export async function searchScope(
  node: ChatNode,
  reader: Reader,
  only: { roomKey?: string; withKey?: string } = {},
): Promise<SearchScope> {
  const since = reader.since ?? 0;
  if (only.withKey !== undefined) {
    return reader.userKey === undefined ? { roomKeys: [] } : {
      roomKeys: [],
      conversations: { userKey: reader.userKey, since, withKey: only.withKey },
    };
  }
  if (only.roomKey !== undefined) return { roomKeys: [only.roomKey] };
  const roomKeys: string[] = [];
  for (const { key } of node.registry.rooms()) {
    if (!await canRead(node, reader, key)) continue;
    if (await roomRefusal(node.store, reader, key)) continue;
    roomKeys.push(key);
  }
  return reader.userKey === undefined
    ? { roomKeys }
    : { roomKeys, conversations: { userKey: reader.userKey, since } };
}
