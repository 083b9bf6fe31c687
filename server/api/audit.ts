/**
 * The audit log from HTTP: what an admin or a room's owner did through the
 * REST API (bots, their tokens, webhooks) is written as the WebSocket's
 * admin actions are, with the request's address.
 */
import type { Context } from "hono";
import { auditEntry, type AuditFacts } from "../handlers/audit.ts";
import { remoteAddressOf } from "../http/client_info.ts";
import type { ChatNode } from "../node.ts";

/**
 * Writes an action done over HTTP to the audit log, once it is done and
 * before it is answered: an action someone saw succeed is in the log.
 */
export async function auditRequest(
  c: Context,
  node: ChatNode,
  by: string,
  facts: AuditFacts,
): Promise<void> {
  await node.store.addAuditEntry(auditEntry(by, remoteAddressOf(c), facts));
}
