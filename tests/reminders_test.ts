/**
 * Reminders on saved messages: `save_message`'s `remind_at`, `list_saved`
 * carrying it, and the `reminder` event each node's sweep fires once when
 * it is due (reminders.ts), through a real server on SQLite and, when
 * PostgreSQL is installed, on a database of its own; two nodes firing each
 * once; a restart firing one due while the server was down; one whose
 * publish failed firing once its claim's lease ran out.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { bothStores } from "./both_stores.ts";
import { dueSoon } from "./due_soon.ts";
import {
  ClientPool,
  clusterSkipReason,
  delay,
  eventually,
  expectError,
  PATIENT_WAIT_MS,
  roundTrip,
  startCluster,
  startTestServer,
  type TestClient,
  withPool,
} from "./harness.ts";
import { startPostgres, startRedis } from "./services.ts";
import { REMINDERS_MIGRATION } from "./store_contract/support.ts";
import { withUpgradedServer } from "./upgraded_server.ts";

const stores = await bothStores();

/** A sweep every 100 ms: a reminder comes soon after it is due. */
const SWEEP = { reminderSweepMs: 100 };

/**
 * How far ahead a reminder set to fire during a test is; the event is then
 * waited for, never the clock. A request the machine held past that time
 * is refused and asked again (remindSoon), and nothing else must happen
 * before it fires.
 */
const AHEAD_MS = 2000;

type Saved = {
  id: string;
  saved_at: string;
  remind_at?: string;
  message: { id: string };
};

function ahead(ms = AHEAD_MS): string {
  return new Date(Date.now() + ms).toISOString();
}

/** Sets the reminder of the message `id` `ms` ahead (see dueSoon); its time. */
async function remindSoon(
  client: TestClient,
  id: string,
  ms = AHEAD_MS,
): Promise<string> {
  return (await dueSoon(client, "save_message", { id }, {
    field: "remind_at",
    ms,
  })).at;
}

async function sent(client: TestClient, text: string): Promise<string> {
  const { message } = await client.ok("send_message", { text });
  return (message as { id: string }).id;
}

async function listed(client: TestClient): Promise<Saved[]> {
  return (await client.ok("list_saved")).saved as Saved[];
}

stores.clients(
  "save_message with remind_at sets a reminder every device hears of and list_saved carries; when due, every connection of the account gets reminder, shaped as a saved item, once, and the message stays saved without it",
  async (pool) => {
    const ann = await pool.register("ann");
    const phone = await pool.login({ token: ann.token });
    const ben = await pool.register("ben");
    const id = await sent(ben, "call the plumber");
    // An hour ahead while it is read back (set to fire soon, a busy
    // machine could let it fire first), then soon.
    const later = ahead(3600_000);
    const reply = await ann.ok("save_message", { id, remind_at: later });
    assert.equal(reply.saved, true);
    assert.equal(reply.remind_at, later);
    const told = await phone.event("saved", (d) => d.id === id);
    assert.deepEqual(told.data, { id, saved: true, remind_at: later });
    const [item] = await listed(phone);
    assert.equal(item.remind_at, later);
    const when = await remindSoon(ann, id);

    const [fired, also] = await Promise.all(
      [ann, phone].map((device) =>
        device.event("reminder", (d) => d.id === id, {
          timeoutMs: PATIENT_WAIT_MS,
        })
      ),
    );
    assert.deepEqual(fired.data, also.data);
    assert.equal(fired.data.remind_at, when);
    assert.equal(fired.data.saved_at, item.saved_at);
    assert.deepEqual(fired.data.message, item.message);
    const [after] = await listed(ann);
    assert.equal(after.id, id);
    assert.equal(after.remind_at, undefined);
    // Once: more sweeps pass (one a 100 ms) and nothing more comes.
    await remindSoon(ann, await sent(ben, "x"));
    await ann.event("reminder", (d) => d.id !== id, {
      timeoutMs: PATIENT_WAIT_MS,
    });
    await roundTrip(phone);
    assert.equal(
      phone.events("reminder").filter((f) => f.data.id === id).length,
      1,
    );
    await roundTrip(ben);
    assert.deepEqual(ben.events("reminder"), []);
  },
  SWEEP,
);

