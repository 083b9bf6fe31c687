/**
 * The client's state: signals and the values computed from them. Nothing
 * here writes; `actions.ts` does.
 */

import {
  computed,
  type ReadonlySignal,
  type Signal,
  signal,
} from "@preact/signals";
import type {
  Attachment,
  ChatMessage,
  CustomEmoji,
  EmailState,
  Group,
  MessageBadge,
  MissedMailState,
  Role,
  RoomSummary,
  Section,
  Status,
} from "../server/protocol/types.ts";
import { GENERAL_ROOM } from "../server/protocol/types.ts";
import { nameKey } from "../server/protocol/names.ts";
import type { Notice, PendingMessage, RoomLog, Words } from "./room_log.ts";
import type { EmojiNames } from "./emoji_names.ts";
import type { EmojiTones, SkinTone } from "./emoji_tones.ts";
import type { Lang } from "./i18n.ts";
import { createTeamState, type TeamState } from "./team/state.ts";

/**
 * Where the socket is: connecting, online, offline until `retryAt` (ms since
 * epoch), or idle (closed on purpose; opens again when the user logs in).
 */
export type ConnectionStatus =
  | { kind: "connecting" }
  | { kind: "online" }
  | { kind: "offline"; retryAt: number }
  | { kind: "idle" };

/** What the middle column shows: the current room, or a private conversation. */
export type View = { kind: "room" } | { kind: "dm"; with: string };

/** One private conversation in the sidebar; its unread count is in `unread` under its {@linkcode dmKey}. */
export interface Conversation {
  /** The other user's name, as the server spelled it. */
  name: string;
  /** When the last message came, ISO-8601 (for ordering). */
  lastTs: string;
  /**
   * Opened in this page with no message yet: the server cannot list it, so
   * no list drops it. Not remembered: a later visit has it only if listed.
   */
  opened?: boolean;
  /**
   * The other side's account was deleted after the last message (the
   * server's list says so): shown greyed, as a deleted account. A newer
   * message, with whoever holds the name now, ends it.
   */
  deleted?: boolean;
}

/**
 * Where the server's list of conversations goes on past the pages the
 * sidebar fetched: the `next` of the oldest page, and the time of that
 * page's last conversation (the rows older than it are not fetched yet).
 */
export interface ConversationsCursor {
  /** The reply's `next`, sent back as `before`. */
  before: string;
  /** The `last_ts` of the fetched page's last conversation, ISO-8601. */
  lastTs: string;
}

/** Someone typing in a room or conversation, until a time (ms since epoch). */
export interface Typist {
  /** The name as the server spelled it. */
  name: string;
  /** When the indicator goes away without another `typing` event. */
  until: number;
}

/** A file the composer is uploading or has uploaded, waiting to be sent. */
export interface Upload {
  /** Local key for rendering and removal. */
  id: string;
  /** The file's name as the user's system gave it. */
  name: string;
  /** Size in bytes. */
  size: number;
  /** `uploading`, `done` (the attachment is set) or `failed` (the error is set). */
  status: "uploading" | "done" | "failed";
  /** What the server answered, once uploaded. */
  attachment?: Attachment;
  /** Why it failed, for people. */
  error?: string;
  /** A `blob:` URL of the local file, for an image thumbnail; revoked when removed. */
  preview?: string;
}

/** A room an account belongs to, as the sidebar lists it. */
export interface Membership {
  /** The room's name as the server spelled it. */
  room: string;
  /** Whether it is invite-only. */
  private: boolean;
}

/**
 * Where an account has read up to in a log, as the server keeps it for
 * every device, and the newest seq known there.
 */
export interface ReadMark {
  /** The newest seq read (0: nothing yet). */
  lastRead: number;
  /** The newest seq of the log, as far as this client knows. */
  lastSeq: number;
}

/** Whether the browser may show desktop notifications, or has no Notification API. */
export type NotifyPermission = NotificationPermission | "unsupported";

