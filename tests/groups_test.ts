/**
 * User groups: `create_group`, `update_group`, `delete_group`,
 * `list_groups`, the `group_updated` event, and what `@group` in a message
 * does (a mention for each member who is in the room), through a real
 * server on SQLite and, when PostgreSQL is installed, on a database of its
 * own.
 */
import assert from "node:assert/strict";
import type { Config } from "../server/config.ts";
import { DEFAULT_RATE_LIMITS, NO_RATE_LIMITS } from "../server/rate_limit.ts";
import type { ChatMessage as Message } from "../server/protocol/types.ts";
import { accountWithToken, call } from "./api_helpers.ts";
import { bothStores } from "./both_stores.ts";
import {
  ClientPool,
  expectError,
  roundTrip,
  type TestClient,
  wentOffline,
  withAccountsAcrossAddresses,
  withServer,
} from "./harness.ts";
import { GROUP_SKELETONS_MIGRATION } from "./store_contract/support.ts";
import { withUpgradedServer } from "./upgraded_server.ts";

const stores = await bothStores();

/** The unread mentions in `room` a new login of the account is told. */
async function mentionsIn(
  pool: ClientPool,
  client: Pick<TestClient, "token">,
  room = "general",
): Promise<number> {
  const again = await pool.login({ token: client.token });
  const reply = again.received.find((f) => f.data.request === "login")!;
  const memberships = reply.data.memberships as {
    room: string;
    mentions: number;
  }[];
  const found = memberships.find((m) => m.room === room)!;
  await again.close();
  return found.mentions;
}

stores.clients(
  "create_group, update_group and delete_group reach every account's connection as group_updated, no guest's; list_groups answers every group with its members",
  async (pool) => {
    const ann = await pool.register("ann");
    const ben = await pool.register("ben");
    const cat = await pool.register("cat");
    const gus = await pool.guest("gus");
    const design = {
      name: "Design",
      description: "The designers",
      creator: "ann",
      members: ["ben", "cat"],
    };
    assert.deepEqual(
      await ann.ok("create_group", {
        name: "Design",
        description: " The designers ",
        members: ["CAT", "ben", "cat"],
      }),
      { request: "create_group", group: design },
    );
    for (const other of [ann, ben]) {
      const seen = await other.event(
        "group_updated",
        (d) => d.name === "Design",
      );
      assert.deepEqual(seen.data, { group: design, name: "Design" });
    }
    assert.deepEqual(await cat.ok("list_groups", {}), {
      request: "list_groups",
      groups: [design],
    });
    const changed = {
      ...design,
      description: "Who draws",
      members: ["ann", "cat"],
    };
    assert.deepEqual(
      await ann.ok("update_group", {
        group: "design",
        description: "Who draws",
        add: ["ann"],
        remove: ["ben"],
      }),
      { request: "update_group", group: changed },
    );
    // Only what changed: never the whole list of members.
    const told = await ben.event("group_updated", (d) => "changed" in d);
    assert.deepEqual(told.data, {
      changed: { description: "Who draws", added: ["ann"], removed: ["ben"] },
      name: "Design",
    });
    assert.deepEqual(await ann.ok("delete_group", { group: "DESIGN" }), {
      request: "delete_group",
      name: "Design",
    });
    for (const other of [ann, ben]) {
      await other.event(
        "group_updated",
        (d) => d.name === "Design" && d.group === null,
      );
    }
    assert.deepEqual((await ben.ok("list_groups", {})).groups, []);
    // A guest may not list the groups, nor hear of them: each event named
    // the members. Whatever was sent to it came before this round trip.
    await roundTrip(gus);
    assert.deepEqual(
      gus.received.filter((f) => f.action === "group_updated"),
      [],
    );
    await gus.close();
  },
);

