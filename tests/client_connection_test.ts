/**
 * The web client's connection (client/connection/) under plain `deno test`,
 * against a scripted in-process server (tests/client_fake_server.ts) and a
 * fake clock: reconnect and backoff, resume and catch-up by seq, the outbox,
 * the order of a batched frame, the session cookie, and the sentences the
 * user reads when something fails.
 */

import assert from "node:assert/strict";
import {
  CLOSE_REMOVED,
  CLOSE_SESSION_ENDED,
} from "../server/protocol/close_codes.ts";
import { GENERAL_ROOM } from "../server/protocol/types.ts";
import { backoffBound, openWebSocket } from "../client/connection/transport.ts";
import { Transport } from "../client/connection/transport.ts";
import type { ChatMessage, Envelope } from "../server/protocol/types.ts";
import type { ConnectionOptions, Result } from "../client/connection/mod.ts";
import type { Fields } from "../client/wire.ts";
import { systemClock } from "../client/clock.ts";
import { lang } from "../client/i18n.ts";
import { noticeText } from "../client/system_text.ts";
import * as actions from "../client/actions.ts";
import { lastSeq } from "../client/room_log.ts";
import {
  DRAFT_SEND_MS,
  type PendingDrafts,
} from "../client/connection/drafts.ts";

/** A draft's time; the client keeps no clock of them. */
const ISO_NOW = "2026-12-05T14:00:00.000Z";
import {
  backOnline,
  enterRoom,
  loginAsAccount,
  loginAsGuest,
  loginReply,
  logTexts,
  membership,
  privateMessage,
  type Rig,
  rig,
  roomMessage,
  settle,
  until,
} from "./client_fake_server.ts";

/** Drops the socket, lets the backoff run out, and accepts the next socket. */
async function reconnect(r: Rig): Promise<void> {
  r.server.socket.drop();
  await backOnline(r);
}

/** Answers a resume in general with nothing missed, up to the member list. */
async function resumeInGeneral(r: Rig, name = "ida"): Promise<void> {
  const { server } = r;
  server.reply(await server.next("login"), loginReply(name));
  const page = await server.next("history");
  server.reply(page, { room: GENERAL_ROOM, messages: [] });
}

/** Pushes a `system` event: the server telling what happened in a room. */
function system(r: Rig, data: Record<string, unknown>): void {
  r.server.socket.push({ action: "system", data });
}

/** The texts of general's notices, as the user reads them. */
function notices(r: Rig): string[] {
  return (r.state.logs.value.general?.notices ?? []).map((n) => n.text);
}

/**
 * Registers a test of the connection on a fresh rig (with `options`, see
 * {@linkcode rig}), stopped after it, pass or fail, with the page's
 * language set back to English for the tests after it.
 */
function test(
  name: string,
  body: (r: Rig) => Promise<void>,
  options?: ConnectionOptions,
): void {
  Deno.test(name, async () => {
    const r = rig(options);
    try {
      await body(r);
    } finally {
      lang.value = "en";
      await r.stop();
    }
  });
}

test(
  "connection waits a full-jitter backoff before each reconnect, doubling up to its cap",
  async (r) => {
    await loginAsGuest(r, "ida");
    r.server.socket.drop();
    // Jitter 0.5: each wait is half its bound.
    assert.deepEqual(r.state.status.value, {
      kind: "offline",
      retryAt: r.clock.now() + 250,
    });
    assert.equal(r.state.resuming.value, true, "the banner says reconnecting");
    r.clock.advance(249);
    assert.equal(r.server.sockets.length, 1, "no attempt before the wait");
    r.clock.advance(1);
    assert.equal(r.server.sockets.length, 2);
    assert.deepEqual(r.state.status.value, { kind: "connecting" });
    const waits: number[] = [];
    for (let i = 0; i < 4; i++) {
      r.server.socket.drop(); // the upgrade fails
      waits.push(r.clock.pending[0]);
      r.clock.advance(r.clock.pending[0]);
    }
    assert.deepEqual(waits, [500, 1000, 2000, 2000]);
    r.server.socket.accept();
    await resumeInGeneral(r);
    r.server.reply(await r.server.next("list_users"), { users: ["ida"] });
    await until(() => r.state.status.value.kind === "online", "online");
    assert.equal(r.state.resuming.value, false);
    // A resumed session starts the backoff again from the shortest wait.
    r.server.socket.drop();
    assert.deepEqual(r.clock.pending, [250]);
  },
  { baseDelayMs: 500, maxDelayMs: 4000 },
);

test(
  "connection reconnects at once when asked, without waiting out the backoff",
  async (r) => {
    await loginAsGuest(r, "ida");
    r.server.socket.drop();
    assert.equal(r.clock.pending.length, 1);
    r.connection.reconnectNow();
    assert.equal(r.server.sockets.length, 2);
    assert.deepEqual(r.clock.pending, [], "the scheduled attempt is gone");
    // Not offline any more: asking again opens nothing.
    r.connection.reconnectNow();
    assert.equal(r.server.sockets.length, 2);
  },
  { baseDelayMs: 10_000 },
);

Deno.test("backoff bounds double from the base delay and stop at the cap", () => {
  const options = { baseDelayMs: 500, maxDelayMs: 15_000 };
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5, 6, 20].map((n) => backoffBound(n, options)),
    [500, 1000, 2000, 4000, 8000, 15_000, 15_000, 15_000],
  );
});

test("connection resumes a guest by name, rejoins its room and fetches what it missed by after_seq", async (r) => {
  const { server, state } = r;
  await loginAsGuest(r, "ida");
  const dev = (seq: number) => roomMessage(seq, { room: "dev" });
  await enterRoom(r, "#dev", [dev(1), dev(2), dev(3)]);

  await reconnect(r);
  assert.equal(state.resuming.value, true);
  const login = await server.next("login");
  assert.deepEqual(login.data, {
    username: "ida",
    room_changes: true,
    room_list_in_reply: true,
  });
  server.reply(login, loginReply("ida"));
  const rejoin = await server.next("join_room");
  assert.deepEqual(rejoin.data, { room: "dev" });
  // The join brings the newest messages, with a gap after what is held.
  server.reply(rejoin, { room: "dev", history: [dev(10), dev(11)] });
  const page = await server.next("history");
  assert.deepEqual(page.data, { room: "dev", after_seq: 3, limit: 200 });
  server.reply(page, {
    room: "dev",
    messages: [4, 5, 6, 7, 8, 9, 10, 11].map(dev),
  });
  server.reply(await server.next("list_users"), { users: ["ida"] });
  await until(() => state.status.value.kind === "online", "online");
  assert.equal(state.resuming.value, false);
  assert.equal(state.currentRoom.value, "dev");
  assert.deepEqual(
    state.logs.value.dev.messages.map((m) => m.seq),
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
  );
});

test("connection drops a room's old messages when its epoch changed: the room was created again", async (r) => {
  const { server, state } = r;
  await loginAsGuest(r, "ida");
  const dev = (seq: number, text = `m${seq}`) =>
    roomMessage(seq, { room: "dev", text });
  const joined = r.connection.joinRoom("#dev");
  const join = await server.next("join_room");
  server.reply(join, {
    room: "dev",
    epoch: "e1",
    history: [1, 2, 3].map((n) => dev(n)),
  });
  server.reply(await server.next("list_users"), { users: ["ida"] });
  assert.equal(await joined, null);

  await reconnect(r);
  server.reply(await server.next("login"), loginReply("ida"));
  const rejoin = await server.next("join_room");
  server.reply(rejoin, {
    room: "dev",
    epoch: "e2",
    history: [dev(1, "new one"), dev(2, "new two")],
  });
  server.reply(await server.next("list_users"), { users: ["ida"] });
  await until(() => state.status.value.kind === "online", "online");
  assert.deepEqual(
    state.logs.value.dev.messages.map((m) => m.text),
    ["new one", "new two"],
  );
});

test("connection resumes with the room's epoch and starts the room afresh on stale_epoch", async (r) => {
  const { server, state } = r;
  const gen = (seq: number, text = `m${seq}`) => roomMessage(seq, { text });
  r.connection.start();
  (await server.socketCount(1)).accept();
  const done = r.connection.login("ida");
  server.reply(await server.next("login"), loginReply("ida"));
  server.reply(await server.next("history"), {
    room: GENERAL_ROOM,
    epoch: "e1",
    messages: [1, 2, 3, 4, 5].map((n) => gen(n)),
  });
  server.reply(await server.next("list_users"), { users: ["ida"] });
  await done;
  await reconnect(r);
  server.reply(await server.next("login"), loginReply("ida"));
  const resume = await server.next("history");
  assert.deepEqual(resume.data, {
    room: GENERAL_ROOM,
    after_seq: 5,
    limit: 200,
    epoch: "e1",
  });
  server.refuse(resume, "stale_epoch", "general is not the room you saw.");
  const fresh = await server.next("history");
  assert.deepEqual(fresh.data, { room: GENERAL_ROOM, limit: 50 });
  server.reply(fresh, {
    room: GENERAL_ROOM,
    epoch: "e2",
    messages: [gen(1, "restored")],
  });
  server.reply(await server.next("list_users"), { users: ["ida"] });
  await until(() => state.status.value.kind === "online", "online");
  assert.deepEqual(
    state.logs.value.general.messages.map((m) => m.text),
    ["restored"],
  );
});

test("connection catches up page by page until a page comes back short", async (r) => {
  const { server, state } = r;
  await loginAsGuest(r, "ida", [roomMessage(1)]);
  await reconnect(r);
  server.reply(await server.next("login"), loginReply("ida"));
  const first = await server.next("history");
  assert.deepEqual(first.data, { room: "general", after_seq: 1, limit: 200 });
  const full = Array.from({ length: 200 }, (_, i) => roomMessage(i + 2));
  server.reply(first, { room: "general", messages: full });
  const second = await server.next("history");
  assert.deepEqual(second.data, {
    room: "general",
    after_seq: 201,
    limit: 200,
  });
  server.reply(second, {
    room: "general",
    messages: [roomMessage(202), roomMessage(203)],
  });
  // A short page: caught up; the member list comes next.
  server.reply(await server.next("list_users"), { users: ["ida"] });
  await until(() => state.status.value.kind === "online", "online");
  assert.equal(state.logs.value.general.messages.at(-1)?.seq, 203);
});

test("connection fills a gap a live message reveals, by seq", async (r) => {
  const { server, state } = r;
  await loginAsGuest(r, "ida", [roomMessage(1), roomMessage(2)]);
  server.socket.push({ action: "receive_message", data: roomMessage(5) });
  const page = await server.next("history");
  assert.deepEqual(page.data, { room: "general", after_seq: 2, limit: 2 });
  server.reply(page, {
    room: "general",
    messages: [roomMessage(3), roomMessage(4)],
  });
  await until(
    () => state.logs.value.general.messages.length === 5,
    "the gap is filled",
  );
  assert.deepEqual(logTexts(state, "general"), [
    "1:message 1",
    "2:message 2",
    "3:message 3",
    "4:message 4",
    "5:message 5",
  ]);
});

