/**
 * The chat layout: rooms on the left, the room in the middle, members on
 * the right. On narrow screens both sides are drawers over the middle.
 */

import { useSignal } from "@preact/signals";
import type { JSX } from "preact";
import { useEffect, useLayoutEffect, useRef } from "preact/hooks";
import * as actions from "../actions.ts";
import { useApp } from "../app_context.ts";
import { carriesFiles, keepTabInside } from "../dom.ts";
import { t } from "../i18n.ts";
import { nextStop } from "../sidebar_order.ts";
import { composerBar, viewTitle } from "../state.ts";
import { shareFiles } from "../uploads.ts";
import { Composer } from "./Composer.tsx";
import { ArchivedBar } from "./ArchivedBar.tsx";
import { PostingBar } from "./PostingBar.tsx";
import { PaperclipIcon } from "./Icons.tsx";
import { InviteDialog } from "./InviteDialog.tsx";
import { Lightbox } from "./Lightbox.tsx";
import { ProfileCard } from "./ProfileCard.tsx";
import { LinkPreview } from "./LinkPreview.tsx";
import { QuickSwitcher } from "./QuickSwitcher.tsx";
import { HooksPage } from "./HooksPage.tsx";
import { TokensPage } from "./TokensPage.tsx";
import { MemberList } from "./MemberList.tsx";
import { MessageList } from "./MessageList.tsx";
import { NotifyBanner } from "./NotifyBanner.tsx";
import { RoomHeader } from "./RoomHeader.tsx";
import { Sidebar } from "./Sidebar.tsx";
import { TypingIndicator } from "./TypingIndicator.tsx";
import { TeamLayer } from "../team/TeamLayer.tsx";

/** The logged-in screen. */
export function ChatScreen(): JSX.Element {
  const { state } = useApp();
  useSwitchKeys();
  useReadAllKey();
  useJumpKey();
  const drawer = state.drawerOpen.value;
  const members = state.membersOpen.value && state.view.value.kind === "room";
  const room = state.view.value.kind === "room";
  // An archived room takes no messages, and in an announcement room only
  // its managers post: a bar says so instead of the composer.
  const bar = room ? composerBar(state, state.currentRoom.value) : null;
  // A drawer that opens takes the focus; closed, it gives it back. The
  // focus may have gone with what the drawer held (the new-room form is
  // gone once the room is made): then it fell to the body.
  const drawerWas = useRef(drawer);
  useLayoutEffect(() => {
    const closed = drawerWas.current && !drawer;
    drawerWas.current = drawer;
    const focused = document.activeElement;
    if (drawer) {
      document.querySelector<HTMLElement>("#sidebar .drawer-close")?.focus();
    } else if (
      focused?.closest("#sidebar") ||
      (closed && (focused === null || focused === document.body))
    ) {
      document.querySelector<HTMLElement>('[data-testid="drawer-toggle"]')
        ?.focus();
    }
  }, [drawer]);
  useLayoutEffect(() => {
    if (members) {
      document.querySelector<HTMLElement>("#member-list .members-close")
        ?.focus();
    } else if (document.activeElement?.closest("#member-list")) {
      document.querySelector<HTMLElement>('[data-testid="members-toggle"]')
        ?.focus();
    }
  }, [members]);
  useLayoutEffect(() => {
    if (!drawer && !members) return;
    function onKey(event: KeyboardEvent): void {
      if (event.key === "Tab") {
        keepTabInDrawer(drawer ? "#sidebar" : "#member-list", event);
        return;
      }
      if (event.key !== "Escape") return;
      actions.drawerToggled(state, false);
      actions.membersToggled(state, false);
    }
    addEventListener("keydown", onKey);
    return () => removeEventListener("keydown", onKey);
  }, [drawer, members]);
  const classes = ["chat"];
  if (drawer) classes.push("drawer-open");
  if (members) classes.push("members-open");
  return (
    <div class={classes.join(" ")}>
      <Sidebar />
      <div
        class="scrim"
        aria-hidden="true"
        onClick={() => {
          actions.drawerToggled(state, false);
          actions.membersToggled(state, false);
        }}
      />
      <main class="room" aria-label={t("app.conversation")}>
        <RoomHeader />
        <div class="room-body">
          <DropZone>
            <NotifyBanner />
            <MessageList />
            <TypingIndicator />
            {bar === "archived"
              ? <ArchivedBar room={state.currentRoom.value} />
              : bar === "posting"
              ? <PostingBar />
              : <Composer />}
          </DropZone>
          {room && <MemberList />}
        </div>
      </main>
      <Lightbox />
      <ProfileCard />
      <LinkPreview />
      {state.inviteOpen.value && room && <InviteDialog />}
      <TokensPage />
      <HooksPage />
      <TeamLayer />
      {state.switcherOpen.value && <QuickSwitcher />}
    </div>
  );
}

/**
 * An open drawer covers the room behind its scrim: Tab walked on from its
 * last control into the room's header, messages and composer, out of
 * sight under it, and a reader lost the focus there. It stays in the
 * drawer while the drawer is drawn over the room (narrow screens; a column
 * beside it leaves Tab alone), and while no dialog holds the page.
 */
