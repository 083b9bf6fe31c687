/**
 * Editing and deleting messages (extension; server/handlers/
 * message_updates.ts) against a real server: in rooms and in private
 * conversations, by authors and by moderators.
 */
import assert from "node:assert/strict";
import { NO_RATE_LIMITS } from "../server/rate_limit.ts";
import {
  ClientPool,
  clusterSkipReason,
  expectError,
  roundTrip,
  type TestClient,
  withClients,
} from "./harness.ts";
import { startPostgres } from "./services.ts";
import { SharedOnce, startSharedCluster } from "./shared_cluster.ts";

type Message = {
  id: string;
  seq: number;
  text: string;
  edited_at?: string;
  deleted?: boolean;
};

Deno.test("edit_message: the author edits, everyone in the room sees it, history keeps it", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    const bob = await pool.guest("bob");
    const sent = (await alice.ok("send_message", { text: "helo" }))
      .message as Message;
    const edited = (await alice.ok("edit_message", {
      id: sent.id,
      text: " hello ",
    })).message as Message;
    assert.equal(edited.text, "hello");
    assert.equal(edited.seq, sent.seq);
    assert.ok(edited.edited_at);
    const update = await bob.event("message_updated");
    assert.deepEqual(update.data, edited);
    const history = await bob.ok("history", { room: "general" });
    assert.deepEqual((history.messages as Message[])[0], edited);
    await expectError(
      bob,
      "edit_message",
      { id: sent.id, text: "mine now" },
      "forbidden",
    );
    await expectError(
      alice,
      "edit_message",
      { id: "nope", text: "x" },
      "invalid_message",
    );
    await expectError(
      alice,
      "edit_message",
      { id: sent.id, text: "  " },
      "empty_message",
    );
  }));

Deno.test("delete_message: authors delete their own, moderators anyone's, the text is gone", () =>
  withClients(async (pool) => {
    const root = await pool.register("root");
    const bob = await pool.guest("bob");
    const first = (await bob.ok("send_message", { text: "oops" }))
      .message as Message;
    const second = (await bob.ok("send_message", { text: "spam" }))
      .message as Message;
    const deleted = (await bob.ok("delete_message", { id: first.id }))
      .message as Message;
    assert.equal(deleted.deleted, true);
    assert.equal(deleted.text, "");
    const seen = await root.event(
      "message_updated",
      (d) => d.id === first.id,
    );
    assert.equal(seen.data.deleted, true);
    // An admin removes someone else's message.
    await root.ok("delete_message", { id: second.id });
    const history = await bob.ok("history", { room: "general" });
    assert.deepEqual(
      (history.messages as Message[]).map((m) => [m.seq, m.text, m.deleted]),
      [[first.seq, "", true], [second.seq, "", true]],
    );
    // A plain user cannot delete someone else's, nor edit a deleted one.
    const mine = (await root.ok("send_message", { text: "admin" }))
      .message as Message;
    await expectError(bob, "delete_message", { id: mine.id }, "forbidden");
    await expectError(
      bob,
      "edit_message",
      { id: first.id, text: "back" },
      "invalid_message",
    );
  }));

Deno.test("delete_message: a moderator's delete of someone else's message is in the audit log (who, whose, where, which), an author's own is not", () =>
  withClients(async (pool) => {
    const root = await pool.register("root");
    const bob = await pool.guest("bob");
    const own = (await bob.ok("send_message", { text: "typo" }))
      .message as Message;
    const spam = (await bob.ok("send_message", { text: "buy now" }))
      .message as Message;
    await bob.ok("delete_message", { id: own.id });
    await root.ok("delete_message", { id: spam.id });
    const { entries } = await root.ok("audit_log", {});
    const deletes = (entries as Record<string, unknown>[])
      .filter((e) => e.action === "delete_message")
      .map(({ by, target, room, details }) => ({ by, target, room, details }));
    assert.deepEqual(deletes, [{
      by: "root",
      target: "bob",
      room: "general",
      details: { id: spam.id },
    }]);
  }));

