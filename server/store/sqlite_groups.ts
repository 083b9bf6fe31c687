import type { StatementSync } from "node:sqlite";
import { nameKey } from "../protocol/names.ts";
import { nameSkeleton } from "../protocol/skeleton.ts";
import type {
  GroupCaps,
  GroupChange,
  GroupRefusal,
  GroupStore,
  MembersRefusal,
  NewGroup,
  StoredGroup,
} from "./mod.ts";
import type { SqliteContext } from "./sqlite_context.ts";

/** A group as its row holds it, with its members' names as JSON. */
interface GroupRow {
  key: string;
  name: string;
  description: string;
  creator_key: string | null;
  creator: string | null;
  created_at: number;
  members: string;
}

// A group's row and its members' names (in key order), one query.
const GROUP_SELECT = `SELECT g.key, g.name, g.description, g.creator_key,
    (SELECT c.username FROM accounts c WHERE c.key = g.creator_key)
      AS creator, g.created_at,
    (SELECT coalesce(json_group_array(username), '[]') FROM (
       SELECT a.username FROM group_members m
       JOIN accounts a ON a.key = m.user_key
       WHERE m.group_key = g.key ORDER BY m.user_key)) AS members
  FROM user_groups g`;

/**
 * The SQLite store's user groups (GroupStore): a row per group and one per
 * member, over the store's connection. Every write is one transaction on
 * the one writer, so the caps and the accounts' namespace (which
 * createAccount checks in its own) are exact.
 */
export class SqliteGroups implements GroupStore {
  #q: (sql: string) => StatementSync;
  #run: <T>(step: () => T) => Promise<T>;
  #transaction: <T>(body: () => T) => T;

  constructor(context: SqliteContext) {
    this.#q = (sql) => context.q(sql);
    this.#run = (step) => context.run(step);
    this.#transaction = (body) => context.transaction(body);
  }

