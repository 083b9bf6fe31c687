/**
 * What the store contract's sections share: how a scenario is registered,
 * and drafts and records that read the same in every section.
 */
import type {
  Attachment,
  ChatMessage,
  MessageBase,
  Role,
} from "../../server/protocol/types.ts";
import assert from "node:assert/strict";
import {
  DELETED_OWNER,
  type MessageDraft,
  type PrivateDraft,
  type Store,
  type StoredUpload,
} from "../../server/store/mod.ts";

/**
 * Registers one scenario: `body` gets a fresh store, and `reopen`, which
 * closes it and opens it again on the same data.
 */
export type StoreTest = (
  title: string,
  body: (
    store: Store,
    reopen: () => Promise<Store>,
    holdAppends: HoldAppends,
  ) => Promise<void>,
  /**
   * `ignore`: a spec the stores do not meet yet; `ignoreOn`: one the
   * implementations whose name starts so do not (the test says why).
   */
  options?: { ignore?: boolean; ignoreOn?: string },
) => void;

/**
 * Keeps the store's appends from reaching its storage until the returned
 * release is called, while its other calls go on: what an append queued
 * for its commit meets when something else commits first. A no-op where
 * queued appends wait for the caller's next turn anyway (SQLite: one
 * thread, commits after the turn).
 */
export type HoldAppends = () => Promise<() => Promise<void>>;

export { ISO_MS, range } from "../harness.ts";

/** A room message by Alice. */
export function draft(
  roomKey: string,
  text: string,
  more: Partial<MessageDraft> = {},
): MessageDraft {
  return { roomKey, userKey: "alice", user: "Alice", text, ...more };
}

/** Appends texts one after the other; returns the stored messages. */
export async function append(
  store: Store,
  roomKey: string,
  texts: string[],
): Promise<ChatMessage[]> {
  const messages: ChatMessage[] = [];
  for (const text of texts) {
    messages.push((await store.appendMessage(draft(roomKey, text))).message);
  }
  return messages;
}

/** The seqs of messages, in order. */
export function seqs(messages: MessageBase[]): number[] {
  return messages.map((m) => m.seq);
}

/** A private message from one user to another, delivered unless told. */
export function dm(
  fromKey: string,
  toKey: string,
  text: string,
  more: Partial<PrivateDraft> & { waitingLimits?: undefined } = {},
): PrivateDraft & { waitingLimits?: undefined } {
  return {
    fromKey,
    from: fromKey.toUpperCase(),
    toKey,
    to: toKey.toUpperCase(),
    text,
    delivered: true,
    ...more,
  };
}

