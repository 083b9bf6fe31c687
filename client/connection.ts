/**
 * The only WebSocket user. Owns the socket's life (connect, reconnect with
 * full-jitter backoff, resume the session), matches replies to requests by
 * id, and turns server frames into actions. Components call its methods and
 * never see the socket.
 */

import type {
  ChatMessage,
  Envelope,
  ErrorCode,
  HistoryPage,
  LoginSuccess,
  RoomEntered,
  RoomListEvent,
  RoomSummary,
  SystemEvent,
} from "../server/protocol/types.ts";
import { GENERAL_ROOM } from "../server/protocol/types.ts";
import * as actions from "./actions.ts";
import { lastSeq, type PendingMessage } from "./room_log.ts";
import { type AppState, roomKey } from "./state.ts";
import {
  decodeFrame,
  type Fields,
  isChatMessage,
  isMessageList,
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
}

/** Messages asked per history page when catching up. */
const PAGE_SIZE = 200;
/** Pages fetched when catching up before giving up and starting from the newest. */
const MAX_CATCH_UP_PAGES = 5;
/** Messages shown when entering a room we know nothing about. */
const RECENT = 50;
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
};

interface Waiter {
  action: keyof Replies;
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
  #nextId = 0;
  #attempt = 0;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #session: string | null = null;
  #stopped = true;
  #membersBusy = false;
  #memberAsks = 0;

  constructor(state: AppState, options: ConnectionOptions = {}) {
    this.#state = state;
    this.#url = options.url ?? defaultSocketUrl();
    this.#baseDelay = options.baseDelayMs ?? 500;
    this.#maxDelay = options.maxDelayMs ?? 15_000;
    this.#timeout = options.requestTimeoutMs ?? 10_000;
  }