/** One row of the message list, in display order. */
export type Line =
  | {
    kind: "message";
    key: string;
    message: ChatMessage;
    own: boolean;
    grouped: boolean;
  }
  | { kind: "pending"; key: string; pending: PendingMessage; grouped: boolean }
  | { kind: "notice"; key: string; notice: Notice }
  | { kind: "day"; key: string; ts: string }
  | { kind: "unread"; key: string };

/** This client's `set_sections` under way, and the layout the server has. */
export interface SectionWrites {
  confirmed: Section[];
  pending: readonly Section[][];
}

/** A poll's choice this page sent, and how many of its votes are unanswered. */
export interface PollVote {
  choice: readonly number[];
  inFlight: number;
}

/** All client state, as signals. */
/** A moderator or admin account, as `list_accounts` with `staff` lists it. */
export interface StaffMember {
  role: Role;
  /** When the account was made (ms): a message older than that was a guest's. */
  since: number;
}

export interface AppState {
  /** The socket's state. */
  status: Signal<ConnectionStatus>;
  /** True while the socket is back but the session is not yet resumed. */
  resuming: Signal<boolean>;
  /**
   * True once a login has shown its room's latest messages (false before,
   * and after a logout): a message link waits for it, or the login's page
   * would land on top of the link's.
   */
  entered: Signal<boolean>;
  /** The logged-in user's name as the server spelled it; null before login. */
  username: Signal<string | null>;
  /** The logged-in user's role. */
  role: Signal<Role | null>;
  /**
   * For a moderator or admin: the accounts ranked above `user`, by name
   * key, so the page hides what the rank rule would refuse (client/ranks.ts);
   * null until read, when nobody's rank is known. Empty for everyone else,
   * to whom no one's rank matters.
   */
  staff: Signal<Record<string, StaffMember> | null>;
  /**
   * The accounts this account ignores (`list_ignored`, `ignored` events),
   * by name key, each with its name: their messages in rooms are hidden
   * behind a "show" button, and nothing of theirs sounds or notifies.
   */
  ignored: Signal<Record<string, string>>;
  /** The ids of ignored accounts' messages this user asked to see. */
  shownIgnored: Signal<Record<string, true>>;
  /**
   * The server's user groups (`list_groups`, `group_updated` events), by
   * name key: offered after people when completing "@", and managed in
   * the Groups dialog. Empty for a guest.
   */
  groups: Signal<Record<string, Group>>;
  /**
   * The server's custom emoji (`list_emoji`, `emoji_updated` events), by
   * name: shown for their `:name:` in messages and reactions, offered in
   * the picker and by ":" completion.
   */
  customEmoji: Signal<Record<string, CustomEmoji>>;
  /** Whether the session is an account's (cookie) rather than a guest's. */
  account: Signal<boolean>;
  /**
   * How this browser last got in, kept by it: the login screen opens on
   * that tab, so an account's owner logged out (or whose session ended)
   * is not offered to join as a guest first. Never a name: a logout
   * leaves nothing of the account in the browser.
   */
  wayIn: Signal<"guest" | "account" | null>;
  /** True while the page looks for a saved session, before showing the login form. */
  sessionCheck: Signal<boolean>;
  /**
   * Why a moderator removed this user (kick or ban), shown on the login
   * screen in the interface's language now (room_log.ts Words).
   */
  removal: Signal<Words | null>;
  /**
   * Why the last login failed or the session ended: words said in the
   * interface's language now (room_log.ts Words), so the login form's
   * language buttons turn it too.
   */
  loginError: Signal<Words | null>;
  /** True while a login request is in flight. */
  loginBusy: Signal<boolean>;
  /**
   * True once a sign-in's password proved right and the account asks for
   * its two-factor code (`totp_required`): the login form's second step.
   */
  loginTotp: Signal<boolean>;
  /** The room this connection is in. */
  currentRoom: Signal<string>;
  /** Every room with its user count, from `room_list`. */
  rooms: Signal<RoomSummary[]>;
  /**
   * The rooms this reader knows, by room key, with their names as the
   * server spells them: the room list (public rooms, and the private ones
   * the account is in), its memberships and the current room. A `#name`
   * in a message is a link only to one of these, so a private room's name
   * reveals nothing to someone outside it.
   */
  knownRooms: ReadonlySignal<Record<string, string>>;
  /** Logs by key: a room's key, or {@linkcode dmKey} of a private conversation. */
  logs: Signal<Record<string, RoomLog>>;
  /** Private conversations by the other user's key. */
  conversations: Signal<Record<string, Conversation>>;
  /**
   * Conversations closed from the sidebar in this page, by the other
   * user's key: the time of the last message then (ISO-8601). The server's
   * list brings one back only with a newer message.
   */
  closedConversations: Signal<Record<string, string>>;
  /**
   * Where the account's list of conversations goes on past the pages
   * fetched, or null when they hold it whole (or none was fetched).
   */
  conversationsNext: Signal<ConversationsCursor | null>;
  /** What the middle column shows. */
  view: Signal<View>;
  /** Users in the current room. */
  members: Signal<string[]>;
  /**
   * The current room's owner (a name key) as its member list says, or null:
   * none (general, a guest's room) or no list yet. Nobody removes the
   * owner, and the owner removes anyone.
   */
  membersOwner: Signal<string | null>;
  /**
   * Whether `members` says who is online now: false from the moment the
   * socket drops until the next member list arrives, so no green dot shows
   * a presence this client can no longer see.
   */
  presenceKnown: Signal<boolean>;
  /** An account's rooms by room key (empty for guests, who have one room at a time). */
  memberships: Signal<Record<string, Membership>>;
  /** An account's read positions by log key, from the server. */
  readMarks: Signal<Record<string, ReadMark>>;
  /** Rooms (by key) whose members and invite links this user manages: owner, moderator or admin. */
  manages: Signal<Record<string, true>>;
  /** Whether the invite dialog of the current room is open. */
  inviteOpen: Signal<boolean>;
  /**
   * How many `joined` events the current room has heard: the invite dialog
   * reads its links again on each, so a link's use count follows the people
   * who come in through it.
   */
  roomJoins: Signal<number>;
  /** The latest new message, for screen readers (a polite live region). */
  announcement: Signal<string>;
  /** The id of the message announced, so its deletion takes its text back. */
  announcedId: Signal<string | null>;
  /** Whether the quick switcher (Ctrl+K) is open. */
  switcherOpen: Signal<boolean>;
  /** Whether the room drawer is open (narrow screens). */
  drawerOpen: Signal<boolean>;
  /** Whether the member panel is open (narrow screens). */
  membersOpen: Signal<boolean>;
  /** Whether the page is visible (`document.visibilityState`). */
  visible: Signal<boolean>;
  /**
   * Unread messages by log key. An account's rooms hold the server's
   * numbers (the same on every device), moved on by live messages; a
   * guest only counts what reached it: its current room's messages while
   * a conversation is open or the tab is hidden.
   */
  unread: Signal<Record<string, number>>;
  /** Unread messages that mention this user, by log key. */
  mentions: Signal<Record<string, number>>;
  /** The seq of the first message that came while a log was not watched: the "new" line goes above it. */
  firstUnread: Signal<Record<string, number>>;
  /**
   * How many messages by others are unread from a log's "new" line on, by
   * log key: the server's count when the line was placed (`from`, its seq)
   * and those that came since. The bar says it when the first unread
   * message is not loaded; an entry whose `from` is not the line's is old.
   */
  lineCounts: Signal<Record<string, { from: number; count: number }>>;
  /**
   * The log on screen that was marked unread ("Mark unread" here or on
   * another device): not marked read again until the view moves on.
   */
  readHeld: Signal<string | null>;
  /**
   * The account's notification levels other than `mentions`, by log key
   * (rooms and `@name`), as the server keeps them (set_notify_level):
   * `none` makes no sound, no notification and no push; `all` alerts for
   * every message.
   */
  notifyLevels: Signal<Record<string, NotifyLevel>>;
  /**
   * The account's starred rooms and conversations by log key (rooms and
   * `@name`), each with its name as the server spelled it (star): the
   * sidebar's "Starred" section, on every device.
   */
  starred: Signal<Record<string, string>>;
  /**
   * The account's sidebar sections (set_sections), in its order, each item
   * `#room` or `@name` as the server spelled it: drawn above the usual
   * Rooms and Conversations, the same on every device.
   */
  sections: Signal<Section[]>;
  /**
   * What `sections` falls back to when a `set_sections` of this client's
   * is refused: the layouts it sent that are not answered yet (oldest
   * first), and the last one the server confirmed (the login's, a
   * `sections` event's, or one of this client's it took).
   */
  sectionWrites: Signal<SectionWrites>;
  /**
   * The account's choice in polls, by message id, as its `vote` replies
   * and `poll_choices` (asked for the polls shown past 100 voters) told
   * it: a poll's `voters` names only the first 100, so past them the
   * reader's own choice is not found there.
   */
  pollChoices: Signal<Record<string, readonly number[]>>;
  /**
   * The choice this page last sent in a poll, by message id, while its
   * drawing may not show it: a vote's own `message_updated` comes after
   * its reply, so a second click started from the drawing and, in a poll
   * of several, sent a choice without the first click's option, taking
   * that vote away. Kept until every vote sent is answered and a newer
   * drawing of the poll comes (actions/polls.ts); a refusal drops it (the
   * drawing is the truth again). A click starts from it (PollCard.tsx).
   */
  pollVotes: Signal<Record<string, PollVote>>;
  /**
   * Until when (ms since the epoch) the account's notifications are paused
   * on every device (set_do_not_disturb), null when they are not: no sound
   * and no desktop notification meanwhile; unread counts go on.
   */
  doNotDisturb: Signal<number | null>;
  /** The account's custom status (set_status), null for none. */
  myStatus: Signal<Status | null>;
  /** Whether this account has two-factor authentication on (login's `totp`). */
  totp: Signal<boolean>;
  /**
   * The account's email address and whether it is verified (login's
   * `email`, then `set_email` and the `email` event); null when the
   * server sends no mail, and then no email setting is shown.
   */
  email: Signal<EmailState | null>;
  /**
   * The account's missed-message mails setting (login's `missed_mail`,
   * then `set_missed_mail` and its event); null when the server sends no
   * mail.
   */
  missedMail: Signal<MissedMailState | null>;
  /**
   * When the account was created (login's `since`, ms since the epoch):
   * messages under its name from before are a former holder's. Null for a
   * guest, or from a server that predates it.
   */
  since: Signal<number | null>;
  /**
   * Others' custom statuses by name key, null for none: each name the
   * member list asked `get_status` about, and each a `status` event named.
   * A name absent has not been asked about yet.
   */
  statuses: Signal<Record<string, Status | null>>;
  /**
   * Profile pictures' versions by name key, null for none: the account's
   * own from its login, others' from `avatar_updated`. A name absent is
   * not known: its picture is asked for without a version, once.
   */
  avatars: Signal<Record<string, string | null>>;
  /**
   * The picture URL that failed to load, by name key (none, or gone): the
   * initials are shown, and that URL is not asked for again until the
   * name's version changes.
   */
  avatarsMissing: Signal<Record<string, string>>;
  /**
   * When each room and conversation was last on screen, ISO-8601 by log
   * key: the quick switcher's "recent", as Slack's, means visited, not
   * where the newest message is. Kept in the browser per account.
   */
  visited: Signal<Record<string, string>>;
  /** Who is typing, by log key. */
  typing: Signal<Record<string, Typist[]>>;
  /**
   * The emoji shortcodes the composer offers after ":", and the interface
   * language they were fetched for; null until the first ":" asks.
   */
  emojiNames: Signal<{ lang: Lang; names: EmojiNames } | null>;
  /**
   * The skin tone chosen for emoji that take one (0: none), kept in the
   * browser per account; a guest's lasts as long as the page.
   */
  skinTone: Signal<SkinTone>;
  /** The toned forms of the emoji that take a tone; null until a tone is chosen. */
  emojiTones: Signal<EmojiTones | null>;
  /**
   * Accounts of a room, online or not, whose names start with a prefix
   * (`list_members`), by {@linkcode memberMatchKey}: what "@" offers after
   * the people online.
   */
  memberMatches: Signal<Record<string, string[]>>;
  /** Files in the composer, by log key. */
  uploads: Signal<Record<string, Upload[]>>;
  /**
   * The unsent text of each room and conversation, by log key: kept in
   * the state, not in the composer, so that it follows a room an admin
   * renames (memory only, gone at logout).
   */
  drafts: Signal<Record<string, string>>;
  /**
   * The log keys with unsent text, sorted, one a line: it changes when a
   * draft starts or goes, not at each keystroke, so the sidebar's pencils
   * do not render the sidebar again as the user types.
   */
  drafted: ReadonlySignal<string>;
  /**
   * The log key whose message box has the focus, or null: a draft another
   * device sets there does not replace what is being typed.
   */
  composing: Signal<string | null>;
  /**
   * The largest file the server takes, from the login reply; larger ones
   * are refused here, before any upload. `null`: not said (an older server).
   */
  maxFileBytes: Signal<number | null>;
  /** The id of the message being edited, if any. */
  editing: Signal<string | null>;
  /**
   * The message row a tap chose on a touch screen (a message's id, or
   * `p` and a pending one's client id), whose actions show: one row at a
   * time, as a hover shows one.
   */
  tapped: Signal<string | null>;
  /** The image shown full size, if any. */
  lightbox: Signal<Attachment | null>;
  /** Whose profile card is open (a name as clicked), if anyone's. */
  profileCard: Signal<string | null>;
  /**
   * A message link to a public room the account is not in, shown before
   * it joins (components/LinkPreview.tsx); null when none is open.
   */
  linkPreview: Signal<LinkPreview | null>;
  /** Whether the access tokens page (Settings) is open. */
  tokensOpen: Signal<boolean>;
  /** The room whose webhooks page is open, if any. */
  hooksOpen: Signal<string | null>;
  /** Log keys whose older history is being fetched. */
  loadingOlder: Signal<Record<string, true>>;
  /**
   * Whether the user has scrolled up from the newest line of the log on
   * screen: its older messages are being read, so live messages must not
   * trim them away.
   */
  scrolledBack: Signal<boolean>;
  /** Desktop notification permission. */
  notifyPermission: Signal<NotifyPermission>;
  /** Whether the user said "not now" to desktop notifications. */
  notifyDismissed: Signal<boolean>;
  /** Unread messages everywhere, for the tab title. */
  totalUnread: ReadonlySignal<number>;
  /**
   * The name keys of the groups this account is a member of: a room
   * message that names one mentions it (room_mention.ts).
   */
  myGroups: ReadonlySignal<readonly string[]>;
  /** The key of the log on screen: the current room's or the open conversation's. */
  viewKey: ReadonlySignal<string>;
  /** The log on screen. */
  currentLog: ReadonlySignal<RoomLog | undefined>;
  /** The lines on screen, in display order. */
  lines: ReadonlySignal<Line[]>;
  /** Search, replies, pins and jumps to a message (client/team/). */
  team: TeamState;
}

