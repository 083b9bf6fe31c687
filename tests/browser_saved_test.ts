/**
 * The web client's saved messages on an account's two devices: two
 * browser contexts of one account, a real server. Needs /usr/bin/chromium.
 */
import {
  browserTest,
  confirmedFrom,
  currentRoom,
  openPage,
  register,
  send,
  signIn,
} from "./browser_support.ts";

browserTest(
  "web client: a message saved on one device is in the other's Saved panel, which opens its room at it; removed there, the first device's button is off again",
  async (browser, server) => {
    const laptop = await openPage(browser, server);
    await register(laptop, "alice");
    await send(laptop, "/create design");
    await currentRoom(laptop, "design");
    await send(laptop, "read this later");
    const phone = await openPage(browser, server);
    await signIn(phone, "alice");
    await currentRoom(phone, "general");

    const onLaptop = confirmedFrom(laptop, "alice", "read this later");
    await onLaptop.hover();
    const laptopSave = onLaptop.getByTestId("message-save");
    await laptopSave.click();
    await onLaptop.locator(
      '[data-testid="message-save"][aria-pressed="true"]',
    ).waitFor({ state: "attached" });

    // The phone, in #general, finds it in its Saved panel and opens it.
    await phone.getByTestId("saved-open").click();
    const item = phone.getByTestId("saved-panel").getByTestId("saved-item")
      .filter({ hasText: "read this later" });
    await item.click();
    await currentRoom(phone, "design");
    await phone.getByTestId("saved-panel").waitFor({ state: "detached" });
    const onPhone = confirmedFrom(phone, "alice", "read this later");
    await onPhone.hover();
    const phoneSave = onPhone.locator(
      '[data-testid="message-save"][aria-pressed="true"]',
    );
    await phoneSave.click();

    // Removed on the phone: the laptop hears it, the panels show none.
    await onLaptop.locator(
      '[data-testid="message-save"][aria-pressed="false"]',
    ).waitFor({ state: "attached" });
    await laptop.getByTestId("saved-open").click();
    await laptop.getByTestId("saved-panel").getByText(
      "Nothing is saved yet",
    ).waitFor();
  },
);

browserTest(
  "web client: a message saved on one device before the other's page loaded shows Remove from saved there, and its removal there reaches the first",
  async (browser, server) => {
    const laptop = await openPage(browser, server);
    await register(laptop, "alice");
    await send(laptop, "saved before the phone came");
    const onLaptop = confirmedFrom(
      laptop,
      "alice",
      "saved before the phone came",
    );
    await onLaptop.hover();
    await onLaptop.getByTestId("message-save").click();
    await onLaptop.locator(
      '[data-testid="message-save"][aria-pressed="true"]',
    ).waitFor({ state: "attached" });

    // The phone's page loads after the save: it never heard the event.
    const phone = await openPage(browser, server);
    await signIn(phone, "alice");
    const onPhone = confirmedFrom(
      phone,
      "alice",
      "saved before the phone came",
    );
    await onPhone.hover();
    const remove = onPhone.locator(
      '[data-testid="message-save"][aria-pressed="true"][title="Remove from saved"]',
    );
    await remove.waitFor({ state: "attached" });
    await remove.click();
    await onLaptop.locator(
      '[data-testid="message-save"][aria-pressed="false"]',
    ).waitFor({ state: "attached" });
  },
);
