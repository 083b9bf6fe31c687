/**
 * Email through a real SMTP server (tests/smtp_receiver.ts): what a server
 * with `--smtp-url` offers and one without does not.
 */
import assert from "node:assert/strict";
import { NO_RATE_LIMITS, startServer } from "../server/mod.ts";
import { SettingError } from "../server/setting_kinds.ts";
import { call } from "./api_helpers.ts";
import { ClientPool, expectError, startTestServer } from "./harness.ts";
import { withMailServer } from "./mail_support.ts";

/** A client's login reply's data. */
function loginData(
  client: { received: { data: Record<string, unknown> }[] },
): Record<string, unknown> {
  return client.received.find((f) =>
    f.data.request === "login" || f.data.request === "register"
  )!.data;
}

/** The token of the verification link in a mail, checking the link's start. */
function linkToken(text: string): string {
  const found = /https:\/\/chat\.example\.org\/verify-email#(\S+)/.exec(text);
  assert.ok(found, `a verification link in: ${text}`);
  return found[1];
}

Deno.test("email: a server without --smtp-url offers none: an account's login carries no email", async () => {
  const server = await startTestServer();
  const pool = new ClientPool(server.wsUrl);
  try {
    const ann = await pool.register("ann");
    assert.equal("email" in loginData(ann), false);
  } finally {
    await pool.closeAll();
    await server.close();
  }
});

Deno.test("email: a server with --smtp-url tells an account's login its address (none yet); a guest's login says nothing", async () => {
  await withMailServer(async (_server, pool) => {
    const ann = await pool.register("ann");
    assert.deepEqual(loginData(ann).email, { address: null, verified: false });
    const guest = await pool.guest("visitor");
    assert.equal("email" in loginData(guest), false);
  });
});

Deno.test("email: a server given --smtp-url without a sender or its address does not start", async () => {
  await assert.rejects(
    () =>
      startServer({ port: 0, db: ":memory:", smtpUrl: "smtp://127.0.0.1:1" }),
    (error) =>
      error instanceof SettingError &&
      error.message.startsWith("--smtp-url needs --mail-from and --public-url"),
  );
});

Deno.test("set_email: a link is mailed to the address; the address is unverified until the link's page sends its token, which works once; the other devices hear both", async () => {
  await withMailServer(async (server, pool, smtp) => {
    const ann = await pool.register("ann");
    const phone = await pool.login({ token: ann.token });
    assert.deepEqual(
      await ann.ok("set_email", { address: " Ann@Example.ORG " }),
      { request: "set_email", address: "Ann@example.org", verified: false },
    );
    const mail = await smtp.next((m) => m.to === "Ann@example.org");
    assert.match(mail.from, /^"?Chat"? <chat@example\.org>$/);
    assert.match(mail.text, /chat account ann\b/);
    await phone.event(
      "email",
      (d) => d.address === "Ann@example.org" && d.verified === false,
    );
    const laptop = await pool.login({ token: ann.token });
    assert.deepEqual(loginData(laptop).email, {
      address: "Ann@example.org",
      verified: false,
    });

    const token = linkToken(mail.text);
    const used = await call(server, "POST", "/api/verify-email", {
      headers: { origin: server.url },
      body: { token },
    });
    assert.equal(used.status, 200);
    assert.deepEqual(used.body, { address: "Ann@example.org", verified: true });
    for (const device of [ann, phone, laptop]) {
      await device.event("email", (d) => d.verified === true);
    }
    const again = await call(server, "POST", "/api/verify-email", {
      headers: { origin: server.url },
      body: { token },
    });
    assert.equal(again.status, 401);
    const later = await pool.login({ token: ann.token });
    assert.deepEqual(loginData(later).email, {
      address: "Ann@example.org",
      verified: true,
    });
  });
});

