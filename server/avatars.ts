/**
 * Profile pictures: an account's current picture is an upload its store
 * row names (FileStorage.saveAvatar), served at `/avatars/:name`. Clients
 * learn that one exists, and when it changes, by its version: in the login
 * reply for their own, and from `avatar_updated` for everyone's.
 */
import type { ChatNode } from "./node.ts";
import { nameKey } from "./protocol/names.ts";
import type { AvatarEvent } from "./protocol/types.ts";
import type { StoredUpload } from "./store/mod.ts";
export { MAX_AVATAR_BYTES, MAX_AVATAR_SIDE } from "./protocol/limits.ts";

/** The types a profile picture may be, read from its bytes. */
export const AVATAR_TYPES: ReadonlySet<string> = new Set([
  "image/png",
  "image/jpeg",
  "image/webp",
  "image/gif",
]);

/**
 * A picture's version: the first half of its upload's random id, new at
 * each change. Not the whole id, which would name the upload at
 * `/files/` to its owner (and let it be attached to a message).
 */
export function avatarVersion(upload: Pick<StoredUpload, "id">): string {
  return upload.id.slice(0, 16);
}

/**
 * The pictures' versions of those of `names` (display names) that have
 * one, by name: what a member list carries (`avatars`), so that a client
 * asks `/avatars/` only for them. One store read for the list.
 */
export async function avatarsOf(
  node: ChatNode,
  names: readonly string[],
): Promise<Record<string, string>> {
  const byKey = new Map(names.map((name) => [nameKey(name), name]));
  if (byKey.size === 0) return {};
  const found = await node.store.avatarIds([...byKey.keys()]);
  const versions: Record<string, string> = {};
  for (const { userKey, uploadId } of found) {
    const name = byKey.get(userKey);
    if (name !== undefined) versions[name] = avatarVersion({ id: uploadId });
  }
  return versions;
}

/** An account's picture's version, null for none (the login reply). */
export async function avatarOf(
  node: ChatNode,
  userKey: string,
): Promise<string | null> {
  const upload = await node.files.avatar(userKey);
  return upload ? avatarVersion(upload) : null;
}

/**
 * Tells every connection, on every node, that an account's picture is
 * now `version` (null: removed), so that clients load it again. Every
 * account shares `general` with every other, and guests see names too.
 * Sent for a deleted account as well: clients keep what they heard by
 * name, and the name's next holder is someone else.
 */
export function publishAvatar(
  node: ChatNode,
  username: string,
  version: string | null,
): void {
  const event: AvatarEvent = { user: username, version };
  node.publish({ kind: "everyone" }, "avatar_updated", event);
}
