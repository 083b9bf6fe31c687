/**
 * Rooms made by guests go away once nobody uses them: a room nobody
 * created with an account (it has no owner) and nobody archived is
 * deleted, with its history, after it has been empty and silent for the
 * time `--guest-room-ttl` says.
 * Guests' names cost nothing, so without this a script could fill every
 * room list for good; an account that wants a lasting room creates it
 * itself.
 *
 * Each node looks at the rooms it knows every tenth of that time (at most
 * every minute). "Empty" is the presence count, every node's connections
 * counted; "silent" is the newest message's time. A node notes when it
 * first saw a room empty and forgets it as soon as someone is back, so a
 * restart only delays an expiry. Two nodes deleting the same room both
 * ask the store, which deletes it once.
 */
import { auditEntry, SERVER_ACTOR } from "./handlers/audit.ts";
import { log } from "./log.ts";
import type { ChatNode } from "./node.ts";
import { GENERAL_ROOM } from "./protocol/types.ts";

const logger = log("rooms");

/** Deletes guest-made rooms that stayed empty and silent too long. */
export class RoomExpiry {
  #node: ChatNode;
  #ttlMs: number;
  #timer?: ReturnType<typeof setInterval>;
  #emptySince = new Map<string, number>();
  #running?: Promise<void>;

  /** `ttlMs`: how long a room stays empty and silent before it goes. */
  constructor(node: ChatNode, ttlMs: number) {
    this.#node = node;
    this.#ttlMs = ttlMs;
  }

  /** Starts looking (nothing when the time is 0). */
  start(): void {
    if (this.#ttlMs <= 0) return;
    const every = Math.max(100, Math.min(60_000, this.#ttlMs / 10));
    this.#timer = setInterval(() => {
      this.#running ??= this.sweep().then(
        () => {},
      ).finally(() => this.#running = undefined);
    }, every);
  }

  /** One pass: deletes the rooms whose time is up; returns their names. */
  async sweep(now = Date.now()): Promise<string[]> {
    const node = this.#node;
    const deleted: string[] = [];
    let counts: Map<string, number>;
    try {
      counts = await node.presence.roomCounts();
    } catch (error) {
      logger.warning("Cannot count the rooms' users: {error}", { error });
      return deleted;
    }
    const known = new Set<string>();
    for (const room of node.registry.rooms()) {
      known.add(room.key);
      // An archived room is kept for its history: whoever archived a
      // guest's room chose to keep it.
      if (
        room.owner !== undefined || room.key === GENERAL_ROOM || room.archived
      ) {
        continue;
      }
      if ((counts.get(room.key) ?? 0) > 0) {
        this.#emptySince.delete(room.key);
        continue;
      }
      const since = this.#emptySince.get(room.key) ?? now;
      this.#emptySince.set(room.key, since);
      if (now - since < this.#ttlMs) continue;
      try {
        const [last] = await node.store.history(room.key, { limit: 1 });
        if (last && now - Date.parse(last.ts) < this.#ttlMs) continue;
        // No one's address: the server did it. The entry is written
        // with the deletion, in its commit.
        const announce = await node.deleteRoom(
          room.key,
          SERVER_ACTOR,
          auditEntry(SERVER_ACTOR, "", {
            action: "delete_room",
            room: room.name,
            reason: "expired",
          }),
        );
        if (announce) {
          announce();
          logger.info("Room {room}, made by a guest, expired", {
            room: room.name,
          });
          deleted.push(room.name);
        }
      } catch (error) {
        logger.warning("Cannot expire room {room}: {error}", {
          room: room.name,
          error,
        });
      }
      this.#emptySince.delete(room.key);
    }
    for (const key of this.#emptySince.keys()) {
      if (!known.has(key)) this.#emptySince.delete(key);
    }
    return deleted;
  }

  /** Stops looking; waits for a pass under way. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running;
  }
}
