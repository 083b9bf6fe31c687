/**
 * The web client's drafts on the account's other devices: two browser
 * contexts (two devices) of one account, a real server. Needs
 * /usr/bin/chromium.
 */
import type { Page, WebSocketRoute } from "playwright-core";
import { TestClient } from "./harness.ts";
import {
  browserTest,
  confirmedFrom,
  currentRoom,
  openPage,
  register,
  send,
  signIn,
  STEP_TIMEOUT,
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

/**
 * The page's sockets to the server, through a switch: `off()` drops the
 * open one and fails every new one (and tells the page it is offline),
 * `on()` lets them through again (and tells it it is back online).
 */
async function networkSwitch(page: Page) {
  let offline = false;
  const open = new Set<WebSocketRoute>();
  await page.routeWebSocket((url) => url.pathname === "/ws", (ws) => {
    if (offline) return ws.close();
    open.add(ws);
    ws.connectToServer();
  });
  return {
    async off(): Promise<void> {
      offline = true;
      await page.context().setOffline(true);
      for (const ws of open) await ws.close();
      open.clear();
      await page.getByTestId("connection-banner").waitFor();
    },
    async on(): Promise<void> {
      offline = false;
      await page.context().setOffline(false);
    },
    /** Reloads the page with its sockets still refused (the page loads). */
    async reload(): Promise<void> {
      await page.context().setOffline(false);
      await page.reload();
      await page.getByTestId("connection-banner").waitFor();
    },
  };
}

/**
 * Waits until `check` holds, asking again every 50 ms, for as long as a
 * page's step may take.
 */
async function until(check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + STEP_TIMEOUT;
  while (!await check()) {
    if (Date.now() > deadline) throw new Error("never held");
    await new Promise((r) => setTimeout(r, 50));
  }
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

browserTest(
  "web client: the name a profile card's Mention puts in the box is a draft as typed text is: the account's other device shows it, and a reload keeps it",
  async (browser, server) => {
    const bob = await TestClient.register(server.wsUrl, "bob");
    try {
      const laptop = await openPage(browser, server);
      await register(laptop, "alice");
      const phone = await openPage(browser, server);
      await signIn(phone, "alice");
      await send(phone, "/create design");
      await currentRoom(phone, "design");

      await bob.ok("send_message", { text: "hello" });
      await confirmedFrom(laptop, "bob", "hello").getByTestId("msg-user")
        .click();
      const card = laptop.getByTestId("profile-card");
      await card.getByTestId("profile-mention").click();
      await card.waitFor({ state: "detached" });
      await draftIs(laptop, "@bob ");
      // Before, only the page held it: the phone never marked #general.
      await roomRow(phone, "general").getByTestId("draft-mark").waitFor();
      await roomRow(phone, "general").click();
      await currentRoom(phone, "general");
      await draftIs(phone, "@bob ");

      await laptop.reload();
      await currentRoom(laptop, "general");
      await draftIs(laptop, "@bob ");
    } finally {
      await bob.close();
    }
  },
);

browserTest(
  "web client: a draft typed while offline is kept and sent once back, unless the account's other device set a newer one meanwhile",
  async (browser, server) => {
    const laptop = await openPage(browser, server);
    const network = await networkSwitch(laptop);
    await register(laptop, "alice");
    await send(laptop, "/create design");
    await currentRoom(laptop, "design");
    const phone = await openPage(browser, server);
    await signIn(phone, "alice");
    const box = laptop.getByTestId("composer");

    // Offline, the laptop writes in #design and leaves the box.
    await network.off();
    await box.fill("written on the train");
    await box.blur();
    // Back online: it was typed after the last draft synced, so it stays
    // and goes to the phone.
    await network.on();
    await roomRow(phone, "design").getByTestId("draft-mark").waitFor();
    await roomRow(phone, "design").click();
    await currentRoom(phone, "design");
    await draftIs(phone, "written on the train");
    await draftIs(laptop, "written on the train");

    // Offline again, the laptop changes it; then the phone does, later.
    await network.off();
    await box.fill("old plan");
    await box.blur();
    await phone.getByTestId("composer").fill("new plan");
    await roomRow(phone, "general").click();
    await currentRoom(phone, "general");
    await until(async () =>
      (await server.node.store.listDrafts("alice"))[0]?.text === "new plan"
    );
    // Back online: the server's is the newer, and replaces the laptop's.
    await network.on();
    await draftIs(laptop, "new plan");
  },
);

browserTest(
  "web client: a draft typed while offline outlives a reload before the socket comes back, and reaches the server then",
  async (browser, server) => {
    const laptop = await openPage(browser, server);
    const network = await networkSwitch(laptop);
    await register(laptop, "alice");
    await send(laptop, "/create design");
    await currentRoom(laptop, "design");

    // Offline, typed and never left: the page goes before the pause ends.
    await network.off();
    await laptop.getByTestId("composer").fill("written in the tunnel");
    await network.reload();
    await network.on();
    await until(async () =>
      (await server.node.store.listDrafts("alice")).some((draft) =>
        draft.stream === "design" && draft.text === "written in the tunnel"
      )
    );
    await roomRow(laptop, "design").click();
    await currentRoom(laptop, "design");
    await draftIs(laptop, "written in the tunnel");
  },
);
