/**
 * The REST API's shapes, as zod schemas: the same objects validate the
 * requests (with the WebSocket's own request schemas where the two share
 * an action) and produce the OpenAPI document at `/api/openapi.json`.
 * Responses are described here and checked against real answers by
 * tests/openapi_test.ts.
 */
import { z } from "zod";
import { label } from "../protocol/labels.ts";
import { ERROR_CODES } from "../protocol/error_codes.ts";
import { CONVERSATIONS_MAX_LIMIT } from "../protocol/limits.ts";
import {
  AROUND_SEQ_ALONE,
  aroundSeqAlone,
  listConversationsData,
  noNul,
  privateMessageData,
  searchData,
} from "../protocol/schemas.ts";

/** Every error answer: `{"error": code, "message"}`, and the wait when limited. */
export const errorBody = z.object({
  error: z.enum(ERROR_CODES),
  message: z.string(),
  retry_after_ms: z.number().optional(),
  /** With `stale_epoch`: the room's epoch now. */
  epoch: z.string().optional(),
}).openapi("Error");

/** A shared file as messages carry it. */
export const attachment = z.object({
  url: z.string(),
  name: z.string(),
  size: z.number().int(),
  type: z.string(),
  width: z.number().int().optional(),
  height: z.number().int().optional(),
  frames: z.number().int().optional(),
}).openapi("Attachment");

// Who sent a message when not a person (protocol/types.ts MessageBadge).
const badge = z.enum(["bot", "hook"]);

/** A room message (`room`) or a private one (`to`). */
export const message = z.object({
  id: z.string(),
  seq: z.number().int(),
  room: z.string().optional(),
  to: z.string().optional(),
  user: z.string(),
  text: z.string(),
  ts: z.string(),
  client_id: z.string().optional(),
  attachments: z.array(attachment).optional(),
  edited_at: z.string().optional(),
  deleted: z.boolean().optional(),
  /** The message answered, as the reply quotes it now. */
  reply_to: z.object({
    id: z.string(),
    seq: z.number().int(),
    user: z.string(),
    text: z.string(),
    deleted: z.boolean().optional(),
    /** The original's badge, as the original carries it. */
    badge: badge.optional(),
  }).optional(),
  reactions: z.array(z.object({
    emoji: z.string(),
    count: z.number().int(),
    users: z.array(z.string()),
  })).optional(),
  /** Its links' previews, once the server fetched them (docs/protocol.md). */
  previews: z.array(z.object({
    url: z.string(),
    title: z.string().optional(),
    description: z.string().optional(),
    site_name: z.string().optional(),
  })).optional(),
  /** The poll it carries (docs/protocol.md, "Polls"): counts and names. */
  poll: z.object({
    question: z.string(),
    options: z.array(z.object({
      text: z.string(),
      votes: z.number().int(),
      voters: z.array(z.string()),
    })),
    multiple: z.boolean(),
    closed: z.boolean(),
  }).optional(),
  /**
   * The message it forwards (docs/protocol.md, "Forwarding"): a copy as
   * its forwarder read it, kept as it was; `room` only for a public
   * room's, `with` for a private message's; `{id, deleted}` once the
   * original is deleted.
   */
  forwarded: z.union([
    z.object({
      id: z.string(),
      seq: z.number().int(),
      user: z.string(),
      ts: z.string(),
      text: z.string(),
      room: z.string().optional(),
      with: z.string().optional(),
      badge: badge.optional(),
    }),
    // Its original deleted: only its id is left.
    z.object({ id: z.string(), deleted: z.literal(true) }),
  ]).optional(),
  pinned: z.boolean().optional(),
  badge: badge.optional(),
  /** Changes committed to it; of two copies, the higher is the later. */
  version: z.number().int().optional(),
  /** Its `@room` notified the room's members. */
  room_mention: z.boolean().optional(),
  /** Its live replies, when it has any (`GET /api/messages/{id}/replies`). */
  reply_count: z.number().int().optional(),
  /** The seq of its newest live reply, with `reply_count`. */
  last_reply_seq: z.number().int().optional(),
  /**
   * Changes its thread has had (a reply stored, a reply deleted); of two
   * copies, the higher holds the later count.
   */
  thread_version: z.number().int().optional(),
}).openapi("Message");