  /** Opens the socket; it then stays connected until {@linkcode stop}. */
  start(): void {
    this.#stopped = false;
    this.#open();
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
    const socket = this.#socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) {
      return Promise.resolve(
        failure("offline", "Not connected to the server."),
      );
    }
    this.#nextId++;
    const id = `c${this.#nextId}`;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(id);
        resolve(failure("timeout", "The server did not answer in time."));
      }, this.#timeout);
      this.#waiters.set(id, {
        action,
        timer,
        resolve: (r) => resolve(r as Result<Replies[A]>),
      });
      socket.send(JSON.stringify({ action, data, id }));
    });
  }

  /** Logs in as a guest; on success enters the chat and loads recent history. */
  async login(username: string): Promise<void> {
    const state = this.#state;
    const name = username.trim();
    if (name === "") {
      actions.loginFailed(state, "Enter a username.");
      return;
    }
    actions.loginStarted(state);
    const result = await this.request("login", { username: name });
    if (!result.ok) {
      actions.loginFailed(state, loginErrorText(name, result.error));
      return;
    }
    this.#session = result.data.username;
    actions.loggedIn(state, result.data);
    const page = await this.request("history", {
      room: result.data.room,
      limit: RECENT,
    });
    if (page.ok) {
      actions.historyLoaded(state, page.data);
    }
    void this.refreshMembers();
  }

  /** Ends the session and returns to the login screen on a fresh socket. */
  logout(): void {
    this.#session = null;
    actions.loggedOut(this.#state);
    this.#discard();
    clearTimeout(this.#retryTimer);
    this.#attempt = 0;
    if (!this.#stopped) this.#open();
  }

  /** Moves to a room; resolves to the error, or null on success. */
  async joinRoom(name: string): Promise<RequestError | null> {
    const room = name.trim().replace(/^#/, "");
    if (roomKey(room) === roomKey(this.#state.currentRoom.value)) {
      actions.drawerToggled(this.#state, false);
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
  sendMessage(text: string): void {
    const state = this.#state;
    const user = state.username.value;
    if (user === null) return;
    const pending: PendingMessage = {
      clientId: newClientId(),
      room: state.currentRoom.value,
      user,
      text,
      ts: new Date().toISOString(),
      status: "pending",
    };
    actions.pendingAdded(state, pending);
    // Offline, it waits in the log and goes out after the session resumes.
    if (this.#ready()) void this.#deliver(pending);
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

  #ready(): boolean {
    return this.#session !== null &&
      this.#state.status.value.kind === "online" && !this.#state.resuming.value;
  }

  #open(): void {
    const resuming = this.#session !== null;
    actions.connectionChanged(this.#state, { kind: "connecting" }, resuming);
    let socket: WebSocket;
    try {
      socket = new WebSocket(this.#url);
    } catch {
      this.#socket = null;
      this.#scheduleReconnect();
      return;
    }
    this.#socket = socket;
    socket.onopen = () => {
      if (socket !== this.#socket) return;
      if (this.#session === null) {
        this.#attempt = 0;
        actions.connectionChanged(this.#state, { kind: "online" });
      } else {
        void this.#resume(socket, this.#session);
      }
    };
    socket.onmessage = (event: MessageEvent) => {
      if (socket !== this.#socket || typeof event.data !== "string") return;
      for (const envelope of decodeFrame(event.data)) this.#dispatch(envelope);
    };
    socket.onclose = () => {
      if (socket !== this.#socket) return;
      this.#socket = null;
      this.#failWaiters();
      this.#scheduleReconnect();
    };
  }

  /** Detaches and closes the socket without scheduling a reconnect. */
  #discard(): void {
    const socket = this.#socket;
    this.#socket = null;
    if (socket) {
      socket.onopen = null;
      socket.onmessage = null;
      socket.onclose = null;
      socket.close();
    }
    this.#failWaiters();
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

  #failWaiters(): void {
    for (const waiter of this.#waiters.values()) {
      clearTimeout(waiter.timer);
      waiter.resolve(failure("offline", "The connection was lost."));
    }
    this.#waiters.clear();
  }

  /** Logs in again, rejoins the room, fetches what was missed, sends what was waiting. */
  async #resume(socket: WebSocket, username: string): Promise<void> {
    const state = this.#state;
    const login = await this.request("login", { username });
    if (socket !== this.#socket) return;
    if (!login.ok) {
      if (RETRY_LOGIN.has(login.error.code)) {
        // The server may not have noticed the old socket died: keep the name
        // and try again after the backoff.
        this.#discard();
        this.#scheduleReconnect();
      } else {
        this.#session = null;
        actions.loggedOut(
          state,
          `Could not log in again: ${login.error.message}`,
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
          text: `Could not rejoin #${wanted}: ${joined.error.message}`,
        });
      }
    }
    if (socket !== this.#socket) return;
    this.#attempt = 0;
    actions.connectionChanged(state, { kind: "online" });
    this.#flushOutbox();
    void this.refreshMembers();
  }

  /** Brings a room's log up to date after a reconnect, by seq. */
  async #catchUp(
    socket: WebSocket,
    room: string,
    joinHistory: ChatMessage[] | null,
  ): Promise<void> {
    const state = this.#state;
    actions.roomEntered(state, { room, history: [] });
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
      if (page.ok) {
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
    if (page.ok) {
      actions.historyLoaded(state, { room, messages: page.data.messages });
    }
  }

  #flushOutbox(): void {
    const state = this.#state;
    const current = roomKey(state.currentRoom.value);
    for (const log of Object.values(state.logs.value)) {
      for (const pending of log.pending) {
        if (pending.status !== "pending") continue;
        if (roomKey(pending.room) === current) {
          void this.#deliver(pending);
        } else {
          actions.pendingChanged(state, {
            room: pending.room,
            clientId: pending.clientId,
            status: "failed",
            error: `Not sent: you are no longer in #${pending.room}.`,
          });
        }
      }
    }
  }

  async #deliver(pending: PendingMessage): Promise<void> {
    const result = await this.request("send_message", {
      text: pending.text,
      client_id: pending.clientId,
    });
    if (result.ok) {
      this.#onMessage(result.data.message);
    } else if (result.error.code !== "offline") {
      actions.pendingChanged(this.#state, {
        room: pending.room,
        clientId: pending.clientId,
        status: "failed",
        error: result.error.message,
      });
    }
  }

  async #move(result: Result<RoomEntered>): Promise<RequestError | null> {
    if (!result.ok) return result.error;
    actions.roomEntered(this.#state, result.data);
    await this.refreshMembers();
    return null;
  }

  #dispatch(envelope: Envelope<Fields>): void {
    const data = envelope.data ?? {};
    if (
      envelope.id !== undefined &&
      (envelope.action === "success" || envelope.action === "error")
    ) {
      this.#settle(envelope.id, envelope.action === "success", data);
      return;
    }
    switch (envelope.action) {
      case "receive_message":
        if (isChatMessage(data)) this.#onMessage(data);
        break;
      case "system":
        if (isSystemEvent(data)) this.#onSystem(data, envelope.timestamp);
        break;
      case "room_list":
        if (isRoomList(data.rooms)) this.#onRoomList(data.rooms);
        break;
      case "private_message":
        this.#onPrivate(data, envelope.timestamp);
        break;
      case "error":
        // An error without an id answers nothing we asked: show it where the user looks.
        actions.noticeAdded(this.#state, {
          room: this.#state.currentRoom.value,
          kind: "error",
          text: toErrorData(data).message,
        });
        break;
    }
  }

  #settle(id: string, ok: boolean, data: Fields): void {
    const waiter = this.#waiters.get(id);
    if (!waiter) return;
    this.#waiters.delete(id);
    clearTimeout(waiter.timer);
    if (!ok) {
      const error = toErrorData(data);
      waiter.resolve(failure(error.code, error.message));
    } else if (REPLY_CHECKS[waiter.action](data)) {
      waiter.resolve({ ok: true, data });
    } else {
      waiter.resolve(
        failure(
          "invalid_message",
          "The server sent a reply this client cannot read.",
        ),
      );
    }
  }

  #onMessage(message: ChatMessage): void {
    const state = this.#state;
    const before = lastSeq(state.logs.value[roomKey(message.room)]);
    actions.messageReceived(state, message);
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

  #onSystem(event: SystemEvent, ts: string | undefined): void {
    const state = this.#state;
    const current = state.currentRoom.value;
    if (roomKey(event.room) !== roomKey(current)) return;
    actions.noticeAdded(state, {
      room: current,
      kind: "system",
      text: event.text,
      ts,
    });
    const aboutMe = event.user !== undefined &&
      roomKey(event.user) === roomKey(state.username.value ?? "");
    const removed = event.kind === "deleted" ||
      ((event.kind === "kicked" || event.kind === "banned") && aboutMe);
    if (removed && roomKey(current) !== roomKey(GENERAL_ROOM)) {
      void this.joinRoom(GENERAL_ROOM);
    } else if (event.kind !== "info" && event.kind !== "created") {
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

  #onPrivate(data: Fields, ts: string | undefined): void {
    if (
      typeof data.user !== "string" || typeof data.to !== "string" ||
      typeof data.text !== "string"
    ) return;
    const state = this.#state;
    const when = typeof data.ts === "string" ? data.ts : ts;
    actions.noticeAdded(state, {
      room: state.currentRoom.value,
      kind: "private",
      text: `${data.user} → ${data.to}: ${data.text}`,
      ts: when,
    });
  }
}

function isRoomEntered(data: Fields): boolean {
  return typeof data.room === "string" && isMessageList(data.history);
}

function failure(
  code: ClientErrorCode,
  message: string,
): { ok: false; error: RequestError } {
  return { ok: false, error: { code, message } };
}

/** A sentence for the login screen; the two common refusals get their own. */
function loginErrorText(name: string, error: RequestError): string {
  switch (error.code) {
    case "username_taken":
      return `The name "${name}" is already in use. Pick another one.`;
    case "username_invalid":
      return "Usernames are 1 to 32 letters or digits, plus _ - . and no spaces.";
    case "offline":
      return "Not connected to the server yet. Try again in a moment.";
    default:
      return error.message;
  }
}

/** crypto.randomUUID exists only in secure contexts; a LAN server on plain http is not one. */
function newClientId(): string {
  if (typeof crypto.randomUUID === "function") {
    return crypto.randomUUID();
  }
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
