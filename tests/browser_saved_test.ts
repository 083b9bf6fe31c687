/**
 * The web client's saved messages on an account's two devices: two
 * browser contexts of one account, a real server. Needs /usr/bin/chromium.
 */
import assert from "node:assert/strict";
import type { WebSocketRoute } from "playwright-core";
import { NO_RATE_LIMITS } from "../server/rate_limit.ts";
import {
  browserTest,
  confirmedFrom,
  currentRoom,
  openPage,
  register,
  send,
  signIn,
} from "./browser_support.ts";
import { TestClient } from "./harness.ts";

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

browserTest(
  "web client: right after a login, until the saved ids arrive, a saved message's action waits instead of offering Save; then it reads Remove from saved",
  async (browser, server) => {
    const writer = await TestClient.register(server.wsUrl, "alice");
    const { message } = await writer.ok("send_message", {
      text: "saved on another device",
    });
    await writer.ok("save_message", { id: (message as { id: string }).id });
    await writer.close();

    // The reply of the page's read of every saved id is held back.
    const page = await openPage(browser, server);
    let toPage: WebSocketRoute | undefined;
    const held: string[] = [];
    const readHeld = Promise.withResolvers<void>();
    await page.routeWebSocket(/\/ws$/, (socket) => {
      toPage = socket;
      const upstream = socket.connectToServer();
      upstream.onMessage((frame) => {
        const lines = String(frame).split("\n").filter((line) => {
          const { action, data } = JSON.parse(line);
          const ids = action === "success" && data?.request === "list_saved" &&
            Array.isArray(data.ids);
          if (ids) {
            held.push(line);
            readHeld.resolve();
          }
          return !ids;
        });
        if (lines.length > 0) socket.send(lines.join("\n"));
      });
    });
    await signIn(page, "alice");
    await readHeld.promise;
    const row = confirmedFrom(page, "alice", "saved on another device");
    await row.hover();
    const save = row.getByTestId("message-save");
    // Before, it read Save (pressed off): a press saved it again.
    assert.equal(await save.isDisabled(), true, "the action waits");
    assert.equal(await save.getAttribute("aria-pressed"), null);
    assert.equal(
      await save.getAttribute("title"),
      "Checking your saved messages…",
    );

    toPage!.send(held.join("\n"));
    await row.locator(
      '[data-testid="message-save"][aria-pressed="true"][title="Remove from saved"]:not([disabled])',
    ).waitFor({ state: "attached" });
  },
);

browserTest(
  "web client: the Saved panel lists the newest 100 saved messages, and 'More saved messages' the ones before them",
  async (browser, server) => {
    const MORE = 5;
    const writer = await TestClient.register(server.wsUrl, "alice");
    for (let i = 0; i < 100 + MORE; i++) {
      const { message } = await writer.ok("send_message", {
        text: `note number ${i}`,
      });
      await writer.ok("save_message", { id: (message as { id: string }).id });
    }
    await writer.close();
    const page = await openPage(browser, server);
    await signIn(page, "alice");
    await page.getByTestId("saved-open").click();
    const panel = page.getByTestId("saved-panel");
    const items = panel.getByTestId("saved-item");
    // Newest saved first: the first page ends above the oldest MORE.
    await items.filter({ hasText: /note number 104$/ }).waitFor();
    await items.nth(99).waitFor();
    assert.equal(await items.count(), 100);
    assert.equal(
      await items.filter({ hasText: /note number 4$/ }).count(),
      0,
    );
    await panel.getByTestId("saved-more").click();
    await items.filter({ hasText: /note number 0$/ }).waitFor();
    assert.equal(await items.count(), 100 + MORE);
    // The last page read: nothing more to ask.
    await panel.getByTestId("saved-more").waitFor({ state: "detached" });
  },
  { rateLimits: NO_RATE_LIMITS },
);
