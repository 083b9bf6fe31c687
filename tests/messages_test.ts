/**
 * Room messages (server/handlers/messages.ts) against a real server:
 * send_message and history, the message's shape, seq, client_id retries,
 * order under concurrent senders, paging, and text that comes back exactly
 * as sent.
 */
import assert from "node:assert/strict";
import process from "node:process";
import {
  expectError,
  type Frame,
  historyOf,
  ISO_MS,
  type Message,
  messageOf,
  metric,
  range,
  replyTo,
  roundTrip,
  sendMany,
  since,
  TestClient,
  withClients,
} from "./harness.ts";

function messagesOf(frames: Frame[]): Message[] {
  return frames.map((f) => f.data as unknown as Message);
}

Deno.test("send_message: the text is trimmed and the message has the contract's shape", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    const before = Date.now();
    const data = await alice.ok("send_message", { text: "  hello world \n" });
    const after = Date.now();
    assert.deepEqual(Object.keys(data).sort(), ["message", "request"]);
    const m = messageOf(data);
    assert.deepEqual(Object.keys(m).sort(), [
      "id",
      "room",
      "seq",
      "text",
      "ts",
      "user",
    ]);
    assert.equal(typeof m.id, "string");
    assert.ok(m.id.length > 0);
    assert.equal(m.seq, 1);
    assert.equal(m.room, "general");
    assert.equal(m.user, "alice");
    assert.equal(m.text, "hello world");
    assert.match(m.ts, ISO_MS);
    const ts = Date.parse(m.ts);
    assert.ok(ts >= before - 1000 && ts <= after + 1000);
    const event = await alice.event("receive_message");
    assert.equal(event.data.epoch, undefined);
    assert.deepEqual(event.data, m);
  }));

Deno.test("send_message: blank text gets empty_message", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    for (const text of ["", "   ", "\n\t  \r\n"]) {
      await expectError(alice, "send_message", { text }, "empty_message");
    }
    await expectError(alice, "send_message", {}, "invalid_message");
    await expectError(alice, "send_message", { text: 5 }, "invalid_message");
    await roundTrip(alice);
    assert.deepEqual(alice.events("receive_message"), []);
    assert.deepEqual((await alice.ok("history")).messages, []);
  }));

Deno.test("send_message: 4000 characters are accepted, 4001 get message_too_long", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    await expectError(
      alice,
      "send_message",
      { text: "a".repeat(4001) },
      "message_too_long",
    );
    const ok = await alice.ok("send_message", { text: "b".repeat(4000) });
    assert.equal(messageOf(ok).text.length, 4000);
    assert.equal(messageOf(ok).seq, 1);
    const padded = await alice.ok("send_message", {
      text: `  ${"c".repeat(4000)}  `,
    });
    assert.equal(messageOf(padded).text, "c".repeat(4000));
  }));

Deno.test("send_message: every member of the room gets it, the sender included, other rooms do not", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    const bob = await pool.guest("bob");
    const dave = await pool.guest("dave");
    await dave.ok("create_room", { room: "dev" });
    const data = await alice.ok("send_message", { text: "hi all" });
    const m = messageOf(data);
    const atAlice = await alice.event("receive_message");
    const atBob = await bob.event("receive_message");
    assert.deepEqual(atAlice.data, m);
    assert.deepEqual(atBob.data, m);
    // The reply comes before the sender's own event.
    assert.ok(
      alice.received.indexOf(atAlice) > alice.received.findIndex(
        (f) => f.action === "success" && f.data.request === "send_message",
      ),
    );
    await roundTrip(dave);
    await roundTrip(alice);
    await roundTrip(bob);
    assert.deepEqual(dave.events("receive_message"), []);
    assert.equal(alice.events("receive_message").length, 1);
    assert.equal(bob.events("receive_message").length, 1);
  }));

Deno.test("send_message: seq counts from 1 per room, with no gaps", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    const bob = await pool.guest("bob");
    await bob.ok("create_room", { room: "dev" });
    const a = await sendMany(alice, ["a1", "a2", "a3"]);
    const b = await sendMany(bob, ["b1", "b2"]);
    const a4 = await sendMany(alice, ["a4"]);
    assert.deepEqual([...a, ...a4].map((m) => m.seq), [1, 2, 3, 4]);
    assert.deepEqual(b.map((m) => m.seq), [1, 2]);
    assert.deepEqual(b.map((m) => m.room), ["dev", "dev"]);
    assert.equal(new Set([...a, ...b, ...a4].map((m) => m.id)).size, 6);
  }));

