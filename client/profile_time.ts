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

// Zones Intl takes that have no days for the server's Temporal, which a
// search's `zone` refuses (docs/protocol.md, "Search").
const NO_DAYS = /^(Factory|SystemV\/.*|US\/Pacific-New)$/;

/**
 * The `zone` of a search by days: this browser's, unless it is one the
 * server reads no days in (Factory, SystemV's): then none, and the days
 * are UTC's rather than the search refused. Where the browser has
 * Temporal, a zone it has no days for is left out too.
 */
export function searchZone(zone: string = ownTimeZone()): string | undefined {
  if (NO_DAYS.test(zone)) return undefined;
  const temporal = (globalThis as { Temporal?: typeof Temporal }).Temporal;
  if (temporal === undefined) return zone;
  try {
    temporal.Now.zonedDateTimeISO(zone);
    return zone;
  } catch {
    return undefined;
  }
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
