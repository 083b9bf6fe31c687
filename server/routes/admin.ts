/**
 * `/api/admin/<action>`: the moderation and admin actions over HTTP, for
 * the admin page and scripts. Each runs the WebSocket action's own handler
 * as the session's account, so the rules and the audit log are the same;
 * without a session (a guest) the answer is `forbidden`.
 */
import { type Context, Hono } from "hono";
import { hashToken } from "../accounts/tokens.ts";
import { apiLimitsOf } from "../api/caller.ts";
import type { MemberContext } from "../handlers/context.ts";
import { ADMIN_ACTIONS, MEMBER_HANDLERS } from "../handlers/mod.ts";
import { remoteAddressOf } from "../http/client_info.ts";
import { httpError, httpFailure } from "../http/errors.ts";
import { jsonOnly } from "../http/json_only.ts";
import { sessionTokenOf } from "../http/session_cookie.ts";
import type { ChatNode } from "../node.ts";
import { fail, type Failure, isFailure } from "../protocol/errors.ts";
import { GENERAL_ROOM } from "../protocol/types.ts";
import { categoryOf } from "../rate_limit.ts";
import type { Member } from "../registry.ts";
import type { Account } from "../store/mod.ts";
import { sessionAccount } from "./files.ts";

// Query parameters that are numbers on the wire.
const NUMERIC = new Set(["before", "limit"]);
// Query parameters that are booleans on the wire ("true" or "false").
const BOOLEAN = new Set(["staff"]);

/** The admin routes: GET for the read-only actions, POST for the rest. */
export function adminRoutes(node: ChatNode): Hono {
  const routes = new Hono();
  // Cookie-borne POSTs from another site are refused by sameOriginOnly
  // already; JSON only is the second lock, as on /api/login.
  routes.post("/api/admin/:action", jsonOnly);
  routes.on(["GET", "POST"], "/api/admin/:action", async (c) => {
    const action = c.req.param("action");
    const method = Object.hasOwn(ADMIN_ACTIONS, action)
      ? ADMIN_ACTIONS[action]
      : undefined;
    if (method === undefined) {
      return httpError(c, "not_found", `No admin action '${action}'.`);
    }
    // HEAD asks what GET would answer (a monitor's probe): it got 405,
    // "Use GET".
    const asked = c.req.method === "HEAD" ? "GET" : c.req.method;
    if (asked !== method) {
      // RFC 9110 asks a 405 to name the methods the resource takes.
      c.header("Allow", method === "GET" ? "GET, HEAD" : "POST");
      return httpError(c, "invalid_message", `Use ${method} for ${action}.`, {
        status: 405,
      });
    }
    const account = await sessionAccount(c, node);
    if (isFailure(account)) return httpFailure(c, account);
    if (!account) {
      return httpError(c, "forbidden", "Log in as a moderator or an admin.");
    }
    // The buckets of the REST API's requests with this token or session,
    // as each socket has its own: these drew on none, so a moderator's
    // token (or a leaked one) could ban, unban and list without end.
    const slow = apiLimitsOf(node).take({
      account,
      credential: hashToken(sessionTokenOf(c)!),
    }, categoryOf(action));
    if (slow) return httpFailure(c, slow);
    const data = method === "GET" ? queryData(c) : await bodyData(c);
    if (isFailure(data)) return httpFailure(c, data);
    const outcome = await MEMBER_HANDLERS[action](
      httpContext(node, account, remoteAddressOf(c), c.req.raw.signal),
      data,
    );
    if (!outcome.ok) return httpFailure(c, outcome);
    outcome.after?.();
    return c.json(outcome.data);
  });
  return routes;
}

function queryData(c: Context): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(c.req.query())) {
    data[key] = NUMERIC.has(key) && /^\d{1,15}$/.test(value)
      ? Number(value)
      : BOOLEAN.has(key) && (value === "true" || value === "false")
      ? value === "true"
      : value;
  }
  return data;
}

async function bodyData(
  c: Context,
): Promise<Record<string, unknown> | Failure> {
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    return fail("invalid_json", "The body is not JSON.");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return fail("invalid_message", "Send the action's data as a JSON object.");
  }
  return body as Record<string, unknown>;
}

// A request as handlers see it: the account with no socket behind it.
function httpContext(
  node: ChatNode,
  account: Account,
  address: string,
  signal: AbortSignal,
): MemberContext {
  const nobody = { push() {} };
  const member: Member = {
    id: node.nextConnectionId(),
    outbox: nobody,
    username: account.username,
    userKey: account.key,
    address,
    roomKey: GENERAL_ROOM,
    role: account.role,
    guest: false,
    since: account.createdAt,
    identity: `a:${account.createdAt}`,
    disconnect() {},
  };
  return {
    node,
    client: {
      id: member.id,
      remoteAddress: address,
      signal,
      get isClosed() {
        return signal.aborted;
      },
      outbox: nobody,
      member,
      appendQueued() {},
      disconnect() {},
    },
  };
}
