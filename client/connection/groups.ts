/**
 * The server's user groups: read at each login and resume, changed from
 * the Groups dialog, and kept in step by the `group_updated` events every
 * account's connection gets (events.ts). Guests see no groups.
 */

import * as actions from "../actions.ts";
import type { AppState } from "../state.ts";
import type { RequestError } from "./errors.ts";
import type { Requests } from "./requests.ts";

/** What the Groups dialog asks of a group. */
export interface GroupChange {
  description?: string;
  add?: string[];
  remove?: string[];
}

/** Reads and changes the user groups. */
export class Groups {
  #state: AppState;
  #requests: Requests;

  constructor(state: AppState, requests: Requests) {
    this.#state = state;
    this.#requests = requests;
  }

  /** Reads every group again (nothing is asked for a guest). */
  async refresh(): Promise<void> {
    if (!this.#state.account.value) {
      actions.groupsListed(this.#state, []);
      return;
    }
    const result = await this.#requests.request("list_groups", {});
    // Unread, the groups stay as they were.
    if (result.ok) actions.groupsListed(this.#state, result.data.groups);
  }

  /** Creates a group; resolves to the refusal, or null. */
  async create(
    name: string,
    change: { description: string; members: string[] },
  ): Promise<RequestError | null> {
    const result = await this.#requests.request("create_group", {
      name,
      ...change,
    });
    if (!result.ok) return result.error;
    const group = result.data.group;
    actions.groupUpdated(this.#state, { group, name: group.name });
    return null;
  }

  /** Changes a group; resolves to the refusal, or null. */
  async update(
    group: string,
    change: GroupChange,
  ): Promise<RequestError | null> {
    const result = await this.#requests.request("update_group", {
      group,
      ...change,
    });
    if (!result.ok) return result.error;
    const now = result.data.group;
    actions.groupUpdated(this.#state, { group: now, name: now.name });
    return null;
  }

  /** Deletes a group; resolves to the refusal, or null. */
  async remove(group: string): Promise<RequestError | null> {
    const result = await this.#requests.request("delete_group", { group });
    if (!result.ok) return result.error;
    actions.groupUpdated(this.#state, { group: null, name: result.data.name });
    return null;
  }
}
