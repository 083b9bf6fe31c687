/**
 * The times the settings menu offers to pause notifications until
 * (set_do_not_disturb), and how a pause's end is said: as Slack's "for 1
 * hour" and "until tomorrow".
 */
import { formatTime } from "./format.ts";
import { lang } from "./i18n.ts";

const HOUR_MS = 3_600_000;

/** An hour from `now` (ms since the epoch). */
export function inAnHour(now: number): number {
  return now + HOUR_MS;
}

/** 9:00 local time on the day after `now`'s (ms since the epoch). */
export function tomorrowAtNine(now: number): number {
  const date = new Date(now);
  date.setDate(date.getDate() + 1);
  date.setHours(9, 0, 0, 0);
  return date.getTime();
}

/** When a pause ends: "14:30" today, else with the day ("Fri 09:00"). */
export function pauseEnd(until: number, now: number): string {
  const end = new Date(until);
  const time = formatTime(end.toISOString());
  if (end.toDateString() === new Date(now).toDateString()) return time;
  return `${end.toLocaleDateString(lang.value, { weekday: "short" })} ${time}`;
}
