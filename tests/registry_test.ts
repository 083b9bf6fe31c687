/** RoomRegistry: who is where on one node, names in use, and the notices moves call for. */
import assert from "node:assert/strict";
import { type Member, roomEpoch, RoomRegistry } from "../server/registry.ts";

let nextId = 1;

/** A member as a connection would make it; its outbox is never used here. */
function member(username: string, options: { guest: boolean }): Member {
  return {
    id: nextId++,
    outbox: { push() {} },
    username,
    userKey: username.toLowerCase(),
    address: "127.0.0.1",
    roomKey: "",
    role: "user",
    guest: options.guest,
    since: Date.now(),
    identity: `g:${username}`,
    disconnect() {},
  };
}

/** A guest's connection. */
function guest(username: string): Member {
  return member(username, { guest: true });
}

/** A connection of an account. */
function account(username: string): Member {
  return member(username, { guest: false });
}

/** A registry with `general` and `dev`. */
/** Every room with its distinct user count, as the node builds room lists. */
function summaries(r: RoomRegistry): { name: string; users: number }[] {
  const counts = r.localCounts();
  return r.rooms().map(({ key, name }) => ({
    name,
    users: counts.get(key) ?? 0,
  }));
}

function online(r: RoomRegistry, userKey: string): boolean {
  return [...r.connectionsOf(userKey)].length > 0;
}

function registry(): RoomRegistry {
  const r = new RoomRegistry();
  r.addRoom("general", "general");
  r.addRoom("dev", "Dev");
  return r;
}

Deno.test("registry: a room key can be added once, and keeps its display name", () => {
  const r = new RoomRegistry();
  assert.equal(r.addRoom("devops", "DevOps"), true);
  assert.equal(r.addRoom("devops", "devops"), false);
  assert.equal(r.roomName("devops"), "DevOps");
  assert.equal(r.roomName("nope"), undefined);
  assert.equal(r.roomCount, 1);
});

Deno.test("registry: a guest name is exclusive", () => {
  const r = registry();
  const alice = guest("alice");
  assert.equal(r.claim(alice), true);
  assert.equal(r.claim(guest("Alice")), false);
  assert.equal(r.claim(account("ALICE")), false);
  assert.equal(online(r, "alice"), true);
  assert.equal(r.userCount, 1);
  assert.equal(r.memberCount, 1);
});

Deno.test("registry: a guest cannot take the name of an account that is online", () => {
  const r = registry();
  assert.equal(r.claim(account("alice")), true);
  assert.equal(r.claim(guest("alice")), false);
});

Deno.test("registry: an account online from two connections counts once", () => {
  const r = registry();
  const first = account("alice");
  const second = account("alice");
  assert.equal(r.claim(first), true);
  assert.equal(r.claim(second), true);
  assert.equal(r.userCount, 1);
  assert.equal(r.memberCount, 2);
  assert.deepEqual([...r.connectionsOf("alice")], [first, second]);

  // Joins and leaves of an account are its memberships, not its
  // connections: the registry reports them for guests only.
  r.enter(first, "general");
  r.enter(second, "general");
  assert.deepEqual(summaries(r), [
    { name: "general", users: 1 },
    { name: "Dev", users: 0 },
  ]);
  assert.deepEqual(r.usersIn("general"), ["alice"]);
  assert.equal([...r.membersOf("general")].length, 2);

  const gone = r.release(first);
  assert.deepEqual(gone, {
    roomKey: "general",
    leftRoom: false,
    offline: false,
  });
  assert.deepEqual(r.usersIn("general"), ["alice"]);
  assert.equal(online(r, "alice"), true);

  assert.deepEqual(r.release(second), {
    roomKey: "general",
    leftRoom: false,
    offline: true,
  });
  assert.deepEqual(r.usersIn("general"), []);
  assert.equal(online(r, "alice"), false);
  assert.equal(r.userCount, 0);
  assert.equal(r.memberCount, 0);
});

