import { CUSTOM_EMOJI_NAME } from "./emoji.ts";
import { z } from "zod";
import {
  CONVERSATIONS_MAX_LIMIT,
  MAX_GROUP_DESCRIPTION,
  MAX_GROUP_MEMBERS,
  MAX_POLL_CHOICE_IDS,
  MENTIONS_MAX_LIMIT,
  REPLIES_MAX_LIMIT,
  SAVED_MAX_LIMIT,
  THREADS_MAX_LIMIT,
} from "./limits.ts";
import { DISGUISING } from "./disguises.ts";
import { MARKS_RULE, PILED_MARKS } from "./piled_marks.ts";
import { labelRules, sectionName, statusText } from "./labels.ts";
import { nameKey } from "./names.ts";
import { hasCalendar, profileTitle, timeZone } from "./profiles.ts";

/**
 * Shapes of every request's `data`. They check types and sizes only; the
 * rules with their own error codes (name alphabet, empty or long text) are
 * checked by the handlers so the client gets the precise code. Unknown
 * fields are ignored, so newer clients can talk to older servers.
 */

/**
 * A string something is looked up by (a name, a message id, an invite
 * code, a search cursor): no name, id or code holds NUL, and PostgreSQL's
 * text type refuses it outright, so such a lookup was `internal` there
 * (and not found on SQLite). Now `invalid_message` on both.
 */
export const lookup = (min: number, max: number) =>
  z.string().min(min).max(max)
    .refine((s) => !s.includes("\0"), "NUL is not allowed");
// Generous type bounds: the handlers apply the real rules with their codes.
const name = lookup(0, 4096);
/**
 * A name being chosen (a guest's, an account's being registered, a room's
 * being made): its handler checks it against the naming rules before any
 * look-up, so NUL, like every control character, gets that rule's code
 * (`username_invalid`, `room_name_invalid`), as the docs promise.
 */
const newName = z.string().max(4096);
/**
 * Text that becomes part of a message (or is stored as said): NUL has no
 * place in chat text, and PostgreSQL's text type cannot hold it (SQLite
 * cuts the text there); a lone surrogate is not text at all and would come
 * back changed (as U+FFFD).
 */
export const noNul = (max: number) =>
  z.string().max(max)
    .refine((s) => !s.includes("\0"), "NUL is not allowed")
    .refine((s) => s.isWellFormed(), "not well-formed Unicode");
/** A message's place in its stream (exported for the REST `read` body). */
export const seq = z.number().int().min(0);
/**
 * A whole number from `min` to `max`. The range is checked before the
 * kind: zod reports the first check that fails, and `int()` bounds a
 * number by JavaScript's largest safe integer, so 1e308 would be told
 * "expected int to be <=9007199254740991" rather than its field's maximum.
 */
const intIn = (min: number, max: number) => z.number().min(min).max(max).int();
const messageId = lookup(1, 64);

/**
 * `login` data of a guest; `guest_key` is the secret of an earlier login
 * under this name, to be recognised as the same guest (at least 128 bits).
 */
export const guestLoginData = z.object({
  username: newName,
  guest_key: z.string().regex(
    /^[A-Za-z0-9_-]{22,128}$/,
    "22 to 128 letters, digits, '_' or '-'",
  ).optional(),
});

/** `login` data of an account. */
export const passwordLoginData = z.object({
  username: name,
  password: z.string().max(8192),
  /** The second factor of an account with 2FA: a code or a recovery code. */
  totp: z.string().max(64).optional(),
});

/** `login` data resuming a session. */
export const tokenLoginData = z.object({ token: z.string().min(1).max(256) });

/**
 * What `login` and `register` may ask for, whichever way they prove who
 * the user is: `room_changes` asks for `room_changes` events after the
 * first `room_list` instead of whole lists; `room_list_in_reply` takes the
 * reply's `rooms` as that first list, so that no whole list follows it.
 */
