/**
 * A scripted, in-process server for the web client's connection, so its
 * network code runs under plain `deno test` with no browser: the test is
 * the server. It accepts or refuses each socket, answers each request (one
 * frame may carry a reply and events behind it, as the real server
 * batches), pushes events and drops sockets; a fake clock decides when
 * timers fire, so no test races the real one.
 */

import assert from "node:assert/strict";
import type { Clock, TimerId } from "../client/clock.ts";
import {
  type AuthApi,
  Connection,
  type ConnectionOptions,
  type Socket,
  type SocketHandlers,
} from "../client/connection/mod.ts";
import { lang } from "../client/i18n.ts";
import type { Incoming } from "../client/notifier.ts";
import { type AppState, createAppState } from "../client/state.ts";
import type {
  ChatMessage,
  PrivateMessage,
  Role,
  RoomSummary,
} from "../server/protocol/types.ts";

/** Timers that fire only when the test moves time on. */
export class FakeClock implements Clock {
  #now = Date.UTC(2026, 11, 1, 12, 0, 0);
  #next = 0;
  #timers = new Map<number, { at: number; run: () => void }>();

  now(): number {
    return this.#now;
  }

  after(ms: number, run: () => void): TimerId {
    this.#next++;
    this.#timers.set(this.#next, { at: this.#now + Math.max(0, ms), run });
    return this.#next;
  }

  cancel(timer: TimerId): void {
    if (typeof timer === "number") this.#timers.delete(timer);
  }

  /** Delays (from now) of the timers still to fire, soonest first. */
  get pending(): number[] {
    return [...this.#timers.values()].map((t) => t.at - this.#now).sort((
      a,
      b,
    ) => a - b);
  }

  /** Moves time on by `ms`, firing each timer that falls due, in time order. */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      let due: [number, { at: number; run: () => void }] | undefined;
      for (const entry of this.#timers) {
        if (entry[1].at <= end && (!due || entry[1].at < due[1].at)) {
          due = entry;
        }
      }
      if (!due) break;
      this.#timers.delete(due[0]);
      this.#now = due[1].at;
      due[1].run();
    }
    this.#now = end;
  }
}

/** A request as the server received it. */
export interface Received {
  action: string;
  data: Record<string, unknown>;
  id: string;
  socket: FakeSocket;
}

/** The server's end of one socket. */
export class FakeSocket implements Socket {
  open = false;
  /** True once the client closed it. */
  closedByClient = false;
  #server: ScriptedServer;
  #handlers: SocketHandlers;

  constructor(server: ScriptedServer, handlers: SocketHandlers) {
    this.#server = server;
    this.#handlers = handlers;
  }

  send(text: string): void {
    assert.ok(this.open, "the client sent on a socket that is not open");
    const value = JSON.parse(text);
    this.#server.received({ ...value, socket: this });
  }

  close(): void {
    this.open = false;
    this.closedByClient = true;
  }

  /** The upgrade succeeded: the client hears `open`. */
  accept(): void {
    this.open = true;
    this.#handlers.open();
  }

  /** Sends one frame holding these objects, joined with "\n" as the server batches. */
  push(...objects: unknown[]): void {
    assert.ok(this.open, "the server sent on a socket that is not open");
    this.#handlers.message(objects.map((o) => JSON.stringify(o)).join("\n"));
  }

  /** The connection ends from the server's side (or the network's). */
  drop(code = 1006, reason = ""): void {
    this.open = false;
    this.#handlers.close(code, reason);
  }
}

/** Plays the server for one client: sockets, requests, replies, events. */
export class ScriptedServer {
  /** Every socket the client opened, oldest first. */
  readonly sockets: FakeSocket[] = [];
  #requests: Received[] = [];
  #wake: (() => void) | null = null;

  /** The socket factory to give the connection. */
  connect = (_url: string, handlers: SocketHandlers): Socket => {
    const socket = new FakeSocket(this, handlers);
    this.sockets.push(socket);
    this.#wake?.();
    return socket;
  };

  /** The newest socket. */
  get socket(): FakeSocket {
    const socket = this.sockets.at(-1);
    assert.ok(socket, "the client opened no socket");
    return socket;
  }

