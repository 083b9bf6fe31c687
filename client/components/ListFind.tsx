/**
 * The find box above a long list: a {@linkcode WindowedList} renders only
 * the rows in view, so the browser's own find cannot see the others; this
 * box narrows the list instead (client/name_filter.ts does the matching).
 */

import type { Signal } from "@preact/signals";
import type { JSX } from "preact";

/** What the find box edits and how it is named. */
export interface ListFindProps {
  /** The text typed so far; the list filters on it. */
  query: Signal<string>;
  /** The box's accessible name, also shown as its placeholder. */
  label: string;
  /** The input's `data-testid`. */
  testId: string;
}

/** A search box that writes what is typed into `query`. */
export function ListFind(props: ListFindProps): JSX.Element {
  const { query, label, testId } = props;
  return (
    <div class="list-find">
      <input
        type="search"
        class="field small"
        data-testid={testId}
        aria-label={label}
        placeholder={label}
        value={query.value}
        onInput={(e) => query.value = e.currentTarget.value}
      />
    </div>
  );
}
