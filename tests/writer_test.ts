/** ConnectionWriter: one connection's outgoing queue, against a fake sink. */
import assert from "node:assert/strict";
import { setImmediate } from "node:timers";
import { NO_RATE_LIMITS } from "../server/mod.ts";
import { CLOSE_TOO_SLOW } from "../server/protocol/close_codes.ts";
import { DEFAULT_CONFIG } from "../server/config.ts";
import { MAX_OBJECTS_PER_FRAME } from "../server/protocol/limits.ts";
import {
  ConnectionWriter,
  type FrameSink,
  writerClock,
  type WriterOptions,
} from "../server/writer.ts";
import {
  ClientPool,
  eventually,
  historyOf,
  type Message,
  RawSocket,
  rssKiB,
  spawnServer,
  TestClient,
  withClients,
} from "./harness.ts";

/** A sink that records what the writer does to it. */
class FakeSink implements FrameSink {
  sent: string[] = [];
  closes: { code: number; reason: string }[] = [];
  buffered = 0;
  failSends = false;
  /** A reader that stopped: what is sent stays buffered. */
  keepsSent = false;

  send(frame: string): void {
    if (this.failSends) throw new Error("socket closed");
    this.sent.push(frame);
    if (this.keepsSent) this.buffered += frame.length;
  }

  bufferedAmount(): number {
    return this.buffered;
  }

  close(code: number, reason: string): void {
    this.closes.push({ code, reason });
  }
}

/** A writer as the server makes one, with some options changed. */
function writerOn(
  sink: FrameSink,
  options: Partial<WriterOptions> = {},
): ConnectionWriter {
  return new ConnectionWriter(sink, {
    maxBufferedBytes: DEFAULT_CONFIG.maxBufferedBytes,
    maxBatch: MAX_OBJECTS_PER_FRAME,
    ...options,
  });
}

/**
 * Lets the writer's end-of-turn flush run. The flush is a setImmediate (two
 * nested ones on a busy server), and setImmediate callbacks run in the
 * order they were set: two nested ones here come after it. A setTimeout(0)
 * may fire before or after it, whatever the writer does.
 */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
}

Deno.test("writer: frames pushed in one turn leave as one frame joined by newlines", async () => {
  const sink = new FakeSink();
  const writer = writerOn(sink);
  writer.push('{"n":1}');
  writer.push('{"n":2}');
  writer.push('{"n":3}');
  assert.deepEqual(sink.sent, [], "nothing leaves before the turn ends");
  await nextTurn();
  assert.deepEqual(sink.sent, ['{"n":1}\n{"n":2}\n{"n":3}']);
});

Deno.test("writer: a lone frame leaves as it is", async () => {
  const sink = new FakeSink();
  const writer = writerOn(sink);
  writer.push('{"n":1}');
  await nextTurn();
  writer.push('{"n":2}');
  await nextTurn();
  assert.deepEqual(sink.sent, ['{"n":1}', '{"n":2}']);
});

Deno.test("writer: events pushed while held wait, replies go, and the held events follow in order once released", async () => {
  const sink = new FakeSink();
  const writer = writerOn(sink);
  writer.hold();
  writer.push('{"event":1}');
  await nextTurn();
  assert.deepEqual(sink.sent, [], "a held event does not leave");
  writer.push('{"event":2}');
  writer.answer('{"reply":1}');
  writer.release();
  writer.push('{"event":3}');
  await nextTurn();
  assert.deepEqual(sink.sent, [
    '{"reply":1}\n{"event":1}\n{"event":2}\n{"event":3}',
  ]);
});

Deno.test("writer: a batch holds at most maxBatch objects, in order", async () => {
  const sink = new FakeSink();
  const writer = writerOn(sink, { maxBatch: 2 });
  for (const n of [1, 2, 3, 4, 5]) writer.push(`{"n":${n}}`);
  await nextTurn();
  assert.deepEqual(sink.sent, [
    '{"n":1}\n{"n":2}',
    '{"n":3}\n{"n":4}',
    '{"n":5}',
  ]);
});

Deno.test("writer: a frame holds at most MAX_OBJECTS_PER_FRAME objects", async () => {
  const sink = new FakeSink();
  const writer = writerOn(sink);
  const frames = Array.from({ length: 200 }, (_, n) => `{"n":${n}}`);
  for (const frame of frames) writer.push(frame);
  await nextTurn();
  assert.equal(MAX_OBJECTS_PER_FRAME, 64);
  assert.deepEqual(sink.sent.map((f) => f.split("\n").length), [64, 64, 64, 8]);
  assert.deepEqual(sink.sent.flatMap((f) => f.split("\n")), frames);
});

