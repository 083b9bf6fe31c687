/**
 * The PostgreSQL schema, as versioned migrations: entry i brings a database
 * from schema version i to i + 1 (the highest `version` in the
 * `schema_version` table, 0 when it is empty). Never edit a shipped entry;
 * add one. Times are milliseconds since the epoch in BIGINT columns, as in
 * the SQLite schema, so both stores keep the same values.
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
  `,
];
