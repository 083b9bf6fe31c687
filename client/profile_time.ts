/**
 * A person's local time on their profile card: the hour and minute now in
 * the IANA zone their profile names, on a 24-hour clock as the card's
 * sentence ("14:32 local time", "14 h 32, heure locale") wants them.
 */

/** The hour and minute at `now` in `timeZone`; null for a zone this browser does not know. */
export function localTime(
  timeZone: string,
  now: number,
): { hour: string; minute: string } | null {
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = new Intl.DateTimeFormat("en-GB", {
      timeZone,
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    }).formatToParts(now);
  } catch {
    // A zone the server's Intl knew and this browser's does not.
    return null;
  }
  const part = (type: string) => parts.find((p) => p.type === type)?.value;
  const hour = part("hour");
  const minute = part("minute");
  return hour && minute ? { hour, minute } : null;
}

/** This browser's IANA time zone; UTC when it cannot say. */
export function ownTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

/** The time zones this browser offers, its own first; a short list when it cannot say. */
export function timeZones(): { own: string; all: string[] } {
  const own = ownTimeZone();
  let all: string[];
  try {
    all = Intl.supportedValuesOf("timeZone");
  } catch {
    all = ["UTC"];
  }
  return { own, all: all.includes(own) ? all : [own, ...all] };
}
