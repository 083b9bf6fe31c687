/**
 * Custom statuses as the web client shows and offers them (set_status):
 * the account menu's presets, as Slack's, each with its emoji and end, and
 * whether a status is still on (one whose `until` has come is dropped
 * without waiting for the server).
 */
import { nameKey } from "../server/protocol/names.ts";
import type { Status } from "../server/protocol/types.ts";
import { type AppState, entry } from "./state.ts";
import type { MessageKey } from "./i18n.ts";
import { inAnHour } from "./do_not_disturb.ts";

/** A preset of the account menu: its words, emoji and end from `now`. */
export interface StatusPreset {
  id: "meeting" | "sick" | "holiday";
  words: MessageKey;
  emoji: string;
  /** When it ends (ms since the epoch) for one set at `now`; null: until cleared. */
  until(now: number): number | null;
}

/** "In a meeting" for an hour, "Out sick" for the day, "On holiday" until cleared. */
export const STATUS_PRESETS: readonly StatusPreset[] = [
  { id: "meeting", words: "status.meeting", emoji: "📅", until: inAnHour },
  { id: "sick", words: "status.sick", emoji: "🤒", until: endOfDay },
  { id: "holiday", words: "status.holiday", emoji: "🌴", until: () => null },
];

/** Midnight local time after `now` (ms since the epoch). */
export function endOfDay(now: number): number {
  const date = new Date(now);
  date.setHours(24, 0, 0, 0);
  return date.getTime();
}

/** The status if it is still on at `now`, else null. */
export function statusShown(
  status: Status | null | undefined,
  now: number,
): Status | null {
  if (!status) return null;
  return status.until !== null && status.until <= now ? null : status;
}

/**
 * The status shown beside a name at `now`: none for an account the user
 * ignores, whose words reach it nowhere else (its messages hidden, its
 * typing not shown); a `status` event still brings it, and a harasser's
 * status ("@you …") stood beside its name in every member list the ignorer
 * looked at, changed as often as it liked.
 */
export function statusOfName(
  state: Pick<AppState, "statuses" | "ignored">,
  name: string,
  now: number,
): Status | null {
  const key = nameKey(name);
  if (entry(state.ignored.value, key) !== undefined) return null;
  return statusShown(entry(state.statuses.value, key), now);
}

/** The earliest end of those statuses still on at `now`, null for none. */
export function nextStatusEnd(
  statuses: Iterable<Status | null | undefined>,
  now: number,
): number | null {
  let next: number | null = null;
  for (const status of statuses) {
    const until = statusShown(status, now)?.until ?? null;
    if (until !== null && (next === null || until < next)) next = until;
  }
  return next;
}

/** A status as one line: its emoji, then its text. */
export function statusLine(status: Status): string {
  return [status.emoji, status.text].filter(Boolean).join(" ");
}
