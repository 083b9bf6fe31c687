/** Who is in the current room: click a name to message them; moderators get a menu each. */

import { useSignal } from "@preact/signals";
import type { JSX } from "preact";
import { nameKey } from "../../server/protocol/names.ts";
import * as actions from "../actions.ts";
import { useApp } from "../app_context.ts";
import { canModerate } from "../commands.ts";
import { t } from "../i18n.ts";
import { WINDOW_FROM } from "../list_window.ts";
import { filterByName } from "../name_filter.ts";
import { mayModerate, mayRemoveMember } from "../ranks.ts";
import { entry, roomKey } from "../state.ts";
import { nextStatusEnd, statusOfName } from "../status.ts";
import { usePauseEnd } from "../use_pause_end.ts";
import { Avatar } from "./Avatar.tsx";
import { CloseIcon } from "./Icons.tsx";
import { ListFind } from "./ListFind.tsx";
import { MemberMenu } from "./MemberMenu.tsx";
import { StatusMark } from "./StatusMark.tsx";
import { WindowedList } from "./WindowedList.tsx";

/**
 * The right column; a panel from the right on narrow screens. Everyone in
 * a room is online (a closed connection leaves it), so each gets a dot,
 * unless this client is offline and cannot know.
 */
export function MemberList(): JSX.Element {
  const { state, connection } = useApp();
  const query = useSignal("");
  const everyone = state.members.value;
  const known = state.presenceKnown.value;
  // Past a few hundred members only the rows in view are rendered (the
  // browser's find cannot see the others): a find box narrows the list.
  const long = everyone.length > WINDOW_FROM;
  const members = filterByName(everyone, long ? query.value : "", (n) => n);
  const username = state.username.value;
  const me = username === null ? undefined : nameKey(username);
  const moderator = canModerate(state.role.value);
  const manages =
    entry(state.manages.value, roomKey(state.currentRoom.value)) === true;
  const open = state.membersOpen.value;
  // Read at each render, and a render comes when the first status ends.
  const statuses = state.statuses.value;
  const now = Date.now();
  const nextEnd = nextStatusEnd(
    members.map((name) => entry(statuses, nameKey(name))),
    now,
  );
  usePauseEnd(nextEnd, nextEnd !== null);
  return (
    <aside
      id="member-list"
      class={`members${open ? " open" : ""}`}
      data-testid="member-list"
      aria-label={t("members.label")}
    >
      <div class="members-head">
        <h2 class="section-title">
          {t("members.title", { n: everyone.length })}
        </h2>
        <button
          type="button"
          class="icon-button members-close"
          data-testid="members-close"
          aria-label={t("members.close")}
          onClick={() => actions.membersToggled(state, false)}
        >
          <CloseIcon />
        </button>
      </div>
      {long && (
        <ListFind
          query={query}
          label={t("members.find")}
          testId="member-find"
        />
      )}
      <WindowedList
        items={members}
        keyOf={nameKey}
        row={(name, position) => {
          const self = nameKey(name) === me;
          const status = statusOfName(state, name, now);
          return (
            <li
              key={nameKey(name)}
              {...position}
              class="member"
              data-testid="member"
              data-user={name}
            >
              {self
                ? (
                  <span class="member-main">
                    <Online name={name} known={known} />
                    <span class="member-name">{name}</span>
                    <span class="member-you">{t("members.you")}</span>
                    {status && <StatusMark status={status} />}
                  </span>
                )
                : (
                  <button
                    type="button"
                    class="member-main"
                    title={t("members.message", { name })}
                    onClick={() => void connection.openConversation(name)}
                  >
                    <Online name={name} known={known} />
                    <span class="sr-only">{t("members.messagePrefix")}</span>
                    <span class="member-name">{name}</span>
                    {status && <StatusMark status={status} />}
                  </button>
                )}
              {(moderator || manages || state.account.value) && !self && (
                <MemberMenu
                  name={name}
                  moderator={moderator && mayModerate(state, name)}
                  removable={mayRemoveMember(state, name)}
                />
              )}
            </li>
          );
        }}
      />
    </aside>
  );
}

/** A member's avatar with the green "online" dot, when presence is known. */
function Online(
  { name, known }: { name: string; known: boolean },
): JSX.Element {
  return (
    <span class="presence-wrap">
      <Avatar name={name} size="small" />
      {known && (
        <span
          class="presence"
          data-testid="presence"
          title={t("members.online")}
        />
      )}
    </span>
  );
}
