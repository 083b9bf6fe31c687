/**
 * The current room's member list, kept in step with the server. Joins,
 * leaves and count changes each ask for a refresh; asks made while one is
 * running merge into one more, so a burst of events costs two requests.
 */

import * as actions from "../actions.ts";
import type { AppState } from "../state.ts";
import type { Requests } from "./requests.ts";

/** Refreshes the member list, merging asks that come while one runs. */
export class Members {
  #state: AppState;
  #requests: Requests;
  #busy = false;
  #asks = 0;

  constructor(state: AppState, requests: Requests) {
    this.#state = state;
    this.#requests = requests;
  }

  /** Reloads the current room's member list; calls made while one is running merge into one more. */
  async refresh(): Promise<void> {
    this.#asks++;
    if (this.#busy) return;
    this.#busy = true;
    let seen: number;
    do {
      seen = this.#asks;
      const room = this.#state.currentRoom.value;
      const result = await this.#requests.request("list_users", { room });
      if (result.ok) {
        const { users, owner } = result.data;
        actions.membersUpdated(this.#state, { room, users, owner });
      }
    } while (seen !== this.#asks);
    this.#busy = false;
  }
}
