/**
 * An account's unsent text on its other devices (`set_draft`,
 * `list_drafts`, `draft` events): the text goes to the server when typing
 * stops for {@linkcode DRAFT_SEND_MS}, at once when the box loses focus or
 * the view changes, and as "" when the message is sent. Guests keep their
 * drafts in the browser only (main.tsx). Text typed while the socket is
 * down or logging in again waits for the next `list_drafts`: there the
 * newer of it and the server's wins (see {@linkcode DraftSync.list}). It
 * waits in the browser's storage too ({@linkcode DraftSyncOptions.pending}),
 * so a reload before the socket comes back does not lose it.
 */

import type { DraftEvent } from "../../server/protocol/types.ts";
import * as actions from "../actions.ts";
import type { Clock, TimerId } from "../clock.ts";
import { type AppState, dmKey, entry, put, roomKey } from "../state.ts";
import type { Requests } from "./requests.ts";

/** How long typing must stop before the text is sent, in ms. */
export const DRAFT_SEND_MS = 1500;

/** Where a draft is: a room or a private conversation. */
export type DraftPlace = { room: string } | { with: string };

/** What {@linkcode DraftSync} works with. */
export interface DraftSyncOptions {
  /** Sends requests. */
  requests: Requests;
  /** Timers. */
  clock: Clock;
  /** Whether the session is logged in and online (not resuming). */
  ready(): boolean;
  /** The place of the view on screen. */
  here(): DraftPlace;
  /**
   * Where the texts typed while not ready outlive a reload, by account.
   * Default: nowhere (they live as long as the page).
   */
  pending?: PendingDrafts;
}

/** A text typed while not ready, as it waits for the server. */
export type PendingDraft = Typed & { base: number | undefined };

/**
 * The browser's record of an account's texts typed while not ready, by
 * log key (client/account_storage.ts). What it reads is checked here:
 * storage is the user's to edit.
 */
export interface PendingDrafts {
  /** The account's record as remembered, or null. */
  read(me: string): unknown;
  /** Remembers the account's record; null forgets it. */
  write(me: string, pending: Record<string, PendingDraft> | null): void;
}

/** Sends this account's drafts to the server and applies its others'. */
export class DraftSync {
  #state: AppState;
  #options: DraftSyncOptions;
  /** Texts typed and not yet sent, by log key, with their place. */
  #waiting = new Map<string, Typed & { timer: TimerId }>();
  /**
   * Texts typed while the session was not ready (offline, logging in
   * again), by log key: kept for the next list, which sends the ones that
   * win. Each with the `updated_at` of the server's draft this page knew
   * when it was typed (`base`), so that a server draft nobody changed
   * since never beats it whatever the clocks say.
   */
  #unsent = new Map<string, PendingDraft>();
  /**
   * The server's drafts as far as this page knows: when each was set
   * (ms), by log key.
   */
  #held = new Map<string, number>();
  /**
   * Texts of {@linkcode #unsent} sent after a list and not yet answered,
   * by log key: the browser keeps them until the server has them.
   */
  #sending = new Map<string, PendingDraft>();
  /** The account whose remembered texts were taken in, or null. */
  #restored: string | null = null;

  constructor(state: AppState, options: DraftSyncOptions) {
    this.#state = state;
    this.#options = options;
  }

