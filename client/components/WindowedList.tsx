/**
 * A `<ul>` of equal rows that renders only the rows in view once it is
 * long ({@linkcode WINDOW_FROM}): 3,000 rooms or members put about 40 rows
 * in the DOM instead of 3,000, and a live update redoes those 40. The rows
 * not rendered are padding on a wrapper, so the scrollbar is the whole
 * list's and the scroller (the list's nearest scrolling ancestor, shared
 * with other sections) needs no change. Windowed rows carry
 * `aria-setsize`/`aria-posinset`, so a screen reader says "12 of 3,001";
 * the arrow keys, Page Up/Down, Home and End move between rows and bring
 * rows not rendered yet into view, where Tab alone would stop at the edge
 * of the window.
 *
 * Our own rather than a library's: the rows are of one height, so the
 * arithmetic is a few lines (client/list_window.ts, unit-tested), where the
 * npm virtualizers are React components (preact/compat in the bundle) or a
 * framework-free core whose measuring and state would still need wiring
 * into Preact.
 */

import type { JSX } from "preact";
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import {
  revealRow,
  rowAfterKey,
  type RowSpan,
  rowSpan,
  WINDOW_FROM,
} from "../list_window.ts";

/** What a row's `<li>` must carry: spread it on the element. */
export interface RowPosition {
  /** The row's index in the whole list, for the keyboard handler. */
  "data-row": number;
  /** 1-based position, when windowed. */
  "aria-posinset"?: number;
  /** The whole list's length, when windowed. */
  "aria-setsize"?: number;
}

/** A list's items, how to key and draw them, and the `<ul>`'s own attributes. */
export interface WindowedListProps<T> {
  /** Every item, in display order. */
  items: T[];
  /** A stable key per item: the row read stays in place when rows come or go above it. */
  keyOf: (item: T) => string;
  /** The `<li>` of one item; spread `position` on it and give it the key. */
  row: (item: T, position: RowPosition) => JSX.Element;
  /** Attributes of the `<ul>` (class, id, data-testid, aria-label). */
  list?: JSX.HTMLAttributes<HTMLUListElement> & { "data-testid"?: string };
  /** Rows up to which the list renders whole; {@linkcode WINDOW_FROM} if not given (tests lower it). */
  windowFrom?: number;
}

/** A first guess at a row's height, until one is measured (a sidebar row is 34 px). */
const ROW_GUESS = 34;

/** What the scroller shows, relative to the list's first row. */
interface View {
  top: number;
  height: number;
  row: number;
}

