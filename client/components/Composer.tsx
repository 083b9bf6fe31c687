/** The message box: Enter sends, Shift+Enter adds a line, "/" starts a command. */

import { useSignal } from "@preact/signals";
import type { JSX } from "preact";
import { useEffect, useRef } from "preact/hooks";
import { MAX_MESSAGE_LENGTH } from "../../server/protocol/types.ts";
import { useApp } from "../app_context.ts";
import { runInput } from "../commands.ts";
import { SendIcon } from "./Icons.tsx";

/** Most rows the box grows to before it scrolls. */
const MAX_ROWS = 8;

/** The composer under the message list. */
export function Composer(): JSX.Element {
  const services = useApp();
  const { state } = services;
  const shown = state.view.value;
  const target = shown.kind === "dm"
    ? `@${shown.with}`
    : `#${state.currentRoom.value}`;
  const text = useSignal("");
  const ref = useRef<HTMLTextAreaElement>(null);
  useEffect(() => ref.current?.focus(), [state.viewKey.value]);

  function submit(): void {
    const input = text.value;
    if (input.trim() === "") return;
    text.value = "";
    void runInput(services, input);
    ref.current?.focus();
  }
  function onKeyDown(event: KeyboardEvent): void {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submit();
    }
  }
  const length = text.value.trim().length;
  const rows = Math.min(MAX_ROWS, text.value.split("\n").length);
  return (
    <form
      class="composer"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      <div class="composer-box">
        <textarea
          ref={ref}
          class="composer-input"
          data-testid="composer"
          aria-label={`Message ${target}`}
          placeholder={`Message ${target}`}
          rows={rows}
          value={text.value}
          onInput={(e) => text.value = e.currentTarget.value}
          onKeyDown={onKeyDown}
        />
        {length > MAX_MESSAGE_LENGTH - 500 && (
          <span
            class={`composer-count${
              length > MAX_MESSAGE_LENGTH ? " over" : ""
            }`}
            aria-live="polite"
          >
            {MAX_MESSAGE_LENGTH - length}
          </span>
        )}
        <button
          type="submit"
          class="send-button"
          data-testid="send"
          aria-label="Send message"
          disabled={length === 0}
        >
          <SendIcon />
        </button>
      </div>
      <p class="composer-hint">
        <kbd>Enter</kbd> to send · <kbd>Shift</kbd>+<kbd>Enter</kbd>{" "}
        for a new line · <kbd>/help</kbd> for commands
      </p>
    </form>
  );
}
