/**
 * Reactions under a message: one chip per emoji with its count, pressed
 * when this user reacted (a click takes it back or adds it). Who reacted
 * shows on hover (title), on keyboard focus and on a long press (a small
 * bubble), and to screen readers in the chip's name. The picker offers the
 * built-in set the server also accepts by `:name:`, in the person's skin
 * tone, chosen in a row of swatches under it (or in the user menu), then
 * the server's custom emoji ("Custom", each as its `:name:`) and the form
 * that adds one ("Add emoji…").
 */

import { useSignal } from "@preact/signals";
import type { JSX } from "preact";
import { useEffect, useRef } from "preact/hooks";
import type { ChatMessage, Reaction } from "../../server/protocol/types.ts";
import { nameKey } from "../../server/protocol/names.ts";
import { REACTION_NAMES } from "../../server/protocol/emoji.ts";
import * as actions from "../actions.ts";
import { useApp } from "../app_context.ts";
import { useLongPress } from "../use_long_press.ts";
import { t, tn } from "../i18n.ts";
import { useDismiss } from "../use_dismiss.ts";
import { SmileIcon } from "./icons.tsx";
import {
  AddEmojiForm,
  CustomEmojiImage,
  ReactionEmoji,
} from "../components/CustomEmoji.tsx";
import {
  SKIN_TONES,
  type SkinTone,
  toned,
  toneSwatch,
} from "../emoji_tones.ts";

/** Columns of the picker's grid (arrow keys move by rows of this many). */
const COLUMNS = 8;

/** Each emoji of the built-in set once, with its first name. */
const PICKER: { emoji: string; name: string }[] = (() => {
  const seen = new Set<string>();
  const list: { emoji: string; name: string }[] = [];
  // Objects list integer-like keys ("100") first: put them back at the end.
  const entries = Object.entries(REACTION_NAMES).sort(([a], [b]) =>
    Number(/^\d+$/.test(a)) - Number(/^\d+$/.test(b))
  );
  for (const [name, emoji] of entries) {
    if (seen.has(emoji)) continue;
    seen.add(emoji);
    list.push({ emoji, name });
  }
  return list;
})();

/** The names of who reacted, "and n more" past the names the server sends. */
export function whoReacted(reaction: Reaction): string {
  const names = reaction.users.join(", ");
  const more = reaction.count - reaction.users.length;
  return more > 0 ? `${names} ${tn("react.more", more)}` : names;
}

/** The reaction chips of a message; nothing when it has none. */
export function ReactionBar(
  props: { message: ChatMessage },
): JSX.Element | null {
  const { state, connection } = useApp();
  const reactions = props.message.reactions ?? [];
  if (reactions.length === 0 || props.message.deleted) return null;
  const me = state.username.value;
  const mine = (r: Reaction) =>
    me !== null && r.users.some((u) => nameKey(u) === nameKey(me));
  async function toggle(r: Reaction): Promise<void> {
    const error = await connection.react(props.message.id, r.emoji, !mine(r));
    actions.errorShown(state, error);
  }
  return (
    <div
      class="reactions"
      role="group"
      aria-label={t("react.group")}
      data-testid="reactions"
    >
      {reactions.map((r) => (
        <Chip
          key={r.emoji}
          reaction={r}
          mine={mine(r)}
          onToggle={() => void toggle(r)}
        />
      ))}
    </div>
  );
}

