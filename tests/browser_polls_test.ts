/**
 * Polls in the web client, in a real browser: the composer's "Poll" form
 * and `/poll`, the card with its bars and counts, the account's own
 * choice pressed, the voters on focus, voting from the keyboard, "Close
 * poll" for its author; in English and in French.
 * Needs /usr/bin/chromium; without it the tests are reported as ignored.
 */
import assert from "node:assert/strict";
import {
  assertNoInkAbove,
  browserTest,
  confirmedFrom,
  guest,
  noteAppearance,
  openPage,
  register,
  send,
  signIn,
} from "./browser_support.ts";
import type { Locator, WebSocketRoute } from "playwright-core";
import { TestClient, type TestServer } from "./harness.ts";
import { MAX_POLL_OPTION } from "../server/protocol/limits.ts";

/**
 * A poll of several choices `author` sends to general, whose first two
 * options have `voters` votes each, straight into the store (no account
 * checked without accountCreatedAt): its voters' names are full before
 * anyone else votes. Resolves to the message's id.
 */
async function crowdedPoll(
  server: TestServer,
  author: TestClient,
  poll: { options: string[]; voters: number },
): Promise<string> {
  const { message } = await author.ok("create_poll", {
    room: "general",
    question: "Which days?",
    options: poll.options,
    multiple: true,
  }) as { message: { id: string } };
  for (let i = 0; i < poll.voters; i++) {
    await server.node.store.changePoll(message.id, {
      kind: "vote",
      userKey: `voter${i}`,
      user: `voter${i}`,
      options: [0, 1],
    });
  }
  return message.id;
}

/**
 * A poll of several choices past 100 voters (101, crowdedPoll's) in which
 * `alice` chose Monday from another device: her name is not among its
 * voters, and no vote reply of a page's tells it. Resolves to its id.
 */
async function hiddenMonday(
  server: TestServer,
  bob: TestClient,
  alice: TestClient,
): Promise<string> {
  const id = await crowdedPoll(server, bob, {
    options: ["Monday", "Tuesday", "Friday"],
    voters: 101,
  });
  await alice.ok("vote", { id, options: [0] });
  return id;
}

/** Each option's `aria-pressed`, in order. */
function pressedOf(options: Locator): Promise<(string | null)[]> {
  return options.evaluateAll((all) =>
    all.map((b) => b.getAttribute("aria-pressed"))
  );
}

/** Waits until option `i` of `options` says `text` as its count. */
function countShown(options: Locator, i: number, text: string): Promise<void> {
  return options.nth(i).getByTestId("poll-count").filter({
    hasText: new RegExp(`^${text}$`),
  }).waitFor();
}

