/**
 * The only WebSocket user. Owns the socket's life (connect, reconnect with
 * full-jitter backoff, resume the session), matches replies to requests by
 * id, and turns server frames into actions. Components call its methods and
 * never see the socket.
 */

import type {
  Attachment,
  ChatMessage,
  Envelope,
  ErrorCode,
  HistoryPage,
  LoginSuccess,
  PrivateMessage,
  Role,
  RoomEntered,
  RoomListEvent,
  RoomSummary,
  SystemEvent,
} from "../server/protocol/types.ts";
import { GENERAL_ROOM } from "../server/protocol/types.ts";
import { CLOSE_REMOVED } from "../server/protocol/close_codes.ts";
import { PASSWORD_MIN_LENGTH } from "../server/protocol/limits.ts";
import * as actions from "./actions.ts";
import {
  type AuthError,
  type CredentialMode,
  fetchSession,
  postCredentials,
  postLogout,
} from "./auth_api.ts";
import { t } from "./i18n.ts";
import { mentions } from "./markup.ts";
import type { Incoming } from "./notifier.ts";
import { firstSeq, lastSeq, type PendingMessage } from "./room_log.ts";
import { type AppState, dmKey, roomKey } from "./state.ts";
import { Throttle, TYPING_SEND_MS, TypingTracker } from "./typing.ts";
import {
  decodeFrame,
  type Fields,
  isChatMessage,
  isMessageList,
  isPrivateList,
  isPrivateMessage,
  isRole,
  isRoomList,
  isSystemEvent,
  toErrorData,
} from "./wire.ts";

/** Success data by request action, as the protocol defines it. */
export interface Replies {
  login: LoginSuccess;
  list_rooms: RoomListEvent;
  create_room: RoomEntered;
  join_room: RoomEntered;
  leave_room: RoomEntered;
  list_users: { users: string[] };
  history: HistoryPage;
  send_message: { message: ChatMessage };
  private_message: { message: PrivateMessage };
  kick: { user: string };
  ban: { user: string; room?: string };
  unban: { user: string };
  delete_room: { room: string };
  set_role: { user: string; role: Role };
  typing: Record<string, never>;
  edit_message: { message: ChatMessage | PrivateMessage };
  delete_message: { message: ChatMessage | PrivateMessage };
}

/** A page of a private conversation (`history` with `with`). */
export interface ConversationPage {
  with: string;
  messages: PrivateMessage[];
}

/** A protocol error code, or one the client makes up when there is no reply. */
export type ClientErrorCode = ErrorCode | "offline" | "timeout";

/** Why a request failed: a code for programs and a sentence for people. */
export interface RequestError {
  code: ClientErrorCode;
  message: string;
}

/** The outcome of a request: its success data or its error. */
export type Result<T> = { ok: true; data: T } | {
  ok: false;
  error: RequestError;
};

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
}

/** Messages asked per history page when catching up. */
const PAGE_SIZE = 200;
/** Pages fetched when catching up before giving up and starting from the newest. */
const MAX_CATCH_UP_PAGES = 5;
/** Messages shown when entering a room we know nothing about. */
const RECENT = 50;
/** Messages fetched per page when scrolling up through history. */
const OLDER_PAGE = 50;
/** Re-login errors that mean "try again later", not "this name cannot log in". */
const RETRY_LOGIN = new Set<ClientErrorCode>([
  "username_taken",
  "rate_limited",
  "internal",
  "timeout",
]);

/** Checks of each reply's success data, so the rest of the client can trust it. */
const REPLY_CHECKS: { [A in keyof Replies]: (data: Fields) => boolean } = {
  login: (d) =>
    typeof d.username === "string" && typeof d.room === "string" &&
    isRoomList(d.rooms),
  list_rooms: (d) => isRoomList(d.rooms),
  create_room: isRoomEntered,
  join_room: isRoomEntered,
  leave_room: isRoomEntered,
  list_users: (d) =>
    Array.isArray(d.users) && d.users.every((u) => typeof u === "string"),
  history: (d) => typeof d.room === "string" && isMessageList(d.messages),
  send_message: (d) => isChatMessage(d.message),
  private_message: (d) => isPrivateMessage(d.message),
  kick: (d) => typeof d.user === "string",
  ban: (d) => typeof d.user === "string",
  unban: (d) => typeof d.user === "string",
  delete_room: (d) => typeof d.room === "string",
  set_role: (d) => typeof d.user === "string" && isRole(d.role),
  typing: () => true,
  edit_message: (d) => isChatMessage(d.message) || isPrivateMessage(d.message),
  delete_message: (d) =>
    isChatMessage(d.message) || isPrivateMessage(d.message),
};

/** A logged-in session the connection resumes after a drop. */
interface Session {
  /** The name the server gave. */
  username: string;
  /** Accounts log in again with the cookie; guests with their name. */
  account: boolean;
}

