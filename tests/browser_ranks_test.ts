/**
 * The web client offers a moderator only what the server's rank rule lets
 * it do: no Delete on an admin's message or room, no kick or ban of an
 * admin, while a peer's message and room, and a guest, keep theirs; and
 * "Remove from room" only where remove_member's rule, which also asks who
 * owns the room, allows it. Needs /usr/bin/chromium; without it the test
 * is reported as ignored.
 */

import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import {
  artifact,
  browserTest,
  confirmedFrom,
  currentRoom,
  openPage,
  register,
  send,
} from "./browser_support.ts";
import { TestClient, type TestServer } from "./harness.ts";

/**
 * The first account, root (so the admin), and mo, whom root makes a
 * moderator: two clients for the test to close.
 */
async function adminAndModerator(
  server: TestServer,
): Promise<{ root: TestClient; mo: TestClient }> {
  const root = await TestClient.register(server.wsUrl, "root");
  const mo = await TestClient.register(server.wsUrl, "mo");
  await root.ok("set_role", { user: "mo", role: "moderator" });
  return { root, mo };
}

/** Makes a page's account a moderator with `promote`; waits for its badge. */
async function promoted(
  page: Page,
  promote: () => Promise<unknown>,
): Promise<void> {
  await promote();
  await page.getByTestId("role-badge").filter({ hasText: /^moderator$/ })
    .waitFor();
}

/** Opens and closes the member menus of a page's member list. */
function memberMenus(page: Page): {
  open(user: string): Promise<void>;
  close(): Promise<void>;
} {
  return {
    async open(user) {
      await page.locator(`[data-testid="member"][data-user="${user}"]`)
        .getByTestId("member-actions").click();
      await page.getByRole("menu").waitFor();
    },
    async close() {
      await page.keyboard.press("Escape");
      await page.getByRole("menu").waitFor({ state: "detached" });
    },
  };
}

browserTest(
  "a moderator sees no Delete on an admin's message or room, nor kick and ban for an admin, and keeps them for a peer's and a guest's",
  async (browser, server) => {
    // The first account is the admin; mo is a moderator, gus a guest.
    const { root, mo } = await adminAndModerator(server);
    const gus = await TestClient.login(server.wsUrl, "gus");
    try {
      await root.ok("send_message", { text: "from the admin" });
      await mo.ok("send_message", { text: "from a moderator" });
      await gus.ok("send_message", { text: "from a guest" });
      // Rooms their makers own; the moderator will look at them on /admin.
      await root.ok("create_room", { room: "hq" });
      await mo.ok("create_room", { room: "mods" });
      // Back in #general, where lea's member list shows them.
      await root.ok("join_room", { room: "general" });
      await mo.ok("join_room", { room: "general" });

      const lea = await openPage(browser, server);
      await register(lea, "lea");
      const row = (user: string, text: string) =>
        confirmedFrom(lea, user, text);
      await row("gus", "from a guest").waitFor();
      // A user deletes only her own.
      assert.equal(await lea.getByTestId("message-delete").count(), 0);

      await promoted(
        lea,
        () => root.ok("set_role", { user: "lea", role: "moderator" }),
      );
      // Others' Delete shows once the page knows their ranks, all at once.
      await row("gus", "from a guest").getByTestId("message-delete")
        .waitFor({ state: "attached" });
      assert.equal(
        await row("mo", "from a moderator").getByTestId("message-delete")
          .count(),
        1,
        "a peer's message keeps its Delete",
      );
      assert.equal(
        await row("root", "from the admin").getByTestId("message-delete")
          .count(),
        0,
        "an admin's message shows Delete, which the server refuses",
      );

      // The member menu: kick and ban for the guest, not for the admin.
      await lea.getByRole("button", { name: "Actions for gus" }).click();
      await lea.getByTestId("menu-kick").waitFor();
      await lea.keyboard.press("Escape");
      await lea.getByRole("menu").waitFor({ state: "detached" });
      await lea.getByRole("button", { name: "Actions for root" }).click();
      await lea.getByRole("menu").waitFor();
      assert.equal(await lea.getByTestId("menu-kick").count(), 0);
      assert.equal(await lea.getByTestId("menu-ban-server").count(), 0);
      await lea.screenshot({ path: artifact("ranks_member_menu.png") });
      await lea.keyboard.press("Escape");

      // The admin page's rooms: a peer's room may go, the admin's not.
      await lea.goto("/admin");
      await lea.getByTestId("admin-tab-rooms").click();
      const room = (name: string) =>
        lea.locator(`[data-testid="admin-room"][data-room="${name}"]`);
      await room("mods").getByTestId("admin-delete-room").waitFor();
      assert.equal(
        await room("hq").getByTestId("admin-delete-room").count(),
        0,
        "the admin's room shows Delete, which the server refuses",
      );
      await lea.screenshot({ path: artifact("ranks_admin_rooms.png") });
    } finally {
      await Promise.all([root.close(), mo.close(), gus.close()]);
    }
  },
);

