/**
 * "Forgot password?" (`POST /api/forgot-password`) through a real SMTP
 * server (tests/smtp_receiver.ts): a reset link mailed to a verified
 * address only, an answer that says nothing of the account, the budgets
 * per address and per account, and what a reset ends. The asker's
 * addresses are played with `--trust-proxy` and X-Forwarded-For. A test
 * that expects no mail waits for the requests' work to end
 * (ForgotPassword.settled), never for a time.
 */
import assert from "node:assert/strict";
import { hashToken } from "../server/accounts/tokens.ts";
import {
  FORGOT_UNDERWAY_MAX,
  forgotPassword,
} from "../server/mail/forgot_password.ts";
import { DEFAULT_RATE_LIMITS, NO_RATE_LIMITS } from "../server/rate_limit.ts";
// @ts-types="npm:@types/smtp-server@^3.5"
import { SMTPServer } from "smtp-server";
import type { Config } from "../server/mod.ts";
import { type Answer, call } from "./api_helpers.ts";
import {
  ClientPool,
  eventually,
  expectError,
  startTestServer,
  TEST_PASSWORD,
  type TestServer,
} from "./harness.ts";
import { verifyAddress, withMailServer } from "./mail_support.ts";
import type { SmtpReceiver } from "./smtp_receiver.ts";

type Body = (
  server: TestServer,
  pool: ClientPool,
  smtp: SmtpReceiver,
) => Promise<void>;

/** `POST /api/forgot-password` from `address` (default another machine's). */
/** A mail server whose client addresses come from X-Forwarded-For. */
function withServer(body: Body, options: Partial<Config> = {}): Promise<void> {
  return withMailServer(body, { trustProxy: true, ...options });
}

function forgot(
  server: TestServer,
  body: unknown,
  address = "203.0.113.7",
): Promise<Answer> {
  return call(server, "POST", "/api/forgot-password", {
    headers: { origin: server.url, "x-forwarded-for": address },
    body,
  });
}

/** The requests' work under way on the server, ended. */
function settled(server: TestServer): Promise<void> {
  return forgotPassword(server.node)!.settled();
}

/** The token of the reset link in a mail, checking the link's start. */
function resetToken(text: string): string {
  const found = /https:\/\/chat\.example\.org\/reset#(\S+)/.exec(text);
  assert.ok(found, `a reset link in: ${text}`);
  return found[1];
}

/** The reset mails received so far. */
function resetMails(smtp: SmtpReceiver) {
  return smtp.mails.filter((m) =>
    /^(Reset your password|Réinitialiser votre mot de passe)$/.test(m.subject)
  );
}

Deno.test("forgot password: an account's name mails its verified address a link working an hour; the link sets the password once and ends every session; the audit log says who asked from where", async () => {
  await withServer(async (server, pool, smtp) => {
    const root = await pool.register("root");
    const ann = await pool.register("ann");
    const phone = await pool.login({ token: ann.token });
    await verifyAddress(server, smtp, ann, "ann@example.org");

    const asked = await forgot(server, { account: "ANN" });
    assert.equal(asked.status, 202);
    assert.equal(asked.body, undefined);
    const mail = await smtp.next((m) =>
      m.to === "ann@example.org" && m.subject === "Reset your password"
    );
    assert.match(mail.text, /chat account ann\b/);
    assert.match(mail.text, /for 60 minutes/);
    const token = resetToken(mail.text);

    const done = await call(server, "POST", "/api/reset-password", {
      headers: { origin: server.url },
      body: { token, password: "a brand new secret" },
    });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    for (const device of [ann, phone]) {
      await eventually(() => assert.equal(device.closeCode, 4004));
    }
    const again = await call(server, "POST", "/api/reset-password", {
      headers: { origin: server.url },
      body: { token, password: "another new secret" },
    });
    assert.equal(again.status, 401);
    await pool.login({ username: "ann", password: "a brand new secret" });

    const entries = (await root.ok("audit_log", {})).entries as {
      action: string;
      by: string;
      target?: string;
      address: string;
      details?: Record<string, unknown>;
    }[];
    const entry = entries.find((e) => e.action === "forgot_password");
    assert.deepEqual(entry && { ...entry, at: undefined, id: undefined }, {
      action: "forgot_password",
      by: "the server",
      target: "ann",
      address: "203.0.113.7",
      details: { asked_with: "name" },
      at: undefined,
      id: undefined,
    });
  });
});

