/**
 * The server's custom emoji as this page knows them: listed at each login
 * and resume (`list_emoji`), then kept in step by `emoji_updated` events.
 */

import type { CustomEmoji, EmojiEvent } from "../../server/protocol/types.ts";
import { type AppState, put } from "../state.ts";

/** Records every custom emoji, as `list_emoji` answered. */
export function customEmojiListed(
  state: AppState,
  emoji: readonly CustomEmoji[],
): void {
  state.customEmoji.value = Object.fromEntries(
    emoji.map((one) => [one.name, one]),
  );
}

/** Applies an `emoji_updated` event, or this page's own addition's reply. */
export function customEmojiUpdated(state: AppState, event: EmojiEvent): void {
  const next = { ...state.customEmoji.value };
  if (event.removed !== undefined) delete next[event.removed];
  // `__proto__` is a name an emoji may have: assigned, it set the list's
  // prototype, and the emoji never showed until the page was loaded again.
  if (event.added !== undefined) put(next, event.added.name, event.added);
  state.customEmoji.value = next;
}
