/**
 * Saved messages that follow an account to its devices: `save_message`,
 * `unsave_message`, `list_saved` and the `saved` event, through a real
 * server, on SQLite and, when PostgreSQL is installed, on a fresh
 * PostgreSQL database of its own.
 */
import assert from "node:assert/strict";
import { MAX_SAVED } from "../server/protocol/limits.ts";
import { NO_RATE_LIMITS } from "../server/rate_limit.ts";
import { call } from "./api_helpers.ts";
import { bothStores } from "./both_stores.ts";
import { delay, expectError, roundTrip } from "./harness.ts";
import { SAVED_MESSAGES_MIGRATION } from "./store_contract/support.ts";
import { withUpgradedServer } from "./upgraded_server.ts";

const stores = await bothStores();

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

type Saved = { id: string; saved_at: string; message: { id: string } };

stores.clients(
  "save_message: the account's other devices get saved, list_saved answers each message as history gives it, newest saved first, and unsave_message takes it out everywhere",
  async (pool) => {
    const ann = await pool.register("ann");
    const phone = await pool.login({ token: ann.token });
    const ben = await pool.register("ben");
    const first = (await ben.ok("send_message", { text: "read me later" }))
      .message as { id: string };
    const second = (await ben.ok("send_message", { text: "and me" }))
      .message as { id: string };
    const hello = (await ben.ok("private_message", { to: "ann", text: "hi" }))
      .message as { id: string };

    const saved = await ann.ok("save_message", { id: first.id });
    assert.equal(saved.request, "save_message");
    assert.equal(saved.id, first.id);
    assert.equal(saved.saved, true);
    const seen = await phone.event("saved", (d) => d.id === first.id);
    assert.deepEqual(seen.data, { id: first.id, saved: true });
    // Saves are ordered by their millisecond (then by message id): each
    // save here starts in a later one, so that the order is the saves'.
    await nextMillisecond();
    await phone.ok("save_message", { id: hello.id });
    await ann.event("saved", (d) => d.id === hello.id);
    await nextMillisecond();
    await ann.ok("save_message", { id: second.id });
    // Saved again: the same answer, no event, its place kept.
    await ann.ok("save_message", { id: first.id });

    const laptop = await pool.login({ token: ann.token });
    const listed = (await laptop.ok("list_saved")).saved as Saved[];
    assert.deepEqual(listed.map((s) => s.id), [second.id, hello.id, first.id]);
    for (const entry of listed) assert.match(entry.saved_at, ISO);
    const history = (await laptop.ok("history", { room: "general" }))
      .messages as { id: string }[];
    assert.deepEqual(
      listed[2].message,
      history.find((m) => m.id === first.id),
    );
    const conversation = (await laptop.ok("history", { with: "ben" }))
      .messages as { id: string }[];
    assert.deepEqual(listed[1].message, conversation.at(-1));

    await laptop.ok("unsave_message", { id: second.id });
    for (const device of [ann, phone]) {
      await device.event("saved", (d) => d.id === second.id && !d.saved);
    }
    // One not saved answers the same and tells nobody.
    const again = await laptop.ok("unsave_message", { id: second.id });
    assert.equal(again.saved, false);
    assert.deepEqual(
      ((await phone.ok("list_saved")).saved as Saved[]).map((s) => s.id),
      [hello.id, first.id],
    );
    await roundTrip(phone);
    assert.equal(
      phone.events("saved").filter((f) => f.data.id === second.id).length,
      2,
    );
    // Other accounts hear nothing.
    await roundTrip(ben);
    assert.deepEqual(ben.events("saved"), []);
  },
);

