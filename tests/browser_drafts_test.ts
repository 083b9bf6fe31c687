/**
 * The web client's drafts on the account's other devices: two browser
 * contexts (two devices) of one account, a real server. Needs
 * /usr/bin/chromium.
 */
import type { Page } from "playwright-core";
import {
  browserTest,
  confirmedFrom,
  currentRoom,
  openPage,
  register,
  send,
  signIn,
} from "./browser_support.ts";

/** Waits until the composer holds exactly this text. */
async function draftIs(page: Page, text: string): Promise<void> {
  await page.waitForFunction(
    (wanted) =>
      document.querySelector<HTMLTextAreaElement>('[data-testid="composer"]')
        ?.value === wanted,
    text,
  );
}

/** The sidebar row of a room. */
function roomRow(page: Page, room: string) {
  return page.locator(`[data-testid="room-item"][data-room="${room}"]`);
}

browserTest(
  "web client: a draft typed on one device shows on the account's other device, and sending it clears it there",
  async (browser, server) => {
    const laptop = await openPage(browser, server);
    await register(laptop, "alice");
    await send(laptop, "/create design");
    await currentRoom(laptop, "design");
    const phone = await openPage(browser, server);
    await signIn(phone, "alice");

    // Typed on the laptop in #design; the phone, in #general, marks it.
    await laptop.getByTestId("composer").fill("half a thought");
    await roomRow(phone, "design").getByTestId("draft-mark").waitFor();
    await roomRow(phone, "design").click();
    await currentRoom(phone, "design");
    await draftIs(phone, "half a thought");

    // The laptop leaves the room; the phone finishes the text and sends it.
    await roomRow(laptop, "general").click();
    await currentRoom(laptop, "general");
    await roomRow(laptop, "design").getByTestId("draft-mark").waitFor();
    await phone.getByTestId("composer").fill("half a thought, done");
    await phone.getByTestId("composer").press("Enter");
    await roomRow(laptop, "design").getByTestId("draft-mark").waitFor({
      state: "detached",
    });
    await roomRow(laptop, "design").click();
    await currentRoom(laptop, "design");
    await confirmedFrom(laptop, "alice", "half a thought, done").waitFor();
    await draftIs(laptop, "");
  },
);