Deno.test("writer: writers of one turn each get their own frame", async () => {
  const a = new FakeSink();
  const b = new FakeSink();
  const writerA = writerOn(a);
  const writerB = writerOn(b);
  writerA.push("a1");
  writerB.push("b1");
  writerA.push("a2");
  await nextTurn();
  assert.deepEqual(a.sent, ["a1\na2"]);
  assert.deepEqual(b.sent, ["b1"]);
});

Deno.test("writer: each member of a room gets its own frames, its replies among them in order", async () => {
  // Members with the same frames share one joined frame; the senders'
  // replies make their batches differ, between and around the others.
  const sinks = Array.from({ length: 7 }, () => new FakeSink());
  const writers = sinks.map((sink) => writerOn(sink));
  const queued: string[][] = [
    ["m1", "m2"],
    ["ack1", "m1", "m2"],
    ["m1", "m2"],
    ["m1", "ack2", "m2"],
    ["m1", "m2", "ack3"],
    ["m1", "m2"],
    ["m1"],
  ];
  // As a room's broadcast pushes them: frame by frame, member by member.
  for (let step = 0; step < 3; step++) {
    queued.forEach((frames, i) => {
      if (frames[step] !== undefined) writers[i].push(frames[step]);
    });
  }
  await nextTurn();
  assert.deepEqual(
    sinks.map((sink) => sink.sent),
    queued.map((frames) => [frames.join("\n")]),
  );
  // The next turn starts afresh: the same frames in another order.
  writers[0].push("m2");
  writers[0].push("m1");
  writers[2].push("m1");
  writers[2].push("m2");
  await nextTurn();
  assert.deepEqual(sinks[0].sent.at(-1), "m2\nm1");
  assert.deepEqual(sinks[2].sent.at(-1), "m1\nm2");
});

Deno.test("writer: while busy, a reader's few events of a wide broadcast wait for the next ones and leave with them in one frame; a reply or a narrow event does not wait; a wait ends on its own", async () => {
  // The writer's clock is held still and moved on by hand: the busy spell
  // (100 ms) and a wait (20 ms) are checked against this test's own steps,
  // which a busy machine paused past them (4 of 8 runs under three busy
  // loops). Its wait timer still runs in real time, and finds the wait not
  // over until the clock moves.
  // In whole milliseconds: from some fractional starts (12.0743567 among
  // them), now + 20 - now is 19.999999999999996 in floating point, the
  // wait never ended and the test timed out (once in a run of the file).
  let now = Math.floor(performance.now());
  writerClock.now = () => now;
  try {
    const sinks = Array.from({ length: 300 }, () => new FakeSink());
    const writers = sinks.map((sink) => writerOn(sink));
    // A flush to 300 sockets: the server is busy for the next 100 ms.
    for (const writer of writers) writer.push("m0", true);
    await nextTurn();
    assert.ok(sinks.every((sink) => sink.sent.length === 1));
    // A small group of two messages to the big room; the first writer also
    // sends the reply of one (a sender), the second gets an event of a
    // small room too.
    writers[0].answer("ack1");
    writers[1].push("chat1");
    for (const writer of writers) {
      writer.push("m1", true);
      writer.push("m2", true);
    }
    await nextTurn();
    assert.deepEqual(sinks[0].sent, ["m0", "ack1\nm1\nm2"]);
    assert.deepEqual(sinks[1].sent, ["m0", "chat1\nm1\nm2"]);
    assert.deepEqual(sinks[2].sent, ["m0"], "a reader's two events wait");
    // A large group: the waiting events share its frame, in order.
    const large = Array.from({ length: 16 }, (_, n) => `m${n + 3}`);
    for (const writer of writers) {
      for (const frame of large) writer.push(frame, true);
    }
    await nextTurn();
    assert.deepEqual(sinks[0].sent.at(-1), large.join("\n"));
    assert.deepEqual(sinks[1].sent.at(-1), large.join("\n"));
    for (const sink of sinks.slice(2)) {
      assert.deepEqual(sink.sent, ["m0", ["m1", "m2", ...large].join("\n")]);
    }
    // With nothing more coming, a wait ends by itself once its 20 ms pass.
    for (const writer of writers.slice(2)) writer.push("last", true);
    await nextTurn();
    assert.deepEqual(sinks[2].sent.length, 2, "the last event waits");
    now += 20;
    await eventually(() =>
      assert.ok(sinks.slice(2).every((sink) => sink.sent.at(-1) === "last"))
    );
  } finally {
    writerClock.now = () => performance.now();
  }
  // Not busy any more once 100 ms pass without a flush that large: the
  // next tests' frames leave at the end of their turn.
  await new Promise((resolve) => setTimeout(resolve, 150));
});

