/**
 * What the search box's text asks, Slack's way: words, and modifiers
 * that become the `search` action's filters (docs/protocol.md, "Search").
 * The modifiers are English in every language, as Slack's are:
 *
 * - `from:@alice` (or `from:alice`): what alice wrote;
 * - `in:#general` (or `in:general`) a room, `in:@bob` the conversation
 *   with bob;
 * - `has:file`, `has:image`, `has:link`, `has:reaction`;
 * - `after:2026-01-01` and `before:2026-02-01` leave that day out, as
 *   Slack's and Mattermost's do; `on:2026-01-15` is that day alone.
 *
 * A modifier with a value it cannot take (`has:gif`, `after:monday`,
 * `on:2026-02-30`, `after:9999-12-31`) stays words, as Slack leaves it.
 */

import { type Completion, completionAt } from "../completion.ts";

/** The `search` fields the box's text asks for (no `before` or `limit`). */
export interface SearchAsk {
  /** The words, modifiers taken out, as typed (spaces between them). */
  query: string;
  from?: string;
  room?: string;
  with?: string;
  has?: (typeof HAS)[number][];
  after?: string;
  until?: string;
}

const DAY_MS = 86_400_000;
const HAS = ["file", "image", "link", "reaction"] as const;
const MODIFIER = /^(from|in|has|after|before|on):(.+)$/i;

// `YYYY-MM-DD` of a day of the calendar, as milliseconds at its start in
// UTC; undefined for anything else.
function dayAt(text: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return undefined;
  const ms = Date.parse(`${text}T00:00:00Z`);
  if (Number.isNaN(ms)) return undefined;
  return new Date(ms).toISOString().startsWith(text) ? ms : undefined;
}

// `YYYY-MM-DD` of the day at `ms`; undefined past the years of four
// digits (the day after 9999-12-31, the day before 0000-01-01), which the
// server's dates cannot name.
function dayOf(ms: number): string | undefined {
  const day = new Date(ms).toISOString().slice(0, 10);
  return /^\d{4}-/.test(day) ? day : undefined;
}

/** Reads the search box's text: its words and its modifiers. */
export function parseSearch(text: string): SearchAsk {
  const ask: SearchAsk = { query: "" };
  const words: string[] = [];
  for (const token of text.split(/\s+/)) {
    if (token === "") continue;
    const match = MODIFIER.exec(token);
    if (!match || !take(ask, match[1].toLowerCase(), match[2])) {
      words.push(token);
    }
  }
  ask.query = words.join(" ");
  return ask;
}

// Puts one modifier in `ask`; false when its value is not one it takes.
function take(ask: SearchAsk, name: string, value: string): boolean {
  switch (name) {
    case "from": {
      const who = value.replace(/^@/, "");
      if (who === "") return false;
      ask.from = who;
      return true;
    }
    case "in": {
      if (value.startsWith("@")) {
        if (value.length === 1) return false;
        ask.with = value.slice(1);
        delete ask.room;
      } else {
        const room = value.replace(/^#/, "");
        if (room === "") return false;
        ask.room = room;
        delete ask.with;
      }
      return true;
    }
    case "has": {
      const has = value.toLowerCase();
      if (!(HAS as readonly string[]).includes(has)) return false;
      const kind = has as typeof HAS[number];
      ask.has = [...new Set([...(ask.has ?? []), kind])];
      return true;
    }
    default: {
      const ms = dayAt(value);
      if (ms === undefined) return false;
      const day = dayOf(
        name === "after" ? ms + DAY_MS : name === "before" ? ms - DAY_MS : ms,
      );
      if (day === undefined) return false;
      if (name === "after") ask.after = day;
      else if (name === "before") ask.until = day;
      else ask.after = ask.until = day;
      return true;
    }
  }
}

/** Whether the box asks anything of the server: words or a filter. */
export function asksAnything(ask: SearchAsk): boolean {
  return ask.query.trim() !== "" || ask.from !== undefined ||
    ask.has !== undefined || ask.after !== undefined ||
    ask.until !== undefined;
}

/**
 * The name being typed at `caret` after `from:@` or `in:@` (a person) or
 * `in:#` (a room), for the box's completion (client/completion.ts);
 * null elsewhere: an `@` or `#` among the words is a word.
 */
export function modifierCompletion(
  text: string,
  caret: number,
): Completion | null {
  const typed = completionAt(text, caret);
  if (typed === null || typed.kind === "emoji") return null;
  const before = text.slice(0, typed.start).toLowerCase();
  const at = before.length;
  const modifier = /(^|\s)(from|in):$/.exec(before);
  if (modifier === null || modifier.index + modifier[0].length !== at) {
    return null;
  }
  return typed.kind === "room" && modifier[2] === "from" ? null : typed;
}
