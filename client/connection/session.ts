/**
 * Who this client is logged in as, and getting back in: a guest login, an
 * account's sign-in or sign-up over HTTP (the server sets an HttpOnly
 * cookie the next socket carries), the cookie login after a reload, the
 * resume after a reconnect, logout, and removal by a moderator.
 */

import type { LoginSuccess } from "../../server/protocol/types.ts";
import { PASSWORD_MIN_LENGTH } from "../../server/protocol/limits.ts";
import * as actions from "../actions.ts";
import type { AuthResult, CredentialMode, SessionInfo } from "../auth_api.ts";
import { t } from "../i18n.ts";
import { type AppState, roomKey, roomTitle } from "../state.ts";
import type { Words } from "../room_log.ts";
import type { Fields } from "../wire.ts";
import {
  accountErrorText,
  type ClientErrorCode,
  cookieErrorText,
  errorWords,
  loginErrorText,
  type RequestError,
  resumeErrorText,
} from "./errors.ts";
import type { Members } from "./members.ts";
import type { Ignores } from "./ignores.ts";
import type { Staff } from "./staff.ts";
import type { Requests } from "./requests.ts";
import type { Sync } from "./sync.ts";
import type { Socket, Transport } from "./transport.ts";

/** The HTTP calls of accounts (client/auth_api.ts); tests pass their own. */
export interface AuthApi {
  /** The account of the session cookie; `null` when there is none. */
  fetchSession(): Promise<AuthResult<SessionInfo | null>>;
  /** Signs in or registers; on success the server has set the session cookie. */
  postCredentials(
    mode: CredentialMode,
    credentials: { username: string; password: string; totp?: string },
  ): Promise<AuthResult<SessionInfo>>;
  /** Ends the session and clears its cookie; true once the server said so. */
  postLogout(): Promise<boolean>;
}

/** What the {@linkcode Session} works with. */
export interface SessionOptions {
  /** The socket. */
  transport: Transport;
  /** Sends requests. */
  requests: Requests;
  /** Catches up after a resume, loads history after a login. */
  sync: Sync;
  /** Refreshes the member list after a login. */
  members: Members;
  /** Reads the moderators and admins after a login. */
  staff: Staff;
  /** Reads whom the account ignores after a login. */
  ignores: Ignores;
  /** Account calls over HTTP. */
  auth: AuthApi;
  /** The session is back after a reconnect: send what waited. */
  resumed(): void;
  /** A login is done and its room loaded: fetch what the account keeps. */
  entered(): void;
  /** An account's session is over: forget what the browser kept for it. */
  sessionOver(): void;
}

/**
 * Asked with every login: the room list comes whole once, in the login
 * reply (not again as a `room_list` after it: 146 kB for 500 rooms with
 * long topics), then as `room_changes` (what changed), not whole up to
 * four times a second.
 */
const LOGIN_OPTIONS = { room_changes: true, room_list_in_reply: true } as const;

/** Re-login errors that mean "try again later", not "this name cannot log in". */
const RETRY_LOGIN = new Set<ClientErrorCode>([
  "username_taken",
  "rate_limited",
  "internal",
  "timeout",
]);

/** A logged-in session the connection resumes after a drop. */
interface LoggedIn {
  /** The name the server gave. */
  username: string;
  /** Accounts log in again with the cookie; guests with their name. */
  account: boolean;
  /** A guest's key from its login: the same guest after a reconnect. */
  guestKey?: string;
}

/**
 * Whether the next socket logs in with the session cookie: `yes` after a
 * sign-in or when the page found a session, `probe` when the page could not
 * ask (a refusal then just shows the form).
 */
type CookieLogin = "no" | "yes" | "probe";

/** The login state of the connection and the ways in and out. */
export class Session {
  #state: AppState;
  #options: SessionOptions;
  #current: LoggedIn | null = null;
  #cookieLogin: CookieLogin = "no";
  /** The name of the latest login reply, known before the state shows it. */
  #me: string | null = null;
  /** What says the kick or ban of this user in the interface's language; the close follows. */
  #removal: Words | null = null;
  /** Guest logins waiting for a socket to open. */
  #openWaiters: ((open: boolean) => void)[] = [];
  /** A logout the server never confirmed: said once the cookie is back in. */
  #logoutFailed = false;

