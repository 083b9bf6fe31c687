/** The room list, the private conversations, and the user's own card. */

import { type Signal, useSignal } from "@preact/signals";
import type { JSX } from "preact";
import { useMemo, useRef } from "preact/hooks";
import { focusOnMount } from "../dom.ts";
import type { RoomSummary } from "../../server/protocol/types.ts";
import * as actions from "../actions.ts";
import { useApp } from "../app_context.ts";
import { lang, LANGS, setLang, t, tn } from "../i18n.ts";
import {
  type Conversation,
  dmKey,
  entry,
  isPaused,
  notifyLevelOf,
  roomKey,
} from "../state.ts";
import { inAnHour, pauseEnd, tomorrowAtNine } from "../do_not_disturb.ts";
import {
  listedRooms,
  sectionedPlaces,
  sortConversations,
  starredConversations,
  starredRooms,
} from "../sidebar_order.ts";
import {
  NewSectionForm,
  SidebarMenu,
  SidebarSections,
} from "./SidebarSections.tsx";
import { useFocusAfterRender } from "../use_dismiss.ts";
import { usePauseEnd } from "../use_pause_end.ts";
import { STATUS_PRESETS, statusLine, statusShown } from "../status.ts";
import { GroupsDialog } from "./GroupsDialog.tsx";
import { TotpDialog } from "./TotpDialog.tsx";
import { AvatarDialog } from "./AvatarDialog.tsx";
import { ProfileDialog } from "./ProfileDialog.tsx";
import { SKIN_TONES, toneSwatch } from "../emoji_tones.ts";
import { WINDOW_FROM } from "../list_window.ts";
import { filterByName } from "../name_filter.ts";
import { Avatar } from "./Avatar.tsx";
import { CreateRoomForm } from "./CreateRoomForm.tsx";
import { StatusMark } from "./StatusMark.tsx";
import {
  BellIcon,
  BellOffIcon,
  CheckAllIcon,
  ChevronIcon,
  CloseIcon,
  ExitIcon,
  GearIcon,
  LockIcon,
  LogoIcon,
  PencilIcon,
  PersonIcon,
  PlusIcon,
} from "./Icons.tsx";
import { ListFind } from "./ListFind.tsx";
import { MenuButton } from "./MenuButton.tsx";
import { RoleBadge } from "./RoleBadge.tsx";
import { WindowedList } from "./WindowedList.tsx";

