import { addressKey, isLoopback } from "./addresses.ts";
import type {
  ClientState,
  MemberContext,
  RequestContext,
} from "./handlers/context.ts";
import { MEMBER_HANDLERS, PUBLIC_HANDLERS } from "./handlers/mod.ts";
import { log } from "./log.ts";
import { pageTokensOver } from "./page_budget.ts";
import { CLOSE_POLICY } from "./protocol/close_codes.ts";
import type { ChatNode } from "./node.ts";
import {
  decodeRequest,
  encodeError,
  encodeSuccess,
  isRejected,
  type RejectedFrame,
  type Request,
} from "./protocol/envelope.ts";
import {
  fail,
  type Outcome,
  rateLimited,
  StoreUnavailableError,
} from "./protocol/errors.ts";
import {
  categoryOf,
  type RateCategory,
  type RateLimitConfig,
  TokenBucket,
} from "./rate_limit.ts";
import type { Member } from "./registry.ts";
import type { ConnectionWriter } from "./writer.ts";

const logger = log("conn");

/** Options of {@link ClientConnection}. */
export interface ClientConnectionOptions {
  remoteAddress: string;
  /** The session cookie of the upgrade request, for `login` with no data. */
  cookieToken?: string;
  /** Request limits of this connection. */
  limits: RateLimitConfig;
  /** Told when the connection logs in to an account (not as a guest). */
  watcher?: LoginWatcher;
}

/** What learns that a connection logged in to an account: its socket, which weighs less against its address's share then (address_share.ts). */
export interface LoginWatcher {
  /** The connection logged in to an account. */
  loggedInToAccount(): void;
  /** False while it may not log in as a guest (it came in to the accounts' reserve). */
  mayLogInAsGuest(): boolean;
}

/**
 * Actions whose reply is a page of history, drawn from the address's
 * history budget: `join_room` and `leave_room` answer with the newest 50
 * messages too, `list_pins` with up to 100, and were not counted, so one
 * connection read 100 MB of the former and 192 MB of the latter in 5 s
 * past a budget that stopped `history` after its burst. `list_replies`
 * answers a page of up to 200 replies, as `history` does.
 */
const HISTORY_PAGES = new Set([
  "history",
  "join_room",
  "leave_room",
  "list_pins",
  "list_replies",
]);

const STRIKE_WINDOW_MS = 10_000;

// Shared by every idle connection.
const SETTLED = Promise.resolve();

// Actions whose handler calls appendQueued(): only messages overlap.
const OVERLAPPING_ACTIONS = new Set(["send_message", "private_message"]);

/**
 * One client's life: connected, logged in, closed. It decodes frames, runs
 * their handlers one at a time (so a client's requests take effect in the
 * order sent) and writes exactly one reply per request, in that order.
 * Messages are the one overlap: once a message's append is queued in the
 * store, the client's next message may start, so a client that sends
 * several at once has them share a commit instead of waiting one each.
 */
export class ClientConnection implements ClientState {
  readonly id: number;
  readonly remoteAddress: string;
  readonly outbox: ConnectionWriter;
  readonly cookieToken?: string;
  #member?: Member;
  #watcher?: LoginWatcher;
  #node: ChatNode;
  #context: RequestContext;
  // Every request so far has been answered once this resolves.
  #answered: Promise<void> = SETTLED;
  // The next message may start once this resolves (see appendQueued).
  #released: Promise<void> = SETTLED;
  #release?: () => void;
  #closed = false;
  #limits: RateLimitConfig;
  // Made on first use: most connections never need the strikes, and ten
  // thousand idle ones should cost as little as possible.
  #buckets?: Partial<Record<RateCategory, TokenBucket>>;
  #strikes?: number[];
  #tooManyStrikes = false;
  // `login` and `register` requests received and not yet answered.
  #loginsUnderway = 0;
  // Made on first use: few connections ever need it.
  #abort?: AbortController;

  constructor(
    node: ChatNode,
    writer: ConnectionWriter,
    options: ClientConnectionOptions,
  ) {
    this.#node = node;
    this.outbox = writer;
    this.id = node.nextConnectionId();
    this.remoteAddress = options.remoteAddress;
    this.cookieToken = options.cookieToken;
    this.#limits = options.limits;
    this.#watcher = options.watcher;
    this.#context = { node, client: this };
    node.metrics.connectionsOpened++;
    logger.info("Connection {id} opened from {address}", {
      id: this.id,
      address: this.remoteAddress,
    });
  }

  /** Set by a successful login. */
  get member(): Member | undefined {
    return this.#member;
  }

  set member(member: Member | undefined) {
    this.#member = member;
    if (member && !member.guest) this.#watcher?.loggedInToAccount();
  }

  /** False while the connection may not log in as a guest (see LoginWatcher). */
  mayLogInAsGuest(): boolean {
    return this.#watcher?.mayLogInAsGuest() ?? true;
  }

