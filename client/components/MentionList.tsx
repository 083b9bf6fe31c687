/**
 * The names offered while an "@name" is typed in the composer, above its
 * box. The keyboard stays in the composer (it owns the arrows, Tab, Enter
 * and Esc, and points `aria-activedescendant` here); a click or tap picks
 * a name without taking the focus, so a phone's keyboard stays open.
 */

import type { JSX } from "preact";
import { t } from "../i18n.ts";
import { Avatar } from "./Avatar.tsx";

/** The id of the list, for the composer's `aria-controls`. */
export const MENTION_LIST_ID = "mention-list";

/** The id of the option at `index`, for the composer's `aria-activedescendant`. */
export function mentionOptionId(index: number): string {
  return `mention-option-${index}`;
}

/** Props of {@linkcode MentionList}. */
export interface MentionListProps {
  /** The names offered, best first. */
  names: string[];
  /** The index of the highlighted name. */
  active: number;
  /** Puts the name in the text. */
  onPick: (name: string) => void;
}

/** The list of names to mention. */
export function MentionList(props: MentionListProps): JSX.Element {
  return (
    <div class="mention-picker" data-testid="mention-picker">
      <p class="mention-hint" aria-hidden="true">
        {t("mention.hint")}
      </p>
      <ul
        id={MENTION_LIST_ID}
        class="mention-list"
        role="listbox"
        aria-label={t("mention.label")}
      >
        {props.names.map((name, index) => (
          <li
            key={name}
            id={mentionOptionId(index)}
            class={`mention-option${index === props.active ? " active" : ""}`}
            role="option"
            aria-selected={index === props.active}
            data-testid="mention-option"
            // Keeps the focus (and the caret) in the composer.
            onMouseDown={(event) => event.preventDefault()}
            onClick={() => props.onPick(name)}
          >
            <Avatar name={name} size="tiny" />
            <span class="mention-name">{name}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}
