/** The scrolling list of the current room's lines; sticks to the bottom while the user is there. */

import type { JSX } from "preact";
import { useLayoutEffect, useRef } from "preact/hooks";
import { useApp } from "../app_context.ts";
import { Avatar } from "./Avatar.tsx";
import { MessageRow } from "./MessageRow.tsx";
import { NoticeLine } from "./NoticeLine.tsx";

/** How close to the bottom (px) still counts as "at the bottom". */
const STICK_SLACK = 48;

/** The message list of the current room. */
export function MessageList(): JSX.Element {
  const { state, connection } = useApp();
  const ref = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const lastKey = useRef<string | undefined>(undefined);
  const shown = state.view.value;
  const room = state.viewKey.value;
  const title = shown.kind === "dm"
    ? `@${shown.with}`
    : `#${state.currentRoom.value}`;
  const lines = state.lines.value;
  const first = state.currentLog.value?.messages[0];
  const atStart = first === undefined || first.seq === 1;

  useLayoutEffect(() => {
    atBottom.current = true;
  }, [room]);

  useLayoutEffect(() => {
    const el = ref.current;
    const last = lines.at(-1);
    // The user's own new message always brings the view down to it.
    const ownNew = last?.kind === "pending" && last.key !== lastKey.current;
    lastKey.current = last?.key;
    if (el && (atBottom.current || ownNew)) {
      el.scrollTop = el.scrollHeight;
      atBottom.current = true;
    }
  }, [lines, room]);

  function onScroll(): void {
    const el = ref.current;
    if (el) {
      atBottom.current =
        el.scrollHeight - el.scrollTop - el.clientHeight < STICK_SLACK;
    }
  }

  return (
    <div
      ref={ref}
      class="messages"
      data-testid="message-list"
      role="log"
      aria-live="polite"
      aria-label={`Messages in ${title}`}
      tabIndex={0}
      onScroll={onScroll}
    >
      {atStart && shown.kind === "room" && (
        <div class="room-intro">
          <div class="room-intro-mark" aria-hidden="true">#</div>
          <h2>Welcome to {title}</h2>
          <p>This is the start of the room.</p>
        </div>
      )}
      {atStart && shown.kind === "dm" && (
        <div class="room-intro">
          <Avatar name={shown.with} />
          <h2>{shown.with}</h2>
          <p>
            This is the start of your private conversation with{" "}
            {title}. Only the two of you can read it.
          </p>
        </div>
      )}
      {lines.map((line) => {
        switch (line.kind) {
          case "notice":
            return <NoticeLine key={line.key} notice={line.notice} />;
          case "message":
            return (
              <MessageRow
                key={line.key}
                user={line.message.user}
                text={line.message.text}
                ts={line.message.ts}
                seq={line.message.seq}
                own={line.own}
                grouped={line.grouped}
              />
            );
          case "pending":
            return (
              <MessageRow
                key={line.key}
                user={line.pending.user}
                text={line.pending.text}
                ts={line.pending.ts}
                own
                grouped={line.grouped}
                pending={line.pending}
                onRetry={() => connection.retryMessage(line.pending)}
              />
            );
        }
      })}
    </div>
  );
}