/** The left column (a drawer on narrow screens). */
export function Sidebar(): JSX.Element {
  const { state } = useApp();
  const creating = useSignal(false);
  const naming = useSignal(false);
  const browsing = useSignal(false);
  const query = useSignal("");
  const { mine: allMine, others: allOthers } = listedRooms(state);
  // Past a few hundred rooms only the rows in view are rendered, so the
  // browser's find cannot see the others: a find box narrows the lists.
  const long = allMine.length + allOthers.length > WINDOW_FROM;
  const wanted = long ? query.value : "";
  const mine = filterByName(allMine, wanted, (r) => r.name);
  const others = filterByName(allOthers, wanted, (r) => r.name);
  const finding = wanted.trim() !== "";
  const conversationsNow = state.conversations.value;
  // Sorted again only when the conversations change, not at each member
  // joining or leaving the room shown (the lists read the members for the
  // presence dots).
  const sorted = useMemo(
    () => sortConversations(conversationsNow),
    [conversationsNow],
  );
  // Starred rooms and conversations move to their own section, on top.
  const rooms = starredRooms(state, mine);
  const talks = starredConversations(state, sorted);
  const starred = rooms.starred.length + talks.starred.length > 0;
  // Then the account's own sections; what none holds stays below.
  const sectioned = sectionedPlaces(state, rooms.rest, talks.rest);
  return (
    <nav id="sidebar" class="sidebar" aria-label={t("sidebar.label")}>
      <div class="sidebar-brand">
        <span class="brand-mark">
          <LogoIcon />
        </span>
        <span class="brand-name">{t("app.title")}</span>
        <button
          type="button"
          class="icon-button drawer-close"
          data-testid="drawer-close"
          aria-label={t("sidebar.close")}
          onClick={() => actions.drawerToggled(state, false)}
        >
          <CloseIcon />
        </button>
      </div>
      <button
        type="button"
        class="switch-open"
        data-testid="switch-open"
        aria-haspopup="dialog"
        aria-keyshortcuts="Control+K"
        title={t("switch.openHint")}
        onClick={() => actions.switcherToggled(state, true)}
      >
        <span>{t("switch.open")}</span>
        <kbd aria-hidden="true">Ctrl+K</kbd>
      </button>
      <div class="sidebar-scroll">
        {starred && (
          <section data-testid="starred" aria-labelledby="starred-title">
            <div class="sidebar-section">
              <h2 class="section-title" id="starred-title">
                {t("sidebar.starred")}
              </h2>
            </div>
            <RoomList rooms={rooms.starred} testId="starred-room-list" />
            <ConversationList
              conversations={talks.starred}
              testId="starred-dm-list"
            />
          </section>
        )}
        <SidebarSections
          sections={sectioned.sections}
          rooms={(list, testId) => <RoomList rooms={list} testId={testId} />}
          talks={(list, testId) => (
            <ConversationList conversations={list} testId={testId} />
          )}
        />
        <div class="sidebar-section">
          <h2 class="section-title">{t("sidebar.rooms")}</h2>
          <span class="section-actions">
            <SidebarMenu onNew={() => naming.value = true} />
            {state.account.value && state.totalUnread.value > 0 && (
              <MarkAllReadButton />
            )}
            <button
              type="button"
              class="icon-button"
              data-testid="create-room"
              aria-label={t("sidebar.createRoom")}
              title={t("sidebar.createRoom")}
              aria-expanded={creating.value}
              onClick={() => creating.value = !creating.value}
            >
              <PlusIcon />
            </button>
          </span>
        </div>
        {creating.value && (
          <CreateRoomForm onDone={() => creating.value = false} />
        )}
        {naming.value && <NewSectionForm onDone={() => naming.value = false} />}
        {long && (
          <ListFind
            query={query}
            label={t("sidebar.findRoom")}
            testId="room-find"
          />
        )}
        {finding && mine.length + others.length === 0 && (
          <p class="sidebar-empty" role="status">
            {t("sidebar.noRoomFound")}
          </p>
        )}
        <RoomList rooms={sectioned.rooms} testId="room-list" />
        {others.length > 0 && (
          <>
            <div class="sidebar-section">
              <h2 class="section-title">
                <button
                  type="button"
                  class="disclosure"
                  data-testid="more-rooms"
                  aria-expanded={browsing.value || finding}
                  aria-controls="more-rooms"
                  onClick={() => browsing.value = !browsing.value}
                >
                  <ChevronIcon />
                  {t("sidebar.moreRooms")} ({others.length})
                </button>
              </h2>
            </div>
            {(browsing.value || finding) && (
              <RoomList
                rooms={others}
                testId="more-room-list"
                id="more-rooms"
              />
            )}
          </>
        )}
        <div class="sidebar-section">
          <h2 class="section-title">{t("sidebar.dms")}</h2>
        </div>
        <DirectMessages
          conversations={sectioned.talks}
          elsewhere={talks.starred.length + talks.rest.length -
            sectioned.talks.length}
        />
      </div>
      <MyCard />
    </nav>
  );
}

