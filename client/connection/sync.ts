/**
 * Keeping logs whole by `seq`: catching up after a reconnect or a move the
 * server made (`history` with `after_seq`), filling a gap a live message
 * reveals, fetching older pages for scrolling up, and a conversation's
 * pages. Room `seq` has no gaps, so a log knows what it misses.
 */

import type {
  ChatMessage,
  PrivateMessage,
} from "../../server/protocol/types.ts";
import { GENERAL_ROOM } from "../../server/protocol/types.ts";
import {
  CONVERSATIONS_MAX_LIMIT,
  HISTORY_MAX_LIMIT,
} from "../../server/protocol/limits.ts";
import * as actions from "../actions.ts";
import { t } from "../i18n.ts";
import { firstSeq, lastSeq, type Words } from "../room_log.ts";
import { type AppState, dmKey, entry, roomKey } from "../state.ts";
import type { Fields } from "../wire.ts";
import type { Result } from "./errors.ts";
import type { Members } from "./members.ts";
import { type ConversationPage, isConversationPage } from "./replies.ts";
import type { Requests } from "./requests.ts";
import type { Socket } from "./transport.ts";

/**
 * Messages asked per page when catching up: the most the server gives, so
 * a shorter page means the end was reached.
 */
const PAGE_SIZE = HISTORY_MAX_LIMIT;
/** Pages fetched when catching up before giving up and starting from the newest. */
const MAX_CATCH_UP_PAGES = 5;
/** Messages shown when entering a room we know nothing about. */
const RECENT = 50;
/** Messages fetched per page when scrolling up through history. */
const OLDER_PAGE = 50;

/** A page of history as a log takes it (see `actions.historyLoaded`). */
type LoadedPage = Parameters<typeof actions.historyLoaded>[1] & {
  messages: ChatMessage[];
};

/** What {@linkcode Sync} works with. */
export interface SyncOptions {
  /** Sends requests. */
  requests: Requests;
  /** Refreshes the member list after a move. */
  members: Members;
  /** The current socket: a catch-up that outlives its socket stops. */
  link(): Socket | null;
  /** Whether the session is logged in and online (not resuming). */
  ready(): boolean;
}

/** Fetches the history that logs miss, by seq. */
export class Sync {
  #state: AppState;
  #options: SyncOptions;
  // Each room's epoch as last heard: seqs of another epoch are another
  // room's (server/room_history.ts).
  #epochs = new Map<string, string>();
  // Whether a page after an unloaded log's newest message is on its way.
  #loadingNewer = false;

  constructor(state: AppState, options: SyncOptions) {
    this.#state = state;
    this.#options = options;
  }

  /**
   * Notes a room's epoch from a reply; one that differs from the epoch
   * held means the log holds another room's messages, so it is emptied.
   */
  noteEpoch(room: string, epoch: string | undefined): void {
    if (epoch === undefined) return;
    const key = roomKey(room);
    const known = this.#epochs.get(key);
    if (known !== undefined && known !== epoch) {
      actions.roomLogReset(this.#state, room);
    }
    this.#epochs.set(key, epoch);
  }

  /** Loads the newest messages of the room a login put this user in. */
  async recent(room: string): Promise<void> {
    const page = await this.#options.requests.request("history", {
      room,
      limit: RECENT,
    });
    if (!page.ok) return;
    this.noteEpoch(room, page.data.epoch);
    actions.historyLoaded(this.#state, { ...page.data, end: true });
  }

