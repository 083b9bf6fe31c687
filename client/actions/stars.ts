/**
 * Starred rooms and conversations (star): the sidebar's "Starred" section,
 * as the login listed them and the `starred` events changed them since.
 */

import type { StarredEvent, StarredList } from "../../server/protocol/types.ts";
import { type AppState, dmKey, put, roomKey } from "../state.ts";

/**
 * The account's stars as the login listed them (none from a server that
 * predates them, or for a guest), replacing what was known.
 */
export function starsListed(
  state: AppState,
  list: StarredList | undefined,
): void {
  const record: Record<string, string> = {};
  const names = (value: unknown) =>
    Array.isArray(value)
      ? value.filter((name): name is string => typeof name === "string")
      : [];
  for (const room of names(list?.rooms)) put(record, roomKey(room), room);
  for (const name of names(list?.with)) put(record, dmKey(name), name);
  state.starred.value = record;
}

/** A room or conversation starred or unstarred, here or on another device. */
export function starSet(state: AppState, event: StarredEvent): void {
  const name = event.room ?? event.with!;
  const key = event.room !== undefined ? roomKey(name) : dmKey(name);
  const starred = { ...state.starred.value };
  if (event.starred) put(starred, key, name);
  else delete starred[key];
  state.starred.value = starred;
}