test("connection sends a message typed offline once the session is back, by its client_id", async (r) => {
  const { server, state } = r;
  await loginAsGuest(r, "ida", [roomMessage(1)]);
  server.socket.drop();
  r.connection.sendMessage("written offline");
  const [pending] = state.logs.value.general.pending;
  assert.equal(pending.status, "pending");
  assert.deepEqual(server.waiting, [], "nothing goes out while offline");

  await backOnline(r);
  server.reply(await server.next("login"), loginReply("ida"));
  server.reply(await server.next("history"), {
    room: "general",
    messages: [],
  });
  const send = await server.next("send_message");
  assert.deepEqual(send.data, {
    text: "written offline",
    client_id: pending.clientId,
  });
  const stored = roomMessage(2, {
    user: "ida",
    text: "written offline",
    client_id: pending.clientId,
  });
  // The server's reply and its event come in one frame.
  server.reply(send, { message: stored }, {
    action: "receive_message",
    data: stored,
  });
  server.reply(await server.next("list_users"), { users: ["ida"] });
  await settle();
  assert.deepEqual(logTexts(state, "general"), [
    "1:message 1",
    "2:written offline",
  ]);
  assert.deepEqual(state.logs.value.general.pending, []);
  assert.deepEqual(server.waiting, [], "sent once");
});

test("connection says under a sent message the accounts it mentions outside the room (the reply's not_members), with them to invite, in the chosen language", async (r) => {
  const { server, state } = r;
  await loginAsGuest(r, "ida", [roomMessage(1)]);
  for (
    const [text, outside] of [["@bob @carol look", ["bob", "carol"]], [
      "@dan too",
      ["dan"],
    ], ["nobody named", undefined]] as const
  ) {
    r.connection.sendMessage(text);
    const send = await server.next("send_message");
    const stored = roomMessage(state.logs.value.general.messages.length + 1, {
      user: "ida",
      text,
      client_id: send.data.client_id as string,
    });
    server.reply(
      send,
      outside ? { message: stored, not_members: outside } : { message: stored },
    );
    await settle();
  }
  const lines = state.logs.value.general.notices;
  assert.deepEqual(lines.map((line) => [line.afterSeq, line.invite]), [
    [2, { room: "general", users: ["bob", "carol"] }],
    [3, { room: "general", users: ["dan"] }],
  ]);
  assert.deepEqual(lines.map(noticeText), [
    "bob, carol are not in #general and were not notified.",
    "dan is not in #general and was not notified.",
  ]);
  lang.value = "fr";
  assert.deepEqual(lines.map(noticeText), [
    "bob, carol ne sont pas dans #general et n'ont pas été notifiés.",
    "dan n'est pas dans #general et n'a pas été notifié.",
  ]);
});

test("connection does not post a message twice when the catch-up shows the server stored it", async (r) => {
  const { server, state } = r;
  await loginAsGuest(r, "ida", [roomMessage(1)]);
  r.connection.sendMessage("hello");
  const send = await server.next("send_message");
  // The connection drops before the reply: the message stays pending.
  server.socket.drop();
  await settle();
  assert.equal(state.logs.value.general.pending[0].status, "pending");

  await backOnline(r);
  server.reply(await server.next("login"), loginReply("ida"));
  server.reply(await server.next("history"), {
    room: "general",
    messages: [
      roomMessage(2, {
        user: "ida",
        text: "hello",
        client_id: send.data.client_id as string,
      }),
    ],
  });
  // Straight to the member list: nothing left to send.
  server.reply(await server.next("list_users"), { users: ["ida"] });
  await settle();
  assert.deepEqual(state.logs.value.general.pending, []);
  assert.deepEqual(logTexts(state, "general"), ["1:message 1", "2:hello"]);
  assert.deepEqual(server.waiting, []);
});

test("connection sends a message again with the same client_id when its reply was lost", async (r) => {
  const { server } = r;
  await loginAsGuest(r, "ida");
  r.connection.sendPrivate("@bob", "are you there?");
  const first = await server.next("private_message");
  server.socket.drop();
  await settle();
  await backOnline(r);
  await resumeInGeneral(r);
  const again = await server.next("private_message");
  assert.deepEqual(again.data, first.data);
  assert.deepEqual(again.data, {
    to: "bob",
    text: "are you there?",
    client_id: first.data.client_id,
  });
});

test("connection fails a room message written offline in a room it is no longer in", async (r) => {
  const { server, state } = r;
  await loginAsGuest(r, "ida");
  await enterRoom(r, "dev");
  server.socket.drop();
  r.connection.sendMessage("for dev");
  await backOnline(r);
  server.reply(await server.next("login"), loginReply("ida"));
  server.refuse(
    await server.next("join_room"),
    "banned",
    "You are banned from #dev.",
  );
  server.reply(await server.next("history"), {
    room: "general",
    messages: [],
  });
  server.reply(await server.next("list_users"), { users: ["ida"] });
  await settle();
  assert.equal(state.currentRoom.value, "general");
  const [failed] = state.logs.value.dev.pending;
  assert.equal(failed.status, "failed");
  assert.equal(failed.error?.(), "you are no longer in #dev.");
  assert.deepEqual(
    state.logs.value.general.notices.map((n) => n.text),
    ["Could not rejoin #dev: You are banned from #dev."],
  );
});

test("connection runs a reply's requester before the events batched behind it", async (r) => {
  const { server, state } = r;
  await loginAsGuest(r, "ida");
  const seen: string[] = [];
  const rooms = () => state.rooms.value.map((room) => room.name).join(",");
  const first = r.connection.request("list_rooms").then(() =>
    seen.push(`first saw ${rooms()}`)
  );
  const second = r.connection.request("list_rooms").then(() =>
    seen.push(`second saw ${rooms()}`)
  );
  const a = await server.next("list_rooms");
  const b = await server.next("list_rooms");
  const list = (...names: string[]) => ({
    action: "room_list",
    data: { rooms: names.map((name) => ({ name, users: 1 })) },
  });
  // One frame: reply, event, reply, event.
  server.socket.push(
    { action: "success", id: a.id, data: { rooms: [] } },
    list("general", "dev"),
    { action: "success", id: b.id, data: { rooms: [] } },
    list("general", "dev", "ops"),
  );
  await Promise.all([first, second]);
  await until(() => rooms() === "general,dev,ops", "the last event");
  assert.deepEqual(seen, ["first saw general", "second saw general,dev"]);
});

test("connection asks for room_changes and applies them to the whole list it got first", async (r) => {
  const { server, state } = r;
  await loginAsGuest(r, "ida");
  const rooms = () =>
    state.rooms.value.map((room) => `${room.name}:${room.users}`).join(",");
  server.socket.push({
    action: "room_list",
    data: {
      rooms: [
        { name: "general", users: 2 },
        { name: "dev", users: 0 },
        { name: "ops", users: 3 },
      ],
    },
  });
  await until(() => rooms() === "general:2,dev:0,ops:3", "the whole list");
  server.socket.push({
    action: "room_changes",
    data: {
      rooms: [{ name: "dev", users: 1 }, { name: "qa", users: 1 }],
      removed: ["ops"],
    },
  });
  await until(() => rooms() === "general:2,dev:1,qa:1", "the changes");
  server.socket.push({
    action: "room_changes",
    data: { rooms: [{ name: "general", users: 1 }], removed: [] },
  });
  await until(() => rooms() === "general:1,dev:1,qa:1", "one change");
});

test("connection keeps an edit that came behind the gap-filling page read before it", async (r) => {
  const { server, state } = r;
  await loginAsGuest(r, "ida", [roomMessage(1)]);
  server.socket.push({ action: "receive_message", data: roomMessage(3) });
  const page = await server.next("history");
  const edited = roomMessage(2, {
    text: "edited",
    edited_at: "2026-12-01T12:00:00.000Z",
  });
  server.reply(page, { room: "general", messages: [roomMessage(2)] }, {
    action: "message_updated",
    data: edited,
  });
  await until(
    () => logTexts(state, "general")[1] === "2:edited",
    "the edit shows",
  );
  await settle();
  assert.deepEqual(logTexts(state, "general"), [
    "1:message 1",
    "2:edited",
    "3:message 3",
  ]);
});

test("connection holds a page's @here as the reader's mention only where its here_mentioned lists it, through a reaction too; an edit or a message heard live is one", async (r) => {
  const { connection, server, state } = r;
  connection.start();
  (await server.socketCount(1)).accept();
  const done = connection.login("ida");
  server.reply(await server.next("login"), loginReply("ida"));
  const here = { here_mention: true };
  server.reply(await server.next("history"), {
    room: "general",
    messages: [
      roomMessage(1, { text: "@here one", ...here }),
      roomMessage(2, { text: "@here two", ...here }),
      roomMessage(3),
    ],
    here_mentioned: [2],
  });
  server.reply(await server.next("list_users"), { users: ["ida"] });
  await done;
  await settle();
  const heard = () =>
    state.logs.value.general.messages.filter((m) => m.here_mention === true)
      .map((m) => m.seq);
  assert.deepEqual(heard(), [2], "ida was offline when the first was sent");
  const reactions = [{ emoji: "👍", count: 1, users: ["bob"] }];
  server.socket.push({
    action: "message_updated",
    data: roomMessage(1, { text: "@here one", ...here, version: 1, reactions }),
  });
  await until(
    () => state.logs.value.general.messages[0].reactions !== undefined,
    "the reaction shows",
  );
  assert.deepEqual(heard(), [2], "a reaction pings nobody");
  server.socket.push({
    action: "message_updated",
    data: roomMessage(1, {
      text: "@here one, again",
      ...here,
      version: 2,
      edited_at: "2026-12-01T12:00:00.000Z",
    }),
  });
  await until(() => heard().includes(1), "the edit pinged those online");
  server.socket.push({
    action: "receive_message",
    data: roomMessage(4, { text: "@here four", ...here }),
  });
  await until(() => heard().includes(4), "heard live");
  assert.deepEqual(heard(), [1, 2, 4]);
});

test("connection logs in with the session cookie after a reload, and resumes with it", async (r) => {
  const { server, state, auth } = r;
  auth.session = { username: "Ida", role: "user" };
  r.connection.start();
  (await server.socketCount(1)).accept();
  const login = await server.next("login");
  assert.deepEqual(
    login.data,
    { room_changes: true, room_list_in_reply: true },
    "the cookie logs in, not a name",
  );
  server.reply(login, loginReply("Ida"));
  server.reply(await server.next("history"), {
    room: "general",
    messages: [],
  });
  server.reply(await server.next("list_users"), { users: ["Ida"] });
  await until(() => state.username.value === "Ida", "logged in");
  assert.equal(state.account.value, true);
  assert.equal(state.sessionCheck.value, false);

  await reconnect(r);
  const again = await server.next("login");
  assert.deepEqual(
    again.data,
    { room_changes: true, room_list_in_reply: true },
    "an account resumes with the cookie",
  );
});

test("connection says the session ended when the server refuses the cookie", async (r) => {
  const { server, state, auth } = r;
  auth.session = { username: "ida", role: "user" };
  r.connection.start();
  (await server.socketCount(1)).accept();
  server.refuse(await server.next("login"), "bad_credentials", "No.");
  await until(() => state.loginError.value !== null, "an error");
  assert.equal(
    state.loginError.value?.(),
    "Your session has ended. Sign in again.",
  );
});

test("connection shows the login form quietly when it could only probe for a session", async (r) => {
  const { server, state, auth } = r;
  auth.session = "offline";
  r.connection.start();
  (await server.socketCount(1)).accept();
  server.refuse(await server.next("login"), "bad_credentials", "No.");
  await until(() => !state.sessionCheck.value, "the form shows");
  assert.equal(state.loginError.value, null);
});

