/**
 * The web client's profile pictures: chosen in the account menu's
 * "Profile picture…" dialog (in French), previewed, saved, shown at once
 * beside the name in another's member list and message rows and on the
 * account's own card, and removed (the initials again). Needs
 * /usr/bin/chromium.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import type { Locator, Page } from "playwright-core";
import {
  browserTest,
  openPage,
  register,
  send,
  signIn,
} from "./browser_support.ts";
import { TestClient } from "./harness.ts";
import { member, PNG } from "./file_helpers.ts";

/** The member list's row of a name. */
function memberRow(page: Page, name: string): Locator {
  return page.locator(`[data-testid="member"][data-user="${name}"]`);
}

/** Waits until a picture inside `where` has loaded (its pixels decoded). */
async function pictureShown(where: Locator): Promise<void> {
  const picture = where.getByTestId("avatar-picture").first();
  await picture.waitFor();
  await picture.page().waitForFunction(
    (img) => (img as HTMLImageElement).naturalWidth > 0,
    await picture.elementHandle(),
  );
}

/** Sets PNG as the picture of the account of `cookie`; its version. */
async function putPicture(
  server: { url: string },
  cookie: string,
): Promise<string> {
  const set = await fetch(`${server.url}/api/me/avatar`, {
    method: "PUT",
    headers: { origin: server.url, cookie, "content-type": "image/png" },
    body: PNG,
  });
  return (await set.json() as { avatar: string }).avatar;
}

/** The pictures a page asks for from now on (path and query), in order. */
function picturesAsked(page: Page): string[] {
  const asked: string[] = [];
  page.on("request", (request) => {
    const { pathname, search } = new URL(request.url());
    if (pathname.startsWith("/avatars/")) asked.push(pathname + search);
  });
  return asked;
}

/**
 * Closes the members' sockets (by name), then waits until no list of general's
 * users names them: offline, so that no member list tells their pictures.
 */
async function offline(
  server: { wsUrl: string },
  members: Record<string, { client: TestClient }>,
): Promise<void> {
  const names = new Set(Object.keys(members));
  for (const m of Object.values(members)) await m.client.close();
  const watcher = await TestClient.register(server.wsUrl, "watcher");
  try {
    for (;;) {
      const { users } = await watcher.ok("list_users", { room: "general" });
      if (!(users as string[]).some((u) => names.has(u))) return;
      await new Promise((done) => setTimeout(done, 50));
    }
  } finally {
    await watcher.close();
  }
}

browserTest(
  "web client: a profile picture chosen from the account menu (in French) is previewed, then shows beside the name in another's member list and messages and on the account's card; removed, the initials come back",
  async (browser, server) => {
    const lea = await openPage(browser, server, { locale: "fr-FR" });
    await register(lea, "lea");
    const bob = await openPage(browser, server);
    await register(bob, "bob");
    await send(lea, "bonjour");
    const leaMessage = bob.locator('[data-testid="message"]')
      .filter({ hasText: "bonjour" });
    await leaMessage.waitFor();
    await memberRow(bob, "lea").waitFor();

    await lea.getByTestId("settings").click();
    await lea.getByTestId("avatar-setting")
      .filter({ hasText: "Photo de profil…" }).click();
    const dialog = lea.getByTestId("avatar-dialog");
    await dialog.waitFor();
    await lea.getByTestId("avatar-file").setInputFiles({
      name: "moi.png",
      mimeType: "image/png",
      buffer: Buffer.from(PNG),
    });
    await lea.getByTestId("avatar-preview").waitFor();
    await lea.getByTestId("avatar-save").click();
    await dialog.waitFor({ state: "detached" });

    await pictureShown(memberRow(bob, "lea"));
    await pictureShown(leaMessage);
    await pictureShown(lea.getByTestId("me"));
    // No picture for bob: his initials, no image asked for again.
    await memberRow(lea, "bob").locator(".avatar").waitFor();

    await lea.getByTestId("settings").click();
    await lea.getByTestId("avatar-setting").click();
    await lea.getByTestId("avatar-remove")
      .filter({ hasText: "Retirer la photo" }).click();
    await dialog.waitFor({ state: "detached" });
    await memberRow(bob, "lea").getByTestId("avatar-picture")
      .waitFor({ state: "detached" });
    await leaMessage.getByTestId("avatar-picture")
      .waitFor({ state: "detached" });
  },
);

browserTest(
  "web client: the member list asks for the pictures of the members who have one, and for no other's",
  async (browser, server) => {
    const ann = await member(server, "ann");
    const ben = await member(server, "ben");
    try {
      const avatar = await putPicture(server, ann.cookie);
      const page = await openPage(browser, server);
      const asked = picturesAsked(page);
      await register(page, "cat");
      await memberRow(page, "ben").waitFor();
      await pictureShown(memberRow(page, "ann"));
      await memberRow(page, "cat").waitFor();
      assert.deepEqual(asked, [`/avatars/ann?v=${avatar}`]);
    } finally {
      await ann.client.close();
      await ben.client.close();
    }
  },
);

browserTest(
  "web client: the people Ctrl+K finds ask for the pictures of those who have one, and for no other's",
  async (browser, server) => {
    const anna = await member(server, "anna");
    const anne = await member(server, "anne");
    let avatar: string;
    try {
      avatar = await putPicture(server, anna.cookie);
    } finally {
      // Both offline before the page opens: no member list names them.
      await offline(server, { anna, anne });
    }
    const page = await openPage(browser, server);
    const asked = picturesAsked(page);
    await register(page, "cat");
    await page.keyboard.press("Control+k");
    const box = page.getByTestId("switch-input");
    await box.waitFor();
    await box.pressSequentially("ann");
    const options = page.getByTestId("switch-option");
    await options.filter({ hasText: "anne" }).waitFor();
    await pictureShown(options.filter({ hasText: "anna" }));
    assert.deepEqual(asked, [`/avatars/anna?v=${avatar}`]);
  },
);

browserTest(
  "web client: the conversation list asks for the pictures of the other sides who have one, and for no other's",
  async (browser, server) => {
    const anna = await member(server, "anna");
    const anne = await member(server, "anne");
    const cat = await member(server, "cat");
    let avatar: string;
    try {
      avatar = await putPicture(server, anna.cookie);
      await anna.client.ok("private_message", { to: "cat", text: "hi" });
      await anne.client.ok("private_message", { to: "cat", text: "yo" });
    } finally {
      // All offline before cat's page opens: no member list names them.
      await offline(server, { anna, anne, cat });
    }
    const page = await openPage(browser, server);
    const asked = picturesAsked(page);
    await signIn(page, "cat");
    const rows = page.getByTestId("dm-item");
    await rows.filter({ hasText: "anne" }).waitFor();
    await pictureShown(rows.filter({ hasText: "anna" }));
    assert.deepEqual(asked, [`/avatars/anna?v=${avatar}`]);
  },
);