Deno.test("writer: a sink that falls too far behind is closed with 4008", async () => {
  const sink = new FakeSink();
  const writer = writerOn(sink, { maxBufferedBytes: 1000 });
  // The writer asks for the buffered amount once it has sent an eighth of
  // the limit since it last asked (asking costs a call into the runtime).
  const big = "x".repeat(200);
  writer.push(big);
  await nextTurn();
  sink.buffered = 1001;
  writer.push("late");
  await nextTurn();
  assert.equal(CLOSE_TOO_SLOW, 4008);
  assert.deepEqual(sink.sent, [big]);
  assert.equal(sink.closes.length, 1);
  assert.equal(sink.closes[0].code, 4008);
  assert.equal(writer.closed, true);
});

Deno.test("writer: replies of one turn that leave the sink past the limit, nothing sent after them, close it with 4008 at the second sweep; a reader that took them in stays", async () => {
  const page = "x".repeat(400);
  const stopped = new FakeSink();
  stopped.keepsSent = true;
  const reads = new FakeSink();
  reads.keepsSent = true;
  const writers = [stopped, reads].map((sink) =>
    writerOn(sink, { maxBufferedBytes: 1000 })
  );
  for (const writer of writers) {
    for (let i = 0; i < 3; i++) writer.answer(page);
  }
  await nextTurn();
  assert.deepEqual(stopped.sent, [[page, page, page].join("\n")]);
  // The first sweep gives the reader the time to the next to take it in.
  for (const writer of writers) writer.sweep();
  assert.equal(stopped.closes.length, 0);
  reads.buffered = 0;
  for (const writer of writers) writer.sweep();
  assert.deepEqual(stopped.closes.map((c) => c.code), [4008]);
  assert.equal(writers[0].closed, true);
  assert.deepEqual(reads.closes, []);
  assert.equal(writers[1].closed, false);
});

Deno.test("writer: a flush since the sweep before puts the sweep's check off to the next sweep", async () => {
  const sink = new FakeSink();
  sink.keepsSent = true;
  const writer = writerOn(sink, { maxBufferedBytes: 1000 });
  const page = "x".repeat(400);
  writer.answer(page);
  await nextTurn();
  writer.sweep();
  // A flush between two sweeps: the second one only notes it.
  writer.answer(page);
  await nextTurn();
  sink.buffered = 1001;
  writer.sweep();
  assert.equal(sink.closes.length, 0);
  writer.sweep();
  assert.deepEqual(sink.closes.map((c) => c.code), [4008]);
});

Deno.test("writer: a sink at the limit is still written to", async () => {
  const sink = new FakeSink();
  const writer = writerOn(sink, { maxBufferedBytes: 1000 });
  sink.buffered = 1000;
  writer.push("ok");
  await nextTurn();
  assert.deepEqual(sink.sent, ["ok"]);
  assert.deepEqual(sink.closes, []);
});

Deno.test("writer: close sends what was queued, then later pushes are ignored", async () => {
  const sink = new FakeSink();
  const writer = writerOn(sink);
  writer.push("queued 1");
  writer.push("queued 2");
  writer.close(1000, "bye");
  assert.deepEqual(sink.sent, ["queued 1\nqueued 2"]);
  assert.deepEqual(sink.closes, [{ code: 1000, reason: "bye" }]);
  writer.push("after");
  await nextTurn();
  writer.push("later");
  await nextTurn();
  assert.deepEqual(sink.sent, ["queued 1\nqueued 2"]);
  writer.close(1000, "again");
  assert.equal(sink.closes.length, 1, "close is done once");
  assert.equal(writer.closed, true);
});

