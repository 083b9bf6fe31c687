/** The inline form behind the sidebar's "+" button. */

import { useSignal } from "@preact/signals";
import type { JSX } from "preact";
import { useLayoutEffect, useRef } from "preact/hooks";
import { MAX_NAME_LENGTH } from "../../server/protocol/limits.ts";
import { useApp } from "../app_context.ts";
import { t } from "../i18n.ts";
import { FieldError, fieldInvalid } from "./FieldError.tsx";
import { LockIcon } from "./Icons.tsx";

const ERROR_ID = "create-room-error";

/** Props of {@linkcode CreateRoomForm}. */
export interface CreateRoomFormProps {
  /** Called when the room was created or the user gave up. */
  onDone: () => void;
}

/**
 * Asks for a room name, and whether it is invite-only (accounts only);
 * shows the server's refusal under the field. Escape gives up.
 */
export function CreateRoomForm({ onDone }: CreateRoomFormProps): JSX.Element {
  const { state, connection } = useApp();
  const name = useSignal("");
  const secret = useSignal(false);
  const error = useSignal<string | null>(null);
  const busy = useSignal(false);
  const input = useRef<HTMLInputElement>(null);
  // `autofocus` only works as a page loads: focus the field as it opens.
  useLayoutEffect(() => input.current?.focus(), []);
  async function submit(event: Event): Promise<void> {
    event.preventDefault();
    if (name.value.trim() === "") {
      error.value = t("error.enterRoom");
      return;
    }
    if (busy.value) return;
    busy.value = true;
    const failure = await connection.createRoom(name.value, {
      private: secret.value,
    });
    busy.value = false;
    if (!failure) return onDone();
    error.value = failure.message;
    // Back to the field the refusal describes: the button clicked lost the
    // focus as it was disabled, and with it Escape and the typing.
    input.current?.focus();
  }
  return (
    <form
      class="create-room"
      onSubmit={(e) => void submit(e)}
      onKeyDown={(e) => {
        if (e.key === "Escape") {
          e.stopPropagation();
          onDone();
        }
      }}
    >
      <div class="create-room-row">
        <input
          ref={input}
          {...fieldInvalid("field small", { id: ERROR_ID, error: error.value })}
          data-testid="create-room-input"
          aria-label={t("sidebar.newRoom")}
          placeholder="new-room"
          maxLength={MAX_NAME_LENGTH}
          // Read-only, not disabled, while the server answers: a disabled
          // field drops the focus (to the page's body), and Escape with it.
          readOnly={busy.value}
          value={name.value}
          onInput={(e) => {
            name.value = e.currentTarget.value;
            error.value = null;
          }}
        />
        <button
          type="submit"
          class="button primary small"
          data-testid="create-room-submit"
          disabled={busy.value}
        >
          {t("create.submit")}
        </button>
      </div>
      {state.account.value && (
        <label class="check-label">
          <input
            type="checkbox"
            data-testid="create-room-private"
            checked={secret.value}
            onChange={(e) => secret.value = e.currentTarget.checked}
          />
          <LockIcon />
          {t("create.private")}
        </label>
      )}
      <FieldError
        id={ERROR_ID}
        testId="create-room-error"
        error={error.value}
      />
    </form>
  );
}