  /**
   * Whether the test answers `list_conversations` itself; by default the
   * one an account's client sends after each login is answered at once
   * with no conversations and never reaches {@linkcode next}.
   */
  scriptsConversations = false;

  /** Whether the test answers `list_drafts` itself (by default: none, at once). */
  scriptsDrafts = false;

  /** Whether the test answers `list_saved` `{"ids":true}` itself (by default: none, at once). */
  scriptsSaved = false;

  /** Whether the test answers `list_scheduled` itself (by default: none, at once). */
  scriptsScheduled = false;

  /** Called by a socket with what the client sent. */
  received(request: Received): void {
    if (
      request.action === "list_conversations" && !this.scriptsConversations
    ) {
      // After the send returns, as a server's answer comes.
      queueMicrotask(() => {
        if (request.socket.open) this.reply(request, { conversations: [] });
      });
      return;
    }
    // The list of ignored accounts an account's client reads after each
    // login: none, answered at once, as the conversations above.
    if (request.action === "list_ignored") {
      queueMicrotask(() => {
        if (request.socket.open) this.reply(request, { users: [] });
      });
      return;
    }
    // The user groups an account's client reads after each login and
    // resume: none, answered at once.
    if (request.action === "list_groups") {
      queueMicrotask(() => {
        if (request.socket.open) this.reply(request, { groups: [] });
      });
      return;
    }
    // The notification levels an account's client reads after each login
    // and resume: none, answered at once.
    if (request.action === "list_notify_levels") {
      queueMicrotask(() => {
        if (request.socket.open) this.reply(request, { levels: [] });
      });
      return;
    }
    // The saved ids an account's client reads after each login and resume:
    // none, answered at once.
    if (
      request.action === "list_saved" && request.data.ids === true &&
      !this.scriptsSaved
    ) {
      queueMicrotask(() => {
        if (request.socket.open) this.reply(request, { ids: [] });
      });
      return;
    }
    // The scheduled messages an account's client reads after each login
    // and resume: none, answered at once.
    if (request.action === "list_scheduled" && !this.scriptsScheduled) {
      queueMicrotask(() => {
        if (request.socket.open) this.reply(request, { scheduled: [] });
      });
      return;
    }
    // The server's custom emoji, read after each login and resume: none,
    // answered at once.
    if (request.action === "list_emoji") {
      queueMicrotask(() => {
        if (request.socket.open) this.reply(request, { emoji: [] });
      });
      return;
    }
    // The statuses the member list asks for after each list_users: none,
    // answered at once.
    if (request.action === "get_status") {
      queueMicrotask(() => {
        if (request.socket.open) this.reply(request, { statuses: [] });
      });
      return;
    }
    // The drafts an account's client asks for after each login and resume:
    // none, unless a test is about them.
    if (request.action === "list_drafts" && !this.scriptsDrafts) {
      queueMicrotask(() => {
        if (request.socket.open) this.reply(request, { drafts: [] });
      });
      return;
    }
    this.#requests.push(request);
    this.#wake?.();
  }

  /** Requests received and not yet taken by {@linkcode next}. */
  get waiting(): Received[] {
    return [...this.#requests];
  }

  /** Waits for the client's next request, which must be `action`. */
  async next(action: string): Promise<Received> {
    while (this.#requests.length === 0) await this.#sleep();
    const request = this.#requests.shift()!;
    assert.equal(
      request.action,
      action,
      `expected ${action}, got ${JSON.stringify(request.action)}`,
    );
    return request;
  }

  /** Waits until the client has opened `count` sockets in all. */
  async socketCount(count: number): Promise<FakeSocket> {
    while (this.sockets.length < count) await this.#sleep();
    return this.sockets[count - 1];
  }

  /** Answers a request with success data, and events behind it in the same frame. */
  reply(
    request: Received,
    data: Record<string, unknown>,
    ...events: unknown[]
  ): void {
    request.socket.push(
      {
        action: "success",
        id: request.id,
        data: { request: request.action, ...data },
      },
      ...events,
    );
  }

  /** Refuses a request with an error code and sentence. */
  refuse(request: Received, code: string, message: string): void {
    request.socket.push({
      action: "error",
      id: request.id,
      data: { request: request.action, code, message },
    });
  }

  /**
   * Waits for the client to act; fails the test after 30 s (the client acts
   * in milliseconds, a busy machine may pause the process for seconds).
   */
  #sleep(): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#wake = null;
        reject(new Error("the client sent nothing"));
      }, 30_000);
      this.#wake = () => {
        clearTimeout(timer);
        this.#wake = null;
        resolve();
      };
    });
  }
}