stores.clients(
  "groups are for accounts; only the creator, moderators and admins change or delete one; a group's name is no account's, nor here or room, and register of it is refused",
  async (pool) => {
    // The first account is the admin.
    const root = await pool.register("root");
    const ann = await pool.register("ann");
    const ben = await pool.register("ben");
    const gus = await pool.guest("gus");
    for (
      const [action, data] of [
        ["create_group", { name: "team" }],
        ["list_groups", {}],
        ["delete_group", { group: "team" }],
      ] as const
    ) {
      await expectError(gus, action, data, "forbidden");
    }
    await ann.ok("create_group", { name: "team", members: ["ben"] });
    await expectError(
      ben,
      "update_group",
      { group: "team", add: ["root"] },
      "forbidden",
    );
    await expectError(ben, "delete_group", { group: "team" }, "forbidden");
    await root.ok("update_group", { group: "team", add: ["root"] });
    await root.ok("set_role", { user: "ben", role: "moderator" });
    const moderator = await pool.login({ token: ben.token });
    await moderator.ok("update_group", { group: "team", remove: ["root"] });
    await expectError(
      ann,
      "update_group",
      { group: "nothing", add: ["ben"] },
      "group_not_found",
    );
    await expectError(
      ann,
      "delete_group",
      { group: "nothing" },
      "group_not_found",
    );
    // The last: "ace" in Cyrillic letters, a look-alike of an account's.
    await pool.register("ace");
    for (const name of ["BEN", "team", "here", "Room", "\u0430\u0441\u0435"]) {
      await expectError(ann, "create_group", { name }, "username_taken");
    }
    await expectError(
      ann,
      "create_group",
      { name: "two words" },
      "username_invalid",
    );
    const refused = await expectError(
      ann,
      "create_group",
      { name: "ops", members: ["ben", "nobody"] },
      "user_not_found",
    );
    assert.match(refused.data.message as string, /'nobody'/);
    await expectError(
      ann,
      "update_group",
      { group: "team", add: ["nobody"] },
      "user_not_found",
    );
    await expectError(
      ann,
      "create_group",
      { name: "ops", description: "a\nb" },
      "invalid_message",
    );
    const register = await pool.connect();
    await expectError(
      register,
      "register",
      { username: "Team", password: "a long password 1" },
      "username_taken",
    );
    await moderator.ok("delete_group", { group: "team" });
    await gus.close();
  },
);

stores.clients(
  "a guest may not log in under a group's name, nor a group take the name of a guest online, as with an account's name",
  async (pool) => {
    const ann = await pool.register("ann");
    await ann.ok("create_group", { name: "ops" });
    const door = await pool.connect();
    const refused = await expectError(
      door,
      "login",
      { username: "OPS" },
      "username_taken",
    );
    assert.match(refused.data.message as string, /group/);
    const gus = await pool.guest("gus");
    await expectError(ann, "create_group", { name: "Gus" }, "username_taken");
    await gus.close();
  },
);

stores.clients(
  "a guest's login and a create_group of the same name at the same moment: never both succeed (20 pairs at once)",
  async (pool) => {
    const root = await pool.register("root");
    const doors = await Promise.all(
      Array.from({ length: 20 }, () => pool.connect()),
    );
    // Half the pairs write the name in another case: one key.
    const pairs = doors.map((door, i) => ({
      door,
      guest: `ops${i}`,
      group: i % 2 === 0 ? `OPS${i}` : `ops${i}`,
    }));
    const outcomes = await Promise.all(pairs.map(async (pair) => {
      const [login, made] = await Promise.all([
        pair.door.request("login", { username: pair.guest }),
        root.request("create_group", { name: pair.group }),
      ]);
      return { ...pair, login: login.action, made: made.action, why: made };
    }));
    for (const { guest, group, login, made, why } of outcomes) {
      assert.notDeepEqual(
        [login, made],
        ["success", "success"],
        `${guest} logged in and ${group} was made`,
      );
      // A refusal is the name's, not another's (a cap, a limit).
      for (const [action, reply] of [[login, "login"], [made, "group"]]) {
        if (action !== "success") {
          assert.equal(
            action,
            "error",
            `${reply} of ${guest}/${group}: ${JSON.stringify(why)}`,
          );
        }
      }
    }
    const errors = [
      ...doors.flatMap((door) =>
        door.received.filter((f) => f.action === "error")
      ),
      ...root.received.filter((f) =>
        f.action === "error" && f.data.request === "create_group"
      ),
    ];
    assert.deepEqual(
      [...new Set(errors.map((f) => f.data.code))],
      errors.length === 0 ? [] : ["username_taken"],
    );
  },
  { rateLimits: NO_RATE_LIMITS },
);