browserTest(
  "web client polls: the Poll form sends a poll whose card counts every vote, marks one's own choice, names the voters on focus, votes from the keyboard and closes",
  async (browser, server) => {
    const bob = await TestClient.register(server.wsUrl, "bob");
    try {
      const page = await openPage(browser, server);
      await register(page, "alice");
      await page.getByTestId("poll-button").click();
      const form = page.getByTestId("poll-dialog");
      await form.getByTestId("poll-question-input").fill("Lunch <b>today</b>?");
      const fields = form.getByTestId("poll-option-input");
      await fields.nth(0).fill("Pizza");
      await fields.nth(1).fill("Sushi");
      // A field more is offered once both are filled; left empty, it is
      // not sent.
      await fields.nth(2).waitFor();
      await form.getByTestId("poll-send").click();
      await form.waitFor({ state: "detached" });

      const card = page.getByTestId("poll");
      await card.waitFor();
      // User text as text: no element made of it.
      assert.equal(
        await card.getByTestId("poll-question").textContent(),
        "Lunch <b>today</b>?",
      );
      assert.equal(await card.locator("b").count(), 0);
      const options = card.getByTestId("poll-option");
      assert.equal(await options.count(), 2);
      assert.equal(
        await card.getByTestId("poll-note").textContent(),
        "Choose one",
      );

      const sent = await bob.event(
        "receive_message",
        (m) => m.poll !== undefined,
      );
      await bob.ok("vote", { id: sent.data.id as string, options: [1] });
      const sushi = options.nth(1);
      await sushi.getByTestId("poll-count").filter({ hasText: /^1 vote$/ })
        .waitFor();
      // The voters show on keyboard focus, and name the option for readers.
      await sushi.focus();
      await page.keyboard.press("Shift+Tab");
      await page.keyboard.press("Tab");
      const voters = card.getByTestId("poll-voters").nth(1);
      await voters.waitFor({ state: "visible" });
      assert.equal(await voters.textContent(), "bob");
      assert.equal(
        await sushi.getAttribute("aria-describedby"),
        await voters.getAttribute("id"),
      );

      // One's own choice, pressed; Enter on it again takes it back.
      const pizza = options.nth(0);
      await pizza.click();
      await card.locator('[data-testid="poll-option"][aria-pressed="true"]')
        .filter({ hasText: "Pizza" }).waitFor();
      await pizza.getByTestId("poll-count").filter({ hasText: /^1 vote$/ })
        .waitFor();
      await pizza.focus();
      await page.keyboard.press("Enter");
      await pizza.getByTestId("poll-count").filter({ hasText: /^0 votes$/ })
        .waitFor();
      assert.equal(await pizza.getAttribute("aria-pressed"), "false");

      await card.getByTestId("poll-close").click();
      await card.getByTestId("poll-note").filter({ hasText: "Poll closed" })
        .waitFor();
      assert.equal(await card.getByTestId("poll-close").count(), 0);
      assert.equal(await pizza.getAttribute("aria-disabled"), "true");
      await bob.event(
        "message_updated",
        (m) => (m.poll as { closed?: boolean } | undefined)?.closed === true,
      );
    } finally {
      await bob.close();
    }
  },
);

browserTest(
  "web client polls in French: /poll sends a poll, its card says its counts and Close in French, and others' polls offer no Close",
  async (browser, server) => {
    const bob = await TestClient.register(server.wsUrl, "bob");
    try {
      const page = await openPage(browser, server, { locale: "fr-FR" });
      await register(page, "alice");
      await send(page, '/poll "Déjeuner ?" "Pizza" "Sushi" "Salade"');
      const mine = page.getByTestId("message").filter({
        hasText: "Déjeuner ?",
      });
      const card = mine.getByTestId("poll");
      await card.waitFor();
      assert.equal(await card.getByTestId("poll-option").count(), 3);
      assert.equal(
        await card.getByTestId("poll-note").textContent(),
        "Un seul choix",
      );
      assert.equal(
        await card.getByTestId("poll-count").first().textContent(),
        "0 vote",
      );
      assert.equal(
        await card.getByTestId("poll-close").textContent(),
        "Clore le sondage",
      );
      // Bob's poll: alice, a plain user, votes but may not close it.
      await bob.ok("create_poll", {
        room: "general",
        question: "Café ?",
        options: ["Oui", "Non"],
        multiple: true,
      });
      const theirs = page.getByTestId("message").filter({ hasText: "Café ?" })
        .getByTestId("poll");
      await theirs.waitFor();
      assert.equal(
        await theirs.getByTestId("poll-note").textContent(),
        "Un choix ou plusieurs",
      );
      assert.equal(await theirs.getByTestId("poll-close").count(), 0);
      await theirs.getByTestId("poll-option").nth(0).click();
      await theirs.getByTestId("poll-option").nth(1).click();
      await theirs.getByTestId("poll-count").nth(1).filter({
        hasText: /^1 vote$/,
      }).waitFor();
      assert.equal(
        await theirs.locator('[aria-pressed="true"]').count(),
        2,
      );
    } finally {
      await bob.close();
    }
  },
);

