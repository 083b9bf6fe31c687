/**
 * The store contract for accounts, sessions and bans: createAccount (with
 * its row in general),
 * findAccount, findAccountLookingLike, setRole, setPasswordHash, createSession,
 * findSession, deleteSession, deleteSessionsOf, addBan,
 * removeBans and findBan.
 */
import assert from "node:assert/strict";
import { SenderBannedError } from "../../server/store/mod.ts";
import { account, after, BAN, dm, draft, type StoreTest } from "./support.ts";

/** The contract of createAccount, findAccount, setRole and setPasswordHash. */
export function accounts(test: StoreTest): void {
  test("createAccount returns the account with its createdAt, and findAccount finds it", async (store) => {
    const before = Date.now();
    const created = await store.createAccount(account("dave"));
    assert.ok(created);
    const { createdAt, ...rest } = created;
    assert.deepEqual(rest, {
      key: "dave",
      username: "DAVE",
      passwordHash: "hash-dave",
      role: "user",
      bot: false,
    });
    assert.ok(createdAt >= before - 1000 && createdAt <= Date.now() + 1000);
    assert.deepEqual(await store.findAccount("dave"), created);
  });

  test("createAccount makes the account a member of general, read to its end, and a taken key leaves the first one's position", async (store) => {
    await store.appendMessage(draft("general", "before dave"));
    assert.ok(await store.createAccount(account("dave")));
    assert.deepEqual(await store.memberRooms("dave"), ["general"]);
    const [state] = await store.readStates("dave", ["general"]);
    assert.equal(state.lastReadSeq, 1);
    assert.equal(state.unread, 0);
    await store.appendMessage(draft("general", "after"));
    assert.equal(await store.createAccount(account("dave")), null);
    const [still] = await store.readStates("dave", ["general"]);
    assert.equal(still.lastReadSeq, 1);
    assert.equal(still.unread, 1);
  });

  test("findAccount of an unknown key is undefined", async (store) => {
    await store.createAccount(account("dave"));
    assert.equal(await store.findAccount("nobody"), undefined);
    assert.equal(await store.findAccount("DAVE"), undefined);
  });

  test("createAccount with a taken key returns null and keeps the first account", async (store) => {
    const first = await store.createAccount(account("dave"));
    assert.equal(
      await store.createAccount({
        ...account("dave", "admin"),
        username: "Dave",
        passwordHash: "other",
      }),
      null,
    );
    assert.deepEqual(await store.findAccount("dave"), first);
  });

  test("createAccount gives firstRole to the first account only", async (store) => {
    const root = await store.createAccount(account("root"), {
      firstRole: "admin",
    });
    const dave = await store.createAccount(account("dave"), {
      firstRole: "admin",
    });
    const mod = await store.createAccount(account("mod", "moderator"), {
      firstRole: "admin",
    });
    assert.deepEqual(
      [root, dave, mod].map((a) => a?.role),
      ["admin", "user", "moderator"],
    );
    assert.equal((await store.findAccount("root"))?.role, "admin");
  });

  test("createAccount without firstRole keeps the given role, even for the first account", async (store) => {
    assert.equal((await store.createAccount(account("dave")))?.role, "user");
    assert.equal(
      (await store.createAccount(account("erin", "moderator")))?.role,
      "moderator",
    );
  });

  test("createAccount refuses a name that looks like an account's, which findAccountLookingLike finds", async (store) => {
    const account = (key: string, username: string) => ({
      key,
      username,
      passwordHash: "hash",
      role: "user" as const,
    });
    const cope = await store.createAccount(account("cope", "cope"));
    assert.equal(cope?.username, "cope");
    // Wholly Cyrillic с о р е, and Latin with Devanagari zeros: the
    // skeletons of cope and of root.
    const cyrillic = "\u0441\u043e\u0440\u0435";
    assert.equal(await store.createAccount(account(cyrillic, cyrillic)), null);
    assert.equal((await store.findAccountLookingLike(cyrillic))?.key, "cope");
    assert.equal((await store.findAccountLookingLike("COPE"))?.key, "cope");
    assert.equal(await store.findAccount(cyrillic), undefined);
    assert.ok(await store.createAccount(account("root", "root")));
    assert.equal(
      await store.createAccount(account("r\u0966\u0966t", "r\u0966\u0966t")),
      null,
    );
    assert.equal(await store.findAccountLookingLike("boot"), undefined);
    assert.ok(await store.createAccount(account("boot", "boot")));
  });

  test("setRole changes a role and says whether the account exists", async (store) => {
    const dave = (await store.createAccount(account("dave")))!;
    assert.equal(await store.setRole("dave", "moderator"), true);
    assert.deepEqual(await store.findAccount("dave"), {
      ...dave,
      role: "moderator",
    });
    assert.equal(await store.setRole("dave", "moderator"), true);
    assert.equal(await store.setRole("nobody", "admin"), false);
    assert.equal(await store.findAccount("nobody"), undefined);
  });

  test("of ten accounts created at once with a first role, exactly one gets it", async (store) => {
    const created = await Promise.all(
      Array.from(
        { length: 10 },
        (_, i) => store.createAccount(account(`u${i}`), { firstRole: "admin" }),
      ),
    );
    const roles = created.map((a) => a!.role).sort();
    assert.deepEqual(roles, ["admin", ...Array(9).fill("user")]);
    const later = await store.createAccount(account("late"), {
      firstRole: "admin",
    });
    assert.equal(later!.role, "user");
  });

  test("setPasswordHash replaces the hash of an account, and only of one that exists", async (store) => {
    await store.createAccount(account("alice"));
    assert.equal(await store.setPasswordHash("alice", "new hash"), true);
    assert.equal((await store.findAccount("alice"))!.passwordHash, "new hash");
    assert.equal(await store.setPasswordHash("nobody", "x"), false);
  });
}