/** A list that renders only its rows in view once it is long. */
export function WindowedList<T>(props: WindowedListProps<T>): JSX.Element {
  const { items } = props;
  const count = items.length;
  const windowed = count > (props.windowFrom ?? WINDOW_FROM);
  const box = useRef<HTMLDivElement>(null);
  const scroller = useRef<HTMLElement | null>(null);
  const [view, setView] = useState<View>({ top: 0, height: 800, row: 0 });
  const shown = useRef<RowSpan | null>(null);
  const focusNext = useRef<{ index: number; step: 1 | -1 } | null>(null);
  // The row at the top of the view, once the list is scrolled into.
  const anchor = useRef<{ key: string; index: number } | null>(null);
  const span = windowed
    ? rowSpan({
      count,
      rowHeight: view.row || ROW_GUESS,
      viewTop: view.top,
      viewHeight: view.height,
    })
    : { start: 0, end: count, before: 0, after: 0 };
  shown.current = span;

  /** Reads where the list is in its scroller; renders again if other rows come into view. */
  function measure(): void {
    const el = box.current;
    const scroll = scroller.current;
    if (!el || !scroll || !windowed) return;
    const rows = el.firstElementChild?.children;
    let row = view.row;
    if (rows && rows.length >= 2) {
      // Top to top: the rows' margins included.
      const pitch = rows[1].getBoundingClientRect().top -
        rows[0].getBoundingClientRect().top;
      if (pitch > 0) row = pitch;
    }
    const next = {
      top: scroll.getBoundingClientRect().top -
        el.getBoundingClientRect().top,
      height: scroll.clientHeight,
      row,
    };
    const then = shown.current;
    const now = rowSpan({
      count,
      rowHeight: next.row || ROW_GUESS,
      viewTop: next.top,
      viewHeight: next.height,
    });
    // Scrolling within the overscan renders nothing again.
    if (
      !then || now.start !== then.start || now.end !== then.end ||
      next.row !== view.row
    ) {
      setView(next);
    }
  }
  const latest = useRef(measure);
  latest.current = measure;

  /** Notes the row at the top of the view, to keep it there when rows come or go above it. */
  function noteAnchor(): void {
    const el = box.current;
    const scroll = scroller.current;
    anchor.current = null;
    if (!el || !scroll || !windowed) return;
    const top = scroll.getBoundingClientRect().top -
      el.getBoundingClientRect().top;
    const index = Math.floor(top / (view.row || ROW_GUESS));
    if (top <= 0 || index >= count) return;
    anchor.current = { key: props.keyOf(items[index]), index };
  }
  const anchorAt = useRef(noteAnchor);
  anchorAt.current = noteAnchor;

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const scroll = scrollParent(el);
    scroller.current = scroll;
    const onScroll = () => {
      latest.current();
      anchorAt.current();
    };
    scroll.addEventListener("scroll", onScroll, { passive: true });
    // The drawer opening or the window resized changes the view's height.
    const resized = new ResizeObserver(onScroll);
    resized.observe(scroll);
    return () => {
      scroll.removeEventListener("scroll", onScroll);
      resized.disconnect();
    };
  }, []);

  useLayoutEffect(() => {
    // Rows came or went above the one read: scroll by as many rows, before
    // this frame is painted. The browser's own scroll anchoring does not
    // do it here, since the padding that stands for them changed.
    const was = anchor.current;
    const scroll = scroller.current;
    if (
      windowed && was && scroll && was.index < count &&
      props.keyOf(items[was.index]) !== was.key
    ) {
      const now = items.findIndex((item) => props.keyOf(item) === was.key);
      if (now >= 0) {
        scroll.scrollTop += (now - was.index) * (view.row || ROW_GUESS);
      }
    }
    measure();
    noteAnchor();
    const pending = focusNext.current;
    if (pending === null) return;
    if (box.current?.querySelector(`li[data-row="${pending.index}"]`)) {
      focusNext.current = null;
      focusRow(pending.index, pending.step);
    }
  });

  function onKeyDown(event: JSX.TargetedKeyboardEvent<HTMLUListElement>) {
    if (event.defaultPrevented || event.altKey || event.ctrlKey) return;
    const from = (event.target as Element).closest("li[data-row]");
    // Keys inside a row's own menu are the menu's.
    if (!from || (event.target as Element).closest('[role="menu"]')) return;
    const index = Number(from.getAttribute("data-row"));
    const row = view.row || ROW_GUESS;
    const next = rowAfterKey(
      event.key,
      index,
      count,
      Math.floor(view.height / row),
    );
    if (next === undefined || next === index) return;
    event.preventDefault();
    focusRow(next, next > index ? 1 : -1);
  }

  /**
   * Focuses row `index`, or the nearest one past it in `step`'s direction
   * with something to focus (the user's own row in the member list has
   * none, then back the other way); scrolls a row not rendered into view
   * and focuses it once it is.
   */
  function focusRow(index: number, step: 1 | -1, turned = false): void {
    const el = box.current;
    for (let at = index; at >= 0 && at < count; at += step) {
      if (!el?.querySelector(`li[data-row="${at}"]`)) {
        // Not rendered: scroll it into view, then focus it once rendered.
        const scroll = scroller.current;
        if (!scroll || !el) return;
        const row = view.row || ROW_GUESS;
        // Where the view is now: a scroll within the overscan left no state.
        const top = scroll.getBoundingClientRect().top -
          el.getBoundingClientRect().top;
        focusNext.current = { index: at, step };
        scroll.scrollTop += revealRow(at, row, top, scroll.clientHeight) - top;
        measure();
        return;
      }
      const target = rowFocusable(el, at);
      if (target) {
        target.focus();
        target.scrollIntoView({ block: "nearest" });
        return;
      }
    }
    // Past the end with nothing to focus (End onto the user's own row):
    // the nearest row back the other way.
    if (!turned) focusRow(index - step, step === 1 ? -1 : 1, true);
  }

  const rows: JSX.Element[] = [];
  for (let i = span.start; i < span.end; i++) {
    rows.push(props.row(
      items[i],
      windowed
        ? { "data-row": i, "aria-posinset": i + 1, "aria-setsize": count }
        : { "data-row": i },
    ));
  }
  return (
    <div
      ref={box}
      class="list-window"
      style={windowed
        ? { paddingTop: `${span.before}px`, paddingBottom: `${span.after}px` }
        : undefined}
    >
      <ul {...props.list} onKeyDown={onKeyDown}>{rows}</ul>
    </div>
  );
}

/** The first thing to focus in row `index`, if it is rendered. */
function rowFocusable(
  box: HTMLElement | null,
  index: number,
): HTMLElement | null {
  return box?.querySelector<HTMLElement>(
    `li[data-row="${index}"] :is(button, a[href], [tabindex="0"])`,
  ) ?? null;
}

/** The nearest ancestor that scrolls, or the page's scroller. */
function scrollParent(el: HTMLElement): HTMLElement {
  for (let at = el.parentElement; at; at = at.parentElement) {
    const overflow = getComputedStyle(at).overflowY;
    if (overflow === "auto" || overflow === "scroll") return at;
  }
  return document.scrollingElement as HTMLElement ?? document.body;
}
