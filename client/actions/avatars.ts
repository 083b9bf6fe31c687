/**
 * Writers of the profile pictures' versions (PUT /api/me/avatar): the
 * account's own, from its login and its own changes, and everyone's, from
 * `avatar_updated`; and the pictures that failed to load.
 */

import { batch } from "@preact/signals";
import { nameKey } from "../../server/protocol/names.ts";
import type { AppState } from "../state.ts";

/** An account's picture is now `version` (null: none): shown at once. */
export function avatarSeen(
  state: AppState,
  user: string,
  version: string | null,
): void {
  const key = nameKey(user);
  batch(() => {
    state.avatars.value = { ...state.avatars.value, [key]: version };
    if (key in state.avatarsMissing.value) {
      const { [key]: _, ...rest } = state.avatarsMissing.value;
      state.avatarsMissing.value = rest;
    }
  });
}

/**
 * A list's pictures (`list_users`' `avatars`, `find_people`'s and
 * `list_conversations`' `avatar` each): each listed name's version, or
 * null for one the list gave none
 * (no request for it), so a room of 2,000 names asks `/avatars/` only for
 * those with a picture.
 */
export function avatarsListed(
  state: AppState,
  users: readonly string[],
  avatars: Readonly<Record<string, string>>,
): void {
  const versions = { ...state.avatars.value };
  let changed = false;
  for (const user of users) {
    const key = nameKey(user);
    const version = avatars[user] ?? null;
    if (versions[key] === version) continue;
    versions[key] = version;
    changed = true;
  }
  if (changed) state.avatars.value = versions;
}

/** A picture's URL failed to load: the name's initials until it changes. */
export function avatarMissing(
  state: AppState,
  user: string,
  url: string,
): void {
  state.avatarsMissing.value = {
    ...state.avatarsMissing.value,
    [nameKey(user)]: url,
  };
}

/**
 * After a login (first or again): what was heard may have changed meanwhile
 * with no event; the account's own is the login's.
 */
export function avatarsReset(
  state: AppState,
  me: string,
  own: string | null | undefined,
): void {
  batch(() => {
    state.avatars.value = own === undefined ? {} : { [nameKey(me)]: own };
    state.avatarsMissing.value = {};
  });
}