browserTest(
  "web client polls in French: the Poll form says in French why a poll without a question, or with one option (or one twice), is not sent, and sends it once it has two",
  async (browser, server) => {
    const page = await openPage(browser, server, { locale: "fr-FR" });
    await register(page, "alice");
    await page.getByTestId("poll-button").click();
    const form = page.getByTestId("poll-dialog");
    const status = form.getByTestId("poll-status");
    const fields = form.getByTestId("poll-option-input");
    await fields.nth(0).fill("Pizza");
    await form.getByTestId("poll-send").click();
    // The server's refusal would say only "malformed" in French.
    await status.filter({ hasText: "Écrivez la question du sondage." })
      .waitFor();
    await form.getByTestId("poll-question-input").fill("Déjeuner ?");
    await form.getByTestId("poll-send").click();
    const few = "Un sondage demande au moins 2 options différentes.";
    await status.filter({ hasText: few }).waitFor();
    await fields.nth(1).fill(" pizza ");
    await form.getByTestId("poll-send").click();
    await status.filter({ hasText: few }).waitFor();
    assert.equal(await page.getByTestId("poll").count(), 0);
    await fields.nth(1).fill("Sushi");
    await form.getByTestId("poll-send").click();
    await form.waitFor({ state: "detached" });
    await page.getByTestId("poll").filter({ hasText: "Déjeuner ?" }).waitFor();
  },
);

browserTest(
  "web client polls: the Poll form shows the server's refusal in its status line and stays open to be put right, an edit clears it, and Cancel closes it",
  async (browser, server) => {
    const page = await openPage(browser, server);
    await register(page, "alice");
    await page.getByTestId("poll-button").click();
    const form = page.getByTestId("poll-dialog");
    await form.getByTestId("poll-question-input").fill("Lunch?");
    const fields = form.getByTestId("poll-option-input");
    await fields.nth(0).fill("Pizza");
    // Longer than a poll's option may be (the field lets code points in
    // UTF-16 pairs through): the server refuses it.
    await fields.nth(1).fill("s".repeat(MAX_POLL_OPTION + 1));
    const send = form.getByTestId("poll-send");
    await send.click();
    const status = form.getByTestId("poll-status");
    await status.filter({
      hasText: `A poll's option has at most ${MAX_POLL_OPTION} characters.`,
    }).waitFor();
    assert.match(String(await status.getAttribute("class")), /\berror\b/);
    // Sent and answered: the form takes edits and sends again.
    assert.equal(await send.isEnabled(), true);
    assert.equal(await fields.nth(1).isEnabled(), true);
    await fields.nth(1).fill("Sushi");
    await status.filter({ hasText: /^$/ }).waitFor();
    assert.doesNotMatch(
      String(await status.getAttribute("class")),
      /\berror\b/,
    );
    await form.getByRole("button", { name: "Cancel" }).click();
    await form.waitFor({ state: "detached" });
    assert.equal(await page.getByTestId("poll").count(), 0);
  },
);

browserTest(
  "web client polls: past 100 voters one's own vote shows pressed, and a second choice in a poll of several keeps the first",
  async (browser, server) => {
    const bob = await TestClient.register(server.wsUrl, "bob");
    try {
      // 100 voters for each option: voters is full before alice.
      await crowdedPoll(server, bob, {
        options: ["Monday", "Tuesday"],
        voters: 100,
      });
      const page = await openPage(browser, server);
      await register(page, "alice");
      const options = page.getByTestId("poll").getByTestId("poll-option");
      const count = (i: number, text: string) => countShown(options, i, text);
      await count(0, "100 votes");

      await options.nth(0).click();
      await count(0, "101 votes");
      // voters names the first 100: alice is not among them, and her
      // option showed unpressed.
      await page.locator(
        '[data-testid="poll-option"][aria-pressed="true"]',
      ).first().waitFor();
      assert.equal(await options.nth(0).getAttribute("aria-pressed"), "true");

      // A second choice: before, it was sent alone, and Monday lost her vote.
      // (The mouse off Monday first: its voters, shown on hover, lie over
      // Tuesday.)
      await page.mouse.move(0, 0);
      await options.nth(1).click();
      await count(1, "101 votes");
      await count(0, "101 votes");
      assert.equal(await options.nth(1).getAttribute("aria-pressed"), "true");
      assert.equal(await options.nth(0).getAttribute("aria-pressed"), "true");
    } finally {
      await bob.close();
    }
  },
);

