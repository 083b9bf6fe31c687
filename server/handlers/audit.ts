/**
 * The audit log: every moderation and admin action writes who did what to
 * whom, when, why and from which address; admins read it with `audit_log`.
 */
import { isFailure, type Outcome, succeed } from "../protocol/errors.ts";
import { auditLogData } from "../protocol/schemas.ts";
import type { AuditEntry, NewAuditEntry } from "../store/mod.ts";
import type { AuditEntrySummary } from "../protocol/admin_types.ts";
import { type MemberContext, parseData } from "./context.ts";
import { requireRole } from "./roles.ts";

/** What an entry says beyond who acted, when and from where. */
export type AuditFacts = Omit<AuditEntry, "id" | "at" | "by" | "address">;

/** How many entries a page holds unless the request says. */
export const AUDIT_PAGE = 50;

/**
 * The entry of an action the member is about to make, for the store
 * method that makes it: the store writes both in one transaction, so no
 * crash between two commits leaves the action done with no entry
 * (NewAuditEntry).
 */
export function auditOf(ctx: MemberContext, facts: AuditFacts): NewAuditEntry {
  const { member, remoteAddress } = ctx.client;
  return auditEntry(member.username, remoteAddress, facts);
}

/**
 * Writes an action that changes nothing stored (a kick) to the audit log,
 * before it is acknowledged: an action someone saw succeed is in the log.
 * Actions that write to the store give their entry to that write instead
 * (auditOf).
 */
export async function audit(
  ctx: MemberContext,
  facts: AuditFacts,
): Promise<void> {
  await ctx.node.store.addAuditEntry(auditOf(ctx, facts));
}

/** Who acted when the server did by itself (an expired room). */
export const SERVER_ACTOR = "the server";

/** The reason a ban stores (and its sentence says) when none was given. */
export const NO_REASON = "no reason given";

/** Who acted through a command on the server's machine (`chat-server reset-password`). */
export const OPERATOR_ACTOR = "the operator";

/** An entry as the store takes it: optional facts only when given. */
export function auditEntry(
  by: string,
  address: string,
  facts: AuditFacts,
): NewAuditEntry {
  const entry: NewAuditEntry = {
    at: Date.now(),
    by,
    action: facts.action,
    address,
  };
  if (facts.target !== undefined) entry.target = facts.target;
  if (facts.room !== undefined) entry.room = facts.room;
  if (facts.reason) entry.reason = facts.reason;
  if (facts.details) entry.details = facts.details;
  return entry;
}

/** An entry for the wire. */
export function auditEntryData(entry: AuditEntry): AuditEntrySummary {
  return { ...entry, at: new Date(entry.at).toISOString() };
}

/** `audit_log`: a page of the audit log, newest first; admins only. */
export async function auditLog(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const denied = requireRole(ctx, "admin");
  if (denied) return denied;
  const data = parseData(auditLogData, raw);
  if (isFailure(data)) return data;
  const limit = data.limit ?? AUDIT_PAGE;
  const entries = await ctx.node.store.auditLog({
    before: data.before,
    limit,
  });
  const reply: { entries: AuditEntrySummary[]; next_before?: number } = {
    entries: entries.map(auditEntryData),
  };
  // A full page may have more behind it.
  if (entries.length === limit) reply.next_before = entries.at(-1)!.id;
  return succeed(reply);
}
