/**
 * Email through a real SMTP server (tests/smtp_receiver.ts): what a server
 * with `--smtp-url` offers and one without does not.
 */
import assert from "node:assert/strict";
import { startServer } from "../server/mod.ts";
import { SettingError } from "../server/setting_kinds.ts";
import { ClientPool, startTestServer, type TestServer } from "./harness.ts";
import { type SmtpReceiver, startSmtpReceiver } from "./smtp_receiver.ts";

/** A client's login reply's data. */
function loginData(
  client: { received: { data: Record<string, unknown> }[] },
): Record<string, unknown> {
  return client.received.find((f) =>
    f.data.request === "login" || f.data.request === "register"
  )!.data;
}

async function withMailServer(
  body: (server: TestServer, pool: ClientPool, smtp: SmtpReceiver) => Promise<
    void
  >,
): Promise<void> {
  const smtp = await startSmtpReceiver();
  try {
    const server = await startTestServer({
      smtpUrl: smtp.url,
      mailFrom: "Chat <chat@example.org>",
      publicUrl: "https://chat.example.org/",
    });
    const pool = new ClientPool(server.wsUrl);
    try {
      await body(server, pool, smtp);
    } finally {
      await pool.closeAll();
      await server.close();
    }
  } finally {
    await smtp.close();
  }
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
