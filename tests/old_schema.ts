/**
 * A database a server of before some migration left, made from a running
 * server's: the schema version is set back to just before the migration
 * whose text has `marker` (found by text: later migrations come and go),
 * and the later migrations that cannot run twice are undone first (the
 * messages' versions: an ALTER TABLE ADD COLUMN; the conversations' table
 * and its column of deleted partners; the journal of file deletions; the
 * time of PostgreSQL's file contents; the marks of uploads to read again;
 * the ignores' table and the memberships' inviters; the bots' private-message
 * webhooks; PostgreSQL's index of account keys in byte order; the drafts'
 * table; the rooms' topics; the notification levels' table; PostgreSQL's
 * index of each room's members in byte order, with the index it replaced;
 * the accounts' "do not disturb" with the index of levels at `all`; the
 * saved messages' table, with PostgreSQL's chat_save_message; the indexes
 * of notification levels and drafts by room; the replies' index by
 * (reply_to, seq), with the index it replaced; SQLite's one index of a
 * room's messages, with the two it replaced; the count of replies that
 * left each thread, with its triggers; the accounts' custom status; the
 * rooms' archived flag; user groups; profile pictures; groups' skeletons;
 * the mentions' message ids, with their index and trigger; the saved
 * messages' reminders, with their index and leases; the threads each
 * account takes part in; the index of the @room markers by room; the
 * scheduled messages' table; two-factor authentication's tables; the
 * messages' link previews, with the version's trigger as it was before;
 * the rooms' posting rule; the messages' polls, with the version's trigger
 * again; the custom emoji, with PostgreSQL's function of their trigger; the
 * stars' table; the edit history's table; the messages' forwarded copies;
 * the accounts' profile cards; the index of forwards by their original,
 * with PostgreSQL's trigger that blanks them; the sidebar sections' tables,
 * with PostgreSQL's chat_rename_room, which is CREATE OR REPLACE and runs
 * again; SQLite's search_changes, with its triggers; the accounts' email
 * addresses, with the index of their links' tokens; SQLite's trigger that
 * moves a room's words between the search index's audiences; the
 * addresses' mailbox keys, with the index by lower(email) they replaced, and
 * the missed mails' count of messages past those they hold; the missed
 * mails' language, NOT NULL with 'en' for every account again).
 * Those that only delete rows (the
 * conversations no list may show: `STALE_CONVERSATIONS_MIGRATION`; the
 * drafts of rooms left, with PostgreSQL's functions it makes or replaces:
 * `LEFT_DRAFTS_MIGRATION`; the drafts and notification levels of rooms
 * no longer there, with PostgreSQL's chat_rename_room it replaces:
 * `GONE_ROOMS_PLACES_MIGRATION`), only insert what is missing (the rows in
 * general of accounts that never logged in: `GENERAL_ROWS_MIGRATION`) or
 * only rename (the names accounts anonymised left, with PostgreSQL's
 * chat_delete_account it replaces: `ANONYMISED_NAMES_MIGRATION`) run again
 * as they are. The
 * start-up after it then runs that migration and every later one, as an
 * upgrade does.
 */
