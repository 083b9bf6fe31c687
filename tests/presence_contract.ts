/**
 * The contract every PresenceManager implementation keeps: who is online
 * and where, as room counts, member lists, connections per room, guests'
 * addresses and names; guest names that no other node may take; and, where
 * several nodes share presence, a node that dies dropping out of every
 * count on its own. Each implementation's test file calls
 * {@link presenceContract}; the scenarios with several nodes, or with a
 * crash, run where the fixture can make them.
 *
 * Presence is driven here as the node drives it (server/node.ts): the
 * registry claims a name first, then presence is asked; a move or a
 * departure goes to both. A guest counts in the room it looks at; an
 * account in every room it belongs to (entering a room joins it).
 */
import assert from "node:assert/strict";
import type { PresenceManager } from "../server/presence/mod.ts";
import { nameKey } from "../server/protocol/names.ts";
import { type Member, RoomRegistry } from "../server/registry.ts";
import { eventually } from "./harness.ts";

/** How the contract opens presence of one implementation. */
export interface PresenceFixture {
  /**
   * Opens and starts presence for one node over its registry. A fixture
   * without `nodes` opens one node per test. `ttlMs` is how long the
   * node's entries outlive it (default: the server's, `--presence-ttl`).
   */
  open(
    registry: RoomRegistry,
    nodeId: string,
    options?: { ttlMs?: number },
  ): Promise<PresenceManager>;
  /**
   * Stops a node as a crashed process would: no more heartbeats and no
   * clean-up. Needed only with the `crash` option.
   */
  crash?(presence: PresenceManager): void;
  /** Closes what the fixture opened besides presence; once per test. */
  dispose(): Promise<void>;
}

/** What the contract needs to know of an implementation. */
export interface PresenceContractOptions {
  /** Whether several nodes can share presence (Redis: yes). */
  nodes: boolean;
  /** Whether a node can outlive its process (Redis: its entries do). */
  crash: boolean;
}

/** How a connection logs in: a guest from 192.0.2.1 unless told. */
interface Login {
  guest?: boolean;
  address?: string;
  room?: string;
  /** Since when the name is its own (ms): 0 unless told. */
  since?: number;
}

/**
 * One node's registry and presence, driven as ChatNode drives them:
 * `join` claims the name here, then across nodes, then enters a room.
 */
class PresenceNode {
  readonly id: string;
  readonly registry = new RoomRegistry();
  presence!: PresenceManager;
  #nextId = 1;

  constructor(id: string) {
    this.id = id;
    for (const room of ["general", "dev", "ops"]) {
      this.registry.addRoom(room, room);
    }
  }

  /** Logs a connection in; undefined when its name is refused. */
  async join(username: string, login: Login = {}): Promise<Member | undefined> {
    const member: Member = {
      id: this.#nextId++,
      outbox: { push() {} },
      username,
      userKey: nameKey(username),
      address: login.address ?? "192.0.2.1",
      roomKey: "",
      role: "user",
      guest: login.guest ?? true,
      since: login.since ?? 0,
      identity: `g:${username}`,
      disconnect() {},
    };
    if (!this.registry.claim(member)) return undefined;
    const granted = await this.presence.add({
      id: this.#entryId(member),
      userKey: member.userKey,
      username,
      roomKey: member.roomKey,
      rooms: this.#rooms(member),
      guest: member.guest,
      since: member.since,
      address: member.address,
    });
    if (!granted) {
      this.registry.release(member);
      return undefined;
    }
    this.move(member, login.room ?? "general");
    return member;
  }

  /** Moves a connection to another room (an account joins it). */
  move(member: Member, roomKey: string): void {
    if (this.registry.enter(member, roomKey).moved) {
      this.presence.move(this.#entryId(member), roomKey, this.#rooms(member));
    }
  }

  // The rooms a connection counts in: an account's rooms, none for a guest
  // (it counts where it looks).
  #rooms(member: Member): string[] | undefined {
    const rooms = this.registry.roomsOf(member.userKey);
    return rooms ? [...rooms] : undefined;
  }

