/**
 * BOT or HOOK beside a sender's name, wherever a message's author is drawn
 * (its header, a reply's quote of it): a hook may post under anyone's name,
 * and only the badge tells it apart.
 */

import type { JSX } from "preact";
import type { MessageBadge } from "../../server/protocol/types.ts";
import { badgeText } from "../format.ts";

/** Props of {@linkcode SenderBadge}. */
export interface SenderBadgeProps {
  /** The message's (or the quoted message's) badge; people have none. */
  badge?: MessageBadge;
}

/** The badge of a bot's or a hook's message; nothing for a person's. */
export function SenderBadge({ badge }: SenderBadgeProps): JSX.Element | null {
  if (badge === undefined) return null;
  return (
    <span class="sender-badge" data-testid="sender-badge">
      {badgeText(badge)}
    </span>
  );
}
