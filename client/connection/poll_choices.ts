/**
 * The account's own choice in the polls shown whose `voters` stop short
 * of their `votes` (the first 100 only): there its own name may not be,
 * so the card cannot tell which options it chose. Each such poll is asked
 * about once (`poll_choices`), those shown in one turn in one request of
 * up to 100; the answers join the choices its own `vote` replies tell
 * (state.pollChoices), and the `poll_choice` events of the account's
 * votes on its other devices (events.ts): not asked again at each vote of
 * a busy poll, which would cost every reader a request per vote.
 */

import { MAX_POLL_CHOICE_IDS } from "../../server/protocol/limits.ts";
import { pollChoicesListed } from "../actions/polls.ts";
import { type AppState, entry } from "../state.ts";
import type { RequestError } from "./errors.ts";
import type { Requests } from "./requests.ts";

/** The account's choice in a poll, or why it could not be read. */
export type PollChoice = { options: readonly number[] } | {
  error: RequestError;
};

/** Asks for the account's choice in the polls shown past their voters. */
export class PollChoices {
  #state: AppState;
  #requests: Requests;
  // The polls asked about (or on their way) since the login: once each,
  // with their answer (null: heard; else why not).
  #asked = new Map<string, Promise<RequestError | null>>();
  #waiting: string[] = [];
  // The answers of the polls waiting, sent together at the end of the turn.
  #batch: Promise<Map<string, RequestError>> | null = null;

  constructor(state: AppState, requests: Requests) {
    this.#state = state;
    this.#requests = requests;
  }

  /**
   * The poll of message `id` is shown and its voters are cut: its choice
   * is asked with the others shown in this turn (guests have none).
   */
  ask(id: string): void {
    void this.#ask(id);
  }

  /**
   * The account's choice in the poll of message `id` as the server keeps
   * it: known, or asked (with the others of this turn) and waited for. A
   * click on a cut poll's option waits for it: sent without it, a vote
   * would drop the options chosen that `voters` does not show.
   */
  async choice(id: string): Promise<PollChoice> {
    const known = entry(this.#state.pollChoices.value, id);
    if (known !== undefined) return { options: known };
    const error = await this.#ask(id);
    if (error) return { error };
    return { options: entry(this.#state.pollChoices.value, id) ?? [] };
  }

  /**
   * A login (not a resume) begins: its choices were forgotten with the
   * last one's (actions.loggedOut), so each poll is asked about again.
   */
  reset(): void {
    this.#asked.clear();
  }

  #ask(id: string): Promise<RequestError | null> {
    const me = this.#state.username.value;
    if (!this.#state.account.value || me === null) return Promise.resolve(null);
    const asked = this.#asked.get(id);
    if (asked) return asked;
    if (this.#waiting.length === 0) {
      this.#batch = new Promise((resolve) =>
        queueMicrotask(() => resolve(this.#send(me)))
      );
    }
    this.#waiting.push(id);
    const answer = this.#batch!.then((refused) => refused.get(id) ?? null);
    this.#asked.set(id, answer);
    return answer;
  }

  async #send(me: string): Promise<Map<string, RequestError>> {
    const ids = this.#waiting;
    this.#waiting = [];
    const refused = new Map<string, RequestError>();
    const parts = [];
    for (let i = 0; i < ids.length; i += MAX_POLL_CHOICE_IDS) {
      const part = ids.slice(i, i + MAX_POLL_CHOICE_IDS);
      parts.push(
        this.#askFor(me, part).then((error) => {
          if (error) { for (const id of part) refused.set(id, error); }
        }),
      );
    }
    await Promise.all(parts);
    return refused;
  }

  async #askFor(me: string, ids: string[]): Promise<RequestError | null> {
    const result = await this.#requests.request("poll_choices", { ids });
    if (!result.ok) {
      // Offline or refused: the next time they are shown asks again.
      for (const id of ids) this.#asked.delete(id);
      return result.error;
    }
    // Another account logged in meanwhile: not its choices.
    if (this.#state.username.value !== me) return null;
    pollChoicesListed(this.#state, result.data.choices);
    return null;
  }
}
