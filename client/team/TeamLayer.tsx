/**
 * Where the team features meet the chat screen: the search dialog and
 * pins panel (Ctrl+Shift+F opens search anywhere, as in Mattermost; Ctrl+K
 * is the quick switcher's), the header's buttons for
 * them, the pin action of a message, and the hook that brings a jumped-to
 * message into view and highlights it for a moment.
 */

import type { JSX, RefObject } from "preact";
import { useEffect, useLayoutEffect } from "preact/hooks";
import type { ChatMessage } from "../../server/protocol/types.ts";
import * as actions from "../actions.ts";
import { useApp } from "../app_context.ts";
import { canModerate } from "../commands.ts";
import { type MessageKey, t } from "../i18n.ts";
import { type AppState, entry, roomKey } from "../state.ts";
import * as teamActions from "./actions.ts";
import {
  AtIcon,
  BookmarkIcon,
  ClockIcon,
  PinIcon,
  SearchIcon,
} from "./icons.tsx";
import { PinsPanel } from "./PinsPanel.tsx";
import { MentionsOpenButton, MentionsPanel } from "./Mentions.tsx";
import { SavedOpenButton, SavedPanel } from "./Saved.tsx";
import { ScheduledOpenButton, ScheduledPanel } from "./Scheduled.tsx";
import { SearchDialog } from "./SearchDialog.tsx";
import { ThreadPanel } from "./Thread.tsx";
import { ThreadsOpenButton, ThreadsPanel } from "./Threads.tsx";

/** How long a jumped-to message stays highlighted, in ms. */
const FLASH_MS = 2500;

/** The search dialog and pins panel when open, and the Ctrl+Shift+F shortcut. */
export function TeamLayer(): JSX.Element | null {
  const { state } = useApp();
  useEffect(() => {
    function onKey(event: KeyboardEvent): void {
      // Not Ctrl+F, Mattermost's other key: it stays the browser's find.
      if (
        (event.ctrlKey || event.metaKey) && event.shiftKey && !event.altKey &&
        event.key.toLowerCase() === "f"
      ) {
        event.preventDefault();
        teamActions.searchToggled(state, true);
      }
    }
    addEventListener("keydown", onKey);
    return () => {
      removeEventListener("keydown", onKey);
      // Logged out: the next session starts with nothing open.
      teamActions.searchToggled(state, false);
      teamActions.pinsToggled(state, false);
      teamActions.savedToggled(state, false);
      teamActions.scheduledToggled(state, false);
      teamActions.mentionsToggled(state, false);
      teamActions.threadsToggled(state, false);
      teamActions.threadToggled(state, null);
    };
  }, []);
  if (state.team.searchOpen.value) return <SearchDialog />;
  if (state.team.pinsOpen.value) return <PinsPanel />;
  if (state.team.savedOpen.value) return <SavedPanel />;
  if (state.team.mentionsOpen.value) return <MentionsPanel />;
  if (state.team.threadsOpen.value) return <ThreadsPanel />;
  if (state.team.scheduledOpen.value) return <ScheduledPanel />;
  const thread = state.team.thread.value;
  if (thread) {
    return <ThreadPanel key={thread.id} logKey={thread.key} id={thread.id} />;
  }
  return null;
}

/**
 * The header's search and panel buttons. On a phone those marked
 * `header-more` hide (styles.css): the header had no width left for the
 * room's name; {@linkcode HeaderToolItems} offers them in its menu there.
 */
export function HeaderTools(): JSX.Element {
  const { state } = useApp();
  return (
    <>
      <button
        type="button"
        class="icon-button"
        data-testid="search-open"
        aria-label={t("search.open")}
        title={t("search.openHint")}
        aria-keyshortcuts="Control+Shift+F"
        aria-haspopup="dialog"
        onClick={() => teamActions.searchToggled(state, true)}
      >
        <SearchIcon />
      </button>
      <button
        type="button"
        class="icon-button header-more"
        data-testid="pins-open"
        aria-label={t("pin.open")}
        title={t("pin.open")}
        aria-haspopup="dialog"
        onClick={() => teamActions.pinsToggled(state, true)}
      >
        <PinIcon />
      </button>
      {state.account.value && <ThreadsOpenButton />}
      {state.account.value && <SavedOpenButton />}
      {state.account.value && <MentionsOpenButton />}
      {state.account.value && <ScheduledOpenButton />}
    </>
  );
}

