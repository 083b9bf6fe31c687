/**
 * The frame of a page over the chat (access tokens, a room's webhooks): a
 * backdrop that closes it, a titled dialog with a close button, and Escape;
 * the focus goes back where it was when it closes.
 */

import type { ComponentChildren, JSX } from "preact";
import { useLayoutEffect, useRef } from "preact/hooks";
import { CloseIcon } from "./Icons.tsx";

/** A settings page; `name` makes its ids: `<name>-page`, `-title`, `-close`. */
export function SettingsPage(props: {
  name: string;
  title: string;
  closeLabel: string;
  onClose: () => void;
  children: ComponentChildren;
}): JSX.Element {
  // The latest onClose, for the key handler added once.
  const onClose = useRef(props.onClose);
  onClose.current = props.onClose;
  // A layout effect, as Dialog's: it reads what had the focus before the
  // page's own effects move it in (the tokens page's name field), and
  // gives it back on close (else it fell to the page's body).
  useLayoutEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    function onKey(event: KeyboardEvent): void {
      if (event.key === "Escape") {
        event.stopPropagation();
        onClose.current();
      }
    }
    addEventListener("keydown", onKey, true);
    return () => {
      removeEventListener("keydown", onKey, true);
      if (before?.isConnected) before.focus();
    };
  }, []);
  const close = () => onClose.current();
  return (
    <div class="page-backdrop" onClick={close}>
      <section
        class="page"
        role="dialog"
        aria-modal="true"
        aria-labelledby={`${props.name}-title`}
        data-testid={`${props.name}-page`}
        onClick={(e) => e.stopPropagation()}
      >
        <header class="page-header">
          <h2 id={`${props.name}-title`}>{props.title}</h2>
          <button
            type="button"
            class="icon-button"
            data-testid={`${props.name}-close`}
            aria-label={props.closeLabel}
            title={props.closeLabel}
            onClick={close}
          >
            <CloseIcon />
          </button>
        </header>
        {props.children}
      </section>
    </div>
  );
}
