/**
 * Forwarding (docs/protocol.md, Forwarding): `forward_message` through a
 * real server, on SQLite and on PostgreSQL.
 */
import assert from "node:assert/strict";
import type {
  DeletedForward,
  ForwardedMessage,
} from "../server/protocol/types.ts";
import {
  ClientPool,
  clusterSkipReason,
  expectError,
  TEST_PASSWORD,
  type TestClient,
  withCluster,
} from "./harness.ts";
import type { OldDatabase } from "./old_schema.ts";
import { bothStores } from "./both_stores.ts";
import { ANONYMISED_NAMES_MIGRATION } from "./store_contract/support.ts";
import { withUpgradedServer } from "./upgraded_server.ts";

interface Message {
  id: string;
  seq: number;
  user: string;
  text: string;
  ts: string;
  room?: string;
  to?: string;
  deleted?: boolean;
  forwarded?: ForwardedMessage | DeletedForward;
}

const stores = await bothStores();

// The first account is the server's admin: a bystander, so that the
// scenario's own accounts are plain users.
async function people(pool: ClientPool): Promise<TestClient[]> {
  await pool.register("root");
  return [
    await pool.register("alice"),
    await pool.register("bob"),
    await pool.register("carol"),
  ];
}

async function send(client: TestClient, text: string): Promise<Message> {
  return (await client.ok("send_message", { text })).message as Message;
}

async function forward(
  client: TestClient,
  data: Record<string, unknown>,
): Promise<Message> {
  return (await client.ok("forward_message", data)).message as Message;
}

stores.clients(
  "forward_message: a public room's message goes to another room with the forwarder's text and a copy naming the room; its readers get it, in history and in search by the forwarder's text",
  async (pool) => {
    const [alice, bob] = await people(pool);
    const original = await send(alice, "The build is green");
    await bob.ok("create_room", { room: "ops" });
    await alice.ok("join_room", { room: "ops" });
    // Bob looks at ops; he forwards general's message from there.
    const sent = await forward(bob, {
      id: original.id,
      room: "ops",
      text: "  FYI deploy  ",
    });
    assert.equal(sent.room, "ops");
    assert.equal(sent.user, "bob");
    assert.equal(sent.text, "FYI deploy");
    const copy = {
      id: original.id,
      seq: original.seq,
      user: "alice",
      ts: original.ts,
      text: "The build is green",
      room: "general",
    };
    assert.deepEqual(sent.forwarded, copy);
    const got = await alice.event("receive_message", (m) => m.id === sent.id);
    assert.deepEqual(got.data.forwarded, copy);
    const page = (await alice.ok("history", { room: "ops" }))
      .messages as Message[];
    assert.deepEqual(page.find((m) => m.id === sent.id)?.forwarded, copy);
    const found = (await alice.ok("search", { query: "deploy" }))
      .results as Message[];
    assert.deepEqual(found.map((m) => m.id), [sent.id]);
    assert.deepEqual(found[0].forwarded, copy);
  },
);

stores.clients(
  "forward_message: a private room's message forwarded to general does not name the room; one to a room the forwarder has not joined is forbidden, to none room_not_found",
  async (pool) => {
    const [alice, bob, carol] = await people(pool);
    await alice.ok("create_room", { room: "secret-plans", private: true });
    const original = await send(alice, "launch on friday");
    const sent = await forward(alice, {
      id: original.id,
      room: "general",
    });
    assert.equal(sent.text, "");
    assert.deepEqual(sent.forwarded, {
      id: original.id,
      seq: original.seq,
      user: "alice",
      ts: original.ts,
      text: "launch on friday",
    });
    const got = await bob.event("receive_message", (m) => m.id === sent.id);
    assert.ok(!JSON.stringify(got.data).includes("secret-plans"));
    // Bob may not read it: answered as an unknown id, as an edit is.
    await expectError(
      bob,
      "forward_message",
      { id: original.id, room: "general" },
      "invalid_message",
    );
    await carol.ok("create_room", { room: "carols" });
    const general = await send(bob, "hello");
    await expectError(
      bob,
      "forward_message",
      { id: general.id, room: "carols" },
      "forbidden",
    );
    await expectError(
      bob,
      "forward_message",
      { id: general.id, room: "nowhere" },
      "room_not_found",
    );
    for (
      const data of [
        { id: general.id },
        { id: general.id, room: "general", with: "carol" },
        { id: general.id, room: "general", text: "x".repeat(4001) },
      ]
    ) {
      const code = "text" in data ? "message_too_long" : "invalid_message";
      await expectError(bob, "forward_message", data, code);
    }
  },
);

