/** How the message list's "Today" and "Yesterday" follow the calendar. */

import { useEffect, useState } from "preact/hooks";

/** The first moment of the local day holding `ms`, `days` later (ms). */
export function localDayStart(ms: number, days = 0): number {
  const day = new Date(ms);
  // The Date constructor counts the calendar's days, not 86,400,000 ms: a
  // day when the clocks change is 23 or 25 hours long, and a midnight a
  // change skips is the first hour that day has.
  return new Date(day.getFullYear(), day.getMonth(), day.getDate() + days)
    .getTime();
}

/**
 * The start of the local day now (ms), changed at each local midnight, so
 * that a separator drawn as "Today" says "Yesterday" once the day is over
 * instead of keeping it until something else draws it. One timer for the
 * whole list (not one per separator), set again each midnight and cleared
 * when the caller goes. A timer that fires a little early (the browser's
 * clock and its timers may differ by a millisecond) finds the same day
 * and sets another for the rest of it; one fired late (a sleeping laptop,
 * a background tab) changes the day then.
 */
export function useToday(): number {
  const [today, setToday] = useState(() => localDayStart(Date.now()));
  const [ticks, setTicks] = useState(0);
  useEffect(() => {
    // At most 25 hours, far below the 24.8 days past which setTimeout
    // would fire at once.
    const left = Math.max(0, localDayStart(Date.now(), 1) - Date.now());
    const timer = setTimeout(() => {
      setToday(localDayStart(Date.now()));
      setTicks((n) => n + 1);
    }, left + 1);
    return () => clearTimeout(timer);
  }, [ticks]);
  return today;
}
