/**
 * Other accounts as this one sees them: whom it ignores, who is staff.
 */

import { batch } from "@preact/signals";
import type { Role, RoleChangedEvent } from "../../server/protocol/types.ts";
import { nameKey } from "../../server/protocol/names.ts";
import type { AppState } from "../state.ts";

/** Records whom this account ignores, as `list_ignored` listed them. */
export function ignoredListed(state: AppState, users: string[]): void {
  batch(() => {
    state.ignored.value = Object.fromEntries(
      users.map((user) => [nameKey(user), user]),
    );
  });
}

/** Applies an `ignored` event, or this page's own ignore or unignore. */
export function ignoreChanged(
  state: AppState,
  change: { user: string; ignored: boolean },
): void {
  batch(() => {
    const { [nameKey(change.user)]: _was, ...rest } = state.ignored.value;
    state.ignored.value = change.ignored
      ? { ...rest, [nameKey(change.user)]: change.user }
      : rest;
  });
}

/** Shows one hidden message of an ignored account. */
export function ignoredMessageShown(state: AppState, id: string): void {
  batch(() => {
    state.shownIgnored.value = { ...state.shownIgnored.value, [id]: true };
  });
}

/** Records the moderators and admins the server listed; the rest are users. */
export function staffListed(
  state: AppState,
  accounts: { username: string; role: Role; created_at: string }[],
): void {
  batch(() => {
    state.staff.value = Object.fromEntries(
      accounts.map((a) => [
        nameKey(a.username),
        { role: a.role, since: Date.parse(a.created_at) },
      ]),
    );
  });
}

/**
 * Records someone's new role (`role_changed`) in the staff list, so the
 * menus follow at once. Nothing while the list is unread: the list that
 * comes says it.
 */
export function staffChanged(state: AppState, change: RoleChangedEvent): void {
  batch(() => {
    const staff = state.staff.value;
    if (staff === null) return;
    const { [nameKey(change.user)]: _was, ...rest } = staff;
    state.staff.value = change.role === "user" ? rest : {
      ...rest,
      [nameKey(change.user)]: {
        role: change.role,
        since: Date.parse(change.created_at),
      },
    };
  });
}
