/**
 * The contract every Broker implementation keeps: a publication reaches
 * this node's handler at once, before `publish` returns, and every other
 * node's once; control events go to every node, this one included; one
 * node's publications arrive everywhere in the order it published them,
 * unchanged; a closed broker publishes and delivers nothing more. Each
 * implementation's test file calls {@link brokerContract}; the scenarios
 * with several nodes run where the fixture can make them.
 */
import assert from "node:assert/strict";
import type {
  Broker,
  ControlEvent,
  EventPublication,
  Publication,
} from "../server/broker/mod.ts";
import { delay, eventually } from "./harness.ts";

/** How the contract opens brokers of one implementation. */
export interface BrokerFixture {
  /**
   * Opens a broker as one more node (started, ready to publish and
   * receive). A fixture that cannot make a second node throws.
   */
  open(): Promise<Broker>;
  /** Closes what the fixture opened besides the brokers; once per test. */
  dispose(): Promise<void>;
}

/** What the contract needs to know of an implementation. */
export interface BrokerContractOptions {
  /** Whether several brokers can share the fixture's medium (Redis: yes). */
  nodes: boolean;
}

/** A broker with everything its handler received, in order. */
interface Node {
  broker: Broker;
  received: Publication[];
}

/** Registers the broker contract tests for one implementation. */
export function brokerContract(
  name: string,
  makeFixture: () => Promise<BrokerFixture>,
  options: BrokerContractOptions,
): void {
  function test(
    title: string,
    body: (open: () => Promise<Node>) => Promise<void>,
    more: { nodes?: boolean } = {},
  ): void {
    if (more.nodes && !options.nodes) return;
    Deno.test(`${name}: ${title}`, async () => {
      // Undone last to first, pass or fail: the brokers, the storage.
      await using cleanup = new AsyncDisposableStack();
      const fixture = await makeFixture();
      cleanup.defer(() => fixture.dispose());
      await body(async () => {
        const broker = await fixture.open();
        cleanup.defer(() => broker.close());
        const received: Publication[] = [];
        broker.onDelivery((publication) => received.push(publication));
        return { broker, received };
      });
    });
  }

  test("a publication reaches this node's handler before publish returns", async (open) => {
    const { broker, received } = await open();
    const publication = event("general", 1);
    broker.publish(publication);
    assert.deepEqual(received, [publication]);
  });

  test("a control event reaches this node's handler too", async (open) => {
    const { broker, received } = await open();
    const publication: Publication = {
      type: "control",
      event: { kind: "presence_changed" },
    };
    broker.publish(publication);
    assert.deepEqual(received, [publication]);
  });

  test("this node gets its publications once each, in the order published", async (open) => {
    const { broker, received } = await open();
    const sent = Array.from({ length: 500 }, (_, i) => event("general", i + 1));
    for (const publication of sent) broker.publish(publication);
    // Nothing comes back a second time through the shared medium.
    await delay(200);
    assert.deepEqual(received, sent);
  });

  test("the handler set last is the one that gets publications", async (open) => {
    const { broker, received } = await open();
    const later: Publication[] = [];
    broker.onDelivery((publication) => later.push(publication));
    broker.publish(event("general", 1));
    assert.deepEqual(received, []);
    assert.equal(later.length, 1);
  });

  test("a broker is healthy while open", async (open) => {
    const { broker } = await open();
    assert.equal(broker.healthy(), true);
  });

  test("after close, publish delivers nothing and does not throw", async (open) => {
    const { broker, received } = await open();
    await broker.close();
    broker.publish(event("general", 1));
    broker.publish({ type: "control", event: { kind: "presence_changed" } });
    assert.deepEqual(received, []);
    // Closing twice is harmless (the fixture closes it once more).
    await broker.close();
  });

  test(
    "a publication reaches every other node once, unchanged",
    async (open) => {
      const nodes = [await open(), await open(), await open()];
      const sent = [...everyTopic(), ...everyControl()];
      for (const publication of sent) nodes[0].broker.publish(publication);
      for (const [i, node] of nodes.entries()) {
        await eventually(() =>
          assert.equal(node.received.length, sent.length, `node ${i}`)
        );
      }
      // A copy coming late would come before this, through the medium.
      const marker = await barrier(nodes);
      for (const node of nodes) {
        assert.deepEqual(node.received, [...sent, marker]);
      }
    },
    { nodes: true },
  );

  test(
    "each node's publications reach another in the order that node published them",
    async (open) => {
      const [a, b, reader] = [await open(), await open(), await open()];
      for (let seq = 1; seq <= 300; seq++) {
        a.broker.publish(event("from-a", seq));
        b.broker.publish(event("from-b", seq));
      }
      await eventually(() => assert.equal(reader.received.length, 600));
      for (const room of ["from-a", "from-b"]) {
        const seqs = reader.received
          .filter((p) =>
            p.type === "event" && p.topic.kind === "room" &&
            p.topic.key === room
          )
          .map((p) => (p as EventPublication).sequence!.seq);
        assert.deepEqual(seqs, Array.from({ length: 300 }, (_, i) => i + 1));
      }
    },
    { nodes: true },
  );

  test(
    "a closed node gets nothing more while the others still do",
    async (open) => {
      const [a, b, gone] = [await open(), await open(), await open()];
      await gone.broker.close();
      a.broker.publish(event("general", 1));
      await eventually(() => assert.equal(b.received.length, 1));
      // Nor does anything it publishes after its close reach the others.
      gone.broker.publish(event("general", 2));
      // What would have reached them comes before this, through the medium.
      const marker = await barrier([a, b]);
      assert.deepEqual(gone.received, []);
      assert.deepEqual(b.received, [event("general", 1), marker]);
      assert.deepEqual(a.received, [event("general", 1), marker]);
    },
    { nodes: true },
  );

  test(
    "a handler that throws on one node does not stop delivery to the next publications",
    async (open) => {
      const a = await open();
      const b = await open();
      let calls = 0;
      b.broker.onDelivery((publication) => {
        calls++;
        if (calls === 1) throw new Error("handler failed");
        b.received.push(publication);
      });
      a.broker.publish(event("general", 1));
      a.broker.publish(event("general", 2));
      await eventually(() => assert.equal(b.received.length, 1));
      assert.equal((b.received[0] as EventPublication).sequence?.seq, 2);
    },
    { nodes: true },
  );
}

