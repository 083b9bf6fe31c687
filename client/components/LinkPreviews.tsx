/**
 * A message's link previews (docs/protocol.md, "Link previews"): a card
 * per link under the text, with the page's title as a link, its site name
 * and its description (clamped by CSS), text only, rendered as text; no
 * image (a third party's picture would tell it every reader's address).
 * The author, and a moderator or admin for a room message, get a button
 * that takes them away (`remove_link_previews`).
 */
import type { JSX } from "preact";
import type { LinkPreview } from "../../server/protocol/types.ts";
import * as actions from "../actions.ts";
import { useApp } from "../app_context.ts";
import { t } from "../i18n.ts";
import { CloseIcon } from "./Icons.tsx";

/** Props of {@linkcode LinkPreviews}. */
export interface LinkPreviewsProps {
  /** The message's id, for the removal. */
  id: string;
  previews: LinkPreview[];
  /** Whether the reader may remove them (its own message, or staff's). */
  removable: boolean;
}

/** The cards of a message's link previews. */
export function LinkPreviews(props: LinkPreviewsProps): JSX.Element | null {
  const { state, connection } = useApp();
  // Only web links are made links: the server sends no other, and a
  // `javascript:` one from a server of another mind would run here.
  const shown = props.previews.filter((p) => /^https?:\/\//i.test(p.url));
  if (shown.length === 0) return null;
  async function remove(): Promise<void> {
    actions.errorShown(state, await connection.removeLinkPreviews(props.id));
  }
  return (
    <div class="link-previews">
      {shown.map((preview) => (
        <div key={preview.url} class="link-preview" data-testid="link-preview">
          {preview.site_name && (
            <div class="link-preview-site">{preview.site_name}</div>
          )}
          <a
            class="link-preview-title"
            href={preview.url}
            target="_blank"
            rel="noopener noreferrer nofollow"
          >
            {preview.title ?? preview.url}
          </a>
          {preview.description && (
            <p class="link-preview-description">{preview.description}</p>
          )}
        </div>
      ))}
      {props.removable && (
        <button
          type="button"
          class="link-previews-remove"
          data-testid="link-previews-remove"
          aria-label={t("msg.removePreviews")}
          title={t("msg.removePreviews")}
          onClick={() => void remove()}
        >
          <CloseIcon />
        </button>
      )}
    </div>
  );
}