stores.clients(
  "list_saved pages by the place in next (when the last row read was saved, and its id), or by a saved message's id, and a page's limit counts the rows read",
  async (pool) => {
    const ann = await pool.register("ann");
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const { message } = await ann.ok("send_message", { text: `m${i}` });
      ids.push((message as { id: string }).id);
      await ann.ok("save_message", { id: ids[i] });
    }
    const page1 = await ann.ok("list_saved", { limit: 2 });
    const saved1 = page1.saved as Saved[];
    const got = saved1.map((s) => s.id);
    assert.equal(got.length, 2);
    assert.equal(page1.next, `${Date.parse(saved1[1].saved_at)}.${got[1]}`);
    const page2 = await ann.ok("list_saved", { before: page1.next, limit: 3 });
    const rest = (page2.saved as Saved[]).map((s) => s.id);
    assert.match(String(page2.next), new RegExp(`^\\d+\\.${rest[2]}$`));
    // A bare id (a `next` of servers of before) names its saved row.
    assert.deepEqual(
      await ann.ok("list_saved", { before: got[1], limit: 3 }),
      page2,
    );
    assert.deepEqual([...got, ...rest].sort(), [...ids].sort());
    const page3 = await ann.ok("list_saved", { before: page2.next, limit: 3 });
    assert.deepEqual(page3.saved, []);
    assert.equal(page3.next, null);
    await expectError(ann, "list_saved", { limit: 101 }, "invalid_message");
  },
);

stores.clients(
  "list_saved with ids answers every id the account saved, newest saved first, in one reply a device reads at login, saves of other devices included",
  async (pool, server) => {
    const ann = await pool.register("ann");
    const ben = await pool.register("ben");
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { message } = await ben.ok("send_message", { text: `m${i}` });
      ids.push((message as { id: string }).id);
      await ann.ok("save_message", { id: ids[i] });
    }
    await ann.ok("unsave_message", { id: ids[1] });
    // A device that logs in after the saves learns them all at once.
    const laptop = await pool.login({ token: ann.token });
    const reply = await laptop.ok("list_saved", { ids: true });
    assert.deepEqual(reply.ids, [ids[2], ids[0]]);
    assert.equal(reply.saved, undefined);
    // Past a page of list_saved (100): every one of the cap, in one reply.
    for (let i = 2; i < MAX_SAVED; i++) {
      await server.node.store.saveMessage("ann", `fake${i}`, i, MAX_SAVED);
    }
    const all = (await laptop.ok("list_saved", { ids: true })).ids as string[];
    assert.equal(all.length, MAX_SAVED);
    assert.deepEqual(new Set(all).size, MAX_SAVED);
    assert.ok(all.includes(ids[0]) && all.includes(ids[2]));
    // Ids are all of them: a cursor or a page size with them is refused.
    for (
      const data of [{ ids: true, limit: 5 }, { ids: true, before: ids[0] }]
    ) {
      const refused = await expectError(
        laptop,
        "list_saved",
        data,
        "invalid_message",
      );
      assert.match(String(refused.data.message), /ids/);
    }
    // Without ids, or with false, the page it always was.
    const page = await laptop.ok("list_saved", { ids: false, limit: 1 });
    assert.equal((page.saved as Saved[]).length, 1);
    const guest = await pool.guest("gus");
    await expectError(guest, "list_saved", { ids: true }, "forbidden");
  },
  { rateLimits: NO_RATE_LIMITS },
);