import { DatabaseSync } from "node:sqlite";
import postgres from "postgres";
import { POSTGRES_MIGRATIONS } from "../server/store/postgres_schema.ts";
import { SQLITE_MIGRATIONS } from "../server/store/sqlite_schema.ts";
import {
  ARCHIVED_MIGRATION,
  AUDIENCE_WRITE_MIGRATION,
  AVATARS_MIGRATION,
  CONVERSATIONS_MIGRATION,
  CUSTOM_EMOJI_MIGRATION,
  DELETED_PARTNERS_MIGRATION,
  DO_NOT_DISTURB_MIGRATION,
  DRAFTS_MIGRATION,
  EDITS_MIGRATION,
  EMAIL_MIGRATION,
  FILE_DELETIONS_MIGRATION,
  FILE_TIMES_MIGRATION,
  FORWARDED_MIGRATION,
  FORWARDS_INDEX_MIGRATION,
  GROUP_SKELETONS_MIGRATION,
  GROUPS_MIGRATION,
  IGNORES_MIGRATION,
  KEY_BYTES_MIGRATION,
  LINK_PREVIEWS_MIGRATION,
  MAIL_LANGUAGE_MIGRATION,
  MAILBOX_KEY_MIGRATION,
  MEMBER_PAGES_MIGRATION,
  MENTION_IDS_MIGRATION,
  MISSED_MAIL_MIGRATION,
  NOTIFY_LEVELS_MIGRATION,
  ONE_MESSAGE_INDEX_MIGRATION,
  PLACES_BY_ROOM_MIGRATION,
  POLLS_MIGRATION,
  POSTING_MIGRATION,
  PRIVATE_WEBHOOKS_MIGRATION,
  PROFILE_MIGRATION,
  REMINDERS_MIGRATION,
  REPLIES_GONE_MIGRATION,
  ROOM_MARKERS_MIGRATION,
  SAVED_MESSAGES_MIGRATION,
  SCHEDULED_MIGRATION,
  SEARCH_AUDIENCE_MIGRATION,
  SEARCH_AUDIENCES_MIGRATION,
  SEARCH_FILE_MIGRATION,
  SECTIONS_MIGRATION,
  STARS_MIGRATION,
  STATUS_MIGRATION,
  THREAD_FOLLOWS_MIGRATION,
  THREADS_MIGRATION,
  TOPICS_MIGRATION,
  TOTP_MIGRATION,
  UNREAD_INDEX_MIGRATION,
  UPLOAD_REREADS_MIGRATION,
  versionBefore,
  VERSIONS_MIGRATION,
} from "./store_contract/support.ts";

/** What {@link rewindServerDatabase} does to a database. */
export interface OldDatabase {
  /** Text of the first migration the database has not had yet. */
  marker: string;
  /** Changes the rows as a server of before did, on PostgreSQL. */
  postgres(sql: postgres.Sql): Promise<void>;
  /** The same on SQLite. */
  sqlite(db: DatabaseSync): void;
}

/**
 * Makes a stopped test server's database the one a server of before the
 * migration with `old.marker` left: opens it (PostgreSQL when
 * `options.databaseUrl` is set, else the SQLite file at `dbPath`), changes
 * its rows, sets the schema back, and closes it.
 */
export async function rewindServerDatabase(
  options: { databaseUrl?: string },
  dbPath: string,
  old: OldDatabase,
): Promise<void> {
  if (options.databaseUrl) {
    const sql = postgres(options.databaseUrl, { max: 1, onnotice: () => {} });
    try {
      await old.postgres(sql);
      await rewindPostgres(sql, old.marker);
    } finally {
      await sql.end();
    }
    return;
  }
  const db = new DatabaseSync(dbPath);
  try {
    old.sqlite(db);
    rewindSqlite(db, old.marker);
  } finally {
    db.close();
  }
}

/**
 * The message trigger's function as s56 made it (the same rows as now,
 * through chat_search_audiences): what the rewind past
 * AUDIENCE_WRITE_MIGRATION restores, and bench/pg_write_cpu.ts measures.
 */
export const S56_MESSAGE_AUDIENCES = `CREATE OR REPLACE FUNCTION
  chat_message_audiences() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF tg_op <> 'INSERT' THEN
      DELETE FROM search_audiences WHERE id = old.id;
    END IF;
    IF tg_op <> 'DELETE' THEN
      INSERT INTO search_audiences (audience, id, user_key)
      SELECT DISTINCT a, new.id, new.user_key
      FROM unnest(chat_search_audiences(new.stream)) a
      ON CONFLICT DO NOTHING;
      RETURN new;
    END IF;
    RETURN old;
  END $$`;

