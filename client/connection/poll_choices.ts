/**
 * The account's own choice in the polls shown whose `voters` stop short
 * of their `votes` (the first 100 only): there its own name may not be,
 * so the card cannot tell which options it chose. Each such poll is asked
 * about once (`poll_choices`), those shown in one turn in one request of
 * up to 100; the answers join the choices its own `vote` replies tell
 * (state.pollChoices). A poll another device voted in since keeps the
 * choice first heard: asking again at each vote of a busy poll would cost
 * every reader a request per vote.
 */

import { MAX_POLL_CHOICE_IDS } from "../../server/protocol/limits.ts";
import { pollChoicesListed } from "../actions/polls.ts";
import type { AppState } from "../state.ts";
import type { Requests } from "./requests.ts";

/** Asks for the account's choice in the polls shown past their voters. */
export class PollChoices {
  #state: AppState;
  #requests: Requests;
  // The polls asked about (or on their way) since the login: once each.
  #asked = new Set<string>();
  #waiting: string[] = [];

  constructor(state: AppState, requests: Requests) {
    this.#state = state;
    this.#requests = requests;
  }

  /**
   * The poll of message `id` is shown and its voters are cut: its choice
   * is asked with the others shown in this turn (guests have none).
   */
  ask(id: string): void {
    const me = this.#state.username.value;
    if (!this.#state.account.value || me === null) return;
    if (this.#asked.has(id)) return;
    this.#asked.add(id);
    if (this.#waiting.push(id) === 1) queueMicrotask(() => this.#send(me));
  }

  /**
   * A login (not a resume) begins: its choices were forgotten with the
   * last one's (actions.loggedOut), so each poll is asked about again.
   */
  reset(): void {
    this.#asked.clear();
  }

  #send(me: string): void {
    const ids = this.#waiting;
    this.#waiting = [];
    for (let i = 0; i < ids.length; i += MAX_POLL_CHOICE_IDS) {
      void this.#askFor(me, ids.slice(i, i + MAX_POLL_CHOICE_IDS));
    }
  }

  async #askFor(me: string, ids: string[]): Promise<void> {
    const result = await this.#requests.request("poll_choices", { ids });
    if (!result.ok) {
      // Offline or refused: the next time they are shown asks again.
      for (const id of ids) this.#asked.delete(id);
      return;
    }
    // Another account logged in meanwhile: not its choices.
    if (this.#state.username.value !== me) return;
    pollChoicesListed(this.#state, result.data.choices);
  }
}
