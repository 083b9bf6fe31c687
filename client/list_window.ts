/**
 * Which rows of a long list of equal rows to render: those in view, with a
 * margin either side. A community with thousands of rooms or members would
 * otherwise put every row in the DOM (tens of thousands of nodes, a
 * second of layout on a phone) and redo them all at each live update.
 * Pure arithmetic, so it is tested without a browser.
 */

/** Lists up to this long are rendered whole: cheap, and the browser's find sees every row. */
export const WINDOW_FROM = 500;

/** Rows rendered beyond each edge of the view, so a fast scroll or a Tab shows no gap. */
export const OVERSCAN = 12;

/** Where the list is and what the scroller shows, in CSS pixels. */
export interface WindowInput {
  /** Rows in the list. */
  count: number;
  /** The distance from one row's top to the next's. */
  rowHeight: number;
  /** The top of the scroller's view, from the list's first row (negative: the list starts below it). */
  viewTop: number;
  /** The height of the scroller's view. */
  viewHeight: number;
  /** Rows beyond each edge; {@linkcode OVERSCAN} if not given. */
  overscan?: number;
}

/** The rows to render, `start` up to (not including) `end`, and the room the others take. */
export interface RowSpan {
  /** The first row rendered. */
  start: number;
  /** One past the last row rendered. */
  end: number;
  /** Pixels above the first rendered row: the rows not rendered there. */
  before: number;
  /** Pixels below the last rendered row. */
  after: number;
}

/**
 * The rows in view plus the overscan, clamped to the list. A view entirely
 * above or below the list still renders the overscan nearest to it, so
 * the list is never empty while it has rows (the first Tab into it lands).
 */
export function rowSpan(input: WindowInput): RowSpan {
  const { count, viewTop, viewHeight } = input;
  const overscan = input.overscan ?? OVERSCAN;
  // A row not yet measured (0, NaN) counts as one pixel: too many rows
  // for one frame, never a division by zero.
  const row = input.rowHeight > 0 ? input.rowHeight : 1;
  if (count <= 0) return { start: 0, end: 0, before: 0, after: 0 };
  const first = Math.floor(Math.max(0, viewTop) / row);
  const last = Math.ceil(Math.max(0, viewTop + Math.max(0, viewHeight)) / row);
  const start = clamp(first - overscan, 0, Math.max(0, count - overscan));
  const end = clamp(last + overscan, Math.min(count, overscan), count);
  return {
    start: Math.min(start, end),
    end,
    before: Math.min(start, end) * row,
    after: (count - end) * row,
  };
}

/**
 * The scroll offset that brings row `index` fully into view, moving the
 * view as little as possible; `viewTop` unchanged if it is in view. The
 * same frame as {@linkcode WindowInput}: add the list's offset in the
 * scroller to get a `scrollTop`.
 */
export function revealRow(
  index: number,
  rowHeight: number,
  viewTop: number,
  viewHeight: number,
): number {
  const top = index * rowHeight;
  const bottom = top + rowHeight;
  if (top < viewTop) return top;
  if (bottom > viewTop + viewHeight) return bottom - viewHeight;
  return viewTop;
}

/**
 * The row a navigation key moves to from `index` in a list of `count`
 * rows, `pageRows` rows to a page; undefined for any other key.
 */
export function rowAfterKey(
  key: string,
  index: number,
  count: number,
  pageRows: number,
): number | undefined {
  const page = Math.max(1, pageRows - 1);
  let next: number;
  switch (key) {
    case "ArrowDown":
      next = index + 1;
      break;
    case "ArrowUp":
      next = index - 1;
      break;
    case "PageDown":
      next = index + page;
      break;
    case "PageUp":
      next = index - page;
      break;
    case "Home":
      next = 0;
      break;
    case "End":
      next = count - 1;
      break;
    default:
      return undefined;
  }
  return clamp(next, 0, count - 1);
}

function clamp(n: number, low: number, high: number): number {
  return Math.min(Math.max(n, low), high);
}
