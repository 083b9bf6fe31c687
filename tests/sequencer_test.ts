/**
 * RoomSequencer with a fake store and no services: each room's messages
 * are delivered in seq order whatever order they are offered in, a gap
 * that stays open is read back from the store, duplicates are dropped,
 * and a forgotten room or a closed sequencer leaves nothing behind.
 */
import assert from "node:assert/strict";
import { type GapFiller, RoomSequencer } from "../server/sequencer.ts";
import { delay, eventually } from "./harness.ts";

/** A gap wait no test reaches: nothing is read from the store. */
const NEVER = 60_000;

/**
 * What the node's store would give back, and what was delivered: a room's
 * stored seqs, the filler the sequencer reads gaps with, and the log of
 * deliveries as "room:seq" (with "store" for those read back).
 */
class FakeStore {
  stored = new Map<string, number[]>();
  reads: [string, number, number][] = [];
  delivered: string[] = [];
  /** Makes the next reads fail, as a store that is down. */
  failing = false;
  /** Holds reads until it resolves, as a slow store. */
  gate: Promise<void> | undefined;

  /** Stores seqs 1..n of a room (what the database holds). */
  store(roomKey: string, last: number): void {
    this.stored.set(roomKey, Array.from({ length: last }, (_, i) => i + 1));
  }

  /** Forgets some seqs, as if they never reached the store. */
  lose(roomKey: string, ...seqs: number[]): void {
    this.stored.set(
      roomKey,
      (this.stored.get(roomKey) ?? []).filter((s) => !seqs.includes(s)),
    );
  }

  fill: GapFiller = async (roomKey, afterSeq, beforeSeq) => {
    this.reads.push([roomKey, afterSeq, beforeSeq]);
    await this.gate;
    if (this.failing) throw new Error("store down");
    const seqs = (this.stored.get(roomKey) ?? [])
      .filter((seq) => seq > afterSeq && seq < beforeSeq)
      .slice(0, 200);
    return seqs.map((seq) => ({
      seq,
      deliver: () => this.delivered.push(`${roomKey}:${seq} store`),
    }));
  };

  /** A delivery as the broker's publication would make it. */
  live(roomKey: string, seq: number): () => void {
    return () => this.delivered.push(`${roomKey}:${seq}`);
  }
}

/** Runs a body with a fresh store and sequencer, closing it after. */
function sequencerTest(
  name: string,
  gapWaitMs: number,
  body: (sequencer: RoomSequencer, store: FakeStore) => Promise<void> | void,
): void {
  Deno.test(`sequencer: ${name}`, async () => {
    const store = new FakeStore();
    const sequencer = new RoomSequencer(store.fill, { gapWaitMs });
    try {
      await body(sequencer, store);
    } finally {
      sequencer.close();
    }
  });
}

/** Offers seqs of a room in the order given. */
function offer(
  sequencer: RoomSequencer,
  store: FakeStore,
  roomKey: string,
  ...seqs: number[]
): void {
  for (const seq of seqs) {
    sequencer.offer(roomKey, seq, store.live(roomKey, seq));
  }
}

sequencerTest(
  "messages offered in order are delivered at once",
  NEVER,
  (sequencer, store) => {
    sequencer.expect("general", 1);
    offer(sequencer, store, "general", 1, 2, 3);
    assert.deepEqual(store.delivered, ["general:1", "general:2", "general:3"]);
    assert.deepEqual(store.reads, []);
  },
);

sequencerTest(
  "messages offered out of order wait for the missing ones, then go in order",
  NEVER,
  (sequencer, store) => {
    sequencer.expect("general", 1);
    offer(sequencer, store, "general", 3, 5, 2);
    assert.deepEqual(store.delivered, []);
    offer(sequencer, store, "general", 1);
    assert.deepEqual(store.delivered, ["general:1", "general:2", "general:3"]);
    offer(sequencer, store, "general", 4);
    assert.deepEqual(store.delivered.slice(3), ["general:4", "general:5"]);
    assert.deepEqual(store.reads, []);
  },
);

sequencerTest(
  "a gap still open after gapWaitMs is read from the store, then the waiting messages follow",
  10,
  async (sequencer, store) => {
    store.store("general", 4);
    sequencer.expect("general", 1);
    offer(sequencer, store, "general", 1, 4);
    assert.deepEqual(store.delivered, ["general:1"]);
    await eventually(() => assert.equal(store.delivered.length, 4));
    assert.deepEqual(store.delivered, [
      "general:1",
      "general:2 store",
      "general:3 store",
      "general:4",
    ]);
    // Only the gap was read: after the last delivered, before the first waiting.
    assert.deepEqual(store.reads, [["general", 1, 4]]);
    // And the room goes on from there.
    offer(sequencer, store, "general", 5);
    assert.equal(store.delivered.at(-1), "general:5");
  },
);

sequencerTest(
  "a message that arrives after its gap was read from the store is dropped",
  10,
  async (sequencer, store) => {
    store.store("general", 3);
    sequencer.expect("general", 1);
    offer(sequencer, store, "general", 3);
    await eventually(() => assert.equal(store.delivered.length, 3));
    offer(sequencer, store, "general", 1, 2, 3);
    assert.deepEqual(store.delivered, [
      "general:1 store",
      "general:2 store",
      "general:3",
    ]);
  },
);

