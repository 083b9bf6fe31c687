import type {
  NewAuditEntry,
  OutboundStore,
  Store,
  StoredPrivateWebhook,
  StoredPushSubscription,
  StoredWebhook,
  WebhookOutcome,
} from "./mod.ts";
import { auditStep } from "./postgres_audit.ts";
import {
  type PrivateWebhookRow,
  type PushSubscriptionRow,
  toPushSubscription,
  toStoredPrivateWebhook,
  toStoredWebhook,
  type WebhookRow,
} from "./outbound_rows.ts";
import type { PostgresContext } from "./postgres_context.ts";

/**
 * PostgresStore's outbound deliveries: webhooks and Web Push subscriptions
 * (postgres.ts lends these methods to the store).
 */
export class PostgresOutbound implements OutboundStore {
  #context: PostgresContext;

  constructor(context: PostgresContext) {
    this.#context = context;
  }

  createWebhook(
    hook: Parameters<Store["createWebhook"]>[0],
    audit?: NewAuditEntry,
  ): Promise<boolean> {
    return this.#context.run(async (sql) => {
      const rows = await sql`
        WITH made AS (
          INSERT INTO webhooks
            (id, room_key, url, secret, created_by, created_at)
          SELECT ${hook.id}, key, ${hook.url}, ${hook.secret},
            ${hook.createdBy}, ${hook.createdAt}
          FROM rooms WHERE key = ${hook.roomKey}
          RETURNING 1
        ) ${auditStep(sql, audit, sql`EXISTS (SELECT 1 FROM made)`)}
        SELECT 1 FROM made`;
      return rows.length > 0;
    });
  }

  listWebhooks(roomKey?: string): Promise<StoredWebhook[]> {
    return this.#context.run(async (sql) => {
      const rows = roomKey === undefined
        ? await sql<WebhookRow[]>`
          SELECT * FROM webhooks ORDER BY created_at, id`
        : await sql<WebhookRow[]>`
          SELECT * FROM webhooks WHERE room_key = ${roomKey}
          ORDER BY created_at, id`;
      return rows.map(toStoredWebhook);
    });
  }

  findWebhook(id: string): Promise<StoredWebhook | undefined> {
    return this.#context.run(async (sql) => {
      const [row] = await sql<WebhookRow[]>`
        SELECT * FROM webhooks WHERE id = ${id}`;
      return row ? toStoredWebhook(row) : undefined;
    });
  }

  deleteWebhook(id: string, audit?: NewAuditEntry): Promise<boolean> {
    return this.#context.run(async (sql) =>
      (await sql`
        WITH gone AS (DELETE FROM webhooks WHERE id = ${id} RETURNING 1)
        ${auditStep(sql, audit, sql`EXISTS (SELECT 1 FROM gone)`)}
        SELECT 1 FROM gone`).length > 0
    );
  }

  recordWebhookOutcome(id: string, outcome: WebhookOutcome): Promise<void> {
    return this.#context.run(async (sql) => {
      // The id is in one of the two tables: a key probe in the other.
      for (const table of ["webhooks", "private_webhooks"]) {
        if (outcome.ok) {
          await sql`
            UPDATE ${sql(table)} SET failures = 0,
              last_success_at = ${outcome.at}
            WHERE id = ${id}`;
          continue;
        }
        await sql`
          UPDATE ${sql(table)} SET failures = failures + 1,
            last_error = ${outcome.error ?? null},
            last_status = ${outcome.status ?? null},
            last_failure_at = ${outcome.at}
          WHERE id = ${id}`;
      }
    });
  }

  createPrivateWebhook(
    hook: Parameters<Store["createPrivateWebhook"]>[0],
    audit?: NewAuditEntry,
  ): Promise<boolean> {
    return this.#context.run(async (sql) => {
      const rows = await sql`
        WITH made AS (
          INSERT INTO private_webhooks
            (id, user_key, url, secret, created_by, created_at)
          SELECT ${hook.id}, key, ${hook.url}, ${hook.secret},
            ${hook.createdBy}, ${hook.createdAt}
          FROM accounts WHERE key = ${hook.userKey}
          RETURNING 1
        ) ${auditStep(sql, audit, sql`EXISTS (SELECT 1 FROM made)`)}
        SELECT 1 FROM made`;
      return rows.length > 0;
    });
  }

  listPrivateWebhooks(userKey?: string): Promise<StoredPrivateWebhook[]> {
    return this.#context.run(async (sql) => {
      const rows = userKey === undefined
        ? await sql<PrivateWebhookRow[]>`
          SELECT * FROM private_webhooks ORDER BY created_at, id`
        : await sql<PrivateWebhookRow[]>`
          SELECT * FROM private_webhooks WHERE user_key = ${userKey}
          ORDER BY created_at, id`;
      return rows.map(toStoredPrivateWebhook);
    });
  }

  findPrivateWebhook(id: string): Promise<StoredPrivateWebhook | undefined> {
    return this.#context.run(async (sql) => {
      const [row] = await sql<PrivateWebhookRow[]>`
        SELECT * FROM private_webhooks WHERE id = ${id}`;
      return row ? toStoredPrivateWebhook(row) : undefined;
    });
  }

  deletePrivateWebhook(id: string, audit?: NewAuditEntry): Promise<boolean> {
    return this.#context.run(async (sql) =>
      (await sql`
        WITH gone AS (DELETE FROM private_webhooks WHERE id = ${id}
          RETURNING 1)
        ${auditStep(sql, audit, sql`EXISTS (SELECT 1 FROM gone)`)}
        SELECT 1 FROM gone`).length > 0
    );
  }

  savePushSubscription(subscription: StoredPushSubscription): Promise<boolean> {
    const session = subscription.session ?? null;
    const apiToken = subscription.apiToken ?? null;
    return this.#context.run(async (sql) => {
      try {
        const saved = await sql`
          INSERT INTO push_subscriptions (endpoint, user_key, p256dh, auth,
            created_at, session, api_token)
          SELECT ${subscription.endpoint}, ${subscription.userKey},
            ${subscription.p256dh}, ${subscription.auth},
            ${subscription.createdAt}, ${session}::text, ${apiToken}::text
          WHERE (${session}::text IS NULL OR EXISTS (
              SELECT 1 FROM sessions WHERE token_hash = ${session}::text))
            AND (${apiToken}::text IS NULL OR EXISTS (
              SELECT 1 FROM api_tokens WHERE token_hash = ${apiToken}::text))
          ON CONFLICT (endpoint) DO UPDATE SET user_key = excluded.user_key,
            p256dh = excluded.p256dh, auth = excluded.auth,
            created_at = excluded.created_at, session = excluded.session,
            api_token = excluded.api_token`;
        return saved.count > 0;
      } catch (error) {
        // The credential's delete committed between the check and the
        // insert: the same answer as when it was gone before.
        if ((error as { code?: string }).code === "23503") return false;
        throw error;
      }
    });
  }

  pushSubscriptions(userKey: string): Promise<StoredPushSubscription[]> {
    return this.#context.run(async (sql) =>
      (await sql<PushSubscriptionRow[]>`
        SELECT * FROM push_subscriptions WHERE user_key = ${userKey}
        ORDER BY created_at, endpoint`).map(toPushSubscription)
    );
  }

  mentionSubscriptions(
    userKeys: string[],
    mention: { roomKey: string; authorKey: string },
  ): Promise<StoredPushSubscription[]> {
    // As SQLite's: the subscriptions' user index for the keys, then a
    // primary-key probe of memberships, bans, ignores, levels and accounts
    // for each subscribed one (reaches' rule, notify_rule.ts). A ban is
    // findBan's for a key alone.
    const now = Date.now();
    return this.#context.run(async (sql) =>
      (await sql<PushSubscriptionRow[]>`
        SELECT s.* FROM push_subscriptions s
        WHERE s.user_key = ANY(ARRAY(
          SELECT jsonb_array_elements_text(${sql.json(userKeys)})))
        AND EXISTS (SELECT 1 FROM memberships m
          WHERE m.user_key = s.user_key AND m.room_key = ${mention.roomKey})
        AND NOT EXISTS (SELECT 1 FROM bans b
          WHERE b.user_key = s.user_key AND b.address = '' AND b.room_key = ''
          AND (b.expires_at IS NULL OR b.expires_at > ${now}))
        AND NOT EXISTS (SELECT 1 FROM ignores i
          WHERE i.user_key = s.user_key AND i.ignored_key = ${mention.authorKey})
        AND NOT EXISTS (SELECT 1 FROM notification_levels n
          WHERE n.user_key = s.user_key AND n.stream = ${mention.roomKey}
          AND n.level = 'none')
        AND NOT EXISTS (SELECT 1 FROM accounts a
          WHERE a.key = s.user_key AND a.do_not_disturb_until > ${now})
        ORDER BY s.user_key COLLATE "C", s.created_at, s.endpoint`)
        .map(toPushSubscription)
    );
  }

  plainHttpPushEndpoints(): Promise<string[]> {
    return this.#context.run(async (sql) =>
      (await sql<{ endpoint: string }[]>`
        SELECT endpoint FROM push_subscriptions
        WHERE lower(substr(endpoint, 1, 5)) = 'http:'
        ORDER BY endpoint COLLATE "C"`).map((row) => row.endpoint)
    );
  }

  deletePushSubscription(endpoint: string, userKey?: string): Promise<boolean> {
    return this.#context.run(async (sql) => {
      const rows = userKey === undefined
        ? await sql`
          DELETE FROM push_subscriptions WHERE endpoint = ${endpoint}`
        : await sql`
          DELETE FROM push_subscriptions
          WHERE endpoint = ${endpoint} AND user_key = ${userKey}`;
      return rows.count > 0;
    });
  }
}
