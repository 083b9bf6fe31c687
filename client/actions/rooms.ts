/**
 * The room list and this account's place in rooms: memberships, renames,
 * who manages, who owns, who is in the current room.
 */

import { batch } from "@preact/signals";
import type {
  MembershipEvent,
  RoomChangesEvent,
  RoomSummary,
} from "../../server/protocol/types.ts";
import { type AppState, entry, roomKey } from "../state.ts";
import { renamedRoom } from "../sections.ts";
import { forget, setCounts, setMark } from "./counts.ts";

/** Replaces the room list and its user counts; forgets the logs of deleted rooms. */
export function roomsUpdated(state: AppState, rooms: RoomSummary[]): void {
  batch(() => {
    state.rooms.value = rooms;
    // A room made again under a deleted one's name starts again at seq 1:
    // the old log would hide its messages.
    const alive = new Set(rooms.map((r) => roomKey(r.name)));
    alive.add(roomKey(state.currentRoom.value));
    const logs = state.logs.value;
    const gone = Object.keys(logs).filter((key) =>
      !key.startsWith("@") && !alive.has(key)
    );
    if (gone.length > 0) {
      const kept = { ...logs };
      for (const key of gone) delete kept[key];
      state.logs.value = kept;
    }
  });
}

/**
 * Applies a `room_changes` event to the room list: changed rooms replaced
 * where they stand, new ones added at the end, removed ones dropped (and
 * their logs forgotten, as with a whole list).
 */
export function roomsChanged(state: AppState, changes: RoomChangesEvent): void {
  const changed = new Map(changes.rooms.map((r) => [r.name, r]));
  const removed = new Set(changes.removed);
  const rooms: RoomSummary[] = [];
  for (const room of state.rooms.value) {
    if (removed.has(room.name)) continue;
    rooms.push(changed.get(room.name) ?? room);
    changed.delete(room.name);
  }
  roomsUpdated(state, [...rooms, ...changed.values()]);
}

/**
 * An admin renamed a room: what the client keeps under its old key moves
 * to the new one (membership, read mark, counts, its star, and what the
 * user was writing there: the text, its files, the message it answers);
 * its log is read again.
 */
export function roomRenamed(state: AppState, from: string, to: string): void {
  const oldKey = roomKey(from);
  const newKey = roomKey(to);
  batch(() => {
    const move = <T>(signal: { value: Record<string, T> }) => {
      // Only an entry of its own: `constructor` would move Object itself.
      if (!Object.hasOwn(signal.value, oldKey)) return;
      const { [oldKey]: value, ...rest } = signal.value;
      signal.value = value === undefined ? rest : { ...rest, [newKey]: value };
    };
    const membership = entry(state.memberships.value, oldKey);
    move(state.memberships);
    if (membership) {
      state.memberships.value = {
        ...state.memberships.value,
        [newKey]: { ...membership, room: to },
      };
    }
    move(state.readMarks);
    move(state.manages);
    move(state.unread);
    move(state.mentions);
    move(state.notifyLevels);
    // A star holds the room's name: the new one.
    if (Object.hasOwn(state.starred.value, oldKey)) {
      const { [oldKey]: _star, ...stars } = state.starred.value;
      state.starred.value = { ...stars, [newKey]: to };
    }
    // A section's item, likewise (the server's follows the room's key).
    state.sections.value = renamedRoom(state.sections.value, oldKey, to);
    const writes = state.sectionWrites.value;
    state.sectionWrites.value = {
      ...writes,
      confirmed: renamedRoom(writes.confirmed, oldKey, to),
    };
    move(state.drafts);
    move(state.uploads);
    move(state.team.replyTo);
    const { [oldKey]: _log, ...logs } = state.logs.value;
    state.logs.value = logs;
    forget(state, oldKey);
  });
}

/**
 * An account joined a room (on any device: it shows in the sidebar with
 * its read state) or no longer belongs to one (its counts go).
 */
export function membershipChanged(
  state: AppState,
  event: MembershipEvent,
): void {
  batch(() => {
    const key = roomKey(event.room);
    if (!event.member) {
      const { [key]: _gone, ...memberships } = state.memberships.value;
      state.memberships.value = memberships;
      const { [key]: _mark, ...marks } = state.readMarks.value;
      state.readMarks.value = marks;
      const { [key]: _m, ...manages } = state.manages.value;
      state.manages.value = manages;
      forget(state, key);
      return;
    }
    state.memberships.value = {
      ...state.memberships.value,
      [key]: { room: event.room, private: event.private === true },
    };
    setMark(state, key, {
      lastRead: event.last_read_seq ?? 0,
      lastSeq: event.last_seq ?? 0,
    });
    setCounts(state, key, {
      unread: event.unread ?? 0,
      mentions: event.mentions ?? 0,
    });
  });
}

/** Records whether this user manages a room's members and invite links. */
export function managesChanged(
  state: AppState,
  change: { room: string; manages: boolean },
): void {
  batch(() => {
    const key = roomKey(change.room);
    const { [key]: _was, ...rest } = state.manages.value;
    state.manages.value = change.manages ? { ...rest, [key]: true } : rest;
  });
}

/** Counts a `joined` event of the current room (the invite dialog follows it). */
export function joinHeard(state: AppState): void {
  state.roomJoins.value++;
}

/** Records a room's new owner (`room_owner`), if it is the current room. */
export function ownerChanged(
  state: AppState,
  change: { room: string; owner?: string },
): void {
  batch(() => {
    if (roomKey(change.room) !== roomKey(state.currentRoom.value)) return;
    state.membersOwner.value = change.owner ?? null;
  });
}

/** Replaces the member list, if it is still for the current room. */
export function membersUpdated(
  state: AppState,
  list: { room: string; users: string[]; owner?: string },
): void {
  batch(() => {
    if (roomKey(list.room) !== roomKey(state.currentRoom.value)) return;
    state.members.value = [...list.users].sort((a, b) => a.localeCompare(b));
    state.membersOwner.value = list.owner ?? null;
    state.presenceKnown.value = state.status.value.kind === "online";
  });
}
