/**
 * The scrolling list of what the middle column shows. It sticks to the
 * bottom while the user is there; scrolled up, it keeps the message under
 * the user's eyes in place while pages load above or images load, fetches
 * older pages near the top, and offers a way back down.
 */

import { useSignal } from "@preact/signals";
import type { JSX } from "preact";
import { useEffect, useLayoutEffect, useRef } from "preact/hooks";
import { useApp } from "../app_context.ts";
import { formatDay } from "../format.ts";
import { t } from "../i18n.ts";
import {
  entry,
  isPrivateRoom,
  type Line,
  viewTitle,
  writtenBy,
} from "../state.ts";
import { nameKey } from "../../server/protocol/names.ts";
import * as actions from "../actions.ts";
import { jumpTo, shownPlace } from "../team/api.ts";
import { newSince, UnreadBar } from "./UnreadBar.tsx";
import { Avatar } from "./Avatar.tsx";
import { ArrowDownIcon, LockIcon } from "./Icons.tsx";
import { MessageRow } from "./MessageRow.tsx";
import { NoticeLine } from "./NoticeLine.tsx";
import { useJumpTarget } from "../team/TeamLayer.tsx";
import { useToday } from "../use_today.ts";

/** How close to the bottom (px) still counts as "at the bottom". */
const STICK_SLACK = 48;
/** How close to the top (px) starts fetching the page before. */
const LOAD_SLACK = 400;

/** Keys of rows that stay with their content: messages (`m`), pending (`p`), notices (`n`). */
const STABLE_KEY = /^[mpn]/;

/** A row on screen and how far it is from the top of the scroller. */
interface Anchor {
  key: string;
  top: number;
  /** The scroller's scrollTop when it was measured. */
  scrollTop: number;
}