/** Rooms with their unread or user counts; a click opens (and joins) one. */
function RoomList(
  props: { rooms: RoomSummary[]; testId: string; id?: string },
): JSX.Element {
  const { state, connection } = useApp();
  const shown = state.view.value;
  const current = shown.kind === "room" ? roomKey(state.currentRoom.value) : "";
  async function join(room: string): Promise<void> {
    actions.errorShown(state, await connection.joinRoom(room));
  }
  const drafted = useDrafted();
  return (
    <WindowedList
      items={props.rooms}
      keyOf={(room) => roomKey(room.name)}
      list={{ class: "room-list", "data-testid": props.testId, id: props.id }}
      row={(room, position) => {
        const key = roomKey(room.name);
        const active = key === current;
        const unread = active ? 0 : entry(state.unread.value, key) ?? 0;
        const mentions = active ? 0 : entry(state.mentions.value, key) ?? 0;
        const muted = notifyLevelOf(state, key) === "none";
        return (
          <li key={key} {...position}>
            <button
              type="button"
              class={`room-item${active ? " active" : ""}${
                unread > 0 ? " unread" : ""
              }${muted ? " muted" : ""}${room.archived ? " archived" : ""}`}
              data-testid="room-item"
              data-room={room.name}
              data-private={room.private ? "true" : undefined}
              data-archived={room.archived ? "true" : undefined}
              aria-current={active ? "page" : undefined}
              onClick={() => void join(room.name)}
            >
              {room.private
                ? (
                  <span class="room-hash lock" data-testid="room-lock">
                    <LockIcon />
                  </span>
                )
                : <span class="room-hash" aria-hidden="true">#</span>}
              <span class="room-name">{room.name}</span>
              {room.private && (
                <span class="sr-only">({t("sidebar.private")})</span>
              )}
              {room.archived && (
                <span class="sr-only">({t("sidebar.archived")})</span>
              )}
              {muted && (
                <span class="muted-icon" aria-hidden="true">
                  <BellOffIcon />
                </span>
              )}
              {!active && drafted.has(key) && <DraftMark />}
              {unread > 0
                ? (
                  <>
                    {/* A muted room's unread is marked, quietly: no count. */}
                    <span
                      class={`unread-badge inline${
                        muted ? " quiet" : mentions > 0 ? " at-me" : ""
                      }`}
                      data-testid="room-unread"
                    >
                      {muted ? "" : mentions > 0 ? "@" : ""}
                      {muted ? "" : unread > 999 ? "999+" : unread}
                    </span>
                    <span class="sr-only">
                      {tn("sidebar.unreadCount", unread)}
                      {mentions > 0 &&
                        `, ${mentions} ${t("sidebar.mentionCount")}`}
                    </span>
                  </>
                )
                : (
                  <>
                    {/* A person and no pill: a pill is an unread count. */}
                    <span
                      class="room-count"
                      data-testid="room-count"
                      title={t("sidebar.onlineCount", { n: room.users })}
                    >
                      <PersonIcon />
                      {room.users}
                    </span>
                    <span class="sr-only">{t("sidebar.online")}</span>
                  </>
                )}
            </button>
          </li>
        );
      }}
    />
  );
}

/**
 * The private conversations, the most recent first, with unread counts.
 * Windowed and with a find box past {@linkcode WINDOW_FROM}, as the rooms
 * are: a reader of hundreds of guests' messages would otherwise render a
 * row per conversation at each new message. `elsewhere`: how many are
 * shown under Starred or a section (then no "none yet" hint).
 */
function DirectMessages(
  props: { conversations: Conversation[]; elsewhere: number },
): JSX.Element {
  const { state, connection } = useApp();
  const query = useSignal("");
  const fetching = useSignal(false);
  const all = props.conversations;
  // The server lists an account's conversations a page at a time (the
  // newest 100 after each login): older ones are a click away.
  const more = state.conversationsNext.value !== null && (
    <p class="sidebar-empty">
      <button
        type="button"
        class="link-button"
        data-testid="more-dms"
        disabled={fetching.value}
        aria-busy={fetching.value || undefined}
        onClick={async () => {
          fetching.value = true;
          try {
            await connection.moreConversations();
          } finally {
            fetching.value = false;
          }
        }}
      >
        {t("sidebar.moreDms")}
      </button>
    </p>
  );
  if (all.length === 0 && props.elsewhere > 0) return <>{more}</>;
  if (all.length === 0) {
    return (
      <>
        <p class="sidebar-empty">
          {t("sidebar.dmsEmpty")} <kbd>{t("sidebar.dmsCommand")}</kbd>.
        </p>
        {more}
      </>
    );
  }
  const long = all.length > WINDOW_FROM;
  const wanted = long ? query.value : "";
  const conversations = filterByName(all, wanted, (c) => c.name);
  return (
    <>
      {long && (
        <ListFind
          query={query}
          label={t("sidebar.findDm")}
          testId="dm-find"
        />
      )}
      {wanted.trim() !== "" && conversations.length === 0 && (
        <p class="sidebar-empty" role="status">
          {t("sidebar.noDmFound")}
        </p>
      )}
      <ConversationList conversations={conversations} testId="dm-list" />
      {more}
    </>
  );
}

/** The user's own card at the bottom: name, role, status, settings, log out. */
function MyCard(): JSX.Element {
  const { state, connection } = useApp();
  const username = state.username.value ?? "";
  const online = state.status.value.kind === "online";
  const account = state.account.value;
  let status = t("me.reconnecting");
  if (online) status = account ? t("me.online") : t("me.onlineGuest");
  // Read at each render, and a render comes when it ends.
  const mine = state.myStatus.value;
  const shown = statusShown(mine, Date.now());
  usePauseEnd(mine?.until ?? null, shown !== null);
  return (
    <div class="me" data-testid="me">
      <span class="presence-wrap">
        <Avatar name={username} />
        {online && <span class="presence" />}
      </span>
      <div class="me-text">
        <span class="me-line">
          <span class="me-name" data-testid="me-name">{username}</span>
          <RoleBadge role={state.role.value} />
        </span>
        <span class="me-status">
          {online && shown ? <StatusMark status={shown} /> : status}
        </span>
      </div>
      <SettingsMenu />
      <button
        type="button"
        class="icon-button"
        data-testid="logout"
        aria-label={t("me.logout")}
        title={t("me.logout")}
        onClick={() => void connection.logout()}
      >
        <ExitIcon />
      </button>
    </div>
  );
}

/**
 * The user menu: language, skin tone, desktop notifications and, for moderators and
 * admins, the admin page.
 */
function SettingsMenu(): JSX.Element {
  const { state, notifier, connection } = useApp();
  const role = state.role.value;
  const staff = state.account.value &&
    (role === "moderator" || role === "admin");
  const open = useSignal(false);
  const root = useRef<HTMLDivElement>(null);
  const permission = state.notifyPermission.value;
  // Read at each render, and a render comes when the pause ends.
  const now = Date.now();
  const until = state.doNotDisturb.value;
  const paused = isPaused(state, now);
  usePauseEnd(until, paused);
  const pause = async (end: number | null) => {
    open.value = false;
    actions.errorShown(state, await connection.setDoNotDisturb(end));
  };
  const mine = statusShown(state.myStatus.value, now);
  const custom = useSignal("");
  // The menu gives way to a small form for a status in one's own words,
  // as the member menu does for a reason (a text box is no menu item).
  const typing = useSignal(false);
  // The Groups dialog, opened from the menu (it outlives the menu).
  const grouping = useSignal(false);
  // The Profile picture dialog, likewise.
  const picturing = useSignal(false);
  // The Profile (title, time zone) dialog, likewise.
  const profiling = useSignal(false);
  // The Two-factor authentication dialog, likewise.
  const securing = useSignal(false);
  const setStatus = async (
    status: { text: string; emoji?: string; until?: number | null },
  ) => {
    open.value = false;
    typing.value = false;
    actions.errorShown(state, await connection.setStatus(status));
  };

  // Closes the menu for a dialog or page of its own, which gives the focus
  // back to what had it when it closes: the item goes with the menu, so
  // the menu's button (else Escape dropped the keyboard to the page's body).
  function leaveMenu(): void {
    open.value = false;
    root.current?.querySelector<HTMLElement>('[data-testid="settings"]')
      ?.focus();
  }

  // Opens a dialog of the menu's, as leaveMenu says.
  function openDialog(shown: Signal<boolean>): void {
    leaveMenu();
    shown.value = true;
  }

  const focusAfter = useFocusAfterRender(root);

  let notifyText = t("me.notifyUnsupported");
  if (permission === "granted") notifyText = t("me.notifyOn");
  else if (permission === "denied") notifyText = t("me.notifyBlocked");
  else if (permission === "default") notifyText = t("me.notifyOff");

  return (
    <MenuButton
      open={open}
      class="settings"
      root={root}
      button={{
        class: "icon-button",
        testId: "settings",
        label: t("me.menu"),
        title: t("me.menu"),
      }}
      icon={
        <>
          <GearIcon />
          {paused && (
            <span class="paused-mark" data-testid="paused-mark">
              <BellOffIcon />
              <span class="sr-only">
                {t("me.pausedUntil", { time: pauseEnd(until!, now) })}
              </span>
            </span>
          )}
        </>
      }
      // Closed, it opens on its menu again, not on the status's form.
      onClose={() => {
        open.value = false;
        typing.value = false;
      }}
      // Its own Escape: the sidebar's drawer it sits in stays open.
      dismiss={{ ownEscape: true }}
    >
      {grouping.value && (
        <GroupsDialog
          onClose={() => grouping.value = false}
        />
      )}
      {profiling.value && (
        <ProfileDialog onClose={() => profiling.value = false} />
      )}
      {picturing.value && (
        <AvatarDialog onClose={() => picturing.value = false} />
      )}
      {securing.value && <TotpDialog onClose={() => securing.value = false} />}
      {open.value && typing.value && (
        <form
          class="menu up menu-form"
          aria-label={t("status.type")}
          onSubmit={(event) => {
            event.preventDefault();
            const text = custom.value.trim();
            custom.value = "";
            // Kept until cleared, as Slack's "Don't clear".
            void setStatus({ text });
          }}
        >
          <label class="field-label" for="status-custom">
            {t("status.custom")}
          </label>
          <input
            id="status-custom"
            class="field small"
            data-testid="status-custom"
            ref={focusOnMount}
            value={custom.value}
            onInput={(e) => custom.value = e.currentTarget.value}
          />
          <div class="menu-actions">
            <button
              type="button"
              class="button ghost"
              data-testid="status-back"
              onClick={() => {
                focusAfter('[data-testid="status-type"]');
                typing.value = false;
              }}
            >
              {t("menu.back")}
            </button>
            <button
              type="submit"
              class="button primary small"
              data-testid="status-save"
            >
              {t("status.save")}
            </button>
          </div>
        </form>
      )}
      {open.value && !typing.value && (
        <div class="menu up" role="menu" aria-label={t("me.menu")}>
          <p class="menu-heading">{t("me.language")}</p>
          {LANGS.map((option) => (
            <button
              key={option.lang}
              type="button"
              role="menuitemradio"
              aria-checked={lang.value === option.lang}
              class="menu-item check"
              data-testid={`lang-${option.lang}`}
              lang={option.lang}
              onClick={() => {
                setLang(option.lang);
                open.value = false;
                // Missed-message mails come in the interface's language.
                const mail = state.missedMail.value;
                if (mail && mail.language !== option.lang) {
                  void connection.setMissedMail({ language: option.lang })
                    .then((failed) => actions.errorShown(state, failed));
                }
              }}
            >
              {option.name}
            </button>
          ))}
          <div class="menu-separator" role="separator" />
          <p class="menu-heading">{t("tone.heading")}</p>
          <div class="menu-tones" role="group" aria-label={t("tone.group")}>
            {SKIN_TONES.map((tone) => (
              <button
                key={tone}
                type="button"
                role="menuitemradio"
                aria-checked={state.skinTone.value === tone}
                class="menu-item tone-option"
                data-testid={`menu-tone-${tone}`}
                aria-label={t(`tone.${tone}`)}
                title={t(`tone.${tone}`)}
                onClick={() => {
                  actions.skinToneChosen(state, tone);
                  open.value = false;
                }}
              >
                {toneSwatch(tone)}
              </button>
            ))}
          </div>
          <div class="menu-separator" role="separator" />
          <p class="menu-heading">{t("me.notifications")}</p>
          <button
            type="button"
            role="menuitem"
            class="menu-item with-icon"
            data-testid="notify-setting"
            disabled={permission !== "default"}
            onClick={() => {
              open.value = false;
              void notifier.requestPermission();
            }}
          >
            {permission === "granted" ? <BellIcon /> : <BellOffIcon />}
            {notifyText}
          </button>
          {state.account.value && (
            <>
              <div class="menu-separator" role="separator" />
              <p class="menu-heading" data-testid="pause-state">
                {paused
                  ? t("me.pausedUntil", { time: pauseEnd(until!, now) })
                  : t("me.pause")}
              </p>
              {paused
                ? (
                  <button
                    type="button"
                    role="menuitem"
                    class="menu-item"
                    data-testid="pause-resume"
                    onClick={() => void pause(null)}
                  >
                    {t("me.resume")}
                  </button>
                )
                : (
                  <>
                    <button
                      type="button"
                      role="menuitem"
                      class="menu-item"
                      data-testid="pause-hour"
                      onClick={() => void pause(inAnHour(Date.now()))}
                    >
                      {t("me.pauseHour")}
                    </button>
                    <button
                      type="button"
                      role="menuitem"
                      class="menu-item"
                      data-testid="pause-tomorrow"
                      onClick={() =>
                        void pause(tomorrowAtNine(Date.now()))}
                    >
                      {t("me.pauseTomorrow")}
                    </button>
                  </>
                )}
            </>
          )}
          {state.account.value && (
            <>
              <div class="menu-separator" role="separator" />
              <p class="menu-heading" data-testid="status-state">
                {mine
                  ? t("status.mine", { status: statusLine(mine) })
                  : t("status.heading")}
              </p>
              {STATUS_PRESETS.map((preset) => (
                <button
                  key={preset.id}
                  type="button"
                  role="menuitem"
                  class="menu-item"
                  data-testid={`status-${preset.id}`}
                  onClick={() =>
                    void setStatus({
                      text: t(preset.words),
                      emoji: preset.emoji,
                      until: preset.until(Date.now()),
                    })}
                >
                  {preset.emoji} {t(preset.words)}
                </button>
              ))}
              <button
                type="button"
                role="menuitem"
                class="menu-item"
                data-testid="status-type"
                onClick={() => typing.value = true}
              >
                {t("status.type")}
              </button>
              {mine && (
                <button
                  type="button"
                  role="menuitem"
                  class="menu-item"
                  data-testid="status-clear"
                  onClick={() => void setStatus({ text: "" })}
                >
                  {t("status.clear")}
                </button>
              )}
            </>
          )}
          {staff && (
            <>
              <div class="menu-separator" role="separator" />
              <a
                role="menuitem"
                class="menu-item with-icon"
                data-testid="admin-link"
                href="/admin"
              >
                <GearIcon />
                {t("me.admin")}
              </a>
            </>
          )}
          {state.account.value && (
            <>
              <div class="menu-separator" role="separator" />
              <button
                type="button"
                role="menuitem"
                class="menu-item"
                data-testid="avatar-setting"
                onClick={() => openDialog(picturing)}
              >
                {t("avatar.open")}
              </button>
              <button
                type="button"
                role="menuitem"
                class="menu-item"
                data-testid="profile-setting"
                onClick={() =>
                  openDialog(profiling)}
              >
                {t("profile.open")}
              </button>
              <button
                type="button"
                role="menuitem"
                class="menu-item"
                data-testid="groups-setting"
                onClick={() =>
                  openDialog(grouping)}
              >
                {t("groups.open")}
              </button>
              <button
                type="button"
                role="menuitem"
                class="menu-item"
                data-testid="tokens-setting"
                onClick={() => {
                  leaveMenu();
                  actions.tokensPageChanged(state, true);
                }}
              >
                {t("tokens.open")}
              </button>
              <button
                type="button"
                role="menuitem"
                class="menu-item"
                data-testid="totp-setting"
                onClick={() => openDialog(securing)}
              >
                {t("totp.open")}
              </button>
            </>
          )}
        </div>
      )}
    </MenuButton>
  );
}

/**
 * Private conversations as rows with their unread counts: the sidebar's
 * "Direct messages", and the starred ones atop it.
 */
function ConversationList(
  props: { conversations: Conversation[]; testId: string },
): JSX.Element {
  const { state, connection } = useApp();
  const shown = state.view.value;
  const open = shown.kind === "dm" ? roomKey(shown.with) : "";
  const drafted = useDrafted();
  const online = new Set(
    state.presenceKnown.value ? state.members.value.map(roomKey) : [],
  );
  return (
    <WindowedList
      items={props.conversations}
      keyOf={(c) => roomKey(c.name)}
      list={{ class: "room-list", "data-testid": props.testId }}
      row={(c, position) => {
        const key = dmKey(c.name);
        const active = roomKey(c.name) === open;
        const count = active ? 0 : entry(state.unread.value, key) ?? 0;
        const unread = count > 0;
        const muted = notifyLevelOf(state, key) === "none";
        return (
          <li key={roomKey(c.name)} {...position} class="dm-row">
            <button
              type="button"
              class={`room-item dm-item${active ? " active" : ""}${
                unread ? " unread" : ""
              }${muted ? " muted" : ""}${c.deleted ? " deleted" : ""}`}
              data-testid="dm-item"
              data-user={c.name}
              aria-current={active ? "page" : undefined}
              onClick={() => void connection.openConversation(c.name)}
            >
              <span class="presence-wrap">
                <Avatar name={c.name} size="tiny" />
                {online.has(roomKey(c.name)) && <span class="presence" />}
              </span>
              <span class="room-name">{c.name}</span>
              {c.deleted && (
                <span class="dm-deleted" data-testid="dm-deleted">
                  {t("sidebar.deletedAccount")}
                </span>
              )}
              {muted && (
                <span class="muted-icon" aria-hidden="true">
                  <BellOffIcon />
                </span>
              )}
              {!active && drafted.has(key) && <DraftMark />}
              {unread && (
                <>
                  <span
                    class={`unread-badge${muted ? " quiet" : ""}`}
                    data-testid="dm-unread"
                  >
                    {muted ? "" : count > 99 ? "99+" : count}
                  </span>
                  <span class="sr-only">
                    {tn("sidebar.unreadCount", count)}
                  </span>
                </>
              )}
            </button>
            <button
              type="button"
              class="dm-close"
              aria-label={t("sidebar.closeDm", { name: c.name })}
              title={t("sidebar.close")}
              onClick={() => actions.conversationClosed(state, c.name)}
            >
              ×
            </button>
          </li>
        );
      }}
    />
  );
}

/** The log keys with unsent text, as a set. */
function useDrafted(): Set<string> {
  const { state } = useApp();
  const drafted = state.drafted.value;
  return useMemo(() => new Set(drafted.split("\n")), [drafted]);
}

/** A pencil on a row whose text is not sent yet, as Slack marks it. */
function DraftMark(): JSX.Element {
  return (
    <span
      class="draft-mark"
      data-testid="draft-mark"
      title={t("sidebar.draft")}
    >
      <PencilIcon />
      <span class="sr-only">({t("sidebar.draft")})</span>
    </span>
  );
}

/**
 * "Mark all as read" (Slack's Shift+Esc, which ChatScreen hears): shown
 * while anything is unread, for accounts (guests keep no read state).
 */
function MarkAllReadButton(): JSX.Element {
  const { state, connection } = useApp();
  return (
    <button
      type="button"
      class="icon-button"
      data-testid="mark-all-read"
      aria-label={t("sidebar.markAllRead")}
      title={t("sidebar.markAllReadHint")}
      aria-keyshortcuts="Shift+Escape"
      onClick={async () => {
        actions.errorShown(state, await connection.markAllRead());
      }}
    >
      <CheckAllIcon />
    </button>
  );
}
