/** The admin page's button for what cannot be undone: it asks twice. */

import { useSignal } from "@preact/signals";
import type { JSX } from "preact";
import { t } from "../i18n.ts";

/**
 * A destructive button that asks twice in the page itself: dialogs are
 * easy to click through and block the page. Leaving it (Tab, a click
 * elsewhere) or Escape takes the question back. The question is said again in a
 * polite live region beside it (`<testId>-question`, present from the
 * first render, as a region must be before what it announces): a screen
 * reader does not always read a focused button's new name.
 */
export function ConfirmButton(
  { label, testId, onConfirm }: {
    label: string;
    testId: string;
    onConfirm: () => void;
  },
): JSX.Element {
  const asking = useSignal(false);
  const question = t("admin.confirm", { action: label });
  return (
    <>
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
        onKeyDown={(e) => {
          // As a dialog's Escape would: the focus stays, the question goes.
          if (e.key === "Escape" && asking.value) {
            e.preventDefault();
            asking.value = false;
          }
        }}
      >
        {asking.value ? question : label}
      </button>
      <span
        class="sr-only"
        role="status"
        data-testid={`${testId}-question`}
      >
        {asking.value ? question : ""}
      </span>
    </>
  );
}
