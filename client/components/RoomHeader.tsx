/**
 * The bar above the messages: drawer toggle, room (or conversation) name,
 * muted mark (level `none`), members, and a menu with the notification
 * level, invite, webhooks, leave or close.
 */

import { useSignal } from "@preact/signals";
import type { JSX } from "preact";
import { useLayoutEffect, useRef } from "preact/hooks";
import { GENERAL_ROOM } from "../../server/protocol/types.ts";
import * as actions from "../actions.ts";
import { useApp } from "../app_context.ts";
import { type MessageKey, t } from "../i18n.ts";
import {
  dmKey,
  entry,
  isAnnouncementRoom,
  isArchivedRoom,
  isPrivateRoom,
  type NotifyLevel,
  notifyLevelOf,
  roomKey,
  roomTitle,
  roomTopic,
} from "../state.ts";
import type { LevelPlace } from "../connection/notify_levels.ts";
import { itemKey, itemOf, movedItem, sectionOf } from "../sections.ts";
import { HeaderToolItems, HeaderTools } from "../team/TeamLayer.tsx";
import { Avatar } from "./Avatar.tsx";
import { MenuButton } from "./MenuButton.tsx";
import { RoomTopic } from "./RoomTopic.tsx";
import { TopicDialog } from "./TopicDialog.tsx";
import {
  BellOffIcon,
  CloseIcon,
  ExitIcon,
  GearIcon,
  InviteIcon,
  LockIcon,
  MenuIcon,
  MoreIcon,
  PencilIcon,
  StarIcon,
  UsersIcon,
} from "./Icons.tsx";

