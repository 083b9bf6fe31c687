/**
 * The message list's day separators ("Today", "Yesterday", a date) in a
 * real browser: an open page redraws them when local midnight passes
 * (client/use_midnight.ts). Needs /usr/bin/chromium.
 */
import { browserTest, openPage, register, send } from "./browser_support.ts";

// An IANA zone where it is about noon at `ms`: midnight is 11 hours or
// more away, before and after, however long the test takes.
function noonZone(ms: number): string {
  const ahead = 12 - new Date(ms).getUTCHours();
  // Etc/GMT's signs are POSIX's: Etc/GMT-5 is 5 hours ahead of UTC.
  return ahead === 0
    ? "Etc/GMT"
    : `Etc/GMT${ahead > 0 ? "-" : "+"}${Math.abs(ahead)}`;
}

browserTest(
  "web client: an open page's 'Today' separator says 'Yesterday' once local midnight passes, with nothing else drawn",
  async (browser, server) => {
    const page = await openPage(browser, server, {
      timezoneId: noonZone(Date.now()),
    });
    // The page's clock runs as the real one until the jump below.
    await page.clock.install();
    await register(page, "alice");
    await send(page, "said today");
    const separator = page.getByTestId("day-separator");
    await separator.filter({ hasText: "Today" }).waitFor();
    const left = await page.evaluate(() => {
      const now = new Date();
      return new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1)
        .getTime() - now.getTime();
    });
    await page.clock.fastForward(left + 1000);
    await separator.filter({ hasText: "Yesterday" }).waitFor();
  },
);
