/**
 * A room's topic under its name in the header: one line, cut with "…"
 * when long; the whole shows on hover (its title) and on a tap, which
 * unfolds it until the next tap. Its links, mentions and #rooms are the
 * messages' own (RichText), so they open and look the same.
 */

import { useSignal } from "@preact/signals";
import type { JSX } from "preact";
import { useApp } from "../app_context.ts";
import { t } from "../i18n.ts";
import { RichText } from "./RichText.tsx";

/** The topic line of the room on screen. */
export function RoomTopic(props: { topic: string }): JSX.Element {
  const { state } = useApp();
  const open = useSignal(false);
  return (
    <div
      class={`room-topic${open.value ? " open" : ""}`}
      data-testid="room-topic"
      title={props.topic}
      onClick={(event) => {
        // A link opens as in a message; elsewhere a tap folds or unfolds.
        if ((event.target as Element).closest("a")) return;
        open.value = !open.value;
      }}
    >
      <span class="sr-only">{t("header.topic")}:</span>
      <RichText text={props.topic} me={state.username.value} />
    </div>
  );
}
