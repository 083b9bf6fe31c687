import type { StatementSync } from "node:sqlite";
import { ROOM_MENTION_KEY } from "../mentions.ts";
import type { MentionStore } from "./mod.ts";
import type { SqliteContext } from "./sqlite_context.ts";

/**
 * A page of an account's mentions: ?1 its key, ?2 the id they come
 * before (null: the newest), ?3 how many. Never both rows for one
 * message: a message with the `@room` marker has no row of a name beside
 * it (mentions.ts roomMarker). Exported for bench/mentions_list.ts's plan.
 */
export const MENTIONS_PAGE = `SELECT m.id FROM (
     SELECT stream, seq FROM mentions WHERE user_key = ?1
     UNION ALL
     SELECT n.stream, n.seq FROM memberships b
     JOIN mentions n
       ON n.user_key = '${ROOM_MENTION_KEY}' AND n.stream = b.room_key
     WHERE b.user_key = ?1
   ) n
   JOIN messages m ON m.stream = n.stream AND m.seq = n.seq
   WHERE m.user_key <> ?1 AND m.deleted = 0
     AND (?2 IS NULL OR m.id < ?2)
     AND m.user_key NOT IN (
       SELECT i.ignored_key FROM ignores i WHERE i.user_key = ?1)
   ORDER BY m.id DESC LIMIT ?3`;

/**
 * The SQLite store's list of the messages that mention an account
 * (MentionStore), over the store's connection.
 *
 * Two ranges of the mentions' primary key (user_key, stream, seq): the
 * account's own rows, and for each room it is a member of (its range of
 * the memberships' key) the room's `@room` markers; each row finds its
 * message by (stream, seq), and the few that pass are sorted by id with
 * a temporary B-tree. What a page costs is the account's mentions, not
 * the store's messages: no row of another account or room is read. No
 * index can hand them over in id order (the rows hold no time, and a
 * column for one would be a migration of every mention row), so each
 * page reads them all: 10,000 mentions are 10,000 probes of the
 * messages' (stream, seq) index.
 */
export class SqliteMentions implements MentionStore {
  #q: (sql: string) => StatementSync;
  #run: <T>(step: () => T) => Promise<T>;

  constructor(context: SqliteContext) {
    this.#q = (sql) => context.q(sql);
    this.#run = (step) => context.run(step);
  }

  listMentions(
    userKey: string,
    page: { before?: string; limit: number },
  ): Promise<string[]> {
    return this.#run(() => {
      const rows = this.#q(MENTIONS_PAGE).all(
        userKey,
        page.before ?? null,
        page.limit,
      ) as { id: string }[];
      return rows.map((row) => row.id);
    });
  }
}
