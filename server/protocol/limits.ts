/**
 * Fixed limits of the protocol: the server refuses past them with an error
 * code and the web client warns before sending, or (frames) the server
 * keeps to them. Limits an operator may change are settings
 * (server/settings.ts), not here.
 */

/** Longest message text, in characters, after trimming. */
export const MAX_MESSAGE_LENGTH = 4000;

/** Most attachments on one message. */
export const MAX_ATTACHMENTS = 10;

/** Longest user or room name, in characters (code points). */
export const MAX_NAME_LENGTH = 32;

/** Most names one `list_members` answer gives (a mention list shows 8). */
export const LIST_MEMBERS_LIMIT = 20;

/** Shortest and longest password, in characters (code points). */
export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 1024;

/** Most JSON objects the server joins with "\n" into one WebSocket frame. */
export const MAX_OBJECTS_PER_FRAME = 64;

/** Default and largest page sizes of `history`. */
export const HISTORY_DEFAULT_LIMIT = 50;
export const HISTORY_MAX_LIMIT = 200;

/**
 * Most private messages waiting for one offline account, from everyone
 * together; past it a send gets `mailbox_full` until the account logs in.
 */
export const MAX_WAITING_PER_RECIPIENT = 200;

/**
 * Most private messages one sender (a name) may have waiting for offline
 * accounts, all recipients together; past it: `mailbox_full`.
 */
export const MAX_WAITING_PER_SENDER = 50;

/** Largest image shown inline, in pixels (width x height); larger: a download. */
export const PREVIEW_MAX_PIXELS = 25_000_000;

/** Largest animation shown inline, in pixels of all frames together. */
export const PREVIEW_MAX_ANIMATION_PIXELS = 100_000_000;

/** A reply quotes at most this many characters of the original's text. */
export const REPLY_QUOTE_LENGTH = 200;

/** Different emoji on one message. */
export const MAX_REACTIONS_PER_MESSAGE = 20;

/** Names listed per emoji in a message's `reactions` (the count is whole). */
export const MAX_REACTION_USERS = 50;

/** A poll's question, in characters (code points) once trimmed. */
export const MAX_POLL_QUESTION = 300;

/** A poll's options: at least this many... */
export const MIN_POLL_OPTIONS = 2;

/** ...and at most this many. */
export const MAX_POLL_OPTIONS = 10;

/** One option's text, in characters (code points) once trimmed. */
export const MAX_POLL_OPTION = 100;

/** Names listed per option in a poll's `voters` (`votes` is whole). */
export const MAX_POLL_VOTERS = 100;

/** Polls one `poll_choices` asks about. */
export const MAX_POLL_CHOICE_IDS = 100;

/** Pinned messages in one room or conversation. */
export const MAX_PINS = 100;

/**
 * Texts an edited message keeps of its edits (`message_edits`): the last
 * 50 it replaced; an edit past them drops the oldest. Zulip keeps every
 * one; a bound keeps a script that edits one message forever from growing
 * a row a second without end (50 texts of 4,000 characters: 800 kB).
 */
export const MAX_KEPT_EDITS = 50;

/**
 * Messages an account may keep saved (`save_message`). Slack's "Later" and
 * Mattermost's saved lists are read a page at a time and hold a person's
 * to-dos, dozens at most; a cap keeps a script from writing a row for
 * every message it can read. 1,000 rows are about 100 kB of the store.
 */
export const MAX_SAVED = 1000;

/**
 * How far ahead a saved message's reminder may be (`remind_at`): a year,
 * as Slack's and Zulip's pickers go. Reminders are saved messages' rows,
 * so an account holds at most {@link MAX_SAVED} of them.
 */
export const MAX_REMIND_AHEAD_MS = 365 * 24 * 3600_000;

/** Default and largest page sizes of `list_saved` (each saved one is a message read). */
export const SAVED_DEFAULT_LIMIT = 50;
export const SAVED_MAX_LIMIT = 100;

/**
 * Messages an account may have scheduled (schedule_message) at once: a cap
 * so that they cannot fill the store, nor one account's sends at one time
 * the sweeps' batches.
 */
