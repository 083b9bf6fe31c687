/** The only writers of the admin page's state, each inside batch(). */

import type { CustomEmoji } from "../../server/protocol/types.ts";
import { batch } from "@preact/signals";
import { nameKey } from "../../server/protocol/names.ts";
import type { Role } from "../../server/protocol/types.ts";
import type { AccountRow, AuditRow, BanRow, Figures, RoomRow } from "./api.ts";
import type { BotHookRow, BotRow, BotTokenRow } from "./bots_api.ts";
import type {
  AdminNotice,
  AdminState,
  AdminTab,
  BotError,
  ShownSecret,
} from "./state.ts";

/** The session was looked up: an account, or none. */
export function sessionFound(
  state: AdminState,
  session: { username: string; role: Role } | null,
): void {
  state.session.value = session;
}

/** The user opened a section. */
export function tabChosen(state: AdminState, tab: AdminTab): void {
  batch(() => {
    state.tab.value = tab;
    state.notice.value = null;
    // A secret shown once is not shown again on coming back.
    state.botSecret.value = null;
    state.botError.value = null;
  });
}

/** The account search changed. */
export function accountQueryChanged(state: AdminState, query: string): void {
  state.accountQuery.value = query;
}

/** A page of accounts arrived. */
export function accountsLoaded(
  state: AdminState,
  accounts: AccountRow[],
): void {
  state.accounts.value = accounts;
}

/** The bans in force arrived. */
export function bansLoaded(state: AdminState, bans: BanRow[]): void {
  state.bans.value = bans;
}

/** The custom emoji arrived. */
export function emojiLoaded(state: AdminState, emoji: CustomEmoji[]): void {
  state.emoji.value = emoji;
}

/** The rooms arrived, with the moderators and admins who may own them. */
export function roomsLoaded(
  state: AdminState,
  rooms: RoomRow[],
  staff: AccountRow[],
): void {
  batch(() => {
    state.rooms.value = rooms;
    state.staff.value = Object.fromEntries(
      staff.map((a) => [nameKey(a.username), a.role]),
    );
  });
}

/** A page of the audit log arrived: the first page replaces, later ones add. */
export function auditLoaded(
  state: AdminState,
  entries: AuditRow[],
  next: number | undefined,
  more: boolean,
): void {
  batch(() => {
    state.audit.value = more ? [...state.audit.value, ...entries] : entries;
    state.auditNext.value = next;
  });
}

/** A new reading of the figures; the two latest are kept for rates. */
export function figuresRead(state: AdminState, figures: Figures): void {
  state.figures.value = [...state.figures.value.slice(-1), figures];
}

/** Says how the last action went. */
export function noticeShown(state: AdminState, notice: AdminNotice): void {
  state.notice.value = notice;
}

/** A password reset link was made. */
export function resetLinkMade(
  state: AdminState,
  link: { user: string; url: string },
): void {
  batch(() => {
    state.resetLink.value = link;
    state.notice.value = null;
  });
}

/** The bots arrived; a chosen bot no longer among them is let go. */
export function botsLoaded(state: AdminState, bots: BotRow[]): void {
  batch(() => {
    state.bots.value = bots;
    const chosen = state.bot.value;
    if (chosen !== null && !bots.some((bot) => bot.username === chosen)) {
      state.bot.value = null;
      state.botTokens.value = [];
      state.botHooks.value = [];
      state.botSecret.value = null;
      state.botError.value = null;
    }
  });
}

/** The admin chose a bot (or none): its lists come next, no secret shows. */
export function botChosen(state: AdminState, bot: string | null): void {
  batch(() => {
    if (state.bot.value !== bot) {
      state.botTokens.value = [];
      state.botHooks.value = [];
    }
    state.bot.value = bot;
    state.botSecret.value = null;
    state.botError.value = null;
  });
}

/** A bot's tokens and hooks arrived; dropped if another bot was chosen since. */
export function botDetailsLoaded(
  state: AdminState,
  bot: string,
  tokens: BotTokenRow[],
  hooks: BotHookRow[],
): void {
  if (state.bot.value !== bot) return;
  batch(() => {
    state.botTokens.value = tokens;
    state.botHooks.value = hooks;
  });
}

/** The server showed a secret this once (null: the admin is done with it). */
export function botSecretShown(
  state: AdminState,
  secret: ShownSecret | null,
): void {
  batch(() => {
    state.botSecret.value = secret;
    if (secret) state.notice.value = null;
  });
}

/**
 * A bot screen action began (null) or was refused: the refusal replaces
 * any older one and the page's notice, which would say the same thing
 * twice, once out of sight.
 */
export function botErrorShown(state: AdminState, error: BotError | null): void {
  batch(() => {
    state.botError.value = error;
    if (error) state.notice.value = null;
  });
}
