/** Small DOM helpers shared by components. */

/**
 * Grows a text box with its content, up to its CSS max-height. The height
 * is set through the CSSOM, which the page's CSP allows (inline style
 * attributes it does not).
 */
export function fit(box: HTMLTextAreaElement): void {
  box.style.height = "auto";
  box.style.height = `${box.scrollHeight}px`;
}

/** Whether a drag carries files (not text or a link from the page). */
export function carriesFiles(event: DragEvent): boolean {
  return [...(event.dataTransfer?.types ?? [])].includes("Files");
}