Deno.test("send_message: client_id is echoed in the reply and the event", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    const bob = await pool.guest("bob");
    const data = await alice.ok("send_message", {
      text: "hi",
      client_id: "k1",
    });
    assert.equal(messageOf(data).client_id, "k1");
    const event = await bob.event("receive_message");
    assert.equal(event.data.client_id, "k1");
    const history = (await bob.ok("history")).messages as Message[];
    assert.equal(history[0].client_id, "k1");
  }));

Deno.test("send_message: a retry with the same client_id returns the first message and broadcasts nothing", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    const bob = await pool.guest("bob");
    const first = messageOf(
      await alice.ok("send_message", { text: "hi", client_id: "k1" }),
    );
    const retry = messageOf(
      await alice.ok("send_message", { text: "hi again", client_id: "k1" }),
    );
    assert.deepEqual(retry, first);
    const next = messageOf(await alice.ok("send_message", { text: "next" }));
    assert.equal(next.seq, 2);
    await bob.event("receive_message", (d) => d.seq === 2);
    await alice.event("receive_message", (d) => d.seq === 2);
    assert.deepEqual(
      bob.events("receive_message").map((e) => e.data.seq),
      [1, 2],
    );
    assert.deepEqual(
      alice.events("receive_message").map((e) => e.data.seq),
      [1, 2],
    );
    const history = (await bob.ok("history")).messages as Message[];
    assert.deepEqual(history.map((m) => m.text), ["hi", "next"]);
  }));

Deno.test("send_message: the same client_id in another room or from another user is a new message", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    const bob = await pool.guest("bob");
    const inGeneral = messageOf(
      await alice.ok("send_message", { text: "one", client_id: "k1" }),
    );
    const fromBob = messageOf(
      await bob.ok("send_message", { text: "bob's", client_id: "k1" }),
    );
    assert.notEqual(fromBob.id, inGeneral.id);
    assert.equal(fromBob.seq, 2);
    assert.equal(fromBob.text, "bob's");
    await alice.ok("create_room", { room: "dev" });
    const inDev = messageOf(
      await alice.ok("send_message", { text: "two", client_id: "k1" }),
    );
    assert.notEqual(inDev.id, inGeneral.id);
    assert.deepEqual([inDev.room, inDev.seq, inDev.text], ["dev", 1, "two"]);
    await alice.event("receive_message", (d) => d.room === "dev");
  }));

Deno.test("send_message: concurrent senders give every member the same order, seq 1..200", () =>
  withClients(async (pool) => {
    const names = ["s1", "s2", "s3", "s4", "s5"];
    const clients: TestClient[] = [];
    for (const name of names) clients.push(await pool.guest(name));
    const perClient = 40;
    for (let i = 0; i < perClient; i++) {
      for (const [c, client] of clients.entries()) {
        client.send({
          action: "send_message",
          data: { text: `${names[c]}:${i}` },
          id: `m${i}`,
        });
      }
    }
    const total = perClient * clients.length;
    const orders: string[][] = [];
    for (const client of clients) {
      await client.waitFor(
        () => client.events("receive_message").length >= total,
        "all messages",
      );
      await roundTrip(client);
      const events = messagesOf(client.events("receive_message"));
      assert.equal(events.length, total);
      assert.deepEqual(events.map((m) => m.seq), range(1, total));
      orders.push(events.map((m) => m.id));
      const replies = client.received.filter(
        (f) => f.action === "success" && f.data.request === "send_message",
      );
      assert.equal(replies.length, perClient);
    }
    for (const order of orders) assert.deepEqual(order, orders[0]);
    // Each sender's messages keep the order it sent them in.
    for (const [c, name] of names.entries()) {
      const texts = messagesOf(clients[c].events("receive_message"))
        .filter((m) => m.user === name)
        .map((m) => m.text);
      assert.deepEqual(
        texts,
        range(0, perClient - 1).map((i) => `${name}:${i}`),
      );
    }
    const history = await clients[0].ok("history", { limit: 200 });
    assert.deepEqual(
      (history.messages as Message[]).map((m) => m.id),
      orders[0],
    );
  }));