stores.clients(
  "an account's deletion takes it out of its groups and off their creator, and every account's connection hears it as group_updated",
  async (pool) => {
    const root = await pool.register("root");
    const ann = await pool.register("ann");
    await pool.register("ben");
    await ann.ok("create_group", { name: "ops", members: ["ann", "ben"] });
    await ann.ok("create_group", { name: "design", members: ["ben"] });
    await root.ok("create_group", { name: "crew", members: ["root"] });
    await root.ok("delete_account", { user: "ann", messages: "keep" });
    await root.ok("delete_account", { user: "ben", messages: "keep" });
    // Each says what the group lost: the member, the creator; in the
    // order of the groups' keys, the last one told last.
    await root.event(
      "group_updated",
      (d) =>
        d.name === "ops" &&
        (d.changed as { removed?: string[] } | undefined)?.removed?.[0] ===
          "ben",
    );
    const told = root.received.filter((f) =>
      f.action === "group_updated" && "changed" in f.data
    ).map((f) => f.data);
    assert.deepEqual(told, [
      { changed: { creator: null }, name: "design" },
      { changed: { creator: null, removed: ["ann"] }, name: "ops" },
      { changed: { removed: ["ben"] }, name: "design" },
      { changed: { removed: ["ben"] }, name: "ops" },
    ]);
    assert.deepEqual((await root.ok("list_groups", {})).groups, [
      { name: "crew", description: "", creator: "root", members: ["root"] },
      { name: "design", description: "", creator: null, members: [] },
      { name: "ops", description: "", creator: null, members: [] },
    ]);
    // A group the deleted accounts had no part in is not told again.
    assert.equal(
      root.received.filter((f) =>
        f.action === "group_updated" && f.data.name === "crew"
      ).length,
      1,
    );
  },
);

stores.clients(
  "@group mentions each member of the group in the room but the author, as a name does; an edit without it takes the mentions back",
  async (pool) => {
    const ann = await pool.register("ann");
    const ben = await pool.register("ben");
    const cat = await pool.register("cat");
    const dan = await pool.register("dan");
    await ann.ok("create_group", {
      name: "design",
      members: ["ann", "ben", "cat"],
    });
    const sent = await ann.ok("send_message", {
      text: "@design review at five, @cat",
    });
    assert.equal(await mentionsIn(pool, ben), 1);
    assert.equal(await mentionsIn(pool, cat), 1);
    assert.equal(await mentionsIn(pool, ann), 0);
    assert.equal(await mentionsIn(pool, dan), 0);
    const id = (sent.message as { id: string }).id;
    await ann.ok("edit_message", { id, text: "review at five, @cat" });
    assert.equal(await mentionsIn(pool, ben), 0);
    assert.equal(await mentionsIn(pool, cat), 1);
    await ann.ok("edit_message", { id, text: "review at five, @Design" });
    assert.equal(await mentionsIn(pool, ben), 1);
    assert.equal(await mentionsIn(pool, cat), 1);
  },
);

stores.clients(
  "@group in a private room counts only the group's members who belong to it, against --room-mention-members too",
  async (pool) => {
    const ann = await pool.register("ann");
    const ben = await pool.register("ben");
    await pool.register("cat");
    const dan = await pool.register("dan");
    await ann.ok("create_room", { room: "den", private: true });
    await ann.ok("invite", { room: "den", user: "ben" });
    await ann.ok("invite", { room: "den", user: "dan" });
    await ann.ok("create_group", { name: "ops", members: ["ben", "cat"] });
    // dan is not the room's owner: a group of more than one member in the
    // room would notify nobody; cat, outside it, does not count.
    await dan.ok("join_room", { room: "den" });
    await dan.ok("send_message", { text: "@ops deploy" });
    assert.equal(await mentionsIn(pool, ben, "den"), 1);
  },
  { roomMentionMembers: 1 },
);

stores.clients(
  "a group of more than --room-mention-members members in the room notifies only from the room's owner, moderators and admins; the message is still sent",
  async (pool) => {
    const root = await pool.register("root");
    const ann = await pool.register("ann");
    const ben = await pool.register("ben");
    const cat = await pool.register("cat");
    await ann.ok("create_group", {
      name: "all",
      members: ["root", "ben", "cat"],
    });
    const sent = await ann.ok("send_message", { text: "@all lunch?" });
    assert.equal((sent.message as { text: string }).text, "@all lunch?");
    assert.equal(await mentionsIn(pool, ben), 0);
    await root.ok("send_message", { text: "@all the server restarts" });
    assert.equal(await mentionsIn(pool, ben), 1);
    assert.equal(await mentionsIn(pool, cat), 1);
    assert.equal(await mentionsIn(pool, root), 0);
  },
  { roomMentionMembers: 1 } satisfies Partial<Config>,
);

