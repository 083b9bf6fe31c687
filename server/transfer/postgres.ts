/**
 * Export and import on PostgreSQL: reads in one REPEATABLE READ READ ONLY
 * transaction (one snapshot while nodes keep writing), writes in one
 * transaction with a statement per batch of rows (`jsonb_to_recordset`).
 * A refused batch is tried again row by row, each in a savepoint, to name
 * the row.
 */
import postgres from "postgres";
import { MAX_REACTION_USERS } from "../protocol/limits.ts";
import { describeUrl, PostgresStore, TYPES } from "../store/postgres.ts";
import { type ColumnSpec, type Row, type TableSpec } from "./format.ts";
import { rowFrom } from "./format.ts";
import {
  type ExportSource,
  type ImportTarget,
  MUST_BE_EMPTY,
  RowError,
  type TableReader,
  type TableWriter,
} from "./mod.ts";
import { CHECK, keepNewestEditsQuery, strayEditQuery } from "./sqlite.ts";

type Sql = postgres.Sql<{ bigint: number }>;
type Transaction = postgres.TransactionSql<{ bigint: number }>;

const SQL_TYPE: Record<ColumnSpec["type"], string> = {
  text: "text",
  int: "bigint",
  bool: "boolean",
  json: "jsonb",
};

function columnOf(column: ColumnSpec): string {
  return `"${column.postgres ?? column.name}"`;
}

// Selected under the names lines use.
function selectList(spec: TableSpec): string {
  return spec.columns.map((c) => `${columnOf(c)} AS "${c.name}"`).join(", ");
}

function orderOf(spec: TableSpec): string[] {
  return spec.order ? [spec.order.postgres] : [...spec.key];
}

function typeOfKey(spec: TableSpec, name: string): string {
  const column = spec.columns.find((c) => c.name === name);
  return column ? SQL_TYPE[column.type] : "bigint";
}

async function connect(url: string): Promise<Sql> {
  // Opened as a node opens it first, which migrates an older schema.
  const store = await PostgresStore.open(url);
  await store.close();
  return postgres(url, {
    max: 1,
    connect_timeout: 5,
    fetch_types: false,
    onnotice: () => {},
    connection: { application_name: "chat-server transfer" },
    types: TYPES,
  });
}

/** Reads a PostgreSQL database for an export. */
export class PostgresSource implements ExportSource {
  #sql: Sql;
  readonly describe: string;

  private constructor(sql: Sql, url: string) {
    this.#sql = sql;
    this.describe = `PostgreSQL at ${describeUrl(url)}`;
  }

  /** Connects, the schema brought up to date. */
  static async open(url: string): Promise<PostgresSource> {
    return new PostgresSource(await connect(url), url);
  }

  async snapshot<T>(work: (reader: TableReader) => Promise<T>): Promise<T> {
    let result: T | undefined;
    await this.#sql.begin(
      "isolation level repeatable read read only",
      async (tx) => {
        result = await work(reader(tx));
      },
    );
    return result as T;
  }

  async close(): Promise<void> {
    await this.#sql.end({ timeout: 5 });
  }
}

function reader(tx: Transaction): TableReader {
  return {
    async count(spec) {
      const [{ n }] = await tx.unsafe<{ n: number }[]>(
        `SELECT count(*)::bigint AS n FROM ${spec.table}`,
      );
      return n;
    },
    async page(spec, after, limit) {
      const order = orderOf(spec);
      const keys = order.map((c, i) => `"${c}" AS _k${i}`).join(", ");
      const by = order.map((c) => `"${c}"`).join(", ");
      const where = after
        ? `WHERE (${by}) > (${
          order.map((c, i) => `$${i + 1}::${typeOfKey(spec, c)}`).join(", ")
        })`
        : "";
      const raw = await tx.unsafe<Record<string, unknown>[]>(
        `SELECT ${selectList(spec)}, ${keys} FROM ${spec.table} ${where}
         ORDER BY ${by} LIMIT ${Math.trunc(limit)}`,
        (after ?? []) as string[],
      );
      const last = raw.at(-1);
      return {
        rows: raw.map((r) => rowFrom(spec, r)),
        cursor: last ? order.map((_, i) => last[`_k${i}`]) : after,
      };
    },
  };
}

/** Writes into a PostgreSQL database for an import. */
export class PostgresTarget implements ImportTarget {
  #sql: Sql;
  readonly describe: string;

  private constructor(sql: Sql, url: string) {
    this.#sql = sql;
    this.describe = `PostgreSQL at ${describeUrl(url)}`;
  }

  /** Connects, the schema brought up to date. */
  static async open(url: string): Promise<PostgresTarget> {
    return new PostgresTarget(await connect(url), url);
  }

  async transaction(
    work: (writer: TableWriter) => Promise<void>,
  ): Promise<void> {
    await this.#sql.begin(async (tx) => {
      // Nodes appending meanwhile would take seqs the import sets.
      await tx.unsafe(
        `LOCK TABLE streams, rooms, messages IN SHARE ROW EXCLUSIVE MODE`,
      );
      await work(writer(tx));
    });
  }

  async close(): Promise<void> {
    await this.#sql.end({ timeout: 5 });
  }
}

