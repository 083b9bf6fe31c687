import { mentionedNames } from "../client/markup.ts";
import { nameKey } from "./protocol/names.ts";

/** Most names one message can mention: a flood of @s costs bounded rows. */
const MAX_MENTIONS = 50;

/**
 * The name keys a message @mentions, by the web client's own rule
 * (client/markup.ts: outside code, after a non-name character), folded
 * as names are, without the author and without repeats. The stores keep
 * them so unread mention counts need no text scan.
 */
export function mentionKeys(text: string, authorKey: string): string[] {
  // Most messages mention nobody: no parse for them.
  if (!text.includes("@")) return [];
  const keys = new Set<string>();
  for (const name of mentionedNames(text)) {
    const key = nameKey(name);
    if (key !== authorKey) keys.add(key);
    if (keys.size >= MAX_MENTIONS) break;
  }
  return [...keys];
}