stores.clients(
  "remind_at must be a time ahead, at most a year, in ISO 8601; null clears it, a cleared reminder never fires, and guests save nothing",
  async (pool) => {
    const ann = await pool.register("ann");
    const phone = await pool.login({ token: ann.token });
    const ben = await pool.register("ben");
    const gus = await pool.guest("gus");
    const id = await sent(ben, "later");
    for (
      const remind_at of [
        new Date(Date.now() - 60_000).toISOString(),
        new Date(Date.now() + 400 * 24 * 3600_000).toISOString(),
        "tomorrow",
        "2030-13-01T09:00:00Z",
        Date.now() + 60_000,
      ]
    ) {
      const refused = await expectError(
        ann,
        "save_message",
        { id, remind_at },
        "invalid_message",
      );
      assert.match(String(refused.data.message), /remind_at/);
    }
    // Refused before anything was written: not saved.
    assert.deepEqual(await listed(ann), []);
    await expectError(
      gus,
      "save_message",
      { id, remind_at: ahead(3600_000) },
      "forbidden",
    );

    // An offset is taken, and answered in UTC.
    const local = new Date(Date.now() + 3600_000);
    const offset = local.toISOString().replace("Z", "+00:00");
    const set = await ann.ok("save_message", { id, remind_at: offset });
    assert.equal(set.remind_at, local.toISOString());
    const cleared = await ann.ok("save_message", { id, remind_at: null });
    assert.equal(cleared.remind_at, null);
    await phone.event("saved", (d) => d.id === id && d.remind_at === null);
    assert.equal((await listed(ann))[0].remind_at, undefined);
    // Cleared again: no change, nobody told (counted at the end).
    await ann.ok("save_message", { id, remind_at: null });

    // One set soon, then cleared, never fires; one set later does, after.
    const dropped = await sent(ben, "never mind");
    const droppedAt = Date.parse(await remindSoon(ann, dropped));
    await ann.ok("save_message", { id: dropped, remind_at: null });
    // Cleared in time, by the server's clock (this one): a busy machine
    // that held the clear past the reminder's time may let it fire first.
    const clearedInTime = Date.now() < droppedAt;
    const kept = await sent(ben, "do it");
    await remindSoon(ann, kept, AHEAD_MS + 500);
    await ann.event("reminder", (d) => d.id === kept, {
      timeoutMs: PATIENT_WAIT_MS,
    });
    assert.deepEqual(
      ann.events("reminder").map((f) => f.data.id)
        .filter((fired) => clearedInTime || fired !== dropped),
      [kept],
    );
    // Unsaved, its reminder goes with it.
    await ann.ok("save_message", { id, remind_at: ahead(3600_000) });
    await ann.ok("unsave_message", { id });
    await ann.ok("save_message", { id });
    assert.equal((await listed(ann))[0].remind_at, undefined);
    await roundTrip(phone);
    assert.equal(
      phone.events("saved").filter((f) =>
        f.data.id === id && f.data.remind_at === null
      ).length,
      1,
    );
  },
  SWEEP,
);

stores.clients(
  "a reminder of a message the account can no longer read, or deleted, fires nothing and goes; the message stays saved",
  async (pool, server) => {
    const ann = await pool.register("ann");
    const ben = await pool.register("ben");
    await ann.ok("create_room", { room: "den", private: true });
    await ann.ok("invite", { room: "den", user: "ben" });
    const inDen = await sent(ann, "plans");
    await ann.ok("join_room", { room: "general" });
    const deleted = await sent(ann, "soon gone");
    const readable = await sent(ann, "still here");
    for (const id of [inDen, deleted, readable]) {
      await ben.ok("save_message", { id, remind_at: ahead(3600_000) });
    }
    await ben.ok("leave_room", { room: "den" });
    await ann.ok("delete_message", { id: deleted });
    // Due now, straight in the store: the sweep fires them in due order,
    // the readable one last.
    const now = Date.now();
    await server.node.store.setReminder("ben", inDen, now - 3);
    await server.node.store.setReminder("ben", deleted, now - 2);
    await server.node.store.setReminder("ben", readable, now - 1);
    await ben.event("reminder", (d) => d.id === readable, {
      timeoutMs: PATIENT_WAIT_MS,
    });
    assert.deepEqual(ben.events("reminder").map((f) => f.data.id), [readable]);
    const rows = await server.node.store.listSaved("ben", { limit: 10 });
    assert.deepEqual(
      rows.map((row) => [row.id, row.remindAt]).toSorted(),
      [[inDen, undefined], [deleted, undefined], [readable, undefined]]
        .toSorted(),
    );
  },
  SWEEP,
);