Deno.test("set_email: a new address stops the old one's link; null removes the address; a bad address, a guest and a server without mail are refused", async () => {
  await withMailServer(async (server, pool, smtp) => {
    const ann = await pool.register("ann");
    await ann.ok("set_email", { address: "old@example.org" });
    const old = linkToken(
      (await smtp.next((m) => m.to === "old@example.org")).text,
    );
    await ann.ok("set_email", { address: "new@example.org" });
    await smtp.next((m) => m.to === "new@example.org");
    const stale = await call(server, "POST", "/api/verify-email", {
      headers: { origin: server.url },
      body: { token: old },
    });
    assert.equal(stale.status, 401);
    assert.deepEqual(await ann.ok("set_email", { address: null }), {
      request: "set_email",
      address: null,
      verified: false,
    });
    for (
      const bad of [
        "no-at-sign",
        "a@b",
        "two@@example.org",
        "a@example.org\r\nBcc: x@y.org",
        "Ann <ann@example.org>",
        "a,b@example.org",
        `${"a".repeat(250)}@example.org`,
        // Round 18: shown as ann@example.org, mailed to another domain
        // (xn--example-2z6c.org), or turned around.
        "ann@exa\u200Bmple.org",
        "ann@example.org\u202Egro",
        "ann\u2060@example.org",
        // Empty labels: the SMTP client refused them, as `internal`.
        "ann@example..org",
        "ann@example.org.",
        "ann@.example.org",
        // Round 21: a label over 63 letters, as written or once encoded
        // (60 `ä` are 66 letters as `xn--`), names no host: a relay
        // refused it and its bounce went to --mail-from.
        `ann@${"b".repeat(64)}.org`,
        `ann@${"\u00e4".repeat(60)}.org`,
        // Round 21: compatibility characters, which the mailbox key folds
        // (NFKC) and a mail server does not: `\uFB00@x.org` is mailed as
        // written, another mailbox, yet its verification mails spent
        // ff@x.org's pace, so its owner's reset mails went silently.
        "\uFB00@x.org",
        "\uFF41nn@x.org",
        "ann@\uFF45xample.org",
      ]
    ) {
      await expectError(ann, "set_email", { address: bad }, "invalid_message");
    }
    const guest = await pool.guest("visitor");
    await expectError(
      guest,
      "set_email",
      { address: "v@example.org" },
      "forbidden",
    );
    assert.equal(smtp.mails.length, 2, "no mail for what was refused");
    // 63 letters is a label still.
    await ann.ok("set_email", { address: `ann@${"b".repeat(63)}.org` });
    await smtp.next((m) => m.to === `ann@${"b".repeat(63)}.org`);
    // A canonical spelling is kept as NFC: the Kelvin sign is K, so the
    // address mailed is the one its key folds (case alone).
    assert.equal(
      (await ann.ok("set_email", { address: "\u212Ann@x.org" })).address,
      "Knn@x.org",
    );
  }, { rateLimits: NO_RATE_LIMITS });
  const plain = await startTestServer();
  const pool = new ClientPool(plain.wsUrl);
  try {
    const ben = await pool.register("ben");
    const refused = await expectError(
      ben,
      "set_email",
      { address: "ben@example.org" },
      "forbidden",
    );
    assert.equal(refused.data.message, "This server sends no email.");
  } finally {
    await pool.closeAll();
    await plain.close();
  }
});

Deno.test("get_profile: an account's address is shown to itself and to admins, never to another member nor a moderator", async () => {
  await withMailServer(async (_server, pool) => {
    const root = await pool.register("root");
    const ann = await pool.register("ann");
    const mod = await pool.register("mod");
    const ben = await pool.register("ben");
    await root.ok("set_role", { user: "mod", role: "moderator" });
    await ann.ok("set_email", { address: "ann@example.org" });
    const unverified = { address: "ann@example.org", verified: false };
    const profile = async (who: typeof ann) =>
      ((await who.ok("get_profile", { name: "ann" })).profile as Record<
        string,
        unknown
      >).email;
    assert.deepEqual(await profile(ann), unverified);
    assert.deepEqual(await profile(root), unverified);
    assert.equal(await profile(mod), undefined);
    assert.equal(await profile(ben), undefined);
  });
});

