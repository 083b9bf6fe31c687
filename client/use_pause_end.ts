/** How the settings menu drops a pause of notifications once it is over. */

import { useEffect, useState } from "preact/hooks";

/**
 * Renders the caller again when the pause (do not disturb) ending at
 * `until` (ms since the epoch, null: none), shown as on by this render
 * (`paused`), is over, so that the gear's mark and the menu stop showing
 * a pause that has just expired instead of keeping it until something
 * else renders them. One timer, for the pause's end, replaced when the
 * pause changes and cleared when the caller goes or shows no pause. A
 * timer that fires a little early (the browser's clock and its timers may
 * differ by a millisecond) renders a pause still on, which sets another.
 */
export function usePauseEnd(until: number | null, paused: boolean): void {
  const [ends, setEnds] = useState(0);
  const end = paused ? until : null;
  useEffect(() => {
    if (end === null) return;
    // The server takes pauses up to 7 days ahead, far below the 24.8 days
    // past which setTimeout would fire at once.
    const left = Math.max(0, end - Date.now());
    const timer = setTimeout(() => setEnds((n) => n + 1), left + 1);
    return () => clearTimeout(timer);
  }, [end, ends]);
}
