/**
 * A modal dialog: a titled card over a scrim. Focus moves in when it
 * opens (to the element marked `data-autofocus`, else the first), Tab stays inside, Escape or a click on the scrim closes it, and
 * focus goes back where it was.
 */

import type { ComponentChildren, JSX } from "preact";
import { useLayoutEffect, useRef } from "preact/hooks";
import { FOCUSABLE, keepTabInside } from "../dom.ts";
import { t } from "../i18n.ts";
import { CloseIcon } from "./Icons.tsx";

/** Props of {@linkcode Dialog}. */
export interface DialogProps {
  /** The heading, which also names the dialog. */
  title: string;
  /** A test id for the card. */
  testId: string;
  /** Called on Escape, the close button or a click outside. */
  onClose: () => void;
  /** `wide` for search results and lists. */
  size?: "normal" | "wide";
  /** The dialog's content. */
  children: ComponentChildren;
}

/** A modal dialog with its own focus. */
export function Dialog(props: DialogProps): JSX.Element {
  const card = useRef<HTMLDivElement>(null);
  const close = useRef(props.onClose);
  close.current = props.onClose;
  useLayoutEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    const box = card.current;
    const first = box?.querySelector<HTMLElement>("[data-autofocus]") ??
      box?.querySelector<HTMLElement>(FOCUSABLE);
    (first ?? box)?.focus();
    function onKey(event: KeyboardEvent): void {
      if (event.key === "Escape") {
        event.stopPropagation();
        close.current();
        return;
      }
      if (box) keepTabInside(box, event);
    }
    addEventListener("keydown", onKey, true);
    return () => {
      removeEventListener("keydown", onKey, true);
      if (before?.isConnected) before.focus();
    };
  }, []);
  const titleId = `${props.testId}-title`;
  return (
    <div
      class="dialog-scrim"
      onMouseDown={(e) => {
        if (e.target === e.currentTarget) props.onClose();
      }}
    >
      <div
        ref={card}
        class={`dialog${props.size === "wide" ? " wide" : ""}`}
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        data-testid={props.testId}
        tabIndex={-1}
      >
        <div class="dialog-head">
          <h2 id={titleId} class="dialog-title">{props.title}</h2>
          <button
            type="button"
            class="icon-button"
            data-testid="dialog-close"
            aria-label={t("file.close")}
            title={t("file.close")}
            onClick={props.onClose}
          >
            <CloseIcon />
          </button>
        </div>
        <div class="dialog-body">{props.children}</div>
      </div>
    </div>
  );
}