Deno.test("delete_message: a moderator outside a private room, never a member or removed from it, deletes nothing there: the id is answered as unknown, naming no room", () =>
  withClients(async (pool) => {
    const root = await pool.register("root");
    const mod = await pool.register("mod");
    const outsider = await pool.register("outsider");
    const bob = await pool.register("bob");
    await root.ok("set_role", { user: "mod", role: "moderator" });
    await root.ok("set_role", { user: "outsider", role: "moderator" });
    await bob.ok("create_room", { room: "team", private: true });
    await bob.ok("invite", { room: "team", user: "mod" });
    const plan = (await bob.ok("send_message", { text: "plan A" }))
      .message as Message;
    const spam = (await bob.ok("send_message", { text: "spam" }))
      .message as Message;
    // A member moderator deletes there; once removed, no more.
    await mod.ok("delete_message", { id: spam.id });
    await bob.ok("remove_member", { room: "team", user: "mod" });
    await root.ok("update_room", { room: "team", name: "hideout" });
    for (const who of [mod, outsider]) {
      const refused = await expectError(
        who,
        "delete_message",
        { id: plan.id },
        "invalid_message",
      );
      assert.equal(refused.data.message, `No message with id '${plan.id}'.`);
    }
    const history = await bob.ok("history", { room: "hideout" });
    assert.deepEqual(
      (history.messages as Message[]).map((m) => [m.text, m.deleted]),
      [["plan A", undefined], ["", true]],
    );
    await roundTrip(bob);
    assert.deepEqual(
      bob.events("message_updated").map((f) => f.data.id),
      [spam.id],
    );
  }));

Deno.test("edit_message: private messages are edited for both sides", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    const bob = await pool.guest("bob");
    const sent = (await alice.ok("private_message", { to: "bob", text: "hi" }))
      .message as Message;
    await alice.ok("edit_message", { id: sent.id, text: "hi bob" });
    const a = await alice.event("message_updated");
    const b = await bob.event("message_updated");
    assert.equal(a.data.text, "hi bob");
    assert.deepEqual(a.data, b.data);
  }));

Deno.test("edit_message: the replies an edit brings up to date live are paid from the author's message budget, one each; past it they are not sent, and edits count as messages", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    const bob = await pool.guest("bob");
    const question = (await alice.ok("send_message", { text: "question" }))
      .message as Message;
    for (let i = 0; i < 10; i++) {
      await alice.ok("send_message", {
        text: `answer ${i}`,
        reply_to: question.id,
      });
    }
    // 11 of the 30 spent; this edit costs 1, its 10 replies 10 more.
    await alice.ok("edit_message", { id: question.id, text: "question?" });
    await roundTrip(alice);
    await roundTrip(bob);
    assert.equal(bob.events("message_updated").length, 11);
    // 8 left: the edit is made and sent, its replies are not.
    const edited = (await alice.ok("edit_message", {
      id: question.id,
      text: "question??",
    })).message as Message;
    await roundTrip(alice);
    await roundTrip(bob);
    const updates = bob.events("message_updated");
    assert.equal(updates.length, 12);
    assert.deepEqual(updates[11].data, edited);
    // They show the new quote when read.
    const history = await bob.ok("history", { room: "general" });
    const last = (history.messages as { reply_to?: { text: string } }[]).at(-1);
    assert.equal(last?.reply_to?.text, "question??");
    for (let i = 0; i < 7; i++) {
      await alice.ok("edit_message", { id: question.id, text: `q${i}` });
    }
    await expectError(
      alice,
      "edit_message",
      { id: question.id, text: "once more" },
      "rate_limited",
    );
  }, {
    rateLimits: {
      perConnection: NO_RATE_LIMITS.perConnection,
      perUser: { message: { burst: 30, perSecond: 1 / 60 } },
      strikesBeforeDisconnect: 0,
    },
  }));

