/**
 * What the panels that list messages from all over (saved messages,
 * recent mentions) share: their pages asked of the server one after the
 * other, where a listed message is, and how one reads in the list.
 */

import { type Signal, useSignal } from "@preact/signals";
import type { JSX } from "preact";
import { useEffect, useRef } from "preact/hooks";
import type {
  ChatMessage,
  PrivateMessage,
} from "../../server/protocol/types.ts";
import { type AppServices, useApp } from "../app_context.ts";
import { Dialog } from "../components/Dialog.tsx";
import type { Result } from "../connection/errors.ts";
import { formatDateTime, senderLabel } from "../format.ts";
import { t, tn } from "../i18n.ts";
import { plainText } from "../markup.ts";
import { jumpTo, messagePlace, type Place } from "./api.ts";

/** A page of a list: its items and the `before` of the next (null: none). */
export interface ListPage<T> {
  items: T[];
  next: string | null;
}

/** A list's pages so far, as a panel shows them. */
export interface PagedList<T> {
  /** Every item of the pages read; null until the first answers. */
  list: Signal<T[] | null>;
  /** The `before` of the next page; null after the last. */
  next: Signal<string | null>;
  /** A page is being asked for. */
  busy: Signal<boolean>;
  /** The last page's error, or null. */
  error: Signal<string | null>;
  /** Asks for the page after those read. */
  more: () => void;
}

/**
 * Least time between two reads of a first page (ms): `again` may change
 * many times a second (the Threads panel's, at each reply in any room of
 * the account), and each read draws on the `search` bucket (20, then 2 a
 * second a connection). Read at each, an open panel was refused past 20,
 * showed the refusal and a stale list until the next change, and each
 * refusal counted toward the socket's disconnect (100 in 10 s). The
 * changes within it are read once, at its end.
 */
export const AGAIN_MS = 1000;

/**
 * Reads a list's first page when the panel opens (and again, in place of
 * the pages read, when `again` changes: at most once an
 * {@linkcode AGAIN_MS}), then the next each time `more` is called, each
 * page added after the others; an answer that comes after the panel
 * closed is dropped.
 */
export function usePagedList<T>(
  page: (before: string | null) => Promise<Result<ListPage<T>>>,
  again?: unknown,
): PagedList<T> {
  const list = useSignal<T[] | null>(null);
  const next = useSignal<string | null>(null);
  const busy = useSignal(false);
  const error = useSignal<string | null>(null);
  const live = useRef(true);
  const load = async (before: string | null) => {
    busy.value = true;
    const result = await page(before);
    if (!live.current) return;
    busy.value = false;
    error.value = result.ok ? null : result.error.message;
    if (!result.ok) return;
    list.value = before === null
      ? result.data.items
      : [...(list.value ?? []), ...result.data.items];
    next.value = result.data.next;
  };
  const lastRead = useRef(0);
  const waiting = useRef<ReturnType<typeof setTimeout> | undefined>(
    undefined,
  );
  useEffect(() => {
    const read = () => {
      waiting.current = undefined;
      lastRead.current = Date.now();
      void load(null);
    };
    const wait = lastRead.current + AGAIN_MS - Date.now();
    if (wait <= 0) read();
    else waiting.current ??= setTimeout(read, wait);
  }, [again]);
  useEffect(() => () => {
    live.current = false;
    clearTimeout(waiting.current);
  }, []);
  return { list, next, busy, error, more: () => void load(next.value) };
}

/** Where a listed message is, for this account: its room or conversation. */
export function placeOf(
  services: AppServices,
  message: ChatMessage | PrivateMessage,
): Place {
  return messagePlace(message, services.state.username.value);
}

/**
 * A panel of listed messages: its error, its loading or empty line, the
 * messages (a click closes the panel and opens the message's room or
 * conversation at it) and the button of the next page. `name` makes its
 * test ids (`<name>-panel`, `-list`, `-item`, `-more`).
 */
export function ListedMessagesPanel(props: {
  name: string;
  title: string;
  paged: PagedList<unknown>;
  messages: (ChatMessage | PrivateMessage)[];
  /** The line shown when there are none. */
  none: string;
  /** The next page's button. */
  more: string;
  onClose: () => void;
  /** Lines atop the list (the saved panel's reminders come due). */
  header?: JSX.Element;
  /** What follows the `index`th message's button in its item, if any. */
  extra?: (index: number) => JSX.Element | null;
}): JSX.Element {
  const services = useApp();
  const { name, paged, messages } = props;
  const { error, next } = paged;
  return (
    <Dialog
      title={props.title}
      testId={`${name}-panel`}
      size="wide"
      onClose={props.onClose}
    >
      {props.header}
      {error.value && <p class="field-error" role="alert">{error.value}</p>}
      {paged.list.value === null && messages.length === 0
        ? !error.value &&
          <p class="search-status" role="status">{t("pin.loading")}</p>
        : messages.length === 0 && next.value === null
        ? <p class="search-status" role="status">{props.none}</p>
        : (
          <ul class="search-results" data-testid={`${name}-list`}>
            {messages.map((message, index) => (
              <li
                key={message.id}
                class={props.extra ? `${name}-entry` : undefined}
              >
                <button
                  type="button"
                  class="search-result"
                  data-testid={`${name}-item`}
                  onClick={() => {
                    props.onClose();
                    void jumpTo(
                      services,
                      placeOf(services, message),
                      message.seq,
                    );
                  }}
                >
                  <ListedMessage message={message} />
                </button>
                {props.extra?.(index)}
              </li>
            ))}
          </ul>
        )}
      {next.value !== null && (
        <button
          type="button"
          class="button ghost search-more"
          data-testid={`${name}-more`}
          disabled={paged.busy.value}
          onClick={paged.more}
        >
          {props.more}
        </button>
      )}
    </Dialog>
  );
}

/** A listed message's author, time and text, inside its button. */
function ListedMessage(
  props: { message: ChatMessage | PrivateMessage },
): JSX.Element {
  const { message } = props;
  return (
    <>
      <span class="result-meta">
        <span class="result-user">
          {senderLabel(message.user, message.badge)}
        </span>
        <time dateTime={message.ts}>{formatDateTime(message.ts)}</time>
      </span>
      <span class="result-text">
        {message.text !== ""
          ? plainText(message.text)
          : tn("reply.files", message.attachments?.length ?? 0)}
      </span>
    </>
  );
}
