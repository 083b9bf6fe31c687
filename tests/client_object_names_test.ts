/**
 * A room named like a property every JavaScript object inherits, in lower
 * case as the web client's name keys are (`constructor`; `__proto__` is
 * written through `put`): any account may make one and add anyone to it
 * (`invite` asks no consent). The web client keeps its rooms in objects
 * keyed by name; a lookup of such a name found the inherited property
 * (`Object` itself for `constructor`) where it meant "nothing yet", and the
 * first message of the room threw. Here the client's
 * own connection and state (client/connection/) run against a real server,
 * as the page runs them.
 */

import assert from "node:assert/strict";
import { Connection } from "../client/connection/mod.ts";
import type { Socket, SocketHandlers } from "../client/connection/transport.ts";
import { createAppState, entry } from "../client/state.ts";
import { authorRole } from "../client/ranks.ts";
import { postAsPage, TEST_PASSWORD, withClients } from "./harness.ts";
import { logTexts, until } from "./client_fake_server.ts";

/** The web client's socket, with the cookie a browser would send. */
function socketWith(cookie: string, origin: string) {
  return (url: string, handlers: SocketHandlers): Socket => {
    // Deno's WebSocket takes headers, which its types do not say.
    const socket = new WebSocket(
      url,
      { headers: { cookie, origin } } as unknown as string[],
    );
    socket.onopen = () => handlers.open();
    socket.onmessage = (event) => {
      if (typeof event.data === "string") handlers.message(event.data);
    };
    socket.onclose = (event) => handlers.close(event.code, event.reason);
    return {
      get open() {
        return socket.readyState === WebSocket.OPEN;
      },
      send: (text) => socket.send(text),
      close() {
        socket.onopen = null;
        socket.onmessage = null;
        socket.onclose = null;
        socket.close();
      },
    };
  };
}

for (const room of ["constructor"]) {
  Deno.test(`client: a room named ${room} counts its unread messages and the frames after them still show; the name ranks as a user; a rename moves nothing inherited`, () =>
    withClients(async (pool, server) => {
      const made = await postAsPage(server.url, "/api/register", {
        body: { username: "vera", password: TEST_PASSWORD },
      });
      const cookie = made.headers.get("set-cookie")!.split(";")[0];
      const mallory = await pool.register("mallory");
      await mallory.ok("create_room", { room, private: true });
      await mallory.ok("invite", { room, user: "vera" });
      await mallory.ok("send_message", { text: "while vera is away" });

      const state = createAppState();
      const connection = new Connection(state, {
        url: server.wsUrl,
        connect: socketWith(cookie, server.url),
        auth: {
          fetchSession: () =>
            Promise.resolve({
              ok: true,
              data: { username: "vera", role: "user" },
            }),
          postCredentials: () => Promise.reject(new Error("not used")),
          postLogout: () => Promise.resolve(true),
        },
      });
      try {
        connection.start();
        await until(
          () => Object.hasOwn(state.memberships.value, "general"),
          "vera logged in, looking at general",
        );
        assert.ok(Object.hasOwn(state.unread.value, room));
        assert.equal(state.unread.value[room], 1);
        await mallory.ok("send_message", { text: "live" });
        await mallory.ok("join_room", { room: "general" });
        await mallory.ok("send_message", { text: "after" });
        // Before, the live message threw in the client (the log of
        // `constructor` was `Object`), and every frame after it waited
        // behind it for good: nothing more ever showed.
        await until(
          () => logTexts(state, "general").some((t) => t.endsWith(":after")),
          "the message in general shows",
        );
        assert.equal(state.unread.value[room], 2);
        assert.equal(state.memberships.value[room]?.room, room);
        // A name every object has is no one's rank: before, `constructor`
        // had none (Object's own `role`), neither user nor staff.
        await until(() => state.staff.value !== null, "the ranks are read");
        assert.equal(authorRole(state, room), "user");
        // An admin (vera, the first account) renames the room: before,
        // each record with no entry for it moved Object itself to the new
        // name (the composer's draft of the room was a function).
        const admin = await pool.login({}, {
          headers: { cookie, origin: server.url },
        });
        await admin.ok("update_room", { room, name: "lounge" });
        await until(
          () => Object.hasOwn(state.memberships.value, "lounge"),
          "the room is renamed",
        );
        assert.equal(state.drafts.value.lounge, undefined);
        assert.equal(state.notifyLevels.value.lounge, undefined);
      } finally {
        connection.stop();
      }
    }));
}

Deno.test("client: the rooms a message may link to are the listed ones and the reader's own, never a private room it is not in", () =>
  withClients(async (pool, server) => {
    const made = await postAsPage(server.url, "/api/register", {
      body: { username: "vera", password: TEST_PASSWORD },
    });
    const cookie = made.headers.get("set-cookie")!.split(";")[0];
    const mallory = await pool.register("mallory");
    await mallory.ok("create_room", { room: "constructor", private: true });
    await mallory.ok("invite", { room: "constructor", user: "vera" });
    await mallory.ok("create_room", { room: "hideout", private: true });
    await mallory.ok("create_room", { room: "Lobby" });

    const state = createAppState();
    const connection = new Connection(state, {
      url: server.wsUrl,
      connect: socketWith(cookie, server.url),
      auth: {
        fetchSession: () =>
          Promise.resolve({
            ok: true,
            data: { username: "vera", role: "user" },
          }),
        postCredentials: () => Promise.reject(new Error("not used")),
        postLogout: () => Promise.resolve(true),
      },
    });
    try {
      connection.start();
      await until(
        () => entry(state.knownRooms.value, "lobby") !== undefined,
        "vera sees the room list",
      );
      const known = () => ({ ...state.knownRooms.value });
      assert.deepEqual(known(), {
        general: "general",
        constructor: "constructor",
        lobby: "Lobby",
      });
      assert.equal(entry(state.knownRooms.value, "tostring"), undefined);
      // Removed from the private room, vera no longer knows it.
      await mallory.ok("remove_member", { room: "constructor", user: "vera" });
      await until(
        () => entry(state.knownRooms.value, "constructor") === undefined,
        "the private room is forgotten",
      );
      assert.deepEqual(known(), { general: "general", lobby: "Lobby" });
    } finally {
      connection.stop();
    }
  }));