browserTest(
  "web client polls on a phone: a long press on an option names its voters and votes nothing; a tap votes",
  async (browser, server) => {
    const bob = await TestClient.register(server.wsUrl, "bob");
    try {
      const { message } = await bob.ok("create_poll", {
        room: "general",
        question: "Lunch?",
        options: ["Pizza", "Sushi"],
      }) as { message: { id: string } };
      await bob.ok("vote", { id: message.id, options: [1] });
      const page = await openPage(browser, server, {
        viewport: { width: 390, height: 844 },
      });
      await register(page, "alice");
      const sushi = page.getByTestId("poll-option").nth(1);
      const count = (text: string) =>
        sushi.getByTestId("poll-count").filter({
          hasText: new RegExp(`^${text}$`),
        }).waitFor();
      await count("1 vote");
      // A touch cannot hover: before, a phone never showed the voters.
      // They show for 4 s, which a poll on a busy machine could miss.
      const names = await noteAppearance(page, {
        selector: ".poll-item.show .poll-voters",
        text: "bob",
      });
      await sushi.dispatchEvent("touchstart");
      await names.waitFor();
      assert.equal(
        await page.getByTestId("poll-voters").nth(1).textContent(),
        "bob",
      );
      await sushi.dispatchEvent("touchend");
      // A real tap ends with a click, which the long press swallows.
      await sushi.dispatchEvent("click");
      // The server answers a page's requests in order: once a message sent
      // after it is confirmed, a vote would have come back.
      await send(page, "after the long press");
      await confirmedFrom(page, "alice", "after the long press").waitFor();
      assert.equal(
        await sushi.getByTestId("poll-count").textContent(),
        "1 vote",
      );
      assert.equal(await sushi.getAttribute("aria-pressed"), "false");
      // A tap votes.
      await sushi.dispatchEvent("click");
      await count("2 votes");
      await sushi.locator("xpath=self::*[@aria-pressed='true']").waitFor();
    } finally {
      await bob.close();
    }
  },
);

browserTest(
  "web client polls: the next holder of a deleted author's name is offered no Close on that author's poll, only on its own",
  async (browser, server) => {
    // The first account is the admin.
    const root = await TestClient.register(server.wsUrl, "root");
    const old = await TestClient.register(server.wsUrl, "alice");
    try {
      await old.ok("create_poll", {
        room: "general",
        question: "Kept from before?",
        options: ["Yes", "No"],
      });
      await old.close();
      await root.ok("delete_account", { user: "alice", messages: "keep" });
      const page = await openPage(browser, server);
      await register(page, "alice");
      const before = page.getByTestId("poll").filter({
        hasText: "Kept from before?",
      });
      await before.waitFor();
      // Its own poll, sent now, is offered Close: the page knows its rules.
      await page.getByTestId("poll-button").click();
      const form = page.getByTestId("poll-dialog");
      await form.getByTestId("poll-question-input").fill("Mine?");
      const fields = form.getByTestId("poll-option-input");
      await fields.nth(0).fill("A");
      await fields.nth(1).fill("B");
      await form.getByTestId("poll-send").click();
      const mine = page.getByTestId("poll").filter({ hasText: "Mine?" });
      await mine.getByTestId("poll-close").waitFor();
      // Before, the former alice's poll offered Close too (the server
      // answered forbidden).
      assert.equal(await before.getByTestId("poll-close").count(), 0);
    } finally {
      await old.close();
      await root.close();
    }
  },
);