test("connection signs in over HTTP, then logs in on a fresh socket that carries the cookie", async (r) => {
  const { server, state, auth } = r;
  r.connection.start();
  (await server.socketCount(1)).accept();
  await r.connection.signIn("signin", {
    username: " ida ",
    password: "wrong",
  });
  assert.equal(state.loginError.value?.(), "Wrong username or password.");
  await r.connection.signIn("register", {
    username: "ida",
    password: "short",
  });
  assert.equal(
    state.loginError.value?.(),
    "A password needs at least 8 characters.",
  );
  assert.deepEqual(auth.calls, ["session", "signin ida"]);

  await r.connection.signIn("signin", {
    username: "ida",
    password: "correct horse",
  });
  assert.equal(server.sockets[0].closedByClient, true);
  (await server.socketCount(2)).accept();
  const login = await server.next("login");
  assert.deepEqual(login.data, {
    room_changes: true,
    room_list_in_reply: true,
  });
  server.reply(login, loginReply("ida"));
  server.reply(await server.next("history"), {
    room: "general",
    messages: [],
  });
  server.reply(await server.next("list_users"), { users: ["ida"] });
  await until(() => state.account.value, "signed in");
});

test("connection keeps a guest's name and tries again later when the re-login is refused for now", async (r) => {
  const { server, state } = r;
  await loginAsGuest(r, "ida");
  await reconnect(r);
  // The server has not noticed the old socket died yet.
  server.refuse(await server.next("login"), "username_taken", "Taken.");
  await until(
    () => server.sockets[1].closedByClient,
    "the socket is dropped",
  );
  assert.equal(state.username.value, "ida");
  assert.deepEqual(state.status.value, {
    kind: "offline",
    retryAt: r.clock.now() + 500,
  });
  r.clock.advance(500);
  (await server.socketCount(3)).accept();
  await resumeInGeneral(r);
  server.reply(await server.next("list_users"), { users: ["ida"] });
  await until(() => state.status.value.kind === "online", "online");
});

test("connection returns to the login form when the re-login is refused for good", async (r) => {
  const { server, state } = r;
  await loginAsGuest(r, "ida");
  await reconnect(r);
  server.refuse(await server.next("login"), "banned", "You are banned.");
  await until(() => state.username.value === null, "logged out");
  assert.equal(
    state.loginError.value?.(),
    "Could not log in again: You are banned.",
  );
  assert.deepEqual(state.status.value, { kind: "online" });
});

test("connection ends the session for good when a moderator kicks, with the kick's text", async (r) => {
  const { server, state } = r;
  await loginAsGuest(r, "ida");
  system(r, {
    room: "general",
    kind: "kicked",
    user: "ida",
    text: "ida was kicked by mod: spam",
  });
  server.socket.drop(CLOSE_REMOVED, "kicked");
  assert.equal(state.removal.value?.(), "ida was kicked by mod: spam");
  assert.equal(state.username.value, null);
  assert.deepEqual(state.status.value, { kind: "idle" });
  assert.deepEqual(r.clock.pending, [], "no reconnect");
});

test("connection returns to the login form on a fresh socket when its session ends elsewhere (4004)", async (r) => {
  const { server, state } = r;
  await loginAsAccount(r, "Ida");

  // A logout in another tab: the server closes this tab's socket.
  server.socket.drop(CLOSE_SESSION_ENDED, "Logged out");
  assert.equal(state.username.value, null);
  assert.equal(
    state.loginError.value?.(),
    "Your session has ended. Sign in again.",
  );
  assert.deepEqual(r.clock.pending, [], "no reconnect with the old session");
  // A fresh socket for the login form, which logs nothing in by itself.
  (await server.socketCount(2)).accept();
  await settle();
  assert.deepEqual(server.waiting, [], "nothing was sent");
});

test("connection shows the login screen after a logout only once the server has ended the session", async (r) => {
  const { server, state, auth } = r;
  await loginAsAccount(r, "Ida");

  const answer = Promise.withResolvers<void>();
  auth.logoutAnswered = answer.promise;
  const loggedOut = r.connection.logout();
  await settle();
  assert.deepEqual(auth.calls.at(-1), "logout");
  assert.equal(state.username.value, "Ida", "logged out before the server");
  assert.equal(server.sockets[0].closedByClient, true, "the socket is gone");
  answer.resolve();
  await loggedOut;
  assert.equal(state.username.value, null);
  assert.equal(auth.session, null);
  // A fresh socket for the login form, opened after the cookie is gone.
  (await server.socketCount(2)).accept();
  await settle();
  assert.deepEqual(server.waiting, [], "nothing was sent");
});

test("connection stays signed in, and says so, when its logout gets no answer", async (r) => {
  const { server, state, auth } = r;
  await loginAsAccount(r, "Ida");

  // No network, or the server down: the HttpOnly cookie is still there
  // and still logs in, so no login screen tells Ida she is out.
  auth.logoutUnanswered = true;
  await r.connection.logout();
  assert.equal(state.username.value, "Ida", "no login screen");
  assert.deepEqual(auth.session, { username: "Ida", role: "user" });
  // Back in with the cookie on a fresh socket, then told.
  (await server.socketCount(2)).accept();
  server.reply(await server.next("login"), {
    ...loginReply("Ida", { rooms: [{ name: "general", users: 1 }] }),
    memberships: [membership("general")],
  });
  server.reply(await server.next("history"), {
    room: "general",
    messages: [],
  });
  await until(
    () =>
      state.logs.value.general?.notices.some((n) =>
        n.text.startsWith("You are still signed in")
      ) === true,
    "the failed logout is told",
  );
  assert.equal(state.username.value, "Ida");

  // Once the server answers, the logout goes through.
  auth.logoutUnanswered = false;
  await r.connection.logout();
  assert.equal(state.username.value, null);
  assert.equal(auth.session, null);
});

test("connection shows the login screen when a logout whose answer was lost went through", async (r) => {
  const { server, state, auth } = r;
  await loginAsAccount(r, "Ida");
  // The server ended the session, but its answer never came (timed out).
  auth.logoutUnanswered = true;
  await r.connection.logout();
  (await server.socketCount(2)).accept();
  server.refuse(
    await server.next("login"),
    "bad_credentials",
    "Session expired.",
  );
  await until(() => state.username.value === null, "the login screen");
  assert.equal(state.loginError.value, null);
});

test("connection follows the server to general when the room it is in is deleted", async (r) => {
  const { server, state } = r;
  await loginAsGuest(r, "ida");
  await enterRoom(r, "dev");
  system(r, { room: "dev", kind: "deleted", text: "#dev was deleted by mod" });
  assert.equal(state.currentRoom.value, "general");
  server.reply(await server.next("list_users"), { users: ["ida"] });
  server.reply(await server.next("history"), {
    room: "general",
    messages: [],
  });
  await until(
    () => (state.logs.value.general?.notices.length ?? 0) > 0,
    "the notice",
  );
  assert.deepEqual(
    state.logs.value.general.notices.map((n) => [n.kind, n.text]),
    [["warning", "You were moved to #general: #dev was deleted by mod"]],
  );
});

test("connection says in French who deleted the room it was in when it follows the server to general", async (r) => {
  const { server, state } = r;
  await loginAsGuest(r, "ida");
  await enterRoom(r, "dev");
  lang.value = "fr";
  system(r, {
    room: "dev",
    kind: "deleted",
    by: "mod",
    text: "mod deleted dev",
  });
  server.reply(await server.next("list_users"), { users: ["ida"] });
  server.reply(await server.next("history"), {
    room: "general",
    messages: [],
  });
  await until(
    () => (state.logs.value.general?.notices.length ?? 0) > 0,
    "the notice",
  );
  assert.deepEqual(
    state.logs.value.general.notices.map((n) => n.text),
    ["Vous avez été déplacé dans #general : mod a supprimé dev"],
  );
});

test("connection says a new role, who gave it, and a ban's moderator and reason in the chosen language", async (r) => {
  const { state } = r;
  await loginAsGuest(r, "ida");
  lang.value = "fr";
  system(r, {
    room: "general",
    kind: "info",
    user: "ida",
    role: "moderator",
    by: "root",
    text: "root made you moderator",
  });
  system(r, {
    room: "general",
    kind: "info",
    user: "ida",
    role: "admin",
    text: "the server made you admin",
  });
  system(r, {
    room: "general",
    kind: "banned",
    user: "tom",
    by: "ida",
    reason: "insultes",
    text: "tom was banned by ida: insultes",
  });
  system(r, {
    room: "general",
    kind: "kicked",
    user: "zoe",
    by: "root",
    account_deleted: true,
    text: "zoe's account was deleted by root",
  });
  // Without the fields its sentence needs, the server's text stays.
  system(r, {
    room: "general",
    kind: "kicked",
    user: "max",
    text: "max was kicked by mod",
  });
  lang.value = "en";
  system(r, {
    room: "general",
    kind: "info",
    user: "ida",
    role: "user",
    by: "root",
    text: "root made you user",
  });
  await until(() => notices(r).length === 6, "six notices");
  assert.deepEqual(notices(r), [
    "root vous a nommé modérateur",
    "Le serveur vous a nommé admin",
    "tom a été banni par ida : insultes",
    "Le compte de zoe a été supprimé par root",
    "max was kicked by mod",
    "root made you user",
  ]);
  assert.equal(state.role.value, "user");
});

test("connection ends the session with a French kick notice on a French page", async (r) => {
  const { server, state } = r;
  await loginAsGuest(r, "ida");
  lang.value = "fr";
  system(r, {
    room: "general",
    kind: "kicked",
    user: "ida",
    by: "mod",
    reason: "spam",
    scope: "server",
    text: "ida was kicked by mod: spam",
  });
  server.socket.drop(CLOSE_REMOVED, "kicked");
  assert.equal(state.removal.value?.(), "ida a été expulsé par mod : spam");
  // Said again in the language chosen on the login screen.
  lang.value = "en";
  assert.equal(state.removal.value?.(), "ida was kicked by mod: spam");
});

test("connection counts and announces a private message from someone else", async (r) => {
  const { server, state } = r;
  await loginAsGuest(r, "ida");
  server.socket.push({
    action: "private_message",
    data: privateMessage(1, { text: "hi @ida" }),
  });
  assert.deepEqual(logTexts(state, "@bob"), ["1:hi @ida"]);
  assert.equal(state.unread.value["@bob"], 1);
  assert.equal(state.mentions.value["@bob"], 1);
  assert.deepEqual(
    r.incoming.map((i) => [i.key, i.dm, i.mention, i.body]),
    [["@bob", true, true, "hi @ida"]],
  );
});

const heard: string[] = [];
test(
  "connection goes on with the frames after one whose handling threw (a notification the browser refused)",
  async (r) => {
    const { server, state } = r;
    await loginAsGuest(r, "ida");
    // As a browser does with an error thrown out of a socket's onmessage:
    // reported, and the next frame comes all the same.
    const deliver = (...objects: unknown[]) => {
      try {
        server.socket.push(...objects);
      } catch (error) {
        console.error("uncaught:", error);
      }
    };
    const joined = {
      action: "system",
      data: {
        room: "general",
        kind: "joined",
        user: "lea",
        text: "lea joined general",
      },
    };
    const message = (seq: number) => ({
      action: "receive_message",
      data: roomMessage(seq),
    });
    deliver(joined, message(1));
    deliver(message(2));
    deliver(message(3));
    // Before, the throw left its frame's objects in the inbox, handled
    // again at the next frame: lea joined twice.
    assert.deepEqual(notices(r), ["lea joined general"]);
    assert.deepEqual(logTexts(state, "general"), [
      "1:message 1",
      "2:message 2",
      "3:message 3",
    ]);
    assert.deepEqual(heard, ["message 2", "message 3"]);
  },
  {
    onIncoming: (incoming) => {
      if (incoming.body === "message 1") {
        throw new Error("Notification: permission denied");
      }
      heard.push(incoming.body);
    },
  },
);

