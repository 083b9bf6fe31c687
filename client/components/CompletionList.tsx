/**
 * What the composer offers while an "@name", "#room" or ":emoji" is typed,
 * above its box. The keyboard stays in the composer (it owns the arrows,
 * Tab, Enter and Esc, and points `aria-activedescendant` here); a click or
 * tap picks without taking the focus, so a phone's keyboard stays open.
 * The test ids are those of the first list, the names to mention, for
 * every kind: tests outside this repository find it by them.
 */

import { ReactionEmoji } from "./CustomEmoji.tsx";
import type { JSX } from "preact";
import type { CompletionKind } from "../completion.ts";
import { t } from "../i18n.ts";
import { Avatar } from "./Avatar.tsx";

/** The id of the list, for the composer's `aria-controls`. */
export const COMPLETION_LIST_ID = "mention-list";

/** The id of the option at `index`, for the composer's `aria-activedescendant`. */
export function completionOptionId(index: number): string {
  return `mention-option-${index}`;
}

/** One choice: a person's or a room's name, or an emoji and its shortcode. */
export interface CompletionOption {
  /** The name shown (a shortcode without its colons). */
  name: string;
  /** The emoji, for an emoji (a custom one's `:name:`). */
  emoji?: string;
  /** A custom emoji of the server's: shown as its picture. */
  custom?: boolean;
  /** A member of the room who is not online now. */
  offline?: boolean;
  /** What a word that is no one's name does (`@room`), shown beside it. */
  about?: string;
}

/** Props of {@linkcode CompletionList}. */
export interface CompletionListProps {
  kind: CompletionKind;
  /** The choices, best first. */
  options: CompletionOption[];
  /** The index of the highlighted choice. */
  active: number;
  /** Puts the choice at `index` in the text. */
  onPick: (index: number) => void;
}

const LABELS = {
  mention: "mention.label",
  room: "completion.rooms",
  emoji: "completion.emoji",
} as const;

/** The list of people, rooms or emoji to put in the text. */
export function CompletionList(props: CompletionListProps): JSX.Element {
  return (
    <div
      class="mention-picker"
      data-testid="mention-picker"
      data-kind={props.kind}
    >
      <p class="mention-hint" aria-hidden="true">
        {t("mention.hint")}
      </p>
      <ul
        id={COMPLETION_LIST_ID}
        class="mention-list"
        role="listbox"
        aria-label={t(LABELS[props.kind])}
      >
        {props.options.map((option, index) => (
          <li
            key={option.emoji ?? option.name}
            id={completionOptionId(index)}
            class={`mention-option${index === props.active ? " active" : ""}${
              option.offline ? " offline" : ""
            }`}
            role="option"
            aria-selected={index === props.active}
            data-testid="mention-option"
            // Keeps the focus (and the caret) in the composer.
            onMouseDown={(event) => event.preventDefault()}
            onClick={() => props.onPick(index)}
          >
            <OptionIcon kind={props.kind} option={option} />
            <span class="mention-name">
              {props.kind === "emoji" ? `:${option.name}:` : option.name}
            </span>
            {option.about && (
              <span class="mention-about" data-testid="mention-about">
                {option.about}
              </span>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}

function OptionIcon(
  props: { kind: CompletionKind; option: CompletionOption },
): JSX.Element {
  if (props.kind === "mention" && props.option.about === undefined) {
    return <Avatar name={props.option.name} size="tiny" />;
  }
  if (props.option.custom) {
    return (
      <span class="completion-icon" aria-hidden="true">
        <ReactionEmoji emoji={props.option.emoji ?? ""} />
      </span>
    );
  }
  return (
    <span class="completion-icon" aria-hidden="true">
      {props.kind === "room" ? "#" : props.option.emoji ?? "@"}
    </span>
  );
}