/**
 * Whether the next socket logs in with the session cookie: `yes` after a
 * sign-in or when the page found a session, `probe` when the page could not
 * ask (a refusal then just shows the form).
 */
type CookieLogin = "no" | "yes" | "probe";

interface Waiter {
  action: string;
  check: (data: Fields) => boolean;
  timer: ReturnType<typeof setTimeout>;
  resolve: (result: Result<unknown>) => void;
}

/** The default socket URL: the page's own host, path `/ws`. */
export function defaultSocketUrl(): string {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/ws`;
}

/** The client's one connection to the server. */
export class Connection {
  #state: AppState;
  #url: string;
  #baseDelay: number;
  #maxDelay: number;
  #timeout: number;
  #socket: WebSocket | null = null;
  #waiters = new Map<string, Waiter>();
  #openWaiters: ((open: boolean) => void)[] = [];
  #nextId = 0;
  #attempt = 0;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #session: Session | null = null;
  #cookieLogin: CookieLogin = "no";
  /** The name of the latest login reply, known before the state shows it. */
  #me: string | null = null;
  /** What the server said when it kicked or banned this user; the close follows. */
  #removal: string | null = null;
  #stopped = true;
  #membersBusy = false;
  #memberAsks = 0;
  #typing: TypingTracker;
  #typingSent = new Throttle(TYPING_SEND_MS);
  /** Objects received and not dispatched yet, in the order the server sent them. */
  #inbox: Envelope<Fields>[] = [];
  /** True while the inbox waits for a reply's requester to run. */
  #inboxPaused = false;
  /** Resumes the inbox in a task of its own (not throttled in a background tab, unlike timers). */
  #inboxResume = new MessageChannel();
  #onIncoming: (incoming: Incoming) => void;

  constructor(state: AppState, options: ConnectionOptions = {}) {
    this.#state = state;
    this.#typing = new TypingTracker(state);
    this.#onIncoming = options.onIncoming ?? (() => {});
    this.#url = options.url ?? defaultSocketUrl();
    this.#baseDelay = options.baseDelayMs ?? 500;
    this.#maxDelay = options.maxDelayMs ?? 15_000;
    this.#timeout = options.requestTimeoutMs ?? 10_000;
    this.#inboxResume.port1.onmessage = () => this.#drainInbox();
  }

  /** Looks for a saved session, then opens the socket; it stays connected until {@linkcode stop}. */
  start(): void {
    this.#stopped = false;
    void this.#checkSession();
  }

  /** Closes the socket for good. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    this.#discard();
  }

  /** Skips the rest of the backoff wait, e.g. when the browser comes back online. */
  reconnectNow(): void {
    if (this.#stopped || this.#state.status.value.kind !== "offline") return;
    clearTimeout(this.#retryTimer);
    this.#open();
  }

  /** Sends a request and waits for its reply; never rejects. */
  request<A extends keyof Replies>(
    action: A,
    data: Fields = {},
  ): Promise<Result<Replies[A]>> {
    return this.#send<Replies[A]>(action, data, REPLY_CHECKS[action]);
  }

  /** Logs in as a guest; on success enters the chat and loads recent history. */
  async login(username: string): Promise<void> {
    const state = this.#state;
    const name = username.trim();
    if (name === "") {
      actions.loginFailed(state, t("error.enterName"));
      return;
    }
    actions.loginStarted(state);
    if (!(await this.#ensureOpen())) {
      actions.loginFailed(state, t("error.offline"));
      return;
    }
    const error = await this.#enter({ username: name }, false);
    if (error) actions.loginFailed(state, loginErrorText(name, error));
  }

  /**
   * Signs in to an account or creates one over HTTP (the server sets the
   * session cookie), then logs in on a fresh socket that carries the cookie.
   */
  async signIn(
    mode: CredentialMode,
    credentials: { username: string; password: string },
  ): Promise<void> {
    const state = this.#state;
    const name = credentials.username.trim();
    const { password } = credentials;
    if (name === "") {
      actions.loginFailed(state, t("error.enterName"));
      return;
    }
    if (mode === "register" && [...password].length < PASSWORD_MIN_LENGTH) {
      actions.loginFailed(
        state,
        t("error.passwordShort", { n: PASSWORD_MIN_LENGTH }),
      );
      return;
    }
    if (password === "") {
      actions.loginFailed(state, t("error.enterPassword"));
      return;
    }
    actions.loginStarted(state);
    const result = await postCredentials(mode, { username: name, password });
    if (!result.ok) {
      actions.loginFailed(state, accountErrorText(name, result.error));
      return;
    }
    // The socket open now was upgraded before the cookie existed.
    this.#cookieLogin = "yes";
    this.#discard();
    clearTimeout(this.#retryTimer);
    this.#attempt = 0;
    if (!this.#stopped) this.#open();
  }

  /** Ends the session (and an account's cookie) and returns to the login screen. */
  async logout(): Promise<void> {
    const account = this.#session?.account ?? false;
    this.#forget();
    this.#typing.clear();
    this.#discard();
    clearTimeout(this.#retryTimer);
    this.#attempt = 0;
    actions.loggedOut(this.#state);
    actions.connectionChanged(this.#state, { kind: "idle" });
    if (account) await postLogout();
    // Opened after the cookie is gone, so nothing logs this socket back in.
    if (!this.#stopped && this.#socket === null) this.#open();
  }

  /** Moves to a room; resolves to the error, or null on success. */
  async joinRoom(name: string): Promise<RequestError | null> {
    const room = name.trim().replace(/^#/, "");
    if (roomKey(room) === roomKey(this.#state.currentRoom.value)) {
      actions.roomShown(this.#state);
      return null;
    }
    return this.#move(await this.request("join_room", { room }));
  }

  /** Creates a room and moves into it; resolves to the error, or null on success. */
  async createRoom(name: string): Promise<RequestError | null> {
    const room = name.trim().replace(/^#/, "");
    return this.#move(await this.request("create_room", { room }));
  }

  /** Goes back to the general room; resolves to the error, or null on success. */
  async leaveRoom(): Promise<RequestError | null> {
    return this.#move(await this.request("leave_room"));
  }

  /** Fetches the room list (and updates the sidebar with it). */
  async listRooms(): Promise<Result<RoomListEvent>> {
    const result = await this.request("list_rooms");
    if (result.ok) actions.roomsUpdated(this.#state, result.data.rooms);
    return result;
  }

  /** Shows a message at once as pending and sends it; the server's copy replaces it. */
  sendMessage(text: string, attachments: Attachment[] = []): void {
    const state = this.#state;
    const user = state.username.value;
    if (user === null) return;
    this.#typingSent.reset(roomKey(state.currentRoom.value));
    this.#queue({
      clientId: newClientId(),
      room: state.currentRoom.value,
      user,
      text,
      attachments: attachments.length > 0 ? attachments : undefined,
      ts: new Date().toISOString(),
      status: "pending",
    });
  }

  /** Sends a private message, shown at once in its conversation as pending. */
  sendPrivate(to: string, text: string, attachments: Attachment[] = []): void {
    const user = this.#state.username.value;
    const name = to.trim().replace(/^@/, "");
    if (user === null || name === "") return;
    this.#typingSent.reset(dmKey(name));
    this.#queue({
      clientId: newClientId(),
      room: dmKey(name),
      to: name,
      user,
      text,
      attachments: attachments.length > 0 ? attachments : undefined,
      ts: new Date().toISOString(),
      status: "pending",
    });
  }

  /**
   * Tells the others in the open room or conversation that this user is
   * typing: at most once per {@linkcode TYPING_SEND_MS}. Best effort: a
   * failure (an offline peer, an older server) changes nothing.
   */
  typing(): void {
    const state = this.#state;
    if (!this.#ready()) return;
    const key = state.viewKey.value;
    if (!this.#typingSent.allow(key)) return;
    const shown = state.view.value;
    void this.request("typing", shown.kind === "dm" ? { to: shown.with } : {});
  }

  /** Changes the text of one of this user's messages; resolves to the error, or null. */
  async editMessage(id: string, text: string): Promise<RequestError | null> {
    const result = await this.request("edit_message", { id, text });
    if (!result.ok) return result.error;
    this.#onUpdated(result.data.message);
    return null;
  }

  /** Deletes a message (one's own; moderators any room message); resolves to the error, or null. */
  async deleteMessage(id: string): Promise<RequestError | null> {
    const result = await this.request("delete_message", { id });
    if (!result.ok) return result.error;
    this.#onUpdated(result.data.message);
    return null;
  }

  /**
   * Fetches the page of history before the oldest message on screen, for
   * scrolling up. One fetch per log at a time; nothing when the start of
   * the history is already there.
   */
  async loadOlder(): Promise<void> {
    const state = this.#state;
    const key = state.viewKey.value;
    const first = firstSeq(state.logs.value[key]);
    if (first <= 1 || state.loadingOlder.value[key] || !this.#ready()) return;
    const shown = state.view.value;
    actions.olderLoading(state, { key, busy: true });
    try {
      if (shown.kind === "dm") {
        const page = await this.#send<ConversationPage>(
          "history",
          { with: shown.with, before_seq: first, limit: OLDER_PAGE },
          isConversationPage,
        );
        if (page.ok) {
          actions.historyLoaded(state, {
            room: key,
            messages: page.data.messages.map((m) => ({ ...m, room: key })),
          });
        }
      } else {
        const page = await this.request("history", {
          room: state.currentRoom.value,
          before_seq: first,
          limit: OLDER_PAGE,
        });
        if (page.ok) actions.historyLoaded(state, page.data);
      }
    } finally {
      actions.olderLoading(state, { key, busy: false });
    }
  }

  /** Opens a private conversation (starting it if new) and loads its newest messages. */
  async openConversation(name: string): Promise<void> {
    const other = name.trim().replace(/^@/, "");
    if (other === "") return;
    actions.conversationOpened(this.#state, other);
    await this.#loadConversation(other, 0);
  }

  /** Sends a failed message again with the same client_id, so it cannot be posted twice. */
  retryMessage(pending: PendingMessage): void {
    actions.pendingChanged(this.#state, {
      room: pending.room,
      clientId: pending.clientId,
      status: "pending",
    });
    if (this.#ready()) void this.#deliver(pending);
  }

  /** Reloads the current room's member list; calls made while one is running merge into one more. */
  async refreshMembers(): Promise<void> {
    this.#memberAsks++;
    if (this.#membersBusy) return;
    this.#membersBusy = true;
    let seen: number;
    do {
      seen = this.#memberAsks;
      const room = this.#state.currentRoom.value;
      const result = await this.request("list_users", { room });
      if (result.ok) {
        actions.membersUpdated(this.#state, { room, users: result.data.users });
      }
    } while (seen !== this.#memberAsks);
    this.#membersBusy = false;
  }

  #send<T>(
    action: string,
    data: Fields,
    check: (data: Fields) => boolean,
  ): Promise<Result<T>> {
    const socket = this.#socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) {
      return Promise.resolve(
        failure("offline", t("error.notConnected")),
      );
    }
    this.#nextId++;
    const id = `c${this.#nextId}`;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(id);
        resolve(failure("timeout", t("error.timeout")));
      }, this.#timeout);
      this.#waiters.set(id, {
        action,
        check,
        timer,
        resolve: (r) => resolve(r as Result<T>),
      });
      socket.send(JSON.stringify({ action, data, id }));
    });
  }

  #ready(): boolean {
    return this.#session !== null &&
      this.#state.status.value.kind === "online" && !this.#state.resuming.value;
  }

  #forget(): void {
    this.#session = null;
    this.#me = null;
    this.#removal = null;
    this.#cookieLogin = "no";
  }

  /** Asks the server for a saved session, so a reload does not flash the login form. */
  async #checkSession(): Promise<void> {
    const found = await fetchSession();
    if (this.#stopped) return;
    if (!found.ok) {
      // The server is unreachable over HTTP too: let the socket ask once it is up.
      this.#cookieLogin = "probe";
    } else if (found.data !== null) {
      this.#cookieLogin = "yes";
    } else {
      actions.sessionChecked(this.#state);
    }
    this.#open();
  }

  /** Resolves true once a socket is open for a login, opening one if none is. */
  #ensureOpen(): Promise<boolean> {
    if (this.#socket?.readyState === WebSocket.OPEN) {
      return Promise.resolve(true);
    }
    if (this.#stopped) return Promise.resolve(false);
    const waiting = new Promise<boolean>((resolve) =>
      this.#openWaiters.push(resolve)
    );
    if (this.#socket === null) {
      clearTimeout(this.#retryTimer);
      this.#open();
    }
    return waiting;
  }

  #settleOpenWaiters(open: boolean): void {
    const waiters = this.#openWaiters;
    this.#openWaiters = [];
    for (const resolve of waiters) resolve(open);
  }

  /** Logs in on the open socket, then enters the chat; resolves to the error, or null. */
  async #enter(
    data: Fields,
    account: boolean,
  ): Promise<RequestError | null> {
    const state = this.#state;
    const result = await this.request("login", data);
    if (!result.ok) return result.error;
    this.#session = { username: result.data.username, account };
    this.#removal = null;
    actions.loggedIn(state, result.data, account);
    const page = await this.request("history", {
      room: result.data.room,
      limit: RECENT,
    });
    if (page.ok) {
      actions.historyLoaded(state, page.data);
    }
    void this.refreshMembers();
    return null;
  }

  /** Logs in with the session cookie the socket's upgrade carried. */
  async #enterWithCookie(): Promise<void> {
    const state = this.#state;
    const mode = this.#cookieLogin;
    this.#cookieLogin = "no";
    const error = await this.#enter({}, true);
    if (!error) return;
    if (error.code === "offline") {
      // The socket dropped before the reply: the next one tries again.
      this.#cookieLogin = mode;
    } else if (
      mode === "probe" &&
      (error.code === "invalid_message" || error.code === "bad_credentials")
    ) {
      actions.sessionChecked(state);
    } else {
      actions.loginFailed(state, cookieErrorText(error));
    }
  }

  #open(): void {
    if (this.#socket) this.#discard();
    const resuming = this.#session !== null;
    actions.connectionChanged(this.#state, { kind: "connecting" }, resuming);
    let socket: WebSocket;
    try {
      socket = new WebSocket(this.#url);
    } catch {
      this.#dropSocket();
      this.#settleOpenWaiters(false);
      this.#scheduleReconnect();
      return;
    }
    this.#socket = socket;
    socket.onopen = () => {
      if (socket !== this.#socket) return;
      if (this.#session !== null) {
        void this.#resume(socket, this.#session);
        return;
      }
      this.#attempt = 0;
      actions.connectionChanged(this.#state, { kind: "online" });
      this.#settleOpenWaiters(true);
      if (this.#cookieLogin !== "no") void this.#enterWithCookie();
    };
    socket.onmessage = (event: MessageEvent) => {
      if (socket !== this.#socket || typeof event.data !== "string") return;
      for (const envelope of decodeFrame(event.data)) {
        this.#inbox.push(envelope);
      }
      if (!this.#inboxPaused) this.#drainInbox();
    };
    socket.onclose = (event: CloseEvent) => {
      if (socket !== this.#socket) return;
      // What came before the close is handled first (a kick's notice).
      this.#drainInbox(false);
      this.#dropSocket();
      this.#failWaiters();
      this.#settleOpenWaiters(false);
      if (event.code === CLOSE_REMOVED) {
        this.#removed(event.reason);
      } else {
        this.#scheduleReconnect();
      }
    };
  }

  /** Forgets the socket and whatever it sent that was not handled yet. */
  #dropSocket(): void {
    this.#socket = null;
    this.#inbox = [];
  }

  /** Detaches and closes the socket without scheduling a reconnect. */
  #discard(): void {
    const socket = this.#socket;
    this.#dropSocket();
    if (socket) {
      socket.onopen = null;
      socket.onmessage = null;
      socket.onclose = null;
      socket.close();
    }
    this.#failWaiters();
    this.#settleOpenWaiters(false);
  }

  #scheduleReconnect(): void {
    if (this.#stopped) return;
    // Full jitter: a random wait up to the exponential bound, so clients
    // dropped together by a restart do not all come back in the same instant.
    const bound = Math.min(
      this.#maxDelay,
      this.#baseDelay * 2 ** this.#attempt,
    );
    const delay = Math.random() * bound;
    this.#attempt++;
    actions.connectionChanged(this.#state, {
      kind: "offline",
      retryAt: Date.now() + delay,
    }, this.#session !== null);
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => this.#open(), delay);
  }

  /**
   * A moderator kicked or banned this user and the server closed the socket.
   * That is final: coming back is the user's choice, not the backoff's.
   */
  #removed(reason: string): void {
    const text = this.#removal ??
      (reason || t("error.removed"));
    this.#forget();
    clearTimeout(this.#retryTimer);
    this.#attempt = 0;
    actions.removedByModerator(this.#state, text);
    actions.connectionChanged(this.#state, { kind: "idle" });
  }

  #failWaiters(): void {
    for (const waiter of this.#waiters.values()) {
      clearTimeout(waiter.timer);
      waiter.resolve(failure("offline", t("error.lost")));
    }
    this.#waiters.clear();
  }

  /** Logs in again, rejoins the room, fetches what was missed, sends what was waiting. */
  async #resume(socket: WebSocket, session: Session): Promise<void> {
    const state = this.#state;
    const login = await this.request(
      "login",
      session.account ? {} : { username: session.username },
    );
    if (socket !== this.#socket) return;
    if (!login.ok) {
      if (RETRY_LOGIN.has(login.error.code)) {
        // The server may not have noticed the old socket died: keep the name
        // and try again after the backoff.
        this.#discard();
        this.#scheduleReconnect();
      } else {
        this.#forget();
        actions.loggedOut(
          state,
          session.account && login.error.code === "bad_credentials"
            ? t("error.sessionEnded")
            : t("error.reLogin", { message: login.error.message }),
        );
        actions.connectionChanged(state, { kind: "online" });
      }
      return;
    }
    actions.sessionResumed(state, login.data);
    const wanted = state.currentRoom.value;
    if (roomKey(wanted) === roomKey(login.data.room)) {
      await this.#catchUp(socket, login.data.room, null);
    } else {
      const joined = await this.request("join_room", { room: wanted });
      if (socket !== this.#socket) return;
      if (joined.ok) {
        await this.#catchUp(socket, joined.data.room, joined.data.history);
      } else {
        await this.#catchUp(socket, login.data.room, null);
        actions.noticeAdded(state, {
          room: login.data.room,
          kind: "error",
          text: t("error.rejoin", {
            room: wanted,
            message: joined.error.message,
          }),
        });
      }
    }
    if (socket !== this.#socket) return;
    this.#attempt = 0;
    actions.connectionChanged(state, { kind: "online" });
    this.#flushOutbox();
    void this.refreshMembers();
    const shown = state.view.value;
    if (shown.kind === "dm") {
      void this.#loadConversation(
        shown.with,
        lastSeq(state.logs.value[dmKey(shown.with)]),
      );
    }
  }

  /**
   * Brings a room's log up to date after a reconnect or a move the server
   * made, by seq, and shows that room.
   */
  async #catchUp(
    socket: WebSocket,
    room: string,
    joinHistory: ChatMessage[] | null,
  ): Promise<void> {
    const state = this.#state;
    const shown = state.view.value;
    actions.roomEntered(state, { room, history: [] });
    // A reconnect keeps an open conversation on screen.
    if (shown.kind === "dm") actions.conversationOpened(state, shown.with);
    let after = lastSeq(state.logs.value[roomKey(room)]);
    if (
      joinHistory &&
      (after === 0 || (joinHistory[0]?.seq ?? Infinity) <= after + 1)
    ) {
      actions.historyLoaded(state, { room, messages: joinHistory });
      return;
    }
    if (after === 0) {
      const page = await this.request("history", { room, limit: RECENT });
      if (page.ok && socket === this.#socket) {
        actions.historyLoaded(state, { room, messages: page.data.messages });
      }
      return;
    }
    for (let i = 0; i < MAX_CATCH_UP_PAGES; i++) {
      const page = await this.request("history", {
        room,
        after_seq: after,
        limit: PAGE_SIZE,
      });
      if (!page.ok || socket !== this.#socket) return;
      actions.historyLoaded(state, { room, messages: page.data.messages });
      const newest = page.data.messages.at(-1);
      if (!newest || page.data.messages.length < PAGE_SIZE) return;
      after = newest.seq;
    }
    // Too far behind to page through: the newest messages matter most.
    const page = await this.request("history", { room, limit: RECENT });
    if (page.ok && socket === this.#socket) {
      actions.historyLoaded(state, { room, messages: page.data.messages });
    }
  }

  /** Loads a conversation's messages after `afterSeq`, or its newest when 0. */
  async #loadConversation(other: string, afterSeq: number): Promise<void> {
    const data: Fields = afterSeq > 0
      ? { with: other, after_seq: afterSeq, limit: PAGE_SIZE }
      : { with: other, limit: RECENT };
    const page = await this.#send<ConversationPage>(
      "history",
      data,
      isConversationPage,
    );
    if (!page.ok) return;
    const key = dmKey(other);
    actions.historyLoaded(this.#state, {
      room: key,
      messages: page.data.messages.map((m) => ({ ...m, room: key })),
    });
  }

  /** The server moved this connection to general (room ban, room deleted): follow it. */
  async #movedToGeneral(text: string): Promise<void> {
    const socket = this.#socket;
    if (!socket) return;
    actions.roomEntered(this.#state, { room: GENERAL_ROOM, history: [] });
    void this.refreshMembers();
    await this.#catchUp(socket, GENERAL_ROOM, null);
    // A server ban closes the socket right after its notice: nothing to say then.
    if (socket !== this.#socket) return;
    actions.noticeAdded(this.#state, {
      room: GENERAL_ROOM,
      kind: "warning",
      text: t("notice.moved", { text }),
    });
  }

  /** Shows a message as pending and sends it when the session is ready. */
  #queue(pending: PendingMessage): void {
    actions.pendingAdded(this.#state, pending);
    // Offline, it waits in the log and goes out after the session resumes.
    if (this.#ready()) void this.#deliver(pending);
  }

  #flushOutbox(): void {
    const state = this.#state;
    const current = roomKey(state.currentRoom.value);
    for (const log of Object.values(state.logs.value)) {
      for (const pending of log.pending) {
        if (pending.status !== "pending") continue;
        if (pending.to !== undefined || roomKey(pending.room) === current) {
          void this.#deliver(pending);
        } else {
          actions.pendingChanged(state, {
            room: pending.room,
            clientId: pending.clientId,
            status: "failed",
            error: t("error.notInRoom", { room: pending.room }),
          });
        }
      }
    }
  }

  async #deliver(pending: PendingMessage): Promise<void> {
    let error: RequestError | null = null;
    const files: Fields = pending.attachments
      ? { attachments: pending.attachments.map((a) => ({ url: a.url })) }
      : {};
    if (pending.to === undefined) {
      const result = await this.request("send_message", {
        text: pending.text,
        client_id: pending.clientId,
        ...files,
      });
      if (result.ok) this.#onMessage(result.data.message, false);
      else error = result.error;
    } else {
      const result = await this.request("private_message", {
        to: pending.to,
        text: pending.text,
        client_id: pending.clientId,
        ...files,
      });
      if (result.ok) this.#onPrivate(result.data.message, false);
      else error = result.error;
    }
    if (error && error.code !== "offline") {
      actions.pendingChanged(this.#state, {
        room: pending.room,
        clientId: pending.clientId,
        status: "failed",
        error: error.message,
      });
    }
  }

  async #move(result: Result<RoomEntered>): Promise<RequestError | null> {
    if (!result.ok) return result.error;
    actions.roomEntered(this.#state, result.data);
    await this.refreshMembers();
    return null;
  }

  /**
   * Dispatches what arrived, in order. A batched frame may hold a reply and,
   * behind it, events that happened after the server answered: the code
   * awaiting the reply (say, merging a history page) must run before them,
   * as it would had they come in frames of their own. So after a reply the
   * rest waits for a task of its own, once the requester's microtasks ran.
   */
  #drainInbox(pause = true): void {
    this.#inboxPaused = false;
    const inbox = this.#inbox;
    let next = 0;
    while (next < inbox.length) {
      const answered = this.#dispatch(inbox[next++]);
      // The socket was dropped meanwhile: what it still held is not wanted.
      if (inbox !== this.#inbox) return;
      if (pause && answered && next < inbox.length) {
        this.#inboxPaused = true;
        this.#inboxResume.port2.postMessage(null);
        break;
      }
    }
    inbox.splice(0, next);
  }

  /** Handles one object from the server; true when it answered a request. */
  #dispatch(envelope: Envelope<Fields>): boolean {
    const data = envelope.data ?? {};
    if (
      envelope.id !== undefined &&
      (envelope.action === "success" || envelope.action === "error")
    ) {
      return this.#settle(envelope.id, envelope.action === "success", data);
    }
    switch (envelope.action) {
      case "receive_message":
        if (isChatMessage(data)) this.#onMessage(data, true);
        break;
      case "message_updated":
        if (isChatMessage(data) || isPrivateMessage(data)) {
          this.#onUpdated(data);
        }
        break;
      case "typing":
        this.#onTyping(data);
        break;
      case "system":
        if (isSystemEvent(data)) {
          this.#onSystem(data, isRole(data.role) ? data.role : undefined);
        }
        break;
      case "room_list":
        if (isRoomList(data.rooms)) this.#onRoomList(data.rooms);
        break;
      case "private_message":
        if (isPrivateMessage(data)) this.#onPrivate(data, true);
        break;
      case "error":
        // An error without an id answers nothing we asked: show it where the user looks.
        actions.errorShown(this.#state, toErrorData(data));
        break;
    }
    return false;
  }

  /** Resolves the request with this id; false when nothing waits for it. */
  #settle(id: string, ok: boolean, data: Fields): boolean {
    const waiter = this.#waiters.get(id);
    if (!waiter) return false;
    this.#waiters.delete(id);
    clearTimeout(waiter.timer);
    if (!ok) {
      const error = toErrorData(data);
      waiter.resolve(failure(error.code, error.message));
    } else if (waiter.check(data)) {
      // Private messages queued for this user come right behind the login
      // reply, maybe in the same frame: they need the name before the
      // awaiting code runs.
      if (waiter.action === "login") this.#me = data.username as string;
      waiter.resolve({ ok: true, data });
    } else {
      waiter.resolve(
        failure("invalid_message", t("error.unreadable")),
      );
    }
    return true;
  }

  /** A room message: from the server's events (`live`) or a send's reply. */
  #onMessage(message: ChatMessage, live: boolean): void {
    const state = this.#state;
    const key = roomKey(message.room);
    const log = state.logs.value[key];
    const before = lastSeq(log);
    const known = log?.messages.some((m) => m.seq === message.seq) ?? false;
    actions.messageReceived(state, message);
    if (live && !known) {
      this.#typing.stopped(key, message.user);
      this.#heard({
        key,
        dm: false,
        message,
        room: message.room,
        open: () => actions.roomShown(state),
      });
    }
    const current = roomKey(message.room) === roomKey(state.currentRoom.value);
    // seq has no gaps: a jump means frames were missed, so fetch them.
    if (current && before > 0 && message.seq > before + 1) {
      const limit = Math.min(PAGE_SIZE, message.seq - before - 1);
      void this.request("history", {
        room: message.room,
        after_seq: before,
        limit,
      }).then((page) => {
        if (page.ok) {
          actions.historyLoaded(state, page.data);
        }
      });
    }
  }

  /** A private message: from the server's events (`live`) or a send's reply. */
  #onPrivate(message: PrivateMessage, live: boolean): void {
    const state = this.#state;
    const me = this.#me ?? state.username.value;
    if (me === null) return;
    const other = roomKey(message.user) === roomKey(me)
      ? message.to
      : message.user;
    const key = dmKey(other);
    const known =
      state.logs.value[key]?.messages.some((m) => m.seq === message.seq) ??
        false;
    actions.privateMessageReceived(state, { message, me });
    if (live && !known) {
      this.#typing.stopped(key, message.user);
      this.#heard({
        key,
        dm: true,
        message,
        open: () => void this.openConversation(other),
      });
    }
  }

  /** Counts a new message from someone else as unread and lets the notifier know. */
  #heard(heard: {
    key: string;
    dm: boolean;
    message: ChatMessage | PrivateMessage;
    room?: string;
    open: () => void;
  }): void {
    const { key, dm, message } = heard;
    const state = this.#state;
    const me = this.#me ?? state.username.value;
    if (me === null || roomKey(message.user) === roomKey(me)) return;
    const mention = mentions(message.text, me);
    actions.messageCounted(state, { key, seq: message.seq, mention });
    const files = message.attachments?.length ?? 0;
    let body = message.text;
    if (body === "" && files > 0) {
      body = files === 1 ? t("file.sent") : t("file.sentMany", { n: files });
    }
    this.#onIncoming({
      key,
      dm,
      mention,
      user: message.user,
      room: heard.room,
      body,
      ts: message.ts,
      open: heard.open,
    });
  }

  /** An edited or deleted message, room or private, replaces the copy held. */
  #onUpdated(message: ChatMessage | PrivateMessage): void {
    const state = this.#state;
    if ("room" in message && typeof message.room === "string") {
      actions.messageUpdated(state, message as ChatMessage);
      return;
    }
    const me = this.#me ?? state.username.value;
    if (me === null || !("to" in message)) return;
    const other = roomKey(message.user) === roomKey(me)
      ? message.to
      : message.user;
    const { to: _to, ...rest } = message;
    actions.messageUpdated(state, { ...rest, room: dmKey(other) });
  }

  /** `typing {room, user}` in a room, or `typing {to, user}` in a conversation. */
  #onTyping(data: Fields): void {
    const user = data.user;
    if (typeof user !== "string") return;
    const me = this.#me ?? this.#state.username.value;
    if (me !== null && roomKey(user) === roomKey(me)) return;
    if (typeof data.room === "string") {
      this.#typing.heard(roomKey(data.room), user);
    } else if (typeof data.to === "string") {
      this.#typing.heard(dmKey(user), user);
    }
  }

  #onSystem(event: SystemEvent, role: Role | undefined): void {
    const state = this.#state;
    const me = this.#me ?? state.username.value ?? "";
    const aboutMe = event.user !== undefined &&
      roomKey(event.user) === roomKey(me);
    const current = state.currentRoom.value;
    const here = roomKey(event.room) === roomKey(current);
    const inGeneral = roomKey(current) === GENERAL_ROOM;
    if (event.kind === "info" && aboutMe && role !== undefined) {
      actions.roleChanged(state, role);
      actions.noticeAdded(state, {
        room: state.viewKey.value,
        kind: "warning",
        text: event.text,
      });
      return;
    }
    if ((event.kind === "kicked" || event.kind === "banned") && aboutMe) {
      // A kick or server ban closes the socket (4003) right after: the
      // close ends the session with this text. A room ban (same event,
      // no close) moved the connection to general.
      this.#removal = event.text;
      if (event.kind === "banned" && here && !inGeneral) {
        void this.#movedToGeneral(event.text);
      }
      return;
    }
    if (event.kind === "deleted" && here && !inGeneral) {
      void this.#movedToGeneral(event.text);
      return;
    }
    if (!here) return;
    actions.noticeAdded(state, {
      room: current,
      kind: "system",
      text: event.text,
    });
    if (event.kind !== "info" && event.kind !== "created") {
      void this.refreshMembers();
    }
  }

  #onRoomList(rooms: RoomSummary[]): void {
    const state = this.#state;
    actions.roomsUpdated(state, rooms);
    if (this.#session === null) return;
    // Counts are cheap to compare; the member list is fetched only when they disagree.
    const here = rooms.find((r) =>
      roomKey(r.name) === roomKey(state.currentRoom.value)
    );
    if (here && here.users !== state.members.value.length) {
      void this.refreshMembers();
    }
  }
}