stores.clients(
  "save_message is message_not_found for a message the account may not read, forbidden to guests, and too_many_saved past the cap",
  async (pool, server) => {
    const guest = await pool.guest("gus");
    const ann = await pool.register("ann");
    const ben = await pool.register("ben");
    const cat = await pool.register("cat");
    const open = (await ben.ok("send_message", { text: "hello" }))
      .message as { id: string };
    await expectError(guest, "save_message", { id: open.id }, "forbidden");
    await expectError(guest, "list_saved", {}, "forbidden");
    await expectError(ann, "save_message", { id: "nope" }, "message_not_found");
    await expectError(ann, "save_message", {}, "invalid_message");
    await ben.ok("create_room", { room: "secret", private: true });
    const secret = (await ben.ok("send_message", { text: "members only" }))
      .message as { id: string };
    await expectError(
      ann,
      "save_message",
      { id: secret.id },
      "message_not_found",
    );
    const theirs = (await ben.ok("private_message", {
      to: "cat",
      text: "between us",
    })).message as { id: string };
    await expectError(
      ann,
      "save_message",
      { id: theirs.id },
      "message_not_found",
    );
    await cat.ok("save_message", { id: theirs.id });
    // Messages go to the sender's current room: back to general.
    await ben.ok("join_room", { room: "general" });
    const gone = (await ben.ok("send_message", { text: "deleted soon" }))
      .message as { id: string };
    await ben.ok("delete_message", { id: gone.id });
    await expectError(
      ann,
      "save_message",
      { id: gone.id },
      "message_not_found",
    );

    // Rows straight into the store (ids of no message: a save does not
    // look), so that the cap is reached without a thousand messages.
    for (let i = 1; i < MAX_SAVED; i++) {
      await server.node.store.saveMessage("ann", `fake${i}`, i, MAX_SAVED);
    }
    await ann.ok("save_message", { id: open.id });
    const other = (await ben.ok("send_message", { text: "one more" }))
      .message as { id: string };
    const refused = await expectError(
      ann,
      "save_message",
      { id: other.id },
      "too_many_saved",
    );
    assert.match(String(refused.data.message), /1000/);
    // One saved already still answers; an unsave makes room.
    await ann.ok("save_message", { id: open.id });
    await ann.ok("unsave_message", { id: "fake1" });
    await ann.ok("save_message", { id: other.id });
  },
  { rateLimits: NO_RATE_LIMITS },
);

stores.clients(
  "a saved message the account may no longer read is not listed, and is again once it may; a deleted one is forgotten",
  async (pool, server) => {
    const ann = await pool.register("ann");
    const ben = await pool.register("ben");
    await ann.ok("create_room", { room: "den", private: true });
    await ann.ok("invite", { room: "den", user: "ben" });
    // Messages go to the sender's current room: den, then general.
    const inDen = (await ann.ok("send_message", { text: "plans" }))
      .message as { id: string };
    await ann.ok("join_room", { room: "general" });
    const open = (await ann.ok("send_message", { text: "soon gone" }))
      .message as { id: string };
    await ben.ok("save_message", { id: inDen.id });
    await ben.ok("save_message", { id: open.id });
    const listed = async () =>
      ((await ben.ok("list_saved")).saved as Saved[]).map((s) => s.id);
    assert.deepEqual(await listed(), [open.id, inDen.id]);

    await ben.ok("leave_room", { room: "den" });
    assert.deepEqual(await listed(), [open.id]);
    await ann.ok("invite", { room: "den", user: "ben" });
    assert.deepEqual(await listed(), [open.id, inDen.id]);

    await ann.ok("delete_message", { id: open.id });
    assert.deepEqual(await listed(), [inDen.id]);
    assert.deepEqual(
      (await server.node.store.listSaved("ben", { limit: 10 })).map((r) =>
        r.id
      ),
      [inDen.id],
    );
  },
);

stores.clients(
  "a saved message deleted after its saver was removed from the room stays among the saver's ids until it may read the room again: list_saved tells nothing of what happened there since",
  async (pool) => {
    const ann = await pool.register("ann");
    const ben = await pool.register("ben");
    await ann.ok("create_room", { room: "den", private: true });
    await ann.ok("invite", { room: "den", user: "ben" });
    const kept = (await ann.ok("send_message", { room: "den", text: "one" }))
      .message as { id: string };
    const erased = (await ann.ok("send_message", { room: "den", text: "two" }))
      .message as { id: string };
    await ben.ok("save_message", { id: kept.id });
    await ben.ok("save_message", { id: erased.id });
    await ann.ok("remove_member", { room: "den", user: "ben" });
    const ids = async () => (await ben.ok("list_saved", { ids: true })).ids;
    assert.deepEqual(await ids(), [erased.id, kept.id]);

    // Deleted while ben is out: neither the page nor the ids say so.
    await ann.ok("delete_message", { id: erased.id });
    assert.deepEqual((await ben.ok("list_saved")).saved, []);
    assert.deepEqual(await ids(), [erased.id, kept.id]);

    // Back in the room, ben sees it gone, and it is forgotten.
    await ann.ok("invite", { room: "den", user: "ben" });
    assert.deepEqual(
      ((await ben.ok("list_saved")).saved as Saved[]).map((s) => s.id),
      [kept.id],
    );
    assert.deepEqual(await ids(), [kept.id]);
  },
);