Deno.test("edit_message: an author removed from a private room, or banned from a room, edits nothing there and never sees the reactions and pin that came after; deleting stays", () =>
  withClients(async (pool) => {
    const root = await pool.register("root");
    const bob = await pool.register("bob");
    const carol = await pool.register("carol");
    await bob.ok("create_room", { room: "team", private: true });
    await bob.ok("invite", { room: "team", user: "carol" });
    await carol.ok("join_room", { room: "team" });
    const said = (await carol.ok("send_message", { text: "plan A" }))
      .message as Message;
    const kept = (await carol.ok("send_message", { text: "plan B" }))
      .message as Message;
    await bob.ok("remove_member", { room: "team", user: "carol" });
    await bob.ok("react", { id: said.id, emoji: "👍" });
    await bob.ok("pin", { id: said.id });
    const refused = await expectError(
      carol,
      "edit_message",
      { id: said.id, text: "plan C" },
      "forbidden",
    );
    assert.equal(JSON.stringify(refused).includes("👍"), false);
    const history = await bob.ok("history", { room: "team" });
    assert.equal((history.messages as Message[])[0].text, "plan A");
    // Taking back one's own words stays possible, and shows nothing new.
    const gone = (await carol.ok("delete_message", { id: kept.id }))
      .message as Message & { reactions?: unknown; pinned?: boolean };
    assert.deepEqual([gone.deleted, gone.reactions, gone.pinned], [
      true,
      undefined,
      undefined,
    ]);

    // A room ban of a public room: the same.
    await root.ok("create_room", { room: "lobby" });
    await carol.ok("join_room", { room: "lobby" });
    const shout = (await carol.ok("send_message", { text: "hello all" }))
      .message as Message;
    await root.ok("ban", { user: "carol", room: "lobby", reason: "spam" });
    await root.ok("react", { id: shout.id, emoji: "👎" });
    const banned = await expectError(
      carol,
      "edit_message",
      { id: shout.id, text: "worse words" },
      "forbidden",
    );
    assert.equal(JSON.stringify(banned).includes("👎"), false);
  }));

// The two tests on two nodes share them (and their PostgreSQL and Redis),
// started by the first: starting them took seconds a test on a busy
// machine. Each test has names of its own and closes its clients.
const twoNodes = new SharedOnce(async () => {
  const pg = (await startPostgres())!;
  try {
    const cluster = await startSharedCluster(pg, {
      database: "updates",
      nodes: 2,
    });
    return {
      cluster,
      async stop() {
        await cluster.stop();
        await pg.stop();
      },
    };
  } catch (error) {
    await pg.stop();
    throw error;
  }
});
let twoNodeTests = 0;

/**
 * Runs a body on the shared two nodes with a client pool on each, and the
 * test's own suffix for names; closes the pools after.
 */
async function onTwoNodes(
  body: (pools: ClientPool[], suffix: string) => Promise<void>,
): Promise<void> {
  const { cluster } = await twoNodes.get();
  const pools = cluster.nodes.map((node) => new ClientPool(node.wsUrl));
  try {
    await body(pools, `_${++twoNodeTests}`);
  } finally {
    await Promise.all(pools.map((pool) => pool.closeAll()));
  }
}

Deno.test({
  name:
    "edit_message and delete_message of one message at once, from two nodes: every reader's last update of it is the delete, never the edit's text",
  ignore: clusterSkipReason() !== undefined,
  fn: () =>
    onTwoNodes(async ([one, two], suffix) => {
      // Her phone deletes while her laptop edits.
      const { alice, phone, readers } = await onBothNodes(one, two, suffix);
      for (let i = 0; i < 100; i++) {
        const { message } = await alice.ok("send_message", { text: `m${i}` });
        const { id } = message as { id: string };
        const [, deleted] = await Promise.all([
          alice.request("edit_message", { id, text: `edited ${i}` }),
          phone.ok("delete_message", { id }),
        ]);
        assert.equal((deleted.message as { deleted?: boolean }).deleted, true);
        const seen = await updatesSeen(id, {
          devices: [alice, phone],
          readers,
          round: i,
        });
        seen.forEach((updates, r) =>
          assert.deepEqual(
            updates.slice(-1).map((m) => m.deleted),
            [true],
            `round ${i} reader ${r} ${JSON.stringify(updates)}`,
          )
        );
      }
    }),
});

