/**
 * The web client's sidebar sections, kept on the server: two pages (two
 * devices) of one account, one a French phone of 390 px, and a real
 * server. "New section…" in the sidebar's menu, "Move to section…" and
 * "Remove from section" in a room's menu, a heading that collapses from
 * the keyboard, rename and delete from the heading's menu; the other page
 * follows each, and a reload keeps them. Needs /usr/bin/chromium.
 */
import type { Page } from "playwright-core";
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

/** A section of the sidebar by its name. */
function sectionOf(page: Page, name: string) {
  return page.locator(
    `[data-testid="user-section"][data-section="${name}"]`,
  );
}

browserTest(
  "web client: a section made in the sidebar's menu holds a room moved from its menu, collapses from the keyboard, is renamed on a French phone and deleted, on both pages",
  async (browser, server) => {
    const laptop = await openPage(browser, server);
    await register(laptop, "alice");
    const bob = await openPage(browser, server);
    await register(bob, "bob");
    await send(laptop, "/create design");
    await currentRoom(laptop, "design");
    const phone = await openPage(browser, server, {
      locale: "fr-FR",
      viewport: { width: 390, height: 844 },
    });
    await signIn(phone, "alice");
    await phone.getByTestId("drawer-toggle").click();
    await roomIn(phone, "room-list", "design").waitFor();

    // "New section…" in the sidebar's menu.
    await laptop.getByTestId("sidebar-menu").click();
    await laptop.getByTestId("section-new").getByText("New section…").click();
    await laptop.getByTestId("section-name").fill("Work");
    await laptop.getByTestId("section-name").press("Enter");
    await sectionOf(laptop, "Work").waitFor();
    await sectionOf(phone, "Work").waitFor();
    // A second of the same name, case aside, is refused on the page.
    await laptop.getByTestId("sidebar-menu").click();
    await laptop.getByTestId("section-new").click();
    await laptop.getByTestId("section-name").fill("WORK");
    await laptop.getByTestId("section-name").press("Enter");
    await laptop.getByTestId("section-error").getByText(
      "A section is called that already.",
    ).waitFor();
    await laptop.getByTestId("section-name").press("Escape");

    // "Move to section…" in the room's menu.
    await laptop.getByTestId("room-menu").click();
    await laptop.getByTestId("section-move").getByText("Move to section…")
      .click();
    await laptop.locator('[data-testid="section-choice"]').getByText("Work")
      .click();
    await sectionOf(laptop, "Work").locator(
      '[data-testid="room-item"][data-room="design"]',
    ).waitFor();
    await roomIn(laptop, "room-list", "design").waitFor({ state: "detached" });
    await sectionOf(phone, "Work").locator(
      '[data-testid="room-item"][data-room="design"]',
    ).waitFor();
    await roomIn(phone, "room-list", "design").waitFor({ state: "detached" });

    // Unread and bold in a section as under Rooms.
    await roomIn(laptop, "room-list", "general").click();
    await currentRoom(laptop, "general");
    await send(bob, "/join design");
    await currentRoom(bob, "design");
    await send(bob, "news for the designers");
    await sectionOf(laptop, "Work").locator(
      '[data-testid="room-item"][data-room="design"].unread',
    ).waitFor();

    // A conversation, moved from its menu, joins it after the room.
    await send(laptop, "/msg bob hello");
    await currentConversation(laptop, "bob");
    await laptop.getByTestId("room-menu").click();
    await laptop.getByTestId("section-move").click();
    await laptop.locator('[data-testid="section-choice"]').getByText("Work")
      .click();
    for (const page of [laptop, phone]) {
      await sectionOf(page, "Work").locator(
        '[data-testid="section-dm-list"] [data-testid="dm-item"][data-user="bob"]',
      ).waitFor();
      await page.locator(
        '[data-testid="dm-list"] [data-testid="dm-item"][data-user="bob"]',
      ).waitFor({ state: "detached" });
    }

    // The heading collapses from the keyboard, on the other page too.
    const toggle = sectionOf(laptop, "Work").getByTestId("section-toggle");
    await toggle.focus();
    await laptop.keyboard.press("Enter");
    await sectionOf(laptop, "Work").locator(
      '[data-testid="section-toggle"][aria-expanded="false"]',
    ).waitFor();
    await sectionOf(laptop, "Work").getByTestId("room-item").waitFor({
      state: "detached",
    });
    await sectionOf(phone, "Work").locator(
      '[data-testid="section-toggle"][aria-expanded="false"]',
    ).waitFor();
    // Collapsed, its heading says it holds unread messages (design's).
    await sectionOf(laptop, "Work").locator(
      '[data-testid="section-toggle"][data-unread="true"]',
    ).getByText("unread").waitFor({ state: "attached" });

    // Renamed from its heading's menu on the phone, in French.
    await sectionOf(phone, "Work").getByTestId("section-menu").click();
    await phone.getByTestId("section-rename").getByText("Renommer la section")
      .click();
    await phone.getByTestId("section-name").fill("Travail");
    await phone.getByTestId("section-name").press("Enter");
    await sectionOf(phone, "Travail").waitFor();
    await sectionOf(laptop, "Travail").waitFor();

    // A reload (a new login) keeps it, collapsed; opened again, "Remove
    // from section" puts the room back under Rooms.
    await laptop.reload();
    await sectionOf(laptop, "Travail").locator(
      '[data-testid="section-toggle"][aria-expanded="false"]',
    ).click();
    await sectionOf(laptop, "Travail").locator(
      '[data-testid="room-item"][data-room="design"]',
    ).click();
    await currentRoom(laptop, "design");
    await laptop.getByTestId("room-menu").click();
    await laptop.getByTestId("section-remove").getByText("Remove from section")
      .click();
    await roomIn(laptop, "room-list", "design").waitFor();
    await roomIn(phone, "room-list", "design").waitFor();

    // Deleted from its heading's menu, on both pages.
    await sectionOf(laptop, "Travail").getByTestId("section-menu").click();
    await laptop.getByTestId("section-delete").click();
    await sectionOf(laptop, "Travail").waitFor({ state: "detached" });
    await sectionOf(phone, "Travail").waitFor({ state: "detached" });
  },
);

browserTest(
  "web client: a room left and joined again goes back to its section at once, not under Rooms until the next reload",
  async (browser, server) => {
    const page = await openPage(browser, server);
    await register(page, "alice");
    await send(page, "/create design");
    await currentRoom(page, "design");
    await page.getByTestId("sidebar-menu").click();
    await page.getByTestId("section-new").click();
    await page.getByTestId("section-name").fill("Work");
    await page.getByTestId("section-name").press("Enter");
    await page.getByTestId("room-menu").click();
    await page.getByTestId("section-move").click();
    await page.locator('[data-testid="section-choice"]').getByText("Work")
      .click();
    const placed = sectionOf(page, "Work").locator(
      '[data-testid="room-item"][data-room="design"]',
    );
    await placed.waitFor();
    await send(page, "/leave design");
    await placed.waitFor({ state: "detached" });
    // A reload: the login's layout names no room left.
    await page.reload();
    await sectionOf(page, "Work").waitFor();
    await send(page, "/join design");
    await currentRoom(page, "design");
    await placed.waitFor();
    await roomIn(page, "room-list", "design").waitFor({ state: "detached" });
  },
);
