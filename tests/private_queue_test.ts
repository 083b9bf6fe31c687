/**
 * Private messages waiting for an offline account are bounded: at most
 * MAX_WAITING_PER_RECIPIENT for one recipient and MAX_WAITING_PER_SENDER
 * from one sender; past them a send gets `mailbox_full` and nothing is
 * stored. Each scenario runs on SQLite and on PostgreSQL.
 */
import assert from "node:assert/strict";
import { NO_RATE_LIMITS } from "../server/mod.ts";
import {
  MAX_WAITING_PER_RECIPIENT,
  MAX_WAITING_PER_SENDER,
} from "../server/protocol/limits.ts";
import { bothStores } from "./both_stores.ts";
import {
  eventually,
  expectError,
  TEST_PASSWORD,
  TestClient,
  type TestServer,
} from "./harness.ts";

const stores = await bothStores();
const OPTIONS = { rateLimits: NO_RATE_LIMITS };

/** Registers an account and leaves it offline. */
async function offlineAccount(server: TestServer, name: string) {
  const client = await TestClient.register(server.wsUrl, name);
  await client.close();
}

/** Sends `count` private messages (pipelined); returns the replies. */
async function sendMany(
  client: TestClient,
  to: string,
  count: number,
  prefix: string,
) {
  return await Promise.all(
    Array.from({ length: count }, (_, i) =>
      client.request("private_message", {
        to,
        text: `${prefix} ${i}`,
        client_id: `${prefix}-${i}`,
      })),
  );
}

stores.test(
  "private queue: one sender queues at most MAX_WAITING_PER_SENDER for an offline account, then gets mailbox_full",
  async (server) => {
    await offlineAccount(server, "bob");
    const spammer = await TestClient.login(server.wsUrl, "spammer");
    try {
      const replies = await sendMany(
        spammer,
        "bob",
        MAX_WAITING_PER_SENDER + 5,
        "s",
      );
      const ok = replies.filter((r) => r.action === "success");
      assert.equal(ok.length, MAX_WAITING_PER_SENDER);
      for (const refused of replies.slice(MAX_WAITING_PER_SENDER)) {
        assert.equal(refused.data.code, "mailbox_full");
        assert.match(String(refused.data.message), /waiting/);
      }
      // A retry of a stored message is still answered with it.
      const retry = await spammer.ok("private_message", {
        to: "bob",
        text: "s 0",
        client_id: "s-0",
      });
      assert.equal((retry.message as { text: string }).text, "s 0");
    } finally {
      await spammer.close();
    }
  },
  OPTIONS,
);

stores.test(
  "private queue: many senders fill at most MAX_WAITING_PER_RECIPIENT, delivered at login, and then the box is open again",
  async (server) => {
    await offlineAccount(server, "bob");
    const senders = MAX_WAITING_PER_RECIPIENT / MAX_WAITING_PER_SENDER + 1;
    const clients = await Promise.all(
      Array.from(
        { length: senders },
        (_, i) => TestClient.login(server.wsUrl, `guest${i}`),
      ),
    );
    try {
      const replies = (await Promise.all(
        clients.map((c, i) =>
          sendMany(c, "bob", MAX_WAITING_PER_SENDER, `g${i}`)
        ),
      )).flat();
      const stored = replies.filter((r) => r.action === "success").length;
      assert.equal(stored, MAX_WAITING_PER_RECIPIENT);
      assert.ok(
        replies.filter((r) => r.action === "error")
          .every((r) => r.data.code === "mailbox_full"),
      );
      const late = clients[0];
      await expectError(late, "private_message", {
        to: "bob",
        text: "one more",
      }, "mailbox_full");

      const bob = await TestClient.loginWith(server.wsUrl, {
        username: "bob",
        password: TEST_PASSWORD,
      });
      try {
        await eventually(() =>
          assert.equal(
            bob.events("private_message").length,
            MAX_WAITING_PER_RECIPIENT,
          )
        );
        // Online now: messages are delivered, not queued, so none is refused.
        await late.ok("private_message", { to: "bob", text: "welcome back" });
      } finally {
        await bob.close();
      }
      // Offline again: what was delivered no longer counts.
      await eventually(async () => {
        const users = await late.ok("list_users");
        assert.ok(!(users.users as string[]).includes("bob"));
      });
      const again = await sendMany(late, "bob", MAX_WAITING_PER_SENDER, "l");
      assert.ok(again.every((r) => r.action === "success"));
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  },
  OPTIONS,
);

stores.finish();
