/**
 * The server's user groups as this page knows them: listed at each login
 * (`list_groups`), then kept in step by `group_updated` events and this
 * page's own replies.
 */

import { batch } from "@preact/signals";
import { nameKey } from "../../server/protocol/names.ts";
import type { Group, GroupUpdatedEvent } from "../../server/protocol/types.ts";
import type { AppState } from "../state.ts";

/** Records every group, as `list_groups` answered. */
export function groupsListed(state: AppState, groups: Group[]): void {
  batch(() => {
    state.groups.value = Object.fromEntries(
      groups.map((group) => [nameKey(group.name), group]),
    );
  });
}

/** Applies a `group_updated` event, or this page's own change's reply. */
export function groupUpdated(state: AppState, event: GroupUpdatedEvent): void {
  batch(() => {
    const { [nameKey(event.name)]: _was, ...rest } = state.groups.value;
    state.groups.value = event.group === null
      ? rest
      : { ...rest, [nameKey(event.name)]: event.group };
  });
}
