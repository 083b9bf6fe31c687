import type { StatementSync } from "node:sqlite";
import { ROOM_MENTION_KEY } from "../mentions.ts";
import { AFTER_EVERY_ID, newestOf, SINCE_JOINED } from "./mention_pages.ts";
import type { MentionStore } from "./mod.ts";
import type { SqliteContext } from "./sqlite_context.ts";

// What a listed mention's message must be: not the account's (?1), not
// deleted, before the id ?2, not by an account it ignores.
const LISTED = `JOIN messages m ON m.stream = n.stream AND m.seq = n.seq
   WHERE m.user_key <> ?1 AND m.deleted = 0
     AND n.message_id < ?2
     AND m.user_key NOT IN (
       SELECT i.ignored_key FROM ignores i WHERE i.user_key = ?1)`;

/**
 * A page of an account's own mention rows: ?1 its key, ?2 the id they
 * come before (AFTER_EVERY_ID: the newest), ?3 how many. Exported for
 * bench/mentions_list.ts's plan.
 */
export const OWN_MENTIONS = `SELECT n.message_id AS id FROM mentions n
   ${LISTED} AND n.user_key = ?1
   ORDER BY n.message_id DESC LIMIT ?3`;

/**
 * The same of the `@room` markers of the rooms the account is a member
 * of, sent since it joined: each of its rooms' markers read from the
 * partial index mentions_room_markers (stream, message_id), between the
 * join (SINCE_JOINED) and ?2, so that only its rooms' markers are read,
 * not every marker of the server. CROSS JOIN keeps the memberships outside
 * (SQLite's way to fix the order of a join): else the planner may scan
 * every marker and probe each room's membership, as many rows as the
 * walk it replaces.
 */
export const ROOM_MENTIONS = `SELECT n.message_id AS id FROM memberships b
   CROSS JOIN mentions n INDEXED BY mentions_room_markers
     ON n.user_key = '${ROOM_MENTION_KEY}' AND n.stream = b.room_key
   ${LISTED} AND b.user_key = ?1 AND ${SINCE_JOINED}
   ORDER BY n.message_id DESC LIMIT ?3`;

/**
 * The SQLite store's list of the messages that mention an account
 * (MentionStore), over the store's connection.
 *
 * Each mention row holds its message's id, indexed by (user_key,
 * message_id): the account's own rows are walked newest first, each
 * checked against its message (by the (stream, seq) index), and the walk
 * stops once the page is full, so a page costs about `limit` probes
 * however many mentions the account has. Its rooms' `@room` markers are
 * read room by room (ROOM_MENTIONS: every marker of its rooms, sorted; a
 * cost in its rooms' markers, never the server's), and the two pages
 * merged: the newest `limit` of both, each once (a message may have both
 * rows: an `@room` that names the account too, mentions.ts).
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
      const args = [
        userKey,
        page.before ?? AFTER_EVERY_ID,
        page.limit,
      ] as const;
      const ids = (sql: string) =>
        (this.#q(sql).all(...args) as { id: string }[]).map((row) => row.id);
      return newestOf(ids(OWN_MENTIONS), ids(ROOM_MENTIONS), page.limit);
    });
  }
}
