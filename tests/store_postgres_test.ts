/**
 * PostgresStore against a real PostgreSQL server started for this file:
 * the store contract (tests/store_contract.ts) on a database of its own
 * per test (a copy of one migrated once: tests/migrated_database.ts), then
 * what only a shared database has to get right (several stores, as
 * several server processes would hold, on one database), schema versions
 * (from an empty schema: migrations run for real), refused appends and
 * outages.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { DEFAULT_CONFIG } from "../server/config.ts";
import { StoreUnavailableError } from "../server/protocol/errors.ts";
import type {
  ForwardedMessage,
  MessageBase,
  Role,
} from "../server/protocol/types.ts";
import {
  ANONYMOUS_NAME,
  DELETED_OWNER,
  type DraftWrite,
  type MessageDraft,
  RoomArchivedError,
  RoomGoneError,
  SEARCH_BUDGET,
  SenderBannedError,
  type Store,
} from "../server/store/mod.ts";
import { newPoll } from "../server/polls.ts";
import { PostgresStore } from "../server/store/postgres.ts";
import { MESSAGE_COLUMNS, REPLY_JOIN } from "../server/store/postgres_rows.ts";
import { POSTGRES_MIGRATIONS } from "../server/store/postgres_schema.ts";
import { searchWords } from "../server/store/search_text.ts";
import { SqliteStore } from "../server/store/sqlite.ts";
import { eventually } from "./harness.ts";
import { migratedDatabase } from "./migrated_database.ts";
import { storeContract } from "./store_contract.ts";
import {
  after,
  checkConversationsBackfilled,
  checkIgnoresFromNone,
  checkOrphanedOwnersCleared,
  checkStaleConversationsGone,
  checkUsageBackfilled,
  checkVersionsFromZero,
  CONVERSATIONS_MIGRATION,
  FILE_TIMES_MIGRATION,
  IGNORES_MIGRATION,
  MEMBER_PAGES_MIGRATION,
  OLD_MEMBERSHIPS_SQL,
  OLD_OWNERS_SQL,
  OLD_UPLOADS_SQL,
  oldMessagesSql,
  oldPrivateSql,
  OWNERS_MIGRATION,
  QUOTA_MIGRATION,
  STALE_CONVERSATIONS_MIGRATION,
  staleConversationsSql,
  UPLOAD,
  versionBefore,
  VERSIONS_MIGRATION,
} from "./store_contract/support.ts";
import {
  POSTGRES,
  type PostgresService,
  startPostgres,
  testsOnService,
} from "./services.ts";

const GENERAL = { name: "general", key: "general" };
/** Text of PostgreSQL's migration that turns audit details' strings into objects. */
const AUDIT_DETAILS_MIGRATION = "Audit details written as a JSON string";
const OPTIONS = { permanentRooms: [GENERAL] };
const SQLITE_OPTIONS = {
  ...OPTIONS,
  busyTimeoutMs: DEFAULT_CONFIG.dbBusyTimeoutMs,
};

await testsOnService("PostgresStore", POSTGRES, registerTests);

