import type { StatementSync } from "node:sqlite";
import type {
  NewAuditEntry,
  OutboundStore,
  Store,
  StoredPrivateWebhook,
  StoredPushSubscription,
  StoredWebhook,
  WebhookOutcome,
} from "./mod.ts";
import {
  type PrivateWebhookRow,
  type PushSubscriptionRow,
  toPushSubscription,
  toStoredPrivateWebhook,
  toStoredWebhook,
  type WebhookRow,
} from "./outbound_rows.ts";
import { runAudited } from "./sqlite_audit.ts";
import type { SqliteContext } from "./sqlite_context.ts";

/**
 * The SQLite store's outbound deliveries (OutboundStore): outgoing webhooks
 * and their outcomes, and Web Push subscriptions, over the store's
 * connection.
 */
export class SqliteOutbound implements OutboundStore {
  #q: (sql: string) => StatementSync;
  #run: <T>(step: () => T) => Promise<T>;
  #context: SqliteContext;

  constructor(context: SqliteContext) {
    this.#q = (sql) => context.q(sql);
    this.#run = (step) => context.run(step);
    this.#context = context;
  }

  createWebhook(
    hook: Parameters<Store["createWebhook"]>[0],
    audit?: NewAuditEntry,
  ): Promise<boolean> {
    return runAudited(this.#context, () =>
      Number(
        this.#q(
          `INSERT INTO webhooks (id, room_key, url, secret, created_by,
             created_at)
           SELECT ?, key, ?, ?, ?, ? FROM rooms WHERE key = ?`,
        ).run(
          hook.id,
          hook.url,
          hook.secret,
          hook.createdBy,
          hook.createdAt,
          hook.roomKey,
        ).changes,
      ) > 0, audit);
  }

  listWebhooks(roomKey?: string): Promise<StoredWebhook[]> {
    return this.#run(() => {
      const rows = roomKey === undefined
        ? this.#q("SELECT * FROM webhooks ORDER BY created_at, id").all()
        : this.#q(
          "SELECT * FROM webhooks WHERE room_key = ? ORDER BY created_at, id",
        ).all(roomKey);
      return (rows as unknown as WebhookRow[]).map(toStoredWebhook);
    });
  }

  findWebhook(id: string): Promise<StoredWebhook | undefined> {
    return this.#run(() => {
      const row = this.#q("SELECT * FROM webhooks WHERE id = ?").get(id) as
        | WebhookRow
        | undefined;
      return row ? toStoredWebhook(row) : undefined;
    });
  }

  deleteWebhook(id: string, audit?: NewAuditEntry): Promise<boolean> {
    return runAudited(
      this.#context,
      () =>
        Number(this.#q("DELETE FROM webhooks WHERE id = ?").run(id).changes) >
          0,
      audit,
    );
  }

  recordWebhookOutcome(id: string, outcome: WebhookOutcome): Promise<void> {
    return this.#run(() => {
      // The id is in one of the two tables: a key probe in the other.
      for (const table of ["webhooks", "private_webhooks"]) {
        if (outcome.ok) {
          this.#q(
            `UPDATE ${table} SET failures = 0, last_success_at = ?
             WHERE id = ?`,
          ).run(outcome.at, id);
          continue;
        }
        this.#q(
          `UPDATE ${table} SET failures = failures + 1, last_error = ?,
             last_status = ?, last_failure_at = ?
           WHERE id = ?`,
        ).run(outcome.error ?? null, outcome.status ?? null, outcome.at, id);
      }
    });
  }

  createPrivateWebhook(
    hook: Parameters<Store["createPrivateWebhook"]>[0],
    audit?: NewAuditEntry,
  ): Promise<boolean> {
    return runAudited(this.#context, () =>
      Number(
        this.#q(
          `INSERT INTO private_webhooks (id, user_key, url, secret,
             created_by, created_at)
           SELECT ?, key, ?, ?, ?, ? FROM accounts WHERE key = ?`,
        ).run(
          hook.id,
          hook.url,
          hook.secret,
          hook.createdBy,
          hook.createdAt,
          hook.userKey,
        ).changes,
      ) > 0, audit);
  }

  listPrivateWebhooks(userKey?: string): Promise<StoredPrivateWebhook[]> {
    return this.#run(() => {
      const rows = userKey === undefined
        ? this.#q("SELECT * FROM private_webhooks ORDER BY created_at, id")
          .all()
        : this.#q(
          `SELECT * FROM private_webhooks WHERE user_key = ?
           ORDER BY created_at, id`,
        ).all(userKey);
      return (rows as unknown as PrivateWebhookRow[]).map(
        toStoredPrivateWebhook,
      );
    });
  }

  findPrivateWebhook(id: string): Promise<StoredPrivateWebhook | undefined> {
    return this.#run(() => {
      const row = this.#q("SELECT * FROM private_webhooks WHERE id = ?").get(
        id,
      ) as PrivateWebhookRow | undefined;
      return row ? toStoredPrivateWebhook(row) : undefined;
    });
  }

  deletePrivateWebhook(id: string, audit?: NewAuditEntry): Promise<boolean> {
    return runAudited(
      this.#context,
      () =>
        Number(
          this.#q("DELETE FROM private_webhooks WHERE id = ?").run(id).changes,
        ) > 0,
      audit,
    );
  }

  savePushSubscription(subscription: StoredPushSubscription): Promise<boolean> {
    return this.#run(() => {
      const saved = this.#q(
        `INSERT INTO push_subscriptions (endpoint, user_key, p256dh, auth,
           created_at, session, api_token)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7
         WHERE (?6 IS NULL
             OR EXISTS (SELECT 1 FROM sessions WHERE token_hash = ?6))
           AND (?7 IS NULL
             OR EXISTS (SELECT 1 FROM api_tokens WHERE token_hash = ?7))
         ON CONFLICT (endpoint) DO UPDATE SET user_key = excluded.user_key,
           p256dh = excluded.p256dh, auth = excluded.auth,
           created_at = excluded.created_at, session = excluded.session,
           api_token = excluded.api_token`,
      ).run(
        subscription.endpoint,
        subscription.userKey,
        subscription.p256dh,
        subscription.auth,
        subscription.createdAt,
        subscription.session ?? null,
        subscription.apiToken ?? null,
      );
      return Number(saved.changes) > 0;
    });
  }

  pushSubscriptions(userKey: string): Promise<StoredPushSubscription[]> {
    return this.#run(() =>
      (this.#q(
        `SELECT * FROM push_subscriptions WHERE user_key = ?
         ORDER BY created_at, endpoint`,
      ).all(userKey) as unknown as PushSubscriptionRow[]).map(
        toPushSubscription,
      )
    );
  }

  mentionSubscriptions(
    userKeys: string[],
    mention: { roomKey: string; authorKey: string },
  ): Promise<StoredPushSubscription[]> {
    // A probe of the subscriptions' user index per key (most members have
    // none, and cost nothing more); each subscribed one then a primary-key
    // probe of memberships, bans, ignores, levels and accounts, the five
    // that reaches (notify_rule.ts) makes one by one. A ban is findBan's
    // for a key alone: the name's own, server-wide, in force. The page
    // was read as members, but one who left or was banned from the room
    // since must not be pushed the room's text.
    return this.#run(() => {
      const now = Date.now();
      return (this.#q(
        `SELECT s.* FROM push_subscriptions s
         WHERE s.user_key IN (SELECT value FROM json_each(?))
         AND EXISTS (SELECT 1 FROM memberships m
           WHERE m.user_key = s.user_key AND m.room_key = ?)
         AND NOT EXISTS (SELECT 1 FROM bans b
           WHERE b.user_key = s.user_key AND b.address = '' AND b.room_key = ''
           AND (b.expires_at IS NULL OR b.expires_at > ?))
         AND NOT EXISTS (SELECT 1 FROM ignores i
           WHERE i.user_key = s.user_key AND i.ignored_key = ?)
         AND NOT EXISTS (SELECT 1 FROM notification_levels n
           WHERE n.user_key = s.user_key AND n.stream = ? AND n.level = 'none')
         AND NOT EXISTS (SELECT 1 FROM accounts a
           WHERE a.key = s.user_key AND a.do_not_disturb_until > ?)
         ORDER BY s.user_key, s.created_at, s.endpoint`,
      ).all(
        JSON.stringify(userKeys),
        mention.roomKey,
        now,
        mention.authorKey,
        mention.roomKey,
        now,
      ) as unknown as PushSubscriptionRow[]).map(toPushSubscription);
    });
  }

  plainHttpPushEndpoints(): Promise<string[]> {
    return this.#run(() =>
      (this.#q(
        `SELECT endpoint FROM push_subscriptions
         WHERE lower(substr(endpoint, 1, 5)) = 'http:' ORDER BY endpoint`,
      ).all() as { endpoint: string }[]).map((row) => row.endpoint)
    );
  }

  deletePushSubscription(endpoint: string, userKey?: string): Promise<boolean> {
    return this.#run(() =>
      Number(
        (userKey === undefined
          ? this.#q("DELETE FROM push_subscriptions WHERE endpoint = ?").run(
            endpoint,
          )
          : this.#q(
            "DELETE FROM push_subscriptions WHERE endpoint = ? AND user_key = ?",
          ).run(endpoint, userKey)).changes,
      ) > 0
    );
  }
}