test("connection reads a message's words, not its markdown, aloud and in its notification", async (r) => {
  const { server, state } = r;
  await loginAsGuest(r, "ida");
  server.socket.push({
    action: "receive_message",
    data: roomMessage(1, {
      text: "**Rules**: be *kind*, no `spam`",
    }),
  });
  await until(
    () => state.announcement.value === "bob: Rules: be kind, no spam",
    "announced without stars",
  );
  assert.deepEqual(r.incoming.map((i) => i.body), [
    "Rules: be kind, no spam",
  ]);
});

test("connection says a room's joins, leaves, pins (one's own as such, as the server says) and renames in the chosen language", async (r) => {
  await loginAsGuest(r, "ida", [
    roomMessage(1, { user: "mme_martin", text: "Règles" }),
  ]);
  lang.value = "fr";
  system(r, {
    room: "general",
    kind: "joined",
    user: "lea",
    text: "lea joined general",
  });
  system(r, {
    room: "general",
    kind: "pinned",
    user: "bob",
    id: "m1",
    text: "bob pinned a message by mme_martin",
  });
  system(r, {
    room: "general",
    kind: "unpinned",
    user: "bob",
    id: "m0",
    text: "bob unpinned a message by tom",
  });
  system(r, {
    room: "general",
    kind: "pinned",
    user: "mme_martin",
    id: "m1",
    text: "mme_martin pinned their own message",
    own: true,
  });
  // A hook's post under mme_martin's name: not her own, the server says
  // (no `own`), though the names match.
  system(r, {
    room: "general",
    kind: "unpinned",
    user: "mme_martin",
    id: "m1",
    text: "mme_martin unpinned a message by mme_martin",
  });
  system(r, {
    room: "general",
    kind: "left",
    user: "lea",
    text: "lea left general",
  });
  system(r, {
    room: "cm2",
    kind: "renamed",
    user: "mme_martin",
    from: "cm1",
    text: "mme_martin renamed cm1 to cm2",
  });
  // A kick names its moderator only in the server's sentence: kept.
  system(r, {
    room: "general",
    kind: "kicked",
    user: "tom",
    text: "tom was kicked by bob",
  });
  await until(() => notices(r).length === 8, "eight notices");
  assert.deepEqual(notices(r), [
    "lea a rejoint general",
    "bob a épinglé un message de mme_martin",
    "bob a désépinglé un message",
    "mme_martin a épinglé son propre message",
    "mme_martin a désépinglé un message de mme_martin",
    "lea a quitté general",
    "mme_martin a renommé cm1 en cm2",
    "tom was kicked by bob",
  ]);
});

test("connection shows presence as unknown while the socket is down, and again once the member list is fresh", async (r) => {
  const { server, state } = r;
  await loginAsGuest(r, "ida");
  await until(() => state.members.value.includes("ida"), "members listed");
  assert.equal(state.presenceKnown.value, true);

  // Someone may leave while this client cannot hear it: no green dots.
  r.server.socket.drop();
  await until(() => state.status.value.kind !== "online", "offline");
  assert.equal(state.presenceKnown.value, false);

  // Back, but the list is the old one until the server sends a new one.
  await backOnline(r);
  await resumeInGeneral(r);
  const ask = await server.next("list_users");
  assert.equal(state.presenceKnown.value, false, "old list, still unknown");
  server.reply(ask, { users: ["bob", "ida"] });
  await until(() => state.presenceKnown.value, "presence known again");
  assert.deepEqual(state.members.value, ["bob", "ida"]);
});

test("connection takes a deleted message's text out of the screen reader's live region", async (r) => {
  const { server, state } = r;
  await loginAsGuest(r, "ida");
  server.socket.push({
    action: "receive_message",
    data: roomMessage(1, { text: "the key is hunter2" }),
  });
  await until(
    () => state.announcement.value === "bob: the key is hunter2",
    "announced",
  );
  // Another message's deletion leaves the announcement alone.
  server.socket.push({
    action: "message_updated",
    data: roomMessage(0, { id: "m0", text: "", deleted: true }),
  });
  server.socket.push({
    action: "message_updated",
    data: roomMessage(1, { text: "", deleted: true }),
  });
  await until(() => state.announcement.value === "", "text taken out");
  assert.deepEqual(logTexts(state, "general"), ["1:"]);
});

test(
  "connection explains failed requests in words: offline, timeout, lost, unreadable",
  async (r) => {
    const { server } = r;
    // The error as its reader sees it now (its words say it again later).
    const said = <T>(result: Result<T>) =>
      result.ok ? result : {
        ok: false,
        error: { code: result.error.code, message: result.error.words!() },
      };
    const offline = await r.connection.request("list_rooms");
    assert.deepEqual(said(offline), {
      ok: false,
      error: { code: "offline", message: "Not connected to the server." },
    });
    await loginAsGuest(r, "ida");

    const slow = r.connection.request("list_rooms");
    await server.next("list_rooms");
    r.clock.advance(10_000);
    assert.deepEqual(said(await slow), {
      ok: false,
      error: { code: "timeout", message: "The server did not answer in time." },
    });

    const broken = r.connection.request("list_rooms");
    server.reply(await server.next("list_rooms"), { rooms: "many" });
    assert.deepEqual(said(await broken), {
      ok: false,
      error: {
        code: "invalid_message",
        message: "The server sent a reply this client cannot read.",
      },
    });

    const refused = r.connection.request("join_room", { room: "x" });
    server.refuse(await server.next("join_room"), "room_not_found", "No #x.");
    assert.deepEqual(said(await refused), {
      ok: false,
      error: { code: "room_not_found", message: "No #x." },
    });

    // A refusal without its sentence gets its code's, in the reader's language.
    const bare = r.connection.request("join_room", { room: "y" });
    const asked = await server.next("join_room");
    const before = lang.value;
    lang.value = "fr";
    asked.socket.push({
      action: "error",
      id: asked.id,
      data: { request: "join_room", code: "room_not_found" },
    });
    try {
      assert.deepEqual(said(await bare), {
        ok: false,
        error: {
          code: "room_not_found",
          message: "Ce salon n'existe pas, ou vous n'en êtes pas membre.",
        },
      });
    } finally {
      lang.value = before;
    }

    const lost = r.connection.request("list_rooms");
    await server.next("list_rooms");
    server.socket.drop();
    assert.deepEqual(said(await lost), {
      ok: false,
      error: { code: "offline", message: "The connection was lost." },
    });
  },
  { requestTimeoutMs: 10_000 },
);

test("connection words a refused guest login for the login form, in the language chosen before or after", async (r) => {
  const { server, state } = r;
  r.connection.start();
  (await server.socketCount(1)).accept();
  await r.connection.login("   ");
  assert.equal(state.loginError.value?.(), "Enter a username.");
  let done = r.connection.login("ida");
  server.refuse(await server.next("login"), "username_taken", "Taken.");
  await done;
  assert.equal(
    state.loginError.value?.(),
    'The name "ida" is taken. Pick another one, or sign in if it is your account.',
  );
  lang.value = "fr";
  done = r.connection.login("ida");
  server.refuse(await server.next("login"), "username_invalid", "Bad.");
  await done;
  assert.equal(
    state.loginError.value?.(),
    "Un nom compte de 1 à 32 lettres ou chiffres, plus _ - . et aucune espace.",
  );
  done = r.connection.login("ida");
  server.refuse(await server.next("login"), "rate_limited", "Wait 3 s.");
  await done;
  // The server writes English: a French reader gets the code's sentence.
  assert.equal(
    state.loginError.value?.(),
    "Doucement : réessayez dans un instant.",
  );
  // Shown, it follows the language picked under the form.
  lang.value = "en";
  assert.equal(state.loginError.value?.(), "Wait 3 s.");
});

Deno.test("transport reads a real WebSocket's batched frame as separate objects, and a 4003 close is final", async () => {
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen() {} },
    (request) => {
      const { socket, response } = Deno.upgradeWebSocket(request);
      socket.onopen = () => {
        socket.send('{"action":"a"}\n{"action":"b","data":{"n":1}}\nnot json');
      };
      socket.onmessage = () => socket.close(CLOSE_REMOVED, "kicked");
      return response;
    },
  );
  const seen: string[] = [];
  let closed!: () => void;
  const gone = new Promise<void>((resolve) => closed = resolve);
  const transport = new Transport({
    url: `ws://127.0.0.1:${server.addr.port}/ws`,
    connect: openWebSocket,
    baseDelayMs: 500,
    maxDelayMs: 15_000,
    clock: systemClock,
    random: Math.random,
    events: {
      connecting: () => seen.push("connecting"),
      opened: () => seen.push("opened"),
      received: (objects: Envelope<Fields>[]) => {
        seen.push(objects.map((o) => o.action).join("+"));
        transport.send('{"action":"bye"}');
      },
      closing: () => seen.push("closing"),
      dropped: () => seen.push("dropped"),
      removed: (reason) => {
        seen.push(`removed ${reason}`);
        closed();
      },
      sessionEnded: () => {
        seen.push("session ended");
        closed();
      },
      waiting: () => {
        seen.push("waiting");
        closed();
      },
    },
  });
  try {
    transport.start();
    transport.open();
    await gone;
    assert.deepEqual(seen, [
      "connecting",
      "opened",
      "a+b",
      "closing",
      "dropped",
      "removed kicked",
    ]);
    assert.equal(transport.link, null);
  } finally {
    transport.stop();
    await server.shutdown();
  }
});

test("connection lists an account's rooms from the login reply, with the server's unread and mention counts", async (r) => {
  const { state } = r;
  await loginAsAccount(r, "ida", [
    membership("general", { last_seq: 5 }),
    membership("dev", {
      last_read_seq: 7,
      unread: 3,
      mentions: 1,
      last_seq: 10,
    }),
    membership("secret", { last_seq: 2 }),
  ], [
    { name: "general", users: 2 },
    { name: "dev", users: 1 },
    { name: "lobby", users: 4 },
    { name: "secret", users: 1, private: true },
  ]);
  assert.deepEqual(Object.keys(state.memberships.value).sort(), [
    "dev",
    "general",
    "secret",
  ]);
  assert.equal(state.memberships.value.secret.private, true);
  assert.equal(state.memberships.value.dev.private, false);
  assert.deepEqual(state.unread.value, { dev: 3 });
  assert.deepEqual(state.mentions.value, { dev: 1 });
  assert.equal(state.totalUnread.value, 3);
  assert.deepEqual(state.readMarks.value.dev, { lastRead: 7, lastSeq: 10 });
});

test("connection counts live messages of an account's other rooms from the server's numbers", async (r) => {
  const { server, state } = r;
  await loginAsAccount(r, "ida", [
    membership("general", { last_seq: 5 }),
    membership("dev", { last_read_seq: 7, unread: 3, last_seq: 10 }),
  ]);
  const dev = (seq: number, text = `dev ${seq}`) =>
    roomMessage(seq, { room: "dev", text });
  // Already in the server's count: not counted twice.
  server.socket.push({ action: "receive_message", data: dev(10) });
  server.socket.push({ action: "receive_message", data: dev(11) });
  server.socket.push({
    action: "receive_message",
    data: dev(12, "@ida look"),
  });
  await until(() => state.unread.value.dev === 5, "two more unread");
  assert.equal(state.mentions.value.dev, 1);
  assert.equal(state.readMarks.value.dev.lastSeq, 12);
  assert.equal(state.currentRoom.value, "general", "the view stays");
  // Another device read up to 11: this one clears what it read.
  server.socket.push({
    action: "read_state",
    data: { room: "dev", last_read_seq: 11, unread: 1, mentions: 1 },
  });
  await until(() => state.unread.value.dev === 1, "the other device read");
  // An older position never moves it back.
  server.socket.push({
    action: "read_state",
    data: { room: "dev", last_read_seq: 9, unread: 3, mentions: 1 },
  });
  server.socket.push({
    action: "read_state",
    data: { room: "dev", last_read_seq: 12, unread: 0, mentions: 0 },
  });
  await until(() => state.unread.value.dev === undefined, "all read");
  assert.equal(state.mentions.value.dev, undefined);
  assert.equal(state.readMarks.value.dev.lastRead, 12);
});