Deno.test("writer: a socket that throws on send stops the writer", async () => {
  const sink = new FakeSink();
  const writer = writerOn(sink);
  sink.failSends = true;
  writer.push("lost");
  await nextTurn();
  assert.equal(writer.closed, true);
  sink.failSends = false;
  writer.push("ignored");
  await nextTurn();
  assert.deepEqual(sink.sent, []);
});

// ------------------------------------------------------------------------
// Slow consumers through a real server: the writer closes a socket that
// stops reading, and the room goes on promptly.

/** What a flood of one room did while a reader stood still. */
interface Flood {
  /** Messages acknowledged, in order. */
  sent: Message[];
  /** Slowest reply to the sender, in ms. */
  maxReplyMs: number;
  /** Slowest delivery to a reading member, in ms after the reply. */
  maxLagMs: number;
  /** Bytes of text sent. */
  bytes: number;
  /** Whether the slow reader left list_users before the flood ended. */
  dropped: boolean;
}

/**
 * Floods general with 4 KiB messages (at most 32 in flight) until `slow`
 * is no longer in list_users, 20 MB have gone, or 120 s have passed: the
 * server drops the reader after about 4 MB (1,000-1,050 messages), which
 * took 14 s at a load of 23 on 2 cores, so 30 s was only twice that.
 */
async function floodUntilGone(
  sender: TestClient,
  reader: TestClient,
  slow: string,
): Promise<Flood> {
  const flood: Flood = {
    sent: [],
    maxReplyMs: 0,
    maxLagMs: 0,
    bytes: 0,
    dropped: false,
  };
  const deadline = Date.now() + 120_000;
  const pad = "x".repeat(3900);
  let next = 0;
  const inFlight = new Set<Promise<void>>();
  while (flood.bytes < 20_000_000 && Date.now() < deadline) {
    const n = next++;
    const started = performance.now();
    const from = reader.received.length;
    const done = sender.ok("send_message", { text: `${n} ${pad}` }).then(
      async (data) => {
        const replied = performance.now();
        flood.maxReplyMs = Math.max(flood.maxReplyMs, replied - started);
        const message = data.message as Message;
        flood.sent[n] = message;
        await reader.event("receive_message", (d) => d.seq === message.seq, {
          from,
          timeoutMs: 60_000,
        });
        flood.maxLagMs = Math.max(flood.maxLagMs, performance.now() - replied);
      },
    );
    inFlight.add(done);
    done.finally(() => inFlight.delete(done));
    flood.bytes += pad.length;
    if (inFlight.size >= 32) await Promise.race(inFlight);
    if (n % 50 === 49) {
      const users = (await sender.ok("list_users")).users as string[];
      if (!users.includes(slow)) {
        flood.dropped = true;
        break;
      }
    }
  }
  await Promise.all(inFlight);
  return flood;
}

/** A member that logs in over raw TCP, then never reads. */
async function stalledMember(
  wsUrl: string,
  username: string,
): Promise<RawSocket> {
  const raw = await RawSocket.open(wsUrl);
  assert.equal(raw.status, 101);
  await raw.sendText(
    JSON.stringify({ action: "login", data: { username }, id: "1" }),
  );
  const reply = JSON.parse((await raw.readText()).split("\n")[0]);
  assert.equal(reply.action, "success");
  return raw;
}

/** What a raw socket was sent, read until it closed or went quiet. */
interface Drained {
  /** Seqs of the receive_message events, in order. */
  seqs: number[];
  /** Code of the close frame, if one came. */
  closeCode?: number;
  /** True when nothing came for `quietMs` and the socket was cut here. */
  cutOff: boolean;
}

/**
 * Reads everything the server had queued for a stalled socket: until its
 * close frame, the end of the TCP stream, or `quietMs` without data (then
 * `cutOff`). Then drops the TCP connection, as a client giving up would.
 */
async function drain(raw: RawSocket, quietMs = 10_000): Promise<Drained> {
  try {
    return await readUntilClosed(raw, quietMs);
  } finally {
    raw.abort();
  }
}