Deno.test({
  name:
    "edit_message of one message at once from two nodes: every reader's last update of it is the edit committed last (the higher version), never the older text",
  ignore: clusterSkipReason() !== undefined,
  fn: () =>
    onTwoNodes(async ([one, two], suffix) => {
      // Her laptop and her phone edit at once.
      const { alice, phone, readers } = await onBothNodes(one, two, suffix);
      // Each node delivers its own update at once and the other's when
      // Redis brings it, so without versions a reader on each side can end
      // on the edit committed first: 40 rounds gave it within a few.
      for (let i = 0; i < 40; i++) {
        const { message } = await alice.ok("send_message", { text: `m${i}` });
        const { id } = message as { id: string };
        const edits = await Promise.all([
          alice.ok("edit_message", { id, text: `laptop ${i}` }),
          phone.ok("edit_message", { id, text: `phone ${i}` }),
        ]);
        const [last] = edits
          .map((r) => r.message as Message & { version: number })
          .sort((a, b) => b.version - a.version);
        assert.deepEqual(
          edits.map((r) => (r.message as { version: number }).version).sort(),
          [1, 2],
        );
        const seen = await updatesSeen(id, {
          devices: [alice, phone],
          readers,
          round: i,
        });
        seen.forEach((updates, r) =>
          assert.deepEqual(
            updates.slice(-1).map((m) => [m.text, m.version]),
            [[last.text, 2]],
            `round ${i} reader ${r} ${
              JSON.stringify(updates.map((m) => [m.text, m.version]))
            }`,
          )
        );
      }
    }),
});

Deno.test({
  name: "edits on two nodes: stop the nodes",
  ignore: clusterSkipReason() !== undefined,
  fn: () => twoNodes.stop(),
});

/**
 * The two-node scene: alice with a device on each node (`alice` on `one`,
 * `phone` on `two`), and a reader on each node, so every update is seen
 * both as its own node delivers it and as Redis brings it from the other.
 * Names end with `suffix`.
 */
async function onBothNodes(
  one: ClientPool,
  two: ClientPool,
  suffix: string,
): Promise<{ alice: TestClient; phone: TestClient; readers: TestClient[] }> {
  const alice = await one.register(`alice${suffix}`);
  const phone = await two.login({ token: alice.token });
  const readers = [
    await one.guest(`reader1${suffix}`),
    await two.guest(`reader2${suffix}`),
  ];
  return { alice, phone, readers };
}

/**
 * Each reader's `message_updated` events of `id`, read once a message
 * sent by each device after their replies reached it: a reader that got
 * both got every earlier event of both nodes (a node delivers its own at
 * once, the other's in the order it published them).
 */
async function updatesSeen(
  id: string,
  options: { devices: TestClient[]; readers: TestClient[]; round: number },
): Promise<(Message & { version?: number })[][]> {
  const after = await Promise.all(
    options.devices.map(async (device) =>
      ((await device.ok("send_message", { text: `after ${options.round}` }))
        .message as { id: string }).id
    ),
  );
  const seen = [];
  for (const reader of options.readers) {
    for (const next of after) {
      await reader.event("receive_message", (m) => m.id === next);
    }
    seen.push(
      reader.events("message_updated")
        .map((f) => f.data as Message & { version?: number })
        .filter((m) => m.id === id),
    );
  }
  return seen;
}