function registerTests(pg: PostgresService): void {
  /** Runs a body with `count` stores open on one fresh database. */
  function withStores(
    count: number,
    body: (stores: PostgresStore[], url: string) => Promise<void>,
  ): () => Promise<void> {
    return async () => {
      const db = await migratedDatabase(pg);
      const stores: PostgresStore[] = [];
      try {
        for (let i = 0; i < count; i++) {
          stores.push(await PostgresStore.open(db.url, OPTIONS));
        }
        await body(stores, db.url);
      } finally {
        for (const store of stores) await store.close();
        await db.drop();
      }
    };
  }

  /** A plain driver connection for looking inside, closed after `body`. */
  async function inspect<T>(
    url: string,
    body: (sql: postgres.Sql) => Promise<T>,
  ): Promise<T> {
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      return await body(sql);
    } finally {
      await sql.end();
    }
  }

  function draft(text: string, more: Partial<MessageDraft> = {}): MessageDraft {
    return {
      roomKey: "general",
      userKey: "alice",
      user: "Alice",
      text,
      ...more,
    };
  }

  function range(from: number, to: number): number[] {
    return Array.from({ length: to - from + 1 }, (_, i) => from + i);
  }

  storeContract("PostgresStore", async () => {
    const db = await migratedDatabase(pg);
    return {
      open: () => PostgresStore.open(db.url, OPTIONS),
      dispose: () => db.drop(),
      holdAppends: () => holdAppends(db.url),
    };
  });

  /**
   * Holds every append's statement before chat_append starts (it inserts
   * into mentions, whose lock this takes), other statements going on.
   */
  async function holdAppends(url: string): Promise<() => Promise<void>> {
    const blocker = postgres(url, { max: 1, onnotice: () => {} });
    const held = Promise.withResolvers<void>();
    const released = Promise.withResolvers<void>();
    const done = blocker.begin(async (sql) => {
      await sql`LOCK TABLE mentions IN SHARE MODE`;
      held.resolve();
      await released.promise;
    }).finally(() => blocker.end());
    await held.promise;
    return async () => {
      released.resolve();
      await done;
    };
  }

  /**
   * Waits until this many statements mentioning `text` wait for a lock.
   * pg_stat_activity keeps a statement's first 1,023 bytes only
   * (track_activity_query_size): `text` must come before that, or the wait
   * never ends; a long statement is better found by {@link blockedBy}.
   */
  async function lockWaits(
    url: string,
    text: string,
    count: number,
  ): Promise<void> {
    await eventually(async () => {
      const [{ waiting }] = await inspect(
        url,
        (look) =>
          look<{ waiting: number }[]>`
          SELECT count(*)::int AS waiting FROM pg_stat_activity
          WHERE wait_event_type = 'Lock'
            AND query LIKE ${"%" + text + "%"}`,
      );
      assert.equal(waiting, count);
    });
  }

  /**
   * Waits until this many statements wait for a lock that the backend
   * `pid` holds: whatever their text, which pg_stat_activity cuts short.
   */
  async function blockedBy(
    url: string,
    pid: number,
    count: number,
  ): Promise<void> {
    await eventually(async () => {
      const [{ waiting }] = await inspect(
        url,
        (look) =>
          look<{ waiting: number }[]>`
          SELECT count(*)::int AS waiting FROM pg_stat_activity
          WHERE ${pid}::int = ANY (pg_blocking_pids(pid))`,
      );
      assert.equal(waiting, count);
    });
  }

  // ------------------------------------------ several stores on one database
  // As several server processes hold them: what the database itself must
  // order (seqs, retries, first accounts, deliveries, deletions).

  Deno.test(
    "PostgresStore: two stores appending to one room get seqs 1..400 with no gap or duplicate",
    withStores(2, async ([a, b]) => {
      // Four writers per store, each waiting for its own acknowledgements:
      // commits of both stores interleave on the room's row.
      const writer = (store: Store, name: string) => async () => {
        const seqs: number[] = [];
        for (let i = 0; i < 50; i++) {
          const { message } = await store.appendMessage(
            draft(`${name}-${i}`, { userKey: name, user: name }),
          );
          seqs.push(message.seq);
        }
        return seqs;
      };
      const writers = [
        ...range(1, 4).map((n) => writer(a, `a${n}`)),
        ...range(1, 4).map((n) => writer(b, `b${n}`)),
      ];
      const perWriter = await Promise.all(writers.map((run) => run()));
      for (const seqs of perWriter) {
        assert.deepEqual(seqs, [...seqs].sort((x, y) => x - y));
      }
      assert.deepEqual(perWriter.flat().sort((x, y) => x - y), range(1, 400));
      // Both stores read the same history, in seq order.
      const history = await b.history("general", { afterSeq: 200, limit: 200 });
      assert.deepEqual(history.map((m) => m.seq), range(201, 400));
      assert.deepEqual(
        await a.history("general", { afterSeq: 200, limit: 200 }),
        history,
      );
    }),
  );

  Deno.test(
    "PostgresStore: general's member list reads only its prefix's keys from the index, even with a plan made before the prefix is known",
    async () => {
      const db = await migratedDatabase(pg);
      try {
        // 20,000 accounts before "zz": a plan that cannot bound the range
        // by the prefix walks them all. A generic plan (the one a prepared
        // statement settles on) is made without the parameter's value.
        await inspect(db.url, async (sql) => {
          await sql.unsafe(`
            INSERT INTO accounts (key, username, password_hash, role, created_at)
            SELECT k, k, 'x', 'user', 1 FROM (
              SELECT 'a' || lpad(i::text, 5, '0') AS k
                FROM generate_series(1, 20000) i
              UNION ALL SELECT 'zz' || i FROM generate_series(1, 30) i) keys;
            ANALYZE accounts;
            ALTER DATABASE ${db.name} SET plan_cache_mode = force_generic_plan`);
        });
        const store = await PostgresStore.open(db.url, OPTIONS);
        try {
          const read = () =>
            inspect(db.url, async (sql) => {
              const [row] = await sql<{ scans: string; read: string }[]>`
                SELECT idx_scan AS scans, idx_tup_read AS read
                FROM pg_stat_user_indexes
                WHERE indexrelname = 'accounts_key_bytes'`;
              return { scans: Number(row.scans), read: Number(row.read) };
            });
          const before = await read();
          const names = await store.roomMembers("general", "zz", 20);
          assert.equal(names.length, 20);
          assert.ok(names.every((name) => name.startsWith("zz")));
          // The store's connection reports its counts within seconds;
          // the scan and the entries it read come in the same report. The
          // read itself is 20 entries; planning may peek at a few more.
          const after = await eventually(async () => {
            const now = await read();
            assert.ok(now.scans > before.scans, "no scan reported yet");
            return now;
          }, { intervalMs: 200 });
          assert.ok(
            after.read - before.read <= 100,
            `${after.read - before.read} index entries read for 20 names`,
          );
        } finally {
          await store.close();
        }
      } finally {
        await db.drop();
      }
    },
  );

  Deno.test(
    "PostgresStore: a stored message's search audience rows are those chat_search_audiences names, written without calling it (an SQL function planned again at every call)",
    async () => {
      const db = await migratedDatabase(pg);
      try {
        // Every function's calls counted, on the store's connections too.
        await inspect(db.url, (sql) =>
          sql.unsafe(
            `ALTER DATABASE ${db.name} SET track_functions = 'all'`,
          ));
        const store = await PostgresStore.open(db.url, OPTIONS);
        try {
          await store.createRoom("hidden", "hidden", {
            private: true,
            owner: "alice",
          });
          await store.appendMessage(draft("in public"));
          await store.appendMessage(draft("in private", { roomKey: "hidden" }));
          for (const toKey of ["bob", "alice"]) {
            await store.appendPrivate({
              fromKey: "alice",
              from: "Alice",
              toKey,
              to: toKey,
              text: `to ${toKey}`,
              delivered: true,
            });
          }
        } finally {
          // Its connections report their counts as they end.
          await store.close();
        }
        const calls = (name: string) =>
          inspect(db.url, async (sql) => {
            const [row] = await sql<{ calls: string }[]>`
              SELECT calls FROM pg_stat_user_functions
              WHERE funcname = ${name}`;
            return Number(row?.calls ?? 0);
          });
        // The trigger's four calls and what it called come in one report.
        await eventually(async () => {
          assert.equal(await calls("chat_message_audiences"), 4);
        }, { intervalMs: 200 });
        assert.equal(await calls("chat_search_audiences"), 0);
        await inspect(db.url, async (sql) => {
          const rows = (query: Promise<{ a: string; text: string }[]>) =>
            query.then((all) => all.map((r) => `${r.a} ${r.text}`).sort());
          const written = await rows(sql`
            SELECT s.audience AS a, m.text FROM search_audiences s
            JOIN messages m ON m.id = s.id AND m.user_key = s.user_key`);
          assert.deepEqual(written, [
            "p in public",
            "r:hidden in private",
            "u:alice to alice",
            "u:alice to bob",
            "u:bob to bob",
          ]);
          assert.deepEqual(
            await rows(sql`
              SELECT DISTINCT a, m.text FROM messages m,
                unnest(chat_search_audiences(m.stream)) a`),
            written,
          );
        });
      } finally {
        await db.drop();
      }
    },
  );

  Deno.test(
    "PostgresStore: a burst of appends through two stores in one turn has no gap",
    withStores(2, async ([a, b]) => {
      const results = await Promise.all(
        range(1, 300).map((n) =>
          (n % 2 ? a : b).appendMessage(
            draft(`m${n}`, { userKey: `u${n % 7}` }),
          )
        ),
      );
      assert.deepEqual(
        results.map((r) => r.message.seq).sort((x, y) => x - y),
        range(1, 300),
      );
      assert.equal(new Set(results.map((r) => r.message.id)).size, 300);
    }),
  );

  Deno.test(
    "PostgresStore: rooms made, deleted and made again through two stores (two nodes) at once in one millisecond never share a creation time",
    withStores(2, async ([a, b]) => {
      // A clock that stands still: every room is made in one millisecond,
      // so only the database's room clock tells them apart.
      const now = Date.now;
      const frozen = now();
      Date.now = () => frozen;
      const times: number[] = [];
      try {
        for (let round = 1; round <= 10; round++) {
          const made = await Promise.all(
            range(1, 6).map((n) =>
              (n % 2 ? a : b).createRoom(`r${n}`, `r${n}`)
            ),
          );
          times.push(...made.map((room) => room!.createdAt));
          await Promise.all(
            range(1, 6).map((n) => (n % 2 ? b : a).deleteRoom(`r${n}`)),
          );
        }
      } finally {
        Date.now = now;
      }
      assert.equal(new Set(times).size, 60, `${times}`);
      assert.ok(times.every((t) => t >= frozen));
    }),
  );

  Deno.test(
    "PostgresStore: the same clientId sent through two stores at once is stored once",
    withStores(2, async ([a, b]) => {
      for (let round = 1; round <= 20; round++) {
        const clientId = `k${round}`;
        const [viaA, viaB] = await Promise.all([
          a.appendMessage(draft(`from a ${round}`, { clientId })),
          b.appendMessage(draft(`from b ${round}`, { clientId })),
        ]);
        assert.equal(
          [viaA, viaB].filter((r) => !r.duplicate).length,
          1,
          `round ${round}: exactly one store stored it`,
        );
        assert.deepEqual(viaA.message, viaB.message);
        assert.equal(viaA.message.seq, round);
      }
      const history = await a.history("general", {});
      assert.deepEqual(history.map((m) => m.seq), range(1, 20));
      assert.deepEqual(
        history.map((m) => m.client_id),
        range(1, 20).map((n) => `k${n}`),
      );
    }),
  );

  Deno.test(
    "PostgresStore: stores opening together migrate once and create general once",
    async () => {
      const db = await pg.freshSchema();
      const stores: PostgresStore[] = [];
      try {
        const opened = await Promise.allSettled(
          range(1, 4).map(() => PostgresStore.open(db.url, OPTIONS)),
        );
        for (const result of opened) {
          if (result.status === "fulfilled") stores.push(result.value);
        }
        assert.deepEqual(
          opened.map((r) => r.status === "rejected" ? r.reason : "ok"),
          ["ok", "ok", "ok", "ok"],
        );
        const versions = await inspect(
          db.url,
          (sql) => sql`SELECT version FROM schema_version ORDER BY version`,
        );
        assert.deepEqual(
          versions.map((r) => r.version),
          range(1, POSTGRES_MIGRATIONS.length),
        );
        for (const store of stores) {
          assert.deepEqual((await store.listRooms()).map((r) => r.key), [
            "general",
          ]);
        }
      } finally {
        for (const store of stores) await store.close();
        await db.drop();
      }
    },
  );

  Deno.test(
    "PostgresStore: a hash's deletion turn is one store's at a time, and an upload of those bytes through another store waits for it to end, so its bytes are put after the old ones went",
    withStores(2, async ([a, b], url) => {
      await a.saveUpload({ ...UPLOAD, createdAt: 1000 });
      assert.deepEqual(await a.sweepUploads(Date.now() - 60_000), [
        UPLOAD.hash,
      ]);
      assert.equal(await a.claimFileDeletion(UPLOAD.hash), true);
      // Another node finds the turn taken: the holder finishes.
      assert.equal(await b.claimFileDeletion(UPLOAD.hash), false);
      const again = { ...UPLOAD, id: "e".repeat(32), createdAt: Date.now() };
      const saving = b.saveUpload(again);
      await lockWaits(url, "chat_save_upload", 1);
      assert.equal(await a.hashInUse(UPLOAD.hash), false);
      // The bytes are gone now; the turn ends and the upload is recorded.
      await a.finishFileDeletion(UPLOAD.hash, true);
      assert.equal(await saving, true);
      assert.deepEqual(await b.findUpload(again.id), again);
      assert.deepEqual(await b.pendingFileDeletions("", 10), []);
      // Recorded again by a sweep that did not see the upload, the hash is
      // kept by the next claim, which sees it.
      await inspect(
        url,
        (sql) => sql`INSERT INTO file_deletions (hash) VALUES (${UPLOAD.hash})`,
      );
      assert.equal(await a.claimFileDeletion(UPLOAD.hash), false);
      assert.deepEqual(await a.pendingFileDeletions("", 10), []);
    }),
  );

  Deno.test(
    "PostgresStore: a deletion turn goes with its holder's connection, and another store then finishes the deletion",
    withStores(2, async ([a, b], url) => {
      await a.saveUpload({ ...UPLOAD, createdAt: 1000 });
      await a.sweepUploads(Date.now() - 60_000);
      assert.equal(await a.claimFileDeletion(UPLOAD.hash), true);
      assert.equal(await b.claimFileDeletion(UPLOAD.hash), false);
      // The holder's process dies: its connections with it.
      const [{ ended }] = await inspect(
        url,
        (sql) =>
          sql<{ ended: number }[]>`
          SELECT count(pg_terminate_backend(pid))::int AS ended FROM pg_locks
          WHERE locktype = 'advisory' AND classid = 1718185061`,
      );
      assert.equal(ended, 1);
      await eventually(async () => {
        assert.equal(await b.claimFileDeletion(UPLOAD.hash), true);
      });
      await b.finishFileDeletion(UPLOAD.hash, true);
      assert.deepEqual(await b.pendingFileDeletions("", 10), []);
      // The dead turn's end says so, and the process goes on.
      await assert.rejects(
        a.finishFileDeletion(UPLOAD.hash, true),
        StoreUnavailableError,
      );
    }),
  );

  Deno.test(
    "PostgresStore: only one of several racing first accounts gets the first role",
    withStores(2, async ([a, b], url) => {
      // Open every pooled connection first, so the creations really run
      // side by side instead of queueing for a connection.
      await Promise.all(range(1, 20).map((n) => (n % 2 ? a : b).ping()));
      // A lost race is a matter of timing: run it a few times.
      await inspect(url, async (sql) => {
        for (let round = 1; round <= 5; round++) {
          const created = await Promise.all(
            range(1, 20).map((n) =>
              (n % 2 ? a : b).createAccount({
                key: `user${n}`,
                username: `User${n}`,
                passwordHash: "x",
                role: "user",
              }, { firstRole: "admin" })
            ),
          );
          const roles = created.map((account) => account!.role).sort();
          assert.deepEqual(roles, [
            "admin",
            ...Array<Role>(19).fill("user"),
          ], `round ${round}`);
          await sql`DELETE FROM accounts`;
        }
      });
    }),
  );

  /**
   * Opens a store on a fresh database as version `version` of the schema
   * left it, holding `rows` (SQL): what an older server leaves to upgrade.
   * Runs `body` with it, then closes it and drops the database.
   */
  async function withOldDatabase(
    version: number,
    rows: string,
    body: (store: PostgresStore, url: string) => Promise<void>,
  ): Promise<void> {
    const db = await pg.freshSchema();
    try {
      await inspect(db.url, async (sql) => {
        await sql`CREATE TABLE schema_version (
          version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`;
        for (let v = 1; v <= version; v++) {
          await sql.unsafe(POSTGRES_MIGRATIONS[v - 1]);
          await sql`INSERT INTO schema_version VALUES (${v}, 0)`;
        }
        await sql.unsafe(rows);
      });
      const store = await PostgresStore.open(db.url, OPTIONS);
      try {
        await body(store, db.url);
      } finally {
        await store.close();
      }
    } finally {
      await db.drop();
    }
  }

  Deno.test(
    "PostgresStore: file contents kept before their time was recorded count as written when it opens, so the walk for bytes no upload names leaves them an hour",
    async () => {
      const opened = Date.now() - 1000;
      await withOldDatabase(
        versionBefore(POSTGRES_MIGRATIONS, FILE_TIMES_MIGRATION),
        "INSERT INTO file_contents (hash, bytes) VALUES ('h', '\\x01')",
        async (_store, url) => {
          const rows = await inspect(
            url,
            (sql) =>
              sql<{ written_at: string }[]>`
              SELECT written_at FROM file_contents WHERE hash = 'h'`,
          );
          assert.equal(rows.length, 1);
          const writtenAt = Number(rows[0].written_at);
          assert.ok(
            writtenAt >= opened && writtenAt <= Date.now() + 1000,
            String(writtenAt),
          );
        },
      );
    },
  );

  Deno.test(
    "PostgresStore: uploads kept before their bytes were summed per uploader count against its quota once it opens",
    () =>
      withOldDatabase(
        versionBefore(POSTGRES_MIGRATIONS, QUOTA_MIGRATION),
        OLD_UPLOADS_SQL,
        checkUsageBackfilled,
      ),
  );

  Deno.test(
    "PostgresStore: rooms of accounts deleted before deletions gave them an owner nobody can be belong to nobody once it opens, even with the name registered again",
    () =>
      withOldDatabase(
        versionBefore(POSTGRES_MIGRATIONS, OWNERS_MIGRATION),
        OLD_OWNERS_SQL,
        checkOrphanedOwnersCleared,
      ),
  );

  Deno.test(
    "PostgresStore: memberships stored before ignores name no inviter once it opens, and ignores are kept",
    () =>
      withOldDatabase(
        versionBefore(POSTGRES_MIGRATIONS, IGNORES_MIGRATION),
        OLD_MEMBERSHIPS_SQL,
        checkIgnoresFromNone,
      ),
  );

  Deno.test(
    "PostgresStore: a database from before the member pages' index gets it once it opens, its memberships_room gone, and lists a room's members as before",
    () =>
      withOldDatabase(
        versionBefore(POSTGRES_MIGRATIONS, MEMBER_PAGES_MIGRATION),
        `${OLD_MEMBERSHIPS_SQL}
        INSERT INTO accounts (key, username, password_hash, role, created_at)
        VALUES ('alice', 'Alice', 'h', 'user', 1),
               ('bob', 'Bob', 'h', 'user', 1);
        INSERT INTO memberships (user_key, room_key, joined_at)
        VALUES ('bob', 'dev', 1001);`,
        async (store, url) => {
          const indexes = await inspect(
            url,
            (sql) =>
              sql<{ indexname: string }[]>`
              SELECT indexname FROM pg_indexes
              WHERE tablename = 'memberships' ORDER BY indexname`,
          );
          assert.deepEqual(indexes.map((row) => row.indexname), [
            "memberships_pkey",
            "memberships_room_bytes",
          ]);
          assert.deepEqual(await store.roomMembers("dev", "", 20), [
            "Alice",
            "Bob",
          ]);
          assert.deepEqual(await store.roomMembers("dev", "b", 20), ["Bob"]);
        },
      ),
  );

  Deno.test(
    "PostgresStore: private conversations stored before their list are listed once it opens",
    () =>
      withOldDatabase(
        versionBefore(POSTGRES_MIGRATIONS, CONVERSATIONS_MIGRATION),
        oldPrivateSql("user_name"),
        checkConversationsBackfilled,
      ),
  );

  Deno.test(
    "PostgresStore: conversations of accounts deleted, and emptied by retention, before their rows went with them are gone once it opens",
    () =>
      withOldDatabase(
        versionBefore(POSTGRES_MIGRATIONS, STALE_CONVERSATIONS_MIGRATION),
        staleConversationsSql("user_name"),
        checkStaleConversationsGone,
      ),
  );

  Deno.test(
    "PostgresStore: messages stored before versions read with none, and their next changes count 1, 2",
    () =>
      withOldDatabase(
        versionBefore(POSTGRES_MIGRATIONS, VERSIONS_MIGRATION),
        oldMessagesSql("user_name"),
        checkVersionsFromZero,
      ),
  );

  Deno.test(
    "PostgresStore: audit details are a jsonb object, written alone or with their action, so details ->> 'x' reads them",
    withStores(1, async ([store], url) => {
      await store.addAuditEntry({
        at: 1000,
        by: "root",
        action: "delete_account",
        target: "dave",
        address: "10.0.0.1",
        details: { messages: "anonymise" },
      });
      await store.createRoom("dev", "dev");
      assert.ok(
        await store.deleteRoom("dev", {
          at: 2000,
          by: "root",
          action: "delete_room",
          room: "dev",
          address: "10.0.0.1",
          details: { members: 3, archived: false },
        }),
      );
      const rows = await inspect(
        url,
        (sql) =>
          sql<{ kind: string; messages: string | null; members: string }[]>`
          SELECT jsonb_typeof(details) AS kind,
            details ->> 'messages' AS messages,
            details ->> 'members' AS members
          FROM audit_log ORDER BY id`,
      );
      assert.deepEqual(rows.map((row) => ({ ...row })), [
        { kind: "object", messages: "anonymise", members: null },
        { kind: "object", messages: null, members: "3" },
      ]);
      assert.deepEqual(
        (await store.auditLog({ limit: 10 })).map((entry) => entry.details),
        [{ members: 3, archived: false }, { messages: "anonymise" }],
      );
    }),
  );

  Deno.test(
    "PostgresStore: audit details written as a JSON string before become the object they spell once it opens, and audit_log reads them as before",
    () =>
      withOldDatabase(
        versionBefore(POSTGRES_MIGRATIONS, AUDIT_DETAILS_MIGRATION),
        `INSERT INTO audit_log
           (at, by_user, action, target, address, details)
         VALUES
           (1000, 'root', 'delete_account', 'dave', '10.0.0.1',
            to_jsonb('{"messages":"anonymise"}'::text)),
           (2000, 'root', 'set_role', 'erin', '10.0.0.1',
            '{"role":"moderator"}'::jsonb),
           (3000, 'root', 'delete_room', NULL, '10.0.0.1', NULL);`,
        async (store, url) => {
          const rows = await inspect(
            url,
            (sql) =>
              sql<{ kind: string | null; messages: string | null }[]>`
              SELECT jsonb_typeof(details) AS kind,
                details ->> 'messages' AS messages
              FROM audit_log ORDER BY id`,
          );
          assert.deepEqual(rows.map((row) => ({ ...row })), [
            { kind: "object", messages: "anonymise" },
            { kind: "object", messages: null },
            { kind: null, messages: null },
          ]);
          assert.deepEqual(
            (await store.auditLog({ limit: 10 })).map((e) => e.details),
            [undefined, { role: "moderator" }, { messages: "anonymise" }],
          );
        },
      ),
  );

  Deno.test(
    "PostgresStore: two stores saving an uploader's uploads at once never pass its quota",
    withStores(2, async ([a, b], url) => {
      const upload = (id: string) => ({
        id: id.repeat(32),
        hash: "ab".repeat(32),
        name: "x.bin",
        type: "application/octet-stream",
        size: 100,
        uploader: "alice",
        createdAt: Date.now(),
      });
      await a.saveUpload(upload("a"));
      // Inserts into uploads wait behind a lock held here, while reads go
      // on: each save reads the sum, then waits to insert. Without the
      // uploader's lock both would read room for one and both insert.
      const blocker = postgres(url, { max: 1, onnotice: () => {} });
      try {
        // An object, not the array: begin() would wait for an array's
        // promises before it commits, that is, forever.
        const { saves } = await blocker.begin(async (sql) => {
          await sql`LOCK TABLE uploads IN SHARE MODE`;
          const saves = [
            a.saveUpload(upload("b"), { quotaBytes: 200 }),
            b.saveUpload(upload("c"), { quotaBytes: 200 }),
          ];
          await lockWaits(url, "chat_save_upload", 2);
          return { saves };
        });
        const saved = await Promise.all(saves);
        assert.deepEqual(saved.sort(), [false, true]);
        assert.equal(await b.uploadedBytes("alice"), 200);
      } finally {
        await blocker.end();
      }
    }),
  );

  Deno.test(
    "PostgresStore: an edit, an author's delete, a reaction, a pin and a topic sent as another store archives the room wait for the archive's commit and are refused, changing nothing",
    withStores(2, async ([a, b], url) => {
      await a.createRoom("dev", "dev");
      const sent = async (text: string) =>
        (await a.appendMessage(draft(text, { roomKey: "dev" }))).message;
      const [one, two, three] = [
        await sent("one"),
        await sent("two"),
        await sent("three"),
      ];
      // The archive's commit held open here, as another process's
      // setRoomArchived is between its update and its commit.
      const blocker = postgres(url, { max: 1, onnotice: () => {} });
      try {
        const { changes } = await blocker.begin(async (sql) => {
          await sql`UPDATE rooms SET archived = true WHERE key = 'dev'`;
          const changes = [
            b.updateMessage(one.id, { text: "changed" }),
            b.updateMessage(two.id, { deleted: true, refuseArchived: true }),
            b.react({
              id: three.id,
              userKey: "bob",
              user: "Bob",
              emoji: "👍",
              on: true,
            }),
            b.pin(three.id, true),
            b.setRoomTopic("dev", "ship it"),
          ].map((change) =>
            change.then(
              () => "done",
              (error) => error instanceof RoomArchivedError ? "refused" : error,
            )
          );
          await lockWaits(url, "ar AS MATERIALIZED", 5);
          return { changes };
        });
        assert.deepEqual(await Promise.all(changes), Array(5).fill("refused"));
        assert.deepEqual(await b.history("dev", {}), [one, two, three]);
        const dev = (await b.listRooms()).find((r) => r.key === "dev");
        assert.deepEqual([dev?.archived, dev?.topic], [true, undefined]);
      } finally {
        await blocker.end();
      }
    }),
  );

  Deno.test(
    "PostgresStore: two stores adding an account to rooms at once never pass its cap of memberships",
    withStores(2, async ([a, b], url) => {
      for (const room of ["one", "two", "three"]) {
        await a.createRoom(room, room);
      }
      await a.addMember("alice", "one");
      // Inserts into memberships wait behind a lock held here, while reads
      // go on: each join counts, then waits to insert. Without the
      // account's lock both would count room for one and both insert.
      const blocker = postgres(url, { max: 1, onnotice: () => {} });
      try {
        const { adds } = await blocker.begin(async (sql) => {
          await sql`LOCK TABLE memberships IN SHARE MODE`;
          const adds = [
            a.addMember("alice", "two", 2),
            b.addMember("alice", "three", 2),
          ];
          await lockWaits(url, "chat_add_member", 2);
          return { adds };
        });
        const added = await Promise.all(adds);
        assert.deepEqual(added.map(String).sort(), ["full", "true"]);
        assert.equal((await b.memberRooms("alice")).length, 2);
      } finally {
        await blocker.end();
      }
    }),
  );

  Deno.test(
    "PostgresStore: two stores setting an account's new drafts at once never pass its cap",
    withStores(2, async ([a, b], url) => {
      const at = (stream: string) => ({ stream, text: stream, updatedAt: 1 });
      await a.setDraft("ann", at("one"), 2);
      // A write of "two" held uncommitted here: store a's draft of "two"
      // counts one draft, then waits for it; store b's of "three" comes
      // meanwhile. Without the account's lock, b would count one too and
      // commit, then a as well once this rolls back: three drafts.
      const blocker = postgres(url, { max: 1, onnotice: () => {} });
      try {
        const sets: Promise<DraftWrite>[] = [];
        await blocker.begin(async (sql) => {
          await sql`
            INSERT INTO drafts (user_key, stream, text, updated_at)
            VALUES ('ann', 'two', 'held', 1)`;
          sets.push(a.setDraft("ann", at("two"), 2));
          await lockWaits(url, "chat_set_draft", 1);
          sets.push(b.setDraft("ann", at("three"), 2));
          // Store b waits for the account's lock, which setDraft takes
          // before counting (the one chat_set_draft takes again).
          await lockWaits(url, "pg_advisory_xact_lock(1685217638", 1);
          throw new Error("rolled back");
        }).catch((error) => assert.equal(error.message, "rolled back"));
        assert.deepEqual(await Promise.all(sets), ["written", "too_many"]);
        assert.deepEqual(
          (await b.listDrafts("ann")).map((d) => d.stream).sort(),
          ["one", "two"],
        );
      } finally {
        await blocker.end();
      }
    }),
  );

  Deno.test(
    "PostgresStore: an invite waiting behind an ignore of its inviter is refused once the ignore commits",
    withStores(1, async ([store], url) => {
      await store.createRoom("den", "den", { private: true });
      const blocker = postgres(url, { max: 1, onnotice: () => {} });
      try {
        // The ignore's statement, in a transaction held open here: the
        // invite comes while the ignore is not yet committed.
        const { invited } = await blocker.begin(async (sql) => {
          await sql`
            SELECT chat_ignore('alice', 'mallory', 'Mallory', ${Date.now()},
              5)`;
          const invited = store.addMember("alice", "den", 10, "mallory");
          await lockWaits(url, "chat_invite_member", 1);
          return { invited };
        });
        assert.equal(await invited, "ignored");
        assert.equal(await store.isMember("alice", "den"), false);
      } finally {
        await blocker.end();
      }
    }),
  );

  Deno.test(
    "PostgresStore: an append waiting behind a ban of its sender commits nothing once the ban commits",
    withStores(1, async ([store], url) => {
      await store.createRoom("dev", "dev");
      const mallory = { roomKey: "dev", userKey: "mallory", user: "Mallory" };
      const blocker = postgres(url, { max: 1, onnotice: () => {} });
      try {
        // The ban's statement, in a transaction held open here: the append
        // comes while the ban is not yet committed, so it cannot see it.
        const { queued } = await blocker.begin(async (sql) => {
          await sql`
            SELECT chat_add_ban('mallory', '', 'dev', 'spam', 'root',
              ${Date.now()}, NULL)`;
          const queued = store.appendMessage(draft("too late", mallory))
            .then(() => "stored", (error) => error);
          await lockWaits(url, "chat_append", 1);
          return { queued };
        });
        const refused = await queued;
        assert.ok(refused instanceof SenderBannedError, String(refused));
        assert.equal(refused.ban.roomKey, "dev");
        assert.deepEqual(await store.history("dev", {}), []);
      } finally {
        await blocker.end();
      }
    }),
  );

  Deno.test(
    "PostgresStore: a ban waits for an append of its name already past its check, which commits first",
    withStores(2, async ([a, b], url) => {
      await a.createRoom("dev", "dev");
      const mallory = { roomKey: "dev", userKey: "mallory", user: "Mallory" };
      const blocker = postgres(url, { max: 1, onnotice: () => {} });
      try {
        // Inserts into messages wait behind this lock: the append has
        // taken its sender's lock and found no ban when it stops there.
        const { appended, banned } = await blocker.begin(async (sql) => {
          await sql`LOCK TABLE messages IN SHARE MODE`;
          const appended = a.appendMessage(draft("in time", mallory));
          await lockWaits(url, "chat_append", 1);
          const banned = b.addBan({
            userKey: "mallory",
            roomKey: "dev",
            reason: "spam",
            by: "root",
            createdAt: Date.now(),
          });
          await lockWaits(url, "chat_add_ban", 1);
          return { appended, banned };
        });
        const { message } = await appended;
        await banned;
        assert.equal(message.seq, 1);
        assert.deepEqual(
          (await b.history("dev", {})).map((m) => m.text),
          ["in time"],
        );
        await assert.rejects(
          b.appendMessage(draft("after", mallory)),
          SenderBannedError,
        );
      } finally {
        await blocker.end();
      }
    }),
  );

  Deno.test(
    "PostgresStore: two stores taking a user's undelivered messages get each once",
    withStores(2, async ([a, b]) => {
      for (let i = 1; i <= 30; i++) {
        await a.appendPrivate({
          fromKey: `s${i % 3}`,
          from: `S${i % 3}`,
          toKey: "bob",
          to: "Bob",
          text: `p${i}`,
          delivered: false,
        });
      }
      const [viaA, viaB] = await Promise.all([
        a.takeUndelivered("bob"),
        b.takeUndelivered("bob"),
      ]);
      const texts = [...viaA, ...viaB].map((m) => m.text).sort();
      assert.deepEqual(texts, range(1, 30).map((n) => `p${n}`).sort());
      assert.deepEqual(await a.takeUndelivered("bob"), []);
    }),
  );

  Deno.test(
    "PostgresStore: deleting a room while another store appends to it leaves no message behind",
    withStores(2, async ([a, b], url) => {
      await a.createRoom("dev", "dev");
      // Writers that keep appending until the room is gone.
      const stored = [0, 0, 0, 0];
      const writers = stored.map(async (_, w) => {
        for (;;) {
          try {
            await b.appendMessage(draft(`w${w}`, { roomKey: "dev" }));
            stored[w]++;
          } catch (error) {
            if (!(error instanceof RoomGoneError)) throw error;
            return;
          }
        }
      });
      // Every writer under way, however long that takes here.
      await eventually(() => assert.ok(stored.every((n) => n > 0)));
      assert.ok(await a.deleteRoom("dev"));
      await Promise.all(writers);
      const left = await inspect(
        url,
        (sql) =>
          sql`SELECT count(*)::int AS n FROM messages WHERE stream = 'dev'`,
      );
      assert.equal(left[0].n, 0);
      // A new room of that name starts its seqs again.
      await b.createRoom("dev", "dev");
      const { message } = await a.appendMessage(
        draft("again", { roomKey: "dev" }),
      );
      assert.equal(message.seq, 1);
    }),
  );

  // ------------------------------------- schema versions, refusals, outages

  Deno.test(
    "PostgresStore: a database from a newer server is refused with a clear error",
    async () => {
      const db = await migratedDatabase(pg);
      try {
        await (await PostgresStore.open(db.url, OPTIONS)).close();
        await inspect(
          db.url,
          (sql) =>
            sql`INSERT INTO schema_version (version, applied_at)
              VALUES (${POSTGRES_MIGRATIONS.length + 1}, 0)`,
        );
        await assert.rejects(
          PostgresStore.open(db.url, OPTIONS),
          (error: unknown) =>
            error instanceof StoreUnavailableError &&
            error.message.includes("newer than this server knows") &&
            error.message.includes(db.url.split("?")[0]),
        );
      } finally {
        await db.drop();
      }
    },
  );

  Deno.test(
    "PostgresStore: a search of common words that never come together reads at most a budget of rows a page, then ends it short with next, and the pages followed to the end find nothing",
    withStores(1, async ([store], url) => {
      await store.createRoom("quiet", "quiet");
      await store.appendMessage(draft("nothing here", { roomKey: "quiet" }));
      // "left" and "right" each in half of 10,000 messages, never together:
      // GIN would read both whole lists (and the id btree, as the planner
      // chose before, every row) for an empty answer.
      const total = 10_000;
      for (let from = 0; from < total; from += 500) {
        await Promise.all(
          range(from, from + 499).map((i) =>
            store.appendMessage(draft(`${i % 2 ? "left" : "right"} n${i}`))
          ),
        );
      }
      // The words' shares as the planner's statistics hold them once the
      // table is analyzed: autovacuum may have analyzed it part way
      // through the appends (likelier on a busy machine), and statistics
      // of a few hundred rows call both words rare enough for GIN.
      await inspect(url, (sql) => sql`ANALYZE messages`);
      const ids: string[] = (await inspect(
        url,
        (sql) => sql`SELECT id FROM messages ORDER BY id DESC`,
      )).map((row) => row.id);
      const span = SEARCH_BUDGET / 4; // rows a page reads (ROW_COST 4)
      for (
        const [words, roomKeys] of [
          [["left", "right"], ["general", "quiet"]],
          [["left"], ["quiet"]],
        ]
      ) {
        let before: string | undefined;
        let pages = 0;
        for (;;) {
          const page = await store.search({
            words,
            scope: { roomKeys },
            limit: 20,
            before,
          });
          pages++;
          assert.deepEqual(page.records, [], words.join(" "));
          if (page.next === undefined) break;
          // The page read the window's rows and those of its last row's
          // millisecond, no more.
          const newer = (id: string) => id >= page.next!;
          const read = ids.filter((id) =>
            newer(id) && (!before || id < before)
          );
          const sameMs = ids.filter((id) =>
            id.slice(0, 10) === page.next && (!before || id < before)
          );
          assert.ok(read.length >= span, `${read.length} rows read`);
          assert.ok(read.length <= span + sameMs.length, `${read.length} rows`);
          before = page.next;
        }
        // 10,001 rows: three windows, fewer when a millisecond crossed one.
        assert.ok(
          pages >= 2 && pages <= Math.ceil(ids.length / span),
          `${pages}`,
        );
      }
    }),
  );

  Deno.test(
    "PostgresStore: a page of @room messages probes each one's marker by key, never every marker of the server (EXPLAIN)",
    withStores(1, async ([store], url) => {
      // 1,000 @room messages in general, as many in another room: an
      // EXISTS probe was planned as a hashed subplan over all 2,000
      // markers, built for a page of 50 (docs/performance.md).
      await store.createRoom("ops", "ops");
      for (let n = 0; n < 2_000; n += 250) {
        await Promise.all(
          range(n, n + 249).map((i) =>
            store.appendMessage(
              draft(`@room deploy ${i}`, {
                roomKey: i % 2 === 0 ? "general" : "ops",
                roomWide: true,
              }),
            )
          ),
        );
      }
      const page = await store.history("general", { limit: 50 });
      assert.equal(page.length, 50);
      assert.ok(page.every((m) => m.room_mention === true));
      const plan = await inspect(url, async (sql) => {
        await sql`ANALYZE`;
        // The newest page as postgres.ts page() reads it, its values sent
        // as parameters as the store sends them.
        const rows = await sql.unsafe(
          `EXPLAIN SELECT * FROM (
             SELECT ${MESSAGE_COLUMNS} FROM messages m ${REPLY_JOIN}
             WHERE m.stream = $1 AND m.seq < $2 AND m.ts >= $3
             ORDER BY m.seq DESC LIMIT $4
           ) newest ORDER BY seq`,
          ["general", Number.MAX_SAFE_INTEGER, 0, 50],
        );
        return rows.map((row) => String(row["QUERY PLAN"])).join("\n");
      });
      assert.doesNotMatch(plan, /Seq Scan on mentions/, plan);
      assert.match(plan, /Index (Only )?Scan using \w+ on mentions/, plan);
    }),
  );

  Deno.test(
    "PostgresStore: pollChoices reads the polls asked by their ids (an index), never every poll (EXPLAIN)",
    withStores(1, async ([store], url) => {
      const ids: string[] = [];
      for (let n = 0; n < 2_000; n += 250) {
        const appended = await Promise.all(
          range(n, n + 249).map((i) => store.appendMessage(draft(`q ${i}`))),
        );
        ids.push(...appended.map((a) => a.message.id));
      }
      for (const id of ids.slice(0, 200)) {
        await store.changePoll(id, {
          kind: "create",
          poll: newPoll("q", { texts: ["A", "B"], multiple: false }),
        });
      }
      const plan = await inspect(url, async (sql) => {
        await sql`ANALYZE`;
        // pollChoices' WHERE, its ids sent as the store sends them.
        const rows = await sql.unsafe(
          `EXPLAIN SELECT m.id FROM messages m
           WHERE m.id = ANY(ARRAY(SELECT jsonb_array_elements_text($1)))
             AND NOT m.deleted AND m.poll IS NOT NULL`,
          [JSON.stringify(ids.slice(0, 100))],
        );
        return rows.map((row) => String(row["QUERY PLAN"])).join("\n");
      });
      assert.doesNotMatch(plan, /Seq Scan on messages/, plan);
      // By id: the unique index, or messages_polls (id, its polls only).
      assert.match(plan, /Index Cond: \(id = ANY/, plan);
    }),
  );

  Deno.test(
    "PostgresStore: appends the database refuses fail alone in their group commit",
    withStores(1, async ([store]) => {
      // Too big for the client_id index: the database refuses the whole
      // statement, and the store retries the group one append at a time.
      const huge = Array.from(
        crypto.getRandomValues(new Uint8Array(10_000)),
        (b) => b.toString(16).padStart(2, "0"),
      ).join("");
      const outcomes = await Promise.allSettled([
        store.appendMessage(draft("one")),
        // PostgreSQL text cannot hold NUL (SQLite can): refused up front.
        store.appendMessage(draft("nul \u0000 inside")),
        store.appendMessage(draft("two")),
        store.appendMessage(draft("huge client_id", { clientId: huge })),
        store.appendMessage(draft("three")),
      ]);
      assert.deepEqual(outcomes.map((o) => o.status), [
        "fulfilled",
        "rejected",
        "fulfilled",
        "rejected",
        "fulfilled",
      ]);
      for (const outcome of outcomes) {
        if (outcome.status === "rejected") {
          assert.ok(outcome.reason instanceof StoreUnavailableError);
        }
      }
      const history = await store.history("general", {});
      assert.deepEqual(history.map((m) => [m.seq, m.text]), [
        [1, "one"],
        [2, "two"],
        [3, "three"],
      ]);
    }),
  );

  Deno.test(
    "PostgresStore: a store reconnects after the server kills its connections",
    withStores(1, async ([store], url) => {
      await store.appendMessage(draft("before"));
      await inspect(
        url,
        (sql) =>
          sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
            WHERE application_name = 'chat-server'`,
      );
      // The first query may meet a connection the server just closed.
      await store.ping().catch(() => {});
      await store.ping();
      const { message } = await store.appendMessage(draft("after"));
      assert.equal(message.seq, 2);
    }),
  );

  Deno.test(
    "PostgresStore: with the server down every call fails with StoreUnavailableError, and it recovers",
    async () => {
      // Its own server: this test stops it.
      const own = (await startPostgres())!;
      const unhandled: unknown[] = [];
      const onUnhandled = (event: PromiseRejectionEvent) => {
        event.preventDefault();
        unhandled.push(event.reason);
      };
      globalThis.addEventListener("unhandledrejection", onUnhandled);
      let store: PostgresStore | undefined;
      try {
        store = await PostgresStore.open(own.url, OPTIONS);
        // Writers busy when the server goes: each append either is
        // acknowledged or fails with StoreUnavailableError, none hangs.
        const open = store;
        let started = 0;
        const writers = range(1, 4).map(async (w) => {
          const acknowledged: number[] = [];
          for (let i = 0; i < 2000; i++) {
            try {
              const { message } = await open.appendMessage(draft(`w${w}-${i}`));
              if (acknowledged.push(message.seq) === 1) started++;
            } catch (error) {
              if (error instanceof StoreUnavailableError) break;
              throw error;
            }
          }
          return acknowledged;
        });
        // Every writer under way, however long that takes here.
        await eventually(() => assert.equal(started, 4));
        await own.shutdown();
        const acknowledged = (await Promise.all(writers)).flat();
        assert.ok(acknowledged.length > 0);
        await assert.rejects(store.ping(), StoreUnavailableError);
        await assert.rejects(store.listRooms(), StoreUnavailableError);
        await assert.rejects(
          store.history("general", {}),
          StoreUnavailableError,
        );
        await assert.rejects(
          store.appendMessage(draft("lost")),
          StoreUnavailableError,
        );
        await assert.rejects(
          store.findAccount("alice"),
          StoreUnavailableError,
        );
        await assert.rejects(
          PostgresStore.open(own.url, OPTIONS),
          (error: unknown) =>
            error instanceof StoreUnavailableError &&
            error.message.startsWith(`Cannot open database '${own.url}'`),
        );
        // Idle connections dropped by the server must not surface later.
        await new Promise((resolve) => setTimeout(resolve, 200));
        await own.start();
        await retry(() => store!.ping());
        // Every acknowledged message survived, and seqs have no gap.
        const stored: number[] = [];
        for (;;) {
          const page = await store.history("general", {
            afterSeq: stored.length,
            limit: 200,
          });
          if (page.length === 0) break;
          stored.push(...page.map((m) => m.seq));
        }
        assert.deepEqual(stored, range(1, stored.length));
        assert.ok(acknowledged.every((seq) => seq <= stored.length));
        const { message } = await store.appendMessage(draft("back"));
        assert.equal(message.seq, stored.length + 1);
        assert.deepEqual(unhandled, []);
      } finally {
        await store?.close();
        globalThis.removeEventListener("unhandledrejection", onUnhandled);
        await own.stop();
      }
    },
  );

  // ------------------------------------------ the same answers as SQLite

  /**
   * Runs a scenario on a fresh PostgresStore and a fresh SqliteStore and
   * checks that both give the same results.
   */
  function sameAsSqlite(
    scenario: (store: Store) => Promise<unknown[]>,
  ): () => Promise<void> {
    return async () => {
      const dir = await Deno.makeTempDir({ prefix: "chat-store-" });
      const db = await migratedDatabase(pg);
      const sqlite = new SqliteStore(`${dir}/chat.db`, SQLITE_OPTIONS);
      const pgStore = await PostgresStore.open(db.url, OPTIONS);
      try {
        const [pgOut, sqliteOut] = [
          await scenario(pgStore),
          await scenario(sqlite),
        ];
        assert.deepEqual(pgOut, sqliteOut);
      } finally {
        await pgStore.close();
        await sqlite.close();
        await db.drop();
        await Deno.remove(dir, { recursive: true });
      }
    };
  }

  Deno.test(
    "PostgresStore: a reply's delete that loses a deadlock with a bulk delete runs again and counts once",
    withStores(1, async ([store], url) => {
      const { message: root } = await store.appendMessage(draft("root"));
      const { message: reply } = await store.appendMessage(
        draft("reply", { replyTo: root.id }),
      );
      // As a bulk delete that reached the root before the reply: a second
      // connection locks the root, then (once the store's delete holds
      // the reply and waits for the root in chat_reply_left) the reply.
      // Its own deadlock check comes long after the store's (1 s), so
      // the store's statement is the one PostgreSQL fails with 40P01.
      const bulk = postgres(url, { max: 1, onnotice: () => {} });
      const replyAsked = Promise.withResolvers<void>();
      try {
        const rootHeld = Promise.withResolvers<number>();
        const done = bulk.begin(async (sql) => {
          await sql`SET LOCAL deadlock_timeout = '60s'`;
          const [{ pid }] = await sql<{ pid: number }[]>`
            SELECT pg_backend_pid() AS pid FROM messages
            WHERE id = ${root.id} FOR UPDATE`;
          rootHeld.resolve(pid);
          await replyAsked.promise;
          await sql`SELECT 1 FROM messages WHERE id = ${reply.id} FOR UPDATE`;
        });
        const bulkPid = await rootHeld.promise;
        const deleting = store.updateMessage(reply.id, { deleted: true });
        // The delete waits for the root, whichever statement shape takes
        // it there (not found by its text: pg_stat_activity keeps 1 KB).
        await blockedBy(url, bulkPid, 1);
        replyAsked.resolve();
        const [deleted] = await Promise.all([deleting, done]);
        assert.equal(deleted?.deleted, true);
      } finally {
        // A staging that failed still lets the bulk delete end: end()
        // waits for its transaction.
        replyAsked.resolve();
        await bulk.end();
      }
      const found = await store.findMessage(root.id);
      assert.equal(found?.message.reply_count ?? 0, 0);
      assert.equal(found?.message.thread_version, 2, "one reply left, once");
      const [{ gone }] = await inspect(
        url,
        (sql) =>
          sql<{ gone: number }[]>`
          SELECT replies_gone::int AS gone FROM messages WHERE id = ${root.id}`,
      );
      assert.equal(gone, 1);
    }),
  );

  // A forward's copy and its original's delete at once: what is on disk
  // (reads blank a deleted original's copy whatever is stored).
  async function storedCopy(url: string, id: string): Promise<unknown> {
    const [{ forwarded }] = await inspect(
      url,
      (sql) =>
        sql<{ forwarded: unknown }[]>`
        SELECT forwarded FROM messages WHERE id = ${id}`,
    );
    return forwarded;
  }

  /** A message and the copy of it that a forward carries. */
  async function forwardable(store: Store): Promise<ForwardedMessage> {
    const { message } = await store.appendMessage(draft("abuse"));
    const { id, seq, user, ts, text } = message;
    return { id, seq, user, ts, text, room: "general" };
  }

  Deno.test(
    "PostgresStore: a forward's copy committed while its original's delete waits for the original's row is blanked on disk by that delete",
    withStores(1, async ([store], url) => {
      const copy = await forwardable(store);
      const { message: forward } = await store.appendMessage(draft("FYI"));
      // As setForwarded: the original's row, then the forward's copy,
      // committed once the delete (its statement begun) waits.
      const forwarder = postgres(url, { max: 1, onnotice: () => {} });
      const deleteWaits = Promise.withResolvers<void>();
      try {
        const copyHeld = Promise.withResolvers<number>();
        const done = forwarder.begin(async (sql) => {
          const [{ pid }] = await sql<{ pid: number }[]>`
            SELECT pg_backend_pid() AS pid FROM messages
            WHERE id = ${copy.id} FOR SHARE`;
          await sql`UPDATE messages SET forwarded = ${sql.json({ ...copy })}
            WHERE id = ${forward.id}`;
          copyHeld.resolve(pid);
          await deleteWaits.promise;
        });
        const pid = await copyHeld.promise;
        const deleting = store.updateMessage(copy.id, { deleted: true });
        await blockedBy(url, pid, 1);
        deleteWaits.resolve();
        await Promise.all([deleting, done]);
      } finally {
        deleteWaits.resolve();
        await forwarder.end();
      }
      assert.deepEqual(await storedCopy(url, forward.id), {
        id: copy.id,
        deleted: true,
      });
    }),
  );

  Deno.test(
    "PostgresStore: setForwarded waits for its original's delete under way and writes the copy blank",
    withStores(1, async ([store], url) => {
      const copy = await forwardable(store);
      const { message: forward } = await store.appendMessage(draft("FYI"));
      const deleter = postgres(url, { max: 1, onnotice: () => {} });
      const copyWaits = Promise.withResolvers<void>();
      try {
        const deleteHeld = Promise.withResolvers<number>();
        const done = deleter.begin(async (sql) => {
          const [{ pid }] = await sql<{ pid: number }[]>`
            UPDATE messages SET deleted = true, text = ''
            WHERE id = ${copy.id} RETURNING pg_backend_pid() AS pid`;
          deleteHeld.resolve(pid);
          await copyWaits.promise;
        });
        const pid = await deleteHeld.promise;
        const carrying = store.setForwarded(forward.id, copy);
        await blockedBy(url, pid, 1);
        copyWaits.resolve();
        const [carried] = await Promise.all([carrying, done]);
        assert.deepEqual(carried?.forwarded, { id: copy.id, deleted: true });
      } finally {
        copyWaits.resolve();
        await deleter.end();
      }
      assert.deepEqual(await storedCopy(url, forward.id), {
        id: copy.id,
        deleted: true,
      });
    }),
  );

  Deno.test(
    "PostgresStore: a room's deletion that loses a deadlock runs again and deletes the room",
    withStores(1, async ([store], url) => {
      await store.createRoom("dev", "dev");
      const dev = { roomKey: "dev" };
      const { message: root } = await store.appendMessage(draft("root", dev));
      const { message: reply } = await store.appendMessage(
        draft("reply", { ...dev, replyTo: root.id }),
      );
      // A reply's delete under way holds the reply (as the one above
      // holds it before its root); the room's deletion locks the room's
      // stream, then waits for it; then the other asks for the stream.
      const other = postgres(url, { max: 1, onnotice: () => {} });
      try {
        const replyHeld = Promise.withResolvers<void>();
        const streamAsked = Promise.withResolvers<void>();
        const done = other.begin(async (sql) => {
          await sql`SET LOCAL deadlock_timeout = '60s'`;
          await sql`SELECT 1 FROM messages WHERE id = ${reply.id} FOR UPDATE`;
          replyHeld.resolve();
          await streamAsked.promise;
          await sql`SELECT 1 FROM streams WHERE key = 'dev' FOR UPDATE`;
        });
        await replyHeld.promise;
        const deleting = store.deleteRoom("dev");
        await lockWaits(url, "chat_delete_room", 1);
        streamAsked.resolve();
        const [gone] = await Promise.all([deleting, done]);
        assert.ok(gone);
      } finally {
        await other.end();
      }
      assert.equal(await store.findMessage(root.id), undefined);
      assert.equal(await store.findMessage(reply.id), undefined);
      assert.equal(await store.deleteRoom("dev"), false);
    }),
  );

  /**
   * Makes the first DELETE on `table` (or the first `event` given, such as
   * `UPDATE OF poll`), whatever statement does it, fail as a deadlock's
   * loser (40P01), and the later ones go on; returns how many such
   * statements reached it so far. Deterministic, where a real deadlock
   * hangs on the lock order of a plan: a sequence remembers the first
   * time, as a row written by the failed statement would be rolled back
   * with it.
   */
  async function deadlockOnce(
    url: string,
    table: string,
    event: "DELETE" | "UPDATE OF poll" = "DELETE",
  ): Promise<() => Promise<number>> {
    await inspect(url, async (sql) => {
      await sql`CREATE SEQUENCE test_deadlock_once`;
      await sql`
        CREATE FUNCTION test_deadlock_once() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
          IF nextval('test_deadlock_once') = 1 THEN
            RAISE EXCEPTION 'deadlock detected (made by the test)'
              USING ERRCODE = '40P01';
          END IF;
          RETURN NULL;
        END
        $$`;
      await sql`
        CREATE TRIGGER test_deadlock_once
        BEFORE ${sql.unsafe(event)} ON ${sql(table)}
        FOR EACH STATEMENT EXECUTE FUNCTION test_deadlock_once()`;
    });
    return () =>
      inspect(url, async (sql) => {
        const [{ n }] = await sql<{ n: number }[]>`
          SELECT CASE WHEN is_called THEN last_value ELSE 0 END::int AS n
          FROM test_deadlock_once`;
        return n;
      });
  }

  Deno.test(
    "PostgresStore: a retention batch that loses a deadlock runs again and deletes its whole batch, once",
    withStores(1, async ([store], url) => {
      for (const text of ["old 1", "old 2 @bob", "old 3"]) {
        await store.appendMessage(draft(text));
      }
      const cutoff = Date.now() + 1;
      await after(cutoff);
      await store.appendMessage(draft("new 4"));
      const deletes = await deadlockOnce(url, "messages");
      assert.equal(await store.expireMessages(cutoff, 100), 3);
      assert.equal(await deletes(), 2, "refused once, then done");
      assert.deepEqual(
        (await store.history("general", {})).map((m) => [m.seq, m.text]),
        [[4, "new 4"]],
      );
      assert.equal((await store.readState("bob", "general")).mentions, 0);
      assert.equal(await store.expireMessages(cutoff, 100), 0);
    }),
  );

  Deno.test(
    "PostgresStore: an account's deletion that loses a deadlock runs again and deletes the whole account",
    withStores(1, async ([store], url) => {
      await store.createAccount({
        key: "dave",
        username: "Dave",
        passwordHash: "h",
        role: "user",
      });
      await store.createSession("t-dave", {
        userKey: "dave",
        expiresAt: Date.now() + 60_000,
      });
      await store.createRoom("dev", "dev", { owner: "dave" });
      await store.addMember("dave", "dev");
      await store.appendMessage(
        draft("hi from dave", { userKey: "dave", user: "Dave" }),
      );
      const deletes = await deadlockOnce(url, "accounts");
      assert.ok(await store.deleteAccount("dave", "anonymise"));
      assert.equal(await deletes(), 2, "refused once, then done");
      assert.equal(await store.findAccount("dave"), undefined);
      assert.equal(await store.findSession("t-dave"), undefined);
      assert.equal(await store.isMember("dave", "dev"), false);
      assert.deepEqual(
        (await store.history("general", {})).map((m) => m.user),
        [ANONYMOUS_NAME],
      );
      assert.equal(
        (await store.listRooms()).find((r) => r.key === "dev")?.owner,
        DELETED_OWNER,
      );
      assert.equal(await store.deleteAccount("dave", "anonymise"), false);
    }),
  );

  Deno.test(
    "PostgresStore: an account's deletion whose removal of its votes loses a deadlock still answers the deletion and takes its votes away",
    withStores(1, async ([store], url) => {
      await store.createAccount({
        key: "dave",
        username: "Dave",
        passwordHash: "h",
        role: "user",
      });
      const created = await store.findAccount("dave");
      const { message } = await store.appendMessage(draft("Lunch?"));
      await store.changePoll(message.id, {
        kind: "create",
        poll: newPoll("Lunch?", { texts: ["A", "B"], multiple: false }),
      });
      await store.changePoll(message.id, {
        kind: "vote",
        userKey: "dave",
        user: "Dave",
        options: [1],
        accountCreatedAt: created?.createdAt,
      });
      const updates = await deadlockOnce(url, "messages", "UPDATE OF poll");
      // Before, the retry began again with the deletion, found no account
      // and answered false: user_not_found for a deleted account, its
      // vote kept, its polls never sent again.
      assert.deepEqual(await store.deleteAccount("dave", "keep"), {
        polls: [message.id],
      });
      assert.equal(await updates(), 2, "refused once, then done");
      assert.equal(await store.findAccount("dave"), undefined);
      const poll = (await store.findMessage(message.id))?.message.poll;
      assert.deepEqual(poll?.options.map((o) => o.votes), [0, 0]);
      assert.equal(await store.deleteAccount("dave", "keep"), false);
    }),
  );

  Deno.test(
    "PostgresStore: replies, reactions, pins and search give what SqliteStore gives",
    sameAsSqlite(teamScenario),
  );

  Deno.test(
    "PostgresStore: messages stored before search existed are indexed when a store opens",
    withStores(1, async ([store], url) => {
      await store.appendMessage(draft("older message"));
      await store.appendMessage(draft("newer message"));
      const { message: gone } = await store.appendMessage(draft("deleted one"));
      await store.updateMessage(gone.id, { deleted: true });
      // As a database migrated from version 3 has them: no words yet.
      await inspect(url, (sql) => sql`UPDATE messages SET search = NULL`);
      const scope = { roomKeys: ["general"] };
      assert.deepEqual(
        (await store.search({ words: ["message"], scope, limit: 5 })).records,
        [],
      );
      const second = await PostgresStore.open(url, OPTIONS);
      try {
        const found = (await second.search({
          words: ["message"],
          scope,
          limit: 5,
        })).records;
        assert.deepEqual(found.map((r) => r.message.text), [
          "newer message",
          "older message",
        ]);
        const unindexed = await inspect(
          url,
          (sql) =>
            sql`SELECT count(*)::int AS n FROM messages WHERE search IS NULL`,
        );
        assert.equal(unindexed[0].n, 1, "only the deleted one");
      } finally {
        await second.close();
      }
    }),
  );

  Deno.test(
    "PostgresStore: a URL with a password never shows it in errors",
    async () => {
      // Nothing listens on port 1: the connection is refused at once.
      const url = "postgres://chat:s3cret@127.0.0.1:1/chat";
      await assert.rejects(
        PostgresStore.open(url, OPTIONS),
        (error: unknown) =>
          error instanceof StoreUnavailableError &&
          error.message.includes("127.0.0.1:1/chat") &&
          !error.message.includes("s3cret"),
      );
    },
  );
}

/** Calls `step` until it succeeds, for up to 60 s (a restart on a busy machine). */
async function retry(step: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      return await step();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

// Words that tokenizers and folding rules disagree on, in many scripts.
const TRICKY_WORDS = [
  "école",
  "Ecole",
  "ÉCOLES",
  "naïve",
  "façade",
  "Straße",
  "STRASSE",
  "ﬁnal",
  "ｆｕｌｌ",
  "Ἀθῆναι",
  "ΣΟΦΟΣ",
  "σοφός",
  "İstanbul",
  "ǅemal",
  "日本語",
  "한국어",
  "ガイド",
  "ñandú",
  "Ørsted",
  "łódź",
  "1e5",
  "3.14",
  "v2.0",
  "foo@bar.com",
  "https://x.org/a?b=c",
  "a-b",
  "c*d",
  "(e)",
  "don't",
  "l'été",
  "😀emoji",
  "x²",
  "½",
  "١٢٣",
  "NEAR",
  "OR",
  '"quoted"',
  "col:on",
  "ᦱᦲ",
  "x".repeat(120),
];

/**
 * Replies, reactions, pins and a search over a corpus of tricky words,
 * with ids and times made comparable across stores.
 */
async function teamScenario(store: Store): Promise<unknown[]> {
  const out: unknown[] = [];
  const comparable = (m: MessageBase | undefined) =>
    m && {
      ...m,
      id: typeof m.id,
      ts: typeof m.ts,
      ...(m.edited_at ? { edited_at: typeof m.edited_at } : {}),
      ...(m.reply_to ? { reply_to: { ...m.reply_to, id: "id" } } : {}),
    };
  await store.createRoom("dev", "dev");
  // Every pair of words, in rooms and conversations alike.
  const ids: string[] = [];
  for (const [i, word] of TRICKY_WORDS.entries()) {
    const next = TRICKY_WORDS[(i * 7 + 3) % TRICKY_WORDS.length];
    const text = `${word} and ${next}`;
    const { message } = i % 5 === 4
      ? await store.appendPrivate({
        fromKey: i % 2 ? "alice" : "bob",
        from: i % 2 ? "Alice" : "Bob",
        toKey: i % 2 ? "bob" : "alice",
        to: i % 2 ? "Bob" : "Alice",
        text,
        delivered: true,
      })
      : await store.appendMessage({
        roomKey: i % 3 ? "general" : "dev",
        userKey: "alice",
        user: "Alice",
        text,
        replyTo: i % 3 === 1 ? ids.at(-1) : undefined,
      });
    ids.push(message.id);
    out.push(comparable(message));
  }
  out.push(
    await store.react({
      id: ids[1],
      userKey: "bob",
      user: "Bob",
      emoji: "👍",
      on: true,
    }).then((r) => r.status === "done" && comparable(r.message)),
  );
  out.push((await store.pin(ids[2], true)).status);
  await store.updateMessage(ids[3], { text: "rewritten école" });
  await store.updateMessage(ids[6], { deleted: true });
  out.push((await store.listPins("general")).map(comparable));
  out.push((await store.findReplies(ids[0], 10)).map(comparable));
  // Each word alone, each as a prefix of itself, and pairs of them.
  const queries = [
    ...TRICKY_WORDS,
    ...TRICKY_WORDS.map((w) => [...w].slice(0, 2).join("")),
    ...TRICKY_WORDS.map((w, i) => `${w} ${TRICKY_WORDS[(i + 5) % 40]}`),
    "and",
    "an",
    "a",
  ];
  const scopes = [
    {
      roomKeys: ["general", "dev"],
      conversations: { userKey: "alice", since: 0 },
    },
    { roomKeys: ["dev"] },
    {
      roomKeys: [],
      conversations: { userKey: "bob", since: 0, withKey: "alice" },
    },
  ];
  let found = 0;
  for (const query of queries) {
    for (const scope of scopes) {
      const records = (await store.search({
        words: searchWords(query),
        scope,
        limit: 50,
      })).records;
      out.push([query, records.map((r) => [r.message.text, r.stream])]);
      if (records.length > 0) found++;
    }
  }
  // Not a comparison of empty pages.
  assert.ok(found > 150, `${found} searches found something`);
  return out;
}
