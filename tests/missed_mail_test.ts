/**
 * Missed-message mails through a real SMTP server (tests/smtp_receiver.ts):
 * an account away gets one mail of the private messages and mentions it
 * missed, after `--missed-mail-delay`, unless read meanwhile; its
 * unsubscribe link turns them off without login.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import type { ClaimedMissedMail } from "../server/mail/missed_mail.ts";
import {
  type Config,
  DEFAULT_RATE_LIMITS,
  NO_RATE_LIMITS,
} from "../server/mod.ts";
import {
  ClientPool,
  clusterSkipReason,
  expectError,
  startTestServer,
  type TestClient,
  type TestServer,
  withCluster,
} from "./harness.ts";
import { verifyAddress, withMailServer } from "./mail_support.ts";
import { type SmtpReceiver, startSmtpReceiver } from "./smtp_receiver.ts";

function withMissedMail(
  body: (server: TestServer, pool: ClientPool, smtp: SmtpReceiver) => Promise<
    void
  >,
  options: Partial<Config> = {},
): Promise<void> {
  return withMailServer(body, {
    // Wide enough for a busy machine to send the batch within it.
    missedMailDelaySeconds: 2,
    reminderSweepMs: 100,
    rateLimits: NO_RATE_LIMITS,
    ...options,
  });
}

/** Registers `name` with a verified address `<name>@example.org`. */
async function verified(
  server: TestServer,
  pool: ClientPool,
  smtp: SmtpReceiver,
  name: string,
): Promise<TestClient> {
  const client = await pool.register(name);
  await verifyAddress(server, smtp, client, `${name}@example.org`);
  return client;
}