stores.clients(
  "forward_message with 'with': a private message forwarded to a third person names the forwarder's conversation by its other side; an ignoring recipient does not accept it",
  async (pool) => {
    const [alice, bob, carol] = await people(pool);
    const original = (await alice.ok("private_message", {
      to: "bob",
      text: "call me at 5",
    })).message as Message;
    const sent = await forward(bob, {
      id: original.id,
      with: "carol",
      text: "see below",
    });
    assert.equal(sent.to, "carol");
    const copy = {
      id: original.id,
      seq: original.seq,
      user: "alice",
      ts: original.ts,
      text: "call me at 5",
      with: "alice",
    };
    assert.deepEqual(sent.forwarded, copy);
    const got = await carol.event("private_message", (m) => m.id === sent.id);
    assert.deepEqual(got.data.forwarded, copy);
    const page = (await carol.ok("history", { with: "bob" }))
      .messages as Message[];
    assert.deepEqual(page.at(-1)?.forwarded, copy);
    // Carol cannot read alice and bob's conversation.
    await expectError(
      carol,
      "forward_message",
      { id: original.id, with: "carol" },
      "invalid_message",
    );
    await carol.ok("ignore_user", { user: "bob" });
    await expectError(
      bob,
      "forward_message",
      { id: original.id, with: "carol" },
      "not_accepted",
    );
  },
);

stores.clients(
  "forward_message: an announcement room refuses a member's forward as it refuses its post",
  async (pool) => {
    const [alice, bob] = await people(pool);
    await alice.ok("create_room", { room: "news" });
    await bob.ok("join_room", { room: "news" });
    await alice.ok("set_room_posting", { room: "news", posting: "moderators" });
    await bob.ok("join_room", { room: "general" });
    const original = await send(bob, "a scoop");
    await expectError(
      bob,
      "forward_message",
      { id: original.id, room: "news" },
      "posting_restricted",
    );
    await forward(alice, { id: original.id, room: "news" });
  },
);

stores.clients(
  "forward_message: an archived room refuses a forward as it refuses a post, and a room ban refuses the banned one's",
  async (pool) => {
    const root = await pool.register("root");
    const alice = await pool.register("alice");
    const bob = await pool.register("bob");
    await alice.ok("create_room", { room: "old" });
    await bob.ok("join_room", { room: "old" });
    await alice.ok("create_room", { room: "ops" });
    await bob.ok("join_room", { room: "ops" });
    await bob.ok("join_room", { room: "general" });
    const original = await send(bob, "worth keeping");
    await alice.ok("archive_room", { room: "old" });
    await expectError(
      bob,
      "forward_message",
      { id: original.id, room: "old" },
      "room_archived",
    );
    await root.ok("ban", { user: "bob", room: "ops", reason: "spam" });
    await expectError(
      bob,
      "forward_message",
      { id: original.id, room: "ops" },
      "banned",
    );
  },
);

stores.clients(
  "a forward's copy stays as it was: an edit of the original leaves it, an edit of the forward changes only its own text (even to none), the forward's delete takes it",
  async (pool) => {
    const [alice, bob] = await people(pool);
    const original = await send(alice, "first words");
    const sent = await forward(bob, {
      id: original.id,
      room: "general",
      text: "look",
    });
    await alice.ok("edit_message", { id: original.id, text: "second words" });
    const edited = (await bob.ok("edit_message", { id: sent.id, text: " " }))
      .message as Message;
    assert.equal(edited.text, "");
    assert.equal((edited.forwarded as ForwardedMessage).text, "first words");
    const page = (await bob.ok("history", {})).messages as Message[];
    const kept = page.find((m) => m.id === sent.id);
    assert.equal((kept?.forwarded as ForwardedMessage).text, "first words");
    assert.equal(kept?.forwarded?.id, original.id);
    const gone = (await bob.ok("delete_message", { id: sent.id }))
      .message as Message;
    assert.equal(gone.deleted, true);
    assert.equal(gone.forwarded, undefined);
  },
);

