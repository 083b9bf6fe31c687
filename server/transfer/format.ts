/**
 * The export format (`deno task export`, `deno task import`): JSON Lines,
 * one object a line with a `kind`. A `header` line first, an `end` line
 * last (so a cut-short file is refused), and between them one line per
 * stored row, in the order of TABLES. Fields are the columns of the
 * SQLite schema, so both stores read and write the same lines and an
 * import keeps every id, seq and time. README ("Move to PostgreSQL") tells
 * operators how to use it.
 */
import { z } from "zod";
import {
  MAX_ATTACHMENTS,
  MAX_MESSAGE_LENGTH,
  MAX_POLL_OPTION,
  MAX_POLL_OPTIONS,
  MAX_POLL_QUESTION,
  MAX_PREVIEW_DESCRIPTION,
  MAX_PREVIEW_LINKS,
  MAX_PREVIEW_TITLE,
  MAX_PREVIEW_URL,
  MAX_REACTION_USERS,
  MAX_REACTIONS_PER_MESSAGE,
  MAX_TOPIC_LENGTH,
  MIN_POLL_OPTIONS,
} from "../protocol/limits.ts";
import { isHookUserKey } from "../accounts/identity.ts";
import { OPERATOR_ACTOR, SERVER_ACTOR } from "../handlers/audit.ts";
import {
  CUSTOM_EMOJI_NAME,
  keptReactionEmoji,
  reactionEmoji,
} from "../protocol/emoji.ts";
import { keptLabel, sectionName, statusText } from "../protocol/labels.ts";
import { profileTitle, timeZone } from "../protocol/profiles.ts";
import {
  inNameAlphabet,
  NAME_ALPHABET_RULE,
  nameKey,
} from "../protocol/names.ts";
import {
  emailAddressBefore21,
  groupDescription,
  keptReason,
  noNul,
} from "../protocol/schemas.ts";
import { KEPT_TOPIC_RULE, keptTopic } from "../protocol/topics.ts";
import { DISGUISING, EVERY_DISGUISING } from "../protocol/disguises.ts";
import { ANONYMOUS_NAME } from "../store/mod.ts";

/** What the header line says; an import refuses another `format`. */
export const FORMAT = "chat-server-export";
/** Bumped when a line's meaning changes; an import refuses a newer one. */
export const FORMAT_VERSION = 1;

/**
 * The most any int of a line may be: the latest time a JavaScript Date
 * holds. A later time (a message's `ts` of 9e15) made the server unable to
 * start at all: reading the room's last messages threw (toISOString).
 */
export const MAX_INT = 8_640_000_000_000_000;

/**
 * The most a seq (or a stream's last seq) may be: past 2^53 the store's
 * next seq is no longer a whole number JavaScript holds exactly, and every
 * send after the first got `internal` (two messages at one seq). At 2^52 a
 * stream still has 2^52 sends to go.
 */
export const MAX_SEQ = 2 ** 52;

/** How a column's value is written in a line. */
export type ColumnType = "text" | "int" | "bool" | "json";

/** One column of a table, as a field of its lines. */
export interface ColumnSpec {
  /** The field name, and the SQLite column. */
  name: string;
  type: ColumnType;
  /** May be null (and left out of a line). */
  nullable?: boolean;
  /** The PostgreSQL column when it differs (`user` is reserved there). */
  postgres?: string;
  /**
   * Written only with `--include-secrets`; an import without it stores
   * this instead (an empty password hash matches no password).
   */
  secret?: string | null;
  /**
   * Stored when a line leaves the field out: a file exported before the
   * column existed still imports.
   */
  missing?: boolean | number | string;
  /** The least an int may be: 0 unless said (no count, time or seq is less). */
  min?: number;
  /**
   * The most an int may be ({@link MAX_INT} unless said), or the most
   * characters (code points) a text may have (no bound unless said).
   */
  max?: number;
  /** What a json column's value must be, when more than a list or object. */
  shape?: z.ZodType;
  /** What a text column's value must match. */
  pattern?: RegExp;
  /**
   * The rule the door a text column's value comes through holds it to:
   * a value the schema changes (a label it trims) breaks it too. A
   * function picks the rule from the rest of the line, when which door
   * it came through depends on it (a message's `user`: see `author`).
   */
  rule?: z.ZodType<string> | ((line: Row) => z.ZodType<string>);
  /**
   * A text people read (a label, a topic, a status, a description, a
   * reason), not a name or a key: the direction marks and invisible
   * spaces (disguises.ts) an older server let into such texts before its
   * rules refused them are taken out on import ({@link cleanLabels}), as
   * uploads' names lose them, rather than stop the move of a whole store
   * at one line; the import's summary names each line and field cleaned.
   * What is left is held to `rule` as any value.
   */
  label?: boolean;
}

/*
 * The rules of the doors, as every version held them, so that a crafted
 * dump restores nothing the server never let in, and the dump of an older
 * server what it kept: a topic, a token's or a hook's name, a hook's
 * post's display name of several lines or turned around by U+202E (the
 * marks rule came after some were stored: `keptTopic`, `keptLabel`); a
 * ban's or an audit entry's reason over 500 characters (the doors took
 * any other until the rules of 12-05 and 12-06: `keptReason`); an
 * account, a room, a message's author or recipient, a reaction's, a
 * ban's or an audit entry's actor named outside the names' alphabet
 * (`<b>`, `a b`, 200 letters); a file's name turned around or holding a
 * folder (`storedFileName`). Each is refused with its line number, the
 * kind of its line and the field.
 */