/** `{"message"}`: what a send answers. */
export const messageReply = z.object({ message }).openapi("MessageReply");

/** A page of a room's history. */
export const historyReply = z.object({
  room: z.string(),
  /** The room's incarnation (server/room_history.ts). */
  epoch: z.string(),
  messages: z.array(message),
  /**
   * The seqs of the page's `here_mention` messages whose `@here`
   * mentioned the caller; only when the page holds one.
   */
  here_mentioned: z.array(z.number().int()).optional(),
}).openapi("History");

/** History paging, as the WebSocket `history` action takes it. */
export const historyQuery = z.object({
  before_seq: z.coerce.number().int().min(0).optional(),
  after_seq: z.coerce.number().int().min(0).optional(),
  /** A page centred on this seq (alone: not with before_seq or after_seq). */
  around_seq: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().min(1).max(200).int().optional(),
  /** The epoch the asker saw: another one answers `stale_epoch`. */
  epoch: z.string().max(32).optional(),
}).refine(aroundSeqAlone, AROUND_SEQ_ALONE);

/** A page of a private conversation, as the WebSocket `history` `{"with"}` answers it. */
export const conversationHistoryReply = z.object({
  /** The other side, as the request wrote it. */
  with: z.string(),
  messages: z.array(message),
}).openapi("ConversationHistory");

/** Conversation paging, as the WebSocket `history` takes it (no epoch: rooms only). */
export const conversationHistoryQuery = z.object({
  before_seq: z.coerce.number().int().min(0).optional(),
  after_seq: z.coerce.number().int().min(0).optional(),
  /** A page centred on this seq (alone: not with before_seq or after_seq). */
  around_seq: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().min(1).max(200).int().optional(),
}).refine(aroundSeqAlone, AROUND_SEQ_ALONE);

/** The rooms a caller may see. */
export const roomsReply = z.object({
  rooms: z.array(z.object({
    name: z.string(),
    users: z.number().int(),
    private: z.boolean().optional(),
    archived: z.boolean().optional().openapi({
      description: "True for an archived room (read only); absent otherwise",
    }),
    posting: z.enum(["moderators"]).optional().openapi({
      description:
        "`moderators` for an announcement room (only its owner, moderators and admins post); absent: everyone",
    }),
  })),
}).openapi("Rooms");

/** `GET /api/conversations`'s query: the `list_conversations` action's fields. */
export const conversationsQuery = z.object({
  before: listConversationsData.shape.before,
  limit: z.coerce.number().min(1).max(CONVERSATIONS_MAX_LIMIT).int()
    .optional(),
});

/** An account's conversations, newest first; `next` is the `before` of the next page. */
export const conversationsReply = z.object({
  conversations: z.array(z.object({
    with: z.string(),
    last_seq: z.number().int(),
    last_id: z.string(),
    last_ts: z.string(),
    last_read_seq: z.number().int(),
    unread: z.number().int(),
    mentions: z.number().int(),
    /** Present when the other side's account was deleted since. */
    deleted: z.literal(true).optional(),
    /** The other side's profile picture's version, when it has one. */
    avatar: z.string().optional(),
  })),
  next: z.string().optional(),
}).openapi("Conversations");

/** `GET /api/me`. */
export const me = z.object({
  username: z.string(),
  role: z.enum(["admin", "moderator", "user"]),
  bot: z.boolean(),
  limits: z.object({
    max_file_bytes: z.number().int().openapi({
      description: "Largest file `POST /api/files` takes (--max-file-bytes)",
    }),
  }).openapi("Limits", {
    description: "The server's limits, as the WebSocket login reply gives them",
  }),
}).openapi("Me");

/** `POST /api/tokens`, `POST /api/bots/:bot/tokens`, `POST /api/rooms/:room/hooks`. */
export const nameBody = z.object({ name: label });

