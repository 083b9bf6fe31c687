import { mentionedNames } from "../client/markup.ts";
import { nameKey } from "./protocol/names.ts";

/** Most names one message can mention: a flood of @s costs bounded rows. */
export const MAX_MENTIONS = 50;

/**
 * The name keys a message @mentions, by the web client's own rule
 * (client/markup.ts: outside code, after a non-name character), folded
 * as names are, without the author and without repeats. The stores keep
 * them so unread mention counts need no text scan.
 */
export function mentionKeys(text: string, authorKey: string): string[] {
  return firstKeys(text, authorKey, MAX_MENTIONS);
}

/**
 * For a store that learns the author only inside its statement (an edit
 * on PostgreSQL): the first MAX_MENTIONS + 1 different keys in order, the
 * author's maybe among them. Without the author's, the first MAX_MENTIONS
 * of them are {@linkcode mentionKeys}: the author's name never takes a
 * place in the cap. One key more to send is what that costs.
 */
export function mentionCandidates(text: string): string[] {
  return firstKeys(text, undefined, MAX_MENTIONS + 1);
}

function firstKeys(
  text: string,
  authorKey: string | undefined,
  max: number,
): string[] {
  // Most messages mention nobody: no parse for them.
  if (!text.includes("@")) return [];
  const keys = new Set<string>();
  for (const name of mentionedNames(text)) {
    const key = nameKey(name);
    if (key !== authorKey) keys.add(key);
    if (keys.size >= max) break;
  }
  return [...keys];
}