const storedName = z.string().refine(inNameAlphabet, NAME_ALPHABET_RULE);
/**
 * An email address as set_email kept it: its rule changes nothing. The
 * rule before round 21's (no host check, no NFC, compatibility characters
 * taken): an older server's dump restores the addresses it kept (they
 * were never mailable, or shared a mailbox key; their owners set them
 * again), where refusing one would refuse the whole restore.
 */
const emailAddressKept = z.string().refine(
  (s) => emailAddressBefore21.safeParse(s).data === s,
  "an email address as set_email keeps it",
);
const storedTopic = z.string().refine(
  (s) => keptTopic(s) === s,
  KEPT_TOPIC_RULE,
);
/**
 * A ban's reason as `ban` has stored it from the first: trimmed, and
 * "no reason given" for none, so never empty (else `keptReason`).
 */
const banReason = keptReason.trim().min(1);
/**
 * The rule of an audit entry's `reason`, as its door set it: the
 * operator's `reset-password --reason` was trimmed but took any length
 * until it took reasons' rule (12-06), every other door at most 500
 * characters (`keptReason`).
 */
function auditReason(line: Row): z.ZodType<string> {
  return line.by_user === OPERATOR_ACTOR ? z.string().trim() : keptReason;
}
/**
 * Who an audit entry says acted: an account (through the WebSocket or the
 * REST API), or the server by itself or its operator by a command.
 */
const actor = z.string().refine(
  (s) => s === SERVER_ACTOR || s === OPERATOR_ACTOR || inNameAlphabet(s),
  `${NAME_ALPHABET_RULE}, or "${SERVER_ACTOR}" or "${OPERATOR_ACTOR}"`,
);
/** A reaction's emoji as the store keeps it (one emoji, not `<b>`). */
const storedEmoji = z.string().refine(
  keptReactionEmoji,
  "one emoji, as reactions store it",
);
/**
 * Who wrote a message or reacted, as the store keeps it: a name, or the
 * one that stands for an account deleted with its messages anonymised.
 */
const shownName = z.string().refine(
  (s) => s === ANONYMOUS_NAME || inNameAlphabet(s),
  `${NAME_ALPHABET_RULE}, or "${ANONYMOUS_NAME}"`,
);
/**
 * An account's key as the store files things under it (an upload's
 * `uploader`, who made an outgoing webhook): a name's key form
 * (`nameKey`), so `Alice` or `<b>` is no key. Not the names' alphabet:
 * a key may be longer than its name ("ß" is "ss") and hold what NFKC
 * spells some of its letters with (`ﷺ` words and spaces, `⑴` brackets,
 * `¼` a fraction slash, `Ŀ` a middle dot, `🄁` a comma: the only such
 * characters, found by keying every letter and digit a name may hold).
 */
const KEY_LETTERS = /^[\p{L}\p{M}\p{N}_.\-\u2044\u00B7(), ]+$/u;
const storedKey = z.string().refine(
  (s) => KEY_LETTERS.test(s) && nameKey(s) === s,
  "a name's key (NFKC, lower case), as accounts are stored under",
);
/**
 * The rule of a message's `user`, as its door set it: an incoming hook's
 * post shows the `username` it gave or the hook's name (labels both),
 * everyone else's their name. A label such as `CI bot` is a hook's only:
 * an account's message under it would read as no name the server has; a
 * name not its `user_key`'s (alice's message showing `bob`) as bob's, whom
 * every reader took for its author.
 */
function author(line: Row): z.ZodType<string> {
  const key = String(line.user_key);
  if (isHookUserKey(key)) return keptLabel;
  // An account deleted with its messages anonymised leaves both: the
  // key goes with the name (server/store/*_accounts.ts).
  if (key === "") {
    return shownName.refine(
      (s) => s === ANONYMOUS_NAME,
      `"${ANONYMOUS_NAME}", as its empty user_key (an anonymised account's)`,
    );
  }
  return shownName.refine(
    (s) => nameKey(s) === key,
    `the name of its user_key ("${key}")`,
  );
}
/**
 * The rule of a message's `room`, the room's name as readers are served
 * it: a room message's is its room's (the key of its name is the
 * stream's; import.ts holds it to the room line's name), a private
 * message has none. A message of `team` under `general` was filed by
 * every client under the room it named.
 */
function roomOf(line: Row): z.ZodType<string> {
  const stream = String(line.stream);
  return stream.startsWith("@")
    ? z.string().refine(() => false, "a private message is in no room")
    : z.string().refine(
      (s) => nameKey(s) === stream,
      `the name of its stream's room ("${stream}")`,
    );
}
/**
 * Whom an audit entry names, as each door wrote it: an account's or a
 * guest's name, the author of a message deleted (a hook's label, or the
 * deleted user's), the name an `unban` was typed with (any spelling of
 * its key: `ALICE`).
 */
function auditTarget(line: Row): z.ZodType<string> {
  if (line.action === "delete_message") return z.union([shownName, keptLabel]);
  if (line.action === "unban") {
    return z.string().refine(
      (s) => storedKey.safeParse(nameKey(s)).success,
      "a name, as unban was given it",
    );
  }
  return storedName;
}