Deno.test("forgot password: the link expires after an hour", async () => {
  await withServer(async (server, pool, smtp) => {
    const ann = await pool.register("ann");
    await verifyAddress(server, smtp, ann, "ann@example.org");
    const before = Date.now();
    await forgot(server, { account: "ann" });
    await smtp.next((m) => m.subject === "Reset your password");
    const after = Date.now();
    // The store's row, as the link's token finds it: an hour from the ask.
    const mail = resetMails(smtp)[0];
    const hash = hashToken(resetToken(mail.text));
    assert.equal(
      await server.node.store.takePasswordReset(hash, after + 3600_000),
      undefined,
      "dead an hour after it was made",
    );
    await forgot(server, { account: "ann" });
    await smtp.next((m) => m !== mail && m.subject === "Reset your password");
    const second = resetMails(smtp)[1];
    assert.equal(
      await server.node.store.takePasswordReset(
        hashToken(resetToken(second.text)),
        before + 3600_000 - 60_000,
      ),
      "ann",
      "alive a minute before the hour",
    );
  });
});

Deno.test("forgot password: a link mailed to an address stops working once the owner sets another address, or none (whoever still reads the old mailbox cannot take the account); the password stays", async () => {
  await withServer(async (server, pool, smtp) => {
    const ann = await pool.register("ann");
    const ben = await pool.register("ben");
    for (const [who, client] of [["ann", ann], ["ben", ben]] as const) {
      await verifyAddress(server, smtp, client, `${who}@example.org`);
      await forgot(server, { account: who });
    }
    const linkOf = async (to: string) =>
      resetToken(
        (await smtp.next((m) =>
          m.to === to && m.subject === "Reset your password"
        )).text,
      );
    const annLink = await linkOf("ann@example.org");
    const benLink = await linkOf("ben@example.org");
    await ann.ok("set_email", { address: "ann@elsewhere.org" });
    await ben.ok("set_email", { address: null });
    for (const token of [annLink, benLink]) {
      const used = await call(server, "POST", "/api/reset-password", {
        headers: { origin: server.url },
        body: { token, password: "taken over by the old mailbox" },
      });
      assert.equal(used.status, 401, JSON.stringify(used.body));
    }
    await pool.login({ username: "ann", password: TEST_PASSWORD });
    await pool.login({ username: "ben", password: TEST_PASSWORD });
  });
});

Deno.test("forgot password: one link posted 6 times at once sets the password once; the other 5 are 401", async () => {
  await withServer(async (server, pool, smtp) => {
    const ann = await pool.register("ann");
    await verifyAddress(server, smtp, ann, "ann@example.org");
    await forgot(server, { account: "ann" });
    const token = resetToken(
      (await smtp.next((m) => m.subject === "Reset your password")).text,
    );
    const answers = await Promise.all(
      [1, 2, 3, 4, 5, 6].map((n) =>
        call(server, "POST", "/api/reset-password", {
          headers: { origin: server.url },
          body: { token, password: `raced password ${n}` },
        })
      ),
    );
    const statuses = answers.map((a) => a.status).sort();
    assert.deepEqual(statuses, [200, 401, 401, 401, 401, 401]);
    const won = answers.findIndex((a) => a.status === 200) + 1;
    await pool.login({ username: "ann", password: `raced password ${won}` });
  });
});

Deno.test("forgot password: the answer is the same 202 without a body for an unknown name, an account without an address, one whose address is not verified, an unknown address and a verified account; only the verified address is mailed", async () => {
  await withServer(async (server, pool, smtp) => {
    await pool.register("root");
    const ann = await pool.register("ann");
    await pool.register("ben");
    const cat = await pool.register("cat");
    await verifyAddress(server, smtp, ann, "ann@example.org");
    await cat.ok("set_email", { address: "cat@example.org" });
    const answers: [number, unknown, string | null][] = [];
    for (
      const account of ["nobody", "ben", "cat", "ann", "nobody@example.org"]
    ) {
      const asked = await forgot(server, { account });
      answers.push([
        asked.status,
        asked.body,
        asked.headers.get("content-type"),
      ]);
    }
    for (const answer of answers) {
      assert.deepEqual(answer, answers[0]);
    }
    assert.equal(answers[0][0], 202);
    await smtp.next((m) => m.subject === "Reset your password");
    await settled(server);
    assert.deepEqual(resetMails(smtp).map((m) => m.to), ["ann@example.org"]);
  });
});

