/**
 * Scheduled messages ("Send later"): `schedule_message`, `list_scheduled`,
 * `update_scheduled`, `cancel_scheduled` and their events; the send at its
 * time by the nodes' sweep (scheduled_sends.ts), checked again as a live
 * send, told with `scheduled_sent` or `scheduled_failed`; sent once even
 * when a sweep sent and died before it confirmed, across a restart; through
 * a real server on SQLite and, when PostgreSQL is installed, on a database
 * of its own.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { MAX_SCHEDULED } from "../server/protocol/limits.ts";
import { NO_RATE_LIMITS } from "../server/rate_limit.ts";
import { DAY_MS } from "../server/store/mod.ts";
import { call } from "./api_helpers.ts";
import { bothStores } from "./both_stores.ts";
import { dueSoon } from "./due_soon.ts";
import {
  fetchFile,
  member,
  PNG,
  type Uploaded,
  uploaded,
} from "./file_helpers.ts";
import { SCHEDULED_MIGRATION } from "./store_contract/support.ts";
import { withUpgradedServer } from "./upgraded_server.ts";
import {
  clusterSkipReason,
  eventually,
  expectError,
  PATIENT_WAIT_MS,
  roundTrip,
  startTestServer,
  TEST_PASSWORD,
  type TestClient,
  withCluster,
  withPool,
} from "./harness.ts";

const stores = await bothStores();

/** A sweep every 100 ms: a scheduled message goes soon after it is due. */
const SWEEP = { reminderSweepMs: 100 };

type Scheduled = {
  id: string;
  room?: string;
  to?: string;
  text: string;
  send_at: string;
  created_at: string;
};

type Message = { id: string; text: string; client_id?: string };

function ahead(ms: number): string {
  return new Date(Date.now() + ms).toISOString();
}

async function schedule(
  client: TestClient,
  data: Record<string, unknown>,
): Promise<Scheduled> {
  return (await client.ok("schedule_message", data)).scheduled as Scheduled;
}

/** `action` with its send_at `ms` from now (see dueSoon); its success data. */
async function sendAtSoon(
  client: TestClient,
  action: string,
  data: Record<string, unknown>,
  ms = 1000,
): Promise<Record<string, unknown>> {
  return (await dueSoon(client, action, data, { field: "send_at", ms })).data;
}

/** schedule_message due `ms` from now; returns what it keeps. */
async function scheduleSoon(
  client: TestClient,
  data: Record<string, unknown>,
  ms = 1000,
): Promise<Scheduled> {
  return (await sendAtSoon(client, "schedule_message", data, ms))
    .scheduled as Scheduled;
}

async function scheduledOf(client: TestClient): Promise<Scheduled[]> {
  return (await client.ok("list_scheduled")).scheduled as Scheduled[];
}

async function roomTexts(client: TestClient, room = "general") {
  const { messages } = await client.ok("history", { room });
  return (messages as Message[]).map((m) => m.text);
}