/** A table as the export walks it. */
export interface TableSpec {
  /** The table, in both schemas. */
  table: string;
  /** The `kind` of its lines (messages: see `kindOf`). */
  kind: string;
  columns: readonly ColumnSpec[];
  /**
   * The columns that order it and page through it (a unique key): the
   * export reads pages after the last row it wrote, never an offset.
   */
  key: readonly string[];
  /** The key to order by when it is not `key` (rooms: creation order). */
  order?: { sqlite: string; postgres: string };
  /** The whole table is secret: written only with `--include-secrets`. */
  secret?: boolean;
  /**
   * The column the store numbers by itself (the audit log's `id`): an
   * import keeps the numbers and moves PostgreSQL's sequence past them.
   */
  identity?: string;
}

const text = (name: string, more: Partial<ColumnSpec> = {}): ColumnSpec => ({
  name,
  type: "text",
  ...more,
});
const int = (name: string, more: Partial<ColumnSpec> = {}): ColumnSpec => ({
  name,
  type: "int",
  ...more,
});
const bool = (name: string, more: Partial<ColumnSpec> = {}): ColumnSpec => ({
  name,
  type: "bool",
  ...more,
});

/**
 * An outgoing webhook's columns: a room's (`room_key`) and a bot's for its
 * private messages (`user_key`) differ only in their owner.
 */
const outgoingHookColumns = (owner: "room_key" | "user_key"): ColumnSpec[] => [
  text("id"),
  text(owner),
  text("url"),
  text("secret"),
  // Made by an account: its key (routes/outgoing_hooks.ts).
  text("created_by", { rule: storedKey }),
  int("created_at"),
  int("failures"),
  text("last_error", { nullable: true }),
  int("last_status", { nullable: true }),
  int("last_failure_at", { nullable: true }),
  int("last_success_at", { nullable: true }),
];

/**
 * A message's files as the store writes them (server/files.ts): served to
 * readers as they are, so anything else reached every client that showed
 * the room (a `5` or `null` where a file was, a `javascript:` link).
 */
/**
 * A file's name as uploads have kept it from the first (files.ts
 * `cleanFileName`): no folder, no control character and none of the
 * direction embeddings, overrides and isolates that turn it around
 * (`invoice\u202Egnp.exe` shown as "invoiceexe.png"), no space before it
 * nor after it (but where the cut at 200 fell), 1 to 200 UTF-16 units, never
 * `.` or `..`. Direction marks and invisible spaces were kept until 12-03
 * (uploads lose them since), so a dump of then still imports. The file
 * line's name is shown in downloads, an attachment's in the chat.
 */
const storedFileName = z.string().refine(
  (name) =>
    name.length <= 200 && !/^\s/.test(name) &&
    (name.length === 200 || !/\s$/.test(name)) &&
    !/[\\/\p{Cc}\u202a-\u202e\u2066-\u2069]/u.test(name) &&
    !["", ".", ".."].includes(name),
  "a file's name as uploads keep it: no folder, control character or " +
    "direction override, no space around it, 1 to 200 UTF-16 units",
);

/** A two-factor secret as totp.ts makes it: base32, 160 bits or more. */
const TOTP_SECRET = /^[A-Z2-7]{32,256}$/;

const ATTACHMENTS = z.array(z.object({
  url: z.string().startsWith("/files/"),
  name: storedFileName,
  size: z.number().int().min(0),
  type: z.string(),
  width: z.number().int().min(0).optional(),
  height: z.number().int().min(0).optional(),
  frames: z.number().int().min(0).optional(),
})).max(MAX_ATTACHMENTS);

/**
 * A scheduled message's files, as the send will take them: the URLs only
 * (the send reads what each is from the server's own records).
 */
const SCHEDULED_ATTACHMENTS = z.array(z.object({
  url: z.string().max(2048),
})).max(MAX_ATTACHMENTS);

/**
 * A message's link previews as readers are served them (link_previews/):
 * text the web client shows, under a link it makes, so held to what the
 * server itself keeps: an http(s) URL, its three texts bounded.
 */
const PREVIEWS = z.array(
  z.object({
    url: noNul(MAX_PREVIEW_URL).refine(
      (s) => /^https?:\/\//i.test(s),
      "an http or https URL",
    ),
    title: noNul(MAX_PREVIEW_TITLE * 2).optional(),
    description: noNul(MAX_PREVIEW_DESCRIPTION * 2).optional(),
    site_name: noNul(MAX_PREVIEW_TITLE * 2).optional(),
  }).strict(),
).max(MAX_PREVIEW_LINKS);

/**
 * A message's poll as the stores keep it (server/polls.ts): served to
 * readers as it is, so held to what create_poll allows and to voters
 * named as reactions' users are (an account's key each), with the votes
 * `vote` makes: an account once an option, and in one option only unless
 * the poll takes several. An account twice was counted twice, and its
 * next vote took both away.
 */
