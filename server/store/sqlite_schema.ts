import { DELETED_OWNER } from "./mod.ts";

// The side of a private message's conversation ('@a:b', keys sorted) that
// is not its author's: ':' is in no name key.
const OTHER_SIDE = `CASE
      WHEN substr(new.stream, 2, instr(new.stream, ':') - 2) = new.user_key
      THEN substr(new.stream, instr(new.stream, ':') + 1)
      ELSE substr(new.stream, 2, instr(new.stream, ':') - 2) END`;

/**
 * The SQLite schema, as versioned migrations: entry i brings a database
 * from `PRAGMA user_version` i to i + 1. Never edit a shipped entry; add one.
 */
export const SQLITE_MIGRATIONS: readonly string[] = [
  `
  -- Rooms and private conversations are both streams of messages with
  -- their own gap-free seq. A conversation's key is '@a:b' (sorted keys).
  CREATE TABLE streams (
    key      TEXT PRIMARY KEY,
    last_seq INTEGER NOT NULL DEFAULT 0
  ) STRICT, WITHOUT ROWID;
  CREATE TABLE rooms (
    key        TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at INTEGER NOT NULL
  ) STRICT;  -- rowid keeps the creation order
  CREATE TABLE messages (
    stream     TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    id         TEXT NOT NULL UNIQUE,
    user_key   TEXT NOT NULL,
    user       TEXT NOT NULL,
    room       TEXT,           -- display name, for room messages
    to_user    TEXT,           -- display name, for private messages
    text       TEXT NOT NULL,
    ts         INTEGER NOT NULL,
    client_id  TEXT,
    pending_to TEXT            -- recipient key until a private message is delivered
  ) STRICT;
  -- A rowid table grows at its end whatever the room; only this small index
  -- is written in one place per room (a third faster with many rooms).
  CREATE UNIQUE INDEX messages_stream_seq ON messages (stream, seq);
  CREATE UNIQUE INDEX messages_client_id
    ON messages (stream, user_key, client_id) WHERE client_id IS NOT NULL;
  CREATE INDEX messages_pending ON messages (pending_to) WHERE pending_to IS NOT NULL;
  CREATE TABLE accounts (
    key           TEXT PRIMARY KEY,
    username      TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'moderator', 'user')),
    created_at    INTEGER NOT NULL
  ) STRICT, WITHOUT ROWID;
  CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_key   TEXT NOT NULL REFERENCES accounts(key) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL
  ) STRICT, WITHOUT ROWID;
  CREATE TABLE bans (
    user_key   TEXT NOT NULL,
    address    TEXT NOT NULL DEFAULT '',  -- '' bans the name itself
    room_key   TEXT NOT NULL DEFAULT '',  -- '' bans from the whole server
    reason     TEXT NOT NULL,
    by_user    TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (user_key, address, room_key)
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX bans_address ON bans (address) WHERE address <> '';
  `,
  `
  -- Shared files (bytes on disk by hash), attachments, edits and deletes.
  CREATE TABLE files (
    hash       TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    size       INTEGER NOT NULL,
    type       TEXT NOT NULL,
    uploader   TEXT NOT NULL,
    created_at INTEGER NOT NULL
  ) STRICT, WITHOUT ROWID;
  ALTER TABLE messages ADD COLUMN attachments TEXT;  -- JSON array
  ALTER TABLE messages ADD COLUMN edited_at INTEGER;
  ALTER TABLE messages ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;
  `,
  `
  -- Team chat: private rooms, memberships, read positions, mentions and
  -- invite links.
  ALTER TABLE rooms ADD COLUMN private INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE rooms ADD COLUMN owner TEXT;  -- creator's key, private rooms
  CREATE TABLE memberships (
    user_key  TEXT NOT NULL,
    room_key  TEXT NOT NULL REFERENCES rooms(key) ON DELETE CASCADE,
    joined_at INTEGER NOT NULL,
    PRIMARY KEY (user_key, room_key)
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX memberships_room ON memberships (room_key);
  -- Per account and stream (room key or '@a:b'); only moves forward.
  CREATE TABLE read_positions (
    user_key      TEXT NOT NULL,
    stream        TEXT NOT NULL,
    last_read_seq INTEGER NOT NULL,
    PRIMARY KEY (user_key, stream)
  ) STRICT, WITHOUT ROWID;
  -- Who a message @mentions, written with it: counting a member's unread
  -- mentions is one index range, never a text scan.
  CREATE TABLE mentions (
    user_key TEXT NOT NULL,
    stream   TEXT NOT NULL,
    seq      INTEGER NOT NULL,
    PRIMARY KEY (user_key, stream, seq)
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX mentions_stream ON mentions (stream, seq);
  CREATE TABLE invites (
    code       TEXT PRIMARY KEY,
    room_key   TEXT NOT NULL REFERENCES rooms(key) ON DELETE CASCADE,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER,
    max_uses   INTEGER,
    uses       INTEGER NOT NULL DEFAULT 0,
    revoked    INTEGER NOT NULL DEFAULT 0
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX invites_room ON invites (room_key);
  -- A room's stream may come back under a new room of the same name,
  -- numbered from 1 again: nothing of the old one may linger.
  CREATE TRIGGER rooms_forget AFTER DELETE ON rooms BEGIN
    DELETE FROM read_positions WHERE stream = old.key;
    DELETE FROM mentions WHERE stream = old.key;
  END;
  -- Every account already registered belongs to general, read to its end.
  INSERT INTO memberships (user_key, room_key, joined_at)
    SELECT key, 'general', created_at FROM accounts
    WHERE EXISTS (SELECT 1 FROM rooms WHERE key = 'general');
  INSERT INTO read_positions (user_key, stream, last_read_seq)
    SELECT m.user_key, m.room_key, s.last_seq
    FROM memberships m JOIN streams s ON s.key = m.room_key;
  `,
  `
  -- Confusable skeletons (UTS #39) of account names, so that a look-alike of
  -- an account is refused. Rows from before are filled in at start-up.
  ALTER TABLE accounts ADD COLUMN skeleton TEXT;
  CREATE INDEX accounts_skeleton ON accounts (skeleton);
  `,
  `
  -- Idempotency keys belong to the name's holder (an account, or a guest
  -- that knows its guest_key), not to the name: a later holder re-sending
  -- a client_id must not get an earlier holder's message back. Earlier
  -- messages of an account since its creation are its own; the rest ('')
  -- match no holder.
  ALTER TABLE messages ADD COLUMN sender TEXT NOT NULL DEFAULT '';
  UPDATE messages SET sender = 'a:' || a.created_at
  FROM accounts a
  WHERE a.key = messages.user_key AND messages.ts >= a.created_at;
  DROP INDEX messages_client_id;
  CREATE UNIQUE INDEX messages_client_id
    ON messages (stream, user_key, sender, client_id)
    WHERE client_id IS NOT NULL;
  -- What one sender has waiting for offline accounts, counted at each
  -- undelivered private message against its limit.
  CREATE INDEX messages_pending_from ON messages (user_key)
    WHERE pending_to IS NOT NULL;

  -- Each upload keeps its own name and type; the bytes are still kept once
  -- per content hash. The id is random: URLs are /files/<id>/<name>.
  CREATE TABLE uploads (
    id         TEXT PRIMARY KEY,
    hash       TEXT NOT NULL,
    name       TEXT NOT NULL,
    type       TEXT NOT NULL,
    size       INTEGER NOT NULL,
    uploader   TEXT NOT NULL,  -- name key of the account
    width      INTEGER,
    height     INTEGER,
    frames     INTEGER,
    created_at INTEGER NOT NULL
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX uploads_hash ON uploads (hash);
  -- Which messages carry an upload, written with the message. A file is
  -- served while one of them exists and is not deleted.
  CREATE TABLE file_refs (
    upload_id  TEXT NOT NULL,
    message_id TEXT NOT NULL,
    stream     TEXT NOT NULL,
    PRIMARY KEY (upload_id, message_id)
  ) STRICT, WITHOUT ROWID;
  -- Files shared before: one upload each, its hash as its id, so the URLs
  -- stored messages hold keep working. Their types were never checked:
  -- without dimensions they show as downloads.
  INSERT INTO uploads (id, hash, name, type, size, uploader, created_at)
  SELECT hash, hash, name, type, size, lower(uploader), created_at FROM files;
  INSERT OR IGNORE INTO file_refs (upload_id, message_id, stream)
  SELECT substr(json_extract(a.value, '$.url'), 8, 64), m.id, m.stream
  FROM messages m, json_each(m.attachments) a
  WHERE m.attachments IS NOT NULL
    AND json_extract(a.value, '$.url') GLOB '/files/*/*';
  DROP TABLE files;
  -- Secrets every process sharing the database reads the same.
  CREATE TABLE secrets (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
  ) STRICT, WITHOUT ROWID;
  -- One row that health checks write: only a commit shows the disk takes
  -- writes.
  CREATE TABLE health (
    id         INTEGER PRIMARY KEY,
    checked_at INTEGER NOT NULL
  ) STRICT;
  `,
  `
  -- Outgoing webhooks: a room's new messages are POSTed to the URL, signed
  -- with the secret; the last columns say how deliveries went.
  CREATE TABLE webhooks (
    id              TEXT PRIMARY KEY,
    room_key        TEXT NOT NULL REFERENCES rooms(key) ON DELETE CASCADE,
    url             TEXT NOT NULL,
    secret          TEXT NOT NULL,
    created_by      TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    failures        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    last_status     INTEGER,
    last_failure_at INTEGER,
    last_success_at INTEGER
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX webhooks_room ON webhooks (room_key, created_at);
  -- Web Push subscriptions, one per browser (endpoint), each for an account.
  CREATE TABLE push_subscriptions (
    endpoint   TEXT PRIMARY KEY,
    user_key   TEXT NOT NULL REFERENCES accounts(key) ON DELETE CASCADE,
    p256dh     TEXT NOT NULL,
    auth       TEXT NOT NULL,
    created_at INTEGER NOT NULL
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX push_subscriptions_user ON push_subscriptions (user_key);
  `,
  `
  -- Replies, reactions, pins and search.
  ALTER TABLE messages ADD COLUMN reply_to TEXT;      -- id of the message answered
  ALTER TABLE messages ADD COLUMN reactions TEXT;     -- JSON, summed up from reactions
  ALTER TABLE messages ADD COLUMN pinned_at INTEGER;  -- set while pinned
  CREATE INDEX messages_reply_to ON messages (reply_to) WHERE reply_to IS NOT NULL;
  CREATE INDEX messages_pinned ON messages (stream, pinned_at)
    WHERE pinned_at IS NOT NULL;
  -- One row per user and emoji; the rowid keeps the order they came in.
  CREATE TABLE reactions (
    message_id TEXT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    emoji      TEXT NOT NULL,
    user_key   TEXT NOT NULL,
    user       TEXT NOT NULL,
    PRIMARY KEY (message_id, emoji, user_key)
  ) STRICT;
  -- The folded words of each message that is not deleted (search_text.ts),
  -- by the message's rowid. Contentless: the text is in messages already.
  -- detail=none keeps no positions: a search is words, never a phrase.
  -- Prefixes of 2 and 3 letters are indexed: FTS5 answers a short prefix
  -- by merging the lists of every word it starts, tens of ms at 100,000
  -- messages, and the store turns longer ones into words (search_words).
  CREATE VIRTUAL TABLE messages_fts USING fts5 (
    words, content = '', contentless_delete = 1, detail = none,
    prefix = '2 3', tokenize = "unicode61 remove_diacritics 2"
  );
  -- Every word ever indexed, so a search can turn a prefix into the few
  -- words it stands for. Words of deleted messages stay: they find nothing.
  CREATE TABLE search_words (word TEXT PRIMARY KEY) STRICT, WITHOUT ROWID;
  -- Messages stored before this version: the store indexes them at open.
  CREATE TABLE search_backfill (upto INTEGER NOT NULL);
  INSERT INTO search_backfill (upto)
    SELECT max(rowid) FROM messages HAVING max(rowid) IS NOT NULL;
  `,
  `
  -- Bans that end by themselves, the audit log and password resets (the
  -- admin page). Audit entries write names out and reference nothing, so
  -- they outlive the accounts and rooms they describe.
  ALTER TABLE bans ADD COLUMN expires_at INTEGER;
  CREATE TABLE audit_log (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    at      INTEGER NOT NULL,
    by_user TEXT NOT NULL,
    action  TEXT NOT NULL,
    target  TEXT,
    room    TEXT,
    reason  TEXT,
    address TEXT NOT NULL,
    details TEXT  -- JSON object
  ) STRICT;
  CREATE TABLE password_resets (
    token_hash TEXT PRIMARY KEY,
    user_key   TEXT NOT NULL REFERENCES accounts(key) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL
  ) STRICT, WITHOUT ROWID;
  `,
  `
  -- A room's own retention, set by an admin: NULL follows the server's
  -- --retention-days, 0 keeps its messages forever, N > 0 keeps N days.
  ALTER TABLE rooms ADD COLUMN retention_days INTEGER;
  `,
  `
  -- Bot accounts: made by an admin, used with tokens, never a password.
  ALTER TABLE accounts ADD COLUMN bot INTEGER NOT NULL DEFAULT 0;
  -- Personal access tokens, by the SHA-256 of their secret.
  CREATE TABLE api_tokens (
    id         TEXT PRIMARY KEY,
    user_key   TEXT NOT NULL REFERENCES accounts(key) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX api_tokens_user ON api_tokens (user_key);
  -- Incoming webhooks of a room, by the SHA-256 of their secret URL.
  CREATE TABLE hooks (
    id          TEXT PRIMARY KEY,
    room_key    TEXT NOT NULL REFERENCES rooms(key) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    secret_hash TEXT NOT NULL UNIQUE,
    created_by  TEXT NOT NULL,  -- name key of the account
    created_at  INTEGER NOT NULL
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX hooks_room ON hooks (room_key);
  `,
  `
  -- Messages stored and not yet in the search index, by rowid: the store
  -- indexes them a moment later, many in one transaction (sqlite.ts,
  -- #indexPending), and at open those a crash left here.
  CREATE TABLE search_pending (message INTEGER PRIMARY KEY) STRICT;
  `,
  `
  -- A push subscription lives as long as the login session or access token
  -- that made it: logging out, a session's expiry, a password changed or
  -- reset elsewhere and a revoked token take it with them, so whoever once
  -- held a credential keeps no feed of the account's private messages.
  -- Those made before could belong to anyone: browsers that still want
  -- them subscribe again when the chat next opens.
  DELETE FROM push_subscriptions;
  ALTER TABLE push_subscriptions ADD COLUMN session TEXT
    REFERENCES sessions(token_hash) ON DELETE CASCADE;
  ALTER TABLE push_subscriptions ADD COLUMN api_token TEXT
    REFERENCES api_tokens(token_hash) ON DELETE CASCADE;
  CREATE INDEX push_subscriptions_session ON push_subscriptions (session);
  CREATE INDEX push_subscriptions_api_token ON push_subscriptions (api_token);
  `,
  `
  -- Unread counts (a login counts every room of the account, up to 1000
  -- each) read only this index, never the rows: at 100 rooms of 1000
  -- unread, 20 times faster. Its cost: about 9 % more file.
  CREATE INDEX messages_unread ON messages (stream, seq, user_key)
    WHERE deleted = 0;
  `,
  `
  -- Each account's uploads add up to at most --upload-quota bytes. Their
  -- sum is kept here, one row per uploader (name key), so that an upload
  -- reads one row however many files the account keeps: summing uploads
  -- took 30 to 45 ms at each upload with 100,000 of them. The triggers
  -- keep it right for every way uploads come and go (saves, the sweep of
  -- expired and no longer carried uploads, imports); nothing else writes
  -- it. A row whose uploads are all gone stays, at 0.
  CREATE TABLE upload_usage (
    uploader TEXT PRIMARY KEY,
    bytes    INTEGER NOT NULL
  ) STRICT, WITHOUT ROWID;
  INSERT INTO upload_usage (uploader, bytes)
    SELECT uploader, sum(size) FROM uploads GROUP BY uploader;
  CREATE TRIGGER uploads_usage_add AFTER INSERT ON uploads BEGIN
    INSERT INTO upload_usage (uploader, bytes) VALUES (new.uploader, new.size)
      ON CONFLICT (uploader) DO UPDATE SET bytes = bytes + excluded.bytes;
  END;
  CREATE TRIGGER uploads_usage_remove AFTER DELETE ON uploads BEGIN
    UPDATE upload_usage SET bytes = bytes - old.size
      WHERE uploader = old.uploader;
  END;
  `,
  `
  -- A room's creation time is which incarnation of its name it is (the
  -- epoch clients resume from, and what an append names so that it never
  -- lands in a room made again under the name): a room deleted and made
  -- again within one millisecond had the same one, and a send queued for
  -- the old room went into the new. Creation times now come from this
  -- clock, each past the last one handed out (the wall clock when it is
  -- ahead), so no two rooms of one database ever share one, whichever keys
  -- they had. One row; a room made costs its update.
  CREATE TABLE room_clock (
    one  INTEGER PRIMARY KEY CHECK (one = 1),
    last INTEGER NOT NULL
  ) STRICT;
  INSERT INTO room_clock (one, last)
    SELECT 1, coalesce(max(created_at), 0) FROM rooms;
  `,
  `
  -- A deleted account's rooms kept its name key as their owner, so whoever
  -- registered the name next owned them (invites, members, pins, webhooks).
  -- Deletions now leave them an owner no account can be; this gives that
  -- owner to the rooms of accounts deleted before, the rooms whose owner
  -- is no account's key. Owners are account keys (name keys, compared
  -- exactly, as the server does); guests' rooms have none and stay so.
  -- Costs one pass over the rooms (a key look-up each), once. The marker
  -- is interpolated: it has no quote, and is fixed for good (stored).
  UPDATE rooms SET owner = '${DELETED_OWNER}'
  WHERE owner IS NOT NULL AND owner <> '${DELETED_OWNER}'
    AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.key = rooms.owner);
  `,
  `
  -- Account skeletons are computed another way (protocol/skeleton.ts: the
  -- name as written mapped too, and lower-cased last, so that R00T meets
  -- root and ADM1N meets ADMIN): the start-up fill (fillSkeletons) computes
  -- every account's again. Costs one skeleton per account, once.
  UPDATE accounts SET skeleton = NULL;
  `,
  `
  -- Each message's version: 0 when stored, one more at every change of
  -- what a reader sees of it (edit, delete, reaction, pin), in the same
  -- transaction, so a message and its version are always read together.
  -- Nodes and clients drop an update older than one they already showed
  -- (two edits from two nodes, or an edit and a reaction, may reach them in
  -- either order). A trigger, so that every way a message changes bumps it;
  -- it costs one more row write per change, never per send.
  ALTER TABLE messages ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
  CREATE TRIGGER messages_version
  AFTER UPDATE OF text, deleted, attachments, reactions, pinned_at, edited_at
  ON messages
  WHEN old.text IS NOT new.text OR old.deleted IS NOT new.deleted
    OR old.attachments IS NOT new.attachments
    OR old.reactions IS NOT new.reactions
    OR old.pinned_at IS NOT new.pinned_at
    OR old.edited_at IS NOT new.edited_at
  BEGIN
    UPDATE messages SET version = old.version + 1 WHERE rowid = new.rowid;
  END;
  `,
  `
  -- Each account's private conversations, one row per side, so that
  -- list_conversations is one index range, newest first, however many
  -- messages and conversations there are (a walk of the '@a:b' streams
  -- cannot find the ones where the account is b by index). A trigger, so
  -- that every way a private message is stored writes it in its own
  -- transaction (appends, imports); it costs two small upserts per private
  -- message, none per room message. An anonymised message (its author's
  -- account deleted: user_key '') names no side and is left out. Rows
  -- outlive a deleted account: a later holder of the name reads them with
  -- its creation time as a floor (as history does), so it never sees them.
  CREATE TABLE conversations (
    user_key  TEXT NOT NULL,
    with_key  TEXT NOT NULL,
    with_name TEXT NOT NULL,  -- as its newest message wrote it
    last_seq  INTEGER NOT NULL,
    last_id   TEXT NOT NULL,  -- ULID: sorts by time, unique (the cursor)
    last_at   INTEGER NOT NULL,
    PRIMARY KEY (user_key, with_key)
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX conversations_recent ON conversations (user_key, last_id);
  CREATE TRIGGER messages_conversations AFTER INSERT ON messages
  WHEN new.to_user IS NOT NULL AND new.user_key <> ''
  BEGIN
    INSERT INTO conversations
      (user_key, with_key, with_name, last_seq, last_id, last_at)
    VALUES (new.user_key, ${OTHER_SIDE}, new.to_user, new.seq, new.id, new.ts)
    ON CONFLICT DO UPDATE SET with_name = excluded.with_name,
      last_seq = excluded.last_seq, last_id = excluded.last_id,
      last_at = excluded.last_at
    WHERE excluded.last_seq > conversations.last_seq;
    INSERT INTO conversations
      (user_key, with_key, with_name, last_seq, last_id, last_at)
    VALUES (${OTHER_SIDE}, new.user_key, new.user, new.seq, new.id, new.ts)
    ON CONFLICT DO UPDATE SET with_name = excluded.with_name,
      last_seq = excluded.last_seq, last_id = excluded.last_id,
      last_at = excluded.last_at
    WHERE excluded.last_seq > conversations.last_seq;
  END;
  -- The conversations stored before: each one's newest message names both
  -- sides. One pass over the private messages (the newest of each stream
  -- by its index), once.
  WITH newest AS (
    SELECT m.user_key, m.user, m.to_user, m.seq, m.id, m.ts,
      ${OTHER_SIDE.replaceAll("new.", "m.")} AS other
    FROM messages m
    WHERE m.to_user IS NOT NULL AND m.user_key <> ''
      AND m.seq = (SELECT max(x.seq) FROM messages x
        WHERE x.stream = m.stream AND x.to_user IS NOT NULL
          AND x.user_key <> '')
  )
  INSERT INTO conversations
    (user_key, with_key, with_name, last_seq, last_id, last_at)
  SELECT user_key, other, to_user, seq, id, ts FROM newest
  UNION ALL
  SELECT other, user_key, user, seq, id, ts FROM newest
  WHERE other <> user_key;
  `,
  `
  -- The journal of file deletions: the hashes whose bytes must go unless an
  -- upload uses them again, recorded in the transaction that forgets their
  -- last upload (a sweep, or an upload whose bytes could not be kept). The
  -- server deletes the bytes after the commit and then the row, so a
  -- process killed in between leaves the row, and the next start finishes
  -- what it holds instead of walking every file kept. Empty but for
  -- deletions under way or cut short.
  CREATE TABLE file_deletions (hash TEXT PRIMARY KEY) WITHOUT ROWID;
  `,
  `
  -- Conversations no list may show, left by servers of before: the rows of
  -- accounts deleted before deleteAccount forgot them (no account holds
  -- their key), and the rows of conversations whose messages had all
  -- expired before retention deleted their rows (their stream holds no
  -- message). Rows under a guest's name go too: no one ever reads them
  -- (guests get no list; a later account of the name reads from its
  -- creation on, and its first message writes a row again). One pass over
  -- the rows, two index probes each; deletes only, so it may run again.
  DELETE FROM conversations AS c
  WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.key = c.user_key)
    OR NOT EXISTS (SELECT 1 FROM messages m
      WHERE m.stream IN ('@' || c.user_key || ':' || c.with_key,
                         '@' || c.with_key || ':' || c.user_key));
  `,
  `
  -- When the other side's account was deleted (ms), on the rows of those
  -- who wrote with it (deleteAccount writes it, one key probe per row of
  -- the account's own list): list_conversations says \`deleted\` while no
  -- message came since (a newer one is with whoever holds the name now).
  -- Conversations with accounts deleted before this version say nothing:
  -- a deleted account's rows were its partners' only record of it.
  ALTER TABLE conversations ADD COLUMN with_deleted_at INTEGER;
  `,
  `
  -- Uploads whose recorded dimensions the readers of before got wrong, to
  -- be read again from their bytes: a GIF's (its first frame may be larger
  -- than the screen its header declares: a 10,000 x 10,000 frame was
  -- recorded 1 x 1 and previewed inline), a JPEG's (a fill byte sent the
  -- reader to a planted 1 x 1 frame header) and an animated PNG's frames
  -- (an acTL chunk past the first 512 KiB was not seen). Their dimensions
  -- are cleared here, in the upload and in every message that carries it,
  -- so that they download from the first start on; the server then reads
  -- each one's bytes in the background (FileStorage, finishReread) and
  -- writes back what they are, a commit each. One pass over the uploads
  -- and the messages that carry the marked ones, once; a start stopped
  -- midway leaves the rest marked for the next.
  CREATE TABLE upload_rereads (id TEXT PRIMARY KEY) STRICT, WITHOUT ROWID;
  INSERT INTO upload_rereads (id)
  SELECT id FROM uploads
  WHERE width IS NOT NULL AND (type IN ('image/gif', 'image/jpeg')
    OR (type = 'image/png' AND size > 512 * 1024));
  UPDATE uploads SET width = NULL, height = NULL, frames = NULL
  WHERE id IN (SELECT id FROM upload_rereads);
  UPDATE messages SET attachments = (
    SELECT json_group_array(CASE
      -- The id in '/files/<id>/<name>', looked up by key.
      WHEN substr(a.value ->> 'url', 8,
        instr(substr(a.value ->> 'url', 8), '/') - 1)
        IN (SELECT id FROM upload_rereads)
      THEN json_remove(a.value, '$.width', '$.height', '$.frames')
      ELSE json(a.value) END ORDER BY a.key)
    FROM json_each(messages.attachments) a)
  WHERE json_type(attachments) = 'array' AND id IN (SELECT f.message_id
    FROM file_refs f JOIN upload_rereads r ON r.id = f.upload_id);
  `,
  `
  -- Whom each account ignores (ignore_user): the ignored account's private
  -- messages and invites to the ignorer are refused (a key probe each) and
  -- its mentions of it push nothing. At most MAX_IGNORED rows an account;
  -- deleteAccount deletes the rows on both sides (the index on
  -- ignored_key finds the others'). And who added each member with
  -- \`invite\` (its name key; NULL for a join of its own and for every
  -- membership of before): ignoring an account leaves the rooms it added
  -- the ignorer to, found in the ignorer's own range of memberships.
  CREATE TABLE ignores (
    user_key     TEXT NOT NULL,
    ignored_key  TEXT NOT NULL,
    ignored_name TEXT NOT NULL,
    at           INTEGER NOT NULL,
    PRIMARY KEY (user_key, ignored_key)
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX ignores_ignored ON ignores (ignored_key);
  ALTER TABLE memberships ADD COLUMN invited_by TEXT;
  `,
  `
  -- Outgoing webhooks of an account's private messages (a bot's, made by
  -- an admin as its tokens are): each one sent to the account is POSTed to
  -- the URL, signed with the secret, as a room's hooks are. They go with
  -- the account; the last columns say how deliveries went.
  CREATE TABLE private_webhooks (
    id              TEXT PRIMARY KEY,
    user_key        TEXT NOT NULL REFERENCES accounts(key) ON DELETE CASCADE,
    url             TEXT NOT NULL,
    secret          TEXT NOT NULL,
    created_by      TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    failures        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    last_status     INTEGER,
    last_failure_at INTEGER,
    last_success_at INTEGER
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX private_webhooks_user ON private_webhooks (user_key, created_at);
  `,
  `
  -- Accounts that never logged in (a bot that only ever used the REST API)
  -- had no row in general, though every account belongs to it: a login
  -- wrote it. Accounts now get it at their creation; these get theirs
  -- here, read to the end, as the first members did. Inserts of what is
  -- missing only, so it may run again.
  INSERT INTO memberships (user_key, room_key, joined_at)
    SELECT a.key, r.key, a.created_at FROM accounts a, rooms r
    WHERE r.key = 'general'
    ON CONFLICT DO NOTHING;
  INSERT INTO read_positions (user_key, stream, last_read_seq)
    SELECT m.user_key, m.room_key, s.last_seq
    FROM memberships m JOIN streams s ON s.key = m.room_key
    WHERE m.room_key = 'general'
    ON CONFLICT DO NOTHING;
  `,
  `
  -- Each account's unsent text per room or conversation (stream: a room
  -- key or a conversation's key; with_name: the other side's name as the
  -- account wrote it), so that it follows the account to its devices. The
  -- primary key is the one index: a login lists an account's drafts, a
  -- change writes one row.
  CREATE TABLE drafts (
    user_key TEXT NOT NULL,
    stream TEXT NOT NULL,
    with_name TEXT,
    text TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (user_key, stream)
  ) STRICT, WITHOUT ROWID;
  `,
  `
  -- A room's topic (set_topic): one line of plain text, NULL for none. A
  -- column of rooms, so a rename's copy of the row carries it.
  ALTER TABLE rooms ADD COLUMN topic TEXT;
  `,
  `
  -- Each account's notification level per room or conversation (stream: a
  -- room key or a conversation's key; with_name: the other side's name as
  -- the account wrote it; level: 'all' or 'none', the default 'mentions'
  -- has no row), so that every device and Web Push honour one choice. The
  -- primary key is the one index: a login lists an account's rows, a push
  -- probes one.
  CREATE TABLE notification_levels (
    user_key TEXT NOT NULL,
    stream TEXT NOT NULL,
    with_name TEXT,
    level TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (user_key, stream)
  ) STRICT, WITHOUT ROWID;
  `,
  `
  -- Drafts of rooms their account left: a leave, a removal, a room ban
  -- and a room's deletion delete them now (they stayed, unseen, and came
  -- back to a room made again under the name). Deletes only: it may run
  -- again.
  DELETE FROM drafts
  WHERE substr(stream, 1, 1) <> '@' AND NOT EXISTS (
    SELECT 1 FROM memberships m
    WHERE m.user_key = drafts.user_key AND m.room_key = drafts.stream);
  `,
  `
  -- Drafts and notification levels of rooms no longer there: a rename left
  -- them under the old key and a deletion left the levels (a muted room
  -- was back at 'mentions' after a rename, and muted again when a room of
  -- the old name was made). A rename moves them now, a deletion takes
  -- them; these deletes, which may run again, clear what was left.
  DELETE FROM drafts
  WHERE substr(stream, 1, 1) <> '@'
    AND NOT EXISTS (SELECT 1 FROM rooms r WHERE r.key = drafts.stream);
  DELETE FROM notification_levels
  WHERE substr(stream, 1, 1) <> '@' AND NOT EXISTS (
    SELECT 1 FROM rooms r WHERE r.key = notification_levels.stream);
  `,
  `
  -- Do not disturb (set_do_not_disturb): until when, in ms since the
  -- epoch, no push goes to the account and its web clients raise no alert;
  -- NULL (or a time past) for none. A column of accounts: a push probes it
  -- by the key it has, and export/import carry it with the account. The
  -- partial index lists, per message of a room, the members who set it to
  -- 'all' (Web Push sends them every message): a range of the few rows at
  -- 'all', not a scan of every account's levels.
  ALTER TABLE accounts ADD COLUMN do_not_disturb_until INTEGER;
  CREATE INDEX notification_levels_all ON notification_levels (stream)
    WHERE level = 'all';
  `,
  `
  -- Saved messages (save_message): the messages each account keeps to
  -- come back to, on every device. One row per account and message id; the
  -- primary key serves a save's probe and its cap's count, the index the
  -- list, newest saved first. Whether the account may still read the
  -- message is asked when it is listed (a room left hides it, a room
  -- joined again shows it); a deleted account's rows go with it.
  CREATE TABLE saved_messages (
    user_key TEXT NOT NULL,
    message_id TEXT NOT NULL,
    saved_at INTEGER NOT NULL,
    PRIMARY KEY (user_key, message_id)
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX saved_messages_newest
    ON saved_messages (user_key, saved_at, message_id);
  `,
  `
  -- Notification levels and drafts by room (stream), so that a room's
  -- deletion (or expiry) deletes its levels, and a rename moves its levels
  -- and drafts, as a range rather than a scan of every account's rows
  -- (their primary keys start with the account). At 200,000 rows of each,
  -- a room's 100 levels were deleted in 19 to 135 ms, now 0.8 to 1.0
  -- (docs/security.md). Cost: one more index write per set_notify_level
  -- and per draft saved. Indexes only: it may run again.
  CREATE INDEX IF NOT EXISTS notification_levels_stream
    ON notification_levels (stream);
  CREATE INDEX IF NOT EXISTS drafts_stream ON drafts (stream);
  `,
  `
  -- A message's thread (list_replies, reply_count): its replies by seq.
  -- (reply_to, seq) replaces (reply_to): it still finds a message's
  -- replies, and also pages them in order and gives a message's reply
  -- count and newest reply from the index alone, as every read of
  -- messages now asks (docs/performance.md, "A message's thread"). A
  -- delete clears its reply_to, so only live replies are in it. Cost: the
  -- index entry of a reply is a few bytes wider.
  CREATE INDEX IF NOT EXISTS messages_reply_seq ON messages (reply_to, seq)
    WHERE reply_to IS NOT NULL;
  DROP INDEX IF EXISTS messages_reply_to;
  `,
  `
  -- One index of a room's messages instead of two: every message wrote its
  -- room's leaf of messages_stream_seq (stream, seq) and of messages_unread
  -- (stream, seq, user_key, for the unread counts), two pages a room in
  -- each commit's WAL. This one serves both, and the deleted messages the
  -- counts skip are read from it, never from the rows. It cannot be
  -- UNIQUE on (stream, seq) alone (SQLite has no INCLUDE), so the trigger
  -- keeps a seq once a stream: a probe of the leaf the insert writes next.
  CREATE INDEX messages_stream_seq_author
    ON messages (stream, seq, user_key, deleted);
  DROP INDEX messages_unread;
  DROP INDEX messages_stream_seq;
  CREATE TRIGGER messages_seq_unique BEFORE INSERT ON messages
  WHEN EXISTS (SELECT 1 FROM messages
    WHERE stream = new.stream AND seq = new.seq)
  BEGIN
    SELECT RAISE(ABORT, 'UNIQUE constraint failed: messages.stream, messages.seq');
  END;
  CREATE TRIGGER messages_seq_unique_update
  BEFORE UPDATE OF stream, seq ON messages
  WHEN EXISTS (SELECT 1 FROM messages
    WHERE stream = new.stream AND seq = new.seq AND rowid <> new.rowid)
  BEGIN
    SELECT RAISE(ABORT, 'UNIQUE constraint failed: messages.stream, messages.seq');
  END;
  `,
  `
  -- How many replies left a message's thread (deleted, which clears
  -- their reply_to, or gone), so that a thread's states are ordered: its
  -- thread_version, served with its count, is its live replies plus twice
  -- this (one per reply stored, one per reply that left), which only
  -- grows. Two replies_updated of one thread may reach a reader in either
  -- order (nodes read and publish at once); the reader keeps the higher
  -- (docs/protocol.md, "Threads"). Counted on the root by triggers, so
  -- every way a reply leaves counts; a reply sent writes nothing more.
  -- Cost: one row write on the root per reply deleted.
  ALTER TABLE messages ADD COLUMN replies_gone INTEGER NOT NULL DEFAULT 0;
  CREATE TRIGGER messages_reply_left
  AFTER UPDATE OF reply_to ON messages
  WHEN old.reply_to IS NOT NULL AND old.reply_to IS NOT new.reply_to
  BEGIN
    UPDATE messages SET replies_gone = replies_gone + 1
    WHERE id = old.reply_to;
  END;
  CREATE TRIGGER messages_reply_gone AFTER DELETE ON messages
  WHEN old.reply_to IS NOT NULL
  BEGIN
    UPDATE messages SET replies_gone = replies_gone + 1
    WHERE id = old.reply_to;
  END;
  `,
  `
  -- A custom status (set_status): a short text, an emoji and until when
  -- (ms since the epoch), as Slack's, Zulip's and Mattermost's; NULL text
  -- for none. Columns of accounts: get_status reads them by the keys it
  -- has, a deleted account takes its status with it, and export/import
  -- carry them with the account. An expired one stays until it is set
  -- again; reads leave it out.
  ALTER TABLE accounts ADD COLUMN status_text TEXT;
  ALTER TABLE accounts ADD COLUMN status_emoji TEXT;
  ALTER TABLE accounts ADD COLUMN status_until INTEGER;
  `,
  `
  -- An archived room (archive_room): it takes no new messages, edits,
  -- reactions, pins, topic or invites, and stays readable and searchable
  -- until unarchive_room. 0 or 1; a column of rooms, so a rename's copy of
  -- the row carries it and export/import carry it with the room.
  ALTER TABLE rooms ADD COLUMN archived INTEGER NOT NULL DEFAULT 0;
  `,
  `
  -- User groups (create_group), as Slack's user groups, Zulip's groups
  -- and Mattermost's custom groups: one @name mentions every member. The
  -- name key shares the accounts' namespace (neither may take the
  -- other's). A deleted account leaves its groups (its member rows go
  -- with it) and the groups it created stay, without a creator.
  CREATE TABLE user_groups (
    key         TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    creator_key TEXT REFERENCES accounts(key) ON DELETE SET NULL,
    created_at  INTEGER NOT NULL
  ) STRICT, WITHOUT ROWID;
  CREATE TABLE group_members (
    group_key TEXT NOT NULL REFERENCES user_groups(key) ON DELETE CASCADE,
    user_key  TEXT NOT NULL REFERENCES accounts(key) ON DELETE CASCADE,
    PRIMARY KEY (group_key, user_key)
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX group_members_user ON group_members (user_key);
  CREATE INDEX user_groups_creator ON user_groups (creator_key);
  `,
  `
  -- Profile pictures (PUT /api/me/avatar): an account's current picture is
  -- an upload (its bytes kept by hash as shared files are, counted in its
  -- uploader's usage) named here. The sweep leaves an upload named here
  -- alone; a picture replaced or removed, or its account deleted (the
  -- cascade), takes its upload with it at once, and its bytes' hash is
  -- recorded for deletion when no other upload uses them, as deleteUpload
  -- does. One row per account; its upload_id is unique (the sweep's probe).
  CREATE TABLE avatars (
    user_key  TEXT PRIMARY KEY REFERENCES accounts(key) ON DELETE CASCADE,
    upload_id TEXT NOT NULL UNIQUE
  ) STRICT, WITHOUT ROWID;
  CREATE TRIGGER avatars_gone AFTER DELETE ON avatars BEGIN
    INSERT INTO file_deletions (hash)
      SELECT u.hash FROM uploads u WHERE u.id = old.upload_id
        AND NOT EXISTS (SELECT 1 FROM uploads o
          WHERE o.hash = u.hash AND o.id <> u.id)
      ON CONFLICT DO NOTHING;
    DELETE FROM uploads WHERE id = old.upload_id;
  END;
  CREATE TRIGGER avatars_replaced AFTER UPDATE OF upload_id ON avatars
  WHEN old.upload_id <> new.upload_id BEGIN
    INSERT INTO file_deletions (hash)
      SELECT u.hash FROM uploads u WHERE u.id = old.upload_id
        AND NOT EXISTS (SELECT 1 FROM uploads o
          WHERE o.hash = u.hash AND o.id <> u.id)
      ON CONFLICT DO NOTHING;
    DELETE FROM uploads WHERE id = old.upload_id;
  END;
  `,
  `
  -- Confusable skeletons (UTS #39) of group names, as accounts keep theirs:
  -- a register of a look-alike of a group's name is refused as one of an
  -- account's is, and a group of an account's look-alike in the same
  -- transaction that writes it. Groups from before get theirs at start-up
  -- (fillSkeletons). Costs one skeleton per group, once.
  ALTER TABLE user_groups ADD COLUMN skeleton TEXT;
  CREATE INDEX user_groups_skeleton ON user_groups (skeleton);
  `,
  `
  -- Recent mentions (list_mentions): each mention row holds its message's
  -- id, so that an account's mentions are one range of (user_key,
  -- message_id) walked newest first, a page read in order and stopped
  -- when full, with no sort of them all. A row written without it (an
  -- import) gets it from its message.
  ALTER TABLE mentions ADD COLUMN message_id TEXT;
  UPDATE mentions SET message_id = (
    SELECT m.id FROM messages m
    WHERE m.stream = mentions.stream AND m.seq = mentions.seq);
  CREATE INDEX mentions_newest ON mentions (user_key, message_id);
  CREATE TRIGGER mentions_message_id AFTER INSERT ON mentions
  WHEN new.message_id IS NULL
  BEGIN
    UPDATE mentions SET message_id = (
      SELECT m.id FROM messages m
      WHERE m.stream = new.stream AND m.seq = new.seq)
    WHERE user_key = new.user_key AND stream = new.stream AND seq = new.seq;
  END;
  `,
  `
  -- Reminders on saved messages (save_message's remind_at), as Slack's
  -- "Remind me about this": when, in ms since the epoch, the account is
  -- to be reminded of a message it saved; NULL for none. The partial index
  -- holds only the rows with a reminder: each node's sweep (reminders.ts)
  -- reads the due ones from its start, a range of the few set, never a
  -- scan of every saved row. Cost: one more index write per reminder set
  -- or fired; none for a save without one. remind_lease is until when (ms)
  -- the node that claimed a due reminder holds it: the row is cleared only
  -- once that node published it, and a lease run out (the node died or
  -- failed to publish) lets any node claim it again: at least once.
  ALTER TABLE saved_messages ADD COLUMN remind_at INTEGER;
  ALTER TABLE saved_messages ADD COLUMN remind_lease INTEGER;
  CREATE INDEX saved_messages_due ON saved_messages (remind_at)
    WHERE remind_at IS NOT NULL;
  `,
  `
  -- Threads the account takes part in (list_threads), as Slack's Threads:
  -- one row per account and thread root, written after each reply for its
  -- author, the root's author and those the reply @names (the reply's
  -- last_at and, for its author, last_read_seq). The index by (user_key,
  -- last_at, root_id) serves the list, newest activity first; the one by
  -- root_id moves every follower's last_at on a reply. Whether the account
  -- may still read the root is asked when it is listed; a deleted
  -- account's rows go with it. Cost: a reply writes a row or two per
  -- follower of its thread.
  CREATE TABLE thread_follows (
    user_key      TEXT NOT NULL,
    root_id       TEXT NOT NULL,
    last_at       INTEGER NOT NULL,
    last_read_seq INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (user_key, root_id)
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX thread_follows_newest
    ON thread_follows (user_key, last_at, root_id);
  CREATE INDEX thread_follows_root ON thread_follows (root_id);
  `,
  `
  -- The @room markers of an account's rooms (list_mentions): a
  -- partial index of the markers alone by (stream, message_id), so that a
  -- page reads the markers of the account's rooms only, each room's
  -- newest first, not the server's markers newest first keeping those of
  -- its rooms (which walked past every marker of the rooms it is not in).
  -- Cost: one more index entry per @room message, none for others.
  CREATE INDEX mentions_room_markers ON mentions (stream, message_id)
    WHERE user_key = '@room';
  `,
  `
  -- Scheduled messages (schedule_message), as Slack's "Send later": one
  -- row per message an account wrote to be sent at send_at (ms since the
  -- epoch), to a room (room, its name as written, and room_key, whose
  -- deletion takes the row) or a person (to_name). attachments is the
  -- send's JSON array of URLs. The index by (user_key, send_at, id) serves
  -- list_scheduled and counts the cap of 100; the one by send_at is where
  -- each node's sweep (reminders.ts) claims the due ones; lease is until
  -- when (ms) the node that claimed one holds it, as saved_messages'
  -- remind_lease. Cost: a row and three index entries per scheduled
  -- message, written once, removed once sent.
  CREATE TABLE scheduled_messages (
    id          TEXT PRIMARY KEY,
    user_key    TEXT NOT NULL,
    room        TEXT,
    room_key    TEXT,
    to_name     TEXT,
    text        TEXT NOT NULL,
    attachments TEXT,
    reply_to    TEXT,
    send_at     INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    lease       INTEGER
  ) STRICT;
  CREATE INDEX scheduled_messages_account
    ON scheduled_messages (user_key, send_at, id);
  CREATE INDEX scheduled_messages_due ON scheduled_messages (send_at);
  CREATE INDEX scheduled_messages_room ON scheduled_messages (room_key)
    WHERE room_key IS NOT NULL;
  `,
  `
  -- Two-factor authentication (totp_setup, totp_enable): an account's
  -- TOTP secret in clear (the server computes its codes, as Mattermost
  -- keeps them by default), a setup's secret waiting for its first code,
  -- and the last 30 s step whose code was accepted (a code works once).
  -- Its recovery codes are SHA-256 hashes, a row each, deleted when used.
  -- Both go with their account. Cost: a password login of an account
  -- reads a row by its key.
  CREATE TABLE totp (
    user_key       TEXT PRIMARY KEY REFERENCES accounts(key) ON DELETE CASCADE,
    secret         TEXT,
    pending_secret TEXT,
    last_step      INTEGER NOT NULL DEFAULT 0
  ) STRICT;
  CREATE TABLE totp_recovery_codes (
    user_key  TEXT NOT NULL REFERENCES accounts(key) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    PRIMARY KEY (user_key, code_hash)
  ) STRICT, WITHOUT ROWID;
  `,
  `
  -- Link previews (server/link_previews/): a JSON array of {url, title,
  -- description, site_name}, written after the message was sent; NULL
  -- while none was fetched (or an edit cleared them), '[]' once removed.
  -- The version follows them as it follows reactions, so a reader keeps
  -- the copy that has them: the trigger is made again with the column.
  -- Cost: the column is NULL (no bytes) on messages without links.
  ALTER TABLE messages ADD COLUMN previews TEXT;
  DROP TRIGGER messages_version;
  CREATE TRIGGER messages_version
  AFTER UPDATE OF text, deleted, attachments, reactions, pinned_at, edited_at,
    previews
  ON messages
  WHEN old.text IS NOT new.text OR old.deleted IS NOT new.deleted
    OR old.attachments IS NOT new.attachments
    OR old.reactions IS NOT new.reactions
    OR old.pinned_at IS NOT new.pinned_at
    OR old.edited_at IS NOT new.edited_at
    OR old.previews IS NOT new.previews
  BEGIN
    UPDATE messages SET version = old.version + 1 WHERE rowid = new.rowid;
  END;
  `,
  `
  -- Who posts in a room (set_room_posting): 'everyone', or 'moderators'
  -- (an announcement room: its owner, moderators and admins). A column of
  -- rooms, so a rename's copy of the row and export/import carry it.
  ALTER TABLE rooms ADD COLUMN posting TEXT NOT NULL DEFAULT 'everyone';
  `,
  `
  -- Polls (create_poll, server/polls.ts): the poll a message carries and
  -- its votes, as JSON; NULL on every other message (no bytes). The
  -- version follows it as it follows reactions, so a reader keeps the
  -- latest count: the trigger is made again with the column.
  ALTER TABLE messages ADD COLUMN poll TEXT;
  DROP TRIGGER messages_version;
  CREATE TRIGGER messages_version
  AFTER UPDATE OF text, deleted, attachments, reactions, pinned_at, edited_at,
    previews, poll
  ON messages
  WHEN old.text IS NOT new.text OR old.deleted IS NOT new.deleted
    OR old.attachments IS NOT new.attachments
    OR old.reactions IS NOT new.reactions
    OR old.pinned_at IS NOT new.pinned_at
    OR old.edited_at IS NOT new.edited_at
    OR old.previews IS NOT new.previews
    OR old.poll IS NOT new.poll
  BEGIN
    UPDATE messages SET version = old.version + 1 WHERE rowid = new.rowid;
  END;
  -- An account's deletion finds the polls it may have voted in here.
  CREATE INDEX messages_polls ON messages (id) WHERE poll IS NOT NULL;
  `,
  `
  -- Custom emoji (PUT /api/emoji/:name): a team's own pictures, each an
  -- upload (its bytes kept by hash as profile pictures' are) named here.
  -- The sweep leaves an upload named here alone; an emoji removed takes
  -- its upload with it at once, and its bytes' hash is recorded for
  -- deletion when no other upload uses them. The emoji is the team's: its
  -- author's deletion leaves it, without an author, as a group's creator.
  CREATE TABLE custom_emoji (
    name       TEXT PRIMARY KEY,
    upload_id  TEXT NOT NULL UNIQUE,
    author_key TEXT REFERENCES accounts(key) ON DELETE SET NULL,
    created_at INTEGER NOT NULL
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX custom_emoji_author ON custom_emoji (author_key);
  CREATE TRIGGER custom_emoji_gone AFTER DELETE ON custom_emoji BEGIN
    INSERT INTO file_deletions (hash)
      SELECT u.hash FROM uploads u WHERE u.id = old.upload_id
        AND NOT EXISTS (SELECT 1 FROM uploads o
          WHERE o.hash = u.hash AND o.id <> u.id)
      ON CONFLICT DO NOTHING;
    DELETE FROM uploads WHERE id = old.upload_id;
  END;
  `,
  `
  -- Starred rooms and conversations (star), on every device: one row per
  -- account and stream (a room key or a conversation's key; with_name: the
  -- other side's name as the account wrote it). The rows go with their
  -- account (the foreign key), with their room (deleteRoom) and follow its
  -- renames; a leave keeps them (a rejoin shows the star again). The index
  -- by stream makes a room's deletion and rename a range. Cost: two index
  -- writes per star.
  CREATE TABLE stars (
    user_key TEXT NOT NULL REFERENCES accounts(key) ON DELETE CASCADE,
    stream TEXT NOT NULL,
    with_name TEXT,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (user_key, stream)
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX stars_stream ON stars (stream);
  `,
  `
  -- Edit history (message_edits): each edit keeps the text it replaced,
  -- with when that text was written (the message's ts for its first, the
  -- edit's time for the next), in rowid order. At most the last
  -- MAX_KEPT_EDITS a message: an edit past them drops the oldest. The rows
  -- go with their message: a delete (updateMessage) removes them, as it
  -- clears the text; a room's deletion, retention and a waiting private
  -- message's account deletion remove the message row (the foreign key).
  -- Cost: one row and two index writes per edit, nothing per message sent;
  -- a message's deletion probes the index once.
  CREATE TABLE message_edits (
    message_id TEXT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    text       TEXT NOT NULL,
    ts         INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX message_edits_message ON message_edits (message_id);
  `,
  `
  -- Forwarded messages (forward_message): the copy of the original a
  -- forward carries, as JSON, written once in the commit after its
  -- append (as a poll's); NULL on every other message (no bytes). Not in
  -- the version's trigger: it is set before the message is published, and
  -- never changed after but by the forward's own delete.
  ALTER TABLE messages ADD COLUMN forwarded TEXT;
  `,
  `
  -- A profile card (set_profile), as Slack's and Mattermost's: a title
  -- (up to 80 characters, a label's rules) and an IANA time zone, NULL
  -- for none. Columns of accounts, as the custom status's: get_profile
  -- reads them by the key it has, a deleted account takes them with it,
  -- and export/import carry them with the account. No index: read by key.
  ALTER TABLE accounts ADD COLUMN profile_title TEXT;
  ALTER TABLE accounts ADD COLUMN profile_timezone TEXT;
  `,
  `
  -- A forward's copy is blanked once its original is deleted (read so,
  -- store/sqlite_rows.ts); the original's delete finds its forwards here
  -- to tell their readers. Partial: a plain message writes no entry.
  CREATE INDEX messages_forwards ON messages (forwarded ->> '$.id')
    WHERE forwarded IS NOT NULL;
  `,
  `
  -- Sidebar sections (set_sections), on every device: a row per section
  -- and one per item, by position. An item's stream is a room key or a
  -- conversation's key (with_name: the other side's name as the account
  -- wrote it; with_key: its account's key). The rows go with their account
  -- and an item with the other side's account (the foreign keys: a
  -- later holder of the name is someone else; a range of
  -- sidebar_items_with), an item with its room (deleteRoom), and follows
  -- a room's renames (a range of sidebar_items_stream). Cost: nothing per
  -- message; a layout's write is at most 550 rows.
  CREATE TABLE sidebar_sections (
    user_key TEXT NOT NULL REFERENCES accounts(key) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    collapsed INTEGER NOT NULL,
    PRIMARY KEY (user_key, position)
  ) STRICT, WITHOUT ROWID;
  CREATE TABLE sidebar_items (
    user_key TEXT NOT NULL REFERENCES accounts(key) ON DELETE CASCADE,
    stream TEXT NOT NULL,
    with_name TEXT,
    with_key TEXT REFERENCES accounts(key) ON DELETE CASCADE,
    section INTEGER NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (user_key, stream)
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX sidebar_items_stream ON sidebar_items (stream);
  CREATE INDEX sidebar_items_with ON sidebar_items (with_key)
    WHERE with_key IS NOT NULL;
  `,
  `
  -- A search by its author alone (search's from, sqlite_search.ts): an
  -- author's messages newest first, the key then the rowid (every index
  -- ends with it), so a rare author's few messages are read at once
  -- instead of 4,096 rows a page. IF NOT EXISTS: a rewound schema runs it
  -- again. Cost: one entry in one more b-tree per message (MEASURED:
  -- docs/performance.md, "A search by its filters alone").
  CREATE INDEX IF NOT EXISTS messages_author ON messages (user_key);
  `,
  `
  -- The search index moves to a file of its own beside this one
  -- (<db>-search), written by a thread (search_index_worker.ts): its
  -- tables go from here, and a store opening this file builds it there
  -- from 0 (about 6 s of the second core at a million messages, searches
  -- waiting meanwhile). What changes a message's words once stored (an
  -- edit, a delete, expiry, a room's deletion, an account's) is written
  -- to search_changes by the triggers below, which that thread applies in
  -- order (search_index_file.ts) and the store trims as it hears of its
  -- marks; AUTOINCREMENT, so that a change's number is never given again
  -- (an index's mark past the last one says it belongs to a newer file).
  -- Cost: a row a changed message; nothing a stored one.
  DROP TABLE IF EXISTS messages_fts;
  DROP TABLE IF EXISTS search_words;
  DROP TABLE IF EXISTS search_pending;
  DROP TABLE IF EXISTS search_backfill;
  CREATE TABLE search_changes (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    message INTEGER NOT NULL
  ) STRICT;
  CREATE TRIGGER search_changes_text AFTER UPDATE OF text ON messages
  BEGIN
    INSERT INTO search_changes (message) VALUES (old.rowid);
  END;
  CREATE TRIGGER search_changes_gone AFTER DELETE ON messages
  BEGIN
    INSERT INTO search_changes (message) VALUES (old.rowid);
  END;
  `,
  `
  -- Names left by accounts anonymised before delete_account renamed them
  -- there too: the \`with\` of the copies of their conversations' messages
  -- that the other side forwarded, and the \`to\` of the other side's
  -- messages to them (a forward made since took it as \`with\`). A copy's
  -- \`with\` is its original's \`to\` when the author forwarded it, else its
  -- author's name. Whom anonymise took: an author, by its message's empty
  -- key; a recipient, who may have written nothing, by the audit log, whose
  -- delete_account entry (written in the deletion's commit ever since
  -- anonymise was) names the account as \`to\` does: the first one of the
  -- name after the message is the deletion of the account it was sent to,
  -- and says how. A copy naming an account still there, or deleted with its
  -- messages kept, stays. Copies first, while the originals' \`to\` tells
  -- whom they name. Cost: one pass over the forwards (messages_forwards),
  -- an id probe each, and one over the messages, the names anonymised held
  -- in memory (the deletions are few); updates only, so it may run again.
  WITH deletions AS MATERIALIZED (
    SELECT id, at, target, details ->> '$.messages' AS how
    FROM audit_log WHERE action = 'delete_account'
  )
  UPDATE messages SET forwarded = json_set(forwarded, '$.with', 'deleted user')
  WHERE forwarded IS NOT NULL AND forwarded ->> '$.with' IS NOT NULL
    AND forwarded ->> '$.with' <> 'deleted user'
    AND EXISTS (SELECT 1 FROM messages o
      WHERE o.id = messages.forwarded ->> '$.id' AND o.to_user IS NOT NULL
        AND CASE WHEN messages.forwarded ->> '$.with' = o.to_user
          THEN (SELECT d.how FROM deletions d
            WHERE d.target = o.to_user AND d.at >= o.ts
            ORDER BY d.at, d.id LIMIT 1) = 'anonymise'
          ELSE o.user_key = '' END);
  WITH deletions AS MATERIALIZED (
    SELECT id, at, target, details ->> '$.messages' AS how
    FROM audit_log WHERE action = 'delete_account'
  )
  UPDATE messages SET to_user = 'deleted user'
  WHERE to_user IN (SELECT target FROM deletions WHERE how = 'anonymise')
    AND (SELECT d.how FROM deletions d
      WHERE d.target = messages.to_user AND d.at >= messages.ts
      ORDER BY d.at, d.id LIMIT 1) = 'anonymise';
  `,
  `
  -- An account's email address (set_email), whether its owner opened the
  -- link mailed to it, and that link's token: its SHA-256 alone, and when
  -- it stops working. One link at a time: a new address (or a new link)
  -- replaces it, so an older link verifies nothing. The token's index is
  -- partial: only accounts with a link waiting are in it. Cost: four
  -- columns of the account's row, NULL for most.
  ALTER TABLE accounts ADD COLUMN email TEXT;
  ALTER TABLE accounts ADD COLUMN email_verified INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE accounts ADD COLUMN email_token_hash TEXT;
  ALTER TABLE accounts ADD COLUMN email_token_expires INTEGER;
  CREATE UNIQUE INDEX accounts_email_token ON accounts (email_token_hash)
    WHERE email_token_hash IS NOT NULL;
  `,
  `
  -- "Forgot password?" by address (POST /api/forgot-password) finds the
  -- accounts whose VERIFIED address it is, compared without case: an
  -- index of those alone, so the look-up is a probe whatever the number
  -- of accounts (an unverified address is never mailed a reset). Cost:
  -- one entry per verified account.
  CREATE INDEX accounts_verified_email ON accounts (lower(email))
    WHERE email_verified = 1;
  `,
  `
  -- Missed-message mails (mail/missed_mail.ts): whether the account wants
  -- them and in which language (a column each of its row, on by default),
  -- and the queue: a row per account with a mail waiting (when it is due,
  -- the lease of the node sending it), and a row per message it holds.
  -- Cost: two columns of every account's row; the queue's rows live from
  -- a message missed until its mail went, a few minutes.
  ALTER TABLE accounts ADD COLUMN missed_mail INTEGER NOT NULL DEFAULT 1;
  ALTER TABLE accounts ADD COLUMN mail_language TEXT NOT NULL DEFAULT 'en';
  CREATE TABLE missed_mails (
    user_key TEXT PRIMARY KEY,
    due_at INTEGER NOT NULL,
    lease INTEGER
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX missed_mails_due ON missed_mails (due_at);
  CREATE TABLE missed_messages (
    user_key TEXT NOT NULL,
    message_id TEXT NOT NULL,
    stream TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (user_key, message_id)
  ) STRICT, WITHOUT ROWID;
  `,
  `
  -- The search index lists a message's words under its audience (public
  -- rooms, a private room, each person of a conversation:
  -- search_index_file.ts): a room that turns private or public has its
  -- messages' words moved, as an edit's are. Cost: a row of
  -- search_changes a message of the room, once.
  CREATE TRIGGER search_changes_privacy AFTER UPDATE OF private ON rooms
  WHEN old.private <> new.private
  BEGIN
    INSERT INTO search_changes (message)
      SELECT rowid FROM messages WHERE stream = new.key;
  END;
  `,
  `
  -- Mails a team would expect (mail/missed_mail.ts, forgot_password.ts):
  -- each account's address as a mailbox key (protocol/mailbox_key.ts: NFKC,
  -- Unicode's lower case), which "Forgot password?" by address compares:
  -- lower() folds A-Z only, so ÉLISE@ never found élise@. The key is
  -- written with the address; the start-up fills it for rows from before
  -- (fillMailboxKeys). And a mail's count of the messages past the 50 it
  -- holds, which it then tells rather than dropping them unsaid. Cost: a
  -- column of the account's row (NULL for most) and its index's entry per
  -- verified account, which replaces the one by lower(email); a column of
  -- a mail waiting.
  ALTER TABLE accounts ADD COLUMN email_key TEXT;
  DROP INDEX accounts_verified_email;
  CREATE INDEX accounts_verified_email_key ON accounts (email_key)
    WHERE email_verified = 1;
  ALTER TABLE missed_mails ADD COLUMN more INTEGER NOT NULL DEFAULT 0;
  `,
  `
  -- A missed-message mail's language chosen or not (--mail-language): NULL
  -- for an account that never chose one, whose mails are in the server's
  -- language. The old column's 'en' was also its default, written for
  -- every account, and no record tells the two apart: 'en' becomes NULL
  -- (an account that did choose English on a server that mails French
  -- chooses again; most never chose), 'fr' stays (only ever chosen).
  -- SQLite changes no column's NOT NULL: a new column takes its place.
  -- Cost: one pass over the accounts, rewriting their table, once.
  ALTER TABLE accounts ADD COLUMN mail_language_chosen TEXT;
  UPDATE accounts SET mail_language_chosen = mail_language
  WHERE mail_language <> 'en';
  ALTER TABLE accounts DROP COLUMN mail_language;
  ALTER TABLE accounts RENAME COLUMN mail_language_chosen TO mail_language;
  `,
];