browserTest(
  "the member menu offers Remove from room exactly where remove_member succeeds: its owner on anyone, even an admin; a moderator on a user, never on the owner, a peer or an admin",
  async (browser, server) => {
    // The first account is the admin; owen owns den; mo is a moderator.
    const { root, mo } = await adminAndModerator(server);
    const owen = await TestClient.register(server.wsUrl, "owen");
    const uma = await TestClient.register(server.wsUrl, "uma");
    try {
      await owen.ok("create_room", { room: "den" });
      for (const member of [root, mo, uma]) {
        await member.ok("join_room", { room: "den" });
      }

      const lea = await openPage(browser, server);
      await register(lea, "lea");
      const { open: menuOf, close: closeMenu } = memberMenus(lea);

      // lea, a user, owns nest: she may remove anyone from it, an admin too.
      await send(lea, "/create nest");
      await currentRoom(lea, "nest");
      await root.ok("join_room", { room: "nest" });
      await menuOf("root");
      await lea.getByTestId("menu-remove").click();
      await root.event(
        "membership",
        (d) => d.room === "nest" && d.member === false,
      );

      // A moderator in owen's den: uma may go; owen, mo and root may not.
      await promoted(
        lea,
        () => root.ok("set_role", { user: "lea", role: "moderator" }),
      );
      await send(lea, "/join den");
      await currentRoom(lea, "den");
      // Shown once the page knows it manages den and everyone's rank: from
      // then on, a missing item is the rule, not a reply still on its way.
      await menuOf("uma");
      await lea.getByTestId("menu-remove").waitFor();
      await closeMenu();
      for (const user of ["owen", "mo", "root"]) {
        await menuOf(user);
        assert.equal(
          await lea.getByTestId("menu-remove").count(),
          0,
          `Remove from room offered for ${user}, which the server refuses`,
        );
        if (user === "owen") {
          await lea.screenshot({ path: artifact("ranks_remove_owner.png") });
        }
        await closeMenu();
      }
      await menuOf("uma");
      await lea.getByTestId("menu-remove").click();
      await uma.event(
        "membership",
        (d) => d.room === "den" && d.member === false,
      );
    } finally {
      await Promise.all([root.close(), owen.close(), mo.close(), uma.close()]);
    }
  },
);

browserTest(
  "a role or an owner an admin changes in one page reaches a moderator's member menus in another at once: no kick for a new moderator, kick again once demoted, Remove from room following the room's new owner",
  async (browser, server) => {
    // The admin's page registers first; owen owns den, bob and uma use it.
    const root = await openPage(browser, server);
    await register(root, "root");
    const owen = await TestClient.register(server.wsUrl, "owen");
    const bob = await TestClient.register(server.wsUrl, "bob");
    const uma = await TestClient.register(server.wsUrl, "uma");
    try {
      await owen.ok("create_room", { room: "den" });
      for (const member of [bob, uma]) {
        await member.ok("join_room", { room: "den" });
      }
      const lea = await openPage(browser, server);
      await register(lea, "lea");
      await promoted(lea, () => send(root, "/role lea moderator"));
      await send(lea, "/join den");
      await currentRoom(lea, "den");
      const { open: menuOf, close: closeMenu } = memberMenus(lea);

      // bob is a user: lea may kick him. Made a moderator in root's page,
      // he loses the kick in lea's open menu, with no reload nor refusal.
      await menuOf("bob");
      await lea.getByTestId("menu-kick").waitFor();
      await send(root, "/role bob moderator");
      await lea.getByTestId("menu-kick").waitFor({ state: "detached" });
      await lea.screenshot({ path: artifact("ranks_live_role.png") });
      await send(root, "/role bob user");
      await lea.getByTestId("menu-kick").waitFor();
      await closeMenu();

      // owen owns den: lea may not remove him, uma she may. The admin
      // gives den to uma on /admin: the menus swap without a reload.
      await menuOf("uma");
      await lea.getByTestId("menu-remove").waitFor();
      await closeMenu();
      await menuOf("owen");
      assert.equal(await lea.getByTestId("menu-remove").count(), 0);
      await root.goto("/admin");
      await root.getByTestId("admin-tab-rooms").click();
      const den = root.locator('[data-testid="admin-room"][data-room="den"]');
      await den.getByTestId("admin-room-owner").fill("uma");
      await den.getByTestId("admin-room-set-owner").click();
      await lea.getByTestId("menu-remove").waitFor();
      await closeMenu();
      await menuOf("uma");
      await lea.getByTestId("menu-remove").waitFor({ state: "detached" });
      await closeMenu();
    } finally {
      await Promise.all([owen.close(), bob.close(), uma.close()]);
    }
  },
);
