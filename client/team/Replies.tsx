/**
 * Replies: the quote above a reply (a click jumps to the original, loading
 * it when the log does not hold it), the "reply" action, and the bar over
 * the composer naming the message being answered.
 */

import type { JSX } from "preact";
import type { ChatMessage, ReplyQuote } from "../../server/protocol/types.ts";
import { useApp } from "../app_context.ts";
import { t, tn } from "../i18n.ts";
import { CloseIcon } from "../components/Icons.tsx";
import { SenderBadge } from "../components/SenderBadge.tsx";
import { plainText } from "../markup.ts";
import * as teamActions from "./actions.ts";
import { jumpTo, shownPlace } from "./api.ts";
import { ReplyIcon } from "./icons.tsx";
import { entry } from "../state.ts";

/** The quote of the message a reply answers, as plain text. */
export function QuoteLine(
  props: { quote: ReplyQuote; pending?: boolean },
): JSX.Element {
  const services = useApp();
  const { quote } = props;
  // A quote carries no attachments: an original with no text had files.
  const text = quote.deleted
    ? t("reply.deleted")
    : quote.text === ""
    ? t("reply.fileOnly")
    : plainText(quote.text);
  return (
    <button
      type="button"
      class={`reply-quote${quote.deleted ? " gone" : ""}`}
      data-testid="reply-quote"
      data-deleted={quote.deleted ? "true" : undefined}
      disabled={props.pending}
      onClick={() =>
        void jumpTo(services, shownPlace(services.state), quote.seq)}
    >
      {
        /* Named by what it shows, after what it does: a name of its own
          that left out the words on screen was one a voice user could not
          say ("click guide welcome") and axe's label-in-name refused. The
          spaces read between the parts; a flex row draws none. */
      }
      <span class="sr-only">{t("reply.jump")}</span> <ReplyIcon />
      <span class="reply-user">{quote.user}</span>{" "}
      <SenderBadge badge={quote.badge} /> <span class="reply-text">{text}</span>
    </button>
  );
}

/** The "reply" action of a message: the composer then answers it. */
export function ReplyButton(props: { message: ChatMessage }): JSX.Element {
  const { state } = useApp();
  return (
    <button
      type="button"
      class="msg-action"
      data-testid="message-reply"
      aria-label={t("reply.label")}
      title={t("reply.action")}
      onClick={() => {
        teamActions.replyChosen(state, state.viewKey.value, props.message);
        document.querySelector<HTMLElement>('[data-testid="composer"]')
          ?.focus();
      }}
    >
      <ReplyIcon />
    </button>
  );
}

/** Over the composer: the message being answered, with a way to stop. */
export function ReplyBar(): JSX.Element | null {
  const { state } = useApp();
  const key = state.viewKey.value;
  const message = entry(state.team.replyTo.value, key);
  if (!message) return null;
  const text = message.text !== ""
    ? plainText(message.text)
    : tn("reply.files", message.attachments?.length ?? 0);
  return (
    <div class="reply-bar" data-testid="reply-bar">
      <ReplyIcon />
      <span class="reply-bar-text">
        <span class="reply-bar-label">
          {t("reply.to", { user: message.user })}{" "}
          <SenderBadge badge={message.badge} />
        </span>
        <span class="reply-text">{text}</span>
      </span>
      <button
        type="button"
        class="icon-button"
        data-testid="reply-cancel"
        aria-label={t("reply.cancel")}
        title={t("reply.cancel")}
        onClick={() => {
          teamActions.replyChosen(state, key, null);
          document.querySelector<HTMLElement>('[data-testid="composer"]')
            ?.focus();
        }}
      >
        <CloseIcon />
      </button>
    </div>
  );
}
