/**
 * Scheduled messages (Slack's "Send later"): the composer's Send later
 * menu (in 20 minutes, in an hour, tomorrow at 9:00, a chosen time), and
 * the panel of the account's scheduled messages (from the composer's menu
 * or the room header) to edit, send now or cancel each. The server sends
 * each at its time and tells every device (`scheduled_sent`,
 * `scheduled_failed`: connection/events.ts).
 */

import { useSignal } from "@preact/signals";
import type { JSX } from "preact";
import { useEffect, useRef } from "preact/hooks";
import type { ScheduledMessage } from "../../server/protocol/types.ts";
import * as actions from "../actions.ts";
import { useApp } from "../app_context.ts";
import { Dialog } from "../components/Dialog.tsx";
import { formatDateTime } from "../format.ts";
import { type MessageKey, t } from "../i18n.ts";
import { useDismiss } from "../use_dismiss.ts";
import * as teamActions from "./actions.ts";
import { ClockIcon } from "./icons.tsx";
import { localInput } from "./Remind.tsx";

/** The menu's choices: when each is, from now (local time). */
const CHOICES: {
  label: MessageKey;
  testId: string;
  at: (now: Date) => Date;
}[] = [
  {
    label: "scheduled.in20",
    testId: "later-20m",
    at: (now) => new Date(now.getTime() + 20 * 60_000),
  },
  {
    label: "scheduled.in1h",
    testId: "later-1h",
    at: (now) => new Date(now.getTime() + 3600_000),
  },
  {
    label: "scheduled.tomorrow",
    testId: "later-tomorrow",
    at: (now) =>
      new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1, 9, 0),
  },
];

/**
 * The composer's Send later button and its menu: `onPick` schedules what
 * the box holds at the time chosen (disabled: nothing to send); the menu
 * also opens the scheduled messages panel.
 */
export function SendLaterButton(props: {
  disabled: boolean;
  onPick: (at: Date) => void;
}): JSX.Element {
  const { state } = useApp();
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
  function pick(at: Date): void {
    close();
    props.onPick(at);
  }
  return (
    <div class="header-menu send-later" ref={root}>
      <button
        type="button"
        class="attach-button"
        data-testid="send-later"
        aria-label={t("scheduled.laterLabel")}
        title={t("scheduled.later")}
        aria-haspopup="menu"
        aria-expanded={open.value}
        onClick={() => open.value ? close() : open.value = true}
      >
        <ClockIcon />
      </button>
      {open.value && (
        <div class="menu menu-up" role="menu" aria-label={t("scheduled.later")}>
          <p class="menu-heading">{t("scheduled.later")}</p>
          {CHOICES.map((choice) => (
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
                  data-testid="later-at"
                  aria-label={t("scheduled.custom")}
                  min={localInput(new Date())}
                  value={chosen.value}
                  onInput={(event) =>
                    chosen.value = (event.target as HTMLInputElement).value}
                />
                <button
                  type="submit"
                  class="menu-item"
                  data-testid="later-set"
                  disabled={props.disabled}
                >
                  {t("scheduled.set")}
                </button>
              </form>
            )
            : (
              <button
                type="button"
                role="menuitem"
                class="menu-item"
                data-testid="later-custom"
                disabled={props.disabled}
                onClick={() => {
                  chosen.value = localInput(new Date(Date.now() + 3600_000));
                  choosing.value = true;
                }}
              >
                {t("scheduled.custom")}
              </button>
            )}
          <button
            type="button"
            role="menuitem"
            class="menu-item"
            data-testid="scheduled-open-composer"
            onClick={() => {
              close();
              teamActions.scheduledToggled(state, true);
            }}
          >
            {t("scheduled.open")}
          </button>
        </div>
      )}
    </div>
  );
}

/** The header's button that opens the scheduled messages panel. */
export function ScheduledOpenButton(): JSX.Element {
  const { state } = useApp();
  return (
    <button
      type="button"
      class="icon-button"
      data-testid="scheduled-open"
      aria-label={t("scheduled.open")}
      title={t("scheduled.open")}
      aria-haspopup="dialog"
      onClick={() => teamActions.scheduledToggled(state, true)}
    >
      <ClockIcon />
    </button>
  );
}

/** The scheduled messages panel: read from the server as it opens. */
export function ScheduledPanel(): JSX.Element {
  const { state, connection } = useApp();
  const error = useSignal<string | null>(null);
  useEffect(() => {
    void connection.listScheduled().then((failed) => {
      if (failed) error.value = failed.message;
    });
  }, []);
  const list = state.team.scheduled.value;
  return (
    <Dialog
      title={t("scheduled.panel")}
      testId="scheduled-panel"
      size="wide"
      onClose={() => teamActions.scheduledToggled(state, false)}
    >
      {error.value && <p class="field-error" role="alert">{error.value}</p>}
      {list === null
        ? !error.value &&
          <p class="search-status" role="status">{t("pin.loading")}</p>
        : list.length === 0
        ? <p class="search-status" role="status">{t("scheduled.none")}</p>
        : (
          <ul class="search-results" data-testid="scheduled-list">
            {list.map((item) => <ScheduledLine key={item.id} item={item} />)}
          </ul>
        )}
    </Dialog>
  );
}

/** One scheduled message: where and when, its text, and its actions. */
function ScheduledLine(props: { item: ScheduledMessage }): JSX.Element {
  const { state, connection } = useApp();
  const { item } = props;
  const editing = useSignal<string | null>(null);
  const target = item.room !== undefined ? `#${item.room}` : `@${item.to}`;
  async function act(work: Promise<unknown>): Promise<void> {
    const failed = await work;
    if (failed && typeof failed === "object" && "message" in failed) {
      actions.errorShown(state, failed as { message: string });
    }
  }
  return (
    <li class="scheduled-entry" data-testid="scheduled-item">
      <p class="scheduled-when">
        {t("scheduled.to", {
          target,
          when: formatDateTime(item.send_at),
        })}
      </p>
      {editing.value === null
        ? <p class="scheduled-text" data-testid="scheduled-text">{item.text}</p>
        : (
          <form
            class="scheduled-edit"
            onSubmit={(event) => {
              event.preventDefault();
              const text = editing.value ?? "";
              editing.value = null;
              void act(connection.updateScheduled(item.id, { text }));
            }}
          >
            <textarea
              data-testid="scheduled-edit-text"
              aria-label={t("scheduled.edit")}
              value={editing.value}
              onInput={(event) =>
                editing.value = (event.target as HTMLTextAreaElement).value}
            />
            <button
              type="submit"
              class="button"
              data-testid="scheduled-save"
            >
              {t("scheduled.save")}
            </button>
          </form>
        )}
      <span class="scheduled-actions">
        {editing.value === null && (
          <button
            type="button"
            class="button"
            data-testid="scheduled-edit"
            onClick={() => editing.value = item.text}
          >
            {t("scheduled.edit")}
          </button>
        )}
        <button
          type="button"
          class="button"
          data-testid="scheduled-send-now"
          onClick={() =>
            void act(connection.updateScheduled(item.id, { send_now: true }))}
        >
          {t("scheduled.sendNow")}
        </button>
        <button
          type="button"
          class="button"
          data-testid="scheduled-cancel"
          onClick={() => void act(connection.cancelScheduled(item.id))}
        >
          {t("scheduled.cancel")}
        </button>
      </span>
    </li>
  );
}