/** The header of what the middle column shows. */
export function RoomHeader(): JSX.Element {
  const { state } = useApp();
  const room = state.currentRoom.value;
  const shown = state.view.value;
  const key = state.viewKey.value;
  const muted = notifyLevelOf(state, key) === "none";
  const count = state.members.value.length;
  const isPrivate = isPrivateRoom(state, room);
  const topic = roomTopic(state, room);
  const unreadElsewhere = state.totalUnread.value -
    (entry(state.unread.value, key) ?? 0);
  const toggle = (
    <button
      type="button"
      class={`icon-button drawer-toggle${unreadElsewhere > 0 ? " dot" : ""}`}
      data-testid="drawer-toggle"
      aria-label={t("header.showRooms")}
      aria-controls="sidebar"
      aria-expanded={state.drawerOpen.value}
      onClick={() => actions.drawerToggled(state)}
    >
      <MenuIcon />
    </button>
  );
  const mutedMark = muted && (
    <span
      class="muted-mark"
      data-testid="muted-mark"
      title={t("header.mutedBadge")}
    >
      <BellOffIcon />
      <span class="sr-only">{t("header.mutedBadge")}</span>
    </span>
  );
  if (shown.kind === "dm") {
    const online = state.presenceKnown.value &&
      state.members.value.some((m) => roomKey(m) === roomKey(shown.with));
    return (
      <header class="room-header">
        {toggle}
        <span class="presence-wrap">
          <Avatar name={shown.with} size="tiny" />
          {online && (
            <span class="presence" title={t("header.online")}>
              <span class="sr-only">{t("header.online")}</span>
            </span>
          )}
        </span>
        <h1 class="room-title">
          <span class="room-name" data-testid="current-conversation">
            {shown.with}
          </span>
        </h1>
        <span class="room-kind">{t("header.dm")}</span>
        <StarButton place={{ with: shown.with }} />
        {mutedMark}
        <button
          type="button"
          class="button ghost header-end back-button"
          aria-label={t("header.back", { room: roomTitle(state, room) })}
          onClick={() => actions.roomShown(state)}
        >
          {isPrivate
            ? (
              <span class="room-hash lock" aria-hidden="true">
                <LockIcon />
              </span>
            )
            : <span class="room-hash" aria-hidden="true">#</span>}
          <span class="button-text">{room}</span>
        </button>
        <HeaderTools />
        <HeaderMenu name={`@${shown.with}`} muteKey={key} dm={shown.with} />
      </header>
    );
  }
  return (
    <header class="room-header">
      {toggle}
      <div class="room-heading">
        <h1 class="room-title">
          {isPrivate
            ? (
              <span
                class="room-hash lock"
                data-testid="header-lock"
                title={t("header.private")}
              >
                <LockIcon />
                <span class="sr-only">{t("header.private")}:</span>
              </span>
            )
            : <span class="room-hash" aria-hidden="true">#</span>}
          <span class="room-name" data-testid="current-room">{room}</span>
        </h1>
        {topic !== undefined && <RoomTopic topic={topic} />}
      </div>
      <StarButton place={{ room }} />
      {mutedMark}
      <span
        class="room-members header-end wide-only"
        title={t("header.people")}
      >
        <UsersIcon />
        <span>{count}</span>
      </span>
      <button
        type="button"
        class="button ghost header-end narrow-only"
        data-testid="members-toggle"
        title={t("header.showMembers", { n: count })}
        aria-controls="member-list"
        aria-expanded={state.membersOpen.value}
        onClick={() => actions.membersToggled(state)}
      >
        <UsersIcon />
        <span>{count}</span>
        <span class="sr-only">{t("header.membersWord")}</span>
      </button>
      <HeaderTools />
      <HeaderMenu
        name={roomTitle(state, room)}
        muteKey={key}
        leave={roomKey(room) !== GENERAL_ROOM}
        private={isPrivate}
        // An archived room takes no invitations nor a topic (room_archived).
        invite={state.account.value && roomKey(room) !== GENERAL_ROOM &&
          !isArchivedRoom(state, room)}
        hooks={state.account.value &&
          (state.role.value === "admin" ||
            entry(state.manages.value, key) === true)}
        // The server's rule (server/handlers/topics.ts): a public room's
        // members, a private one's owner, staff; general: staff only; an
        // announcement room: those who post there.
        topic={state.account.value &&
          !isArchivedRoom(state, room) &&
          (entry(state.manages.value, key) === true ||
            (!isPrivate && roomKey(room) !== GENERAL_ROOM &&
              !isAnnouncementRoom(state, room)))}
        // server/handlers/archive.ts: those who manage it, never general.
        archive={state.account.value &&
            entry(state.manages.value, key) === true &&
            roomKey(room) !== GENERAL_ROOM
          ? (isArchivedRoom(state, room) ? "unarchive" : "archive")
          : undefined}
        // server/handlers/posting.ts: those who manage it; the item sets
        // the other rule.
        posting={state.account.value &&
            entry(state.manages.value, key) === true
          ? (isAnnouncementRoom(state, room) ? "everyone" : "moderators")
          : undefined}
        room={room}
      />
    </header>
  );
}

/** A place's star for the header's toggle and menu; none for a guest. */
interface Star {
  starred: boolean;
  /** "Star" or "Unstar", what a click does. */
  label: string;
  toggle(): Promise<void>;
}

/**
 * The star of an account's room or conversation: starred, the place sits
 * in the sidebar's "Starred" section on every device. A guest's name does
 * not last: the server keeps no stars for it.
 */
function useStar(place: LevelPlace): Star | null {
  const { state, connection } = useApp();
  if (!state.account.value) return null;
  const key = "room" in place ? roomKey(place.room) : dmKey(place.with);
  const starred = entry(state.starred.value, key) !== undefined;
  return {
    starred,
    label: t(starred ? "header.unstar" : "header.star"),
    toggle: async () =>
      actions.errorShown(state, await connection.setStarred(place, !starred)),
  };
}

/**
 * The header's star toggle. Wide screens only: a phone's header has no
 * room left, and the menu's item does the same there.
 */
function StarButton(props: { place: LevelPlace }): JSX.Element | null {
  const star = useStar(props.place);
  if (!star) return null;
  return (
    <button
      type="button"
      class={`icon-button star-toggle wide-only${
        star.starred ? " starred" : ""
      }`}
      data-testid="star-toggle"
      aria-pressed={star.starred}
      aria-label={star.label}
      title={star.label}
      onClick={() => void star.toggle()}
    >
      <StarIcon />
    </button>
  );
}

/** The notification levels the menu offers, most to least. */
const NOTIFY_CHOICES: { level: NotifyLevel; label: MessageKey }[] = [
  { level: "all", label: "header.notifyAll" },
  { level: "mentions", label: "header.notifyMentions" },
  { level: "none", label: "header.notifyNone" },
];

/**
 * The "⋯" menu: the notification level, leave the room or close the
 * conversation.
 */
function HeaderMenu(
  props: {
    name: string;
    muteKey: string;
    leave?: boolean;
    /** A private room: leaving asks first, since only an invite brings one back. */
    private?: boolean;
    invite?: boolean;
    /** Room owners and admins manage webhooks (moderators are told no). */
    hooks?: boolean;
    /** Whoever may set the room's topic gets "Set the topic". */
    topic?: boolean;
    /** Who manages the room gets "Archive room" or "Unarchive room". */
    archive?: "archive" | "unarchive";
    /** Who manages the room gets "Only moderators post" or its undoing. */
    posting?: "everyone" | "moderators";
    /** The room, for the topic dialog. */
    room?: string;
    dm?: string;
  },
): JSX.Element {
  const { state, connection } = useApp();
  const open = useSignal(false);
  /** Leaving a private room was chosen once: the menu asks to confirm. */
  const confirming = useSignal(false);
  /** The topic dialog is open (it outlives the menu it came from). */
  const editingTopic = useSignal(false);
  const root = useRef<HTMLDivElement>(null);
  const keep = useRef<HTMLButtonElement>(null);
  const level = notifyLevelOf(state, props.muteKey);
  const place: LevelPlace = props.dm !== undefined
    ? { with: props.dm }
    : { room: state.currentRoom.value };
  const star = useStar(place);

  /** "Move to section…" was chosen: the menu lists the sections. */
  const moving = useSignal(false);
  const item = itemOf(place);
  const inSection = sectionOf(state.sections.value, itemKey(item));

  function close(): void {
    open.value = false;
    confirming.value = false;
    moving.value = false;
  }

  async function move(to: string | null): Promise<void> {
    close();
    actions.errorShown(
      state,
      await connection.setSections(
        movedItem(state.sections.value, item, to),
      ),
    );
  }

  // The item that was clicked is gone: the safe answer takes the focus.
  useLayoutEffect(() => {
    if (confirming.value) keep.current?.focus();
  }, [confirming.value]);
  // The sections' list replaced the item chosen: its first takes the focus.
  useLayoutEffect(() => {
    if (moving.value) {
      root.current?.querySelector<HTMLElement>('[role="menuitemradio"]')
        ?.focus();
    }
  }, [moving.value]);

  async function leave(): Promise<void> {
    close();
    actions.errorShown(state, await connection.leaveRoom());
  }

  return (
    <MenuButton
      open={open}
      class="header-menu"
      root={root}
      button={{
        class: "icon-button",
        testId: "room-menu",
        label: t("header.options", { name: props.name }),
        title: t("header.options", { name: props.name }),
      }}
      icon={<MoreIcon />}
      onClose={close}
    >
      {open.value && moving.value && (
        <div
          class="menu"
          role="menu"
          aria-label={t("sections.moveHeading")}
          data-testid="section-choices"
        >
          <p class="menu-heading">{t("sections.moveHeading")}</p>
          {state.sections.value.map((section) => (
            <button
              key={section.name}
              type="button"
              role="menuitemradio"
              aria-checked={inSection?.name === section.name}
              class="menu-item check"
              data-testid="section-choice"
              onClick={() => void move(section.name)}
            >
              {section.name}
            </button>
          ))}
          <div class="menu-separator" role="separator" />
          <button
            type="button"
            role="menuitem"
            class="menu-item"
            data-testid="section-back"
            onClick={() => moving.value = false}
          >
            {t("sections.back")}
          </button>
        </div>
      )}
      {open.value && !moving.value && (
        <div class="menu" role="menu" aria-label={props.name}>
          <p class="menu-heading">{t("header.notifyHeading")}</p>
          {NOTIFY_CHOICES.map((choice) => (
            <button
              key={choice.level}
              type="button"
              role="menuitemradio"
              aria-checked={level === choice.level}
              class="menu-item check"
              data-testid={`notify-${choice.level}`}
              onClick={async () => {
                open.value = false;
                actions.errorShown(
                  state,
                  await connection.setNotifyLevel(place, choice.level),
                );
              }}
            >
              {t(choice.label)}
            </button>
          ))}
          <div class="menu-separator" role="separator" />
          <HeaderToolItems
            onChoose={() => {
              open.value = false;
              // The panel gives the focus back to the menu's button.
              root.current?.querySelector<HTMLElement>("button")?.focus();
            }}
          />
          {star && (
            <button
              type="button"
              role="menuitemcheckbox"
              aria-checked={star.starred}
              class="menu-item with-icon"
              data-testid="star-menu"
              onClick={() => {
                open.value = false;
                void star.toggle();
              }}
            >
              <StarIcon />
              {t("header.starred")}
            </button>
          )}
          {star && state.sections.value.length > 0 && (
            <button
              type="button"
              role="menuitem"
              class="menu-item"
              data-testid="section-move"
              aria-haspopup="menu"
              onClick={() => moving.value = true}
            >
              {t("sections.move")}
            </button>
          )}
          {star && inSection && (
            <button
              type="button"
              role="menuitem"
              class="menu-item"
              data-testid="section-remove"
              onClick={() => void move(null)}
            >
              {t("sections.remove")}
            </button>
          )}
          {props.invite && (
            <button
              type="button"
              role="menuitem"
              class="menu-item with-icon"
              data-testid="invite-open"
              onClick={() => {
                open.value = false;
                // The dialog gives the focus back to the menu's button.
                root.current?.querySelector<HTMLElement>("button")?.focus();
                actions.inviteDialogToggled(state, true);
              }}
            >
              <InviteIcon />
              {t("header.invite")}
            </button>
          )}
          {props.topic && (
            <button
              type="button"
              role="menuitem"
              class="menu-item with-icon"
              data-testid="topic-open"
              onClick={() => {
                open.value = false;
                root.current?.querySelector<HTMLElement>("button")?.focus();
                editingTopic.value = true;
              }}
            >
              <PencilIcon />
              {t("header.editTopic")}
            </button>
          )}
          {props.archive !== undefined && props.room !== undefined && (
            <button
              type="button"
              role="menuitem"
              class="menu-item"
              data-testid={`${props.archive}-room`}
              onClick={async () => {
                open.value = false;
                actions.errorShown(
                  state,
                  await connection.archiveRoom(
                    props.room!,
                    props.archive === "archive",
                  ),
                );
              }}
            >
              {t(`header.${props.archive}`)}
            </button>
          )}
          {props.posting !== undefined && props.room !== undefined && (
            <button
              type="button"
              role="menuitem"
              class="menu-item"
              data-testid={`posting-${props.posting}`}
              onClick={async () => {
                open.value = false;
                actions.errorShown(
                  state,
                  await connection.setRoomPosting(props.room!, props.posting!),
                );
              }}
            >
              {t(
                props.posting === "moderators"
                  ? "header.postingModerators"
                  : "header.postingEveryone",
              )}
            </button>
          )}
          {props.hooks && (
            <button
              type="button"
              role="menuitem"
              class="menu-item with-icon"
              data-testid="hooks-open"
              onClick={() => {
                open.value = false;
                root.current?.querySelector<HTMLElement>("button")?.focus();
                actions.hooksPageChanged(state, state.currentRoom.value);
              }}
            >
              <GearIcon />
              {t("hooks.open")}
            </button>
          )}
          {props.leave && !confirming.value && (
            <button
              type="button"
              role="menuitem"
              class="menu-item with-icon danger"
              data-testid="leave-room"
              onClick={() =>
                props.private ? confirming.value = true : void leave()}
            >
              <ExitIcon />
              {t("header.leaveRoom", { room: props.name })}
            </button>
          )}
          {props.leave && confirming.value && (
            <>
              <button
                type="button"
                role="menuitem"
                class="menu-item with-icon danger leave-confirm"
                data-testid="leave-confirm"
                onClick={() => void leave()}
              >
                <ExitIcon />
                <span>
                  {t("header.leaveRoom", { room: props.name })}
                  <span class="menu-item-note">
                    {t("header.leavePrivate")}
                  </span>
                </span>
              </button>
              <button
                ref={keep}
                type="button"
                role="menuitem"
                class="menu-item"
                data-testid="leave-cancel"
                onClick={close}
              >
                {t("header.stay")}
              </button>
            </>
          )}
          {props.dm !== undefined && (
            <button
              type="button"
              role="menuitem"
              class="menu-item with-icon"
              onClick={() => {
                open.value = false;
                actions.conversationClosed(state, props.dm!);
              }}
            >
              <CloseIcon />
              {t("header.closeDm")}
            </button>
          )}
        </div>
      )}
      {editingTopic.value && props.room !== undefined && (
        <TopicDialog
          room={props.room}
          onClose={() => editingTopic.value = false}
        />
      )}
    </MenuButton>
  );
}
