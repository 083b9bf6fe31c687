/**
 * A button that opens a menu: the room's header menu, a member's, the
 * settings' gear, a section's and the sidebar's, the times of "Remind
 * me…" and "Send later". One place says what such a button is to a
 * screen reader (`aria-haspopup="menu"`, `aria-expanded`), how it opens
 * and closes (its click, a click outside, Escape: use_dismiss.ts), and
 * where the keyboard goes.
 */

import type { Signal } from "@preact/signals";
import type { ComponentChildren, JSX, RefObject } from "preact";
import { useRef } from "preact/hooks";
import { type DismissOptions, useDismiss } from "../use_dismiss.ts";

/** Props of {@linkcode MenuButton}. */
export interface MenuButtonProps {
  /** Whether the menu is open: the caller's, whose items close it too. */
  open: Signal<boolean>;
  /** The element around the button and its menu: its class, and `span`. */
  class: string;
  inline?: boolean;
  /**
   * The element around, for a caller that looks inside (its button to
   * focus, a form's field); one of the menu's own otherwise.
   */
  root?: RefObject<HTMLElement>;
  /** The button's class, test id, accessible name and title (none: none). */
  button: { class: string; testId: string; label: string; title?: string };
  /** What the button shows: its icon. */
  icon: ComponentChildren;
  /**
   * Closes the menu and what it holds (a step, a form); by the button, a
   * click outside and Escape. Default: `open` made false.
   */
  onClose?: () => void;
  /**
   * What the keyboard does (use_dismiss.ts). Default: on its first item
   * as it opens (any `menuitem` role), back on the button as it closes.
   */
  dismiss?: DismissOptions;
  /** The menu (drawn while `open`, as the caller decides), and the rest. */
  children?: ComponentChildren;
}

/** A button with `aria-haspopup="menu"` and what follows it (the menu). */
export function MenuButton(props: MenuButtonProps): JSX.Element {
  const own = useRef<HTMLElement>(null);
  const root = props.root ?? own;
  const { open, button } = props;
  const close = props.onClose ?? (() => open.value = false);
  useDismiss(open.value, root, close, {
    focusFirst: '[role^="menuitem"]',
    refocus: true,
    ...props.dismiss,
  });
  const Tag = props.inline ? "span" : "div";
  return (
    <Tag class={props.class} ref={root as RefObject<HTMLDivElement>}>
      <button
        type="button"
        class={button.class}
        data-testid={button.testId}
        aria-label={button.label}
        title={button.title}
        aria-haspopup="menu"
        aria-expanded={open.value}
        onClick={() => open.value ? close() : open.value = true}
      >
        {props.icon}
      </button>
      {props.children}
    </Tag>
  );
}
