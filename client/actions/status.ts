/**
 * Writers of the custom statuses (set_status): the account's own, as its
 * login, its reply or another device set it, and others', as `get_status`
 * and the `status` events tell them.
 */

import { batch } from "@preact/signals";
import { nameKey } from "../../server/protocol/names.ts";
import type { Status } from "../../server/protocol/types.ts";
import type { AppState } from "../state.ts";

/** The account's own status, set here or on another device, null for none. */
export function ownStatusSet(state: AppState, status: Status | null): void {
  batch(() => {
    state.myStatus.value = status;
    const me = state.username.value;
    if (me !== null) {
      state.statuses.value = { ...state.statuses.value, [nameKey(me)]: status };
    }
  });
}

/** A `status` event: someone's status set or cleared (the account's own on another device too). */
export function statusSeen(
  state: AppState,
  user: string,
  status: Status | null,
): void {
  const me = state.username.value;
  if (me !== null && nameKey(me) === nameKey(user)) {
    ownStatusSet(state, status);
    return;
  }
  state.statuses.value = { ...state.statuses.value, [nameKey(user)]: status };
}

/**
 * What `get_status` answered for `asked`: those it names have the status
 * given, the others none.
 */
export function statusesListed(
  state: AppState,
  asked: readonly string[],
  found: readonly { user: string; status: Status | null }[],
): void {
  const next = { ...state.statuses.value };
  for (const name of asked) next[nameKey(name)] = null;
  for (const { user, status } of found) next[nameKey(user)] = status;
  state.statuses.value = next;
}