stores.clients(
  "a moderator's delete of a forwarded message blanks the forwards' copies to {id, deleted}: a connected reader hears it, one who reloads history reads it, in a room and in a conversation",
  async (pool) => {
    const root = await pool.register("root");
    const alice = await pool.register("alice");
    const bob = await pool.register("bob");
    const carol = await pool.register("carol");
    await root.ok("set_role", { user: "carol", role: "moderator" });
    await bob.ok("create_room", { room: "ops" });
    await alice.ok("join_room", { room: "ops" });
    const abuse = await send(alice, "something abusive");
    const inRoom = await forward(bob, {
      id: abuse.id,
      room: "ops",
      text: "look at this",
    });
    const toCarol = await forward(bob, { id: abuse.id, with: "carol" });
    await carol.event("private_message", (m) => m.id === toCarol.id);
    await carol.ok("delete_message", { id: abuse.id });
    const blanked = { id: abuse.id, deleted: true };
    const heard = await alice.event(
      "message_updated",
      (m) => m.id === inRoom.id,
    );
    assert.deepEqual(heard.data.forwarded, blanked);
    assert.equal(heard.data.text, "look at this");
    const dm = await carol.event("message_updated", (m) => m.id === toCarol.id);
    assert.deepEqual(dm.data.forwarded, blanked);
    const page = (await alice.ok("history", { room: "ops" }))
      .messages as Message[];
    const kept = page.find((m) => m.id === inRoom.id);
    assert.deepEqual(kept?.forwarded, blanked);
    assert.equal(kept?.text, "look at this");
    assert.ok(!JSON.stringify(page).includes("abusive"));
    const mine = (await carol.ok("history", { with: "bob" }))
      .messages as Message[];
    assert.deepEqual(mine.find((m) => m.id === toCarol.id)?.forwarded, blanked);
    // An author's own delete blanks them too.
    const own = await send(alice, "regretted");
    const again = await forward(bob, { id: own.id, room: "general" });
    await alice.ok("delete_message", { id: own.id });
    const later = (await bob.ok("history", { room: "general" }))
      .messages as Message[];
    assert.deepEqual(
      later.find((m) => m.id === again.id)?.forwarded,
      { id: own.id, deleted: true },
    );
  },
);

stores.clients(
  "a forward of a forward without a text of its own carries the original's copy (not the first forwarder's conversation), one with a text carries that text; the middle's delete leaves them, the original's delete blanks every copy in the chain, and a forward of a blanked forward carries the blank",
  async (pool) => {
    const root = await pool.register("root");
    const alice = await pool.register("alice");
    const bob = await pool.register("bob");
    const carol = await pool.register("carol");
    const original = (await alice.ok("private_message", {
      to: "bob",
      text: "call me at 5",
    })).message as Message;
    const middle = await forward(bob, { id: original.id, with: "carol" });
    assert.equal((middle.forwarded as ForwardedMessage).with, "alice");
    const copy = {
      id: original.id,
      seq: original.seq,
      user: "alice",
      ts: original.ts,
      text: "call me at 5",
    };
    const second = await forward(carol, { id: middle.id, room: "general" });
    assert.deepEqual(second.forwarded, copy);
    const got = await root.event("receive_message", (m) => m.id === second.id);
    assert.deepEqual(got.data.forwarded, copy);
    const said = await forward(bob, {
      id: original.id,
      with: "carol",
      text: "see below",
    });
    const quoted = await forward(carol, { id: said.id, room: "general" });
    assert.equal((quoted.forwarded as ForwardedMessage).id, said.id);
    assert.equal((quoted.forwarded as ForwardedMessage).text, "see below");
    // The middle forward's delete leaves the copies made of it.
    const other = await forward(bob, { id: original.id, with: "carol" });
    const kept = await forward(carol, { id: other.id, room: "general" });
    await bob.ok("delete_message", { id: other.id });
    const before = (await root.ok("history", { room: "general" }))
      .messages as Message[];
    assert.deepEqual(before.find((m) => m.id === kept.id)?.forwarded, copy);
    await alice.ok("delete_message", { id: original.id });
    const blank = { id: original.id, deleted: true };
    const heard = await root.event(
      "message_updated",
      (m) => m.id === second.id,
    );
    assert.deepEqual(heard.data.forwarded, blank);
    const mine = (await carol.ok("history", { with: "bob" }))
      .messages as Message[];
    assert.deepEqual(mine.find((m) => m.id === middle.id)?.forwarded, blank);
    const page = (await root.ok("history", { room: "general" }))
      .messages as Message[];
    assert.deepEqual(page.find((m) => m.id === second.id)?.forwarded, blank);
    assert.ok(!JSON.stringify(page).includes("call me"));
    const third = await forward(carol, { id: middle.id, room: "general" });
    assert.deepEqual(third.forwarded, blank);
  },
);

