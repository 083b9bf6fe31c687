/** "alice is typing…" under the message list; the line keeps its height so nothing jumps. */

import type { JSX } from "preact";
import { useApp } from "../app_context.ts";
import { t } from "../i18n.ts";
import { entry } from "../state.ts";

/** Who is typing in what the middle column shows. */
export function TypingIndicator(): JSX.Element {
  const { state } = useApp();
  const typists = entry(state.typing.value, state.viewKey.value) ?? [];
  let text = "";
  if (typists.length === 1) {
    text = t("typing.one", { a: typists[0].name });
  } else if (typists.length === 2) {
    text = t("typing.two", { a: typists[0].name, b: typists[1].name });
  } else if (typists.length > 2) {
    text = t("typing.many");
  }
  return (
    <div class="typing" data-testid="typing" aria-live="polite">
      {text !== "" && (
        <>
          <span class="typing-dots" aria-hidden="true">
            <span />
            <span />
            <span />
          </span>
          <span data-testid="typing-text">{text}</span>
        </>
      )}
    </div>
  );
}
