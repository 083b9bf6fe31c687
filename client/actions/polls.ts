/**
 * The account's own choice in polls, as its `vote` replies and
 * `poll_choices` told it (components/PollCard.tsx reads it where `voters`
 * stops short).
 */

import { batch } from "@preact/signals";
import { type AppState, put } from "../state.ts";

/** The server took this account's choice in the poll of message `id`. */
export function pollChoiceKnown(
  state: AppState,
  id: string,
  options: readonly number[],
): void {
  batch(() => {
    const choices = { ...state.pollChoices.value };
    put(choices, id, options);
    state.pollChoices.value = choices;
  });
}

/** The server told this account's choice in several polls (`poll_choices`). */
export function pollChoicesListed(
  state: AppState,
  choices: Readonly<Record<string, readonly number[]>>,
): void {
  batch(() => {
    const known = { ...state.pollChoices.value };
    for (const [id, options] of Object.entries(choices)) {
      put(known, id, options);
    }
    state.pollChoices.value = known;
  });
}
