/**
 * The shapes of the administration replies (`list_accounts`, `list_all_rooms`, `list_bans`,
 * `audit_log`), shared by the server and the admin page.
 */
import type { Role } from "./types.ts";

/** An account as `list_accounts` shows it. */
export interface AccountSummary {
  username: string;
  role: Role;
  /** ISO time. */
  created_at: string;
  /** Present while a server-wide ban of the name is in force. */
  banned?: true;
}

/** A room as `list_all_rooms` shows it to the admin page. */
export interface RoomDetails {
  name: string;
  /** People in it now, on every node. */
  users: number;
  private: boolean;
  /** The owner's name key; absent when it has none. */
  owner?: string;
  /** Its own retention in days (0: forever); absent, `--retention-days`. */
  retention_days?: number;
  /** Its topic (`set_topic`); absent: none, or a private room the caller is outside. */
  topic?: string;
  /** True for an archived room (`archive_room`); absent otherwise. */
  archived?: true;
  /** "moderators" for an announcement room (`set_room_posting`); absent: everyone. */
  posting?: "moderators";
}

/** A ban as `list_bans` shows it. */
export interface BanSummary {
  /** The banned name, as names are compared. */
  user: string;
  /** Absent for a server-wide ban. */
  room?: string;
  /** A banned address, shown to admins only. */
  address?: string;
  reason: string;
  by: string;
  /** ISO time. */
  created_at: string;
  /** ISO time; absent for a ban that lasts until lifted. */
  expires_at?: string;
}

/** An audit entry as `audit_log` shows it. */
export interface AuditEntrySummary {
  id: number;
  /** ISO time. */
  at: string;
  by: string;
  action: string;
  target?: string;
  room?: string;
  reason?: string;
  address: string;
  details?: Record<string, string | number | boolean>;
}