// ----------------------------------------------------------------- sessions

/** The contract of createSession, findSession, deleteSession and deleteSessionsOf. */
export function sessions(test: StoreTest): void {
  test("findSession finds a session by its token hash until deleteSession ends it", async (store) => {
    await store.createAccount(account("dave"));
    await store.createAccount(account("root"));
    const expiresAt = Date.now() + 3600_000;
    await store.createSession("t1", { userKey: "dave", expiresAt });
    await store.createSession("t2", { userKey: "dave", expiresAt });
    await store.createSession("t3", { userKey: "root", expiresAt });
    assert.deepEqual(await store.findSession("t1"), {
      userKey: "dave",
      expiresAt,
    });
    assert.equal(await store.findSession("nope"), undefined);
    await store.deleteSession("t1");
    assert.equal(await store.findSession("t1"), undefined);
    // The user's other sessions, and other users', go on.
    assert.equal((await store.findSession("t2"))?.userKey, "dave");
    assert.equal((await store.findSession("t3"))?.userKey, "root");
    // Ending a session twice, or one that never was, is harmless.
    await store.deleteSession("t1");
    await store.deleteSession("never");
  });

  test("createSession drops the sessions that have expired, its own included", async (store) => {
    await store.createAccount(account("dave"));
    const soon = Date.now() + 20;
    await store.createSession("soon", { userKey: "dave", expiresAt: soon });
    await store.createSession("done", {
      userKey: "dave",
      expiresAt: Date.now() - 3600_000,
    });
    assert.equal(await store.findSession("done"), undefined);
    await after(soon);
    await store.createSession("fresh", {
      userKey: "dave",
      expiresAt: Date.now() + 3600_000,
    });
    assert.equal(await store.findSession("soon"), undefined);
    assert.equal((await store.findSession("fresh"))?.userKey, "dave");
  });

  test("deleteSessionsOf ends an account's sessions but the one kept, and no one else's", async (store) => {
    await store.createAccount(account("alice"));
    await store.createAccount(account("bob"));
    const expiresAt = Date.now() + 60_000;
    for (const hash of ["a1", "a2", "a3"]) {
      await store.createSession(hash, { userKey: "alice", expiresAt });
    }
    await store.createSession("b1", { userKey: "bob", expiresAt });
    assert.equal(await store.deleteSessionsOf("alice", "a2"), 2);
    assert.equal(await store.findSession("a1"), undefined);
    assert.equal(await store.findSession("a3"), undefined);
    assert.deepEqual(await store.findSession("a2"), {
      userKey: "alice",
      expiresAt,
    });
    assert.ok(await store.findSession("b1"));
    assert.equal(await store.deleteSessionsOf("alice"), 1);
    assert.equal(await store.findSession("a2"), undefined);
  });
}