stores.clients(
  "REST saved messages: PUT /api/saved/:id saves, GET /api/saved lists as list_saved does (every id with ids=true), DELETE unsaves, and every socket of the account hears each",
  async (pool, server) => {
    const ann = await pool.register("ann");
    const token = ann.token!;
    const { message } = await ann.ok("send_message", { text: "later" });
    const id = (message as { id: string }).id;
    const saved = await call(server, "PUT", `/api/saved/${id}`, { token });
    assert.equal(saved.status, 200, JSON.stringify(saved.body));
    assert.deepEqual(saved.body, { id, saved: true });
    // A request is no socket of hers: the one she has open hears it.
    await ann.event("saved", (d) => d.id === id && d.saved === true);
    const listed = await call(server, "GET", "/api/saved?limit=5", { token });
    assert.equal(listed.status, 200);
    const { request: _, ...overSocket } = await ann.ok("list_saved", {
      limit: 5,
    });
    assert.deepEqual(listed.body, overSocket);
    assert.deepEqual(
      (listed.body.saved as Saved[]).map((s) => s.id),
      [id],
    );
    const ids = await call(server, "GET", "/api/saved?ids=true", { token });
    assert.deepEqual(ids.body, { ids: [id] });
    const { request: __, ...idsOverSocket } = await ann.ok("list_saved", {
      ids: true,
    });
    assert.deepEqual(ids.body, idsOverSocket);
    const missing = await call(server, "PUT", "/api/saved/nope", { token });
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error, "message_not_found");
    const gone = await call(server, "DELETE", `/api/saved/${id}`, { token });
    assert.deepEqual(gone.body, { id, saved: false });
    await ann.event("saved", (d) => d.id === id && d.saved === false);
    assert.deepEqual(
      (await call(server, "GET", "/api/saved", { token })).body,
      { saved: [], next: null },
    );
  },
);

stores.clients(
  "REST PUT /api/saved/:id takes remind_at as save_message does: sets it, answers and tells it, clears it with null, keeps it when left out, and refuses a time past or a body not JSON",
  async (pool, server) => {
    const ann = await pool.register("ann");
    const token = ann.token!;
    const { message } = await ann.ok("send_message", { text: "later" });
    const id = (message as { id: string }).id;
    const put = (
      options: { body?: unknown; headers?: Record<string, string> },
    ) => call(server, "PUT", `/api/saved/${id}`, { token, ...options });
    // An hour ahead: far from any clock race.
    const when = new Date(Date.now() + 3600_000).toISOString();
    const set = await put({ body: { remind_at: when } });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    assert.deepEqual(set.body, { id, saved: true, remind_at: when });
    const told = await ann.event("saved", (d) => d.id === id);
    assert.deepEqual(told.data, { id, saved: true, remind_at: when });
    // Read from the store: list_saved's bucket (search's) is a few a second.
    const remindAt = async () => {
      const [row] = await server.node.store.listSaved("ann", { limit: 1 });
      return row.remindAt === undefined
        ? undefined
        : new Date(row.remindAt).toISOString();
    };
    assert.equal(await remindAt(), when);
    // Without a body, or with one without remind_at, the reminder stays.
    assert.deepEqual((await put({})).body, { id, saved: true });
    assert.deepEqual((await put({ body: {} })).body, { id, saved: true });
    assert.equal(await remindAt(), when);
    const past = await put({
      body: { remind_at: new Date(Date.now() - 60_000).toISOString() },
    });
    assert.equal(past.status, 400);
    assert.equal(past.body.error, "invalid_message");
    const notIso = await put({ body: { remind_at: "tomorrow" } });
    assert.equal(notIso.status, 400);
    assert.equal(notIso.body.error, "invalid_message");
    const text = await put({
      body: JSON.stringify({ remind_at: null }),
      headers: { "content-type": "text/plain" },
    });
    assert.equal(text.status, 415);
    assert.equal(await remindAt(), when, "a refused body changes nothing");
    const cleared = await put({ body: { remind_at: null } });
    assert.deepEqual(cleared.body, { id, saved: true, remind_at: null });
    assert.equal(await remindAt(), undefined);
  },
);