stores.clients(
  "a copy names the room its original is in now: renamed, the new name; made private, no room (and nothing of the old name); public again, named again",
  async (pool) => {
    const root = await pool.register("root");
    const alice = await pool.register("alice");
    const bob = await pool.register("bob");
    await alice.ok("create_room", { room: "ops" });
    const original = await send(alice, "deploy at noon");
    const sent = await forward(alice, { id: original.id, with: "bob" });
    assert.equal((sent.forwarded as ForwardedMessage).room, "ops");
    const copyNow = async () =>
      ((await bob.ok("history", { with: "alice" })).messages as Message[])
        .find((m) => m.id === sent.id)?.forwarded as ForwardedMessage;
    await root.ok("update_room", { room: "ops", name: "Platform" });
    assert.equal((await copyNow()).room, "Platform");
    await root.ok("update_room", { room: "platform", private: true });
    const hidden = await copyNow();
    assert.deepEqual(hidden, {
      id: original.id,
      seq: original.seq,
      user: "alice",
      ts: original.ts,
      text: "deploy at noon",
    });
    const page = (await bob.ok("history", { with: "alice" })).messages;
    assert.ok(!/ops|platform/i.test(JSON.stringify(page)));
    await root.ok("update_room", { room: "platform", private: false });
    assert.equal((await copyNow()).room, "Platform");
  },
);

stores.clients(
  "a room's deletion blanks the copies of its messages forwarded elsewhere",
  async (pool) => {
    const root = await pool.register("root");
    const alice = await pool.register("alice");
    const bob = await pool.register("bob");
    await alice.ok("create_room", { room: "doomed" });
    const original = await send(alice, "soon gone");
    const sent = await forward(alice, { id: original.id, with: "bob" });
    await root.ok("delete_room", { room: "doomed" });
    const page = (await bob.ok("history", { with: "alice" }))
      .messages as Message[];
    assert.deepEqual(page.find((m) => m.id === sent.id)?.forwarded, {
      id: original.id,
      deleted: true,
    });
  },
);

stores.clients(
  "an account deleted with its messages anonymised: the forwards' copies of its messages name 'deleted user', their text kept",
  async (pool) => {
    const root = await pool.register("root");
    const alice = await pool.register("alice");
    const bob = await pool.register("bob");
    const original = await send(alice, "said by alice");
    const sent = await forward(bob, { id: original.id, with: "root" });
    await root.ok("delete_account", { user: "alice", messages: "anonymise" });
    const page = (await bob.ok("history", { with: "root" }))
      .messages as Message[];
    assert.deepEqual(page.find((m) => m.id === sent.id)?.forwarded, {
      id: original.id,
      seq: original.seq,
      user: "deleted user",
      ts: original.ts,
      text: "said by alice",
      room: "general",
    });
  },
);

