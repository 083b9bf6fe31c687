/** Small helpers for showing names, times and sizes in the interface's language. */

import { nameKey } from "../server/protocol/names.ts";
import type { MessageBadge } from "../server/protocol/types.ts";
import { lang, t } from "./i18n.ts";

/** Number of avatar colours defined in styles.css (`.avatar.c0` ... `.c11`). */
const AVATAR_COLOURS = 12;

/** Local time as HH:MM. */
export function formatTime(ts: string): string {
  const date = new Date(ts);
  if (Number.isNaN(date.getTime())) return "";
  return `${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** Local date and time, for a tooltip. */
export function formatDateTime(ts: string): string {
  const date = new Date(ts);
  return Number.isNaN(date.getTime()) ? "" : date.toLocaleString(lang.value, {
    dateStyle: "full",
    timeStyle: "short",
  });
}

/** A day separator's words: "Today", "Yesterday", or the date ("Monday 3 March"). */
export function formatDay(ts: string, now: Date = new Date()): string {
  const date = new Date(ts);
  if (Number.isNaN(date.getTime())) return "";
  const start = (d: Date) =>
    new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
  const days = Math.round((start(now) - start(date)) / 86_400_000);
  if (days === 0) return t("list.today");
  if (days === 1) return t("list.yesterday");
  return date.toLocaleDateString(lang.value, {
    weekday: "long",
    day: "numeric",
    month: "long",
    year: date.getFullYear() === now.getFullYear() ? undefined : "numeric",
  });
}

/** A file size for people: "830 B", "12.4 KB", "3.1 MB" (or Ko, Mo in French). */
export function formatSize(bytes: number): string {
  const units = ["size.b", "size.kb", "size.mb", "size.gb"] as const;
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  const n = value.toLocaleString(lang.value, {
    maximumFractionDigits: digits,
  });
  return t(units[unit], { n });
}

/** The CSS class of a user's avatar colour: the same name always gets the same colour. */
export function colourClass(name: string): string {
  // FNV-1a over the name's key: names the server takes for one user get one colour.
  let hash = 0x811c9dc5;
  for (const char of nameKey(name)) {
    hash ^= char.codePointAt(0) ?? 0;
    hash = Math.imul(hash, 0x01000193);
  }
  return `c${(hash >>> 0) % AVATAR_COLOURS}`;
}

/** The first character of a name, upper-cased, for the avatar circle. */
export function initial(name: string): string {
  const first = Array.from(name)[0] ?? "?";
  return first.toUpperCase();
}

function pad(n: number): string {
  return n.toString().padStart(2, "0");
}

/** What a message's badge says beside its sender's name: BOT or HOOK. */
export function badgeText(badge: MessageBadge): string {
  return badge === "bot" ? "BOT" : "HOOK";
}

/**
 * A sender's name with its badge, for text shown outside the message list
 * (desktop notifications, screen reader announcements): a hook may post
 * under anyone's name, and only the badge tells it apart.
 */
export function senderLabel(user: string, badge?: MessageBadge): string {
  return badge ? `${user} (${badgeText(badge)})` : user;
}