// Sets a PostgreSQL database back to before the migration with `marker`.
async function rewindPostgres(
  sql: postgres.Sql,
  marker: string,
): Promise<void> {
  const before = versionBefore(POSTGRES_MIGRATIONS, marker);
  if (before <= versionBefore(POSTGRES_MIGRATIONS, AUDIENCE_WRITE_MIGRATION)) {
    await sql.unsafe(S56_MESSAGE_AUDIENCES);
  }
  if (before <= versionBefore(POSTGRES_MIGRATIONS, MAIL_LANGUAGE_MIGRATION)) {
    // As the old column was: 'en' for every account that never chose.
    await sql`UPDATE accounts SET mail_language = 'en'
      WHERE mail_language IS NULL`;
    await sql`ALTER TABLE accounts ALTER COLUMN mail_language SET NOT NULL,
      ALTER COLUMN mail_language SET DEFAULT 'en'`;
  }
  if (before <= versionBefore(POSTGRES_MIGRATIONS, MAILBOX_KEY_MIGRATION)) {
    // The index by key goes with its column.
    await sql`ALTER TABLE accounts DROP COLUMN email_key`;
    await sql`CREATE INDEX accounts_verified_email ON accounts (lower(email))
      WHERE email_verified`;
    await sql`ALTER TABLE missed_mails DROP COLUMN more`;
  }
  if (
    before <= versionBefore(POSTGRES_MIGRATIONS, SEARCH_AUDIENCES_MIGRATION)
  ) {
    // The tables' triggers go with the table (messages') and by name.
    await sql`DROP TRIGGER messages_search_audiences ON messages`;
    await sql`DROP TRIGGER rooms_search_audiences ON rooms`;
    await sql`DROP FUNCTION chat_message_audiences(), chat_room_audiences(),
      chat_search_audiences(TEXT)`;
    await sql`DROP TABLE search_audiences`;
  }
  if (before <= versionBefore(POSTGRES_MIGRATIONS, MISSED_MAIL_MIGRATION)) {
    await sql`DROP TABLE missed_messages, missed_mails`;
    await sql`ALTER TABLE accounts DROP COLUMN missed_mail,
      DROP COLUMN mail_language`;
  }
  if (before <= versionBefore(POSTGRES_MIGRATIONS, EMAIL_MIGRATION)) {
    // The token's index goes with its column.
    await sql`ALTER TABLE accounts DROP COLUMN email,
      DROP COLUMN email_verified, DROP COLUMN email_token_hash,
      DROP COLUMN email_token_expires`;
  }
  if (before <= versionBefore(POSTGRES_MIGRATIONS, SECTIONS_MIGRATION)) {
    await sql`DROP TABLE sidebar_items, sidebar_sections`;
  }
  if (before <= versionBefore(POSTGRES_MIGRATIONS, FORWARDS_INDEX_MIGRATION)) {
    await sql`DROP TRIGGER messages_original_deleted ON messages`;
    await sql`DROP FUNCTION chat_blank_forwards()`;
    await sql`DROP INDEX messages_forwards`;
  }
  if (before <= versionBefore(POSTGRES_MIGRATIONS, PROFILE_MIGRATION)) {
    await sql`ALTER TABLE accounts DROP COLUMN profile_title,
      DROP COLUMN profile_timezone`;
  }
  if (before <= versionBefore(POSTGRES_MIGRATIONS, FORWARDED_MIGRATION)) {
    await sql`ALTER TABLE messages DROP COLUMN forwarded`;
  }
  if (before <= versionBefore(POSTGRES_MIGRATIONS, EDITS_MIGRATION)) {
    await sql`DROP TABLE message_edits`;
  }
  if (before <= versionBefore(POSTGRES_MIGRATIONS, STARS_MIGRATION)) {
    await sql`DROP TABLE stars`;
  }
  if (before <= versionBefore(POSTGRES_MIGRATIONS, CUSTOM_EMOJI_MIGRATION)) {
    await sql`DROP TABLE custom_emoji`;
    await sql`DROP FUNCTION chat_custom_emoji_gone()`;
  }
  if (before <= versionBefore(POSTGRES_MIGRATIONS, POLLS_MIGRATION)) {
    // As the previews' below: the trigger goes with the column, and comes
    // back as the previews' migration made it.
    await sql`ALTER TABLE messages DROP COLUMN poll CASCADE`;
    await sql.unsafe(`
      CREATE OR REPLACE FUNCTION chat_message_version() RETURNS trigger
      LANGUAGE plpgsql AS $$
      BEGIN
        IF (new.text, new.deleted, new.attachments, new.reactions,
            new.pinned_at, new.edited_at, new.previews)
           IS DISTINCT FROM (old.text, old.deleted, old.attachments,
            old.reactions, old.pinned_at, old.edited_at, old.previews) THEN
          new.version := old.version + 1;
        END IF;
        RETURN new;
      END
      $$;
      CREATE TRIGGER messages_version
      BEFORE UPDATE OF text, deleted, attachments, reactions, pinned_at,
        edited_at, previews
      ON messages FOR EACH ROW EXECUTE FUNCTION chat_message_version();`);
  }
  // Its chat_rename_room is CREATE OR REPLACE: it runs again as is.
  // Its chat_rename_room is CREATE OR REPLACE: it runs again as is.
  if (before <= versionBefore(POSTGRES_MIGRATIONS, POSTING_MIGRATION)) {
    await sql`ALTER TABLE rooms DROP COLUMN posting`;
  }
  if (before <= versionBefore(POSTGRES_MIGRATIONS, LINK_PREVIEWS_MIGRATION)) {
    // The trigger names the column: it goes with it, and comes back as the
    // versions' migration made it.
    await sql`ALTER TABLE messages DROP COLUMN previews CASCADE`;
    await sql.unsafe(`
      CREATE OR REPLACE FUNCTION chat_message_version() RETURNS trigger
      LANGUAGE plpgsql AS $$
      BEGIN
        IF (new.text, new.deleted, new.attachments, new.reactions,
            new.pinned_at, new.edited_at)
           IS DISTINCT FROM (old.text, old.deleted, old.attachments,
            old.reactions, old.pinned_at, old.edited_at) THEN
          new.version := old.version + 1;
        END IF;
        RETURN new;
      END
      $$;
      CREATE TRIGGER messages_version
      BEFORE UPDATE OF text, deleted, attachments, reactions, pinned_at,
        edited_at
      ON messages FOR EACH ROW EXECUTE FUNCTION chat_message_version();`);
  }
  if (before <= versionBefore(POSTGRES_MIGRATIONS, TOTP_MIGRATION)) {
    await sql`DROP TABLE totp_recovery_codes, totp`;
  }
  if (before <= versionBefore(POSTGRES_MIGRATIONS, SCHEDULED_MIGRATION)) {
    await sql`DROP TABLE scheduled_messages`;
  }
  if (before <= versionBefore(POSTGRES_MIGRATIONS, ROOM_MARKERS_MIGRATION)) {
    await sql`DROP INDEX mentions_room_markers`;
  }
  if (before <= versionBefore(POSTGRES_MIGRATIONS, THREAD_FOLLOWS_MIGRATION)) {
    await sql`DROP TABLE thread_follows`;
  }
  if (before <= versionBefore(POSTGRES_MIGRATIONS, REMINDERS_MIGRATION)) {
    await sql`DROP INDEX saved_messages_due`;
    await sql`ALTER TABLE saved_messages DROP COLUMN remind_at`;
    await sql`ALTER TABLE saved_messages DROP COLUMN remind_lease`;
  }
  if (before <= versionBefore(POSTGRES_MIGRATIONS, MENTION_IDS_MIGRATION)) {
    await sql`DROP TRIGGER mentions_message_id ON mentions`;
    await sql`DROP FUNCTION chat_mention_message_id()`;
    await sql`ALTER TABLE mentions DROP COLUMN message_id`;
  }
  // Its chat_create_account_unconfused is CREATE OR REPLACE: it runs
  // again as is.
  if (
    before <= versionBefore(POSTGRES_MIGRATIONS, GROUP_SKELETONS_MIGRATION)
  ) {
    await sql`ALTER TABLE user_groups DROP COLUMN skeleton`;
  }
  if (before <= versionBefore(POSTGRES_MIGRATIONS, AVATARS_MIGRATION)) {
    await sql`DROP TABLE avatars`;
    await sql`DROP FUNCTION chat_avatar_gone()`;
  }
  // The archived rooms' refusal of appends ("An archived room refuses new
  // messages in the store too") drops chat_append and makes it again: it
  // runs again as is.
  if (before <= versionBefore(POSTGRES_MIGRATIONS, GROUPS_MIGRATION)) {
    await sql`DROP TABLE group_members, user_groups`;
  }
  // Its chat_rename_room is CREATE OR REPLACE: it runs again as is.
  if (before <= versionBefore(POSTGRES_MIGRATIONS, ARCHIVED_MIGRATION)) {
    await sql`ALTER TABLE rooms DROP COLUMN archived`;
  }
  if (before <= versionBefore(POSTGRES_MIGRATIONS, STATUS_MIGRATION)) {
    await sql`ALTER TABLE accounts DROP COLUMN status_text,
      DROP COLUMN status_emoji, DROP COLUMN status_until`;
  }
  if (before <= versionBefore(POSTGRES_MIGRATIONS, REPLIES_GONE_MIGRATION)) {
    await sql`DROP TRIGGER messages_reply_left ON messages`;
    await sql`DROP FUNCTION chat_reply_left()`;
    await sql`ALTER TABLE messages DROP COLUMN replies_gone`;
  }
  if (before <= versionBefore(POSTGRES_MIGRATIONS, THREADS_MIGRATION)) {
    // The index of before, so that the upgrade makes the new one again.
    await sql`DROP INDEX messages_reply_seq`;
    await sql`CREATE INDEX messages_reply_to ON messages (reply_to)
              WHERE reply_to IS NOT NULL`;
  }
  if (before <= versionBefore(POSTGRES_MIGRATIONS, PLACES_BY_ROOM_MIGRATION)) {
    await sql`DROP INDEX drafts_stream`;
    await sql`DROP INDEX notification_levels_stream`;
  }
  if (before <= versionBefore(POSTGRES_MIGRATIONS, SAVED_MESSAGES_MIGRATION)) {
    await sql`DROP FUNCTION chat_save_message`;
    await sql`DROP TABLE saved_messages`;
  }
  if (before <= versionBefore(POSTGRES_MIGRATIONS, DO_NOT_DISTURB_MIGRATION)) {
    await sql`DROP INDEX notification_levels_all`;
    await sql`ALTER TABLE accounts DROP COLUMN do_not_disturb_until`;
  }
  if (before <= versionBefore(POSTGRES_MIGRATIONS, MEMBER_PAGES_MIGRATION)) {
    // The index of before, so that the upgrade makes the new one again.
    await sql`DROP INDEX memberships_room_bytes`;
    await sql`CREATE INDEX memberships_room ON memberships (room_key)`;
  }
  if (before <= versionBefore(POSTGRES_MIGRATIONS, NOTIFY_LEVELS_MIGRATION)) {
    await sql`DROP TABLE notification_levels`;
  }
  // Its chat_rename_room is CREATE OR REPLACE: it runs again as is.
  if (before <= versionBefore(POSTGRES_MIGRATIONS, TOPICS_MIGRATION)) {
    await sql`ALTER TABLE rooms DROP COLUMN topic`;
  }
  if (before <= versionBefore(POSTGRES_MIGRATIONS, DRAFTS_MIGRATION)) {
    await sql`DROP TABLE drafts`;
  }
  if (before <= versionBefore(POSTGRES_MIGRATIONS, KEY_BYTES_MIGRATION)) {
    await sql`DROP INDEX accounts_key_bytes`;
  }
  if (
    before <= versionBefore(POSTGRES_MIGRATIONS, PRIVATE_WEBHOOKS_MIGRATION)
  ) {
    await sql`DROP TABLE private_webhooks`;
  }
  if (before <= versionBefore(POSTGRES_MIGRATIONS, IGNORES_MIGRATION)) {
    await sql`DROP FUNCTION chat_add_invited_member`;
    await sql`ALTER TABLE memberships DROP COLUMN invited_by`;
    await sql`DROP TABLE ignores`;
  }
  // Its updates run again as they are (they clear what it marks).
  if (before <= versionBefore(POSTGRES_MIGRATIONS, UPLOAD_REREADS_MIGRATION)) {
    await sql`DROP TABLE upload_rereads`;
  }
  if (
    before < versionBefore(POSTGRES_MIGRATIONS, DELETED_PARTNERS_MIGRATION) &&
    before >= versionBefore(POSTGRES_MIGRATIONS, CONVERSATIONS_MIGRATION)
  ) {
    await sql`ALTER TABLE conversations DROP COLUMN with_deleted_at`;
  }
  if (before < versionBefore(POSTGRES_MIGRATIONS, FILE_TIMES_MIGRATION)) {
    await sql`ALTER TABLE file_contents DROP COLUMN written_at`;
  }
  if (before < versionBefore(POSTGRES_MIGRATIONS, FILE_DELETIONS_MIGRATION)) {
    // Its chat_save_upload is CREATE OR REPLACE: it runs again as is.
    await sql`DROP TABLE file_deletions`;
  }
  if (before < versionBefore(POSTGRES_MIGRATIONS, CONVERSATIONS_MIGRATION)) {
    await sql`DROP TRIGGER messages_conversations ON messages`;
    await sql`DROP FUNCTION chat_note_conversation()`;
    await sql`DROP TABLE conversations`;
  }
  if (before < versionBefore(POSTGRES_MIGRATIONS, VERSIONS_MIGRATION)) {
    await sql`DROP TRIGGER messages_version ON messages`;
    await sql`DROP FUNCTION chat_message_version()`;
    await sql`ALTER TABLE messages DROP COLUMN version`;
  }
  await sql`DELETE FROM schema_version WHERE version > ${before}`;
}

