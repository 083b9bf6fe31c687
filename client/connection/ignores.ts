/**
 * Whom this account ignores: read at each login and resume (the server
 * keeps the list, so every device hides the same people), changed by the
 * member menu, and kept in step by the `ignored` events every connection
 * of the account gets (events.ts). Guests ignore nobody.
 */

import * as actions from "../actions.ts";
import type { AppState } from "../state.ts";
import type { RequestError } from "./errors.ts";
import type { Requests } from "./requests.ts";

/** Reads and changes the list of ignored accounts. */
export class Ignores {
  #state: AppState;
  #requests: Requests;

  constructor(state: AppState, requests: Requests) {
    this.#state = state;
    this.#requests = requests;
  }

  /** Reads the list again (nothing is asked for a guest). */
  async refresh(): Promise<void> {
    if (!this.#state.account.value) {
      actions.ignoredListed(this.#state, []);
      return;
    }
    const result = await this.#requests.request("list_ignored", {});
    // Unread, the list stays as it was: a refusal hides no one new.
    if (result.ok) {
      actions.ignoredListed(
        this.#state,
        result.data.users.map((entry) => entry.user),
      );
    }
  }

  /**
   * Ignores (`on`) or stops ignoring an account; resolves to the error, or
   * to the rooms left because the account had added this one to them.
   */
  async set(
    user: string,
    on: boolean,
  ): Promise<{ error: RequestError } | { left: string[] }> {
    if (on) {
      const result = await this.#requests.request("ignore_user", { user });
      if (!result.ok) return { error: result.error };
      actions.ignoreChanged(this.#state, {
        user: result.data.user,
        ignored: true,
      });
      return { left: result.data.left };
    }
    const result = await this.#requests.request("unignore_user", { user });
    if (!result.ok) return { error: result.error };
    actions.ignoreChanged(this.#state, {
      user: result.data.user,
      ignored: false,
    });
    return { left: [] };
  }
}
