/** How menus and popups close: a click outside them, or Escape. */

import type { RefObject } from "preact";
import { useLayoutEffect, useRef } from "preact/hooks";

/** Options of {@linkcode useDismiss}. */
export interface DismissOptions {
  /** On opening, focus the first element inside that matches this selector. */
  focusFirst?: string;
  /**
   * On Escape, or when it closes with the focus gone (an item chosen went
   * with it), give focus back to the first button inside (the trigger).
   */
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
    const trigger = root.current?.querySelector<HTMLElement>("button");
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
      if (refocus) trigger?.focus();
    }
    addEventListener("mousedown", onPointer);
    addEventListener("keydown", onKey, ownEscape);
    return () => {
      removeEventListener("mousedown", onPointer);
      removeEventListener("keydown", onKey, ownEscape);
      // Closed by its own item (a status set, a level chosen): the item
      // went with the menu and the focus fell to the page's body, where
      // the next Tab starts over from the top and a screen reader reads
      // nothing. Run after the menu left the page; a focus that went
      // elsewhere (a dialog the item opened, a click outside) stays.
      const at = document.activeElement;
      if (refocus && trigger?.isConnected && (!at || at === document.body)) {
        trigger.focus({ preventScroll: true });
      }
    };
  }, [open]);
}

/**
 * Focuses the element of `root` that matches a selector once the next
 * render has drawn it. A menu's form (a status in one's own words, a
 * kick's reason) going back to the menu takes its Back button away, and
 * the focus fell to the page's body; the item that opened the form takes
 * it instead.
 */
export function useFocusAfterRender(
  root: RefObject<HTMLElement>,
): (selector: string) => void {
  const wanted = useRef<string | null>(null);
  useLayoutEffect(() => {
    if (wanted.current === null) return;
    root.current?.querySelector<HTMLElement>(wanted.current)?.focus();
    wanted.current = null;
  });
  return (selector) => wanted.current = selector;
}