function keepTabInDrawer(selector: string, event: KeyboardEvent): void {
  if (event.defaultPrevented) return;
  if (document.querySelector('[aria-modal="true"]')) return;
  const drawer = document.querySelector<HTMLElement>(selector);
  if (drawer && getComputedStyle(drawer).position === "fixed") {
    keepTabInside(drawer, event);
  }
}

/**
 * Alt+Up and Alt+Down open the room or conversation above or below in the
 * sidebar; with Shift, the nearest one with unread messages (Slack's keys;
 * Option on a Mac). Anywhere on the screen, the composer too, but not
 * under a dialog, which has the page to itself.
 */
function useSwitchKeys(): void {
  const { state, connection } = useApp();
  useEffect(() => {
    async function onKey(event: KeyboardEvent): Promise<void> {
      const up = event.key === "ArrowUp";
      if (!up && event.key !== "ArrowDown") return;
      if (!event.altKey || event.ctrlKey || event.metaKey) return;
      if (event.defaultPrevented || event.isComposing) return;
      if (document.querySelector('[aria-modal="true"]')) return;
      event.preventDefault();
      const stop = nextStop(state, {
        step: up ? -1 : 1,
        unread: event.shiftKey,
      });
      if (stop?.kind === "room") {
        actions.errorShown(state, await connection.joinRoom(stop.name));
      } else if (stop) {
        await connection.openConversation(stop.name);
      }
    }
    function listener(event: KeyboardEvent): void {
      void onKey(event);
    }
    addEventListener("keydown", listener);
    return () => removeEventListener("keydown", listener);
  }, []);
}

/**
 * Shift+Esc marks every room and conversation read, as in Slack: anywhere,
 * the composer too, but not under a dialog (whose Escape closes it).
 */
function useReadAllKey(): void {
  const { state, connection } = useApp();
  useEffect(() => {
    async function onKey(event: KeyboardEvent): Promise<void> {
      if (event.key !== "Escape" || !event.shiftKey) return;
      if (event.altKey || event.ctrlKey || event.metaKey) return;
      if (event.defaultPrevented || event.isComposing) return;
      if (document.querySelector('[aria-modal="true"]')) return;
      event.preventDefault();
      actions.errorShown(state, await connection.markAllRead());
    }
    function listener(event: KeyboardEvent): void {
      void onKey(event);
    }
    addEventListener("keydown", listener);
    return () => removeEventListener("keydown", listener);
  }, []);
}

/**
 * Ctrl+K (Cmd+K on a Mac) opens the quick switcher anywhere, and closes
 * it, as in Slack, Discord and Mattermost; from the search dialog it goes
 * to the switcher. Logged out, the next session starts with it closed.
 */
function useJumpKey(): void {
  const { state } = useApp();
  useEffect(() => {
    function onKey(event: KeyboardEvent): void {
      if (!(event.ctrlKey || event.metaKey) || event.altKey) return;
      if (event.shiftKey || event.key.toLowerCase() !== "k") return;
      if (event.isComposing) return;
      event.preventDefault();
      actions.switcherToggled(state);
    }
    addEventListener("keydown", onKey);
    return () => {
      removeEventListener("keydown", onKey);
      actions.switcherToggled(state, false);
    };
  }, []);
}

/**
 * The middle column, which takes files dropped on it. Guests see why it
 * will not: only accounts may share files.
 */
function DropZone(props: { children: JSX.Element[] }): JSX.Element {
  const { state } = useApp();
  const depth = useRef(0);
  const over = useSignal(false);
  const account = state.account.value;
  const target = viewTitle(state);

  function onDragEnter(event: DragEvent): void {
    if (!carriesFiles(event)) return;
    event.preventDefault();
    // Enter and leave fire for every child crossed: count them.
    depth.current++;
    over.value = true;
  }
  function onDragOver(event: DragEvent): void {
    if (!carriesFiles(event)) return;
    event.preventDefault();
    if (event.dataTransfer) {
      event.dataTransfer.dropEffect = account ? "copy" : "none";
    }
  }
  function onDragLeave(event: DragEvent): void {
    if (!carriesFiles(event)) return;
    depth.current = Math.max(0, depth.current - 1);
    if (depth.current === 0) over.value = false;
  }
  function onDrop(event: DragEvent): void {
    if (!carriesFiles(event)) return;
    event.preventDefault();
    depth.current = 0;
    over.value = false;
    const files = [...(event.dataTransfer?.files ?? [])];
    if (!account || files.length === 0) return;
    shareFiles(state, { key: state.viewKey.value, files });
  }

  return (
    <div
      class="room-main"
      data-testid="drop-zone"
      onDragEnter={onDragEnter}
      onDragOver={onDragOver}
      onDragLeave={onDragLeave}
      onDrop={onDrop}
    >
      {props.children}
      {over.value && (
        <div
          class={`drop-overlay${account ? "" : " refused"}`}
          aria-hidden="true"
        >
          <div class="drop-card">
            <PaperclipIcon />
            <span>
              {account
                ? t("composer.drop", { target })
                : t("composer.signInToShare")}
            </span>
          </div>
        </div>
      )}
    </div>
  );
}