sequencerTest(
  "duplicates and seqs already delivered are dropped",
  NEVER,
  (sequencer, store) => {
    sequencer.expect("general", 1);
    offer(sequencer, store, "general", 1, 1, 2, 1);
    // A message waiting twice is delivered once.
    offer(sequencer, store, "general", 4, 4);
    offer(sequencer, store, "general", 3, 2);
    assert.deepEqual(store.delivered, [
      "general:1",
      "general:2",
      "general:3",
      "general:4",
    ]);
  },
);

sequencerTest(
  "a gap the store cannot fill is passed over: the waiting messages go on",
  10,
  async (sequencer, store) => {
    store.store("general", 5);
    store.lose("general", 2, 3);
    sequencer.expect("general", 1);
    offer(sequencer, store, "general", 1, 4, 5);
    await eventually(() => assert.equal(store.delivered.length, 3));
    assert.deepEqual(store.delivered, ["general:1", "general:4", "general:5"]);
    // The skipped seqs are old news if they turn up now.
    offer(sequencer, store, "general", 2, 3);
    assert.equal(store.delivered.length, 3);
  },
);

sequencerTest(
  "a store that fails does not hold the room back",
  10,
  async (sequencer, store) => {
    store.failing = true;
    sequencer.expect("general", 1);
    offer(sequencer, store, "general", 3, 4);
    await eventually(() => assert.equal(store.delivered.length, 2));
    assert.deepEqual(store.delivered, ["general:3", "general:4"]);
    assert.equal(store.reads.length, 1);
  },
);

sequencerTest(
  "a second gap further on is filled too, with no new message to wake it",
  10,
  async (sequencer, store) => {
    store.store("general", 6);
    sequencer.expect("general", 1);
    // 1, 2, 4 and 5 are lost on the way; 3 and 6 arrive, then nothing.
    offer(sequencer, store, "general", 3, 6);
    await eventually(() => assert.equal(store.delivered.length, 6));
    assert.deepEqual(store.delivered, [
      "general:1 store",
      "general:2 store",
      "general:3",
      "general:4 store",
      "general:5 store",
      "general:6",
    ]);
  },
);

sequencerTest(
  "rooms are sequenced apart: a gap in one holds no other",
  NEVER,
  (sequencer, store) => {
    sequencer.expect("general", 1);
    sequencer.expect("dev", 1);
    offer(sequencer, store, "general", 2);
    offer(sequencer, store, "dev", 1, 2);
    assert.deepEqual(store.delivered, ["dev:1", "dev:2"]);
    offer(sequencer, store, "general", 1);
    assert.deepEqual(store.delivered.slice(2), ["general:1", "general:2"]);
  },
);

sequencerTest(
  "expect sets where a room starts: earlier seqs are dropped, later ones wait",
  NEVER,
  (sequencer, store) => {
    sequencer.expect("general", 11);
    offer(sequencer, store, "general", 9, 10, 12);
    assert.deepEqual(store.delivered, []);
    offer(sequencer, store, "general", 11);
    assert.deepEqual(store.delivered, ["general:11", "general:12"]);
  },
);

sequencerTest(
  "a room never expected delivers its first message whatever its seq",
  NEVER,
  (sequencer, store) => {
    offer(sequencer, store, "new", 5, 7);
    assert.deepEqual(store.delivered, ["new:5"]);
    offer(sequencer, store, "new", 6);
    assert.deepEqual(store.delivered, ["new:5", "new:6", "new:7"]);
  },
);

sequencerTest(
  "forget drops a room's waiting messages and reads nothing for it",
  10,
  async (sequencer, store) => {
    store.store("dev", 3);
    sequencer.expect("dev", 1);
    offer(sequencer, store, "dev", 3);
    sequencer.forget("dev");
    await delay(100);
    assert.deepEqual(store.delivered, []);
    assert.deepEqual(store.reads, []);
    // A room created again under that key starts afresh.
    sequencer.expect("dev", 1);
    offer(sequencer, store, "dev", 1);
    assert.deepEqual(store.delivered, ["dev:1"]);
  },
);

sequencerTest(
  "forget while a gap is being read delivers nothing of it",
  10,
  async (sequencer, store) => {
    store.store("dev", 3);
    const { promise, resolve } = Promise.withResolvers<void>();
    store.gate = promise;
    sequencer.expect("dev", 1);
    offer(sequencer, store, "dev", 3);
    await eventually(() => assert.equal(store.reads.length, 1));
    sequencer.forget("dev");
    resolve();
    await delay(50);
    assert.deepEqual(store.delivered, []);
  },
);

sequencerTest(
  "close stops waiting: no gap is read after it",
  10,
  async (sequencer, store) => {
    store.store("general", 3);
    sequencer.expect("general", 1);
    offer(sequencer, store, "general", 3);
    sequencer.close();
    await delay(100);
    assert.deepEqual(store.reads, []);
    assert.deepEqual(store.delivered, []);
  },
);