export const loginOptionsData = z.object({
  room_changes: z.boolean().optional(),
  room_list_in_reply: z.boolean().optional(),
});

/** `register` data. */
export const registerData = z.object({
  username: newName,
  password: z.string().max(8192),
});

/** `change_password` data (and the body of `POST /api/password`). */
export const changePasswordData = z.object({
  old_password: z.string().max(8192),
  new_password: z.string().max(8192),
});

/** `create_room` and `join_room` data. */
export const roomData = z.object({ room: name });

/** `set_room_posting` data: who may post in the room. */
export const roomPostingData = z.object({
  room: name,
  posting: z.enum(["everyone", "moderators"]),
});

/** `create_room` data: `private` makes an invite-only room. */
export const createRoomData = z.object({
  room: newName,
  private: z.boolean().optional(),
});

/** `join_room` data: an invite code opens a private room. */
export const joinRoomData = z.object({
  room: name,
  invite: lookup(1, 64).optional(),
});

/** `leave_room` data: a room, or the current one. */
export const leaveRoomData = z.object({ room: name.optional() });

/** `mark_read` data: a room or a private conversation, and a seq. */
export const markReadData = z.object({
  room: name.optional(),
  with: name.optional(),
  seq,
}).refine(
  (d) => (d.room === undefined) !== (d.with === undefined),
  "give one of 'room' or 'with'",
);

/**
 * `mark_unread` data: a room or a private conversation, and the seq of the
 * first message to be unread again.
 */
export const markUnreadData = markReadData;

/**
 * `set_draft` data: a room or a private conversation, and the unsent text
 * (empty: none). The handler caps the text at a message's length.
 */
export const setDraftData = z.object({
  room: name.optional(),
  with: name.optional(),
  text: noNul(1_000_000),
}).refine(
  (d) => (d.room === undefined) !== (d.with === undefined),
  "give one of 'room' or 'with'",
);

/**
 * `set_notify_level` data: a room or a private conversation, and how much
 * it may claim the account's attention.
 */
export const setNotifyLevelData = z.object({
  room: name.optional(),
  with: name.optional(),
  level: z.enum(["all", "mentions", "none"]),
}).refine(
  (d) => (d.room === undefined) !== (d.with === undefined),
  "give one of 'room' or 'with'",
);

/** `star` and `unstar` data: a room or a private conversation. */
export const starData = z.object({
  room: name.optional(),
  with: name.optional(),
}).refine(
  (d) => (d.room === undefined) !== (d.with === undefined),
  "give one of 'room' or 'with'",
);

/** The most sections an account's sidebar holds (set_sections). */
export const MAX_SECTIONS = 50;
/** The most rooms and conversations all its sections hold together. */
export const MAX_SECTION_ITEMS = 500;

/**
 * `set_sections` data: the account's whole layout. Bounded (at most
 * {@link MAX_SECTIONS} sections, {@link MAX_SECTION_ITEMS} items in all),
 * names unique ignoring case, each item (`#room` or `@user`, compared as
 * names are) in one place only.
 */
export const setSectionsData = z.object({
  sections: z.array(z.object({
    name: sectionName,
    items: z.array(
      lookup(2, 4096).refine(
        (s) => s[0] === "#" || s[0] === "@",
        "an item is '#room' or '@user'",
      ),
    ).max(MAX_SECTION_ITEMS),
    collapsed: z.boolean().optional(),
  })).max(MAX_SECTIONS, `at most ${MAX_SECTIONS} sections`),
}).superRefine((data, ctx) => {
  const names = new Set<string>();
  const items = new Set<string>();
  for (const section of data.sections) {
    const key = nameKey(section.name);
    if (names.has(key)) {
      ctx.addIssue({
        code: "custom",
        message: `two sections are called '${section.name}'`,
      });
      return;
    }
    names.add(key);
    for (const item of section.items) {
      const itemKey = item[0] + nameKey(item.slice(1));
      if (items.has(itemKey)) {
        ctx.addIssue({
          code: "custom",
          message: `'${item}' is in more than one place`,
        });
        return;
      }
      items.add(itemKey);
    }
  }
  if (items.size > MAX_SECTION_ITEMS) {
    ctx.addIssue({
      code: "custom",
      message: `at most ${MAX_SECTION_ITEMS} rooms and conversations in all`,
    });
  }
});

