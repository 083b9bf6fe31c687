/** ConnectionWriter: one connection's outgoing queue, against a fake sink. */
import assert from "node:assert/strict";
import { CLOSE_TOO_SLOW } from "../server/protocol/close_codes.ts";
import { DEFAULT_CONFIG } from "../server/config.ts";
import { MAX_OBJECTS_PER_FRAME } from "../server/protocol/limits.ts";
import {
  ConnectionWriter,
  type FrameSink,
  type WriterOptions,
} from "../server/writer.ts";

/** A sink that records what the writer does to it. */
class FakeSink implements FrameSink {
  sent: string[] = [];
  closes: { code: number; reason: string }[] = [];
  buffered = 0;
  failSends = false;

  send(frame: string): void {
    if (this.failSends) throw new Error("socket closed");
    this.sent.push(frame);
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

/** Lets the writer's end-of-turn flush run. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
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
