/** The inline form behind the sidebar's "+" button. */

import { useSignal } from "@preact/signals";
import type { JSX } from "preact";
import { MAX_NAME_LENGTH } from "../../server/protocol/limits.ts";
import { useApp } from "../app_context.ts";
import { t } from "../i18n.ts";

/** Props of {@linkcode CreateRoomForm}. */
export interface CreateRoomFormProps {
  /** Called when the room was created or the user gave up. */
  onDone: () => void;
}

/** Asks for a room name; shows the server's refusal under the field. */
export function CreateRoomForm({ onDone }: CreateRoomFormProps): JSX.Element {
  const { connection } = useApp();
  const name = useSignal("");
  const error = useSignal<string | null>(null);
  const busy = useSignal(false);
  async function submit(event: Event): Promise<void> {
    event.preventDefault();
    if (name.value.trim() === "") {
      error.value = t("error.enterRoom");
      return;
    }
    busy.value = true;
    const failure = await connection.createRoom(name.value);
    busy.value = false;
    if (failure) error.value = failure.message;
    else onDone();
  }
  return (
    <form class="create-room" onSubmit={(e) => void submit(e)}>
      <input
        class={`field small${error.value ? " invalid" : ""}`}
        data-testid="create-room-input"
        aria-label={t("sidebar.newRoom")}
        placeholder="new-room"
        maxLength={MAX_NAME_LENGTH}
        autoFocus
        disabled={busy.value}
        value={name.value}
        onInput={(e) => {
          name.value = e.currentTarget.value;
          error.value = null;
        }}
        onKeyDown={(e) => {
          if (e.key === "Escape") onDone();
        }}
      />
      {error.value && (
        <p class="field-error" role="alert" data-testid="create-room-error">
          {error.value}
        </p>
      )}
    </form>
  );
}
