/**
 * The server's user groups as this page knows them: listed at each login
 * (`list_groups`), then kept in step by `group_updated` events and this
 * page's own replies.
 */

import { batch } from "@preact/signals";
import { nameKey } from "../../server/protocol/names.ts";
import type {
  Group,
  GroupChange,
  GroupUpdatedEvent,
} from "../../server/protocol/types.ts";
import type { AppState } from "../state.ts";

/** Records every group, as `list_groups` answered. */
export function groupsListed(state: AppState, groups: Group[]): void {
  batch(() => {
    state.groups.value = Object.fromEntries(
      groups.map((group) => [nameKey(group.name), group]),
    );
  });
}

/**
 * Applies a `group_updated` event, or this page's own change's reply. A
 * change (`changed`) of a group this page does not know is left out: the
 * page lists every group at each login and resume, and an event of its
 * making (the whole group) came before any change of it.
 */
export function groupUpdated(state: AppState, event: GroupUpdatedEvent): void {
  batch(() => {
    const key = nameKey(event.name);
    const { [key]: was, ...rest } = state.groups.value;
    if ("changed" in event) {
      if (was === undefined) return;
      state.groups.value = { ...rest, [key]: changedGroup(was, event.changed) };
      return;
    }
    state.groups.value = event.group === null
      ? rest
      : { ...rest, [key]: event.group };
  });
}

// `group` with `change` made: its members stay in the order of their name
// keys, as the server lists them; an add or a remove already made is none.
function changedGroup(group: Group, change: GroupChange): Group {
  const gone = new Set((change.removed ?? []).map(nameKey));
  const byKey = new Map(
    group.members.filter((name) => !gone.has(nameKey(name))).map((
      name,
    ) => [nameKey(name), name]),
  );
  for (const name of change.added ?? []) byKey.set(nameKey(name), name);
  const members = [...byKey.entries()]
    .sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)
    .map(([, name]) => name);
  return {
    ...group,
    ...(change.description !== undefined
      ? { description: change.description }
      : {}),
    ...(change.creator === null ? { creator: null } : {}),
    members,
  };
}
