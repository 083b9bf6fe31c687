import { DatabaseSync, type StatementSync } from "node:sqlite";
import { monotonicFactory } from "ulid";
import { StoreUnavailableError } from "../protocol/errors.ts";
import type { ChatMessage } from "../protocol/types.ts";
import {
  type AppendResult,
  HISTORY_DEFAULT_LIMIT,
  HISTORY_MAX_LIMIT,
  type HistoryQuery,
  type MessageDraft,
  type Store,
  type StoredRoom,
} from "./mod.ts";

const SCHEMA_VERSION = 1;

// Versioned migrations: index i brings the schema from version i to i + 1.
const MIGRATIONS: string[] = [
  `
  CREATE TABLE rooms (
    key        TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_seq   INTEGER NOT NULL DEFAULT 0
  ) STRICT;
  CREATE TABLE messages (
    room_key  TEXT NOT NULL REFERENCES rooms(key),
    seq       INTEGER NOT NULL,
    id        TEXT NOT NULL UNIQUE,
    user_key  TEXT NOT NULL,
    user      TEXT NOT NULL,
    text      TEXT NOT NULL,
    ts        INTEGER NOT NULL,
    client_id TEXT,
    PRIMARY KEY (room_key, seq)
  ) STRICT, WITHOUT ROWID;
  CREATE UNIQUE INDEX messages_client_id
    ON messages (room_key, user_key, client_id) WHERE client_id IS NOT NULL;
  `,
];

interface MessageRow {
  room: string;
  seq: number;
  id: string;
  user: string;
  text: string;
  ts: number;
  client_id: string | null;
}

/** Options of {@link SqliteStore}. */
export interface SqliteStoreOptions {
  /** Rooms that must exist, created at open when missing (e.g. `general`). */
  permanentRooms?: { name: string; key: string }[];
}

/**
 * The embedded store: one SQLite file in WAL mode. Every write is committed
 * before its promise resolves, so an acknowledged message survives SIGKILL.
 */
