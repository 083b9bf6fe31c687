/**
 * A button and its menu of times (in 20 minutes, tomorrow at 9:00…, or a
 * chosen one): the "Remind me…" of a saved message (Remind.tsx) and the
 * composer's "Send later" (Scheduled.tsx).
 */

import { useSignal } from "@preact/signals";
import type { ComponentChildren, JSX } from "preact";
import { type MessageKey, t } from "../i18n.ts";
import { MenuButton } from "../components/MenuButton.tsx";
import { ClockIcon } from "./icons.tsx";

/** One choice of the menu: when it is, from now (local time). */
export interface TimeChoice {
  label: MessageKey;
  testId: string;
  at: (now: Date) => Date;
}

/** In `minutes` from now. */
export function inMinutes(minutes: number): (now: Date) => Date {
  return (now) => new Date(now.getTime() + minutes * 60_000);
}

/** Tomorrow at 9:00, local time. */
export function tomorrowAtNine(now: Date): Date {
  return new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1, 9, 0);
}

/** A `datetime-local` input's value for a time (local, to the minute). */
export function localInput(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${
    pad(date.getDate())
  }T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** What {@link TimeMenuButton} shows and does. */
export interface TimeMenuProps {
  /** The button's class, test id, accessible name and title. */
  button: { class: string; testId: string; label: string; title: string };
  /** The menu's heading (and its accessible name); `up`: opens above. */
  heading: string;
  up?: boolean;
  choices: readonly TimeChoice[];
  /**
   * The chosen time's words and test ids (`<prefix>-custom`, `-at`,
   * `-set`), and how far ahead its input starts (ms).
   */
  custom: { label: string; set: string; prefix: string; aheadMs: number };
  /** True: the choices are greyed out (nothing to do yet). */
  disabled?: boolean;
  onPick: (at: Date) => void;
  /** More items under the times, given the menu's close. */
  more?: (close: () => void) => ComponentChildren;
}

/** A clock button opening a menu of times; a pick closes it. */
export function TimeMenuButton(props: TimeMenuProps): JSX.Element {
  const open = useSignal(false);
  const choosing = useSignal(false);
  const chosen = useSignal("");
  const { button, custom } = props;
  function close(): void {
    open.value = false;
    choosing.value = false;
  }
  function pick(at: Date): void {
    close();
    props.onPick(at);
  }
  return (
    <MenuButton
      open={open}
      class="header-menu"
      button={button}
      icon={<ClockIcon />}
      onClose={close}
    >
      {open.value && (
        <div
          class={props.up ? "menu menu-up" : "menu"}
          role="menu"
          aria-label={props.heading}
        >
          <p class="menu-heading">{props.heading}</p>
          {props.choices.map((choice) => (
            <button
              key={choice.testId}
              type="button"
              role="menuitem"
              class="menu-item"
              data-testid={choice.testId}
              disabled={props.disabled}
              onClick={() => pick(choice.at(new Date()))}
            >
              {t(choice.label)}
            </button>
          ))}
          {choosing.value
            ? (
              <form
                class="remind-custom"
                onSubmit={(event) => {
                  event.preventDefault();
                  const at = new Date(chosen.value);
                  if (!Number.isNaN(at.getTime())) pick(at);
                }}
              >
                <input
                  type="datetime-local"
                  data-testid={`${custom.prefix}-at`}
                  aria-label={custom.label}
                  min={localInput(new Date())}
                  value={chosen.value}
                  onInput={(event) =>
                    chosen.value = (event.target as HTMLInputElement).value}
                />
                <button
                  type="submit"
                  class="menu-item"
                  data-testid={`${custom.prefix}-set`}
                  disabled={props.disabled}
                >
                  {custom.set}
                </button>
              </form>
            )
            : (
              <button
                type="button"
                role="menuitem"
                class="menu-item"
                data-testid={`${custom.prefix}-custom`}
                disabled={props.disabled}
                onClick={() => {
                  chosen.value = localInput(
                    new Date(Date.now() + custom.aheadMs),
                  );
                  choosing.value = true;
                }}
              >
                {custom.label}
              </button>
            )}
          {props.more?.(close)}
        </div>
      )}
    </MenuButton>
  );
}
