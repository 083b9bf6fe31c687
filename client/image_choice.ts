/**
 * A picture chosen in a file input, before it is sent whole as a request's
 * body (a profile picture, a custom emoji): the file, its preview's object
 * URL (revoked with its choice) and the error a file too large gets.
 */

import { type Signal, useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";

/** The types the server takes for a picture, for the file picker. */
export const IMAGE_ACCEPT = "image/png,image/jpeg,image/webp,image/gif";

/** What {@link useImageChoice} gives a form. */
export interface ImageChoice {
  chosen: Signal<File | null>;
  preview: Signal<string | null>;
  error: Signal<string | null>;
  /** Takes the file chosen (none: nothing chosen); false when refused. */
  choose(file: File | undefined): boolean;
}

/**
 * A picture's choice, refusing a file over `maxBytes` with `tooLarge`
 * (the sentence) before anything is sent.
 */
export function useImageChoice(
  maxBytes: number,
  tooLarge: () => string,
): ImageChoice {
  const chosen = useSignal<File | null>(null);
  const preview = useSignal<string | null>(null);
  const error = useSignal<string | null>(null);
  // The preview's object URL lives as long as its choice.
  useEffect(() => {
    const url = preview.value;
    return () => {
      if (url) URL.revokeObjectURL(url);
    };
  }, [preview.value]);
  function choose(file: File | undefined): boolean {
    error.value = null;
    chosen.value = null;
    preview.value = null;
    if (!file) return false;
    if (file.size > maxBytes) {
      error.value = tooLarge();
      return false;
    }
    chosen.value = file;
    preview.value = URL.createObjectURL(file);
    return true;
  }
  return { chosen, preview, error, choose };
}