stores.clients(
  "schedule_message keeps a message for later: list_scheduled answers the soonest first, update_scheduled and cancel_scheduled change it, and the account's other devices hear each",
  async (pool) => {
    const ann = await pool.register("ann");
    const phone = await pool.login({ token: ann.token });
    const ben = await pool.register("ben");
    const later = await schedule(ann, {
      room: "general",
      text: "  standup in five  ",
      send_at: ahead(7200_000),
    });
    assert.equal(later.room, "general");
    assert.equal(later.text, "standup in five");
    const sooner = await schedule(ann, {
      to: "ben",
      text: "lunch?",
      send_at: ahead(3600_000),
    });
    assert.equal(sooner.to, "ben");
    const heard = await phone.event("scheduled", (d) => d.id === sooner.id);
    assert.deepEqual(heard.data, sooner);
    assert.deepEqual(await scheduledOf(phone), [sooner, later]);

    const moved = (await phone.ok("update_scheduled", {
      id: later.id,
      text: "standup now",
      send_at: ahead(1800_000),
    })).scheduled as Scheduled;
    assert.equal(moved.text, "standup now");
    await ann.event(
      "scheduled",
      (d) => d.id === later.id && d.text === moved.text,
    );
    assert.deepEqual(
      (await scheduledOf(ann)).map((s) => s.id),
      [later.id, sooner.id],
    );

    assert.deepEqual(
      (await ann.ok("cancel_scheduled", { id: sooner.id })).request,
      "cancel_scheduled",
    );
    await phone.event("scheduled_cancelled", (d) => d.id === sooner.id);
    await expectError(
      ann,
      "cancel_scheduled",
      { id: sooner.id },
      "scheduled_not_found",
    );
    await expectError(
      ann,
      "update_scheduled",
      { id: sooner.id, text: "x" },
      "scheduled_not_found",
    );
    // Another account's id is none of its own: not listed, not changed.
    await expectError(
      ben,
      "update_scheduled",
      { id: later.id, text: "mine now" },
      "scheduled_not_found",
    );
    await expectError(
      ben,
      "cancel_scheduled",
      { id: later.id },
      "scheduled_not_found",
    );
    assert.deepEqual(await scheduledOf(ben), []);
    // Nothing was sent.
    assert.deepEqual(await roomTexts(ann), []);
  },
);

stores.clients(
  "schedule_message refuses what a send would refuse, a time not ahead or more than a year ahead, both a room and a person, and past 100 an account",
  async (pool) => {
    const ann = await pool.register("ann");
    const soon = ahead(3600_000);
    await expectError(ann, "schedule_message", {
      room: "general",
      text: "x",
      send_at: ahead(-1000),
    }, "invalid_message");
    await expectError(ann, "schedule_message", {
      room: "general",
      text: "x",
      send_at: ahead(400 * 24 * 3600_000),
    }, "invalid_message");
    await expectError(ann, "schedule_message", {
      room: "general",
      text: "x",
      send_at: "tomorrow",
    }, "invalid_message");
    await expectError(ann, "schedule_message", {
      room: "general",
      to: "ann",
      text: "x",
      send_at: soon,
    }, "invalid_message");
    await expectError(
      ann,
      "schedule_message",
      { text: "x", send_at: soon },
      "invalid_message",
    );
    await expectError(ann, "schedule_message", {
      room: "general",
      text: "   ",
      send_at: soon,
    }, "empty_message");
    await expectError(ann, "schedule_message", {
      room: "nowhere",
      text: "x",
      send_at: soon,
    }, "room_not_found");
    await expectError(ann, "schedule_message", {
      to: "nobody",
      text: "x",
      send_at: soon,
    }, "user_not_found");
    await expectError(ann, "schedule_message", {
      room: "general",
      text: "x",
      reply_to: "01ARZ3NDEKTSV4RRFFQ69G5FAV",
      send_at: soon,
    }, "message_not_found");
    // A private room the account is no member of is no room to it.
    const ben = await pool.register("ben");
    await ben.ok("create_room", { room: "secret", private: true });
    await expectError(ann, "schedule_message", {
      room: "secret",
      text: "x",
      send_at: soon,
    }, "room_not_found");
    for (let i = 0; i < MAX_SCHEDULED; i++) {
      await schedule(ann, { room: "general", text: `m${i}`, send_at: soon });
    }
    await expectError(ann, "schedule_message", {
      room: "general",
      text: "one more",
      send_at: soon,
    }, "too_many_scheduled");
    assert.equal((await scheduledOf(ann)).length, MAX_SCHEDULED);
  },
  { rateLimits: NO_RATE_LIMITS },
);

