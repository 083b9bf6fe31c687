/**
 * What the accessibility tests of the web client share: axe-core's
 * findings gathered screen by screen and printed whole, and the keyboard
 * walk's steps (Tab until an element has the focus, and check that the
 * focus shows).
 */

import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { axeAudit, type AxeFinding } from "./browser_support.ts";

/** A phone's window (an iPhone 12's). */
export const PHONE = { width: 390, height: 844 };
/** The narrowest phone still common (an iPhone SE's or mini's). */
export const SMALL_PHONE = { width: 375, height: 667 };

/** Findings by screen, printed whole when a test fails. */
export class Audit {
  #found: { screen: string; findings: AxeFinding[] }[] = [];

  /** Audits the page as it is now, under this screen's name. */
  async check(page: Page, screen: string): Promise<void> {
    const findings = await axeAudit(page);
    if (findings.length > 0) this.#found.push({ screen, findings });
  }

  /** Fails with every finding of every screen. */
  assertClean(): void {
    const text = this.#found.map(({ screen, findings }) =>
      `${screen}:\n` +
      findings.map((f) =>
        `  ${f.impact} ${f.id} (${f.help})\n` +
        f.targets.map((t) => `    ${t}`).join("\n")
      ).join("\n")
    ).join("\n");
    assert.equal(text, "", `axe-core found serious violations:\n${text}`);
  }
}

/**
 * Presses Tab (or Shift+Tab) until the element with this test id has the
 * focus, and checks that the focus shows; fails after `max` presses.
 */
export async function tabTo(
  page: Page,
  testId: string,
  options: { back?: boolean; max?: number } = {},
): Promise<void> {
  const key = options.back ? "Shift+Tab" : "Tab";
  for (let i = 0; i < (options.max ?? 60); i++) {
    if (await focusedIs(page, testId)) {
      await assertFocusShows(page, testId);
      return;
    }
    await page.keyboard.press(key);
  }
  assert.fail(`${key} never reached ${testId}`);
}

/**
 * Fails unless the focused element shows a focus ring. The ring may sit
 * on a wrapper (the composer's box rings its textarea through
 * :focus-within), so the element or one of its two nearest ancestors must
 * show it.
 */
export async function assertFocusShows(
  page: Page,
  what: string,
): Promise<void> {
  const outline = await page.evaluate(() => {
    let el: Element | null = document.activeElement;
    let seen = "";
    for (let depth = 0; el && depth < 3; depth++) {
      const style = getComputedStyle(el);
      seen = `${style.outlineStyle} ${style.outlineWidth}`;
      if (style.outlineStyle !== "none" && style.outlineWidth !== "0px") {
        return seen;
      }
      el = el.parentElement;
    }
    return seen;
  });
  assert.ok(
    !outline.startsWith("none") && !outline.endsWith(" 0px"),
    `${what} has the focus but shows no outline (${outline})`,
  );
}

/** Whether the element with this test id has the focus. */
export async function focusedIs(page: Page, testId: string): Promise<boolean> {
  return await page.evaluate(
    (id) => document.activeElement?.getAttribute("data-testid") === id,
    testId,
  );
}

/** Waits until the element with this test id has the focus. */
export async function focusComesTo(page: Page, testId: string): Promise<void> {
  await page.waitForFunction(
    (id) => document.activeElement?.getAttribute("data-testid") === id,
    testId,
  );
}

/** Shows a message's actions: a hover with a mouse, a tap on a phone. */
export async function showActions(page: Page, text: string, phone: boolean) {
  const row = page.getByTestId("message").filter({ hasText: text }).first();
  // A tap on a row already tapped hides its actions again.
  const tapped = () => row.evaluate((el) => el.classList.contains("selected"));
  if (phone && !await tapped()) await row.click();
  else if (!phone) await row.hover();
  return row;
}