async function readUntilClosed(
  raw: RawSocket,
  quietMs: number,
): Promise<Drained> {
  const drained: Drained = { seqs: [], cutOff: false };
  const decoder = new TextDecoder();
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const next = raw.readFrame();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const quiet = new Promise<"quiet">((resolve) => {
      timer = setTimeout(() => resolve("quiet"), quietMs);
    });
    const frame = await Promise.race([next, quiet]);
    clearTimeout(timer);
    if (frame === "quiet") break;
    if (frame === null) return drained;
    if (frame.opcode === 0x8) {
      drained.closeCode = frame.payload.length >= 2
        ? (frame.payload[0] << 8) | frame.payload[1]
        : 1005;
      return drained;
    }
    if (frame.opcode !== 0x1) continue;
    for (const line of decoder.decode(frame.payload).split("\n")) {
      const object = JSON.parse(line);
      if (object.action === "receive_message") {
        drained.seqs.push(object.data.seq);
      }
    }
  }
  drained.cutOff = true;
  return drained;
}

Deno.test("slow consumer: a member that stops reading is dropped while the room keeps getting messages promptly", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-slow-" });
  const server = await spawnServer([
    "--db",
    `${dir}/chat.db`,
    "--rate-limits",
    "off",
    "--max-buffered-bytes",
    "65536",
    // slow never answers a ping: the idle check would close it (1001) after
    // 30 s, within a flood a busy machine makes last longer than that.
    "--idle-timeout",
    "3600",
  ]);
  const pool = new ClientPool(server.wsUrl);
  let slow: RawSocket | undefined;
  try {
    const sender = await pool.guest("sender");
    const reader = await pool.guest("reader");
    slow = await stalledMember(server.wsUrl, "slow");
    await reader.event(
      "system",
      (d) => d.kind === "joined" && d.user === "slow",
    );
    const before = await rssKiB(server.process.pid);
    const flood = await floodUntilGone(sender, reader, "slow");
    const after = await rssKiB(server.process.pid);
    const summary =
      `${flood.sent.length} messages, ${(flood.bytes / 1e6).toFixed(1)} MB, ` +
      `replies <= ${flood.maxReplyMs.toFixed(0)} ms, lag <= ${
        flood.maxLagMs.toFixed(0)
      } ms, ` +
      `RSS ${before >> 10} -> ${after >> 10} MiB`;
    assert.ok(flood.dropped, `slow reader still listed after ${summary}`);
    // Promptly: a room held up by its stalled reader would wait for it to
    // be dropped; a busy 2-core machine adds seconds here and there (how
    // fast is for `deno task bench`).
    assert.ok(flood.maxReplyMs < 10_000, summary);
    assert.ok(flood.maxLagMs < 10_000, summary);
    assert.ok(after - before < 128 * 1024, summary);
    await reader.event("system", (d) => d.kind === "left" && d.user === "slow");
    const drained = await drain(slow);
    // Closed with 4008 behind what it was sent, or its TCP stream ended.
    assert.ok(!drained.cutOff, "the server left the socket open");
    assert.ok(
      drained.closeCode === undefined || drained.closeCode === 4008,
      `close ${drained.closeCode}`,
    );
    assert.equal(reader.closeCode, undefined);
    assert.equal(sender.closeCode, undefined);
  } finally {
    slow?.abort();
    await pool.closeAll();
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("slow consumer: a reader left behind logs in again and catches up from history after_seq with no gap", () =>
  withClients(async (pool, server) => {
    const sender = await pool.guest("sender");
    const reader = await pool.guest("reader");
    const slow = await stalledMember(server.wsUrl, "slow");
    try {
      await reader.event(
        "system",
        (d) => d.kind === "joined" && d.user === "slow",
      );
      const flood = await floodUntilGone(sender, reader, "slow");
      // Whether the server dropped it (the test above) or it gives up
      // itself: what it got is the start of the room's stream, in order.
      const { seqs } = await drain(slow);
      assert.deepEqual(seqs, seqs.map((_, i) => i + 1));
      await reader.event(
        "system",
        (d) => d.kind === "left" && d.user === "slow",
      );
      const back = await pool.guest("slow");
      const last = seqs.at(-1) ?? 0;
      const missed = await historyOf<Message>(back, "general", last);
      const all = [...seqs, ...missed.map((m) => m.seq)];
      const total = flood.sent.length;
      assert.equal(
        all.length,
        total,
        `got ${seqs.length} live and ${missed.length} from history`,
      );
      assert.deepEqual(all, flood.sent.map((m) => m.seq));
    } finally {
      slow.abort();
    }
    // slow never answers a ping: dropped for it within a long flood, it
    // would not be the reader left behind this is about.
  }, {
    rateLimits: NO_RATE_LIMITS,
    maxBufferedBytes: 65536,
    idleTimeoutSeconds: 3600,
  }));