stores.clients(
  "an account deleted with its messages anonymised: a copy of its private message, forwarded by the other side, does not name it as that conversation's other side either",
  async (pool) => {
    const root = await pool.register("root");
    const alice = await pool.register("alice");
    const bob = await pool.register("bob");
    const carol = await pool.register("carol");
    const said = (await alice.ok("private_message", {
      to: "bob",
      text: "said to bob",
    })).message as Message;
    const answer = (await bob.ok("private_message", {
      to: "alice",
      text: "said to alice",
    })).message as Message;
    // Bob shows both in general; alice shows her own to carol (its copy
    // names bob, who stays).
    const hers = await forward(bob, { id: said.id, room: "general" });
    const his = await forward(bob, { id: answer.id, room: "general" });
    const own = await forward(alice, { id: said.id, with: "carol" });
    assert.equal((hers.forwarded as ForwardedMessage).with, "alice");
    await root.ok("delete_account", { user: "alice", messages: "anonymise" });
    const page = (await carol.ok("history", { room: "general" }))
      .messages as Message[];
    const copyOf = (id: string) =>
      page.find((m) => m.id === id)?.forwarded as ForwardedMessage;
    assert.deepEqual(copyOf(hers.id), {
      id: said.id,
      seq: said.seq,
      user: "deleted user",
      ts: said.ts,
      text: "said to bob",
      with: "deleted user",
    });
    assert.deepEqual(copyOf(his.id), {
      id: answer.id,
      seq: answer.seq,
      user: "bob",
      ts: answer.ts,
      text: "said to alice",
      with: "deleted user",
    });
    // Alice's own forward named bob, who is still there.
    const theirs = (await carol.ok("history", { with: "alice" }))
      .messages as Message[];
    assert.equal(
      (theirs.find((m) => m.id === own.id)?.forwarded as ForwardedMessage)
        .with,
      "bob",
    );
  },
);

stores.clients(
  "an account deleted with its messages anonymised: the other side's messages to it name it no more as their to, so a forward of one made after the deletion does not name it either, nor does the copy of its note to itself; a conversation with an account still there keeps its name",
  async (pool) => {
    const root = await pool.register("root");
    const alice = await pool.register("alice");
    const bob = await pool.register("bob");
    await pool.register("dave");
    // Her note to herself, forwarded by her: its copy names her as its
    // conversation's other side.
    const note = (await alice.ok("private_message", {
      to: "alice",
      text: "a note",
    })).message as Message;
    const noted = await forward(alice, { id: note.id, room: "general" });
    assert.equal((noted.forwarded as ForwardedMessage).with, "alice");
    const toAlice = (await bob.ok("private_message", {
      to: "alice",
      text: "said to alice",
    })).message as Message;
    const toDave = (await bob.ok("private_message", {
      to: "dave",
      text: "said to dave",
    })).message as Message;
    await root.ok("delete_account", { user: "alice", messages: "anonymise" });
    const after = await forward(bob, { id: toAlice.id, room: "general" });
    assert.equal((after.forwarded as ForwardedMessage).with, "deleted user");
    const kept = await forward(bob, { id: toDave.id, room: "general" });
    assert.equal((kept.forwarded as ForwardedMessage).with, "dave");
    const page = (await bob.ok("history", { room: "general" }))
      .messages as Message[];
    assert.deepEqual(
      page.find((m) => m.id === noted.id)?.forwarded as ForwardedMessage,
      {
        id: note.id,
        seq: note.seq,
        user: "deleted user",
        ts: note.ts,
        text: "a note",
        with: "deleted user",
      },
    );
    // Bob still reads his conversation under the name he knew it by.
    const his = (await bob.ok("history", { with: "alice" }))
      .messages as Message[];
    assert.deepEqual(his.map((m) => [m.id, m.to]), [
      [toAlice.id, "deleted user"],
    ]);
    const withDave = (await bob.ok("history", { with: "dave" }))
      .messages as Message[];
    assert.equal(withDave[0].to, "dave");
  },
);

// What a server of before left after alice's anonymised deletion: her name
// in her conversation's copies' `with` and in bob's message's `to`; it
// renamed only the copies' `user`.
const ANONYMISED_BEFORE: OldDatabase = {
  marker: ANONYMISED_NAMES_MIGRATION,
  postgres: async (sql) => {
    await sql`UPDATE messages SET to_user = 'alice'
      WHERE to_user = 'deleted user'`;
    await sql`UPDATE messages
      SET forwarded = jsonb_set(forwarded, '{with}', '"alice"')
      WHERE forwarded ->> 'with' = 'deleted user'`;
  },
  sqlite: (db) => {
    db.exec(`UPDATE messages SET to_user = 'alice'
      WHERE to_user = 'deleted user'`);
    db.exec(`UPDATE messages
      SET forwarded = json_set(forwarded, '$.with', 'alice')
      WHERE forwarded ->> '$.with' = 'deleted user'`);
  },
};

