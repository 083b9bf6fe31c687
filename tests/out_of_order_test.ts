/**
 * Actions in the wrong state or order, and requests that race one another
 * from two connections: each gets a documented error, never `internal`,
 * and the connection goes on.
 */
import assert from "node:assert/strict";
import { NO_RATE_LIMITS } from "../server/mod.ts";
import type { Passwords } from "../server/accounts/password.ts";
import { CHEAP_PASSWORDS } from "./cheap_passwords.ts";
import {
  type ClientPool,
  eventually,
  type Frame,
  metric,
  startTestServer,
  TEST_PASSWORD,
  type TestClient,
  type TestServer,
  withClients,
  withPool,
} from "./harness.ts";

// Five times the longest --db-commit-wait (a server started in the test
// takes any): a send queued behind a commit must still wait for its own
// when a delete from another connection has been answered. That is a few
// ms, but from the commit before it there are also the metric's reads until
// the server has counted the send, and a busy machine stretched all that
// past the flag's 1 s. Each test sits out the wait once.
const COMMIT_WAIT_MS = 5_000;

/**
 * Sends a message right after a commit, so that it waits COMMIT_WAIT_MS
 * for company, and resolves once the server has read it (its append is
 * queued in the store) with the promise of its reply.
 */
async function queuedSend(
  server: TestServer,
  client: TestClient,
  action: string,
  data: Record<string, unknown>,
): Promise<{ reply: Promise<Frame> }> {
  await client.ok(action, { ...data, text: "first", client_id: undefined });
  const frames = await metric(server.url, "chat_frames_received_total");
  const reply = client.request(action, data);
  await eventually(async () =>
    assert.ok(await metric(server.url, "chat_frames_received_total") > frames)
  );
  return { reply };
}

/**
 * The admin `boss` and `alice` in her room `doomed`: her message waits for
 * its commit while `change` (by boss) is carried out; returns its reply.
 */
async function raceInRoom(
  pool: ClientPool,
  server: TestServer,
  data: Record<string, unknown>,
  change: (boss: TestClient) => Promise<unknown>,
): Promise<{ alice: TestClient; reply: Frame }> {
  const boss = await pool.register("boss");
  const alice = await pool.register("alice");
  await alice.ok("create_room", { room: "doomed" });
  const racing = await queuedSend(server, alice, "send_message", data);
  await change(boss);
  return { alice, reply: await racing.reply };
}

Deno.test("a message whose room is deleted while it waits for its commit gets room_not_found, not internal, and the sender goes on in general", () =>
  withClients(async (pool, server) => {
    const { alice, reply } = await raceInRoom(
      pool,
      server,
      { text: "too late" },
      (boss) => boss.ok("delete_room", { room: "doomed" }),
    );
    assert.equal(reply.action, "error", JSON.stringify(reply.data));
    assert.equal(reply.data.code, "room_not_found", String(reply.data.message));
    assert.equal(reply.data.request, "send_message");
    const next = await alice.ok("send_message", { text: "still here" });
    assert.equal((next.message as { room: string }).room, "general");
  }, { rateLimits: NO_RATE_LIMITS, dbCommitWaitMs: COMMIT_WAIT_MS }));

Deno.test("a private message waiting for its commit while its offline recipient's account is deleted is not delivered to the next holder of the name", () =>
  withClients(async (pool, server) => {
    const boss = await pool.register("boss");
    const alice = await pool.register("alice");
    const bob = await pool.register("bob");
    await bob.close();
    await eventually(async () =>
      assert.ok(
        !((await boss.ok("list_users", { room: "general" })).users as string[])
          .includes("bob"),
      )
    );
    const racing = await queuedSend(server, alice, "private_message", {
      to: "bob",
      text: "for the bob I know",
    });
    await boss.ok("delete_account", { user: "bob", messages: "keep" });
    await racing.reply;
    // Someone else takes the freed name: nothing of the former bob's reaches it.
    const newBob = await pool.register("bob");
    await newBob.ok("list_rooms");
    assert.deepEqual(
      newBob.events("private_message").map((f) => f.data.text),
      [],
    );
    const history = await newBob.ok("history", { with: "alice" });
    assert.deepEqual(history.messages, []);
  }, { rateLimits: NO_RATE_LIMITS, dbCommitWaitMs: COMMIT_WAIT_MS }));

Deno.test("a message whose room is renamed while it waits for its commit gets room_not_found, and sent again with its client_id lands in the renamed room", () =>
  withClients(async (pool, server) => {
    const { alice, reply } = await raceInRoom(
      pool,
      server,
      { text: "during the rename", client_id: "k1" },
      (boss) => boss.ok("update_room", { room: "doomed", name: "new" }),
    );
    assert.equal(reply.data.code, "room_not_found", JSON.stringify(reply.data));
    const again = await alice.ok("send_message", {
      text: "during the rename",
      client_id: "k1",
    });
    assert.deepEqual(
      [
        (again.message as { room: string }).room,
        (again.message as { seq: number }).seq,
      ],
      ["new", 2],
    );
  }, { rateLimits: NO_RATE_LIMITS, dbCommitWaitMs: COMMIT_WAIT_MS }));

Deno.test("a login whose account is deleted while its password is checked gets bad_credentials, not internal, and the connection can log in otherwise", async () => {
  // The check waits at a gate until the account is deleted: the login has
  // found the account and is checking its password, whatever the machine's
  // speed (a poll of the hashes running could miss a check that ends first).
  const checking = Promise.withResolvers<void>();
  const gate = Promise.withResolvers<void>();
  const passwords: Passwords = {
    ...CHEAP_PASSWORDS,
    async verify(password, stored) {
      checking.resolve();
      await gate.promise;
      return await CHEAP_PASSWORDS.verify(password, stored);
    },
  };
  const server = await startTestServer(
    { rateLimits: NO_RATE_LIMITS },
    { passwords },
  );
  try {
    await withPool(server, async (pool) => {
      const boss = await pool.register("boss");
      await (await pool.register("xena")).close();
      const client = await pool.connect();
      const login = client.request("login", {
        username: "xena",
        password: TEST_PASSWORD,
      });
      await checking.promise;
      await boss.ok("delete_account", { user: "xena", messages: "keep" });
      gate.resolve();
      const reply = await login;
      assert.equal(
        reply.data.code,
        "bad_credentials",
        JSON.stringify(reply.data),
      );
      await client.ok("login", { username: "visitor" });
    });
  } finally {
    gate.resolve();
    await server.close();
  }
});