test("connection moves a room's new-messages line below what another device read", async (r) => {
  const { server, state } = r;
  await loginAsAccount(r, "ida", [
    membership("general", { last_seq: 5 }),
    membership("dev", { last_read_seq: 7, unread: 0, last_seq: 7 }),
  ]);
  const dev = (seq: number) =>
    roomMessage(seq, { room: "dev", text: `dev ${seq}` });
  for (const seq of [8, 9, 10]) {
    server.socket.push({ action: "receive_message", data: dev(seq) });
  }
  await until(() => state.unread.value.dev === 3, "three unread");
  assert.equal(state.firstUnread.value.dev, 8);
  // The phone read up to 9: the laptop's line goes to 10.
  server.socket.push({
    action: "read_state",
    data: { room: "dev", last_read_seq: 9, unread: 1, mentions: 0 },
  });
  await until(() => state.unread.value.dev === 1, "the phone read two");
  assert.equal(state.firstUnread.value.dev, 10);
  // Then all of it: no line above messages read elsewhere.
  server.socket.push({
    action: "read_state",
    data: { room: "dev", last_read_seq: 10, unread: 0, mentions: 0 },
  });
  await until(() => state.unread.value.dev === undefined, "all read");
  assert.equal(state.firstUnread.value.dev, undefined);
});

test("connection puts the new-messages line of the room a login lands in at its read position, as a room opened does", async (r) => {
  const { state } = r;
  await loginAsAccount(r, "ida", [
    membership("general", { last_read_seq: 4, unread: 2, last_seq: 6 }),
  ]);
  assert.equal(state.firstUnread.value.general, 5);
  assert.deepEqual(state.lineCounts.value.general, { from: 5, count: 2 });
});

test("connection takes a deleted unread message off the badge, and moves its @ with an edit, asking the server nothing", async (r) => {
  const { server, state } = r;
  await loginAsAccount(r, "ida", [
    membership("general", { last_seq: 5 }),
    membership("dev", { last_read_seq: 7, unread: 0, last_seq: 7 }),
  ]);
  const dev = (seq: number, more: Partial<ChatMessage> = {}) =>
    roomMessage(seq, { room: "dev", text: `dev ${seq}`, ...more });
  server.socket.push({
    action: "receive_message",
    data: dev(8, { text: "@ida the key is hunter2" }),
  });
  server.socket.push({ action: "receive_message", data: dev(9) });
  server.socket.push({ action: "receive_message", data: dev(10) });
  await until(() => state.unread.value.dev === 3, "three unread");
  assert.equal(state.mentions.value.dev, 1);

  // A reaction changes no count.
  server.socket.push({
    action: "message_updated",
    data: dev(9, { reactions: [{ emoji: "👍", count: 1, users: ["bob"] }] }),
  });
  await settle();
  assert.equal(state.unread.value.dev, 3);

  // bob deletes his mention: one message and the @ go (it kept 3 and
  // @1 before); deleted again, nothing more goes.
  const deleted = {
    action: "message_updated",
    data: dev(8, { text: "", deleted: true }),
  };
  server.socket.push(deleted);
  await until(() => state.unread.value.dev === 2, "one message off");
  assert.equal(state.mentions.value.dev, undefined, "@ cleared");
  server.socket.push(deleted);
  await settle();
  assert.equal(state.unread.value.dev, 2, "a deletion counts once");

  // An edit that @names her counts the @ again; one that drops it, not.
  server.socket.push({
    action: "message_updated",
    data: dev(9, { text: "@ida sorry", edited_at: "2026-12-01T11:01:00Z" }),
  });
  await until(() => state.mentions.value.dev === 1, "@1 again");
  assert.equal(state.unread.value.dev, 2);
  server.socket.push({
    action: "message_updated",
    data: dev(9, { text: "sorry", edited_at: "2026-12-01T11:02:00Z" }),
  });
  await until(() => state.mentions.value.dev === undefined, "@ gone");
  assert.equal(state.unread.value.dev, 2);
  assert.equal(state.readMarks.value.dev.lastRead, 7, "nothing read");

  // Every member's client counts for itself: none asked the server.
  await settle();
  assert.deepEqual(server.waiting, []);
});

test("connection counts a message whose @room notified (room_mention) as a mention of the reader, and an edit that takes it out uncounts it", async (r) => {
  const { server, state } = r;
  await loginAsAccount(r, "ida", [
    membership("general", { last_seq: 5 }),
    membership("dev", { last_read_seq: 7, unread: 0, last_seq: 7 }),
  ]);
  const dev = (seq: number, more: Partial<ChatMessage> = {}) =>
    roomMessage(seq, { room: "dev", text: `dev ${seq}`, ...more });
  // Said but not notified (its author could not ping the room): no @.
  server.socket.push({
    action: "receive_message",
    data: dev(8, { text: "@room lunch?" }),
  });
  await until(() => state.unread.value.dev === 1, "one unread");
  assert.equal(state.mentions.value.dev, undefined);
  server.socket.push({
    action: "receive_message",
    data: dev(9, { text: "@room deploy at five", room_mention: true }),
  });
  await until(() => state.mentions.value.dev === 1, "@1");
  assert.deepEqual(r.incoming.map((i) => i.mention), [false, true]);
  server.socket.push({
    action: "message_updated",
    data: dev(9, { text: "deploy at five", edited_at: "2026-12-01T11:01:00Z" }),
  });
  await until(() => state.mentions.value.dev === undefined, "@ gone");
  assert.equal(state.unread.value.dev, 2);
});

test("connection counts nothing of an ignored account's messages, its mentions included, and counts again once it is unignored", async (r) => {
  const { server, state } = r;
  const heard: string[] = [];
  await loginAsAccount(r, "ida", [
    membership("general", { last_seq: 5 }),
    membership("dev", { last_read_seq: 7, unread: 0, last_seq: 7 }),
  ]);
  const dev = (seq: number, more: Partial<ChatMessage> = {}) =>
    roomMessage(seq, { room: "dev", text: `dev ${seq}`, ...more });
  server.socket.push({
    action: "ignored",
    data: { user: "Mallory", ignored: true },
  });
  await until(() => state.ignored.value.mallory === "Mallory", "ignored");
  server.socket.push({
    action: "receive_message",
    data: dev(8, { user: "mallory", text: "@ida look at me" }),
  });
  server.socket.push({ action: "receive_message", data: dev(9) });
  await until(() => state.unread.value.dev === 1, "bob's one counted");
  assert.equal(state.mentions.value.dev, undefined, "no @ from mallory");
  heard.push(...(state.logs.value.dev?.messages ?? []).map((m) => m.user));
  // Kept in the log (the page shows a line for it), only not counted.
  assert.deepEqual(heard, ["mallory", "bob"]);
  server.socket.push({
    action: "ignored",
    data: { user: "Mallory", ignored: false },
  });
  server.socket.push({
    action: "receive_message",
    data: dev(10, { user: "mallory", text: "@ida hello again" }),
  });
  await until(() => state.unread.value.dev === 2, "counted again");
  assert.equal(state.mentions.value.dev, 1);
});

test("connection shows no typing from an ignored account in a room, and shows it again once unignored", async (r) => {
  const { server, state } = r;
  await loginAsAccount(r, "ida", [membership("general", { last_seq: 5 })]);
  server.socket.push({
    action: "ignored",
    data: { user: "Mallory", ignored: true },
  });
  await until(() => state.ignored.value.mallory === "Mallory", "ignored");
  server.socket.push({
    action: "typing",
    data: { room: "general", user: "mallory" },
  });
  server.socket.push({
    action: "typing",
    data: { room: "general", user: "bob" },
  });
  await until(() => (state.typing.value.general ?? []).length > 0, "bob");
  assert.deepEqual(state.typing.value.general.map((t) => t.name), ["bob"]);
  server.socket.push({
    action: "ignored",
    data: { user: "Mallory", ignored: false },
  });
  server.socket.push({
    action: "typing",
    data: { room: "general", user: "mallory" },
  });
  await until(() => state.typing.value.general.length === 2, "mallory");
});

test("connection keeps of a busy room not on screen no more than twice what entering it keeps", async (r) => {
  const { server, state } = r;
  await loginAsAccount(r, "ida", [
    membership("general", { last_seq: 5 }),
    membership("dev", { last_seq: 0 }),
  ]);
  for (let seq = 1; seq <= 1000; seq++) {
    server.socket.push({
      action: "receive_message",
      data: roomMessage(seq, { room: "dev", text: `dev ${seq}` }),
    });
  }
  await until(() => lastSeq(state.logs.value.dev) === 1000, "all heard");
  assert.ok(
    state.logs.value.dev.messages.length <= 400,
    `${state.logs.value.dev.messages.length} messages held of a room not shown`,
  );
  assert.equal(state.currentRoom.value, "general", "the view stays");
});

test("connection sends mark_read for the newest message seen, forward only and at most once a second per room", async (r) => {
  const { server, state, clock, connection } = r;
  await loginAsAccount(r, "ida", [
    membership("general", { last_read_seq: 1, unread: 2, last_seq: 3 }),
  ]);
  server.socket.push({ action: "receive_message", data: roomMessage(2) });
  server.socket.push({ action: "receive_message", data: roomMessage(3) });
  await until(() => state.logs.value.general?.messages.length === 2, "held");
  connection.markSeen();
  const mark = await server.next("mark_read");
  assert.deepEqual(mark.data, { room: "general", seq: 3 });
  server.reply(mark, {
    room: "general",
    last_read_seq: 3,
    unread: 0,
    mentions: 0,
  });
  await until(() => state.unread.value.general === undefined, "cleared");
  // Seen again: nothing new, nothing sent.
  connection.markSeen();
  await settle();
  assert.deepEqual(server.waiting, []);

  // A new message within the second waits for the window to end.
  server.socket.push({ action: "receive_message", data: roomMessage(4) });
  server.socket.push({ action: "receive_message", data: roomMessage(5) });
  await until(() => state.logs.value.general?.messages.length === 4, "held");
  connection.markSeen();
  await settle();
  assert.deepEqual(server.waiting, []);
  clock.advance(1000);
  const later = await server.next("mark_read");
  assert.deepEqual(later.data, { room: "general", seq: 5 });

  // A hidden page reads nothing.
  actions.visibilityChanged(state, false);
  server.socket.push({ action: "receive_message", data: roomMessage(6) });
  await until(() => state.logs.value.general?.messages.length === 5, "held");
  clock.advance(5000);
  connection.markSeen();
  await settle();
  assert.deepEqual(server.waiting, []);
});

