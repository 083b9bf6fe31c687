/**
 * A long press, for what a touch screen cannot hover to see (who reacted
 * to a message, who voted for a poll's option): a touch resting
 * LONG_PRESS_MS shows it for SHOWN_MS, and the click that ends that touch
 * does nothing, so the press toggles nothing.
 */

import { type Signal, useSignal } from "@preact/signals";
import type { JSX } from "preact";
import { useEffect, useRef } from "preact/hooks";

/** How long a touch must rest to show what it asks for, in ms. */
const LONG_PRESS_MS = 500;
/** How long it stays after a long press (a touch has no "leave"), in ms. */
const SHOWN_MS = 4000;

/** What {@linkcode useLongPress} gives its element. */
export interface LongPress {
  /** Whether the long press's names show now. */
  showing: Signal<boolean>;
  /** The touch handlers for the pressed element. */
  handlers: Pick<
    JSX.HTMLAttributes<HTMLElement>,
    "onTouchStart" | "onTouchEnd" | "onTouchMove" | "onContextMenu"
  >;
  /** Whether a click acts: not the one that ends a long press. */
  clickActs(): boolean;
  /** Hides the names (the pointer left, the focus went). */
  hide(): void;
}

/** A long press on one element; its timers end with the component. */
export function useLongPress(): LongPress {
  const showing = useSignal(false);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const longPressed = useRef(false);
  useEffect(() => () => {
    if (timer.current !== null) clearTimeout(timer.current);
  }, []);
  function pressEnd(): void {
    // The names, once shown, stay for their while.
    if (!longPressed.current && timer.current !== null) {
      clearTimeout(timer.current);
      timer.current = null;
    }
  }
  return {
    showing,
    handlers: {
      onTouchStart: () => {
        if (timer.current !== null) clearTimeout(timer.current);
        longPressed.current = false;
        timer.current = setTimeout(() => {
          longPressed.current = true;
          showing.value = true;
          timer.current = setTimeout(() => showing.value = false, SHOWN_MS);
        }, LONG_PRESS_MS);
      },
      onTouchEnd: pressEnd,
      onTouchMove: pressEnd,
      onContextMenu: (e) => {
        // A long press opens the names, not the browser's menu.
        if (longPressed.current) e.preventDefault();
      },
    },
    clickActs: () => {
      if (!longPressed.current) return true;
      longPressed.current = false;
      return false;
    },
    hide: () => showing.value = false,
  };
}