/**
 * `set_do_not_disturb` data: until when (ms since the epoch) the account
 * is not disturbed, or null to end it. Its range against the clock is the
 * handler's (handlers/do_not_disturb.ts).
 */
export const setDoNotDisturbData = z.object({
  until: z.number().int().nullable(),
});

/**
 * `set_status` data: a text (labels' rules, up to 100 characters) and an
 * optional emoji (a reaction's rule, handlers/status.ts), until when (ms
 * since the epoch, the handler's range against the clock). No text and no
 * emoji clear it.
 */
export const setStatusData = z.object({
  text: statusText.optional(),
  emoji: z.string().max(64).nullable().optional(),
  until: z.number().int().nullable().optional(),
});

/**
 * An email address as set_email kept it until round 21: one line, no spaces, angle
 * brackets, quotes or commas (nothing a mail header could read as a second
 * address or a header of its own), a name, `@` and a domain of labels
 * between dots, none empty, at most 254 characters (RFC 5321's path),
 * trimmed and with its domain in lower case. No invisible or turning
 * character (\p{Cf}): `ann@exa\u200Bmple.org` showed as ann@example.org
 * and was mailed to xn--example-2z6c.org (round 18). No more than that:
 * the link mailed to it is the real test.
 */
export const emailAddressBefore21 = z.string().trim().max(254).regex(
  /^[^\s@<>()",;:\\[\]\p{Cc}\p{Cf}]{1,64}@(?:[^\s@<>()",;:\\[\]\p{Cc}\p{Cf}.]+\.)+[^\s@<>()",;:\\[\]\p{Cc}\p{Cf}.]+$/u,
  "An email address looks like name@example.org.",
).transform((address) => {
  const at = address.lastIndexOf("@");
  return address.slice(0, at + 1) + address.slice(at + 1).toLowerCase();
});

/**
 * An email address as set_email keeps it now: `emailAddressBefore21`
 * (what every server before round 21 kept, and so what an import of
 * their dumps takes), in NFC, whose domain names a host, and that NFKC
 * leaves as it is.
 */
export const emailAddress = emailAddressBefore21.transform((address) =>
  // NFC: what a mail server may take as one mailbox is one spelling (the
  // Kelvin sign is K, a decomposed é the composed one).
  address.normalize("NFC")
).refine(
  (address) => hostNamed(address.slice(address.lastIndexOf("@") + 1)),
  "An email address's domain has labels of at most 63 letters (encoded).",
).refine(
  // Round 21: the mailbox key (mailbox_key.ts) folds these and a mail
  // server does not: `\uFB00@x.org`, mailed as written, is not ff@x.org's
  // mailbox, yet shared its key: its verification mails, sent without
  // being read, spent ff@x.org's mail pace, and that owner's reset mails
  // went silently. Canonical forms are taken, as NFC (above).
  (address) => address.normalize("NFKC") === address,
  "An email address has no compatibility characters (\uFB00, fullwidth letters, the Kelvin sign): write them as plain letters.",
);

/**
 * Whether a domain can name a host: each label at most 63 letters and
 * the whole at most 253 (RFC 1035), as the mail goes (an IDN label as its
 * `xn--` form: 60 `ä` are 66 letters). Round 21: 64 `b`s were mailed as
 * written, and a relay refused them with a bounce to --mail-from. The URL
 * parser's encoding is the browser's and Deno's alike; a domain it
 * refuses (`ex|ample.org`, which the address's rule takes) is measured
 * as written.
 */
