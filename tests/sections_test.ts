/**
 * Sidebar sections kept on the server: `set_sections`, the login's
 * `sections` and the `sections` event, through a real server, on SQLite
 * and, when PostgreSQL is installed, on a fresh PostgreSQL database of its
 * own.
 */
import assert from "node:assert/strict";
import { NO_RATE_LIMITS } from "../server/rate_limit.ts";
import { MAX_SECTION_ITEMS, MAX_SECTIONS } from "../server/protocol/schemas.ts";
import { MAX_SECTION_NAME } from "../server/protocol/labels.ts";
import { bothStores } from "./both_stores.ts";
import { expectError, roundTrip, type TestClient } from "./harness.ts";
import { SECTIONS_MIGRATION } from "./store_contract/support.ts";
import { withUpgradedServer } from "./upgraded_server.ts";

const stores = await bothStores();

/** The `sections` of a client's login reply. */
function loginSections(client: TestClient): unknown {
  const reply = client.received.find((f) =>
    f.data.request === "login" || f.data.request === "register"
  )!;
  return reply.data.sections;
}

stores.clients(
  "set_sections: the account's other devices get sections, a later login carries the layout, and an empty layout takes the field away",
  async (pool) => {
    const ann = await pool.register("ann");
    assert.equal(loginSections(ann), undefined);
    const phone = await pool.login({ token: ann.token });
    const ben = await pool.register("ben");
    await ann.ok("create_room", { room: "Dev" });
    const layout = [
      { name: "Work", collapsed: false, items: ["#Dev", "@Ben"] },
      { name: "Café ☕", collapsed: true, items: ["#general"] },
    ];
    assert.deepEqual(
      await ann.ok("set_sections", {
        sections: [
          // As written: the room by any case, collapsed left out.
          { name: " Work ", items: ["#dev", "@Ben"] },
          { name: "Café ☕", collapsed: true, items: ["#general"] },
        ],
      }),
      { request: "set_sections" },
    );
    const seen = await phone.event("sections");
    assert.deepEqual(seen.data, { sections: layout });
    // Not the connection that wrote it: its reply said it.
    await roundTrip(ann);
    assert.deepEqual(ann.events("sections"), []);

    const laptop = await pool.login({ token: ann.token });
    assert.deepEqual(loginSections(laptop), layout);

    await laptop.ok("set_sections", { sections: [] });
    await phone.event(
      "sections",
      (d) => (d.sections as unknown[]).length === 0,
    );
    assert.equal(
      loginSections(await pool.login({ token: ann.token })),
      undefined,
    );
    // Other accounts never hear of it.
    await roundTrip(ben);
    assert.deepEqual(ben.events("sections"), []);
  },
);

stores.clients(
  "set_sections is refused with a clear code to guests and past its bounds; rooms the account is not in and nobody's conversations are dropped",
  async (pool) => {
    const guest = await pool.guest("gus");
    await expectError(guest, "set_sections", { sections: [] }, "forbidden");
    const ann = await pool.register("ann");
    const refused = [
      {},
      { sections: [{ name: "", items: [] }] },
      { sections: [{ name: "x".repeat(MAX_SECTION_NAME + 1), items: [] }] },
      { sections: [{ name: "a\u202Eb", items: [] }] },
      { sections: [{ name: "Work", items: [] }, { name: "WORK", items: [] }] },
      {
        sections: [{ name: "A", items: ["#general"] }, {
          name: "B",
          items: ["#General"],
        }],
      },
      { sections: [{ name: "A", items: ["general"] }] },
      {
        sections: Array.from(
          { length: MAX_SECTIONS + 1 },
          (_, i) => ({ name: `s${i}`, items: [] }),
        ),
      },
      {
        sections: [0, 1].map((s) => ({
          name: `s${s}`,
          items: Array.from(
            { length: MAX_SECTION_ITEMS / 2 + 1 },
            (_, i) => `@p${s}_${i}`,
          ),
        })),
      },
    ];
    for (const data of refused) {
      await expectError(ann, "set_sections", data, "invalid_message");
    }
    // At the bounds: accepted.
    await ann.ok("set_sections", {
      sections: Array.from(
        { length: MAX_SECTIONS },
        (_, i) => ({
          name: i === 0 ? "x".repeat(MAX_SECTION_NAME) : `s${i}`,
          items: [],
        }),
      ),
    });
    const ben = await pool.register("ben");
    await ben.ok("create_room", { room: "secret", private: true });
    await ann.ok("set_sections", {
      sections: [{
        name: "All",
        items: ["#secret", "#nowhere", "@nobody", "@ben", "#general"],
      }],
    });
    assert.deepEqual(
      loginSections(await pool.login({ token: ann.token })),
      [{ name: "All", collapsed: false, items: ["@ben", "#general"] }],
    );
  },
  { rateLimits: NO_RATE_LIMITS },
);