export class SqliteStore implements Store {
  #db: DatabaseSync;
  #nextId = monotonicFactory();
  #closed = false;
  #statements: {
    nextSeq: StatementSync;
    insert: StatementSync;
    byClientId: StatementSync;
    latest: StatementSync;
    after: StatementSync;
    createRoom: StatementSync;
    listRooms: StatementSync;
  };

  constructor(path: string, options: SqliteStoreOptions = {}) {
    try {
      this.#db = new DatabaseSync(path);
      this.#db.exec("PRAGMA journal_mode = WAL");
      // NORMAL in WAL mode keeps every commit across a process crash; FULL
      // would add an fsync per commit for power loss only.
      this.#db.exec("PRAGMA synchronous = NORMAL");
      this.#db.exec("PRAGMA busy_timeout = 5000");
      this.#db.exec("PRAGMA foreign_keys = ON");
      this.#migrate();
    } catch (error) {
      throw new StoreUnavailableError(
        `Cannot open database '${path}': ${(error as Error).message}`,
        { cause: error },
      );
    }
    const select =
      `SELECT r.name AS room, m.seq, m.id, m.user, m.text, m.ts, m.client_id
       FROM messages m JOIN rooms r ON r.key = m.room_key`;
    this.#statements = {
      nextSeq: this.#db.prepare(
        "UPDATE rooms SET last_seq = last_seq + 1 WHERE key = ? RETURNING last_seq, name",
      ),
      insert: this.#db.prepare(
        `INSERT INTO messages (room_key, seq, id, user_key, user, text, ts, client_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      byClientId: this.#db.prepare(
        `${select} WHERE m.room_key = ? AND m.user_key = ? AND m.client_id = ?`,
      ),
      latest: this.#db.prepare(
        `SELECT * FROM (${select} WHERE m.room_key = ? AND m.seq < ?
         ORDER BY m.seq DESC LIMIT ?) ORDER BY seq`,
      ),
      after: this.#db.prepare(
        `${select} WHERE m.room_key = ? AND m.seq > ? AND m.seq < ?
         ORDER BY m.seq LIMIT ?`,
      ),
      createRoom: this.#db.prepare(
        `INSERT INTO rooms (key, name, created_at) VALUES (?, ?, ?)
         ON CONFLICT (key) DO NOTHING RETURNING key, name, created_at`,
      ),
      listRooms: this.#db.prepare(
        "SELECT key, name, created_at FROM rooms ORDER BY created_at, key",
      ),
    };
    const now = Date.now();
    for (const room of options.permanentRooms ?? []) {
      this.#statements.createRoom.get(room.key, room.name, now);
    }
  }

  #migrate(): void {
    const row = this.#db.prepare("PRAGMA user_version").get() as {
      user_version: number;
    };
    for (let v = row.user_version; v < SCHEMA_VERSION; v++) {
      this.#db.exec("BEGIN IMMEDIATE");
      try {
        this.#db.exec(MIGRATIONS[v]);
        this.#db.exec(`PRAGMA user_version = ${v + 1}`);
        this.#db.exec("COMMIT");
      } catch (error) {
        this.#db.exec("ROLLBACK");
        throw error;
      }
    }
  }

  listRooms(): Promise<StoredRoom[]> {
    return this.#run(() =>
      (this.#statements.listRooms.all() as {
        key: string;
        name: string;
        created_at: number;
      }[]).map((r) => ({ key: r.key, name: r.name, createdAt: r.created_at }))
    );
  }

  createRoom(name: string, key: string): Promise<StoredRoom | null> {
    return this.#run(() => {
      const row = this.#statements.createRoom.get(key, name, Date.now()) as
        | { key: string; name: string; created_at: number }
        | undefined;
      return row
        ? { key: row.key, name: row.name, createdAt: row.created_at }
        : null;
    });
  }

  appendMessage(draft: MessageDraft): Promise<AppendResult> {
    return this.#run(() => {
      const s = this.#statements;
      this.#db.exec("BEGIN IMMEDIATE");
      try {
        if (draft.clientId !== undefined) {
          const first = s.byClientId.get(
            draft.roomKey,
            draft.userKey,
            draft.clientId,
          ) as MessageRow | undefined;
          if (first) {
            this.#db.exec("COMMIT");
            return { message: toMessage(first), duplicate: true };
          }
        }
        const room = s.nextSeq.get(draft.roomKey) as
          | { last_seq: number; name: string }
          | undefined;
        if (!room) throw new Error(`No room with key '${draft.roomKey}'`);
        const ts = Date.now();
        const id = this.#nextId(ts);
        s.insert.run(
          draft.roomKey,
          room.last_seq,
          id,
          draft.userKey,
          draft.user,
          draft.text,
          ts,
          draft.clientId ?? null,
        );
        this.#db.exec("COMMIT");
        const message: ChatMessage = {
          id,
          seq: room.last_seq,
          room: room.name,
          user: draft.user,
          text: draft.text,
          ts: new Date(ts).toISOString(),
        };
        if (draft.clientId !== undefined) message.client_id = draft.clientId;
        return { message, duplicate: false };
      } catch (error) {
        if (this.#db.isTransaction) this.#db.exec("ROLLBACK");
        throw error;
      }
    });
  }

  history(roomKey: string, query: HistoryQuery): Promise<ChatMessage[]> {
    return this.#run(() => {
      const limit = Math.min(
        query.limit ?? HISTORY_DEFAULT_LIMIT,
        HISTORY_MAX_LIMIT,
      );
      const before = query.beforeSeq ?? Number.MAX_SAFE_INTEGER;
      const s = this.#statements;
      let rows: unknown[];
      if (query.afterSeq !== undefined) {
        rows = s.after.all(roomKey, query.afterSeq, before, limit);
      } else {
        rows = s.latest.all(roomKey, before, limit);
      }
      return (rows as MessageRow[]).map(toMessage);
    });
  }

  ping(): Promise<void> {
    return this.#run(() => {
      this.#db.prepare("SELECT 1").get();
    });
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#db.close();
    }
    return Promise.resolve();
  }

  // Runs a synchronous database step as a promise, turning every driver
  // error into StoreUnavailableError so callers need one catch.
  #run<T>(step: () => T): Promise<T> {
    if (this.#closed) {
      return Promise.reject(new StoreUnavailableError("The store is closed."));
    }
    try {
      return Promise.resolve(step());
    } catch (error) {
      return Promise.reject(
        new StoreUnavailableError((error as Error).message, { cause: error }),
      );
    }
  }
}

function toMessage(row: MessageRow): ChatMessage {
  const message: ChatMessage = {
    id: row.id,
    seq: row.seq,
    room: row.room,
    user: row.user,
    text: row.text,
    ts: new Date(row.ts).toISOString(),
  };
  if (row.client_id !== null) message.client_id = row.client_id;
  return message;
}