function hostNamed(domain: string): boolean {
  let ascii = domain;
  try {
    ascii = new URL(`http://${domain}`).hostname;
  } catch {
    // Not a URL's host: its letters as written are what is mailed.
  }
  return ascii.length <= 253 &&
    ascii.split(".").every((label) => label.length <= 63);
}

/**
 * `set_missed_mail` data: whether missed-message mails go, in which
 * language; either may be left out (kept as it is), not both.
 */
export const setMissedMailData = z.object({
  enabled: z.boolean().optional(),
  language: z.enum(["en", "fr"]).optional(),
}).refine(
  (data) => data.enabled !== undefined || data.language !== undefined,
  "Give 'enabled' (a boolean), 'language' (\"en\" or \"fr\"), or both.",
);

/** `set_email` data: the address, or null to remove it. */
export const setEmailData = z.object({
  address: emailAddress.nullable(),
});

/**
 * `set_profile` data: a title (profiles.ts: a label's rules, up to 80
 * characters) and a time zone (an IANA name), each "" to clear it and
 * left out to keep it.
 */
export const setProfileData = z.object({
  // Held to its rules as it is kept, NFC: NFC lengthens a few letters
  // (U+0958 is U+0915 U+093C), so 80 of them, checked before, were kept
  // as 160, over the limit, and the import refused the server's export.
  title: z.string().transform((s) => s.normalize("NFC")).pipe(profileTitle)
    .optional(),
  timezone: z.literal("").or(timeZone).optional(),
});

/** `get_profile` data: whose card. */
export const getProfileData = z.object({ name });

/** The most accounts one `get_status` asks about: a page of members. */
export const MAX_STATUS_USERS = 100;

/** `get_status` data: the names whose statuses the caller shows. */
export const getStatusData = z.object({
  users: z.array(name).min(1).max(MAX_STATUS_USERS),
});

/**
 * A group's description: trimmed, a label's rules (one line, nothing
 * that disguises), up to {@link MAX_GROUP_DESCRIPTION} code points.
 */
export const groupDescription = labelRules(z.string().trim()).refine(
  (s) => [...s].length <= MAX_GROUP_DESCRIPTION,
  `at most ${MAX_GROUP_DESCRIPTION} characters`,
);

/** Names of accounts, as many as a group may hold. */
const groupNames = z.array(name).max(MAX_GROUP_MEMBERS);

/** `create_group` data: its name is checked as an account's is. */
export const createGroupData = z.object({
  name: newName,
  description: groupDescription.optional(),
  members: groupNames.optional(),
});

/** `update_group` data: what changes, each optional. */
export const updateGroupData = z.object({
  group: name,
  description: groupDescription.optional(),
  add: groupNames.optional(),
  remove: groupNames.optional(),
});

/** `delete_group` data. */
export const deleteGroupData = z.object({ group: name });

/** `remove_emoji` data: a custom emoji's name. */
export const removeEmojiData = z.object({
  name: z.string().regex(CUSTOM_EMOJI_NAME, "1 to 32 of a-z, 0-9, _, + and -"),
});

/** `invite` and `remove_member` data. */
export const roomUserData = z.object({ room: name, user: name });

/** `create_invite` data: limits are optional. */
export const createInviteData = z.object({
  room: name,
  max_uses: intIn(1, 1_000_000).optional(),
  expires_in_s: intIn(1, 365 * 24 * 3600).optional(),
});

/** `revoke_invite` data. */
export const inviteCodeData = z.object({ code: lookup(1, 64) });

/** `leave_room` and `list_rooms` data. */
export const emptyData = z.object({});

/** `list_users` data: a room, or the sender's current room. */
export const listUsersData = z.object({ room: name.optional() });

/** `list_members` data: a room (or the current one), the start of names. */
export const listMembersData = z.object({
  room: name.optional(),
  prefix: noNul(64).optional(),
});

/** Attachments as clients send them: the server reads the rest itself. */
const attachments = z.array(z.object({ url: z.string().max(2048) })).max(10)
  .optional();