Deno.test("send_message: messages sent at once are answered in order and share commits", () =>
  withClients(async (pool, server) => {
    const alice = await pool.guest("alice");
    const commitsBefore = await metric(
      server.url,
      "chat_store_append_commits_total",
    );
    const count = 100;
    for (let i = 0; i < count; i++) {
      alice.send({
        action: "send_message",
        data: { text: `m${i}` },
        id: `m${i}`,
      });
    }
    await alice.waitFor((f) => f.id === `m${count - 1}`, "the last reply");
    const replies = alice.received.filter((f) => f.id?.startsWith("m"));
    assert.deepEqual(
      replies.map((f) => f.id),
      range(0, count - 1).map((i) => `m${i}`),
    );
    const stored = replies.map((f) => f.data.message as unknown as Message);
    assert.deepEqual(stored.map((m) => m.seq), range(1, count));
    assert.deepEqual(
      stored.map((m) => m.text),
      range(0, count - 1).map((i) => `m${i}`),
    );
    // One commit each would be 100: the client's next message starts as
    // soon as the one before is queued in the store, not once it is stored.
    const commits =
      (await metric(server.url, "chat_store_append_commits_total")) -
      commitsBefore;
    assert.ok(commits <= count / 2, `${commits} commits for ${count} messages`);
  }));

Deno.test("send_message: a message, a room change and a message sent at once take effect in that order", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    await alice.ok("create_room", { room: "dev" }); // moves her there
    await alice.ok("join_room", { room: "general" });
    const from = alice.received.length;
    alice.send({ action: "send_message", data: { text: "before" }, id: "a" });
    alice.send({ action: "send_message", data: { text: "" }, id: "b" });
    alice.send({ action: "join_room", data: { room: "dev" }, id: "c" });
    alice.send({ action: "send_message", data: { text: "after" }, id: "d" });
    await alice.waitFor((f) => f.id === "d", "the last reply");
    const replies = since(alice, from).filter((f) => f.id !== undefined);
    assert.deepEqual(replies.map((f) => [f.id, f.action]), [
      ["a", "success"],
      ["b", "error"],
      ["c", "success"],
      ["d", "success"],
    ]);
    assert.equal(replies[1].data.code, "empty_message");
    const before = replies[0].data.message as unknown as Message;
    const after = replies[3].data.message as unknown as Message;
    assert.deepEqual([before.room, before.seq], ["general", 1]);
    assert.deepEqual([after.room, after.seq], ["dev", 1]);
    // Alice was still in general when "before" went out, so she saw it.
    const seen = messagesOf(
      since(alice, from).filter((f) => f.action === "receive_message"),
    );
    assert.deepEqual(seen.map((m) => [m.room, m.text]), [
      ["general", "before"],
      ["dev", "after"],
    ]);
  }));

Deno.test("send_message: a burst arrives intact to a client that splits frames on newlines", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    const bob = await pool.guest("bob");
    const count = 150;
    for (let i = 0; i < count; i++) {
      alice.send({
        action: "send_message",
        data: { text: `burst ${i} "quoted" \\ back\\nslash` },
        id: `b${i}`,
      });
    }
    await bob.waitFor(
      () => bob.events("receive_message").length >= count,
      "the whole burst",
    );
    const got = messagesOf(bob.events("receive_message"));
    assert.deepEqual(got.map((m) => m.seq), range(1, count));
    assert.deepEqual(
      got.map((m) => m.text),
      range(0, count - 1).map((i) => `burst ${i} "quoted" \\ back\\nslash`),
    );
    // Every raw frame is one or more whole JSON objects separated by "\n".
    for (const raw of [...bob.rawFrames, ...alice.rawFrames]) {
      for (const line of raw.split("\n")) {
        assert.equal(typeof JSON.parse(line).action, "string");
      }
    }
  }));

