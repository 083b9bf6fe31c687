/**
 * Reminders on saved messages (Slack's "Remind me about this"): a message's
 * "Remind me…" menu (in 20 minutes, in an hour, in 3 hours, tomorrow at
 * 9:00, or a chosen time), which saves the message with `remind_at`; the
 * saved panel uses the same menu to change one, with Clear. When it comes
 * due the server sends `reminder` (connection/events.ts).
 */

import type { JSX } from "preact";
import * as actions from "../actions.ts";
import { useApp } from "../app_context.ts";
import { t } from "../i18n.ts";
import {
  inMinutes,
  type TimeChoice,
  TimeMenuButton,
  tomorrowAtNine,
} from "./TimeMenu.tsx";

/** The menu's choices. */
const CHOICES: readonly TimeChoice[] = [
  { label: "remind.in20", testId: "remind-20m", at: inMinutes(20) },
  { label: "remind.in1h", testId: "remind-1h", at: inMinutes(60) },
  { label: "remind.in3h", testId: "remind-3h", at: inMinutes(180) },
  { label: "remind.tomorrow", testId: "remind-tomorrow", at: tomorrowAtNine },
];

/**
 * The "Remind me…" button and its menu; `clearable` offers Clear. What it
 * sets reaches the saved panel as every device's does (reminderChange).
 */
export function RemindButton(props: {
  id: string;
  clearable?: boolean;
}): JSX.Element {
  const { state, connection } = useApp();
  async function remind(at: Date | null): Promise<void> {
    const result = await connection.setReminder(
      props.id,
      at === null ? null : at.toISOString(),
    );
    if (!("remindAt" in result)) actions.errorShown(state, result);
  }
  return (
    <TimeMenuButton
      button={{
        class: "msg-action",
        testId: "message-remind",
        label: t("remind.label"),
        title: t("remind.action"),
      }}
      heading={t("remind.action")}
      choices={CHOICES}
      custom={{
        label: t("remind.custom"),
        set: t("remind.set"),
        prefix: "remind",
        aheadMs: 24 * 3600_000,
      }}
      onPick={(at) => void remind(at)}
      more={(close) =>
        props.clearable && (
          <button
            type="button"
            role="menuitem"
            class="menu-item"
            data-testid="remind-clear"
            onClick={() => {
              close();
              void remind(null);
            }}
          >
            {t("remind.clear")}
          </button>
        )}
    />
  );
}