/** Consecutive messages from one user this close together share a header. */
const GROUP_WINDOW_MS = 5 * 60 * 1000;

/**
 * The key of a room or user name: both are unique by the server's
 * {@linkcode nameKey} (NFKC and full case folding), so "Straße" and
 * "STRASSE" are one name here too.
 */
/** A public room's message a link points to, as the preview shows it. */
export interface LinkPreview {
  /** The room as listed: its name, topic and member count. */
  room: RoomSummary;
  seq: number;
  /** The message, or null when it is gone (deleted, expired) or unread. */
  message: ChatMessage | null;
}

/**
 * The entry of `key` in one of the state's records keyed by name, never a
 * member every object inherits: people choose names, and a room called
 * `constructor` or `toString` found Object's own (`Object` itself for
 * `constructor`) where the page meant "nothing yet", so the room's first
 * message threw.
 */
export function entry<T>(
  record: Readonly<Record<string, T>>,
  key: string,
): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/**
 * Sets `key` in a record as an entry of its own, also for `__proto__`,
 * which a plain assignment takes for the object's prototype.
 */
export function put<T>(record: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(record, key, {
    value,
    writable: true,
    enumerable: true,
    configurable: true,
  });
}

/** The key of a room's members that start with `prefix`, in `memberMatches`. */
export function memberMatchKey(room: string, prefix: string): string {
  return `${roomKey(room)}\n${nameKey(prefix)}`;
}