const POLL = z.object({
  question: noNul(MAX_POLL_QUESTION * 2),
  options: z.array(
    z.object({
      text: noNul(MAX_POLL_OPTION * 2),
      voters: z.array(
        z.object({ key: storedKey, name: shownName }).strict(),
      ),
    }).strict(),
  ).min(MIN_POLL_OPTIONS).max(MAX_POLL_OPTIONS),
  multiple: z.boolean(),
  closed: z.boolean(),
}).strict().superRefine((poll, context) => {
  // Accounts that voted in an earlier option (all of them for a poll of
  // one choice), and those in this one.
  const earlier = new Set<string>();
  poll.options.forEach((option, i) => {
    const here = new Set<string>();
    option.voters.forEach((voter, j) => {
      const message = here.has(voter.key)
        ? `${voter.key} votes twice for one option`
        : !poll.multiple && earlier.has(voter.key)
        ? `${voter.key} votes for two options of a poll of one choice`
        : undefined;
      if (message !== undefined) {
        context.addIssue({
          code: "custom",
          message,
          path: ["options", i, "voters", j],
        });
      }
      here.add(voter.key);
    });
    for (const key of here) earlier.add(key);
  });
});

/**
 * A forward's copy of the message it forwards (handlers/forward.ts),
 * served to readers as it is: the original's id, seq, author (a name, or a
 * hook's label), time and text within a message's length, and a public
 * room's name or the forwarder's conversation's other side.
 */
const FORWARDED = z.union([
  z.object({
    id: noNul(64).min(1),
    seq: z.number().int().min(1).max(MAX_SEQ),
    user: z.union([shownName, keptLabel]),
    ts: z.iso.datetime(),
    text: noNul(MAX_MESSAGE_LENGTH * 2),
    room: storedName.optional(),
    with: shownName.optional(),
    badge: z.enum(["bot", "hook"]).optional(),
  }).strict(),
  z.object({
    // A copy whose original was deleted: only its id is left.
    id: noNul(64).min(1),
    deleted: z.literal(true),
  }).strict(),
]);

/**
 * A message's reactions as the store sums up its reaction lines (each
 * emoji, how many, the first names), served to readers as they are: a
 * `[null]` made every read of the message's room throw, and a name outside
 * the alphabet reached every client that showed it.
 */
const REACTIONS = z.array(
  z.object({
    emoji: storedEmoji,
    count: z.number().int().min(1),
    users: z.array(shownName).max(MAX_REACTION_USERS),
  }).strict(),
).max(MAX_REACTIONS_PER_MESSAGE);

/**
 * The marks of uploads whose files a server reads at its start
 * (store migration "Uploads whose recorded dimensions the readers of before
 * got wrong"; upload_rereads.ts). Never exported: an import writes them for
 * the files whose bytes it did not have (no `--include-files`).
 */
export const REREADS: TableSpec = {
  table: "upload_rereads",
  kind: "upload_reread",
  columns: [text("id")],
  key: ["id"],
};

// A status's emoji as set_status keeps it: one emoji, spelled as stored.
/** A profile's title as set_profile keeps it: its rules, NFC, not empty. */
const PROFILE_TITLE = profileTitle.refine(
  (s) => s !== "" && s === s.normalize("NFC"),
  "a title as set_profile keeps it",
);

const STATUS_EMOJI = z.string().refine(
  (s) => reactionEmoji(s) === s,
  "one emoji, as set_status keeps it",
);

/**
 * Every table an export holds, in the order it writes them: what a line
 * refers to comes before it (a session after its account, a membership
 * after its room), which is the order an import inserts them in.
 * Sessions, password resets, two-factor secrets and recovery codes,
 * secrets, invite codes, API tokens, incoming
 * and outgoing webhooks (a room's and a bot's) and push subscriptions are secrets: a file without
 * them can be handed on without letting anyone in (nor anyone post, call out
 * or push in the server's name).
 */
