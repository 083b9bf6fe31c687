import type {
  GroupCaps,
  GroupChange,
  GroupRefusal,
  GroupStore,
  MembersRefusal,
  NewGroup,
  StoredGroup,
} from "./mod.ts";
import { nameKey } from "../protocol/names.ts";
import { nameSkeleton } from "../protocol/skeleton.ts";
import type { PostgresContext } from "./postgres_context.ts";
import type { Sql } from "./postgres_rows.ts";
import type { TransactionSql } from "postgres";

// A connection or a transaction: the helpers below run in either.
type Query = Sql | TransactionSql<{ bigint: number }>;

/** A group as its row holds it, with its members' names. */
interface GroupRow {
  key: string;
  name: string;
  description: string;
  creator_key: string | null;
  creator: string | null;
  created_at: string | number;
  members: string[];
}

// The advisory lock every group write takes (its first number spells
// "grou"): groups are written rarely, so one lock for all of them makes
// the caps exact across nodes at no cost.
const GROUPS_LOCK = 1735554933;

// Account creation's lock (chat_create_account_unconfused, the schema),
// which checks the groups under it: createGroup takes it too, after
// GROUPS_LOCK (nothing takes them the other way round), so a group and an
// account of one name, or of look-alikes, are never both made. A group's
// creation waits for the registers under way, which are one statement
// each.
const ACCOUNTS_LOCK = 426610361346;

/**
 * PostgresStore's user groups (GroupStore; postgres.ts lends it to the
 * store): a row per group and one per member. Each write is one
 * transaction under {@link GROUPS_LOCK}; a creation under
 * {@link ACCOUNTS_LOCK} too.
 */
export class PostgresGroups implements GroupStore {
  #context: PostgresContext;

  constructor(context: PostgresContext) {
    this.#context = context;
  }

  createGroup(
    group: NewGroup,
    caps: GroupCaps & { maxGroups: number },
  ): Promise<StoredGroup | GroupRefusal> {
    return this.#context.run((sql) =>
      sql.begin(async (tx): Promise<StoredGroup | GroupRefusal> => {
        await tx`SELECT pg_advisory_xact_lock(${GROUPS_LOCK})`;
        await tx`SELECT pg_advisory_xact_lock(${ACCOUNTS_LOCK})`;
        const skeleton = nameSkeleton(group.name);
        const [taken] = await tx<{ name: string }[]>`
          (SELECT username AS name FROM accounts
            WHERE key = ${group.key} OR skeleton = ${skeleton} LIMIT 1)
          UNION ALL (SELECT name FROM user_groups
            WHERE key = ${group.key} OR skeleton = ${skeleton} LIMIT 1)
          LIMIT 1`;
        if (taken) return { taken: taken.name };
        const [{ n }] = await tx<{ n: string }[]>`
          SELECT count(*) AS n FROM user_groups`;
        if (Number(n) >= caps.maxGroups) return { full: "groups" };
        const members = [...new Set(group.members)];
        if (members.length > caps.maxMembers) return { full: "members" };
        if (await pastMemberships(tx, caps, 0, members.length)) {
          return { full: "memberships" };
        }
        if (await pastOwn(tx, caps, group.creatorKey, 0, members.length)) {
          return { full: "own" };
        }
        const unknown = await unknownKeys(tx, members);
        if (unknown.length > 0) return { unknown };
        await tx`
          INSERT INTO user_groups (key, name, description, creator_key,
            created_at, skeleton)
          VALUES (${group.key}, ${group.name}, ${group.description},
            ${group.creatorKey}, ${Date.now()}, ${skeleton})`;
        await addMembers(tx, group.key, members);
        return (await readGroups(tx, group.key))[0];
      }) as Promise<StoredGroup | GroupRefusal>
    );
  }

  updateGroup(
    key: string,
    change: GroupChange,
    caps: GroupCaps,
  ): Promise<StoredGroup | MembersRefusal | undefined> {
    return this.#context.run((sql) =>
      sql.begin(
        async (tx): Promise<StoredGroup | MembersRefusal | undefined> => {
          await tx`SELECT pg_advisory_xact_lock(${GROUPS_LOCK})`;
          const [there] =
            await tx`SELECT 1 FROM user_groups WHERE key = ${key}`;
          if (!there) return undefined;
          const removed = [...new Set(change.remove)];
          const add = [...new Set(change.add)].filter((k) =>
            !removed.includes(k)
          );
          const unknown = await unknownKeys(tx, add);
          if (unknown.length > 0) return { unknown };
          // The members it would have, counted before anything is written.
          const [{ n }] = await tx<{ n: string }[]>`
            SELECT count(*) AS n FROM (
              SELECT user_key FROM group_members WHERE group_key = ${key}
                AND user_key <> ALL(ARRAY(SELECT jsonb_array_elements_text(${
            tx.json(removed)
          })))
              UNION SELECT jsonb_array_elements_text(${tx.json(add)})) AS kept`;
          if (Number(n) > caps.maxMembers) return { full: "members" };
          const [{ held }] = await tx<{ held: string }[]>`
            SELECT count(*) AS held FROM group_members
            WHERE group_key = ${key}`;
          if (await pastMemberships(tx, caps, Number(held), Number(n))) {
            return { full: "memberships" };
          }
          const [{ creator_key }] = await tx<
            { creator_key: string | null }[]
          >`SELECT creator_key FROM user_groups WHERE key = ${key}`;
          if (await pastOwn(tx, caps, creator_key, Number(held), Number(n))) {
            return { full: "own" };
          }
          await tx`
            DELETE FROM group_members
            WHERE group_key = ${key} AND user_key = ANY(ARRAY(SELECT jsonb_array_elements_text(${
            tx.json(removed)
          })))`;
          await addMembers(tx, key, add);
          if (change.description !== undefined) {
            await tx`UPDATE user_groups SET description = ${change.description}
              WHERE key = ${key}`;
          }
          return (await readGroups(tx, key))[0];
        },
      ) as Promise<StoredGroup | MembersRefusal | undefined>
    );
  }

  deleteGroup(key: string): Promise<boolean> {
    return this.#context.run(async (sql) =>
      (await sql`DELETE FROM user_groups WHERE key = ${key} RETURNING 1`)
        .length > 0
    );
  }

  group(key: string): Promise<StoredGroup | undefined> {
    return this.#context.run(async (sql) => (await readGroups(sql, key))[0]);
  }

  groupLookingLike(
    name: string,
  ): Promise<Pick<StoredGroup, "key" | "name"> | undefined> {
    return this.#context.run(async (sql) =>
      (await sql<Pick<StoredGroup, "key" | "name">[]>`
        SELECT key, name FROM user_groups
        WHERE key = ${nameKey(name)} OR skeleton = ${nameSkeleton(name)}
        LIMIT 1`)[0]
    );
  }

  listGroups(): Promise<StoredGroup[]> {
    return this.#context.run((sql) => readGroups(sql));
  }

  groupKeys(): Promise<string[]> {
    return this.#context.run(async (sql) =>
      (await sql<{ key: string }[]>`
        SELECT key FROM user_groups ORDER BY key COLLATE "C"`)
        .map((row) => row.key)
    );
  }

  groupMemberKeys(
    groupKeys: readonly string[],
    options: { roomKey?: string; limit: number },
  ): Promise<string[]> {
    if (groupKeys.length === 0) return Promise.resolve([]);
    return this.#context.run(async (sql) =>
      (await sql<{ user_key: string }[]>`
        SELECT m.user_key FROM group_members m
        WHERE m.group_key = ANY(ARRAY(
          SELECT jsonb_array_elements_text(${sql.json([...groupKeys])})))
        AND (${options.roomKey ?? null}::text IS NULL OR EXISTS (
          SELECT 1 FROM memberships s
          WHERE s.user_key = m.user_key AND s.room_key = ${
        options.roomKey ?? null
      }::text))
        GROUP BY m.user_key ORDER BY m.user_key COLLATE "C" LIMIT ${options.limit}`)
        .map((row) => row.user_key)
    );
  }
}

