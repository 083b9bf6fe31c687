/**
 * The web client's starred rooms and conversations, kept on the server:
 * two pages (two devices) of one account and a real server. The header's
 * star moves a room or a conversation to the sidebar's "Starred" section,
 * on the other page too, in English and French; the header's menu does
 * the same. Needs /usr/bin/chromium.
 */
import {
  browserTest,
  currentConversation,
  currentRoom,
  openPage,
  register,
  roomIn,
  send,
  signIn,
} from "./browser_support.ts";

browserTest(
  "web client: the header's star moves a room and a conversation to Starred on the account's other page (French there), and unstarring moves them back",
  async (browser, server) => {
    const laptop = await openPage(browser, server);
    await register(laptop, "alice");
    const bob = await openPage(browser, server);
    await register(bob, "bob");
    await send(laptop, "/create design");
    await currentRoom(laptop, "design");
    const phone = await openPage(browser, server, { locale: "fr-FR" });
    await signIn(phone, "alice");
    await roomIn(phone, "room-list", "design").waitFor();

    const star = laptop.getByTestId("star-toggle");
    await laptop.locator(
      '[data-testid="star-toggle"][aria-pressed="false"][title="Star"]',
    ).waitFor();
    await star.click();
    await laptop.locator(
      '[data-testid="star-toggle"][aria-pressed="true"][title="Unstar"]',
    ).waitFor();
    await roomIn(laptop, "starred-room-list", "design").waitFor();
    // The other page moves it, and names the section in French.
    await roomIn(phone, "starred-room-list", "design").waitFor();
    await roomIn(phone, "room-list", "design").waitFor({ state: "detached" });
    await phone.getByTestId("starred").getByText("Favoris").waitFor();

    // A conversation, starred from the phone's header menu (in French),
    // which narrow screens have for want of room for the toggle.
    await phone.locator('[data-testid="member"][data-user="bob"]').click();
    await currentConversation(phone, "bob");
    await phone.locator(
      '[data-testid="star-toggle"][title="Ajouter aux favoris"]',
    ).waitFor();
    await phone.getByTestId("room-menu").click();
    await phone.locator('[data-testid="star-menu"][aria-checked="false"]')
      .getByText("Dans les favoris").click();
    await phone.locator(
      '[data-testid="star-toggle"][aria-pressed="true"][title="Retirer des favoris"]',
    ).waitFor();
    await laptop.locator(
      '[data-testid="starred-dm-list"] [data-testid="dm-item"][data-user="bob"]',
    ).waitFor();

    // Unstarred on the laptop, the room goes back under Rooms on both.
    await roomIn(laptop, "starred-room-list", "design").click();
    await currentRoom(laptop, "design");
    await star.click();
    await roomIn(phone, "room-list", "design").waitFor();
    await roomIn(phone, "starred-room-list", "design").waitFor({
      state: "detached",
    });
    // A reload (a new login) still shows the conversation starred.
    await laptop.reload();
    await laptop.locator(
      '[data-testid="starred-dm-list"] [data-testid="dm-item"][data-user="bob"]',
    ).waitFor();
  },
);