stores.clients(
  "a scheduled message is sent at its time as its author's, to the room or the person, and every device of the author gets scheduled_sent once",
  async (pool) => {
    const ann = await pool.register("ann");
    const phone = await pool.login({ token: ann.token });
    const ben = await pool.register("ben");
    const toRoom = await scheduleSoon(ann, {
      room: "general",
      text: "good morning",
    }, 1500);
    const toBen = await scheduleSoon(ann, {
      to: "ben",
      text: "psst",
    }, 1500);
    for (const device of [ann, phone]) {
      for (const id of [toRoom.id, toBen.id]) {
        await device.event("scheduled_sent", (d) => d.id === id, {
          timeoutMs: PATIENT_WAIT_MS,
        });
      }
    }
    const sent = phone.events("scheduled_sent").find((f) =>
      f.data.id === toRoom.id
    )!;
    const message = sent.data.message as Message & { user: string };
    assert.equal(message.text, "good morning");
    assert.equal(message.user, "ann");
    // Its random part: when it was written is not the readers' to know.
    assert.equal(message.client_id, `scheduled:${toRoom.id.slice(10)}`);
    const { messages } = await ben.ok("history", { room: "general" });
    assert.deepEqual((messages as Message[]).map((m) => m.id), [message.id]);
    const conversation = (await ben.ok("history", { with: "ann" }))
      .messages as Message[];
    assert.deepEqual(conversation.map((m) => m.text), ["psst"]);
    await ben.event("private_message", (d) => d.text === "psst");
    // Confirmed (taken out) just after the event is published.
    // Taken out (confirmed) just after the event is published.
    await eventually(async () => assert.deepEqual(await scheduledOf(ann), []));
    await roundTrip(phone);
    assert.equal(phone.events("scheduled_sent").length, 2);
  },
  SWEEP,
);

stores.clients(
  "messages one author scheduled for one time in a burst are sent in the order they were written",
  async (pool) => {
    const ann = await pool.register("ann");
    // Written in one burst (pipelined, as a bot may), many in the same
    // millisecond; the sweep sends those due at one time in id order.
    // A wide margin: 100 sends on a busy machine took over 3 s, and one
    // whose send_at had passed was refused.
    const sendAt = ahead(15_000);
    const replies = await Promise.all(
      Array.from(
        { length: MAX_SCHEDULED },
        (_, i) =>
          ann.ok("schedule_message", {
            room: "general",
            text: `m${i}`,
            send_at: sendAt,
          }),
      ),
    );
    const ids = replies.map((r) => (r.scheduled as Scheduled).id);
    assert.deepEqual(ids.toSorted(), ids, "ids in the order written");
    for (const id of ids) {
      await ann.event("scheduled_sent", (d) => d.id === id, {
        timeoutMs: PATIENT_WAIT_MS,
      });
    }
    const { messages } = await ann.ok("history", {
      room: "general",
      limit: MAX_SCHEDULED,
    });
    assert.deepEqual(
      (messages as Message[]).map((m) => m.text),
      ids.map((_, i) => `m${i}`),
    );
  },
  { ...SWEEP, rateLimits: NO_RATE_LIMITS },
);

stores.clients(
  "update_scheduled with send_now sends it at once, long before its time, and send_now with a send_at is refused",
  async (pool) => {
    const ann = await pool.register("ann");
    // An hour's sweep: only send_now's own pass can send it in time.
    const { id } = await schedule(ann, {
      room: "general",
      text: "right now",
      send_at: ahead(3600_000),
    });
    await expectError(ann, "update_scheduled", {
      id,
      send_now: true,
      send_at: ahead(1000),
    }, "invalid_message");
    await ann.ok("update_scheduled", { id, send_now: true });
    const sent = await ann.event("scheduled_sent", (d) => d.id === id, {
      timeoutMs: PATIENT_WAIT_MS,
    });
    assert.equal((sent.data.message as Message).text, "right now");
  },
  { reminderSweepMs: 3600_000 },
);

