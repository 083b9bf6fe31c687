/**
 * Outgoing webhooks over HTTP: a room's owner (or an admin) registers a
 * URL, lists the room's hooks with how their deliveries went, and removes
 * one. The secret that signs deliveries is shown once, at creation.
 */
import { type Context, Hono } from "hono";
import { randomBytes } from "node:crypto";
import { z } from "zod";
import { noNul } from "../protocol/schemas.ts";
import { httpError, httpFailure } from "../http/errors.ts";
import { notJson } from "../http/json_only.ts";
import { canRead, roomRefusal } from "../access.ts";
import { auditOfRequest } from "../api/audit.ts";
import { archivedRefusal } from "../handlers/archive.ts";
import { requestAccount } from "../http/request_account.ts";
import type { ChatNode } from "../node.ts";
import { fail, type Failure, isFailure } from "../protocol/errors.ts";
import type { Account, StoredWebhook } from "../store/mod.ts";
import type { SetupPace } from "../http/setup_pace.ts";

/** Most outgoing webhooks one room may have. */
export const MAX_HOOKS_PER_ROOM = 10;

/**
 * What registers an outgoing webhook: `{"url"}`. A URL parser takes a NUL
 * or a lone surrogate (it percent-encodes them), but the URL is stored as
 * sent, where they cannot be: PostgreSQL refused the NUL (500 `internal`).
 */
export const hookBody = z.object({ url: noNul(2048) });

/** What the API shows of an outgoing hook beside its id and owner. */
interface HookFacts {
  url: string;
  created_by: string;
  created_at: string;
  failures: number;
  last_error: string | null;
  last_status: number | null;
  last_failure_at: string | null;
  last_success_at: string | null;
}

/**
 * An outgoing hook as the API shows it (without its secret), a room's or a
 * bot's (api/bot_hook_routes.ts): `owner` names which, `{room}` or `{bot}`.
 */
export function describeHook<Owner extends { room: string } | { bot: string }>(
  hook: Omit<StoredWebhook, "roomKey" | "secret">,
  owner: Owner,
): { id: string } & Owner & HookFacts {
  return {
    id: hook.id,
    ...owner,
    url: hook.url,
    created_by: hook.createdBy,
    created_at: new Date(hook.createdAt).toISOString(),
    failures: hook.failures,
    last_error: hook.lastError ?? null,
    last_status: hook.lastStatus ?? null,
    last_failure_at: iso(hook.lastFailureAt),
    last_success_at: iso(hook.lastSuccessAt),
  };
}

function iso(ms: number | undefined): string | null {
  return ms === undefined ? null : new Date(ms).toISOString();
}

/**
 * `POST` and `GET /api/rooms/:room/outgoing-hooks`,
 * `DELETE /api/outgoing-hooks/:id`.
 */