export const MAX_SCHEDULED = 100;

/** How far ahead a message may be scheduled: a year, as a reminder. */
export const MAX_SCHEDULE_AHEAD_MS = 365 * 24 * 3600_000;

/** Default and largest page sizes of `list_mentions` (each one is a message read). */
export const MENTIONS_DEFAULT_LIMIT = 50;
export const MENTIONS_MAX_LIMIT = 100;

/**
 * Default and largest page sizes of `list_threads` (each thread is a
 * message read, as a saved one is).
 */
export const THREADS_DEFAULT_LIMIT = 30;
export const THREADS_MAX_LIMIT = 100;

/** Default and largest page sizes of `list_replies` (a thread's page). */
export const REPLIES_DEFAULT_LIMIT = 50;
export const REPLIES_MAX_LIMIT = 200;

/** Default and largest page sizes of `list_conversations`. */
export const CONVERSATIONS_DEFAULT_LIMIT = 50;
export const CONVERSATIONS_MAX_LIMIT = 100;

/** Default and largest page sizes of `search`. */
export const SEARCH_DEFAULT_LIMIT = 20;
export const SEARCH_MAX_LIMIT = 50;

/** Longest search query, in characters, and most words in it. */
export const SEARCH_MAX_QUERY_LENGTH = 500;
export const SEARCH_MAX_WORDS = 32;

/**
 * Most accounts one account ignores (`ignore_user`): a bounded range of
 * rows to list at each login; past it, `forbidden` until one is unignored.
 */
export const MAX_IGNORED = 1000;

/**
 * Most members of one user group (`create_group`, `update_group`): an
 * `@group` writes a mention row for each (those who may read the room),
 * and every group's change sends its member names to every connection.
 */
export const MAX_GROUP_MEMBERS = 1000;

/** Most user groups on a server: `list_groups` answers them all. */
export const MAX_GROUPS = 1000;

/**
 * Most members of all user groups together, a member of two counting
 * twice: `list_groups`, which the web client asks at each login and
 * resume, answers them all. Without it any account could fill the other
 * caps (1,000 groups of 1,000) in under two hours of its bucket, and each
 * list was then 33.5 MiB, read in 1.1 to 1.3 s on SQLite; at this cap,
 * about 340 KiB.
 */
export const MAX_GROUP_MEMBERSHIPS = 10_000;

/**
 * Most members of the groups one account made, all together, unless it is
 * a moderator or an admin: a fifth of {@link MAX_GROUP_MEMBERSHIPS}, so that
 * one account cannot take them all (ten `create_group`s of 1,000 did,
 * within the bucket's burst) and leave the others none.
 */
export const MAX_OWN_GROUP_MEMBERSHIPS = 2_000;

/** Most characters of a group's description. */
export const MAX_GROUP_DESCRIPTION = 200;

/** Longest room topic, in characters (code points), after trimming. */
export const MAX_TOPIC_LENGTH = 250;

/** Largest profile picture, in bytes (1 MiB): PUT /api/me/avatar. */
export const MAX_AVATAR_BYTES = 1024 * 1024;

/** Widest and tallest profile picture, in pixels. */
export const MAX_AVATAR_SIDE = 1024;

/** Largest custom emoji, in bytes (256 KiB): PUT /api/emoji/:name. */
export const MAX_EMOJI_BYTES = 256 * 1024;

/** Widest and tallest custom emoji, in pixels. */
export const MAX_EMOJI_SIDE = 512;

/** Custom emoji a server keeps at most (too_many_emoji past it). */
export const MAX_CUSTOM_EMOJI = 1000;

/** Links of a message previewed, the first ones written (link_previews/). */
export const MAX_PREVIEW_LINKS = 3;
/**
 * UTF-16 units of a link previewed at most: an export holds a preview's
 * URL to it (transfer/format.ts), so a longer link is not previewed.
 */
export const MAX_PREVIEW_URL = 4096;
/** Characters (code points) kept of a link preview's title and site name. */
export const MAX_PREVIEW_TITLE = 200;
/** Characters (code points) kept of a link preview's description. */
export const MAX_PREVIEW_DESCRIPTION = 500;
