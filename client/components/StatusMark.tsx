/** A custom status beside a name (set_status): its emoji, then its text. */

import type { JSX } from "preact";
import type { Status } from "../../server/protocol/types.ts";
import { statusLine } from "../status.ts";

/** The status on one line, cut with an ellipsis; the whole of it in its title. */
export function StatusMark({ status }: { status: Status }): JSX.Element {
  const line = statusLine(status);
  return (
    <span class="status-mark" data-testid="status-mark" title={line}>
      {status.emoji && <span class="status-emoji">{status.emoji}</span>}
      {status.text && <span class="status-text">{status.text}</span>}
    </span>
  );
}
