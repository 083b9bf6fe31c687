/** A message's text with its light markdown, links, @mentions and #rooms, built as elements (never HTML). */

import type { JSX } from "preact";
import { useMemo } from "preact/hooks";
import * as actions from "../actions.ts";
import { useApp } from "../app_context.ts";
import { t } from "../i18n.ts";
import { nameKey } from "../../server/protocol/names.ts";
import {
  type Inline,
  type ListBlock,
  parseMarkup,
  roomWritten,
} from "../markup.ts";
import { isMessageLink } from "../message_link.ts";
import { entry, roomKey, roomTitle } from "../state.ts";
import { CodeBlock } from "./CodeBlock.tsx";
import { EmojiText } from "./CustomEmoji.tsx";

/** Props of {@linkcode RichText}. */
export interface RichTextProps {
  /** The message text as the server stored it. */
  text: string;
  /** This user's name, so mentions of them stand out more; null before login. */
  me: string | null;
  /** Shown at the end of the last paragraph, e.g. "(edited)". */
  suffix?: JSX.Element | null;
  /**
   * The server says the message's `@room` notified its room
   * (`room_mention`): `@room` then stands out as a mention of this user.
   */
  roomMention?: boolean;
  /** The same for `@here` (`here_mention`). */
  hereMention?: boolean;
  /**
   * The name keys of this user's groups, in a room's message: their
   * `@group` stands out as a mention of this user (room_mention.ts).
   */
  groups?: readonly string[];
}

/** Paragraphs, quotes, lists and code blocks of one message. */
export function RichText(
  { text, me, suffix, roomMention, hereMention, groups }: RichTextProps,
): JSX.Element {
  const blocks = useMemo(() => parseMarkup(text), [text]);
  const mine = me === null ? undefined : nameKey(me);
  const isMe = (key: string) =>
    key === mine || (roomMention === true && key === ROOM_WORD) ||
    (hereMention === true && key === HERE_WORD) ||
    (groups?.includes(key) ?? false);
  const last = blocks.length - 1;
  return (
    <>
      {blocks.map((block, i) => {
        switch (block.kind) {
          case "codeblock":
            return (
              <CodeBlock key={i} text={block.text} language={block.language} />
            );
          case "list":
            return renderList(block, i, isMe);
          case "quote":
            return (
              <blockquote key={i} class="md-quote">
                {renderInline(block.children, isMe)}
              </blockquote>
            );
          case "paragraph":
            return (
              <p key={i} class="md-p">
                {renderInline(block.children, isMe)}
                {i === last && suffix}
              </p>
            );
        }
      })}
      {blocks[last]?.kind !== "paragraph" && suffix}
    </>
  );
}

// The name key `@room` parses to (server/mentions.ts ROOM_WORD).
const ROOM_WORD = "room";
// And `@here` (server/mentions.ts HERE_WORD).
const HERE_WORD = "here";

/** A list as the real `ul` or `ol` screen readers announce, its items counted. */
function renderList(
  list: ListBlock,
  key: number,
  me: (key: string) => boolean,
): JSX.Element {
  const items = list.items.map((item, i) => (
    <li key={i}>
      {renderInline(item.children, me)}
      {item.list !== undefined && renderList(item.list, 0, me)}
    </li>
  ));
  return list.ordered
    ? (
      <ol key={key} class="md-list" start={list.start}>
        {items}
      </ol>
    )
    : <ul key={key} class="md-list">{items}</ul>;
}

function renderInline(
  nodes: Inline[],
  me: (key: string) => boolean,
): (JSX.Element | string)[] {
  return nodes.map((node, i) => {
    switch (node.kind) {
      case "text":
        // Only a run that may hold a `:name:` reads the custom emoji: the
        // others stay plain strings, no component each.
        return node.text.includes(":")
          ? <EmojiText key={i} text={node.text} />
          : node.text;
      case "bold":
        return <strong key={i}>{renderInline(node.children, me)}</strong>;
      case "italic":
        return <em key={i}>{renderInline(node.children, me)}</em>;
      case "strike":
        return <s key={i}>{renderInline(node.children, me)}</s>;
      case "code":
        return <code key={i} class="md-code">{node.text}</code>;
      case "link":
        return (
          <a
            key={i}
            class="md-link"
            href={node.href}
            // Isolated, left to right: a direction override in the text
            // before it (U+202E) would otherwise show the URL backwards,
            // `https://evil.example/moc.elgoog//:sptth` read as
            // `https://google.com/elpmaxe.live//:sptth`.
            dir="ltr"
            {
              // A link to a message of this server opens it here, in this
              // tab (main.tsx hears the address change), as Slack does.
              ...(isMessageLink(node.href, globalThis.location?.origin)
                ? {}
                : { target: "_blank", rel: "noopener noreferrer" })
            }
          >
            {node.text}
          </a>
        );
      case "mention": {
        const self = me(nameKey(node.name));
        return (
          <span
            key={i}
            class={`mention${self ? " mention-self" : ""}`}
            data-testid="mention"
          >
            @{node.name}
          </span>
        );
      }
      case "room":
        return <RoomReference key={i} name={node.name} />;
    }
  });
}

/**
 * `#name` as written: a link that opens the room (joining a public one, as
 * the quick switcher's "Join" does) when the reader knows a room of that
 * name, else plain text, so a private room's name tells an outsider
 * nothing, not even that it exists.
 */
function RoomReference(
  { name }: { name: string },
): JSX.Element | string {
  const { state, connection } = useApp();
  const known = state.knownRooms.value;
  const found = roomWritten(name, (n) => entry(known, roomKey(n)));
  if (found === null) return `#${name}`;
  const { room, written, rest } = found;
  async function open(event: MouseEvent): Promise<void> {
    // The hash is the invite links' (client/invite_link.ts): left alone.
    event.preventDefault();
    actions.errorShown(state, await connection.joinRoom(room));
  }
  return (
    <>
      <a
        class="md-room"
        href="#"
        data-testid="room-link"
        title={t("msg.roomLink", { room: roomTitle(state, room) })}
        onClick={open}
      >
        #{written}
      </a>
      {rest}
    </>
  );
}
