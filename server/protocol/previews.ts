/**
 * Which shared files the web client shows inline, and the server serves
 * inline: plain PNG, JPEG, GIF and WebP images whose bytes were read as
 * such on upload, within a pixel budget that a browser decodes without
 * freezing. Shared by the server and the client bundle (no runtime deps).
 */
import { PREVIEW_MAX_ANIMATION_PIXELS, PREVIEW_MAX_PIXELS } from "./limits.ts";
import type { Attachment } from "./types.ts";

/** Image types shown inline; everything else (SVG and HTML too) downloads. */
export const INLINE_TYPES: ReadonlySet<string> = new Set([
  "image/png",
  "image/jpeg",
  "image/gif",
  "image/webp",
]);

/**
 * True when a file shows as an inline preview: an inline type with known
 * dimensions (the server read them from the bytes), at most
 * PREVIEW_MAX_PIXELS a frame and PREVIEW_MAX_ANIMATION_PIXELS all frames
 * together. Files shared before dimensions were recorded have none, and
 * download.
 */
export function isPreviewable(
  file: Pick<Attachment, "type" | "width" | "height" | "frames">,
): boolean {
  if (!INLINE_TYPES.has(file.type.toLowerCase())) return false;
  const { width, height } = file;
  if (width === undefined || height === undefined) return false;
  const pixels = width * height;
  return pixels <= PREVIEW_MAX_PIXELS &&
    pixels * (file.frames ?? 1) <= PREVIEW_MAX_ANIMATION_PIXELS;
}