/** `send_message` data. Text is limited in size here, in characters later. */
export const sendMessageData = z.object({
  text: noNul(1_000_000),
  client_id: noNul(64).min(1).optional(),
  attachments,
  reply_to: messageId.optional(),
});

/** `around_seq` comes alone: a page around a seq has both its ends. */
export function aroundSeqAlone(
  page: { around_seq?: number; before_seq?: number; after_seq?: number },
): boolean {
  return page.around_seq === undefined ||
    (page.before_seq === undefined && page.after_seq === undefined);
}

/** The refusal of {@link aroundSeqAlone}, naming the field. */
export const AROUND_SEQ_ALONE = {
  message: "around_seq cannot be combined with before_seq or after_seq",
  path: ["around_seq"],
};

/** `history` data. */
export const historyData = z.object({
  room: name.optional(),
  with: name.optional(),
  before_seq: seq.optional(),
  after_seq: seq.optional(),
  around_seq: seq.optional(),
  limit: intIn(1, 200).optional(),
  /** The room's epoch the asker's seqs belong to (room_history.ts). */
  epoch: z.string().max(32).optional(),
}).refine(aroundSeqAlone, AROUND_SEQ_ALONE);

/** `private_message` data. */
export const privateMessageData = z.object({
  to: name,
  text: noNul(1_000_000),
  client_id: noNul(64).min(1).optional(),
  attachments,
  reply_to: messageId.optional(),
});

/** `visibility` data: whether every view of the client is hidden. */
export const visibilityData = z.object({ hidden: z.boolean() });

/** `typing` data: the current room, or a private conversation. */
export const typingData = z.object({ to: name.optional() });

/** `edit_message` data. */
export const editMessageData = z.object({
  id: messageId,
  text: noNul(1_000_000),
});

/** `message_edits` data: the message whose edit history is asked for. */
export const messageEditsData = z.object({ id: messageId });

/** `delete_message` data. */
export const deleteMessageData = z.object({ id: messageId });

/** `remove_link_previews` data. */
export const removeLinkPreviewsData = z.object({ id: messageId });

/** `react` data: `on` defaults to true. */
export const reactData = z.object({
  id: messageId,
  emoji: z.string().max(64),
  on: z.boolean().optional(),
});

/**
 * `create_poll` data: the room (one the account belongs to), the
 * question and its options, checked once trimmed (handlers/polls.ts);
 * the bounds here only keep a request from carrying more than that.
 */
export const createPollData = z.object({
  room: name,
  question: noNul(4096),
  options: z.array(noNul(1024)).max(64),
  multiple: z.boolean().optional(),
});

/** `vote` data: the options chosen, by index; none takes the vote back. */
export const voteData = z.object({
  id: messageId,
  options: z.array(z.number().int().min(0).max(63)).max(64),
});

/** `poll_choices` data: the polls (their messages' ids) asked about. */
export const pollChoicesData = z.object({
  ids: z.array(messageId).max(MAX_POLL_CHOICE_IDS),
});

/** `close_poll` data. */
export const closePollData = z.object({ id: messageId });

/** `pin` data: `on` defaults to true. */
export const pinData = z.object({ id: messageId, on: z.boolean().optional() });

/**
 * `set_topic` data: a room (default: the current one) and its topic, ""
 * for none; the rule (topics.ts) is checked after trimming.
 */
export const setTopicData = z.object({
  room: name.optional(),
  topic: noNul(4096),
});

/** `list_pins` data: a room, a private conversation, or the current room. */
export const listPinsData = z.object({
  room: name.optional(),
  with: name.optional(),
});

/** `save_message` and `unsave_message` data: the message's id. */
export const savedMessageData = z.object({ id: messageId });

/**
 * `save_message` data: the message's id, and maybe when to be reminded of
 * it (ISO 8601 with its offset or Z; null clears it; absent keeps it).
 * Its range against the clock is the handler's (handlers/saved.ts).
 */
export const saveMessageData = savedMessageData.extend({
  remind_at: z.iso.datetime({ offset: true }).nullable().optional(),
});