Deno.test("an @group pays its author's message budget as an @here does: one message for each 50 members it notifies past the first 50, so a room's owner cannot write a group's rows at the rate of messages", async () => {
  // The owner of a private room may add anyone to it (invite asks no
  // one), then make a group of them: 1,000 rows a message at the 100
  // messages a second of its budget, where names write 50 a message.
  const message = { burst: 5, perSecond: 0.001 };
  await withAccountsAcrossAddresses(async ({ pool, register }) => {
    const owner = await pool.register("owner");
    const names: string[] = [];
    for (let i = 0; i < 51; i++) {
      await register(`m${i}`);
      names.push(`m${i}`);
    }
    await owner.ok("create_group", { name: "crew", members: names });
    // Everyone belongs to general: 51 notified, two messages' worth each.
    for (const text of ["@crew doors open", "@crew doors close"]) {
      const sent = await owner.ok("send_message", { text });
      assert.equal((sent.message as Message).text, text);
    }
    const refused = await owner.request("send_message", {
      text: "@crew one more",
    });
    assert.equal(refused.data.code, "rate_limited");
    assert.ok((refused.data.retry_after_ms as number) > 0);
    const page = await owner.ok("history", { room: "general" });
    assert.deepEqual(
      (page.messages as Message[]).map((m) => m.text).filter((t) =>
        t.startsWith("@crew")
      ),
      ["@crew doors open", "@crew doors close"],
      "the refused send is not stored",
    );
  }, {
    rateLimits: {
      ...DEFAULT_RATE_LIMITS,
      perUser: { ...DEFAULT_RATE_LIMITS.perUser, message },
    },
  });
});

stores.clients(
  "the groups one account made hold at most 2,000 members together, so that it cannot take the server's 10,000 from the others; a moderator's or an admin's writes have no such cap",
  async (pool, server) => {
    // The first account is the admin.
    const root = await pool.register("root");
    const mallory = await pool.register("mallory");
    // 1,000 accounts with names of the longest kind, written to the store
    // as registration would (a group of 1,000 is the most one group holds).
    const names: string[] = [];
    for (let batch = 0; batch < 1000; batch += 50) {
      const made = [];
      for (let i = batch; i < batch + 50; i++) {
        const name = `m${String(i).padStart(4, "0")}${"x".repeat(27)}`;
        names.push(name);
        made.push(server.node.store.createAccount({
          key: name,
          username: name,
          passwordHash: "never logs in",
          role: "user",
        }));
      }
      await Promise.all(made);
    }
    await mallory.ok("create_group", { name: "crew0", members: names });
    await mallory.ok("create_group", { name: "crew1", members: names });
    const more = await expectError(mallory, "create_group", {
      name: "crew2",
      members: [names[0]],
    }, "group_full");
    assert.match(String(more.data.message), /one account/);
    await mallory.ok("create_group", { name: "crew2" });
    await expectError(mallory, "update_group", {
      group: "crew2",
      add: [names[0]],
    }, "group_full");
    // Staff make groups for the team, and may fill mallory's.
    await root.ok("create_group", { name: "all0", members: names });
    await root.ok("update_group", { group: "crew2", add: [names[0]] });
  },
);

stores.clients(
  "a deleted account leaves its groups; the groups it created stay, for moderators and admins to change",
  async (pool) => {
    const root = await pool.register("root");
    const ann = await pool.register("ann");
    await pool.register("ben");
    await ann.ok("create_group", { name: "ops", members: ["ann", "ben"] });
    await root.ok("delete_account", { user: "ann", messages: "keep" });
    assert.deepEqual((await root.ok("list_groups", {})).groups, [{
      name: "ops",
      description: "",
      creator: null,
      members: ["ben"],
    }]);
    // Only moderators and admins may change it now.
    await root.ok("update_group", { group: "ops", description: "on call" });
    await roundTrip(root);
  },
);