// Sets a SQLite database back to before the migration with `marker`.
function rewindSqlite(db: DatabaseSync, marker: string): void {
  const before = versionBefore(SQLITE_MIGRATIONS, marker);
  if (before <= versionBefore(SQLITE_MIGRATIONS, MAIL_LANGUAGE_MIGRATION)) {
    // As the old column was: 'en' for every account that never chose.
    db.exec(`ALTER TABLE accounts ADD COLUMN mail_language_old TEXT NOT NULL
      DEFAULT 'en'`);
    db.exec(`UPDATE accounts SET mail_language_old = mail_language
      WHERE mail_language IS NOT NULL`);
    db.exec("ALTER TABLE accounts DROP COLUMN mail_language");
    db.exec(
      "ALTER TABLE accounts RENAME COLUMN mail_language_old TO mail_language",
    );
  }
  if (before <= versionBefore(SQLITE_MIGRATIONS, MAILBOX_KEY_MIGRATION)) {
    // SQLite drops no column an index names: the index first.
    db.exec("DROP INDEX accounts_verified_email_key");
    db.exec("ALTER TABLE accounts DROP COLUMN email_key");
    db.exec(`CREATE INDEX accounts_verified_email ON accounts (lower(email))
      WHERE email_verified = 1`);
    db.exec("ALTER TABLE missed_mails DROP COLUMN more");
  }
  // Its trigger names search_changes, which a rewind below may drop: SQLite
  // then refuses every later change of the schema.
  if (before <= versionBefore(SQLITE_MIGRATIONS, SEARCH_AUDIENCE_MIGRATION)) {
    db.exec("DROP TRIGGER search_changes_privacy");
  }
  if (before <= versionBefore(SQLITE_MIGRATIONS, MISSED_MAIL_MIGRATION)) {
    db.exec("DROP TABLE missed_messages");
    db.exec("DROP TABLE missed_mails");
    db.exec("ALTER TABLE accounts DROP COLUMN missed_mail");
    db.exec("ALTER TABLE accounts DROP COLUMN mail_language");
  }
  if (before <= versionBefore(SQLITE_MIGRATIONS, EMAIL_MIGRATION)) {
    // SQLite drops no column an index names: the index first.
    db.exec("DROP INDEX accounts_email_token");
    db.exec("DROP INDEX IF EXISTS accounts_verified_email");
    for (
      const column of [
        "email",
        "email_verified",
        "email_token_hash",
        "email_token_expires",
      ]
    ) db.exec(`ALTER TABLE accounts DROP COLUMN ${column}`);
  }
  if (before <= versionBefore(SQLITE_MIGRATIONS, SEARCH_FILE_MIGRATION)) {
    db.exec("DROP TRIGGER search_changes_text");
    db.exec("DROP TRIGGER search_changes_gone");
    db.exec("DROP TABLE search_changes");
  }
  if (before <= versionBefore(SQLITE_MIGRATIONS, SECTIONS_MIGRATION)) {
    // Their indexes go with them.
    db.exec("DROP TABLE sidebar_items");
    db.exec("DROP TABLE sidebar_sections");
  }
  if (before <= versionBefore(SQLITE_MIGRATIONS, FORWARDS_INDEX_MIGRATION)) {
    db.exec("DROP INDEX messages_forwards");
  }
  if (before <= versionBefore(SQLITE_MIGRATIONS, PROFILE_MIGRATION)) {
    db.exec("ALTER TABLE accounts DROP COLUMN profile_title");
    db.exec("ALTER TABLE accounts DROP COLUMN profile_timezone");
  }
  if (before <= versionBefore(SQLITE_MIGRATIONS, FORWARDED_MIGRATION)) {
    db.exec("ALTER TABLE messages DROP COLUMN forwarded");
  }
  if (before <= versionBefore(SQLITE_MIGRATIONS, EDITS_MIGRATION)) {
    // Its index goes with it.
    db.exec("DROP TABLE message_edits");
  }
  if (before <= versionBefore(SQLITE_MIGRATIONS, STARS_MIGRATION)) {
    db.exec("DROP TABLE stars");
  }
  if (before <= versionBefore(SQLITE_MIGRATIONS, CUSTOM_EMOJI_MIGRATION)) {
    // Its index and trigger go with it.
    db.exec("DROP TABLE custom_emoji");
  }
  if (before <= versionBefore(SQLITE_MIGRATIONS, POLLS_MIGRATION)) {
    db.exec(`DROP TRIGGER messages_version;
      DROP INDEX messages_polls;
      ALTER TABLE messages DROP COLUMN poll;
      CREATE TRIGGER messages_version
      AFTER UPDATE OF text, deleted, attachments, reactions, pinned_at,
        edited_at, previews
      ON messages
      WHEN old.text IS NOT new.text OR old.deleted IS NOT new.deleted
        OR old.attachments IS NOT new.attachments
        OR old.reactions IS NOT new.reactions
        OR old.pinned_at IS NOT new.pinned_at
        OR old.edited_at IS NOT new.edited_at
        OR old.previews IS NOT new.previews
      BEGIN
        UPDATE messages SET version = old.version + 1 WHERE rowid = new.rowid;
      END;`);
  }
  if (before <= versionBefore(SQLITE_MIGRATIONS, POSTING_MIGRATION)) {
    db.exec("ALTER TABLE rooms DROP COLUMN posting");
  }
  if (before <= versionBefore(SQLITE_MIGRATIONS, LINK_PREVIEWS_MIGRATION)) {
    db.exec(`DROP TRIGGER messages_version;
      ALTER TABLE messages DROP COLUMN previews;
      CREATE TRIGGER messages_version
      AFTER UPDATE OF text, deleted, attachments, reactions, pinned_at,
        edited_at
      ON messages
      WHEN old.text IS NOT new.text OR old.deleted IS NOT new.deleted
        OR old.attachments IS NOT new.attachments
        OR old.reactions IS NOT new.reactions
        OR old.pinned_at IS NOT new.pinned_at
        OR old.edited_at IS NOT new.edited_at
      BEGIN
        UPDATE messages SET version = old.version + 1 WHERE rowid = new.rowid;
      END;`);
  }
  if (before <= versionBefore(SQLITE_MIGRATIONS, TOTP_MIGRATION)) {
    db.exec("DROP TABLE totp_recovery_codes");
    db.exec("DROP TABLE totp");
  }
  if (before <= versionBefore(SQLITE_MIGRATIONS, SCHEDULED_MIGRATION)) {
    db.exec("DROP TABLE scheduled_messages");
  }
  if (before <= versionBefore(SQLITE_MIGRATIONS, ROOM_MARKERS_MIGRATION)) {
    db.exec("DROP INDEX mentions_room_markers");
  }
  if (before <= versionBefore(SQLITE_MIGRATIONS, THREAD_FOLLOWS_MIGRATION)) {
    db.exec("DROP TABLE thread_follows");
  }
  if (before <= versionBefore(SQLITE_MIGRATIONS, REMINDERS_MIGRATION)) {
    db.exec("DROP INDEX saved_messages_due");
    db.exec("ALTER TABLE saved_messages DROP COLUMN remind_at");
    db.exec("ALTER TABLE saved_messages DROP COLUMN remind_lease");
  }
  if (before <= versionBefore(SQLITE_MIGRATIONS, MENTION_IDS_MIGRATION)) {
    db.exec("DROP TRIGGER mentions_message_id");
    db.exec("DROP INDEX mentions_newest");
    db.exec("ALTER TABLE mentions DROP COLUMN message_id");
  }
  if (before <= versionBefore(SQLITE_MIGRATIONS, GROUP_SKELETONS_MIGRATION)) {
    db.exec("DROP INDEX user_groups_skeleton");
    db.exec("ALTER TABLE user_groups DROP COLUMN skeleton");
  }
  if (before <= versionBefore(SQLITE_MIGRATIONS, AVATARS_MIGRATION)) {
    // Its triggers go with it.
    db.exec("DROP TABLE avatars");
  }
  if (before <= versionBefore(SQLITE_MIGRATIONS, GROUPS_MIGRATION)) {
    db.exec("DROP TABLE group_members");
    db.exec("DROP TABLE user_groups");
  }
  if (before <= versionBefore(SQLITE_MIGRATIONS, ARCHIVED_MIGRATION)) {
    db.exec("ALTER TABLE rooms DROP COLUMN archived");
  }
  if (before <= versionBefore(SQLITE_MIGRATIONS, STATUS_MIGRATION)) {
    db.exec("ALTER TABLE accounts DROP COLUMN status_text");
    db.exec("ALTER TABLE accounts DROP COLUMN status_emoji");
    db.exec("ALTER TABLE accounts DROP COLUMN status_until");
  }
  if (before <= versionBefore(SQLITE_MIGRATIONS, REPLIES_GONE_MIGRATION)) {
    db.exec("DROP TRIGGER messages_reply_left");
    db.exec("DROP TRIGGER messages_reply_gone");
    db.exec("ALTER TABLE messages DROP COLUMN replies_gone");
  }
  if (
    before <= versionBefore(SQLITE_MIGRATIONS, ONE_MESSAGE_INDEX_MIGRATION)
  ) {
    // The indexes of before, so that the upgrade replaces them again.
    db.exec("DROP TRIGGER messages_seq_unique");
    db.exec("DROP TRIGGER messages_seq_unique_update");
    db.exec("DROP INDEX messages_stream_seq_author");
    db.exec(
      "CREATE UNIQUE INDEX messages_stream_seq ON messages (stream, seq)",
    );
    if (before > versionBefore(SQLITE_MIGRATIONS, UNREAD_INDEX_MIGRATION)) {
      db.exec(`CREATE INDEX messages_unread ON messages (stream, seq, user_key)
        WHERE deleted = 0`);
    }
  }
  if (before <= versionBefore(SQLITE_MIGRATIONS, THREADS_MIGRATION)) {
    db.exec("DROP INDEX messages_reply_seq");
    db.exec(
      "CREATE INDEX messages_reply_to ON messages (reply_to) " +
        "WHERE reply_to IS NOT NULL",
    );
  }
  if (before <= versionBefore(SQLITE_MIGRATIONS, PLACES_BY_ROOM_MIGRATION)) {
    db.exec("DROP INDEX drafts_stream");
    db.exec("DROP INDEX notification_levels_stream");
  }
  if (before <= versionBefore(SQLITE_MIGRATIONS, SAVED_MESSAGES_MIGRATION)) {
    db.exec("DROP TABLE saved_messages");
  }
  if (before <= versionBefore(SQLITE_MIGRATIONS, DO_NOT_DISTURB_MIGRATION)) {
    db.exec("DROP INDEX notification_levels_all");
    db.exec("ALTER TABLE accounts DROP COLUMN do_not_disturb_until");
  }
  if (before <= versionBefore(SQLITE_MIGRATIONS, NOTIFY_LEVELS_MIGRATION)) {
    db.exec("DROP TABLE notification_levels");
  }
  if (before <= versionBefore(SQLITE_MIGRATIONS, TOPICS_MIGRATION)) {
    db.exec("ALTER TABLE rooms DROP COLUMN topic");
  }
  if (before <= versionBefore(SQLITE_MIGRATIONS, DRAFTS_MIGRATION)) {
    db.exec("DROP TABLE drafts");
  }
  if (before <= versionBefore(SQLITE_MIGRATIONS, PRIVATE_WEBHOOKS_MIGRATION)) {
    db.exec("DROP TABLE private_webhooks");
  }
  if (before <= versionBefore(SQLITE_MIGRATIONS, IGNORES_MIGRATION)) {
    db.exec("ALTER TABLE memberships DROP COLUMN invited_by");
    db.exec("DROP TABLE ignores");
  }
  if (before <= versionBefore(SQLITE_MIGRATIONS, UPLOAD_REREADS_MIGRATION)) {
    db.exec("DROP TABLE upload_rereads");
  }
  if (
    before < versionBefore(SQLITE_MIGRATIONS, DELETED_PARTNERS_MIGRATION) &&
    before >= versionBefore(SQLITE_MIGRATIONS, CONVERSATIONS_MIGRATION)
  ) {
    db.exec("ALTER TABLE conversations DROP COLUMN with_deleted_at");
  }
  if (before < versionBefore(SQLITE_MIGRATIONS, FILE_DELETIONS_MIGRATION)) {
    db.exec("DROP TABLE file_deletions");
  }
  if (before < versionBefore(SQLITE_MIGRATIONS, CONVERSATIONS_MIGRATION)) {
    db.exec("DROP TRIGGER messages_conversations");
    db.exec("DROP TABLE conversations");
  }
  if (before < versionBefore(SQLITE_MIGRATIONS, VERSIONS_MIGRATION)) {
    db.exec("DROP TRIGGER messages_version");
    db.exec("ALTER TABLE messages DROP COLUMN version");
  }
  db.exec(`PRAGMA user_version = ${before}`);
}