function writer(tx: Transaction): TableWriter {
  const insertOf = (spec: TableSpec) => {
    const names = spec.columns.map(columnOf).join(", ");
    const record = spec.columns
      .map((c) => `${columnOf(c)} ${SQL_TYPE[c.type]}`)
      .join(", ");
    return `INSERT INTO ${spec.table} (${names})
      SELECT ${names} FROM jsonb_to_recordset($1::text::jsonb) AS r(${record})`;
  };
  const asJson = (spec: TableSpec, rows: Row[]) =>
    JSON.stringify(rows.map((row) => {
      const out: Record<string, unknown> = {};
      for (const c of spec.columns) out[c.postgres ?? c.name] = row[c.name];
      return out;
    }));
  const insertRows = async (spec: TableSpec, rows: Row[]) => {
    const statement = insertOf(spec);
    try {
      await tx.savepoint((sp) => sp.unsafe(statement, [asJson(spec, rows)]));
      return;
    } catch (error) {
      if (rows.length === 1) throw new RowError(0, messageOf(error));
    }
    for (let i = 0; i < rows.length; i++) {
      try {
        await tx.savepoint((sp) =>
          sp.unsafe(statement, [asJson(spec, [rows[i]])])
        );
      } catch (error) {
        throw new RowError(i, messageOf(error), { cause: error });
      }
    }
  };
  return {
    async inUse() {
      for (const table of MUST_BE_EMPTY) {
        const [{ n }] = await tx.unsafe<{ n: number }[]>(
          `SELECT count(*)::bigint AS n FROM ${table}`,
        );
        if (n > 0) return `${n} rows in ${table}`;
      }
      const [{ n }] = await tx.unsafe<{ n: number }[]>(
        "SELECT count(*)::bigint AS n FROM streams WHERE last_seq > 0",
      );
      return n > 0 ? `${n} streams with messages` : undefined;
    },
    async clear() {
      await tx.unsafe("DELETE FROM rooms");
      await tx.unsafe("DELETE FROM streams");
      await tx.unsafe("DELETE FROM secrets");
    },
    async insert(spec, rows) {
      await insertRows(spec, rows);
      // The next room made is later than every room imported, as the
      // store's room clock promises (its rooms' creation times differ).
      if (spec.table === "rooms") {
        await tx.unsafe(
          `UPDATE room_clock SET last = greatest(last,
             (SELECT coalesce(max(created_at), 0) FROM rooms))`,
        );
      }
      if (spec.identity !== undefined) {
        // The next entry the server adds takes the number after these.
        const column = `"${spec.identity}"`;
        await tx.unsafe(
          `SELECT setval(pg_get_serial_sequence('${spec.table}', '${spec.identity}'),
             (SELECT max(${column}) FROM ${spec.table}))`,
        );
      }
    },
    async sumReactions() {
      await tx.unsafe(
        `DELETE FROM reactions x USING messages m
         WHERE m.id = x.message_id AND m.deleted`,
      );
      await tx.unsafe(
        `DELETE FROM message_edits x USING messages m
         WHERE m.id = x.message_id AND m.deleted`,
      );
      // chat_sum_reactions' sum, for every message at once; written only
      // where it differs (jsonb compares as values, not as text), so an
      // honest dump's messages keep their versions.
      const summed = await tx.unsafe(
        `UPDATE messages m SET reactions = s.summary
         FROM (
           SELECT g.message_id,
             jsonb_agg(jsonb_build_object('emoji', g.emoji, 'count', g.n,
               'users', to_jsonb(g.users[1:${MAX_REACTION_USERS}]))
               ORDER BY g.first) AS summary
           FROM (
             SELECT x.message_id, x.emoji, count(*) AS n, min(x.ord) AS first,
               array_agg(x.user_name ORDER BY x.ord) AS users
             FROM reactions x GROUP BY x.message_id, x.emoji
           ) g GROUP BY g.message_id
         ) s
         WHERE m.id = s.message_id AND m.reactions IS DISTINCT FROM s.summary`,
      );
      const cleared = await tx.unsafe(
        `UPDATE messages m SET reactions = NULL WHERE m.reactions IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM reactions x WHERE x.message_id = m.id)`,
      );
      return summed.count + cleared.count;
    },
    async strayEdit() {
      const [row] = await tx.unsafe<{ at: number; message_id: string }[]>(
        strayEditQuery("ord"),
      );
      return row && { index: row.at, messageId: row.message_id };
    },
    async settleEdits() {
      const dropped = await tx.unsafe(keepNewestEditsQuery("ord"));
      // As SQLite's: the greatest of its time and the rows' above it,
      // within its message's ts and edited_at.
      const retimed = await tx.unsafe(
        `UPDATE message_edits x SET ts = r.ts FROM (
           SELECT e.message_id, e.ord, e.ts AS was, greatest(m.ts,
             least(m.edited_at, max(e.ts) OVER (PARTITION BY e.message_id
               ORDER BY e.ord ROWS UNBOUNDED PRECEDING))) AS ts
           FROM message_edits e JOIN messages m ON m.id = e.message_id
           WHERE m.edited_at IS NOT NULL
         ) r WHERE x.message_id = r.message_id AND x.ord = r.ord
           AND r.ts <> r.was`,
      );
      return { dropped: dropped.count, retimed: retimed.count };
    },
    async check() {
      const [row] = await tx.unsafe<{ problem: string }[]>(CHECK);
      return row?.problem;
    },
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
