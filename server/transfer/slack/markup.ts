/**
 * Slack's message markup ("mrkdwn") in the light markdown this server's
 * clients show (client/markup.ts): `<@U123>` is `@name`, `<#C123|x>` is
 * `#room`, `<https://x|label>` is `label (https://x)` (our links are the
 * URLs themselves) and `<mailto:a@b|Ann>` `Ann (a@b)`, `<!here>` is
 * `@here` and `<!channel>`/`<!everyone>` `@room`, `*bold*` is `**bold**`,
 * `_it_` is `*it*`, a built-in emoji's `:shortcode:` is the emoji (a
 * team's own stays `:name:`); `~struck~`, code spans and fences stay as
 * they are; `&amp;`, `&lt;` and `&gt;` are decoded. Slack escapes those
 * three in the text it exports, so a `<` that is no escape always opens
 * one of its tokens.
 */
import { slackReaction } from "./reactions.ts";

/** The names Slack's ids stand for here. */
export interface SlackNames {
  /** Our name of a Slack user id, if it has one. */
  user(id: string): string | undefined;
  /** Our name of a Slack channel id, if it has one. */
  room(id: string): string | undefined;
  /** Whether a text mentions one of the accounts (none known: none). */
  mentions?(text: string): boolean;
}

// Code fences first, then code spans: their insides stay as written.
const CODE = /```[\s\S]*?```|`[^`\n]+`/g;
const TOKEN = /<([^<>\n]+)>/g;
// Outside a word, as Slack reads them: `snake_case_name` and `2*3*4` stay.
const EMPHASIS =
  /(?<![\p{L}\p{N}*])\*(?=\S)([^*\n]*?\S)\*(?![\p{L}\p{N}*])|(?<![\p{L}\p{N}_])_(?=\S)([^_\n]*?\S)_(?![\p{L}\p{N}_])/gu;
// `:tada:`, `:+1::skin-tone-3:`, between words (not `10:30:00`).
const SHORTCODE =
  /(?<![\p{L}\p{N}:]):([a-z0-9_+'-]+):(?::(skin-tone-[2-6]):)?(?![\p{L}\p{N}])/gu;
// What stands for a converted token while emphasis is read around it:
// characters of the Private Use Area, which no Slack text means as ours.
const HOLD = /\uE000(\d+)\uE001/g;

// Slack's `>>>` at a line's start quotes the rest of the message: ours
// quotes line by line (`> `). Each code fence is one match, so a `>>>` in
// one is never found.
const QUOTE_REST = /```[\s\S]*?```|(^|\n)&gt;&gt;&gt;[ \t]?/g;
const FENCE = /```[\s\S]*?```/g;

/** The text of a Slack message in our markup. */
export function slackToMarkup(text: string, names: SlackNames): string {
  for (const found of text.matchAll(QUOTE_REST)) {
    if (found[1] === undefined) continue;
    const rest = found.index + found[0].length;
    const before = text.slice(0, found.index);
    return (before === "" ? "" : `${lineMarkup(before, names)}\n`) +
      quotedLines(lineMarkup(text.slice(rest), names));
  }
  return lineMarkup(text, names);
}

/**
 * Each line of a text quoted with `> `, but inside code fences (ours are
 * found before quotes, so a quoted fence would hold the marks): a fence
 * stands between the quote's lines, a line blank before one is left out.
 */
function quotedLines(text: string): string {
  let out = "";
  let last = 0;
  const quote = (part: string, atStart: boolean, beforeFence: boolean) =>
    part.split("\n").map((line, i, lines) =>
      (i === 0 && !atStart) ||
        (beforeFence && i === lines.length - 1 && line.trim() === "")
        ? line
        : `> ${line}`
    ).join("\n");
  for (const fence of text.matchAll(FENCE)) {
    out += quote(text.slice(last, fence.index), last === 0, true) + fence[0];
    last = fence.index + fence[0].length;
  }
  return out + quote(text.slice(last), last === 0, false);
}

/** A text without Slack's `>>>` in our markup. */
function lineMarkup(text: string, names: SlackNames): string {
  let out = "";
  let last = 0;
  for (const code of text.matchAll(CODE)) {
    out += prose(text.slice(last, code.index), names);
    out += decoded(code[0]);
    last = code.index + code[0].length;
  }
  return out + prose(text.slice(last), names);
}

function prose(text: string, names: SlackNames): string {
  const held: string[] = [];
  const tokens = text.replace(TOKEN, (_, inside: string) => {
    held.push(token(inside, names));
    return `\uE000${held.length - 1}\uE001`;
  });
  const emoji = tokens.replace(
    SHORTCODE,
    (written, name: string, tone: string | undefined) =>
      slackReaction(tone ? `${name}::${tone}` : name) ?? written,
  );
  return decoded(emphasised(emoji))
    .replace(HOLD, (_, i: string) => held[Number(i)]);
}

// Bold around italic (`*bold _both_*`) is read inside out.
function emphasised(text: string): string {
  return text.replace(
    EMPHASIS,
    (_, bold: string | undefined, italic: string | undefined) =>
      bold !== undefined
        ? `**${emphasised(bold)}**`
        : `*${emphasised(italic!)}*`,
  );
}

function decoded(text: string): string {
  return text.replaceAll("&lt;", "<").replaceAll("&gt;", ">")
    .replaceAll("&amp;", "&");
}

/** One `<…>` of Slack's: a mention, a room, a special word or a link. */
function token(inside: string, names: SlackNames): string {
  const bar = inside.indexOf("|");
  const target = bar === -1 ? inside : inside.slice(0, bar);
  const label = bar === -1 ? undefined : decoded(inside.slice(bar + 1));
  if (target.startsWith("@")) {
    const id = target.slice(1);
    const name = names.user(id);
    if (name !== undefined) return `@${name}`;
    // Someone the export does not list: its label names them, unless
    // `@label` reads as a mention of an account, someone else.
    const shown = label === undefined
      ? undefined
      : `@${label.replace(/^@/, "")}`;
    return shown !== undefined && !names.mentions?.(shown) ? shown : `@${id}`;
  }
  if (target.startsWith("#")) {
    const name = names.room(target.slice(1)) ?? label;
    return `#${name ?? target.slice(1)}`;
  }
  if (target.startsWith("!")) return special(target.slice(1), label, names);
  const url = decoded(target);
  if (url.startsWith("mailto:")) {
    // The address is what a reader writes to: a label of other words (a
    // name) keeps it beside, as a link's URL is.
    const address = url.slice("mailto:".length);
    return label === undefined || label === address
      ? address
      : `${label} (${address})`;
  }
  if (label === undefined || label === url || `http://${label}` === url) {
    return url;
  }
  if (`https://${label}` === url) return url;
  return `${label} (${url})`;
}

/** `<!here>`, `<!channel>`, `<!subteam^S1|@team>`, `<!date^…|fallback>`. */
function special(
  word: string,
  label: string | undefined,
  names: SlackNames,
): string {
  if (word === "here") return "@here";
  if (word === "channel" || word === "everyone") return "@room";
  // A user group's `@design` is no person: when it reads as a mention of
  // an account, its name alone, which mentions nobody.
  if (label !== undefined && names.mentions?.(label)) {
    return label.replace(/^@/, "");
  }
  return label ?? word.split("^")[0];
}