browserTest(
  "web client polls: after a reload, one's own vote past 100 voters shows pressed (poll_choices), and a second choice in a poll of several keeps it",
  async (browser, server) => {
    const bob = await TestClient.register(server.wsUrl, "bob");
    const alice = await TestClient.register(server.wsUrl, "alice");
    try {
      const id = await hiddenMonday(server, bob, alice);
      const page = await openPage(browser, server);
      await signIn(page, "alice");
      const options = page.getByTestId("poll").getByTestId("poll-option");
      const count = (i: number, text: string) => countShown(options, i, text);
      await count(0, "102 votes");
      await page.locator(
        '[data-testid="poll-option"][aria-pressed="true"]',
      ).first().waitFor();
      assert.deepEqual(await pressedOf(options), ["true", "false", "false"]);

      // Tuesday too: sent without Monday, her Monday vote was taken away.
      // (The mouse off Monday first: its voters, shown on hover, lie over
      // Tuesday.)
      await page.mouse.move(0, 0);
      await options.nth(1).click();
      await count(1, "102 votes");
      await count(0, "102 votes");
      assert.deepEqual(
        (await alice.ok("poll_choices", { ids: [id] })).choices,
        { [id]: [0, 1] },
      );
      assert.equal(await options.nth(0).getAttribute("aria-pressed"), "true");
      assert.equal(await options.nth(1).getAttribute("aria-pressed"), "true");
    } finally {
      await alice.close();
      await bob.close();
    }
  },
);

browserTest(
  "web client polls: past 100 voters, a click before the page has heard its own choice waits for it, and keeps the option chosen on another device",
  async (browser, server) => {
    const bob = await TestClient.register(server.wsUrl, "bob");
    const alice = await TestClient.register(server.wsUrl, "alice");
    try {
      const id = await hiddenMonday(server, bob, alice);
      // The reply of the page's poll_choices is held back.
      const page = await openPage(browser, server);
      let toPage: WebSocketRoute | undefined;
      const held: string[] = [];
      const choicesHeld = Promise.withResolvers<void>();
      await page.routeWebSocket(/\/ws$/, (socket) => {
        toPage = socket;
        const upstream = socket.connectToServer();
        upstream.onMessage((frame) => {
          const lines = String(frame).split("\n").filter((line) => {
            const { data } = JSON.parse(line);
            const choices = data?.request === "poll_choices";
            if (choices) {
              held.push(line);
              choicesHeld.resolve();
            }
            return !choices;
          });
          if (lines.length > 0) socket.send(lines.join("\n"));
        });
      });
      await signIn(page, "alice");
      await choicesHeld.promise;
      const options = page.getByTestId("poll").getByTestId("poll-option");
      await countShown(options, 0, "102 votes");
      // Tuesday, before the page knows of Monday: before, the vote went
      // without Monday and took it away.
      await page.mouse.move(0, 0);
      await options.nth(1).click();
      toPage!.send(held.join("\n"));
      await countShown(options, 1, "102 votes");
      assert.deepEqual(
        (await alice.ok("poll_choices", { ids: [id] })).choices,
        { [id]: [0, 1] },
      );
      await countShown(options, 0, "102 votes");
    } finally {
      await alice.close();
      await bob.close();
    }
  },
);

browserTest(
  "web client polls: past 100 voters, a vote on another device after the page heard its own choice shows pressed there without a reload",
  async (browser, server) => {
    const bob = await TestClient.register(server.wsUrl, "bob");
    const alice = await TestClient.register(server.wsUrl, "alice");
    try {
      const id = await hiddenMonday(server, bob, alice);
      const page = await openPage(browser, server);
      await signIn(page, "alice");
      const options = page.getByTestId("poll").getByTestId("poll-option");
      await page.locator(
        '[data-testid="poll-option"][aria-pressed="true"]',
      ).first().waitFor();
      assert.deepEqual(await pressedOf(options), ["true", "false", "false"]);
      // Friday instead, on her other device: before, the page kept Monday
      // pressed (the counts alone do not say whose vote moved).
      await alice.ok("vote", { id, options: [2] });
      await countShown(options, 2, "1 vote");
      await page.locator(
        '[data-testid="poll-option"][aria-pressed="true"]',
      ).nth(0).and(options.nth(2)).waitFor();
      assert.deepEqual(await pressedOf(options), ["false", "false", "true"]);
    } finally {
      await alice.close();
      await bob.close();
    }
  },
);

