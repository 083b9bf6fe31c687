/**
 * The current room's member list, kept in step with the server. Joins,
 * leaves and count changes each ask for a refresh; asks made while one is
 * running merge into one more, so a burst of events costs two requests.
 */

import { nameKey } from "../../server/protocol/names.ts";
import * as actions from "../actions.ts";
import type { AppState } from "../state.ts";
import type { Requests } from "./requests.ts";

// Pages of get_status a refresh asks at most: a room of 500 online; past
// them a name's status shows once it changes.
const STATUS_PAGES = 5;

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
        await this.#statuses(users);
      }
    } while (seen !== this.#asks);
    this.#busy = false;
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