export const TABLES: readonly TableSpec[] = [
  {
    table: "secrets",
    kind: "secret",
    secret: true,
    columns: [text("name"), text("value")],
    key: ["name"],
  },
  {
    table: "accounts",
    kind: "account",
    columns: [
      text("key"),
      text("username", { rule: storedName }),
      text("password_hash", { secret: "" }),
      text("role"),
      int("created_at"),
      text("skeleton", { nullable: true }),
      bool("bot", { missing: false }),
      // Until when it is not disturbed (set_do_not_disturb); absent from
      // files exported before it was kept, and for none.
      int("do_not_disturb_until", { nullable: true }),
      // Its custom status (set_status); absent from files exported before
      // it was kept, and for none. The text keeps set_status's rule.
      text("status_text", {
        nullable: true,
        rule: statusText,
        label: true,
      }),
      text("status_emoji", { nullable: true, rule: STATUS_EMOJI }),
      int("status_until", { nullable: true }),
      // Its profile card (set_profile); absent from files exported before
      // it was kept, and for none. set_profile's rules; a title is never
      // "", a time zone is once cleared (null: never set).
      text("profile_title", {
        nullable: true,
        rule: PROFILE_TITLE,
        label: true,
      }),
      text("profile_timezone", {
        nullable: true,
        rule: z.literal("").or(timeZone),
      }),
      // Its email address (set_email) and whether it was verified; absent
      // from files exported before they were kept, and for none. The
      // link waiting, if any, is a secret: without them it is left behind
      // (its owner asks for another).
      text("email", { nullable: true, rule: emailAddressKept }),
      // Its mailbox key (protocol/mailbox_key.ts): this server's reading
      // of the address, computed again at import (import.ts) whatever the
      // file says, as the skeleton is; absent from files exported before.
      text("email_key", { nullable: true }),
      bool("email_verified", { missing: false }),
      text("email_token_hash", { nullable: true, secret: null }),
      int("email_token_expires", { nullable: true, secret: null }),
      // Its missed-message mails setting (set_missed_mail); absent from
      // files exported before it was kept: on, its language never chosen
      // (null: the mails are in --mail-language's). A file exported
      // before a language could be left unchosen says "en" for both, as
      // the store did: read as chosen (export from the upgraded server,
      // whose migration made them null, to carry that). The mails
      // queued are not carried (missed_mails, missed_messages): they live
      // minutes, and an imported server may be another address
      // (--public-url) whose mail of them would come late, or twice.
      bool("missed_mail", { missing: true }),
      text("mail_language", { nullable: true, pattern: /^(en|fr)$/ }),
    ],
    key: ["key"],
  },
  {
    // User groups (create_group): a name in the accounts' namespace
    // (import.ts holds it to its key and to no account's), the
    // description create_group's rule holds, its creator an account's key
    // or none (import.ts: none for no account line). Absent from files
    // exported before they were kept.
    table: "user_groups",
    kind: "group",
    columns: [
      text("key"),
      text("name", { rule: storedName }),
      text("description", { rule: groupDescription, label: true }),
      text("creator_key", { nullable: true, rule: storedKey }),
      int("created_at"),
    ],
    key: ["key"],
  },
  {
    // A group's member: an account line's key, a group line's (import.ts).
    table: "group_members",
    kind: "group_member",
    columns: [text("group_key"), text("user_key")],
    key: ["group_key", "user_key"],
  },
  {
    table: "sessions",
    kind: "session",
    secret: true,
    columns: [text("token_hash"), text("user_key"), int("expires_at")],
    key: ["token_hash"],
  },
  {
    table: "password_resets",
    kind: "password_reset",
    secret: true,
    columns: [text("token_hash"), text("user_key"), int("expires_at")],
    key: ["token_hash"],
  },
  {
    // Two-factor authentication (totp_enable): the secret, in clear as
    // the store keeps it, a setup waiting, the last step used; and the
    // recovery codes' hashes. Secrets, as the password's hash is: an
    // account imported with them keeps its 2FA. Absent from files
    // exported before it was kept.
    table: "totp",
    kind: "totp",
    secret: true,
    columns: [
      text("user_key"),
      // Base32 of at least the 160 bits totp.ts makes: anything else
      // threw at each login of the account (otpauth reads it then), and
      // a short one would be a key anyone could guess.
      text("secret", { nullable: true, pattern: TOTP_SECRET }),
      text("pending_secret", { nullable: true, pattern: TOTP_SECRET }),
      int("last_step"),
    ],
    key: ["user_key"],
  },
  {
    table: "totp_recovery_codes",
    kind: "totp_recovery_code",
    secret: true,
    columns: [text("user_key"), text("code_hash")],
    key: ["user_key", "code_hash"],
  },
  {
    table: "api_tokens",
    kind: "api_token",
    secret: true,
    columns: [
      text("id"),
      text("user_key"),
      text("name", { rule: keptLabel, label: true }),
      text("token_hash"),
      int("created_at"),
    ],
    key: ["id"],
  },
  {
    table: "rooms",
    kind: "room",
    columns: [
      text("key"),
      text("name", { rule: storedName }),
      int("created_at"),
      bool("private"),
      // Absent from files exported before rooms could be archived.
      bool("archived", { missing: false }),
      // Absent from files exported before set_room_posting.
      text("posting", {
        missing: "everyone",
        pattern: /^(everyone|moderators)$/,
      }),
      text("owner", { nullable: true }),
      int("retention_days", { nullable: true }),
      text("topic", {
        nullable: true,
        max: MAX_TOPIC_LENGTH,
        rule: storedTopic,
        label: true,
      }),
    ],
    key: ["key"],
    order: { sqlite: "rowid", postgres: "position" },
  },
  {
    table: "hooks",
    kind: "incoming_hook",
    secret: true,
    columns: [
      text("id"),
      text("room_key"),
      text("name", { rule: keptLabel, label: true }),
      text("secret_hash"),
      text("created_by", { rule: storedName }),
      int("created_at"),
    ],
    key: ["id"],
  },
  {
    table: "streams",
    kind: "stream",
    columns: [text("key"), int("last_seq", { max: MAX_SEQ })],
    key: ["key"],
  },
  {
    table: "memberships",
    kind: "membership",
    columns: [
      text("user_key"),
      text("room_key"),
      int("joined_at"),
      // Who added the member with `invite` (ignoring leaves those rooms);
      // absent from files exported before it was kept.
      text("invited_by", { nullable: true }),
    ],
    key: ["user_key", "room_key"],
  },
  {
    table: "ignores",
    kind: "ignore",
    columns: [
      text("user_key"),
      text("ignored_key"),
      text("ignored_name", { rule: storedName }),
      int("at"),
    ],
    key: ["user_key", "ignored_key"],
  },
  {
    table: "notification_levels",
    kind: "notify_level",
    columns: [
      text("user_key"),
      text("stream"),
      text("with_name", { nullable: true }),
      text("level", { pattern: /^(all|none)$/ }),
      int("updated_at"),
    ],
    key: ["user_key", "stream"],
  },
  {
    // An account's starred rooms and conversations (star).
    table: "stars",
    kind: "star",
    columns: [
      text("user_key"),
      text("stream"),
      text("with_name", { nullable: true }),
      int("created_at"),
    ],
    key: ["user_key", "stream"],
  },
  {
    // An account's sidebar sections (set_sections), and their items.
    table: "sidebar_sections",
    kind: "sidebar_section",
    columns: [
      text("user_key"),
      int("position"),
      text("name", { rule: sectionName, label: true }),
      bool("collapsed"),
    ],
    key: ["user_key", "position"],
  },
  {
    table: "sidebar_items",
    kind: "sidebar_item",
    columns: [
      text("user_key"),
      text("stream"),
      text("with_name", { nullable: true }),
      text("with_key", { nullable: true }),
      int("section"),
      int("position"),
    ],
    key: ["user_key", "stream"],
  },
  {
    table: "read_positions",
    kind: "read_position",
    columns: [
      text("user_key"),
      text("stream"),
      int("last_read_seq", { max: MAX_SEQ }),
    ],
    key: ["user_key", "stream"],
  },
  {
    // An account's unsent text (set_draft): its data, as its messages
    // are, so it moves with it; not a secret, as those are not.
    table: "drafts",
    kind: "draft",
    columns: [
      text("user_key"),
      text("stream"),
      text("with_name", { nullable: true }),
      // As set_draft bounds it.
      text("text", { max: MAX_MESSAGE_LENGTH }),
      int("updated_at"),
    ],
    key: ["user_key", "stream"],
  },
  {
    // The messages an account saved (save_message): its data, as its
    // drafts are; only ids, so a saved message of a room not exported is
    // kept and left out of list_saved, as one unreadable is.
    table: "saved_messages",
    kind: "saved_message",
    columns: [
      text("user_key"),
      text("message_id"),
      int("saved_at"),
      // When the account is to be reminded of it (save_message's
      // remind_at); absent from files exported before it was kept, and
      // for none. One due while the server was down fires at its start.
      int("remind_at", { nullable: true }),
    ],
    key: ["user_key", "message_id"],
  },
  {
    // The messages an account scheduled (schedule_message): its data, as
    // its drafts are; one due while no server ran goes at the next start.
    // A room not exported leaves its rows to fail at their time, as a
    // room deleted would (room_not_found).
    table: "scheduled_messages",
    kind: "scheduled_message",
    columns: [
      text("id"),
      text("user_key"),
      text("room", { nullable: true }),
      text("room_key", { nullable: true }),
      text("to_name", { nullable: true }),
      // As a send bounds it.
      text("text", { max: MAX_MESSAGE_LENGTH }),
      {
        name: "attachments",
        type: "json",
        nullable: true,
        shape: SCHEDULED_ATTACHMENTS,
      },
      text("reply_to", { nullable: true }),
      int("send_at"),
      int("created_at"),
    ],
    key: ["id"],
  },
  {
    // The threads an account takes part in (list_threads): its data, as
    // its saved messages are; a root of a room not exported is forgotten
    // by the first list that meets it. An export of before has none: the
    // list fills again with the next replies.
    table: "thread_follows",
    kind: "thread_follow",
    columns: [
      text("user_key"),
      text("root_id"),
      int("last_at"),
      int("last_read_seq", { max: MAX_SEQ }),
    ],
    key: ["user_key", "root_id"],
  },
  {
    table: "invites",
    kind: "invite",
    secret: true,
    columns: [
      text("code"),
      text("room_key"),
      text("created_by", { rule: storedName }),
      int("created_at"),
      int("expires_at", { nullable: true }),
      int("max_uses", { nullable: true }),
      int("uses"),
      bool("revoked"),
    ],
    key: ["code"],
  },
  {
    table: "bans",
    kind: "ban",
    columns: [
      text("user_key"),
      text("address"),
      text("room_key"),
      text("reason", { rule: banReason, label: true }),
      text("by_user", { rule: storedName }),
      int("created_at"),
      int("expires_at", { nullable: true }),
    ],
    key: ["user_key", "address", "room_key"],
  },
  {
    table: "uploads",
    kind: "file",
    columns: [
      text("id"),
      // A file's name in the files folder: anything but a SHA-256 in hex
      // was a path there ("../../etc/passwd", served and deleted).
      text("hash", { pattern: /^[0-9a-f]{64}$/ }),
      text("name", { rule: storedFileName }),
      text("type"),
      int("size"),
      // An account's key (routes/files.ts): its quota counts the file.
      text("uploader", { rule: storedKey }),
      int("width", { nullable: true }),
      int("height", { nullable: true }),
      int("frames", { nullable: true }),
      int("created_at"),
    ],
    key: ["id"],
  },
  {
    // Profile pictures, carried with their accounts: each names an upload
    // above (an export leaves out both when the bytes are missing).
    table: "avatars",
    kind: "avatar",
    columns: [text("user_key", { rule: storedKey }), text("upload_id")],
    key: ["user_key"],
  },
  {
    // Custom emoji, each naming an upload above (an export leaves out both
    // when the bytes are missing); an author deleted leaves none.
    table: "custom_emoji",
    kind: "custom_emoji",
    columns: [
      text("name", { pattern: CUSTOM_EMOJI_NAME }),
      text("upload_id"),
      text("author_key", { nullable: true, rule: storedKey }),
      int("created_at"),
    ],
    key: ["name"],
  },
  {
    table: "messages",
    kind: "message",
    columns: [
      text("stream"),
      int("seq", { min: 1, max: MAX_SEQ }),
      text("id"),
      text("user_key"),
      text("user", { postgres: "user_name", rule: author, label: true }),
      text("room", { nullable: true, rule: roomOf }),
      // `deleted user` once its recipient was deleted with its messages
      // anonymised (server/store/*_accounts.ts).
      text("to_user", { nullable: true, rule: shownName }),
      // As sends and edits have always bounded it: a longer one made every
      // history page that held it that much longer.
      text("text", { max: MAX_MESSAGE_LENGTH }),
      int("ts"),
      text("client_id", { nullable: true }),
      text("sender"),
      text("pending_to", { nullable: true }),
      { name: "attachments", type: "json", nullable: true, shape: ATTACHMENTS },
      int("edited_at", { nullable: true }),
      bool("deleted"),
      text("reply_to", { nullable: true }),
      // The summary of the reactions lines, as reads serve it: held to its
      // shape here, then summed up again from the lines once they are all
      // in (TableWriter.sumReactions), whatever it said.
      { name: "reactions", type: "json", nullable: true, shape: REACTIONS },
      int("pinned_at", { nullable: true }),
      // Absent from files exported before link previews: none.
      { name: "previews", type: "json", nullable: true, shape: PREVIEWS },
      // Absent from files exported before polls: none.
      { name: "poll", type: "json", nullable: true, shape: POLL },
      // Absent from files exported before forwards: none.
      { name: "forwarded", type: "json", nullable: true, shape: FORWARDED },
      // Kept, so that a client's copy from before a move never reads as
      // later than the moved message's next change.
      int("version", { missing: 0 }),
      // Kept for the same reason: a thread's version counts the replies
      // that left it (handlers/threads.ts), and a root imported without
      // them read as older than a client's copy, whose count then stayed.
      int("replies_gone", { missing: 0 }),
    ],
    key: ["stream", "seq"],
  },
  {
    table: "reactions",
    kind: "reaction",
    columns: [
      text("message_id"),
      text("emoji", { rule: storedEmoji }),
      text("user_key"),
      text("user", { postgres: "user_name", rule: shownName }),
    ],
    key: ["message_id", "emoji", "user_key"],
    // The order they came in, which orders a message's `users`.
    order: { sqlite: "rowid", postgres: "ord" },
  },
  {
    // The texts a message's edits replaced (message_edits), each with when
    // it was written, after its message.
    table: "message_edits",
    kind: "message_edit",
    columns: [
      text("message_id"),
      text("text", { max: MAX_MESSAGE_LENGTH }),
      int("ts"),
    ],
    key: ["message_id", "ts"],
    // The order they came in, oldest first: the history's order.
    order: { sqlite: "rowid", postgres: "ord" },
  },
  {
    table: "file_refs",
    kind: "file_ref",
    columns: [text("upload_id"), text("message_id"), text("stream")],
    key: ["upload_id", "message_id"],
  },
  {
    table: "mentions",
    kind: "mention",
    columns: [
      text("user_key"),
      text("stream"),
      int("seq", { max: MAX_SEQ }),
    ],
    key: ["user_key", "stream", "seq"],
  },
  {
    // Secret as a whole: the secret signs deliveries, and a hook's URL
    // often holds a token of its own (a chat service's incoming hook).
    table: "webhooks",
    kind: "webhook",
    secret: true,
    columns: outgoingHookColumns("room_key"),
    key: ["id"],
  },
  {
    // Secret as a whole, as a room's outgoing webhooks.
    table: "private_webhooks",
    kind: "private_webhook",
    secret: true,
    columns: outgoingHookColumns("user_key"),
    key: ["id"],
  },
  {
    // Secret as a whole: the endpoint lets anyone push to that browser,
    // the keys encrypt what it reads.
    table: "push_subscriptions",
    kind: "push_subscription",
    secret: true,
    columns: [
      text("endpoint"),
      text("user_key"),
      text("p256dh"),
      text("auth"),
      int("created_at"),
      text("session", { nullable: true }),
      text("api_token", { nullable: true }),
    ],
    key: ["endpoint"],
  },
  {
    // Last: it names users and rooms in plain text and refers to nothing,
    // so it outlives what it describes.
    table: "audit_log",
    kind: "audit",
    columns: [
      int("id"),
      int("at"),
      text("by_user", { rule: actor }),
      text("action"),
      text("target", { nullable: true, rule: auditTarget }),
      text("room", { nullable: true }),
      text("reason", { nullable: true, rule: auditReason, label: true }),
      text("address"),
      { name: "details", type: "json", nullable: true },
    ],
    key: ["id"],
    identity: "id",
  },
];

