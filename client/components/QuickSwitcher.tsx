/**
 * The quick switcher (Ctrl+K, or "Jump to…" atop the sidebar): a box that
 * finds rooms and people as one types (client/quick_switch.ts ranks them),
 * ↑ and ↓ to choose, Enter or a click to go, Esc to close (the box and
 * its list: ChoiceList.tsx). Beside a place: whether it is archived, to
 * join or to write to, and its unread.
 */

import { useComputed, useSignal } from "@preact/signals";
import type { JSX } from "preact";
import * as actions from "../actions.ts";
import { useApp } from "../app_context.ts";
import { t, tn } from "../i18n.ts";
import { usePeopleFound } from "../use_people_found.ts";
import {
  rankPlaces,
  type SwitchChoice,
  switchPlaces,
  withPeople,
} from "../quick_switch.ts";
import { ChoiceList, useChoiceList } from "./ChoiceList.tsx";
import { Dialog } from "./Dialog.tsx";

/** The quick switcher's dialog. */
export function QuickSwitcher(): JSX.Element {
  const services = useApp();
  const { state, connection } = services;
  const query = useSignal("");
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

  const list = useChoiceList({
    name: "switch",
    choices,
    query: query.value,
    pick: (choice) => void go(choice),
  });

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
        {...list.box}
        aria-label={t("switch.label")}
        aria-describedby="switch-hint"
        placeholder={t("switch.placeholder")}
        value={query.value}
        onInput={(e) => {
          query.value = e.currentTarget.value;
          list.restart();
        }}
      />
      <p id="switch-hint" class="search-status switch-hint">
        {choices.length === 0 ? t("switch.none") : t("switch.hint")}
      </p>
      <ChoiceList
        list={list}
        label={t("switch.results")}
        classOf={(choice) =>
          `${choice.unread > 0 ? " unread" : ""}${
            choice.archived ? " archived" : ""
          }`}
        after={(choice) => <SwitchDetails choice={choice} />}
      />
    </Dialog>
  );
}

/** What the switcher says of a place after its name. */
function SwitchDetails(props: { choice: SwitchChoice }): JSX.Element {
  const { choice } = props;
  return (
    <>
      {choice.archived && (
        <span class="switch-action" data-testid="switch-archived">
          {t("sidebar.archived")}
        </span>
      )}
      {!choice.mine && (
        <span class="switch-action">
          {choice.kind === "room" ? t("switch.join") : t("switch.message")}
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
    </>
  );
}
