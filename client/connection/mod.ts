/**
 * The client's one connection to the server, as components see it. Behind
 * this facade each part has one job:
 *
 * - transport.ts: the socket, reconnect with full-jitter backoff, frames
 * - requests.ts: request ids, replies, timeouts, the order of a frame's objects
 * - session.ts: guest login, account sign-in, the cookie, resume, logout
 * - sync.ts: catch-up by `after_seq`, gap fill, older pages, conversations
 * - outbox.ts: pending messages by `client_id`, sent again after a resume
 * - events.ts: server events to actions
 * - members.ts: the member list; errors.ts: error values and their texts
 *
 * Components call its methods and never see the socket.
 */

import type {
  Attachment,
  ChatMessage,
  InviteInfo,
  MessageEdits,
  Person,
  PrivateMessage,
  Profile,
  RoomEntered,
  RoomListEvent,
  ScheduledMessage,
  Section,
} from "../../server/protocol/types.ts";
import { GENERAL_ROOM } from "../../server/protocol/types.ts";
import * as actions from "../actions.ts";
import * as teamActions from "../team/actions.ts";
import { fetchSession, postCredentials, postLogout } from "../auth_api.ts";
import type { CredentialMode } from "../auth_api.ts";
import { type Clock, systemClock } from "../clock.ts";
import type { Incoming } from "../notifier.ts";
import type { PendingMessage } from "../room_log.ts";
import { t } from "../i18n.ts";
import { type AppState, type NotifyLevel, roomKey } from "../state.ts";
import { Throttle, TYPING_SEND_MS, TypingTracker } from "../typing.ts";
import type { Fields } from "../wire.ts";
import { errorWords, type RequestError, type Result } from "./errors.ts";
import { ServerEvents } from "./events.ts";
import { Members } from "./members.ts";
import { Ignores } from "./ignores.ts";
import { type GroupChange, Groups } from "./groups.ts";
import { CustomEmojiList } from "./custom_emoji.ts";
import { SavedIds } from "./saved.ts";
import { type PollChoice, PollChoices } from "./poll_choices.ts";
import { Staff } from "./staff.ts";
import { Outbox } from "./outbox.ts";
import { ReadMarks } from "./read_marks.ts";
import { type DraftPlace, DraftSync, type PendingDrafts } from "./drafts.ts";
import {
  type LevelPlace,
  NotifyLevels,
  type OldMutes,
} from "./notify_levels.ts";
import type { Replies } from "./replies.ts";
import { Requests } from "./requests.ts";
import { type AuthApi, Session } from "./session.ts";
import { Sync } from "./sync.ts";
import { openWebSocket, type SocketFactory, Transport } from "./transport.ts";

export type { ClientErrorCode, RequestError, Result } from "./errors.ts";
export type { ConversationPage, Replies } from "./replies.ts";
export type { AuthApi } from "./session.ts";
export type { Socket, SocketFactory, SocketHandlers } from "./transport.ts";

// Requests the rank rule may refuse (server/protocol/ranks.ts).
const RANKED = new Set<string>([
  "delete_message",
  "delete_room",
  "kick",
  "ban",
  "remove_member",
  "set_role",
]);

/** Options of a {@linkcode Connection}. */
export interface ConnectionOptions {
  /** WebSocket URL. Default: `ws(s)://<location.host>/ws`. */
  url?: string;
  /** Upper bound of the first reconnect delay, in ms. Default: 500. */
  baseDelayMs?: number;
  /** Largest reconnect delay, in ms. Default: 15000. */
  maxDelayMs?: number;
  /** How long a request waits for its reply, in ms. Default: 10000. */
  requestTimeoutMs?: number;
  /** Called for each new message from someone else (sound, notification). */
  onIncoming?: (incoming: Incoming) => void;
  /** Opens sockets. Default: the WebSocket API. */
  connect?: SocketFactory;
  /** Timers and the time. Default: `setTimeout` and `Date.now`. */
  clock?: Clock;
  /** Where in its backoff window a reconnect falls, in [0, 1). Default: `Math.random`. */
  random?: () => number;
  /** Account calls over HTTP. Default: client/auth_api.ts. */
  auth?: AuthApi;
  /**
   * The account session this browser had is over: logged out here, ended
   * elsewhere (4004), or its cookie found to no longer log in. The page
   * forgets what it kept for the account (client/account_storage.ts).
   */
  onSessionOver?: () => void;
  /** The mutes an older client kept in the browser. Default: none. */
  oldMutes?: OldMutes;
  /**
   * Where drafts typed while offline wait across a reload. Default:
   * nowhere (they last as long as the page).
   */
  pendingDrafts?: PendingDrafts;
}

