/**
 * A room's message that @mentions accounts not in the room: they are not
 * notified (mentions count only for members), and the sender's
 * `send_message` reply names them in `not_members`
 * (server/outside_mentions.ts), so its client may offer to invite them.
 * Every scenario runs on SQLite and, when PostgreSQL is installed, on a
 * fresh PostgreSQL database of its own.
 */
import assert from "node:assert/strict";
import { accountWithToken, call } from "./api_helpers.ts";
import { bothStores } from "./both_stores.ts";
import { ClientPool, withServer } from "./harness.ts";

const stores = await bothStores();

stores.clients(
  "a message in a private room names in its reply the accounts it mentions that are not members, online or not; not members, guests, unknown names or its author",
  async (pool) => {
    const ada = await pool.register("ada");
    await pool.register("bob");
    await pool.register("Carol");
    const dan = await pool.register("dan");
    const eve = await pool.register("eve");
    await pool.guest("gus");
    await ada.ok("create_room", { room: "secret", private: true });
    await ada.ok("invite", { room: "secret", user: "bob" });
    await ada.ok("invite", { room: "secret", user: "eve" });
    // Offline: their membership is the store's answer, not the registry's.
    await dan.close();
    await eve.close();
    const sent = await ada.ok("send_message", {
      text: "@bob @carol @dan @eve @gus @nobody @ada @here and @carol again",
    });
    assert.deepEqual(sent.not_members, ["Carol", "dan"]);
    const plain = await ada.ok("send_message", { text: "no one named" });
    assert.equal(plain.not_members, undefined);
    const members = await ada.ok("send_message", { text: "@bob @eve" });
    assert.equal(members.not_members, undefined);
  },
);

stores.clients(
  "a message in a public room names its non-members too, and a retry's reply again; in general, where every account is, none",
  async (pool) => {
    const ada = await pool.register("ada");
    const bob = await pool.register("bob");
    const inGeneral = await ada.ok("send_message", { text: "hi @bob" });
    assert.equal(inGeneral.not_members, undefined);
    await ada.ok("create_room", { room: "dev" });
    const first = await ada.ok("send_message", {
      text: "@bob look",
      client_id: "k1",
    });
    assert.deepEqual(first.not_members, ["bob"]);
    const retry = await ada.ok("send_message", {
      text: "@bob look",
      client_id: "k1",
    });
    assert.deepEqual(retry.not_members, ["bob"]);
    await bob.ok("join_room", { room: "dev" });
    const joined = await ada.ok("send_message", { text: "@bob welcome" });
    assert.equal(joined.not_members, undefined);
  },
);

Deno.test("an HTTP API post that mentions an account not in the room answers the message alone, as documented: no not_members", async () => {
  await withServer(async (server) => {
    const ada = await accountWithToken(server, "ada");
    await accountWithToken(server, "bob");
    const pool = new ClientPool(server.wsUrl);
    try {
      const socket = await pool.login({ token: ada.token });
      await socket.ok("create_room", { room: "dev" });
      const posted = await call(server, "POST", "/api/rooms/dev/messages", {
        token: ada.token,
        body: { text: "@bob look", client_id: "k1" },
      });
      assert.equal(posted.status, 201);
      assert.deepEqual(Object.keys(posted.body), ["message"]);
      const retried = await call(server, "POST", "/api/rooms/dev/messages", {
        token: ada.token,
        body: { text: "@bob look", client_id: "k1" },
      });
      assert.equal(retried.status, 200);
      assert.deepEqual(Object.keys(retried.body), ["message"]);
    } finally {
      await pool.closeAll();
    }
  });
});