/** A JSON column's value: attachments are a list, audit details an object. */
export type JsonValue = unknown[] | { [key: string]: unknown };

/** A row as a line holds it (without `kind`). */
export type Row = Record<string, string | number | boolean | null | JsonValue>;

/** The kind of a row's line: private messages are told apart by stream. */
export function kindOf(spec: TableSpec, row: Row): string {
  if (spec.table === "messages" && String(row.stream).startsWith("@")) {
    return "private_message";
  }
  return spec.kind;
}

/** The first line. */
export const headerLine = z.object({
  kind: z.literal("header"),
  format: z.literal(FORMAT),
  version: z.number().int().min(1),
  server_version: z.string(),
  exported_at: z.number().int(),
  secrets: z.boolean(),
  files: z.boolean(),
}).strict();

/** The first line of an export. */
export type Header = z.infer<typeof headerLine>;

/** The last line: how many lines of each kind came before it. */
export const endLine = z.object({
  kind: z.literal("end"),
  counts: z.record(z.string(), z.number().int().min(0)),
}).strict();

// A line is checked as strictly as the doors it would have come through:
// no text with a NUL or a lone surrogate (see `noNul`: PostgreSQL cannot
// hold the one, the other comes back changed), no negative seq, count or
// time (a message at seq -5 sorted before every other and was never read
// by a resume).
function columnSchema(column: ColumnSpec): z.ZodType {
  const most = column.max;
  const pattern = column.pattern;
  const base = column.type === "text"
    ? noNul(Number.MAX_SAFE_INTEGER).refine(
      (s) => most === undefined || s.length <= most || [...s].length <= most,
      `at most ${most} characters`,
    ).refine(
      (s) => pattern === undefined || pattern.test(s),
      `does not match ${pattern}`,
    )
    : column.type === "int"
    ? z.number().int().min(column.min ?? 0).max(most ?? MAX_INT)
    : column.type === "bool"
    ? z.boolean()
    : column.shape ??
      z.union([z.array(z.unknown()), z.record(z.string(), z.unknown())]);
  return column.nullable
    ? base.nullable().optional()
    : column.missing !== undefined
    ? base.optional()
    : base;
}