  /**
   * Brings a room's log up to date after a reconnect or a move the server
   * made, by seq, and shows that room. `joinHistory` is what a `join_room`
   * reply brought, used when it leaves no gap. Stops when `link` is no
   * longer the current socket.
   */
  async catchUp(
    link: Socket,
    room: string,
    joinHistory: ChatMessage[] | null,
    joinEpoch?: string,
  ): Promise<void> {
    const state = this.#state;
    const { requests } = this.#options;
    const shown = state.view.value;
    this.noteEpoch(room, joinEpoch);
    actions.roomEntered(state, { room, history: [] });
    // A reconnect keeps an open conversation on screen.
    if (shown.kind === "dm") actions.conversationOpened(state, shown.with);
    const held = entry(state.logs.value, roomKey(room));
    // Read back far enough to unload the newest: scrolling down fetches them.
    if (held?.unloaded !== undefined) return;
    let after = lastSeq(held);
    if (
      joinHistory &&
      (after === 0 || (joinHistory[0]?.seq ?? Infinity) <= after + 1)
    ) {
      actions.historyLoaded(state, {
        room,
        messages: joinHistory,
        end: true,
      });
      return;
    }
    if (after === 0) {
      const page = await requests.request("history", { room, limit: RECENT });
      if (page.ok && link === this.#options.link()) {
        this.noteEpoch(room, page.data.epoch);
        actions.historyLoaded(state, {
          room,
          messages: page.data.messages,
          end: true,
        });
      }
      return;
    }
    for (let i = 0; i < MAX_CATCH_UP_PAGES; i++) {
      const epoch = this.#epochs.get(roomKey(room));
      const page = await requests.request("history", {
        room,
        after_seq: after,
        limit: PAGE_SIZE,
        ...(epoch === undefined ? {} : { epoch }),
      });
      if (link !== this.#options.link()) return;
      if (!page.ok && page.error.code === "stale_epoch") {
        // Another room under that name now: start it afresh.
        actions.roomLogReset(state, room);
        this.#epochs.delete(roomKey(room));
        await this.recent(room);
        return;
      }
      if (!page.ok) return;
      const end = page.data.messages.length < PAGE_SIZE;
      actions.historyLoaded(state, {
        room,
        messages: page.data.messages,
        end,
      });
      const newest = page.data.messages.at(-1);
      if (!newest || end) return;
      after = newest.seq;
    }
    // Too far behind to page through: the newest messages matter most.
    const page = await requests.request("history", { room, limit: RECENT });
    if (page.ok && link === this.#options.link()) {
      actions.historyLoaded(state, {
        room,
        messages: page.data.messages,
        end: true,
      });
    }
  }

  /**
   * A live message of the current room came after `before`, the newest seq
   * held: seq has no gaps, so a jump means frames were missed. Fetches them.
   */
  fillGap(message: ChatMessage, before: number): void {
    const state = this.#state;
    const current = roomKey(message.room) === roomKey(state.currentRoom.value);
    if (!current || before <= 0 || message.seq <= before + 1) return;
    // Newer messages were unloaded: scrolling down fetches them in turn.
    const log = entry(state.logs.value, roomKey(message.room));
    if (log?.unloaded !== undefined) return;
    const limit = Math.min(PAGE_SIZE, message.seq - before - 1);
    void this.#options.requests.request("history", {
      room: message.room,
      after_seq: before,
      limit,
    }).then((page) => {
      if (page.ok) actions.historyLoaded(state, page.data);
    });
  }

  /**
   * Fetches the page of history before the oldest message on screen, for
   * scrolling up. One fetch per log at a time; nothing when the start of
   * the history is already there.
   */
  async loadOlder(): Promise<void> {
    const state = this.#state;
    const { requests } = this.#options;
    const key = state.viewKey.value;
    const first = firstSeq(entry(state.logs.value, key));
    if (
      first <= 1 || entry(state.loadingOlder.value, key) ||
      !this.#options.ready()
    ) {
      return;
    }
    const shown = state.view.value;
    actions.olderLoading(state, { key, busy: true });
    try {
      if (shown.kind === "dm") {
        const page = await requests.ask<ConversationPage>(
          "history",
          { with: shown.with, before_seq: first, limit: OLDER_PAGE },
          isConversationPage,
        );
        if (page.ok) {
          actions.historyLoaded(state, {
            room: key,
            messages: asLog(key, page.data.messages),
          });
        }
      } else {
        const page = await requests.request("history", {
          room: state.currentRoom.value,
          before_seq: first,
          limit: OLDER_PAGE,
        });
        if (page.ok) actions.historyLoaded(state, page.data);
      }
    } finally {
      actions.olderLoading(state, { key, busy: false });
    }
  }

  /**
   * Fetches the page after the newest message held of the log on screen,
   * when newer ones were unloaded, for scrolling down; `latest`: its
   * newest page instead, to jump to the present. One fetch at a time.
   */
  async loadNewer(latest = false): Promise<void> {
    const state = this.#state;
    const key = state.viewKey.value;
    const log = entry(state.logs.value, key);
    if (
      log?.unloaded === undefined || this.#loadingNewer ||
      !this.#options.ready()
    ) {
      return;
    }
    const shown = state.view.value;
    const where = shown.kind === "dm"
      ? { with: shown.with }
      : { room: state.currentRoom.value };
    this.#loadingNewer = true;
    let page: Result<LoadedPage>;
    try {
      page = await this.#fetchPage(
        where,
        latest
          ? { limit: RECENT }
          : { after_seq: lastSeq(log), limit: OLDER_PAGE },
      );
    } finally {
      // Cleared before the page is shown: the list looks for more as it
      // shows it, and a reader at the bottom of a cut log has no scroll
      // to look again (a full log trims as many rows as the page adds).
      this.#loadingNewer = false;
    }
    if (page.ok) actions.historyLoaded(this.#state, page.data);
  }

  /**
   * Fetches one page of a room's or a conversation's history into its log
   * (`params`: `before_seq`, `around_seq`, `limit`), as jumping to an
   * older message needs; resolves to the page's messages.
   */
  async loadPage(
    where: { room: string } | { with: string },
    params: Fields,
  ): Promise<Result<ChatMessage[]>> {
    const page = await this.#fetchPage(where, params);
    if (!page.ok) return page;
    actions.historyLoaded(this.#state, page.data);
    return { ok: true, data: page.data.messages };
  }

  /** Reads one page of history, as its log will take it. */
  async #fetchPage(
    where: { room: string } | { with: string },
    params: Fields,
  ): Promise<Result<LoadedPage>> {
    const { requests } = this.#options;
    if ("with" in where) {
      const page = await requests.ask<ConversationPage>(
        "history",
        { with: where.with, ...params },
        isConversationPage,
      );
      if (!page.ok) return page;
      const key = dmKey(where.with);
      const messages = asLog(key, page.data.messages);
      const end = reachesEnd(params, messages.length);
      return { ok: true, data: { room: key, messages, end } };
    }
    const page = await requests.request("history", {
      room: where.room,
      ...params,
    });
    if (!page.ok) return page;
    const end = reachesEnd(params, page.data.messages.length);
    return { ok: true, data: { ...page.data, end } };
  }

  /** Opens a private conversation (starting it if new) and loads its newest messages. */
  async openConversation(name: string): Promise<void> {
    const other = name.trim().replace(/^@/, "");
    if (other === "") return;
    actions.conversationOpened(this.#state, other);
    await this.loadConversation(other, 0);
  }

  /**
   * Lists the account's conversations in the sidebar, with their unread
   * counts, after a login and each resume: the server keeps them, so a
   * reload, another login or another device shows the same ones. The
   * newest page; {@linkcode moreConversations} fetches the next ones.
   * Guests have none; a refusal keeps what the sidebar shows.
   */
  async listConversations(): Promise<void> {
    if (!this.#state.account.value) return;
    const asked = this.#state.conversations.value;
    const listed = await this.#options.requests.request(
      "list_conversations",
      { limit: CONVERSATIONS_MAX_LIMIT },
    );
    if (!listed.ok || !this.#state.account.value) return;
    actions.conversationsListed(this.#state, { ...listed.data, asked });
    conversationAvatars(this.#state, listed.data.conversations);
  }

  /**
   * Fetches the page of conversations below the oldest the sidebar has
   * fetched ("show more"). A page asked before the newest was fetched
   * again (a resume) is left: its cursor is no longer the sidebar's.
   */
  async moreConversations(): Promise<void> {
    const above = this.#state.conversationsNext.value;
    if (!above || !this.#state.account.value) return;
    const asked = this.#state.conversations.value;
    const listed = await this.#options.requests.request(
      "list_conversations",
      { before: above.before, limit: CONVERSATIONS_MAX_LIMIT },
    );
    if (!listed.ok || this.#state.conversationsNext.value !== above) return;
    actions.conversationsListed(this.#state, {
      ...listed.data,
      above,
      asked,
    });
    conversationAvatars(this.#state, listed.data.conversations);
  }

  /** Fetches what the open conversation missed while offline (after a resume). */
  catchUpConversation(): void {
    const shown = this.#state.view.value;
    if (shown.kind !== "dm") return;
    const held = entry(this.#state.logs.value, dmKey(shown.with));
    // Read back far enough to unload the newest: scrolling down fetches them.
    if (held?.unloaded !== undefined) return;
    void this.loadConversation(
      shown.with,
      lastSeq(entry(this.#state.logs.value, dmKey(shown.with))),
    );
  }

  /** Loads a conversation's messages after `afterSeq`, or its newest when 0. */
  async loadConversation(other: string, afterSeq: number): Promise<void> {
    const data: Fields = afterSeq > 0
      ? { with: other, after_seq: afterSeq, limit: PAGE_SIZE }
      : { with: other, limit: RECENT };
    const page = await this.#options.requests.ask<ConversationPage>(
      "history",
      data,
      isConversationPage,
    );
    if (!page.ok) return;
    const key = dmKey(other);
    actions.historyLoaded(this.#state, {
      room: key,
      messages: asLog(key, page.data.messages),
      end: afterSeq === 0 || page.data.messages.length < PAGE_SIZE,
    });
  }

  /**
   * Shows a room the server moved this connection into (general, or the
   * room it was in under a new name), its log read afresh.
   */
  async followTo(room: string): Promise<void> {
    const link = this.#options.link();
    if (!link) return;
    actions.roomEntered(this.#state, { room, history: [] });
    void this.#options.members.refresh();
    await this.catchUp(link, room, null);
  }

  /**
   * The server moved this connection to general (room ban, room deleted,
   * membership ended): follow it, saying why when `text` tells.
   */
  async followToGeneral(text: Words | null): Promise<void> {
    const link = this.#options.link();
    if (!link) return;
    await this.followTo(GENERAL_ROOM);
    if (link !== this.#options.link()) return;
    // A server ban closes the socket right after its notice: nothing to say then.
    if (text === null) return;
    actions.noticeAdded(this.#state, {
      room: GENERAL_ROOM,
      kind: "warning",
      text: () => t("notice.moved", { text: text() }),
    });
  }
}

/**
 * Whether a page read with these parameters reached the newest message: a
 * page of the newest, or one after a seq that came back short.
 */
function reachesEnd(params: Fields, count: number): boolean {
  if (params.before_seq !== undefined || params.around_seq !== undefined) {
    return false;
  }
  return params.after_seq === undefined || count < Number(params.limit);
}

/** A conversation's messages filed under its log key. */
function asLog(key: string, messages: PrivateMessage[]): ChatMessage[] {
  return messages.map((m) => ({ ...m, room: key }));
}

/** The pictures of a page of conversations' other sides (`avatar` each). */
function conversationAvatars(
  state: AppState,
  conversations: readonly { with: string; avatar?: string }[],
): void {
  const avatars: Record<string, string> = {};
  for (const c of conversations) {
    if (c.avatar !== undefined) avatars[c.with] = c.avatar;
  }
  actions.avatarsListed(state, conversations.map((c) => c.with), avatars);
}