Deno.test("missed mails: a private message and a mention reaching an account away go in one mail after the delay, with links, escaped HTML and a one-click unsubscribe; one read meanwhile is left out", async () => {
  await withMissedMail(async (server, pool, smtp) => {
    const ann = await verified(server, pool, smtp, "ann");
    const ben = await pool.register("ben");
    // ann's only page is hidden: away, as a phone in a pocket.
    await ann.ok("visibility", { hidden: true });
    const first = await ben.ok("private_message", {
      to: "ann",
      text: "read already",
    });
    const seq = (first.message as { seq: number }).seq;
    await ann.ok("mark_read", { with: "ben", seq });
    await ben.ok("private_message", { to: "ann", text: "see <b>this</b>" });
    await ben.ok("send_message", { text: "@ann the disk is full" });
    const mail = await smtp.next((m) =>
      m.to === "ann@example.org" && m.subject.includes("missed")
    );
    // About a conversation and a room: the subject of neither.
    assert.equal(mail.subject, "Messages you missed");
    assert.match(
      mail.text,
      /^Hello ann, while you were away you got these 2 messages:/,
    );
    assert.match(mail.text, /see <b>this<\/b>/);
    assert.match(mail.text, /@ann the disk is full/);
    assert.doesNotMatch(mail.text, /read already/);
    assert.match(mail.text, /https:\/\/chat\.example\.org\/#\/dm\/ann\/ben\/2/);
    assert.match(
      mail.text,
      /https:\/\/chat\.example\.org\/#\/room\/general\/\d+/,
    );
    assert.match(mail.html, /see &lt;b&gt;this&lt;\/b&gt;/);
    assert.doesNotMatch(mail.html, /<b>this/);
    const link =
      /^<(https:\/\/chat\.example\.org\/api\/missed-mail\/unsubscribe\?\S+)>$/
        .exec(mail.headers["list-unsubscribe"]);
    assert.ok(link, mail.headers["list-unsubscribe"]);
    assert.equal(
      mail.headers["list-unsubscribe-post"],
      "List-Unsubscribe=One-Click",
    );
    assert.equal(
      smtp.mails.filter((m) => m.subject.includes("missed")).length,
      1,
      "one mail for the batch",
    );

    // The one-click POST of a mail client: no login, no Origin.
    const path = link[1].replace("https://chat.example.org", "");
    const forged = await fetch(
      `${server.url}${path.replace(/sig=[^&]+/, "sig=AAAA")}`,
      { method: "POST", body: "List-Unsubscribe=One-Click" },
    );
    assert.equal(forged.status, 403);
    await forged.body?.cancel();
    const page = await fetch(`${server.url}${path}`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<form\s+method="post">/);
    const off = await fetch(`${server.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "List-Unsubscribe=One-Click",
    });
    assert.equal(off.status, 200);
    await off.body?.cancel();
    assert.deepEqual(await server.node.store.missedMailSetting("ann"), {
      enabled: false,
      language: null,
    });
    // In the audit log, once: the link posted again adds nothing.
    const again = await unsubscribe(server, path);
    assert.equal(again.status, 200);
    const entries = (await server.node.store.auditLog({ limit: 10 }))
      .filter((e) => e.action === "unsubscribe_missed_mail");
    assert.equal(entries.length, 1);
    assert.equal(entries[0].target, "ann");
    assert.equal(entries[0].by, "the server");
  });
});

Deno.test("missed mails: an edit that names an account away queues the message for it once; an edit that keeps the name queues nothing more", async () => {
  await withMissedMail(async (server, pool, smtp) => {
    const ann = await verified(server, pool, smtp, "ann");
    const ben = await pool.register("ben");
    await ann.ok("visibility", { hidden: true });
    const sent = await ben.ok("send_message", { text: "lunch at 1?" });
    const id = (sent.message as { id: string }).id;
    await ben.ok("edit_message", { id, text: "lunch at 1? @ann" });
    await server.node.missedMail!.idle();
    assert.deepEqual(
      (await server.node.store.missedMessages("ann")).map((m) => m.id),
      [id],
    );
    const mail = await smtp.next((m) =>
      m.to === "ann@example.org" && m.subject.includes("missed")
    );
    assert.equal(mail.subject, "Messages you missed in #general");
    assert.match(mail.text, /lunch at 1\? @ann/);
    // The mail sent and confirmed: its queue is empty.
    while ((await server.node.store.missedMessages("ann")).length > 0) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await ben.ok("edit_message", { id, text: "lunch at 1:30? @ann" });
    await server.node.missedMail!.idle();
    assert.deepEqual(await server.node.store.missedMessages("ann"), []);
  });
});

Deno.test("missed mails: an edit of a message whose history has dropped a text queues nothing for a name it adds: that name may have been in the text gone", async () => {
  await withMissedMail(async (server, pool, smtp) => {
    const ann = await verified(server, pool, smtp, "ann");
    const ben = await pool.register("ben");
    await ann.ok("visibility", { hidden: true });
    const sent = await ben.ok("send_message", { text: "v0" });
    const id = (sent.message as { id: string }).id;
    // 50 texts kept (MAX_KEPT_EDITS): the next edit drops v0's.
    for (let i = 1; i <= 50; i++) {
      await ben.ok("edit_message", { id, text: `v${i}` });
    }
    assert.equal((await server.node.store.listEdits(id)).length, 50);
    await ben.ok("edit_message", { id, text: "v51 @ann" });
    await server.node.missedMail!.idle();
    assert.deepEqual(await server.node.store.missedMessages("ann"), []);
  });
});

/** The unsubscribe link's path and query in a missed-message mail. */
function unsubscribePath(mail: { headers: Record<string, string> }): string {
  const link =
    /^<https:\/\/chat\.example\.org(\/api\/missed-mail\/unsubscribe\?\S+)>$/
      .exec(mail.headers["list-unsubscribe"]);
  assert.ok(link, mail.headers["list-unsubscribe"]);
  return link[1];
}

/** A mail client's one-click POST of an unsubscribe link (body read). */
async function unsubscribe(
  server: TestServer,
  path: string,
): Promise<{ status: number; text: string }> {
  const answer = await fetch(`${server.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: "List-Unsubscribe=One-Click",
  });
  return { status: answer.status, text: await answer.text() };
}

Deno.test("missed mails: the unsubscribe link of an account deleted since does nothing for the account its name is registered to again (403), whose mails stay on", async () => {
  await withMissedMail(async (server, pool, smtp) => {
    const root = await pool.register("root");
    const ann = await verified(server, pool, smtp, "ann");
    await ann.ok("visibility", { hidden: true });
    const ben = await pool.register("ben");
    await ben.ok("private_message", { to: "ann", text: "hello" });
    const path = unsubscribePath(
      await smtp.next((m) =>
        m.to === "ann@example.org" && m.subject.includes("missed")
      ),
    );
    await root.ok("delete_account", { user: "ann", messages: "anonymise" });
    await pool.register("ann");
    const old = await unsubscribe(server, path);
    assert.equal(old.status, 403);
    assert.match(old.text, /This link is not valid/);
    assert.deepEqual(await server.node.store.missedMailSetting("ann"), {
      enabled: true,
      language: null,
    });
    const page = await fetch(`${server.url}${path}`);
    assert.equal(page.status, 403);
    await page.body?.cancel();
  });
});

Deno.test("missed mails: a mail takes its mailbox's budget, which verification links share: spent, nothing is sent and the mail waits, its messages kept, until the budget allows (20 minutes)", async () => {
  await withMissedMail(async (server, pool, smtp) => {
    // ann's own link, then four others' to her mailbox: its five at once.
    const ann = await verified(server, pool, smtp, "ann");
    for (let i = 1; i <= 4; i++) {
      const other = await pool.register(`dan${i}`);
      await other.ok("set_email", { address: "ann@example.org" });
    }
    await ann.ok("visibility", { hidden: true });
    const ben = await pool.register("ben");
    await ben.ok("private_message", { to: "ann", text: "paced" });
    const missed = server.node.missedMail!;
    await missed.idle();
    const store = server.node.store;
    assert.equal((await store.missedMessages("ann")).length, 1);
    // What the sweep does with the mail once due (its delay is an hour
    // here, so that the sweep itself leaves it alone).
    const due: ClaimedMissedMail = { userKey: "ann", dueAt: Date.now() };
    await missed.send(due);
    await missed.confirm(due);
    assert.ok(due.postponedMs! > 1_000_000, `${due.postponedMs}`);
    assert.equal(
      smtp.mails.filter((m) => m.subject.includes("missed")).length,
      0,
    );
    assert.equal((await store.missedMessages("ann")).length, 1);
    const soon = Date.now() + 60_000;
    assert.deepEqual(await store.claimDueMissedMails(soon, 10, soon), []);
    const later = Date.now() + 1_300_000;
    assert.deepEqual(
      (await store.claimDueMissedMails(later, 10, later + 1000)).map((d) =>
        d.userKey
      ),
      ["ann"],
    );
  }, { rateLimits: DEFAULT_RATE_LIMITS, missedMailDelaySeconds: 3600 });
});

Deno.test("missed mails: an account ignored after its private message and its mention were queued is left out of the mail (it no longer reaches the ignorer); another's message is sent", async () => {
  await withMissedMail(async (server, pool, smtp) => {
    const ann = await verified(server, pool, smtp, "ann");
    const ben = await pool.register("ben");
    const eve = await pool.register("eve");
    await ann.ok("visibility", { hidden: true });
    await eve.ok("private_message", {
      to: "ann",
      text: "eve writes privately",
    });
    await eve.ok("send_message", { text: "@ann eve mentions you" });
    await ben.ok("private_message", { to: "ann", text: "ben writes" });
    await server.node.missedMail!.idle();
    assert.equal((await server.node.store.missedMessages("ann")).length, 3);
    await ann.ok("ignore_user", { user: "eve" });
    const mail = await smtp.next((m) =>
      m.to === "ann@example.org" && m.subject.includes("missed")
    );
    assert.equal(mail.subject, "Messages you missed from ben");
    assert.match(mail.text, /ben writes/);
    assert.doesNotMatch(mail.text, /eve/);
    assert.doesNotMatch(mail.html, /eve/);
  });
});

Deno.test("missed mails: nothing is queued for an account watching, one without a verified address, or one that turned them off", async () => {
  await withMissedMail(async (server, pool, smtp) => {
    const ann = await verified(server, pool, smtp, "ann");
    const cid = await pool.register("cid");
    await cid.ok("visibility", { hidden: true });
    const ben = await pool.register("ben");
    await ben.ok("private_message", { to: "ann", text: "ann watches" });
    await ben.ok("private_message", { to: "cid", text: "cid has no address" });
    await server.node.missedMail!.idle();
    assert.deepEqual(await server.node.store.missedMessages("ann"), []);
    assert.deepEqual(await server.node.store.missedMessages("cid"), []);
    await server.node.store.setMissedMail("ann", { enabled: false });
    await ann.ok("visibility", { hidden: true });
    await ben.ok("private_message", { to: "ann", text: "turned off" });
    await server.node.missedMail!.idle();
    assert.deepEqual(await server.node.store.missedMessages("ann"), []);
  });
});

Deno.test("set_missed_mail: the login tells the setting (on, English); off or French is told to the other devices and kept; a French account's mail is French; guests and a server without mail are refused", async () => {
  await withMissedMail(async (server, pool, smtp) => {
    const ann = await verified(server, pool, smtp, "ann");
    const login = ann.received.find((f) => f.data.request === "register")!;
    assert.deepEqual(login.data.missed_mail, {
      enabled: true,
      language: "en",
    });
    const phone = await pool.login({ token: ann.token });
    assert.deepEqual(
      await ann.ok("set_missed_mail", { language: "fr" }),
      { request: "set_missed_mail", enabled: true, language: "fr" },
    );
    await phone.event("missed_mail", (d) => d.language === "fr");
    await expectError(ann, "set_missed_mail", {}, "invalid_message");
    await expectError(
      ann,
      "set_missed_mail",
      { language: "de" },
      "invalid_message",
    );
    const guest = await pool.guest("visitor");
    await expectError(
      guest,
      "set_missed_mail",
      { enabled: false },
      "forbidden",
    );
    await phone.close();
    await ann.ok("visibility", { hidden: true });
    const ben = await pool.register("ben");
    await ben.ok("private_message", { to: "ann", text: "bonjour" });
    const mail = await smtp.next((m) =>
      m.to === "ann@example.org" && m.subject.includes("manqué")
    );
    assert.equal(mail.subject, "Messages manqués de ben");
    assert.match(mail.text, /Bonjour ann, .* ce message :/);
    assert.deepEqual(
      await ann.ok("set_missed_mail", { enabled: false }),
      { request: "set_missed_mail", enabled: false, language: "fr" },
    );
    const later = await pool.login({ token: ann.token });
    const again = later.received.find((f) => f.data.request === "login")!;
    assert.deepEqual(again.data.missed_mail, {
      enabled: false,
      language: "fr",
    });
  });
  const plain = await startTestServer();
  const pool = new ClientPool(plain.wsUrl);
  try {
    const ben = await pool.register("ben");
    const login = ben.received.find((f) => f.data.request === "register")!;
    assert.equal("missed_mail" in login.data, false);
    await expectError(ben, "set_missed_mail", { enabled: false }, "forbidden");
  } finally {
    await pool.closeAll();
    await plain.close();
  }
});

Deno.test("missed mails on a server with --mail-language fr: an account that never chose a language is told French and mailed in French (its unsubscribe's event says French too); one that chose English is mailed in English", async () => {
  await withMissedMail(async (server, pool, smtp) => {
    const ann = await verified(server, pool, smtp, "ann");
    const ben = await verified(server, pool, smtp, "ben");
    const login = ann.received.find((f) => f.data.request === "register")!;
    assert.deepEqual(login.data.missed_mail, {
      enabled: true,
      language: "fr",
    });
    // On or off alone leaves the language unchosen: the server's.
    assert.deepEqual(
      await ann.ok("set_missed_mail", { enabled: true }),
      { request: "set_missed_mail", enabled: true, language: "fr" },
    );
    assert.deepEqual(
      await ben.ok("set_missed_mail", { language: "en" }),
      { request: "set_missed_mail", enabled: true, language: "en" },
    );
    const cid = await pool.register("cid");
    await ann.ok("visibility", { hidden: true });
    await ben.ok("visibility", { hidden: true });
    await cid.ok("private_message", { to: "ann", text: "pour ann" });
    await cid.ok("private_message", { to: "ben", text: "for ben" });
    const french = await smtp.next((m) =>
      m.to === "ann@example.org" && m.subject.includes("manqué")
    );
    assert.equal(french.subject, "Messages manqués de cid");
    assert.match(french.text, /Bonjour ann, .* ce message :/);
    const english = await smtp.next((m) =>
      m.to === "ben@example.org" && m.subject.includes("missed")
    );
    assert.equal(english.subject, "Messages you missed from cid");
    const off = await unsubscribe(server, unsubscribePath(french));
    assert.equal(off.status, 200);
    const event = await ann.event("missed_mail", (d) => d.enabled === false);
    assert.equal(event.data.language, "fr");
  }, { mailLanguage: "fr" });
});

Deno.test("missed mails: an account back (a page watching) before the delay runs out gets no mail; its queue is dropped", async () => {
  await withMissedMail(async (server, pool, smtp) => {
    const ann = await verified(server, pool, smtp, "ann");
    const ben = await pool.register("ben");
    await ann.ok("visibility", { hidden: true });
    await ben.ok("private_message", { to: "ann", text: "while away" });
    await server.node.missedMail!.idle();
    assert.equal((await server.node.store.missedMessages("ann")).length, 1);
    await ann.ok("visibility", { hidden: false });
    // The sweep's send, its mail or none, then its confirmation: wait for
    // the queue to empty (the server's state, not a clock).
    while ((await server.node.store.missedMessages("ann")).length > 0) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.deepEqual(
      smtp.mails.filter((m) => m.subject.includes("missed")),
      [],
    );
  });
});

/** A header's message ids, `<a@h> <b@h>` (folded lines joined). */
function ids(mail: { headers: Record<string, string> }, name: string) {
  return (mail.headers[name] ?? "").split(/\s+/).filter((id) => id !== "");
}

/** Waits for the server to confirm `who`'s mail: its queue empty. */
async function confirmed(server: TestServer, who: string): Promise<void> {
  while ((await server.node.store.missedMessages(who)).length > 0) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

Deno.test("missed mails: successive mails about one conversation thread in a mail client (one References and In-Reply-To, a new Message-ID, one subject); another room's mail is another thread", async () => {
  await withMissedMail(async (server, pool, smtp) => {
    const ann = await verified(server, pool, smtp, "ann");
    const ben = await pool.register("ben");
    await ann.ok("visibility", { hidden: true });
    const missed = (m: { to: string; subject: string }) =>
      m.to === "ann@example.org" && m.subject.includes("missed");
    await ben.ok("private_message", { to: "ann", text: "first" });
    const first = await smtp.next(missed);
    await confirmed(server, "ann");
    await ben.ok("private_message", { to: "ann", text: "second" });
    const second = await smtp.next((m) => missed(m) && m !== first);
    await confirmed(server, "ann");
    await ben.ok("send_message", { text: "@ann in general" });
    const third = await smtp.next((m) =>
      missed(m) && m !== first && m !== second
    );
    for (const mail of [first, second]) {
      assert.equal(mail.subject, "Messages you missed from ben");
    }
    assert.equal(third.subject, "Messages you missed in #general");
    const thread = ids(first, "references");
    assert.equal(thread.length, 1);
    assert.match(thread[0], /^<missed\.[0-9a-f]{32}@chat\.example\.org>$/);
    assert.deepEqual(ids(first, "in-reply-to"), thread);
    assert.deepEqual(ids(second, "references"), thread);
    assert.deepEqual(ids(second, "in-reply-to"), thread);
    const own = [first, second, third].map((m) => ids(m, "message-id"));
    for (const id of own) assert.match(id[0], /@chat\.example\.org>$/);
    assert.equal(new Set(own.map((id) => id[0])).size, 3, "one id a mail");
    assert.notDeepEqual(ids(third, "references"), thread);
    assert.equal(ids(third, "references").length, 1);
    // Opaque: no header names the room or the person.
    assert.doesNotMatch(
      `${third.headers["references"]} ${first.headers["references"]}`,
      /general|ben|ann/,
    );
  });
});

Deno.test("missed mails: past the 50 messages a mail holds, it tells how many more there were, with a link to the conversation; the count goes with the mail", async () => {
  await withMissedMail(async (server, pool, smtp) => {
    const ann = await verified(server, pool, smtp, "ann");
    const ben = await pool.register("ben");
    await ann.ok("visibility", { hidden: true });
    for (let i = 1; i <= 53; i++) {
      await ben.ok("private_message", { to: "ann", text: `note ${i}` });
    }
    const missed = server.node.missedMail!;
    await missed.idle();
    const store = server.node.store;
    assert.equal((await store.missedMessages("ann")).length, 50);
    assert.equal(await store.missedMore("ann"), 3);
    // What the sweep does once the mail is due (its delay an hour here).
    const due: ClaimedMissedMail = { userKey: "ann", dueAt: Date.now() };
    await missed.send(due);
    await missed.confirm(due);
    const mail = await smtp.next((m) =>
      m.to === "ann@example.org" && m.subject.includes("missed")
    );
    assert.match(mail.text, /these 50 messages:/);
    assert.equal(mail.text.match(/^note \d+$/gm)?.length, 50);
    const more = /^And 3 more messages, past the 50 a mail holds:\n(\S+)$/m
      .exec(mail.text);
    assert.ok(more, mail.text);
    assert.match(
      more[1],
      /^https:\/\/chat\.example\.org\/#\/dm\/ann\/ben\/\d+$/,
    );
    assert.match(mail.html, /And 3 more messages/);
    assert.deepEqual(await store.missedMessages("ann"), []);
    assert.equal(await store.missedMore("ann"), 0);
  }, { missedMailDelaySeconds: 3600 });
});

Deno.test({
  name:
    "missed mails: two nodes sweeping one store send each account's mail once",
  ignore: clusterSkipReason() !== undefined,
  fn: async () => {
    const smtp = await startSmtpReceiver();
    try {
      await withCluster(2, async (cluster, pools) => {
        const names = Array.from({ length: 10 }, (_, i) => `away${i}`);
        const away = [];
        for (const name of names) away.push(await pools[0].register(name));
        // Verified addresses straight in the database: the links are
        // another test's.
        const sql = postgres(cluster.databaseUrl, {
          max: 1,
          onnotice: () => {},
        });
        try {
          await sql`UPDATE accounts SET email = key || '@example.org',
            email_verified = true WHERE key LIKE 'away%'`;
          for (const client of away) {
            await client.ok("visibility", { hidden: true });
          }
          const ben = await pools[0].register("ben");
          for (const name of names) {
            await ben.ok("private_message", { to: name, text: `hi ${name}` });
          }
          for (const name of names) {
            await smtp.next((m) => m.to === `${name}@example.org`);
          }
          // Every mail confirmed (the queue empty): any second copy would
          // have been received before its confirmation.
          for (;;) {
            const [{ n }] = await sql<{ n: number }[]>`
              SELECT count(*)::int AS n FROM missed_mails`;
            if (n === 0) break;
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
        } finally {
          await sql.end();
        }
        assert.deepEqual(
          smtp.mails.map((m) => m.to).toSorted(),
          names.map((name) => `${name}@example.org`).toSorted(),
          cluster.output(),
        );
      }, {
        args: [
          "--smtp-url",
          smtp.url,
          "--mail-from",
          "chat@example.org",
          "--public-url",
          "https://chat.example.org",
          "--missed-mail-delay",
          "1",
          "--reminder-sweep",
          "50",
        ],
      });
    } finally {
      await smtp.close();
    }
  },
});
