/**
 * Incoming webhooks: an admin or a room's owner makes one for the room and
 * gets a secret URL; whatever POSTs Slack's payload there is posted in the
 * room under the hook's name, with a HOOK badge. Each hook has its own
 * rate limit; the body is limited like every API request's (64 KiB); a
 * removed hook's URL answers 404.
 */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { z } from "zod";
import { findReadableRoom, hookMakerMayRead, roomRefusal } from "../access.ts";
import { hookIdentity, hookUserKey } from "../accounts/identity.ts";
import { hashToken, newPublicId, newSessionToken } from "../accounts/tokens.ts";
import { cleanText } from "../handlers/messages.ts";
import { isHttps } from "../http/client_info.ts";
import { jsonOrForm } from "../http/json_only.ts";
import { log } from "../log.ts";
import type { ChatNode } from "../node.ts";
import { describeIssue, lookup } from "../protocol/schemas.ts";
import { MAX_JSON_DEPTH, nestedDeeperThan } from "../protocol/json_depth.ts";
import { nameKey } from "../protocol/names.ts";
import { fail, type Failure, isFailure } from "../protocol/errors.ts";
import type { BucketSpec } from "../rate_limit.ts";
import {
  RoomArchivedError,
  RoomGoneError,
  type StoredHook,
} from "../store/mod.ts";
import { setupPace } from "../http/setup_pace.ts";
import { auditOfRequest } from "./audit.ts";
import { type ApiCaller, type ApiLimits, limitedCaller } from "./caller.ts";
import { BEARER, errors, json, jsonBody, refuse } from "./openapi.ts";
import { archivedRefusal, roomArchived } from "../handlers/archive.ts";
import {
  hookPostBody,
  hookPostForm,
  hooksReply,
  messageReply,
  nameBody,
  newHook,
} from "./schemas.ts";

const logger = log("hooks");

// A secret that names no hook, or the hook of a room deleted meanwhile.
const NO_SUCH_HOOK = fail(
  "not_found",
  "No such webhook: it may have been removed.",
);

/** Most incoming webhooks one room may have (outgoing ones have their own). */
export const MAX_INCOMING_HOOKS_PER_ROOM = 10;

const roomParam = z.object({ room: lookup(0, 4096) });
const idParam = z.object({ id: lookup(0, 64) });
const secretParam = z.object({ secret: z.string().max(256) });

/** Options of {@link hookRoutes}. */
export interface HookRouteOptions {
  /** Posts each hook may make: Slack's pace by default; none: no limit. */
  perHook?: BucketSpec;
}

function describeHook(node: ChatNode, hook: StoredHook) {
  return {
    id: hook.id,
    name: hook.name,
    room: node.registry.roomName(hook.roomKey) ?? hook.roomKey,
    created_by: hook.createdBy,
    created_at: new Date(hook.createdAt).toISOString(),
  };
}