stores.clients(
  "a room in a section keeps its place when renamed, leaves the layout when left or deleted, and a deleted account's conversation leaves it",
  async (pool, server) => {
    const root = await pool.register("root");
    const ann = await pool.register("ann");
    await pool.register("ben");
    await root.ok("create_room", { room: "dev" });
    await ann.ok("join_room", { room: "dev" });
    await ann.ok("create_room", { room: "books" });
    await ann.ok("set_sections", {
      sections: [{ name: "Mine", items: ["#books", "#dev", "@ben"] }],
    });
    await root.ok("update_room", { room: "dev", name: "Lab" });
    await root.event("system", (d) => d.kind === "renamed");
    assert.deepEqual(loginSections(await pool.login({ token: ann.token })), [
      { name: "Mine", collapsed: false, items: ["#books", "#Lab", "@ben"] },
    ]);
    // A room made again under the old name is not in the section.
    await root.ok("create_room", { room: "dev" });
    await ann.ok("join_room", { room: "dev" });
    await ann.ok("leave_room", { room: "Lab" });
    assert.deepEqual(loginSections(await pool.login({ token: ann.token })), [
      { name: "Mine", collapsed: false, items: ["#books", "@ben"] },
    ]);
    await ann.ok("join_room", { room: "Lab" });
    assert.deepEqual(loginSections(await pool.login({ token: ann.token })), [
      { name: "Mine", collapsed: false, items: ["#books", "#Lab", "@ben"] },
    ]);
    await root.ok("delete_room", { room: "Lab" });
    await root.ok("delete_account", {
      user: "ben",
      messages: "keep",
      reason: "asked to leave",
    });
    // Made again under both names: neither is the one in the section.
    await root.ok("create_room", { room: "Lab" });
    await ann.ok("join_room", { room: "Lab" });
    await pool.register("ben");
    assert.deepEqual(loginSections(await pool.login({ token: ann.token })), [
      { name: "Mine", collapsed: false, items: ["#books"] },
    ]);
    // Its own layout goes with the account.
    const annKey = (await server.node.accounts.find("ann"))!.key;
    await root.ok("delete_account", {
      user: "ann",
      messages: "keep",
      reason: "asked to leave",
    });
    assert.deepEqual(await server.node.store.listSections(annKey), []);
  },
);

stores.clients(
  "a room left keeps its place through a later set_sections from any device, shown nowhere, and goes back to its section on a rejoin; a section removed meanwhile takes the place with it",
  async (pool) => {
    const root = await pool.register("root");
    const ann = await pool.register("ann");
    await root.ok("create_room", { room: "dev" });
    await root.ok("create_room", { room: "ops" });
    await root.ok("create_room", { room: "lab", private: true });
    await root.ok("invite", { room: "lab", user: "ann" });
    for (const room of ["dev", "ops", "lab"]) {
      await ann.ok("join_room", { room });
    }
    await ann.ok("set_sections", {
      sections: [
        { name: "Work", items: ["#dev", "#ops", "#general"] },
        { name: "Secret", items: ["#lab"] },
      ],
    });
    await ann.ok("leave_room", { room: "ops" });
    await ann.ok("leave_room", { room: "lab" });
    // Another device writes what it shows: neither room left.
    const phone = await pool.login({ token: ann.token });
    assert.deepEqual(loginSections(phone), [
      { name: "Work", collapsed: false, items: ["#dev", "#general"] },
      { name: "Secret", collapsed: false, items: [] },
    ]);
    const from = ann.received.length;
    await phone.ok("set_sections", {
      sections: [
        { name: "work", items: ["#general", "#dev"], collapsed: true },
      ],
    });
    // What the other devices hear names no room left.
    const heard = await ann.event("sections", () => true, { from });
    assert.deepEqual(heard.data.sections, [
      { name: "work", collapsed: true, items: ["#general", "#dev"] },
    ]);
    await ann.ok("join_room", { room: "ops" });
    await root.ok("invite", { room: "lab", user: "ann" });
    await ann.ok("join_room", { room: "lab" });
    // The reload: ops back at its place in Work; lab's section is gone.
    assert.deepEqual(loginSections(await pool.login({ token: ann.token })), [
      {
        name: "work",
        collapsed: true,
        items: ["#general", "#ops", "#dev"],
      },
    ]);
  },
);

