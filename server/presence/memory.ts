import type { RoomRegistry } from "../registry.ts";
import type { PresenceEntry, PresenceManager } from "./mod.ts";

/**
 * Presence of a single process: the registry already knows everything, so
 * this only answers from it.
 */
export class MemoryPresence implements PresenceManager {
  #registry: RoomRegistry;

  constructor(registry: RoomRegistry) {
    this.#registry = registry;
  }

  // The registry's own claim already refused local conflicts.
  add(_entry: PresenceEntry): Promise<boolean> {
    return Promise.resolve(true);
  }

  move(_id: string, _roomKey: string, _rooms?: string[]): void {}

  remove(_id: string): void {}

  // One process: nothing to wait for.
  settling(): boolean {
    return false;
  }

  settled(): Promise<void> {
    return Promise.resolve();
  }

  roomCounts(): Promise<Map<string, number>> {
    return Promise.resolve(this.#registry.localCounts());
  }

  roomCountsNow(): Map<string, number> {
    return this.#registry.localCounts();
  }

  usersIn(roomKey: string): Promise<string[]> {
    return Promise.resolve(this.#registry.usersIn(roomKey) ?? []);
  }

  othersChanged(): void {
    // One node: nothing read of others to drop.
  }

  accountsIn(roomKey: string): Promise<string[]> {
    return Promise.resolve(this.#registry.accountsIn(roomKey));
  }

  connectionsIn(userKey: string, roomKey: string): Promise<number> {
    let count = 0;
    for (const member of this.#registry.connectionsOf(userKey)) {
      if (member.roomKey === roomKey) count++;
    }
    return Promise.resolve(count);
  }

  guestAddresses(userKey: string): Promise<string[]> {
    const addresses = new Set<string>();
    for (const member of this.#registry.connectionsOf(userKey)) {
      if (member.guest) addresses.add(member.address);
    }
    return Promise.resolve([...addresses]);
  }

  onlineName(userKey: string): Promise<string | undefined> {
    return Promise.resolve(this.#registry.onlineName(userKey));
  }

  onlineStartingWith(prefix: string): Promise<string[]> {
    return Promise.resolve(this.#registry.onlineStartingWith(prefix));
  }

  isGuestOnline(userKey: string): Promise<boolean> {
    return Promise.resolve(this.#registry.isGuestOnline(userKey));
  }

  guestLookingLike(name: string): Promise<string | undefined> {
    return Promise.resolve(this.#registry.guestLookingLike(name));
  }

  guestSince(userKey: string): Promise<number | undefined> {
    let since: number | undefined;
    for (const member of this.#registry.connectionsOf(userKey)) {
      if (member.guest) since = Math.max(since ?? 0, member.since);
    }
    return Promise.resolve(since);
  }

  // The node sets Member.hidden itself: the registry answers.
  setHidden(_id: string, _hidden: boolean): void {}

  watchingAmong(userKeys: readonly string[]): Promise<Set<string>> {
    const watching = new Set<string>();
    for (const userKey of userKeys) {
      for (const member of this.#registry.connectionsOf(userKey)) {
        if (!member.hidden) {
          watching.add(userKey);
          break;
        }
      }
    }
    return Promise.resolve(watching);
  }

  onChange(_handler: () => void): void {}

  healthy(): boolean {
    return true;
  }

  start(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