/** Registers the incoming webhook routes on the API. */
export function hookRoutes(
  api: OpenAPIHono,
  node: ChatNode,
  limits: ApiLimits,
  options: HookRouteOptions = {},
): void {
  // Each hook's own pace, then the message budget of the account that
  // made it, which all its hooks share: else an account owning 100 rooms
  // posted through their 1,000 hooks at ten times the messages a second it
  // may send itself (30 times in a burst). Both are counted for every node
  // sharing Redis (buckets/mod.ts); a post also draws on its maker's
  // message bucket on this node, which its own messages there draw on.
  const perHook = node.buckets({ name: "hook", spec: options.perHook });
  const perMaker = node.buckets({
    name: "hook_maker",
    spec: node.limits.perUser.message,
  });

  // 0, or the wait; a refused post takes nothing from any of the three.
  async function admitPost(hook: StoredHook): Promise<number> {
    // Buckets are keyed as the maker's own requests key them: by nameKey,
    // not by the name as typed ("Root" and "root" are one account).
    const maker = nameKey(hook.createdBy);
    const local = node.userLimits.take(maker, "message");
    if (local > 0) return local;
    const pace = await perHook.take(hook.id);
    const budget = pace > 0 ? 0 : await perMaker.take(maker);
    if (pace === 0 && budget === 0) return 0;
    node.userLimits.give(maker, "message", 1);
    if (pace === 0) await perHook.give(hook.id, 1);
    return Math.max(pace, budget);
  }

  const caller = (c: Context) => limitedCaller(c, node, limits, "request");
  // Making and removing hooks, each a commit (http/setup_pace.ts).
  const pace = setupPace(node);

  // Admins manage every room's hooks; a room's owner those of the room.
  function mayManage(who: ApiCaller, roomKey: string): Failure | undefined {
    if (who.account.role === "admin") return undefined;
    if (node.registry.roomInfo(roomKey)?.owner === who.account.key) {
      return undefined;
    }
    return fail(
      "forbidden",
      "Only an admin or the room's owner manages its webhooks.",
    );
  }

  async function managedRoom(
    who: ApiCaller,
    room: string,
  ): Promise<string | Failure> {
    const key = await findReadableRoom(node, who.reader, room);
    if (key === undefined) {
      return fail("room_not_found", `No room named '${room}'.`);
    }
    // An owner banned from the room makes and lists no hooks of it: its
    // hooks would post for it (see the post below).
    return mayManage(who, key) ??
      await roomRefusal(node.store, who.reader, key) ?? key;
  }

  api.openapi(
    createRoute({
      method: "post",
      path: "/api/rooms/{room}/hooks",
      summary: "Make an incoming webhook for a room (admins, room owners)",
      description:
        "The answer's `url` holds the hook's secret: it is shown this once, and anyone who has it can post in the room.",
      security: BEARER,
      request: { params: roomParam, body: jsonBody(nameBody) },
      responses: {
        201: json(newHook, "The hook, with its secret URL"),
        ...errors(400, 401, 403, 404, 413, 415, 429),
      },
    }),
    async (c) => {
      const who = await caller(c);
      if (isFailure(who)) return refuse(c, who);
      const key = await managedRoom(who, c.req.valid("param").room);
      if (isFailure(key)) return refuse(c, key);
      // A hook is made to post, which the archived room refuses: making
      // one is refused as those posts would be (listing and removing go
      // on). The node's flag is enough here: a hook made just as another
      // node archives the room posts nothing, the store refuses its posts.
      const archived = archivedRefusal(node, key);
      if (archived) return refuse(c, archived);
      const slow = await pace(who.account.key);
      if (slow) return refuse(c, slow);
      // Each hook is a row kept until it is removed, and making them is
      // only rate-limited: bounded per room, as outgoing hooks are.
      if (
        (await node.store.listHooks(key)).length >= MAX_INCOMING_HOOKS_PER_ROOM
      ) {
        return refuse(
          c,
          fail(
            "forbidden",
            `A room has at most ${MAX_INCOMING_HOOKS_PER_ROOM} incoming webhooks: remove one first.`,
          ),
        );
      }
      const secret = newSessionToken();
      const hook: StoredHook = {
        id: newPublicId(),
        roomKey: key,
        name: c.req.valid("json").name,
        secretHash: hashToken(secret),
        createdBy: who.account.username,
        createdAt: Date.now(),
      };
      await node.store.createHook(
        hook,
        auditOfRequest(c, who.account.username, {
          action: "create_webhook",
          room: describeHook(node, hook).room,
          details: { hook: hook.id, name: hook.name },
        }),
      );
      logger.info("{user} made webhook {hook} for {room}", {
        user: who.account.username,
        hook: hook.id,
        room: key,
      });
      return c.json(
        { ...describeHook(node, hook), url: hookUrl(c, secret) },
        201,
      );
    },
  );

  api.openapi(
    createRoute({
      method: "get",
      path: "/api/rooms/{room}/hooks",
      summary: "List a room's incoming webhooks (never their URLs)",
      security: BEARER,
      request: { params: roomParam },
      responses: {
        200: json(hooksReply, "The hooks, oldest first"),
        ...errors(401, 403, 404, 429),
      },
    }),
    async (c) => {
      const who = await caller(c);
      if (isFailure(who)) return refuse(c, who);
      const key = await managedRoom(who, c.req.valid("param").room);
      if (isFailure(key)) return refuse(c, key);
      const hooks = await node.store.listHooks(key);
      return c.json({ hooks: hooks.map((h) => describeHook(node, h)) }, 200);
    },
  );

  api.openapi(
    createRoute({
      method: "delete",
      path: "/api/hooks/{id}",
      summary: "Remove an incoming webhook: its URL stops working at once",
      security: BEARER,
      request: { params: idParam },
      responses: {
        204: { description: "Removed" },
        ...errors(401, 403, 404, 413, 429),
      },
    }),
    async (c) => {
      const who = await caller(c);
      if (isFailure(who)) return refuse(c, who);
      const hook = await node.store.findHookById(c.req.valid("param").id);
      const notFound = fail("not_found", "No such webhook.");
      if (!hook) return refuse(c, notFound);
      // Someone who may not see the room does not learn the hook exists.
      if (!await findReadableRoom(node, who.reader, hook.roomKey)) {
        return refuse(c, notFound);
      }
      const refused = mayManage(who, hook.roomKey);
      if (refused) return refuse(c, refused);
      const slow = await pace(who.account.key);
      if (slow) return refuse(c, slow);
      // Removed a moment ago by another request: done all the same (the
      // entry is the removal's, written with it).
      await node.store.deleteHook(
        hook.id,
        auditOfRequest(c, who.account.username, {
          action: "delete_webhook",
          room: describeHook(node, hook).room,
          details: { hook: hook.id, name: hook.name },
        }),
      );
      return c.body(null, 204);
    },
  );

  api.openapi(
    createRoute({
      method: "post",
      path: "/api/hooks/{secret}",
      middleware: [jsonOrForm],
      summary: "Post to a room through an incoming webhook",
      description:
        "Slack's payload: `text`, and optionally `username` (shown instead of the hook's name) and `attachments` (Slack's; written into the text). As JSON, or as a form with `payload=<json>`. No token: the URL is the secret.",
      request: {
        params: secretParam,
        body: {
          content: {
            "application/json": { schema: hookPostBody },
            "application/x-www-form-urlencoded": { schema: hookPostForm },
          },
          // Not `required`: the library would then check both types at once.
          required: false,
        },
      },
      responses: {
        200: json(messageReply, "Posted"),
        ...errors(400, 401, 403, 404, 413, 415, 429),
      },
    }),
    async (c) => {
      const hook = await node.store.findHook(
        hashToken(c.req.valid("param").secret),
      );
      if (!hook) {
        return refuse(c, NO_SUCH_HOOK);
      }
      // A hook posts for its maker: while the maker is banned from the
      // room or the server (or out of a private room) it posts nothing, as
      // the maker's own sends get `banned`. A ban look-up per post; the
      // URL works again once the ban is lifted.
      const maker = {
        makerKey: nameKey(hook.createdBy),
        createdAt: hook.createdAt,
        roomKey: hook.roomKey,
      };
      if (!await hookMakerMayRead(node, maker)) {
        return refuse(
          c,
          fail(
            "forbidden",
            "This webhook's maker may no longer post in this room.",
          ),
        );
      }
      const archived = archivedRefusal(node, hook.roomKey);
      if (archived) return refuse(c, archived);
      const wait = await admitPost(hook);
      if (wait > 0) {
        return refuse(
          c,
          fail(
            "rate_limited",
            `Slow down: this webhook may post again in ${
              (wait / 1000).toFixed(1)
            } s.`,
            { retry_after_ms: wait },
          ),
        );
      }
      const payload = hookPayload(c);
      if (isFailure(payload)) return refuse(c, payload);
      const text = cleanText(slackText(payload));
      if (isFailure(text)) return refuse(c, text);
      let appended;
      try {
        appended = await node.store.appendMessage({
          roomKey: hook.roomKey,
          userKey: hookUserKey(hook.id),
          user: payload.username ?? hook.name,
          text,
          sender: hookIdentity(hook.id),
          // The room the hook was found in: deleted and made again under
          // its name since, the new room has no such hook.
          roomCreatedAt: hook.roomCreatedAt,
        });
      } catch (error) {
        // Archived (on another node) while the post was under way: as a
        // post after the archive is answered.
        if (error instanceof RoomArchivedError) {
          return refuse(c, roomArchived(node, hook.roomKey));
        }
        // Its room deleted (perhaps made again) while the post was under
        // way: the hook went with it, as a post after the deletion finds.
        if (!(error instanceof RoomGoneError)) throw error;
        return refuse(c, NO_SUCH_HOOK);
      }
      const { message } = appended;
      node.metrics.messagesStored++;
      node.publishMessage(hook.roomKey, message);
      return c.json({ message }, 200);
    },
  );
}