/** One emoji's chip, with the bubble naming who reacted. */
function Chip(
  props: { reaction: Reaction; mine: boolean; onToggle: () => void },
): JSX.Element {
  const { reaction, mine } = props;
  const press = useLongPress();
  const who = whoReacted(reaction);
  return (
    <span
      class={`chip-wrap${press.showing.value ? " show" : ""}`}
      onMouseLeave={press.hide}
    >
      <button
        type="button"
        class={`chip${mine ? " mine" : ""}`}
        data-testid="reaction"
        data-emoji={reaction.emoji}
        aria-pressed={mine}
        aria-label={t("react.chipLabel", {
          emoji: reaction.emoji,
          n: reaction.count,
          who,
        })}
        title={who}
        {...press.handlers}
        onBlur={press.hide}
        onClick={() => {
          // The long press showed who reacted: that touch toggles nothing.
          if (press.clickActs()) props.onToggle();
        }}
      >
        <span class="chip-emoji" aria-hidden="true">
          <ReactionEmoji emoji={reaction.emoji} />
        </span>
        <span class="chip-count" aria-hidden="true">{reaction.count}</span>
      </button>
      <span class="chip-who" aria-hidden="true" data-testid="reaction-who">
        {who}
      </span>
    </span>
  );
}

/** The "add reaction" action: a button that opens the emoji picker. */
export function ReactButton(props: { message: ChatMessage }): JSX.Element {
  const { state, connection } = useApp();
  const open = useSignal(false);
  const adding = useSignal(false);
  // Where the button was when it opened, and the picker's height: its
  // estimate, then as measured while it is open (see below).
  const place = useSignal<
    { above: number; below: number; down: boolean; left: number } | null
  >(null);
  const height = useSignal(0);
  const root = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const picker = useRef<HTMLDivElement>(null);
  useDismiss(open.value, root, () => open.value = false, {
    focusFirst: ".emoji-option",
    refocus: true,
    ownEscape: true,
  });
  // Placed for where the message was: the list scrolling away closes it.
  useEffect(() => {
    if (!open.value) return;
    const list = button.current?.closest(".messages");
    const close = () => open.value = false;
    list?.addEventListener("scroll", close, { passive: true });
    return () => list?.removeEventListener("scroll", close);
  }, [open.value]);
  // Its height as it is: the "Add emoji…" form (its preview, its error)
  // makes it taller than the estimate it was placed by, and a picker that
  // grew past the window's edge hid the form's button (a phone's window,
  // a message low on the screen), with nothing to scroll.
  useEffect(() => {
    const shown = picker.current;
    if (!open.value || !shown || typeof ResizeObserver === "undefined") {
      return;
    }
    const observer = new ResizeObserver(() =>
      height.value = shown.offsetHeight
    );
    observer.observe(shown);
    return () => observer.disconnect();
  }, [open.value]);

  function toggle(): void {
    if (open.value) {
      open.value = false;
      return;
    }
    // Fixed on the page, above or below the button, so the scrolling list
    // never clips it.
    const rect = button.current!.getBoundingClientRect();
    const width = Math.min(COLUMNS * 36 + 16, innerWidth - 16);
    // The emoji's rows, the swatches' row under them, then the custom
    // emoji's rows and their heading's.
    const custom = Object.keys(state.customEmoji.value).length;
    const estimate = (Math.ceil(PICKER.length / COLUMNS) + 2 +
          Math.ceil(custom / COLUMNS)) * 36 + 16;
    adding.value = false;
    height.value = estimate;
    place.value = {
      above: rect.top - 4,
      below: rect.bottom + 4,
      down: rect.bottom + 4 + estimate <= innerHeight,
      left: Math.max(8, Math.min(rect.right - width, innerWidth - width - 8)),
    };
    open.value = true;
  }

  // Under the button, or its bottom above it, moved as far as needed to
  // stay inside the window (one taller than the window scrolls: CSS).
  function pickerTop(
    at: { above: number; below: number; down: boolean },
  ): number {
    const wanted = at.down ? at.below : at.above - height.value;
    return Math.max(8, Math.min(wanted, innerHeight - 8 - height.value));
  }

  async function pick(emoji: string): Promise<void> {
    open.value = false;
    button.current?.focus();
    const me = state.username.value;
    const held = props.message.reactions?.find((r) => r.emoji === emoji);
    const mine = me !== null &&
      held?.users.some((u) => nameKey(u) === nameKey(me)) === true;
    const error = await connection.react(props.message.id, emoji, !mine);
    actions.errorShown(state, error);
  }

  function onKeyDown(event: KeyboardEvent): void {
    const items = [
      ...root.current!.querySelectorAll<HTMLElement>(".emoji-option"),
    ];
    const at = items.indexOf(document.activeElement as HTMLElement);
    if (at < 0) return;
    const step = {
      ArrowRight: 1,
      ArrowLeft: -1,
      ArrowDown: COLUMNS,
      ArrowUp: -COLUMNS,
    }[event.key];
    if (step === undefined) return;
    event.preventDefault();
    items[Math.max(0, Math.min(items.length - 1, at + step))]?.focus();
  }

  return (
    <div class="react-button" ref={root}>
      <button
        ref={button}
        type="button"
        class="msg-action"
        data-testid="message-react"
        aria-label={t("react.action")}
        title={t("react.action")}
        aria-haspopup="dialog"
        aria-expanded={open.value}
        onClick={toggle}
      >
        <SmileIcon />
      </button>
      {open.value && place.value && (
        <div
          ref={picker}
          class="emoji-picker"
          role="dialog"
          aria-label={t("react.picker")}
          data-testid="emoji-picker"
          style={{
            top: `${pickerTop(place.value)}px`,
            left: `${place.value.left}px`,
          }}
          onKeyDown={onKeyDown}
        >
          {PICKER.map(({ emoji, name }) => {
            // Read while open only: a closed picker (one per message on
            // screen) does not follow the tone.
            const shown = toned(
              state.emojiTones.value,
              emoji,
              state.skinTone.value,
            );
            return (
              <button
                key={emoji}
                type="button"
                class="emoji-option"
                data-testid="emoji-option"
                data-emoji={shown}
                aria-label={`:${name}:`}
                title={`:${name}:`}
                onClick={() => void pick(shown)}
              >
                {shown}
              </button>
            );
          })}
          <ToneSwatches />
          <div class="emoji-custom-head" data-testid="emoji-custom">
            <span>{t("emoji.custom")}</span>
            {state.account.value && (
              <button
                type="button"
                class="button ghost small"
                data-testid="emoji-add"
                aria-expanded={adding.value}
                onClick={() => adding.value = !adding.value}
              >
                {t("emoji.add")}
              </button>
            )}
          </div>
          {Object.values(state.customEmoji.value).map((emoji) => (
            <button
              key={emoji.name}
              type="button"
              class="emoji-option"
              data-testid="emoji-option"
              data-emoji={`:${emoji.name}:`}
              aria-label={`:${emoji.name}:`}
              title={`:${emoji.name}:`}
              onClick={() => void pick(`:${emoji.name}:`)}
            >
              <CustomEmojiImage emoji={emoji} />
            </button>
          ))}
          {adding.value && (
            <AddEmojiForm
              onDone={(name) => {
                adding.value = false;
                void pick(`:${name}:`);
              }}
            />
          )}
        </div>
      )}
    </div>
  );
}

/**
 * The skin tones under the picker, the chosen one pressed: a choice is
 * remembered for the account and tones the picker and the composer.
 */
function ToneSwatches(): JSX.Element {
  const { state } = useApp();
  const chosen = state.skinTone.value;
  return (
    <div
      class="tone-swatches"
      role="group"
      aria-label={t("tone.group")}
      data-testid="tone-swatches"
    >
      {SKIN_TONES.map((tone: SkinTone) => (
        <button
          key={tone}
          type="button"
          class="tone-option"
          data-testid={`tone-${tone}`}
          aria-pressed={chosen === tone}
          aria-label={t(`tone.${tone}`)}
          title={t(`tone.${tone}`)}
          onClick={() => actions.skinToneChosen(state, tone)}
        >
          {toneSwatch(tone)}
        </button>
      ))}
    </div>
  );
}
