/**
 * Rows of the `webhooks`, `private_webhooks` and `push_subscriptions` tables as both drivers
 * give them, and the values the Store returns.
 */
import type {
  StoredPrivateWebhook,
  StoredPushSubscription,
  StoredWebhook,
} from "./mod.ts";

/** The `webhooks` table's columns. */
export interface WebhookRow {
  id: string;
  room_key: string;
  url: string;
  secret: string;
  created_by: string;
  created_at: number;
  failures: number;
  last_error: string | null;
  last_status: number | null;
  last_failure_at: number | null;
  last_success_at: number | null;
}

/** A webhook from its row. */
export function toStoredWebhook(row: WebhookRow): StoredWebhook {
  const hook: StoredWebhook = {
    id: row.id,
    roomKey: row.room_key,
    url: row.url,
    secret: row.secret,
    createdBy: row.created_by,
    createdAt: row.created_at,
    failures: row.failures,
  };
  if (row.last_error !== null) hook.lastError = row.last_error;
  if (row.last_status !== null) hook.lastStatus = row.last_status;
  if (row.last_failure_at !== null) hook.lastFailureAt = row.last_failure_at;
  if (row.last_success_at !== null) hook.lastSuccessAt = row.last_success_at;
  return hook;
}

/** The `private_webhooks` table's columns. */
export interface PrivateWebhookRow extends Omit<WebhookRow, "room_key"> {
  user_key: string;
}

/** A private-message hook from its row. */
export function toStoredPrivateWebhook(
  row: PrivateWebhookRow,
): StoredPrivateWebhook {
  const { roomKey: _, ...hook } = toStoredWebhook({ ...row, room_key: "" });
  return { ...hook, userKey: row.user_key };
}

/** The `push_subscriptions` table's columns. */
export interface PushSubscriptionRow {
  endpoint: string;
  user_key: string;
  p256dh: string;
  auth: string;
  created_at: number;
  session: string | null;
  api_token: string | null;
}

/** A push subscription from its row. */
export function toPushSubscription(
  row: PushSubscriptionRow,
): StoredPushSubscription {
  const subscription: StoredPushSubscription = {
    endpoint: row.endpoint,
    userKey: row.user_key,
    p256dh: row.p256dh,
    auth: row.auth,
    createdAt: row.created_at,
  };
  if (row.session !== null) subscription.session = row.session;
  if (row.api_token !== null) subscription.apiToken = row.api_token;
  return subscription;
}
