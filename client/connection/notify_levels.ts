/**
 * The account's notification levels (set_notify_level): read after each
 * login and resume (the server keeps them, so every device and Web Push
 * honour one choice), changed by the room header's menu, and kept in step
 * by the `notify_level` events the account's other connections get
 * (events.ts). Guests keep none. The mutes an older client kept in the
 * browser go to the server once, when it holds no level yet.
 */

import * as actions from "../actions.ts";
import { type AppState, dmKey, type NotifyLevel, roomKey } from "../state.ts";
import type { NotifyLevelEvent } from "../../server/protocol/types.ts";
import type { RequestError } from "./errors.ts";
import type { Requests } from "./requests.ts";

/** Where a level applies: a room, or a private conversation. */
export type LevelPlace = { room: string } | { with: string };

/** The mutes an older client kept in this browser (account_storage.ts). */
export interface OldMutes {
  /** Their log keys: room keys and `@name`s. */
  read(): string[];
  /** Forgets them: the server has them now. */
  forget(): void;
}

/** Reads, changes and follows the account's notification levels. */
export class NotifyLevels {
  #state: AppState;
  #requests: Requests;
  #oldMutes: OldMutes;

  constructor(state: AppState, requests: Requests, oldMutes: OldMutes) {
    this.#state = state;
    this.#requests = requests;
    this.#oldMutes = oldMutes;
  }

  /** Reads the levels again (nothing is asked for a guest). */
  async refresh(): Promise<void> {
    if (!this.#state.account.value) {
      actions.notifyLevelsListed(this.#state, []);
      return;
    }
    const result = await this.#requests.request("list_notify_levels", {});
    // Unanswered (an older server), the browser's levels stay as they were.
    if (!result.ok) return;
    actions.notifyLevelsListed(this.#state, result.data.levels.map(keyed));
    if (result.data.levels.length === 0) await this.#moveOldMutes();
  }

  /** Sets a level here and on the server; resolves to the error, if any. */
  async set(
    place: LevelPlace,
    level: NotifyLevel,
  ): Promise<RequestError | null> {
    const key = keyOf(place);
    const was = this.#state.notifyLevels.value;
    actions.notifyLevelSet(this.#state, key, level);
    // A guest's name does not last: its levels hold for this page only.
    if (!this.#state.account.value) return null;
    const result = await this.#requests.request("set_notify_level", {
      ...place,
      level,
    });
    if (result.ok) return null;
    // Refused: what the server keeps is still the level before.
    this.#state.notifyLevels.value = was;
    return result.error;
  }

  /** Another device of the account set a level. */
  received(event: NotifyLevelEvent): void {
    const { key, level } = keyed(event);
    actions.notifyLevelSet(this.#state, key, level);
  }

  // The mutes of before this client kept them on the server: sent once as
  // `none`, then forgotten by the browser (a refusal, a room since left,
  // loses that one mute, not the others).
  async #moveOldMutes(): Promise<void> {
    const keys = this.#oldMutes.read();
    if (keys.length === 0) return;
    for (const key of keys) {
      const place = key.startsWith("@")
        ? { with: key.slice(1) }
        : { room: key };
      const result = await this.#requests.request("set_notify_level", {
        ...place,
        level: "none",
      });
      if (result.ok) actions.notifyLevelSet(this.#state, key, "none");
    }
    this.#oldMutes.forget();
  }
}

function keyOf(place: LevelPlace): string {
  return "room" in place ? roomKey(place.room) : dmKey(place.with);
}

function keyed(event: NotifyLevelEvent): { key: string; level: NotifyLevel } {
  return {
    key: event.with !== undefined ? dmKey(event.with) : roomKey(event.room!),
    level: event.level,
  };
}