stores.clients(
  "register of a look-alike of a group's name is refused with username_taken, as one of an account's is; so is create_group of a look-alike of another group's",
  async (pool) => {
    const ann = await pool.register("ann");
    await ann.ok("create_group", { name: "ace" });
    const stranger = await pool.connect();
    // "ace" in Cyrillic letters.
    const refused = await expectError(
      stranger,
      "register",
      { username: "\u0430\u0441\u0435", password: "a long password 1" },
      "username_taken",
    );
    assert.match(refused.data.message as string, /'ace', a group's/);
    await expectError(
      ann,
      "create_group",
      { name: "\u0430\u0441\u0435" },
      "username_taken",
    );
    await ann.ok("delete_group", { group: "ace" });
    await pool.register("\u0430\u0441\u0435");
  },
);

stores.database(
  "upgrading: a group made before groups kept their skeletons gets one at the first start, and register of its look-alike is refused",
  (options) =>
    withUpgradedServer({
      options,
      async setUp(pool) {
        const root = await pool.register("root");
        await root.ok("create_group", { name: "ace" });
      },
      old: {
        marker: GROUP_SKELETONS_MIGRATION,
        postgres: () => Promise.resolve(),
        sqlite: () => {},
      },
    }, async (server) => {
      const pool = new ClientPool(server.wsUrl);
      try {
        const stranger = await pool.connect();
        // "ace" in Cyrillic letters.
        await expectError(
          stranger,
          "register",
          { username: "\u0430\u0441\u0435", password: "a long password 1" },
          "username_taken",
        );
      } finally {
        await pool.closeAll();
      }
    }),
);

Deno.test("an HTTP API post's @group, @room and @here mention as a WebSocket send's do (the same handler): a group's member in the room, every member, those online", async () => {
  await withServer(async (server) => {
    const ann = await accountWithToken(server, "ann");
    const ben = await accountWithToken(server, "ben");
    const cat = await accountWithToken(server, "cat");
    const pool = new ClientPool(server.wsUrl);
    try {
      const socket = await pool.login({ token: ann.token });
      await socket.ok("create_group", { name: "crew", members: ["ben"] });
      // ben is online for @here; cat is not, and not in the group.
      const online = await pool.login({ token: ben.token });
      const counts = async () => [
        await mentionsIn(pool, online),
        await mentionsIn(pool, cat),
      ];
      const expected = [[1, 0], [2, 1], [3, 1]];
      for (
        const [i, text] of ["@crew look", "@room look", "@here look"].entries()
      ) {
        const posted = await call(
          server,
          "POST",
          "/api/rooms/general/messages",
          { token: ann.token, body: { text } },
        );
        assert.equal(posted.status, 201, JSON.stringify(posted.body));
        assert.deepEqual(await counts(), expected[i], text);
      }
    } finally {
      await pool.closeAll();
    }
  });
});

stores.test(
  "a message that names people but no group reads nothing for groups; a group created or deleted a moment before is known at once on its node",
  async (server) => {
    const store = server.node.store;
    const real = store.groupMemberKeys.bind(store);
    let reads = 0;
    store.groupMemberKeys = (keys, options) => {
      reads++;
      return real(keys, options);
    };
    const pool = new ClientPool(server.wsUrl);
    try {
      const ann = await pool.register("ann");
      const ben = await pool.register("ben");
      await ann.ok("send_message", { text: "@ben hi" });
      assert.equal(reads, 0, "a person named, no group");
      await ann.ok("create_group", { name: "crew", members: ["ben"] });
      await ann.ok("send_message", { text: "@ben and @crew hi" });
      assert.equal(reads, 1, "the group made a moment before");
      assert.equal(await mentionsIn(pool, ben), 2);
      await ann.ok("delete_group", { group: "crew" });
      await ann.ok("send_message", { text: "@crew hi" });
      assert.equal(reads, 1, "the group deleted a moment before");
    } finally {
      store.groupMemberKeys = real;
      await pool.closeAll();
    }
  },
);

stores.clients(
  "create_group and register of a look-alike of an online guest's name are refused with username_taken, naming the guest; once it left, both are taken",
  async (pool) => {
    const ann = await pool.register("ann");
    // "ace" in Cyrillic letters, a guest's name.
    const guest = await pool.guest("\u0430\u0441\u0435");
    const grouped = await expectError(
      ann,
      "create_group",
      { name: "ace" },
      "username_taken",
    );
    assert.match(
      grouped.data.message as string,
      /looks like '\u0430\u0441\u0435'/,
    );
    const stranger = await pool.connect();
    await expectError(
      stranger,
      "register",
      { username: "ACE", password: "a long password 1" },
      "username_taken",
    );
    await guest.close();
    await wentOffline(ann, "\u0430\u0441\u0435");
    await ann.ok("create_group", { name: "ace" });
    await ann.ok("delete_group", { group: "ace" });
    await pool.register("ace");
  },
);

stores.clients(
  "a guest may not log in under a group's name nor a look-alike of it, and create_group of an online guest's name is refused: both would read as the other's @mention",
  async (pool) => {
    const ann = await pool.register("ann");
    await ann.ok("create_group", { name: "ace" });
    const stranger = await pool.connect();
    for (const username of ["ACE", "\u0430\u0441\u0435"]) {
      await expectError(stranger, "login", { username }, "username_taken");
    }
    const gus = await pool.guest("gus");
    await expectError(ann, "create_group", { name: "Gus" }, "username_taken");
    await gus.close();
  },
);
