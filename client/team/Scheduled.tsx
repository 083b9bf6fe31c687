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
import { useEffect } from "preact/hooks";
import type { ScheduledMessage } from "../../server/protocol/types.ts";
import * as actions from "../actions.ts";
import { useApp } from "../app_context.ts";
import { Dialog } from "../components/Dialog.tsx";
import { formatDateTime } from "../format.ts";
import { t, tn } from "../i18n.ts";
import { dmKey, roomKey } from "../state.ts";
import * as teamActions from "./actions.ts";
import { ClockIcon } from "./icons.tsx";
import {
  inMinutes,
  type TimeChoice,
  TimeMenuButton,
  tomorrowAtNine,
} from "./TimeMenu.tsx";

/** The menu's choices. */
const CHOICES: readonly TimeChoice[] = [
  { label: "scheduled.in20", testId: "later-20m", at: inMinutes(20) },
  { label: "scheduled.in1h", testId: "later-1h", at: inMinutes(60) },
  {
    label: "scheduled.tomorrow",
    testId: "later-tomorrow",
    at: tomorrowAtNine,
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
  return (
    <TimeMenuButton
      button={{
        class: "attach-button",
        testId: "send-later",
        label: t("scheduled.laterLabel"),
        title: t("scheduled.later"),
      }}
      heading={t("scheduled.later")}
      up
      choices={CHOICES}
      custom={{
        label: t("scheduled.custom"),
        set: t("scheduled.set"),
        prefix: "later",
        aheadMs: 3600_000,
      }}
      disabled={props.disabled}
      onPick={props.onPick}
      more={(close) => (
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
      )}
    />
  );
}

/** The header's button that opens the scheduled messages panel. */
export function ScheduledOpenButton(): JSX.Element {
  const { state } = useApp();
  return (
    <button
      type="button"
      class="icon-button header-more"
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

/** The log key of where a scheduled message goes: its room's, or its conversation's. */
function scheduledKey(item: ScheduledMessage): string {
  return item.room !== undefined ? roomKey(item.room) : dmKey(item.to ?? "");
}

/**
 * Above the composer of a room or conversation with messages scheduled to
 * it, Slack's "N scheduled": a link that opens the Scheduled panel. The
 * list is read at each login (connection/mod.ts), then kept by the
 * `scheduled…` events; nothing shows until it is read, nor for a guest.
 */
export function ScheduledMark(): JSX.Element | null {
  const { state } = useApp();
  const key = state.viewKey.value;
  const count = (state.team.scheduled.value ?? [])
    .filter((item) => scheduledKey(item) === key).length;
  if (count === 0) return null;
  return (
    <div class="scheduled-mark">
      <button
        type="button"
        class="link-button"
        data-testid="scheduled-mark"
        onClick={() => teamActions.scheduledToggled(state, true)}
      >
        <ClockIcon />
        {tn("scheduled.count", count)}
      </button>
    </div>
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