// The payload, from a JSON body or Slack's form (`payload=<json>`).
function hookPayload(c: Context): z.infer<typeof hookPostBody> | Failure {
  const form = (c.req.valid as (t: string) => unknown)("form") as
    | { payload?: string }
    | undefined;
  let raw: unknown = (c.req.valid as (t: string) => unknown)("json");
  if (form?.payload !== undefined) {
    // The JSON body's rule (http/shallow_json.ts), for the JSON a form
    // carries: before the parse, which is what a deep one costs.
    if (nestedDeeperThan(form.payload, MAX_JSON_DEPTH)) {
      return fail(
        "invalid_message",
        `The form's 'payload' nests arrays and objects more than ${MAX_JSON_DEPTH} deep.`,
      );
    }
    try {
      raw = JSON.parse(form.payload);
    } catch {
      return fail("invalid_json", "The form's 'payload' is not JSON.");
    }
    const parsed = hookPostBody.safeParse(raw);
    if (!parsed.success) {
      return fail("invalid_message", describeIssue(parsed.error));
    }
    raw = parsed.data;
  }
  const payload = raw as z.infer<typeof hookPostBody>;
  if (payload.text === undefined && !payload.attachments?.length) {
    return fail("empty_message", "Send 'text' or 'attachments'.");
  }
  return payload;
}

/**
 * The message text of a Slack payload: its text, then each attachment as
 * Slack's fallback would read (pretext, title and link, text, fields).
 */
export function slackText(payload: z.infer<typeof hookPostBody>): string {
  const parts = payload.text === undefined ? [] : [payload.text];
  for (const a of payload.attachments ?? []) {
    const lines: string[] = [];
    if (a.pretext) lines.push(a.pretext);
    if (a.title) {
      lines.push(a.title_link ? `${a.title} (${a.title_link})` : a.title);
    }
    if (a.text) lines.push(a.text);
    for (const field of a.fields ?? []) {
      const line = [field.title, field.value].filter(Boolean).join(": ");
      if (line) lines.push(line);
    }
    if (lines.length === 0 && a.fallback) lines.push(a.fallback);
    if (lines.length > 0) parts.push(lines.join("\n"));
  }
  return parts.join("\n\n");
}

// The hook's public URL, as the caller reached this server.
function hookUrl(c: Context, secret: string): string {
  const host = c.req.header("host") ?? new URL(c.req.url).host;
  return `${isHttps(c) ? "https" : "http"}://${host}/api/hooks/${secret}`;
}
