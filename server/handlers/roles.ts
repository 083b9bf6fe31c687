/** Who may do what: the ranks of roles and the checks handlers share. */
import { fail, type Failure } from "../protocol/errors.ts";
import { mayActOn, RANK } from "../protocol/ranks.ts";
import type { Role } from "../protocol/types.ts";
import type { MemberContext } from "./context.ts";

export { RANK };

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
 * acts on an equal or a higher rank (kick, ban, remove_member, set_role).
 * With `equal: true`, an equal rank may be acted on, a higher one not:
 * deleting content (delete_message, delete_room), where a moderator must
 * be able to clean up after another moderator's account gone bad, and an
 * admin after another admin's, as Slack and Discord let them. The one
 * sentence every such refusal says.
 */
export function refuseRank(
  actor: Role,
  target: { name: string; role: Role },
  { equal = false }: { equal?: boolean } = {},
): Failure | undefined {
  if (mayActOn(actor, target.role, { equal })) return undefined;
  return fail(
    "forbidden",
    `You cannot act on ${target.name} (${target.role}).`,
  );
}
