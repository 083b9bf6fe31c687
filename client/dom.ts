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

/** What Tab may stop at. */
export const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/**
 * Keeps Tab and Shift+Tab inside `box`, something drawn over the page (a
 * modal dialog, a drawer): past its last control back to its first and
 * the other way, and from outside it into it. Call it on keydown.
 */
export function keepTabInside(box: HTMLElement, event: KeyboardEvent): void {
  if (event.key !== "Tab") return;
  const items = [...box.querySelectorAll<HTMLElement>(FOCUSABLE)];
  if (items.length === 0) return;
  const focused = document.activeElement as HTMLElement | null;
  const at = focused ? items.indexOf(focused) : -1;
  if (!box.contains(focused)) {
    event.preventDefault();
    (event.shiftKey ? items[items.length - 1] : items[0]).focus();
  } else if (event.shiftKey && at <= 0) {
    event.preventDefault();
    items[items.length - 1].focus();
  } else if (!event.shiftKey && at === items.length - 1) {
    event.preventDefault();
    items[0].focus();
  }
}
