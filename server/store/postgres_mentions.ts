import { ROOM_MENTION_KEY } from "../mentions.ts";
import { AFTER_EVERY_ID, newestOf, SINCE_JOINED } from "./mention_pages.ts";
import type { MentionStore } from "./mod.ts";
import type { PostgresContext } from "./postgres_context.ts";

// What a listed mention's message must be: not the account's ($1), not
// deleted, before the id $2, not by an account it ignores.
// message_id is in byte order (COLLATE "C"), the ids' own.
const LISTED = `JOIN messages m ON m.stream = n.stream AND m.seq = n.seq
   WHERE m.user_key <> $1 AND NOT m.deleted
     AND n.message_id < $2
     AND NOT EXISTS (SELECT 1 FROM ignores i
       WHERE i.user_key = $1 AND i.ignored_key = m.user_key)`;

/**
 * A page of an account's own mention rows: $1 its key, $2 the id they
 * come before (AFTER_EVERY_ID: the newest), $3 how many. Exported for
 * bench/mentions_list.ts's plan.
 */
export const OWN_MENTIONS = `SELECT n.message_id AS id FROM mentions n
   ${LISTED} AND n.user_key = $1
   ORDER BY n.message_id DESC LIMIT $3`;

/**
 * The same of the `@room` markers of the rooms the account is a member
 * of, sent since it joined: for each of its rooms, that room's markers
 * walked newest first on the partial index mentions_room_markers
 * (stream, message_id), from $2 down to the join (SINCE_JOINED), and
 * stopped at $3, the rooms' pages merged. Only its rooms' markers are
 * read, at most $3 probes a room, not every marker of the server.
 */
export const ROOM_MENTIONS = `SELECT r.id FROM memberships b
   CROSS JOIN LATERAL (SELECT n.message_id AS id FROM mentions n
     ${LISTED} AND n.user_key = '${ROOM_MENTION_KEY}'
       AND n.stream = b.room_key AND ${SINCE_JOINED}
     ORDER BY n.message_id DESC LIMIT $3) r
   WHERE b.user_key = $1
   ORDER BY r.id DESC LIMIT $3`;

/**
 * PostgresStore's list of the messages that mention an account
 * (MentionStore; postgres.ts lends it to the store), as SQLite's
 * (sqlite_mentions.ts): the account's range of (user_key, message_id)
 * walked newest first and stopped once the page is full, each of its
 * rooms' `@room` markers likewise (ROOM_MENTIONS), the pages merged.
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
      const args = [userKey, page.before ?? AFTER_EVERY_ID, page.limit];
      const ids = async (text: string) =>
        (await sql.unsafe<{ id: string }[]>(text, args)).map((row) => row.id);
      return newestOf(
        await ids(OWN_MENTIONS),
        await ids(ROOM_MENTIONS),
        page.limit,
      );
    });
  }
}
