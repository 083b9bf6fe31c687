/**
 * The light markdown of chat messages, as data: ```code blocks```, `code`,
 * **bold**, *italic*, ~~struck~~ (or Slack's ~struck~), lines quoted with
 * `>`, lists (`- `, `* `, `• `, `1. `, `1) `), http(s) links, @mentions and
 * #room references. The tokenizer returns
 * nodes that `RichText` turns into Preact elements; no user text ever goes
 * through innerHTML, and links are only ever http or https.
 */

import { EVERY_DISGUISING } from "../server/protocol/disguises.ts";
import { nameKey } from "../server/protocol/names.ts";
import { shownLink } from "./link_host.ts";

/** A run of text inside a paragraph. */
export type Inline =
  | { kind: "text"; text: string }
  | { kind: "bold"; children: Inline[] }
  | { kind: "italic"; children: Inline[] }
  | { kind: "strike"; children: Inline[] }
  | { kind: "code"; text: string }
  | { kind: "link"; href: string; text: string }
  | { kind: "mention"; name: string }
  | { kind: "room"; name: string };

/** A paragraph of inline runs, lines quoted with `>`, a list, or a code block. */
export type Block =
  | { kind: "paragraph"; children: Inline[] }
  | { kind: "quote"; children: Inline[] }
  | ListBlock
  | CodeBlock;

/** A fenced code block, with the language its fence names (```` ```ts ````), if any. */
export type CodeBlock = { kind: "codeblock"; text: string; language?: string };

/**
 * A run of list lines: bulleted, or numbered from `start` (the first line's
 * number, as Markdown keeps it: `3. ` then `4. ` is a list from 3).
 */
export type ListBlock =
  | { kind: "list"; ordered: false; items: ListItem[] }
  | { kind: "list"; ordered: true; start: number; items: ListItem[] };

/** One line of a list, and the lines indented under it (one level deep). */
export interface ListItem {
  /** The line's words after its marker. */
  children: Inline[];
  /** The lines indented under it, if any. */
  list?: ListBlock;
}

/** Longest run of nested bold and italic; deeper stars stay text. */
const MAX_DEPTH = 4;

// A fence's line may end as Windows ends it (\r\n): its language is read
// then too, and the \r is no code.
const CODE_BLOCK = /```(?:([\w+#.-]{1,20})\r?\n|\r?\n)?([\s\S]*?)```/g;

/**
 * One inline token, first match wins: a code span, a link, a mention, a
 * room, bold, italic, struck. Stars next to letters (`2*3*4`, `snake*case`)
 * are not emphasis, nor are tildes (`~/bin`, `a~b~c`, "~5 to ~10 min": a
 * tilde that opens is followed by a non-space, one that closes follows one,
 * as Slack and Markdown have it). A room is "#" and a name in the server's alphabet
 * (server/protocol/names.ts) where a word may start, as the composer
 * completes it (client/completion.ts): `a#b`, `C#` and `##x` are text, and
 * a "#" inside a URL or a code span goes with them. Dots that end it stay
 * in the token: a name may end with one ("#v2."), or the sentence does
 * ("see #dev."); {@linkcode roomWritten} tells which, by the rooms the
 * reader knows, as only the renderer can.
 */
const INLINE = new RegExp(
  [
    "`([^`\\n]+)`",
    '(https?:\\/\\/[^\\s<>"]+)',
    "(?<![\\p{L}\\p{N}_.@-])@([\\p{L}\\p{N}_-]+(?:\\.[\\p{L}\\p{N}_-]+)*)",
    "(?<![\\p{L}\\p{N}_.#&/-])#([\\p{L}\\p{N}_-]+(?:\\.[\\p{L}\\p{N}_-]+)*\\.*)",
    "(?<![\\p{L}\\p{N}*])\\*\\*(?=\\S)([\\s\\S]*?\\S)\\*\\*(?![\\p{L}\\p{N}])",
    "(?<![\\p{L}\\p{N}*])\\*(?=[^\\s*])([^*\\n]*?[^\\s*])\\*(?![\\p{L}\\p{N}*])",
    "(?<![\\p{L}\\p{N}~])~~(?=[^\\s~])([^~\\n]*?[^\\s~])~~(?![\\p{L}\\p{N}~])",
    "(?<![\\p{L}\\p{N}~/])~(?=[^\\s~/])([^~\\n]*?[^\\s~])~(?![\\p{L}\\p{N}~])",
  ].join("|"),
  "gu",
);