function isRoomEntered(data: Fields): boolean {
  return typeof data.room === "string" && isMessageList(data.history);
}

function isConversationPage(data: Fields): boolean {
  return typeof data.with === "string" && isPrivateList(data.messages);
}

function failure(
  code: ClientErrorCode,
  message: string,
): { ok: false; error: RequestError } {
  return { ok: false, error: { code, message } };
}

/** Shortest password the server accepts (server/accounts/password.ts). */

/** A sentence for the login screen after a guest login; common refusals get their own. */
function loginErrorText(name: string, error: RequestError): string {
  switch (error.code) {
    case "username_taken":
      return t("error.nameTaken", { name });
    case "username_invalid":
      return t("error.nameRules");
    case "offline":
      return t("error.offline");
    default:
      return error.message;
  }
}

/** A sentence for the login screen after a sign-in or sign-up over HTTP. */
function accountErrorText(name: string, error: AuthError): string {
  switch (error.code) {
    case "bad_credentials":
      return t("error.badCredentials");
    case "username_taken":
      return t("error.accountTaken", { name });
    case "username_invalid":
      return t("error.nameRules");
    default:
      // rate_limited says when to try again; banned says why.
      return error.message;
  }
}

/** A sentence for the login screen when the session cookie did not log in. */
function cookieErrorText(error: RequestError): string {
  return error.code === "bad_credentials"
    ? t("error.sessionEnded")
    : error.message;
}

/** crypto.randomUUID exists only in secure contexts; a LAN server on plain http is not one. */
function newClientId(): string {
  if (typeof crypto.randomUUID === "function") {
    return crypto.randomUUID();
  }
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
