/**
 * A room's webhooks over HTTP, for its owner or an admin: incoming hooks
 * (a secret URL that posts into the room) and outgoing ones (a URL the
 * server POSTs each new message to). client/rest.ts says how calls
 * authenticate.
 */

import { listOf, rest, type RestResult, unreadable } from "./rest.ts";

/** An incoming webhook as listed: never its URL. */
export interface IncomingHook {
  id: string;
  name: string;
  created_by: string;
  created_at: string;
}

/** An outgoing webhook as listed, with how its deliveries went. */
export interface OutgoingHook {
  id: string;
  url: string;
  created_at: string;
  /** Failed attempts since the last success. */
  failures: number;
  last_error: string | null;
  last_failure_at: string | null;
  last_success_at: string | null;
}

const room = (name: string) => `/api/rooms/${encodeURIComponent(name)}`;

/** The room's incoming webhooks. */
export async function listIncoming(
  name: string,
): Promise<RestResult<IncomingHook[]>> {
  return listOf(await rest("GET", `${room(name)}/hooks`), "hooks", isIncoming);
}

/** Makes an incoming webhook; its secret URL is in `url`, this once. */
export async function createIncoming(
  name: string,
  hookName: string,
): Promise<RestResult<string>> {
  const answer = await rest("POST", `${room(name)}/hooks`, { name: hookName });
  if (!answer.ok) return answer;
  const url = (answer.data as Record<string, unknown> | null)?.url;
  return typeof url === "string" ? { ok: true, data: url } : unreadable();
}

/** Removes an incoming webhook: its URL stops working. */
export async function deleteIncoming(id: string): Promise<RestResult<null>> {
  return done(await rest("DELETE", `/api/hooks/${encodeURIComponent(id)}`));
}

/** The room's outgoing webhooks. */
export async function listOutgoing(
  name: string,
): Promise<RestResult<OutgoingHook[]>> {
  return listOf(
    await rest("GET", `${room(name)}/outgoing-hooks`),
    "hooks",
    isOutgoing,
  );
}

/** Registers a URL; the secret deliveries are signed with is in the answer, this once. */
export async function createOutgoing(
  name: string,
  url: string,
): Promise<RestResult<string>> {
  const answer = await rest("POST", `${room(name)}/outgoing-hooks`, { url });
  if (!answer.ok) return answer;
  const secret = (answer.data as Record<string, unknown> | null)?.secret;
  return typeof secret === "string" ? { ok: true, data: secret } : unreadable();
}

/** Stops deliveries to an outgoing webhook. */
export async function deleteOutgoing(id: string): Promise<RestResult<null>> {
  return done(
    await rest("DELETE", `/api/outgoing-hooks/${encodeURIComponent(id)}`),
  );
}

function done(answer: RestResult<unknown>): RestResult<null> {
  return answer.ok ? { ok: true, data: null } : answer;
}

function isIncoming(value: unknown): value is IncomingHook {
  const hook = value as Record<string, unknown> | null;
  return typeof hook === "object" && hook !== null &&
    typeof hook.id === "string" && typeof hook.name === "string" &&
    typeof hook.created_by === "string" &&
    typeof hook.created_at === "string";
}

function isOutgoing(value: unknown): value is OutgoingHook {
  const hook = value as Record<string, unknown> | null;
  return typeof hook === "object" && hook !== null &&
    typeof hook.id === "string" && typeof hook.url === "string" &&
    typeof hook.created_at === "string" &&
    typeof hook.failures === "number";
}