/** Account calls answered by the test: a session cookie or none, and what was asked. */
export class FakeAuth implements AuthApi {
  /** The account the cookie belongs to; `null` for none, `offline` when HTTP is down too. */
  session: { username: string; role: Role } | null | "offline" = null;
  /** Calls made, in order. */
  readonly calls: string[] = [];

  fetchSession(): ReturnType<AuthApi["fetchSession"]> {
    this.calls.push("session");
    const session = this.session;
    if (session === "offline") {
      return Promise.resolve({
        ok: false,
        error: { code: "offline", message: "Cannot reach the server." },
      });
    }
    return Promise.resolve({ ok: true, data: session });
  }

  postCredentials(
    mode: "signin" | "register",
    credentials: { username: string; password: string },
  ): ReturnType<AuthApi["postCredentials"]> {
    this.calls.push(`${mode} ${credentials.username}`);
    if (credentials.password !== "correct horse") {
      return Promise.resolve({
        ok: false,
        error: { code: "bad_credentials", message: "Wrong." },
      });
    }
    this.session = { username: credentials.username, role: "user" };
    return Promise.resolve({ ok: true, data: this.session });
  }

  /** When set, a logout's request is answered only once this resolves. */
  logoutAnswered?: Promise<void>;
  /** When set, logouts get no answer (offline, timed out): the session stays. */
  logoutUnanswered = false;

  async postLogout(): Promise<boolean> {
    this.calls.push("logout");
    await this.logoutAnswered;
    if (this.logoutUnanswered) return false;
    this.session = null;
    return true;
  }
}

/** A client under test with its scripted server, clock and account calls. */
export interface Rig {
  state: AppState;
  connection: Connection;
  server: ScriptedServer;
  clock: FakeClock;
  auth: FakeAuth;
  /** What the notifier was told, in order. */
  incoming: Incoming[];
  /** Stops the client; call at the end of every test. */
  stop(): Promise<void>;
}

/**
 * A client wired to a scripted server. Backoff jitter defaults to 0.5, so
 * each wait is half its bound. The interface speaks English.
 */
export function rig(options: ConnectionOptions = {}): Rig {
  lang.value = "en";
  const state = createAppState();
  const server = new ScriptedServer();
  const clock = new FakeClock();
  const auth = new FakeAuth();
  const incoming: Incoming[] = [];
  const connection = new Connection(state, {
    url: "ws://chat.test/ws",
    connect: server.connect,
    clock,
    random: () => 0.5,
    auth,
    onIncoming: (i) => incoming.push(i),
    ...options,
  });
  return {
    state,
    connection,
    server,
    clock,
    auth,
    incoming,
    async stop() {
      connection.stop();
      // Lets promises the stop settled run their course inside the test.
      await settle();
    },
  };
}

/** Lets the client's pending promises and tasks run, to show that nothing more happens. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

/**
 * Waits until `check` holds: the rest of a frame after a reply runs in a
 * task of its own (a MessageChannel message), whose turn the test cannot
 * name. Fails after 30 s (a busy machine may pause the process for
 * seconds).
 */
export async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!check() && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  assert.ok(check(), `timed out waiting until ${what}`);
}

/** A `login` success reply's data. */
export function loginReply(
  username: string,
  more: { room?: string; role?: Role; rooms?: RoomSummary[] } = {},
): Record<string, unknown> {
  return {
    username,
    role: more.role ?? "user",
    room: more.room ?? "general",
    rooms: more.rooms ?? [{ name: "general", users: 1 }],
  };
}