/**
 * Which room a `#name` token names, and the text after it: the whole name
 * when `known` has it, else the name without its trailing dots, one at a
 * time ("#dev." is #dev and a full stop, "#v2." the room `v2.` when there
 * is one); null when no room of either name is known.
 */
export function roomWritten<T>(
  name: string,
  known: (name: string) => T | undefined,
): { room: T; written: string; rest: string } | null {
  for (let written = name;; written = written.slice(0, -1)) {
    const room = known(written);
    if (room !== undefined) {
      return { room, written, rest: name.slice(written.length) };
    }
    if (!written.endsWith(".") || written.length === 1) return null;
  }
}

/** Parsed texts kept for re-renders; the oldest go first past the limit. */
const cache = new Map<string, Block[]>();
const CACHE_SIZE = 2000;

/** Splits a message into paragraphs and code blocks (the result is shared: do not change it). */
export function parseMarkup(text: string): Block[] {
  let blocks = cache.get(text);
  if (blocks === undefined) {
    blocks = parseBlocks(text);
    if (cache.size >= CACHE_SIZE) {
      cache.delete(cache.keys().next().value!);
    }
    cache.set(text, blocks);
  }
  return blocks;
}

function parseBlocks(text: string): Block[] {
  const blocks: Block[] = [];
  let last = 0;
  for (const match of text.matchAll(CODE_BLOCK)) {
    const before = text.slice(last, match.index);
    if (before.trim() !== "") {
      blocks.push(...textBlocks(before.replace(/^\n|\n$/g, "")));
    }
    const [, language, written] = match;
    const code = written.replace(/\r?\n$/, "");
    if (code !== "") {
      blocks.push(
        language === undefined
          ? { kind: "codeblock", text: code }
          : { kind: "codeblock", text: code, language },
      );
    }
    last = match.index + match[0].length;
  }
  const rest = text.slice(last);
  if (rest.trim() !== "" || blocks.length === 0) {
    blocks.push(...textBlocks(last > 0 ? rest.replace(/^\n/, "") : rest));
  }
  return blocks;
}

/** Splits a paragraph into inline runs. */
export function parseInline(text: string, depth = 0): Inline[] {
  const out: Inline[] = [];
  const pattern = new RegExp(INLINE.source, INLINE.flags);
  let last = 0;
  let match: RegExpExecArray | null;
  while ((match = pattern.exec(text)) !== null) {
    const [whole, code, url, mention, room, bold, italic, struck, tilde] =
      match;
    let token: Inline | null = null;
    let end = match.index + whole.length;
    if (code !== undefined) {
      token = { kind: "code", text: code };
    } else if (url !== undefined) {
      const trimmed = trimUrl(url);
      const href = safeHref(trimmed);
      end = match.index + trimmed.length;
      // Shown without direction controls, which would turn part of it
      // around (the href has them percent-encoded): the text shows the
      // host the link goes to, in the order it is written; a host that
      // reads as another (Cyrillic `аррӏе.com`) in its ASCII form.
      token = href
        ? {
          kind: "link",
          href,
          text: shownLink(trimmed.replace(EVERY_DISGUISING, ""), href),
        }
        : null;
    } else if (mention !== undefined) {
      token = { kind: "mention", name: mention };
    } else if (room !== undefined) {
      token = { kind: "room", name: room };
    } else if (depth < MAX_DEPTH && bold !== undefined) {
      token = { kind: "bold", children: parseInline(bold, depth + 1) };
    } else if (depth < MAX_DEPTH && italic !== undefined) {
      token = { kind: "italic", children: parseInline(italic, depth + 1) };
    } else if (depth < MAX_DEPTH && (struck ?? tilde) !== undefined) {
      token = {
        kind: "strike",
        children: parseInline(struck ?? tilde, depth + 1),
      };
    }
    if (token === null) {
      // Not a token after all (a bad URL, too deep): keep it as text.
      pattern.lastIndex = match.index + 1;
      continue;
    }
    if (match.index > last) pushText(out, text.slice(last, match.index));
    out.push(token);
    last = end;
    pattern.lastIndex = end;
  }
  if (last < text.length) pushText(out, text.slice(last));
  return out;
}