export function roomKey(name: string): string {
  return nameKey(name);
}

/**
 * Whether the user whose name key is `me` wrote this message: by name, and
 * never a hook's or a bot's, which may post under anyone's name.
 */
export function writtenBy(
  message: { user: string; badge?: MessageBadge },
  me: string | undefined,
): boolean {
  return !message.badge && nameKey(message.user) === me;
}

/** Whether the account's notifications are paused at `now` (do not disturb). */
export function isPaused(state: AppState, now: number): boolean {
  const until = state.doNotDisturb.value;
  return until !== null && until > now;
}

/** The log key of a private conversation; "@" cannot start a room name. */
/** The account's level in a room or conversation (log key); `mentions` unless set. */
export function notifyLevelOf(state: AppState, key: string): NotifyLevel {
  return entry(state.notifyLevels.value, key) ?? "mentions";
}

/** How much a room or conversation may claim the user's attention. */
export type NotifyLevel = "all" | "mentions" | "none";

/** The log key of the private conversation with `name`. */
export function dmKey(name: string): string {
  return `@${nameKey(name)}`;
}

/** Whether a room is invite-only, as the memberships or the room list say. */
export function isPrivateRoom(state: AppState, room: string): boolean {
  const key = roomKey(room);
  return entry(state.memberships.value, key)?.private === true ||
    state.rooms.value.some((r) =>
      r.private === true && roomKey(r.name) === key
    );
}

