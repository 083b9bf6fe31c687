/**
 * What the composer completes at the caret, as Slack and Zulip do: "@na"
 * a person (client/mention_query.ts), "#de" a room, ":thu" an emoji by
 * its shortcode. Each starts where a word may start, never inside one
 * (`bob@example`, `issue#4`, `12:30`), and is replaced whole by the pick.
 */

import { mentionAt } from "./mention_query.ts";

/** Who or what is being typed: a person, a room, an emoji. */
export type CompletionKind = "mention" | "room" | "emoji";

/** A completion being typed: its kind, where its sign is, what follows it. */
export interface Completion {
  kind: CompletionKind;
  /** The index of the "@", "#" or ":". */
  start: number;
  /** The characters typed after it, up to the caret. */
  query: string;
}

/** The sign that starts each kind. */
export const SIGNS: Readonly<Record<CompletionKind, string>> = {
  mention: "@",
  room: "#",
  emoji: ":",
};

// A room name holds what a user name holds (server/protocol/names.ts); a
// shortcode letters, digits, "_", "+" and "-" (`:+1:`, `:t-rex:`).
const ROOM_PARTIAL = /^[\p{L}\p{N}_.-]*$/u;
const EMOJI_PARTIAL = /^[\p{L}\p{N}_+-]{2,}$/u;
const WORD = /[\p{L}\p{N}_]/u;

/** The letters typed before the list of emoji shows: ":)" and "a:b" stay quiet. */
export const EMOJI_MIN_QUERY = 2;

/** The completion being typed at `caret`, if the caret ends one. */
export function completionAt(text: string, caret: number): Completion | null {
  const mention = mentionAt(text, caret);
  if (mention) return { kind: "mention", ...mention };
  const head = text.slice(0, caret);
  const room = signAt(head, "#", ROOM_PARTIAL);
  // "/join dev" and other commands take bare names, as for mentions.
  if (room && !text.trimStart().startsWith("/")) return room;
  // Emoji are words, in "/me waves :wave" too.
  return signAt(head, ":", EMOJI_PARTIAL);
}

function signAt(
  head: string,
  sign: string,
  partial: RegExp,
): Completion | null {
  const start = head.lastIndexOf(sign);
  if (start < 0) return null;
  const query = head.slice(start + 1);
  if (!partial.test(query)) return null;
  const before = head[start - 1];
  if (before !== undefined && (WORD.test(before) || before === sign)) {
    return null;
  }
  return { kind: sign === "#" ? "room" : "emoji", start, query };
}

/**
 * The text with the completion replaced by `inserted` and a space (unless
 * one follows already), and where the caret goes: after that space.
 */
export function completeWith(
  text: string,
  completion: Completion,
  inserted: string,
): { text: string; caret: number } {
  const end = completion.start + 1 + completion.query.length;
  const rest = text.slice(end);
  const spaced = rest.startsWith(" ") ? inserted : `${inserted} `;
  return {
    text: text.slice(0, completion.start) + spaced + rest,
    caret: completion.start + inserted.length + 1,
  };
}
