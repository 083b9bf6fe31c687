/** Who may do what: the ranks of roles and the checks handlers share. */
import { fail, type Failure } from "../protocol/errors.ts";
import type { Role } from "../protocol/types.ts";
import type { MemberContext } from "./context.ts";

/** Roles in order of rank: one acts only on those below. */
export const RANK: Record<Role, number> = { user: 0, moderator: 1, admin: 2 };

/** `forbidden` unless the sender has at least this role. */
export function requireRole(
  ctx: MemberContext,
  role: Role,
): Failure | undefined {
  if (RANK[ctx.client.member.role] >= RANK[role]) return undefined;
  return fail(
    "forbidden",
    `Only a${role === "admin" ? "n" : ""} ${role} may do that.`,
  );
}

/**
 * `forbidden` unless `actor` ranks above `target` (named `name`): nobody
 * acts on an equal or a higher rank (kick, ban, remove_member, a
 * moderator's delete_message and delete_room). The one sentence every
 * such refusal says.
 */
export function refuseRank(
  actor: Role,
  target: { name: string; role: Role },
): Failure | undefined {
  if (RANK[target.role] < RANK[actor]) return undefined;
  return fail(
    "forbidden",
    `You cannot act on ${target.name} (${target.role}).`,
  );
}
