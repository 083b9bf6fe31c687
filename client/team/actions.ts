/** The only writers of the team features' state (see `state.ts` here). */

import { batch } from "@preact/signals";
import type {
  ChatMessage,
  PrivateMessage,
  ReminderEvent,
  ScheduledMessage,
} from "../../server/protocol/types.ts";
import type { AppState } from "../state.ts";
import { isLaterThread, type ThreadEvent } from "../thread_count.ts";
import type { JumpTarget, ThreadTarget } from "./state.ts";

/**
 * Opens the search dialog, with `query` to search at once, or closes it;
 * opening it closes the pins panel and the quick switcher.
 */
export function searchToggled(
  state: AppState,
  open: boolean,
  query = "",
): void {
  batch(() => {
    state.team.searchOpen.value = open;
    state.team.searchQuery.value = open ? query : "";
    if (open) state.team.pinsOpen.value = false;
    // Hidden behind the search dialog, they came back as it closed.
    if (open) state.team.savedOpen.value = false;
    if (open) state.team.mentionsOpen.value = false;
    if (open) state.team.threadsOpen.value = false;
    if (open) state.team.thread.value = null;
    if (open) state.switcherOpen.value = false;
  });
}

/** Opens or closes the pins panel (opening it closes the search dialog and the quick switcher). */
export function pinsToggled(state: AppState, open: boolean): void {
  batch(() => {
    state.team.pinsOpen.value = open;
    if (open) state.team.thread.value = null;
    if (open) state.team.searchOpen.value = false;
    if (open) state.team.savedOpen.value = false;
    if (open) state.team.mentionsOpen.value = false;
    if (open) state.team.threadsOpen.value = false;
    if (open) state.switcherOpen.value = false;
  });
}

/** Opens or closes the saved messages panel (closing the other panels). */
export function savedToggled(state: AppState, open: boolean): void {
  batch(() => {
    state.team.savedOpen.value = open;
    if (open) state.team.mentionsOpen.value = false;
    if (open) state.team.threadsOpen.value = false;
    if (open) state.team.thread.value = null;
    if (open) state.team.searchOpen.value = false;
    if (open) state.team.pinsOpen.value = false;
    if (open) state.team.scheduledOpen.value = false;
    if (open) state.switcherOpen.value = false;
  });
}

/** Opens or closes the scheduled messages panel (closing the others). */
export function scheduledToggled(state: AppState, open: boolean): void {
  batch(() => {
    state.team.scheduledOpen.value = open;
    if (open) {
      state.team.savedOpen.value = false;
      state.team.mentionsOpen.value = false;
      state.team.threadsOpen.value = false;
      state.team.thread.value = null;
      state.team.searchOpen.value = false;
      state.team.pinsOpen.value = false;
      state.switcherOpen.value = false;
    }
  });
}

/** The account's scheduled messages as the server listed them. */
export function scheduledListed(
  state: AppState,
  list: ScheduledMessage[],
): void {
  state.team.scheduled.value = list;
}

/**
 * One scheduled or changed (a reply, or a `scheduled` event): in the
 * list at its time, once it was read.
 */
export function scheduledHeard(state: AppState, item: ScheduledMessage): void {
  const list = state.team.scheduled.value;
  if (list === null) return;
  state.team.scheduled.value = [
    ...list.filter((s) => s.id !== item.id),
    item,
  ].sort((a, b) => a.send_at < b.send_at ? -1 : a.send_at > b.send_at ? 1 : 0);
}

/** One cancelled, sent or refused at its time: out of the list. */
export function scheduledGone(state: AppState, id: string): void {
  const list = state.team.scheduled.value;
  if (list === null) return;
  state.team.scheduled.value = list.filter((s) => s.id !== id);
}

/**
 * Opens or closes the recent mentions panel (closing the other panels);
 * either way it starts again with no message heard.
 */
export function mentionsToggled(state: AppState, open: boolean): void {
  batch(() => {
    state.team.mentionsOpen.value = open;
    state.team.mentionsHeard.value = [];
    if (open) state.team.thread.value = null;
    if (open) state.team.searchOpen.value = false;
    if (open) state.team.pinsOpen.value = false;
    if (open) state.team.savedOpen.value = false;
    if (open) state.team.threadsOpen.value = false;
    if (open) state.switcherOpen.value = false;
  });
}

/** Opens or closes the threads panel (closing the other panels). */
export function threadsToggled(state: AppState, open: boolean): void {
  batch(() => {
    state.team.threadsOpen.value = open;
    if (open) state.team.mentionsOpen.value = false;
    if (open) state.team.thread.value = null;
    if (open) state.team.searchOpen.value = false;
    if (open) state.team.pinsOpen.value = false;
    if (open) state.team.savedOpen.value = false;
    if (open) state.switcherOpen.value = false;
  });
}