Deno.test("history: the current room by default, oldest first", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    await sendMany(alice, ["g1", "g2"]);
    await alice.ok("create_room", { room: "dev" });
    await sendMany(alice, ["d1", "d2", "d3"]);
    const data = await alice.ok("history");
    assert.deepEqual(Object.keys(data).sort(), [
      "epoch",
      "messages",
      "request",
      "room",
    ]);
    assert.equal(data.room, "dev");
    const messages = data.messages as Message[];
    assert.deepEqual(messages.map((m) => [m.seq, m.text]), [
      [1, "d1"],
      [2, "d2"],
      [3, "d3"],
    ]);
    const general = await alice.ok("history", { room: "General" });
    assert.equal(general.room, "general");
    assert.deepEqual(
      (general.messages as Message[]).map((m) => m.text),
      ["g1", "g2"],
    );
  }));

Deno.test("history: before_seq, after_seq and limit pick a page", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    await sendMany(alice, range(1, 10).map((n) => `m${n}`));
    async function seqs(data: Record<string, unknown>): Promise<number[]> {
      const page = await alice.ok("history", data);
      return (page.messages as Message[]).map((m) => m.seq);
    }
    assert.deepEqual(await seqs({}), range(1, 10));
    assert.deepEqual(await seqs({ limit: 3 }), [8, 9, 10]);
    assert.deepEqual(await seqs({ before_seq: 5 }), [1, 2, 3, 4]);
    assert.deepEqual(await seqs({ before_seq: 5, limit: 2 }), [3, 4]);
    assert.deepEqual(await seqs({ after_seq: 7 }), [8, 9, 10]);
    assert.deepEqual(await seqs({ after_seq: 3, limit: 2 }), [4, 5]);
    assert.deepEqual(await seqs({ after_seq: 2, before_seq: 6 }), [3, 4, 5]);
    assert.deepEqual(await seqs({ after_seq: 10 }), []);
    assert.deepEqual(await seqs({ after_seq: 0, limit: 1 }), [1]);
    assert.deepEqual(await seqs({ before_seq: 1 }), []);
    assert.deepEqual(await seqs({ limit: 200 }), range(1, 10));
  }));

Deno.test("history: a reconnecting client asks after_seq and misses nothing", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    const bob = await pool.guest("bob");
    await sendMany(alice, ["one", "two"]);
    await bob.event("receive_message", (d) => d.seq === 2);
    const lastSeen = 2;
    await bob.close();
    await sendMany(alice, ["three", "four"]);
    const back = await pool.guest("bob");
    const page = await back.ok("history", { after_seq: lastSeen });
    assert.deepEqual(
      (page.messages as Message[]).map((m) => [m.seq, m.text]),
      [[3, "three"], [4, "four"]],
    );
  }));

Deno.test("history: limit outside 1..200 gets invalid_message", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    for (const limit of [0, 201, -1, 1.5, "5", null]) {
      await expectError(alice, "history", { limit }, "invalid_message");
    }
    for (const bad of [{ before_seq: "3" }, { after_seq: -1 }, { room: 4 }]) {
      await expectError(alice, "history", bad, "invalid_message");
    }
    await alice.ok("history", { limit: 1 });
    await alice.ok("history", { limit: 200 });
  }));

Deno.test("history: a room that does not exist gets room_not_found", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    await expectError(alice, "history", { room: "nope" }, "room_not_found");
  }));

Deno.test("history: more than 200 messages are paged back with before_seq", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    const total = 230;
    for (let i = 1; i <= total; i++) {
      alice.send({
        action: "send_message",
        data: { text: `m${i}` },
        id: `p${i}`,
      });
    }
    await alice.waitFor((f) => f.id === `p${total}`, "the last reply");
    const latest = await alice.ok("history", { limit: 200 });
    const newest = latest.messages as Message[];
    assert.deepEqual(newest.map((m) => m.seq), range(31, 230));
    const older = await alice.ok("history", { before_seq: 31, limit: 200 });
    assert.deepEqual(
      (older.messages as Message[]).map((m) => m.seq),
      range(1, 30),
    );
    const fallback = await alice.ok("history");
    assert.deepEqual(
      (fallback.messages as Message[]).map((m) => m.seq).at(-1),
      230,
    );
  }));

