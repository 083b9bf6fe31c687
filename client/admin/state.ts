/** The admin page's state: signals and computed values only. */

import type { CustomEmoji } from "../../server/protocol/types.ts";
import {
  computed,
  type ReadonlySignal,
  type Signal,
  signal,
} from "@preact/signals";
import type { Role } from "../../server/protocol/types.ts";
import type { AccountRow, AuditRow, BanRow, Figures, RoomRow } from "./api.ts";
import type { BotHookRow, BotRow, BotTokenRow } from "./bots_api.ts";

/** The page's sections. */
export type AdminTab =
  | "accounts"
  | "rooms"
  | "bans"
  | "emoji"
  | "bots"
  | "audit";

/**
 * A secret the server shows once: a bot token's, or the signing secret of
 * a bot's hook. Kept until the admin dismisses it, chooses another bot or
 * section: the server never gives it again.
 */
export interface ShownSecret {
  kind: "token" | "hook";
  bot: string;
  /** The token's or hook's id: the secret is drawn beside that item. */
  id: string;
  value: string;
}

/**
 * Where on the bot screen an action was refused, so its error is drawn
 * beside what failed (the page's notice is off screen on a phone): a form
 * ("bot", "token", "hook") or one listed item ("token:<id>", "hook:<id>").
 */
export type BotErrorPlace =
  | "bot"
  | "token"
  | "hook"
  | `token:${string}`
  | `hook:${string}`;

/** A bot screen action's refusal, in the server's words. */
export interface BotError {
  at: BotErrorPlace;
  text: string;
}

/** The outcome of the last thing the user did, shown above the sections. */
export interface AdminNotice {
  kind: "ok" | "error";
  text: string;
}

/** Everything the admin page shows. */
export interface AdminState {
  /** The session's account; null without one; undefined while looking. */
  session: Signal<{ username: string; role: Role } | null | undefined>;
  tab: Signal<AdminTab>;
  accountQuery: Signal<string>;
  accounts: Signal<AccountRow[]>;
  bans: Signal<BanRow[]>;
  /** The server's custom emoji (`GET /api/emoji`), by name. */
  emoji: Signal<CustomEmoji[]>;
  rooms: Signal<RoomRow[]>;
  /** Moderators' and admins' roles by name key (rooms' owners are keys). */
  staff: Signal<Record<string, Role>>;
  audit: Signal<AuditRow[]>;
  /** `before` of the next audit page; undefined at the end. */
  auditNext: Signal<number | undefined>;
  /** The two latest readings of the figures, newest last. */
  figures: Signal<Figures[]>;
  notice: Signal<AdminNotice | null>;
  /** The latest password reset link made, as a full URL. */
  resetLink: Signal<{ user: string; url: string } | null>;
  bots: Signal<BotRow[]>;
  /** The bot whose tokens and hooks are shown; null for none. */
  bot: Signal<string | null>;
  botTokens: Signal<BotTokenRow[]>;
  botHooks: Signal<BotHookRow[]>;
  botSecret: Signal<ShownSecret | null>;
  botError: Signal<BotError | null>;
  /** Admins see everything; moderators what they may do. */
  isAdmin: ReadonlySignal<boolean>;
  /** Messages stored per minute between the two latest readings. */
  messagesPerMinute: ReadonlySignal<number | null>;
}

/** Fresh admin page state. */
export function createAdminState(): AdminState {
  const session = signal<{ username: string; role: Role } | null | undefined>(
    undefined,
  );
  const figures = signal<Figures[]>([]);
  return {
    session,
    tab: signal<AdminTab>("accounts"),
    accountQuery: signal(""),
    accounts: signal<AccountRow[]>([]),
    bans: signal<BanRow[]>([]),
    emoji: signal<CustomEmoji[]>([]),
    rooms: signal<RoomRow[]>([]),
    staff: signal<Record<string, Role>>({}),
    audit: signal<AuditRow[]>([]),
    auditNext: signal<number | undefined>(undefined),
    figures,
    notice: signal<AdminNotice | null>(null),
    resetLink: signal<{ user: string; url: string } | null>(null),
    bots: signal<BotRow[]>([]),
    bot: signal<string | null>(null),
    botTokens: signal<BotTokenRow[]>([]),
    botHooks: signal<BotHookRow[]>([]),
    botSecret: signal<ShownSecret | null>(null),
    botError: signal<BotError | null>(null),
    isAdmin: computed(() => session.value?.role === "admin"),
    messagesPerMinute: computed(() => {
      const [a, b] = figures.value;
      if (!a || !b || b.at <= a.at) return null;
      return Math.max(
        0,
        Math.round(
          (b.messagesStored - a.messagesStored) * 60_000 / (b.at - a.at),
        ),
      );
    }),
  };
}