/**
 * Waits for `client`'s next `sections` event after frame `from`, and
 * checks that its `membership` event for `room` came first (the client
 * lists the room before the layout places it); the layout it names.
 */
async function sectionsAfterJoin(
  client: TestClient,
  room: string,
  from: number,
): Promise<unknown> {
  const heard = await client.event("sections", () => true, { from });
  const joined = client.received.findIndex((f, i) =>
    i >= from && f.action === "membership" && f.data.room === room &&
    f.data.member === true
  );
  assert.ok(
    joined >= 0 && joined < client.received.indexOf(heard),
    `membership for ${room} before sections`,
  );
  return heard.data.sections;
}

stores.clients(
  "a rejoin puts a room left back in its section at once: every device of the account gets sections after its membership event, by join_room or by an invite; a join of a room without a place sends none",
  async (pool) => {
    const root = await pool.register("root");
    const ann = await pool.register("ann");
    await root.ok("create_room", { room: "ops" });
    await root.ok("create_room", { room: "misc" });
    await root.ok("create_room", { room: "lab", private: true });
    await root.ok("invite", { room: "lab", user: "ann" });
    await ann.ok("join_room", { room: "ops" });
    await ann.ok("set_sections", {
      sections: [{ name: "Work", items: ["#general", "#ops", "#lab"] }],
    });
    await ann.ok("leave_room", { room: "ops" });
    await ann.ok("leave_room", { room: "lab" });
    const phone = await pool.login({ token: ann.token });
    assert.deepEqual(loginSections(phone), [
      { name: "Work", collapsed: false, items: ["#general"] },
    ]);

    let from = [ann.received.length, phone.received.length];
    await ann.ok("join_room", { room: "ops" });
    for (const [i, device] of [ann, phone].entries()) {
      assert.deepEqual(await sectionsAfterJoin(device, "ops", from[i]), [
        { name: "Work", collapsed: false, items: ["#general", "#ops"] },
      ]);
    }

    // Added back by a member of the private room: no join_room of its own.
    from = [ann.received.length, phone.received.length];
    await root.ok("invite", { room: "lab", user: "ann" });
    for (const [i, device] of [ann, phone].entries()) {
      assert.deepEqual(await sectionsAfterJoin(device, "lab", from[i]), [
        {
          name: "Work",
          collapsed: false,
          items: ["#general", "#ops", "#lab"],
        },
      ]);
    }

    // A room the layout never held: its join changes no layout.
    from = [ann.received.length, phone.received.length];
    await ann.ok("join_room", { room: "misc" });
    await phone.event("membership", (d) => d.room === "misc", {
      from: from[1],
    });
    await roundTrip(ann);
    await roundTrip(phone);
    for (const [i, device] of [ann, phone].entries()) {
      assert.deepEqual(
        device.received.slice(from[i]).filter((f) => f.action === "sections"),
        [],
      );
    }
  },
);

stores.database(
  "upgrading: an account of a server of before has no sections after the first start, and a room renamed then keeps its place in the one it makes",
  (options) =>
    withUpgradedServer({
      options,
      async setUp(pool) {
        const ann = await pool.register("ann");
        await ann.ok("create_room", { room: "dev" });
      },
      old: {
        marker: SECTIONS_MIGRATION,
        postgres: () => Promise.resolve(),
        sqlite: () => {},
      },
    }, async (server) => {
      const store = server.node.store;
      assert.deepEqual(await store.listSections("ann"), []);
      await store.setSections("ann", [
        { name: "Mine", collapsed: false, items: [{ stream: "dev" }] },
      ]);
      // PostgreSQL's chat_rename_room, made again by the migration, moves it.
      assert.ok(
        typeof await store.renameRoom("dev", "lab", "lab") === "object",
      );
      assert.deepEqual(await store.listSections("ann"), [
        { name: "Mine", collapsed: false, items: [{ stream: "lab" }] },
      ]);
    }),
);

stores.finish();