  /** The user typed: the text goes once typing stops. */
  typed(key: string, place: DraftPlace, text: string): void {
    if (!this.#state.account.value) return;
    const was = this.#waiting.get(key);
    if (was) this.#options.clock.cancel(was.timer);
    const timer = this.#options.clock.after(
      DRAFT_SEND_MS,
      () => this.#send(key),
    );
    const at = this.#options.clock.now();
    this.#waiting.set(key, { place, text, at, timer });
    // Offline, each keystroke is kept at once (a few hundred bytes in
    // storage): a reload within the pause would lose it.
    if (!this.#options.ready()) this.#keep(key, { place, text, at });
  }

  /** The box lost focus or the view changed: what waits goes now. */
  flush(): void {
    for (const key of [...this.#waiting.keys()]) this.#send(key);
  }

  /** The message was sent: its draft goes on every device. */
  sent(key: string, place: DraftPlace): void {
    const was = this.#waiting.get(key);
    if (was) this.#options.clock.cancel(was.timer);
    this.#waiting.delete(key);
    this.#forget(key);
    if (!this.#state.account.value || !this.#held.has(key)) return;
    this.#post(key, place, "");
  }

  /**
   * After a login or a resume: the server's drafts replace the browser's
   * (another device may have sent or changed them meanwhile), except in
   * the box being written in, and except a text typed here since this
   * page last heard of that draft (offline, or while logging in again):
   * that one wins and is sent, unless the server's changed since and is
   * newer than it. Only then do two clocks meet (this browser's typing
   * time, the server's `updated_at`): a skew of a few seconds can pick
   * the older of two texts typed that close together on two devices.
   */
  async list(): Promise<void> {
    if (!this.#state.account.value) return;
    this.#restore();
    // Typed within the pause before this list: judged with it, not sent
    // after it over whatever it brings.
    for (const [key, { timer, ...typed }] of this.#waiting) {
      this.#options.clock.cancel(timer);
      this.#keep(key, typed);
    }
    this.#waiting.clear();
    const listed = await this.#options.requests.request("list_drafts");
    if (!listed.ok || !this.#state.account.value) return;
    const drafts: Record<string, string> = {};
    this.#held.clear();
    for (const draft of listed.data.drafts) {
      const key = keyOf(draft);
      // Newest first: an older one of the same key (a room renamed) loses.
      if (entry(drafts, key) !== undefined) continue;
      put(drafts, key, draft.text);
      this.#held.set(key, Date.parse(draft.updated_at));
    }
    const judged = this.#unsent.size > 0;
    for (const [key, mine] of this.#unsent) {
      this.#unsent.delete(key);
      const theirs = this.#held.get(key);
      if (theirs !== mine.base && theirs !== undefined && theirs > mine.at) {
        continue;
      }
      if (mine.text === "") delete drafts[key];
      else put(drafts, key, mine.text);
      if (mine.text !== "" || theirs !== undefined) {
        this.#post(key, mine.place, mine.text, mine);
      }
    }
    if (judged) this.#save();
    const composing = this.#state.composing.value;
    const mine = composing === null
      ? undefined
      : entry(this.#state.drafts.value, composing);
    // A box left empty here shows the server's text.
    if (composing !== null && mine !== undefined) {
      const theirs = entry(drafts, composing);
      delete drafts[composing];
      put(drafts, composing, mine);
      // Typed here and not sent yet (the page reloaded within the pause):
      // it goes now, as if typed again.
      if (mine !== theirs && composing === this.#state.viewKey.value) {
        this.typed(composing, this.#options.here(), mine);
      }
    }
    actions.draftsListed(this.#state, drafts);
  }

  /** A `draft` event: another device of the account set it. */
  received(draft: DraftEvent): void {
    const key = keyOf(draft);
    const at = Date.parse(draft.updated_at);
    if (draft.text === "") this.#held.delete(key);
    else this.#held.set(key, at);
    // Typed here since and not sent yet: the next list judges it, unless
    // this one is newer.
    const mine = this.#unsent.get(key);
    if (mine !== undefined && !(at > mine.at)) return;
    this.#forget(key);
    // The box being written in keeps its text: the person here wins.
    if (this.#state.composing.value === key) return;
    actions.draftChanged(this.#state, { key, text: draft.text });
  }

  /**
   * Forgets what waits (the session ended). The browser's record goes
   * with the account's other data (client/account_storage.ts).
   */
  reset(): void {
    for (const { timer } of this.#waiting.values()) {
      this.#options.clock.cancel(timer);
    }
    this.#waiting.clear();
    this.#unsent.clear();
    this.#sending.clear();
    this.#held.clear();
    this.#restored = null;
  }

  #send(key: string): void {
    const waiting = this.#waiting.get(key);
    if (!waiting) return;
    const { timer, ...typed } = waiting;
    this.#options.clock.cancel(timer);
    this.#waiting.delete(key);
    if (!this.#state.account.value) return;
    if (!this.#options.ready()) {
      this.#keep(key, typed);
      return;
    }
    this.#forget(key);
    if (typed.text === "" && !this.#held.has(key)) return;
    this.#post(key, typed.place, typed.text);
  }

  /** Forgets a text typed while not ready: a newer one replaced it. */
  #forget(key: string): void {
    const unsent = this.#unsent.delete(key);
    if (this.#sending.delete(key) || unsent) this.#save();
  }

  /** Keeps a text typed while not ready for the next list. */
  #keep(key: string, typed: Typed): void {
    const base = this.#unsent.get(key)?.base ?? this.#held.get(key);
    this.#unsent.set(key, { ...typed, base });
    this.#save();
  }

  /**
   * Takes in the texts a page of this account left waiting in the
   * browser (it was reloaded or closed while offline), once per account
   * signed in; this page's own, typed since, win.
   */
  #restore(): void {
    const me = this.#state.username.value;
    if (me === null || this.#restored === me) return;
    this.#restored = me;
    const saved = pendingFrom(this.#options.pending?.read(me));
    for (const [key, typed] of Object.entries(saved)) {
      if (!this.#unsent.has(key)) this.#unsent.set(key, typed);
    }
  }

  /** Writes the texts waiting to the browser's record of the account. */
  #save(): void {
    const me = this.#state.username.value;
    if (me === null || !this.#state.account.value) return;
    // Not over what a reloaded page left before it takes it in.
    this.#restore();
    const kept = {
      ...Object.fromEntries(this.#sending),
      ...Object.fromEntries(this.#unsent),
    };
    this.#options.pending?.write(
      me,
      Object.keys(kept).length === 0 ? null : kept,
    );
  }

  /**
   * Sends a draft, and notes when the server set it. One typed while not
   * ready (`pending`) stays in the browser's record until the server
   * answers; lost with the socket again, it waits for the next list.
   */
  #post(
    key: string,
    place: DraftPlace,
    text: string,
    pending?: PendingDraft,
  ): void {
    if (text === "") this.#held.delete(key);
    else this.#held.set(key, this.#options.clock.now());
    if (pending) this.#sending.set(key, pending);
    void this.#options.requests.request("set_draft", { ...place, text })
      .then((result) => {
        if (result.ok && text !== "") {
          this.#held.set(key, Date.parse(result.data.updated_at));
        }
        if (!pending || this.#sending.get(key) !== pending) return;
        this.#sending.delete(key);
        const lost = !result.ok &&
          (result.error.code === "offline" || result.error.code === "timeout");
        if (lost && !this.#unsent.has(key)) this.#unsent.set(key, pending);
        this.#save();
      });
  }
}

/** A text typed in a place, and when (ms, this browser's clock). */
interface Typed {
  place: DraftPlace;
  text: string;
  at: number;
}

/** The log key of a draft's place. */
function keyOf(draft: DraftEvent): string {
  return draft.with !== undefined ? dmKey(draft.with) : roomKey(draft.room!);
}

/** The well-formed entries of a remembered record; anything else reads as none. */
function pendingFrom(value: unknown): Record<string, PendingDraft> {
  if (typeof value !== "object" || value === null) return {};
  const pending: Record<string, PendingDraft> = {};
  for (const [key, typed] of Object.entries(value)) {
    if (typeof typed !== "object" || typed === null) continue;
    const { place, text, at, base } = typed as Record<string, unknown>;
    if (typeof text !== "string" || typeof at !== "number") continue;
    if (base !== undefined && typeof base !== "number") continue;
    const where = placeFrom(place);
    if (where === null) continue;
    put(pending, key, { place: where, text, at, base });
  }
  return pending;
}

/** A remembered draft place, or null when it is not one. */
function placeFrom(value: unknown): DraftPlace | null {
  if (typeof value !== "object" || value === null) return null;
  const { room, with: other } = value as Record<string, unknown>;
  if (typeof room === "string") return { room };
  if (typeof other === "string") return { with: other };
  return null;
}