browserTest(
  "web client keeps a poll's question's stacked accents within its card, off the message above",
  async (browser, server) => {
    const bob = await TestClient.register(server.wsUrl, "bob");
    try {
      const page = await openPage(browser, server);
      await guest(page, "kim");
      await bob.ok("send_message", { text: "the release is at five" });
      await confirmedFrom(page, "bob", "the release is at five").waitFor();
      // A question of one letter under 299 combining marks (a question's
      // 300 characters), drawn in a column about 100 pixels tall, half of
      // it over the message above (a message's text clips them already).
      let marks = "";
      for (let i = 0; i < 299; i++) {
        marks += String.fromCodePoint(0x300 + i % 0x30);
      }
      await bob.ok("create_poll", {
        room: "general",
        question: `Z${marks}`,
        options: ["yes", "no"],
      });
      const card = page.getByTestId("poll");
      await card.waitFor();
      await assertNoInkAbove(card, ".poll-question", {
        what: "the question's",
      });
    } finally {
      await bob.close();
    }
  },
);

browserTest(
  "web client polls: two quick clicks on a poll of several choices keep both, when the first vote's update reaches the page after the second click",
  async (browser, server) => {
    const bob = await TestClient.register(server.wsUrl, "bob");
    const alice = await TestClient.register(server.wsUrl, "alice");
    try {
      const { message } = await bob.ok("create_poll", {
        room: "general",
        question: "Which days?",
        options: ["Monday", "Tuesday", "Friday"],
        multiple: true,
      }) as { message: { id: string } };
      // Every message_updated to the page is held back while `holding`,
      // as a slow network or a busy server delivers it after a second
      // click; the votes' replies pass.
      const page = await openPage(browser, server);
      let toPage: WebSocketRoute | undefined;
      let holding = false;
      const held: string[] = [];
      let replied = Promise.withResolvers<void>();
      await page.routeWebSocket(/\/ws$/, (socket) => {
        toPage = socket;
        const upstream = socket.connectToServer();
        upstream.onMessage((frame) => {
          const lines = String(frame).split("\n").filter((line) => {
            const { action, data } = JSON.parse(line);
            if (action === "success" && data?.request === "vote") {
              replied.resolve();
            }
            const hold = holding && action === "message_updated";
            if (hold) held.push(line);
            return !hold;
          });
          if (lines.length > 0) socket.send(lines.join("\n"));
        });
      });
      await signIn(page, "alice");
      const options = page.getByTestId("poll").getByTestId("poll-option");
      await countShown(options, 0, "0 votes");
      holding = true;
      await page.mouse.move(0, 0);
      await options.nth(0).click();
      await replied.promise;
      replied = Promise.withResolvers<void>();
      // Before, this click started from the drawing (nothing chosen yet)
      // and sent Tuesday alone, taking Monday away.
      await options.nth(1).click();
      await replied.promise;
      holding = false;
      assert.equal(held.length, 2);
      toPage!.send(held.join("\n"));
      assert.deepEqual(
        (await alice.ok("poll_choices", { ids: [message.id] })).choices,
        { [message.id]: [0, 1] },
      );
      await countShown(options, 0, "1 vote");
      await countShown(options, 1, "1 vote");
      assert.deepEqual(await pressedOf(options), ["true", "true", "false"]);
    } finally {
      await alice.close();
      await bob.close();
    }
  },
);
