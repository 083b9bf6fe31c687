/**
 * Who calls the REST API, and the connection-like context that lets the
 * WebSocket's own handlers serve it: the same rules, limits and error
 * codes whichever way a message arrives.
 */
import type { Context } from "hono";
import { hashToken } from "../accounts/tokens.ts";
import type { Reader } from "../access.ts";
import { accountContext } from "../handlers/account_context.ts";
import type { MemberContext } from "../handlers/context.ts";
import { remoteAddressOf } from "../http/client_info.ts";
import { httpFailure } from "../http/errors.ts";
import { sessionTokenOf } from "../http/session_cookie.ts";
import type { ChatNode } from "../node.ts";
import {
  fail,
  type Failure,
  isFailure,
  type Outcome,
  rateLimited,
} from "../protocol/errors.ts";
import {
  KeyedRateLimits,
  type RateCategory,
  type RateLimitConfig,
} from "../rate_limit.ts";
import type { Account } from "../store/mod.ts";
import type { PageAnswer } from "./page_answer.ts";

/** An API request whose token or session proved an account. */
export interface ApiCaller {
  account: Account;
  reader: Reader;
  /** Hash of the token or session: its requests share one set of limits. */
  credential: string;
  /** Aborts when the client has gone: a send it waits for may stop. */
  signal: AbortSignal;
}

/**
 * The account behind a request: its bearer token, or its session cookie
 * (another site's request never gets here: http/same_origin.ts);
 * `not_logged_in` without either, `bad_credentials` for a wrong, expired
 * or revoked one, `banned` for a banned account's.
 */
export async function apiCaller(
  c: Context,
  node: ChatNode,
): Promise<ApiCaller | Failure> {
  const token = sessionTokenOf(c);
  if (token === undefined) {
    return fail(
      "not_logged_in",
      "Send 'Authorization: Bearer <token>' (make one in Settings > Tokens).",
    );
  }
  const account = await node.accounts.resume(token);
  if (isFailure(account)) return account;
  return {
    account,
    reader: {
      userKey: account.key,
      since: account.createdAt,
      address: remoteAddressOf(c),
    },
    credential: hashToken(token),
    signal: c.req.raw.signal,
  };
}

/**
 * Request limits of the REST API: each token (or session) has the buckets
 * of one WebSocket connection, and draws on its user's shared ones too.
 */
export class ApiLimits {
  #perCredential: KeyedRateLimits<RateCategory>;
  #node: ChatNode;

  constructor(node: ChatNode, limits: RateLimitConfig) {
    this.#node = node;
    this.#perCredential = new KeyedRateLimits(limits.perConnection);
  }

  /** Takes one request of this category: undefined, or `rate_limited` with the wait. */
  take(
    caller: Pick<ApiCaller, "account" | "credential">,
    category: RateCategory,
  ): Failure | undefined {
    const now = performance.now();
    let wait = this.#perCredential.take(caller.credential, category, now);
    if (wait === 0) {
      wait = this.#node.userLimits.take(caller.account.key, category, now);
    }
    if (wait === 0) return undefined;
    return rateLimited(wait);
  }

  /**
   * Takes `tokens` more of this category from the caller's token (or
   * session), into debt if need be: what an answer was found to cost once
   * written (answerAsCaller's `perKiB`).
   */
  spend(
    caller: Pick<ApiCaller, "credential">,
    category: RateCategory,
    tokens: number,
  ): void {
    this.#perCredential.spend(caller.credential, category, tokens);
  }
}

// One per node: the REST API (loaded later, api/lazy.ts) and /api/admin
// (routes/admin.ts) count a token's requests in the same buckets.
const shared = new WeakMap<ChatNode, ApiLimits>();

/** The request buckets of `node`'s HTTP callers, per token or session. */
export function apiLimitsOf(node: ChatNode): ApiLimits {
  let limits = shared.get(node);
  if (!limits) {
    limits = new ApiLimits(node, node.limits);
    shared.set(node, limits);
  }
  return limits;
}

/**
 * The caller of a request, within its limits for this category of request:
 * the caller, or the failure (credentials, ban or `rate_limited`).
 */
export async function limitedCaller(
  c: Context,
  node: ChatNode,
  limits: ApiLimits,
  category: RateCategory,
): Promise<ApiCaller | Failure> {
  const who = await apiCaller(c, node);
  if (isFailure(who)) return who;
  return limits.take(who, category) ?? who;
}

