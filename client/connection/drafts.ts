/**
 * An account's unsent text on its other devices (`set_draft`,
 * `list_drafts`, `draft` events): the text goes to the server when typing
 * stops for {@linkcode DRAFT_SEND_MS}, at once when the box loses focus or
 * the view changes, and as "" when the message is sent. Guests keep their
 * drafts in the browser only (main.tsx).
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
}

/** Sends this account's drafts to the server and applies its others'. */
export class DraftSync {
  #state: AppState;
  #options: DraftSyncOptions;
  /** Texts typed and not yet sent, by log key, with their place. */
  #waiting = new Map<
    string,
    { place: DraftPlace; text: string; timer: TimerId }
  >();
  /** Log keys the server holds a draft for, as far as this page knows. */
  #held = new Set<string>();

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
    this.#waiting.set(key, { place, text, timer });
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
    if (!this.#state.account.value || !this.#held.has(key)) return;
    this.#held.delete(key);
    void this.#options.requests.request("set_draft", { ...place, text: "" });
  }

  /**
   * After a login or a resume: the server's drafts replace the browser's
   * (another device may have sent or changed them meanwhile), except in
   * the box being written in.
   */
  async list(): Promise<void> {
    if (!this.#state.account.value) return;
    const listed = await this.#options.requests.request("list_drafts");
    if (!listed.ok || !this.#state.account.value) return;
    const drafts: Record<string, string> = {};
    this.#held.clear();
    for (const draft of listed.data.drafts) {
      const key = keyOf(draft);
      this.#held.add(key);
      // Newest first: an older one of the same key (a room renamed) loses.
      if (entry(drafts, key) === undefined) put(drafts, key, draft.text);
    }
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
    if (draft.text === "") this.#held.delete(key);
    else this.#held.add(key);
    // The box being written in keeps its text: the person here wins.
    if (this.#state.composing.value === key) return;
    actions.draftChanged(this.#state, { key, text: draft.text });
  }

  /** Forgets what waits (the session ended). */
  reset(): void {
    for (const { timer } of this.#waiting.values()) {
      this.#options.clock.cancel(timer);
    }
    this.#waiting.clear();
    this.#held.clear();
  }

  #send(key: string): void {
    const waiting = this.#waiting.get(key);
    if (!waiting) return;
    this.#options.clock.cancel(waiting.timer);
    this.#waiting.delete(key);
    if (!this.#state.account.value || !this.#options.ready()) return;
    if (waiting.text === "" && !this.#held.has(key)) return;
    if (waiting.text === "") this.#held.delete(key);
    else this.#held.add(key);
    void this.#options.requests.request("set_draft", {
      ...waiting.place,
      text: waiting.text,
    });
  }
}

/** The log key of a draft's place. */
function keyOf(draft: DraftEvent): string {
  return draft.with !== undefined ? dmKey(draft.with) : roomKey(draft.room!);
}