/** The message list of the current room or conversation. */
export function MessageList(): JSX.Element {
  const services = useApp();
  const { state, connection } = services;
  const scroller = useRef<HTMLDivElement>(null);
  const inner = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const anchor = useRef<Anchor | null>(null);
  const lastKey = useRef<string | undefined>(undefined);
  const away = useSignal(false);
  const newBelow = useSignal(0);
  // The "new" line is above the view (or not loaded): the bar shows.
  const lineAbove = useSignal(false);
  const shown = state.view.value;
  const key = state.viewKey.value;
  const title = viewTitle(state);
  const lines = state.lines.value;
  const first = state.currentLog.value?.messages[0];
  const atStart = first === undefined || first.seq === 1;
  // Newer messages were unloaded while reading back: the bottom is not the end.
  const cut = state.currentLog.value?.unloaded !== undefined;
  const loading = entry(state.loadingOlder.value, key) === true;
  // The day separators' "Today" and "Yesterday" change at midnight: a
  // prop, as a row whose props and signals are unchanged is not drawn again.
  const today = useToday();

  /** Brings the view to the bottom, or keeps the anchored row where it was. */
  function settle(): void {
    const el = scroller.current;
    if (!el) return;
    if (atBottom.current) {
      el.scrollTop = el.scrollHeight;
      return;
    }
    const held = anchor.current;
    const row = held && findRow(el, held.key);
    if (held && row) {
      // A scroll since the anchor was measured, whose event is not handled
      // yet (a jump by scrollIntoView, Home or End, then a message before
      // the next frame), moved the row with it: the row stays where that
      // scroll put it, or the view jumped back to where it was before it
      // (1,374 px in browser_heavy_test, on a busy machine). The list has
      // no native scroll anchoring (overflow-anchor: none), so nothing else
      // moves scrollTop but the browser's clamp.
      const moved = el.scrollTop - held.scrollTop;
      el.scrollTop += offsetIn(el, row) - (held.top - moved);
    }
  }

  /** Notes where the user is: at the bottom or not, and which row is at the top. */
  function measure(): void {
    const el = scroller.current;
    if (!el) return;
    const below = el.scrollHeight - el.scrollTop - el.clientHeight;
    atBottom.current = below < STICK_SLACK;
    state.scrolledBack.value = !atBottom.current;
    if (atBottom.current) newBelow.value = 0;
    // A little way up is still "here"; a screen up, or news below, is not.
    away.value = below > el.clientHeight ||
      (!atBottom.current && newBelow.value > 0);
    anchor.current = topRow(el, inner.current);
    const marker = el.querySelector<HTMLElement>('[data-key="unread"]');
    lineAbove.value = marker === null || offsetIn(el, marker) < 0;
    // The newest message is in sight: read, on every device.
    if (atBottom.current && !cut) connection.markSeen();
  }

  /** Near the top or the bottom, fetches the page beyond it. */
  function loadMore(): void {
    const el = scroller.current;
    if (!el) return;
    if (!atStart && el.scrollTop < LOAD_SLACK) void connection.loadOlder();
    const below = el.scrollHeight - el.scrollTop - el.clientHeight;
    if (cut && below < LOAD_SLACK) void connection.loadNewer();
  }

  useLayoutEffect(() => {
    atBottom.current = true;
    anchor.current = null;
    newBelow.value = 0;
    away.value = false;
    lastKey.current = undefined;
    // Coming back to unread messages: start at the "new" line, not below it.
    const el = scroller.current;
    const marker = el?.querySelector<HTMLElement>('[data-key="unread"]');
    if (el && marker) {
      el.scrollTop = Math.max(0, offsetIn(el, marker) + el.scrollTop - 64);
      measure();
    }
  }, [key]);

  useLayoutEffect(() => {
    const last = lines.at(-1);
    const previous = lastKey.current;
    lastKey.current = last?.key;
    // The user's own new message always brings the view down to it.
    if (last?.kind === "pending" && last.key !== previous) {
      atBottom.current = true;
      if (cut) void connection.loadNewer(true);
    } else if (!atBottom.current && previous && last?.key !== previous) {
      newBelow.value += countAfter(lines, previous);
    }
    settle();
    measure();
    // A short page (or a tall screen) leaves nothing to scroll: load more.
    loadMore();
  }, [lines, key]);

  // After the effects above, which keep the view at the bottom.
  useJumpTarget(scroller, lines, measure);

  // Coming back to the tab with the newest message in sight reads it.
  const visible = state.visible.value;
  useEffect(() => {
    if (visible) measure();
  }, [visible]);

  useEffect(() => {
    // Images load after layout and change heights: stay put regardless.
    // The view itself shrinks too, with no scroll event, when a reply bar,
    // a staged file or a second line of text grows the composer (or a
    // phone's keyboard opens): watched as well, or the newest message slid
    // under the composer.
    const box = inner.current;
    const view = scroller.current;
    if (!box || !view || typeof ResizeObserver === "undefined") return;
    const observer = new ResizeObserver(() => {
      settle();
      measure();
    });
    observer.observe(box);
    observer.observe(view);
    return () => observer.disconnect();
  }, []);

  function onScroll(): void {
    measure();
    loadMore();
  }

  /** Up and Down walk the messages; Home and End go to the first and last. */
  function onKeyDown(event: KeyboardEvent): void {
    // Alt+Up and Alt+Down switch rooms (ChatScreen), from here too.
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const el = scroller.current;
    const target = event.target as HTMLElement;
    if (!el || (target !== el && !target.matches('[data-testid="message"]'))) {
      return;
    }
    const rows = [
      ...el.querySelectorAll<HTMLElement>('[data-testid="message"]'),
    ];
    if (rows.length === 0) return;
    const at = rows.indexOf(target);
    let next: HTMLElement | undefined;
    if (event.key === "ArrowDown") {
      next = at < 0 ? rows[rows.length - 1] : rows[at + 1];
    } else if (event.key === "ArrowUp") {
      next = at < 0 ? rows[rows.length - 1] : rows[at - 1];
    } else if (event.key === "Home" && at >= 0) next = rows[0];
    else if (event.key === "End" && at >= 0) next = rows[rows.length - 1];
    else return;
    event.preventDefault();
    next?.focus();
    next?.scrollIntoView({ block: "nearest" });
  }

  const unreadFrom = entry(state.firstUnread.value, key);
  const me = state.username.value;
  // The messages held count them exactly from the first unread one on;
  // before it is loaded, the server's count does (counted at the line).
  const log = state.currentLog.value;
  const counted = entry(state.lineCounts.value, key);
  const unreadCount = unreadFrom === undefined || !lineAbove.value
    ? 0
    : (log?.messages[0]?.seq ?? Infinity) > unreadFrom &&
        counted?.from === unreadFrom
    ? counted.count
    : newSince(
      log,
      unreadFrom,
      (m) => writtenBy(m, me === null ? undefined : nameKey(me)),
    );

  function jump(): void {
    const el = scroller.current;
    if (!el) return;
    atBottom.current = true;
    newBelow.value = 0;
    away.value = false;
    // The newest messages were unloaded: fetch them rather than page down.
    if (cut) void connection.loadNewer(true);
    el.scrollTo({ top: el.scrollHeight, behavior: "smooth" });
  }

  return (
    <div class="messages-wrap">
      <div
        ref={scroller}
        class="messages"
        data-testid="message-list"
        role="region"
        aria-label={t("list.label", { title })}
        tabIndex={0}
        onScroll={onScroll}
        onKeyDown={onKeyDown}
      >
        <div ref={inner} class="messages-inner">
          {loading && (
            <div
              class="older-loading"
              role="status"
              data-testid="loading-older"
            >
              <span class="spinner" aria-hidden="true" />
              {t("list.loadingOlder")}
            </div>
          )}
          {atStart && shown.kind === "room" && (
            <div class="room-intro">
              <div class="room-intro-mark" aria-hidden="true">
                {isPrivateRoom(state, state.currentRoom.value)
                  ? (
                    <span class="intro-lock" data-testid="intro-lock">
                      <LockIcon />
                    </span>
                  )
                  : "#"}
              </div>
              <h2>{t("list.welcome", { title })}</h2>
              <p>{t("list.roomStart")}</p>
            </div>
          )}
          {atStart && shown.kind === "dm" && (
            <div class="room-intro">
              <Avatar name={shown.with} />
              <h2>{shown.with}</h2>
              <p>{t("list.dmStart", { title })}</p>
            </div>
          )}
          {lines.map((line) => (
            <LineView key={line.key} line={line} today={today} />
          ))}
        </div>
      </div>
      {
        /* New messages only, said politely: history loads stay quiet. */
      }
      <div
        class="sr-only"
        aria-live="polite"
        aria-atomic="true"
        data-testid="announcer"
      >
        {state.announcement.value}
      </div>
      {unreadCount > 0 && (
        <UnreadBar
          count={unreadCount}
          onJump={() => void jumpTo(services, shownPlace(state), unreadFrom!)}
          onRead={() => {
            actions.unreadLineDismissed(state, key);
            measure();
          }}
        />
      )}
      {away.value && (
        <button
          type="button"
          class={`jump${newBelow.value > 0 ? " has-new" : ""}`}
          data-testid="jump-latest"
          onClick={jump}
        >
          <span>
            {newBelow.value === 0
              ? t("list.jump")
              : newBelow.value === 1
              ? t("list.newBelowOne")
              : t("list.newBelow", { n: newBelow.value })}
          </span>
          <ArrowDownIcon />
        </button>
      )}
    </div>
  );
}