/** A panel the header's menu opens on a phone, for its hidden button. */
interface MenuTool {
  name: "pins" | "saved" | "mentions" | "scheduled";
  label: MessageKey;
  icon: () => JSX.Element;
  open(state: AppState): void;
  /** Only an account has it (a guest's name keeps nothing). */
  account: boolean;
}

/** The panels whose header buttons a phone hides, in the header's order. */
const MENU_TOOLS: MenuTool[] = [
  {
    name: "pins",
    label: "pin.open",
    icon: PinIcon,
    open: (state) => teamActions.pinsToggled(state, true),
    account: false,
  },
  {
    name: "saved",
    label: "saved.open",
    icon: BookmarkIcon,
    open: (state) => teamActions.savedToggled(state, true),
    account: true,
  },
  {
    name: "mentions",
    label: "mentions.open",
    icon: AtIcon,
    open: (state) => teamActions.mentionsToggled(state, true),
    account: true,
  },
  {
    name: "scheduled",
    label: "scheduled.open",
    icon: ClockIcon,
    open: (state) => teamActions.scheduledToggled(state, true),
    account: true,
  },
];

/**
 * The header menu's items for the panels a phone's header has no button
 * for (`phone-only`: wider screens show the buttons, not these).
 */
export function HeaderToolItems(
  props: { onChoose(): void },
): JSX.Element {
  const { state } = useApp();
  const account = state.account.value;
  return (
    <>
      {MENU_TOOLS.filter((tool) => account || !tool.account).map((tool) => (
        <button
          key={tool.name}
          type="button"
          role="menuitem"
          class="menu-item with-icon phone-only"
          data-testid={`${tool.name}-menu`}
          onClick={() => {
            props.onChoose();
            tool.open(state);
          }}
        >
          <tool.icon />
          {t(tool.label)}
        </button>
      ))}
      <div class="menu-separator phone-only" role="separator" />
    </>
  );
}

/**
 * Whether this user may pin in the place on screen: either side of a
 * conversation; in a room, moderators, admins and the room's owner (whom
 * the client knows as managing the room).
 */
export function canPin(state: AppState): boolean {
  if (state.view.value.kind === "dm") return state.account.value;
  return canModerate(state.role.value) ||
    entry(state.manages.value, roomKey(state.currentRoom.value)) === true;
}

/** The pin or unpin action of a message. */
export function PinButton(props: { message: ChatMessage }): JSX.Element {
  const { state, connection } = useApp();
  const pinned = props.message.pinned === true;
  return (
    <button
      type="button"
      class={`msg-action${pinned ? " on" : ""}`}
      data-testid="message-pin"
      aria-label={pinned ? t("pin.undoLabel") : t("pin.label")}
      title={pinned ? t("pin.undo") : t("pin.action")}
      aria-pressed={pinned}
      onClick={async () => {
        const error = await connection.pin(props.message.id, !pinned);
        actions.errorShown(state, error);
      }}
    >
      <PinIcon />
    </button>
  );
}

/** The "pinned" mark beside a pinned message's time. */
export function PinnedMark(): JSX.Element {
  return (
    <span class="msg-pinned" data-testid="pinned-mark">
      <PinIcon />
      {t("pin.pinned")}
    </span>
  );
}

/**
 * Brings the jump target into view once the list shows its row: centred,
 * focused, highlighted for {@linkcode FLASH_MS}. `settled` lets the list
 * note where the user now is (no longer at the bottom). Call it after the
 * list's own layout effects, which keep the view at the bottom.
 */
export function useJumpTarget(
  scroller: RefObject<HTMLElement>,
  lines: unknown,
  settled: () => void,
): void {
  const { state } = useApp();
  const jump = state.team.jump.value;
  const key = state.viewKey.value;
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!jump || jump.key !== key || !el) return;
    const row = el.querySelector<HTMLElement>(
      `[data-testid="message"][data-seq="${jump.seq}"]`,
    );
    if (!row) return;
    row.scrollIntoView({ block: "center" });
    row.focus({ preventScroll: true });
    settled();
    teamActions.jumpShown(state, jump);
  }, [jump, key, lines]);
  const flash = state.team.flash.value;
  useEffect(() => {
    if (!flash) return;
    const timer = setTimeout(
      () => teamActions.flashEnded(state, flash),
      FLASH_MS,
    );
    return () => clearTimeout(timer);
  }, [flash]);
}
