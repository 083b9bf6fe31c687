/**
 * The audit log from HTTP: what an admin or a room's owner did through the
 * REST API (bots, their tokens, webhooks) is written as the WebSocket's
 * admin actions are, with the request's address.
 */
import type { Context } from "hono";
import { auditEntry, type AuditFacts } from "../handlers/audit.ts";
import { remoteAddressOf } from "../http/client_info.ts";
import type { NewAuditEntry } from "../store/mod.ts";

/**
 * The entry of an action a request is about to make, for the store method
 * that makes it: the store writes both in one commit, only when the action
 * is done, so an action someone saw succeed is in the log and no crash
 * leaves one done without its entry.
 */
export function auditOfRequest(
  c: Context,
  by: string,
  facts: AuditFacts,
): NewAuditEntry {
  return auditEntry(by, remoteAddressOf(c), facts);
}
