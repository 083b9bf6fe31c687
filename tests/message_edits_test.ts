/**
 * Edit history: `message_edits` after `edit_message`, through a real
 * server, on SQLite and, when PostgreSQL is installed, on a fresh
 * PostgreSQL database of its own; and a database from before the edit
 * history, upgraded.
 */
import assert from "node:assert/strict";
import { NO_RATE_LIMITS } from "../server/rate_limit.ts";
import { bothStores } from "./both_stores.ts";
import { expectError, TEST_PASSWORD, TestClient } from "./harness.ts";
import { EDITS_MIGRATION } from "./store_contract/support.ts";
import { withUpgradedServer } from "./upgraded_server.ts";

const stores = await bothStores();

type Sent = { id: string; ts: string; edited_at?: string; text: string };

stores.clients(
  "message_edits lists the texts a message's edits replaced, oldest first, each with when it was written, and its text now, to every reader of its room",
  async (pool) => {
    const ann = await pool.register("ann");
    const ben = await pool.register("ben");
    const sent = (await ann.ok("send_message", { text: "lunch at 12" }))
      .message as Sent;
    assert.deepEqual(await ben.ok("message_edits", { id: sent.id }), {
      request: "message_edits",
      edits: [],
      current: { text: "lunch at 12", ts: sent.ts },
    });
    const first = (await ann.ok("edit_message", {
      id: sent.id,
      text: "lunch at 1",
    })).message as Sent;
    const second = (await ann.ok("edit_message", {
      id: sent.id,
      text: "lunch at 1:30",
    })).message as Sent;
    assert.deepEqual(await ben.ok("message_edits", { id: sent.id }), {
      request: "message_edits",
      edits: [
        { text: "lunch at 12", ts: sent.ts },
        { text: "lunch at 1", ts: first.edited_at },
      ],
      current: { text: "lunch at 1:30", ts: second.edited_at },
    });
  },
  { rateLimits: NO_RATE_LIMITS },
);

stores.clients(
  "message_edits answers invalid_message for a message the user may not read (a private room's, another conversation's), a deleted one and none; a delete takes the history with the text",
  async (pool, server) => {
    const ann = await pool.register("ann");
    const ben = await pool.register("ben");
    const cat = await pool.register("cat");
    const shown = (await ann.ok("send_message", { text: "a secret" }))
      .message as Sent;
    await ann.ok("edit_message", { id: shown.id, text: "nothing" });
    await ann.ok("create_room", { room: "club", private: true });
    const club = (await ann.ok("send_message", { text: "club only" }))
      .message as Sent;
    await ann.ok("edit_message", { id: club.id, text: "club, edited" });
    const whisper = (await ann.ok("private_message", {
      to: "ben",
      text: "for ben",
    })).message as Sent;
    await ann.ok("edit_message", { id: whisper.id, text: "for ben only" });
    assert.equal(
      ((await ben.ok("message_edits", { id: whisper.id })).edits as unknown[])
        .length,
      1,
    );
    for (const id of [club.id, whisper.id, "01J00000000000000000000000"]) {
      await expectError(cat, "message_edits", { id }, "invalid_message");
    }
    await expectError(cat, "message_edits", {}, "invalid_message");
    await ann.ok("delete_message", { id: shown.id });
    await expectError(
      ben,
      "message_edits",
      { id: shown.id },
      "invalid_message",
    );
    // Nothing of what the edit hid is kept.
    assert.deepEqual(await server.node.store.listEdits(shown.id), []);
  },
  { rateLimits: NO_RATE_LIMITS },
);

stores.clients(
  "message_edits answers invalid_message to an account banned from the message's room, as it reads nothing there, and the history again once unbanned",
  async (pool) => {
    const root = await pool.register("root");
    const ann = await pool.register("ann");
    const ben = await pool.register("ben");
    await root.ok("create_room", { room: "dev" });
    await ann.ok("join_room", { room: "dev" });
    await ben.ok("join_room", { room: "dev" });
    const sent = (await ann.ok("send_message", { text: "first words" }))
      .message as Sent;
    await ann.ok("edit_message", { id: sent.id, text: "second words" });
    await root.ok("ban", { user: "ben", room: "dev", reason: "flooding" });
    await expectError(ben, "message_edits", { id: sent.id }, "invalid_message");
    await root.ok("unban", { user: "ben", room: "dev" });
    const edits = (await ben.ok("message_edits", { id: sent.id }))
      .edits as Sent[];
    assert.deepEqual(edits.map((edit) => edit.text), ["first words"]);
  },
  { rateLimits: NO_RATE_LIMITS },
);

stores.database(
  "upgrading: a server of before's edited message has no history after the first start, and its next edit keeps one",
  (options) => {
    let id = "";
    return withUpgradedServer({
      options,
      async setUp(pool) {
        const ann = await pool.register("ann");
        id =
          ((await ann.ok("send_message", { text: "before" })).message as Sent)
            .id;
        await ann.ok("edit_message", { id, text: "during" });
      },
      old: {
        marker: EDITS_MIGRATION,
        postgres: () => Promise.resolve(),
        sqlite: () => {},
      },
    }, async (server) => {
      const ann = await TestClient.loginWith(server.wsUrl, {
        username: "ann",
        password: TEST_PASSWORD,
      });
      try {
        const before = await ann.ok("message_edits", { id });
        assert.deepEqual(before.edits, []);
        assert.equal((before.current as Sent).text, "during");
        await ann.ok("edit_message", { id, text: "after" });
        const after = await ann.ok("message_edits", { id });
        assert.deepEqual(
          (after.edits as Sent[]).map((edit) => edit.text),
          ["during"],
        );
      } finally {
        await ann.close();
      }
    });
  },
);

stores.finish();
