/**
 * The account's own choice in polls, as its `vote` replies and
 * `poll_choices` told it (components/PollCard.tsx reads it where `voters`
 * stops short), and the choice this page sent that the poll's drawing may
 * not show yet (state.pollVotes).
 */

import { batch } from "@preact/signals";
import { type AppState, entry, put } from "../state.ts";

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

/** This page sent `choice` as the account's vote in the poll of message `id`. */
export function pollVoteSent(
  state: AppState,
  id: string,
  choice: readonly number[],
): void {
  batch(() => {
    const votes = { ...state.pollVotes.value };
    const inFlight = entry(votes, id)?.inFlight ?? 0;
    put(votes, id, { choice, inFlight: inFlight + 1 });
    state.pollVotes.value = votes;
  });
}

/**
 * The server answered a vote of this page in the poll of message `id`:
 * the choice it took, or null for a refusal, after which the drawing is
 * the truth again.
 */
export function pollVoteAnswered(
  state: AppState,
  id: string,
  options: readonly number[] | null,
): void {
  batch(() => {
    if (options !== null) pollChoiceKnown(state, id, options);
    const vote = entry(state.pollVotes.value, id);
    // Refused before, or logged out meanwhile: nothing kept.
    if (vote === undefined) return;
    const votes = { ...state.pollVotes.value };
    if (options === null) delete votes[id];
    else put(votes, id, { ...vote, inFlight: vote.inFlight - 1 });
    state.pollVotes.value = votes;
  });
}

/**
 * A newer drawing of the message `id` came (`message_updated`): once every
 * vote this page sent there is answered, it shows them (a vote's own
 * update comes after its reply), and the choice sent is forgotten.
 */
export function pollDrawn(state: AppState, id: string): void {
  if (entry(state.pollVotes.value, id)?.inFlight !== 0) return;
  const votes = { ...state.pollVotes.value };
  delete votes[id];
  state.pollVotes.value = votes;
}
