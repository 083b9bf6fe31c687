import { ROOM_MENTION_KEY } from "../mentions.ts";
import type { MentionStore } from "./mod.ts";
import type { PostgresContext } from "./postgres_context.ts";

/**
 * A page of an account's mentions: $1 its key, $2 the id they come before
 * (null: the newest), $3 how many. Never both rows for one message: a
 * message with the `@room` marker has no row of a name beside it
 * (mentions.ts roomMarker). Exported for bench/mentions_list.ts's plan.
 */
export const MENTIONS_PAGE = `SELECT m.id FROM (
     SELECT stream, seq FROM mentions WHERE user_key = $1
     UNION ALL
     SELECT n.stream, n.seq FROM memberships b
     JOIN mentions n
       ON n.user_key = '${ROOM_MENTION_KEY}' AND n.stream = b.room_key
     WHERE b.user_key = $1
   ) n
   JOIN messages m ON m.stream = n.stream AND m.seq = n.seq
   WHERE m.user_key <> $1 AND NOT m.deleted
     AND ($2::text IS NULL OR m.id COLLATE "C" < $2 COLLATE "C")
     AND NOT EXISTS (SELECT 1 FROM ignores i
       WHERE i.user_key = $1 AND i.ignored_key = m.user_key)
   ORDER BY m.id COLLATE "C" DESC LIMIT $3`;

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
      const rows = await sql.unsafe<{ id: string }[]>(MENTIONS_PAGE, [
        userKey,
        page.before ?? null,
        page.limit,
      ]);
      return rows.map((row) => row.id);
    });
  }
}
