/**
 * Idempotency keys (`client_id`) belong to whoever sent them: the same
 * guest coming back with its `guest_key`, or the same account, gets its
 * first message back for a retry; someone else under the same name never
 * does. Each scenario runs on SQLite and on PostgreSQL.
 */
import assert from "node:assert/strict";
import { bothStores } from "./both_stores.ts";
import {
  eventually,
  roundTrip,
  TestClient,
  type TestServer,
} from "./harness.ts";

const stores = await bothStores();

interface Message {
  id: string;
  seq: number;
  text: string;
  client_id?: string;
}

/** Logs in as a guest once the name is free again (its last socket closed). */
function guestWhenFree(
  server: TestServer,
  data: Record<string, unknown>,
): Promise<TestClient> {
  return eventually(() => TestClient.loginWith(server.wsUrl, data));
}

stores.test(
  "idempotency: a new guest under a former guest's name re-sending its client_id gets a new private message, not the old one",
  async (server) => {
    const bob = await TestClient.register(server.wsUrl, "bob");
    const carol = await TestClient.login(server.wsUrl, "carol");
    try {
      await carol.ok("private_message", {
        to: "bob",
        text: "for bob only",
        client_id: "1",
      });
      await bob.event("private_message", (d) => d.text === "for bob only");
    } finally {
      await carol.close();
    }
    const mallory = await guestWhenFree(server, { username: "carol" });
    try {
      const sent = await mallory.ok("private_message", {
        to: "bob",
        text: "hello",
        client_id: "1",
      });
      const message = sent.message as Message;
      assert.equal(message.text, "hello", "the old message leaked");
      assert.equal(message.seq, 2);
      await bob.event("private_message", (d) => d.text === "hello");
    } finally {
      await mallory.close();
      await bob.close();
    }
  },
);

stores.test(
  "idempotency: a new guest under a former guest's name re-sending its client_id in a room has its message stored and broadcast",
  async (server) => {
    const watcher = await TestClient.login(server.wsUrl, "watcher");
    const carol = await TestClient.login(server.wsUrl, "carol");
    try {
      await carol.ok("send_message", { text: "first", client_id: "1" });
    } finally {
      await carol.close();
    }
    const other = await guestWhenFree(server, { username: "carol" });
    try {
      const sent = await other.ok("send_message", {
        text: "second",
        client_id: "1",
      });
      const message = sent.message as Message;
      assert.equal(message.text, "second");
      assert.equal(message.seq, 2);
      await watcher.event("receive_message", (d) => d.text === "second");
    } finally {
      await other.close();
      await watcher.close();
    }
  },
);

stores.test(
  "idempotency: a guest logging in again with its guest_key gets its first message back for a retried client_id",
  async (server) => {
    const watcher = await TestClient.login(server.wsUrl, "watcher");
    const first = await TestClient.login(server.wsUrl, "carol");
    let key: string;
    let original: Message;
    try {
      const login = first.received.find((f) => f.data.request === "login")!;
      key = login.data.guest_key as string;
      assert.match(key, /^[A-Za-z0-9_-]{22,}$/, "a guest_key in the reply");
      original = (await first.ok("send_message", {
        text: "once",
        client_id: "k1",
      })).message as Message;
    } finally {
      await first.close();
    }
    const again = await guestWhenFree(server, {
      username: "carol",
      guest_key: key,
    });
    try {
      const login = again.received.find((f) => f.data.request === "login")!;
      assert.equal(login.data.guest_key, key, "the key is kept");
      const retried = (await again.ok("send_message", {
        text: "once",
        client_id: "k1",
      })).message as Message;
      assert.equal(retried.id, original.id);
      assert.equal(retried.seq, original.seq);
      await roundTrip(watcher);
      assert.equal(
        watcher.events("receive_message").length,
        1,
        "a retry is not broadcast again",
      );
    } finally {
      await again.close();
      await watcher.close();
    }
  },
);

stores.test(
  "idempotency: an account gets its first message back from another login, but not a former guest's under its name",
  async (server) => {
    const guest = await TestClient.login(server.wsUrl, "dave");
    try {
      await guest.ok("send_message", { text: "guest said", client_id: "1" });
    } finally {
      await guest.close();
    }
    const dave = await eventually(() =>
      TestClient.register(server.wsUrl, "dave")
    );
    try {
      const own = (await dave.ok("send_message", {
        text: "account said",
        client_id: "1",
      })).message as Message;
      assert.equal(own.text, "account said");
      const second = await TestClient.loginWith(server.wsUrl, {
        token: dave.token,
      });
      try {
        const retried = (await second.ok("send_message", {
          text: "account said",
          client_id: "1",
        })).message as Message;
        assert.equal(retried.id, own.id);
      } finally {
        await second.close();
      }
    } finally {
      await dave.close();
    }
  },
);

stores.test(
  "idempotency: a guest_key that is too short gets invalid_message",
  async (server) => {
    const client = await TestClient.connect(server.wsUrl);
    try {
      const reply = await client.request("login", {
        username: "erin",
        guest_key: "1",
      });
      assert.equal(reply.action, "error");
      assert.equal(reply.data.code, "invalid_message");
    } finally {
      await client.close();
    }
  },
);

stores.finish();
