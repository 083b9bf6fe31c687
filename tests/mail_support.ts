/**
 * What the tests of the server's mail share: a server with `--smtp-url`
 * aimed at a real SMTP server on a loopback port (tests/smtp_receiver.ts),
 * and an account's address verified through the link it is mailed.
 */
import assert from "node:assert/strict";
import type { Config } from "../server/mod.ts";
import { call } from "./api_helpers.ts";
import {
  ClientPool,
  startTestServer,
  type TestClient,
  type TestServer,
} from "./harness.ts";
import { type SmtpReceiver, startSmtpReceiver } from "./smtp_receiver.ts";

/**
 * Runs `body` with a server that mails through a fresh SMTP receiver
 * (from `Chat <chat@example.org>`, links under https://chat.example.org/),
 * `options` added; closes the clients, the server and the receiver after.
 */
export async function withMailServer(
  body: (server: TestServer, pool: ClientPool, smtp: SmtpReceiver) => Promise<
    void
  >,
  options: Partial<Config> = {},
): Promise<void> {
  const smtp = await startSmtpReceiver();
  try {
    const server = await startTestServer({
      smtpUrl: smtp.url,
      mailFrom: "Chat <chat@example.org>",
      publicUrl: "https://chat.example.org/",
      ...options,
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

/** Sets `address` on the account of `client` and opens its mailed link. */
export async function verifyAddress(
  server: TestServer,
  smtp: SmtpReceiver,
  client: TestClient,
  address: string,
): Promise<void> {
  await client.ok("set_email", { address });
  const mail = await smtp.next((m) =>
    m.to === address && m.subject === "Confirm your email address"
  );
  const token = /verify-email#(\S+)/.exec(mail.text)![1];
  const used = await call(server, "POST", "/api/verify-email", {
    headers: { origin: server.url },
    body: { token },
  });
  assert.equal(used.status, 200);
}