/** A room message. */
export function roomMessage(
  seq: number,
  more: Partial<ChatMessage> = {},
): ChatMessage {
  return {
    id: `m${seq}`,
    seq,
    room: "general",
    user: "bob",
    text: `message ${seq}`,
    ts: new Date(Date.UTC(2026, 11, 1, 11, 0, seq)).toISOString(),
    ...more,
  };
}

/** A private message. */
export function privateMessage(
  seq: number,
  more: Partial<PrivateMessage> = {},
): PrivateMessage {
  return {
    id: `p${seq}`,
    seq,
    user: "bob",
    to: "ida",
    text: `private ${seq}`,
    ts: new Date(Date.UTC(2026, 11, 1, 11, 0, seq)).toISOString(),
    ...more,
  };
}

/** The seqs and texts of a log, for comparing. */
export function logTexts(state: AppState, key: string): string[] {
  return (state.logs.value[key]?.messages ?? []).map((m) =>
    `${m.seq}:${m.text}`
  );
}

/**
 * Starts the client (no saved session) and logs in as a guest, answering
 * the login, the first history page and the member list.
 */
export async function loginAsGuest(
  rig: Rig,
  name: string,
  history: ChatMessage[] = [],
): Promise<void> {
  const { connection, server } = rig;
  connection.start();
  const socket = await server.socketCount(server.sockets.length + 1);
  socket.accept();
  const done = connection.login(name);
  server.reply(await server.next("login"), loginReply(name));
  server.reply(await server.next("history"), {
    room: "general",
    messages: history,
  });
  server.reply(await server.next("list_users"), { users: [name] });
  await done;
  await settle();
}

/** Moves the logged-in client to `room`, answering the join and the member list. */
export async function enterRoom(
  rig: Rig,
  room: string,
  history: ChatMessage[] = [],
): Promise<void> {
  const { connection, server } = rig;
  const joined = connection.joinRoom(room);
  const join = await server.next("join_room");
  assert.deepEqual(join.data, { room: room.replace(/^#/, "") });
  server.reply(join, { room: join.data.room, history });
  // An account asks whether it manages the room; this one does not.
  if (rig.state.account.value && join.data.room !== "general") {
    server.refuse(await server.next("list_invites"), "forbidden", "No.");
  }
  server.reply(await server.next("list_users"), { users: ["ida"] });
  assert.equal(await joined, null);
}

/** Lets the backoff wait run out and accepts the socket the client opens next. */
export async function backOnline(rig: Rig): Promise<FakeSocket> {
  const { clock, server } = rig;
  const count = server.sockets.length;
  clock.advance(clock.pending[0] ?? 0);
  const socket = await server.socketCount(count + 1);
  socket.accept();
  return socket;
}

/** One membership of a `login` reply: a room and its read state. */
export function membership(
  room: string,
  more: {
    last_read_seq?: number;
    unread?: number;
    mentions?: number;
    last_seq?: number;
  } = {},
): Record<string, unknown> {
  const last = more.last_seq ?? 0;
  return {
    room,
    last_read_seq: more.last_read_seq ?? last,
    unread: more.unread ?? 0,
    mentions: more.mentions ?? 0,
    last_seq: last,
  };
}

/**
 * Starts the client with a session cookie and logs in to the account,
 * answering the login (with these memberships), the first history page
 * and the member list.
 */
export async function loginAsAccount(
  rig: Rig,
  name: string,
  memberships: Record<string, unknown>[] = [membership("general")],
  rooms: RoomSummary[] = [{ name: "general", users: 1 }],
): Promise<void> {
  const { connection, server, auth } = rig;
  auth.session = { username: name, role: "user" };
  connection.start();
  const socket = await server.socketCount(server.sockets.length + 1);
  socket.accept();
  server.reply(await server.next("login"), {
    ...loginReply(name, { rooms }),
    memberships,
  });
  server.reply(await server.next("history"), {
    room: "general",
    messages: [],
  });
  server.reply(await server.next("list_users"), { users: [name] });
  await until(() => rig.state.username.value === name, "logged in");
  await settle();
}
