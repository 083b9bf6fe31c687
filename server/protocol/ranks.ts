/**
 * The rank rule of moderation, in one place: the server enforces it
 * (server/handlers/roles.ts) and the web client hides the buttons it would
 * refuse (client/ranks.ts).
 */

import type { Role } from "./types.ts";

/** Roles in order of rank: one acts only on those below. */
export const RANK: Record<Role, number> = { user: 0, moderator: 1, admin: 2 };

/**
 * Whether `actor` may act on someone whose role is `target`: only on a
 * lower rank (kick, ban, remove_member, set_role and the admin actions),
 * or with `equal: true` on an equal one too (delete_message, delete_room:
 * a moderator cleans up after another moderator's account gone bad).
 */
export function mayActOn(
  actor: Role,
  target: Role,
  { equal = false }: { equal?: boolean } = {},
): boolean {
  return RANK[target] < RANK[actor] ||
    (equal && RANK[target] === RANK[actor]);
}
