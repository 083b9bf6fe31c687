/**
 * The search dialog's modifiers in a real browser (client/team/
 * search_query.ts): `from:@name`, `has:link`, `has:reaction`, `in:#room` and the days,
 * Slack's way, with the hint in English and in French.
 */
import assert from "node:assert/strict";
import {
  browserTest,
  confirmedFrom,
  openPage,
  register,
  send,
} from "./browser_support.ts";
import { messageOf, TestClient, utcDay } from "./harness.ts";

browserTest(
  "web client search box reads from:, has: (a reaction too), in: and the days as filters, its hint in English and in French",
  async (browser, server) => {
    const bob = await TestClient.register(server.wsUrl, "bob");
    try {
      const first = messageOf(
        await bob.ok("send_message", {
          text: "deploy done, see https://example.com",
        }),
      );
      const later = await bob.ok("send_message", { text: "deploy later" }) as {
        message: { id: string };
      };
      await bob.ok("react", { id: later.message.id, emoji: "👍" });
      await bob.ok("create_room", { room: "dev" });
      await bob.ok("send_message", { text: "deploy in dev" });
      // Its days are UTC's, as utcDay's: the page says so, whatever the
      // machine's zone (the client sends its own with the days).
      const page = await openPage(browser, server, { timezoneId: "UTC" });
      await register(page, "alice");
      await send(page, "my own deploy");
      const mine = await confirmedFrom(page, "alice", "my own deploy")
        .locator("time").first().getAttribute("datetime");
      await page.getByTestId("search-open").click();
      const dialog = page.getByTestId("search-dialog");
      await dialog.getByTestId("search-tips").filter({ hasText: "from:@name" })
        .waitFor();
      const texts = async (query: string, count: number) => {
        await dialog.getByTestId("search-input").fill(query);
        await dialog.getByTestId("search-status").filter({
          hasText: count === 1 ? "1 result" : `${count} results`,
        }).waitFor();
        return (await dialog.getByTestId("search-result").locator(
          ".result-text",
        ).allTextContents());
      };
      assert.deepEqual(await texts("from:@bob has:link", 1), [
        "deploy done, see https://example.com",
      ]);
      assert.deepEqual(await texts("deploy from:bob", 3), [
        "deploy in dev",
        "deploy later",
        "deploy done, see https://example.com",
      ]);
      // After 3 results: the status changes only once the answer is in.
      assert.deepEqual(await texts("has:reaction", 1), ["deploy later"]);
      assert.deepEqual(await texts("dep from:@bob in:#general", 2), [
        "deploy later",
        "deploy done, see https://example.com",
      ]);
      // The words alone are marked, not the modifiers.
      await dialog.locator("mark").filter({ hasText: "deploy" }).first()
        .waitFor();
      // Days from the messages' own times: a day read from the
      // clock here is the next one when UTC midnight fell since they were
      // sent.
      const today = utcDay(mine!);
      const yesterday = utcDay(first.ts, -1);
      assert.deepEqual(await texts(`from:alice on:${today}`, 1), [
        "my own deploy",
      ]);
      assert.deepEqual(
        await texts(`deploy in:#general after:${yesterday}`, 3),
        [
          "my own deploy",
          "deploy later",
          "deploy done, see https://example.com",
        ],
      );
      await dialog.getByTestId("search-input").fill(
        `deploy before:${yesterday}`,
      );
      await dialog.getByTestId("search-status").filter({
        hasText: "No message found.",
      }).waitFor();

      // `from:@` offers people, `in:#` rooms; Tab or a click puts the name
      // in, and the search runs.
      const input = dialog.getByTestId("search-input");
      await input.fill("");
      await input.pressSequentially("deploy from:@bo");
      const option = dialog.getByTestId("mention-option");
      await option.filter({ hasText: "bob" }).waitFor();
      await input.press("Tab");
      assert.equal(await input.inputValue(), "deploy from:@bob ");
      await input.pressSequentially("in:#de");
      await dialog.getByTestId("mention-picker").and(
        dialog.locator('[data-kind="room"]'),
      ).waitFor();
      await option.filter({ hasText: "dev" }).click();
      assert.equal(await input.inputValue(), "deploy from:@bob in:#dev ");
      await dialog.getByTestId("search-status").filter({ hasText: "1 result" })
        .waitFor();
      assert.deepEqual(
        await dialog.getByTestId("search-result").locator(".result-text")
          .allTextContents(),
        ["deploy in dev"],
      );
      // A `#` among the words is a word: nothing offered.
      await input.pressSequentially("#zz");
      await dialog.getByTestId("search-status").filter({
        hasText: "No message found.",
      }).waitFor();
      assert.equal(await option.count(), 0);

      const french = await openPage(browser, server, { locale: "fr-FR" });
      await register(french, "chloe");
      await french.getByTestId("search-open").click();
      const dialogue = french.getByTestId("search-dialog");
      await dialogue.getByTestId("search-tips").filter({
        hasText: "Affinez avec from:@nom, in:#salon",
      }).waitFor();
      await dialogue.getByTestId("search-tips").filter({
        hasText: "has:reaction (réaction)",
      }).waitFor();
      await dialogue.getByTestId("search-input").fill("from:@bob has:link");
      await dialogue.getByTestId("search-status").filter({
        hasText: "1 résultat",
      }).waitFor();
    } finally {
      await bob.close();
    }
  },
);

