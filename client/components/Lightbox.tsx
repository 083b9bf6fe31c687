/** An image shown full size over the page; Esc, a click or the close button closes it. */

import type { JSX } from "preact";
import { useLayoutEffect, useRef } from "preact/hooks";
import * as actions from "../actions.ts";
import { useApp } from "../app_context.ts";
import { formatSize } from "../format.ts";
import { t } from "../i18n.ts";
import { CloseIcon, DownloadIcon } from "./Icons.tsx";

/** The lightbox, when an image is open. */
export function Lightbox(): JSX.Element | null {
  const { state } = useApp();
  const image = state.lightbox.value;
  const closeRef = useRef<HTMLButtonElement>(null);
  useLayoutEffect(() => {
    if (!image) return;
    // Focus goes back where it was (the preview) when the lightbox closes.
    const before = document.activeElement as HTMLElement | null;
    closeRef.current?.focus();
    function onKey(event: KeyboardEvent): void {
      if (event.key === "Escape") {
        event.stopPropagation();
        actions.lightboxChanged(state, null);
      }
    }
    addEventListener("keydown", onKey, true);
    return () => {
      removeEventListener("keydown", onKey, true);
      before?.focus();
    };
  }, [image]);
  if (!image) return null;
  const close = () => actions.lightboxChanged(state, null);
  return (
    <div
      class="lightbox"
      data-testid="lightbox"
      role="dialog"
      aria-modal="true"
      aria-label={t("file.viewer", { name: image.name })}
      onClick={close}
    >
      <div class="lightbox-bar" onClick={(e) => e.stopPropagation()}>
        <span class="lightbox-name">{image.name}</span>
        <span class="lightbox-size">{formatSize(image.size)}</span>
        <a
          class="icon-button"
          href={image.url}
          download={image.name}
          aria-label={t("file.download", { name: image.name })}
          title={t("file.download", { name: image.name })}
        >
          <DownloadIcon />
        </a>
        <button
          ref={closeRef}
          type="button"
          class="icon-button"
          data-testid="lightbox-close"
          aria-label={t("file.close")}
          title={t("file.close")}
          onClick={close}
        >
          <CloseIcon />
        </button>
      </div>
      <img class="lightbox-image" src={image.url} alt={image.name} />
    </div>
  );
}
