import type { z } from "zod";
import type { ChatNode } from "../node.ts";
import { fail, type Failure, type Outcome } from "../protocol/errors.ts";
import { describeIssue } from "../protocol/schemas.ts";
import type { Member, Outbox } from "../registry.ts";

/** The connection a request came from, as handlers see it. */
export interface ClientState {
  /** Node-local connection id. */
  readonly id: number;
  /** The client's IP address. */
  readonly remoteAddress: string;
  /** Where this connection's frames go. */
  readonly outbox: Outbox;
  /** The session cookie the WebSocket upgrade carried, if any. */
  readonly cookieToken?: string;
  /** Aborts once the connection has closed: work for it may stop. */
  readonly signal: AbortSignal;
  /** True once the connection has closed (costs nothing, unlike `signal`). */
  readonly isClosed: boolean;
  /** Set by a successful login. */
  member?: Member;
  /**
   * False while the connection may not log in as a guest: it came in to
   * the places the server keeps for accounts (address_share.ts). Left out:
   * it may.
   */
  mayLogInAsGuest?(): boolean;
  /**
   * A message's handler calls this once its append is queued in the store:
   * the client's next message may then start before this one's commit.
   */
  appendQueued(): void;
  /** Ends the connection: flushes what is queued, then closes. */
  disconnect(code: number, reason: string): void;
  /**
   * Keeps this connection's events back, its replies still going, until
   * the returned function is called (a login's rooms, see session.ts). Only
   * a WebSocket connection has events to keep.
   */
  holdEvents?(): () => void;
}

/** What every handler gets: the node and the connection it serves. */
export interface RequestContext {
  node: ChatNode;
  client: ClientState;
}

/** A logged-in request context: `member` is set. */
export interface MemberContext extends RequestContext {
  client: ClientState & { member: Member };
}

/** Handles one action's `data`; may be asynchronous. */
export type Handler = (
  ctx: RequestContext,
  data: Record<string, unknown>,
) => Outcome | Promise<Outcome>;

/** Handles an action that needs a logged-in connection. */
export type MemberHandler = (
  ctx: MemberContext,
  data: Record<string, unknown>,
) => Outcome | Promise<Outcome>;

/**
 * Why a time given in `field` cannot be `at`: not ahead of `now`, or more
 * than `maxAheadMs` (a year) ahead; undefined when it can. A reminder's
 * `remind_at` and a scheduled message's `send_at`.
 */
export function aheadProblem(
  field: string,
  at: number,
  options: { now: number; maxAheadMs: number; clear?: string },
): Failure | undefined {
  if (at <= options.now) {
    return fail(
      "invalid_message",
      `'${field}' must be in the future (ISO 8601)${options.clear ?? ""}.`,
    );
  }
  if (at > options.now + options.maxAheadMs) {
    return fail("invalid_message", `'${field}' may be at most a year ahead.`);
  }
  return undefined;
}

/** Checks `data` against a schema: the typed value, or `invalid_message`. */
export function parseData<S extends z.ZodType>(
  schema: S,
  data: Record<string, unknown>,
): z.infer<S> | Failure {
  const result = schema.safeParse(data);
  return result.success
    ? result.data
    : fail("invalid_message", describeIssue(result.error));
}
