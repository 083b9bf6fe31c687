import { encodeEvent } from "./protocol/envelope.ts";
import type { RoomChangesEvent, RoomSummary } from "./protocol/types.ts";

/**
 * What a connection that asked for `room_changes` was last sent: the
 * generation of its node's list, and the private rooms it saw then. Its
 * public rooms are that generation's public list, shared by everyone, so
 * a connection keeps only its few private rooms.
 */
export interface RoomView {
  /** -1 until the connection's first full `room_list`. */
  generation: number;
  /** Its private rooms as last sent, by name. */
  private: ReadonlyMap<string, RoomSummary>;
}

/** A view for a connection that has not had its first list yet. */
export function newRoomView(): RoomView {
  return { generation: -1, private: new Map() };
}

/**
 * Turns a node's successive room lists into `room_changes` frames. Each
 * `next` is one generation: every logged-in connection is sent something
 * (or nothing, when nothing it may see changed) for each generation, so a
 * connection that saw the previous one needs only the difference. The
 * public part of it is computed and encoded once per generation (O(rooms));
 * each connection with private rooms adds O(its private rooms).
 */
export class RoomListChanges {
  #generation = 0;
  #public = new Map<string, RoomSummary>();
  #changed: RoomSummary[] = [];
  #removed: string[] = [];
  #sharedFrame?: string;

  /** Takes the node's new list of public rooms. */
  next(publicRooms: readonly RoomSummary[]): void {
    const now = new Map<string, RoomSummary>();
    const changed: RoomSummary[] = [];
    for (const room of publicRooms) {
      now.set(room.name, room);
      if (!same(this.#public.get(room.name), room)) changed.push(room);
    }
    const removed: string[] = [];
    for (const name of this.#public.keys()) {
      if (!now.has(name)) removed.push(name);
    }
    this.#generation++;
    this.#public = now;
    this.#changed = changed;
    this.#removed = removed;
    this.#sharedFrame = undefined;
  }

  /**
   * The frame for one connection, given the private rooms it may see now,
   * and moves its view on: `room_changes`, the full list (`full()`) when
   * it missed a generation or the changes would outgrow the list, or
   * undefined when nothing it may see changed.
   */
  frameFor(
    view: RoomView,
    privateRooms: readonly RoomSummary[],
    full: () => string,
  ): string | undefined {
    const before = view.private;
    const caughtUp = view.generation === this.#generation - 1;
    const mine = new Map(privateRooms.map((room) => [room.name, room]));
    view.generation = this.#generation;
    view.private = mine;
    if (!caughtUp) return full();
    if (before.size === 0 && mine.size === 0) {
      const count = this.#changed.length + this.#removed.length;
      if (count === 0) return undefined;
      if (count >= this.#public.size) return full();
      return this.#sharedFrame ??= encodeChanges({
        rooms: this.#changed,
        removed: this.#removed,
      });
    }
    // Rooms are public or private, never both, so a name moving between
    // the two parts is seen in one of the loops below.
    const rooms = [...this.#changed];
    const removed = this.#removed.filter((name) => !mine.has(name));
    for (const room of privateRooms) {
      if (!same(before.get(room.name), room)) rooms.push(room);
    }
    for (const name of before.keys()) {
      if (!mine.has(name) && !this.#public.has(name)) removed.push(name);
    }
    const count = rooms.length + removed.length;
    if (count === 0) return undefined;
    if (count >= this.#public.size + mine.size) return full();
    return encodeChanges({ rooms, removed });
  }

  /**
   * The frame for a connection whose login reply carried its list
   * (`listed`, its private rooms among them), given the private rooms it
   * may see now, and moves its view to this generation: what differs from
   * that list as `room_changes`, the full list when that would be as
   * long, or undefined when nothing does. O(rooms), once a login, as the
   * reply was.
   */
  frameAfterReply(
    view: RoomView,
    listed: readonly RoomSummary[],
    privateRooms: readonly RoomSummary[],
    full: () => string,
  ): string | undefined {
    const mine = new Map(privateRooms.map((room) => [room.name, room]));
    view.generation = this.#generation;
    view.private = mine;
    const had = new Map(listed.map((room) => [room.name, room]));
    const rooms: RoomSummary[] = [];
    for (const room of [...this.#public.values(), ...privateRooms]) {
      if (!same(had.get(room.name), room)) rooms.push(room);
      had.delete(room.name);
    }
    const removed = [...had.keys()];
    const count = rooms.length + removed.length;
    if (count === 0) return undefined;
    if (count >= this.#public.size + mine.size) return full();
    return encodeChanges({ rooms, removed });
  }
}

function encodeChanges(data: RoomChangesEvent): string {
  return encodeEvent("room_changes", data);
}

function same(a: RoomSummary | undefined, b: RoomSummary): boolean {
  return a !== undefined && a.users === b.users &&
    (a.private ?? false) === (b.private ?? false) && a.topic === b.topic &&
    a.archived === b.archived && a.posting === b.posting;
}
