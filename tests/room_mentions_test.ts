/**
 * `@room`: a mention of every member of a room but its author, stored as
 * one row (server/mentions.ts), allowed to anyone in a small room and to
 * its owner, moderators and admins in a larger one
 * (server/room_mentions.ts). Every scenario runs on SQLite and, when
 * PostgreSQL is installed, on a fresh PostgreSQL database of its own.
 */
import assert from "node:assert/strict";
import type { Config } from "../server/config.ts";
import { bothStores } from "./both_stores.ts";
import type { ClientPool, TestClient } from "./harness.ts";

const stores = await bothStores();

function roomTest(
  name: string,
  body: (pool: ClientPool) => Promise<void>,
  options: Partial<Config> = {},
): void {
  stores.clients(name, (pool) => body(pool), options);
}

/** The unread mentions in `general` a new login of the account is told. */
async function generalMentions(
  pool: ClientPool,
  client: TestClient,
): Promise<number> {
  const again = await pool.login({ token: client.token });
  const reply = again.received.find((f) => f.data.request === "login")!;
  const memberships = reply.data.memberships as {
    room: string;
    mentions: number;
  }[];
  const general = memberships.find((m) => m.room === "general")!;
  await again.close();
  return general.mentions;
}

roomTest(
  "@room counts once as a mention for every member but its author, with a name beside it too, and an edit without it takes it back",
  async (pool) => {
    const ada = await pool.register("ada");
    const bob = await pool.register("bob");
    const carol = await pool.register("carol");
    const sent = await bob.ok("send_message", {
      text: "@room deploy at five, @carol",
    });
    assert.equal(await generalMentions(pool, ada), 1);
    assert.equal(await generalMentions(pool, carol), 1);
    assert.equal(await generalMentions(pool, bob), 0);
    const id = (sent.message as { id: string }).id;
    await bob.ok("edit_message", { id, text: "deploy at five, @carol" });
    assert.equal(await generalMentions(pool, ada), 0);
    assert.equal(await generalMentions(pool, carol), 1);
  },
);

roomTest(
  "@room counts once for a member an edit names beside it, and once still when the next edit takes the name out or the @room",
  async (pool) => {
    const ada = await pool.register("ada");
    const bob = await pool.register("bob");
    const carol = await pool.register("carol");
    const sent = await bob.ok("send_message", { text: "@room deploy" });
    const id = (sent.message as { id: string }).id;
    await bob.ok("edit_message", { id, text: "@room deploy, @carol" });
    assert.equal(await generalMentions(pool, carol), 1);
    assert.equal(await generalMentions(pool, ada), 1);
    await bob.ok("edit_message", { id, text: "@room deploy" });
    assert.equal(await generalMentions(pool, carol), 1);
    await bob.ok("edit_message", { id, text: "deploy, @carol" });
    assert.equal(await generalMentions(pool, carol), 1);
    assert.equal(await generalMentions(pool, ada), 0);
  },
);

roomTest(
  "in a room of more than --room-mention-members members only moderators and admins notify with @room; the message is still sent",
  async (pool) => {
    // The first account is the admin.
    const ada = await pool.register("ada");
    const bob = await pool.register("bob");
    const carol = await pool.register("carol");
    const sent = await bob.ok("send_message", { text: "@room lunch?" });
    assert.equal((sent.message as { text: string }).text, "@room lunch?");
    assert.equal(await generalMentions(pool, carol), 0);
    assert.equal(await generalMentions(pool, ada), 0);
    await ada.ok("send_message", { text: "@room the server restarts" });
    assert.equal(await generalMentions(pool, carol), 1);
    assert.equal(await generalMentions(pool, bob), 1);
  },
  { roomMentionMembers: 2 },
);

roomTest(
  "an ignored author's @room is no mention for the ignorer, and one for the others",
  async (pool) => {
    const ada = await pool.register("ada");
    const bob = await pool.register("bob");
    const carol = await pool.register("carol");
    await carol.ok("ignore_user", { user: "bob" });
    await bob.ok("send_message", { text: "@room look" });
    assert.equal(await generalMentions(pool, carol), 0);
    assert.equal(await generalMentions(pool, ada), 1);
  },
);

roomTest(
  "a message whose @room notified carries room_mention in its reply, history, edits and search; one whose @room could not, or an edit without it, does not",
  async (pool) => {
    const ada = await pool.register("ada");
    const bob = await pool.register("bob");
    await pool.register("carol");
    type Message = { id: string; room_mention?: boolean };
    const loud = (await ada.ok("send_message", {
      text: "@room lunch at noon",
    })).message as Message;
    assert.equal(loud.room_mention, true);
    // bob is neither owner nor moderator, and the room is above the limit.
    const quiet = (await bob.ok("send_message", {
      text: "@room lunch at one",
    })).message as Message;
    assert.equal(quiet.room_mention, undefined);
    const history = (await bob.ok("history", { room: "general" }))
      .messages as Message[];
    const byId = new Map(history.map((m) => [m.id, m]));
    assert.equal(byId.get(loud.id)?.room_mention, true);
    assert.equal(byId.get(quiet.id)?.room_mention, undefined);
    const found = (await bob.ok("search", { query: "lunch" }))
      .results as Message[];
    const foundLoud = found.find((m) => m.id === loud.id);
    assert.equal(foundLoud?.room_mention, true);
    const edited = (await ada.ok("edit_message", {
      id: loud.id,
      text: "lunch at noon",
    })).message as Message;
    assert.equal(edited.room_mention, undefined);
    const again = (await ada.ok("edit_message", {
      id: loud.id,
      text: "@room lunch at noon",
    })).message as Message;
    assert.equal(again.room_mention, true);
  },
  { roomMentionMembers: 2 },
);
