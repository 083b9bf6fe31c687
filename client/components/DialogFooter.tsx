/**
 * What the small dialogs that send one request share at their foot: the
 * status line that shows the server's refusal, and Submit and Cancel,
 * disabled while the request is under way ({@linkcode useDialogForm}).
 */
import { type Signal, useSignal } from "@preact/signals";
import type { JSX } from "preact";

/** A dialog form's request: under way or not, and its refusal. */
export interface DialogForm {
  /** True while the request is under way: the fields and Submit wait. */
  busy: Signal<boolean>;
  /** The refusal to show, until the next edit or submit. */
  error: Signal<string | null>;
  /** The form's `onSubmit`: sends, then closes the dialog or shows why not. */
  submit: (event: Event) => Promise<void>;
}

/**
 * The state of a dialog's form: `send` answers the words of a refusal
 * (the form's own check's, before any request, or the server's), or null
 * when the server took it, after which `onDone` closes the dialog.
 */
export function useDialogForm(
  send: () => Promise<string | null>,
  onDone: () => void,
  options: { busy?: boolean } = {},
): DialogForm {
  // Busy from the start for a form that reads what it shows first (its
  // reader sets it back).
  const busy = useSignal(options.busy ?? false);
  const error = useSignal<string | null>(null);
  async function submit(event: Event): Promise<void> {
    event.preventDefault();
    busy.value = true;
    const refused = await send();
    busy.value = false;
    if (refused === null) onDone();
    else error.value = refused;
  }
  return { busy, error, submit };
}

/** Props of {@linkcode DialogStatus}. */
export interface DialogStatusProps {
  /** What to say; empty says nothing and keeps the line's place. */
  text: string | null;
  /** True when `text` is a refusal, shown as an error; by default, any text. */
  error?: boolean;
  testId: string;
}

/** A dialog's status line, read out by screen readers as it changes. */
export function DialogStatus(props: DialogStatusProps): JSX.Element {
  return (
    <p
      class={`dialog-status${(props.error ?? !!props.text) ? " error" : ""}`}
      role="status"
      data-testid={props.testId}
    >
      {props.text ?? ""}
    </p>
  );
}

/** Props of {@linkcode DialogFooter}. */
export interface DialogFooterProps {
  form: DialogForm;
  /** The submit button's label. */
  submit: string;
  /** The cancel button's label. */
  cancel: string;
  onCancel: () => void;
  /** Test ids of the status line, the submit button and the cancel button. */
  testIds: { status: string; submit: string; cancel?: string };
}

/** A dialog form's foot: its status line, then Submit and Cancel. */
export function DialogFooter(props: DialogFooterProps): JSX.Element {
  const { busy, error } = props.form;
  return (
    <>
      <DialogStatus text={error.value} testId={props.testIds.status} />
      <div class="dialog-row">
        <button
          type="submit"
          class="button primary small"
          data-testid={props.testIds.submit}
          disabled={busy.value}
        >
          {props.submit}
        </button>
        <button
          type="button"
          class="button ghost small"
          data-testid={props.testIds.cancel}
          onClick={props.onCancel}
        >
          {props.cancel}
        </button>
      </div>
    </>
  );
}