/** One line of the list; `today` is the local day's start (ms). */
function LineView(
  { line, today }: { line: Line; today: number },
): JSX.Element {
  const { connection } = useApp();
  switch (line.kind) {
    case "notice":
      return <NoticeLine notice={line.notice} />;
    case "day":
      return (
        <div class="day" role="separator" data-key={line.key}>
          <span class="day-label" data-testid="day-separator">
            {formatDay(line.ts, new Date(today))}
          </span>
        </div>
      );
    case "unread":
      return (
        <div
          class="new-line"
          role="separator"
          data-key="unread"
          data-testid="unread-line"
        >
          <span>{t("list.new")}</span>
        </div>
      );
    case "message":
      return (
        <MessageRow
          message={line.message}
          own={line.own}
          grouped={line.grouped}
        />
      );
    case "pending":
      return (
        <MessageRow
          pending={line.pending}
          own
          grouped={line.grouped}
          onRetry={() => connection.retryMessage(line.pending)}
        />
      );
  }
}

/** Messages after the line with key `after` (new ones below the user). */
function countAfter(lines: Line[], after: string): number {
  const index = lines.findIndex((l) => l.key === after);
  if (index < 0) return 0;
  return lines.slice(index + 1).filter((l) => l.kind === "message").length;
}

/** The row with this key. */
function findRow(scroller: HTMLElement, key: string): HTMLElement | null {
  return scroller.querySelector<HTMLElement>(`[data-key="${CSS.escape(key)}"]`);
}

/** How far an element is below the scroller's visible top, in px. */
function offsetIn(scroller: HTMLElement, el: HTMLElement): number {
  return el.getBoundingClientRect().top -
    scroller.getBoundingClientRect().top;
}

/** The first row whose bottom is below the top of the view (binary search: rows are in order). */
function topRow(
  scroller: HTMLElement,
  inner: HTMLElement | null,
): Anchor | null {
  if (!inner) return null;
  const rows = inner.children;
  const top = scroller.getBoundingClientRect().top;
  let low = 0;
  let high = rows.length - 1;
  let found: HTMLElement | null = null;
  while (low <= high) {
    const mid = (low + high) >> 1;
    const row = rows[mid] as HTMLElement;
    if (row.getBoundingClientRect().bottom > top) {
      found = row;
      high = mid - 1;
    } else {
      low = mid + 1;
    }
  }
  // Anchor on a message or notice: the intro and spinner have no key, and
  // a day line's key moves to whichever message starts the day.
  while (found && !STABLE_KEY.test(found.dataset.key ?? "")) {
    found = found.nextElementSibling as HTMLElement | null;
  }
  if (!found?.dataset.key) return null;
  return {
    key: found.dataset.key,
    top: found.getBoundingClientRect().top - top,
    scrollTop: scroller.scrollTop,
  };
}
