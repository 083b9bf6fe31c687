/**
 * A log's lines: history pages, live and pending messages, notices,
 * edits, and what is said to screen readers.
 */

import { batch } from "@preact/signals";
import type { ChatMessage } from "../../server/protocol/types.ts";
import {
  addNotice,
  emptyLog,
  insertMessage,
  lastSeq,
  mergePage,
  type Notice,
  type PendingMessage,
  replaceMessage,
  threadCounted,
  type Words,
} from "../room_log.ts";
import { type AppState, entry, roomKey } from "../state.ts";
import type { ThreadEvent } from "../thread_count.ts";
import { keptAside, readingBack, updateLog } from "./log_update.ts";
import { pollDrawn } from "./polls.ts";

let noticeCounter = 0;

/**
 * Forgets what the client held of a room: the server says it is another
 * room now (created again under its name, or a restored database).
 */
export function roomLogReset(state: AppState, room: string): void {
  batch(() => updateLog(state, room, () => emptyLog()));
}

/**
 * Merges a page of history into a room's log; `end`: the page reached the
 * newest message the server had.
 */
export function historyLoaded(
  state: AppState,
  page: { room: string; messages: ChatMessage[]; end?: boolean },
): void {
  batch(() =>
    updateLog(
      state,
      page.room,
      (log) => mergePage(log, page.messages, page.end),
    )
  );
}

/**
 * Adds a confirmed message, replacing the pending one with its `client_id`.
 * An account hears every room it belongs to; a room not on screen gets no
 * gap filling, so a message that does not follow what its log holds
 * starts the log again rather than hide the messages in between.
 */
export function messageReceived(state: AppState, message: ChatMessage): void {
  batch(() =>
    updateLog(state, message.room, (log) => {
      const last = lastSeq(log);
      const elsewhere = roomKey(message.room) !==
        roomKey(state.currentRoom.value);
      if (elsewhere && last > 0 && message.seq > last + 1) {
        return insertMessage({ ...emptyLog(), pending: log.pending }, message);
      }
      const kept = insertMessage(
        log,
        message,
        readingBack(state, message.room),
      );
      return elsewhere ? keptAside(kept) : kept;
    })
  );
}

/** Shows a message the user just sent, before the server confirms it. */
export function pendingAdded(state: AppState, pending: PendingMessage): void {
  batch(() =>
    updateLog(
      state,
      pending.room,
      (log) => ({ ...log, pending: [...log.pending, pending] }),
    )
  );
}

/** Marks a pending message as failed (with the server's reason) or as pending again. */
export function pendingChanged(
  state: AppState,
  change: Pick<PendingMessage, "room" | "clientId" | "status" | "error">,
): void {
  const { room, clientId, status, error } = change;
  batch(() =>
    updateLog(state, room, (log) => ({
      ...log,
      pending: log.pending.map((p) =>
        p.clientId === clientId ? { ...p, status, error } : p
      ),
    }))
  );
}

/** Forgets a pending message the user dismissed. */
export function pendingRemoved(
  state: AppState,
  pending: Pick<PendingMessage, "room" | "clientId">,
): void {
  batch(() =>
    updateLog(state, pending.room, (log) => ({
      ...log,
      pending: log.pending.filter((p) => p.clientId !== pending.clientId),
    }))
  );
}

/**
 * Adds a system, info, warning or error line to a log (room or `@name`);
 * `ts` defaults to now. `text` given as {@linkcode Words} is said again in
 * the interface's language when it changes; a string stays as written.
 */
export function noticeAdded(
  state: AppState,
  notice: {
    room: string;
    kind: Notice["kind"];
    text: string | Words;
    system?: Notice["system"];
    invite?: Notice["invite"];
    ts?: string;
  },
): void {
  noticeCounter++;
  const words = typeof notice.text === "function" ? notice.text : undefined;
  const line = {
    key: `n${noticeCounter}`,
    kind: notice.kind,
    text: words?.() ?? notice.text as string,
    system: notice.system,
    words,
    invite: notice.invite,
    ts: notice.ts ?? new Date().toISOString(),
  };
  batch(() => updateLog(state, notice.room, (log) => addNotice(log, line)));
}

/** The "Invite" of line `key` in log `room` was used: the line stays, its button goes. */
export function inviteOfferUsed(
  state: AppState,
  room: string,
  key: string,
): void {
  batch(() =>
    updateLog(state, room, (log) => ({
      ...log,
      notices: log.notices.map((notice) =>
        notice.key === key ? { ...notice, invite: undefined } : notice
      ),
    }))
  );
}

/**
 * Shows why a request failed where the user is looking (nothing when it
 * did not fail), said again when the language changes if `words` says it.
 */
export function errorShown(
  state: AppState,
  error: { message: string; words?: Words } | null | undefined,
): void {
  if (!error) return;
  noticeAdded(state, {
    room: state.viewKey.value,
    kind: "error",
    text: error.words ?? error.message,
  });
}

/** Replaces an edited or deleted message where it is held. */
export function messageUpdated(state: AppState, message: ChatMessage): void {
  batch(() => {
    updateLog(state, message.room, (log) => replaceMessage(log, message));
    pollDrawn(state, message.id);
    if (message.deleted && state.editing.value === message.id) {
      state.editing.value = null;
    }
    // The live region stays in the page (a screen reader can walk back to
    // it): a deleted message's text must not stay readable there.
    if (message.deleted && state.announcedId.value === message.id) {
      state.announcement.value = "";
      state.announcedId.value = null;
    }
  });
}

/**
 * A message's thread changed (`replies_updated`): its count and newest
 * reply, in the log `key` that holds it.
 */
export function threadUpdated(
  state: AppState,
  key: string,
  thread: ThreadEvent,
): void {
  // A log not held has nothing to change (and gets no empty entry).
  if (entry(state.logs.value, roomKey(key)) === undefined) return;
  batch(() => {
    updateLog(state, key, (log) => threadCounted(log, thread));
  });
}

/** Marks a log's older history as being fetched, or done. */
export function olderLoading(
  state: AppState,
  loading: { key: string; busy: boolean },
): void {
  batch(() => {
    const { [loading.key]: _was, ...rest } = state.loadingOlder.value;
    state.loadingOlder.value = loading.busy
      ? { ...rest, [loading.key]: true }
      : rest;
  });
}

/** Says a new message to screen readers (the polite live region). */
export function announced(
  state: AppState,
  said: { id: string; text: string },
): void {
  batch(() => {
    state.announcement.value = said.text;
    state.announcedId.value = said.id;
  });
}