/** The default socket URL: the page's own host, path `/ws`. */
export function defaultSocketUrl(): string {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/ws`;
}

/** The client's one connection to the server. */
export class Connection {
  #state: AppState;
  #transport: Transport;
  #requests: Requests;
  #session: Session;
  #sync: Sync;
  #outbox: Outbox;
  #events: ServerEvents;
  #members: Members;
  #staff: Staff;
  #ignores: Ignores;
  #groups: Groups;
  #emoji: CustomEmojiList;
  #readMarks: ReadMarks;
  #drafts: DraftSync;
  #notifyLevels: NotifyLevels;
  #saved: SavedIds;
  #pollChoices: PollChoices;
  #typing: TypingTracker;
  #typingSent = new Throttle(TYPING_SEND_MS);

  constructor(state: AppState, options: ConnectionOptions = {}) {
    this.#state = state;
    const clock = options.clock ?? systemClock;
    this.#typing = new TypingTracker(state, clock);
    this.#transport = new Transport({
      url: options.url ?? defaultSocketUrl(),
      connect: options.connect ?? openWebSocket,
      baseDelayMs: options.baseDelayMs ?? 500,
      maxDelayMs: options.maxDelayMs ?? 15_000,
      clock,
      random: options.random ?? Math.random,
      events: {
        connecting: () => this.#status({ kind: "connecting" }),
        opened: () => this.#session.opened(),
        received: (objects) => this.#requests.receive(objects),
        closing: () => this.#requests.flush(),
        dropped: () => {
          this.#requests.drop();
          this.#session.dropped();
        },
        removed: (reason) => this.#session.removed(reason),
        sessionEnded: () => {
          this.#typing.clear();
          this.#session.sessionEnded();
        },
        waiting: (retryAt) => this.#status({ kind: "offline", retryAt }),
      },
    });
    const transport = this.#transport;
    this.#requests = new Requests({
      send: (text) => transport.send(text),
      isOpen: () => transport.isOpen,
      timeoutMs: options.requestTimeoutMs ?? 10_000,
      clock,
      event: (envelope) => this.#events.dispatch(envelope),
      answered: (action, data) => this.#session.answered(action, data),
    });
    this.#members = new Members(state, this.#requests, clock);
    this.#staff = new Staff(state, this.#requests);
    this.#ignores = new Ignores(state, this.#requests);
    this.#groups = new Groups(state, this.#requests);
    this.#emoji = new CustomEmojiList(state, this.#requests);
    this.#saved = new SavedIds(state, this.#requests);
    this.#pollChoices = new PollChoices(state, this.#requests);
    this.#notifyLevels = new NotifyLevels(
      state,
      this.#requests,
      options.oldMutes ?? { read: () => [], forget: () => {} },
    );
    const ready = () => this.#session.ready();
    this.#drafts = new DraftSync(state, {
      requests: this.#requests,
      clock,
      ready,
      here: () => this.#place(),
      pending: options.pendingDrafts,
    });
    this.#readMarks = new ReadMarks(state, {
      requests: this.#requests,
      clock,
      ready,
    });
    this.#sync = new Sync(state, {
      requests: this.#requests,
      members: this.#members,
      link: () => transport.link,
      ready,
    });
    this.#events = new ServerEvents(state, {
      sync: this.#sync,
      members: this.#members,
      draft: (event) => this.#drafts.received(event),
      notifyLevel: (event) => this.#notifyLevels.received(event),
      saved: (event) => this.#saved.received(event),
      staff: this.#staff,
      checkManages: () => this.#checkManages(state.currentRoom.value),
      typing: this.#typing,
      me: () => this.#session.me(),
      loggedIn: () => this.#session.active,
      removing: (text) => this.#session.removing(text),
      openRoom: (room) => void this.joinRoom(room),
      onIncoming: options.onIncoming ?? (() => {}),
    });
    this.#outbox = new Outbox(state, {
      requests: this.#requests,
      ready,
      confirmed: (message) => this.#events.message(message, false),
      confirmedPrivate: (message) =>
        this.#events.privateMessage(message, false),
      sending: (key) => this.#typingSent.reset(key),
    });
    this.#session = new Session(state, {
      transport,
      requests: this.#requests,
      sync: this.#sync,
      members: this.#members,
      staff: this.#staff,
      ignores: this.#ignores,
      auth: options.auth ?? { fetchSession, postCredentials, postLogout },
      sessionOver: options.onSessionOver ?? (() => {}),
      resumed: () => {
        this.#outbox.flush();
        void this.#members.refresh();
        void this.#staff.refresh();
        void this.#ignores.refresh();
        void this.#groups.refresh();
        void this.#emoji.refresh();
        this.#sync.catchUpConversation();
        void this.#sync.listConversations();
        void this.#drafts.list();
        void this.#notifyLevels.refresh();
        void this.#saved.refresh();
        void this.#scheduledRefresh();
      },
      entered: () => {
        actions.chatEntered(this.#state);
        this.#pollChoices.reset();
        void this.#groups.refresh();
        void this.#emoji.refresh();
        void this.#drafts.list();
        void this.#notifyLevels.refresh();
        void this.#saved.refresh();
        void this.#scheduledRefresh();
      },
    });
  }

  /** Looks for a saved session, then opens the socket; it stays connected until {@linkcode stop}. */
  start(): void {
    this.#transport.start();
    void this.#session.check();
  }

  /** Closes the socket for good. */
  stop(): void {
    this.#transport.stop();
    this.#requests.close();
  }

  /** Skips the rest of the backoff wait, e.g. when the browser comes back online. */
  reconnectNow(): void {
    if (this.#state.status.value.kind !== "offline") return;
    this.#transport.retryNow();
  }

  /** Sends a request and waits for its reply; never rejects. */
  async request<A extends keyof Replies>(
    action: A,
    data: Fields = {},
  ): Promise<Result<Replies[A]>> {
    const result = await this.#requests.request(action, data);
    // A rank refusal the page did not foresee: someone's role changed
    // since the login; the next look hides what it offered.
    if (
      !result.ok && result.error.code === "forbidden" && RANKED.has(action)
    ) {
      void this.#staff.refresh();
    }
    return result;
  }

  /** Logs in as a guest; on success enters the chat and loads recent history. */
  login(username: string): Promise<void> {
    return this.#session.login(username);
  }

  /**
   * Signs in to an account or creates one over HTTP (the server sets the
   * session cookie), then logs in on a fresh socket that carries the cookie.
   */
  signIn(
    mode: CredentialMode,
    credentials: { username: string; password: string; totp?: string },
  ): Promise<void> {
    return this.#session.signIn(mode, credentials);
  }

  /** Ends the session (and an account's cookie) and returns to the login screen. */
  logout(): Promise<void> {
    this.#typing.clear();
    this.#readMarks.reset();
    this.#drafts.reset();
    return this.#session.logout();
  }

  /**
   * Moves to a room (joining it first when an account is not a member
   * yet; a private room needs an invite code); resolves to the error, or
   * null on success.
   */
  async joinRoom(
    name: string,
    invite?: string,
  ): Promise<RequestError | null> {
    const room = name.trim().replace(/^#/, "");
    if (
      invite === undefined &&
      roomKey(room) === roomKey(this.#state.currentRoom.value)
    ) {
      actions.roomShown(this.#state);
      return null;
    }
    const data = invite === undefined ? { room } : { room, invite };
    return this.#move(await this.request("join_room", data));
  }

  /**
   * Opens an invite link (`/#/invite/<code>/<room>`): joins the room and
   * shows it, or says why the link does not open it. Resolves to the
   * error, or null.
   */
  async openInvite(
    invite: { code: string; room?: string },
  ): Promise<RequestError | null> {
    const error = invite.room === undefined
      // A link without its room: only a server that reads the code alone
      // can tell which room it opens.
      ? await this.#move(
        await this.request("join_room", { invite: invite.code }),
      )
      : await this.joinRoom(invite.room, invite.code);
    if (!error) return null;
    let words = errorWords(error);
    if (error.code === "invite_invalid") words = () => t("invite.invalid");
    else if (
      error.code === "room_not_found" || error.code === "invalid_message"
    ) {
      words = () => t("invite.unknown");
    } else if (error.code === "forbidden" && !this.#state.account.value) {
      words = () => t("invite.needsAccount");
    }
    return { code: error.code, message: words(), words };
  }

  /** Creates a room (invite-only when `private`) and moves into it; resolves to the error, or null. */
  async createRoom(
    name: string,
    options: { private?: boolean } = {},
  ): Promise<RequestError | null> {
    const room = name.trim().replace(/^#/, "");
    const data = options.private ? { room, private: true } : { room };
    return this.#move(await this.request("create_room", data));
  }

  /**
   * Leaves a room (default: the current one; an account's membership
   * ends); resolves to the error, or null on success.
   */
  async leaveRoom(room?: string): Promise<RequestError | null> {
    return this.#move(
      await this.request("leave_room", room === undefined ? {} : { room }),
    );
  }

  /** The newest message of the log on screen is in sight: mark it read (throttled; accounts only). */
  markSeen(): void {
    this.#readMarks.seen();
  }

  /**
   * "Mark unread" on the message `seq` of the log on screen: it and the
   * later ones are unread again, on every device; resolves to the error,
   * or null.
   */
  markUnread(seq: number): Promise<RequestError | null> {
    return this.#readMarks.unread(seq);
  }

  /** Every room and conversation read, on every device; resolves to the first error, or null. */
  markAllRead(): Promise<RequestError | null> {
    return this.#readMarks.markAll();
  }

  /**
   * Sets a room's topic ("" clears it); the room list that follows shows
   * it. Resolves to the error, or null.
   */
  async setTopic(room: string, topic: string): Promise<RequestError | null> {
    const result = await this.request("set_topic", { room, topic });
    return result.ok ? null : result.error;
  }

  /**
   * Archives a room (`archived`) or brings it back; the room lists and the
   * room's notice say so. Resolves to the error, or null.
   */
  async archiveRoom(
    room: string,
    archived: boolean,
  ): Promise<RequestError | null> {
    const action = archived ? "archive_room" : "unarchive_room";
    const result = await this.request(action, { room });
    return result.ok ? null : result.error;
  }

  /**
   * Sets who posts in a room (`set_room_posting`); the room lists say so.
   * Resolves to the error, or null.
   */
  async setRoomPosting(
    room: string,
    posting: "everyone" | "moderators",
  ): Promise<RequestError | null> {
    const result = await this.request("set_room_posting", { room, posting });
    return result.ok ? null : result.error;
  }

  /** Adds an account to a room; resolves to the error, or null. */
  async invite(room: string, user: string): Promise<RequestError | null> {
    const result = await this.request("invite", { room, user });
    return result.ok ? null : result.error;
  }

  /**
   * Ignores an account (`on`) or stops ignoring it; resolves to the error,
   * or to the rooms left because that account had added this one to them.
   */
  setIgnored(
    user: string,
    on: boolean,
  ): Promise<{ error: RequestError } | { left: string[] }> {
    return this.#ignores.set(user, on);
  }

  /** Creates a user group; resolves to the refusal, or null. */
  createGroup(
    name: string,
    change: { description: string; members: string[] },
  ): Promise<RequestError | null> {
    return this.#groups.create(name, change);
  }

  /** Changes a user group; resolves to the refusal, or null. */
  updateGroup(
    group: string,
    change: GroupChange,
  ): Promise<RequestError | null> {
    return this.#groups.update(group, change);
  }

  /** Removes a custom emoji; resolves to the refusal, or null. */
  removeEmoji(name: string): Promise<RequestError | null> {
    return this.#emoji.remove(name);
  }

  /** Deletes a user group; resolves to the refusal, or null. */
  deleteGroup(group: string): Promise<RequestError | null> {
    return this.#groups.remove(group);
  }

  /** Ends someone's membership of a room (owner, moderators); resolves to the error, or null. */
  async removeMember(
    room: string,
    user: string,
  ): Promise<RequestError | null> {
    const result = await this.request("remove_member", { room, user });
    return result.ok ? null : result.error;
  }

  /** Makes an invite link to a room, with optional limits. */
  createInvite(
    room: string,
    limits: { max_uses?: number; expires_in_s?: number } = {},
  ): Promise<Result<InviteInfo>> {
    return this.request("create_invite", { room, ...limits });
  }

  /**
   * The room's usable invite links; `forbidden` when this user does not
   * manage the room. Also records whether it does.
   */
  async listInvites(room: string): Promise<Result<InviteInfo[]>> {
    const result = await this.request("list_invites", { room });
    if (result.ok || result.error.code === "forbidden") {
      actions.managesChanged(this.#state, { room, manages: result.ok });
    }
    return result.ok ? { ok: true, data: result.data.invites } : result;
  }

  /** A message's edit history (`message_edits`), oldest first. */
  async messageEdits(id: string): Promise<Result<MessageEdits>> {
    const result = await this.request("message_edits", { id });
    return result.ok ? { ok: true, data: result.data } : result;
  }

  /** Revokes an invite link; resolves to the error, or null. */
  async revokeInvite(code: string): Promise<RequestError | null> {
    const result = await this.request("revoke_invite", { code });
    return result.ok ? null : result.error;
  }

  /**
   * Fetches the accounts of a room whose names start with `prefix`, online
   * or not, for the composer's mentions (state `memberMatches`). Failures
   * are quiet: the list then offers the people online only.
   */
  async findMembers(room: string, prefix: string): Promise<void> {
    const result = await this.request("list_members", { room, prefix });
    if (result.ok) {
      actions.memberMatchesLoaded(this.#state, {
        room,
        prefix,
        names: result.data.members,
      });
    }
  }

  /**
   * The user directory: accounts whose name starts with `query` that this
   * account may find (`find_people`), online ones first. Guests may not.
   */
  async findPeople(query: string): Promise<Result<Person[]>> {
    const result = await this.request("find_people", { query });
    if (!result.ok) return result;
    const { people } = result.data;
    // Their pictures: asked for only for those who have one.
    const avatars: Record<string, string> = {};
    for (const person of people) {
      if (person.avatar !== undefined) avatars[person.username] = person.avatar;
    }
    actions.avatarsListed(
      this.#state,
      people.map((person) => person.username),
      avatars,
    );
    return { ok: true, data: people };
  }

  /** Fetches the room list (and updates the sidebar with it). */
  async listRooms(): Promise<Result<RoomListEvent>> {
    const result = await this.request("list_rooms");
    if (result.ok) actions.roomsUpdated(this.#state, result.data.rooms);
    return result;
  }

  /** Shows a message at once as pending and sends it; the server's copy replaces it. */
  sendMessage(text: string, attachments: Attachment[] = []): void {
    this.#outbox.sendMessage(text, attachments);
  }

  /**
   * Sends a private message, shown at once in its conversation as pending;
   * resolves to the server's refusal, or null (sent, or waiting offline).
   */
  sendPrivate(
    to: string,
    text: string,
    attachments: Attachment[] = [],
  ): Promise<RequestError | null> {
    return this.#outbox.sendPrivate(to, text, attachments);
  }

  /** Sends a failed message again with the same client_id, so it cannot be posted twice. */
  retryMessage(pending: PendingMessage): void {
    this.#outbox.retry(pending);
  }

  /**
   * Tells the others in the open room or conversation that this user is
   * typing: at most once per {@linkcode TYPING_SEND_MS}. Best effort: a
   * failure (an offline peer, an older server) changes nothing.
   */
  typing(): void {
    const state = this.#state;
    if (!this.#session.ready()) return;
    const key = state.viewKey.value;
    if (!this.#typingSent.allow(key)) return;
    const shown = state.view.value;
    void this.request("typing", shown.kind === "dm" ? { to: shown.with } : {});
  }

  /**
   * The text in the open room's or conversation's box changed: it goes to
   * the account's other devices once typing stops (accounts only).
   */
  draftTyped(text: string): void {
    this.#drafts.typed(this.#state.viewKey.value, this.#place(), text);
  }

  /**
   * Saves a message (`on`) or forgets it, on every device of the account;
   * resolves to the error.
   */
  setSaved(id: string, on: boolean): Promise<RequestError | null> {
    return this.#saved.set(id, on);
  }

  /** Saves a message with a reminder (ISO 8601), or clears it (null). */
  setReminder(
    id: string,
    remindAt: string | null,
  ): Promise<{ remindAt: string | null } | RequestError> {
    return this.#saved.remind(id, remindAt);
  }

  /**
   * Sets how much a room or conversation may claim this account's
   * attention, on every device and for Web Push; resolves to the error.
   */
  setNotifyLevel(
    place: LevelPlace,
    level: NotifyLevel,
  ): Promise<RequestError | null> {
    return this.#notifyLevels.set(place, level);
  }

  /**
   * Stars or unstars a room or conversation on every device: shown at once
   * here, put back when the server refuses; the `starred` event every
   * connection of the account gets then confirms it. Resolves to the error.
   */
  async setStarred(
    place: LevelPlace,
    on: boolean,
  ): Promise<RequestError | null> {
    const was = this.#state.starred.value;
    actions.starSet(this.#state, { ...place, starred: on });
    const result = await this.#requests.request(on ? "star" : "unstar", place);
    if (result.ok) return null;
    this.#state.starred.value = was;
    return result.error;
  }

  /**
   * Sets the account's whole sidebar layout on every device: shown at once
   * here, put back when the server refuses (to what the server has, not to
   * what was shown before: actions/sections.ts); the other devices get the
   * `sections` event. Resolves to the error.
   */
  async setSections(layout: Section[]): Promise<RequestError | null> {
    actions.sectionsSent(this.#state, layout);
    const result = await this.#requests.request("set_sections", {
      sections: layout,
    });
    if (result.ok) {
      actions.sectionsTaken(this.#state, layout);
      return null;
    }
    actions.sectionsRefused(this.#state, layout);
    return result.error;
  }

  /**
   * Pauses this account's notifications until `until` (ms since the
   * epoch), on every device and for Web Push, or resumes them (null);
   * resolves to the error, if any.
   */
  async setDoNotDisturb(until: number | null): Promise<RequestError | null> {
    const result = await this.#requests.request("set_do_not_disturb", {
      until,
    });
    if (!result.ok) return result.error;
    actions.doNotDisturbSet(this.#state, result.data.until);
    return null;
  }

  /**
   * Sets this account's custom status (no text and no emoji: clears it),
   * seen beside its name by everyone; resolves to the error, if any.
   */
  async setStatus(
    status: { text: string; emoji?: string; until?: number | null },
  ): Promise<RequestError | null> {
    const result = await this.#requests.request("set_status", status);
    if (!result.ok) return result.error;
    actions.ownStatusSet(this.#state, result.data.status);
    return null;
  }

  /** Sets the account's title or time zone ("" clears one). Resolves to the error, or null. */
  async setProfile(
    changes: { title?: string; timezone?: string },
  ): Promise<RequestError | null> {
    const result = await this.#requests.request("set_profile", changes);
    return result.ok ? null : result.error;
  }

  /**
   * Sets the account's email address (a link is mailed to it), or removes
   * it with null. Resolves to the error, or null.
   */
  async setEmail(address: string | null): Promise<RequestError | null> {
    const result = await this.#requests.request("set_email", { address });
    if (!result.ok) return result.error;
    actions.emailChanged(this.#state, result.data);
    return null;
  }

  /**
   * Sets the account's missed-message mails: on or off, and their
   * language. Resolves to the error, or null.
   */
  async setMissedMail(
    change: { enabled?: boolean; language?: "en" | "fr" },
  ): Promise<RequestError | null> {
    const result = await this.#requests.request("set_missed_mail", change);
    if (!result.ok) return result.error;
    actions.missedMailChanged(this.#state, result.data);
    return null;
  }

  /** An account's card, read as it opens (nothing keeps it up to date). */
  async getProfile(name: string): Promise<Result<Profile>> {
    const result = await this.#requests.request("get_profile", { name });
    return result.ok ? { ok: true, data: result.data.profile } : result;
  }

  // The account's scheduled messages after each login and resume, for the
  // composer's "N scheduled" (a device offline missed the events of that
  // time). A guest schedules nothing; a failed read leaves the list as it
  // was, and the panel reads it again as it opens. One event crossing the
  // read may be lost until then: a count off by one for a while.
  async #scheduledRefresh(): Promise<void> {
    if (this.#state.account.value) await this.listScheduled();
  }

  /** Reads the account's scheduled messages into the state. */
  async listScheduled(): Promise<RequestError | null> {
    const result = await this.#requests.request("list_scheduled", {});
    if (!result.ok) return result.error;
    teamActions.scheduledListed(this.#state, result.data.scheduled);
    return null;
  }

  /**
   * Schedules a message (`schedule_message`: `room` or `to`, `text`,
   * `send_at`, maybe `attachments` and `reply_to`); resolves to the
   * scheduled message, or the error.
   */
  async scheduleMessage(
    data: Record<string, unknown>,
  ): Promise<ScheduledMessage | RequestError> {
    const result = await this.#requests.request("schedule_message", data);
    if (!result.ok) return result.error;
    teamActions.scheduledHeard(this.#state, result.data.scheduled);
    return result.data.scheduled;
  }

  /**
   * Changes a scheduled message's text or time, or sends it now
   * (`send_now`); resolves to the error, if any.
   */
  async updateScheduled(
    id: string,
    change: { text?: string; send_at?: string; send_now?: boolean },
  ): Promise<RequestError | null> {
    const result = await this.#requests.request("update_scheduled", {
      id,
      ...change,
    });
    if (!result.ok) return result.error;
    teamActions.scheduledHeard(this.#state, result.data.scheduled);
    return null;
  }

  /** Cancels a scheduled message; resolves to the error, if any. */
  async cancelScheduled(id: string): Promise<RequestError | null> {
    const result = await this.#requests.request("cancel_scheduled", { id });
    if (!result.ok) return result.error;
    teamActions.scheduledGone(this.#state, id);
    return null;
  }

  /** The box lost focus or the view changes: the draft goes now. */
  draftLeft(): void {
    this.#drafts.flush();
  }

  /** The open room's or conversation's message went: its draft goes everywhere. */
  draftSent(): void {
    this.#drafts.sent(this.#state.viewKey.value, this.#place());
  }

  #place(): DraftPlace {
    const shown = this.#state.view.value;
    return shown.kind === "dm"
      ? { with: shown.with }
      : { room: this.#state.currentRoom.value };
  }

  /**
   * Tells the server whether this tab is hidden (`visibility`), which only
   * decides Web Push. Best effort: an older server answers an error.
   */
  reportVisibility(hidden: boolean): void {
    if (!this.#session.ready()) return;
    void this.request("visibility", { hidden });
  }

  /** Changes the text of one of this user's messages; resolves to the error, or null. */
  async editMessage(id: string, text: string): Promise<RequestError | null> {
    const result = await this.request("edit_message", { id, text });
    if (!result.ok) return result.error;
    this.#events.updated(result.data.message);
    return null;
  }

  /** Deletes a message (one's own; moderators any room message); resolves to the error, or null. */
  async deleteMessage(id: string): Promise<RequestError | null> {
    const result = await this.request("delete_message", { id });
    if (!result.ok) return result.error;
    this.#events.updated(result.data.message);
    return null;
  }

  /** Takes a message's link previews away (its author's, a moderator's); resolves to the error, or null. */
  async removeLinkPreviews(id: string): Promise<RequestError | null> {
    const result = await this.request("remove_link_previews", { id });
    if (!result.ok) return result.error;
    this.#events.updated(result.data.message);
    return null;
  }

  /** Adds this user's reaction to a message (`on`) or takes it back; resolves to the error, or null. */
  async react(
    id: string,
    emoji: string,
    on: boolean,
  ): Promise<RequestError | null> {
    const result = await this.request("react", { id, emoji, on });
    if (!result.ok) return result.error;
    this.#events.updated(result.data.message);
    return null;
  }

  /**
   * Sends a poll to a room (docs/protocol.md, "Polls"): the message comes
   * as any message does (`receive_message`). Resolves to the error, or null.
   */
  async createPoll(
    room: string,
    poll: { question: string; options: string[]; multiple: boolean },
  ): Promise<RequestError | null> {
    const result = await this.request("create_poll", { room, ...poll });
    return result.ok ? null : result.error;
  }

  /**
   * Forwards the message `id` to a room or a person with a text of its
   * own (docs/protocol.md, "Forwarding"); the forward comes back as any
   * message does, as an event. Resolves to the error, or null.
   */
  async forwardMessage(
    id: string,
    to: { room: string } | { with: string },
    text: string,
  ): Promise<RequestError | null> {
    const result = await this.request("forward_message", { id, ...to, text });
    return result.ok ? null : result.error;
  }

  /**
   * Sets this account's choice in a poll (the options' indices; none
   * takes it back); the counts come as `message_updated`, the choice sent
   * kept meanwhile (state.pollVotes). Resolves to the error, or null.
   */
  async vote(id: string, options: number[]): Promise<RequestError | null> {
    actions.pollVoteSent(this.#state, id, options);
    const result = await this.request("vote", { id, options });
    actions.pollVoteAnswered(
      this.#state,
      id,
      result.ok ? result.data.options : null,
    );
    return result.ok ? null : result.error;
  }

  /**
   * A poll whose voters stop short of its votes is shown: the account's
   * choice there is asked for, once (client/connection/poll_choices.ts).
   */
  askPollChoice(id: string): void {
    this.#pollChoices.ask(id);
  }

  /**
   * The account's choice in a poll, known or asked and waited for: what a
   * click on a cut poll's option starts from (poll_choices.ts).
   */
  pollChoice(id: string): Promise<PollChoice> {
    return this.#pollChoices.choice(id);
  }

  /** Closes a poll (its author, the room's owner, a moderator); resolves to the error, or null. */
  async closePoll(id: string): Promise<RequestError | null> {
    const result = await this.request("close_poll", { id });
    if (!result.ok) return result.error;
    this.#events.updated(result.data.message);
    return null;
  }

  /** Pins a message (`on`) or unpins it; resolves to the error, or null. */
  async pin(id: string, on: boolean): Promise<RequestError | null> {
    const result = await this.request("pin", { id, on });
    if (!result.ok) return result.error;
    this.#events.updated(result.data.message);
    return null;
  }

  /** Files a message the server sent (a pin list, a search result) as its log holds it. */
  fileUpdate(message: ChatMessage | PrivateMessage): void {
    this.#events.updated(message);
  }

  /**
   * Fetches the page of history before the oldest message on screen, for
   * scrolling up. One fetch per log at a time; nothing when the start of
   * the history is already there.
   */
  loadOlder(): Promise<void> {
    return this.#sync.loadOlder();
  }

  /**
   * Fetches the page after the newest message held, when newer ones were
   * unloaded while reading back (`latest`: the newest page instead, to jump
   * to the present); nothing otherwise.
   */
  loadNewer(latest = false): Promise<void> {
    return this.#sync.loadNewer(latest);
  }

  /** Fetches one page of a room's or conversation's history into its log (`before_seq`, `around_seq`, `limit`). */
  loadPage(
    where: { room: string } | { with: string },
    params: Fields,
  ): Promise<Result<ChatMessage[]>> {
    return this.#sync.loadPage(where, params);
  }

  /** Fetches the next page of the account's conversations into the sidebar ("show more"). */
  moreConversations(): Promise<void> {
    return this.#sync.moreConversations();
  }

  /** Opens a private conversation (starting it if new) and loads its newest messages. */
  openConversation(name: string): Promise<void> {
    return this.#sync.openConversation(name);
  }

  /** Reloads the current room's member list; calls made while one is running merge into one more. */
  refreshMembers(): Promise<void> {
    return this.#members.refresh();
  }

  #status(
    status: { kind: "connecting" } | {
      kind: "offline";
      retryAt: number;
    },
  ): void {
    actions.connectionChanged(this.#state, status, this.#session.active);
  }

  async #move(result: Result<RoomEntered>): Promise<RequestError | null> {
    if (!result.ok) return result.error;
    this.#sync.noteEpoch(result.data.room, result.data.epoch);
    const state = this.#state;
    actions.roomEntered(state, result.data);
    this.#checkManages(result.data.room);
    await this.#members.refresh();
    return null;
  }

  // Whether this account manages the room (owner, moderator) shows only
  // in what the server lets it do: ask for the invite links.
  #checkManages(room: string): void {
    if (this.#state.account.value && roomKey(room) !== GENERAL_ROOM) {
      void this.listInvites(room);
    }
  }
}