/**
 * `schedule_message` data: a room's name or a person's (one of the two),
 * what the send will say (send_message's fields but `client_id`, which the
 * scheduled id makes) and when (ISO 8601 with its offset or Z); its range
 * against the clock is the handler's (handlers/scheduled.ts).
 */
export const scheduleMessageData = z.object({
  room: name.optional(),
  to: name.optional(),
  text: noNul(1_000_000),
  attachments,
  reply_to: messageId.optional(),
  send_at: z.iso.datetime({ offset: true }),
}).refine((d) => (d.room === undefined) !== (d.to === undefined), {
  message: "give either 'room' or 'to'",
  path: ["room"],
});

/**
 * `forward_message` data: the message forwarded, where to (a room the
 * account belongs to, or a person), and a text of the forward's own.
 */
export const forwardMessageData = z.object({
  id: messageId,
  room: name.optional(),
  with: name.optional(),
  text: noNul(1_000_000).optional(),
}).refine((d) => (d.room === undefined) !== (d.with === undefined), {
  message: "give either 'room' or 'with'",
  path: ["room"],
});

/** `cancel_scheduled` data: the scheduled message's id. */
export const scheduledIdData = z.object({ id: messageId });

/**
 * `update_scheduled` data: its id, and a new text or time, or both; or
 * `send_now` (its time now, by the server's clock) in place of `send_at`.
 */
export const updateScheduledData = scheduledIdData.extend({
  text: noNul(1_000_000).optional(),
  send_at: z.iso.datetime({ offset: true }).optional(),
  send_now: z.boolean().optional(),
}).refine((d) => !d.send_now || d.send_at === undefined, {
  message: "send_now is a time: no send_at with it",
  path: ["send_now"],
});

/**
 * `list_saved` data: a page of the saved messages, newest saved first,
 * after the saved one with id `before`; or, with `ids`, the ids of all of
 * them (no page: a page's cursor and size would mean nothing there).
 */
export const listSavedData = z.object({
  before: messageId.optional(),
  limit: intIn(1, SAVED_MAX_LIMIT).optional(),
  ids: z.boolean().optional(),
}).refine((d) => !d.ids || (d.before === undefined && d.limit === undefined), {
  message: "ids lists every saved id: no before or limit with it",
  path: ["ids"],
});

/**
 * `list_mentions` data: a page of the messages that mention the account,
 * newest first, before the message with id `before`.
 */
export const listMentionsData = z.object({
  before: messageId.optional(),
  limit: intIn(1, MENTIONS_MAX_LIMIT).optional(),
});

/**
 * `list_threads` data: a page of the threads the account takes part in,
 * newest activity first, after the thread whose root has id `before`.
 */
export const listThreadsData = z.object({
  before: messageId.optional(),
  limit: intIn(1, THREADS_MAX_LIMIT).optional(),
});

/** `mark_thread_read` data: the id of the thread's root. */
export const markThreadReadData = z.object({ id: messageId });

/**
 * `list_replies` data: a message's replies, oldest first, after
 * `after_seq` or before `before_seq` (not both).
 */
export const listRepliesData = z.object({
  id: messageId,
  after_seq: seq.optional(),
  before_seq: seq.optional(),
  limit: intIn(1, REPLIES_MAX_LIMIT).optional(),
}).refine(
  (page) => page.after_seq === undefined || page.before_seq === undefined,
  {
    message: "after_seq cannot be combined with before_seq",
    path: ["after_seq"],
  },
);

/** `list_conversations` data: a page, newest first. */
export const listConversationsData = z.object({
  before: messageId.optional(),
  limit: intIn(1, CONVERSATIONS_MAX_LIMIT).optional(),
});

/** `ignore_user` and `unignore_user` data: the account, by name. */
export const userData = z.object({ user: name });

/** What a search's `has` asks a message to hold. */
export const SEARCH_HAS = ["file", "image", "link", "reaction"] as const;

