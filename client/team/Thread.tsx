/**
 * Threads (Slack's, Mattermost's): "N replies" under a message that has
 * replies opens the thread panel, which lists the message and its replies
 * from the server (`list_replies`, a page at a time) and has a composer
 * that answers the message. The count under the message follows the
 * server's `replies_updated`; the panel reads its page again when it
 * changes, so a reply from anyone shows there live, whether or not the
 * message is among the loaded ones.
 */

import { useSignal } from "@preact/signals";
import type { JSX } from "preact";
import { useEffect } from "preact/hooks";
import type {
  ChatMessage,
  PrivateMessage,
} from "../../server/protocol/types.ts";
import { useApp } from "../app_context.ts";
import { Dialog } from "../components/Dialog.tsx";
import { formatDateTime, senderLabel } from "../format.ts";
import { t, tn } from "../i18n.ts";
import { plainText } from "../markup.ts";
import { ArchivedBar } from "../components/ArchivedBar.tsx";
import { PostingBar } from "../components/PostingBar.tsx";
import { composerBar, entry } from "../state.ts";
import { isLaterThread } from "../thread_count.ts";
import * as teamActions from "./actions.ts";
import { shownPlace } from "./api.ts";

/** Replies the panel asks for at once: a page of `list_replies`. */
const PANEL_PAGE = 50;

type Shown = ChatMessage | PrivateMessage;

/** "N replies" under a message with replies; opens its thread. */
export function ThreadLink(
  props: { message: ChatMessage; logKey: string },
): JSX.Element | null {
  const { state } = useApp();
  const count = props.message.reply_count ?? 0;
  if (count === 0) return null;
  return (
    <button
      type="button"
      class="thread-link"
      data-testid="thread-open"
      aria-haspopup="dialog"
      onClick={() =>
        teamActions.threadToggled(state, {
          key: props.logKey,
          id: props.message.id,
        })}
    >
      {
        /* The words on screen begin its name (a name of its own read "1
          replies" and left out "1 reply", which a voice user says). */
      }
      {tn("thread.count", count)}
      <span class="sr-only">({t("thread.open")})</span>
    </button>
  );
}

/** One message of the panel: who, when, the text. */
function ThreadEntry(props: { message: Shown; root?: boolean }): JSX.Element {
  const { message } = props;
  return (
    <li
      class={props.root ? "thread-root" : "thread-reply"}
      data-testid={props.root ? "thread-root" : "thread-reply"}
    >
      <span class="result-meta">
        <span class="result-user">
          {senderLabel(message.user, message.badge)}
        </span>
        <time dateTime={message.ts}>{formatDateTime(message.ts)}</time>
      </span>
      <span class="result-text" data-testid="thread-text">
        {message.deleted
          ? t("reply.deleted")
          : message.text !== ""
          ? plainText(message.text)
          : tn("reply.files", message.attachments?.length ?? 0)}
      </span>
    </li>
  );
}

