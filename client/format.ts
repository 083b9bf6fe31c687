/** Small pure helpers for showing names and times. */

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
  return Number.isNaN(date.getTime()) ? "" : date.toLocaleString();
}

/** The CSS class of a user's avatar colour: the same name always gets the same colour. */
export function colourClass(name: string): string {
  // FNV-1a over the lower-cased name: names differ only by case are one user.
  let hash = 0x811c9dc5;
  for (const char of name.toLowerCase()) {
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