Deno.test("registry: a first entry is a join without a room left", () => {
  const r = registry();
  const alice = guest("alice");
  r.claim(alice);
  const change = r.enter(alice, "general");
  assert.deepEqual(change, { moved: true, leftFrom: false, joinedTo: true });
  assert.equal(change.from, undefined);
  assert.equal(alice.roomKey, "general");
});

Deno.test("registry: a move leaves one room and joins the other", () => {
  const r = registry();
  const alice = guest("alice");
  r.claim(alice);
  r.enter(alice, "general");
  assert.deepEqual(r.enter(alice, "dev"), {
    moved: true,
    from: "general",
    leftFrom: true,
    joinedTo: true,
  });
  assert.equal(alice.roomKey, "dev");
  assert.deepEqual(r.usersIn("general"), []);
  assert.deepEqual(r.usersIn("dev"), ["alice"]);
  assert.deepEqual([...r.membersOf("dev")], [alice]);
  assert.deepEqual([...r.membersOf("general")], []);
});

Deno.test("registry: entering the room one is in changes nothing", () => {
  const r = registry();
  const alice = guest("alice");
  r.claim(alice);
  r.enter(alice, "dev");
  const change = r.enter(alice, "dev");
  assert.equal(change.moved, false);
  assert.equal(change.leftFrom, false);
  assert.equal(change.joinedTo, false);
  assert.deepEqual(summaries(r), [
    { name: "general", users: 0 },
    { name: "Dev", users: 1 },
  ]);
});

Deno.test("registry: an account's connections get the events of all its rooms, whichever they look at", () => {
  const r = registry();
  const first = account("alice");
  const second = account("alice");
  r.claim(first);
  r.claim(second);
  r.enter(first, "general");
  r.enter(second, "dev");
  assert.deepEqual(new Set(r.membersOf("dev")), new Set([first, second]));
  assert.deepEqual(new Set(r.membersOf("general")), new Set([first, second]));
  // Switching the view is no join or leave, and counts stay.
  assert.deepEqual(r.enter(second, "general"), {
    moved: true,
    from: "dev",
    leftFrom: false,
    joinedTo: false,
  });
  assert.deepEqual(summaries(r), [
    { name: "general", users: 1 },
    { name: "Dev", users: 1 },
  ]);
  // A third connection gets every room at once.
  const third = account("alice");
  r.claim(third);
  assert.equal(new Set(r.membersOf("dev")).has(third), true);
  // Leaving a room: its viewers are returned to be moved.
  r.enter(first, "dev");
  assert.deepEqual(r.leaveRoom("alice", "dev"), [first]);
  assert.deepEqual([...r.membersOf("dev")], []);
  assert.equal(r.isMemberOf("alice", "dev"), false);
  assert.equal(r.leaveRoom("alice", "dev"), undefined);
});

Deno.test("registry: joinRooms skips unknown rooms and guests; hasPrivateRooms sees private ones", () => {
  const r = registry();
  r.addRoom("secret", "Secret", { private: true, owner: "alice" });
  const alice = account("alice");
  const bob = guest("bob");
  r.claim(alice);
  r.claim(bob);
  assert.deepEqual(r.joinRooms("alice", ["general", "nope", "general"]), [
    "general",
  ]);
  assert.deepEqual(r.joinRooms("bob", ["general"]), []);
  assert.equal(r.hasPrivateRooms("alice"), false);
  r.joinRooms("alice", ["secret"]);
  assert.equal(r.hasPrivateRooms("alice"), true);
  assert.deepEqual(r.roomInfo("secret"), {
    key: "secret",
    name: "Secret",
    private: true,
    owner: "alice",
    epoch: "0",
  });
});

