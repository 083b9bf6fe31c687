/**
 * The web client compares names as the server does (server/protocol/names.ts:
 * NFKC and full case folding), so a name the server takes for one user or
 * one room is one here too: "Straße" and "STRASSE", "ＩＤＡ" and "ida".
 */

import assert from "node:assert/strict";
import { nameKey } from "../server/protocol/names.ts";
import { colourClass } from "../client/format.ts";
import { mentions } from "../client/markup.ts";
import { dmKey, roomKey } from "../client/state.ts";
import {
  loginReply,
  privateMessage,
  rig,
  roomMessage,
  settle,
} from "./client_fake_server.ts";

const SAME: [string, string][] = [
  ["Straße", "STRASSE"],
  ["straße", "Strasse"],
  ["ＩＤＡ", "ida"],
  ["ﬁle", "FILE"],
  ["Σίσυφος", "ΣΊΣΥΦΟΣ"],
];

Deno.test("client names: one name for the client whenever it is one for the server", () => {
  for (const [a, b] of SAME) {
    assert.equal(nameKey(a), nameKey(b), `the server: ${a} = ${b}`);
    assert.equal(roomKey(a), roomKey(b), `rooms: ${a} = ${b}`);
    assert.equal(roomKey(a), nameKey(a));
    assert.equal(dmKey(a), dmKey(b), `conversations: ${a} = ${b}`);
    assert.equal(colourClass(a), colourClass(b), `avatar colour: ${a}`);
    assert.equal(mentions(`hi @${a}`, b), true, `mention: ${a} of ${b}`);
  }
  assert.notEqual(roomKey("ida"), roomKey("idaa"));
});

Deno.test("client names: Straße's own messages and conversations are found under STRASSE", async () => {
  const r = rig();
  const { server, state, connection } = r;
  try {
    connection.start();
    (await server.socketCount(1)).accept();
    const done = connection.login("Straße");
    server.reply(await server.next("login"), loginReply("Straße"));
    server.reply(await server.next("history"), {
      room: "general",
      messages: [roomMessage(1, { user: "STRASSE", text: "mine" })],
    });
    server.reply(await server.next("list_users"), { users: ["Straße"] });
    await done;
    const [line] = state.lines.value.filter((l) => l.kind === "message");
    assert.equal(line.kind === "message" && line.own, true, "one's own");

    // Two spellings of one correspondent make one conversation.
    server.socket.push(
      {
        action: "private_message",
        data: privateMessage(1, { user: "Ｂob", to: "Straße" }),
      },
      {
        action: "private_message",
        data: privateMessage(2, { user: "BOB", to: "STRASSE" }),
      },
    );
    assert.deepEqual(Object.keys(state.conversations.value), ["bob"]);
    assert.deepEqual(
      state.logs.value["@bob"].messages.map((m) => m.seq),
      [1, 2],
    );
    assert.equal(state.unread.value["@bob"], 2);

    // One's own typing, echoed under another spelling, shows nothing.
    server.socket.push({
      action: "typing",
      data: { room: "general", user: "STRASSE" },
    });
    await settle();
    assert.deepEqual(state.typing.value, {});
  } finally {
    await r.stop();
  }
});