// --------------------------------------------------------------------- bans

/** The contract of addBan, removeBans and findBan. */
export function bans(test: StoreTest): void {
  test(
    "an append whose sender was banned from the room after it was queued is refused, not stored",
    async (store, _reopen, holdAppends) => {
      await store.createRoom("dev", "dev");
      const release = await holdAppends();
      const mallory = { userKey: "mallory", user: "Mallory" };
      const queued = store.appendMessage(draft("dev", "too late", mallory));
      const refused = assert.rejects(
        queued,
        (error) =>
          error instanceof SenderBannedError && error.ban.roomKey === "dev" &&
          error.ban.reason === BAN.reason,
      );
      await store.addBan({ userKey: "mallory", roomKey: "dev", ...BAN });
      await release();
      await refused;
      assert.deepEqual(await store.history("dev", {}), []);
      // Its seq was given back; elsewhere and in private the name still writes.
      const next = await store.appendMessage(draft("dev", "next"));
      assert.equal(next.message.seq, 1);
      await store.appendMessage(draft("general", "here", mallory));
      await store.appendPrivate(dm("mallory", "bob", "hi"));
    },
  );

  test(
    "a server ban refuses the name's queued appends everywhere, private ones too; an expired one none",
    async (store, _reopen, holdAppends) => {
      await store.addBan({
        userKey: "gone",
        ...BAN,
        expiresAt: Date.now() - 1,
      });
      await store.appendMessage(
        draft("general", "still here", { userKey: "gone" }),
      );
      const release = await holdAppends();
      const eve = { userKey: "eve", user: "Eve" };
      const queued = [
        store.appendMessage(draft("general", "too late", eve)),
        store.appendPrivate(dm("eve", "bob", "too late")),
      ].map((append) =>
        assert.rejects(
          append,
          (error) =>
            error instanceof SenderBannedError &&
            error.ban.roomKey === undefined,
        )
      );
      await store.addBan({ userKey: "eve", ...BAN });
      await release();
      await Promise.all(queued);
      assert.deepEqual(
        (await store.history("general", {})).map((m) => m.text),
        ["still here"],
      );
      assert.deepEqual(await store.conversation("eve", "bob", {}), []);
    },
  );

  test(
    "a banned name's retry of a message stored before the ban gets that first copy, in a room and in private; a new message is refused",
    async (store) => {
      await store.createRoom("dev", "dev");
      const mallory = { userKey: "mallory", user: "Mallory", sender: "m1" };
      const inRoom = (text: string, clientId?: string) =>
        store.appendMessage(draft("dev", text, { ...mallory, clientId }));
      // With mailbox limits: the path that answers a retry before counting.
      const inPrivate = (text: string, clientId?: string) =>
        store.appendPrivate({
          ...dm("mallory", "bob", text, { sender: "m1", clientId }),
          delivered: false,
          waitingLimits: { perRecipient: 10, perSender: 10 },
        });
      const stored = await inRoom("before", "k1");
      const storedDm = await inPrivate("before", "k1");
      const refusedBy = (roomKey?: string) => (error: unknown) =>
        error instanceof SenderBannedError && error.ban.roomKey === roomKey;

      await store.addBan({ userKey: "mallory", roomKey: "dev", ...BAN });
      assert.deepEqual(await inRoom("before, again", "k1"), {
        message: stored.message,
        duplicate: true,
      });
      await assert.rejects(inRoom("after", "k2"), refusedBy("dev"));
      await assert.rejects(inRoom("after"), refusedBy("dev"));

      await store.addBan({ userKey: "mallory", ...BAN });
      assert.ok("message" in storedDm);
      assert.deepEqual(await inPrivate("before, again", "k1"), {
        message: storedDm.message,
        duplicate: true,
      });
      assert.deepEqual(await inRoom("before, again", "k1"), {
        message: stored.message,
        duplicate: true,
      });
      await assert.rejects(inPrivate("after", "k2"), refusedBy(undefined));
      // Only the first copies were stored, and no seq was spent.
      assert.deepEqual(await store.history("dev", {}), [stored.message]);
      assert.deepEqual(
        (await store.conversation("mallory", "bob", {})).map((m) => m.seq),
        [1],
      );
      assert.equal(
        (await store.appendMessage(draft("dev", "next"))).message.seq,
        2,
      );
    },
  );

  test("a server ban applies to the name in every room, not to other names", async (store) => {
    await store.addBan({ userKey: "eve", ...BAN });
    const expected = { userKey: "eve", ...BAN };
    assert.deepEqual(await store.findBan({ userKey: "eve" }), expected);
    assert.deepEqual(await store.findBan({ userKey: "eve" }, "dev"), expected);
    assert.deepEqual(
      await store.findBan({ userKey: "eve", address: "10.0.0.1" }),
      expected,
    );
    assert.equal(await store.findBan({ userKey: "adam" }), undefined);
    assert.equal(await store.findBan({ address: "10.0.0.1" }), undefined);
    assert.equal(await store.findBan({}), undefined);
  });

  test("a room ban applies in its room only", async (store) => {
    await store.addBan({ userKey: "mallory", roomKey: "dev", ...BAN });
    assert.deepEqual(await store.findBan({ userKey: "mallory" }, "dev"), {
      userKey: "mallory",
      roomKey: "dev",
      ...BAN,
    });
    assert.equal(await store.findBan({ userKey: "mallory" }), undefined);
    assert.equal(await store.findBan({ userKey: "mallory" }, "ops"), undefined);
    assert.equal(await store.findBan({ userKey: "eve" }, "dev"), undefined);
  });

  test("an address ban applies to anyone from that address, and not to the name elsewhere", async (store) => {
    await store.addBan({ userKey: "eve", address: "10.0.0.9", ...BAN });
    const expected = { userKey: "eve", address: "10.0.0.9", ...BAN };
    assert.deepEqual(
      await store.findBan({ userKey: "someone", address: "10.0.0.9" }),
      expected,
    );
    assert.deepEqual(await store.findBan({ address: "10.0.0.9" }), expected);
    assert.deepEqual(
      await store.findBan({ address: "10.0.0.9" }, "dev"),
      expected,
    );
    assert.equal(
      await store.findBan({ userKey: "eve", address: "10.0.0.1" }),
      undefined,
    );
    assert.equal(await store.findBan({ userKey: "eve" }), undefined);
  });

  test("an IPv6 address ban by its /64 applies to every address in it; one by the exact address (older bans) to that address only", async (store) => {
    await store.addBan({
      userKey: "eve",
      address: "2001:db8:1:2::/64",
      ...BAN,
    });
    await store.addBan({ userKey: "old", address: "2001:db8:9::7", ...BAN });
    assert.equal(
      (await store.findBan({ address: "2001:db8:1:2:ffff::9" }))?.userKey,
      "eve",
    );
    assert.equal(
      (await store.findBan({ address: "2001:db8:1:2::66" }, "dev"))?.userKey,
      "eve",
    );
    assert.equal(
      await store.findBan({ address: "2001:db8:1:3::66" }),
      undefined,
    );
    assert.equal(
      (await store.findBan({ userKey: "someone", address: "2001:db8:9::7" }))
        ?.userKey,
      "old",
    );
    assert.equal(await store.findBan({ address: "2001:db8:9::8" }), undefined);
    // An IPv4 address written as IPv6 is the IPv4 address a ban names.
    await store.addBan({ userKey: "v4", address: "10.0.0.9", ...BAN });
    assert.equal(
      (await store.findBan({ address: "::ffff:10.0.0.9" }))?.userKey,
      "v4",
    );
  });

  test("findBan prefers the server ban when a room ban applies too", async (store) => {
    await store.addBan({
      userKey: "eve",
      roomKey: "dev",
      ...BAN,
      reason: "room",
    });
    await store.addBan({ userKey: "eve", ...BAN, reason: "server" });
    assert.equal(
      (await store.findBan({ userKey: "eve" }, "dev"))?.reason,
      "server",
    );
  });

  test("addBan again for the same user, address and room replaces its reason, author and time", async (store) => {
    await store.addBan({ userKey: "eve", roomKey: "dev", ...BAN });
    await store.addBan({
      userKey: "eve",
      roomKey: "dev",
      reason: "again",
      by: "mod",
      createdAt: 2_000,
    });
    assert.deepEqual(await store.findBan({ userKey: "eve" }, "dev"), {
      userKey: "eve",
      roomKey: "dev",
      reason: "again",
      by: "mod",
      createdAt: 2_000,
    });
    // Replaced, not added: one ban to lift.
    assert.equal(await store.removeBans("eve", "dev"), 1);
  });

  test("removeBans lifts a user's server bans with the addresses banned with them, and counts them", async (store) => {
    await store.addBan({ userKey: "eve", ...BAN });
    await store.addBan({ userKey: "eve", address: "10.0.0.9", ...BAN });
    await store.addBan({ userKey: "eve", address: "10.0.0.8", ...BAN });
    await store.addBan({ userKey: "eve", roomKey: "dev", ...BAN });
    await store.addBan({ userKey: "mallory", ...BAN });
    assert.equal(await store.removeBans("eve"), 3);
    assert.equal(await store.findBan({ userKey: "eve" }), undefined);
    assert.equal(await store.findBan({ address: "10.0.0.9" }), undefined);
    // Room bans and other users' bans stay.
    assert.equal(
      (await store.findBan({ userKey: "eve" }, "dev"))?.roomKey,
      "dev",
    );
    assert.equal(
      (await store.findBan({ userKey: "mallory" }))?.userKey,
      "mallory",
    );
    assert.equal(await store.removeBans("eve"), 0);
    assert.equal(await store.removeBans("nobody"), 0);
  });

  test("removeBans with a room lifts only that room's ban", async (store) => {
    await store.addBan({ userKey: "eve", ...BAN });
    await store.addBan({ userKey: "eve", roomKey: "dev", ...BAN });
    await store.addBan({ userKey: "eve", roomKey: "ops", ...BAN });
    assert.equal(await store.removeBans("eve", "dev"), 1);
    assert.equal(
      (await store.findBan({ userKey: "eve" }, "dev"))?.roomKey,
      undefined,
    );
    assert.equal(
      (await store.findBan({ userKey: "eve" }, "ops"))?.roomKey,
      undefined,
    );
    assert.equal(await store.removeBans("eve"), 1);
    assert.equal(await store.findBan({ userKey: "eve" }, "dev"), undefined);
    assert.equal(
      (await store.findBan({ userKey: "eve" }, "ops"))?.roomKey,
      "ops",
    );
    assert.equal(await store.removeBans("eve", "dev"), 0);
  });
}