Deno.test("forgot password: an address mails each account whose verified address it is, case aside, to the address kept, each its own link; in French when the page is", async () => {
  await withServer(async (server, pool, smtp) => {
    const ann = await pool.register("ann");
    const ann2 = await pool.register("ann2");
    const other = await pool.register("other");
    await verifyAddress(server, smtp, ann, "Team@example.org");
    await verifyAddress(server, smtp, ann2, "team@example.org");
    await other.ok("set_email", { address: "team@example.org" });
    const asked = await forgot(server, {
      account: "TEAM@Example.org",
      lang: "fr",
    });
    assert.equal(asked.status, 202);
    await settled(server);
    const mails = resetMails(smtp);
    assert.deepEqual(mails.map((m) => m.to).sort(), [
      "Team@example.org",
      "team@example.org",
    ]);
    for (const mail of mails) {
      assert.equal(mail.subject, "Réinitialiser votre mot de passe");
      assert.match(mail.text, /pendant 60 minutes/);
    }
    assert.match(mails.map((m) => m.text).join("\n"), /compte ann\b/);
    assert.match(mails.map((m) => m.text).join("\n"), /compte ann2\b/);
    assert.notEqual(resetToken(mails[0].text), resetToken(mails[1].text));
  });
});

Deno.test("forgot password: an address asks 5 times at once, then once every 10 minutes (429 with retry_after_ms, whatever the account); another address is not held; a mailbox is mailed 5 mails at once (its verification link one of them), then the same 202 mails nothing", async () => {
  await withServer(async (server, pool, smtp) => {
    const ann = await pool.register("ann");
    await verifyAddress(server, smtp, ann, "ann@example.org");
    for (let i = 0; i < 5; i++) {
      const asked = await forgot(
        server,
        { account: i < 3 ? "ann" : "nobody" },
        "198.51.100.1",
      );
      assert.equal(asked.status, 202);
    }
    for (const account of ["ann", "nobody"]) {
      const refused = await forgot(server, { account }, "198.51.100.1");
      assert.equal(refused.status, 429);
      assert.equal(refused.body.error, "rate_limited");
      assert.ok(refused.body.retry_after_ms > 500_000);
    }
    await settled(server);
    assert.equal(resetMails(smtp).length, 3);
    // The fifth mail to ann's mailbox; then its budget is spent: another
    // address is answered the same, and nothing more is mailed.
    assert.equal(
      (await forgot(server, { account: "ann" }, "198.51.100.2")).status,
      202,
    );
    await settled(server);
    assert.equal(resetMails(smtp).length, 4);
    const elsewhere = await forgot(server, { account: "ann" }, "198.51.100.3");
    assert.equal(elsewhere.status, 202);
    assert.equal(elsewhere.body, undefined);
    await settled(server);
    assert.equal(resetMails(smtp).length, 4);
  }, { rateLimits: DEFAULT_RATE_LIMITS });
});

Deno.test("mail pace: a mailbox's 5 mails at once are counted across verification and reset links: after its verification and 4 resets, set_email of it is rate_limited; after 5 verification links, a reset mails nothing", async () => {
  await withServer(async (server, pool, smtp) => {
    const ann = await pool.register("ann");
    await verifyAddress(server, smtp, ann, "ann@example.org");
    for (let i = 1; i <= 4; i++) {
      const asked = await forgot(server, { account: "ann" }, `198.51.100.${i}`);
      assert.equal(asked.status, 202);
    }
    await settled(server);
    assert.equal(resetMails(smtp).length, 4);
    const ben = await pool.register("ben");
    const refused = await expectError(
      ben,
      "set_email",
      { address: "ANN@example.org" },
      "rate_limited",
    );
    assert.ok(Number(refused.data.retry_after_ms) > 1_000_000);

    // The other way round: verification links spend the mailbox's budget,
    // and a reset to it is then not mailed (the same 202).
    const cid = await pool.register("cid");
    await verifyAddress(server, smtp, cid, "cid@example.org");
    for (let i = 1; i <= 4; i++) {
      const other = await pool.register(`dan${i}`);
      await other.ok("set_email", { address: "cid@example.org" });
    }
    const asked = await forgot(server, { account: "cid" }, "198.51.100.9");
    assert.equal(asked.status, 202);
    await settled(server);
    assert.deepEqual(
      resetMails(smtp).filter((m) => m.to === "cid@example.org"),
      [],
    );
  }, { rateLimits: DEFAULT_RATE_LIMITS });
});

Deno.test("forgot password: a name or an address holding NUL is 400 invalid_message, as every look-up by a name is (it was 202, and PostgreSQL refused its look-up after), nothing mailed", async () => {
  await withServer(async (server, pool, smtp) => {
    const ann = await pool.register("ann");
    await verifyAddress(server, smtp, ann, "ann@example.org");
    for (const account of ["ann\u0000", "a\u0000nn", "ann@example.org\u0000"]) {
      const asked = await forgot(server, { account });
      assert.equal(asked.status, 400, JSON.stringify(account));
      assert.equal(asked.body.error, "invalid_message");
    }
    await settled(server);
    assert.deepEqual(resetMails(smtp), []);
  });
});

