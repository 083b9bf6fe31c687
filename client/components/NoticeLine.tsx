/** A line that is not a chat message: a system event, a local info line or an error. */

import type { JSX } from "preact";
import { formatDateTime, formatTime } from "../format.ts";
import type { Notice } from "../room_log.ts";
import { noticeText } from "../system_text.ts";
import { InviteOffer } from "./InviteOffer.tsx";

/** Props of {@linkcode NoticeLine}. */
export interface NoticeLineProps {
  /** What to show. */
  notice: Notice;
}

/** A system, info, warning or error line. */
export function NoticeLine({ notice }: NoticeLineProps): JSX.Element {
  const error = notice.kind === "error";
  return (
    <div
      class={`notice ${notice.kind}`}
      data-testid={error ? "error-line" : "system-line"}
      data-key={notice.key}
      role={error ? "alert" : undefined}
    >
      <time
        class="notice-time"
        dateTime={notice.ts}
        title={formatDateTime(notice.ts)}
      >
        {formatTime(notice.ts)}
      </time>
      <span class="notice-text">
        {noticeText(notice)}
        {notice.invite && (
          <InviteOffer offer={notice.invite} noticeKey={notice.key} />
        )}
      </span>
    </div>
  );
}
