/**
 * Which messages the account saved (save_message), for the Save or Remove
 * from saved action of any message shown: every saved id read after each
 * login and resume (`list_saved` `{"ids":true}`: a device offline missed
 * the `saved` events of that time, and one saved elsewhere before this page
 * loaded was never heard of), then kept in step by this page's own saves
 * and the `saved` events of the account's other connections. Until the
 * first read of a login answers, none is known (`state.team.saved` null):
 * a message's Save action waits rather than guess. Guests save nothing.
 */

import type { SavedEvent } from "../../server/protocol/types.ts";
import type { AppState } from "../state.ts";
import { reminderChanged, savedListed, savedNoted } from "../team/actions.ts";
import type { RequestError } from "./errors.ts";
import type { Requests } from "./requests.ts";

/** Reads, changes and follows the account's saved messages. */
export class SavedIds {
  #state: AppState;
  #requests: Requests;
  // What was heard while a read was on its way, per read: the read may
  // have been made before or after each of these, so they are put over it.
  #heard = new Set<Record<string, boolean>>();

  constructor(state: AppState, requests: Requests) {
    this.#state = state;
    this.#requests = requests;
  }

  /** Reads every saved id again (nothing is asked for a guest). */
  async refresh(): Promise<void> {
    if (!this.#state.account.value) {
      savedListed(this.#state, [], {});
      return;
    }
    const heard: Record<string, boolean> = {};
    this.#heard.add(heard);
    const result = await this.#requests.request("list_saved", { ids: true });
    this.#heard.delete(heard);
    if (result.ok && "ids" in result.data) {
      savedListed(this.#state, result.data.ids, heard);
    } else if (
      this.#state.team.saved.value === null &&
      (result.ok || result.error.code !== "offline")
    ) {
      // Refused or unanswered (a server of before `ids`, a timeout): no
      // read comes before the next login, and the Save action waiting
      // until then would never work. What the page heard is taken for
      // all there is; a Save shown for a message saved elsewhere saves it
      // again, which changes nothing. Offline, the next socket's login
      // reads them.
      savedListed(this.#state, [], heard);
    }
  }

  /** Saves (`on`) or forgets a message; resolves to the error, if any. */
  async set(id: string, on: boolean): Promise<RequestError | null> {
    const result = await this.#requests.request(
      on ? "save_message" : "unsave_message",
      { id },
    );
    if (!result.ok) return result.error;
    this.received(result.data);
    return null;
  }

  /**
   * Saves a message with a reminder at `remindAt` (ISO 8601), or clears
   * its reminder (null); resolves to the reminder now set, or the error.
   */
  async remind(
    id: string,
    remindAt: string | null,
  ): Promise<{ remindAt: string | null } | RequestError> {
    const result = await this.#requests.request("save_message", {
      id,
      remind_at: remindAt,
    });
    if (!result.ok) return result.error;
    this.received(result.data);
    return { remindAt: result.data.remind_at ?? null };
  }

  /** This page or another device of the account saved or unsaved one. */
  received(event: SavedEvent): void {
    for (const heard of this.#heard) heard[event.id] = event.saved;
    savedNoted(this.#state, { [event.id]: event.saved });
    if (event.remind_at !== undefined) {
      reminderChanged(this.#state, event.id, event.remind_at);
    }
  }
}