Deno.test("forgot password: a body without an account, or over 254 characters, is 400; a server without --smtp-url answers 403 to both routes, and its login page offers nothing", async () => {
  await withServer(async (server) => {
    const offered = await call(server, "GET", "/api/forgot-password");
    assert.deepEqual([offered.status, offered.body], [200, {
      available: true,
    }]);
    for (
      const bad of [{}, { account: "" }, { account: "a".repeat(255) }, {
        account: "ann",
        lang: "de",
      }]
    ) {
      const refused = await forgot(server, bad);
      assert.equal(refused.status, 400, JSON.stringify(bad));
      assert.equal(refused.body.error, "invalid_message");
    }
  });
  const plain = await startTestServer();
  try {
    const offered = await call(plain, "GET", "/api/forgot-password");
    assert.equal(offered.status, 403);
    const asked = await call(plain, "POST", "/api/forgot-password", {
      headers: { origin: plain.url },
      body: { account: "ann" },
    });
    assert.deepEqual([asked.status, asked.body], [403, {
      error: "forbidden",
      message:
        "This server sends no email: ask an admin for a password reset link.",
    }]);
  } finally {
    await plain.close();
  }
});

Deno.test("password reset: a link's reset revokes the account's personal access tokens and closes their sockets; another account's stay", async () => {
  await withServer(async (server, pool, smtp) => {
    const root = await pool.register("root");
    const ann = await pool.register("ann");
    await verifyAddress(server, smtp, ann, "ann@example.org");
    const made = await call(server, "POST", "/api/tokens", {
      token: ann.token,
      body: { name: "script" },
    });
    assert.equal(made.status, 201);
    const rootToken = await call(server, "POST", "/api/tokens", {
      token: root.token,
      body: { name: "script" },
    });
    const script = await pool.login({ token: made.body.token });
    await forgot(server, { account: "ann" });
    const token = resetToken(
      (await smtp.next((m) => m.subject === "Reset your password")).text,
    );
    const done = await call(server, "POST", "/api/reset-password", {
      headers: { origin: server.url },
      body: { token, password: "a brand new secret" },
    });
    assert.equal(done.status, 200);
    await eventually(() => assert.equal(script.closeCode, 4004));
    const me = await call(server, "GET", "/api/me", { token: made.body.token });
    assert.equal(me.status, 401);
    const stale = await pool.connect();
    await expectError(
      stale,
      "login",
      { token: made.body.token },
      "bad_credentials",
    );
    const rootMe = await call(server, "GET", "/api/me", {
      token: rootToken.body.token,
    });
    assert.equal(rootMe.status, 200);
  });
});

Deno.test("forgot password: while 32 requests' mails are under way on a node, the next request is 429 rate_limited whatever it names; once they are sent, requests are taken again", async () => {
  // An SMTP server that holds every mail's end until released: the
  // requests' work waits in the mailer meanwhile.
  let release!: () => void;
  const gate = new Promise<void>((resolve) => release = resolve);
  let received = 0;
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    onAuth(auth, _session, callback) {
      callback(null, { user: auth.username });
    },
    onData(stream, _session, callback) {
      stream.resume();
      stream.on("end", () =>
        gate.then(() => {
          received++;
          callback();
        }));
    },
    logger: false,
  });
  await new Promise<void>((resolve) =>
    smtp.listen(0, "127.0.0.1", () => resolve())
  );
  const { port } = smtp.server.address() as { port: number };
  try {
    const server = await startTestServer({
      smtpUrl: `smtp://chat:secret@127.0.0.1:${port}`,
      mailFrom: "chat@example.org",
      publicUrl: "https://chat.example.org",
      rateLimits: NO_RATE_LIMITS,
    });
    const pool = new ClientPool(server.wsUrl);
    try {
      await pool.register("ann");
      await server.node.store.setEmail("ann", "ann@example.org", {
        tokenHash: "hash-ann",
        expiresAt: Date.now() + 60_000,
      });
      await server.node.store.verifyEmail("hash-ann", Date.now());
      for (let i = 0; i < FORGOT_UNDERWAY_MAX; i++) {
        const asked = await forgot(server, { account: "ann" }, "127.0.0.1");
        assert.equal(asked.status, 202);
      }
      for (const account of ["ann", "nobody"]) {
        const busy = await forgot(server, { account }, "127.0.0.1");
        assert.equal(busy.status, 429);
        assert.equal(busy.body.error, "rate_limited");
      }
      release();
      await settled(server);
      assert.equal(received, FORGOT_UNDERWAY_MAX);
      const again = await forgot(server, { account: "ann" }, "127.0.0.1");
      assert.equal(again.status, 202);
      await settled(server);
    } finally {
      release();
      await pool.closeAll();
      await server.close();
    }
  } finally {
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
  }
});