  createGroup(
    group: NewGroup,
    caps: GroupCaps & { maxGroups: number },
  ): Promise<StoredGroup | GroupRefusal> {
    return this.#run(() =>
      this.#transaction((): StoredGroup | GroupRefusal => {
        const skeleton = nameSkeleton(group.name);
        // An account's name or look-alike, or a group's: in the one
        // writer's transaction, so no register comes between.
        const taken = this.#q(
          `SELECT username AS name FROM accounts
             WHERE key = ?1 OR skeleton = ?2
           UNION ALL SELECT name FROM user_groups
             WHERE key = ?1 OR skeleton = ?2
           LIMIT 1`,
        ).get(group.key, skeleton) as { name: string } | undefined;
        if (taken) return { taken: taken.name };
        const { n } = this.#q("SELECT count(*) AS n FROM user_groups")
          .get() as { n: number };
        if (n >= caps.maxGroups) return { full: "groups" };
        const members = [...new Set(group.members)];
        if (members.length > caps.maxMembers) return { full: "members" };
        if (this.#pastMemberships(caps, 0, members.length)) {
          return { full: "memberships" };
        }
        if (this.#pastOwn(caps, group.creatorKey, 0, members.length)) {
          return { full: "own" };
        }
        const unknown = this.#unknown(members);
        if (unknown.length > 0) return { unknown };
        this.#q(
          `INSERT INTO user_groups
             (key, name, description, creator_key, created_at, skeleton)
           VALUES (?, ?, ?, ?, ?, ?)`,
        ).run(
          group.key,
          group.name,
          group.description,
          group.creatorKey,
          Date.now(),
          skeleton,
        );
        this.#add(group.key, members);
        return this.#group(group.key)!;
      })
    );
  }

  updateGroup(
    key: string,
    change: GroupChange,
    caps: GroupCaps,
  ): Promise<StoredGroup | MembersRefusal | undefined> {
    return this.#run(() =>
      this.#transaction((): StoredGroup | MembersRefusal | undefined => {
        if (!this.#q("SELECT 1 FROM user_groups WHERE key = ?").get(key)) {
          return undefined;
        }
        const removed = new Set(change.remove);
        const add = [...new Set(change.add)].filter((k) => !removed.has(k));
        const unknown = this.#unknown(add);
        if (unknown.length > 0) return { unknown };
        // The members it would have, counted before anything is written.
        const { n } = this.#q(
          `SELECT count(*) AS n FROM (
             SELECT user_key FROM group_members WHERE group_key = ?
               AND user_key NOT IN (SELECT value FROM json_each(?))
             UNION SELECT value FROM json_each(?))`,
        ).get(key, JSON.stringify([...removed]), JSON.stringify(add)) as {
          n: number;
        };
        if (n > caps.maxMembers) return { full: "members" };
        const { held } = this.#q(
          "SELECT count(*) AS held FROM group_members WHERE group_key = ?",
        ).get(key) as { held: number };
        if (this.#pastMemberships(caps, held, n)) {
          return { full: "memberships" };
        }
        const { creator_key } = this.#q(
          "SELECT creator_key FROM user_groups WHERE key = ?",
        ).get(key) as { creator_key: string | null };
        if (this.#pastOwn(caps, creator_key, held, n)) return { full: "own" };
        const remove = this.#q(
          "DELETE FROM group_members WHERE group_key = ? AND user_key = ?",
        );
        for (const userKey of removed) remove.run(key, userKey);
        this.#add(key, add);
        if (change.description !== undefined) {
          this.#q("UPDATE user_groups SET description = ? WHERE key = ?")
            .run(change.description, key);
        }
        return this.#group(key);
      })
    );
  }

  deleteGroup(key: string): Promise<boolean> {
    return this.#run(() =>
      Number(
        this.#q("DELETE FROM user_groups WHERE key = ?").run(key).changes,
      ) > 0
    );
  }

  group(key: string): Promise<StoredGroup | undefined> {
    return this.#run(() => this.#group(key));
  }

  groupLookingLike(
    name: string,
  ): Promise<Pick<StoredGroup, "key" | "name"> | undefined> {
    return this.#run(() => {
      const row = this.#q(
        `SELECT key, name FROM user_groups WHERE key = ? OR skeleton = ?
         LIMIT 1`,
      ).get(nameKey(name), nameSkeleton(name)) as
        | { key: string; name: string }
        | undefined;
      return row && { key: row.key, name: row.name };
    });
  }

  listGroups(): Promise<StoredGroup[]> {
    return this.#run(() =>
      (this.#q(`${GROUP_SELECT} ORDER BY g.key`).all() as unknown as GroupRow[])
        .map(toGroup)
    );
  }

  groupKeys(): Promise<string[]> {
    return this.#run(() =>
      (this.#q("SELECT key FROM user_groups ORDER BY key").all() as {
        key: string;
      }[]).map((row) => row.key)
    );
  }

  groupMemberKeys(
    groupKeys: readonly string[],
    options: { roomKey?: string; limit: number },
  ): Promise<string[]> {
    if (groupKeys.length === 0) return Promise.resolve([]);
    return this.#run(() =>
      (this.#q(
        `SELECT DISTINCT m.user_key FROM group_members m
         WHERE m.group_key IN (SELECT value FROM json_each(?1))
         AND (?2 IS NULL OR EXISTS (SELECT 1 FROM memberships s
           WHERE s.user_key = m.user_key AND s.room_key = ?2))
         ORDER BY m.user_key LIMIT ?3`,
      ).all(
        JSON.stringify(groupKeys),
        options.roomKey ?? null,
        options.limit,
      ) as { user_key: string }[]).map((row) => row.user_key)
    );
  }

  // Whether a group of `held` members having `members` would take the
  // groups past `caps.maxMemberships` in all; a change that does not grow
  // them never is (one over the cap may still shrink).
  #pastMemberships(caps: GroupCaps, held: number, members: number): boolean {
    if (caps.maxMemberships === undefined || members <= held) return false;
    const { total } = this.#q("SELECT count(*) AS total FROM group_members")
      .get() as { total: number };
    return total - held + members > caps.maxMemberships;
  }

  // Whether a group of `creatorKey`'s, of `held` members, having `members`
  // would take that account's groups past `caps.maxOwnMemberships` in all;
  // as #pastMemberships, a change that does not grow them never is. A
  // group whose creator was deleted counts for no one.
  #pastOwn(
    caps: GroupCaps,
    creatorKey: string | null,
    held: number,
    members: number,
  ): boolean {
    if (
      caps.maxOwnMemberships === undefined || creatorKey === null ||
      members <= held
    ) return false;
    const { total } = this.#q(
      `SELECT count(*) AS total FROM group_members m
       JOIN user_groups g ON g.key = m.group_key WHERE g.creator_key = ?`,
    ).get(creatorKey) as { total: number };
    return total - held + members > caps.maxOwnMemberships;
  }

  #group(key: string): StoredGroup | undefined {
    const row = this.#q(`${GROUP_SELECT} WHERE g.key = ?`).get(key) as
      | GroupRow
      | undefined;
    return row ? toGroup(row) : undefined;
  }

  // Of `keys`, those no account holds, in key order.
  #unknown(keys: readonly string[]): string[] {
    if (keys.length === 0) return [];
    return (this.#q(
      `SELECT value FROM json_each(?) WHERE value NOT IN
         (SELECT key FROM accounts) ORDER BY value`,
    ).all(JSON.stringify(keys)) as { value: string }[]).map((row) => row.value);
  }

  #add(groupKey: string, userKeys: readonly string[]): void {
    if (userKeys.length === 0) return;
    this.#q(
      `INSERT INTO group_members (group_key, user_key)
       SELECT ?, value FROM json_each(?) WHERE true
       ON CONFLICT DO NOTHING`,
    ).run(groupKey, JSON.stringify(userKeys));
  }
}

/** A row as the store answers it. */
function toGroup(row: GroupRow): StoredGroup {
  return {
    key: row.key,
    name: row.name,
    description: row.description,
    creatorKey: row.creator_key,
    creator: row.creator,
    createdAt: row.created_at,
    members: JSON.parse(row.members),
  };
}