/**
 * A new message mentioned the account: put at the top of the mentions
 * panel when it is open (when it is not, the panel's next opening asks
 * the server, which has it).
 */
export function mentionHeard(
  state: AppState,
  message: ChatMessage | PrivateMessage,
): void {
  if (!state.team.mentionsOpen.value) return;
  const heard = state.team.mentionsHeard.value;
  if (heard.some((m) => m.id === message.id)) return;
  state.team.mentionsHeard.value = [message, ...heard];
}

/** Something may have changed the account's threads (see threadsHeard). */
export function threadsChanged(state: AppState): void {
  state.team.threadsHeard.value++;
}

/** Opens a message's thread panel (closing the other panels), or closes it (null). */
export function threadToggled(
  state: AppState,
  target: ThreadTarget | null,
): void {
  batch(() => {
    if (state.team.thread.value?.id !== target?.id) {
      state.team.threadCount.value = null;
    }
    state.team.thread.value = target;
    if (target) state.team.searchOpen.value = false;
    if (target) state.team.pinsOpen.value = false;
    if (target) state.team.savedOpen.value = false;
    if (target) state.team.mentionsOpen.value = false;
    if (target) state.team.threadsOpen.value = false;
    if (target) state.switcherOpen.value = false;
  });
}

/**
 * A thread's count changed (`replies_updated`): kept for the open panel
 * when it is that thread's and later than the one kept.
 */
export function threadHeard(
  state: AppState,
  thread: ThreadEvent,
): void {
  threadsChanged(state);
  if (state.team.thread.value?.id !== thread.id) return;
  const { id: _id, seq: _seq, ...count } = thread;
  const held = state.team.threadCount.value;
  if (held === null || isLaterThread(held, count)) {
    state.team.threadCount.value = count;
  }
}

/** Notes messages saved (true) or not (false) by the account. */
export function savedNoted(
  state: AppState,
  changes: Record<string, boolean>,
): void {
  const saved = state.team.saved.value;
  // Not known yet: the login's read of every id, under way or to come,
  // says these (connection/saved.ts keeps what it hears meanwhile).
  if (saved === null) return;
  state.team.saved.value = { ...saved, ...changes };
}

/** Most reminders kept atop the saved panel: the newest. */
const REMINDERS_KEPT = 20;

/** A saved message's reminder came due: a line atop the saved panel. */
export function reminderHeard(state: AppState, event: ReminderEvent): void {
  const kept = state.team.reminders.value.filter((r) => r.id !== event.id);
  state.team.reminders.value = [event, ...kept].slice(0, REMINDERS_KEPT);
}

/** A saved message's reminder was set (ISO 8601) or cleared (null). */
export function reminderChanged(
  state: AppState,
  id: string,
  remindAt: string | null,
): void {
  state.team.reminderChange.value = { id, remindAt };
}

/** The line of a reminder (or, without an id, every line) is dismissed. */
export function reminderDismissed(state: AppState, id?: string): void {
  state.team.reminders.value = id === undefined
    ? []
    : state.team.reminders.value.filter((r) => r.id !== id);
}

/**
 * Sets the messages the account saved to `ids` (all of them, as the server
 * listed them), then `heard` over them: what this page heard while the
 * list was on its way is newer than, or the same as, what it says.
 */
export function savedListed(
  state: AppState,
  ids: string[],
  heard: Record<string, boolean>,
): void {
  const saved: Record<string, boolean> = {};
  for (const id of ids) saved[id] = true;
  state.team.saved.value = { ...saved, ...heard };
}

/** Makes the composer of log `key` answer `message`, or stop answering (null). */
export function replyChosen(
  state: AppState,
  key: string,
  message: ChatMessage | null,
): void {
  batch(() => {
    const { [key]: _was, ...rest } = state.team.replyTo.value;
    state.team.replyTo.value = message ? { ...rest, [key]: message } : rest;
  });
}

/** Asks the message list to bring a message into view once its log holds it. */
export function jumpRequested(state: AppState, target: JumpTarget): void {
  batch(() => {
    state.team.jump.value = { ...target };
  });
}

/** The jump target is on screen: highlight it for a moment. */
export function jumpShown(state: AppState, target: JumpTarget): void {
  batch(() => {
    state.team.jump.value = null;
    state.team.flash.value = target;
  });
}

/** The highlight of `target` is over (a newer one stays). */
export function flashEnded(state: AppState, target: JumpTarget): void {
  batch(() => {
    if (state.team.flash.value === target) state.team.flash.value = null;
  });
}