/**
 * A day, `YYYY-MM-DD`, of the calendar (a search's `after`, `until`), in
 * the search's `zone` (UTC without one).
 */
const searchDay = z.string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, "expected a date as YYYY-MM-DD")
  .refine(
    (day) => {
      const ms = Date.parse(`${day}T00:00:00Z`);
      return !Number.isNaN(ms) && new Date(ms).toISOString().startsWith(day);
    },
    "no such date",
  );

/** `search` data (and `GET /api/search`, its query read as this). */
export const searchData = z.object({
  /** Words; may be empty when a filter (from, has, after, until) is given. */
  query: noNul(8192).optional(),
  room: name.optional(),
  with: name.optional(),
  /** Only what this name's holder wrote (as `with`, since its account). */
  from: lookup(1, 4096).optional(),
  /** Only messages holding each of these. */
  has: z.array(z.enum(SEARCH_HAS)).max(SEARCH_HAS.length).optional(),
  /** Only messages stored on or after this day (in `zone`). */
  after: searchDay.optional(),
  /** Only messages stored on or before this day (in `zone`). */
  until: searchDay.optional(),
  /**
   * The IANA time zone whose midnights bound `after`'s and `until`'s days
   * (the reader's); UTC when absent, as before it was asked.
   */
  zone: timeZone.refine(
    hasCalendar,
    "a time zone with days (not Factory, nor SystemV's)",
  ).optional(),
  before: messageId.optional(),
  limit: intIn(1, 50).optional(),
});

/**
 * A moderator's or an admin's reason (`kick`, `ban`, `reset_password`,
 * `delete_account`, `update_room`; the reset-password command's
 * `--reason`), shown to its target, on a notice line in the room, on the
 * admin page's bans and audit log and in the audit export. One line: a
 * line break drew a reason over two rows of the admin page's tables and
 * made an exported audit entry read as two, so control characters are
 * refused, as in topics and labels. Labels' rule on marks applies
 * (piled_marks.ts), as a letter under 249 combining marks was drawn in a
 * column far over the rows around the notice. Four are more than any
 * language's letter needs. Nor the characters labels refuse
 * (disguises.ts): a U+202E makes a reason show other words than it holds
 * ("\u202Emaps" reads "spam"), and invisible spaces make one look like
 * another. Costs one scan of at most 500 characters per moderator action.
 * Imports hold a dump's ban and audit reasons to `keptReason`.
 */
export const reasonText = noNul(500)
  .refine((s) => !/\p{Cc}/u.test(s), "one line, without control characters")
  .refine((s) => !PILED_MARKS.test(s), MARKS_RULE)
  .refine(
    (s) => !DISGUISING.test(s),
    "no direction marks or invisible spaces",
  );
/**
 * A reason as the store may keep it (a dump's ban or audit entry): what
 * the doors took before each of `reasonText`'s rules, at most 500
 * characters (UTF-16 units, as zod counts) without NUL or a lone
 * surrogate. The marks rule (12-05) and one line (12-06) came after
 * reasons had been stored for days under neither; the server keeps such
 * reasons and shows them as text, so an import keeps them too, as labels'
 * marks (`keptLabel`): the dump of a server older than the rules imports
 * as it was. Direction marks and invisible spaces are refused, as
 * `keptLabel` refuses them, though reasons took them until 12-06: such a
 * reason turns the words around it (a ban's "spam" read backwards in the
 * admin page's list), and an import is where a crafted one would come
 * in: an import takes them out and says so (transfer/format.ts
 * `cleanLabels`). What no door took (over 500, a NUL) is refused.
 */
export const keptReason = noNul(500).refine(
  (s) => !DISGUISING.test(s),
  "no direction marks or invisible spaces",
);
const reason = reasonText.optional();

/** `kick` data. */
export const kickData = z.object({ user: name, reason });