/** A handler context for one API request (accountContext). */
function memberContext(
  node: ChatNode,
  caller: ApiCaller,
  roomKey: string,
  since: number,
): MemberContext {
  return accountContext(node, caller.account, roomKey, {
    address: caller.reader.address,
    signal: caller.signal,
    since,
  });
}

/** Checks and sends again at most this many times in all (sendAsCaller). */
const SEND_ATTEMPTS = 3;

/** Options of {@link sendAsCaller}. */
export interface SendOptions {
  /**
   * The bucket the request draws on, as the WebSocket action's
   * (rate_limit.ts categoryOf): `message` (the default) for sends, edits,
   * deletes and pins, `reaction` for reactions.
   */
  category?: RateCategory;
}

/**
 * Sends for the caller of a request, within its limits (`message` unless
 * `options.category` says otherwise), with the
 * WebSocket's handler, as from a socket looking at the room `check` returns
 * ("" for a private message). A socket learns of a ban, a removal or a
 * revoked token by being moved or closed, and its handler refuses an append
 * that such a change overtook while it awaited reads (its files, the
 * message it answers). A request has no socket: it counts as closed once
 * any access change was applied on this node after its checks began; and
 * as it cannot tell a change about it from one about someone else, it
 * checks the caller, the room and its bans again and sends again. Changes
 * are rare; an unlucky request gets `internal`, to send again.
 */
export async function sendAsCaller(
  c: Context,
  node: ChatNode,
  limits: ApiLimits,
  check: (caller: ApiCaller) => Promise<string | Failure>,
  send: (ctx: MemberContext) => Promise<Outcome>,
  options: SendOptions = {},
): Promise<Outcome> {
  let since = node.accessChanges;
  let who = await limitedCaller(
    c,
    node,
    limits,
    options.category ?? "message",
  );
  for (let attempt = 1;; attempt++) {
    if (isFailure(who)) return who;
    const roomKey = await check(who);
    if (isFailure(roomKey)) return roomKey;
    const outcome = await send(memberContext(node, who, roomKey, since));
    if (
      outcome.ok || outcome.code !== "internal" || who.signal.aborted ||
      node.accessChanges === since
    ) {
      return outcome;
    }
    if (attempt === SEND_ATTEMPTS) {
      return fail(
        "internal",
        "Bans or rooms changed while the message was checked; send it again.",
      );
    }
    since = node.accessChanges;
    who = await apiCaller(c, node);
  }
}

/**
 * Answers a request with what the WebSocket's `handler` answers for the
 * caller (200 and its data, or the refusal's status and code), drawing on
 * its `category` bucket as the WebSocket action does (rate_limit.ts
 * categoryOf). No room is checked first: each handler finds what it acts
 * on and checks who may. With `options.page` (a page of messages, taken
 * from the address's history budget: page_answer.ts), the answer is
 * written through it, so that its size is charged; with `options.perKiB`
 * (a list as long as a room's crowd), each KiB of the answer past the first
 * takes one more token of `category` from the caller's token.
 */
export async function answerAsCaller(
  c: Context,
  node: ChatNode,
  limits: ApiLimits,
  category: RateCategory,
  handler: (ctx: MemberContext) => Promise<Outcome>,
  options: { page?: PageAnswer; perKiB?: boolean } = {},
): Promise<never> {
  let caller: ApiCaller | undefined;
  const outcome = await sendAsCaller(
    c,
    node,
    limits,
    (who) => {
      caller = who;
      return Promise.resolve("");
    },
    handler,
    { category },
  );
  if (!outcome.ok) return httpFailure(c, outcome) as never;
  outcome.after?.();
  // The handlers' data is untyped: tests/openapi_test.ts checks it.
  if (options.page) return options.page.answer(c, outcome.data) as never;
  if (options.perKiB && caller !== undefined) {
    // Each KiB of the answer past the first takes one more token, as a
    // socket's list_users does (connection.ts #listCounted).
    const text = JSON.stringify(outcome.data);
    const over = Math.floor(text.length / 1024);
    if (over > 0) limits.spend(caller, category, over);
    return c.body(text, 200, {
      "Content-Type": "application/json",
    }) as never;
  }
  return c.json(outcome.data, 200) as never;
}
