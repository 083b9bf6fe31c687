import { DELETED_OWNER } from "./mod.ts";

/**
 * The PostgreSQL schema, as versioned migrations: entry i brings a database
 * from schema version i to i + 1 (the highest `version` in the
 * `schema_version` table, 0 before the first). Never edit a shipped entry;
 * add one. Times are milliseconds since the epoch in BIGINT columns, as in
 * the SQLite schema, so both stores keep the same values.
 *
 * Work that needs several statements under one lock (a group commit, a
 * room's deletion, the first account) is a function here, called in one
 * statement: the store never holds a transaction open across round trips.
 */
export const POSTGRES_MIGRATIONS: readonly string[] = [
  `
  -- Rooms and private conversations are both streams of messages with
  -- their own gap-free seq. A conversation's key is '@a:b' (sorted keys).
  -- An append locks its stream's row, so seqs are handed out one at a time
  -- across every server process sharing the database.
  CREATE TABLE streams (
    key      TEXT PRIMARY KEY,
    last_seq BIGINT NOT NULL DEFAULT 0
  );
  CREATE TABLE rooms (
    key        TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    -- Creation order when two rooms share a millisecond.
    position   BIGINT GENERATED ALWAYS AS IDENTITY
  );
  CREATE TABLE messages (
    stream     TEXT NOT NULL,
    seq        BIGINT NOT NULL,
    id         TEXT NOT NULL UNIQUE,
    user_key   TEXT NOT NULL,
    user_name  TEXT NOT NULL,
    room       TEXT,           -- display name, for room messages
    to_user    TEXT,           -- display name, for private messages
    text       TEXT NOT NULL,
    ts         BIGINT NOT NULL,
    client_id  TEXT,
    pending_to TEXT,           -- recipient key until a private message is delivered
    PRIMARY KEY (stream, seq)
  );
  -- The last guard of idempotency: chat_append looks before it inserts.
  CREATE UNIQUE INDEX messages_client_id
    ON messages (stream, user_key, client_id) WHERE client_id IS NOT NULL;
  CREATE INDEX messages_pending ON messages (pending_to) WHERE pending_to IS NOT NULL;
  CREATE TABLE accounts (
    key           TEXT PRIMARY KEY,
    username      TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'moderator', 'user')),
    created_at    BIGINT NOT NULL
  );
  CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_key   TEXT NOT NULL REFERENCES accounts(key) ON DELETE CASCADE,
    expires_at BIGINT NOT NULL
  );
  CREATE INDEX sessions_expires_at ON sessions (expires_at);
  CREATE TABLE bans (
    user_key   TEXT NOT NULL,
    address    TEXT NOT NULL DEFAULT '',  -- '' bans the name itself
    room_key   TEXT NOT NULL DEFAULT '',  -- '' bans from the whole server
    reason     TEXT NOT NULL,
    by_user    TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_key, address, room_key)
  );
  CREATE INDEX bans_address ON bans (address) WHERE address <> '';
  CREATE INDEX bans_room_key ON bans (room_key);

  -- A group commit: stores a JSON array of appends in one transaction and
  -- returns one row per append (by "ord"): the stored message, the first
  -- message of a retried client_id (r_duplicate), or r_seq NULL when the
  -- room does not exist. Callers sort the appends by stream, so every
  -- process takes the streams' row locks in the same order. Each statement
  -- of a function reads a fresh snapshot, so what it reads after taking a
  -- lock includes what other processes committed while it waited.
  CREATE FUNCTION chat_append(appends jsonb)
  RETURNS TABLE (
    r_ord integer, r_seq bigint, r_id text, r_user text, r_room text,
    r_to text, r_text text, r_ts bigint, r_client_id text, r_duplicate boolean
  )
  LANGUAGE plpgsql AS $$
  DECLARE
    app record;
    next_seq bigint;
    room_name text;
  BEGIN
    FOR app IN
      SELECT * FROM jsonb_to_recordset(appends) AS a(
        ord integer, stream text, in_room boolean, id text, user_key text,
        user_name text, to_user text, body text, ts bigint, client_id text,
        pending_to text)
      ORDER BY a.ord
    LOOP
      r_ord := app.ord;
      r_duplicate := false;
      room_name := NULL;
      IF app.in_room THEN
        UPDATE streams s SET last_seq = s.last_seq + 1
        FROM rooms r WHERE s.key = app.stream AND r.key = s.key
        RETURNING s.last_seq, r.name INTO next_seq, room_name;
        IF NOT FOUND THEN
          r_seq := NULL;
          RETURN NEXT;
          CONTINUE;
        END IF;
      ELSE
        INSERT INTO streams AS s (key, last_seq) VALUES (app.stream, 1)
        ON CONFLICT (key) DO UPDATE SET last_seq = s.last_seq + 1
        RETURNING s.last_seq INTO next_seq;
      END IF;
      IF app.client_id IS NOT NULL THEN
        SELECT m.seq, m.id, m.user_name, m.room, m.to_user, m.text, m.ts,
               m.client_id
        INTO r_seq, r_id, r_user, r_room, r_to, r_text, r_ts, r_client_id
        FROM messages m
        WHERE m.stream = app.stream AND m.user_key = app.user_key
          AND m.client_id = app.client_id;
        IF FOUND THEN
          -- Give the seq back: the row lock is still ours, nobody took one since.
          UPDATE streams s SET last_seq = s.last_seq - 1 WHERE s.key = app.stream;
          r_duplicate := true;
          RETURN NEXT;
          CONTINUE;
        END IF;
      END IF;
      INSERT INTO messages (stream, seq, id, user_key, user_name, room,
        to_user, text, ts, client_id, pending_to)
      VALUES (app.stream, next_seq, app.id, app.user_key, app.user_name,
        room_name, app.to_user, app.body, app.ts, app.client_id, app.pending_to);
      r_seq := next_seq;
      r_id := app.id;
      r_user := app.user_name;
      r_room := room_name;
      r_to := app.to_user;
      r_text := app.body;
      r_ts := app.ts;
      r_client_id := app.client_id;
      RETURN NEXT;
    END LOOP;
  END
  $$;

  -- Deletes a room with its messages and room bans; false when absent.
  CREATE FUNCTION chat_delete_room(target text) RETURNS boolean
  LANGUAGE plpgsql AS $$
  BEGIN
    -- The stream's row first: this waits for appends in flight to the
    -- room, and the deletes after it see the messages they stored.
    DELETE FROM streams s WHERE s.key = target;
    DELETE FROM messages m WHERE m.stream = target;
    DELETE FROM bans b WHERE b.room_key = target;
    DELETE FROM rooms r WHERE r.key = target;
    RETURN FOUND;
  END
  $$;

  -- Creates an account unless the key is taken; the first account gets
  -- first_role when one is given. One creation at a time (an advisory lock
  -- for the transaction), so of racing first sign-ups exactly one is first.
  CREATE FUNCTION chat_create_account(
    new_key text, new_username text, new_hash text, new_role text,
    first_role text, now_ms bigint
  ) RETURNS SETOF accounts
  LANGUAGE plpgsql AS $$
  BEGIN
    PERFORM pg_advisory_xact_lock(426610361346);  -- 0x6368617402: "chat", 2
    RETURN QUERY
      INSERT INTO accounts AS a (key, username, password_hash, role, created_at)
      SELECT new_key, new_username, new_hash,
        CASE WHEN first_role IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM accounts)
             THEN first_role ELSE new_role END,
        now_ms
      ON CONFLICT (key) DO NOTHING
      RETURNING a.*;
  END
  $$;
  `,
  `
  -- Shared files (bytes on disk by hash), attachments, edits and deletes.
  CREATE TABLE files (
    hash       TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    size       BIGINT NOT NULL,
    type       TEXT NOT NULL,
    uploader   TEXT NOT NULL,
    created_at BIGINT NOT NULL
  );
  ALTER TABLE messages ADD COLUMN attachments JSONB;
  ALTER TABLE messages ADD COLUMN edited_at BIGINT;
  ALTER TABLE messages ADD COLUMN deleted BOOLEAN NOT NULL DEFAULT false;

  -- chat_append as in version 1, with attachments, and a retry answered
  -- with the first message as it is now (edited or deleted).
  DROP FUNCTION chat_append(jsonb);
  CREATE FUNCTION chat_append(appends jsonb)
  RETURNS TABLE (
    r_ord integer, r_seq bigint, r_id text, r_user text, r_room text,
    r_to text, r_text text, r_ts bigint, r_client_id text,
    r_attachments jsonb, r_edited_at bigint, r_deleted boolean,
    r_duplicate boolean
  )
  LANGUAGE plpgsql AS $$
  DECLARE
    app record;
    next_seq bigint;
    room_name text;
  BEGIN
    FOR app IN
      SELECT * FROM jsonb_to_recordset(appends) AS a(
        ord integer, stream text, in_room boolean, id text, user_key text,
        user_name text, to_user text, body text, ts bigint, client_id text,
        attachments jsonb, pending_to text)
      ORDER BY a.ord
    LOOP
      r_ord := app.ord;
      r_duplicate := false;
      room_name := NULL;
      IF app.in_room THEN
        UPDATE streams s SET last_seq = s.last_seq + 1
        FROM rooms r WHERE s.key = app.stream AND r.key = s.key
        RETURNING s.last_seq, r.name INTO next_seq, room_name;
        IF NOT FOUND THEN
          r_seq := NULL;
          RETURN NEXT;
          CONTINUE;
        END IF;
      ELSE
        INSERT INTO streams AS s (key, last_seq) VALUES (app.stream, 1)
        ON CONFLICT (key) DO UPDATE SET last_seq = s.last_seq + 1
        RETURNING s.last_seq INTO next_seq;
      END IF;
      IF app.client_id IS NOT NULL THEN
        SELECT m.seq, m.id, m.user_name, m.room, m.to_user, m.text, m.ts,
               m.client_id, m.attachments, m.edited_at, m.deleted
        INTO r_seq, r_id, r_user, r_room, r_to, r_text, r_ts, r_client_id,
             r_attachments, r_edited_at, r_deleted
        FROM messages m
        WHERE m.stream = app.stream AND m.user_key = app.user_key
          AND m.client_id = app.client_id;
        IF FOUND THEN
          -- Give the seq back: the row lock is still ours, nobody took one since.
          UPDATE streams s SET last_seq = s.last_seq - 1 WHERE s.key = app.stream;
          r_duplicate := true;
          RETURN NEXT;
          CONTINUE;
        END IF;
      END IF;
      INSERT INTO messages (stream, seq, id, user_key, user_name, room,
        to_user, text, ts, client_id, attachments, pending_to)
      VALUES (app.stream, next_seq, app.id, app.user_key, app.user_name,
        room_name, app.to_user, app.body, app.ts, app.client_id,
        app.attachments, app.pending_to);
      r_seq := next_seq;
      r_id := app.id;
      r_user := app.user_name;
      r_room := room_name;
      r_to := app.to_user;
      r_text := app.body;
      r_ts := app.ts;
      r_client_id := app.client_id;
      r_attachments := app.attachments;
      r_edited_at := NULL;
      r_deleted := false;
      RETURN NEXT;
    END LOOP;
  END
  $$;
  `,
  `
  -- The bytes of shared files, for nodes that keep them in the database
  -- rather than in a folder they share.
  CREATE TABLE file_contents (
    hash  TEXT PRIMARY KEY,
    bytes BYTEA NOT NULL
  );
  `,
  `
  -- Team chat: private rooms, memberships, read positions, mentions and
  -- invite links.
  ALTER TABLE rooms ADD COLUMN private BOOLEAN NOT NULL DEFAULT false;
  ALTER TABLE rooms ADD COLUMN owner TEXT;  -- creator's key, private rooms
  CREATE TABLE memberships (
    user_key  TEXT NOT NULL,
    room_key  TEXT NOT NULL REFERENCES rooms(key) ON DELETE CASCADE,
    joined_at BIGINT NOT NULL,
    PRIMARY KEY (user_key, room_key)
  );
  CREATE INDEX memberships_room ON memberships (room_key);
  -- Per account and stream (room key or '@a:b'); only moves forward.
  CREATE TABLE read_positions (
    user_key      TEXT NOT NULL,
    stream        TEXT NOT NULL,
    last_read_seq BIGINT NOT NULL,
    PRIMARY KEY (user_key, stream)
  );
  -- Who a message @mentions, written with it: counting a member's unread
  -- mentions is one index range, never a text scan.
  CREATE TABLE mentions (
    user_key TEXT NOT NULL,
    stream   TEXT NOT NULL,
    seq      BIGINT NOT NULL,
    PRIMARY KEY (user_key, stream, seq)
  );
  CREATE INDEX mentions_stream ON mentions (stream, seq);
  CREATE TABLE invites (
    code       TEXT PRIMARY KEY,
    room_key   TEXT NOT NULL REFERENCES rooms(key) ON DELETE CASCADE,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT,
    max_uses   INTEGER,
    uses       INTEGER NOT NULL DEFAULT 0,
    revoked    BOOLEAN NOT NULL DEFAULT false
  );
  CREATE INDEX invites_room ON invites (room_key);
  -- A room's stream may come back under a new room of the same name,
  -- numbered from 1 again: nothing of the old one may linger.
  CREATE FUNCTION chat_forget_room() RETURNS trigger
  LANGUAGE plpgsql AS $$
  BEGIN
    DELETE FROM read_positions WHERE stream = OLD.key;
    DELETE FROM mentions WHERE stream = OLD.key;
    RETURN OLD;
  END
  $$;
  CREATE TRIGGER rooms_forget AFTER DELETE ON rooms
    FOR EACH ROW EXECUTE FUNCTION chat_forget_room();
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
  -- Creation keeps its one-at-a-time lock, which makes the look-alike check
  -- and the insert one step.
  ALTER TABLE accounts ADD COLUMN skeleton TEXT;
  CREATE INDEX accounts_skeleton ON accounts (skeleton);
  CREATE FUNCTION chat_create_account_unconfused(
    new_key text, new_username text, new_hash text, new_role text,
    first_role text, now_ms bigint, new_skeleton text
  ) RETURNS SETOF accounts
  LANGUAGE plpgsql AS $$
  BEGIN
    PERFORM pg_advisory_xact_lock(426610361346);  -- as chat_create_account
    IF EXISTS (SELECT 1 FROM accounts
               WHERE skeleton = new_skeleton AND key <> new_key) THEN
      RETURN;
    END IF;
    RETURN QUERY
      INSERT INTO accounts AS a
        (key, username, password_hash, role, created_at, skeleton)
      SELECT new_key, new_username, new_hash,
        CASE WHEN first_role IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM accounts)
             THEN first_role ELSE new_role END,
        now_ms, new_skeleton
      ON CONFLICT (key) DO NOTHING
      RETURNING a.*;
  END
  $$;
  `,
  `
  -- Idempotency keys belong to the name's holder (an account, or a guest
  -- that knows its guest_key), not to the name: a later holder re-sending
  -- a client_id must not get an earlier holder's message back. Earlier
  -- messages of an account since its creation are its own; the rest ('')
  -- match no holder.
  ALTER TABLE messages ADD COLUMN sender TEXT NOT NULL DEFAULT '';
  UPDATE messages m SET sender = 'a:' || a.created_at
  FROM accounts a
  WHERE a.key = m.user_key AND m.ts >= a.created_at;
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
    size       BIGINT NOT NULL,
    uploader   TEXT NOT NULL,  -- name key of the account
    width      BIGINT,
    height     BIGINT,
    frames     BIGINT,
    created_at BIGINT NOT NULL
  );
  CREATE INDEX uploads_hash ON uploads (hash);
  -- Which messages carry an upload, written with the message. A file is
  -- served while one of them exists and is not deleted.
  CREATE TABLE file_refs (
    upload_id  TEXT NOT NULL,
    message_id TEXT NOT NULL,
    stream     TEXT NOT NULL,
    PRIMARY KEY (upload_id, message_id)
  );
  -- Files shared before: one upload each, its hash as its id, so the URLs
  -- stored messages hold keep working. Their types were never checked:
  -- without dimensions they show as downloads.
  INSERT INTO uploads (id, hash, name, type, size, uploader, created_at)
  SELECT hash, hash, name, type, size, lower(uploader), created_at FROM files;
  INSERT INTO file_refs (upload_id, message_id, stream)
  SELECT DISTINCT substring(a->>'url' from '^/files/([0-9a-f]+)/'), m.id,
    m.stream
  FROM messages m, jsonb_array_elements(m.attachments) a
  WHERE m.attachments IS NOT NULL AND a->>'url' ~ '^/files/[0-9a-f]+/'
  ON CONFLICT DO NOTHING;
  DROP TABLE files;
  -- Secrets every process sharing the database reads the same.
  CREATE TABLE secrets (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );

  -- chat_append as in version 2, with the sender in the idempotency key,
  -- and undelivered private messages refused (r_full 'recipient' or
  -- 'sender') once as many wait as the append's limits allow. The counts
  -- see what other processes committed; appends racing through several
  -- processes may pass a limit by a few. The uploads a message carries are
  -- recorded in file_refs with it.
  DROP FUNCTION chat_append(jsonb);
  CREATE FUNCTION chat_append(appends jsonb)
  RETURNS TABLE (
    r_ord integer, r_seq bigint, r_id text, r_user text, r_room text,
    r_to text, r_text text, r_ts bigint, r_client_id text,
    r_attachments jsonb, r_edited_at bigint, r_deleted boolean,
    r_duplicate boolean, r_full text
  )
  LANGUAGE plpgsql AS $$
  DECLARE
    app record;
    next_seq bigint;
    room_name text;
  BEGIN
    FOR app IN
      SELECT * FROM jsonb_to_recordset(appends) AS a(
        ord integer, stream text, in_room boolean, id text, user_key text,
        user_name text, to_user text, body text, ts bigint, client_id text,
        sender text, attachments jsonb, pending_to text,
        max_for_recipient integer, max_from_sender integer)
      ORDER BY a.ord
    LOOP
      r_ord := app.ord;
      r_duplicate := false;
      r_full := NULL;
      room_name := NULL;
      IF app.in_room THEN
        UPDATE streams s SET last_seq = s.last_seq + 1
        FROM rooms r WHERE s.key = app.stream AND r.key = s.key
        RETURNING s.last_seq, r.name INTO next_seq, room_name;
        IF NOT FOUND THEN
          r_seq := NULL;
          RETURN NEXT;
          CONTINUE;
        END IF;
      ELSE
        INSERT INTO streams AS s (key, last_seq) VALUES (app.stream, 1)
        ON CONFLICT (key) DO UPDATE SET last_seq = s.last_seq + 1
        RETURNING s.last_seq INTO next_seq;
      END IF;
      IF app.client_id IS NOT NULL THEN
        SELECT m.seq, m.id, m.user_name, m.room, m.to_user, m.text, m.ts,
               m.client_id, m.attachments, m.edited_at, m.deleted
        INTO r_seq, r_id, r_user, r_room, r_to, r_text, r_ts, r_client_id,
             r_attachments, r_edited_at, r_deleted
        FROM messages m
        WHERE m.stream = app.stream AND m.user_key = app.user_key
          AND m.sender = app.sender AND m.client_id = app.client_id;
        IF FOUND THEN
          -- Give the seq back: the row lock is still ours, nobody took one since.
          UPDATE streams s SET last_seq = s.last_seq - 1 WHERE s.key = app.stream;
          r_duplicate := true;
          RETURN NEXT;
          CONTINUE;
        END IF;
      END IF;
      IF app.pending_to IS NOT NULL AND app.max_for_recipient IS NOT NULL THEN
        IF (SELECT count(*) FROM (SELECT 1 FROM messages m
              WHERE m.pending_to = app.pending_to
              LIMIT app.max_for_recipient) w) >= app.max_for_recipient THEN
          r_full := 'recipient';
        ELSIF (SELECT count(*) FROM (SELECT 1 FROM messages m
              WHERE m.user_key = app.user_key AND m.pending_to IS NOT NULL
              LIMIT app.max_from_sender) w) >= app.max_from_sender THEN
          r_full := 'sender';
        END IF;
        IF r_full IS NOT NULL THEN
          UPDATE streams s SET last_seq = s.last_seq - 1 WHERE s.key = app.stream;
          RETURN NEXT;
          CONTINUE;
        END IF;
      END IF;
      INSERT INTO messages (stream, seq, id, user_key, user_name, room,
        to_user, text, ts, client_id, sender, attachments, pending_to)
      VALUES (app.stream, next_seq, app.id, app.user_key, app.user_name,
        room_name, app.to_user, app.body, app.ts, app.client_id, app.sender,
        app.attachments, app.pending_to);
      IF app.attachments IS NOT NULL THEN
        INSERT INTO file_refs (upload_id, message_id, stream)
        SELECT DISTINCT
          substring(a->>'url' from '^/files/([0-9a-f]{32}(?:[0-9a-f]{32})?)/'),
          app.id, app.stream
        FROM jsonb_array_elements(app.attachments) a
        WHERE a->>'url' ~ '^/files/[0-9a-f]{32}([0-9a-f]{32})?/'
        ON CONFLICT DO NOTHING;
      END IF;
      r_seq := next_seq;
      r_id := app.id;
      r_user := app.user_name;
      r_room := room_name;
      r_to := app.to_user;
      r_text := app.body;
      r_ts := app.ts;
      r_client_id := app.client_id;
      r_attachments := app.attachments;
      r_edited_at := NULL;
      r_deleted := false;
      RETURN NEXT;
    END LOOP;
  END
  $$;
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
    created_at      BIGINT NOT NULL,
    failures        BIGINT NOT NULL DEFAULT 0,
    last_error      TEXT,
    last_status     BIGINT,
    last_failure_at BIGINT,
    last_success_at BIGINT
  );
  CREATE INDEX webhooks_room ON webhooks (room_key, created_at);
  -- Web Push subscriptions, one per browser (endpoint), each for an account.
  CREATE TABLE push_subscriptions (
    endpoint   TEXT PRIMARY KEY,
    user_key   TEXT NOT NULL REFERENCES accounts(key) ON DELETE CASCADE,
    p256dh     TEXT NOT NULL,
    auth       TEXT NOT NULL,
    created_at BIGINT NOT NULL
  );
  CREATE INDEX push_subscriptions_user ON push_subscriptions (user_key);
  `,
  `
  -- Replies, reactions, pins and search.
  ALTER TABLE messages ADD COLUMN reply_to TEXT;     -- id of the message answered
  ALTER TABLE messages ADD COLUMN reactions JSONB;   -- summed up from reactions
  ALTER TABLE messages ADD COLUMN pinned_at BIGINT;  -- set while pinned
  -- The folded words of a message that is not deleted (search_text.ts),
  -- taken as lexemes as they are. NULL until indexed: rows older than
  -- this version are indexed by the store when it opens.
  ALTER TABLE messages ADD COLUMN search TSVECTOR;
  CREATE INDEX messages_search ON messages USING gin (search);
  CREATE INDEX messages_reply_to ON messages (reply_to) WHERE reply_to IS NOT NULL;
  CREATE INDEX messages_pinned ON messages (stream, pinned_at)
    WHERE pinned_at IS NOT NULL;
  -- One row per user and emoji; ord keeps the order they came in.
  CREATE TABLE reactions (
    message_id TEXT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    emoji      TEXT NOT NULL,
    user_key   TEXT NOT NULL,
    user_name  TEXT NOT NULL,
    ord        BIGINT GENERATED ALWAYS AS IDENTITY,
    PRIMARY KEY (message_id, emoji, user_key)
  );

  -- chat_append as in the version before, with reply_to and the words to
  -- index; every row it returns is the message as a read returns it (the
  -- quote of the message answered, its reactions and pin included).
  DROP FUNCTION chat_append(jsonb);
  CREATE FUNCTION chat_append(appends jsonb)
  RETURNS TABLE (
    r_ord integer, r_seq bigint, r_id text, r_user text, r_room text,
    r_to text, r_text text, r_ts bigint, r_client_id text,
    r_attachments jsonb, r_edited_at bigint, r_deleted boolean,
    r_duplicate boolean, r_full text, r_reply_to text, r_reactions jsonb,
    r_pinned_at bigint, r_reply_seq bigint, r_reply_user text,
    r_reply_text text, r_reply_deleted boolean
  )
  LANGUAGE plpgsql AS $$
  DECLARE
    app record;
    next_seq bigint;
    room_name text;
  BEGIN
    FOR app IN
      SELECT * FROM jsonb_to_recordset(appends) AS a(
        ord integer, stream text, in_room boolean, id text, user_key text,
        user_name text, to_user text, body text, ts bigint, client_id text,
        sender text, attachments jsonb, pending_to text,
        max_for_recipient integer, max_from_sender integer, reply_to text,
        words text)
      ORDER BY a.ord
    LOOP
      r_ord := app.ord;
      r_duplicate := false;
      r_full := NULL;
      room_name := NULL;
      r_reply_seq := NULL;
      r_reply_user := NULL;
      r_reply_text := NULL;
      r_reply_deleted := NULL;
      IF app.in_room THEN
        UPDATE streams s SET last_seq = s.last_seq + 1
        FROM rooms r WHERE s.key = app.stream AND r.key = s.key
        RETURNING s.last_seq, r.name INTO next_seq, room_name;
        IF NOT FOUND THEN
          r_seq := NULL;
          RETURN NEXT;
          CONTINUE;
        END IF;
      ELSE
        INSERT INTO streams AS s (key, last_seq) VALUES (app.stream, 1)
        ON CONFLICT (key) DO UPDATE SET last_seq = s.last_seq + 1
        RETURNING s.last_seq INTO next_seq;
      END IF;
      IF app.client_id IS NOT NULL THEN
        SELECT m.seq, m.id, m.user_name, m.room, m.to_user, m.text, m.ts,
               m.client_id, m.attachments, m.edited_at, m.deleted,
               m.reply_to, m.reactions, m.pinned_at
        INTO r_seq, r_id, r_user, r_room, r_to, r_text, r_ts, r_client_id,
             r_attachments, r_edited_at, r_deleted, r_reply_to, r_reactions,
             r_pinned_at
        FROM messages m
        WHERE m.stream = app.stream AND m.user_key = app.user_key
          AND m.sender = app.sender AND m.client_id = app.client_id;
        IF FOUND THEN
          -- Give the seq back: the row lock is still ours, nobody took one since.
          UPDATE streams s SET last_seq = s.last_seq - 1 WHERE s.key = app.stream;
          r_duplicate := true;
          SELECT o.seq, o.user_name, o.text, o.deleted
          INTO r_reply_seq, r_reply_user, r_reply_text, r_reply_deleted
          FROM messages o WHERE o.id = r_reply_to;
          RETURN NEXT;
          CONTINUE;
        END IF;
      END IF;
      IF app.pending_to IS NOT NULL AND app.max_for_recipient IS NOT NULL THEN
        IF (SELECT count(*) FROM (SELECT 1 FROM messages m
              WHERE m.pending_to = app.pending_to
              LIMIT app.max_for_recipient) w) >= app.max_for_recipient THEN
          r_full := 'recipient';
        ELSIF (SELECT count(*) FROM (SELECT 1 FROM messages m
              WHERE m.user_key = app.user_key AND m.pending_to IS NOT NULL
              LIMIT app.max_from_sender) w) >= app.max_from_sender THEN
          r_full := 'sender';
        END IF;
        IF r_full IS NOT NULL THEN
          UPDATE streams s SET last_seq = s.last_seq - 1 WHERE s.key = app.stream;
          RETURN NEXT;
          CONTINUE;
        END IF;
      END IF;
      INSERT INTO messages (stream, seq, id, user_key, user_name, room,
        to_user, text, ts, client_id, sender, attachments, pending_to,
        reply_to, search)
      VALUES (app.stream, next_seq, app.id, app.user_key, app.user_name,
        room_name, app.to_user, app.body, app.ts, app.client_id, app.sender,
        app.attachments, app.pending_to, app.reply_to,
        array_to_tsvector(string_to_array(app.words, ' ')));
      IF app.attachments IS NOT NULL THEN
        INSERT INTO file_refs (upload_id, message_id, stream)
        SELECT DISTINCT
          substring(a->>'url' from '^/files/([0-9a-f]{32}(?:[0-9a-f]{32})?)/'),
          app.id, app.stream
        FROM jsonb_array_elements(app.attachments) a
        WHERE a->>'url' ~ '^/files/[0-9a-f]{32}([0-9a-f]{32})?/'
        ON CONFLICT DO NOTHING;
      END IF;
      r_seq := next_seq;
      r_id := app.id;
      r_user := app.user_name;
      r_room := room_name;
      r_to := app.to_user;
      r_text := app.body;
      r_ts := app.ts;
      r_client_id := app.client_id;
      r_attachments := app.attachments;
      r_edited_at := NULL;
      r_deleted := false;
      r_reply_to := app.reply_to;
      r_reactions := NULL;
      r_pinned_at := NULL;
      IF app.reply_to IS NOT NULL THEN
        SELECT o.seq, o.user_name, o.text, o.deleted
        INTO r_reply_seq, r_reply_user, r_reply_text, r_reply_deleted
        FROM messages o WHERE o.id = app.reply_to;
      END IF;
      RETURN NEXT;
    END LOOP;
  END
  $$;

  -- Adds (turn_on) or takes back a user's reaction, and sums the message's
  -- reactions up in messages.reactions: one entry per emoji in the order
  -- each was first used, its count, the first max_users names. Returns
  -- 'done', 'unchanged', 'not_found' (no such message, or deleted) or
  -- 'full' (max_emoji different emoji already). The message's row lock
  -- makes reactions to one message take turns, so the limit holds.
  CREATE FUNCTION chat_react(
    target text, who text, who_name text, reaction text, turn_on boolean,
    max_emoji integer, max_users integer
  ) RETURNS text
  LANGUAGE plpgsql AS $$
  DECLARE
    changed integer;
  BEGIN
    PERFORM 1 FROM messages m WHERE m.id = target AND NOT m.deleted FOR UPDATE;
    IF NOT FOUND THEN
      RETURN 'not_found';
    END IF;
    IF turn_on THEN
      IF NOT EXISTS (SELECT 1 FROM reactions x
                     WHERE x.message_id = target AND x.emoji = reaction)
         AND (SELECT count(DISTINCT x.emoji) FROM reactions x
              WHERE x.message_id = target) >= max_emoji
      THEN
        RETURN 'full';
      END IF;
      INSERT INTO reactions (message_id, emoji, user_key, user_name)
      VALUES (target, reaction, who, who_name) ON CONFLICT DO NOTHING;
    ELSE
      DELETE FROM reactions x
      WHERE x.message_id = target AND x.emoji = reaction AND x.user_key = who;
    END IF;
    GET DIAGNOSTICS changed = ROW_COUNT;
    IF changed = 0 THEN
      RETURN 'unchanged';
    END IF;
    UPDATE messages m SET reactions = (
      SELECT jsonb_agg(jsonb_build_object('emoji', g.emoji, 'count', g.n,
          'users', to_jsonb(g.users[1:max_users])) ORDER BY g.first)
      FROM (
        SELECT x.emoji, count(*) AS n, min(x.ord) AS first,
          array_agg(x.user_name ORDER BY x.ord) AS users
        FROM reactions x WHERE x.message_id = target GROUP BY x.emoji
      ) g
    ) WHERE m.id = target;
    RETURN 'done';
  END
  $$;

  -- Pins (turn_on) or unpins a message. Returns 'done', 'unchanged',
  -- 'not_found' or 'full' (max_pins pinned in its stream already). The
  -- stream's row lock makes pins in one stream take turns, so the limit
  -- holds and pinned_at grows strictly: the latest pin lists first.
  CREATE FUNCTION chat_pin(
    target text, turn_on boolean, max_pins integer, now_ms bigint
  ) RETURNS text
  LANGUAGE plpgsql AS $$
  DECLARE
    target_stream text;
    was_pinned boolean;
    pins integer;
    latest bigint;
  BEGIN
    SELECT m.stream INTO target_stream FROM messages m WHERE m.id = target;
    IF NOT FOUND THEN
      RETURN 'not_found';
    END IF;
    PERFORM 1 FROM streams s WHERE s.key = target_stream FOR UPDATE;
    SELECT m.pinned_at IS NOT NULL INTO was_pinned FROM messages m
    WHERE m.id = target AND NOT m.deleted;
    IF NOT FOUND THEN
      RETURN 'not_found';
    END IF;
    IF was_pinned = turn_on THEN
      RETURN 'unchanged';
    END IF;
    IF turn_on THEN
      SELECT count(*), max(m.pinned_at) INTO pins, latest FROM messages m
      WHERE m.stream = target_stream AND m.pinned_at IS NOT NULL;
      IF pins >= max_pins THEN
        RETURN 'full';
      END IF;
      UPDATE messages m SET pinned_at = greatest(now_ms, coalesce(latest, 0) + 1)
      WHERE m.id = target;
    ELSE
      UPDATE messages m SET pinned_at = NULL WHERE m.id = target;
    END IF;
    RETURN 'done';
  END
  $$;
  `,
  `
  -- Bans that end by themselves, the audit log and password resets (the
  -- admin page). Audit entries write names out and reference nothing, so
  -- they outlive the accounts and rooms they describe.
  ALTER TABLE bans ADD COLUMN expires_at BIGINT;
  CREATE TABLE audit_log (
    -- BY DEFAULT: an import (server/transfer) keeps the ids it reads.
    id      BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    at      BIGINT NOT NULL,
    by_user TEXT NOT NULL,
    action  TEXT NOT NULL,
    target  TEXT,
    room    TEXT,
    reason  TEXT,
    address TEXT NOT NULL,
    details JSONB
  );
  CREATE TABLE password_resets (
    token_hash TEXT PRIMARY KEY,
    user_key   TEXT NOT NULL REFERENCES accounts(key) ON DELETE CASCADE,
    expires_at BIGINT NOT NULL
  );
  -- Deletes an account with what is only its own; its messages stay,
  -- under its name or anonymised (anon_name, and no key, so nobody who
  -- takes the name later owns them). Sessions and resets go by cascade.
  CREATE FUNCTION chat_delete_account(target text, anon_name text)
  RETURNS boolean
  LANGUAGE plpgsql AS $$
  BEGIN
    DELETE FROM accounts a WHERE a.key = target;
    IF NOT FOUND THEN
      RETURN false;
    END IF;
    DELETE FROM memberships m WHERE m.user_key = target;
    DELETE FROM read_positions r WHERE r.user_key = target;
    DELETE FROM mentions n WHERE n.user_key = target;
    DELETE FROM messages m WHERE m.pending_to = target;
    IF anon_name IS NOT NULL THEN
      UPDATE messages m SET user_name = anon_name, user_key = '',
        client_id = NULL
      WHERE m.user_key = target;
    END IF;
    RETURN true;
  END
  $$;
  `,
  `
  -- A room's own retention, set by an admin: NULL follows the server's
  -- --retention-days, 0 keeps its messages forever, N > 0 keeps N days.
  ALTER TABLE rooms ADD COLUMN retention_days INTEGER;

  -- Renames a room: its key becomes new_key wherever it is, seqs and ids
  -- kept. Returns 'done', 'taken' (another room holds new_key; nothing
  -- changed) or 'not_found'. The stream's row lock makes appends to the
  -- room wait; one that waited finds no room under the old key.
  CREATE FUNCTION chat_rename_room(target text, new_key text, new_name text)
  RETURNS text
  LANGUAGE plpgsql AS $$
  BEGIN
    PERFORM 1 FROM rooms r WHERE r.key = target FOR UPDATE;
    IF NOT FOUND THEN
      RETURN 'not_found';
    END IF;
    PERFORM 1 FROM streams s WHERE s.key = target FOR UPDATE;
    IF new_key <> target THEN
      -- A copy under the new key first: memberships, invites and webhooks
      -- reference rooms(key), so the old row goes last.
      INSERT INTO rooms (key, name, created_at, private, owner, retention_days)
      SELECT new_key, r.name, r.created_at, r.private, r.owner, r.retention_days
      FROM rooms r WHERE r.key = target
      ON CONFLICT (key) DO NOTHING;
      IF NOT FOUND THEN
        RETURN 'taken';
      END IF;
      -- A stream a deleted room of that name left holds nothing.
      DELETE FROM streams s WHERE s.key = new_key;
      UPDATE streams s SET key = new_key WHERE s.key = target;
      UPDATE messages m SET stream = new_key WHERE m.stream = target;
      UPDATE memberships x SET room_key = new_key WHERE x.room_key = target;
      UPDATE invites x SET room_key = new_key WHERE x.room_key = target;
      UPDATE webhooks x SET room_key = new_key WHERE x.room_key = target;
      UPDATE bans x SET room_key = new_key WHERE x.room_key = target;
      UPDATE read_positions x SET stream = new_key WHERE x.stream = target;
      UPDATE mentions x SET stream = new_key WHERE x.stream = target;
      UPDATE file_refs x SET stream = new_key WHERE x.stream = target;
      DELETE FROM rooms r WHERE r.key = target;
    END IF;
    UPDATE messages m SET room = new_name WHERE m.stream = new_key;
    UPDATE rooms r SET name = new_name WHERE r.key = new_key;
    RETURN 'done';
  END
  $$;
  `,
  `
  -- Bot accounts: made by an admin, used with tokens, never a password.
  ALTER TABLE accounts ADD COLUMN bot BOOLEAN NOT NULL DEFAULT false;
  -- Personal access tokens, by the SHA-256 of their secret.
  CREATE TABLE api_tokens (
    id         TEXT PRIMARY KEY,
    user_key   TEXT NOT NULL REFERENCES accounts(key) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
  );
  CREATE INDEX api_tokens_user ON api_tokens (user_key);
  -- Incoming webhooks of a room, by the SHA-256 of their secret URL.
  CREATE TABLE hooks (
    id          TEXT PRIMARY KEY,
    room_key    TEXT NOT NULL REFERENCES rooms(key) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    secret_hash TEXT NOT NULL UNIQUE,
    created_by  TEXT NOT NULL,
    created_at  BIGINT NOT NULL
  );
  CREATE INDEX hooks_room ON hooks (room_key);

  -- chat_create_account_unconfused, with the bot flag set in the same
  -- statement, so a bot is never seen without it.
  CREATE FUNCTION chat_create_account_flagged(
    new_key text, new_username text, new_hash text, new_role text,
    first_role text, now_ms bigint, new_skeleton text, new_bot boolean
  ) RETURNS SETOF accounts
  LANGUAGE plpgsql AS $$
  DECLARE
    made accounts;
  BEGIN
    SELECT * INTO made FROM chat_create_account_unconfused(new_key,
      new_username, new_hash, new_role, first_role, now_ms, new_skeleton);
    IF NOT FOUND THEN
      RETURN;
    END IF;
    IF new_bot THEN
      UPDATE accounts a SET bot = true WHERE a.key = made.key
        RETURNING a.* INTO made;
    END IF;
    RETURN NEXT made;
  END
  $$;

  -- chat_rename_room as in the version before, with incoming webhooks
  -- moved to the new key too (else the old room's delete cascades to them).
  CREATE OR REPLACE FUNCTION chat_rename_room(target text, new_key text, new_name text)
  RETURNS text
  LANGUAGE plpgsql AS $$
  BEGIN
    PERFORM 1 FROM rooms r WHERE r.key = target FOR UPDATE;
    IF NOT FOUND THEN
      RETURN 'not_found';
    END IF;
    PERFORM 1 FROM streams s WHERE s.key = target FOR UPDATE;
    IF new_key <> target THEN
      -- A copy under the new key first: memberships, invites and webhooks
      -- (outgoing and incoming) reference rooms(key), so the old row goes last.
      INSERT INTO rooms (key, name, created_at, private, owner, retention_days)
      SELECT new_key, r.name, r.created_at, r.private, r.owner, r.retention_days
      FROM rooms r WHERE r.key = target
      ON CONFLICT (key) DO NOTHING;
      IF NOT FOUND THEN
        RETURN 'taken';
      END IF;
      -- A stream a deleted room of that name left holds nothing.
      DELETE FROM streams s WHERE s.key = new_key;
      UPDATE streams s SET key = new_key WHERE s.key = target;
      UPDATE messages m SET stream = new_key WHERE m.stream = target;
      UPDATE memberships x SET room_key = new_key WHERE x.room_key = target;
      UPDATE invites x SET room_key = new_key WHERE x.room_key = target;
      UPDATE webhooks x SET room_key = new_key WHERE x.room_key = target;
      UPDATE hooks x SET room_key = new_key WHERE x.room_key = target;
      UPDATE bans x SET room_key = new_key WHERE x.room_key = target;
      UPDATE read_positions x SET stream = new_key WHERE x.stream = target;
      UPDATE mentions x SET stream = new_key WHERE x.stream = target;
      UPDATE file_refs x SET stream = new_key WHERE x.stream = target;
      DELETE FROM rooms r WHERE r.key = target;
    END IF;
    UPDATE messages m SET room = new_name WHERE m.stream = new_key;
    UPDATE rooms r SET name = new_name WHERE r.key = new_key;
    RETURN 'done';
  END
  $$;
  `,
  `
  -- The start-up pass that indexes messages stored before search existed
  -- (indexOlderMessages) looks for rows without words: without this it
  -- reads the whole table at every start. Empty once they are indexed, so
  -- it costs nothing afterwards.
  CREATE INDEX messages_unindexed ON messages (id)
    WHERE search IS NULL AND NOT deleted;
  `,
  `
  -- Sums a message's reactions up in messages.reactions as chat_react
  -- does: one entry per emoji in the order each was first used, its
  -- count, the first max_users names.
  CREATE FUNCTION chat_sum_reactions(target text, max_users integer)
  RETURNS void
  LANGUAGE sql AS $$
    UPDATE messages m SET reactions = (
      SELECT jsonb_agg(jsonb_build_object('emoji', g.emoji, 'count', g.n,
          'users', to_jsonb(g.users[1:max_users])) ORDER BY g.first)
      FROM (
        SELECT x.emoji, count(*) AS n, min(x.ord) AS first,
          array_agg(x.user_name ORDER BY x.ord) AS users
        FROM reactions x WHERE x.message_id = target GROUP BY x.emoji
      ) g
    ) WHERE m.id = target;
  $$;
  -- chat_delete_account as before, and an anonymised account's reactions
  -- are anonymised too: each gets a key no account can have (a name has
  -- no leading space), unique so two deleted users' same emoji still
  -- count twice; ord, and so the order, is kept.
  DROP FUNCTION chat_delete_account(text, text);
  CREATE FUNCTION chat_delete_account(
    target text, anon_name text, max_users integer
  ) RETURNS boolean
  LANGUAGE plpgsql AS $$
  DECLARE
    reacted text;
  BEGIN
    DELETE FROM accounts a WHERE a.key = target;
    IF NOT FOUND THEN
      RETURN false;
    END IF;
    DELETE FROM memberships m WHERE m.user_key = target;
    DELETE FROM read_positions r WHERE r.user_key = target;
    DELETE FROM mentions n WHERE n.user_key = target;
    DELETE FROM messages m WHERE m.pending_to = target;
    IF anon_name IS NOT NULL THEN
      UPDATE messages m SET user_name = anon_name, user_key = '',
        client_id = NULL
      WHERE m.user_key = target;
      FOR reacted IN
        WITH changed AS (
          UPDATE reactions x SET user_name = anon_name,
            user_key = ' deleted ' || md5(random()::text || x.ord::text)
          WHERE x.user_key = target RETURNING x.message_id
        ) SELECT DISTINCT c.message_id FROM changed c
      LOOP
        PERFORM chat_sum_reactions(reacted, max_users);
      END LOOP;
    END IF;
    RETURN true;
  END
  $$;
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
  -- chat_append as in the version before, and the quote of the message
  -- answered carries that message's sender, whose badge (bot, hook) goes
  -- into the quote: a hook may post under a person's name. A new returned
  -- column changes the function's type, which CREATE OR REPLACE cannot
  -- do, so it is dropped and made again in this one transaction.
  DROP FUNCTION chat_append(jsonb);
  CREATE FUNCTION chat_append(appends jsonb)
  RETURNS TABLE (
    r_ord integer, r_seq bigint, r_id text, r_user text, r_room text,
    r_to text, r_text text, r_ts bigint, r_client_id text,
    r_attachments jsonb, r_edited_at bigint, r_deleted boolean,
    r_duplicate boolean, r_full text, r_reply_to text, r_reactions jsonb,
    r_pinned_at bigint, r_reply_seq bigint, r_reply_user text,
    r_reply_text text, r_reply_deleted boolean, r_reply_sender text
  )
  LANGUAGE plpgsql AS $$
  DECLARE
    app record;
    next_seq bigint;
    room_name text;
  BEGIN
    FOR app IN
      SELECT * FROM jsonb_to_recordset(appends) AS a(
        ord integer, stream text, in_room boolean, id text, user_key text,
        user_name text, to_user text, body text, ts bigint, client_id text,
        sender text, attachments jsonb, pending_to text,
        max_for_recipient integer, max_from_sender integer, reply_to text,
        words text)
      ORDER BY a.ord
    LOOP
      r_ord := app.ord;
      r_duplicate := false;
      r_full := NULL;
      room_name := NULL;
      r_reply_seq := NULL;
      r_reply_user := NULL;
      r_reply_text := NULL;
      r_reply_deleted := NULL;
      r_reply_sender := NULL;
      IF app.in_room THEN
        UPDATE streams s SET last_seq = s.last_seq + 1
        FROM rooms r WHERE s.key = app.stream AND r.key = s.key
        RETURNING s.last_seq, r.name INTO next_seq, room_name;
        IF NOT FOUND THEN
          r_seq := NULL;
          RETURN NEXT;
          CONTINUE;
        END IF;
      ELSE
        INSERT INTO streams AS s (key, last_seq) VALUES (app.stream, 1)
        ON CONFLICT (key) DO UPDATE SET last_seq = s.last_seq + 1
        RETURNING s.last_seq INTO next_seq;
      END IF;
      IF app.client_id IS NOT NULL THEN
        SELECT m.seq, m.id, m.user_name, m.room, m.to_user, m.text, m.ts,
               m.client_id, m.attachments, m.edited_at, m.deleted,
               m.reply_to, m.reactions, m.pinned_at
        INTO r_seq, r_id, r_user, r_room, r_to, r_text, r_ts, r_client_id,
             r_attachments, r_edited_at, r_deleted, r_reply_to, r_reactions,
             r_pinned_at
        FROM messages m
        WHERE m.stream = app.stream AND m.user_key = app.user_key
          AND m.sender = app.sender AND m.client_id = app.client_id;
        IF FOUND THEN
          -- Give the seq back: the row lock is still ours, nobody took one since.
          UPDATE streams s SET last_seq = s.last_seq - 1 WHERE s.key = app.stream;
          r_duplicate := true;
          SELECT o.seq, o.user_name, o.text, o.deleted, o.sender
          INTO r_reply_seq, r_reply_user, r_reply_text, r_reply_deleted,
               r_reply_sender
          FROM messages o WHERE o.id = r_reply_to;
          RETURN NEXT;
          CONTINUE;
        END IF;
      END IF;
      IF app.pending_to IS NOT NULL AND app.max_for_recipient IS NOT NULL THEN
        IF (SELECT count(*) FROM (SELECT 1 FROM messages m
              WHERE m.pending_to = app.pending_to
              LIMIT app.max_for_recipient) w) >= app.max_for_recipient THEN
          r_full := 'recipient';
        ELSIF (SELECT count(*) FROM (SELECT 1 FROM messages m
              WHERE m.user_key = app.user_key AND m.pending_to IS NOT NULL
              LIMIT app.max_from_sender) w) >= app.max_from_sender THEN
          r_full := 'sender';
        END IF;
        IF r_full IS NOT NULL THEN
          UPDATE streams s SET last_seq = s.last_seq - 1 WHERE s.key = app.stream;
          RETURN NEXT;
          CONTINUE;
        END IF;
      END IF;
      INSERT INTO messages (stream, seq, id, user_key, user_name, room,
        to_user, text, ts, client_id, sender, attachments, pending_to,
        reply_to, search)
      VALUES (app.stream, next_seq, app.id, app.user_key, app.user_name,
        room_name, app.to_user, app.body, app.ts, app.client_id, app.sender,
        app.attachments, app.pending_to, app.reply_to,
        array_to_tsvector(string_to_array(app.words, ' ')));
      IF app.attachments IS NOT NULL THEN
        INSERT INTO file_refs (upload_id, message_id, stream)
        SELECT DISTINCT
          substring(a->>'url' from '^/files/([0-9a-f]{32}(?:[0-9a-f]{32})?)/'),
          app.id, app.stream
        FROM jsonb_array_elements(app.attachments) a
        WHERE a->>'url' ~ '^/files/[0-9a-f]{32}([0-9a-f]{32})?/'
        ON CONFLICT DO NOTHING;
      END IF;
      r_seq := next_seq;
      r_id := app.id;
      r_user := app.user_name;
      r_room := room_name;
      r_to := app.to_user;
      r_text := app.body;
      r_ts := app.ts;
      r_client_id := app.client_id;
      r_attachments := app.attachments;
      r_edited_at := NULL;
      r_deleted := false;
      r_reply_to := app.reply_to;
      r_reactions := NULL;
      r_pinned_at := NULL;
      IF app.reply_to IS NOT NULL THEN
        SELECT o.seq, o.user_name, o.text, o.deleted, o.sender
        INTO r_reply_seq, r_reply_user, r_reply_text, r_reply_deleted,
             r_reply_sender
        FROM messages o WHERE o.id = app.reply_to;
      END IF;
      RETURN NEXT;
    END LOOP;
  END
  $$;
  `,
  `
  -- Unread counts (a login counts every room of the account, up to 1000
  -- each) by an index-only scan where the visibility map allows, instead
  -- of a row read per message.
  CREATE INDEX messages_unread ON messages (stream, seq) INCLUDE (user_key)
    WHERE NOT deleted;
  `,
  `
  -- Each uploader's running total of bytes, for --upload-quota: why, and
  -- what keeps it right, as in sqlite_schema.ts.
  CREATE TABLE upload_usage (
    uploader TEXT PRIMARY KEY,
    bytes    BIGINT NOT NULL
  );
  INSERT INTO upload_usage (uploader, bytes)
    SELECT uploader, sum(size) FROM uploads GROUP BY uploader;
  -- Once per statement, from the rows it changed: a sweep deleting
  -- thousands of uploads updates each uploader's row once, not once per
  -- upload; rows are taken in the order of their names, so that two
  -- statements never wait for each other's rows in a circle.
  CREATE FUNCTION chat_upload_usage_add() RETURNS trigger
  LANGUAGE plpgsql AS $$
  BEGIN
    INSERT INTO upload_usage AS g (uploader, bytes)
      SELECT uploader, sum(size) FROM added GROUP BY uploader
      ORDER BY uploader
    ON CONFLICT (uploader) DO UPDATE SET bytes = g.bytes + excluded.bytes;
    RETURN NULL;
  END
  $$;
  CREATE FUNCTION chat_upload_usage_remove() RETURNS trigger
  LANGUAGE plpgsql AS $$
  BEGIN
    INSERT INTO upload_usage AS g (uploader, bytes)
      SELECT uploader, -sum(size) FROM removed GROUP BY uploader
      ORDER BY uploader
    ON CONFLICT (uploader) DO UPDATE SET bytes = g.bytes + excluded.bytes;
    RETURN NULL;
  END
  $$;
  CREATE TRIGGER uploads_usage_add AFTER INSERT ON uploads
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION chat_upload_usage_add();
  CREATE TRIGGER uploads_usage_remove AFTER DELETE ON uploads
    REFERENCING OLD TABLE AS removed
    FOR EACH STATEMENT EXECUTE FUNCTION chat_upload_usage_remove();
  -- Records an upload unless its uploader's would then pass the quota
  -- (0: none). The upsert creates or locks the uploader's usage row and
  -- reads its latest bytes, even those committed after this statement
  -- began; the lock is held until the insert (whose trigger adds to the
  -- row) commits: an uploader's saves take turns, and two racing cannot
  -- both fit in what was left for one.
  CREATE FUNCTION chat_save_upload(
    u_id text, u_hash text, u_name text, u_type text, u_size bigint,
    u_uploader text, u_width bigint, u_height bigint, u_frames bigint,
    u_created_at bigint, quota bigint
  ) RETURNS boolean
  LANGUAGE plpgsql AS $$
  DECLARE
    used bigint;
  BEGIN
    IF quota > 0 THEN
      INSERT INTO upload_usage AS g (uploader, bytes) VALUES (u_uploader, 0)
      ON CONFLICT (uploader) DO UPDATE SET bytes = g.bytes
      RETURNING g.bytes INTO used;
      IF u_size + used > quota THEN
        RETURN false;
      END IF;
    END IF;
    INSERT INTO uploads (id, hash, name, type, size, uploader, width, height,
      frames, created_at)
    VALUES (u_id, u_hash, u_name, u_type, u_size, u_uploader, u_width,
      u_height, u_frames, u_created_at);
    RETURN true;
  END
  $$;
  `,
  `
  -- A ban refuses the appends of its name that commit after it. The check
  -- is in chat_append (a primary-key probe of bans per message), and a
  -- lock orders it with the bans: each append holds its senders' locks
  -- (shared, "chat" and the name's hash) until it commits, and a ban takes
  -- its name's lock alone before it inserts. A ban therefore waits for
  -- the appends of its name already past their check to commit, and an
  -- append that comes later waits for the ban to commit, then reads it:
  -- none commits after a ban's reply. READ COMMITTED alone would not do:
  -- an append whose check ran just before the ban committed could commit
  -- after it. A lock by name covers room and server bans alike, for
  -- guests too (who have no account row to lock); names sharing a hash
  -- only wait for each other's bans, which are rare. Costs a shared lock
  -- per distinct sender per group commit and the probe per message
  -- (docs/security.md). chat_append returns the refusing ban (r_ban) as
  -- the version before returned nothing new: dropped and made again.
  CREATE FUNCTION chat_add_ban(
    b_user text, b_address text, b_room text, b_reason text, b_by text,
    b_created_at bigint, b_expires_at bigint
  ) RETURNS void
  LANGUAGE plpgsql AS $$
  BEGIN
    PERFORM pg_advisory_xact_lock(1667785076, hashtext(b_user));
    INSERT INTO bans
      (user_key, address, room_key, reason, by_user, created_at, expires_at)
    VALUES (b_user, b_address, b_room, b_reason, b_by, b_created_at,
      b_expires_at)
    ON CONFLICT (user_key, address, room_key) DO UPDATE
      SET reason = excluded.reason, by_user = excluded.by_user,
        created_at = excluded.created_at, expires_at = excluded.expires_at;
  END
  $$;
  DROP FUNCTION chat_append(jsonb);
  CREATE FUNCTION chat_append(appends jsonb)
  RETURNS TABLE (
    r_ord integer, r_seq bigint, r_id text, r_user text, r_room text,
    r_to text, r_text text, r_ts bigint, r_client_id text,
    r_attachments jsonb, r_edited_at bigint, r_deleted boolean,
    r_duplicate boolean, r_full text, r_reply_to text, r_reactions jsonb,
    r_pinned_at bigint, r_reply_seq bigint, r_reply_user text,
    r_reply_text text, r_reply_deleted boolean, r_reply_sender text,
    r_ban jsonb
  )
  LANGUAGE plpgsql AS $$
  DECLARE
    app record;
    next_seq bigint;
    room_name text;
    sender_lock integer;
  BEGIN
    -- Every sender's lock first, in one order for every process, before
    -- any stream's row: a ban waiting for one of them then never stands
    -- between two appends that wait for each other's rows.
    FOR sender_lock IN
      SELECT DISTINCT hashtext(a.user_key)
      FROM jsonb_to_recordset(appends) AS a(user_key text) ORDER BY 1
    LOOP
      PERFORM pg_advisory_xact_lock_shared(1667785076, sender_lock);
    END LOOP;
    FOR app IN
      SELECT * FROM jsonb_to_recordset(appends) AS a(
        ord integer, stream text, in_room boolean, id text, user_key text,
        user_name text, to_user text, body text, ts bigint, client_id text,
        sender text, attachments jsonb, pending_to text,
        max_for_recipient integer, max_from_sender integer, reply_to text,
        words text)
      ORDER BY a.ord
    LOOP
      r_ord := app.ord;
      r_duplicate := false;
      r_full := NULL;
      room_name := NULL;
      r_reply_seq := NULL;
      r_reply_user := NULL;
      r_reply_text := NULL;
      r_reply_deleted := NULL;
      r_reply_sender := NULL;
      r_ban := NULL;
      IF app.in_room THEN
        UPDATE streams s SET last_seq = s.last_seq + 1
        FROM rooms r WHERE s.key = app.stream AND r.key = s.key
        RETURNING s.last_seq, r.name INTO next_seq, room_name;
        IF NOT FOUND THEN
          r_seq := NULL;
          RETURN NEXT;
          CONTINUE;
        END IF;
      ELSE
        INSERT INTO streams AS s (key, last_seq) VALUES (app.stream, 1)
        ON CONFLICT (key) DO UPDATE SET last_seq = s.last_seq + 1
        RETURNING s.last_seq INTO next_seq;
      END IF;
      -- A statement after the sender's lock, so its snapshot holds every
      -- ban committed before the lock was granted (see chat_add_ban).
      SELECT to_jsonb(b) INTO r_ban FROM (
        SELECT x.user_key, x.address, x.room_key, x.reason, x.by_user,
               x.created_at, x.expires_at
        FROM bans x
        WHERE x.user_key = app.user_key AND x.address = ''
          AND x.room_key IN ('', CASE WHEN app.in_room THEN app.stream
                                      ELSE '' END)
          AND (x.expires_at IS NULL OR x.expires_at > app.ts)
        ORDER BY x.room_key LIMIT 1) b;
      IF r_ban IS NOT NULL THEN
        UPDATE streams s SET last_seq = s.last_seq - 1 WHERE s.key = app.stream;
        r_seq := NULL;
        RETURN NEXT;
        CONTINUE;
      END IF;
      IF app.client_id IS NOT NULL THEN
        SELECT m.seq, m.id, m.user_name, m.room, m.to_user, m.text, m.ts,
               m.client_id, m.attachments, m.edited_at, m.deleted,
               m.reply_to, m.reactions, m.pinned_at
        INTO r_seq, r_id, r_user, r_room, r_to, r_text, r_ts, r_client_id,
             r_attachments, r_edited_at, r_deleted, r_reply_to, r_reactions,
             r_pinned_at
        FROM messages m
        WHERE m.stream = app.stream AND m.user_key = app.user_key
          AND m.sender = app.sender AND m.client_id = app.client_id;
        IF FOUND THEN
          -- Give the seq back: the row lock is still ours, nobody took one since.
          UPDATE streams s SET last_seq = s.last_seq - 1 WHERE s.key = app.stream;
          r_duplicate := true;
          SELECT o.seq, o.user_name, o.text, o.deleted, o.sender
          INTO r_reply_seq, r_reply_user, r_reply_text, r_reply_deleted,
               r_reply_sender
          FROM messages o WHERE o.id = r_reply_to;
          RETURN NEXT;
          CONTINUE;
        END IF;
      END IF;
      IF app.pending_to IS NOT NULL AND app.max_for_recipient IS NOT NULL THEN
        IF (SELECT count(*) FROM (SELECT 1 FROM messages m
              WHERE m.pending_to = app.pending_to
              LIMIT app.max_for_recipient) w) >= app.max_for_recipient THEN
          r_full := 'recipient';
        ELSIF (SELECT count(*) FROM (SELECT 1 FROM messages m
              WHERE m.user_key = app.user_key AND m.pending_to IS NOT NULL
              LIMIT app.max_from_sender) w) >= app.max_from_sender THEN
          r_full := 'sender';
        END IF;
        IF r_full IS NOT NULL THEN
          UPDATE streams s SET last_seq = s.last_seq - 1 WHERE s.key = app.stream;
          RETURN NEXT;
          CONTINUE;
        END IF;
      END IF;
      INSERT INTO messages (stream, seq, id, user_key, user_name, room,
        to_user, text, ts, client_id, sender, attachments, pending_to,
        reply_to, search)
      VALUES (app.stream, next_seq, app.id, app.user_key, app.user_name,
        room_name, app.to_user, app.body, app.ts, app.client_id, app.sender,
        app.attachments, app.pending_to, app.reply_to,
        array_to_tsvector(string_to_array(app.words, ' ')));
      IF app.attachments IS NOT NULL THEN
        INSERT INTO file_refs (upload_id, message_id, stream)
        SELECT DISTINCT
          substring(a->>'url' from '^/files/([0-9a-f]{32}(?:[0-9a-f]{32})?)/'),
          app.id, app.stream
        FROM jsonb_array_elements(app.attachments) a
        WHERE a->>'url' ~ '^/files/[0-9a-f]{32}([0-9a-f]{32})?/'
        ON CONFLICT DO NOTHING;
      END IF;
      r_seq := next_seq;
      r_id := app.id;
      r_user := app.user_name;
      r_room := room_name;
      r_to := app.to_user;
      r_text := app.body;
      r_ts := app.ts;
      r_client_id := app.client_id;
      r_attachments := app.attachments;
      r_edited_at := NULL;
      r_deleted := false;
      r_reply_to := app.reply_to;
      r_reactions := NULL;
      r_pinned_at := NULL;
      IF app.reply_to IS NOT NULL THEN
        SELECT o.seq, o.user_name, o.text, o.deleted, o.sender
        INTO r_reply_seq, r_reply_user, r_reply_text, r_reply_deleted,
             r_reply_sender
        FROM messages o WHERE o.id = app.reply_to;
      END IF;
      RETURN NEXT;
    END LOOP;
  END
  $$;
  `,
  `
  -- chat_append as in the version before, the retry looked for before the
  -- ban: a ban refuses new messages only, and the retry of one stored
  -- before it gets that first copy, as any retry does. Costs nothing: both
  -- probes ran for every append with a client_id already, and still do.
  -- The sender locks are taken as before (see chat_add_ban).
  CREATE OR REPLACE FUNCTION chat_append(appends jsonb)
  RETURNS TABLE (
    r_ord integer, r_seq bigint, r_id text, r_user text, r_room text,
    r_to text, r_text text, r_ts bigint, r_client_id text,
    r_attachments jsonb, r_edited_at bigint, r_deleted boolean,
    r_duplicate boolean, r_full text, r_reply_to text, r_reactions jsonb,
    r_pinned_at bigint, r_reply_seq bigint, r_reply_user text,
    r_reply_text text, r_reply_deleted boolean, r_reply_sender text,
    r_ban jsonb
  )
  LANGUAGE plpgsql AS $$
  DECLARE
    app record;
    next_seq bigint;
    room_name text;
    sender_lock integer;
  BEGIN
    -- Every sender's lock first, in one order for every process, before
    -- any stream's row: a ban waiting for one of them then never stands
    -- between two appends that wait for each other's rows.
    FOR sender_lock IN
      SELECT DISTINCT hashtext(a.user_key)
      FROM jsonb_to_recordset(appends) AS a(user_key text) ORDER BY 1
    LOOP
      PERFORM pg_advisory_xact_lock_shared(1667785076, sender_lock);
    END LOOP;
    FOR app IN
      SELECT * FROM jsonb_to_recordset(appends) AS a(
        ord integer, stream text, in_room boolean, id text, user_key text,
        user_name text, to_user text, body text, ts bigint, client_id text,
        sender text, attachments jsonb, pending_to text,
        max_for_recipient integer, max_from_sender integer, reply_to text,
        words text)
      ORDER BY a.ord
    LOOP
      r_ord := app.ord;
      r_duplicate := false;
      r_full := NULL;
      room_name := NULL;
      r_reply_seq := NULL;
      r_reply_user := NULL;
      r_reply_text := NULL;
      r_reply_deleted := NULL;
      r_reply_sender := NULL;
      r_ban := NULL;
      IF app.in_room THEN
        UPDATE streams s SET last_seq = s.last_seq + 1
        FROM rooms r WHERE s.key = app.stream AND r.key = s.key
        RETURNING s.last_seq, r.name INTO next_seq, room_name;
        IF NOT FOUND THEN
          r_seq := NULL;
          RETURN NEXT;
          CONTINUE;
        END IF;
      ELSE
        INSERT INTO streams AS s (key, last_seq) VALUES (app.stream, 1)
        ON CONFLICT (key) DO UPDATE SET last_seq = s.last_seq + 1
        RETURNING s.last_seq INTO next_seq;
      END IF;
      IF app.client_id IS NOT NULL THEN
        SELECT m.seq, m.id, m.user_name, m.room, m.to_user, m.text, m.ts,
               m.client_id, m.attachments, m.edited_at, m.deleted,
               m.reply_to, m.reactions, m.pinned_at
        INTO r_seq, r_id, r_user, r_room, r_to, r_text, r_ts, r_client_id,
             r_attachments, r_edited_at, r_deleted, r_reply_to, r_reactions,
             r_pinned_at
        FROM messages m
        WHERE m.stream = app.stream AND m.user_key = app.user_key
          AND m.sender = app.sender AND m.client_id = app.client_id;
        IF FOUND THEN
          -- Give the seq back: the row lock is still ours, nobody took one since.
          UPDATE streams s SET last_seq = s.last_seq - 1 WHERE s.key = app.stream;
          r_duplicate := true;
          SELECT o.seq, o.user_name, o.text, o.deleted, o.sender
          INTO r_reply_seq, r_reply_user, r_reply_text, r_reply_deleted,
               r_reply_sender
          FROM messages o WHERE o.id = r_reply_to;
          RETURN NEXT;
          CONTINUE;
        END IF;
      END IF;
      -- A statement after the sender's lock, so its snapshot holds every
      -- ban committed before the lock was granted (see chat_add_ban).
      SELECT to_jsonb(b) INTO r_ban FROM (
        SELECT x.user_key, x.address, x.room_key, x.reason, x.by_user,
               x.created_at, x.expires_at
        FROM bans x
        WHERE x.user_key = app.user_key AND x.address = ''
          AND x.room_key IN ('', CASE WHEN app.in_room THEN app.stream
                                      ELSE '' END)
          AND (x.expires_at IS NULL OR x.expires_at > app.ts)
        ORDER BY x.room_key LIMIT 1) b;
      IF r_ban IS NOT NULL THEN
        UPDATE streams s SET last_seq = s.last_seq - 1 WHERE s.key = app.stream;
        r_seq := NULL;
        RETURN NEXT;
        CONTINUE;
      END IF;
      IF app.pending_to IS NOT NULL AND app.max_for_recipient IS NOT NULL THEN
        IF (SELECT count(*) FROM (SELECT 1 FROM messages m
              WHERE m.pending_to = app.pending_to
              LIMIT app.max_for_recipient) w) >= app.max_for_recipient THEN
          r_full := 'recipient';
        ELSIF (SELECT count(*) FROM (SELECT 1 FROM messages m
              WHERE m.user_key = app.user_key AND m.pending_to IS NOT NULL
              LIMIT app.max_from_sender) w) >= app.max_from_sender THEN
          r_full := 'sender';
        END IF;
        IF r_full IS NOT NULL THEN
          UPDATE streams s SET last_seq = s.last_seq - 1 WHERE s.key = app.stream;
          RETURN NEXT;
          CONTINUE;
        END IF;
      END IF;
      INSERT INTO messages (stream, seq, id, user_key, user_name, room,
        to_user, text, ts, client_id, sender, attachments, pending_to,
        reply_to, search)
      VALUES (app.stream, next_seq, app.id, app.user_key, app.user_name,
        room_name, app.to_user, app.body, app.ts, app.client_id, app.sender,
        app.attachments, app.pending_to, app.reply_to,
        array_to_tsvector(string_to_array(app.words, ' ')));
      IF app.attachments IS NOT NULL THEN
        INSERT INTO file_refs (upload_id, message_id, stream)
        SELECT DISTINCT
          substring(a->>'url' from '^/files/([0-9a-f]{32}(?:[0-9a-f]{32})?)/'),
          app.id, app.stream
        FROM jsonb_array_elements(app.attachments) a
        WHERE a->>'url' ~ '^/files/[0-9a-f]{32}([0-9a-f]{32})?/'
        ON CONFLICT DO NOTHING;
      END IF;
      r_seq := next_seq;
      r_id := app.id;
      r_user := app.user_name;
      r_room := room_name;
      r_to := app.to_user;
      r_text := app.body;
      r_ts := app.ts;
      r_client_id := app.client_id;
      r_attachments := app.attachments;
      r_edited_at := NULL;
      r_deleted := false;
      r_reply_to := app.reply_to;
      r_reactions := NULL;
      r_pinned_at := NULL;
      IF app.reply_to IS NOT NULL THEN
        SELECT o.seq, o.user_name, o.text, o.deleted, o.sender
        INTO r_reply_seq, r_reply_user, r_reply_text, r_reply_deleted,
             r_reply_sender
        FROM messages o WHERE o.id = app.reply_to;
      END IF;
      RETURN NEXT;
    END LOOP;
  END
  $$;
  `,
  `
  -- An account's memberships up to a cap (--max-memberships): the count
  -- and the insert ordered by a lock on the account's name, so that joins
  -- on several nodes cannot all pass it at once. READ COMMITTED alone would
  -- not do: two joins each count before the other's insert commits. The
  -- lock is taken only with a cap; each statement after it sees what the
  -- joins before it committed. Returns 'added', 'member' (one already, or
  -- the room is gone) or 'full'.
  CREATE FUNCTION chat_add_member(
    m_user text, m_room text, m_at bigint, max_rooms integer
  ) RETURNS text
  LANGUAGE plpgsql AS $$
  DECLARE
    n integer;
    added text;
  BEGIN
    IF max_rooms > 0 THEN
      PERFORM pg_advisory_xact_lock(1835363698, hashtext(m_user));
      IF NOT EXISTS (SELECT 1 FROM memberships
                     WHERE user_key = m_user AND room_key = m_room) THEN
        SELECT count(*) INTO n FROM memberships WHERE user_key = m_user;
        IF n >= max_rooms THEN
          RETURN 'full';
        END IF;
      END IF;
    END IF;
    INSERT INTO memberships (user_key, room_key, joined_at)
    SELECT m_user, key, greatest(m_at, coalesce(
      (SELECT max(joined_at) + 1 FROM memberships WHERE user_key = m_user), 0))
    FROM rooms WHERE key = m_room
    ON CONFLICT DO NOTHING
    RETURNING room_key INTO added;
    IF added IS NULL THEN
      RETURN 'member';
    END IF;
    INSERT INTO read_positions (user_key, stream, last_read_seq)
    SELECT m_user, s.key, s.last_seq FROM streams s WHERE s.key = m_room
    ON CONFLICT (user_key, stream)
      DO UPDATE SET last_read_seq = excluded.last_read_seq;
    RETURN 'added';
  END
  $$;
  `,
  `
  -- An account's messages that commit after its deletion are refused: a
  -- message its sockets sent while an admin deleted it (its sockets close
  -- only after the reply, and on other nodes once the event reaches them)
  -- stayed under its name and key, escaping the anonymising. The deletion
  -- takes the name's lock alone, as a ban does (see chat_add_ban): it
  -- waits for the appends of that name past their checks to commit, then
  -- anonymises them with the rest; an append that comes later reads the
  -- account gone (r_gone), its sender an account identity ('a:' or 'b:'
  -- and the account's creation time, so a name registered again since is
  -- another account). Costs a primary-key probe of accounts per account
  -- message. chat_append returns r_gone: dropped and made again. And a
  -- room message names the room's creation time as its sender saw it
  -- (room_created_at, NULL: any): one queued while its room was deleted and
  -- made again under the name went into the new room.
  -- A reaction likewise (chat_react_as): under the name's lock, shared, as
  -- an append's, and refused ('gone') once the account is deleted; NULL
  -- for a guest, who has no account.
  CREATE FUNCTION chat_react_as(
    who_since bigint, target text, who text, who_name text, reaction text,
    turn_on boolean, max_emoji integer, max_users integer
  ) RETURNS text
  LANGUAGE plpgsql AS $$
  BEGIN
    IF who_since IS NOT NULL THEN
      PERFORM pg_advisory_xact_lock_shared(1667785076, hashtext(who));
      IF NOT EXISTS (SELECT 1 FROM accounts a
                     WHERE a.key = who AND a.created_at = who_since) THEN
        RETURN 'gone';
      END IF;
    END IF;
    RETURN chat_react(target, who, who_name, reaction, turn_on, max_emoji,
      max_users);
  END
  $$;
  CREATE OR REPLACE FUNCTION chat_delete_account(
    target text, anon_name text, max_users integer
  ) RETURNS boolean
  LANGUAGE plpgsql AS $$
  DECLARE
    reacted text;
  BEGIN
    PERFORM pg_advisory_xact_lock(1667785076, hashtext(target));
    DELETE FROM accounts a WHERE a.key = target;
    IF NOT FOUND THEN
      RETURN false;
    END IF;
    DELETE FROM memberships m WHERE m.user_key = target;
    DELETE FROM read_positions r WHERE r.user_key = target;
    DELETE FROM mentions n WHERE n.user_key = target;
    DELETE FROM messages m WHERE m.pending_to = target;
    IF anon_name IS NOT NULL THEN
      UPDATE messages m SET user_name = anon_name, user_key = '',
        client_id = NULL
      WHERE m.user_key = target;
      FOR reacted IN
        WITH changed AS (
          UPDATE reactions x SET user_name = anon_name,
            user_key = ' deleted ' || md5(random()::text || x.ord::text)
          WHERE x.user_key = target RETURNING x.message_id
        ) SELECT DISTINCT c.message_id FROM changed c
      LOOP
        PERFORM chat_sum_reactions(reacted, max_users);
      END LOOP;
    END IF;
    RETURN true;
  END
  $$;
  DROP FUNCTION chat_append(jsonb);
  CREATE FUNCTION chat_append(appends jsonb)
  RETURNS TABLE (
    r_ord integer, r_seq bigint, r_id text, r_user text, r_room text,
    r_to text, r_text text, r_ts bigint, r_client_id text,
    r_attachments jsonb, r_edited_at bigint, r_deleted boolean,
    r_duplicate boolean, r_full text, r_reply_to text, r_reactions jsonb,
    r_pinned_at bigint, r_reply_seq bigint, r_reply_user text,
    r_reply_text text, r_reply_deleted boolean, r_reply_sender text,
    r_ban jsonb, r_gone boolean
  )
  LANGUAGE plpgsql AS $$
  DECLARE
    app record;
    next_seq bigint;
    room_name text;
    sender_lock integer;
  BEGIN
    -- Every sender's lock first, in one order for every process, before
    -- any stream's row: a ban waiting for one of them then never stands
    -- between two appends that wait for each other's rows.
    FOR sender_lock IN
      SELECT DISTINCT hashtext(a.user_key)
      FROM jsonb_to_recordset(appends) AS a(user_key text) ORDER BY 1
    LOOP
      PERFORM pg_advisory_xact_lock_shared(1667785076, sender_lock);
    END LOOP;
    FOR app IN
      SELECT * FROM jsonb_to_recordset(appends) AS a(
        ord integer, stream text, in_room boolean, id text, user_key text,
        user_name text, to_user text, body text, ts bigint, client_id text,
        sender text, attachments jsonb, pending_to text,
        max_for_recipient integer, max_from_sender integer, reply_to text,
        words text, room_created_at bigint)
      ORDER BY a.ord
    LOOP
      r_ord := app.ord;
      r_duplicate := false;
      r_full := NULL;
      room_name := NULL;
      r_reply_seq := NULL;
      r_reply_user := NULL;
      r_reply_text := NULL;
      r_reply_deleted := NULL;
      r_reply_sender := NULL;
      r_ban := NULL;
      r_gone := false;
      IF app.in_room THEN
        -- Not into another incarnation of the name (deleted and made
        -- again since the sender saw it): refused as for a room gone.
        UPDATE streams s SET last_seq = s.last_seq + 1
        FROM rooms r WHERE s.key = app.stream AND r.key = s.key
          AND (app.room_created_at IS NULL
               OR r.created_at = app.room_created_at)
        RETURNING s.last_seq, r.name INTO next_seq, room_name;
        IF NOT FOUND THEN
          r_seq := NULL;
          RETURN NEXT;
          CONTINUE;
        END IF;
      ELSE
        INSERT INTO streams AS s (key, last_seq) VALUES (app.stream, 1)
        ON CONFLICT (key) DO UPDATE SET last_seq = s.last_seq + 1
        RETURNING s.last_seq INTO next_seq;
      END IF;
      IF app.client_id IS NOT NULL THEN
        SELECT m.seq, m.id, m.user_name, m.room, m.to_user, m.text, m.ts,
               m.client_id, m.attachments, m.edited_at, m.deleted,
               m.reply_to, m.reactions, m.pinned_at
        INTO r_seq, r_id, r_user, r_room, r_to, r_text, r_ts, r_client_id,
             r_attachments, r_edited_at, r_deleted, r_reply_to, r_reactions,
             r_pinned_at
        FROM messages m
        WHERE m.stream = app.stream AND m.user_key = app.user_key
          AND m.sender = app.sender AND m.client_id = app.client_id;
        IF FOUND THEN
          -- Give the seq back: the row lock is still ours, nobody took one since.
          UPDATE streams s SET last_seq = s.last_seq - 1 WHERE s.key = app.stream;
          r_duplicate := true;
          SELECT o.seq, o.user_name, o.text, o.deleted, o.sender
          INTO r_reply_seq, r_reply_user, r_reply_text, r_reply_deleted,
               r_reply_sender
          FROM messages o WHERE o.id = r_reply_to;
          RETURN NEXT;
          CONTINUE;
        END IF;
      END IF;
      -- A statement after the sender's lock, so its snapshot holds every
      -- ban committed before the lock was granted (see chat_add_ban).
      SELECT to_jsonb(b) INTO r_ban FROM (
        SELECT x.user_key, x.address, x.room_key, x.reason, x.by_user,
               x.created_at, x.expires_at
        FROM bans x
        WHERE x.user_key = app.user_key AND x.address = ''
          AND x.room_key IN ('', CASE WHEN app.in_room THEN app.stream
                                      ELSE '' END)
          AND (x.expires_at IS NULL OR x.expires_at > app.ts)
        ORDER BY x.room_key LIMIT 1) b;
      IF r_ban IS NOT NULL THEN
        UPDATE streams s SET last_seq = s.last_seq - 1 WHERE s.key = app.stream;
        r_seq := NULL;
        RETURN NEXT;
        CONTINUE;
      END IF;
      -- An account identity ('a:' or 'b:' and its creation time) whose
      -- account is gone: deleted before this append took its sender lock.
      IF app.sender ~ '^[ab]:[0-9]+$' AND NOT EXISTS (
        SELECT 1 FROM accounts a
        WHERE a.key = app.user_key
          AND a.created_at = substr(app.sender, 3)::bigint) THEN
        UPDATE streams s SET last_seq = s.last_seq - 1 WHERE s.key = app.stream;
        r_seq := NULL;
        r_gone := true;
        RETURN NEXT;
        CONTINUE;
      END IF;
      IF app.pending_to IS NOT NULL AND app.max_for_recipient IS NOT NULL THEN
        IF (SELECT count(*) FROM (SELECT 1 FROM messages m
              WHERE m.pending_to = app.pending_to
              LIMIT app.max_for_recipient) w) >= app.max_for_recipient THEN
          r_full := 'recipient';
        ELSIF (SELECT count(*) FROM (SELECT 1 FROM messages m
              WHERE m.user_key = app.user_key AND m.pending_to IS NOT NULL
              LIMIT app.max_from_sender) w) >= app.max_from_sender THEN
          r_full := 'sender';
        END IF;
        IF r_full IS NOT NULL THEN
          UPDATE streams s SET last_seq = s.last_seq - 1 WHERE s.key = app.stream;
          RETURN NEXT;
          CONTINUE;
        END IF;
      END IF;
      INSERT INTO messages (stream, seq, id, user_key, user_name, room,
        to_user, text, ts, client_id, sender, attachments, pending_to,
        reply_to, search)
      VALUES (app.stream, next_seq, app.id, app.user_key, app.user_name,
        room_name, app.to_user, app.body, app.ts, app.client_id, app.sender,
        app.attachments, app.pending_to, app.reply_to,
        array_to_tsvector(string_to_array(app.words, ' ')));
      IF app.attachments IS NOT NULL THEN
        INSERT INTO file_refs (upload_id, message_id, stream)
        SELECT DISTINCT
          substring(a->>'url' from '^/files/([0-9a-f]{32}(?:[0-9a-f]{32})?)/'),
          app.id, app.stream
        FROM jsonb_array_elements(app.attachments) a
        WHERE a->>'url' ~ '^/files/[0-9a-f]{32}([0-9a-f]{32})?/'
        ON CONFLICT DO NOTHING;
      END IF;
      r_seq := next_seq;
      r_id := app.id;
      r_user := app.user_name;
      r_room := room_name;
      r_to := app.to_user;
      r_text := app.body;
      r_ts := app.ts;
      r_client_id := app.client_id;
      r_attachments := app.attachments;
      r_edited_at := NULL;
      r_deleted := false;
      r_reply_to := app.reply_to;
      r_reactions := NULL;
      r_pinned_at := NULL;
      IF app.reply_to IS NOT NULL THEN
        SELECT o.seq, o.user_name, o.text, o.deleted, o.sender
        INTO r_reply_seq, r_reply_user, r_reply_text, r_reply_deleted,
             r_reply_sender
        FROM messages o WHERE o.id = app.reply_to;
      END IF;
      RETURN NEXT;
    END LOOP;
  END
  $$;
  `,
  `
  -- A room's creation time is which incarnation of its name it is (the
  -- epoch clients resume from, and what an append names so that it never
  -- lands in a room made again under the name): a room deleted and made
  -- again within one millisecond had the same one, and a send queued for
  -- the old room went into the new. Creation times now come from this
  -- clock, each past the last one handed out (the wall clock when it is
  -- ahead), so no two rooms of one database ever share one, whichever node
  -- made them: a room's creation takes this row's lock until it commits.
  CREATE TABLE room_clock (
    one  BOOLEAN PRIMARY KEY DEFAULT true CHECK (one),
    last BIGINT NOT NULL
  );
  INSERT INTO room_clock (last) SELECT coalesce(max(created_at), 0) FROM rooms;
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
  -- statement, so a message and its version are always read together. An
  -- update waits for the row's lock and sees the last committed row, so
  -- versions follow the commits' order whichever node made them. Nodes and
  -- clients drop an update older than one they already showed (two edits
  -- from two nodes, or an edit and a reaction, may reach them in either
  -- order). A trigger, so that every way a message changes (the functions
  -- too) bumps it; it costs a comparison per changed row, never per send.
  -- The column's constant default rewrites no rows.
  ALTER TABLE messages ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
  CREATE FUNCTION chat_message_version() RETURNS trigger
  LANGUAGE plpgsql AS $$
  BEGIN
    IF (new.text, new.deleted, new.attachments, new.reactions, new.pinned_at,
        new.edited_at)
       IS DISTINCT FROM (old.text, old.deleted, old.attachments,
        old.reactions, old.pinned_at, old.edited_at) THEN
      new.version := old.version + 1;
    END IF;
    RETURN new;
  END
  $$;
  CREATE TRIGGER messages_version
  BEFORE UPDATE OF text, deleted, attachments, reactions, pinned_at, edited_at
  ON messages FOR EACH ROW EXECUTE FUNCTION chat_message_version();
  `,
  `
  -- Each account's private conversations, one row per side, so that
  -- list_conversations is one index range, newest first, however many
  -- messages and conversations there are (a walk of the '@a:b' streams
  -- cannot find the ones where the account is b by index). A trigger, so
  -- that every way a private message is stored writes it in its own
  -- transaction (chat_append, imports); two small upserts per private
  -- message, none per room message. A conversation's rows change only
  -- under its stream's row lock (chat_append takes it first), so two nodes
  -- never wait on each other here. An anonymised message (user_key '')
  -- names no side and is left out. Rows outlive a deleted account: a
  -- later holder of the name reads them with its creation time as a floor
  -- (as history does), so it never sees them. Ids sort as bytes ("C").
  CREATE TABLE conversations (
    user_key  TEXT NOT NULL,
    with_key  TEXT NOT NULL,
    with_name TEXT NOT NULL,  -- as its newest message wrote it
    last_seq  BIGINT NOT NULL,
    last_id   TEXT COLLATE "C" NOT NULL,  -- ULID: by time, unique (the cursor)
    last_at   BIGINT NOT NULL,
    PRIMARY KEY (user_key, with_key)
  );
  CREATE INDEX conversations_recent ON conversations (user_key, last_id);
  CREATE FUNCTION chat_note_conversation() RETURNS trigger
  LANGUAGE plpgsql AS $$
  DECLARE
    colon integer := strpos(new.stream, ':');
    a text := substr(new.stream, 2, colon - 2);
    other text := CASE WHEN a = new.user_key
      THEN substr(new.stream, colon + 1) ELSE a END;
  BEGIN
    INSERT INTO conversations AS c
      (user_key, with_key, with_name, last_seq, last_id, last_at)
    VALUES (new.user_key, other, new.to_user, new.seq, new.id, new.ts)
    ON CONFLICT (user_key, with_key) DO UPDATE SET
      with_name = excluded.with_name, last_seq = excluded.last_seq,
      last_id = excluded.last_id, last_at = excluded.last_at
    WHERE excluded.last_seq > c.last_seq;
    IF other <> new.user_key THEN
      INSERT INTO conversations AS c
        (user_key, with_key, with_name, last_seq, last_id, last_at)
      VALUES (other, new.user_key, new.user_name, new.seq, new.id, new.ts)
      ON CONFLICT (user_key, with_key) DO UPDATE SET
        with_name = excluded.with_name, last_seq = excluded.last_seq,
        last_id = excluded.last_id, last_at = excluded.last_at
      WHERE excluded.last_seq > c.last_seq;
    END IF;
    RETURN NULL;
  END
  $$;
  CREATE TRIGGER messages_conversations AFTER INSERT ON messages
  FOR EACH ROW WHEN (new.to_user IS NOT NULL AND new.user_key <> '')
  EXECUTE FUNCTION chat_note_conversation();
  -- The conversations stored before: each one's newest message names both
  -- sides. One pass over the private messages, once.
  WITH newest AS (
    SELECT DISTINCT ON (m.stream) m.user_key, m.user_name, m.to_user, m.seq,
      m.id, m.ts,
      CASE WHEN substr(m.stream, 2, strpos(m.stream, ':') - 2) = m.user_key
        THEN substr(m.stream, strpos(m.stream, ':') + 1)
        ELSE substr(m.stream, 2, strpos(m.stream, ':') - 2) END AS other
    FROM messages m
    WHERE m.to_user IS NOT NULL AND m.user_key <> ''
    ORDER BY m.stream, m.seq DESC
  )
  INSERT INTO conversations
    (user_key, with_key, with_name, last_seq, last_id, last_at)
  SELECT user_key, other, to_user, seq, id, ts FROM newest
  UNION ALL
  SELECT other, user_key, user_name, seq, id, ts FROM newest
  WHERE other <> user_key;
  `,
  `
  -- The journal of file deletions: the hashes whose bytes must go unless an
  -- upload uses them again, recorded in the transaction that forgets their
  -- last upload (a sweep, or an upload whose bytes could not be kept). A
  -- node deletes the bytes after the commit, holding the hash's advisory
  -- lock (class 1718185061, "file"), then the row; a process killed in
  -- between leaves the row (its lock goes with its connection), and the
  -- next start of any node finishes what it holds instead of walking every
  -- file kept. Empty but for deletions under way or cut short.
  CREATE TABLE file_deletions (hash TEXT PRIMARY KEY);
  -- An upload takes its hash's lock before it is recorded: a node deleting
  -- these bytes finishes first (the upload's bytes are put after its
  -- commit, so they are put again), and a node that takes the lock after
  -- sees the upload and keeps them. Costs a lock per upload, held until its
  -- commit; uploads of other bytes never wait (but for a 32-bit clash).
  CREATE OR REPLACE FUNCTION chat_save_upload(
    u_id text, u_hash text, u_name text, u_type text, u_size bigint,
    u_uploader text, u_width bigint, u_height bigint, u_frames bigint,
    u_created_at bigint, quota bigint
  ) RETURNS boolean
  LANGUAGE plpgsql AS $$
  DECLARE
    used bigint;
  BEGIN
    PERFORM pg_advisory_xact_lock(1718185061, hashtext(u_hash));
    IF quota > 0 THEN
      INSERT INTO upload_usage AS g (uploader, bytes) VALUES (u_uploader, 0)
      ON CONFLICT (uploader) DO UPDATE SET bytes = g.bytes
      RETURNING g.bytes INTO used;
      IF u_size + used > quota THEN
        RETURN false;
      END IF;
    END IF;
    INSERT INTO uploads (id, hash, name, type, size, uploader, width, height,
      frames, created_at)
    VALUES (u_id, u_hash, u_name, u_type, u_size, u_uploader, u_width,
      u_height, u_frames, u_created_at);
    RETURN true;
  END
  $$;
  `,
  `
  -- Conversations no list may show, left by servers of before: the rows of
  -- accounts deleted before delete_account forgot them (no account holds
  -- their key), and the rows of conversations whose messages had all
  -- expired before retention deleted their rows (their stream holds no
  -- message). Rows under a guest's name go too: no one ever reads them
  -- (guests get no list; a later account of the name reads from its
  -- creation on, and its first message writes a row again). One pass over
  -- the rows, two index probes each; deletes only, so it may run again.
  DELETE FROM conversations c
  WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.key = c.user_key)
    OR NOT EXISTS (SELECT 1 FROM messages m
      WHERE m.stream IN ('@' || c.user_key || ':' || c.with_key,
                         '@' || c.with_key || ':' || c.user_key));
  `,
  `
  -- chat_rename_room, then updateRoom's change made to the renamed room, in
  -- the one statement's transaction: an update_room that renames and
  -- changes settings commits once, its audit entry with it. A null
  -- new_private keeps the room's; set_owner and set_retention say whether
  -- new_owner and new_retention are given (null in them clears). OR
  -- REPLACE: a database rewound to an older version runs this again.
  CREATE OR REPLACE FUNCTION chat_rename_change_room(
    target text, new_key text, new_name text, new_private boolean,
    set_owner boolean, new_owner text, set_retention boolean,
    new_retention integer
  ) RETURNS text
  LANGUAGE plpgsql AS $$
  DECLARE
    outcome text;
    was_private boolean;
  BEGIN
    outcome := chat_rename_room(target, new_key, new_name);
    IF outcome <> 'done' THEN
      RETURN outcome;
    END IF;
    SELECT r.private INTO was_private FROM rooms r WHERE r.key = new_key;
    -- Made private: the links made while anyone could come in end with it.
    IF new_private AND NOT was_private THEN
      UPDATE invites x SET revoked = true
      WHERE x.room_key = new_key AND NOT x.revoked;
    END IF;
    UPDATE rooms r SET
      private = coalesce(new_private, r.private),
      owner = CASE WHEN set_owner THEN new_owner ELSE r.owner END,
      retention_days = CASE WHEN set_retention THEN new_retention
        ELSE r.retention_days END
    WHERE r.key = new_key;
    RETURN 'done';
  END
  $$;
  `,
  `
  -- When the bytes of a file were last written (ms), so the daily walk
  -- removes only those no upload names that are over an hour old, as a
  -- folder's modification time tells it for files on disk (an upload's
  -- bytes are put after its row's commit, an import's before its own).
  -- Rows of before get the time of this migration: kept an hour more.
  -- now() is evaluated once here, so no row is rewritten (PostgreSQL 11+).
  ALTER TABLE file_contents ADD COLUMN written_at BIGINT NOT NULL
    DEFAULT (extract(epoch FROM now()) * 1000)::bigint;
  `,
  `
  -- When the other side's account was deleted (ms), on the rows of those
  -- who wrote with it (deleteAccount writes it, one key probe per row of
  -- the account's own list): list_conversations says \`deleted\` while no
  -- message came since (a newer one is with whoever holds the name now).
  -- Conversations with accounts deleted before this version say nothing:
  -- a deleted account's rows were its partners' only record of it.
  ALTER TABLE conversations ADD COLUMN with_deleted_at BIGINT;
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
  CREATE TABLE upload_rereads (id TEXT PRIMARY KEY);
  INSERT INTO upload_rereads (id)
  SELECT id FROM uploads
  WHERE width IS NOT NULL AND (type IN ('image/gif', 'image/jpeg')
    OR (type = 'image/png' AND size > 512 * 1024));
  UPDATE uploads SET width = NULL, height = NULL, frames = NULL
  WHERE id IN (SELECT id FROM upload_rereads);
  UPDATE messages m SET attachments = (
    SELECT jsonb_agg(CASE
      -- The id in '/files/<id>/<name>', looked up by key.
      WHEN substring(a.value ->> 'url' from '^/files/([0-9a-f]+)/')
        IN (SELECT id FROM upload_rereads)
      THEN a.value - 'width' - 'height' - 'frames'
      ELSE a.value END ORDER BY a.ord)
    FROM jsonb_array_elements(m.attachments) WITH ORDINALITY a(value, ord))
  WHERE jsonb_typeof(m.attachments) = 'array' AND m.id IN (SELECT f.message_id
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
    user_key     text NOT NULL,
    ignored_key  text NOT NULL,
    ignored_name text NOT NULL,
    at           bigint NOT NULL,
    PRIMARY KEY (user_key, ignored_key)
  );
  CREATE INDEX ignores_ignored ON ignores (ignored_key);
  ALTER TABLE memberships ADD COLUMN invited_by text;
  -- chat_add_member, and the inviter recorded in the same transaction.
  CREATE FUNCTION chat_add_invited_member(
    m_user text, m_room text, m_at bigint, max_rooms integer, m_by text
  ) RETURNS text
  LANGUAGE plpgsql AS $$
  DECLARE
    outcome text;
  BEGIN
    outcome := chat_add_member(m_user, m_room, m_at, max_rooms);
    IF outcome = 'added' THEN
      UPDATE memberships SET invited_by = m_by
      WHERE user_key = m_user AND room_key = m_room;
    END IF;
    RETURN outcome;
  END
  $$;
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
    created_at      BIGINT NOT NULL,
    failures        BIGINT NOT NULL DEFAULT 0,
    last_error      TEXT,
    last_status     BIGINT,
    last_failure_at BIGINT,
    last_success_at BIGINT
  );
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
  -- The user directory (findPeople) by the start of a name key: a range
  -- of keys in byte order, which the primary key's index keeps only when
  -- the database's collation is "C". About 40 bytes an account. SQLite
  -- compares keys by their bytes: its primary key serves already.
  CREATE INDEX accounts_key_bytes ON accounts (key COLLATE "C");
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
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (user_key, stream)
  );
  `,
  `
  -- A room's topic (set_topic): one line of plain text, NULL for none. A
  -- column of rooms, so chat_rename_room, made again here as before but
  -- for the topic in its copy of the row, carries it to the new key.
  ALTER TABLE rooms ADD COLUMN topic TEXT;

  CREATE OR REPLACE FUNCTION chat_rename_room(target text, new_key text, new_name text)
  RETURNS text
  LANGUAGE plpgsql AS $$
  BEGIN
    PERFORM 1 FROM rooms r WHERE r.key = target FOR UPDATE;
    IF NOT FOUND THEN
      RETURN 'not_found';
    END IF;
    PERFORM 1 FROM streams s WHERE s.key = target FOR UPDATE;
    IF new_key <> target THEN
      -- A copy under the new key first: memberships, invites and webhooks
      -- (outgoing and incoming) reference rooms(key), so the old row goes last.
      INSERT INTO rooms (key, name, created_at, private, owner, retention_days,
        topic)
      SELECT new_key, r.name, r.created_at, r.private, r.owner, r.retention_days,
        r.topic
      FROM rooms r WHERE r.key = target
      ON CONFLICT (key) DO NOTHING;
      IF NOT FOUND THEN
        RETURN 'taken';
      END IF;
      -- A stream a deleted room of that name left holds nothing.
      DELETE FROM streams s WHERE s.key = new_key;
      UPDATE streams s SET key = new_key WHERE s.key = target;
      UPDATE messages m SET stream = new_key WHERE m.stream = target;
      UPDATE memberships x SET room_key = new_key WHERE x.room_key = target;
      UPDATE invites x SET room_key = new_key WHERE x.room_key = target;
      UPDATE webhooks x SET room_key = new_key WHERE x.room_key = target;
      UPDATE hooks x SET room_key = new_key WHERE x.room_key = target;
      UPDATE bans x SET room_key = new_key WHERE x.room_key = target;
      UPDATE read_positions x SET stream = new_key WHERE x.stream = target;
      UPDATE mentions x SET stream = new_key WHERE x.stream = target;
      UPDATE file_refs x SET stream = new_key WHERE x.stream = target;
      DELETE FROM rooms r WHERE r.key = target;
    END IF;
    UPDATE messages m SET room = new_name WHERE m.stream = new_key;
    UPDATE rooms r SET name = new_name WHERE r.key = new_key;
    RETURN 'done';
  END
  $$;
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
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (user_key, stream)
  );
  `,
  `
  -- Drafts of rooms their account left: a leave, a removal, a room ban
  -- and a room's deletion delete them now (they stayed, unseen, and came
  -- back to a room made again under the name). Deletes only: it may run
  -- again.
  DELETE FROM drafts d
  WHERE NOT starts_with(d.stream, '@') AND NOT EXISTS (
    SELECT 1 FROM memberships m
    WHERE m.user_key = d.user_key AND m.room_key = d.stream);
  -- An account's drafts up to a cap, the count and the write ordered by a
  -- lock on its name: in one statement, two nodes each counted before the
  -- other's insert committed and both passed the cap. Each statement
  -- after the lock sees what the writes before it committed. Returns
  -- whether it wrote.
  CREATE OR REPLACE FUNCTION chat_set_draft(
    d_user text, d_stream text, d_with text, d_text text, d_at bigint,
    max_drafts integer
  ) RETURNS boolean
  LANGUAGE plpgsql AS $$
  BEGIN
    PERFORM pg_advisory_xact_lock(1685217638, hashtext(d_user));  -- "draf"
    IF NOT EXISTS (SELECT 1 FROM drafts
                   WHERE user_key = d_user AND stream = d_stream)
       AND (SELECT count(*) FROM drafts WHERE user_key = d_user)
         >= max_drafts THEN
      RETURN false;
    END IF;
    INSERT INTO drafts (user_key, stream, with_name, text, updated_at)
    VALUES (d_user, d_stream, d_with, d_text, d_at)
    ON CONFLICT (user_key, stream) DO UPDATE SET
      with_name = excluded.with_name, text = excluded.text,
      updated_at = excluded.updated_at;
    RETURN true;
  END
  $$;
  -- An ignore and an invite of the ignorer by the ignored are ordered by
  -- the lock chat_add_member takes on the invited account's name: an
  -- ignore committed first refuses the invite ('ignored'), else the
  -- membership commits before the ignore, and ignore_user, reading the
  -- rooms to leave after it, finds it. Read past the ignore's check, an
  -- invite used to add its target for good. The same lock makes the
  -- ignores' cap exact. chat_ignore returns 'added', 'ignored' (already)
  -- or 'full'.
  CREATE OR REPLACE FUNCTION chat_ignore(
    i_user text, i_target text, i_name text, i_at bigint, max_ignored integer
  ) RETURNS text
  LANGUAGE plpgsql AS $$
  BEGIN
    PERFORM pg_advisory_xact_lock(1835363698, hashtext(i_user));
    IF EXISTS (SELECT 1 FROM ignores
               WHERE user_key = i_user AND ignored_key = i_target) THEN
      RETURN 'ignored';
    END IF;
    IF (SELECT count(*) FROM ignores WHERE user_key = i_user)
       >= max_ignored THEN
      RETURN 'full';
    END IF;
    INSERT INTO ignores (user_key, ignored_key, ignored_name, at)
    VALUES (i_user, i_target, i_name, i_at);
    RETURN 'added';
  END
  $$;
  CREATE OR REPLACE FUNCTION chat_invite_member(
    m_user text, m_room text, m_at bigint, max_rooms integer, m_by text
  ) RETURNS text
  LANGUAGE plpgsql AS $$
  BEGIN
    PERFORM pg_advisory_xact_lock(1835363698, hashtext(m_user));
    IF EXISTS (SELECT 1 FROM ignores
               WHERE user_key = m_user AND ignored_key = m_by) THEN
      RETURN 'ignored';
    END IF;
    RETURN chat_add_invited_member(m_user, m_room, m_at, max_rooms, m_by);
  END
  $$;
  `,
  `
  -- Drafts and notification levels of rooms no longer there: a rename left
  -- them under the old key and a deletion left the levels (a muted room
  -- was back at 'mentions' after a rename, and muted again when a room of
  -- the old name was made). A rename moves them now, a deletion takes
  -- them; these deletes, which may run again, clear what was left.
  -- chat_rename_room as in the version before, with the two tables.
  DELETE FROM drafts d
  WHERE NOT starts_with(d.stream, '@')
    AND NOT EXISTS (SELECT 1 FROM rooms r WHERE r.key = d.stream);
  DELETE FROM notification_levels l
  WHERE NOT starts_with(l.stream, '@')
    AND NOT EXISTS (SELECT 1 FROM rooms r WHERE r.key = l.stream);

  CREATE OR REPLACE FUNCTION chat_rename_room(target text, new_key text, new_name text)
  RETURNS text
  LANGUAGE plpgsql AS $$
  BEGIN
    PERFORM 1 FROM rooms r WHERE r.key = target FOR UPDATE;
    IF NOT FOUND THEN
      RETURN 'not_found';
    END IF;
    PERFORM 1 FROM streams s WHERE s.key = target FOR UPDATE;
    IF new_key <> target THEN
      -- A copy under the new key first: memberships, invites and webhooks
      -- (outgoing and incoming) reference rooms(key), so the old row goes last.
      INSERT INTO rooms (key, name, created_at, private, owner, retention_days,
        topic)
      SELECT new_key, r.name, r.created_at, r.private, r.owner, r.retention_days,
        r.topic
      FROM rooms r WHERE r.key = target
      ON CONFLICT (key) DO NOTHING;
      IF NOT FOUND THEN
        RETURN 'taken';
      END IF;
      -- A stream a deleted room of that name left holds nothing.
      DELETE FROM streams s WHERE s.key = new_key;
      UPDATE streams s SET key = new_key WHERE s.key = target;
      UPDATE messages m SET stream = new_key WHERE m.stream = target;
      UPDATE memberships x SET room_key = new_key WHERE x.room_key = target;
      UPDATE invites x SET room_key = new_key WHERE x.room_key = target;
      UPDATE webhooks x SET room_key = new_key WHERE x.room_key = target;
      UPDATE hooks x SET room_key = new_key WHERE x.room_key = target;
      UPDATE bans x SET room_key = new_key WHERE x.room_key = target;
      UPDATE read_positions x SET stream = new_key WHERE x.stream = target;
      UPDATE mentions x SET stream = new_key WHERE x.stream = target;
      UPDATE file_refs x SET stream = new_key WHERE x.stream = target;
      -- Rows under the new key, which no room has, would collide on the
      -- primary key: they go first.
      DELETE FROM drafts x WHERE x.stream = new_key;
      UPDATE drafts x SET stream = new_key WHERE x.stream = target;
      DELETE FROM notification_levels x WHERE x.stream = new_key;
      UPDATE notification_levels x SET stream = new_key WHERE x.stream = target;
      DELETE FROM rooms r WHERE r.key = target;
    END IF;
    UPDATE messages m SET room = new_name WHERE m.stream = new_key;
    UPDATE rooms r SET name = new_name WHERE r.key = new_key;
    RETURN 'done';
  END
  $$;
  `,
  `
  -- A room's member list (list_members) by the start of a name key, in
  -- byte order as SQLite's: a range of this index, stopping at the page's
  -- end. Before it, a room's every membership was read, its account
  -- probed and the lot sorted (1,000 members: 9.8 ms, now 0.12). It serves
  -- every look-up by room, so memberships_room goes. SQLite's
  -- memberships_room holds the primary key's user_key after room_key
  -- already (WITHOUT ROWID): its plan is a range. Safe to run again.
  CREATE INDEX IF NOT EXISTS memberships_room_bytes
    ON memberships (room_key, user_key COLLATE "C");
  DROP INDEX IF EXISTS memberships_room;
  `,
  `
  -- Do not disturb (set_do_not_disturb): until when, in ms since the
  -- epoch, no push goes to the account and its web clients raise no alert;
  -- NULL (or a time past) for none. A column of accounts: a push probes it
  -- by the key it has, and export/import carry it with the account. The
  -- partial index lists, per message of a room, the members who set it to
  -- 'all' (Web Push sends them every message): a range of the few rows at
  -- 'all', not a scan of every account's levels.
  ALTER TABLE accounts ADD COLUMN do_not_disturb_until BIGINT;
  CREATE INDEX notification_levels_all ON notification_levels (stream, user_key)
    WHERE level = 'all';
  `,
  `
  -- Saved messages (save_message): the messages each account keeps to
  -- come back to, on every device. One row per account and message id; the
  -- primary key serves a save's probe and its cap's count, the index the
  -- list, newest saved first. Whether the account may still read the
  -- message is asked when it is listed (a room left hides it, a room
  -- joined again shows it); a deleted account's rows go with it.
  -- chat_save_message counts and writes under a lock on the account's
  -- name, so the cap is exact across nodes: 'added', 'kept' or 'full'.
  CREATE TABLE saved_messages (
    user_key TEXT NOT NULL,
    message_id TEXT NOT NULL,
    saved_at BIGINT NOT NULL,
    PRIMARY KEY (user_key, message_id)
  );
  CREATE INDEX saved_messages_newest
    ON saved_messages (user_key, saved_at, message_id);
  CREATE OR REPLACE FUNCTION chat_save_message(
    s_user text, s_id text, s_at bigint, max_saved integer
  ) RETURNS text
  LANGUAGE plpgsql AS $$
  BEGIN
    PERFORM pg_advisory_xact_lock(1935767141, hashtext(s_user));  -- "save"
    IF EXISTS (SELECT 1 FROM saved_messages
               WHERE user_key = s_user AND message_id = s_id) THEN
      RETURN 'kept';
    END IF;
    IF (SELECT count(*) FROM saved_messages WHERE user_key = s_user)
       >= max_saved THEN
      RETURN 'full';
    END IF;
    INSERT INTO saved_messages (user_key, message_id, saved_at)
    VALUES (s_user, s_id, s_at);
    RETURN 'added';
  END
  $$;
  `,
  `
  -- Notification levels and drafts by room (stream), as in SQLite's: a
  -- room's deletion (or expiry) deletes its levels, and chat_rename_room
  -- moves its levels and drafts, as a range rather than a scan of every
  -- account's rows (their primary keys start with the account): at
  -- 200,000 rows of each, 18 ms for a room's 100 levels, now 0.6. Cost:
  -- one more index write per set_notify_level and per draft saved.
  -- Indexes only: it may run again.
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
  -- How many replies left a message's thread (deleted, which clears
  -- their reply_to, or gone), as in SQLite's: its thread_version, served
  -- with its count, is its live replies plus twice this, which only grows,
  -- so that a reader keeps the later of two replies_updated that nodes
  -- published at once (docs/protocol.md, "Threads"). The trigger's update
  -- waits for the root's row lock, so every reply that left is counted
  -- once whichever node deleted it; a reply sent writes nothing more. The
  -- column's constant default rewrites no rows. Cost: one row write on
  -- the root per reply deleted. A reply's delete locks the reply, then its
  -- root: a statement that deletes rows in bulk (retention, a room's
  -- deletion) and locked the root before the reply may meet it in a
  -- deadlock, which PostgreSQL ends by failing one of the two: the store
  -- runs the loser's statement again, a few times after a short jittered
  -- pause (runRetryingConflicts, postgres_context.ts), so the user's
  -- delete succeeds; a retention batch that still fails is tried again at
  -- the next pass.
  ALTER TABLE messages ADD COLUMN replies_gone BIGINT NOT NULL DEFAULT 0;
  CREATE FUNCTION chat_reply_left() RETURNS trigger
  LANGUAGE plpgsql AS $$
  BEGIN
    IF old.reply_to IS NOT NULL AND (TG_OP = 'DELETE'
        OR new.reply_to IS DISTINCT FROM old.reply_to) THEN
      UPDATE messages SET replies_gone = replies_gone + 1
      WHERE id = old.reply_to;
    END IF;
    RETURN NULL;
  END
  $$;
  CREATE TRIGGER messages_reply_left
  AFTER UPDATE OF reply_to OR DELETE ON messages
  FOR EACH ROW EXECUTE FUNCTION chat_reply_left();
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
  ALTER TABLE accounts ADD COLUMN status_until BIGINT;
  `,
  `
  -- An archived room (archive_room): it takes no new messages, edits,
  -- reactions, pins, topic or invites, and stays readable and searchable
  -- until unarchive_room. A column of rooms, so chat_rename_room, made
  -- again here as before but for the flag in its copy of the row, carries
  -- it to the new key.
  ALTER TABLE rooms ADD COLUMN archived BOOLEAN NOT NULL DEFAULT false;

  CREATE OR REPLACE FUNCTION chat_rename_room(target text, new_key text, new_name text)
  RETURNS text
  LANGUAGE plpgsql AS $$
  BEGIN
    PERFORM 1 FROM rooms r WHERE r.key = target FOR UPDATE;
    IF NOT FOUND THEN
      RETURN 'not_found';
    END IF;
    PERFORM 1 FROM streams s WHERE s.key = target FOR UPDATE;
    IF new_key <> target THEN
      -- A copy under the new key first: memberships, invites and webhooks
      -- (outgoing and incoming) reference rooms(key), so the old row goes last.
      INSERT INTO rooms (key, name, created_at, private, owner, retention_days,
        topic, archived)
      SELECT new_key, r.name, r.created_at, r.private, r.owner, r.retention_days,
        r.topic, r.archived
      FROM rooms r WHERE r.key = target
      ON CONFLICT (key) DO NOTHING;
      IF NOT FOUND THEN
        RETURN 'taken';
      END IF;
      -- A stream a deleted room of that name left holds nothing.
      DELETE FROM streams s WHERE s.key = new_key;
      UPDATE streams s SET key = new_key WHERE s.key = target;
      UPDATE messages m SET stream = new_key WHERE m.stream = target;
      UPDATE memberships x SET room_key = new_key WHERE x.room_key = target;
      UPDATE invites x SET room_key = new_key WHERE x.room_key = target;
      UPDATE webhooks x SET room_key = new_key WHERE x.room_key = target;
      UPDATE hooks x SET room_key = new_key WHERE x.room_key = target;
      UPDATE bans x SET room_key = new_key WHERE x.room_key = target;
      UPDATE read_positions x SET stream = new_key WHERE x.stream = target;
      UPDATE mentions x SET stream = new_key WHERE x.stream = target;
      UPDATE file_refs x SET stream = new_key WHERE x.stream = target;
      -- Rows under the new key, which no room has, would collide on the
      -- primary key: they go first.
      DELETE FROM drafts x WHERE x.stream = new_key;
      UPDATE drafts x SET stream = new_key WHERE x.stream = target;
      DELETE FROM notification_levels x WHERE x.stream = new_key;
      UPDATE notification_levels x SET stream = new_key WHERE x.stream = target;
      DELETE FROM rooms r WHERE r.key = target;
    END IF;
    UPDATE messages m SET room = new_name WHERE m.stream = new_key;
    UPDATE rooms r SET name = new_name WHERE r.key = new_key;
    RETURN 'done';
  END
  $$;
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
    created_at  BIGINT NOT NULL
  );
  CREATE TABLE group_members (
    group_key TEXT NOT NULL REFERENCES user_groups(key) ON DELETE CASCADE,
    user_key  TEXT NOT NULL REFERENCES accounts(key) ON DELETE CASCADE,
    PRIMARY KEY (group_key, user_key)
  );
  CREATE INDEX group_members_user ON group_members (user_key);
  CREATE INDEX user_groups_creator ON user_groups (creator_key);
  `,
  `
  -- An archived room refuses new messages in the store too, as it commits:
  -- a send that passed a node's check of the flag just before another
  -- node archived the room was stored after the archive was acknowledged.
  -- chat_append, as in the version before, reads the flag after the
  -- stream's row lock and answers r_archived (nothing stored, the seq given
  -- back); a retry of a message stored before the archive still gets its
  -- first copy. The archive takes the stream's row lock in its commit
  -- (setRoomArchived), so an append either commits before it or reads it.
  -- Costs a primary-key probe of rooms per room message, in the statement
  -- that reads the bans.
  DROP FUNCTION chat_append(jsonb);
  CREATE FUNCTION chat_append(appends jsonb)
  RETURNS TABLE (
    r_ord integer, r_seq bigint, r_id text, r_user text, r_room text,
    r_to text, r_text text, r_ts bigint, r_client_id text,
    r_attachments jsonb, r_edited_at bigint, r_deleted boolean,
    r_duplicate boolean, r_full text, r_reply_to text, r_reactions jsonb,
    r_pinned_at bigint, r_reply_seq bigint, r_reply_user text,
    r_reply_text text, r_reply_deleted boolean, r_reply_sender text,
    r_ban jsonb, r_gone boolean, r_archived boolean
  )
  LANGUAGE plpgsql AS $$
  DECLARE
    app record;
    next_seq bigint;
    room_name text;
    sender_lock integer;
  BEGIN
    -- Every sender's lock first, in one order for every process, before
    -- any stream's row: a ban waiting for one of them then never stands
    -- between two appends that wait for each other's rows.
    FOR sender_lock IN
      SELECT DISTINCT hashtext(a.user_key)
      FROM jsonb_to_recordset(appends) AS a(user_key text) ORDER BY 1
    LOOP
      PERFORM pg_advisory_xact_lock_shared(1667785076, sender_lock);
    END LOOP;
    FOR app IN
      SELECT * FROM jsonb_to_recordset(appends) AS a(
        ord integer, stream text, in_room boolean, id text, user_key text,
        user_name text, to_user text, body text, ts bigint, client_id text,
        sender text, attachments jsonb, pending_to text,
        max_for_recipient integer, max_from_sender integer, reply_to text,
        words text, room_created_at bigint)
      ORDER BY a.ord
    LOOP
      r_ord := app.ord;
      r_duplicate := false;
      r_full := NULL;
      room_name := NULL;
      r_reply_seq := NULL;
      r_reply_user := NULL;
      r_reply_text := NULL;
      r_reply_deleted := NULL;
      r_reply_sender := NULL;
      r_ban := NULL;
      r_gone := false;
      r_archived := false;
      IF app.in_room THEN
        -- Not into another incarnation of the name (deleted and made
        -- again since the sender saw it): refused as for a room gone.
        UPDATE streams s SET last_seq = s.last_seq + 1
        FROM rooms r WHERE s.key = app.stream AND r.key = s.key
          AND (app.room_created_at IS NULL
               OR r.created_at = app.room_created_at)
        RETURNING s.last_seq, r.name INTO next_seq, room_name;
        IF NOT FOUND THEN
          r_seq := NULL;
          RETURN NEXT;
          CONTINUE;
        END IF;
      ELSE
        INSERT INTO streams AS s (key, last_seq) VALUES (app.stream, 1)
        ON CONFLICT (key) DO UPDATE SET last_seq = s.last_seq + 1
        RETURNING s.last_seq INTO next_seq;
      END IF;
      IF app.client_id IS NOT NULL THEN
        SELECT m.seq, m.id, m.user_name, m.room, m.to_user, m.text, m.ts,
               m.client_id, m.attachments, m.edited_at, m.deleted,
               m.reply_to, m.reactions, m.pinned_at
        INTO r_seq, r_id, r_user, r_room, r_to, r_text, r_ts, r_client_id,
             r_attachments, r_edited_at, r_deleted, r_reply_to, r_reactions,
             r_pinned_at
        FROM messages m
        WHERE m.stream = app.stream AND m.user_key = app.user_key
          AND m.sender = app.sender AND m.client_id = app.client_id;
        IF FOUND THEN
          -- Give the seq back: the row lock is still ours, nobody took one since.
          UPDATE streams s SET last_seq = s.last_seq - 1 WHERE s.key = app.stream;
          r_duplicate := true;
          SELECT o.seq, o.user_name, o.text, o.deleted, o.sender
          INTO r_reply_seq, r_reply_user, r_reply_text, r_reply_deleted,
               r_reply_sender
          FROM messages o WHERE o.id = r_reply_to;
          RETURN NEXT;
          CONTINUE;
        END IF;
      END IF;
      -- A statement after the sender's lock, so its snapshot holds every
      -- ban committed before the lock was granted (see chat_add_ban); and
      -- after the stream's row lock, so it holds every archive committed
      -- before it was granted (an archive takes that lock too). One
      -- statement for both: a statement is most of what each costs.
      SELECT (SELECT to_jsonb(b) FROM (
          SELECT x.user_key, x.address, x.room_key, x.reason, x.by_user,
                 x.created_at, x.expires_at
          FROM bans x
          WHERE x.user_key = app.user_key AND x.address = ''
            AND x.room_key IN ('', CASE WHEN app.in_room THEN app.stream
                                        ELSE '' END)
            AND (x.expires_at IS NULL OR x.expires_at > app.ts)
          ORDER BY x.room_key LIMIT 1) b),
        app.in_room AND EXISTS (SELECT 1 FROM rooms r
                                WHERE r.key = app.stream AND r.archived)
      INTO r_ban, r_archived;
      IF r_archived THEN
        UPDATE streams s SET last_seq = s.last_seq - 1 WHERE s.key = app.stream;
        r_seq := NULL;
        r_ban := NULL;
        RETURN NEXT;
        CONTINUE;
      END IF;
      IF r_ban IS NOT NULL THEN
        UPDATE streams s SET last_seq = s.last_seq - 1 WHERE s.key = app.stream;
        r_seq := NULL;
        RETURN NEXT;
        CONTINUE;
      END IF;
      -- An account identity ('a:' or 'b:' and its creation time) whose
      -- account is gone: deleted before this append took its sender lock.
      IF app.sender ~ '^[ab]:[0-9]+$' AND NOT EXISTS (
        SELECT 1 FROM accounts a
        WHERE a.key = app.user_key
          AND a.created_at = substr(app.sender, 3)::bigint) THEN
        UPDATE streams s SET last_seq = s.last_seq - 1 WHERE s.key = app.stream;
        r_seq := NULL;
        r_gone := true;
        RETURN NEXT;
        CONTINUE;
      END IF;
      IF app.pending_to IS NOT NULL AND app.max_for_recipient IS NOT NULL THEN
        IF (SELECT count(*) FROM (SELECT 1 FROM messages m
              WHERE m.pending_to = app.pending_to
              LIMIT app.max_for_recipient) w) >= app.max_for_recipient THEN
          r_full := 'recipient';
        ELSIF (SELECT count(*) FROM (SELECT 1 FROM messages m
              WHERE m.user_key = app.user_key AND m.pending_to IS NOT NULL
              LIMIT app.max_from_sender) w) >= app.max_from_sender THEN
          r_full := 'sender';
        END IF;
        IF r_full IS NOT NULL THEN
          UPDATE streams s SET last_seq = s.last_seq - 1 WHERE s.key = app.stream;
          RETURN NEXT;
          CONTINUE;
        END IF;
      END IF;
      INSERT INTO messages (stream, seq, id, user_key, user_name, room,
        to_user, text, ts, client_id, sender, attachments, pending_to,
        reply_to, search)
      VALUES (app.stream, next_seq, app.id, app.user_key, app.user_name,
        room_name, app.to_user, app.body, app.ts, app.client_id, app.sender,
        app.attachments, app.pending_to, app.reply_to,
        array_to_tsvector(string_to_array(app.words, ' ')));
      IF app.attachments IS NOT NULL THEN
        INSERT INTO file_refs (upload_id, message_id, stream)
        SELECT DISTINCT
          substring(a->>'url' from '^/files/([0-9a-f]{32}(?:[0-9a-f]{32})?)/'),
          app.id, app.stream
        FROM jsonb_array_elements(app.attachments) a
        WHERE a->>'url' ~ '^/files/[0-9a-f]{32}([0-9a-f]{32})?/'
        ON CONFLICT DO NOTHING;
      END IF;
      r_seq := next_seq;
      r_id := app.id;
      r_user := app.user_name;
      r_room := room_name;
      r_to := app.to_user;
      r_text := app.body;
      r_ts := app.ts;
      r_client_id := app.client_id;
      r_attachments := app.attachments;
      r_edited_at := NULL;
      r_deleted := false;
      r_reply_to := app.reply_to;
      r_reactions := NULL;
      r_pinned_at := NULL;
      IF app.reply_to IS NOT NULL THEN
        SELECT o.seq, o.user_name, o.text, o.deleted, o.sender
        INTO r_reply_seq, r_reply_user, r_reply_text, r_reply_deleted,
             r_reply_sender
        FROM messages o WHERE o.id = app.reply_to;
      END IF;
      RETURN NEXT;
    END LOOP;
  END
  $$;
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
  );
  CREATE FUNCTION chat_avatar_gone() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF TG_OP = 'UPDATE' AND old.upload_id = new.upload_id THEN
      RETURN NULL;
    END IF;
    INSERT INTO file_deletions (hash)
      SELECT u.hash FROM uploads u WHERE u.id = old.upload_id
        AND NOT EXISTS (SELECT 1 FROM uploads o
          WHERE o.hash = u.hash AND o.id <> u.id)
      ON CONFLICT DO NOTHING;
    DELETE FROM uploads WHERE id = old.upload_id;
    RETURN NULL;
  END
  $$;
  CREATE TRIGGER avatars_gone AFTER DELETE OR UPDATE OF upload_id ON avatars
    FOR EACH ROW EXECUTE FUNCTION chat_avatar_gone();
  `,
  `
  -- Confusable skeletons (UTS #39) of group names, as accounts keep theirs,
  -- filled in at start-up for groups from before (fillSkeletons). An
  -- account is not made of a group's name nor of a look-alike of one: the
  -- check is under account creation's lock, which createGroup takes too
  -- (postgres_groups.ts), so a register and a create_group of one name at
  -- once make one of them, never both.
  ALTER TABLE user_groups ADD COLUMN skeleton TEXT;
  CREATE INDEX user_groups_skeleton ON user_groups (skeleton);
  CREATE OR REPLACE FUNCTION chat_create_account_unconfused(
    new_key text, new_username text, new_hash text, new_role text,
    first_role text, now_ms bigint, new_skeleton text
  ) RETURNS SETOF accounts
  LANGUAGE plpgsql AS $$
  BEGIN
    PERFORM pg_advisory_xact_lock(426610361346);  -- as chat_create_account
    IF EXISTS (SELECT 1 FROM accounts
               WHERE skeleton = new_skeleton AND key <> new_key)
       OR EXISTS (SELECT 1 FROM user_groups
                  WHERE key = new_key OR skeleton = new_skeleton) THEN
      RETURN;
    END IF;
    RETURN QUERY
      INSERT INTO accounts AS a
        (key, username, password_hash, role, created_at, skeleton)
      SELECT new_key, new_username, new_hash,
        CASE WHEN first_role IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM accounts)
             THEN first_role ELSE new_role END,
        now_ms, new_skeleton
      ON CONFLICT (key) DO NOTHING
      RETURNING a.*;
  END
  $$;
  `,
  `
  -- Recent mentions (list_mentions): each mention row holds its message's
  -- id, so that an account's mentions are one range of (user_key,
  -- message_id) walked newest first, a page read in order and stopped
  -- when full, with no sort of them all. Byte order (COLLATE "C"), the
  -- ids' own. A row written without it (an import) gets it from its
  -- message.
  ALTER TABLE mentions ADD COLUMN message_id TEXT COLLATE "C";
  UPDATE mentions n SET message_id = m.id
  FROM messages m WHERE m.stream = n.stream AND m.seq = n.seq;
  CREATE INDEX mentions_newest ON mentions (user_key, message_id);
  CREATE FUNCTION chat_mention_message_id() RETURNS trigger
  LANGUAGE plpgsql AS $$
  BEGIN
    SELECT m.id INTO NEW.message_id FROM messages m
    WHERE m.stream = NEW.stream AND m.seq = NEW.seq;
    RETURN NEW;
  END
  $$;
  CREATE TRIGGER mentions_message_id BEFORE INSERT ON mentions
  FOR EACH ROW WHEN (NEW.message_id IS NULL)
  EXECUTE FUNCTION chat_mention_message_id();
  `,
  `
  -- Reminders on saved messages (save_message's remind_at), as in
  -- SQLite's: ms since the epoch, NULL for none, and a partial index of
  -- the rows with one, which the nodes' sweeps claim from (FOR UPDATE SKIP
  -- LOCKED, postgres_saved.ts) so that each is claimed once per lease;
  -- remind_lease (ms) as SQLite's: cleared with remind_at once published,
  -- claimed again once run out.
  ALTER TABLE saved_messages ADD COLUMN remind_at BIGINT;
  ALTER TABLE saved_messages ADD COLUMN remind_lease BIGINT;
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
    last_at       BIGINT NOT NULL,
    last_read_seq BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (user_key, root_id)
  );
  CREATE INDEX thread_follows_newest
    ON thread_follows (user_key, last_at, root_id);
  CREATE INDEX thread_follows_root ON thread_follows (root_id);
  `,
  `
  -- The @room markers of an account's rooms (list_mentions), as SQLite's: a
  -- partial index of the markers alone by (stream, message_id), so that a
  -- page reads the markers of the account's rooms only, each room's
  -- newest first, not the server's markers newest first keeping those of
  -- its rooms (which walked past every marker of the rooms it is not in).
  -- Cost: one more index entry per @room message, none for others.
  CREATE INDEX mentions_room_markers ON mentions (stream, message_id)
    WHERE user_key = '@room';
  `,
  `
  -- Scheduled messages (schedule_message), as SQLite's: one row per
  -- message to be sent at send_at (ms), to a room (room, room_key) or a
  -- person (to_name); the sweeps claim the due ones by send_at (FOR
  -- UPDATE SKIP LOCKED, postgres_scheduled.ts) under a lease.
  CREATE TABLE scheduled_messages (
    id          TEXT PRIMARY KEY,
    user_key    TEXT NOT NULL,
    room        TEXT,
    room_key    TEXT,
    to_name     TEXT,
    text        TEXT NOT NULL,
    attachments JSONB,
    reply_to    TEXT,
    send_at     BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    lease       BIGINT
  );
  CREATE INDEX scheduled_messages_account
    ON scheduled_messages (user_key, send_at, id COLLATE "C");
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
    last_step      BIGINT NOT NULL DEFAULT 0
  );
  CREATE TABLE totp_recovery_codes (
    user_key  TEXT NOT NULL REFERENCES accounts(key) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    PRIMARY KEY (user_key, code_hash)
  );
  `,
  `
  -- Link previews (server/link_previews/), as SQLite's: a JSON array of
  -- {url, title, description, site_name}; NULL while none was fetched (or
  -- an edit cleared them), '[]' once removed. The version follows them:
  -- the trigger's function and columns are made again with the column.
  -- A column without a default rewrites no rows.
  ALTER TABLE messages ADD COLUMN previews JSONB;
  CREATE OR REPLACE FUNCTION chat_message_version() RETURNS trigger
  LANGUAGE plpgsql AS $$
  BEGIN
    IF (new.text, new.deleted, new.attachments, new.reactions, new.pinned_at,
        new.edited_at, new.previews)
       IS DISTINCT FROM (old.text, old.deleted, old.attachments,
        old.reactions, old.pinned_at, old.edited_at, old.previews) THEN
      new.version := old.version + 1;
    END IF;
    RETURN new;
  END
  $$;
  DROP TRIGGER messages_version ON messages;
  CREATE TRIGGER messages_version
  BEFORE UPDATE OF text, deleted, attachments, reactions, pinned_at,
    edited_at, previews
  ON messages FOR EACH ROW EXECUTE FUNCTION chat_message_version();
  `,
  `
  -- Who posts in a room (set_room_posting): 'everyone', or 'moderators'
  -- (an announcement room: its owner, moderators and admins). A column of
  -- rooms, so chat_rename_room, made again here as before but for the
  -- column in its copy of the row, carries it to the new key. A column
  -- with a constant default rewrites no rows.
  ALTER TABLE rooms ADD COLUMN posting TEXT NOT NULL DEFAULT 'everyone';

  CREATE OR REPLACE FUNCTION chat_rename_room(target text, new_key text, new_name text)
  RETURNS text
  LANGUAGE plpgsql AS $$
  BEGIN
    PERFORM 1 FROM rooms r WHERE r.key = target FOR UPDATE;
    IF NOT FOUND THEN
      RETURN 'not_found';
    END IF;
    PERFORM 1 FROM streams s WHERE s.key = target FOR UPDATE;
    IF new_key <> target THEN
      -- A copy under the new key first: memberships, invites and webhooks
      -- (outgoing and incoming) reference rooms(key), so the old row goes last.
      INSERT INTO rooms (key, name, created_at, private, owner, retention_days,
        topic, archived, posting)
      SELECT new_key, r.name, r.created_at, r.private, r.owner, r.retention_days,
        r.topic, r.archived, r.posting
      FROM rooms r WHERE r.key = target
      ON CONFLICT (key) DO NOTHING;
      IF NOT FOUND THEN
        RETURN 'taken';
      END IF;
      -- A stream a deleted room of that name left holds nothing.
      DELETE FROM streams s WHERE s.key = new_key;
      UPDATE streams s SET key = new_key WHERE s.key = target;
      UPDATE messages m SET stream = new_key WHERE m.stream = target;
      UPDATE memberships x SET room_key = new_key WHERE x.room_key = target;
      UPDATE invites x SET room_key = new_key WHERE x.room_key = target;
      UPDATE webhooks x SET room_key = new_key WHERE x.room_key = target;
      UPDATE hooks x SET room_key = new_key WHERE x.room_key = target;
      UPDATE bans x SET room_key = new_key WHERE x.room_key = target;
      UPDATE read_positions x SET stream = new_key WHERE x.stream = target;
      UPDATE mentions x SET stream = new_key WHERE x.stream = target;
      UPDATE file_refs x SET stream = new_key WHERE x.stream = target;
      -- Rows under the new key, which no room has, would collide on the
      -- primary key: they go first.
      DELETE FROM drafts x WHERE x.stream = new_key;
      UPDATE drafts x SET stream = new_key WHERE x.stream = target;
      DELETE FROM notification_levels x WHERE x.stream = new_key;
      UPDATE notification_levels x SET stream = new_key WHERE x.stream = target;
      DELETE FROM rooms r WHERE r.key = target;
    END IF;
    UPDATE messages m SET room = new_name WHERE m.stream = new_key;
    UPDATE rooms r SET name = new_name WHERE r.key = new_key;
    RETURN 'done';
  END
  $$;
  `,
  `
  -- Polls (create_poll, server/polls.ts), as SQLite's: the poll a message
  -- carries and its votes; NULL on every other message. The version
  -- follows it: the trigger's function and columns are made again.
  ALTER TABLE messages ADD COLUMN poll JSONB;
  CREATE OR REPLACE FUNCTION chat_message_version() RETURNS trigger
  LANGUAGE plpgsql AS $$
  BEGIN
    IF (new.text, new.deleted, new.attachments, new.reactions, new.pinned_at,
        new.edited_at, new.previews, new.poll)
       IS DISTINCT FROM (old.text, old.deleted, old.attachments,
        old.reactions, old.pinned_at, old.edited_at, old.previews,
        old.poll) THEN
      new.version := old.version + 1;
    END IF;
    RETURN new;
  END
  $$;
  DROP TRIGGER messages_version ON messages;
  CREATE TRIGGER messages_version
  BEFORE UPDATE OF text, deleted, attachments, reactions, pinned_at,
    edited_at, previews, poll
  ON messages FOR EACH ROW EXECUTE FUNCTION chat_message_version();
  -- An account's deletion finds the polls it may have voted in here.
  CREATE INDEX messages_polls ON messages (id) WHERE poll IS NOT NULL;
  `,
  `
  -- Custom emoji (PUT /api/emoji/:name), as SQLite's: each names an
  -- upload, which goes with it (and its hash, unused, to file_deletions);
  -- the author's deletion leaves the emoji without an author.
  CREATE TABLE custom_emoji (
    name       TEXT PRIMARY KEY,
    upload_id  TEXT NOT NULL UNIQUE,
    author_key TEXT REFERENCES accounts(key) ON DELETE SET NULL,
    created_at BIGINT NOT NULL
  );
  CREATE INDEX custom_emoji_author ON custom_emoji (author_key);
  CREATE FUNCTION chat_custom_emoji_gone() RETURNS trigger
  LANGUAGE plpgsql AS $$
  BEGIN
    INSERT INTO file_deletions (hash)
      SELECT u.hash FROM uploads u WHERE u.id = old.upload_id
        AND NOT EXISTS (SELECT 1 FROM uploads o
          WHERE o.hash = u.hash AND o.id <> u.id)
      ON CONFLICT DO NOTHING;
    DELETE FROM uploads WHERE id = old.upload_id;
    RETURN NULL;
  END
  $$;
  CREATE TRIGGER custom_emoji_gone AFTER DELETE ON custom_emoji
    FOR EACH ROW EXECUTE FUNCTION chat_custom_emoji_gone();
  `,
  `
  -- Starred rooms and conversations (star), as SQLite's: one row per
  -- account and stream; with_name is the other side's name as the account
  -- wrote it. The rows go with their account (the foreign key), with their
  -- room (deleteRoom) and follow its renames: chat_rename_room is made
  -- again here as before but for the two statements that move them.
  CREATE TABLE stars (
    user_key TEXT NOT NULL REFERENCES accounts(key) ON DELETE CASCADE,
    stream TEXT NOT NULL,
    with_name TEXT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_key, stream)
  );
  CREATE INDEX stars_stream ON stars (stream);

  CREATE OR REPLACE FUNCTION chat_rename_room(target text, new_key text, new_name text)
  RETURNS text
  LANGUAGE plpgsql AS $$
  BEGIN
    PERFORM 1 FROM rooms r WHERE r.key = target FOR UPDATE;
    IF NOT FOUND THEN
      RETURN 'not_found';
    END IF;
    PERFORM 1 FROM streams s WHERE s.key = target FOR UPDATE;
    IF new_key <> target THEN
      -- A copy under the new key first: memberships, invites and webhooks
      -- (outgoing and incoming) reference rooms(key), so the old row goes last.
      INSERT INTO rooms (key, name, created_at, private, owner, retention_days,
        topic, archived, posting)
      SELECT new_key, r.name, r.created_at, r.private, r.owner, r.retention_days,
        r.topic, r.archived, r.posting
      FROM rooms r WHERE r.key = target
      ON CONFLICT (key) DO NOTHING;
      IF NOT FOUND THEN
        RETURN 'taken';
      END IF;
      -- A stream a deleted room of that name left holds nothing.
      DELETE FROM streams s WHERE s.key = new_key;
      UPDATE streams s SET key = new_key WHERE s.key = target;
      UPDATE messages m SET stream = new_key WHERE m.stream = target;
      UPDATE memberships x SET room_key = new_key WHERE x.room_key = target;
      UPDATE invites x SET room_key = new_key WHERE x.room_key = target;
      UPDATE webhooks x SET room_key = new_key WHERE x.room_key = target;
      UPDATE hooks x SET room_key = new_key WHERE x.room_key = target;
      UPDATE bans x SET room_key = new_key WHERE x.room_key = target;
      UPDATE read_positions x SET stream = new_key WHERE x.stream = target;
      UPDATE mentions x SET stream = new_key WHERE x.stream = target;
      UPDATE file_refs x SET stream = new_key WHERE x.stream = target;
      -- Rows under the new key, which no room has, would collide on the
      -- primary key: they go first.
      DELETE FROM drafts x WHERE x.stream = new_key;
      UPDATE drafts x SET stream = new_key WHERE x.stream = target;
      DELETE FROM notification_levels x WHERE x.stream = new_key;
      UPDATE notification_levels x SET stream = new_key WHERE x.stream = target;
      DELETE FROM stars x WHERE x.stream = new_key;
      UPDATE stars x SET stream = new_key WHERE x.stream = target;
      DELETE FROM rooms r WHERE r.key = target;
    END IF;
    UPDATE messages m SET room = new_name WHERE m.stream = new_key;
    UPDATE rooms r SET name = new_name WHERE r.key = new_key;
    RETURN 'done';
  END
  $$;
  `,
  `
  -- Edit history (message_edits), as SQLite's: each edit keeps the text it
  -- replaced with when that text was written, in ord order, at most the
  -- last MAX_KEPT_EDITS a message. A delete (updateMessage) removes them;
  -- a room's deletion, retention and a waiting private message's account
  -- deletion remove the message row (the foreign key).
  CREATE TABLE message_edits (
    message_id TEXT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    ord        BIGINT GENERATED ALWAYS AS IDENTITY,
    text       TEXT NOT NULL,
    ts         BIGINT NOT NULL,
    PRIMARY KEY (message_id, ord)
  );
  `,
  `
  -- Forwarded messages (forward_message), as SQLite's: the copy of the
  -- original a forward carries, written once in the commit after its
  -- append; NULL on every other message. Not in the version's trigger.
  ALTER TABLE messages ADD COLUMN forwarded JSONB;
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
  -- As SQLite's: an original's delete finds its forwards to tell their
  -- readers. Partial: a plain message writes no entry.
  CREATE INDEX messages_forwards ON messages ((forwarded ->> 'id'))
    WHERE forwarded IS NOT NULL;

  -- delete_message's blanking of its forwards' copies, in its commit
  -- (forwarded abuse is not kept on disk past a moderator's delete). A
  -- trigger, not a step of the delete's statement: a statement reads the
  -- rows as they were when it began, so a copy that setForwarded committed
  -- while the delete waited for the original's row kept its text; this
  -- UPDATE runs once that row is the delete's, with a snapshot of its own
  -- (READ COMMITTED), and setForwarded takes the original's row (FOR
  -- SHARE) before it writes a copy. Locks: the original, then its copies,
  -- as setForwarded's (the original, then the forward). A bulk delete
  -- (retention, a room's or an account's deletion) locks its rows in no
  -- order: one that holds a copy and wants the original deadlocks with
  -- it, and the loser runs again (runRetryingConflicts), as with a
  -- reply's root (chat_reply_left).
  CREATE FUNCTION chat_blank_forwards() RETURNS trigger
  LANGUAGE plpgsql AS $$
  BEGIN
    UPDATE messages
    SET forwarded = jsonb_build_object('id', old.id, 'deleted', true)
    WHERE forwarded ->> 'id' = old.id AND forwarded IS NOT NULL;
    RETURN NULL;
  END
  $$;
  CREATE TRIGGER messages_original_deleted
  AFTER UPDATE OF deleted ON messages
  FOR EACH ROW WHEN (new.deleted AND NOT old.deleted)
  EXECUTE FUNCTION chat_blank_forwards();
  `,
  `
  -- delete_account's anonymise renames its messages' forwarded copies too.
  CREATE OR REPLACE FUNCTION chat_delete_account(
    target text, anon_name text, max_users integer
  ) RETURNS boolean
  LANGUAGE plpgsql AS $$
  DECLARE
    reacted text;
  BEGIN
    PERFORM pg_advisory_xact_lock(1667785076, hashtext(target));
    DELETE FROM accounts a WHERE a.key = target;
    IF NOT FOUND THEN
      RETURN false;
    END IF;
    DELETE FROM memberships m WHERE m.user_key = target;
    DELETE FROM read_positions r WHERE r.user_key = target;
    DELETE FROM mentions n WHERE n.user_key = target;
    DELETE FROM messages m WHERE m.pending_to = target;
    IF anon_name IS NOT NULL THEN
      -- Its messages' forwarded copies name it no more, as the messages
      -- do (a blank copy names nobody); first, while its messages still
      -- have its key. Cost: the forwards (along messages_forwards) and a
      -- look-up of each one's original by id. Locks: those copies before
      -- its messages, the reverse of a delete_message of one of them (the
      -- original, then its copies): the two at once may deadlock, and the
      -- loser runs again (runRetryingConflicts).
      UPDATE messages f
      SET forwarded = jsonb_set(f.forwarded, '{user}', to_jsonb(anon_name))
      WHERE f.forwarded IS NOT NULL AND f.forwarded ? 'user'
        AND EXISTS (SELECT 1 FROM messages o
          WHERE o.id = f.forwarded ->> 'id' AND o.user_key = target);
      UPDATE messages m SET user_name = anon_name, user_key = '',
        client_id = NULL
      WHERE m.user_key = target;
      FOR reacted IN
        WITH changed AS (
          UPDATE reactions x SET user_name = anon_name,
            user_key = ' deleted ' || md5(random()::text || x.ord::text)
          WHERE x.user_key = target RETURNING x.message_id
        ) SELECT DISTINCT c.message_id FROM changed c
      LOOP
        PERFORM chat_sum_reactions(reacted, max_users);
      END LOOP;
    END IF;
    RETURN true;
  END
  $$;
  `,
  `
  -- Sidebar sections (set_sections), as SQLite's: a row per section and
  -- one per item, by position. The rows go with their account, an item
  -- with the other side's account (the foreign keys), an item with its
  -- room (deleteRoom), and follows a room's renames:
  -- chat_rename_room is made again here as before but for the two
  -- statements that move them.
  CREATE TABLE sidebar_sections (
    user_key TEXT NOT NULL REFERENCES accounts(key) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    collapsed BOOLEAN NOT NULL,
    PRIMARY KEY (user_key, position)
  );
  CREATE TABLE sidebar_items (
    user_key TEXT NOT NULL REFERENCES accounts(key) ON DELETE CASCADE,
    stream TEXT NOT NULL,
    with_name TEXT,
    with_key TEXT REFERENCES accounts(key) ON DELETE CASCADE,
    section INTEGER NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (user_key, stream)
  );
  CREATE INDEX sidebar_items_stream ON sidebar_items (stream);
  CREATE INDEX sidebar_items_with ON sidebar_items (with_key)
    WHERE with_key IS NOT NULL;

  CREATE OR REPLACE FUNCTION chat_rename_room(target text, new_key text, new_name text)
  RETURNS text
  LANGUAGE plpgsql AS $$
  BEGIN
    PERFORM 1 FROM rooms r WHERE r.key = target FOR UPDATE;
    IF NOT FOUND THEN
      RETURN 'not_found';
    END IF;
    PERFORM 1 FROM streams s WHERE s.key = target FOR UPDATE;
    IF new_key <> target THEN
      -- A copy under the new key first: memberships, invites and webhooks
      -- (outgoing and incoming) reference rooms(key), so the old row goes last.
      INSERT INTO rooms (key, name, created_at, private, owner, retention_days,
        topic, archived, posting)
      SELECT new_key, r.name, r.created_at, r.private, r.owner, r.retention_days,
        r.topic, r.archived, r.posting
      FROM rooms r WHERE r.key = target
      ON CONFLICT (key) DO NOTHING;
      IF NOT FOUND THEN
        RETURN 'taken';
      END IF;
      -- A stream a deleted room of that name left holds nothing.
      DELETE FROM streams s WHERE s.key = new_key;
      UPDATE streams s SET key = new_key WHERE s.key = target;
      UPDATE messages m SET stream = new_key WHERE m.stream = target;
      UPDATE memberships x SET room_key = new_key WHERE x.room_key = target;
      UPDATE invites x SET room_key = new_key WHERE x.room_key = target;
      UPDATE webhooks x SET room_key = new_key WHERE x.room_key = target;
      UPDATE hooks x SET room_key = new_key WHERE x.room_key = target;
      UPDATE bans x SET room_key = new_key WHERE x.room_key = target;
      UPDATE read_positions x SET stream = new_key WHERE x.stream = target;
      UPDATE mentions x SET stream = new_key WHERE x.stream = target;
      UPDATE file_refs x SET stream = new_key WHERE x.stream = target;
      -- Rows under the new key, which no room has, would collide on the
      -- primary key: they go first.
      DELETE FROM drafts x WHERE x.stream = new_key;
      UPDATE drafts x SET stream = new_key WHERE x.stream = target;
      DELETE FROM notification_levels x WHERE x.stream = new_key;
      UPDATE notification_levels x SET stream = new_key WHERE x.stream = target;
      DELETE FROM stars x WHERE x.stream = new_key;
      UPDATE stars x SET stream = new_key WHERE x.stream = target;
      DELETE FROM sidebar_items x WHERE x.stream = new_key;
      UPDATE sidebar_items x SET stream = new_key WHERE x.stream = target;
      DELETE FROM rooms r WHERE r.key = target;
    END IF;
    UPDATE messages m SET room = new_name WHERE m.stream = new_key;
    UPDATE rooms r SET name = new_name WHERE r.key = new_key;
    RETURN 'done';
  END
  $$;
  `,
  `
  -- A search by its author alone (search's from, postgres_search.ts), as
  -- SQLite's messages_author: an author's messages by id, so a rare
  -- author's few messages are read at once instead of windows of 4,096
  -- rows. IF NOT EXISTS: a rewound schema runs it again. Cost: one entry
  -- in one more btree per message (MEASURED: docs/performance.md, "A
  -- search by its filters alone").
  CREATE INDEX IF NOT EXISTS messages_author ON messages (user_key, id);
  `,
  `
  -- delete_account's anonymise renames it where its conversations' copies
  -- name it as the forwarder's other side (\`with\`) too, as SQLite's.
  CREATE OR REPLACE FUNCTION chat_delete_account(
    target text, anon_name text, max_users integer
  ) RETURNS boolean
  LANGUAGE plpgsql AS $$
  DECLARE
    reacted text;
  BEGIN
    PERFORM pg_advisory_xact_lock(1667785076, hashtext(target));
    DELETE FROM accounts a WHERE a.key = target;
    IF NOT FOUND THEN
      RETURN false;
    END IF;
    DELETE FROM memberships m WHERE m.user_key = target;
    DELETE FROM read_positions r WHERE r.user_key = target;
    DELETE FROM mentions n WHERE n.user_key = target;
    DELETE FROM messages m WHERE m.pending_to = target;
    IF anon_name IS NOT NULL THEN
      -- Its messages' forwarded copies name it no more, as the messages
      -- do (a blank copy names nobody); first, while its messages still
      -- have its key. Cost: the forwards (along messages_forwards) and a
      -- look-up of each one's original by id. Locks: those copies before
      -- its messages, the reverse of a delete_message of one of them (the
      -- original, then its copies): the two at once may deadlock, and the
      -- loser runs again (runRetryingConflicts).
      UPDATE messages f
      SET forwarded = jsonb_set(f.forwarded, '{user}', to_jsonb(anon_name))
      WHERE f.forwarded IS NOT NULL AND f.forwarded ? 'user'
        AND EXISTS (SELECT 1 FROM messages o
          WHERE o.id = f.forwarded ->> 'id' AND o.user_key = target);
      -- A copy of its conversations' messages made by the other side
      -- names it as \`with\`: its author renamed above, or the forwarder's
      -- own message to it. The original's stream tells ('@a:b'; no key
      -- holds '@' or ':'), the forwarder's key that it is not its own.
      -- Cost: as above, a second walk over the forwards.
      UPDATE messages f
      SET forwarded = jsonb_set(f.forwarded, '{with}', to_jsonb(anon_name))
      WHERE f.forwarded IS NOT NULL AND f.forwarded ? 'with'
        AND f.user_key <> target
        AND EXISTS (SELECT 1 FROM messages o
          WHERE o.id = f.forwarded ->> 'id'
            AND (starts_with(o.stream, '@' || target || ':')
              OR (starts_with(o.stream, '@')
                AND right(o.stream, length(target) + 1) = ':' || target)));
      UPDATE messages m SET user_name = anon_name, user_key = '',
        client_id = NULL
      WHERE m.user_key = target;
      FOR reacted IN
        WITH changed AS (
          UPDATE reactions x SET user_name = anon_name,
            user_key = ' deleted ' || md5(random()::text || x.ord::text)
          WHERE x.user_key = target RETURNING x.message_id
        ) SELECT DISTINCT c.message_id FROM changed c
      LOOP
        PERFORM chat_sum_reactions(reacted, max_users);
      END LOOP;
    END IF;
    RETURN true;
  END
  $$;
  `,
  `
  -- delete_account's anonymise renames it as the \`to\` of the other
  -- side's messages to it too, and the \`with\` of the copies of its notes
  -- to itself, as SQLite's (sqlite_accounts.ts says why).
  CREATE OR REPLACE FUNCTION chat_delete_account(
    target text, anon_name text, max_users integer
  ) RETURNS boolean
  LANGUAGE plpgsql AS $$
  DECLARE
    reacted text;
    born bigint;
  BEGIN
    PERFORM pg_advisory_xact_lock(1667785076, hashtext(target));
    DELETE FROM accounts a WHERE a.key = target RETURNING a.created_at
      INTO born;
    IF NOT FOUND THEN
      RETURN false;
    END IF;
    DELETE FROM memberships m WHERE m.user_key = target;
    DELETE FROM read_positions r WHERE r.user_key = target;
    DELETE FROM mentions n WHERE n.user_key = target;
    DELETE FROM messages m WHERE m.pending_to = target;
    IF anon_name IS NOT NULL THEN
      -- Its messages' forwarded copies name it no more, as the messages
      -- do (a blank copy names nobody); first, while its messages still
      -- have its key. Cost: the forwards (along messages_forwards) and a
      -- look-up of each one's original by id. Locks: those copies before
      -- its messages, the reverse of a delete_message of one of them (the
      -- original, then its copies): the two at once may deadlock, and the
      -- loser runs again (runRetryingConflicts).
      UPDATE messages f
      SET forwarded = jsonb_set(f.forwarded, '{user}', to_jsonb(anon_name))
      WHERE f.forwarded IS NOT NULL AND f.forwarded ? 'user'
        AND EXISTS (SELECT 1 FROM messages o
          WHERE o.id = f.forwarded ->> 'id' AND o.user_key = target);
      -- A copy of its conversations' messages made by the other side
      -- names it as \`with\`: its author renamed above, or the forwarder's
      -- own message to it. The original's stream tells ('@a:b'; no key
      -- holds '@' or ':'), the forwarder's key that it is not its own,
      -- but in its notes to itself, whose copies it names whoever
      -- forwarded them. Cost: as above, a second walk over the forwards.
      UPDATE messages f
      SET forwarded = jsonb_set(f.forwarded, '{with}', to_jsonb(anon_name))
      WHERE f.forwarded IS NOT NULL AND f.forwarded ? 'with'
        AND EXISTS (SELECT 1 FROM messages o
          WHERE o.id = f.forwarded ->> 'id'
            AND (starts_with(o.stream, '@' || target || ':')
              OR (starts_with(o.stream, '@')
                AND right(o.stream, length(target) + 1) = ':' || target))
            AND (f.user_key <> target
              OR o.stream = '@' || target || ':' || target));
      -- The other sides' messages to it, written since it was made, name
      -- it no more as their \`to\`: found through its own list of
      -- conversations (the caller deletes those rows after this function
      -- has run: the statement reads it first). Before its own messages
      -- lose their key (those name the other side). Cost: one pass over
      -- each of its conversations' messages, along their stream.
      UPDATE messages m SET to_user = anon_name
      FROM conversations c
      WHERE c.user_key = target
        AND m.stream IN ('@' || target || ':' || c.with_key,
                         '@' || c.with_key || ':' || target)
        AND m.to_user IS NOT NULL AND m.ts >= born
        AND (m.user_key <> target OR c.with_key = target);
      UPDATE messages m SET user_name = anon_name, user_key = '',
        client_id = NULL
      WHERE m.user_key = target;
      FOR reacted IN
        WITH changed AS (
          UPDATE reactions x SET user_name = anon_name,
            user_key = ' deleted ' || md5(random()::text || x.ord::text)
          WHERE x.user_key = target RETURNING x.message_id
        ) SELECT DISTINCT c.message_id FROM changed c
      LOOP
        PERFORM chat_sum_reactions(reacted, max_users);
      END LOOP;
    END IF;
    RETURN true;
  END
  $$;
  -- Names left by accounts anonymised before delete_account renamed them
  -- there too, as SQLite's migration of the same text says (the audit
  -- log's entries tell whom anonymise took among recipients).
  WITH deletions AS MATERIALIZED (
    -- The store has written details as a JSON string (a text turned
    -- into jsonb as a scalar): read either.
    SELECT id, at, target, CASE jsonb_typeof(details)
      WHEN 'string' THEN (details #>> '{}')::jsonb ->> 'messages'
      ELSE details ->> 'messages' END AS how
    FROM audit_log WHERE action = 'delete_account'
  )
  UPDATE messages f
  SET forwarded = jsonb_set(f.forwarded, '{with}', '"deleted user"')
  WHERE f.forwarded IS NOT NULL AND f.forwarded ? 'with'
    AND f.forwarded ->> 'with' <> 'deleted user'
    AND EXISTS (SELECT 1 FROM messages o
      WHERE o.id = f.forwarded ->> 'id' AND o.to_user IS NOT NULL
        AND CASE WHEN f.forwarded ->> 'with' = o.to_user
          THEN (SELECT d.how FROM deletions d
            WHERE d.target = o.to_user AND d.at >= o.ts
            ORDER BY d.at, d.id LIMIT 1) = 'anonymise'
          ELSE o.user_key = '' END);
  WITH deletions AS MATERIALIZED (
    -- The store has written details as a JSON string (a text turned
    -- into jsonb as a scalar): read either.
    SELECT id, at, target, CASE jsonb_typeof(details)
      WHEN 'string' THEN (details #>> '{}')::jsonb ->> 'messages'
      ELSE details ->> 'messages' END AS how
    FROM audit_log WHERE action = 'delete_account'
  )
  UPDATE messages m SET to_user = 'deleted user'
  WHERE m.to_user IN (SELECT target FROM deletions WHERE how = 'anonymise')
    AND (SELECT d.how FROM deletions d
      WHERE d.target = m.to_user AND d.at >= m.ts
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
  ALTER TABLE accounts ADD COLUMN email_verified boolean NOT NULL DEFAULT false;
  ALTER TABLE accounts ADD COLUMN email_token_hash TEXT;
  ALTER TABLE accounts ADD COLUMN email_token_expires bigint;
  CREATE UNIQUE INDEX accounts_email_token ON accounts (email_token_hash)
    WHERE email_token_hash IS NOT NULL;
  `,
  `
  -- Audit details written as a JSON string: the store gave the driver a
  -- JSON.stringify'd text for the jsonb column, which it serialised once
  -- more, so every entry before this held a jsonb string ("{...}") and
  -- details ->> 'x' read null. Each becomes the object it spells (only
  -- the store wrote them, always from an object; an import wrote
  -- objects already). The anonymising migration two above reads both
  -- forms and has run by now. Cost: one pass over the audit log, once.
  UPDATE audit_log SET details = (details #>> '{}')::jsonb
  WHERE jsonb_typeof(details) = 'string';
  `,
  `
  -- "Forgot password?" by address (POST /api/forgot-password) finds the
  -- accounts whose VERIFIED address it is, compared without case: an
  -- index of those alone, so the look-up is a probe whatever the number
  -- of accounts (an unverified address is never mailed a reset). Cost:
  -- one entry per verified account.
  CREATE INDEX accounts_verified_email ON accounts (lower(email))
    WHERE email_verified;
  `,
  `
  -- Missed-message mails (mail/missed_mail.ts): whether the account wants
  -- them and in which language (a column each of its row, on by default),
  -- and the queue: a row per account with a mail waiting (when it is due,
  -- the lease of the node sending it), and a row per message it holds.
  -- Cost: two columns of every account's row; the queue's rows live from
  -- a message missed until its mail went, a few minutes.
  ALTER TABLE accounts ADD COLUMN missed_mail boolean NOT NULL DEFAULT true;
  ALTER TABLE accounts ADD COLUMN mail_language TEXT NOT NULL DEFAULT 'en';
  CREATE TABLE missed_mails (
    user_key TEXT PRIMARY KEY,
    due_at BIGINT NOT NULL,
    lease BIGINT
  );
  CREATE INDEX missed_mails_due ON missed_mails (due_at);
  CREATE TABLE missed_messages (
    user_key TEXT NOT NULL,
    message_id TEXT NOT NULL,
    stream TEXT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (user_key, message_id)
  );
  `,
  `
  -- A search's audiences (postgres_search.ts): each message under who may
  -- read it, so that a page's windows are the newest rows of its reader's
  -- audiences alone and nothing a reader gets (results, next, the pages to
  -- reach a message) depends on messages outside them (docs/security.md).
  -- 'p' for every public room's message (anyone may read them), 'r:<key>'
  -- for a private room's, 'u:<key>' under each of a conversation's two
  -- people. Kept by triggers, in the writer's own statement: a message
  -- stored, moved (a room renamed) or removed, and a room that turns
  -- private or public or is renamed has its messages' rows written again.
  -- Cost: one row a room message, two a private one (and an index of
  -- (user_key, audience, id) for a search by its author alone), written
  -- with the message.
  CREATE TABLE search_audiences (
    audience TEXT NOT NULL,
    id TEXT NOT NULL,
    user_key TEXT NOT NULL,
    PRIMARY KEY (audience, id)
  );
  CREATE INDEX search_audiences_author
    ON search_audiences (user_key, audience, id);
  CREATE FUNCTION chat_search_audiences(stream TEXT) RETURNS TEXT[]
  LANGUAGE sql STABLE AS $$
    SELECT CASE
      WHEN left(stream, 1) = '@' THEN ARRAY[
        'u:' || split_part(substr(stream, 2), ':', 1),
        'u:' || split_part(substr(stream, 2), ':', 2)]
      WHEN EXISTS (SELECT 1 FROM rooms r WHERE r.key = stream AND r.private)
        THEN ARRAY['r:' || stream]
      ELSE ARRAY['p'] END
  $$;
  CREATE FUNCTION chat_message_audiences() RETURNS trigger
  LANGUAGE plpgsql AS $$
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
  END $$;
  CREATE TRIGGER messages_search_audiences
  AFTER INSERT OR DELETE OR UPDATE OF stream, id, user_key ON messages
  FOR EACH ROW EXECUTE FUNCTION chat_message_audiences();
  CREATE FUNCTION chat_room_audiences() RETURNS trigger
  LANGUAGE plpgsql AS $$
  BEGIN
    DELETE FROM search_audiences s USING messages m
    WHERE m.stream IN (old.key, new.key) AND s.id = m.id;
    INSERT INTO search_audiences (audience, id, user_key)
    SELECT a, m.id, m.user_key FROM messages m,
      unnest(chat_search_audiences(m.stream)) a
    WHERE m.stream IN (old.key, new.key)
    ON CONFLICT DO NOTHING;
    RETURN new;
  END $$;
  CREATE TRIGGER rooms_search_audiences
  AFTER UPDATE OF private, key ON rooms
  FOR EACH ROW WHEN (old.private IS DISTINCT FROM new.private
    OR old.key IS DISTINCT FROM new.key)
  EXECUTE FUNCTION chat_room_audiences();
  INSERT INTO search_audiences (audience, id, user_key)
  SELECT a, m.id, m.user_key FROM messages m,
    unnest(chat_search_audiences(m.stream)) a
  ON CONFLICT DO NOTHING;
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
    WHERE email_verified;
  ALTER TABLE missed_mails ADD COLUMN more INTEGER NOT NULL DEFAULT 0;
  `,
  `
  -- A missed-message mail's language chosen or not (--mail-language): NULL
  -- for an account that never chose one, whose mails are in the server's
  -- language. The old column's 'en' was also its default, written for
  -- every account, and no record tells the two apart: 'en' becomes NULL
  -- (an account that did choose English on a server that mails French
  -- chooses again; most never chose), 'fr' stays (only ever chosen).
  -- Cost: one pass over the accounts, a new version of each 'en' row's,
  -- once.
  ALTER TABLE accounts ALTER COLUMN mail_language DROP NOT NULL,
    ALTER COLUMN mail_language DROP DEFAULT;
  UPDATE accounts SET mail_language = NULL WHERE mail_language = 'en';
  `,
  `
  -- A message's audience rows written by plpgsql statements alone
  -- (docs/performance.md, "What the audience rows cost a write"): the
  -- trigger of s56 called chat_search_audiences, an SQL function with a
  -- subquery, which PostgreSQL cannot inline, so it was planned again at
  -- every message (a stored message cost PostgreSQL about 2.4 times its
  -- CPU without the rows; now about 1.4 times). The same rows as that
  -- function gives (the room trigger and the first fill still use it: a
  -- change to one is a change to both): the two people of a conversation
  -- ('@a:b'; a conversation with oneself gives one row), a private room's
  -- 'r:<key>', 'p' for the others. Each statement's plan is kept by
  -- plpgsql for the connection.
  CREATE OR REPLACE FUNCTION chat_message_audiences() RETURNS trigger
  LANGUAGE plpgsql AS $$
  BEGIN
    IF tg_op <> 'INSERT' THEN
      DELETE FROM search_audiences WHERE id = old.id;
    END IF;
    IF tg_op = 'DELETE' THEN
      RETURN old;
    END IF;
    IF left(new.stream, 1) = '@' THEN
      INSERT INTO search_audiences (audience, id, user_key) VALUES
        ('u:' || split_part(substr(new.stream, 2), ':', 1), new.id,
         new.user_key),
        ('u:' || split_part(substr(new.stream, 2), ':', 2), new.id,
         new.user_key)
      ON CONFLICT DO NOTHING;
    ELSIF EXISTS (SELECT 1 FROM rooms r
                  WHERE r.key = new.stream AND r.private) THEN
      INSERT INTO search_audiences (audience, id, user_key)
      VALUES ('r:' || new.stream, new.id, new.user_key)
      ON CONFLICT DO NOTHING;
    ELSE
      INSERT INTO search_audiences (audience, id, user_key)
      VALUES ('p', new.id, new.user_key)
      ON CONFLICT DO NOTHING;
    END IF;
    RETURN new;
  END $$;
  `,
];