stores.clients(
  "a reminder of a private message fires to its account with the message as the conversation's history gives it",
  async (pool, server) => {
    const ann = await pool.register("ann");
    const ben = await pool.register("ben");
    const { message } = await ben.ok("private_message", {
      to: "ann",
      text: "lunch on friday?",
    });
    const { id } = message as { id: string };
    await ann.ok("save_message", { id, remind_at: ahead(3600_000) });
    await server.node.store.setReminder("ann", id, Date.now() - 1);
    const fired = await ann.event("reminder", (d) => d.id === id, {
      timeoutMs: PATIENT_WAIT_MS,
    });
    const history = (await ann.ok("history", { with: "ben" }))
      .messages as { id: string }[];
    assert.deepEqual(fired.data.message, history.find((m) => m.id === id));
    await roundTrip(ben);
    assert.deepEqual(ben.events("reminder"), []);
  },
  SWEEP,
);

stores.database(
  "a reminder due while the server was down fires at its start",
  async (options) => {
    const dir = await Deno.makeTempDir({ prefix: "chat-reminders-" });
    // One sweep, the start's: a pass later would hide a start without one.
    const config = {
      ...options,
      db: `${dir}/chat.db`,
      reminderSweepMs: 3600_000,
    };
    try {
      let token = "";
      let id = "";
      let due = 0;
      const before = await startTestServer(config);
      try {
        await withPool(before, async (pool) => {
          const ann = await pool.register("ann");
          token = ann.token!;
          id = await sent(ann, "while you were out");
          due = Date.parse(await remindSoon(ann, id));
        });
      } finally {
        // close, not shutdown: the harness's own folder (where uploads
        // stage) goes with it; the database is in `dir`.
        await before.close();
      }
      // The server is down past the reminder's time.
      await delay(Math.max(0, due - Date.now() + 50));
      const after = await startTestServer(config);
      try {
        await withPool(after, async (pool) => {
          const ann = await pool.login({ token });
          // A few asks a second: list_saved is in search's bucket (2/s).
          const item = await eventually(async () => {
            const [saved] = await listed(ann);
            assert.equal(saved.remind_at, undefined);
            return saved;
          }, { timeoutMs: PATIENT_WAIT_MS, intervalMs: 600 });
          assert.equal(item.id, id);
        });
      } finally {
        await after.close();
      }
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
);

stores.database(
  "a reminder whose publish fails is not lost: its claim is not confirmed, and once its lease runs out a sweep fires it and clears it",
  async (options) => {
    // A short lease (the part tests get; a minute by default) so that the
    // claim of the failed firing runs out soon; the test waits for the
    // event and the confirmation, never the clock.
    const server = await startTestServer({ ...options, ...SWEEP }, {
      reminderLeaseMs: 300,
    });
    try {
      await withPool(server, async (pool) => {
        const ann = await pool.register("ann");
        const id = await sent(ann, "renew the passport");
        await ann.ok("save_message", { id, remind_at: ahead(3600_000) });
        // The first publish of the reminder fails, as a broker gone for a
        // moment or a node dying between the claim and the publish would.
        const { node } = server;
        const publish = node.publish.bind(node);
        let attempts = 0;
        node.publish = (topic, action, data, more) => {
          if (action === "reminder" && ++attempts === 1) {
            throw new Error("the broker is gone");
          }
          return publish(topic, action, data, more);
        };
        const confirm = node.store.confirmReminder.bind(node.store);
        const confirmed = Promise.withResolvers<boolean>();
        node.store.confirmReminder = async (...args) => {
          const done = await confirm(...args);
          confirmed.resolve(done);
          return done;
        };
        await node.store.setReminder("ann", id, Date.now() - 1);
        const fired = await ann.event("reminder", (d) => d.id === id, {
          timeoutMs: PATIENT_WAIT_MS,
        });
        assert.equal((fired.data.message as { id: string }).id, id);
        assert.equal(await confirmed.promise, true);
        assert.ok(attempts >= 2, `${attempts} publishes`);
        const [row] = await node.store.listSaved("ann", { limit: 10 });
        assert.deepEqual(row, { id, savedAt: row.savedAt });
      });
    } finally {
      await server.close();
    }
  },
);

const clusterSkip = clusterSkipReason();
Deno.test({
  name:
    "two nodes sweeping one store fire each reminder once, to the account's connections on both",
  ignore: clusterSkip !== undefined,
  async fn() {
    const pg = (await startPostgres())!;
    const redis = (await startRedis())!;
    const pools: ClientPool[] = [];
    try {
      const cluster = await startCluster(pg.url, redis.url, {
        nodes: 2,
        args: ["--reminder-sweep", "50"],
      });
      try {
        pools.push(...cluster.nodes.map((node) => new ClientPool(node.wsUrl)));
        const ben = await pools[1].register("ben");
        const ids: string[] = [];
        for (let i = 0; i < 20; i++) ids.push(await sent(ben, `m${i}`));
        // Three accounts, each on both nodes, save the 20 with a reminder
        // an hour ahead...
        const devices: TestClient[][] = [];
        for (const name of ["ann", "cat", "dan"]) {
          const one = await pools[0].register(name);
          const other = await pools[1].login({ token: one.token });
          for (const id of ids) {
            await one.ok("save_message", { id, remind_at: ahead(3600_000) });
          }
          devices.push([one, other]);
        }
        // ...then all 60 come due at once, straight in the database, so
        // that both nodes' sweeps meet them together.
        const sql = postgres(pg.url, { max: 1, onnotice: () => {} });
        try {
          await sql`UPDATE saved_messages SET remind_at = ${Date.now()}`;
        } finally {
          await sql.end();
        }
        for (const device of devices.flat()) {
          for (const id of ids) {
            await device.event("reminder", (d) => d.id === id, {
              timeoutMs: PATIENT_WAIT_MS,
            });
          }
        }
        // Both nodes sweep every 50 ms: a second firing would come within
        // a few sweeps. This wait cannot fail a sound server, only let a
        // late duplicate through unseen.
        await delay(300);
        for (const device of devices.flat()) {
          await roundTrip(device);
          const got = device.events("reminder").map((f) => f.data.id as string);
          assert.deepEqual(got.toSorted(), ids.toSorted(), cluster.output());
        }
      } finally {
        await Promise.all(pools.map((pool) => pool.closeAll()));
        await cluster.stop();
      }
    } finally {
      await redis.stop();
      await pg.stop();
    }
  },
});

stores.database(
  "upgrading: a server of before reminders keeps its saved messages, without reminders, and sets and fires them after its first start",
  (options) => {
    let id = "";
    return withUpgradedServer({
      options: { ...options, ...SWEEP },
      async setUp(pool) {
        const ann = await pool.register("ann");
        id = await sent(ann, "kept");
        await ann.ok("save_message", { id });
      },
      old: {
        marker: REMINDERS_MIGRATION,
        postgres: () => Promise.resolve(),
        sqlite: () => {},
      },
    }, async (server) => {
      const { store } = server.node;
      const [row] = await store.listSaved("ann", { limit: 10 });
      assert.equal(row.id, id);
      assert.equal(row.remindAt, undefined);
      // The column and its index are back: set, then claimed once.
      assert.equal(await store.setReminder("ann", id, 1), true);
      await eventually(async () =>
        assert.equal(
          (await store.listSaved("ann", { limit: 10 }))[0].remindAt,
          undefined,
        ), { timeoutMs: PATIENT_WAIT_MS });
    });
  },
);

stores.finish();