test("connection marks a message unread: mark_unread, the new line above it, and no mark_read while the room stays on screen, not even one waiting for its second", async (r) => {
  const { server, state, clock, connection } = r;
  await loginAsAccount(r, "ida", [
    membership("general", { last_read_seq: 1, unread: 2, last_seq: 3 }),
  ]);
  server.socket.push({ action: "receive_message", data: roomMessage(2) });
  server.socket.push({ action: "receive_message", data: roomMessage(3) });
  await until(() => state.logs.value.general?.messages.length === 2, "held");
  connection.markSeen();
  const mark = await server.next("mark_read");
  server.reply(mark, {
    room: "general",
    last_read_seq: 3,
    unread: 0,
    mentions: 0,
  });
  await until(() => state.unread.value.general === undefined, "read");
  // A message within the second: its mark waits for the window.
  server.socket.push({ action: "receive_message", data: roomMessage(4) });
  await until(() => state.logs.value.general?.messages.length === 3, "held");
  connection.markSeen();
  await settle();
  assert.deepEqual(server.waiting, []);

  const done = connection.markUnread(3);
  const unread = await server.next("mark_unread");
  assert.deepEqual(unread.data, { room: "general", seq: 3 });
  server.reply(unread, {
    room: "general",
    last_read_seq: 2,
    unread: 2,
    mentions: 0,
  });
  assert.equal(await done, null);
  assert.equal(state.readMarks.value.general.lastRead, 2);
  assert.equal(state.unread.value.general, 2);
  assert.equal(state.firstUnread.value.general, 3);
  // Held: neither the waiting mark nor a new look reads it again.
  clock.advance(5000);
  connection.markSeen();
  await settle();
  assert.deepEqual(server.waiting, []);
  // The bar's "Mark as read" lets the next look read it.
  actions.unreadLineDismissed(state, "general");
  connection.markSeen();
  const again = await server.next("mark_read");
  assert.deepEqual(again.data, { room: "general", seq: 4 });
});

test("connection takes another device's Mark unread, the one read_state behind its position it takes: the badge and the new line come back", async (r) => {
  const { server, state } = r;
  await loginAsAccount(r, "ida", [
    membership("general", { last_seq: 5 }),
    membership("dev", { last_read_seq: 10, unread: 0, last_seq: 10 }),
  ]);
  server.socket.push({
    action: "read_state",
    data: {
      room: "dev",
      last_read_seq: 8,
      unread: 2,
      mentions: 1,
      marked_unread: true,
    },
  });
  await until(() => state.unread.value.dev === 2, "unread again");
  assert.equal(state.mentions.value.dev, 1);
  assert.equal(state.readMarks.value.dev.lastRead, 8);
  assert.equal(state.firstUnread.value.dev, 9);
});

test("connection sends no mark_read for a guest", async (r) => {
  await loginAsGuest(r, "ida", [roomMessage(1), roomMessage(2)]);
  r.connection.markSeen();
  await settle();
  assert.deepEqual(r.server.waiting, []);
});

test("connection puts the new messages line at the server's read position when a room opens", async (r) => {
  const { state } = r;
  await loginAsAccount(r, "ida", [
    membership("general"),
    membership("dev", { last_read_seq: 2, unread: 2, last_seq: 4 }),
  ]);
  const dev = (seq: number, user = "bob") =>
    roomMessage(seq, { room: "dev", user });
  await enterRoom(r, "dev", [dev(1), dev(2), dev(3, "ida"), dev(4)]);
  const kinds = state.lines.value.map((l) =>
    l.kind === "message" ? `m${l.message.seq}` : l.kind
  );
  // Above the first message by someone else after seq 2.
  assert.deepEqual(kinds.filter((k) => k !== "day"), [
    "m1",
    "m2",
    "m3",
    "unread",
    "m4",
  ]);
});

test("connection follows membership events: a room joined elsewhere shows, one that ends takes the view back to general", async (r) => {
  const { server, state } = r;
  await loginAsAccount(r, "ida");
  server.socket.push({
    action: "membership",
    data: {
      room: "secret",
      member: true,
      last_read_seq: 4,
      unread: 2,
      mentions: 0,
      last_seq: 6,
      private: true,
    },
  });
  await until(() => state.memberships.value.secret !== undefined, "joined");
  assert.equal(state.memberships.value.secret.private, true);
  assert.equal(state.unread.value.secret, 2);

  await enterRoom(r, "secret", [roomMessage(6, { room: "secret" })]);
  server.socket.push(
    { action: "membership", data: { room: "secret", member: false } },
    {
      action: "system",
      data: {
        room: "general",
        kind: "removed",
        user: "ida",
        text: "bob removed you from secret",
      },
    },
  );
  await until(() => state.currentRoom.value === "general", "moved");
  assert.equal(state.memberships.value.secret, undefined);
  assert.equal(state.unread.value.secret, undefined);
  await until(
    () =>
      state.logs.value.general?.notices.some((n) =>
        n.text === "bob removed you from secret"
      ) === true,
    "the notice where the user is",
  );
});

test("connection opens an invite link with its code, and says why a used-up link does not", async (r) => {
  const { server, state, connection } = r;
  await loginAsAccount(r, "ida");
  const opened = connection.openInvite({ code: "abc", room: "secret" });
  const join = await server.next("join_room");
  assert.deepEqual(join.data, { room: "secret", invite: "abc" });
  server.reply(join, { room: "secret", history: [] });
  // An account's move asks whether it manages the room.
  server.refuse(await server.next("list_invites"), "forbidden", "No.");
  server.reply(await server.next("list_users"), { users: ["ida"] });
  assert.equal(await opened, null);
  assert.equal(state.currentRoom.value, "secret");
  assert.deepEqual(state.manages.value, {});

  const stale = connection.openInvite({ code: "old", room: "other" });
  server.refuse(
    await server.next("join_room"),
    "invite_invalid",
    "This invite is no longer valid.",
  );
  const error = await stale;
  assert.equal(error?.code, "invite_invalid");
  assert.match(
    error?.message ?? "",
    /revoked, has expired or has been used up/,
  );
  assert.equal(state.currentRoom.value, "secret");
});

test("connection lists the account's conversations after its login with the server's unread counts, counts only messages newer than the list, and keeps one closed until a newer message", async (r) => {
  const { server, state, auth } = r;
  server.scriptsConversations = true;
  const dm = (seq: number) => ({
    action: "private_message",
    data: {
      id: `01B${seq}`,
      seq,
      user: "Bob",
      to: "Ida",
      text: `m${seq}`,
      ts: `2026-12-05T01:00:0${seq}.000Z`,
    },
  });
  auth.session = { username: "Ida", role: "user" };
  r.connection.start();
  (await server.socketCount(1)).accept();
  server.reply(await server.next("login"), loginReply("Ida"));
  server.reply(await server.next("history"), {
    room: "general",
    messages: [],
  });
  server.reply(await server.next("list_users"), { users: ["Ida"] });
  const listed = await server.next("list_conversations");
  // A message the server had stored before it counted reaches the
  // client before the list (an offline account's, pushed at login).
  server.socket.push(dm(3));
  server.reply(listed, {
    conversations: [{
      with: "Bob",
      last_seq: 3,
      last_id: "01B3",
      last_ts: "2026-12-05T01:00:03.000Z",
      last_read_seq: 1,
      unread: 2,
      mentions: 1,
    }],
  });
  await until(
    () => state.readMarks.value["@bob"]?.lastSeq === 3,
    "the list applied",
  );
  assert.deepEqual(state.conversations.value["bob"]?.name, "Bob");
  assert.equal(state.unread.value["@bob"], 2);
  assert.equal(state.mentions.value["@bob"], 1);
  // Already counted by the list: seq 3 again changes nothing; 4 is new.
  server.socket.push(dm(3), dm(4));
  await until(() => state.unread.value["@bob"] === 3, "seq 4 counted");
  assert.equal(state.mentions.value["@bob"], 1);
  // Closed from the sidebar, it stays closed through the next lists
  // (each resume asks again) until a newer message.
  const bob = {
    with: "Bob",
    last_seq: 4,
    last_id: "01B4",
    last_ts: "2026-12-05T01:00:04.000Z",
    last_read_seq: 1,
    unread: 3,
    mentions: 1,
  };
  const listedName = () => state.conversations.value["bob"]?.name;
  actions.conversationClosed(state, "Bob");
  actions.conversationsListed(state, { conversations: [bob] });
  assert.equal(listedName(), undefined);
  assert.equal(state.unread.value["@bob"], undefined);
  actions.conversationsListed(state, {
    conversations: [{
      ...bob,
      last_seq: 5,
      last_id: "01B5",
      last_ts: "2026-12-05T01:00:05.000Z",
      unread: 4,
    }],
  });
  assert.equal(listedName(), "Bob");
  assert.equal(state.unread.value["@bob"], 4);
});

/** One conversation of a `list_conversations` reply, its newest message at second `second`. */
function listed(name: string, second: number, unread = 0) {
  return {
    with: name,
    last_seq: 1,
    last_id: `01${name}`,
    last_ts: `2026-12-05T01:00:${String(second).padStart(2, "0")}.000Z`,
    last_read_seq: 1 - Math.min(unread, 1),
    unread,
    mentions: 0,
  };
}

/** The conversations in the sidebar, most recent first. */
function sidebarNames(r: Rig): string[] {
  return Object.values(r.state.conversations.value)
    .sort((a, b) => b.lastTs.localeCompare(a.lastTs))
    .map((c) => c.name);
}

test("connection fetches the account's older conversations a page at a time below the last one fetched, until the list is whole", async (r) => {
  const { server, state } = r;
  server.scriptsConversations = true;
  await loginAsAccount(r, "Ida");
  const first = await server.next("list_conversations");
  assert.deepEqual(first.data, { limit: 100 });
  server.reply(first, {
    conversations: [listed("Bob", 9), listed("Carol", 8)],
    next: "01Carol",
  });
  await until(() => state.conversationsNext.value !== null, "a next page");
  assert.deepEqual(state.conversationsNext.value, {
    before: "01Carol",
    lastTs: "2026-12-05T01:00:08.000Z",
  });

  const more = r.connection.moreConversations();
  const second = await server.next("list_conversations");
  assert.deepEqual(second.data, { before: "01Carol", limit: 100 });
  server.reply(second, {
    conversations: [listed("Dave", 7, 2), listed("Erin", 6)],
  });
  await more;
  assert.deepEqual(sidebarNames(r), ["Bob", "Carol", "Dave", "Erin"]);
  assert.equal(state.unread.value["@dave"], 2);
  assert.equal(state.conversationsNext.value, null, "the list is whole");
  await r.connection.moreConversations();
  assert.deepEqual(server.waiting, [], "nothing more to ask");
});

test("connection marks a conversation the server lists as with a deleted account, until a newer message comes in it", async (r) => {
  const { server, state } = r;
  server.scriptsConversations = true;
  await loginAsAccount(r, "Ida");
  server.reply(await server.next("list_conversations"), {
    conversations: [{ ...listed("Bob", 9), deleted: true }, listed("Carol", 8)],
  });
  await until(() => state.conversations.value["bob"] !== undefined, "listed");
  assert.equal(state.conversations.value["bob"].deleted, true);
  assert.equal(state.conversations.value["carol"].deleted, undefined);
  // A new account took the name and wrote: the conversation is with it.
  server.socket.push({
    action: "private_message",
    data: {
      id: "01B2",
      seq: 2,
      user: "Bob",
      to: "Ida",
      text: "I am the new Bob",
      ts: "2026-12-05T01:00:10.000Z",
    },
  });
  await until(
    () => state.conversations.value["bob"].lastTs.endsWith("10.000Z"),
    "the message filed",
  );
  assert.equal(state.conversations.value["bob"].deleted, undefined);
  // A list from before that message does not mark it again.
  actions.conversationsListed(state, {
    conversations: [{ ...listed("Bob", 9), deleted: true }],
  });
  assert.equal(state.conversations.value["bob"].deleted, undefined);
});

