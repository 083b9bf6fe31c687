/**
 * What both stores share of the missed-message mails' queue (MissedMailStore):
 * the table of mails claimed under a lease, and how rows read become values.
 */
import type { LeasedTable } from "./leases.ts";
import type { DueMissedMail, MissedMailSetting, MissedMessage } from "./mod.ts";

/** The mails waiting, one an account, claimed by one node's sweep. */
export const MISSED_MAILS: LeasedTable = {
  name: "missed_mails",
  columns: ["user_key", "due_at"],
  keys: ["user_key"],
  due: "due_at",
  lease: "lease",
  order: "due_at",
};

/** A claimed mail's row, as both stores read it. */
export interface DueMissedSqlRow {
  user_key: string;
  due_at: number | string;
}

/** A claimed mail's row as a DueMissedMail. */
export function dueMissedMail(row: DueMissedSqlRow): DueMissedMail {
  return { userKey: row.user_key, dueAt: Number(row.due_at) };
}

/** A queued message's row, as both stores read it. */
export interface MissedSqlRow {
  message_id: string;
  stream: string;
  at: number | string;
}

/** A queued message's row as a MissedMessage. */
export function missedMessage(row: MissedSqlRow): MissedMessage {
  return { id: row.message_id, stream: row.stream, at: Number(row.at) };
}

/** An account's setting columns as a MissedMailSetting. */
export function missedSetting(
  row: { missed_mail: number | boolean; mail_language: string | null },
): MissedMailSetting {
  return {
    enabled: row.missed_mail === true || row.missed_mail === 1,
    language: row.mail_language === "fr"
      ? "fr"
      : row.mail_language === "en"
      ? "en"
      : null,
  };
}