  /**
   * True while a `login` or `register` that arrived is waiting or being
   * checked: the login timeout does not count that time (a burst of
   * password logins can keep a check waiting for seconds).
   */
  get loggingIn(): boolean {
    return this.#loginsUnderway > 0;
  }

  /** True once the connection has closed. */
  get isClosed(): boolean {
    return this.#closed;
  }

  /** Aborts once the connection has closed. */
  get signal(): AbortSignal {
    this.#abort ??= new AbortController();
    if (this.#closed) this.#abort.abort();
    return this.#abort.signal;
  }

  /** Handles one text frame from the client. */
  receive(text: string): void {
    this.#node.metrics.framesReceived++;
    const decoded = decodeRequest(text);
    // Limits apply on arrival, so a flood cannot queue up work.
    const request = isRejected(decoded) ? decoded : this.#limit(decoded);
    if (isRejected(request)) this.#afterAnswers(() => this.#reject(request));
    else this.#request(request);
    if (this.#tooManyStrikes) {
      // After that frame's reply, so the client sees why.
      this.#tooManyStrikes = false;
      this.#afterAnswers(() =>
        this.disconnect(CLOSE_POLICY, "Rate limits exceeded repeatedly")
      );
    }
  }

  /**
   * Called by a message's handler once its append is queued in the store:
   * its place in the order is taken, so the client's next message may
   * start while this one waits for its commit.
   */
  appendQueued(): void {
    this.#release?.();
    this.#release = undefined;
  }

  holdEvents(): () => void {
    this.outbox.hold();
    return () => this.outbox.release();
  }