test("connection drops the conversations the server no longer lists within the pages it fetches, and keeps older ones and one opened here with no message yet", async (r) => {
  const { server, state } = r;
  server.scriptsConversations = true;
  await loginAsAccount(r, "Ida");
  server.reply(await server.next("list_conversations"), {
    conversations: [listed("Bob", 9), listed("Carol", 8, 2)],
    next: "01Carol",
  });
  await until(() => state.conversationsNext.value !== null, "a next page");
  const more = r.connection.moreConversations();
  server.reply(await server.next("list_conversations"), {
    conversations: [listed("Dave", 7), listed("Erin", 6)],
  });
  await more;
  // Zed's conversation is opened here, with no message yet: the server
  // cannot list it. Ida goes back to the room.
  actions.conversationOpened(state, "Zed");
  actions.roomShown(state);
  assert.equal(state.unread.value["@carol"], 2);

  // While she was away Carol's messages expired: the newest page after
  // the resume (down to Dave's) lists Bob and Dave only.
  await reconnect(r);
  server.reply(await server.next("login"), {
    ...loginReply("Ida"),
    memberships: [membership("general")],
  });
  server.reply(await server.next("history"), {
    room: "general",
    messages: [],
  });
  server.reply(await server.next("list_users"), { users: ["Ida"] });
  server.reply(await server.next("list_conversations"), {
    conversations: [listed("Bob", 9), listed("Dave", 7)],
    next: "01Dave",
  });
  await until(() => !("carol" in state.conversations.value), "Carol gone");
  assert.deepEqual(sidebarNames(r).filter((n) => n !== "Zed"), [
    "Bob",
    "Dave",
    "Erin",
  ], "Erin, older than the page, stays");
  assert.ok("zed" in state.conversations.value, "Zed stays");
  assert.equal(state.unread.value["@carol"], undefined);
  assert.deepEqual(state.conversationsNext.value, {
    before: "01Dave",
    lastTs: "2026-12-05T01:00:07.000Z",
  });

  // Erin's account was deleted: the next page, the end of the list,
  // has none.
  const end = r.connection.moreConversations();
  server.reply(await server.next("list_conversations"), {
    conversations: [],
  });
  await end;
  assert.deepEqual(sidebarNames(r).filter((n) => n !== "Zed"), [
    "Bob",
    "Dave",
  ]);
  assert.ok("zed" in state.conversations.value, "Zed stays");
});

test("connection keeps a conversation whose first message comes while the list is on its way, though the list does not have it", async (r) => {
  const { server, state } = r;
  server.scriptsConversations = true;
  await loginAsAccount(r, "Ida");
  const asked = await server.next("list_conversations");
  // Nia writes first just after the server read the list: her message
  // reaches the client before the list, which does not have her.
  server.socket.push({
    action: "private_message",
    data: {
      id: "01N1",
      seq: 1,
      user: "Nia",
      to: "Ida",
      text: "hi",
      ts: "2026-12-05T01:00:10.000Z",
    },
  });
  await until(() => "nia" in state.conversations.value, "Nia's message");
  server.reply(asked, { conversations: [listed("Bob", 9)] });
  await until(
    () => "bob" in state.conversations.value,
    "the list applied",
  );
  assert.deepEqual(sidebarNames(r), ["Nia", "Bob"]);
  assert.equal(state.unread.value["@nia"], 1);
});

test("connection sends a draft once typing stops, applies another device's, but never over the box being typed in", async (r) => {
  const { server, state, connection, clock } = r;
  await loginAsAccount(r, "ida", [
    membership("general"),
    membership("dev"),
  ]);
  // Another device wrote in dev: this one shows it.
  server.socket.push({
    action: "draft",
    data: { room: "dev", text: "from the phone", updated_at: ISO_NOW },
  });
  await until(() => state.drafts.value.dev === "from the phone", "dev draft");
  // Typing in general: sent once typing stops, not at each keystroke.
  actions.composingChanged(state, "general");
  actions.draftChanged(state, { key: "general", text: "hel" });
  connection.draftTyped("hel");
  actions.draftChanged(state, { key: "general", text: "hello" });
  connection.draftTyped("hello");
  assert.deepEqual(server.waiting, []);
  clock.advance(DRAFT_SEND_MS);
  const sent = await server.next("set_draft");
  assert.deepEqual(sent.data, { room: "general", text: "hello" });
  server.reply(sent, { room: "general", text: "hello", updated_at: ISO_NOW });
  // Another device's text for the box being typed in does not replace it.
  server.socket.push({
    action: "draft",
    data: { room: "general", text: "older", updated_at: ISO_NOW },
  });
  await settle();
  assert.equal(state.drafts.value.general, "hello");
  // Sent: the draft goes on every device.
  connection.draftSent();
  const cleared = await server.next("set_draft");
  assert.deepEqual(cleared.data, { room: "general", text: "" });
});

test("connection keeps a draft typed while offline and sends it once back, unless the server's changed since and is newer", async (r) => {
  const { server, state, connection, clock } = r;
  await loginAsAccount(r, "ida");
  server.scriptsDrafts = true;
  const offlineType = (text: string) => {
    server.socket.drop();
    actions.draftChanged(state, { key: "general", text });
    connection.draftTyped(text);
    connection.draftLeft();
    assert.deepEqual(server.waiting, [], "nothing goes out while offline");
  };
  const resume = async () => {
    await backOnline(r);
    await resumeInGeneral(r);
    server.reply(await server.next("list_users"), { users: ["ida"] });
    return await server.next("list_drafts");
  };

  // The server has none: the text typed offline stays and goes.
  offlineType("on the train");
  server.reply(await resume(), { drafts: [] });
  const sent = await server.next("set_draft");
  assert.deepEqual(sent.data, { room: "general", text: "on the train" });
  // The server's clock is a minute ahead of this browser's.
  const storedAt = new Date(clock.now() + 60_000).toISOString();
  server.reply(sent, {
    room: "general",
    text: "on the train",
    updated_at: storedAt,
  });
  // The page notes when the server set it.
  await settle();
  assert.equal(state.drafts.value.general, "on the train");

  // Typed offline again; the server still has the one this page sent,
  // "later" by its clock: this page's text wins, whatever the clocks say.
  offlineType("on the bus");
  server.reply(await resume(), {
    drafts: [{ room: "general", text: "on the train", updated_at: storedAt }],
  });
  const again = await server.next("set_draft");
  assert.deepEqual(again.data, { room: "general", text: "on the bus" });
  server.reply(again, {
    room: "general",
    text: "on the bus",
    updated_at: storedAt,
  });

  // Typed offline, then another device set a newer one: the server's wins.
  offlineType("old plan");
  const newer = new Date(clock.now() + 120_000).toISOString();
  server.reply(await resume(), {
    drafts: [{ room: "general", text: "new plan", updated_at: newer }],
  });
  await settle();
  assert.equal(state.drafts.value.general, "new plan");
  assert.deepEqual(server.waiting, [], "the older text is not sent");
});

test("connection shows a reminder once however often the server fires it, and again when it comes due at another time", async (r) => {
  const { server, state } = r;
  await loginAsAccount(r, "ida");
  const reminder = (remindAt: string) =>
    server.socket.push({
      action: "reminder",
      data: {
        id: "m1",
        saved_at: "2026-12-06T10:00:00.000Z",
        remind_at: remindAt,
        message: roomMessage(1),
      },
    });
  // At least once: a node that stopped before clearing it fires it again.
  reminder("2026-12-06T11:00:00.000Z");
  reminder("2026-12-06T11:00:00.000Z");
  await until(() => r.incoming.length === 1, "the first reminder rang");
  await settle();
  assert.deepEqual(r.incoming.map((i) => i.body), [
    "Reminder: message 1",
  ]);
  assert.equal(state.team.reminders.value.length, 1);
  // Set again after it fired: the new time rings.
  reminder("2026-12-07T09:00:00.000Z");
  await until(() => r.incoming.length === 2, "the reminder set again rang");
  assert.deepEqual(
    state.team.reminders.value.map((line) => line.remind_at),
    ["2026-12-07T09:00:00.000Z"],
  );
});

test("connection reads the scheduled list at login, follows it from every device's events once it was read, and says why one was not sent", async (r) => {
  const { server, state } = r;
  server.scriptsScheduled = true;
  await loginAsAccount(r, "ida");
  const read = await server.next("list_scheduled");
  const item = (id: string, sendAt: string) => ({
    id,
    room: "general",
    text: `text ${id}`,
    send_at: sendAt,
    created_at: "2026-12-06T10:00:00.000Z",
  });
  // Not read yet: events have no list to change.
  server.socket.push({
    action: "scheduled",
    data: item("s0", "2026-12-06T12:00:00.000Z"),
  });
  await settle();
  // Read through a function: an assertion of null narrows a plain read.
  const ids = () => state.team.scheduled.value?.map((s) => s.id) ?? null;
  assert.equal(ids(), null);
  server.reply(read, {
    scheduled: [item("s1", "2026-12-06T12:00:00.000Z")],
  });
  await settle();
  assert.deepEqual(ids(), ["s1"]);
  // Another device schedules one sooner, then cancels the first; a third
  // is sent, and a fourth refused at its time.
  server.socket.push({
    action: "scheduled",
    data: item("s2", "2026-12-06T11:00:00.000Z"),
  });
  server.socket.push({
    action: "scheduled",
    data: item("s3", "2026-12-06T13:00:00.000Z"),
  });
  server.socket.push({
    action: "scheduled",
    data: item("s4", "2026-12-06T14:00:00.000Z"),
  });
  await settle();
  assert.deepEqual(ids(), [
    "s2",
    "s1",
    "s3",
    "s4",
  ]);
  server.socket.push({ action: "scheduled_cancelled", data: { id: "s1" } });
  server.socket.push({
    action: "scheduled_sent",
    data: { id: "s3", message: roomMessage(3) },
  });
  server.socket.push({
    action: "scheduled_failed",
    data: { id: "s4", code: "room_archived" },
  });
  await settle();
  assert.deepEqual(ids(), ["s2"]);
  assert.ok(
    notices(r).some((text) =>
      text.startsWith("A scheduled message was not sent:")
    ),
    notices(r).join("\n"),
  );
});

test("connection reads every saved id after each login and resume, over what it heard before, keeping what it hears while the read is on its way", async (r) => {
  const { server, state } = r;
  await loginAsAccount(r, "ida");
  server.scriptsSaved = true;
  const saved = (event: { id: string; saved: boolean }) =>
    server.socket.push({ action: "saved", data: event });
  saved({ id: "m5", saved: true });
  await settle();
  assert.equal(state.team.saved.value?.m5, true);

  // Offline, another device unsaved m5 and saved m1 and m2.
  server.socket.drop();
  await backOnline(r);
  await resumeInGeneral(r);
  server.reply(await server.next("list_users"), { users: ["ida"] });
  const read = await server.next("list_saved");
  assert.deepEqual(read.data, { ids: true });
  // While the read is on its way: m1 unsaved, m9 saved (the read may
  // have been made before either).
  saved({ id: "m1", saved: false });
  saved({ id: "m9", saved: true });
  await settle();
  server.reply(read, { ids: ["m2", "m1"] });
  await settle();
  assert.deepEqual(savedNow(state), ["m2", "m9"]);
  // After it, events apply as they come.
  saved({ id: "m2", saved: false });
  await settle();
  assert.deepEqual(savedNow(state), ["m9"]);
});

/** The ids the page holds saved, sorted; null while none is known. */
function savedNow(state: Rig["state"]): string[] | null {
  const saved = state.team.saved.value;
  if (saved === null) return null;
  return Object.entries(saved).filter(([, on]) => on).map(([id]) => id).sort();
}

