/**
 * The current room's member list, kept in step with the server. Joins,
 * leaves and count changes each ask for a refresh; asks made while one is
 * running merge into one more, so a burst of events costs two requests,
 * and a room's list is asked again only after a pause as long as the list
 * (PAUSE_PER_NAME_MS).
 */

import { nameKey } from "../../server/protocol/names.ts";
import * as actions from "../actions.ts";
import type { Clock, TimerId } from "../clock.ts";
import { type AppState, roomKey } from "../state.ts";
import type { Requests } from "./requests.ts";

// Pages of get_status a refresh asks at most: a room of 500 online; past
// them a name's status shows once it changes.
const STATUS_PAGES = 5;

// Every client looking at a room asks for its whole list at each joined
// or left notice there (up to --announce-limit, 500 online): one guest
// going in and out of a room of 450 web clients made the server answer
// 10,162 lists in 10 s, another client's list_rooms 185 ms (p50) where it
// took 0.3. So a room's list waits, after the last, 10 ms a name it held
// (a second at least; 4.5 s for 450): each client's lists then cost the
// server about the same whatever the room's size. The cost: in a busy
// room the list lags the notices by up to that pause. Another room's list
// never waits.
const PAUSE_PER_NAME_MS = 10;
const LEAST_PAUSE_MS = 1000;

/** Refreshes the member list, merging asks that come while one runs. */
export class Members {
  #state: AppState;
  #requests: Requests;
  #clock: Clock;
  #busy = false;
  #asks = 0;
  // The last list: its room's key, and when the next one of it may go.
  #last?: { key: string; next: number };
  #pause?: { timer: TimerId; end: () => void };
  // An ask that waits for no pause came since the last list was asked.
  #now = false;

  constructor(state: AppState, requests: Requests, clock: Clock) {
    this.#state = state;
    this.#requests = requests;
    this.#clock = clock;
  }

  /**
   * Reloads the current room's member list; calls made while one is
   * running merge into one more. `paced` (what a notice or a count heard
   * in the room asks) waits for the room's pause; a login, a resume or the
   * user's own act does not.
   */
  async refresh(options: { paced?: boolean } = {}): Promise<void> {
    this.#asks++;
    if (!options.paced) this.#now = true;
    if (this.#busy) {
      // A pause of the last room's list is no reason to wait for another's.
      if (this.#now || this.#last?.key !== this.#currentKey()) {
        this.#endPause();
      }
      return;
    }
    this.#busy = true;
    let seen: number;
    do {
      if (!this.#now) await this.#paused();
      this.#now = false;
      seen = this.#asks;
      const room = this.#state.currentRoom.value;
      const result = await this.#requests.request("list_users", { room });
      if (result.ok) {
        const { users, owner, avatars } = result.data;
        this.#last = {
          key: roomKey(room),
          next: this.#clock.now() +
            Math.max(LEAST_PAUSE_MS, users.length * PAUSE_PER_NAME_MS),
        };
        actions.membersUpdated(this.#state, { room, users, owner });
        actions.avatarsListed(this.#state, users, avatars ?? {});
        await this.#statuses(users);
      }
    } while (seen !== this.#asks);
    this.#busy = false;
  }

  // Waits until the current room's list may be asked again.
  #paused(): Promise<void> {
    const last = this.#last;
    const wait = last === undefined || last.key !== this.#currentKey()
      ? 0
      : last.next - this.#clock.now();
    if (wait <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const end = () => {
        this.#clock.cancel(timer);
        this.#pause = undefined;
        resolve();
      };
      const timer = this.#clock.after(wait, end);
      this.#pause = { timer, end };
    });
  }

  #endPause(): void {
    this.#pause?.end();
  }

  #currentKey(): string {
    return roomKey(this.#state.currentRoom.value);
  }

  // The statuses of the members not asked about yet, 100 names a request
  // (get_status's most), the first STATUS_PAGES pages of a long list: the
  // `status` events keep them current after.
  async #statuses(users: readonly string[]): Promise<void> {
    const known = this.#state.statuses.value;
    const missing = users.filter((name) => !(nameKey(name) in known));
    for (let page = 0; page < STATUS_PAGES; page++) {
      const asked = missing.slice(page * 100, (page + 1) * 100);
      if (asked.length === 0) return;
      const result = await this.#requests.request("get_status", {
        users: asked,
      });
      if (!result.ok) return;
      actions.statusesListed(this.#state, asked, result.data.statuses);
    }
  }
}
