/**
 * A profile card's fields (set_profile): a title, one line shown under the
 * name, and a time zone, an IANA name the card turns into a local time.
 * The import holds a dump's profiles to the same rules (transfer/format.ts).
 */
import { z } from "zod";
import { labelRules } from "./labels.ts";

/** The most characters (code points) of a profile's title. */
export const MAX_PROFILE_TITLE = 80;

/**
 * A profile's title: trimmed (set_profile stores it NFC), a label's rules (no control characters,
 * nothing that disguises, no pile of marks: a topic's), up to
 * {@link MAX_PROFILE_TITLE} code points; "" for none.
 */
export const profileTitle = labelRules(z.string().trim()).refine(
  (s) => [...s].length <= MAX_PROFILE_TITLE,
  `at most ${MAX_PROFILE_TITLE} characters`,
);

/**
 * Whether `name` is a time zone this runtime knows by its IANA name
 * ("Europe/Paris", "UTC"). `DateTimeFormat` throws on an unknown one and
 * takes the links (`Asia/Calcutta`) that `Intl.supportedValuesOf` leaves
 * out, so a zone a browser names is taken. Case matters: the stored name
 * is the one the card passes to the browser's `Intl`.
 */
export function isTimeZone(name: string): boolean {
  // The names' own characters only: no offset ("+01:00"), which
  // DateTimeFormat takes but no IANA list names.
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/.test(name)) return false;
  try {
    new Intl.DateTimeFormat("en", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether Temporal, which reads a search's days, knows the zone too: Intl
 * takes a few names it refuses (Factory, SystemV/AST4, US/Pacific-New),
 * and a search's day in one was an `internal` error.
 */
export function hasCalendar(name: string): boolean {
  try {
    Temporal.Now.zonedDateTimeISO(name);
    return true;
  } catch {
    return false;
  }
}

/** A time zone: an IANA name {@link isTimeZone} takes. */
export const timeZone = z.string().refine(
  isTimeZone,
  "an IANA time zone, as Europe/Paris",
);