/** A room's topic as the room list gives it; undefined: none (or unknown). */
export function roomTopic(state: AppState, room: string): string | undefined {
  const key = roomKey(room);
  return state.rooms.value.find((r) => roomKey(r.name) === key)?.topic;
}

/**
 * Whether the room list says only a room's owner, moderators and admins
 * post in it (`set_room_posting`).
 */
export function isAnnouncementRoom(state: AppState, room: string): boolean {
  const key = roomKey(room);
  return state.rooms.value.some((r) =>
    r.posting === "moderators" && roomKey(r.name) === key
  );
}

/** Whether the room list says a room is archived (read only). */
export function isArchivedRoom(state: AppState, room: string): boolean {
  const key = roomKey(room);
  return state.rooms.value.some((r) =>
    r.archived === true && roomKey(r.name) === key
  );
}

/**
 * What a room shows this account in place of a composer: "archived" (it
 * takes no messages), "posting" (an announcement room it does not manage:
 * owner, moderators and admins post, the rule of server/handlers/posting.ts)
 * or null (the composer). The room's composer and its thread panel's reply
 * box both follow it, so neither offers a send the server refuses.
 */
export function composerBar(
  state: AppState,
  room: string,
): "archived" | "posting" | null {
  if (isArchivedRoom(state, room)) return "archived";
  if (
    isAnnouncementRoom(state, room) &&
    entry(state.manages.value, roomKey(room)) !== true
  ) return "posting";
  return null;
}

