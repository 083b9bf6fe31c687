/**
 * The team features' state (search, replies, pins, jumping to a message):
 * signals only, kept beside the app's own in `AppState.team`. The writers
 * are in `actions.ts` next to this file.
 */

import { type Signal, signal } from "@preact/signals";
import type {
  ChatMessage,
  PrivateMessage,
  ReminderEvent,
  ScheduledMessage,
} from "../../server/protocol/types.ts";
import type { ThreadCount } from "../thread_count.ts";

/** A message to bring into view, by its log key and seq. */
export interface JumpTarget {
  /** The log key: a room's key, or `@name` of a conversation. */
  key: string;
  /** The message's seq in that log. */
  seq: number;
}

/** A thread to show: its root's id in a log. */
export interface ThreadTarget {
  /** The log key: a room's key, or `@name` of a conversation. */
  key: string;
  /** The root message's id. */
  id: string;
}

/** All team-feature state, as signals. */
export interface TeamState {
  /** Whether the search dialog is open. */
  searchOpen: Signal<boolean>;
  /** The words the search dialog opens with (`/search words`). */
  searchQuery: Signal<string>;
  /** Whether the pins panel of the log on screen is open. */
  pinsOpen: Signal<boolean>;
  /** Whether the saved messages panel is open. */
  savedOpen: Signal<boolean>;
  /** Whether the recent mentions panel is open. */
  mentionsOpen: Signal<boolean>;
  /**
   * Messages that mentioned the account since the mentions panel opened,
   * the newest first: the panel shows them above the page it asked for.
   */
  mentionsHeard: Signal<(ChatMessage | PrivateMessage)[]>;
  /** Whether the panel of the threads the account takes part in is open. */
  threadsOpen: Signal<boolean>;
  /**
   * Counts what may have changed the account's threads (`replies_updated`,
   * `thread_read`): the open threads panel reads its list again when it
   * moves.
   */
  threadsHeard: Signal<number>;
  /** The message whose thread panel is open, by log key and id; null: none. */
  thread: Signal<ThreadTarget | null>;
  /**
   * The open thread's count as `replies_updated` last told it (the later
   * state, thread_count.ts); null until one came. The panel follows it
   * whether or not a log holds the root (scrolled out, never loaded).
   */
  threadCount: Signal<ThreadCount | null>;
  /**
   * Ids of the messages the account saved, as far as this page heard:
   * replies, `saved` events and the saved panel's list. Null from a login
   * until its read of every saved id (connection/saved.ts) answers: which
   * messages are saved is not known, and a message's Save action waits
   * (a Save shown meanwhile could have been a saved message's).
   */
  saved: Signal<Record<string, boolean> | null>;
  /**
   * The reminders that came due while this page was open (`reminder`
   * events), newest first, until dismissed: a line each atop the saved
   * messages panel.
   */
  reminders: Signal<ReminderEvent[]>;
  /**
   * The last reminder this page heard set or cleared (by its own
   * save_message, another device's `saved`, or `reminder` as it fired):
   * the open saved panel follows it.
   */
  reminderChange: Signal<{ id: string; remindAt: string | null } | null>;
  /** Whether the panel of the account's scheduled messages is open. */
  scheduledOpen: Signal<boolean>;
  /**
   * The account's scheduled messages, the soonest first: read when the
   * panel opens, then kept by this page's requests and the `scheduled…`
   * events of every device; null until read.
   */
  scheduled: Signal<ScheduledMessage[] | null>;
  /** The message each log's composer answers, by log key. */
  replyTo: Signal<Record<string, ChatMessage>>;
  /** A message to scroll to once its log shows it; cleared when shown. */
  jump: Signal<JumpTarget | null>;
  /** The message briefly highlighted after a jump. */
  flash: Signal<JumpTarget | null>;
}

/** Creates the team state of a fresh client. */
export function createTeamState(): TeamState {
  return {
    searchOpen: signal(false),
    searchQuery: signal(""),
    pinsOpen: signal(false),
    savedOpen: signal(false),
    mentionsOpen: signal(false),
    mentionsHeard: signal([]),
    threadsOpen: signal(false),
    threadsHeard: signal(0),
    thread: signal(null),
    threadCount: signal(null),
    saved: signal(null),
    reminders: signal([]),
    scheduledOpen: signal(false),
    scheduled: signal(null),
    reminderChange: signal(null),
    replyTo: signal({}),
    jump: signal(null),
    flash: signal(null),
  };
}