// Whether a group of `held` members having `members` would take the
// groups past `caps.maxMemberships` in all; a change that does not grow
// them never is (one over the cap may still shrink). Under GROUPS_LOCK:
// only an account's deletion, which shrinks them, writes beside it.
async function pastMemberships(
  sql: Query,
  caps: GroupCaps,
  held: number,
  members: number,
): Promise<boolean> {
  if (caps.maxMemberships === undefined || members <= held) return false;
  const [{ total }] = await sql<{ total: string }[]>`
    SELECT count(*) AS total FROM group_members`;
  return Number(total) - held + members > caps.maxMemberships;
}

// Of `keys`, those no account holds, in key order.
async function unknownKeys(
  sql: Query,
  keys: readonly string[],
): Promise<string[]> {
  if (keys.length === 0) return [];
  return (await sql<{ key: string }[]>`
    SELECT k AS key FROM jsonb_array_elements_text(${sql.json([...keys])}) AS k
    WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.key = k)
    ORDER BY k COLLATE "C"`).map((row) => row.key);
}

async function addMembers(
  sql: Query,
  groupKey: string,
  userKeys: readonly string[],
): Promise<void> {
  if (userKeys.length === 0) return;
  await sql`
    INSERT INTO group_members (group_key, user_key)
    SELECT ${groupKey}, jsonb_array_elements_text(${sql.json([...userKeys])})
    ON CONFLICT DO NOTHING`;
}

// One group (by key) or all of them, with their members' names in key
// order: one query.
async function readGroups(sql: Query, key?: string): Promise<StoredGroup[]> {
  const rows = await sql<GroupRow[]>`
    SELECT g.key, g.name, g.description, g.creator_key,
      (SELECT c.username FROM accounts c WHERE c.key = g.creator_key)
        AS creator, g.created_at,
      coalesce((SELECT json_agg(a.username ORDER BY m.user_key COLLATE "C")
        FROM group_members m JOIN accounts a ON a.key = m.user_key
        WHERE m.group_key = g.key), '[]') AS members
    FROM user_groups g
    WHERE ${key ?? null}::text IS NULL OR g.key = ${key ?? null}::text
    ORDER BY g.key COLLATE "C"`;
  return rows.map((row) => ({
    key: row.key,
    name: row.name,
    description: row.description,
    creatorKey: row.creator_key,
    creator: row.creator,
    createdAt: Number(row.created_at),
    members: row.members,
  }));
}

// Whether a group of `creatorKey`'s, of `held` members, having `members`
// would take that account's groups past `caps.maxOwnMemberships` in all;
// as pastMemberships, a change that does not grow them never is. A group
// whose creator was deleted counts for no one. Under GROUPS_LOCK.
async function pastOwn(
  sql: Query,
  caps: GroupCaps,
  creatorKey: string | null,
  held: number,
  members: number,
): Promise<boolean> {
  if (
    caps.maxOwnMemberships === undefined || creatorKey === null ||
    members <= held
  ) return false;
  const [{ total }] = await sql<{ total: string }[]>`
    SELECT count(*) AS total FROM group_members m
    JOIN user_groups g ON g.key = m.group_key
    WHERE g.creator_key = ${creatorKey}`;
  return Number(total) - held + members > caps.maxOwnMemberships;
}