  // Runs a step once every earlier request has been answered.
  #afterAnswers(step: () => void): void {
    this.#answered = this.#answered.then(step);
    this.#released = this.#answered;
  }

  // Starts a request once the one before it is answered (or, between two
  // messages, once the first one's append is queued); answers it after
  // every earlier request.
  #request(request: Request): void {
    const answeredBefore = this.#answered;
    const start = OVERLAPPING_ACTIONS.has(request.action)
      ? this.#released
      : answeredBefore;
    const release = Promise.withResolvers<void>();
    this.#released = release.promise;
    const login = request.action === "login" ||
      request.action === "register";
    if (login) this.#loginsUnderway++;
    const answered = start.then(async () => {
      this.#release = release.resolve;
      try {
        // Undefined once the connection is closed: nobody is left to
        // answer. Awaited here, not in a function of its own: an async
        // call less per request (docs/performance.md).
        let outcome: Outcome | undefined;
        if (!this.#closed) {
          const started = performance.now();
          try {
            outcome = await this.#dispatch(request);
          } catch (error) {
            outcome = this.#crashed(request, error);
          }
          this.#node.metrics.requestLatency.observe(
            performance.now() - started,
          );
        }
        // Nothing to wait for when every earlier request was answered (a
        // client that sends one message at a time).
        if (answeredBefore !== SETTLED) await answeredBefore;
        this.#answer(request, outcome);
      } finally {
        if (login) this.#loginsUnderway--;
        release.resolve();
        if (this.#answered === answered) {
          // Idle again: keep no promise of its own until the next request.
          this.#answered = this.#released = SETTLED;
          this.#release = undefined;
        }
      }
    });
    this.#answered = answered;
  }

  /**
   * Answers a frame that arrived while the server shuts down, so every
   * request still gets its one reply; the client sends it again after
   * reconnecting (with its client_id, safely).
   */
  refuseWhileStopping(text: string): void {
    const decoded = decodeRequest(text);
    const frame: RejectedFrame = isRejected(decoded) ? decoded : {
      ...fail(
        "internal",
        "The server is restarting: send this again once reconnected.",
      ),
      action: decoded.action,
      id: decoded.id,
    };
    this.#afterAnswers(() => this.#reject(frame));
  }

  // Per-connection buckets, then the user's (shared by its connections).
  #limit(request: Request): Request | RejectedFrame {
    const category = categoryOf(request.action);
    const now = performance.now();
    // A plain object: four keys at most, and a Map costs ~250 bytes more.
    this.#buckets ??= {};
    const bucket = this.#buckets[category] ??= new TokenBucket(
      this.#limits.perConnection[category],
      now,
    );
    let wait = bucket.take(now);
    if (wait === 0 && this.member) {
      wait = this.#node.userLimits.take(this.member.userKey, category, now);
    }
    if (
      wait === 0 && HISTORY_PAGES.has(request.action) &&
      !isLoopback(this.remoteAddress)
    ) {
      wait = this.#node.addressLimits.take(
        addressKey(this.remoteAddress),
        "history",
        now,
      );
    }
    if (wait === 0) return request;
    this.#strike(now);
    return {
      ...rateLimited(wait),
      action: request.action,
      id: request.id,
    };
  }

  #strike(now: number): void {
    const limit = this.#limits.strikesBeforeDisconnect;
    if (limit <= 0) return;
    this.#strikes ??= [];
    this.#strikes.push(now);
    while (this.#strikes[0] < now - STRIKE_WINDOW_MS) this.#strikes.shift();
    if (this.#strikes.length >= limit) {
      logger.warn("Disconnecting {who}: over its rate limits again and again", {
        who: this.#who(),
      });
      this.#strikes = [];
      this.#tooManyStrikes = true;
    }
  }

  #reject(frame: RejectedFrame): void {
    this.#node.metrics.countError(frame.code);
    logger.info("Protocol error from {who}: {message}", {
      who: this.#who(),
      message: frame.message,
    });
    this.outbox.answer(
      encodeError(frame, frame.code, frame.message, frame.details),
    );
  }

  /** Replies to a frame the transport could not accept as text. */
  refuse(message: string): void {
    const frame = fail("invalid_message", message);
    this.#afterAnswers(() => this.#reject(frame));
  }

  // A handler that threw: logged, and answered with `internal`.
  #crashed(request: Request, error: unknown): Outcome {
    if (error instanceof StoreUnavailableError) {
      logger.error("Store failed during {action}: {error}", {
        action: request.action,
        error: error.message,
      });
    } else {
      logger.error("Crash in {action} from {who}: {error}", {
        action: request.action,
        who: this.#who(),
        error,
      });
    }
    return {
      ok: false,
      code: "internal",
      message: "The server could not complete the request; try again.",
    };
  }

  #answer(request: Request, outcome: Outcome | undefined): void {
    if (outcome === undefined) return;
    if (outcome.ok) {
      const text = encodeSuccess(request, outcome.data);
      this.#pageCounted(request, text.length);
      this.#listCounted(request, text.length);
      this.outbox.answer(text);
      outcome.after?.();
    } else {
      this.#node.metrics.countError(outcome.code);
      if (outcome.code !== "internal") {
        logger.debug("{action} from {who} refused: {code}", {
          action: request.action,
          who: this.#who(),
          code: outcome.code,
        });
      }
      this.outbox.answer(
        encodeError(request, outcome.code, outcome.message, outcome.details),
      );
    }
  }

  // A history page took one token of the address's budget (#limit); what
  // its reply cost past it is spent now (server/page_budget.ts).
  #pageCounted(request: Request, units: number): void {
    const over = pageTokensOver(units);
    if (
      over > 0 && HISTORY_PAGES.has(request.action) &&
      !isLoopback(this.remoteAddress)
    ) {
      this.#node.addressLimits.spend(
        addressKey(this.remoteAddress),
        "history",
        over,
      );
    }
  }

  // A `list_users` took one token of its buckets (#limit), whatever its
  // length: one socket got 2,915 lists of 2,002 names (15 KB, 0.68 ms
  // each) in 10 s at the 200 a second it then drew on, and another
  // client's list_rooms went from 0.3 to 4.3 ms (p50). Now each KiB of
  // the reply past the first takes one more, from the connection's and
  // the account's: a list under a KiB (a hundred short names) costs one,
  // one of 2,000 names 15, about the same work a second whatever the
  // room's size. The web client asks once a pause of 10 ms a name
  // (members.ts), far inside.
  #listCounted(request: Request, bytes: number): void {
    const over = Math.floor(bytes / 1024);
    if (over > 0 && request.action === "list_users") {
      this.#buckets?.users?.spend(over);
      if (this.member) {
        this.#node.userLimits.spend(this.member.userKey, "users", over);
      }
    }
  }

  #dispatch(request: Request): Outcome | Promise<Outcome> {
    const publicHandler = PUBLIC_HANDLERS[request.action];
    if (Object.hasOwn(PUBLIC_HANDLERS, request.action)) {
      return publicHandler(this.#context, request.data);
    }
    if (!Object.hasOwn(MEMBER_HANDLERS, request.action)) {
      return {
        ok: false,
        code: "unknown_action",
        message: `Unknown action '${request.action.slice(0, 64)}'.`,
      };
    }
    if (!this.member) {
      return {
        ok: false,
        code: "not_logged_in",
        message: "Log in first: send a 'login' request.",
      };
    }
    // The context's client is this connection, whose member is now set.
    const ctx = this.#context as MemberContext;
    return MEMBER_HANDLERS[request.action](ctx, request.data);
  }

  /** Resolves once every request received so far has been answered. */
  settled(): Promise<void> {
    return this.#answered;
  }

  /**
   * Ends the connection from the server side: queued frames go first, and
   * the member leaves at once, without waiting for a close handshake that
   * a peer that stopped reading would never finish.
   */
  disconnect(code: number, reason: string): void {
    this.outbox.close(code, reason);
    this.closed(code);
  }

  /** Cleans up after the socket closed, however it closed. */
  closed(code: number): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#abort?.abort();
    const member = this.member;
    if (member) {
      this.#node.removeMember(member);
      logger.info("{name} disconnected (code {code})", {
        name: member.username,
        code,
      });
    } else {
      logger.debug("Connection {id} closed before login (code {code})", {
        id: this.id,
        code,
      });
    }
  }

  #who(): string {
    return this.member?.username ?? `${this.remoteAddress}#${this.id}`;
  }
}