test("connection knows no message's saved state from a login until its read of the saved ids answers, takes what it heard meanwhile, and forgets the account's at logout", async (r) => {
  const { server, state } = r;
  r.server.scriptsSaved = true;
  await loginAsAccount(r, "ida");
  const read = await server.next("list_saved");
  // Before the answer, m1 (saved on another device before this page came)
  // would have shown Save; the Save action waits instead.
  assert.equal(savedNow(state), null);
  server.socket.push({ action: "saved", data: { id: "m9", saved: true } });
  await settle();
  assert.equal(savedNow(state), null, "an event does not make the rest known");
  server.reply(read, { ids: ["m1"] });
  await settle();
  assert.deepEqual(savedNow(state), ["m1", "m9"]);

  // A logout in another tab: the next account on this page starts unknown.
  server.socket.drop(CLOSE_SESSION_ENDED, "Logged out");
  assert.equal(savedNow(state), null);
});

test("connection whose read of the saved ids is refused takes what it heard for all there is, and one whose socket dropped waits for the next login's read", async (r) => {
  const { server, state } = r;
  r.server.scriptsSaved = true;
  await loginAsAccount(r, "ida");
  const dropped = await server.next("list_saved");
  assert.deepEqual(dropped.data, { ids: true });
  server.socket.drop();
  await settle();
  assert.equal(savedNow(state), null, "offline: still unknown");
  await backOnline(r);
  await resumeInGeneral(r);
  server.reply(await server.next("list_users"), { users: ["ida"] });
  const refused = await server.next("list_saved");
  server.socket.push({ action: "saved", data: { id: "m9", saved: true } });
  await settle();
  server.refuse(refused, "rate_limited", "Slow down.");
  await settle();
  // No read comes before the next login: the action works with what was heard.
  assert.deepEqual(savedNow(state), ["m9"]);
});

/** A browser's storage of the drafts typed offline, as JSON, by account. */
const pendingStorage = new Map<string, string>();
const pendingDrafts: PendingDrafts = {
  read: (me) => JSON.parse(pendingStorage.get(me) ?? "null"),
  write: (me, pending) => {
    if (pending === null) pendingStorage.delete(me);
    else pendingStorage.set(me, JSON.stringify(pending));
  },
};

/** The texts the browser's storage keeps for an account, by log key. */
function pendingTexts(me: string): Record<string, string> {
  const kept = JSON.parse(pendingStorage.get(me) ?? "{}");
  return Object.fromEntries(
    Object.entries(kept).map(([key, typed]) => [
      key,
      (typed as { text: string }).text,
    ]),
  );
}

test(
  "connection keeps a draft typed while offline in the browser until the server has it, through a reload and a send lost with the socket",
  async (r) => {
    const { server, state, connection } = r;
    await loginAsAccount(r, "ida");
    // Typed offline, the box never left: kept at the keystroke.
    server.socket.drop();
    actions.draftChanged(state, { key: "general", text: "on the train" });
    connection.draftTyped("on the train");
    assert.deepEqual(pendingTexts("ida"), { general: "on the train" });

    // The page reloads before the socket is back: the new page sends it.
    const page = rig({ pendingDrafts });
    try {
      await loginAsAccount(page, "ida");
      const sent = await page.server.next("set_draft");
      assert.deepEqual(sent.data, { room: "general", text: "on the train" });
      assert.deepEqual(pendingTexts("ida"), { general: "on the train" });
      // The socket goes before the answer: still kept, sent at the next list.
      page.server.socket.drop();
      await settle();
      assert.deepEqual(pendingTexts("ida"), { general: "on the train" });
      await backOnline(page);
      await resumeInGeneral(page);
      page.server.reply(await page.server.next("list_users"), {
        users: ["ida"],
      });
      const again = await page.server.next("set_draft");
      assert.deepEqual(again.data, { room: "general", text: "on the train" });
      page.server.reply(again, {
        room: "general",
        text: "on the train",
        updated_at: ISO_NOW,
      });
      await settle();
      assert.equal(pendingStorage.has("ida"), false, "forgotten once stored");
      assert.equal(page.state.drafts.value.general, "on the train");
    } finally {
      await page.stop();
    }
  },
  { pendingDrafts },
);

test("connection asks the account's choice in each poll shown past its voters once a login, those of one turn in one poll_choices, and again after a refusal", async (r) => {
  const { server, state } = r;
  await loginAsAccount(r, "ida");
  r.connection.askPollChoice("p1");
  r.connection.askPollChoice("p2");
  r.connection.askPollChoice("p1");
  const asked = await server.next("poll_choices");
  assert.deepEqual(asked.data, { ids: ["p1", "p2"] });
  // On its way: not asked again.
  r.connection.askPollChoice("p2");
  // p2 left out (deleted meanwhile, say): known for none, asked no more.
  server.reply(asked, { choices: { p1: [0, 2] } });
  await settle();
  assert.deepEqual({ ...state.pollChoices.value }, { p1: [0, 2] });
  r.connection.askPollChoice("p2");
  r.connection.askPollChoice("p3");
  const refused = await server.next("poll_choices");
  assert.deepEqual(refused.data, { ids: ["p3"] });
  server.refuse(refused, "rate_limited", "Slow down.");
  await settle();
  // Shown again later: asked again.
  r.connection.askPollChoice("p3");
  const again = await server.next("poll_choices");
  assert.deepEqual(again.data, { ids: ["p3"] });
  server.reply(again, { choices: { p3: [] } });
  await settle();
  assert.deepEqual({ ...state.pollChoices.value }, { p1: [0, 2], p3: [] });

  // Logged out elsewhere, then in again: the choices went with the
  // session, and a poll shown is asked about again.
  server.socket.drop(CLOSE_SESSION_ENDED, "Logged out");
  assert.deepEqual({ ...state.pollChoices.value }, {});
  await loginAsAccount(r, "ida");
  r.connection.askPollChoice("p1");
  assert.deepEqual((await server.next("poll_choices")).data, { ids: ["p1"] });
});

test("connection's pollChoice, for a click on a cut poll, waits for the poll_choices under way, asks one not asked yet, and tells a refusal", async (r) => {
  const { server } = r;
  await loginAsAccount(r, "ida");
  r.connection.askPollChoice("p1");
  // Clicked before the answer: waits for the request under way, no other.
  const clicked = r.connection.pollChoice("p1");
  const asked = await server.next("poll_choices");
  assert.deepEqual(asked.data, { ids: ["p1"] });
  server.reply(asked, { choices: { p1: [0, 2] } });
  assert.deepEqual(await clicked, { options: [0, 2] });
  // Known: no request.
  assert.deepEqual(await r.connection.pollChoice("p1"), { options: [0, 2] });
  assert.deepEqual(server.waiting, []);
  // Not asked yet: asked now; left out of the answer, no choice.
  const fresh = r.connection.pollChoice("p2");
  const second = await server.next("poll_choices");
  assert.deepEqual(second.data, { ids: ["p2"] });
  server.reply(second, { choices: {} });
  assert.deepEqual(await fresh, { options: [] });
  const failing = r.connection.pollChoice("p3");
  server.refuse(await server.next("poll_choices"), "rate_limited", "Slow.");
  const answer = await failing;
  assert.ok("error" in answer && answer.error.code === "rate_limited");
});

test("connection keeps the choice a vote sent until every vote there is answered and a newer drawing of the poll comes, and drops it on a refusal", async (r) => {
  const { server, state } = r;
  await loginAsAccount(r, "ida");
  const sent = () => ({ ...state.pollVotes.value });
  const poll = (votes: number[]) =>
    roomMessage(1, {
      poll: {
        question: "Which days?",
        multiple: true,
        closed: false,
        options: votes.map((n, i) => ({
          text: `day ${i}`,
          votes: n,
          voters: n > 0 ? ["ida"] : [],
        })),
      },
    });
  const first = r.connection.vote("m1", [0]);
  const second = r.connection.vote("m1", [0, 1]);
  assert.deepEqual(sent(), { m1: { choice: [0, 1], inFlight: 2 } });
  const [one, two] = [await server.next("vote"), await server.next("vote")];
  // Another's vote drawn before these were answered: kept.
  server.socket.push({ action: "message_updated", data: poll([0, 0, 1]) });
  server.reply(one, { id: "m1", options: [0] });
  assert.equal(await first, null);
  assert.deepEqual(sent(), { m1: { choice: [0, 1], inFlight: 1 } });
  server.reply(two, { id: "m1", options: [0, 1] });
  assert.equal(await second, null);
  await settle();
  // Answered, but no drawing since: a click still starts from [0, 1].
  assert.deepEqual(sent(), { m1: { choice: [0, 1], inFlight: 0 } });
  assert.deepEqual({ ...state.pollChoices.value }, { m1: [0, 1] });
  server.socket.push({ action: "message_updated", data: poll([1, 1, 1]) });
  await until(() => Object.keys(sent()).length === 0, "the drawing's turn");

  const refused = r.connection.vote("m1", [0, 1, 2]);
  assert.deepEqual(sent(), { m1: { choice: [0, 1, 2], inFlight: 1 } });
  server.refuse(await server.next("vote"), "poll_closed", "Closed.");
  assert.equal((await refused)?.code, "poll_closed");
  assert.deepEqual(sent(), {});
  assert.deepEqual({ ...state.pollChoices.value }, { m1: [0, 1] });
});

test("connection files a live edit or reaction in a conversation with an account deleted and anonymised under that conversation, as a reload does, never under 'deleted user'", async (r) => {
  const { server, state } = r;
  await loginAsGuest(r, "bob");
  // Both sides of each conversation read 'deleted user' for the account
  // gone: its messages' user, the other side's to.
  const opened = r.connection.openConversation("alice");
  const asked = await server.next("history");
  assert.equal(asked.data.with, "alice");
  server.reply(asked, {
    with: "alice",
    messages: [
      privateMessage(1, { user: "bob", to: "deleted user", text: "hi alice" }),
      privateMessage(2, { user: "deleted user", to: "bob", text: "hi bob" }),
    ],
  });
  await opened;
  await until(() => logTexts(state, "@alice").length === 2, "page held");
  server.socket.push(
    {
      action: "message_updated",
      data: privateMessage(1, {
        user: "bob",
        to: "deleted user",
        text: "hi alice, edited",
        edited_at: "2026-12-01T11:01:00Z",
        version: 1,
      }),
    },
    {
      action: "message_updated",
      data: privateMessage(2, {
        user: "deleted user",
        to: "bob",
        text: "hi bob",
        reactions: [{ emoji: "👍", count: 1, users: ["bob"] }],
        version: 1,
      }),
    },
    // Of a conversation not held: read with its page when opened.
    {
      action: "message_updated",
      data: privateMessage(9, {
        user: "bob",
        to: "deleted user",
        text: "to carol, edited",
        version: 1,
      }),
    },
  );
  await until(
    () => logTexts(state, "@alice")[0] === "1:hi alice, edited",
    "the edit in alice's conversation",
  );
  await until(
    () => state.logs.value["@alice"].messages[1].reactions?.[0]?.emoji === "👍",
    "the reaction in alice's conversation",
  );
  await settle();
  assert.deepEqual(logTexts(state, "@alice"), [
    "1:hi alice, edited",
    "2:hi bob",
  ]);
  assert.equal(state.logs.value["@deleted user"], undefined);
  assert.deepEqual(
    Object.keys(state.logs.value).filter((key) => key.startsWith("@")),
    ["@alice"],
  );
});