function rowSchema(spec: TableSpec, kind: string, withSecrets: boolean) {
  const shape: Record<string, z.ZodType> = { kind: z.literal(kind) };
  const ruled: { name: string; rule: NonNullable<ColumnSpec["rule"]> }[] = [];
  for (const column of spec.columns) {
    if (column.secret !== undefined && !withSecrets) continue;
    shape[column.name] = columnSchema(column);
    if (column.rule) ruled.push({ name: column.name, rule: column.rule });
  }
  // The rules on the whole line, as one may depend on another field; after
  // the columns' own checks, whose issue comes first (zod runs this even
  // when one failed: a value that is no text is left to that issue).
  return z.object(shape).strict().superRefine((line, context) => {
    for (const column of ruled) {
      const value = line[column.name];
      if (typeof value !== "string") continue;
      const rule = typeof column.rule === "function"
        ? column.rule(line as Row)
        : column.rule;
      const checked = rule.safeParse(value);
      const message = !checked.success
        ? checked.error.issues[0].message
        : checked.data !== value
        ? "not as the server keeps it (trimmed, NFC)"
        : undefined;
      if (message !== undefined) {
        context.addIssue({ code: "custom", message, path: [column.name] });
      }
    }
  });
}

/**
 * Takes out of a line's label fields (`label`) the direction marks and
 * invisible spaces an older server let in, in place, when what is left
 * (trimmed, as the doors trim) keeps the field's rule; a field whose rest
 * breaks it (nothing left, a line break) is left for the line's check to
 * refuse. The fields changed, by name. One test of a short pattern a
 * label field; a line without such characters is not copied.
 */
