/**
 * Sharing files: each one is uploaded with `POST /api/files` as soon as the
 * user picks, drops or pastes it, and waits in the composer until the
 * message goes. Only accounts may upload; the server says so with 401.
 * A file over the server's limit (login reply) is refused here, unsent:
 * the server's 413 would come only after the request cost a whole file of
 * the account's upload pace.
 */

import type { Attachment } from "../server/protocol/types.ts";
import { MAX_ATTACHMENTS } from "../server/protocol/limits.ts";
import { isPreviewable } from "../server/protocol/previews.ts";
import * as actions from "./actions.ts";
import { errorText } from "./error_text.ts";
import { formatSize } from "./format.ts";
import { t } from "./i18n.ts";
import type { AppState, Upload } from "./state.ts";
import { isAttachment } from "./wire.ts";
import { entry } from "./state.ts";

/** The outcome of one upload. */
export type UploadResult = { ok: true; attachment: Attachment } | {
  ok: false;
  error: string;
};

let uploadCounter = 0;

/** Sends one file to the server; resolves to its attachment or a sentence for people. */
export async function uploadFile(file: File): Promise<UploadResult> {
  const form = new FormData();
  form.append("file", file, file.name || "file");
  // Sent apart too: the filename in the multipart header loses '=' and '"'.
  form.append("name", file.name || "file");
  let response: Response;
  try {
    response = await fetch("/api/files", {
      method: "POST",
      body: form,
      credentials: "same-origin",
    });
  } catch {
    return { ok: false, error: t("upload.offline") };
  }
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    // Judged by the status alone.
  }
  if (response.status === 201 || response.ok) {
    return isAttachment(body)
      ? { ok: true, attachment: body }
      : { ok: false, error: t("error.unreadable") };
  }
  if (response.status === 401) return { ok: false, error: t("upload.signIn") };
  if (response.status === 413) {
    const quota = (body as { error?: unknown } | null)?.error ===
      "quota_exceeded";
    return { ok: false, error: t(quota ? "upload.quota" : "upload.tooLarge") };
  }
  if ((body as { error?: unknown } | null)?.error === "insufficient_storage") {
    return { ok: false, error: t("upload.noRoom") };
  }
  const fields = (body ?? {}) as Record<string, unknown>;
  return {
    ok: false,
    error: typeof fields.error === "string"
      ? errorText(fields.error, fields)
      : t("upload.failed", { status: response.status }),
  };
}

/**
 * Adds files to a log's composer and uploads them side by side. Past the
 * per-message limit the rest are left out, with a line saying why.
 */
export function shareFiles(
  state: AppState,
  share: { key: string; files: File[] },
): void {
  const { key } = share;
  const room = Math.max(
    0,
    MAX_ATTACHMENTS - (entry(state.uploads.value, key)?.length ?? 0),
  );
  if (share.files.length > room) {
    actions.noticeAdded(state, {
      room: key,
      kind: "error",
      text: () => t("composer.tooMany", { n: MAX_ATTACHMENTS }),
    });
  }
  const max = state.maxFileBytes.value;
  for (const file of share.files.slice(0, room)) {
    uploadCounter++;
    const upload: Upload = {
      id: `u${uploadCounter}`,
      name: file.name || "file",
      size: file.size,
      status: "uploading",
    };
    if (max !== null && file.size > max) {
      // Shown like a refused upload, so it is removed the same way.
      upload.status = "failed";
      upload.error = t("upload.overLimit", { max: formatSize(max) });
      actions.uploadAdded(state, { key, upload });
      continue;
    }
    actions.uploadAdded(state, { key, upload });
    void uploadFile(file).then((result) => {
      actions.uploadChanged(state, {
        key,
        id: upload.id,
        patch: result.ok
          ? {
            status: "done",
            attachment: result.attachment,
            // Only once the server read the image and found it small
            // enough to decode: a huge one would freeze this tab too.
            preview: isPreviewable(result.attachment)
              ? URL.createObjectURL(file)
              : undefined,
          }
          : { status: "failed", error: result.error },
      });
    });
  }
}

/** Takes files out of the composer and frees their local previews. */
export function discardUploads(
  state: AppState,
  discard: { key: string; ids?: string[] },
): void {
  for (const upload of entry(state.uploads.value, discard.key) ?? []) {
    if (discard.ids && !discard.ids.includes(upload.id)) continue;
    if (upload.preview) URL.revokeObjectURL(upload.preview);
  }
  actions.uploadsRemoved(state, discard);
}