/** `ban` data: server-wide, or from one room; for a while, or for good. */
export const banData = z.object({
  user: name,
  room: name.optional(),
  reason,
  duration_s: intIn(1, 10 * 365 * 24 * 3600).optional(),
});

/** `unban` data. */
export const unbanData = z.object({ user: name, room: name.optional() });

/** `set_role` data. */
export const setRoleData = z.object({
  user: name,
  role: z.enum(["admin", "moderator", "user"]),
});

const pageLimit = intIn(1, 200).optional();

/** `audit_log` data: a page of entries older than `before`. */
export const auditLogData = z.object({
  before: z.number().int().min(1).optional(),
  limit: pageLimit,
});

/** `list_accounts` data: names containing `query`; with `staff`, moderators and admins only. */
export const listAccountsData = z.object({
  query: lookup(0, 64).optional(),
  staff: z.boolean().optional(),
  limit: pageLimit,
});

/**
 * `find_people` data: the start of a name; the handler checks its length
 * and folds it as names are compared.
 */
export const findPeopleData = z.object({
  query: lookup(0, 4096),
  limit: intIn(1, 20).optional(),
});

/** `list_bans` data. */
export const listBansData = z.object({ limit: pageLimit });

/** `reset_password` data. */
export const resetPasswordData = z.object({ user: name, reason });

/** A 2FA code as sent: 6 digits, or a recovery code (`xxxxx-xxxxx`). */
const totpCode = z.string().min(1).max(64);

/** `totp_setup` data: the account's password. */
export const totpSetupData = z.object({ password: z.string().max(8192) });

/** `totp_enable` data: a code of the secret totp_setup gave. */
export const totpEnableData = z.object({ code: totpCode });

/** `totp_disable` and `totp_recovery_codes` data: password and a code. */
export const totpProofData = z.object({
  password: z.string().max(8192),
  code: totpCode,
});

/** `reset_totp` data: whose 2FA an admin turns off. */
export const resetTotpData = z.object({ user: name, reason });

/** `delete_account` data: its messages stay under its name, or anonymised. */
export const deleteAccountData = z.object({
  user: name,
  messages: z.enum(["keep", "anonymise"]),
  reason,
});

/** `update_room` data: absent fields stay; `owner: null` clears it. */
export const updateRoomData = z.object({
  room: name,
  /** A new name (`create_room`'s rules); the room keeps all it holds. */
  name: name.optional(),
  private: z.boolean().optional(),
  owner: name.nullable().optional(),
  /** Its own retention in days, 0 for forever; null: the server's. */
  retention_days: intIn(0, 36500).nullable().optional(),
  /** Archived or brought back (`archive_room`'s change), on its own. */
  archived: z.boolean().optional(),
  /** Who posts (`set_room_posting`'s change), on its own. */
  posting: z.enum(["everyone", "moderators"]).optional(),
  reason,
});

/** `POST /api/reset-password` body. */
export const passwordResetBody = z.object({
  token: z.string().min(1).max(256),
  password: z.string().max(8192),
});

/** `POST /api/verify-email` body: the token of the link mailed. */
export const emailTokenBody = z.object({
  token: z.string().min(1).max(256),
});

/**
 * `POST /api/forgot-password` body: an account's name or an email address
 * (one with `@`), and the language of the mail (the page's), English
 * unless `fr`.
 */
export const forgotPasswordBody = z.object({
  // A look-up (a name or an address): NUL refused as by `lookup`; before,
  // the answer was 202 and PostgreSQL refused the look-up after it.
  account: z.string().trim().min(1).max(254)
    .refine((s) => !s.includes("\0"), "NUL is not allowed"),
  lang: z.enum(["en", "fr"]).optional(),
});

/** Turns a zod error into one sentence that names the offending field. */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "Invalid request data.";
  const path = issue.path.length > 0 ? `'${issue.path.join(".")}'` : "data";
  if (issue.code === "invalid_union") {
    return "Invalid request data: expected a username or a token.";
  }
  return `Invalid field ${path}: ${issue.message}.`;
}
