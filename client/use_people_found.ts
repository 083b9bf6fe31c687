/**
 * The people the server's directory finds (`find_people`) for what is
 * typed in a box that offers places (the quick switcher, the forward
 * dialog): accounts the page knows no name of (no shared room loaded, no
 * conversation). Asked once the typing pauses.
 */

import { type Signal, useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import type { Person } from "../server/protocol/types.ts";
import type { AppServices } from "./app_context.ts";
import { peopleQuery } from "./quick_switch.ts";

/**
 * How long the typing pauses before the server's directory is asked: one
 * request per name typed at a person's pace, not one per letter (its
 * bucket holds 5 a second).
 */
const PEOPLE_DELAY_MS = 250;

/**
 * The people found for `query`, kept until an answer for a later text
 * (an answer for an earlier text still holds what this one may match:
 * the ranking filters it, and the list does not blink while typing on).
 * Guests ask nothing.
 */
export function usePeopleFound(
  services: AppServices,
  query: string,
): Signal<Person[]> {
  const { state, connection } = services;
  const found = useSignal<Person[]>([]);
  const asked = state.account.value ? peopleQuery(query) : "";
  useEffect(() => {
    if (asked === "") return;
    let live = true;
    const timer = setTimeout(async () => {
      const result = await connection.findPeople(asked);
      // A refusal (rate_limited, offline) leaves what the page knows.
      if (live && result.ok) found.value = result.data;
    }, PEOPLE_DELAY_MS);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [asked]);
  return found;
}