Deno.test("registry: a room's epoch comes from its creation time, so a room made again has another", () => {
  const r = new RoomRegistry();
  r.addRoom("dev", "dev", { createdAt: 1_700_000_000_000 });
  assert.equal(r.epochOf("dev"), roomEpoch(1_700_000_000_000));
  r.removeRoom("dev");
  r.addRoom("dev", "dev", { createdAt: 1_700_000_000_001 });
  assert.notEqual(r.epochOf("dev"), roomEpoch(1_700_000_000_000));
  assert.equal(r.epochOf("nope"), undefined);
});

Deno.test("registry: entering a room that does not exist throws", () => {
  const r = registry();
  const alice = guest("alice");
  r.claim(alice);
  assert.throws(() => r.enter(alice, "nope"));
  assert.equal(alice.roomKey, "");
});

Deno.test("registry: release frees the name and reports the room left", () => {
  const r = registry();
  const alice = guest("alice");
  const bob = guest("bob");
  r.claim(alice);
  r.claim(bob);
  r.enter(alice, "dev");
  r.enter(bob, "dev");
  assert.deepEqual(r.release(alice), {
    roomKey: "dev",
    leftRoom: true,
    offline: true,
  });
  assert.equal(r.release(alice), undefined);
  assert.equal(alice.roomKey, "");
  assert.deepEqual(r.usersIn("dev"), ["bob"]);
  assert.deepEqual([...r.everyone()], [bob]);
  assert.equal(r.claim(guest("Alice")), true);
});

Deno.test("registry: a member released before its first room leaves no trace", () => {
  const r = registry();
  const alice = guest("alice");
  r.claim(alice);
  const gone = r.release(alice);
  assert.deepEqual(gone, { roomKey: "", leftRoom: false, offline: true });
  assert.equal(online(r, "alice"), false);
});

Deno.test("registry: a member released during a request cannot re-enter", () => {
  const r = registry();
  const alice = guest("alice");
  r.claim(alice);
  r.enter(alice, "general");
  // The socket closes while a join_room awaits the store...
  r.release(alice);
  // ...and the join then tries to move it.
  const change = r.enter(alice, "dev");
  assert.equal(change.moved, false);
  assert.equal(change.joinedTo, false);
  assert.equal(alice.roomKey, "");
  assert.deepEqual([...r.membersOf("dev")], []);
  assert.deepEqual(r.usersIn("dev"), []);
  assert.deepEqual(summaries(r), [
    { name: "general", users: 0 },
    { name: "Dev", users: 0 },
  ]);
  assert.equal(online(r, "alice"), false);
});

Deno.test("registry: a member that never claimed a name cannot enter", () => {
  const r = registry();
  const ghost = guest("ghost");
  assert.equal(r.enter(ghost, "general").moved, false);
  assert.deepEqual(r.usersIn("general"), []);
});

Deno.test("registry: an empty room can be removed, one with members cannot", () => {
  const r = registry();
  const alice = guest("alice");
  r.claim(alice);
  r.enter(alice, "dev");
  assert.equal(r.removeRoom("dev"), false);
  r.enter(alice, "general");
  assert.equal(r.removeRoom("dev"), true);
  assert.equal(r.removeRoom("dev"), false);
  assert.equal(r.roomName("dev"), undefined);
  assert.deepEqual(summaries(r), [{ name: "general", users: 1 }]);
});

Deno.test("registry: summaries list every room in creation order with distinct users", () => {
  const r = new RoomRegistry();
  for (
    const [key, name] of [["general", "general"], ["zeta", "Zeta"], [
      "alpha",
      "alpha",
    ]]
  ) {
    r.addRoom(key, name);
  }
  const members = ["a", "b", "c"].map(guest);
  for (const m of members) r.claim(m);
  r.enter(members[0], "zeta");
  r.enter(members[1], "zeta");
  r.enter(members[2], "general");
  assert.deepEqual(summaries(r), [
    { name: "general", users: 1 },
    { name: "Zeta", users: 2 },
    { name: "alpha", users: 0 },
  ]);
});