/**
 * How the interface's words name a room: "#design", or a private room's
 * bare name, as its header and the sidebar show it (a lock where a public
 * room has its "#").
 */
export function roomTitle(state: AppState, room: string): string {
  return roomNamed(room, isPrivateRoom(state, room));
}

/** A room named as {@linkcode roomTitle} does, by what the caller knows of it (the admin page's rows). */
export function roomNamed(room: string, isPrivate: boolean): string {
  return isPrivate ? room : `#${room}`;
}

/**
 * How the welcome, the composer and the message region name what is
 * shown: "@bob", or the room as {@linkcode roomTitle} names it; before, a
 * private room's text said "#design" under a header with a lock.
 */
export function viewTitle(state: AppState): string {
  const shown = state.view.value;
  if (shown.kind === "dm") return `@${shown.with}`;
  return roomTitle(state, state.currentRoom.value);
}

/** Creates the state of a fresh, logged-out client. */
export function createAppState(): AppState {
  const status = signal<ConnectionStatus>({ kind: "connecting" });
  const username = signal<string | null>(null);
  const currentRoom = signal(GENERAL_ROOM);
  const logs = signal<Record<string, RoomLog>>({});
  const view = signal<View>({ kind: "room" });
  const viewKey = computed(() => {
    const shown = view.value;
    return shown.kind === "dm" ? dmKey(shown.with) : roomKey(currentRoom.value);
  });
  const currentLog = computed(() => entry(logs.value, viewKey.value));
  const firstUnread = signal<Record<string, number>>({});
  const lines = computed(() =>
    buildLines(currentLog.value, {
      me: username.value,
      unreadFrom: entry(firstUnread.value, viewKey.value),
    })
  );
  const rooms = signal<RoomSummary[]>([]);
  const memberships = signal<Record<string, Membership>>({});
  const knownRooms = computed(() => {
    const known: Record<string, string> = {};
    put(known, roomKey(currentRoom.value), currentRoom.value);
    for (const room of rooms.value) put(known, roomKey(room.name), room.name);
    for (const [key, membership] of Object.entries(memberships.value)) {
      put(known, key, membership.room);
    }
    return known;
  });
  const unread = signal<Record<string, number>>({});
  const drafts = signal<Record<string, string>>({});
  const totalUnread = computed(() =>
    Object.values(unread.value).reduce((sum, n) => sum + n, 0)
  );
  const groups = signal<Record<string, Group>>({});
  const myGroups = computed(() => {
    const me = username.value;
    if (me === null) return [];
    const mine = nameKey(me);
    return Object.entries(groups.value)
      .filter(([, group]) => group.members.some((m) => nameKey(m) === mine))
      .map(([key]) => key);
  });
  return {
    status,
    resuming: signal(false),
    entered: signal(false),
    username,
    role: signal(null),
    staff: signal(null),
    ignored: signal({}),
    shownIgnored: signal({}),
    groups,
    myGroups,
    customEmoji: signal({}),
    account: signal(false),
    wayIn: signal(null),
    sessionCheck: signal(true),
    removal: signal<Words | null>(null),
    loginError: signal<Words | null>(null),
    loginBusy: signal(false),
    loginTotp: signal(false),
    currentRoom,
    rooms,
    knownRooms,
    logs,
    conversations: signal({}),
    closedConversations: signal({}),
    conversationsNext: signal(null),
    view,
    members: signal([]),
    membersOwner: signal(null),
    presenceKnown: signal(false),
    memberships,
    readMarks: signal({}),
    manages: signal({}),
    inviteOpen: signal(false),
    roomJoins: signal(0),
    announcement: signal(""),
    announcedId: signal<string | null>(null),
    switcherOpen: signal(false),
    drawerOpen: signal(false),
    membersOpen: signal(false),
    visible: signal(true),
    unread,
    mentions: signal({}),
    firstUnread,
    readHeld: signal(null),
    notifyLevels: signal({}),
    starred: signal({}),
    sections: signal([]),
    sectionWrites: signal({ confirmed: [], pending: [] }),
    pollChoices: signal({}),
    pollVotes: signal({}),
    doNotDisturb: signal(null),
    myStatus: signal(null),
    totp: signal(false),
    email: signal(null),
    missedMail: signal(null),
    since: signal(null),
    statuses: signal({}),
    avatars: signal({}),
    avatarsMissing: signal({}),
    lineCounts: signal({}),
    visited: signal({}),
    typing: signal({}),
    emojiNames: signal(null),
    skinTone: signal(0),
    emojiTones: signal(null),
    memberMatches: signal({}),
    uploads: signal({}),
    drafts,
    drafted: computed(() => Object.keys(drafts.value).sort().join("\n")),
    composing: signal(null),
    maxFileBytes: signal(null),
    editing: signal(null),
    tapped: signal(null),
    lightbox: signal(null),
    profileCard: signal(null),
    linkPreview: signal(null),
    tokensOpen: signal(false),
    hooksOpen: signal(null),
    loadingOlder: signal({}),
    scrolledBack: signal(false),
    notifyPermission: signal("unsupported"),
    notifyDismissed: signal(false),
    totalUnread,
    viewKey,
    currentLog,
    lines,
    team: createTeamState(),
  };
}