/**
 * A barrier through the shared medium: the last node publishes a marker
 * and every node waits for it. One node's publications arrive in order and
 * the medium keeps its order, so whatever was on its way to a node before
 * (a duplicate, a closed node's publication) has arrived by then.
 */
async function barrier(nodes: Node[]): Promise<Publication> {
  const marker = event("barrier", 1);
  nodes.at(-1)!.broker.publish(marker);
  for (const node of nodes) {
    await eventually(() => assert.deepEqual(node.received.at(-1), marker));
  }
  return marker;
}

/** A room message's publication, as the node makes it. */
function event(room: string, seq: number): EventPublication {
  return {
    type: "event",
    topic: { kind: "room", key: room },
    frame: JSON.stringify({
      action: "receive_message",
      data: { room, seq, text: `m${seq}` },
    }),
    sequence: { roomKey: room, seq },
  };
}

/** One publication of every topic kind, with and without the optional fields. */
function everyTopic(): Publication[] {
  return [
    event("general", 7),
    {
      type: "event",
      topic: { kind: "room", key: "dev" },
      frame: '{"action":"system","data":{"text":"ünïcödé ✓ 👍"}}',
      exceptUser: "alice",
    },
    {
      type: "event",
      topic: { kind: "user", key: "bob" },
      frame: '{"action":"private_message","data":{"text":"a\\nb"}}',
    },
    { type: "event", topic: { kind: "everyone" }, frame: "{}" },
  ];
}

/** One control publication of every kind. */
function everyControl(): Publication[] {
  const events: ControlEvent[] = [
    { kind: "room_created", key: "dev", name: "Dev" },
    {
      kind: "room_created",
      key: "secret",
      name: "Secret",
      private: true,
      owner: "alice",
    },
    {
      kind: "membership_changed",
      userKey: "bob",
      roomKey: "secret",
      event: {
        room: "Secret",
        member: true,
        last_read_seq: 0,
        unread: 0,
        mentions: 0,
        last_seq: 0,
        private: true,
      },
      notice: { room: "Secret", kind: "info", text: "alice invited you" },
    },
    { kind: "room_deleted", key: "dev", name: "Dev", by: "root" },
    { kind: "remove_user", userKey: "eve", reason: "banned", text: "bye" },
    { kind: "evict_user", userKey: "eve", roomKey: "dev", text: "out" },
    {
      kind: "role_changed",
      userKey: "bob",
      role: "moderator",
      by: "root",
      user: "Bob",
      createdAt: 1764590400000,
    },
    { kind: "presence_changed" },
  ];
  return events.map((event) => ({ type: "control", event }));
}
