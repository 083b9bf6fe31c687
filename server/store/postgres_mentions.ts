import { ROOM_MENTION_KEY } from "../mentions.ts";
import type { MentionStore } from "./mod.ts";
import type { PostgresContext } from "./postgres_context.ts";

/**
 * PostgresStore's list of the messages that mention an account
 * (MentionStore; postgres.ts lends it to the store). As SQLite's
 * (sqlite_mentions.ts): the account's range of the mentions' primary key
 * and its rooms' `@room` ranges, each row's message by its primary key,
 * sorted by id; what a page costs is the account's mentions, not the
 * store's messages. Ids compare byte by byte (COLLATE "C"), as the ids'
 * own order is.
 */
export class PostgresMentions implements MentionStore {
  #context: PostgresContext;

  constructor(context: PostgresContext) {
    this.#context = context;
  }

  listMentions(
    userKey: string,
    page: { before?: string; limit: number },
  ): Promise<string[]> {
    return this.#context.run(async (sql) => {
      const before = page.before === undefined
        ? sql``
        : sql`AND m.id COLLATE "C" < ${page.before} COLLATE "C"`;
      // Never both rows for one message: a message with the `@room`
      // marker has no row of a name beside it (mentions.ts roomMarker).
      const rows = await sql<{ id: string }[]>`
        SELECT m.id FROM (
          SELECT stream, seq FROM mentions WHERE user_key = ${userKey}
          UNION ALL
          SELECT n.stream, n.seq FROM memberships b
          JOIN mentions n
            ON n.user_key = ${ROOM_MENTION_KEY} AND n.stream = b.room_key
          WHERE b.user_key = ${userKey}
        ) n
        JOIN messages m ON m.stream = n.stream AND m.seq = n.seq
        WHERE m.user_key <> ${userKey} AND NOT m.deleted ${before}
          AND NOT EXISTS (SELECT 1 FROM ignores i
            WHERE i.user_key = ${userKey} AND i.ignored_key = m.user_key)
        ORDER BY m.id COLLATE "C" DESC
        LIMIT ${page.limit}`;
      return rows.map((row) => row.id);
    });
  }
}