stores.clients(
  "at its time the author is checked again as a live send: one who left the room, or a recipient who ignores them, gets scheduled_failed and nothing is stored",
  async (pool) => {
    const ann = await pool.register("ann");
    const ben = await pool.register("ben");
    await ann.ok("create_room", { room: "plans" });
    const left = await schedule(ann, {
      room: "plans",
      text: "gone by then",
      send_at: ahead(3600_000),
    });
    const ignored = await schedule(ann, {
      to: "ben",
      text: "hello?",
      send_at: ahead(3600_000),
    });
    await ann.ok("leave_room");
    await ben.ok("ignore_user", { user: "ann" });
    // Due now, straight in: the checks are those of the send's time.
    await sendAtSoon(ann, "update_scheduled", { id: left.id });
    await sendAtSoon(ann, "update_scheduled", { id: ignored.id });
    const failed = await ann.event(
      "scheduled_failed",
      (d) => d.id === left.id,
      { timeoutMs: PATIENT_WAIT_MS },
    );
    assert.deepEqual(failed.data, { id: left.id, code: "room_not_found" });
    const refused = await ann.event(
      "scheduled_failed",
      (d) => d.id === ignored.id,
      { timeoutMs: PATIENT_WAIT_MS },
    );
    assert.deepEqual(refused.data, { id: ignored.id, code: "not_accepted" });
    // Confirmed (taken out) just after the event is published.
    // Taken out (confirmed) just after the event is published.
    await eventually(async () => assert.deepEqual(await scheduledOf(ann), []));
    assert.deepEqual(await roomTexts(ben, "plans").catch(() => []), []);
    assert.deepEqual((await ann.ok("history", { with: "ben" })).messages, []);
  },
  SWEEP,
);

stores.clients(
  "a room deleted takes the messages scheduled to it, and every device of each author hears scheduled_failed room_not_found at once, a member's and a former member's",
  async (pool) => {
    // The first account: an admin, who deletes the room.
    const root = await pool.register("root");
    const ann = await pool.register("ann");
    const phone = await pool.login({ token: ann.token });
    const ben = await pool.register("ben");
    await ann.ok("create_room", { room: "plans" });
    await ben.ok("join_room", { room: "plans" });
    const anns = await schedule(ann, {
      room: "plans",
      text: "in an hour",
      send_at: ahead(3600_000),
    });
    const bens = await schedule(ben, {
      room: "plans",
      text: "written before leaving",
      send_at: ahead(3600_000),
    });
    const kept = await schedule(ann, {
      room: "general",
      text: "elsewhere",
      send_at: ahead(3600_000),
    });
    await ben.ok("leave_room", { room: "plans" });
    await root.ok("delete_room", { room: "plans" });
    for (
      const [device, id] of [[ann, anns.id], [phone, anns.id], [
        ben,
        bens.id,
      ]] as const
    ) {
      const failed = await device.event("scheduled_failed", (d) => d.id === id);
      assert.equal(failed.data.code, "room_not_found");
    }
    assert.deepEqual((await scheduledOf(ann)).map((s) => s.id), [kept.id]);
    assert.deepEqual(await scheduledOf(ben), []);
    await roundTrip(ann);
    assert.equal(ann.events("scheduled_failed").length, 1);
  },
);

stores.clients(
  "a file attached to a message scheduled days ahead outlives the day an upload nobody attached is kept, and goes with the message at its time",
  async (_pool, server) => {
    const ann = await member(server, "ann");
    const file = await uploaded(
      server,
      ann.cookie,
      new File([PNG], "plan.png", { type: "image/png" }),
    );
    const { id } = await schedule(ann.client, {
      room: "general",
      text: "the plan",
      attachments: [file],
      send_at: ahead(3 * DAY_MS),
    });
    // The files' sweep two days on: past the day an upload that no
    // message carries is forgotten.
    const now = Date.now;
    Date.now = () => now() + 2 * DAY_MS;
    try {
      await server.node.files.sweep();
    } finally {
      Date.now = now;
    }
    await ann.client.ok("update_scheduled", { id, send_now: true });
    // Sent, or refused (its file gone): either is its end.
    const sent = await ann.client.waitFor(
      (f) =>
        (f.action === "scheduled_sent" || f.action === "scheduled_failed") &&
        f.data.id === id,
      "its send",
      { timeoutMs: PATIENT_WAIT_MS },
    );
    assert.equal(sent.action, "scheduled_sent", JSON.stringify(sent.data));
    const [attachment] = (sent.data.message as Message & {
      attachments: Uploaded[];
    }).attachments;
    assert.equal(attachment.name, "plan.png");
    const got = await fetchFile(server, attachment.url, ann.cookie);
    assert.equal(got.status, 200);
    assert.deepEqual(got.bytes, PNG);
  },
);