  constructor(state: AppState, options: SessionOptions) {
    this.#state = state;
    this.#options = options;
  }

  /** Whether a session is logged in (possibly resuming after a drop). */
  get active(): boolean {
    return this.#current !== null;
  }

  /** This user's name: the latest login reply's, else the state's. */
  me(): string | null {
    return this.#me ?? this.#state.username.value;
  }

  /** Whether requests of the session may go now: logged in, online, not resuming. */
  ready(): boolean {
    return this.#current !== null &&
      this.#state.status.value.kind === "online" &&
      !this.#state.resuming.value;
  }

  /**
   * A checked success reply, in frame order. Private messages queued for
   * this user come right behind the login reply, maybe in the same frame:
   * they need the name before the awaiting code runs.
   */
  answered(action: string, data: Fields): void {
    if (action === "login") this.#me = data.username as string;
  }

  /** A moderator's kick or ban notice about this user; the close that follows shows it. */
  removing(words: Words): void {
    this.#removal = words;
  }

  /** Asks the server for a saved session, so a reload does not flash the login form, then opens the socket. */
  async check(): Promise<void> {
    const { transport, auth } = this.#options;
    const found = await auth.fetchSession();
    if (!transport.running) return;
    if (!found.ok) {
      // The server is unreachable over HTTP too: let the socket ask once it is up.
      this.#cookieLogin = "probe";
    } else if (found.data !== null) {
      this.#cookieLogin = "yes";
    } else {
      // No session: whatever an account left here ended while no page of
      // it was open (expiry, a logout elsewhere).
      this.#options.sessionOver();
      actions.sessionChecked(this.#state);
    }
    transport.open();
  }

  /** A socket opened: resume the session, or wait for a login (with the cookie, if asked). */
  opened(): void {
    const { transport } = this.#options;
    const link = transport.link;
    if (link === null) return;
    if (this.#current !== null) {
      void this.#resume(link, this.#current);
      return;
    }
    // A cookie login's backoff is reset once it is in: one refused for
    // now (rate_limited) tries again later, each time a little later.
    if (this.#cookieLogin === "no") transport.resetBackoff();
    actions.connectionChanged(this.#state, { kind: "online" });
    this.#settleOpenWaiters(true);
    if (this.#cookieLogin !== "no") void this.#enterWithCookie();
  }

  /** The socket is gone: logins waiting for it fail. */
  dropped(): void {
    this.#settleOpenWaiters(false);
  }

  /** Logs in as a guest; on success enters the chat and loads recent history. */
  async login(username: string): Promise<void> {
    const state = this.#state;
    const name = username.trim();
    if (name === "") {
      actions.loginFailed(state, () => t("error.enterName"));
      return;
    }
    actions.loginStarted(state);
    if (!(await this.#whenOpen())) {
      actions.loginFailed(state, () => t("error.offline"));
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
    credentials: { username: string; password: string; totp?: string },
  ): Promise<void> {
    const state = this.#state;
    const { transport, auth } = this.#options;
    const name = credentials.username.trim();
    const { password } = credentials;
    if (name === "") {
      actions.loginFailed(state, () => t("error.enterName"));
      return;
    }
    if (mode === "register" && [...password].length < PASSWORD_MIN_LENGTH) {
      actions.loginFailed(
        state,
        () => t("error.passwordShort", { n: PASSWORD_MIN_LENGTH }),
      );
      return;
    }
    if (password === "") {
      actions.loginFailed(state, () => t("error.enterPassword"));
      return;
    }
    actions.loginStarted(state);
    const totp = credentials.totp?.trim();
    const result = await auth.postCredentials(mode, {
      username: name,
      password,
      ...(totp ? { totp } : {}),
    });
    if (!result.ok) {
      // The password was right: the form's second step asks for a code.
      if (result.error.code === "totp_required") actions.totpAsked(state);
      else actions.loginFailed(state, accountErrorText(name, result.error));
      return;
    }
    // The socket open now was upgraded before the cookie existed.
    this.#cookieLogin = "yes";
    transport.discard();
    transport.cancelRetry();
    transport.resetBackoff();
    if (transport.running) transport.open();
  }

  /** Ends the session (and an account's cookie) and returns to the login screen. */
  async logout(): Promise<void> {
    const { transport, auth } = this.#options;
    const account = this.#current?.account ?? false;
    this.#forget();
    transport.discard();
    transport.cancelRetry();
    transport.resetBackoff();
    // Before the wait below, which a closed tab would never end; with the
    // socket gone nothing writes it again.
    if (account) this.#options.sessionOver();
    // The login screen shows once the server has ended the session:
    // whoever sees it and leaves a shared computer has logged out, cookie
    // and all. Without its answer (no network, the server down or slow)
    // the HttpOnly cookie, which only that answer clears, still logs in:
    // the login screen told a person leaving that they were out, and the
    // next person's reload was in their account. The chat comes back
    // instead, saying the logout failed.
    if (account && !await auth.postLogout()) {
      this.#cookieLogin = "yes";
      this.#logoutFailed = true;
      if (transport.running && transport.link === null) transport.open();
      return;
    }
    actions.loggedOut(this.#state);
    // Again: a mute clicked during the wait wrote the account's list back.
    if (account) this.#options.sessionOver();
    actions.connectionChanged(this.#state, { kind: "idle" });
    // Opened after the cookie is gone, so nothing logs this socket back in.
    if (transport.running && transport.link === null) transport.open();
  }

  /**
   * A moderator kicked or banned this user and the server closed the socket.
   * That is final: coming back is the user's choice, not the backoff's.
   */
  removed(reason: string): void {
    // The close's reason is the server's English sentence: it stays as is.
    const text: Words = this.#removal ??
      (reason ? () => reason : () => t("error.removed"));
    this.#forget();
    actions.removedByModerator(this.#state, text);
    actions.connectionChanged(this.#state, { kind: "idle" });
  }

  /**
   * The session ended elsewhere (a logout in another tab, a password
   * change, expiry): back to the login screen on a fresh socket, which no
   * ended cookie logs back in.
   */
  sessionEnded(): void {
    const { transport, sessionOver } = this.#options;
    this.#forget();
    actions.loggedOut(this.#state, () => t("error.sessionEnded"));
    sessionOver();
    if (transport.running && transport.link === null) transport.open();
  }

  #forget(): void {
    this.#logoutFailed = false;
    this.#current = null;
    this.#me = null;
    this.#removal = null;
    this.#cookieLogin = "no";
  }

  /** Resolves true once a socket is open for a login, opening one if none is. */
  #whenOpen(): Promise<boolean> {
    const { transport } = this.#options;
    if (transport.isOpen) return Promise.resolve(true);
    if (!transport.running) return Promise.resolve(false);
    const waiting = new Promise<boolean>((resolve) =>
      this.#openWaiters.push(resolve)
    );
    if (transport.link === null) {
      transport.cancelRetry();
      transport.open();
    }
    return waiting;
  }

  #settleOpenWaiters(open: boolean): void {
    const waiters = this.#openWaiters;
    this.#openWaiters = [];
    for (const resolve of waiters) resolve(open);
  }

  /** Logs in on the open socket, then enters the chat; resolves to the error, or null. */
  async #enter(data: Fields, account: boolean): Promise<RequestError | null> {
    const { requests, sync, members, staff, ignores } = this.#options;
    const result = await requests.request("login", {
      ...data,
      ...LOGIN_OPTIONS,
    });
    if (!result.ok) return result.error;
    this.#current = {
      username: result.data.username,
      account,
      guestKey: result.data.guest_key,
    };
    this.#removal = null;
    actions.loggedIn(this.#state, result.data, account);
    await sync.recent(result.data.room);
    void members.refresh();
    void staff.refresh();
    void ignores.refresh();
    void sync.listConversations();
    this.#options.entered();
    return null;
  }

  /** Logs in with the session cookie the socket's upgrade carried. */
  async #enterWithCookie(): Promise<void> {
    const mode = this.#cookieLogin;
    this.#cookieLogin = "no";
    const logoutFailed = this.#logoutFailed;
    this.#logoutFailed = false;
    const { transport } = this.#options;
    const link = transport.link;
    const error = await this.#enter({}, true);
    if (!error) {
      transport.resetBackoff();
      if (logoutFailed) {
        const words = () => t("error.logoutFailed");
        actions.errorShown(this.#state, { message: words(), words });
      }
      return;
    }
    if (error.code === "offline") {
      // The socket dropped before the reply: the next one tries again.
      this.#cookieLogin = mode;
      this.#logoutFailed = logoutFailed;
    } else if (RETRY_LOGIN.has(error.code)) {
      this.#logoutFailed = logoutFailed;
      // Refused for now: an account's logins share one bucket (20 at
      // once), and a browser restoring 25 tabs of it asks 25 times at
      // once. The cookie is still good: try again after the backoff.
      this.#cookieLogin = mode;
      if (link !== transport.link) return;
      transport.discard();
      transport.retryLater();
    } else if (
      mode === "probe" &&
      (error.code === "invalid_message" || error.code === "bad_credentials")
    ) {
      this.#options.sessionOver();
      actions.sessionChecked(this.#state);
    } else {
      // A cookie that no longer logs in: its session is over.
      if (error.code === "bad_credentials") this.#options.sessionOver();
      // After a logout whose answer was lost, the logout went through.
      if (logoutFailed && error.code === "bad_credentials") {
        actions.loggedOut(this.#state);
      } else actions.loginFailed(this.#state, cookieErrorText(error));
    }
  }

  /** Logs in again, rejoins the room, fetches what was missed, then sends what was waiting. */
  async #resume(link: Socket, session: LoggedIn): Promise<void> {
    const state = this.#state;
    const { transport, requests } = this.#options;
    const login = await requests.request(
      "login",
      { ...(session.account ? {} : guestLogin(session)), ...LOGIN_OPTIONS },
    );
    if (link !== transport.link) return;
    if (!login.ok) {
      if (RETRY_LOGIN.has(login.error.code)) {
        // The server may not have noticed the old socket died: keep the name
        // and try again after the backoff.
        transport.discard();
        transport.retryLater();
      } else {
        this.#forget();
        actions.loggedOut(state, resumeErrorText(session.account, login.error));
        if (session.account && login.error.code === "bad_credentials") {
          this.#options.sessionOver();
        }
        actions.connectionChanged(state, { kind: "online" });
      }
      return;
    }
    actions.sessionResumed(state, login.data);
    await this.#rejoin(link, login.data);
    if (link !== transport.link) return;
    transport.resetBackoff();
    actions.connectionChanged(state, { kind: "online" });
    this.#options.resumed();
  }

  /** Goes back to the room the user was in (the login put them in general) and catches up. */
  async #rejoin(link: Socket, login: LoginSuccess): Promise<void> {
    const state = this.#state;
    const { transport, requests, sync } = this.#options;
    const wanted = state.currentRoom.value;
    if (roomKey(wanted) === roomKey(login.room)) {
      await sync.catchUp(link, login.room, null);
      return;
    }
    const joined = await requests.request("join_room", { room: wanted });
    if (link !== transport.link) return;
    if (joined.ok) {
      await sync.catchUp(
        link,
        joined.data.room,
        joined.data.history,
        joined.data.epoch,
      );
      return;
    }
    await sync.catchUp(link, login.room, null);
    const room = roomTitle(state, wanted);
    const refusal = errorWords(joined.error);
    actions.noticeAdded(state, {
      room: login.room,
      kind: "error",
      text: () => t("error.rejoin", { room, message: refusal() }),
    });
  }
}

// A guest comes back with its key, so a message resent after the drop is
// recognised as its own (the server returns it instead of storing it twice).
function guestLogin(session: LoggedIn): Fields {
  return session.guestKey === undefined
    ? { username: session.username }
    : { username: session.username, guest_key: session.guestKey };
}