/** Waits until the clock has passed `ms` (since the epoch). */
export async function after(ms: number): Promise<void> {
  while (Date.now() <= ms) {
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** An attachment. */
export const PHOTO: Attachment = {
  url: "/files/abc/photo.png",
  name: "photo.png",
  size: 1234,
  type: "image/png",
};

/** An upload record (an image of 10 x 20 pixels, by Alice). */
export const UPLOAD: StoredUpload = {
  id: "0f".repeat(16),
  hash: "ab".repeat(32),
  name: "photo.png",
  size: 1234,
  type: "image/png",
  uploader: "alice",
  width: 10,
  height: 20,
  createdAt: 1_700_000_000_000,
};

/** An account draft named after its key. */
export function account(key: string, role: Role = "user") {
  return {
    key,
    username: key.toUpperCase(),
    passwordHash: `hash-${key}`,
    role,
  };
}

/** What every ban in the contract shares but its target. */
export const BAN = { reason: "spam", by: "root", createdAt: 1_700_000_000_000 };

/**
 * The schema version just before the first migration whose text has
 * `marker`: a database at that version is as the schema before that
 * migration left it. Found by text, so that the migrations added after it
 * are never built into the old database.
 */
export function versionBefore(
  migrations: readonly string[],
  marker: string,
): number {
  const before = migrations.findIndex((m) => m.includes(marker));
  assert.ok(before > 0, `a migration after the first with "${marker}"`);
  return before;
}

/** Text of the migration that sums each uploader's bytes, in both schemas. */
export const QUOTA_MIGRATION = "--upload-quota";

/** Text of the migration that gives deleted accounts' rooms no owner. */
export const OWNERS_MIGRATION = "A deleted account's rooms kept its name key";

/** Text of PostgreSQL's migration that indexes account keys in byte order. */
export const KEY_BYTES_MIGRATION = "The user directory (findPeople)";

/**
 * Text of PostgreSQL's migration that indexes each room's members in byte
 * order (it replaces memberships_room; safe to run again).
 */
export const MEMBER_PAGES_MIGRATION = "A room's member list (list_members)";

/** Text of the migration that gives each message a version. */
export const VERSIONS_MIGRATION = "Each message's version";

/**
 * Uploads as a schema from before the running totals of uploaded bytes
 * held them (Alice's 500 bytes, Bob's 50): each backend's migration test
 * inserts these rows, then opens its store and runs
 * {@link checkUsageBackfilled}.
 */
export const OLD_UPLOADS_SQL = `
  INSERT INTO uploads (id, hash, name, type, size, uploader, created_at)
  VALUES ('u1', 'h', 'a.bin', 'application/octet-stream', 300, 'alice', 1),
         ('u2', 'h', 'b.bin', 'application/octet-stream', 200, 'alice', 1),
         ('u3', 'h', 'c.bin', 'application/octet-stream', 50, 'bob', 1)`;

/** The uploads of {@link OLD_UPLOADS_SQL} count against their quotas. */
export async function checkUsageBackfilled(store: Store): Promise<void> {
  assert.equal(await store.uploadedBytes("alice"), 500);
  assert.equal(await store.uploadedBytes("bob"), 50);
  const upload = { ...UPLOAD, id: "u4", size: 100 };
  assert.equal(await store.saveUpload(upload, { quotaBytes: 599 }), false);
  assert.equal(await store.saveUpload(upload, { quotaBytes: 600 }), true);
}

/**
 * Rooms as a schema from before deletions gave a deleted account's rooms an
 * owner nobody can be: Bob's (his account there, under the key `bob`), two
 * of Dave's (his account deleted, its key kept as their owner) and a
 * guest's (no owner). Each backend's migration test inserts these rows,
 * then opens its store and runs {@link checkOrphanedOwnersCleared}.
 */
export const OLD_OWNERS_SQL = `
  INSERT INTO accounts (key, username, password_hash, role, created_at)
  VALUES ('bob', 'Bob', 'hash-bob', 'user', 1);
  INSERT INTO streams (key) VALUES ('kitchen'), ('lobby'), ('den'), ('porch');
  INSERT INTO rooms (key, name, created_at, owner)
  VALUES ('kitchen', 'kitchen', 1, 'bob'),
         ('lobby', 'lobby', 2, 'dave'),
         ('den', 'den', 3, 'dave'),
         ('porch', 'porch', 4, NULL)`;

/**
 * Dave's rooms of {@link OLD_OWNERS_SQL} belong to nobody, even once Dave
 * registers again; Bob's and the guest's are as they were.
 */
export async function checkOrphanedOwnersCleared(store: Store): Promise<void> {
  assert.ok(await store.createAccount(account("dave")));
  const owners = (await store.listRooms())
    .filter((room) => room.key !== "general")
    .map((room) => [room.key, room.owner]);
  assert.deepEqual(owners, [
    ["kitchen", "bob"],
    ["lobby", DELETED_OWNER],
    ["den", DELETED_OWNER],
    ["porch", undefined],
  ]);
}

/**
 * Messages as a schema from before versions: one edited (its text changed
 * twice, say), one not. Each backend's migration test inserts these rows
 * (`userColumn`: the author's column, `user` in SQLite, `user_name` in
 * PostgreSQL), then opens its store and runs {@link checkVersionsFromZero}.
 */
export function oldMessagesSql(userColumn: "user" | "user_name"): string {
  return `
  INSERT INTO streams (key, last_seq) VALUES ('lobby', 2);
  INSERT INTO rooms (key, name, created_at) VALUES ('lobby', 'lobby', 1);
  INSERT INTO messages (stream, seq, id, user_key, ${userColumn}, room, text,
    ts, edited_at)
  VALUES ('lobby', 1, 'm1', 'alice', 'Alice', 'lobby', 'third words', 1000, 2000),
         ('lobby', 2, 'm2', 'alice', 'Alice', 'lobby', 'plain', 3000, NULL)`;
}

/** Text of the migration that journals file deletions. */
export const FILE_DELETIONS_MIGRATION = "The journal of file deletions";

/**
 * Text of the migration that gives PostgreSQL's file contents the time
 * they were written (SQLite keeps no file contents).
 */
export const FILE_TIMES_MIGRATION =
  "When the bytes of a file were last written";

/**
 * Text of the migration that marks the uploads whose dimensions are read
 * again (GIFs, JPEGs, large PNGs), clearing them meanwhile.
 */
export const UPLOAD_REREADS_MIGRATION =
  "Uploads whose recorded dimensions the readers of before got wrong";

/** Text of the migration that keeps the bots' private-message webhooks. */
export const PRIVATE_WEBHOOKS_MIGRATION =
  "Outgoing webhooks of an account's private messages";

/**
 * Text of the migration that gives accounts that never logged in their row
 * in general (inserts only: it runs again as it is).
 */
export const GENERAL_ROWS_MIGRATION = "Accounts that never logged in";
/**
 * Text of the migration that deletes the drafts of rooms their account
 * left (deletes only, and functions made or replaced: it runs again as it
 * is).
 */
export const LEFT_DRAFTS_MIGRATION = "Drafts of rooms their account left";
/**
 * Text of the migration that deletes the drafts and notification levels of
 * rooms no longer there (a rename's old key, a deleted room's levels), and
 * replaces PostgreSQL's chat_rename_room to move them (deletes only, and a
 * function replaced: it runs again as it is).
 */
export const GONE_ROOMS_PLACES_MIGRATION =
  "Drafts and notification levels of rooms no longer there";

/** Text of the migration that keeps each account's drafts. */
export const DRAFTS_MIGRATION =
  "Each account's unsent text per room or conversation";
/** Text of the migration that keeps each account's notification levels. */
export const NOTIFY_LEVELS_MIGRATION =
  "Each account's notification level per room or conversation";

/**
 * Text of the migration that keeps each account's "do not disturb" and
 * indexes the rooms' `all` levels.
 */
export const DO_NOT_DISTURB_MIGRATION = "Do not disturb (set_do_not_disturb)";

/** Text of the migration that keeps each account's saved messages. */
export const SAVED_MESSAGES_MIGRATION = "Saved messages (save_message)";

/** Text of the migration that indexes notification levels and drafts by room. */
export const PLACES_BY_ROOM_MIGRATION =
  "Notification levels and drafts by room (stream)";

/**
 * Text of the migration that indexes replies by (reply_to, seq) for
 * threads, in place of (reply_to).
 */
export const THREADS_MIGRATION =
  "A message's thread (list_replies, reply_count)";

/**
 * Text of the migration that counts the replies that left each message's
 * thread (its `thread_version`), in both schemas.
 */
export const REPLIES_GONE_MIGRATION =
  "How many replies left a message's thread";

/**
 * Text of SQLite's migration that indexes a room's messages once, by
 * (stream, seq, user_key, deleted), in place of messages_stream_seq and
 * messages_unread, with a trigger that keeps each seq once a stream.
 */
export const ONE_MESSAGE_INDEX_MIGRATION =
  "One index of a room's messages instead of two";

/** Text of the migration that keeps each account's custom status. */
export const STATUS_MIGRATION = "A custom status (set_status)";

/** Text of the migration that keeps user groups. */
export const GROUPS_MIGRATION = "User groups (create_group)";

/** Text of the migration that keeps profile pictures. */
export const AVATARS_MIGRATION = "Profile pictures (PUT /api/me/avatar)";

/** Text of the migration that keeps each group's skeleton. */
export const GROUP_SKELETONS_MIGRATION =
  "Confusable skeletons (UTS #39) of group names";

/** Text of the migration that gave each mention row its message's id. */
export const MENTION_IDS_MIGRATION = "Recent mentions (list_mentions)";

/** Text of the migration that keeps reminders on saved messages. */
export const REMINDERS_MIGRATION = "Reminders on saved messages";

/** Text of the migration that keeps scheduled messages. */
export const SCHEDULED_MIGRATION = "Scheduled messages (schedule_message)";

/** Text of the migration that keeps the threads each account takes part in. */
export const THREAD_FOLLOWS_MIGRATION =
  "Threads the account takes part in (list_threads)";

/** Text of the migration that indexes the @room markers by room. */
export const ROOM_MARKERS_MIGRATION =
  "The @room markers of an account's rooms (list_mentions)";

/** Text of the migration that keeps two-factor authentication's secrets. */
export const TOTP_MIGRATION =
  "Two-factor authentication (totp_setup, totp_enable)";

/** Text of the migration that keeps messages' polls. */
export const POLLS_MIGRATION = "Polls (create_poll, server/polls.ts)";

/** Text of the migration that keeps messages' link previews. */
export const LINK_PREVIEWS_MIGRATION = "Link previews (server/link_previews/)";

/** Text of the migration that keeps custom emoji. */
export const CUSTOM_EMOJI_MIGRATION = "Custom emoji (PUT /api/emoji/:name)";

/** Text of the migration that indexed unread counts (SQLite's replaced since). */
export const UNREAD_INDEX_MIGRATION =
  "Unread counts (a login counts every room";

/** Text of the migration that says who posts in a room. */
export const POSTING_MIGRATION = "Who posts in a room (set_room_posting)";

/** Text of the migration that keeps each account's stars. */
export const STARS_MIGRATION = "Starred rooms and conversations (star)";

/** Text of the migration of the edit history (message_edits). */
export const EDITS_MIGRATION = "Edit history (message_edits)";
/** Text of the migration that keeps what forwards carry. */
export const FORWARDED_MIGRATION = "Forwarded messages (forward_message)";
/** Text of the migration that keeps each account's sidebar sections. */
export const SECTIONS_MIGRATION = "Sidebar sections (set_sections)";
/** Text of the migration that moves the search index to its own file. */
export const SEARCH_FILE_MIGRATION =
  "The search index moves to a file of its own";
/** Text of the migration that keeps each account's email address. */
export const EMAIL_MIGRATION = "An account's email address (set_email)";

/** Text of the migration that added missed-message mails (setting and queue). */
export const MISSED_MAIL_MIGRATION =
  "Missed-message mails (mail/missed_mail.ts)";
/**
 * Text of SQLite's migration that moves a room's words between the search
 * index's audiences when it turns private or public (its trigger).
 */
export const SEARCH_AUDIENCE_MIGRATION =
  "CREATE TRIGGER search_changes_privacy";
/**
 * Text of the migration that keeps each address's mailbox key and a missed
 * mail's count of the messages past those it holds.
 */
export const MAILBOX_KEY_MIGRATION = "Mails a team would expect";
/**
 * Text of the migration that makes a missed mail's language nullable:
 * none chosen, the server's (`--mail-language`).
 */
export const MAIL_LANGUAGE_MIGRATION =
  "A missed-message mail's language chosen or not";
/** Text of the migration that keeps each account's profile card. */
export const PROFILE_MIGRATION = "A profile card (set_profile)";

/** Text of the migration that indexes forwards by their original's id. */
export const FORWARDS_INDEX_MIGRATION = "CREATE INDEX messages_forwards";

/** Text of the migration that marks archived rooms. */
export const ARCHIVED_MIGRATION = "An archived room (archive_room)";

/** Text of the migration that gives rooms their topic. */
export const TOPICS_MIGRATION = "A room's topic (set_topic)";

/** Text of PostgreSQL's migration that lists messages by search audience. */
export const SEARCH_AUDIENCES_MIGRATION =
  "A search's audiences (postgres_search.ts)";
/** Text of the migration that writes a message's audience rows in plpgsql. */
export const AUDIENCE_WRITE_MIGRATION =
  "A message's audience rows written by plpgsql statements alone";

/** Text of the migration that lists each account's conversations. */
export const CONVERSATIONS_MIGRATION =
  "Each account's private conversations, one row per side";

/**
 * Private messages as a schema from before the list of conversations
 * held them: Alice and Bob's two (both accounts), Alice's note to herself,
 * and one from a deleted (anonymised) account to Bob.
 */
export function oldPrivateSql(userColumn: "user" | "user_name"): string {
  return `
  INSERT INTO accounts (key, username, password_hash, role, created_at)
  VALUES ('alice', 'Alice', 'hash-alice', 'user', 1),
         ('bob', 'Bob', 'hash-bob', 'user', 1);
  INSERT INTO streams (key, last_seq)
  VALUES ('@alice:bob', 2), ('@alice:alice', 1), ('@bob:carol', 1);
  INSERT INTO messages (stream, seq, id, user_key, ${userColumn}, to_user,
    text, ts)
  VALUES ('@alice:bob', 1, '01A', 'alice', 'Alice', 'Bob', 'hi', 1000),
         ('@alice:alice', 1, '01B', 'alice', 'Alice', 'Alice', 'me', 2000),
         ('@alice:bob', 2, '01C', 'bob', 'Bob', 'Alice', 'hello', 3000),
         ('@bob:carol', 1, '01D', '', 'deleted user', 'Bob', 'gone', 4000)`;
}

/**
 * The conversations of {@link oldPrivateSql} are listed once the store
 * opens, each side's with the other's name and the newest message; the
 * anonymised message names nobody.
 */
export async function checkConversationsBackfilled(
  store: Store,
): Promise<void> {
  const list = (userKey: string) =>
    store.listConversations(userKey, { since: 0, limit: 10 });
  assert.deepEqual(await list("alice"), [
    { withKey: "bob", with: "Bob", lastSeq: 2, lastId: "01C", lastAt: 3000 },
    {
      withKey: "alice",
      with: "Alice",
      lastSeq: 1,
      lastId: "01B",
      lastAt: 2000,
    },
  ]);
  assert.deepEqual(await list("bob"), [
    {
      withKey: "alice",
      with: "Alice",
      lastSeq: 2,
      lastId: "01C",
      lastAt: 3000,
    },
  ]);
  assert.deepEqual(await list("carol"), []);
}

/** Text of the migration that marks conversations with a deleted account. */
export const DELETED_PARTNERS_MIGRATION =
  "When the other side's account was deleted";

/** Text of the migration that records ignores and who invited a member. */
export const IGNORES_MIGRATION = "Whom each account ignores";

/** Memberships as a schema from before ignores held them: Alice's of dev. */
export const OLD_MEMBERSHIPS_SQL = `
  INSERT INTO rooms (key, name, created_at, private)
  VALUES ('dev', 'dev', 1, true);
  INSERT INTO memberships (user_key, room_key, joined_at)
  VALUES ('alice', 'dev', 1000);`;

/**
 * The memberships of {@link OLD_MEMBERSHIPS_SQL} name no inviter once the
 * store opens (nobody's ignore leaves them), and ignores are kept.
 */
export async function checkIgnoresFromNone(store: Store): Promise<void> {
  assert.equal(await store.isMember("alice", "dev"), true);
  assert.deepEqual(
    await store.roomsInvitedBy("alice", { key: "mallory", since: 0 }),
    [],
  );
  assert.deepEqual(await store.listIgnored("alice"), []);
  await store.ignore("alice", { key: "mallory", name: "Mallory", max: 5 });
  assert.equal(await store.isIgnoring("alice", "mallory"), true);
}

/** Text of the migration that deletes the conversations no list may show. */
export const STALE_CONVERSATIONS_MIGRATION = "Conversations no list may show";

/**
 * Conversations as servers of before left them: Alice and Bob's (both
 * accounts, a message each way), Alice's with Dave, whose account was
 * deleted before deleteAccount forgot its rows (his messages anonymised,
 * hers to him kept: her row stays, his goes), and Alice and Carol's, whose
 * messages all expired before retention deleted its rows (no message left).
 */
export function staleConversationsSql(
  userColumn: "user" | "user_name",
): string {
  return `
  INSERT INTO accounts (key, username, password_hash, role, created_at)
  VALUES ('alice', 'Alice', 'hash-alice', 'user', 1),
         ('bob', 'Bob', 'hash-bob', 'user', 1),
         ('carol', 'Carol', 'hash-carol', 'user', 1);
  INSERT INTO streams (key, last_seq)
  VALUES ('@alice:bob', 2), ('@alice:dave', 2), ('@alice:carol', 3);
  INSERT INTO messages (stream, seq, id, user_key, ${userColumn}, to_user,
    text, ts)
  VALUES ('@alice:bob', 1, '01A', 'alice', 'Alice', 'Bob', 'hi', 1000),
         ('@alice:bob', 2, '01C', 'bob', 'Bob', 'Alice', 'hello', 3000),
         ('@alice:dave', 1, '01D', 'alice', 'Alice', 'Dave', 'hey', 4000),
         ('@alice:dave', 2, '01E', '', 'deleted user', 'Alice', 'bye', 5000);
  INSERT INTO conversations
    (user_key, with_key, with_name, last_seq, last_id, last_at)
  VALUES ('alice', 'carol', 'Carol', 3, '01B', 2000),
         ('carol', 'alice', 'Alice', 3, '01B', 2000)`;
}

/**
 * Of {@link staleConversationsSql}'s rows, the deleted account's and the
 * emptied conversation's are gone once the store opens; the others are as
 * they were.
 */
export async function checkStaleConversationsGone(
  store: Store,
): Promise<void> {
  const list = async (userKey: string) =>
    (await store.listConversations(userKey, { since: 0, limit: 10 }))
      .map((c) => [c.withKey, c.lastId]);
  assert.deepEqual(await list("alice"), [["dave", "01D"], ["bob", "01C"]]);
  assert.deepEqual(await list("bob"), [["alice", "01C"]]);
  assert.deepEqual(await list("carol"), []);
  assert.deepEqual(await list("dave"), []);
}

/**
 * The messages of {@link oldMessagesSql} read as they were, with no version
 * (none counted yet), and each next change counts from there: 1, then 2.
 */
export async function checkVersionsFromZero(store: Store): Promise<void> {
  const before = await store.history("lobby", {});
  assert.deepEqual(
    before.map((m) => [m.id, m.text, m.version]),
    [["m1", "third words", undefined], ["m2", "plain", undefined]],
  );
  assert.equal("version" in before[0], false);
  const edited = await store.updateMessage("m1", { text: "fourth words" });
  assert.equal(edited?.version, 1);
  const pinned = await store.pin("m2", true);
  assert.ok(pinned.status === "done");
  assert.equal(pinned.message.version, 1);
  const deleted = await store.updateMessage("m1", { deleted: true });
  assert.equal(deleted?.version, 2);
  assert.deepEqual(
    (await store.history("lobby", {})).map((m) => [m.id, m.version]),
    [["m1", 2], ["m2", 1]],
  );
}

/**
 * Text of the migration that renames what accounts anonymised before
 * left naming them: their conversations' copies' `with`, the other
 * side's `to`.
 */
export const ANONYMISED_NAMES_MIGRATION = "Names left by accounts anonymised";
