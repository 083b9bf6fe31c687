/**
 * The search dialog (Ctrl+Shift+F, or the header's button): results newest
 * first with the matched words marked, more by the reply's `next` (short
 * pages, cut by the server's work budget, followed a few at once), and a
 * click opens the room or conversation at that message.
 */

import { useSignal } from "@preact/signals";
import { decodeTime } from "ulid";
import type { JSX } from "preact";
import { useEffect, useRef } from "preact/hooks";
import type { SearchResult } from "../../server/protocol/types.ts";
import { useApp } from "../app_context.ts";
import { Dialog } from "../components/Dialog.tsx";
import {
  COMPLETION_LIST_ID,
  CompletionList,
  type CompletionOption,
  completionOptionId,
} from "../components/CompletionList.tsx";
import { completeWith, SIGNS } from "../completion.ts";
import { mentionCandidates } from "../mention_query.ts";
import { formatDateTime, senderLabel } from "../format.ts";
import { plainText } from "../markup.ts";
import { t } from "../i18n.ts";
import { type AppState, roomTitle } from "../state.ts";
import * as teamActions from "./actions.ts";
import { jumpTo, resultPlace, search, SEARCH_PAGE } from "./api.ts";
import { highlight } from "./highlight.ts";
import {
  asksAnything,
  modifierCompletion,
  parseSearch,
} from "./search_query.ts";

/** Quiet time after the last keystroke before searching, in ms. */
const TYPE_PAUSE_MS = 250;

/**
 * While pages come back short with a `next` (the server stopped at its
 * work budget: words that seldom come together, or filters alone, a
 * rare author's or a quiet room's, 4,096 messages a page), the dialog
 * reads on by itself, so that "No message found" is never shown while
 * older pages may hold some: up to FOLLOW_PAGES pages (within the search
 * rate limit's burst, 20 a connection, refilled at 2 a second) and
 * FOLLOW_MS, then "Search older…" reads on as far again.
 */
const FOLLOW_PAGES = 8;
const FOLLOW_MS = 2_000;

/** Where a result is, for people: `@name`, `#room` or a private room's name. */
function where(state: AppState, result: SearchResult): string {
  return "with" in result ? `@${result.with}` : roomTitle(state, result.room);
}

/**
 * What an empty reading that stopped at `cursor` says: no message since
 * the cursor's time (a search's `next` is an id or the time of one, a
 * ULID's first characters), or among the newest for a cursor of another
 * kind.
 */
function noneSince(cursor: string): string {
  let ms: number;
  try {
    // decodeTime takes a whole ULID: the time's 10 characters, then any.
    ms = decodeTime(cursor.slice(0, 10).padEnd(26, "0"));
  } catch {
    return t("search.noneYet");
  }
  return t("search.noneSince", {
    when: formatDateTime(new Date(ms).toISOString()),
  });
}

