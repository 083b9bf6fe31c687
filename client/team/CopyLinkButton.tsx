/**
 * A message's "Copy link" action: an anchor whose address is the message's
 * link (client/message_link.ts), so "Copy link address" and a middle click
 * work as on any link; a click copies it instead and says so. Where the
 * clipboard is refused (an insecure origin), the click follows the link,
 * which opens the message and leaves its address in the address bar.
 */

import { useSignal } from "@preact/signals";
import type { JSX } from "preact";
import type {
  ChatMessage,
  PrivateMessage,
} from "../../server/protocol/types.ts";
import { t } from "../i18n.ts";
import { messageLink, type MessageRoute } from "../message_link.ts";
import { LinkIcon } from "./icons.tsx";

/** The link route of a message: its room, or its conversation's two parties. */
export function routeOf(message: ChatMessage | PrivateMessage): MessageRoute {
  // A conversation's message has `to` (the log files it under a room key
  // of its own, "@name", which is no room).
  return "to" in message && typeof message.to === "string"
    ? { between: [message.user, message.to], seq: message.seq }
    : { room: (message as ChatMessage).room, seq: message.seq };
}

/** The "Copy link" action of a message. */
export function CopyLinkButton(
  props: { message: ChatMessage | PrivateMessage },
): JSX.Element {
  const copied = useSignal(false);
  const href = messageLink(location.origin, routeOf(props.message));
  return (
    <>
      <a
        class={`msg-action${copied.value ? " on" : ""}`}
        data-testid="message-copy-link"
        href={href}
        aria-label={copied.value ? t("link.copied") : t("link.copyLabel")}
        title={copied.value ? t("link.copied") : t("link.copy")}
        onMouseLeave={() => copied.value = false}
        onBlur={() => copied.value = false}
        onClick={async (event) => {
          if (!navigator.clipboard) return; // Follow the link.
          event.preventDefault();
          try {
            await navigator.clipboard.writeText(href);
            copied.value = true;
          } catch {
            location.href = href;
          }
        }}
      >
        <LinkIcon />
      </a>
      <span class="sr-only" role="status">
        {copied.value ? t("link.copied") : ""}
      </span>
    </>
  );
}