/** The open thread: its root, its replies oldest first, and a composer. */
export function ThreadPanel(
  props: { logKey: string; id: string },
): JSX.Element {
  const services = useApp();
  const { state, connection } = services;
  const root = useSignal<Shown | null>(null);
  const replies = useSignal<Shown[]>([]);
  const more = useSignal(false);
  const error = useSignal<string | null>(null);
  const draft = useSignal("");
  // The copy the log holds, whose count replies_updated keeps live, and
  // the count replies_updated told the panel itself: the root may be held
  // by no log (scrolled out of the loaded messages), and the panel follows
  // its thread all the same. The later of the two is shown.
  const held = entry(state.logs.value, props.logKey)?.messages.find((m) =>
    m.id === props.id
  );
  const heard = state.team.threadCount.value;
  const thread =
    heard !== null && (held === undefined || isLaterThread(held, heard))
      ? heard
      : held;
  // A room that takes no reply from this account (archived, or an
  // announcement room it does not manage) shows the main composer's bar
  // in place of the reply box: a send there was refused.
  const shown = shownPlace(state);
  const bar = "room" in shown ? composerBar(state, shown.room) : null;
  const count = thread?.reply_count ?? 0;
  const newest = thread?.last_reply_seq ?? 0;
  const version = thread?.thread_version ?? 0;

  async function load(after?: number): Promise<void> {
    const result = await connection.request("list_replies", {
      id: props.id,
      limit: PANEL_PAGE,
      ...(after === undefined ? {} : { after_seq: after }),
    });
    if (!result.ok) {
      error.value = result.error.message;
      return;
    }
    error.value = null;
    root.value = result.data.root;
    // Shown: read up to its newest reply, on every device of the account
    // (its threads panel stops marking it). Nothing to mark for a guest.
    if (after === undefined && state.account.value) {
      void connection.request("mark_thread_read", { id: props.id }).then(
        // Its other devices hear `thread_read`; this one counts again.
        (marked) => {
          if (marked.ok) teamActions.threadsChanged(state);
        },
      );
    }
    replies.value = after === undefined
      ? result.data.replies
      : [...replies.value, ...result.data.replies];
    more.value = result.data.more;
  }

  // Read again from the start when the thread changed (a reply came or
  // went); a page loaded further keeps its place once more is asked.
  useEffect(() => {
    void load();
  }, [props.id, count, newest, version]);

  function send(event: Event): void {
    event.preventDefault();
    const text = draft.value.trim();
    const answered = held ?? root.value;
    if (text === "" || !answered) return;
    const place = shownPlace(state);
    // The outbox sends it as the composer's reply: pending in the log,
    // retried with its client_id, errors shown there.
    teamActions.replyChosen(state, props.logKey, answered as ChatMessage);
    if ("with" in place) connection.sendPrivate(place.with, text);
    else connection.sendMessage(text);
    draft.value = "";
  }

  return (
    <Dialog
      title={t("thread.panel")}
      testId="thread-panel"
      size="wide"
      onClose={() => teamActions.threadToggled(state, null)}
    >
      {error.value && <p class="field-error" role="alert">{error.value}</p>}
      {root.value === null
        ? <p class="search-status" role="status">{t("pin.loading")}</p>
        : (
          <ul class="search-results thread-list" data-testid="thread-list">
            <ThreadEntry message={root.value} root />
            {replies.value.map((reply) => (
              <ThreadEntry key={reply.id} message={reply} />
            ))}
          </ul>
        )}
      {root.value !== null && replies.value.length === 0 && (
        <p class="search-status" role="status">{t("thread.none")}</p>
      )}
      {more.value && (
        <button
          type="button"
          class="link-button"
          data-testid="thread-more"
          onClick={() => void load(replies.value.at(-1)?.seq)}
        >
          {t("thread.more")}
        </button>
      )}
      {bar === "archived" && "room" in shown && (
        <ArchivedBar room={shown.room} />
      )}
      {bar === "posting" && <PostingBar />}
      {bar === null && (
        <form class="thread-composer" onSubmit={send}>
          <textarea
            class="field"
            data-testid="thread-input"
            // The reader opened the thread to answer it: the focus starts in
            // the reply box, as in Slack, where there is a mouse (a phone
            // would open its keyboard over the replies; there the dialog's
            // first control, its close button, takes it).
            data-autofocus={matchMedia("(hover: hover)").matches || undefined}
            aria-label={t("thread.placeholder")}
            placeholder={t("thread.placeholder")}
            rows={2}
            value={draft.value}
            onInput={(e) =>
              draft.value = (e.target as HTMLTextAreaElement).value}
            onKeyDown={(e) => {
              if (e.key === "Enter" && !e.shiftKey) send(e);
            }}
          />
          <button
            type="submit"
            class="button primary small"
            data-testid="thread-send"
          >
            {t("thread.send")}
          </button>
        </form>
      )}
    </Dialog>
  );
}
