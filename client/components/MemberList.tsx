/** Who is in the current room. */

import type { JSX } from "preact";
import { useApp } from "../app_context.ts";
import { Avatar } from "./Avatar.tsx";

/** The right column (hidden on narrow screens). */
export function MemberList(): JSX.Element {
  const { state } = useApp();
  const members = state.members.value;
  const me = state.username.value?.toLowerCase();
  return (
    <aside class="members" data-testid="member-list" aria-label="Members">
      <h2 class="section-title">Members — {members.length}</h2>
      <ul>
        {members.map((name) => (
          <li
            key={name.toLowerCase()}
            class="member"
            data-testid="member"
            data-user={name}
          >
            <Avatar name={name} size="small" />
            <span class="member-name">{name}</span>
            {name.toLowerCase() === me && <span class="member-you">you</span>}
          </li>
        ))}
      </ul>
    </aside>
  );
}
