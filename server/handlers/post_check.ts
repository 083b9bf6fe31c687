/**
 * May this account post here: the one check of every post to a room,
 * `send_message` in each of its forms (a reply, a message with files, one
 * sent over the REST API, a scheduled message at its time, all through
 * its handler) and `create_poll`. Before the append,
 * {@linkcode postRefusal}: the room archived, the account not a member
 * where the post names a room it must belong to, the room's announcement
 * rule. As the store commits, {@linkcode appendRefusal}: a ban (the store
 * reads it as it inserts, so no post reads one before), the account
 * deleted, the room archived on another node or gone meanwhile.
 *
 * Where membership is known otherwise: a socket's `send_message` goes to
 * the room it looks at, which it joined; a REST post may go to any public
 * room the account reads (docs/api.md); a scheduled message's send checks
 * first that its author is still a member of the very room it was written
 * to (`room_not_found`, scheduled_sends.ts).
 */
import type { ChatNode } from "../node.ts";
import { fail, type Failure } from "../protocol/errors.ts";
import type { Member } from "../registry.ts";
import {
  RoomArchivedError,
  RoomGoneError,
  SenderBannedError,
  SenderGoneError,
} from "../store/mod.ts";
import { banRefusal } from "../access.ts";
import { archivedRefusal, roomArchived } from "./archive.ts";
import { postingRefusal } from "./posting.ts";

/** Options of {@link postRefusal}. */
export interface PostRefusalOptions {
  /**
   * Whether the account belongs to the room, for a post that names a
   * room it must be a member of (`create_poll`); left out where the path
   * knows it otherwise (see the module's comment).
   */
  belongs?: boolean;
}

/**
 * Why `member` may not post to the room `roomKey` now, or undefined:
 * `room_archived`, then `forbidden` for a non-member (when
 * `options.belongs` says so), then `posting_restricted`. Map look-ups on
 * this node's registry only: the hot path of a send awaits nothing here.
 */
export function postRefusal(
  node: Pick<ChatNode, "registry">,
  member: Pick<Member, "userKey" | "role" | "bot">,
  roomKey: string,
  options: PostRefusalOptions = {},
): Failure | undefined {
  const archived = archivedRefusal(node, roomKey);
  if (archived) return archived;
  if (options.belongs === false) {
    const name = node.registry.roomName(roomKey) ?? roomKey;
    return fail("forbidden", `Join ${name} to post there.`);
  }
  return postingRefusal(node, member, roomKey);
}

/**
 * The answer to a room post's append the store refused: `room_not_found`
 * when the room was deleted, renamed or made again while it waited for its
 * commit (whatever the store's refusal said), `room_archived` when it was
 * archived on another node before this node's flag heard of it, else as
 * {@link refusedAppend}.
 */
export function appendRefusal(
  node: Pick<ChatNode, "registry">,
  post: { roomKey: string; roomCreatedAt?: number },
  error: unknown,
): Failure {
  if (node.registry.createdAtOf(post.roomKey) !== post.roomCreatedAt) {
    return roomChanged();
  }
  if (error instanceof RoomArchivedError) {
    return roomArchived(node, post.roomKey);
  }
  return refusedAppend(error);
}

/**
 * The answer to an append the store refused: `banned` for a ban that came
 * into force while it waited for its commit (the store checks as it
 * inserts), `forbidden` for an account deleted meanwhile (its sockets are
 * being closed), `room_not_found` for a room deleted or renamed meanwhile
 * (its key is gone either way, as for a send after it); anything else is
 * the store's failure, thrown on (`internal`).
 */
export function refusedAppend(error: unknown): Failure {
  if (error instanceof SenderBannedError) return banRefusal(error.ban);
  if (error instanceof SenderGoneError) {
    return fail("forbidden", "Your account was deleted.");
  }
  if (error instanceof RoomGoneError) return roomChanged();
  throw error;
}

// A send whose room went (deleted, renamed, made again) before its commit.
function roomChanged(): Failure {
  return fail(
    "room_not_found",
    "The room was deleted or renamed before your message was stored; if it was renamed, send it again to its new name.",
  );
}
