/**
 * What the admin page does: each method calls the server, then writes the
 * answer through actions.ts. Components call these and never fetch.
 */

import type { CustomEmoji, Role } from "../../server/protocol/types.ts";
import { fetchSession } from "../auth_api.ts";
import { roleName, t } from "../i18n.ts";
import { nameKey } from "../../server/protocol/names.ts";
import { roomNamed } from "../state.ts";
import * as actions from "./actions.ts";
import {
  type AccountRow,
  adminGet,
  adminPost,
  adminRest,
  type AdminResult,
  type AuditRow,
  type BanRow,
  fetchFigures,
  type RoomRow,
} from "./api.ts";
import * as bots from "./bots_api.ts";
import type { AdminState, AdminTab, BotErrorPlace } from "./state.ts";

// Figures are read this often while the page is open: cheap for the server
// (two small GETs), quick enough to watch a rate move.
const FIGURES_EVERY_MS = 5000;

/** The admin page's doings, over `/api/admin/*`, `/metrics` and `/healthz`. */
export class AdminService {
  #state: AdminState;
  #timer?: ReturnType<typeof setInterval>;

  constructor(state: AdminState) {
    this.#state = state;
  }

  /** Finds the session, then loads the first section and the figures. */
  async start(): Promise<void> {
    const session = await fetchSession();
    const account = session.ok ? session.data : null;
    actions.sessionFound(this.#state, account);
    if (!account || account.role === "user") return;
    await Promise.all([this.open("accounts"), this.readFigures()]);
    this.#timer = setInterval(() => void this.readFigures(), FIGURES_EVERY_MS);
  }

  /** Stops reading the figures. */
  stop(): void {
    clearInterval(this.#timer);
  }

  /** Shows a section with fresh data. */
  async open(tab: AdminTab): Promise<void> {
    actions.tabChosen(this.#state, tab);
    if (tab === "accounts") await this.searchAccounts();
    if (tab === "rooms") await this.#loadRooms();
    if (tab === "bans") await this.#loadBans();
    if (tab === "emoji") await this.#loadEmoji();
    if (tab === "bots") await this.#loadBots(true);
    if (tab === "audit") await this.loadAudit(false);
  }

  /** Lists the accounts matching the search. */
  async searchAccounts(): Promise<void> {
    const result = await adminGet<{ accounts: AccountRow[] }>(
      "list_accounts",
      { query: this.#state.accountQuery.value.trim(), limit: 200 },
    );
    if (this.#failed(result)) return;
    actions.accountsLoaded(this.#state, result.data.accounts);
  }

  /** Reads one page of the audit log: the newest, or the next older one. */
  async loadAudit(more: boolean): Promise<void> {
    const before = more ? this.#state.auditNext.value : undefined;
    const result = await adminGet<
      { entries: AuditRow[]; next_before?: number }
    >("audit_log", { before, limit: 50 });
    if (this.#failed(result)) return;
    actions.auditLoaded(
      this.#state,
      result.data.entries,
      result.data.next_before,
      more,
    );
  }

  /** Reads `/metrics` and `/healthz`. */
  async readFigures(): Promise<void> {
    const figures = await fetchFigures();
    if (figures) actions.figuresRead(this.#state, figures);
  }

  /** Gives an account a role. */
  setRole(user: string, role: Role): Promise<void> {
    return this.#act("set_role", { user, role }, () => this.searchAccounts());
  }

  /** Bans a user from the server, for `durationS` seconds or for good. */
  ban(user: string, reason: string, durationS?: number): Promise<void> {
    const data: Record<string, unknown> = { user, reason };
    if (durationS !== undefined) data.duration_s = durationS;
    return this.#act("ban", data, () => this.#refreshPeople());
  }

  /** Lifts a server-wide ban, or one from `room`. */
  unban(user: string, room?: string): Promise<void> {
    return this.#act(
      "unban",
      room === undefined ? { user } : { user, room },
      () => this.#refreshPeople(),
    );
  }

  /** Makes a one-time password reset link to hand to the account's owner. */
  async resetPassword(user: string): Promise<void> {
    const result = await adminPost<{ user: string; link: string }>(
      "reset_password",
      { user },
    );
    if (this.#failed(result)) return;
    actions.resetLinkMade(this.#state, {
      user: result.data.user,
      url: new URL(result.data.link, location.origin).href,
    });
  }

  /** Turns off an account's two-factor authentication (its owner lost the device). */
  resetTotp(user: string): Promise<void> {
    return this.#act("reset_totp", { user }, () => Promise.resolve());
  }

  /** Deletes an account, keeping or anonymising its messages. */
  deleteAccount(user: string, messages: "keep" | "anonymise"): Promise<void> {
    return this.#act(
      "delete_account",
      { user, messages },
      () => this.searchAccounts(),
    );
  }

  /** Deletes a room. */
  deleteRoom(room: string): Promise<void> {
    return this.#act("delete_room", { room }, () => this.#loadRooms());
  }

  /**
   * Renames a room, makes it private or public, gives it an owner ("" for
   * none) or its own retention in days (null: the server's), or archives it
   * or brings it back (`archived`, which the server takes on its own), or
   * sets who posts (`posting`, on its own too).
   */
  updateRoom(
    room: string,
    change: {
      private?: boolean;
      owner?: string;
      name?: string;
      retentionDays?: number | null;
      archived?: boolean;
      posting?: "everyone" | "moderators";
    },
  ): Promise<void> {
    const data: Record<string, unknown> = { room };
    if (change.archived !== undefined) data.archived = change.archived;
    if (change.posting !== undefined) data.posting = change.posting;
    if (change.private !== undefined) data.private = change.private;
    if (change.owner !== undefined) data.owner = change.owner || null;
    if (change.name !== undefined) data.name = change.name;
    if (change.retentionDays !== undefined) {
      data.retention_days = change.retentionDays;
    }
    return this.#act("update_room", data, () => this.#loadRooms());
  }

  /** Makes a bot and shows it; true when made. */
  async createBot(name: string): Promise<boolean> {
    actions.botErrorShown(this.#state, null);
    const made = await bots.createBot(name);
    if (this.#refused(made, "bot")) return false;
    await this.#loadBots();
    await this.chooseBot(made.data.username);
    this.#done(t("admin.done.createBot", { bot: made.data.username }));
    return true;
  }

  /** Shows a bot's tokens and hooks. */
  async chooseBot(bot: string): Promise<void> {
    actions.botChosen(this.#state, bot);
    await this.#loadBot(bot);
  }

  /**
   * Makes a token for the chosen bot and shows its secret, this once,
   * beside the token once listed (under the form if the list failed).
   */
  async createBotToken(name: string): Promise<boolean> {
    const bot = this.#state.bot.value;
    if (bot === null) return false;
    actions.botErrorShown(this.#state, null);
    const made = await bots.createBotToken(bot, name);
    if (this.#refused(made, "token")) return false;
    await this.#loadBot(bot);
    actions.botSecretShown(this.#state, {
      kind: "token",
      bot,
      id: made.data.id,
      value: made.data.token,
    });
    return true;
  }

  /** Revokes one of the chosen bot's tokens. */
  async revokeBotToken(id: string, name: string): Promise<boolean> {
    const bot = this.#state.bot.value;
    if (bot === null) return false;
    actions.botErrorShown(this.#state, null);
    const gone = await bots.revokeBotToken(bot, id);
    if (this.#refused(gone, `token:${id}`)) return false;
    await this.#loadBot(bot);
    this.#done(t("admin.done.revokeBotToken", { bot, name }));
    return true;
  }

  /** Registers a receiver URL for the chosen bot; its secret shows once. */
  async addBotHook(url: string): Promise<boolean> {
    const bot = this.#state.bot.value;
    if (bot === null) return false;
    actions.botErrorShown(this.#state, null);
    const made = await bots.createBotHook(bot, url);
    if (this.#refused(made, "hook")) return false;
    await this.#loadBot(bot);
    actions.botSecretShown(this.#state, {
      kind: "hook",
      bot,
      id: made.data.id,
      value: made.data.secret,
    });
    return true;
  }

  /** Removes one of the chosen bot's hooks. */
  async removeBotHook(id: string, url: string): Promise<boolean> {
    const bot = this.#state.bot.value;
    if (bot === null) return false;
    actions.botErrorShown(this.#state, null);
    const gone = await bots.deleteBotHook(bot, id);
    if (this.#refused(gone, `hook:${id}`)) return false;
    await this.#loadBot(bot);
    this.#done(t("admin.done.removeBotHook", { bot, url }));
    return true;
  }

  /** The admin is done with the secret shown once. */
  dismissSecret(): void {
    actions.botSecretShown(this.#state, null);
  }

  // On coming back to the section, the bot still chosen shows its lists
  // as they are now (another admin, or a script, may have changed them).
  async #loadBots(withChosen = false): Promise<void> {
    const result = await bots.listBots();
    if (this.#failed(result)) return;
    actions.botsLoaded(this.#state, result.data.bots);
    const chosen = this.#state.bot.value;
    if (withChosen && chosen !== null) await this.#loadBot(chosen);
  }

  async #loadBot(bot: string): Promise<void> {
    const [tokens, hooks] = await Promise.all([
      bots.listBotTokens(bot),
      bots.listBotHooks(bot),
    ]);
    if (this.#failed(tokens) || this.#failed(hooks)) return;
    actions.botDetailsLoaded(
      this.#state,
      bot,
      tokens.data.tokens,
      hooks.data.hooks,
    );
  }

  #done(text: string): void {
    actions.noticeShown(this.#state, { kind: "ok", text });
  }

  // With the rooms, their owners' ranks: a moderator sees no Delete on a
  // room an admin owns, which the server would refuse.
  async #loadRooms(): Promise<void> {
    const [result, staff] = await Promise.all([
      adminGet<{ rooms: RoomRow[] }>("list_all_rooms"),
      adminGet<{ accounts: AccountRow[] }>("list_accounts", {
        staff: "true",
        limit: 200,
      }),
    ]);
    if (this.#failed(result) || this.#failed(staff)) return;
    actions.roomsLoaded(this.#state, result.data.rooms, staff.data.accounts);
  }

  async #loadBans(): Promise<void> {
    const result = await adminGet<{ bans: BanRow[] }>("list_bans", {
      limit: 200,
    });
    if (this.#failed(result)) return;
    actions.bansLoaded(this.#state, result.data.bans);
  }

  async #loadEmoji(): Promise<void> {
    const result = await adminRest<{ emoji: CustomEmoji[] }>(
      "GET",
      "/api/emoji",
    );
    if (this.#failed(result)) return;
    actions.emojiLoaded(this.#state, result.data.emoji);
  }

  /** Removes a custom emoji (DELETE /api/emoji/:name), then lists them again. */
  async removeEmoji(name: string): Promise<void> {
    const result = await adminRest<Record<string, never>>(
      "DELETE",
      `/api/emoji/${encodeURIComponent(name)}`,
    );
    if (this.#failed(result)) return;
    await this.#loadEmoji();
  }

  async #refreshPeople(): Promise<void> {
    await (this.#state.tab.value === "bans"
      ? this.#loadBans()
      : this.searchAccounts());
  }

  async #act(
    action: string,
    data: Record<string, unknown>,
    then: () => Promise<void>,
  ): Promise<void> {
    // Read before the action: a deleted room's row is gone after it.
    const rows = this.#state.rooms.value;
    const result = await adminPost<Record<string, unknown>>(action, data);
    if (this.#failed(result)) return;
    await then();
    actions.noticeShown(this.#state, {
      kind: "ok",
      text: actionDone(
        action,
        data,
        (room) =>
          rows.some((r) => r.private && nameKey(r.name) === nameKey(room)),
      ),
    });
  }

  // A bot screen action's refusal, drawn beside what was refused.
  #refused<T>(
    result: AdminResult<T>,
    at: BotErrorPlace,
  ): result is Exclude<AdminResult<T>, { ok: true }> {
    if (result.ok) return false;
    actions.botErrorShown(this.#state, { at, text: result.message });
    return true;
  }

  #failed<T>(
    result: AdminResult<T>,
  ): result is Exclude<AdminResult<T>, { ok: true }> {
    if (result.ok) return false;
    actions.noticeShown(this.#state, { kind: "error", text: result.message });
    return true;
  }
}

/**
 * What was done, as a sentence in the page's language ("Salon #groupe-b
 * renommé en #groupe-b2"); the audit log keeps the action's own name. A
 * room is named as the chat names it (state.ts roomNamed): a private one
 * without "#", by `wasPrivate` (its row before the action) or by the
 * privacy the action gave it.
 */
export function actionDone(
  action: string,
  data: Record<string, unknown>,
  wasPrivate: (room: string) => boolean = () => false,
): string {
  const user = String(data.user ?? "");
  const name = String(data.room ?? "");
  const isPrivate = typeof data.private === "boolean"
    ? data.private
    : wasPrivate(name);
  const room = roomNamed(name, isPrivate);
  switch (action) {
    case "set_role":
      return t("cmd.role.set", { user, role: roleName(data.role as Role) });
    case "ban":
      return t("admin.done.ban", { user });
    case "unban":
      return t("admin.done.unban", { user });
    case "delete_account":
      return t("admin.done.deleteAccount", { user });
    case "reset_totp":
      return t("admin.done.resetTotp", { user });
    case "delete_room":
      return t("admin.done.deleteRoom", { room });
    case "update_room":
      if (data.posting === "moderators" || data.posting === "everyone") {
        return t(
          data.posting === "moderators"
            ? "admin.done.postingModerators"
            : "admin.done.postingEveryone",
          { room },
        );
      }
      if (typeof data.archived === "boolean") {
        return t(
          data.archived ? "admin.done.archiveRoom" : "admin.done.unarchiveRoom",
          { room },
        );
      }
      // A rename names the room by its new name too.
      return typeof data.name === "string"
        ? t("admin.done.renameRoom", {
          from: room,
          room: roomNamed(data.name, isPrivate),
        })
        : t("admin.done.updateRoom", { room });
    default:
      return `${action}: ${user || name}`;
  }
}
