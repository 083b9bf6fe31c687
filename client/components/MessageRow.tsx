/** One chat message: avatar, name, time, text; greyed while pending, marked when failed. */

import type { JSX } from "preact";
import * as actions from "../actions.ts";
import { useApp } from "../app_context.ts";
import { colourClass, formatDateTime, formatTime } from "../format.ts";
import type { PendingMessage } from "../room_log.ts";
import { Avatar } from "./Avatar.tsx";

/** Props of {@linkcode MessageRow}. */
export interface MessageRowProps {
  /** The author. */
  user: string;
  /** The text, rendered as text. */
  text: string;
  /** When it was posted, ISO-8601. */
  ts: string;
  /** The server's seq; absent while pending. */
  seq?: number;
  /** Whether this user wrote it. */
  own: boolean;
  /** Whether it continues the previous message's group (no header). */
  grouped: boolean;
  /** Set while the server has not confirmed it. */
  pending?: PendingMessage;
  /** Sends a failed message again. */
  onRetry?: () => void;
}

/** A message row. */
export function MessageRow(props: MessageRowProps): JSX.Element {
  const { user, text, ts, seq, own, grouped, pending } = props;
  const failed = pending?.status === "failed";
  const classes = ["msg"];
  if (own) classes.push("own");
  if (grouped) classes.push("grouped");
  if (pending) classes.push(failed ? "failed" : "pending");
  return (
    <div
      class={classes.join(" ")}
      data-testid="message"
      data-user={user}
      data-seq={seq}
      data-pending={pending && !failed ? "true" : undefined}
      data-failed={failed ? "true" : undefined}
    >
      <div class="msg-gutter">
        {grouped
          ? (
            <time
              class="msg-time-hover"
              dateTime={ts}
              title={formatDateTime(ts)}
            >
              {formatTime(ts)}
            </time>
          )
          : <Avatar name={user} />}
      </div>
      <div class="msg-body">
        {!grouped && (
          <div class="msg-meta">
            <span class={`msg-user ${colourClass(user)}`}>{user}</span>
            {own && <span class="msg-you">you</span>}
            <time class="msg-time" dateTime={ts} title={formatDateTime(ts)}>
              {formatTime(ts)}
            </time>
          </div>
        )}
        <div class="msg-text">{text}</div>
        {pending && failed && (
          <FailedNote pending={pending} onRetry={props.onRetry} />
        )}
      </div>
    </div>
  );
}

function FailedNote(
  props: { pending: PendingMessage; onRetry?: () => void },
): JSX.Element {
  const { state } = useApp();
  const { pending } = props;
  return (
    <div class="msg-failed" role="alert" data-testid="message-error">
      <span>Not sent: {pending.error ?? "unknown error"}</span>
      {props.onRetry && (
        <button
          type="button"
          class="link-button"
          aria-label="Retry sending"
          onClick={props.onRetry}
        >
          Retry
        </button>
      )}
      <button
        type="button"
        class="link-button"
        aria-label="Dismiss failed message"
        onClick={() => actions.pendingRemoved(state, pending)}
      >
        Dismiss
      </button>
    </div>
  );
}
