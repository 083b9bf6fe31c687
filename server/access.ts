import type { ChatNode } from "./node.ts";

/**
 * Who wants to read: an account (by name key) or nobody known (a guest, or
 * an HTTP request without a session).
 */
export interface Reader {
  /** The account's name key; undefined for guests and anonymous readers. */
  account?: string;
}

/**
 * Who may read a stream: the one rule for rooms, their history, members,
 * search, reactions, pins and files. A public room is open to everyone; a
 * private room only to its member accounts; a private conversation only to
 * its two sides. `stream` is a room key or a conversation key ('@a:b').
 * Online accounts are answered from this node's registry, others from the
 * store.
 */
export async function canRead(
  node: ChatNode,
  reader: Reader,
  stream: string,
): Promise<boolean> {
  if (stream.startsWith("@")) {
    if (reader.account === undefined) return false;
    const [a, b] = stream.slice(1).split(":");
    return reader.account === a || reader.account === b;
  }
  const room = node.registry.roomInfo(stream);
  if (!room) return false;
  if (!room.private) return true;
  if (reader.account === undefined) return false;
  if (node.registry.roomsOf(reader.account) !== undefined) {
    return node.registry.isMemberOf(reader.account, stream);
  }
  return await node.store.isMember(reader.account, stream);
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

/** A logged-in connection as a reader. */
export function readerOf(member: { guest: boolean; userKey: string }): Reader {
  return member.guest ? {} : { account: member.userKey };
}
