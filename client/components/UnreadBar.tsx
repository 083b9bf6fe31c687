/**
 * The "N new messages" bar at the top of the list: while the first unread
 * message of the log on screen is above the view (scrolled past, or not
 * loaded yet), it says how many came since and jumps back to the first
 * one; "Mark as read" dismisses it (Slack's and Zulip's bar).
 */

import type { JSX } from "preact";
import { t } from "../i18n.ts";
import type { RoomLog } from "../room_log.ts";
import { CloseIcon } from "./Icons.tsx";

/** Props of {@linkcode UnreadBar}. */
export interface UnreadBarProps {
  /** Messages since the first unread one (at least 1). */
  count: number;
  /** Brings the first unread message into view. */
  onJump: () => void;
  /** Dismisses the bar and its "new" line. */
  onRead: () => void;
}

/** The bar; render it only when there is something new above the view. */
export function UnreadBar(props: UnreadBarProps): JSX.Element {
  return (
    <div class="unread-bar" data-testid="unread-bar" role="status">
      <button
        type="button"
        class="unread-bar-jump"
        data-testid="unread-bar-jump"
        title={t("list.unreadJump")}
        onClick={props.onJump}
      >
        {props.count === 1
          ? t("list.unreadBarOne")
          : t("list.unreadBar", { n: props.count })}
        <span class="unread-bar-hint">{t("list.unreadJump")}</span>
      </button>
      <button
        type="button"
        class="icon-button unread-bar-read"
        data-testid="unread-bar-read"
        aria-label={t("list.unreadRead")}
        title={t("list.unreadRead")}
        onClick={props.onRead}
      >
        <CloseIcon />
      </button>
    </div>
  );
}

/**
 * How many messages from `seq` on are someone else's: those held and not
 * deleted, plus every seq between `seq` and the first one held (not loaded
 * yet, so counted as others'): the bar uses it once the first unread one
 * is loaded, the server's count (state.lineCounts) before.
 */
export function newSince(
  log: RoomLog | undefined,
  seq: number,
  mine: (message: RoomLog["messages"][number]) => boolean,
): number {
  if (!log || log.messages.length === 0) return 0;
  const first = log.messages[0].seq;
  let count = Math.max(0, first - seq);
  for (const message of log.messages) {
    if (message.seq >= seq && !message.deleted && !mine(message)) count++;
  }
  return count;
}