stores.clients(
  "a private room renamed after a member's removal: the former member's scheduled message keeps the name it wrote (list_scheduled, GET /api/scheduled, scheduled_failed), a member's goes under the new name",
  async (pool, server) => {
    const root = await pool.register("root");
    const ann = await pool.register("ann");
    const ben = await pool.register("ben");
    await ann.ok("create_room", { room: "club", private: true });
    await ann.ok("invite", { room: "club", user: "ben" });
    await ben.ok("join_room", { room: "club" });
    const bens = await schedule(ben, {
      room: "club",
      text: "from a former member",
      send_at: ahead(3600_000),
    });
    const anns = await schedule(ann, {
      room: "club",
      text: "from a member",
      send_at: ahead(3600_000),
    });
    await ben.ok("join_room", { room: "general" });
    await ann.ok("remove_member", { room: "club", user: "ben" });
    await root.ok("update_room", { room: "club", name: "vault" });

    const listed = await ben.ok("list_scheduled");
    assert.deepEqual(listed.scheduled, [bens]);
    const rest = await call(server, "GET", "/api/scheduled", {
      token: ben.token!,
    });
    assert.doesNotMatch(JSON.stringify(rest.body), /vault/);
    assert.deepEqual(
      (await scheduledOf(ann)).map((s) => s.room),
      ["vault"],
    );
    // Due now, straight in: the former member's fails, naming nothing new.
    const moved = await sendAtSoon(ben, "update_scheduled", { id: bens.id });
    assert.doesNotMatch(JSON.stringify(moved), /vault/);
    await sendAtSoon(ann, "update_scheduled", { id: anns.id });
    const failed = await ben.event(
      "scheduled_failed",
      (d) => d.id === bens.id,
      { timeoutMs: PATIENT_WAIT_MS },
    );
    assert.deepEqual(failed.data, { id: bens.id, code: "room_not_found" });
    await ann.event("scheduled_sent", (d) => d.id === anns.id, {
      timeoutMs: PATIENT_WAIT_MS,
    });
    assert.deepEqual(await roomTexts(ann, "vault"), ["from a member"]);
  },
  { ...SWEEP, rateLimits: NO_RATE_LIMITS },
);

stores.clients(
  "a message scheduled to a person whose account was deleted is not sent to the next holder of the name: the author gets scheduled_failed user_not_found",
  async (pool) => {
    // The first account, so the admin that deletes ben's.
    const root = await pool.register("root");
    const ann = await pool.register("ann");
    const ben = await pool.register("ben");
    const { id } = await schedule(ann, {
      to: "ben",
      text: "my new address, for you only",
      send_at: ahead(3600_000),
    });
    await ben.close();
    await root.ok("delete_account", { user: "ben", messages: "keep" });
    const stranger = await pool.register("ben");
    await sendAtSoon(ann, "update_scheduled", { id });
    // Sent or failed, whichever it is.
    const told = await ann.waitFor(
      (f) =>
        f.id === undefined && f.data.id === id &&
        ["scheduled_sent", "scheduled_failed"].includes(f.action),
      "scheduled_sent or scheduled_failed",
      { timeoutMs: PATIENT_WAIT_MS },
    );
    assert.deepEqual([told.action, told.data], [
      "scheduled_failed",
      { id, code: "user_not_found" },
    ]);
    assert.deepEqual(
      (await stranger.ok("history", { with: "ann" })).messages,
      [],
    );
  },
  SWEEP,
);

