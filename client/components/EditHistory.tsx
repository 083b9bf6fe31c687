/**
 * A message's edit history (`message_edits`), opened from its "(edited)"
 * mark: its text now first, then each text its edits replaced, newest
 * first, each with when it was written in the reader's locale. Read once
 * when it opens: an edit made while it is open shows the next time.
 */

import { useSignal } from "@preact/signals";
import type { JSX } from "preact";
import { useEffect } from "preact/hooks";
import { MAX_KEPT_EDITS } from "../../server/protocol/limits.ts";
import type { MessageEdits } from "../../server/protocol/types.ts";
import { useApp } from "../app_context.ts";
import { formatDateTime } from "../format.ts";
import { t } from "../i18n.ts";
import { Dialog } from "./Dialog.tsx";

/** The edit history dialog of the message `id`. */
export function EditHistory(
  props: { id: string; onClose: () => void },
): JSX.Element {
  const { connection } = useApp();
  const history = useSignal<MessageEdits | null>(null);
  const error = useSignal<string | null>(null);
  useEffect(() => {
    let open = true;
    void connection.messageEdits(props.id).then((result) => {
      if (!open) return;
      if (result.ok) history.value = result.data;
      else error.value = result.error.message;
    });
    return () => {
      open = false;
    };
  }, [props.id]);
  const data = history.value;
  // Newest first: what a reader asks is what it said before.
  const versions = data
    ? [
      { ...data.current, label: t("msg.historyNow") },
      ...data.edits.map((edit, i) => ({
        ...edit,
        // The first kept is the original unless the oldest were dropped.
        label: i === 0 && data.edits.length < MAX_KEPT_EDITS
          ? t("msg.historyOriginal")
          : t("msg.historyEdited"),
      })).reverse(),
    ]
    : [];
  return (
    <Dialog
      title={t("msg.historyTitle")}
      testId="edit-history"
      onClose={props.onClose}
    >
      <p
        class={`dialog-status${error.value ? " error" : ""}`}
        role="status"
      >
        {error.value ?? (data ? "" : t("msg.historyLoading"))}
      </p>
      <ol class="edit-history" data-testid="edit-history-list">
        {versions.map((version, i) => (
          <li key={i} class="edit-version" data-testid="edit-version">
            <div class="edit-version-head">
              <span class="edit-version-label">{version.label}</span>{" "}
              <time dateTime={version.ts}>{formatDateTime(version.ts)}</time>
            </div>
            <div class="edit-version-text" data-testid="edit-version-text">
              {version.text}
            </div>
          </li>
        ))}
      </ol>
      <div class="dialog-row">
        <button
          type="button"
          class="button ghost small"
          data-autofocus
          onClick={props.onClose}
        >
          {t("msg.historyClose")}
        </button>
      </div>
    </Dialog>
  );
}
