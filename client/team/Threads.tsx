/**
 * The threads the account takes part in (Slack's Threads, Mattermost's
 * collapsed threads): the header's button and the panel that lists them
 * from the server (`list_threads`: those whose root it wrote, where it
 * replied or was named, across its rooms and conversations), newest
 * activity first, those with replies it has not read marked. A click
 * opens the thread's room or conversation and its thread panel, which
 * marks it read (Thread.tsx). The list is read again when a thread may
 * have changed (`replies_updated`, `thread_read`: threadsHeard).
 */

import { useSignal } from "@preact/signals";
import type { JSX } from "preact";
import { useEffect, useRef } from "preact/hooks";
import { type AppServices, useApp } from "../app_context.ts";
import { Dialog } from "../components/Dialog.tsx";
import type { ThreadEntry } from "../connection/replies.ts";
import { formatDateTime, senderLabel } from "../format.ts";
import { t, tn } from "../i18n.ts";
import { plainText } from "../markup.ts";
import * as teamActions from "./actions.ts";
import { jumpTo, messagePlace, type Place, placeKey } from "./api.ts";
import { ThreadsIcon } from "./icons.tsx";
import { usePagedList } from "./listed_messages.tsx";

/** Threads the panel lists a click: the server's largest page. */
const PANEL_PAGE = 100;

/** The threads the button's count looks at: the newest, as a panel would. */
const BADGE_PAGE = 30;

/**
 * At most one read of the button's count this often: `list_threads` is in
 * the `search` bucket (burst 20, then 2 a second), which a busy thread's
 * replies must not drain; a change heard meanwhile is read at its end.
 */
const BADGE_EVERY_MS = 5_000;

/**
 * How many of the account's newest threads have replies it has not read
 * (`list_threads`' `unread`; BADGE_PAGE at most), null until read: read
 * at once, again after a session resumes, and when a thread may have
 * changed (threadsHeard: a reply, a read on this device or another).
 */
function useUnreadThreads(): number | null {
  const { state, connection } = useApp();
  const unread = useSignal<number | null>(null);
  const last = useRef(0);
  const heard = state.team.threadsHeard.value;
  const resuming = state.resuming.value;
  useEffect(() => {
    if (resuming) return;
    let live = true;
    const read = async () => {
      last.current = Date.now();
      const result = await connection.request("list_threads", {
        limit: BADGE_PAGE,
      });
      if (live && result.ok) {
        unread.value = result.data.threads.filter((x) => x.unread).length;
      }
    };
    const wait = last.current + BADGE_EVERY_MS - Date.now();
    const timer = setTimeout(() => void read(), Math.max(0, wait));
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [heard, resuming]);
  return unread.value;
}

/**
 * The header's button that opens the threads panel, with the count of the
 * threads with replies the account has not read (Slack's Threads badge).
 */
export function ThreadsOpenButton(): JSX.Element {
  const { state } = useApp();
  const unread = useUnreadThreads();
  const label = unread ? tn("threads.openUnread", unread) : t("threads.open");
  return (
    <button
      type="button"
      class="icon-button threads-open"
      data-testid="threads-open"
      aria-label={label}
      title={label}
      aria-haspopup="dialog"
      onClick={() => teamActions.threadsToggled(state, true)}
    >
      <ThreadsIcon />
      {unread
        ? (
          <span
            class="unread-badge threads-badge"
            data-testid="threads-unread"
            aria-hidden="true"
          >
            {unread === BADGE_PAGE ? `${unread}+` : unread}
          </span>
        )
        : null}
    </button>
  );
}

/** The room's name, or the other side's of a conversation. */
function placeName(place: Place): string {
  return "room" in place ? place.room : place.with;
}

/** Opens the thread's place at its root, then its thread panel. */
async function openThread(
  services: AppServices,
  root: ThreadEntry["root"],
): Promise<void> {
  const { state } = services;
  teamActions.threadsToggled(state, false);
  const place = messagePlace(root, state.username.value);
  // The panel's composer answers in the place on screen: that place first.
  const error = await jumpTo(services, place, root.seq);
  if (error) return;
  teamActions.threadToggled(state, { key: placeKey(place), id: root.id });
}

/** The threads panel. */
export function ThreadsPanel(): JSX.Element {
  const services = useApp();
  const { state } = services;
  // The first page, and again when a thread may have changed.
  const paged = usePagedList<ThreadEntry>(async (before) => {
    const result = await services.connection.request("list_threads", {
      limit: PANEL_PAGE,
      ...(before === null ? {} : { before }),
    });
    if (!result.ok) return result;
    const { threads, next } = result.data;
    return { ok: true, data: { items: threads, next } };
  }, state.team.threadsHeard.value);
  const { list, next, error } = paged;
  const shown = list.value ?? [];
  return (
    <Dialog
      title={t("threads.panel")}
      testId="threads-panel"
      size="wide"
      onClose={() => teamActions.threadsToggled(state, false)}
    >
      {error.value && <p class="field-error" role="alert">{error.value}</p>}
      {list.value === null
        ? !error.value &&
          <p class="search-status" role="status">{t("pin.loading")}</p>
        : shown.length === 0 && next.value === null
        ? <p class="search-status" role="status">{t("threads.none")}</p>
        : (
          <ul class="search-results" data-testid="threads-list">
            {shown.map(({ root, replies, last_reply_ts, unread }) => (
              <li key={root.id}>
                <button
                  type="button"
                  class={`search-result${unread ? " unread" : ""}`}
                  data-testid="threads-item"
                  data-unread={unread ? "true" : "false"}
                  onClick={() =>
                    void openThread(services, root)}
                >
                  <span class="result-meta">
                    <span class="result-user">
                      {senderLabel(root.user, root.badge)}
                    </span>
                    <span class="result-where">
                      {placeName(messagePlace(root, state.username.value))}
                    </span>
                    <time dateTime={last_reply_ts}>
                      {formatDateTime(last_reply_ts)}
                    </time>
                  </span>
                  <span class="result-text">
                    {root.deleted
                      ? t("reply.deleted")
                      : root.text !== ""
                      ? plainText(root.text)
                      : tn("reply.files", root.attachments?.length ?? 0)}
                  </span>
                  <span class="threads-count" data-testid="threads-count">
                    {tn("thread.count", replies)}
                    {unread && (
                      <strong class="threads-unread">
                        {" · "}
                        {t("threads.unread")}
                      </strong>
                    )}
                  </span>
                </button>
              </li>
            ))}
          </ul>
        )}
      {next.value !== null && (
        <button
          type="button"
          class="button ghost search-more"
          data-testid="threads-more"
          disabled={paged.busy.value}
          onClick={paged.more}
        >
          {t("threads.more")}
        </button>
      )}
    </Dialog>
  );
}