stores.database(
  "a sweep that sent a scheduled message and died before it confirmed does not send it twice: the server started again finds it sent by its client_id",
  async (options) => {
    const dir = await Deno.makeTempDir({ prefix: "chat-scheduled-" });
    const config = { ...options, db: `${dir}/chat.db`, ...SWEEP };
    try {
      let token = "";
      let id = "";
      let first = "";
      // A short lease, so that the claim left behind runs out soon.
      const before = await startTestServer(config, { reminderLeaseMs: 500 });
      try {
        await withPool(before, async (pool) => {
          const ann = await pool.register("ann");
          token = ann.token!;
          // The node sends, then dies before it confirms: every confirm
          // of this server fails, so the row stays claimed.
          before.node.store.confirmScheduled = () =>
            Promise.reject(new Error("the node died"));
          id = (await scheduleSoon(ann, {
            room: "general",
            text: "once only",
          })).id;
          const sent = await ann.event("scheduled_sent", (d) => d.id === id, {
            timeoutMs: PATIENT_WAIT_MS,
          });
          first = (sent.data.message as Message).id;
        });
      } finally {
        await before.close();
      }
      const after = await startTestServer(config, { reminderLeaseMs: 500 });
      try {
        await withPool(after, async (pool) => {
          const ann = await pool.login({ token });
          // The claim runs out; the new server's sweep claims it again,
          // finds it sent, and confirms it.
          await eventually(async () => {
            assert.deepEqual(await scheduledOf(ann), []);
          }, { timeoutMs: PATIENT_WAIT_MS, intervalMs: 200 });
          const { messages } = await ann.ok("history", { room: "general" });
          assert.deepEqual((messages as Message[]).map((m) => m.id), [first]);
        });
      } finally {
        await after.close();
      }
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
);

stores.clients(
  "REST scheduled messages: POST /api/scheduled schedules, GET lists as list_scheduled does, PATCH changes, DELETE cancels, and the account's socket hears each",
  async (pool, server) => {
    const ann = await pool.register("ann");
    const token = ann.token!;
    const made = await call(server, "POST", "/api/scheduled", {
      token,
      body: {
        room: "general",
        text: "from a script",
        send_at: ahead(3600_000),
      },
    });
    assert.equal(made.status, 200, JSON.stringify(made.body));
    const { id } = made.body.scheduled as Scheduled;
    // A request is no socket of hers: the one she has open hears it.
    await ann.event("scheduled", (d) => d.id === id);
    const listed = await call(server, "GET", "/api/scheduled", { token });
    const { request: _, ...overSocket } = await ann.ok("list_scheduled");
    assert.deepEqual(listed.body, overSocket);
    const changed = await call(server, "PATCH", `/api/scheduled/${id}`, {
      token,
      body: { text: "changed" },
    });
    assert.equal((changed.body.scheduled as Scheduled).text, "changed");
    await ann.event("scheduled", (d) => d.id === id && d.text === "changed");
    const wrong = await call(server, "POST", "/api/scheduled", {
      token,
      body: { room: "general", text: "x", send_at: ahead(-1000) },
    });
    assert.equal(wrong.status, 400);
    const gone = await call(server, "DELETE", `/api/scheduled/${id}`, {
      token,
    });
    assert.equal(gone.status, 200);
    assert.deepEqual(gone.body, {});
    await ann.event("scheduled_cancelled", (d) => d.id === id);
    const again = await call(server, "DELETE", `/api/scheduled/${id}`, {
      token,
    });
    assert.equal(again.status, 404);
    assert.equal(again.body.error, "scheduled_not_found");
  },
);

stores.database(
  "an upgrade makes the table of scheduled messages: a server of before, upgraded, schedules one and sends it at its time",
  (options) =>
    withUpgradedServer({
      options: { ...options, ...SWEEP },
      async setUp(pool) {
        await pool.register("ann");
      },
      old: {
        marker: SCHEDULED_MIGRATION,
        postgres: () => Promise.resolve(),
        sqlite: () => {},
      },
    }, async (server) => {
      await withPool(server, async (pool) => {
        const ann = await pool.login({
          username: "ann",
          password: TEST_PASSWORD,
        });
        const { id } = await scheduleSoon(ann, {
          room: "general",
          text: "after the upgrade",
        });
        await ann.event("scheduled_sent", (d) => d.id === id, {
          timeoutMs: PATIENT_WAIT_MS,
        });
      });
    }),
);

const clusterSkip = clusterSkipReason();

/**
 * Schedules each text by its author to general an hour ahead, one after
 * another in the order given, then makes them all due at once straight in
 * the cluster's database, so that both nodes' sweeps meet them together;
 * returns their ids in that order.
 */
async function dueTogether(
  databaseUrl: string,
  writes: { author: TestClient; text: string }[],
): Promise<string[]> {
  const ids: string[] = [];
  for (const { author, text } of writes) {
    ids.push(
      (await schedule(author, {
        room: "general",
        text,
        send_at: ahead(3600_000),
      })).id,
    );
  }
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    await sql`UPDATE scheduled_messages SET send_at = ${Date.now()}`;
  } finally {
    await sql.end();
  }
  return ids;
}

/** Waits until `device` has heard scheduled_sent for each of `ids`. */
async function heardSent(device: TestClient, ids: string[]): Promise<void> {
  for (const id of ids) {
    await device.event("scheduled_sent", (d) => d.id === id, {
      timeoutMs: PATIENT_WAIT_MS,
    });
  }
}

Deno.test({
  name:
    "two nodes sweeping one store send each scheduled message once, and the author's connections on both hear scheduled_sent",
  ignore: clusterSkip !== undefined,
  fn: () =>
    withCluster(2, async (cluster, pools) => {
      const ann = await pools[0].register("ann");
      const other = await pools[1].login({ token: ann.token });
      const ids = await dueTogether(
        cluster.databaseUrl,
        Array.from({ length: 20 }, (_, i) => ({ author: ann, text: `m${i}` })),
      );
      for (const device of [ann, other]) await heardSent(device, ids);
      const { messages } = await ann.ok("history", {
        room: "general",
        limit: 100,
      });
      assert.deepEqual(
        (messages as Message[]).map((m) => m.text).toSorted(),
        ids.map((_, i) => `m${i}`).toSorted(),
        cluster.output(),
      );
    }, { args: ["--reminder-sweep", "50"] }),
});

Deno.test({
  name:
    "two nodes sweeping one store send each author's burst due at one time in the order written, however the nodes split the due rows",
  ignore: clusterSkip !== undefined,
  fn: () =>
    withCluster(2, async (cluster, pools) => {
      const ann = await pools[0].register("ann");
      const ben = await pools[1].register("ben");
      // Written in turns, so that the due rows in claim order (send_at,
      // id) alternate between the authors: a node's first batch of 100
      // holds each author's first half, and the other node's sweep meets
      // the second halves while the first node is still sending.
      const ids = await dueTogether(
        cluster.databaseUrl,
        Array.from({ length: MAX_SCHEDULED }, (_, i) => [
          { author: ann, text: `a${i}` },
          { author: ben, text: `b${i}` },
        ]).flat(),
      );
      // Each author hears its own: the even ids are ann's, the odd ben's.
      await heardSent(ann, ids.filter((_, i) => i % 2 === 0));
      await heardSent(ben, ids.filter((_, i) => i % 2 === 1));
      const { messages } = await ann.ok("history", {
        room: "general",
        limit: 2 * MAX_SCHEDULED,
      });
      const texts = (messages as Message[]).map((m) => m.text);
      for (const prefix of ["a", "b"]) {
        assert.deepEqual(
          texts.filter((text) => text.startsWith(prefix)),
          Array.from({ length: MAX_SCHEDULED }, (_, i) => `${prefix}${i}`),
          cluster.output(),
        );
      }
    }, { args: ["--reminder-sweep", "50", "--rate-limits", "off"] }),
});

stores.finish();