stores.clients(
  "list_saved pages on past a page whose last saved message was deleted: its row, forgotten as it is met, does not end the list",
  async (pool) => {
    const ann = await pool.register("ann");
    const sent: { id: string }[] = [];
    for (const text of ["oldest", "middle", "newest"]) {
      const message = (await ann.ok("send_message", { text })).message as {
        id: string;
      };
      sent.push(message);
      await ann.ok("save_message", { id: message.id });
      // Saved in three milliseconds: saved_at orders the list.
      await nextMillisecond();
    }
    await ann.ok("delete_message", { id: sent[1].id });
    const first = await ann.ok("list_saved", { limit: 2 });
    const ids = (page: Record<string, unknown>) =>
      (page.saved as { id: string }[]).map((s) => s.id);
    assert.deepEqual(ids(first), [sent[2].id]);
    assert.equal(typeof first.next, "string");
    const second = await ann.ok("list_saved", {
      before: first.next,
      limit: 2,
    });
    assert.deepEqual(ids(second), [sent[0].id]);
    // Forgotten as the first page met it, though it was that page's last.
    assert.deepEqual(ids(await ann.ok("list_saved", { limit: 5 })), [
      sent[2].id,
      sent[0].id,
    ]);
    assert.deepEqual(
      ((await ann.ok("list_saved", { ids: true })).ids as string[]).sort(),
      [sent[2].id, sent[0].id].sort(),
    );
  },
);

stores.clients(
  "list_saved pages on past a page whose last saved message the account unsaved meanwhile, on this device or another: the next page starts below it",
  async (pool) => {
    const ann = await pool.register("ann");
    const phone = await pool.login({ token: ann.token });
    const sent: string[] = [];
    for (const text of ["oldest", "older", "newer", "newest"]) {
      const { message } = await ann.ok("send_message", { text });
      sent.push((message as { id: string }).id);
      await ann.ok("save_message", { id: sent.at(-1) });
      // Saved in four milliseconds: saved_at orders the list.
      await nextMillisecond();
    }
    const ids = (page: Record<string, unknown>) =>
      (page.saved as Saved[]).map((s) => s.id);
    const first = await ann.ok("list_saved", { limit: 2 });
    assert.deepEqual(ids(first), [sent[3], sent[2]]);
    await phone.ok("unsave_message", { id: sent[2] });
    const second = await ann.ok("list_saved", {
      before: first.next,
      limit: 2,
    });
    assert.deepEqual(ids(second), [sent[1], sent[0]]);
  },
);

stores.database(
  "upgrading: a server of before, whose store has no saved messages, saves and lists them after its first start",
  (options) =>
    withUpgradedServer({
      options,
      async setUp(pool) {
        await pool.register("ann");
      },
      old: {
        marker: SAVED_MESSAGES_MIGRATION,
        postgres: () => Promise.resolve(),
        sqlite: () => {},
      },
    }, async (server) => {
      // The rewind dropped the table: the migration made it again.
      assert.equal(
        await server.node.store.saveMessage("ann", "m1", 1, 10),
        "added",
      );
      assert.deepEqual(
        await server.node.store.listSaved("ann", { limit: 10 }),
        [{ id: "m1", savedAt: 1 }],
      );
    }),
);

stores.finish();

/** Waits until the clock has passed the millisecond it reads now. */
async function nextMillisecond(): Promise<void> {
  const now = Date.now();
  while (Date.now() <= now) await delay(1);
}
