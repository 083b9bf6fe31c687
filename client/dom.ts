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

/**
 * A ref that focuses its element as it is first drawn. The `autofocus`
 * attribute works only as a page loads: a field that a menu brings up
 * later (a status in one's own words, a ban's reason) got no focus, the
 * button chosen went away with the menu, and the keys typed next went
 * nowhere. A function of the module, so a re-render does not call it again.
 */
export function focusOnMount(el: HTMLElement | null): void {
  el?.focus();
}

/** Whether a drag carries files (not text or a link from the page). */
export function carriesFiles(event: DragEvent): boolean {
  return [...(event.dataTransfer?.types ?? [])].includes("Files");
}