/** The names a message mentions with @, outside code. */
export function mentionedNames(text: string): string[] {
  const names: string[] = [];
  function walk(nodes: Inline[]): void {
    for (const node of nodes) {
      if (node.kind === "mention") names.push(node.name);
      else if ("children" in node) walk(node.children);
    }
  }
  for (const block of parseMarkup(text)) {
    if (block.kind === "list") walk(listInlines(block));
    else if (block.kind !== "codeblock") walk(block.children);
  }
  return names;
}

/**
 * A message's words without their markup, as a one-line preview shows
 * them (a search result, a pin, a reply's quote, a notification, the
 * screen reader's announcement): `**bold**` reads "bold", a link its text,
 * a code block its code; paragraphs and blocks are joined by a space.
 */
export function plainText(text: string): string {
  function flat(nodes: Inline[]): string {
    return nodes.map((node) => {
      switch (node.kind) {
        case "bold":
        case "italic":
        case "strike":
          return flat(node.children);
        case "mention":
          return `@${node.name}`;
        case "room":
          return `#${node.name}`;
        default:
          return node.text;
      }
    }).join("");
  }
  return parseMarkup(text).map((block) =>
    block.kind === "codeblock"
      ? block.text
      : block.kind === "list"
      ? block.items.map(function item({ children, list }): string {
        const words = flat(children);
        return list === undefined
          ? words
          : [words, ...list.items.map(item)].join(" ");
      }).join(" ")
      : flat(block.children)
  ).join(" ");
}

/** Whether a message mentions this user (names compare by {@linkcode nameKey}, as on the server). */
export function mentions(text: string, me: string | null): boolean {
  if (me === null || !text.includes("@")) return false;
  const mine = nameKey(me);
  return mentionedNames(text).some((name) => nameKey(name) === mine);
}

/**
 * The URL as a link target if it is http or https, with no user name or
 * password before its host, else null. `https://accounts.google.com@evil.example/`
 * goes to evil.example, and the browser follows it without a word: it
 * stays text, for the reader to read.
 */
export function safeHref(raw: string): string | null {
  try {
    const url = new URL(raw);
    return (url.protocol === "http:" || url.protocol === "https:") &&
        url.username === "" && url.password === ""
      ? url.href
      : null;
  } catch {
    return null;
  }
}

function paragraph(text: string): Block {
  return { kind: "paragraph", children: parseInline(text) };
}

// A quoted line: ">" at its start, then a space or nothing (">_<" is text).
const QUOTED = /^>(?:[ \t]|$)/;

/**
 * Text outside code blocks as paragraphs, quotes and lists: each run of
 * lines that start with "> " is one quote (Slack's and Markdown's), without
 * the marks; a run that quotes nothing but spaces stays as written. A quote
 * is inline runs only, so list marks inside one stay text (a quote of
 * blocks would change what every reader of a quote walks). A message with
 * no quoted or list line is one paragraph, as before either was read.
 */
function textBlocks(text: string): Block[] {
  const lines = text.split("\n");
  const quoted = lines.map((line) => QUOTED.test(line));
  // A run of quoted lines with no words in it is text after all.
  for (let start = 0; start < lines.length;) {
    let end = start;
    while (end < lines.length && quoted[end] === quoted[start]) end++;
    const blank = lines.slice(start, end)
      .every((line) => line.replace(QUOTED, "").trim() === "");
    if (quoted[start] && blank) quoted.fill(false, start, end);
    start = end;
  }
  const blocks: Block[] = [];
  for (let start = 0; start < lines.length;) {
    let end = start;
    while (end < lines.length && quoted[end] === quoted[start]) end++;
    const run = lines.slice(start, end);
    const words = run.join("\n").trim() !== "";
    // Blank lines between quotes part them, as in Markdown; they are no
    // paragraph of their own.
    if (!words && !(start === 0 && end === lines.length)) {
      start = end;
      continue;
    }
    blocks.push(
      ...(quoted[start]
        ? [{
          kind: "quote" as const,
          children: parseInline(
            run.map((line) => line.replace(QUOTED, "")).join("\n"),
          ),
        }]
        : plainBlocks(run)),
    );
    start = end;
  }
  return blocks;
}

