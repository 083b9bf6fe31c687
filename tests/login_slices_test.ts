/**
 * A login counts the unread messages of its rooms in slices, turn by turn
 * with the other work of the node (server/turns.ts, node.ts enterRooms):
 * another connection's request is answered while it counts.
 */
import assert from "node:assert/strict";
import {
  type ClientPool,
  type Frame,
  type TestServer,
  withClients,
} from "./harness.ts";
import { MAX_UNREAD } from "../server/store/mod.ts";
import { NO_RATE_LIMITS } from "../server/rate_limit.ts";

// Rooms of MAX_UNREAD unread each: a login many slices long (a slice counts
// about 4,000 index entries), so the answer to another request has many
// turns in which to pass it, however slow the machine.
const ROOMS = 60;

/**
 * An account "reader" in ROOMS rooms of MAX_UNREAD unread messages each
 * (written straight into the store, as if sent while it was away), then in
 * `more` rooms without any; its token.
 */
async function readerOfManyRooms(
  pool: ClientPool,
  server: TestServer,
  more: string[] = [],
): Promise<string> {
  const reader = await pool.register("reader");
  for (let i = 1; i <= ROOMS; i++) {
    await reader.ok("create_room", { room: `r${i}` });
  }
  for (const room of more) await reader.ok("create_room", { room });
  await reader.close();
  for (let i = 1; i <= ROOMS; i++) {
    await Promise.all(
      Array.from(
        { length: MAX_UNREAD },
        (_, n) =>
          server.node.store.appendMessage({
            roomKey: `r${i}`,
            userKey: "writer",
            user: "writer",
            text: `m${n}`,
          }),
      ),
    );
  }
  return reader.token!;
}

Deno.test("a login counting many rooms of unread messages lets another connection's request through before its reply", () =>
  withClients(async (pool, server) => {
    const token = await readerOfManyRooms(pool, server);
    const store = server.node.store;
    const heavy = await pool.connect();
    const other = await pool.guest("other");
    const order: string[] = [];
    // The other request leaves when the login takes the private messages
    // that waited for the reader, just before it counts its rooms: never
    // sooner, so it cannot be answered before the login began, whatever the
    // machine's pace. It reaches the server at the next poll of the sockets.
    let cheap: Promise<Frame> | undefined;
    const takeUndelivered = store.takeUndelivered.bind(store);
    store.takeUndelivered = (userKey) => {
      cheap ??= other.request("visibility", { hidden: false }).then(
        (reply) => {
          order.push("visibility");
          return reply;
        },
      );
      return takeUndelivered(userKey);
    };
    const reply = await heavy.request("login", { token });
    order.push("login");
    store.takeUndelivered = takeUndelivered;
    assert.ok(cheap, "the login took no private messages");
    const answer = await cheap;
    assert.equal(answer.action, "success");
    assert.equal(reply.action, "success");
    const memberships = reply.data.memberships as {
      room: string;
      unread: number;
    }[];
    assert.equal(memberships.length, ROOMS + 1);
    assert.ok(
      memberships.every((m) => m.room === "general" || m.unread === MAX_UNREAD),
    );
    // Before: the whole count in one piece, the other request after it.
    assert.deepEqual(order, ["visibility", "login"]);
  }, { rateLimits: NO_RATE_LIMITS }));

Deno.test("a message posted in a room while a login counts it comes after the login reply, and the reply's counts and the events add up to it once", () =>
  withClients(async (pool, server) => {
    // "quiet" is joined last, so counted last: after the message below.
    const token = await readerOfManyRooms(pool, server, ["quiet"]);
    const store = server.node.store;
    const heavy = await pool.connect();
    const other = await pool.guest("other");
    await other.ok("join_room", { room: "quiet" });
    // Sent as the login starts counting (see the test above).
    let sent: Promise<Frame> | undefined;
    const takeUndelivered = store.takeUndelivered.bind(store);
    store.takeUndelivered = (userKey) => {
      sent ??= other.request("send_message", { text: "meanwhile" });
      return takeUndelivered(userKey);
    };
    const reply = await heavy.request("login", { token });
    store.takeUndelivered = takeUndelivered;
    assert.ok(sent, "the login took no private messages");
    const message = (await sent).data.message as { seq: number };
    await heavy.event(
      "receive_message",
      (d) => d.text === "meanwhile",
    );
    const at = (f: (frame: Frame) => boolean) => heavy.received.findIndex(f);
    assert.ok(
      at((f) => f.id === reply.id) <
        at((f) => f.action === "receive_message"),
      "the message came before the login reply",
    );
    const quiet = (reply.data.memberships as {
      room: string;
      unread: number;
      last_seq: number;
    }[]).find((m) => m.room === "quiet")!;
    // A client counts an event only past the reply's last_seq (client
    // actions.ts messageCounted): the message is counted exactly once.
    const counted = quiet.unread +
      (message.seq > quiet.last_seq ? 1 : 0);
    assert.equal(counted, 1);
  }, { rateLimits: NO_RATE_LIMITS }));

Deno.test("events held for a login's reply count against --max-buffered-bytes: past it the connection is closed with 4008, as a reader that falls behind", () =>
  withClients(async (pool, server) => {
    const reader = await pool.register("reader");
    const token = reader.token!;
    await reader.close();
    const store = server.node.store;
    const heavy = await pool.connect();
    const other = await pool.guest("other");
    // While the login counts (its rooms joined, so their events held),
    // `general` gets 100 KB: more than the limit below. A login made slow
    // by a crowded turn queue and a busy room does the same, slower.
    const readStates = store.readStates.bind(store);
    let flooded = false;
    store.readStates = async (...args) => {
      if (!flooded) {
        flooded = true;
        for (let i = 0; i < 50; i++) {
          await other.ok("send_message", { text: `${i} ${"x".repeat(1990)}` });
        }
      }
      return await readStates(...args);
    };
    const outcome = await heavy.request("login", { token }).then(
      (reply) => reply.action,
      () => "closed",
    );
    store.readStates = readStates;
    assert.ok(flooded, "the login counted nothing");
    assert.equal(outcome, "closed");
    await heavy.closed;
    assert.equal(heavy.closeCode, 4008);
    // The rest of the server is untouched.
    await other.ok("send_message", { text: "after" });
  }, { rateLimits: NO_RATE_LIMITS, maxBufferedBytes: 65536 }));