Deno.test("messages: emoji, combining marks, RTL text and markup come back identical in the reply, receive_message, history and the HTTP API", () =>
  withClients(async (pool, server) => {
    const alice = await pool.guest("alice");
    const bob = await pool.guest("bob");
    const texts = [
      "👩‍👩‍👧‍👦 family, 🏳️‍🌈 flag, 👍🏽 thumb",
      "e\u0301 decomposed vs é precomposed",
      "Z\u0324\u0308a\u0338l\u0337g\u0335o",
      "مرحبا بالعالم",
      "שלום עולם",
      "mixed \u202Eevil\u202C text and \u2067isolate\u2069",
      "<script>alert('x')</script><img src=x onerror=alert(1)>",
      "&lt;b&gt; &amp; \"quotes\" 'single' \\backslash",
      "tab\tinside and\nnew line",
      "zero\u200Bwidth\uFEFFjoiner\u200D",
      "𝕏 𝔸 mathematical, \uD834\uDD1E clef",
      "\u3164 Hangul filler inside text",
    ];
    const replies: Message[] = [];
    for (const text of texts) {
      replies.push(
        (await alice.ok("send_message", { text })).message as Message,
      );
    }
    await roundTrip(bob);
    const events = bob.events("receive_message").map((f) => f.data.text);
    const stored = (await historyOf<Message>(bob, "general")).map((m) =>
      m.text
    );
    const response = await fetch(`${server.url}/api/rooms/general/messages`);
    const http = ((await response.json()).messages as Message[]).map((m) =>
      m.text
    );
    const encoder = new TextEncoder();
    for (const [i, text] of texts.entries()) {
      const bytes = encoder.encode(text);
      for (
        const [where, got] of [
          ["reply", replies[i].text],
          ["receive_message", events[i]],
          ["history", stored[i]],
          ["HTTP API", http[i]],
        ] as const
      ) {
        assert.equal(got, text, `${where} of ${JSON.stringify(text)}`);
        assert.deepEqual(encoder.encode(got as string), bytes, where);
      }
    }
  }));

Deno.test("messages: only the ends are trimmed, spaces inside stay as sent", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    const sent = await alice.ok("send_message", {
      text: " \t\n  two  spaces,\u00A0nbsp and  \t tab \n ",
    });
    assert.equal(
      (sent.message as Message).text,
      "two  spaces,\u00A0nbsp and  \t tab",
    );
  }));

Deno.test("messages: a text with a lone surrogate is refused, or the same in the reply, receive_message and history", () =>
  withClients(async (pool) => {
    const alice = await pool.guest("alice");
    // JSON may escape half of a surrogate pair; UTF-8 cannot store it.
    const reply = await replyTo(
      alice,
      '{"action":"send_message","id":"s","data":{"text":"half \\ud800 pair"}}',
    );
    if (reply.action === "error") {
      assert.equal(reply.data.code, "invalid_message");
      return;
    }
    const sent = reply.data.message as Message;
    const event = await alice.event("receive_message", (d) => d.seq === 1);
    const [stored] = await historyOf<Message>(alice, "general");
    assert.deepEqual(event.data, sent, "receive_message vs reply");
    assert.deepEqual(stored, sent, "history vs reply");
  }));

Deno.test("messages: a text built to be slow to read for its mentions (links the markup refuses, then 2,200 ')') is answered and delivered for a few ms of the server's CPU, as any other", () =>
  withClients(async (pool) => {
    const mallory = await pool.guest("mallory");
    const bob = await pool.guest("bob");
    // Three texts, none the same, so no parse is kept from another. Each
    // cost 5 s of the server's thread when the markup counted a link's
    // parentheses again for each `)` it trimmed, and the link, refused
    // (a user name before its host), was read again from its next letter:
    // every socket then waited 15 s. Now a few ms each. Counted in CPU
    // time of this process (the server runs in it), not by the clock: a
    // busy machine holds the process for seconds at times, which makes
    // its work no longer.
    const texts = ["a", "b", "c"].map((tag) =>
      `@${tag} ` + "http://a@".repeat(200) + ")".repeat(2196)
    );
    const before = process.cpuUsage();
    for (const text of texts) {
      await mallory.ok("send_message", { text });
    }
    await bob.event("receive_message", (data) => data.text === texts[2]);
    const spent = process.cpuUsage(before);
    const ms = (spent.user + spent.system) / 1000;
    assert.ok(ms < 3_000, `three messages took ${ms.toFixed(0)} ms of CPU`);
  }));