Deno.test("registry: usersIn sorts names without regard to case", () => {
  const r = registry();
  for (const name of ["carol", "Bob", "alice", "Émile", "dave"]) {
    const m = guest(name);
    r.claim(m);
    r.enter(m, "general");
  }
  assert.deepEqual(r.usersIn("general"), [
    "alice",
    "Bob",
    "carol",
    "dave",
    "Émile",
  ]);
  assert.equal(r.usersIn("nope"), undefined);
});

Deno.test("registry: membersOf, connectionsOf and everyone find the right connections", () => {
  const r = registry();
  const a1 = account("alice");
  const a2 = account("alice");
  const bob = guest("bob");
  r.claim(a1);
  r.claim(a2);
  r.claim(bob);
  r.enter(a1, "general");
  r.enter(a2, "dev");
  r.enter(bob, "dev");
  // alice's connections get both rooms' events; bob only dev's.
  assert.deepEqual(new Set(r.membersOf("dev")), new Set([a1, a2, bob]));
  assert.deepEqual(new Set(r.membersOf("general")), new Set([a1, a2]));
  assert.deepEqual(new Set(r.connectionsOf("alice")), new Set([a1, a2]));
  assert.deepEqual([...r.connectionsOf("nobody")], []);
  assert.deepEqual([...r.membersOf("nope")], []);
  assert.deepEqual(new Set(r.everyone()), new Set([a1, a2, bob]));
});

Deno.test("registry: a room's members read after a join, a move, a leave or a release are the current ones; a list read before stays as it was", () => {
  const r = registry();
  const ann = account("Ann");
  const gus = guest("Gus");
  const ida = guest("Ida");
  for (const member of [ann, gus, ida]) r.claim(member);
  r.enter(gus, "dev");
  const before = r.membersOf("dev");
  assert.deepEqual([...before], [gus]);
  // Read once per delivery: each change must show in the next read.
  r.enter(ida, "dev");
  assert.deepEqual(new Set(r.membersOf("dev")), new Set([gus, ida]));
  r.enter(ann, "general");
  r.joinRooms("ann", ["dev"]);
  assert.deepEqual(new Set(r.membersOf("dev")), new Set([gus, ida, ann]));
  r.enter(ida, "general");
  assert.deepEqual(new Set(r.membersOf("dev")), new Set([gus, ann]));
  r.leaveRoom("ann", "dev");
  assert.deepEqual([...r.membersOf("dev")], [gus]);
  r.release(gus);
  assert.deepEqual([...r.membersOf("dev")], []);
  // A delivery walking the earlier list (one that closes a socket) goes on
  // over what it read.
  assert.deepEqual([...before], [gus]);
});

Deno.test("registry: a renamed room keeps its place, members and viewers under the new key; the old name is free", () => {
  const r = registry();
  r.addRoom("ops", "ops");
  const ann = account("Ann");
  const gus = guest("Gus");
  r.claim(ann);
  r.claim(gus);
  r.enter(ann, "dev");
  r.enter(gus, "dev");
  assert.equal(r.renameRoom("dev", "ops", "Ops"), false);
  assert.equal(r.renameRoom("nope", "x", "x"), false);
  assert.equal(r.renameRoom("dev", "team", "Team"), true);
  assert.deepEqual(summaries(r), [
    { name: "general", users: 0 },
    { name: "Team", users: 2 },
    { name: "ops", users: 0 },
  ]);
  assert.equal(ann.roomKey, "team");
  assert.equal(gus.roomKey, "team");
  assert.equal(r.isMemberOf("ann", "team"), true);
  assert.equal(r.isMemberOf("ann", "dev"), false);
  assert.deepEqual([...r.membersOf("team")], [ann, gus]);
  assert.equal(r.roomName("dev"), undefined);
  assert.equal(r.roomLookingLike("dev"), undefined);
  assert.equal(r.roomLookingLike("team"), "Team");
  assert.equal(r.addRoom("dev", "dev"), true);
});
