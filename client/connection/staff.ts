/**
 * The moderators and admins a moderator's or admin's page knows of, read
 * at each login and whenever this user's own role changes: the rank rule
 * (client/ranks.ts) needs the rank of whoever a button acts on. Someone
 * promoted or demoted meanwhile comes as `role_changed`, which every
 * moderator and admin gets (actions.staffChanged); a refusal of a ranked
 * request reads the list again too.
 */

import { canModerate } from "../commands.ts";
import * as actions from "../actions.ts";
import type { AppState } from "../state.ts";
import type { Requests } from "./requests.ts";

// One page of the longest list_accounts gives: a server with more staff
// than this is described by the first 200 (by name), the rest as users.
const MOST_STAFF = 200;

/** Reads the staff list for a moderator or admin; forgets it for anyone else. */
export class Staff {
  #state: AppState;
  #requests: Requests;

  constructor(state: AppState, requests: Requests) {
    this.#state = state;
    this.#requests = requests;
  }

  /** Reads the list again (nothing is asked for a user or a guest). */
  async refresh(): Promise<void> {
    if (!canModerate(this.#state.role.value)) {
      actions.staffListed(this.#state, []);
      return;
    }
    const result = await this.#requests.request("list_accounts", {
      staff: true,
      limit: MOST_STAFF,
    });
    // Unread, everyone counts as a user: the server still says no where
    // it must, and the buttons stay for those it allows.
    actions.staffListed(this.#state, result.ok ? result.data.accounts : []);
  }
}
