/**
 * Renaming a room (`update_room` `"name"`): the name is checked as
 * `create_room` checks one, the store moves the room to the new key in one
 * transaction, and every node moves its connections and tells them.
 */
import { fail, type Failure } from "../protocol/errors.ts";
import { cleanName, nameKey } from "../protocol/names.ts";
import { GENERAL_ROOM } from "../protocol/types.ts";
import type { NewAuditEntry, RoomChange, StoredRoom } from "../store/mod.ts";
import type { MemberContext } from "./context.ts";
import { ROOM_NAME_RULE } from "./rooms.ts";

/** A rename the store made, with its announcement to every node. */
export interface Renamed {
  /** The room's key now. */
  key: string;
  /** Its name now, and before. */
  name: string;
  from: string;
  /** The room as the store has it now, the change made. */
  room: StoredRoom;
  /** Tells every node (to make once the reply is queued). */
  announce(): void;
}

/** What else {@link renameRoom} does in the rename's commit. */
export interface RenameOptions {
  /**
   * Makes the entry (given the new name and the old) that the store
   * writes with the rename, only if it is done.
   */
  audit?: (name: string, from: string) => NewAuditEntry;
  /** Settings changed with the rename (`update_room` with more fields). */
  change?: RoomChange;
}

/**
 * Renames the room `roomKey` to `newName`: `forbidden` for `general`,
 * `room_name_invalid`, or `room_exists` when another room has the name or
 * one that looks like it.
 */
export async function renameRoom(
  ctx: MemberContext,
  roomKey: string,
  newName: string,
  options: RenameOptions = {},
): Promise<Renamed | Failure> {
  const { audit, change } = options;
  const { node } = ctx;
  if (roomKey === GENERAL_ROOM) {
    return fail("forbidden", "'general' cannot be renamed.");
  }
  const name = cleanName(newName);
  if (name === null) return fail("room_name_invalid", ROOM_NAME_RULE);
  const key = nameKey(name);
  const taken = `A room named '${name}' exists already.`;
  if (key !== roomKey && node.registry.roomName(key) !== undefined) {
    return fail("room_exists", taken);
  }
  const lookalike = node.registry.roomLookingLike(name);
  if (lookalike !== undefined && nameKey(lookalike) !== roomKey) {
    return fail(
      "room_exists",
      `A room whose name looks like '${name}' exists already.`,
    );
  }
  const from = node.registry.roomName(roomKey) ?? roomKey;
  // The store decides, across nodes, whether the name is still free.
  const stored = await node.store.renameRoom(
    roomKey,
    key,
    name,
    audit?.(name, from),
    change,
  );
  if (stored === "taken") return fail("room_exists", taken);
  if (stored === undefined) {
    return fail("room_not_found", `No room named '${from}'.`);
  }
  const by = ctx.client.member.username;
  return {
    key,
    name,
    from,
    room: stored,
    announce: () =>
      node.control({
        kind: "room_renamed",
        key: roomKey,
        newKey: key,
        name,
        from,
        by,
      }),
  };
}
