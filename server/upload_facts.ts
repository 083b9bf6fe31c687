import { type ImageInfo, inspectImage } from "./image_info.ts";
import { INLINE_TYPES } from "./protocol/previews.ts";
import type { Attachment } from "./protocol/types.ts";
import type { UploadFacts } from "./store/mod.ts";

/**
 * What an upload's record says of its bytes, read from them: an image type
 * and dimensions only for bytes that are that image (of an upload, an
 * import, or a record read again once the readers changed), the `claimed`
 * type for anything else unless it is an image type (then
 * `application/octet-stream`: HTML claimed as image/png is no image).
 */
export async function readUploadFacts(
  path: string,
  claimed: string,
): Promise<UploadFacts> {
  return uploadFacts(await inspectImage(path), claimed);
}

/** {@link readUploadFacts} from what inspectImage read of the bytes. */
export function uploadFacts(
  image: ImageInfo | undefined,
  claimed: string,
): UploadFacts {
  if (image === undefined) {
    return {
      type: INLINE_TYPES.has(claimed) ? "application/octet-stream" : claimed,
    };
  }
  const facts: UploadFacts = {
    type: image.type,
    width: image.width,
    height: image.height,
  };
  if (image.frames !== undefined) facts.frames = image.frames;
  return facts;
}

/**
 * How a message refers to an upload: the record's size, type and (for an
 * image read) dimensions and frames, under `shown`'s URL and name: the
 * upload's own for a message sent now, a message's own for one imported
 * (kept as exported, query and all).
 */
export function attachmentOf(
  record: UploadFacts & { size: number },
  shown: { url: string; name: string },
): Attachment {
  const attachment: Attachment = {
    url: shown.url,
    name: shown.name,
    size: record.size,
    type: record.type,
  };
  if (record.width !== undefined) attachment.width = record.width;
  if (record.height !== undefined) attachment.height = record.height;
  if (record.frames !== undefined) attachment.frames = record.frames;
  return attachment;
}
