/** A small badge naming a role that carries powers (admin, moderator). */

import type { JSX } from "preact";
import type { Role } from "../../server/protocol/types.ts";
import { roleName } from "../i18n.ts";

/** Props of {@linkcode RoleBadge}. */
export interface RoleBadgeProps {
  /** The role; plain users get no badge. */
  role: Role | null;
}

/** "admin" or "moderator" as a coloured badge; nothing for users. */
export function RoleBadge({ role }: RoleBadgeProps): JSX.Element | null {
  if (role !== "admin" && role !== "moderator") return null;
  return (
    <span class={`role-badge ${role}`} data-testid="role-badge">
      {roleName(role)}
    </span>
  );
}