Deno.test("delete_account: the address goes with the account; its name registered again has none, and the old link verifies nothing", async () => {
  await withMailServer(async (server, pool, smtp) => {
    const root = await pool.register("root");
    const ann = await pool.register("ann");
    await ann.ok("set_email", { address: "ann@example.org" });
    const token = linkToken(
      (await smtp.next((m) => m.to === "ann@example.org")).text,
    );
    await root.ok("delete_account", { user: "ann", messages: "anonymise" });
    const anew = await pool.register("ann");
    assert.deepEqual(loginData(anew).email, { address: null, verified: false });
    const used = await call(server, "POST", "/api/verify-email", {
      headers: { origin: server.url },
      body: { token },
    });
    assert.equal(used.status, 401);
  });
});

Deno.test("set_email: an account mails five links at once, then one every 10 minutes; the sixth is rate_limited and mails nothing", async () => {
  await withMailServer(async (_server, pool, smtp) => {
    const ann = await pool.register("ann");
    for (let i = 1; i <= 5; i++) {
      await ann.ok("set_email", { address: `ann${i}@example.org` });
    }
    const phone = await pool.login({ token: ann.token });
    const refused = await expectError(
      phone,
      "set_email",
      { address: "ann6@example.org" },
      "rate_limited",
    );
    assert.ok(Number(refused.data.retry_after_ms) > 500_000);
    await smtp.next((m) => m.to === "ann5@example.org");
    assert.equal(smtp.mails.length, 5);
  });
});

Deno.test("set_email: one mailbox gets five links at once, then one every 20 minutes, whichever accounts ask; its other spellings count as it", async () => {
  await withMailServer(async (_server, pool, smtp) => {
    for (let i = 1; i <= 5; i++) {
      const sender = await pool.register(`sender${i}`);
      await sender.ok("set_email", { address: "victim@example.org" });
    }
    const sixth = await pool.register("sender6");
    for (const address of ["victim@example.org", "VICTIM@Example.ORG"]) {
      const refused = await expectError(
        sixth,
        "set_email",
        { address },
        "rate_limited",
      );
      assert.ok(Number(refused.data.retry_after_ms) > 1_000_000);
    }
    // Another mailbox has its own.
    await sixth.ok("set_email", { address: "sender6@example.org" });
    await smtp.next((m) => m.to === "sender6@example.org");
    assert.equal(
      smtp.mails.filter((m) => m.to.toLowerCase() === "victim@example.org")
        .length,
      5,
    );
  });
});

Deno.test("set_email: one client address mails ten links at once, whatever accounts it makes, then one every 10 minutes; another address has its own", async () => {
  await withMailServer(async (server, _pool, smtp) => {
    const from = (address: string) =>
      new ClientPool(server.wsUrl, {
        headers: { "x-forwarded-for": address },
      });
    const flood = from("198.51.100.7");
    const elsewhere = from("198.51.100.8");
    try {
      let sent = 0;
      for (let account = 1; account <= 3; account++) {
        const client = await flood.register(`flood${account}`);
        for (let mail = 1; mail <= 4; mail++) {
          const address = `target${account}x${mail}@example.org`;
          if (sent < 10) {
            await client.ok("set_email", { address });
            sent++;
            continue;
          }
          const refused = await expectError(
            client,
            "set_email",
            { address },
            "rate_limited",
          );
          assert.ok(Number(refused.data.retry_after_ms) > 500_000);
        }
      }
      const other = await elsewhere.register("other");
      await other.ok("set_email", { address: "other@example.org" });
      await smtp.next((m) => m.to === "other@example.org");
      assert.equal(smtp.mails.length, 11);
    } finally {
      await flood.closeAll();
      await elsewhere.closeAll();
    }
  }, { trustProxy: true });
});
