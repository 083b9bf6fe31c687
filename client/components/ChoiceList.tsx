/**
 * A box that offers places (rooms and people, ranked by
 * client/quick_switch.ts) in a list below it, as a combobox: ↑ and ↓ move
 * the active choice round the list, Enter or a click picks it. The focus
 * stays in the box, which points `aria-activedescendant` at the active
 * option, as the composer's mention list does. The quick switcher and the
 * forward dialog both find their place with it.
 */

import { useSignal } from "@preact/signals";
import type { ComponentChildren, JSX } from "preact";
import { useLayoutEffect } from "preact/hooks";
import { t } from "../i18n.ts";
import type { SwitchChoice } from "../quick_switch.ts";
import { Avatar } from "./Avatar.tsx";
import { LockIcon } from "./Icons.tsx";

/** Options of {@linkcode useChoiceList}. */
export interface ChoiceListOptions {
  /**
   * The names' stem: the list is `<name>-list` (its id and test id), its
   * options `<name>-option` (test id) and `<name>-option-<index>` (id).
   */
  name: string;
  /** The choices offered, best first. */
  choices: readonly SwitchChoice[];
  /** What the box holds: a new text shows the list from its top. */
  query: string;
  /** Takes a choice (Enter, a click or a tap). */
  pick(choice: SwitchChoice): void;
}

/** A box's list of choices: what the box and the list share. */
export interface ChoiceListState {
  /** The names' stem ({@linkcode ChoiceListOptions.name}). */
  name: string;
  /** The choices offered, best first. */
  choices: readonly SwitchChoice[];
  /** The index of the active choice. */
  at: number;
  /** Takes a choice. */
  pick(choice: SwitchChoice): void;
  /** The box's attributes: a combobox that controls the list, and its keys. */
  box: JSX.InputHTMLAttributes<HTMLInputElement>;
  /** Makes the first choice the active one again (the text changed). */
  restart(): void;
}

/** The id of the option at `index` of the list named `name`. */
function optionId(name: string, index: number): string {
  return `${name}-option-${index}`;
}

/**
 * The active choice of a box's list, the box's attributes and keys, and
 * the active option kept in view.
 */
export function useChoiceList(options: ChoiceListOptions): ChoiceListState {
  const { name, choices, query, pick } = options;
  const active = useSignal(0);
  const at = Math.min(active.value, Math.max(0, choices.length - 1));
  useLayoutEffect(() => {
    document.getElementById(optionId(name, at))?.scrollIntoView({
      block: "nearest",
    });
  }, [at, query]);
  const shown = choices.length > 0;
  return {
    name,
    choices,
    at,
    pick,
    box: {
      role: "combobox",
      "aria-expanded": shown,
      "aria-controls": shown ? `${name}-list` : undefined,
      "aria-autocomplete": "list",
      "aria-activedescendant": shown ? optionId(name, at) : undefined,
      autocomplete: "off",
      autocapitalize: "off",
      spellcheck: false,
      onKeyDown: (event) => {
        // Enter with no choice is left alone: a form's submit takes it.
        if (event.isComposing) return;
        const n = choices.length;
        if (event.key === "ArrowDown" || event.key === "ArrowUp") {
          event.preventDefault();
          if (n === 0) return;
          const step = event.key === "ArrowDown" ? 1 : -1;
          active.value = (at + step + n) % n;
        } else if (event.key === "Enter" && n > 0) {
          event.preventDefault();
          pick(choices[at]);
        }
      },
    },
    restart: () => active.value = 0,
  };
}

/** Props of {@linkcode ChoiceList}. */
export interface ChoiceListProps {
  list: ChoiceListState;
  /** The list's name for a screen reader. */
  label: string;
  /** Classes of a choice's option beyond `switch-option` and `active`. */
  classOf?: (choice: SwitchChoice) => string;
  /** What a choice's option shows after its name. */
  after?: (choice: SwitchChoice) => ComponentChildren;
}

/** The list below the box: nothing while it offers no choice. */
export function ChoiceList(props: ChoiceListProps): JSX.Element | null {
  const { list, classOf, after } = props;
  const { name, choices, at, pick } = list;
  if (choices.length === 0) return null;
  return (
    <ul
      id={`${name}-list`}
      class="switch-list"
      role="listbox"
      aria-label={props.label}
      data-testid={`${name}-list`}
    >
      {choices.map((choice, index) => (
        <li
          key={choice.key}
          id={optionId(name, index)}
          class={`switch-option${index === at ? " active" : ""}${
            classOf ? classOf(choice) : ""
          }`}
          role="option"
          aria-selected={index === at}
          data-testid={`${name}-option`}
          data-kind={choice.kind}
          data-name={choice.name}
          // Keeps the focus (and a phone's keyboard) in the box.
          onMouseDown={(event) => event.preventDefault()}
          onClick={() => pick(choice)}
        >
          <ChoiceMark choice={choice} />
          <span class="switch-name">{choice.name}</span>
          {after?.(choice)}
        </li>
      ))}
    </ul>
  );
}

/** A room's "#" or lock, or a person's avatar. */
function ChoiceMark(props: { choice: SwitchChoice }): JSX.Element {
  const { choice } = props;
  if (choice.kind === "dm") return <Avatar name={choice.name} size="tiny" />;
  if (choice.private) {
    return (
      <span class="room-hash lock">
        <LockIcon />
        <span class="sr-only">({t("sidebar.private")})</span>
      </span>
    );
  }
  return <span class="room-hash" aria-hidden="true">#</span>;
}
