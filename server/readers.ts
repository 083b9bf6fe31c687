/**
 * Who may read a conversation, one rule for every way of reading it
 * (history over HTTP, files): a room is public except to those banned from
 * it or from the server, by account or by address; a private conversation
 * belongs to its two parties, each since the name became theirs.
 */
import { fail, type Failure } from "./protocol/errors.ts";
import type { AccountStore } from "./store/mod.ts";

/** Someone asking to read, as far as the request tells. */
export interface Reader {
  /** Name key of the account a session (cookie or token) proved, if any. */
  userKey?: string;
  /** When that account was created: older messages to its name are not its. */
  since?: number;
  /** The client's address. */
  address: string;
}

/** Why this reader may not read the room, or undefined when it may. */
export async function roomRefusal(
  store: AccountStore,
  reader: Reader,
  roomKey: string,
): Promise<Failure | undefined> {
  const ban = await store.findBan(
    { userKey: reader.userKey, address: reader.address },
    roomKey,
  );
  if (!ban) return undefined;
  return fail(
    "banned",
    ban.roomKey === undefined
      ? `You are banned from this server: ${ban.reason}`
      : `You are banned from this room: ${ban.reason}`,
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
  const parties = conversation.slice(1).split(":");
  return parties.includes(reader.userKey) && ts >= (reader.since ?? 0);
}