  /** A connection's client says it is hidden, or shown (`visibility`). */
  hide(member: Member, hidden: boolean): void {
    member.hidden = hidden;
    this.presence.setHidden(this.#entryId(member), hidden);
  }

  /** A connection goes away. */
  leave(member: Member): void {
    if (this.registry.release(member)) {
      this.presence.remove(this.#entryId(member));
    }
  }

  #entryId(member: Member): string {
    return `${this.id}:${member.id}`;
  }
}

/** Room counts as a plain object, rooms without anyone left out. */
async function counts(node: PresenceNode): Promise<Record<string, number>> {
  const all = await node.presence.roomCounts();
  return Object.fromEntries(
    [...all].filter(([room, n]) => room !== "" && n > 0).sort(),
  );
}

/** Whether presence says the user is watching, asked for alone. */
async function watching(node: PresenceNode, userKey: string): Promise<boolean> {
  return (await node.presence.watchingAmong([userKey])).has(userKey);
}

/** Registers the presence contract tests for one implementation. */
export function presenceContract(
  name: string,
  makeFixture: () => Promise<PresenceFixture>,
  options: PresenceContractOptions,
): void {
  type Open = (options?: { ttlMs?: number }) => Promise<PresenceNode>;

  function test(
    title: string,
    body: (open: Open, fixture: PresenceFixture) => Promise<void>,
    needs: { nodes?: boolean; crash?: boolean } = {},
  ): void {
    if (needs.nodes && !options.nodes) return;
    if (needs.crash && !options.crash) return;
    Deno.test(`${name}: ${title}`, async () => {
      // Undone last to first, pass or fail: the nodes, the storage.
      await using cleanup = new AsyncDisposableStack();
      const fixture = await makeFixture();
      cleanup.defer(() => fixture.dispose());
      let nodes = 0;
      await body(async (more) => {
        const node = new PresenceNode(`node${++nodes}`);
        const presence = await fixture.open(node.registry, node.id, more);
        node.presence = presence;
        cleanup.defer(() => presence.close());
        return node;
      }, fixture);
    });
  }

  // ------------------------------------------------------------- one node

  test("a connection that logs in is counted in its room, with its name", async (open) => {
    const node = await open();
    await node.join("Alice", { room: "dev" });
    assert.deepEqual(await counts(node), { dev: 1 });
    assert.deepEqual(await node.presence.usersIn("dev"), ["Alice"]);
    assert.deepEqual(await node.presence.usersIn("general"), []);
    assert.equal(await node.presence.onlineName("alice"), "Alice");
    assert.equal(await node.presence.connectionsIn("alice", "dev"), 1);
    assert.equal(await node.presence.connectionsIn("alice", "general"), 0);
  });

  test("presence that lost nothing is whole: not settling, and settled answers at once", async (open) => {
    const node = await open();
    await node.join("Alice", { room: "dev" });
    assert.equal(node.presence.settling(), false);
    await node.presence.settled();
    assert.equal(await node.presence.onlineName("alice"), "Alice");
  });

  test("a user with several connections in a room counts once, until the last goes", async (open) => {
    const node = await open();
    const first = (await node.join("Bob", { guest: false }))!;
    const second = (await node.join("Bob", { guest: false }))!;
    await node.join("Carol");
    assert.deepEqual(await counts(node), { general: 2 });
    assert.equal(await node.presence.connectionsIn("bob", "general"), 2);
    assert.deepEqual(await node.presence.usersIn("general"), ["Bob", "Carol"]);
    node.leave(first);
    assert.deepEqual(await counts(node), { general: 2 });
    assert.equal(await node.presence.connectionsIn("bob", "general"), 1);
    node.leave(second);
    assert.deepEqual(await counts(node), { general: 1 });
    assert.deepEqual(await node.presence.usersIn("general"), ["Carol"]);
    assert.equal(await node.presence.onlineName("bob"), undefined);
  });

  test("the users online whose key starts with a prefix are found, each once, glob characters matching themselves", async (open) => {
    const node = await open();
    const bob = (await node.join("Bob", { guest: false }))!;
    await node.join("Bob", { guest: false });
    await node.join("Bobby");
    await node.join("Carol", { guest: false });
    await node.join("b*x", { guest: false });
    const found = async (prefix: string) =>
      (await node.presence.onlineStartingWith(prefix)).sort();
    assert.deepEqual(await found("bo"), ["bob", "bobby"]);
    assert.deepEqual(await found("b*"), ["b*x"]);
    assert.deepEqual(await found("b?"), []);
    assert.deepEqual(await found("z"), []);
    node.leave(bob);
    assert.deepEqual(await found("bob"), ["bob", "bobby"], "one left");
  });

  test("a move changes the room counts and member lists", async (open) => {
    const node = await open();
    const alice = (await node.join("Alice"))!;
    await node.join("Bob");
    node.move(alice, "dev");
    assert.deepEqual(await counts(node), { dev: 1, general: 1 });
    assert.deepEqual(await node.presence.usersIn("dev"), ["Alice"]);
    assert.deepEqual(await node.presence.usersIn("general"), ["Bob"]);
    node.move(alice, "ops");
    node.move(alice, "general");
    assert.deepEqual(await counts(node), { general: 2 });
    assert.equal(await node.presence.connectionsIn("alice", "dev"), 0);
    assert.equal(await node.presence.connectionsIn("alice", "general"), 1);
  });

  test("an account counts in every room it entered, whichever it looks at; a guest only where it is", async (open) => {
    const node = await open();
    const phone = (await node.join("Bob", { guest: false }))!;
    await node.join("Bob", { guest: false, room: "dev" });
    const gus = (await node.join("Gus"))!;
    assert.deepEqual(await counts(node), { dev: 1, general: 2 });
    node.move(phone, "dev");
    node.move(gus, "dev");
    assert.deepEqual(await counts(node), { dev: 2, general: 1 });
    assert.deepEqual(await node.presence.usersIn("general"), ["Bob"]);
    assert.deepEqual(await node.presence.usersIn("dev"), ["Bob", "Gus"]);
    // Connections count where they look.
    assert.equal(await node.presence.connectionsIn("bob", "dev"), 2);
    assert.equal(await node.presence.connectionsIn("bob", "general"), 0);
  });

  test("accountsIn lists the name keys of the accounts that count in a room, each once, and no guest", async (open) => {
    const node = await open();
    const phone = (await node.join("Bob", { guest: false }))!;
    await node.join("Bob", { guest: false });
    await node.join("Ann", { guest: false, room: "dev" });
    const gus = (await node.join("Gus"))!;
    const accounts = async (room: string) =>
      (await node.presence.accountsIn(room)).sort();
    assert.deepEqual(await accounts("general"), ["bob"]);
    assert.deepEqual(await accounts("dev"), ["ann"]);
    node.move(gus, "dev");
    node.move(phone, "dev");
    assert.deepEqual(await accounts("dev"), ["ann", "bob"]);
    assert.deepEqual(await accounts("general"), ["bob"], "entered, it counts");
    assert.deepEqual(await accounts("ops"), []);
  });

  test("usersIn lists distinct names as written, sorted whatever their case", async (open) => {
    const node = await open();
    for (const username of ["carol", "Bob", "émile", "alice", "Dave"]) {
      await node.join(username);
    }
    await node.join("Bob");
    assert.deepEqual(await node.presence.usersIn("general"), [
      "alice",
      "Bob",
      "carol",
      "Dave",
      "émile",
    ]);
  });

  test("a connection that leaves frees its name and its place", async (open) => {
    const node = await open();
    const alice = (await node.join("Alice", { room: "dev" }))!;
    node.leave(alice);
    assert.deepEqual(await counts(node), {});
    assert.deepEqual(await node.presence.usersIn("dev"), []);
    assert.equal(await node.presence.onlineName("alice"), undefined);
    assert.equal(await node.presence.isGuestOnline("alice"), false);
    assert.ok(await node.join("ALICE"), "the name is free again");
    assert.equal(await node.presence.onlineName("alice"), "ALICE");
  });

  test("isGuestOnline is true while a guest holds the name, not for an account", async (open) => {
    const node = await open();
    await node.join("Gus");
    await node.join("Ann", { guest: false });
    assert.equal(await node.presence.isGuestOnline("gus"), true);
    assert.equal(await node.presence.isGuestOnline("ann"), false);
    assert.equal(await node.presence.isGuestOnline("nobody"), false);
    assert.equal(await node.presence.onlineName("ann"), "Ann");
    assert.equal(await node.presence.onlineName("nobody"), undefined);
  });

  test("guestSince is when the guest holding the name logged in; nothing for an account, nobody, or a guest gone", async (open) => {
    const node = await open();
    const gus = (await node.join("Gus", { since: 1_700_000_000_123 }))!;
    await node.join("Ann", { guest: false, since: 1_600_000_000_000 });
    assert.equal(await node.presence.guestSince("gus"), 1_700_000_000_123);
    assert.equal(await node.presence.guestSince("ann"), undefined);
    assert.equal(await node.presence.guestSince("nobody"), undefined);
    node.leave(gus);
    await eventually(async () =>
      assert.equal(await node.presence.guestSince("gus"), undefined)
    );
  });

  test("guestAddresses lists the addresses a guest is online from, none for an account", async (open) => {
    const node = await open();
    await node.join("Gus", { address: "192.0.2.7" });
    await node.join("Ann", { guest: false, address: "192.0.2.8" });
    assert.deepEqual(await node.presence.guestAddresses("gus"), ["192.0.2.7"]);
    assert.deepEqual(await node.presence.guestAddresses("ann"), []);
    assert.deepEqual(await node.presence.guestAddresses("nobody"), []);
  });

  test("a user is watching while a connection is shown, false once every one is hidden or gone", async (open) => {
    const node = await open();
    const first = (await node.join("Bob", { guest: false }))!;
    const second = (await node.join("Bob", { guest: false }))!;
    assert.equal(await watching(node, "bob"), true);
    node.hide(first, true);
    await eventually(async () =>
      assert.equal(await watching(node, "bob"), true)
    );
    node.hide(second, true);
    await eventually(async () =>
      assert.equal(await watching(node, "bob"), false)
    );
    // Still online: hidden is not gone.
    assert.equal(await node.presence.onlineName("bob"), "Bob");
    node.hide(first, false);
    await eventually(async () =>
      assert.equal(await watching(node, "bob"), true)
    );
    node.hide(first, true);
    const third = (await node.join("Bob", { guest: false }))!;
    await eventually(async () =>
      assert.equal(await watching(node, "bob"), true)
    );
    node.leave(third);
    await eventually(async () =>
      assert.equal(await watching(node, "bob"), false)
    );
    node.leave(first);
    node.leave(second);
    await eventually(async () =>
      assert.equal(await watching(node, "bob"), false)
    );
    assert.equal(await watching(node, "nobody"), false);
  });

  test("watchingAmong answers for many users at once: those shown, each once, not those hidden, offline or unknown", async (open) => {
    const node = await open();
    await node.join("Ann", { guest: false });
    const bob = (await node.join("Bob", { guest: false }))!;
    await node.join("Bob", { guest: false });
    const cy = (await node.join("Cy"))!;
    const dee = (await node.join("Dee", { guest: false }))!;
    node.hide(bob, true);
    node.hide(cy, true);
    node.leave(dee);
    await eventually(async () =>
      assert.deepEqual(
        [
          ...await node.presence.watchingAmong([
            "ann",
            "bob",
            "cy",
            "dee",
            "nobody",
            "ann",
          ]),
        ].sort(),
        ["ann", "bob"],
      )
    );
    assert.deepEqual(await node.presence.watchingAmong([]), new Set());
  });

  test("watchingAmong answers for a room's worth of users, thousands at once, wherever they stand in the list", async (open) => {
    const node = await open();
    const keys = Array.from({ length: 2_500 }, (_, i) => `u${i}`);
    // Either side of each thousand, and the last.
    const shown = [0, 999, 1_000, 1_001, 2_000, 2_499];
    for (const i of shown) await node.join(`U${i}`);
    const hidden = (await node.join("U1500"))!;
    node.hide(hidden, true);
    await eventually(async () =>
      assert.deepEqual(
        [...await node.presence.watchingAmong(keys)].sort(),
        shown.map((i) => `u${i}`).sort(),
      )
    );
  });

  test("questions asked together, as a room's members moved at once ask them, each get their own answer", async (open) => {
    const node = await open();
    await node.join("Ann", { guest: false, room: "dev" });
    await node.join("Ann", { guest: false, room: "dev" });
    await node.join("Gus", { address: "192.0.2.7", room: "ops" });
    assert.deepEqual(
      await Promise.all([
        node.presence.connectionsIn("ann", "dev"),
        node.presence.connectionsIn("gus", "ops"),
        node.presence.connectionsIn("gus", "dev"),
        node.presence.guestAddresses("gus"),
        node.presence.usersIn("ops"),
        node.presence.connectionsIn("nobody", "dev"),
      ]),
      [2, 1, 0, ["192.0.2.7"], ["Gus"], 0],
    );
  });

  test("roomCountsNow, when it answers, agrees with roomCounts", async (open) => {
    const node = await open();
    await node.join("Alice", { room: "dev" });
    await node.join("Bob");
    const now = node.presence.roomCountsNow();
    if (now === undefined) return;
    assert.deepEqual(now, await node.presence.roomCounts());
  });

  test("presence is healthy while open, and closing twice is harmless", async (open) => {
    const node = await open();
    assert.equal(node.presence.healthy(), true);
    await node.presence.close();
    await node.presence.close();
  });

  // ---------------------------------------------------------- several nodes

  test(
    "counts, member lists and connections add up across nodes, users once",
    async (open) => {
      const [a, b] = [await open(), await open()];
      await a.join("Bob", { guest: false });
      await b.join("Bob", { guest: false });
      await b.join("Carol", { room: "dev" });
      await a.join("Alice", { room: "dev" });
      for (const node of [a, b]) {
        await eventually(async () => {
          assert.deepEqual(await counts(node), { dev: 2, general: 1 });
          assert.deepEqual(await node.presence.usersIn("dev"), [
            "Alice",
            "Carol",
          ]);
          assert.equal(await node.presence.connectionsIn("bob", "general"), 2);
          assert.equal(await node.presence.onlineName("carol"), "Carol");
        });
      }
    },
    { nodes: true },
  );

  test(
    "a move or a departure on one node shows on the others",
    async (open) => {
      const [a, b] = [await open(), await open()];
      const alice = (await a.join("Alice"))!;
      const bob = (await a.join("Bob"))!;
      await eventually(async () =>
        assert.deepEqual(await counts(b), { general: 2 })
      );
      a.move(alice, "dev");
      a.leave(bob);
      await eventually(async () => {
        assert.deepEqual(await counts(b), { dev: 1 });
        assert.deepEqual(await b.presence.usersIn("dev"), ["Alice"]);
        assert.equal(await b.presence.onlineName("bob"), undefined);
      });
    },
    { nodes: true },
  );

  test(
    "a guest's name is refused on every other node, to guests and accounts",
    async (open) => {
      const [a, b] = [await open(), await open()];
      await a.join("Gus");
      assert.equal(await b.join("Gus"), undefined);
      assert.equal(await b.join("Gus", { guest: false }), undefined);
      assert.equal(await b.presence.isGuestOnline("gus"), true);
      assert.deepEqual(await b.presence.usersIn("general"), ["Gus"]);
    },
    { nodes: true },
  );

  test("guestLookingLike names the guest online whose name is, or looks like, the one asked, not an account, and nobody once it left", async (open) => {
    const node = await open();
    const gus = (await node.join("Gus"))!;
    await node.join("Ann", { guest: false });
    // Cyrillic "а" and "с": the skeleton of "Paca".
    await node.join("P\u0430\u0441a");
    assert.equal(await node.presence.guestLookingLike("gus"), "Gus");
    assert.equal(await node.presence.guestLookingLike("GUS"), "Gus");
    assert.equal(
      await node.presence.guestLookingLike("Paca"),
      "P\u0430\u0441a",
    );
    assert.equal(await node.presence.guestLookingLike("Ann"), undefined);
    assert.equal(await node.presence.guestLookingLike("Bob"), undefined);
    node.leave(gus);
    await eventually(async () =>
      assert.equal(await node.presence.guestLookingLike("Gus"), undefined)
    );
  });

  test(
    "guestLookingLike names a guest online on another node, and nobody once it left",
    async (open) => {
      const [a, b] = [await open(), await open()];
      const gus = (await a.join("Gus"))!;
      await a.join("P\u0430\u0441a");
      assert.equal(await b.presence.guestLookingLike("gus"), "Gus");
      assert.equal(
        await b.presence.guestLookingLike("Paca"),
        "P\u0430\u0441a",
      );
      a.leave(gus);
      await eventually(async () =>
        assert.equal(await b.presence.guestLookingLike("Gus"), undefined)
      );
    },
    { nodes: true },
  );

  test(
    "the users online whose key starts with a prefix are found on every node",
    async (open) => {
      const [a, b] = [await open(), await open()];
      await a.join("Ann", { guest: false });
      await b.join("Ann", { guest: false });
      await b.join("Andy");
      await b.join("Bob", { guest: false });
      assert.deepEqual((await a.presence.onlineStartingWith("an")).sort(), [
        "andy",
        "ann",
      ]);
    },
    { nodes: true },
  );

  test(
    "an account may be online on several nodes, but no guest may take its name",
    async (open) => {
      const [a, b, c] = [await open(), await open(), await open()];
      await a.join("Ann", { guest: false });
      assert.ok(await b.join("Ann", { guest: false }));
      assert.equal(await c.join("Ann"), undefined);
      assert.equal(await c.presence.isGuestOnline("ann"), false);
      assert.equal(await c.presence.onlineName("ann"), "Ann");
    },
    { nodes: true },
  );

  test(
    "a user hidden on one node and shown on another is watching, on every node",
    async (open) => {
      const one = await open();
      const two = await open();
      const here = (await one.join("Dana", { guest: false }))!;
      const there = (await two.join("Dana", { guest: false }))!;
      one.hide(here, true);
      for (const node of [one, two]) {
        await eventually(async () =>
          assert.equal(await watching(node, "dana"), true)
        );
      }
      two.hide(there, true);
      for (const node of [one, two]) {
        await eventually(async () =>
          assert.equal(await watching(node, "dana"), false)
        );
      }
      two.leave(there);
      one.hide(here, false);
      for (const node of [one, two]) {
        await eventually(async () =>
          assert.equal(await watching(node, "dana"), true)
        );
      }
    },
    { nodes: true },
  );

  test(
    "watchingAmong finds the users watching on every node in one answer",
    async (open) => {
      const [a, b] = [await open(), await open()];
      await a.join("Ann", { guest: false });
      const bob = (await b.join("Bob", { guest: false }))!;
      await b.join("Cy");
      const hiddenHere = (await a.join("Dee", { guest: false }))!;
      await b.join("Dee", { guest: false });
      const gone = (await a.join("Eve"))!;
      b.hide(bob, true);
      a.hide(hiddenHere, true);
      a.leave(gone);
      const keys = ["ann", "bob", "cy", "dee", "eve"];
      for (const node of [a, b]) {
        await eventually(async () =>
          assert.deepEqual(
            [...await node.presence.watchingAmong(keys)].sort(),
            ["ann", "cy", "dee"],
          )
        );
      }
    },
    { nodes: true },
  );

  test("a name released on one node may be taken on another", async (open) => {
    const [a, b] = [await open(), await open()];
    const gus = (await a.join("Gus", { address: "192.0.2.7" }))!;
    a.leave(gus);
    await eventually(async () => assert.ok(await b.join("Gus")));
    await eventually(async () =>
      assert.deepEqual(await a.presence.guestAddresses("gus"), ["192.0.2.1"])
    );
  }, { nodes: true });

  test(
    "guestSince answers for a guest on another node, then for the name's next holder",
    async (open) => {
      const [a, b] = [await open(), await open()];
      const gus = (await a.join("Gus", { since: 1_700_000_000_123 }))!;
      await eventually(async () =>
        assert.equal(await b.presence.guestSince("gus"), 1_700_000_000_123)
      );
      a.leave(gus);
      await eventually(async () =>
        assert.ok(await b.join("Gus", { since: 1_700_000_009_999 }))
      );
      await eventually(async () =>
        assert.equal(await a.presence.guestSince("gus"), 1_700_000_009_999)
      );
    },
    { nodes: true },
  );

  test("guestAddresses lists a guest's address on every node", async (open) => {
    const [a, b] = [await open(), await open()];
    await a.join("Gus", { address: "192.0.2.7" });
    await eventually(async () =>
      assert.deepEqual(await b.presence.guestAddresses("gus"), ["192.0.2.7"])
    );
  }, { nodes: true });

  test(
    "a node that closes takes its users out of every count at once",
    async (open) => {
      const [a, b] = [await open(), await open()];
      await a.join("Gus");
      await b.join("Bob");
      await eventually(async () =>
        assert.deepEqual(await b.presence.usersIn("general"), ["Bob", "Gus"])
      );
      await a.presence.close();
      assert.deepEqual(await b.presence.usersIn("general"), ["Bob"]);
      assert.equal(await b.presence.onlineName("gus"), undefined);
      assert.ok(await b.join("Gus"), "its guest's name is free");
    },
    { nodes: true },
  );

  test(
    "a node that dies drops out of every count within its TTL, and the others hear of it",
    async (open, fixture) => {
      // Nodes of one cluster share a TTL and each heartbeats three times per
      // TTL, so every node sees every other alive before it can expire. Here
      // the observer beats faster than the doomed node's TTL for the same.
      const TTL_MS = 3000;
      const observer = await open({ ttlMs: TTL_MS / 2 });
      let changes = 0;
      observer.presence.onChange(() => changes++);
      const doomed = await open({ ttlMs: TTL_MS });
      await doomed.join("Gus", { room: "dev" });
      await doomed.join("Ann", { guest: false });
      await eventually(async () =>
        assert.deepEqual(await counts(observer), { dev: 1, general: 1 })
      );
      // The observer's heartbeat has noticed the new node.
      await eventually(() => assert.ok(changes > 0));
      const before = changes;
      fixture.crash!(doomed.presence);
      // No clock race: wait as long as it takes, well past the TTL.
      await eventually(async () => {
        assert.deepEqual(await counts(observer), {});
        assert.equal(await observer.presence.isGuestOnline("gus"), false);
        assert.equal(await observer.presence.onlineName("ann"), undefined);
      }, { timeoutMs: TTL_MS + 60_000 });
      assert.ok(await observer.join("Gus"), "its guest's name is free");
      // And its heartbeat notices the node is gone.
      await eventually(() => assert.ok(changes > before), {
        timeoutMs: 60_000,
      });
    },
    { nodes: true, crash: true },
  );
}
