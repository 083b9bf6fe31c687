/**
 * The quick switcher (Ctrl+K, or "Jump to…" atop the sidebar): a box that
 * finds rooms and people as one types (client/quick_switch.ts ranks them),
 * ↑ and ↓ to choose, Enter or a click to go, Esc to close. The focus stays
 * in the box, which points `aria-activedescendant` at the chosen option,
 * as the composer's mention list does.
 */

import { useComputed, useSignal } from "@preact/signals";
import type { JSX } from "preact";
import { useLayoutEffect } from "preact/hooks";
import * as actions from "../actions.ts";
import { useApp } from "../app_context.ts";
import { t, tn } from "../i18n.ts";
import { usePeopleFound } from "../use_people_found.ts";
import { choiceKey } from "../choice_keys.ts";
import {
  rankPlaces,
  type SwitchChoice,
  switchPlaces,
  withPeople,
} from "../quick_switch.ts";
import { Avatar } from "./Avatar.tsx";
import { Dialog } from "./Dialog.tsx";
import { LockIcon } from "./Icons.tsx";

/** The id of the list, for the box's `aria-controls`. */
const LIST_ID = "switch-list";

/** The id of the option at `index`, for the box's `aria-activedescendant`. */
function optionId(index: number): string {
  return `switch-option-${index}`;
}

/** The quick switcher's dialog. */
export function QuickSwitcher(): JSX.Element {
  const services = useApp();
  const { state, connection } = services;
  const query = useSignal("");
  const active = useSignal(0);
  // The places once per change of the rooms, people or counts, and only
  // their ranking at each keystroke: with 3,000 rooms, 520 conversations
  // and 1,000 members (machine at load 22), the places take 88 ms, a
  // ranking 3 to 18 ms; both at each keystroke took 85 to 100.
  const places = useComputed(() => switchPlaces(state));
  const found = usePeopleFound(services, query.value);
  const choices = rankPlaces(
    withPeople(places.value, found.value, state.username.value),
    query.value,
  );
  const at = Math.min(active.value, Math.max(0, choices.length - 1));
  useLayoutEffect(() => {
    document.getElementById(optionId(at))?.scrollIntoView({
      block: "nearest",
    });
  }, [at, query.value]);

  function close(): void {
    actions.switcherToggled(state, false);
  }

  async function go(choice: SwitchChoice): Promise<void> {
    close();
    if (choice.kind === "dm") {
      await connection.openConversation(choice.name);
    } else {
      actions.errorShown(state, await connection.joinRoom(choice.name));
    }
  }

  function onKeyDown(event: KeyboardEvent): void {
    choiceKey(event, choices, at, {
      move: (index) => active.value = index,
      pick: (choice) => void go(choice),
    });
  }

  return (
    <Dialog
      title={t("switch.title")}
      testId="quick-switcher"
      onClose={close}
    >
      <input
        type="text"
        class="field"
        data-testid="switch-input"
        data-autofocus
        role="combobox"
        aria-label={t("switch.label")}
        aria-expanded={choices.length > 0}
        aria-controls={LIST_ID}
        aria-autocomplete="list"
        aria-activedescendant={choices.length > 0 ? optionId(at) : undefined}
        aria-describedby="switch-hint"
        placeholder={t("switch.placeholder")}
        autocomplete="off"
        autocapitalize="off"
        spellcheck={false}
        value={query.value}
        onInput={(e) => {
          query.value = e.currentTarget.value;
          active.value = 0;
        }}
        onKeyDown={onKeyDown}
      />
      <p id="switch-hint" class="search-status switch-hint">
        {choices.length === 0 ? t("switch.none") : t("switch.hint")}
      </p>
      <ul
        id={LIST_ID}
        class="switch-list"
        role="listbox"
        aria-label={t("switch.results")}
        data-testid="switch-list"
      >
        {choices.map((choice, index) => (
          <li
            key={choice.key}
            id={optionId(index)}
            class={`switch-option${index === at ? " active" : ""}${
              choice.unread > 0 ? " unread" : ""
            }${choice.archived ? " archived" : ""}`}
            role="option"
            aria-selected={index === at}
            data-testid="switch-option"
            data-kind={choice.kind}
            data-name={choice.name}
            // Keeps the focus (and a phone's keyboard) in the box.
            onMouseDown={(event) => event.preventDefault()}
            onClick={() => void go(choice)}
          >
            <ChoiceMark choice={choice} />
            <span class="switch-name">{choice.name}</span>
            {choice.archived && (
              <span class="switch-action" data-testid="switch-archived">
                {t("sidebar.archived")}
              </span>
            )}
            {!choice.mine && (
              <span class="switch-action">
                {choice.kind === "room"
                  ? t("switch.join")
                  : t("switch.message")}
              </span>
            )}
            {choice.unread > 0 && (
              <>
                <span class="unread-badge inline" aria-hidden="true">
                  {choice.unread > 999 ? "999+" : choice.unread}
                </span>
                <span class="sr-only">
                  , {choice.unread} {tn("sidebar.unreadCount", choice.unread)}
                </span>
              </>
            )}
          </li>
        ))}
      </ul>
    </Dialog>
  );
}

/** A room's "#" or lock, or a person's avatar. */
export function ChoiceMark(props: { choice: SwitchChoice }): JSX.Element {
  const { choice } = props;
  if (choice.kind === "dm") return <Avatar name={choice.name} size="tiny" />;
  if (choice.private) {
    return (
      <span class="room-hash lock">
        <LockIcon />
        <span class="sr-only">({t("sidebar.private")})</span>
      </span>
    );
  }
  return <span class="room-hash" aria-hidden="true">#</span>;
}
