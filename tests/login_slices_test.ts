/**
 * A login counts the unread messages of its rooms in slices, turn by turn
 * with the other work of the node (server/turns.ts, node.ts enterRooms):
 * another connection's request is answered while it counts.
 */
import assert from "node:assert/strict";
import { type Frame, withClients } from "./harness.ts";
import { MAX_UNREAD } from "../server/store/mod.ts";
import { NO_RATE_LIMITS } from "../server/rate_limit.ts";

// Rooms of MAX_UNREAD unread each: a login many slices long (a slice counts
// about 4,000 index entries), so the answer to another request has many
// turns in which to pass it, however slow the machine.
const ROOMS = 60;

Deno.test("a login counting many rooms of unread messages lets another connection's request through before its reply", () =>
  withClients(async (pool, server) => {
    const reader = await pool.register("reader");
    const token = reader.token!;
    for (let i = 1; i <= ROOMS; i++) {
      await reader.ok("create_room", { room: `r${i}` });
    }
    await reader.close();
    // Written straight into the store, as if sent while the reader was away.
    const store = server.node.store;
    for (let i = 1; i <= ROOMS; i++) {
      await Promise.all(
        Array.from({ length: MAX_UNREAD }, (_, n) =>
          store.appendMessage({
            roomKey: `r${i}`,
            userKey: "writer",
            user: "writer",
            text: `m${n}`,
          })),
      );
    }
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