browserTest(
  "web client: the names the search box offers after from:@ show whole in a dialog with no results yet (they were cut at the foot of its short body)",
  async (browser, server) => {
    const page = await openPage(browser, server);
    await register(page, "alice");
    const bob = await openPage(browser, server);
    await register(bob, "bob");
    await page.getByTestId("member").filter({ hasText: "bob" }).waitFor();
    await page.getByTestId("search-open").click();
    const dialog = page.getByTestId("search-dialog");
    await dialog.getByTestId("search-input").pressSequentially("from:@b");
    await dialog.getByTestId("mention-option").filter({ hasText: "bob" })
      .waitFor();
    // The search ran for from:b: the tips gave way to a line of status.
    await dialog.getByTestId("search-status").filter({
      hasText: "No message found.",
    }).waitFor();
    const cut = await dialog.evaluate((card) => {
      const body = card.querySelector(".dialog-body")!.getBoundingClientRect();
      const list = card.querySelector('[data-testid="mention-picker"]')!
        .getBoundingClientRect();
      return list.bottom - body.bottom;
    });
    assert.ok(cut <= 0, `the list passes the dialog's foot by ${cut} px`);
  },
);

browserTest(
  "web client search box's days are the browser's: on: a day in its zone finds what was sent then, not what UTC's day holds",
  async (browser, server) => {
    const bob = await TestClient.register(server.wsUrl, "bob");
    try {
      const sent = messageOf(
        await bob.ok("send_message", { text: "sent today" }),
      );
      // A zone whose day at that time is not UTC's: 14 hours ahead from
      // 10:00 UTC on (the next day), 11 hours behind before (the day
      // before).
      const zone = new Date(sent.ts).getUTCHours() >= 10
        ? "Pacific/Kiritimati"
        : "Pacific/Pago_Pago";
      const local = Temporal.Instant.from(sent.ts).toZonedDateTimeISO(zone)
        .toPlainDate().toString();
      assert.notEqual(local, utcDay(sent.ts));
      const page = await openPage(browser, server, { timezoneId: zone });
      await register(page, "alice");
      await page.getByTestId("search-open").click();
      const dialog = page.getByTestId("search-dialog");
      const input = dialog.getByTestId("search-input");
      const status = dialog.getByTestId("search-status");
      await input.fill(`from:@bob on:${local}`);
      await status.filter({ hasText: "1 result" }).waitFor();
      assert.deepEqual(
        await dialog.getByTestId("search-result").locator(".result-text")
          .allTextContents(),
        ["sent today"],
      );
      await input.fill(`from:@bob on:${utcDay(sent.ts)}`);
      await status.filter({ hasText: "No message found." }).waitFor();
    } finally {
      await bob.close();
    }
  },
);

browserTest(
  "web client search box in a zone with no days (Factory): on: a day finds by UTC's days, in French, where the search was refused",
  async (browser, server) => {
    const bob = await TestClient.register(server.wsUrl, "bob");
    try {
      const sent = messageOf(
        await bob.ok("send_message", { text: "sent from nowhere" }),
      );
      const page = await openPage(browser, server, {
        timezoneId: "Factory",
        locale: "fr-FR",
      });
      assert.equal(
        await page.evaluate(() =>
          Intl.DateTimeFormat().resolvedOptions().timeZone
        ),
        "Factory",
      );
      await register(page, "alice");
      await page.getByTestId("search-open").click();
      const dialog = page.getByTestId("search-dialog");
      await dialog.getByTestId("search-input").fill(
        `from:@bob on:${utcDay(sent.ts)}`,
      );
      await dialog.getByTestId("search-status").filter({
        hasText: "1 résultat",
      }).waitFor();
      assert.deepEqual(
        await dialog.getByTestId("search-result").locator(".result-text")
          .allTextContents(),
        ["sent from nowhere"],
      );
    } finally {
      await bob.close();
    }
  },
);