/** `POST /api/bots`. */
export const botBody = z.object({ name: z.string().max(4096) });

/** A token as listed: never its secret. */
export const tokenInfo = z.object({
  id: z.string(),
  name: z.string(),
  created_at: z.string(),
}).openapi("Token");

/** A token just made: the secret, shown this once. */
export const newToken = tokenInfo.extend({ token: z.string() })
  .openapi("NewToken");

/** `{"tokens"}`. */
export const tokensReply = z.object({ tokens: z.array(tokenInfo) })
  .openapi("Tokens");

/** A bot account. */
export const bot = z.object({
  username: z.string(),
  bot: z.literal(true),
  created_at: z.string(),
}).openapi("Bot");

/** `{"bots"}`. */
export const botsReply = z.object({ bots: z.array(bot) }).openapi("Bots");

/** An incoming webhook as listed: never its URL. */
export const hookInfo = z.object({
  id: z.string(),
  name: z.string(),
  room: z.string(),
  created_by: z.string(),
  created_at: z.string(),
}).openapi("Hook");

/** A webhook just made: its secret URL, shown this once. */
export const newHook = hookInfo.extend({ url: z.string() }).openapi("NewHook");

/**
 * What the listing of an outgoing hook, a room's or a bot's, says after its
 * id and owner (routes/outgoing_hooks.ts describeHook): spread into each
 * one's object, so both list the same fields in the same order.
 */
export const outgoingHookFacts = {
  url: z.string(),
  created_by: z.string(),
  created_at: z.string(),
  failures: z.number().int(),
  last_error: z.string().nullable(),
  last_status: z.number().int().nullable(),
  last_failure_at: z.string().nullable(),
  last_success_at: z.string().nullable(),
};

/** `{"hooks"}`. */
export const hooksReply = z.object({ hooks: z.array(hookInfo) })
  .openapi("Hooks");

/** `POST /api/private/:user/messages`: `private_message` without `to`. */
export const privateBody = privateMessageData.omit({ to: true });

// Slack's message attachments, as senders of incoming webhooks use them;
// the server writes them into the message's text.
// Every string of a payload becomes message text: the same rules as a
// sent message's text (no NUL, no lone surrogate), or what was answered
// 200 would be stored changed.
const slackField = z.object({
  title: noNul(4096).optional(),
  value: noNul(16384).optional(),
});
const slackAttachment = z.object({
  fallback: noNul(16384).optional(),
  pretext: noNul(16384).optional(),
  title: noNul(4096).optional(),
  title_link: noNul(4096).optional(),
  text: noNul(16384).optional(),
  fields: z.array(slackField).max(50).optional(),
});

/**
 * `POST /api/hooks/:secret`: Slack's incoming webhook payload (`text`,
 * and optionally `username` and `attachments`); at least one of `text`
 * and `attachments`.
 */
export const hookPostBody = z.object({
  text: noNul(1_000_000).optional(),
  username: label.optional(),
  attachments: z.array(slackAttachment).max(20).optional(),
}).openapi("HookPost");

/** The same payload sent as a form, Slack's way: `payload=<json>`. */
export const hookPostForm = z.object({ payload: z.string() });

/** `GET /api/search`'s query: the `search` action's fields, `query` as `q`. */
export const searchQuery = z.object({
  q: searchData.shape.query,
  room: searchData.shape.room,
  with: searchData.shape.with,
  from: searchData.shape.from,
  /** `has` as one comma-separated list: `file,link`. */
  has: z.string().max(64).transform((list) => list.split(","))
    .pipe(searchData.shape.has.unwrap()).optional(),
  after: searchData.shape.after,
  until: searchData.shape.until,
  zone: searchData.shape.zone,
  before: searchData.shape.before,
  limit: z.coerce.number().min(1).max(50).int().optional(),
});

/** Search results, newest first; `next` is the `before` of the next page. */
export const searchReply = z.object({
  results: z.array(message.extend({
    /** For a private message: the other side of the conversation. */
    with: z.string().optional(),
  })),
  next: z.string().optional(),
}).openapi("SearchResults");
