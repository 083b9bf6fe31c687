/** How menus and popups close: a click outside them, or Escape. */

import type { RefObject } from "preact";
import { useLayoutEffect } from "preact/hooks";

/** Options of {@linkcode useDismiss}. */
export interface DismissOptions {
  /** On opening, focus the first element inside that matches this selector. */
  focusFirst?: string;
  /** On Escape, give focus back to the first button inside (the trigger). */
  refocus?: boolean;
  /**
   * Take Escape before anything else and keep it: closing this does not
   * also close what it sits in (the sidebar drawer).
   */
  ownEscape?: boolean;
}

/**
 * While `open`, calls `close` on a mouse press outside `root` or on Escape.
 * Listeners are set before the popup is painted, so a quick hand's first
 * key or click is not missed.
 */
export function useDismiss(
  open: boolean,
  root: RefObject<HTMLElement>,
  close: () => void,
  options: DismissOptions = {},
): void {
  useLayoutEffect(() => {
    if (!open) return;
    const { focusFirst, refocus = false, ownEscape = false } = options;
    if (focusFirst) {
      root.current?.querySelector<HTMLElement>(focusFirst)?.focus();
    }
    function onPointer(event: MouseEvent): void {
      if (!root.current?.contains(event.target as Node)) close();
    }
    function onKey(event: KeyboardEvent): void {
      if (event.key !== "Escape") return;
      if (ownEscape) event.stopPropagation();
      close();
      if (refocus) root.current?.querySelector<HTMLElement>("button")?.focus();
    }
    addEventListener("mousedown", onPointer);
    addEventListener("keydown", onKey, ownEscape);
    return () => {
      removeEventListener("mousedown", onPointer);
      removeEventListener("keydown", onKey, ownEscape);
    };
  }, [open]);
}
