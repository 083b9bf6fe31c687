/**
 * The store contract for administration: bans that end, the audit log,
 * listing accounts and bans, deleting accounts, password resets, and
 * rooms made private or public with an owner.
 */
import assert from "node:assert/strict";
import { ANONYMOUS_NAME, RoomArchivedError } from "../../server/store/mod.ts";
import { account, append, BAN, draft, type StoreTest } from "./support.ts";

/** Registers the administration scenarios. */
export function administration(test: StoreTest): void {
  test("bans with an expiry stop applying after it; listBans shows those in force", async (store) => {
    const now = Date.now();
    const base = { reason: "spam", by: "mod", createdAt: now };
    await store.addBan({ ...base, userKey: "brief", expiresAt: now + 60_000 });
    await store.addBan({ ...base, userKey: "gone", expiresAt: now - 1 });
    await store.addBan({ ...base, userKey: "ever", roomKey: "general" });
    assert.equal(
      (await store.findBan({ userKey: "brief" }))?.expiresAt,
      now + 60_000,
    );
    assert.equal(await store.findBan({ userKey: "gone" }), undefined);
    assert.deepEqual(
      (await store.listBans(now, 10)).map((b) => b.userKey).sort(),
      ["brief", "ever"],
    );
    assert.deepEqual(
      (await store.listBans(now + 60_000, 10)).map((b) => b.userKey),
      ["ever"],
    );
    assert.equal((await store.listBans(now, 1)).length, 1);
  });

  test(
    "the audit log pages newest first and outlives what it describes",
    async (store, reopen) => {
      await store.createRoom("dev", "dev");
      const first = await store.addAuditEntry({
        at: 1000,
        by: "root",
        action: "ban",
        target: "mallory",
        room: "dev",
        reason: "spam",
        address: "10.0.0.1",
        details: { duration_s: 60, server: false },
      });
      const second = await store.addAuditEntry({
        at: 2000,
        by: "root",
        action: "delete_room",
        room: "dev",
        address: "10.0.0.1",
      });
      assert.ok(second.id > first.id);
      await store.deleteRoom("dev");
      store = await reopen();
      const entries = await store.auditLog({ limit: 10 });
      assert.deepEqual(entries, [second, first]);
      assert.deepEqual(first, {
        id: first.id,
        at: 1000,
        by: "root",
        action: "ban",
        target: "mallory",
        room: "dev",
        reason: "spam",
        address: "10.0.0.1",
        details: { duration_s: 60, server: false },
      });
      assert.deepEqual(await store.auditLog({ before: second.id, limit: 10 }), [
        first,
      ]);
      assert.deepEqual(await store.auditLog({ limit: 1 }), [second]);
    },
  );

  test("listAccounts finds accounts by part of their name, in name order", async (store) => {
    for (const username of ["Carol", "alice", "Alicia", "bob"]) {
      await store.createAccount({
        key: username.toLowerCase(),
        username,
        passwordHash: "h",
        role: "user",
      });
    }
    const names = async (query?: string, limit = 10) =>
      (await store.listAccounts({ query, limit })).map((a) => a.username);
    assert.deepEqual(await names(), ["alice", "Alicia", "bob", "Carol"]);
    assert.deepEqual(await names("ALI"), ["alice", "Alicia"]);
    assert.deepEqual(await names("o", 1), ["bob"]);
    assert.deepEqual(await names("zed"), []);
  });

  test("listAccounts with staff lists only moderators and admins, in name order", async (store) => {
    const roles = { root: "admin", mo: "moderator", bea: "user", al: "admin" };
    for (const [key, role] of Object.entries(roles)) {
      await store.createAccount({
        key,
        username: key,
        passwordHash: "h",
        role: role as "admin" | "moderator" | "user",
      });
    }
    await store.setRole("bea", "moderator");
    await store.setRole("al", "user");
    const staff = async (query?: string) =>
      (await store.listAccounts({ query, staff: true, limit: 10 }))
        .map((a) => [a.username, a.role]);
    assert.deepEqual(await staff(), [
      ["bea", "moderator"],
      ["mo", "moderator"],
      ["root", "admin"],
    ]);
    assert.deepEqual(await staff("o"), [["mo", "moderator"], [
      "root",
      "admin",
    ]]);
    assert.equal(
      (await store.listAccounts({ staff: false, limit: 10 })).length,
      4,
    );
  });

  test("findPeople finds by the start of the key those who share a room with the viewer or are in a public room", async (store) => {
    await store.createRoom("lobby", "lobby");
    await store.createRoom("team", "team", { private: true, owner: "alice" });
    await store.createRoom("secret", "secret", {
      private: true,
      owner: "andy",
    });
    const rooms: Record<string, string[]> = {
      alice: ["team"],
      ann: ["team"], // shares a private room with alice
      "anö": ["lobby"], // a public room's member; ö sorts after z
      anz: ["lobby", "secret"],
      andy: ["secret"], // only in a private room alice is not in
      ada: ["secret"],
      amy: [], // in no room
      bob: ["lobby"],
      "an": ["lobby"], // the whole prefix is a name too
    };
    // Every account belongs to general from its creation, so each finds
    // every other one there: the rule is shown without those rows.
    for (const [key, keys] of Object.entries(rooms)) {
      await store.createAccount(account(key));
      await store.removeMember(key, "general");
      for (const room of keys) await store.addMember(key, room);
    }
    const found = async (prefix: string, viewerKey = "alice", limit = 20) =>
      (await store.findPeople({ prefix, viewerKey, limit })).map((a) => a.key);
    assert.deepEqual(await found("an"), ["an", "ann", "anz", "anö"]);
    assert.deepEqual(await found("a"), ["an", "ann", "anz", "anö"]);
    assert.deepEqual(await found("an", "alice", 2), ["an", "ann"]);
    assert.deepEqual(await found("anö"), ["anö"]);
    // andy finds his private room's members, not alice's.
    assert.deepEqual(await found("a", "andy"), ["ada", "an", "anz", "anö"]);
    assert.deepEqual(await found("al", "ann"), ["alice"]);
    assert.deepEqual(await found("al"), [], "the viewer is left out");
    assert.deepEqual(await found("zed"), []);
    const [anz] = await store.findPeople({
      prefix: "anz",
      viewerKey: "alice",
      limit: 1,
    });
    assert.equal(anz.username, "ANZ");
    // Back in general, as every account is: amy, in no other room, is found.
    await store.addMember("amy", "general");
    await store.addMember("alice", "general");
    assert.deepEqual(await found("am"), ["amy"]);
  });

  test("findPeople looks among the keys given, in name order, and leaves out accounts banned from the server while the ban lasts", async (store) => {
    for (const key of ["alice", "ann", "anna", "anne", "andy", "anz"]) {
      await store.createAccount(account(key));
    }
    await store.addBan({ userKey: "anne", ...BAN }); // the whole server
    await store.createRoom("dev", "dev");
    await store.addBan({ userKey: "andy", roomKey: "dev", ...BAN });
    await store.addBan({ userKey: "anz", expiresAt: 2_000, ...BAN });
    const found = async (query: { among?: string[]; now?: number }) =>
      (await store.findPeople({
        prefix: "an",
        viewerKey: "alice",
        limit: 20,
        ...query,
      })).map((a) => a.key);
    // A room ban keeps andy in the directory; anz's ban is over at 2,000.
    assert.deepEqual(await found({}), ["andy", "ann", "anna", "anz"]);
    assert.deepEqual(await found({ now: 1_000 }), ["andy", "ann", "anna"]);
    assert.deepEqual(
      await found({ among: ["anz", "anne", "anna", "alice", "bob", "a"] }),
      ["anna", "anz"],
      "among the keys: the prefix, the viewer and bans still apply",
    );
    assert.deepEqual(await found({ among: [] }), []);
    await store.removeBans("anne");
    assert.deepEqual(await found({ among: ["anne"] }), ["anne"]);
  });

  test("deleteAccount keeps or anonymises the messages and forgets the rest", async (store) => {
    for (const key of ["ann", "ben"]) {
      await store.createAccount({
        key,
        username: key,
        passwordHash: "h",
        role: "user",
      });
      await store.addMember(key, "general");
      await store.createSession(`t-${key}`, {
        userKey: key,
        expiresAt: Date.now() + 60_000,
      });
      await store.appendMessage(
        draft("general", `hi from ${key}`, {
          userKey: key,
          user: key,
          clientId: "c1",
        }),
      );
    }
    assert.ok(await store.deleteAccount("ann", "keep"));
    assert.ok(await store.deleteAccount("ben", "anonymise"));
    assert.equal(await store.deleteAccount("ben", "keep"), false);
    assert.equal(await store.findAccount("ann"), undefined);
    assert.equal(await store.findSession("t-ann"), undefined);
    assert.equal(await store.isMember("ben", "general"), false);
    const users = (await store.history("general", {})).map((m) => m.user);
    assert.deepEqual(users, ["ann", ANONYMOUS_NAME]);
    // The name is free: a new ben's client_id is a new message.
    const again = await store.appendMessage(
      draft("general", "new ben", {
        userKey: "ben",
        user: "ben",
        clientId: "c1",
      }),
    );
    assert.equal(again.duplicate, false);
  });

  test("deleteAccount anonymises the reactions too, and they still count", async (store) => {
    const hi = await store.appendMessage(draft("general", "hi"));
    for (const key of ["ann", "ben", "cy"]) {
      await store.createAccount(account(key));
      await store.react({
        id: hi.message.id,
        userKey: key,
        user: key,
        emoji: "👍",
        on: true,
      });
    }
    assert.ok(await store.deleteAccount("ann", "anonymise"));
    assert.ok(await store.deleteAccount("ben", "anonymise"));
    assert.ok(await store.deleteAccount("cy", "keep"));
    const [message] = await store.history("general", {});
    assert.deepEqual(message.reactions, [{
      emoji: "👍",
      count: 3,
      users: [ANONYMOUS_NAME, ANONYMOUS_NAME, "cy"],
    }]);
    // A new ann is not the one who reacted: her 👍 is a fourth.
    await store.createAccount(account("ann"));
    const again = await store.react({
      id: hi.message.id,
      userKey: "ann",
      user: "ann",
      emoji: "👍",
      on: false,
    });
    assert.equal(again.status === "done" && again.changed, false);
  });

  test("react of an account deleted since (its accountCreatedAt) is gone, nothing listed; a guest's (none) and a name registered again react", async (store) => {
    const hi = await store.appendMessage(draft("general", "hi"));
    const old = await store.createAccount(account("ann"));
    assert.ok(old);
    const react = (emoji: string, accountCreatedAt?: number) =>
      store.react({
        id: hi.message.id,
        userKey: "ann",
        user: "ann",
        emoji,
        on: true,
        accountCreatedAt,
      });
    assert.equal((await react("👍", old.createdAt)).status, "done");
    assert.ok(await store.deleteAccount("ann", "anonymise"));
    assert.deepEqual(await react("🎉", old.createdAt), { status: "gone" });
    const [message] = await store.history("general", {});
    assert.deepEqual(message.reactions, [{
      emoji: "👍",
      count: 1,
      users: [ANONYMOUS_NAME],
    }]);
    await new Promise((resolve) => setTimeout(resolve, 2));
    const again = await store.createAccount(account("ann"));
    assert.ok(again && again.createdAt !== old.createdAt);
    assert.equal((await react("🎉", again.createdAt)).status, "done");
    assert.equal((await react("👀")).status, "done");
  });

  test("a password reset works once, before it expires", async (store) => {
    await store.createAccount({
      key: "ann",
      username: "ann",
      passwordHash: "old",
      role: "user",
    });
    const now = Date.now();
    await store.createSession("s1", {
      userKey: "ann",
      expiresAt: now + 60_000,
    });
    await store.createPasswordReset("r1", {
      userKey: "ann",
      expiresAt: now + 60_000,
    });
    await store.createPasswordReset("r2", {
      userKey: "ann",
      expiresAt: now + 10,
    });
    assert.equal(await store.takePasswordReset("r2", now + 10), undefined);
    assert.equal(await store.takePasswordReset("r1", now), "ann");
    assert.equal(await store.takePasswordReset("r1", now), undefined);
    assert.equal(await store.takePasswordReset("nothing", now), undefined);
    // Taking a reset is all it does: the session ends only when asked.
    assert.equal((await store.findSession("s1"))?.userKey, "ann");
  });

  test("a new password ends the account's other reset links, and only its own", async (store) => {
    for (const key of ["ann", "ben"]) await store.createAccount(account(key));
    const now = Date.now();
    for (
      const [hash, userKey] of [["a1", "ann"], ["a2", "ann"], ["b1", "ben"]]
    ) {
      await store.createPasswordReset(hash, {
        userKey,
        expiresAt: now + 60_000,
      });
    }
    assert.equal(await store.takePasswordReset("a1", now), "ann");
    assert.equal(await store.setPasswordHash("ann", "new"), true);
    assert.equal((await store.findAccount("ann"))?.passwordHash, "new");
    assert.equal(await store.takePasswordReset("a2", now), undefined);
    assert.equal(await store.takePasswordReset("b1", now), "ben");
  });

  test("updateRoom makes a room private or public and changes its owner", async (store) => {
    await store.createRoom("Dev", "dev");
    assert.deepEqual(
      await store.updateRoom("dev", { private: true, owner: "ann" }),
      { ...(await store.listRooms()).at(-1)!, private: true, owner: "ann" },
    );
    const room = await store.updateRoom("dev", { owner: null });
    assert.equal(room?.private, true);
    assert.equal(room?.owner, undefined);
    assert.equal(
      (await store.updateRoom("dev", { private: false }))?.private,
      false,
    );
    assert.equal(
      await store.updateRoom("nothing", { private: true }),
      undefined,
    );
  });

  test("setRoomTopic sets and clears a room's topic, which listRooms gives; an unknown room is undefined", async (store) => {
    await store.createRoom("Dev", "dev");
    const set = await store.setRoomTopic("dev", "Release on Friday");
    assert.equal(set?.topic, "Release on Friday");
    assert.deepEqual((await store.listRooms()).at(-1), set);
    assert.equal(
      (await store.listRooms()).find((r) => r.key === "general")?.topic,
      undefined,
    );
    const cleared = await store.setRoomTopic("dev", null);
    assert.equal(cleared !== undefined && "topic" in cleared, false);
    assert.equal(await store.setRoomTopic("nothing", "x"), undefined);
    // A room deleted and made again starts without one.
    await store.setRoomTopic("dev", "old");
    await store.deleteRoom("dev");
    assert.equal((await store.createRoom("Dev", "dev"))?.topic, undefined);
  });

  test("setRoomArchived archives a room and brings it back, which listRooms gives; an unknown room, or one already so, is undefined; a room made again is not archived", async (store) => {
    await store.createRoom("Dev", "dev");
    assert.equal(await store.setRoomArchived("dev", false), undefined);
    const archived = await store.setRoomArchived("dev", true);
    assert.equal(archived?.archived, true);
    assert.deepEqual((await store.listRooms()).at(-1), archived);
    assert.equal(await store.setRoomArchived("dev", true), undefined);
    assert.deepEqual((await store.listRooms()).at(-1), archived);
    assert.equal(
      (await store.listRooms()).find((r) => r.key === "general")?.archived,
      undefined,
    );
    const back = await store.setRoomArchived("dev", false);
    assert.equal(back !== undefined && "archived" in back, false);
    assert.equal(await store.setRoomArchived("nothing", true), undefined);
    await store.setRoomArchived("dev", true);
    await store.deleteRoom("dev");
    assert.equal((await store.createRoom("Dev", "dev"))?.archived, undefined);
  });

  test("setRoomPosting limits a room's posting to moderators and opens it again, which listRooms gives; an unknown room, or one already so, is undefined; a rename carries it; a room made again is open", async (store) => {
    await store.createRoom("Dev", "dev");
    assert.equal(await store.setRoomPosting("dev", "everyone"), undefined);
    const limited = await store.setRoomPosting("dev", "moderators");
    assert.equal(limited?.posting, "moderators");
    assert.deepEqual((await store.listRooms()).at(-1), limited);
    assert.equal(await store.setRoomPosting("dev", "moderators"), undefined);
    assert.equal(
      (await store.listRooms()).find((r) => r.key === "general")?.posting,
      undefined,
    );
    const renamed = await store.renameRoom("dev", "news", "News");
    assert.equal(
      renamed !== undefined && renamed !== "taken" && renamed.posting,
      "moderators",
    );
    const open = await store.setRoomPosting("news", "everyone");
    assert.equal(open !== undefined && "posting" in open, false);
    assert.equal(
      await store.setRoomPosting("nothing", "moderators"),
      undefined,
    );
    await store.setRoomPosting("news", "moderators");
    await store.deleteRoom("news");
    assert.equal((await store.createRoom("News", "news"))?.posting, undefined);
  });

  // The node that took a send may not have heard of another node's archive
  // yet: the store is the last word, as it is for bans.
  test("appendMessage to an archived room fails with RoomArchivedError naming it and stores nothing; a retry of a message stored before gets its first copy; brought back, the room takes messages again", async (store) => {
    await store.createRoom("Dev", "dev");
    const kept = await store.appendMessage(
      draft("dev", "before", { clientId: "c1" }),
    );
    await store.setRoomArchived("dev", true);
    await assert.rejects(
      store.appendMessage(draft("dev", "after")),
      (error) => error instanceof RoomArchivedError && error.roomKey === "dev",
    );
    await assert.rejects(
      store.appendMessage(draft("dev", "new", { clientId: "c2" })),
      RoomArchivedError,
    );
    const retry = await store.appendMessage(
      draft("dev", "before", { clientId: "c1" }),
    );
    assert.deepEqual(retry, { message: kept.message, duplicate: true });
    // Other rooms, and the seqs the refusals did not take.
    await store.appendMessage(draft("general", "elsewhere"));
    assert.deepEqual(
      (await store.history("dev", {})).map((m) => [m.seq, m.text]),
      [[1, "before"]],
    );
    await store.setRoomArchived("dev", false);
    const { message } = await store.appendMessage(draft("dev", "back"));
    assert.equal(message.seq, 2);
  });

  // As a send: a node whose flag has not heard of the archive yet lets
  // these through its handler, and the store refuses them.
  test("an archived room's messages take no edit, author's delete, reaction nor pin, and the room no topic: RoomArchivedError naming it, nothing changed; a moderator's delete goes on; brought back, all are taken again", async (store) => {
    await store.createRoom("Dev", "dev");
    const [one, two] = await append(store, "dev", ["one", "two"]);
    await store.setRoomTopic("dev", "ship it");
    await store.setRoomArchived("dev", true);
    const refused = (error: unknown) =>
      error instanceof RoomArchivedError && error.roomKey === "dev";
    const reaction = {
      id: one.id,
      userKey: "ann",
      user: "ann",
      emoji: "👍",
      on: true,
    };
    await assert.rejects(
      store.updateMessage(one.id, { text: "changed" }),
      refused,
    );
    await assert.rejects(
      store.updateMessage(one.id, { deleted: true, refuseArchived: true }),
      refused,
    );
    await assert.rejects(store.react(reaction), refused);
    await assert.rejects(store.pin(one.id, true), refused);
    await assert.rejects(
      store.setRoomTopic("dev", "other", {
        at: Date.now(),
        by: "root",
        action: "set_topic",
        room: "Dev",
        address: "127.0.0.1",
      }),
      refused,
    );
    assert.deepEqual(await store.history("dev", {}), [one, two]);
    const room = async () =>
      (await store.listRooms()).find((r) => r.key === "dev");
    assert.equal((await room())?.topic, "ship it");
    assert.deepEqual(await store.auditLog({ limit: 10 }), []);
    const gone = await store.updateMessage(two.id, { deleted: true });
    assert.equal(gone?.deleted, true);

    await store.setRoomArchived("dev", false);
    const edited = await store.updateMessage(one.id, { text: "changed" });
    assert.equal(edited?.text, "changed");
    assert.equal((await store.react(reaction)).status, "done");
    assert.equal((await store.pin(one.id, true)).status, "done");
    assert.equal((await store.setRoomTopic("dev", "other"))?.topic, "other");
    const removed = await store.updateMessage(one.id, {
      deleted: true,
      refuseArchived: true,
    });
    assert.equal(removed?.deleted, true);
  });

  // As a send: a node whose flag has not heard of the archive yet lets
  // them through its handler, and the store refuses them.
  test("an archived room takes no invitation nor invite link: RoomArchivedError naming it, nothing written; a join goes on; brought back, both are taken again", async (store) => {
    await store.createRoom("Dev", "dev");
    await store.setRoomArchived("dev", true);
    const link = { code: "c1", roomKey: "dev", createdBy: "ann", createdAt: 1 };
    await assert.rejects(
      store.addMember("bob", "dev", 0, "ann"),
      (error) => error instanceof RoomArchivedError && error.roomKey === "dev",
    );
    await assert.rejects(
      store.createInvite(link),
      (error) => error instanceof RoomArchivedError && error.roomKey === "dev",
    );
    assert.equal(await store.isMember("bob", "dev"), false);
    assert.equal(await store.findInvite("c1"), undefined);
    assert.equal(await store.addMember("carol", "dev"), true, "a join");
    await store.setRoomArchived("dev", false);
    assert.equal(await store.addMember("bob", "dev", 0, "ann"), true);
    await store.createInvite(link);
    assert.equal((await store.findInvite("c1"))?.roomKey, "dev");
  });

  test("renameRoom moves a room, its messages, members, read state, invites and bans to the new key in one go; the old key is free", async (store) => {
    await store.createAccount(account("bob"), {});
    await store.createRoom("Dev", "dev", { private: true, owner: "bob" });
    await store.updateRoom("dev", { retentionDays: 30 });
    await store.setRoomTopic("dev", "ship it");
    await store.addMember("bob", "dev");
    const before = await append(store, "dev", ["one", "two @bob"]);
    await store.markRead("bob", "dev", 1);
    // Made before the archive, which refuses new ones.
    await store.createInvite({
      code: "inv",
      roomKey: "dev",
      createdBy: "BOB",
      createdAt: Date.now(),
    });
    await store.setRoomArchived("dev", true);
    await store.addBan({ ...BAN, userKey: "eve", roomKey: "dev" });
    const [old] = (await store.listRooms()).filter((r) => r.key === "dev");

    const renamed = await store.renameRoom("dev", "devops", "DevOps");
    assert.deepEqual(renamed, { ...old, key: "devops", name: "DevOps" });
    assert.deepEqual(
      (await store.listRooms()).map((r) => r.key),
      ["general", "devops"],
    );
    assert.deepEqual(
      await store.history("devops", {}),
      before.map((m) => ({ ...m, room: "DevOps" })),
    );
    assert.deepEqual(await store.history("dev", {}), []);
    assert.equal(await store.isMember("bob", "devops"), true);
    assert.equal(await store.isMember("bob", "dev"), false);
    assert.deepEqual(await store.readState("bob", "devops"), {
      lastReadSeq: 1,
      unread: 1,
      mentions: 1,
      lastSeq: 2,
    });
    assert.equal((await store.findInvite("inv"))?.roomKey, "devops");
    assert.equal(
      (await store.findBan({ userKey: "eve" }, "devops"))?.roomKey,
      "devops",
    );
    assert.equal(await store.findBan({ userKey: "eve" }, "dev"), undefined);
    // The archive went with it; brought back, its seqs go on. The old name
    // makes a new, empty room.
    await assert.rejects(
      store.appendMessage(draft("devops", "three")),
      RoomArchivedError,
    );
    await store.setRoomArchived("devops", false);
    const { message } = await store.appendMessage(draft("devops", "three"));
    assert.equal(message.seq, 3);
    assert.equal(message.room, "DevOps");
    assert.notEqual(await store.createRoom("dev", "dev"), null);
    assert.deepEqual(await store.history("dev", {}), []);
    // Only the display name: the key stays.
    const recased = await store.renameRoom("devops", "devops", "devOps");
    assert.equal(typeof recased === "object" && recased.name, "devOps");
    assert.equal((await store.history("devops", {}))[0].room, "devOps");
  });

  test("renameRoom to a taken key changes nothing; an unknown room is undefined", async (store) => {
    await store.createRoom("a", "a");
    await store.createRoom("b", "b");
    await append(store, "a", ["in a"]);
    assert.equal(await store.renameRoom("a", "b", "b"), "taken");
    assert.equal((await store.history("a", {}))[0].text, "in a");
    assert.deepEqual(await store.history("b", {}), []);
    assert.equal(await store.renameRoom("nothing", "c", "c"), undefined);
    assert.deepEqual(
      (await store.listRooms()).map((r) => r.key),
      ["general", "a", "b"],
    );
  });
}
