/**
 * Reminders on saved messages (Slack's "Remind me about this"): a message's
 * "Remind me…" menu (in 20 minutes, in an hour, in 3 hours, tomorrow at
 * 9:00, or a chosen time), which saves the message with `remind_at`; the
 * saved panel uses the same menu to change one, with Clear. When it comes
 * due the server sends `reminder` (connection/events.ts).
 */

import { useSignal } from "@preact/signals";
import type { JSX } from "preact";
import { useRef } from "preact/hooks";
import * as actions from "../actions.ts";
import { useApp } from "../app_context.ts";
import { type MessageKey, t } from "../i18n.ts";
import { useDismiss } from "../use_dismiss.ts";
import { ClockIcon } from "./icons.tsx";

/** The menu's choices: when each is, from now (local time). */
const CHOICES: {
  label: MessageKey;
  testId: string;
  at: (now: Date) => Date;
}[] = [
  {
    label: "remind.in20",
    testId: "remind-20m",
    at: (now) => new Date(now.getTime() + 20 * 60_000),
  },
  {
    label: "remind.in1h",
    testId: "remind-1h",
    at: (now) => new Date(now.getTime() + 3600_000),
  },
  {
    label: "remind.in3h",
    testId: "remind-3h",
    at: (now) => new Date(now.getTime() + 3 * 3600_000),
  },
  {
    label: "remind.tomorrow",
    testId: "remind-tomorrow",
    at: (now) =>
      new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1, 9, 0),
  },
];

/** A `datetime-local` input's value for a time (local, to the minute). */
export function localInput(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${
    pad(date.getDate())
  }T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/**
 * The "Remind me…" button and its menu; `clearable` offers Clear. What it
 * sets reaches the saved panel as every device's does (reminderChange).
 */
export function RemindButton(props: {
  id: string;
  clearable?: boolean;
}): JSX.Element {
  const { state, connection } = useApp();
  const open = useSignal(false);
  const choosing = useSignal(false);
  const chosen = useSignal("");
  const root = useRef<HTMLDivElement>(null);
  function close(): void {
    open.value = false;
    choosing.value = false;
  }
  useDismiss(open.value, root, close, {
    focusFirst: '[role^="menuitem"]',
    refocus: true,
  });
  async function remind(at: Date | null): Promise<void> {
    close();
    const result = await connection.setReminder(
      props.id,
      at === null ? null : at.toISOString(),
    );
    if (!("remindAt" in result)) actions.errorShown(state, result);
  }
  return (
    <div class="header-menu" ref={root}>
      <button
        type="button"
        class="msg-action"
        data-testid="message-remind"
        aria-label={t("remind.label")}
        title={t("remind.action")}
        aria-haspopup="menu"
        aria-expanded={open.value}
        onClick={() => open.value ? close() : open.value = true}
      >
        <ClockIcon />
      </button>
      {open.value && (
        <div class="menu" role="menu" aria-label={t("remind.action")}>
          <p class="menu-heading">{t("remind.action")}</p>
          {CHOICES.map((choice) => (
            <button
              key={choice.testId}
              type="button"
              role="menuitem"
              class="menu-item"
              data-testid={choice.testId}
              onClick={() => void remind(choice.at(new Date()))}
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
                  if (!Number.isNaN(at.getTime())) void remind(at);
                }}
              >
                <input
                  type="datetime-local"
                  data-testid="remind-at"
                  aria-label={t("remind.custom")}
                  min={localInput(new Date())}
                  value={chosen.value}
                  onInput={(event) =>
                    chosen.value = (event.target as HTMLInputElement).value}
                />
                <button
                  type="submit"
                  class="menu-item"
                  data-testid="remind-set"
                >
                  {t("remind.set")}
                </button>
              </form>
            )
            : (
              <button
                type="button"
                role="menuitem"
                class="menu-item"
                data-testid="remind-custom"
                onClick={() => {
                  chosen.value = localInput(
                    new Date(Date.now() + 24 * 3600_000),
                  );
                  choosing.value = true;
                }}
              >
                {t("remind.custom")}
              </button>
            )}
          {props.clearable && (
            <button
              type="button"
              role="menuitem"
              class="menu-item"
              data-testid="remind-clear"
              onClick={() => void remind(null)}
            >
              {t("remind.clear")}
            </button>
          )}
        </div>
      )}
    </div>
  );
}