/**
 * A list's line: its indent, then `-`, `*` or `•`, or a number of at most
 * three digits and `.` or `)`, then a space and words. Not one: `-5
 * degrees`, `**bold**`, a lone `-`, or a year that starts a sentence
 * (`2024. was a year`). A line's `\r` (Windows' `\r\n`, which an API
 * client or a form may post) is no word of it: `.` stops at it.
 */
const LIST_LINE = /^([ \t]*)(?:([-*•])|(\d{1,3})[.)])[ \t]+(\S.*?)\r?$/u;

/** Indented this far (a tab counts as two), a list line goes under the one before. */
const NESTED = 2;

/**
 * Unquoted lines as paragraphs and lists: each run of list lines is one
 * list (a change between bullets and numbers starts another), the lines
 * between them paragraphs without their blank edges. Lines with no list
 * line are one paragraph, as before lists were read.
 */
function plainBlocks(lines: string[]): Block[] {
  const blocks: Block[] = [];
  let text: string[] = [];
  let list: ListBlock | null = null;
  function endText(): void {
    const first = text.findIndex((line) => line.trim() !== "");
    const last = text.findLastIndex((line) => line.trim() !== "");
    if (first >= 0) {
      blocks.push(paragraph(text.slice(first, last + 1).join("\n")));
    }
    text = [];
  }
  for (const line of lines) {
    const match = LIST_LINE.exec(line);
    if (match === null) {
      list = null;
      text.push(line);
      continue;
    }
    const [, indent, bullet, number, words] = match;
    const item: ListItem = { children: parseInline(words) };
    const parent = list?.items.at(-1);
    if (
      parent !== undefined && indent.replaceAll("\t", "  ").length >= NESTED
    ) {
      parent.list ??= newList(bullet, number);
      parent.list.items.push(item);
      continue;
    }
    if (list === null || list.ordered !== (bullet === undefined)) {
      endText();
      list = newList(bullet, number);
      blocks.push(list);
    }
    list.items.push(item);
  }
  if (blocks.length === 0) return [paragraph(lines.join("\n"))];
  endText();
  return blocks;
}

function newList(bullet: string | undefined, number: string): ListBlock {
  return bullet === undefined
    ? { kind: "list", ordered: true, start: Number(number), items: [] }
    : { kind: "list", ordered: false, items: [] };
}

/** Every inline run of a list, its nested items' too, for a walk over them. */
function listInlines(list: ListBlock): Inline[] {
  return list.items.flatMap((item) => [
    ...item.children,
    ...(item.list === undefined ? [] : listInlines(item.list)),
  ]);
}

function pushText(out: Inline[], text: string): void {
  const prev = out.at(-1);
  if (prev?.kind === "text") prev.text += text;
  else out.push({ kind: "text", text });
}

/**
 * A URL without the punctuation that ends the sentence around it; a closing
 * parenthesis stays when the URL opened one (Wikipedia links). Its
 * parentheses are counted once: counting them again for each one trimmed
 * made a URL ending in 2,000 `)` cost 4 million steps, and a message of
 * links the parse refuses (`http://a@` 200 times, then the `)`s: each
 * parsed again from the next letter) 5 s of the server's thread, which
 * reads a message's mentions with this parse.
 */
function trimUrl(url: string): string {
  let opened = 0;
  let closed = 0;
  for (const char of url) {
    if (char === "(") opened++;
    else if (char === ")") closed++;
  }
  let end = url.length;
  while (end > 0) {
    const char = url[end - 1];
    if (/[.,;:!?'"*]/.test(char)) {
      end--;
    } else if (char === ")" && closed > opened) {
      end--;
      closed--;
    } else {
      break;
    }
  }
  return url.slice(0, end);
}
