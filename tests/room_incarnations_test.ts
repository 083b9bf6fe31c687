/**
 * A room deleted and made again under its name is another room: whatever
 * was under way for the old one (a send, an incoming webhook's post) is
 * refused, never stored in the new one, however fast the name came back.
 * Each race is forced, not hoped for: the append is held on its way into
 * the real store until the room is gone and made again. Each scenario runs
 * on SQLite and on PostgreSQL.
 */
import assert from "node:assert/strict";
import { accountWithToken, call } from "./api_helpers.ts";
import { bothStores } from "./both_stores.ts";
import { NO_RATE_LIMITS } from "../server/mod.ts";
import type { MessageDraft } from "../server/store/mod.ts";
import { TestClient, type TestServer } from "./harness.ts";

const stores = await bothStores();

/**
 * Holds the first append into the server's real store that `matches`:
 * `reaching` resolves when it gets there, and it goes on into the store
 * once `letGo` is resolved.
 */
function holdAppend(
  server: TestServer,
  matches: (draft: MessageDraft) => boolean,
) {
  const store = server.node.store;
  const append = store.appendMessage.bind(store);
  const reaching = Promise.withResolvers<void>();
  const letGo = Promise.withResolvers<void>();
  let held = false;
  store.appendMessage = async (draft) => {
    if (!held && matches(draft)) {
      held = true;
      reaching.resolve();
      await letGo.promise;
    }
    return append(draft);
  };
  return { reaching: reaching.promise, letGo };
}

stores.clients(
  "a send under way when its room is deleted and made again in the same millisecond gets room_not_found, and the new room gets nothing and another epoch",
  async (pool, server) => {
    const root = await pool.register("root");
    const carol = await pool.register("carol");
    const gus = await pool.guest("gus");
    // A clock that stands still (the server runs in this process): the
    // old room and the new one are made in one millisecond.
    const now = Date.now;
    const frozen = now();
    Date.now = () => frozen;
    try {
      const old = await root.ok("create_room", { room: "dev" });
      await gus.ok("join_room", { room: "dev" });
      const { reaching, letGo } = holdAppend(
        server,
        (draft) => draft.text === "for the old dev",
      );
      const waiting = gus.request("send_message", { text: "for the old dev" });
      await reaching;
      await root.ok("delete_room", { room: "dev" });
      await root.event("system", (d) => d.kind === "deleted");
      const made = await carol.ok("create_room", {
        room: "dev",
        private: true,
      });
      letGo.resolve();
      const reply = await waiting;
      assert.equal(reply.action, "error", JSON.stringify(reply.data));
      assert.equal(reply.data.code, "room_not_found");
      const { messages } = await carol.ok("history", { room: "dev" });
      assert.deepEqual(messages, []);
      assert.notEqual(made.epoch, old.epoch);
    } finally {
      Date.now = now;
    }
  },
  { rateLimits: NO_RATE_LIMITS },
);

stores.test(
  "an incoming webhook's post under way when its room is deleted and another of the name made gets 404 not_found, and the new room gets nothing",
  async (server) => {
    const root = await accountWithToken(server, "root");
    const admin = await TestClient.loginWith(server.wsUrl, {
      token: root.token,
    });
    try {
      await admin.ok("create_room", { room: "builds" });
      const made = await call(server, "POST", "/api/rooms/builds/hooks", {
        body: { name: "CI" },
        token: root.token,
      });
      assert.equal(made.status, 201);
      const path = new URL(made.body.url).pathname;
      // Past every check of the post (the hook found, its maker allowed,
      // its pace): its append is on its way into the store.
      const { reaching, letGo } = holdAppend(
        server,
        (draft) => draft.userKey.startsWith("hook:"),
      );
      const posting = call(server, "POST", path, {
        body: { text: "build 12 passed" },
      });
      await reaching;
      await admin.ok("delete_room", { room: "builds" });
      await admin.ok("create_room", { room: "builds" });
      letGo.resolve();
      const posted = await posting;
      assert.equal(posted.status, 404, JSON.stringify(posted.body));
      assert.equal(posted.body.error, "not_found");
      const { messages } = await admin.ok("history", { room: "builds" });
      assert.deepEqual(messages, []);
    } finally {
      await admin.close();
    }
  },
  { rateLimits: NO_RATE_LIMITS },
);

stores.finish();
