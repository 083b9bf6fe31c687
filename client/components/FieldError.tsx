/**
 * A field's refusal, under it (a room's name taken, a section's): read out
 * as it shows (`role="alert"`), and named by the field it describes, which
 * says it is invalid meanwhile.
 */

import type { JSX } from "preact";

/** Props of {@linkcode FieldError}. */
export interface FieldErrorProps {
  /** The line's id, which its field's `aria-describedby` names. */
  id: string;
  testId: string;
  /** The words; none, no line. */
  error: string | null;
}

/** The error line under a field, while there is an error. */
export function FieldError(props: FieldErrorProps): JSX.Element | null {
  if (!props.error) return null;
  return (
    <p
      id={props.id}
      class="field-error"
      role="alert"
      data-testid={props.testId}
    >
      {props.error}
    </p>
  );
}

/**
 * What a field says of its {@linkcode FieldError}: invalid and described
 * by it while it shows, its class marked `invalid` (red).
 */
export function fieldInvalid(
  base: string,
  error: { id: string; error: string | null },
): {
  class: string;
  "aria-invalid": "true" | undefined;
  "aria-describedby": string | undefined;
} {
  return {
    class: error.error ? `${base} invalid` : base,
    "aria-invalid": error.error ? "true" : undefined,
    "aria-describedby": error.error ? error.id : undefined,
  };
}
