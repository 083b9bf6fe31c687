/** Who is in the current room: click a name to message them; moderators get a menu each. */

import type { JSX } from "preact";
import { useApp } from "../app_context.ts";
import { canModerate } from "../commands.ts";
import { Avatar } from "./Avatar.tsx";
import { MemberMenu } from "./MemberMenu.tsx";

/** The right column (hidden on narrow screens). */
export function MemberList(): JSX.Element {
  const { state, connection } = useApp();
  const members = state.members.value;
  const me = state.username.value?.toLowerCase();
  const moderator = canModerate(state.role.value);
  return (
    <aside class="members" data-testid="member-list" aria-label="Members">
      <h2 class="section-title">Members — {members.length}</h2>
      <ul>
        {members.map((name) => {
          const self = name.toLowerCase() === me;
          return (
            <li
              key={name.toLowerCase()}
              class="member"
              data-testid="member"
              data-user={name}
            >
              {self
                ? (
                  <span class="member-main">
                    <Avatar name={name} size="small" />
                    <span class="member-name">{name}</span>
                    <span class="member-you">you</span>
                  </span>
                )
                : (
                  <button
                    type="button"
                    class="member-main"
                    title={`Message ${name}`}
                    aria-label={`Message ${name}`}
                    onClick={() => void connection.openConversation(name)}
                  >
                    <Avatar name={name} size="small" />
                    <span class="member-name">{name}</span>
                  </button>
                )}
              {moderator && !self && <MemberMenu name={name} />}
            </li>
          );
        })}
      </ul>
    </aside>
  );
}
