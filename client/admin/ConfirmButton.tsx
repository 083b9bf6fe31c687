/** The admin page's button for what cannot be undone: it asks twice. */

import { useSignal } from "@preact/signals";
import type { JSX } from "preact";
import { t } from "../i18n.ts";

/**
 * A destructive button that asks twice in the page itself: dialogs are
 * easy to click through and block the page. Leaving it (Tab, a click
 * elsewhere) takes the question back.
 */
export function ConfirmButton(
  { label, testId, onConfirm }: {
    label: string;
    testId: string;
    onConfirm: () => void;
  },
): JSX.Element {
  const asking = useSignal(false);
  return (
    <button
      type="button"
      class="danger"
      data-testid={testId}
      onClick={() => {
        if (!asking.value) {
          asking.value = true;
          return;
        }
        asking.value = false;
        onConfirm();
      }}
      onBlur={() => asking.value = false}
    >
      {asking.value ? t("admin.confirm", { action: label }) : label}
    </button>
  );
}