/** The search dialog. */
export function SearchDialog(): JSX.Element {
  const services = useApp();
  const { state } = services;
  const query = useSignal(state.team.searchQuery.value);
  const asked = useSignal("");
  const results = useSignal<SearchResult[]>([]);
  const next = useSignal<string | undefined>(undefined);
  // The last reading ended short of a page, cut by FOLLOW_PAGES.
  const short = useSignal(false);
  const busy = useSignal(false);
  const error = useSignal<string | null>(null);
  const generation = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const box = useRef<HTMLInputElement>(null);
  // The caret, and the name chosen in the list of `from:@`, `in:@` or
  // `in:#` being typed there.
  const caret = useSignal(query.value.length);
  const picked = useSignal(0);
  useEffect(() => {
    // Opened by `/search words`: search them at once.
    if (query.value.trim() !== "") void run(query.value);
    return () => {
      if (timer.current !== null) clearTimeout(timer.current);
    };
  }, []);

  /**
   * Searches `text` afresh, or older pages of the last search, reading on
   * while pages come back short (FOLLOW_PAGES); what is found shows as it
   * comes.
   */
  async function run(text: string, more = false): Promise<void> {
    const ask = parseSearch(text.trim());
    const mine = ++generation.current;
    if (!asksAnything(ask)) {
      asked.value = "";
      results.value = [];
      next.value = undefined;
      short.value = false;
      error.value = null;
      // A search still reading stops at its next page, leaving this.
      busy.value = false;
      return;
    }
    busy.value = true;
    error.value = null;
    if (!more) {
      asked.value = text.trim();
      results.value = [];
      next.value = undefined;
    }
    const started = Date.now();
    let cursor = more ? next.value : undefined;
    let found = 0;
    for (let pages = 0; pages < FOLLOW_PAGES; pages++) {
      const page = await search(services, ask, cursor);
      // A newer search started meanwhile: its answer is the one to show.
      if (mine !== generation.current) return;
      if (!page.ok) {
        busy.value = false;
        // A page past the first refused (the rate limit): what was found
        // stays, and "Search older…" goes on from there.
        if (pages === 0) error.value = page.error.message;
        return;
      }
      results.value = [...results.value, ...page.data.results];
      found += page.data.results.length;
      cursor = page.data.next;
      next.value = cursor;
      if (cursor === undefined || found >= SEARCH_PAGE) break;
      if (Date.now() - started >= FOLLOW_MS) break;
    }
    short.value = found < SEARCH_PAGE;
    busy.value = false;
  }

  function onInput(value: string): void {
    query.value = value;
    caret.value = box.current?.selectionStart ?? value.length;
    picked.value = 0;
    if (timer.current !== null) clearTimeout(timer.current);
    timer.current = setTimeout(() => void run(value), TYPE_PAUSE_MS);
  }

  // The people (the room's online members, the conversations', oneself)
  // or the rooms a modifier being typed may name, best first.
  const typed = modifierCompletion(query.value, caret.value);
  const options: CompletionOption[] = typed === null ? [] : mentionCandidates(
    typed.kind === "room" ? state.rooms.value.map((room) => room.name) : [
      ...(state.username.value === null ? [] : [state.username.value]),
      ...state.members.value,
      ...Object.values(state.conversations.value).map((c) => c.name),
    ],
    typed.query,
  ).map((name) => ({ name }));
  const active = Math.min(picked.value, options.length - 1);

  function pick(index: number): void {
    if (typed === null) return;
    const done = completeWith(
      query.value,
      typed,
      SIGNS[typed.kind] + options[index].name,
    );
    if (box.current) {
      // Set now, so that the caret lands after the name.
      box.current.value = done.text;
      box.current.setSelectionRange(done.caret, done.caret);
      box.current.focus();
    }
    onInput(done.text);
    caret.value = done.caret;
  }

  // Arrows choose in the list, Tab or Enter puts the name in.
  function onKeyDown(event: KeyboardEvent): void {
    if (options.length === 0 || event.isComposing) return;
    const n = options.length;
    if (event.key === "ArrowDown") picked.value = (active + 1) % n;
    else if (event.key === "ArrowUp") picked.value = (active - 1 + n) % n;
    else if (event.key === "Tab" || event.key === "Enter") pick(active);
    else return;
    event.preventDefault();
  }

  function open(result: SearchResult): void {
    teamActions.searchToggled(state, false);
    void jumpTo(services, resultPlace(result), result.seq);
  }

  const count = results.value.length;
  const status = busy.value
    ? t("search.searching")
    : error.value
    ? error.value
    : asked.value === ""
    ? t("search.hint")
    : count === 0 && next.value !== undefined
    ? noneSince(next.value)
    : count === 0
    ? t("search.none")
    : count === 1
    ? t("search.one")
    : t("search.many", { n: count });

  return (
    <Dialog
      title={t("search.title")}
      testId="search-dialog"
      size="wide"
      onClose={() => teamActions.searchToggled(state, false)}
    >
      <form
        role="search"
        class="search-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (timer.current !== null) clearTimeout(timer.current);
          void run(query.value);
        }}
      >
        <input
          type="search"
          class="field"
          data-testid="search-input"
          data-autofocus
          aria-label={t("search.label")}
          placeholder={t("search.placeholder")}
          value={query.value}
          maxLength={500}
          ref={box}
          aria-autocomplete="list"
          aria-controls={options.length > 0 ? COMPLETION_LIST_ID : undefined}
          aria-activedescendant={options.length > 0
            ? completionOptionId(active)
            : undefined}
          onInput={(e) => onInput(e.currentTarget.value)}
          onKeyDown={onKeyDown}
          onKeyUp={(e) => {
            caret.value = e.currentTarget.selectionStart ?? 0;
          }}
          onClick={(e) => {
            caret.value = e.currentTarget.selectionStart ?? 0;
          }}
        />
        {typed !== null && options.length > 0 && (
          <CompletionList
            kind={typed.kind}
            options={options}
            active={active}
            onPick={pick}
          />
        )}
      </form>
      <p
        class={`search-status${error.value ? " field-error" : ""}`}
        role="status"
        data-testid="search-status"
      >
        {status}
      </p>
      {asked.value === "" && !busy.value && !error.value && (
        <p class="search-tips" data-testid="search-tips">
          {t("search.modifiers")}
        </p>
      )}
      {count > 0 && (
        <ul class="search-results" data-testid="search-results">
          {results.value.map((result) => (
            <li key={result.id}>
              <button
                type="button"
                class="search-result"
                data-testid="search-result"
                onClick={() => open(result)}
              >
                <span class="result-meta">
                  <span class="result-where">{where(state, result)}</span>
                  <span class="result-user">
                    {senderLabel(result.user, result.badge)}
                  </span>
                  <time dateTime={result.ts}>{formatDateTime(result.ts)}</time>
                </span>
                <span class="result-text">
                  {highlight(
                    plainText(result.text),
                    parseSearch(asked.value).query,
                  ).map((s, i) =>
                    s.hit ? <mark key={i}>{s.text}</mark> : s.text
                  )}
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}
      {next.value !== undefined && (
        <button
          type="button"
          class="button ghost search-more"
          data-testid="search-more"
          disabled={busy.value}
          onClick={() => void run(asked.value, true)}
        >
          {t(short.value ? "search.older" : "search.more")}
        </button>
      )}
    </Dialog>
  );
}
