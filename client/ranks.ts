/**
 * What this user may do to someone else's message, room or account, by the
 * server's rank rule (server/protocol/ranks.ts): the page hides a button
 * the server would refuse. Ranks come from the staff list a moderator's or
 * admin's page reads at login (state.staff); anyone not on it is a user.
 */

import { mayActOn } from "../server/protocol/ranks.ts";
import { nameKey } from "../server/protocol/names.ts";
import { GENERAL_ROOM, type Role } from "../server/protocol/types.ts";
import { type AppState, entry, roomKey } from "./state.ts";

/**
 * The role the server gives the author `name` of a message written at
 * `ts` (ISO): its account's role now, but a user's for a message written
 * under the name before the account was made (a guest's). Undefined until
 * the staff list is read.
 */
export function authorRole(
  state: AppState,
  name: string,
  ts?: string,
): Role | undefined {
  const staff = state.staff.value;
  if (staff === null) return undefined;
  const known = entry(staff, nameKey(name));
  if (!known) return "user";
  if (ts !== undefined && Date.parse(ts) < known.since) return "user";
  return known.role;
}

/**
 * Whether this account may change `message` as its author (edit, delete,
 * close its poll), by the server's rule (findOwn in
 * server/handlers/message_updates.ts): under its name, and sent since the
 * account holds the name (login's `since`). The next holder of a deleted
 * author's name was offered Edit, Delete and Close on that author's kept
 * messages, which the server refused.
 */
export function isAuthor(
  state: AppState,
  message: { user: string; ts: string },
): boolean {
  const me = state.username.value;
  const since = state.since.value;
  return me !== null && nameKey(message.user) === nameKey(me) &&
    (since === null || Date.parse(message.ts) >= since);
}

/**
 * Whether a moderator or admin may delete someone else's room message:
 * its author ranks no higher (a moderator deletes another moderator's,
 * never an admin's). Not before the ranks are known: a button that would
 * vanish a moment later is a button clicked in vain.
 */
export function mayDeleteOthers(
  state: AppState,
  message: { user: string; ts: string },
): boolean {
  const me = state.role.value;
  const author = authorRole(state, message.user, message.ts);
  if (me === null || me === "user" || author === undefined) return false;
  return mayActOn(me, author, { equal: true });
}

/** Whether a moderator or admin may kick or ban `name`: it ranks below. */
export function mayModerate(state: AppState, name: string): boolean {
  const me = state.role.value;
  const target = authorRole(state, name);
  if (me === null || me === "user" || target === undefined) return false;
  return mayActOn(me, target);
}

/**
 * Whether this user may remove `name` from the current room, by
 * `remove_member`'s rule (server/handlers/invites.ts): in a room it
 * manages (its owner, a moderator or an admin: `state.manages`) other
 * than general, nobody removes the owner or themselves; the owner removes
 * anyone else, the others only a lower rank (a moderator no moderator nor
 * admin). The owner comes with the member list (`list_users`), so a row
 * is never shown before its room's owner is known; a moderator or admin
 * who does not own the room waits for the ranks, as for kick and ban.
 */
export function mayRemoveMember(state: AppState, name: string): boolean {
  const room = roomKey(state.currentRoom.value);
  if (room === GENERAL_ROOM || entry(state.manages.value, room) !== true) {
    return false;
  }
  const owner = state.membersOwner.value;
  const me = state.username.value;
  const target = nameKey(name);
  if (me === null || target === nameKey(me) || target === owner) return false;
  if (owner === nameKey(me)) return true;
  return mayModerate(state, name);
}
