/**
 * Private conversations in the sidebar: listed by the server, restored
 * from the browser, closed, and their messages filed.
 */

import { batch } from "@preact/signals";
import type {
  ConversationSummary,
  PrivateMessage,
} from "../../server/protocol/types.ts";
import { insertMessage } from "../room_log.ts";
import {
  type AppState,
  type Conversation,
  type ConversationsCursor,
  dmKey,
  entry,
  roomKey,
  type View,
} from "../state.ts";
import { forget, setCounts, setMark } from "./counts.ts";
import { keptAside, readingBack, updateLog } from "./log_update.ts";

/** Puts back the conversations remembered from an earlier visit, keeping newer ones. */
export function conversationsRestored(
  state: AppState,
  saved: Conversation[],
): void {
  batch(() => {
    const conversations = { ...state.conversations.value };
    for (const c of saved) {
      const key = roomKey(c.name);
      if (!conversations[key]) conversations[key] = c;
    }
    state.conversations.value = conversations;
  });
}

/** A page of `list_conversations` as the sidebar takes it. */
export interface ListedConversations {
  /** The page, newest first. */
  conversations: ConversationSummary[];
  /** The reply's `next`: older conversations follow. */
  next?: string;
  /** The cursor the page was asked below; none for the newest page. */
  above?: ConversationsCursor;
  /**
   * The sidebar's rows when the page was asked. Only a row still the same
   * may be dropped: one changed since (a message came, the list answered
   * meanwhile) may be newer than what the server counted.
   */
  asked?: Record<string, Conversation>;
}

/**
 * The account's conversations as the server lists them (after a login and
 * each resume, and each "show more"), merged into the sidebar: each one is
 * added (or its time moved up), and its read state taken from the server
 * unless this page has counted a message newer than the list's. A row the
 * page's range covers that the server no longer lists (its messages
 * expired, its partner's account deleted) goes, unless it was opened here
 * with no message yet or is on screen (it goes at a later list).
 */
export function conversationsListed(
  state: AppState,
  page: ListedConversations,
): void {
  batch(() => {
    const listed = page.conversations;
    const conversations = { ...state.conversations.value };
    const keys = new Set<string>();
    for (const c of listed) {
      const key = roomKey(c.with);
      keys.add(key);
      const closed = entry(state.closedConversations.value, key);
      if (closed !== undefined && closed >= c.last_ts) continue;
      const known = conversations[key];
      // A message newer than the list's came here: it is the news.
      const newer = known !== undefined && known.lastTs > c.last_ts;
      conversations[key] = {
        name: known?.name ?? c.with,
        lastTs: newer ? known.lastTs : c.last_ts,
        ...(c.deleted && !newer ? { deleted: true } : {}),
      };
      const logKey = dmKey(c.with);
      const mark = entry(state.readMarks.value, logKey);
      // Events past the list's newest message were counted on top of it.
      if (mark && mark.lastSeq > c.last_seq) continue;
      setMark(state, logKey, {
        lastRead: Math.max(mark?.lastRead ?? 0, c.last_read_seq),
        lastSeq: c.last_seq,
      });
      // The conversation on screen is being read: no badge for it.
      if (state.visible.value && state.viewKey.value === logKey) continue;
      setCounts(state, logKey, c);
    }
    // The page covers the times from its cursor's (the newest page: from
    // now) down to its last one's when older ones follow, else to the
    // start. Ties at either end may be on the next page: kept.
    const oldest = listed.length > 0 && page.next !== undefined
      ? listed[listed.length - 1].last_ts
      : null;
    const newest = page.above?.lastTs ?? null;
    const shown = state.view.value;
    for (const [key, c] of Object.entries(conversations)) {
      if (keys.has(key) || c.opened || page.asked?.[key] !== c) continue;
      if (oldest !== null && c.lastTs <= oldest) continue;
      if (newest !== null && c.lastTs >= newest) continue;
      if (shown.kind === "dm" && roomKey(shown.with) === key) continue;
      delete conversations[key];
      forgetConversation(state, c.name);
    }
    state.conversations.value = conversations;
    if (
      page.above === undefined || state.conversationsNext.value === page.above
    ) {
      state.conversationsNext.value = oldest === null
        ? null
        : { before: page.next!, lastTs: oldest };
    }
  });
}

/**
 * Removes a conversation from the sidebar; it comes back with its next
 * message (the server's list too brings it back only then).
 */
export function conversationClosed(state: AppState, name: string): void {
  batch(() => {
    const key = roomKey(name);
    const { [key]: gone, ...conversations } = state.conversations.value;
    state.conversations.value = conversations;
    if (gone) {
      state.closedConversations.value = {
        ...state.closedConversations.value,
        [key]: gone.lastTs,
      };
    }
    forgetConversation(state, name);
    const shown = state.view.value;
    if (shown.kind === "dm" && roomKey(shown.with) === key) {
      state.view.value = { kind: "room" };
    }
  });
}

/**
 * A conversation `/msg` started with a name nobody has: it leaves the
 * sidebar (no marker: nothing to come back with), and the user is back
 * where they typed, with their words in the composer to correct. Only if
 * the conversation is still on screen; a user who moved on stays there.
 */
export function conversationRefused(
  state: AppState,
  refused: { name: string; back: View; input: string },
): void {
  batch(() => {
    const key = roomKey(refused.name);
    const { [key]: _gone, ...conversations } = state.conversations.value;
    state.conversations.value = conversations;
    forgetConversation(state, refused.name);
    const shown = state.view.value;
    if (shown.kind !== "dm" || roomKey(shown.with) !== key) return;
    state.view.value = refused.back;
    const draft = state.viewKey.value;
    if (!entry(state.drafts.value, draft)) {
      state.drafts.value = { ...state.drafts.value, [draft]: refused.input };
    }
  });
}

/** Files a private message under its conversation (counting is {@linkcode messageCounted}'s job). */
export function privateMessageReceived(
  state: AppState,
  received: { message: PrivateMessage; me: string },
): void {
  const { message, me } = received;
  const fromMe = roomKey(message.user) === roomKey(me);
  const other = fromMe ? message.to : message.user;
  const key = roomKey(other);
  batch(() => {
    const logKey = dmKey(other);
    const shown = state.view.value;
    const open = shown.kind === "dm" && roomKey(shown.with) === key;
    const known = entry(state.conversations.value, key);
    const lastTs = known && known.lastTs > message.ts
      ? known.lastTs
      : message.ts;
    state.conversations.value = {
      ...state.conversations.value,
      [key]: { name: other, lastTs },
    };
    if (open && shown.with !== other) {
      state.view.value = { kind: "dm", with: other };
    }
    updateLog(
      state,
      logKey,
      (log) => {
        const kept = insertMessage(
          log,
          { ...message, room: logKey },
          readingBack(state, logKey),
        );
        return open ? kept : keptAside(kept);
      },
    );
  });
}

/** Drops what the page holds of a conversation gone from the sidebar: its log and counts. */
function forgetConversation(state: AppState, name: string): void {
  const { [dmKey(name)]: _log, ...logs } = state.logs.value;
  state.logs.value = logs;
  forget(state, dmKey(name));
}