export function outgoingHookRoutes(
  node: ChatNode,
  setupPace: SetupPace,
): Hono {
  const routes = new Hono();

  routes.post("/api/rooms/:room/outgoing-hooks", async (c) => {
    const owner = await roomOwner(c, node, c.req.param("room"));
    if (isFailure(owner)) return httpFailure(c, owner);
    // An archived room takes no new messages, so a hook would hear none:
    // refused as incoming hooks are (api/hook_routes.ts); listing and
    // removing go on.
    const archived = archivedRefusal(node, owner.roomKey);
    if (archived) return httpFailure(c, archived);
    const refused = notJson(c);
    if (refused) return refused;
    // Before the URL's look-up and the commit.
    const slow = await setupPace(owner.account.key);
    if (slow) return httpFailure(c, slow);
    let raw: unknown;
    try {
      raw = await c.req.json();
    } catch {
      return httpError(c, "invalid_json", "The body is not JSON.");
    }
    const body = hookBody.safeParse(raw);
    if (!body.success) {
      return httpError(c, "invalid_message", 'Send {"url"} as JSON.');
    }
    const verdict = await node.webhooks.guard.check(body.data.url, "webhook", {
      timeoutMs: node.webhooks.timing.timeoutMs,
      signal: c.req.raw.signal,
    });
    if (!verdict.ok) return httpError(c, "url_not_allowed", verdict.reason);
    const existing = await node.store.listWebhooks(owner.roomKey);
    if (existing.length >= MAX_HOOKS_PER_ROOM) {
      return httpError(
        c,
        "forbidden",
        `A room has at most ${MAX_HOOKS_PER_ROOM} outgoing webhooks.`,
      );
    }
    const hook = {
      id: randomBytes(12).toString("hex"),
      roomKey: owner.roomKey,
      url: body.data.url,
      secret: randomBytes(24).toString("base64url"),
      createdBy: owner.account.key,
      createdAt: Date.now(),
    };
    const made = await node.store.createWebhook(
      hook,
      auditOfRequest(c, owner.account.username, {
        action: "create_outgoing_webhook",
        room: owner.room,
        details: { hook: hook.id, url: hook.url },
      }),
    );
    if (!made) {
      return httpError(c, "room_not_found", "The room was just deleted.");
    }
    node.webhooks.changed();
    return c.json({
      ...describeHook({ ...hook, failures: 0 }, { room: owner.room }),
      secret: hook.secret,
    }, 201);
  });

  routes.get("/api/rooms/:room/outgoing-hooks", async (c) => {
    const owner = await roomOwner(c, node, c.req.param("room"));
    if (isFailure(owner)) return httpFailure(c, owner);
    const hooks = await node.store.listWebhooks(owner.roomKey);
    return c.json({
      hooks: hooks.map((hook) => describeHook(hook, { room: owner.room })),
    });
  });

  routes.delete("/api/outgoing-hooks/:id", async (c) => {
    const account = await requestAccount(c, node);
    if (isFailure(account)) return httpFailure(c, account);
    const slow = await setupPace(account.key);
    if (slow) return httpFailure(c, slow);
    // No id holds NUL (PostgreSQL refuses it in a lookup: a 500).
    const id = c.req.param("id");
    const hook = id.includes("\0")
      ? undefined
      : await node.store.findWebhook(id);
    // Someone else's hook reads as no hook: ids are not for guessing.
    if (!hook || !mayManage(node, account, hook.roomKey)) {
      return httpError(c, "not_found", "No such outgoing webhook.");
    }
    // Removed a moment ago by another request: done all the same (the
    // entry is the removal's, written with it).
    await node.store.deleteWebhook(
      hook.id,
      auditOfRequest(c, account.username, {
        action: "delete_outgoing_webhook",
        room: node.registry.roomName(hook.roomKey) ?? hook.roomKey,
        details: { hook: hook.id, url: hook.url },
      }),
    );
    node.webhooks.changed();
    return c.body(null, 204);
  });

  return routes;
}

// Admins manage every room's hooks; a private room's owner its own.
function mayManage(node: ChatNode, account: Account, roomKey: string) {
  if (account.role === "admin") return true;
  return node.registry.roomInfo(roomKey)?.owner === account.key;
}

async function roomOwner(
  c: Context,
  node: ChatNode,
  name: string,
): Promise<
  { account: Account; roomKey: string; room: string } | Failure
> {
  const account = await requestAccount(c, node);
  if (isFailure(account)) return account;
  const roomKey = await node.findRoomAnywhere(name);
  const room = roomKey === undefined
    ? undefined
    : node.registry.roomInfo(roomKey);
  if (roomKey === undefined || !room) {
    return fail("room_not_found", `No room named '${name}'.`);
  }
  // A private room the account is not in does not exist, as everywhere,
  // admins included: its hooks deliver only while their maker may read the
  // room (see webhooks.ts), so an owner or admin banned from it makes none.
  const reader = { userKey: account.key };
  if (!await canRead(node, reader, roomKey)) {
    return fail("room_not_found", `No room named '${name}'.`);
  }
  const banned = await roomRefusal(node.store, reader, roomKey);
  if (banned) return banned;
  if (mayManage(node, account, roomKey)) {
    return { account, roomKey, room: room.name };
  }
  return fail(
    "forbidden",
    "Only the room's owner or an admin manages its webhooks.",
  );
}