/**
 * Interleaves messages, notices and pending messages into display order,
 * with a line at each new day and above the first unread message.
 */
function buildLines(
  log: RoomLog | undefined,
  options: { me: string | null; unreadFrom?: number },
): Line[] {
  if (!log) return [];
  const mine = options.me === null ? undefined : nameKey(options.me);
  const notices = [...log.notices].sort((a, b) => a.afterSeq - b.afterSeq);
  const lines: Line[] = [];
  let n = 0;
  let prev: { user: string; ts: string } | null = null;
  let day = "";
  let marked = false;
  function dayLine(ts: string): void {
    const today = localDay(ts);
    if (today === day || today === "") return;
    // The very first day gets its line too: it says when the history starts.
    day = today;
    lines.push({ kind: "day", key: `d${today}`, ts });
    prev = null;
  }
  for (const message of log.messages) {
    while (n < notices.length && notices[n].afterSeq < message.seq) {
      dayLine(notices[n].ts);
      lines.push({ kind: "notice", key: notices[n].key, notice: notices[n] });
      prev = null;
      n++;
    }
    dayLine(message.ts);
    const own = writtenBy(message, mine);
    // Above the first message by someone else since the read position.
    if (
      !marked && !own && options.unreadFrom !== undefined &&
      message.seq >= options.unreadFrom
    ) {
      marked = true;
      lines.push({ kind: "unread", key: "unread" });
      prev = null;
    }
    lines.push({
      kind: "message",
      key: `m${message.seq}`,
      message,
      own,
      grouped: continues(prev, message),
    });
    prev = message;
  }
  for (; n < notices.length; n++) {
    dayLine(notices[n].ts);
    lines.push({ kind: "notice", key: notices[n].key, notice: notices[n] });
    prev = null;
  }
  for (const pending of log.pending) {
    dayLine(pending.ts);
    lines.push({
      kind: "pending",
      key: `p${pending.clientId}`,
      pending,
      grouped: continues(prev, pending),
    });
    prev = pending;
  }
  return lines;
}

/** The local calendar day of a timestamp, as YYYY-M-D; empty when unreadable. */
export function localDay(ts: string): string {
  const date = new Date(ts);
  if (Number.isNaN(date.getTime())) return "";
  return `${date.getFullYear()}-${date.getMonth() + 1}-${date.getDate()}`;
}

/** Whether a message continues the previous one's group. */
function continues(
  prev: { user: string; ts: string; badge?: MessageBadge } | null,
  next: { user: string; ts: string; badge?: MessageBadge },
): boolean {
  // A hook posting under a person's name right after them gets a header
  // of its own, with its badge: grouped, it would read as theirs.
  if (
    !prev || nameKey(prev.user) !== nameKey(next.user) ||
    prev.badge !== next.badge
  ) {
    return false;
  }
  const gap = Date.parse(next.ts) - Date.parse(prev.ts);
  return gap >= 0 && gap < GROUP_WINDOW_MS;
}
