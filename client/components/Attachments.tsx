/**
 * The files of a message: images as previews that open full size, other
 * files (and images too large to decode safely) as download cards.
 */

import type { JSX } from "preact";
import type { Attachment } from "../../server/protocol/types.ts";
import * as actions from "../actions.ts";
import { useApp } from "../app_context.ts";
import { formatSize } from "../format.ts";
import { t } from "../i18n.ts";
import { isPreviewable } from "../../server/protocol/previews.ts";
import { DownloadIcon, FileIcon } from "./Icons.tsx";

/** Props of {@linkcode Attachments}. */
export interface AttachmentsProps {
  /** The files, in the order the author attached them. */
  files: Attachment[];
}

/** A message's files. */
export function Attachments({ files }: AttachmentsProps): JSX.Element {
  return (
    <div class="attachments">
      {files.map((file) =>
        isPreviewable(file)
          ? <ImagePreview key={file.url} file={file} />
          : <FileCard key={file.url} file={file} />
      )}
    </div>
  );
}

/** A lazy, bounded preview; a click opens the lightbox. */
function ImagePreview({ file }: { file: Attachment }): JSX.Element {
  const { state } = useApp();
  return (
    <button
      type="button"
      class="attachment-image"
      data-testid="attachment-image"
      aria-label={t("file.open", { name: file.name })}
      title={file.name}
      onClick={() => actions.lightboxChanged(state, file)}
    >
      <img
        src={file.url}
        alt={file.name}
        loading="lazy"
        decoding="async"
        onLoad={(e) => e.currentTarget.classList.add("loaded")}
      />
    </button>
  );
}

/** A card with an icon, the name and the size, that downloads the file. */
function FileCard({ file }: { file: Attachment }): JSX.Element {
  const extension = /\.([a-z0-9]{1,5})$/i.exec(file.name)?.[1] ?? "";
  return (
    <a
      class="file-card"
      data-testid="attachment-file"
      href={file.url}
      download={file.name}
      title={t("file.download", { name: file.name })}
    >
      <span class="sr-only">{t("file.downloadPrefix")}</span>
      <span class="file-icon" aria-hidden="true">
        <FileIcon />
        {extension && <span class="file-ext">{extension}</span>}
      </span>
      <span class="file-text">
        <span class="file-name">{file.name}</span>
        <span class="file-size">{formatSize(file.size)}</span>
      </span>
      <span class="file-download" aria-hidden="true">
        <DownloadIcon />
      </span>
    </a>
  );
}
