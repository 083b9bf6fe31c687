/**
 * A page of a room's history, as the `history` action and
 * `GET /api/rooms/:room/messages` both serve it, with the room's epoch.
 *
 * A room deleted and created again under the same name starts its seqs at
 * 1 again, and a database restored from a backup can be behind what a
 * client saw. A client resuming by `after_seq` would then silently get
 * the wrong messages, or none. So every room has an epoch (from its
 * creation time), replies carry it, and a resume that names another epoch,
 * or names this one but asks for what follows a seq the room never reached
 * (a restored database keeps the epoch), gets `stale_epoch`: the client drops what it holds of that room and loads it
 * afresh. Checking the seq costs one more indexed read, only when a
 * resume page comes back empty.
 */
import type { ChatNode } from "./node.ts";
import { fail, type Failure } from "./protocol/errors.ts";
import type { ChatMessage } from "./protocol/types.ts";
import type { HistoryQuery } from "./store/mod.ts";

/** A page of one room's messages, oldest first. */
export interface RoomPage {
  room: string;
  epoch: string;
  messages: ChatMessage[];
}

/** Reads a page; `stale_epoch` when the asker's position is not this room's. */
export async function readRoomPage(
  node: ChatNode,
  roomKey: string,
  query: HistoryQuery & { epoch?: string },
): Promise<RoomPage | Failure> {
  const info = node.registry.roomInfo(roomKey);
  const room = info?.name ?? roomKey;
  const epoch = info?.epoch ?? "";
  const stale = fail(
    "stale_epoch",
    `${room} is not the room you saw: load it again.`,
    { epoch },
  );
  if (query.epoch !== undefined && query.epoch !== epoch) return stale;
  const messages = await node.store.history(roomKey, {
    beforeSeq: query.beforeSeq,
    afterSeq: query.afterSeq,
    aroundSeq: query.aroundSeq,
    limit: query.limit,
  });
  // Only a client that sends the epoch resumes by it: for others an
  // empty page past the end stays the answer it always was.
  if (
    messages.length === 0 && query.afterSeq !== undefined &&
    query.epoch !== undefined
  ) {
    const [last] = await node.store.history(roomKey, { limit: 1 });
    if ((last?.seq ?? 0) < query.afterSeq) return stale;
  }
  return { room, epoch, messages };
}