stores.database(
  "upgrading: the copies and messages that still name an account anonymised by a server of before name deleted user; those naming an account still there, or deleted with its messages kept, keep their name",
  (options) => {
    const ids: Record<string, string> = {};
    return withUpgradedServer({
      options,
      async setUp(pool) {
        const root = await pool.register("root");
        const alice = await pool.register("alice");
        const bob = await pool.register("bob");
        await pool.register("dave");
        await pool.register("erin");
        const said = (await alice.ok("private_message", {
          to: "bob",
          text: "said to bob",
        })).message as Message;
        const answer = (await bob.ok("private_message", {
          to: "alice",
          text: "said to alice",
        })).message as Message;
        const toDave = (await bob.ok("private_message", {
          to: "dave",
          text: "said to dave",
        })).message as Message;
        const toErin = (await bob.ok("private_message", {
          to: "erin",
          text: "said to erin",
        })).message as Message;
        ids.answer = answer.id;
        ids.toDave = toDave.id;
        ids.toErin = toErin.id;
        ids.hers = (await forward(bob, { id: said.id, room: "general" })).id;
        ids.his = (await forward(bob, { id: answer.id, room: "general" })).id;
        ids.dave = (await forward(bob, { id: toDave.id, room: "general" })).id;
        ids.erin = (await forward(bob, { id: toErin.id, room: "general" })).id;
        // Alice's own forward names bob, who stays.
        ids.own = (await forward(alice, { id: said.id, room: "general" })).id;
        await root.ok("delete_account", {
          user: "alice",
          messages: "anonymise",
        });
        await root.ok("delete_account", { user: "erin", messages: "keep" });
        // A forward made after the deletion by a server of before.
        ids.later = (await forward(bob, { id: answer.id, room: "general" }))
          .id;
      },
      old: ANONYMISED_BEFORE,
    }, async (server) => {
      const pool = new ClientPool(server.wsUrl);
      try {
        const bob = await pool.login({
          username: "bob",
          password: TEST_PASSWORD,
        });
        const page = (await bob.ok("history", { room: "general" }))
          .messages as Message[];
        const withOf = (id: string) =>
          (page.find((m) => m.id === id)?.forwarded as ForwardedMessage).with;
        assert.deepEqual(
          ["hers", "his", "later", "own", "dave", "erin"].map((k) =>
            withOf(ids[k])
          ),
          [
            "deleted user",
            "deleted user",
            "deleted user",
            "bob",
            "dave",
            "erin",
          ],
        );
        const toOf = async (name: string) =>
          ((await bob.ok("history", { with: name })).messages as Message[])
            .filter((m) => m.user === "bob").map((m) => m.to);
        assert.deepEqual(await toOf("alice"), ["deleted user"]);
        assert.deepEqual(await toOf("dave"), ["dave"]);
        assert.deepEqual(await toOf("erin"), ["erin"]);
      } finally {
        await pool.closeAll();
      }
    });
  },
);

Deno.test({
  name:
    "forward_message on two nodes: a forward made on one node reaches the target room's readers and the person on the other, with its copy",
  ignore: clusterSkipReason() !== undefined,
  fn: () =>
    withCluster(2, async (_cluster, pools) => {
      await pools[0].register("root");
      const alice = await pools[0].register("alice");
      const bob = await pools[1].register("bob");
      const original = await send(bob, "from the other node");
      await alice.event("receive_message", (m) => m.id === original.id);
      const inRoom = await forward(alice, { id: original.id, room: "general" });
      const got = await bob.event("receive_message", (m) => m.id === inRoom.id);
      assert.equal(
        (got.data.forwarded as ForwardedMessage).text,
        "from the other node",
      );
      const toBob = await forward(alice, {
        id: original.id,
        with: "bob",
        text: "yours?",
      });
      const dm = await bob.event("private_message", (m) => m.id === toBob.id);
      assert.equal((dm.data.forwarded as ForwardedMessage).id, original.id);
    }),
});

stores.finish();