export function cleanLabels(
  spec: TableSpec,
  line: Record<string, unknown>,
): string[] {
  const changed: string[] = [];
  for (const column of spec.columns) {
    if (!column.label || !column.rule) continue;
    const value = line[column.name];
    if (typeof value !== "string" || !DISGUISING.test(value)) continue;
    const rule = typeof column.rule === "function"
      ? column.rule(line as Row)
      : column.rule;
    const rest = value.replace(EVERY_DISGUISING, "");
    for (const candidate of [rest, rest.trim()]) {
      const checked = rule.safeParse(candidate);
      if (!checked.success) continue;
      line[column.name] = checked.data;
      changed.push(column.name);
      break;
    }
  }
  return changed;
}

/** Where each kind of line goes, and how it is checked. */
export interface LineKind {
  spec: TableSpec;
  schema: z.ZodType<Row>;
}

/** The kinds of row lines a file with or without secrets may hold. */
export function lineKinds(withSecrets: boolean): Map<string, LineKind> {
  const kinds = new Map<string, LineKind>();
  for (const spec of TABLES) {
    if (spec.secret && !withSecrets) continue;
    const names = spec.table === "messages"
      ? [spec.kind, "private_message"]
      : [spec.kind];
    for (const kind of names) {
      kinds.set(kind, {
        spec,
        schema: rowSchema(spec, kind, withSecrets) as z.ZodType<Row>,
      });
    }
  }
  return kinds;
}

/**
 * A row as a store returned it, as a line holds it: SQLite's 0/1 and
 * JSON text, PostgreSQL's booleans and parsed JSON, both the same.
 */
export function rowFrom(spec: TableSpec, raw: Record<string, unknown>): Row {
  const row: Row = {};
  for (const column of spec.columns) {
    const value = raw[column.name];
    if (value === null || value === undefined) {
      row[column.name] = null;
    } else if (column.type === "int") {
      row[column.name] = Number(value);
    } else if (column.type === "bool") {
      row[column.name] = value === true || value === 1;
    } else if (column.type === "json") {
      row[column.name] = sortedKeys(
        typeof value === "string" ? JSON.parse(value) : value,
      ) as JsonValue;
    } else {
      row[column.name] = String(value);
    }
  }
  return row;
}

// JSON with every object's keys in one order: PostgreSQL's jsonb keeps
// keys in an order of its own (shortest first), SQLite's text as written,
// and both stores must write the same line.
function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.keys(value).sort().map((key) => [
      key,
      sortedKeys((value as Record<string, unknown>)[key]),
    ]),
  );
}
