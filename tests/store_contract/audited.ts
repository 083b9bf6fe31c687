/**
 * The store contract for audited writes: each store method a moderation or
 * admin action makes its change with (bans, roles, accounts, rooms, a
 * moderator's delete, bots, tokens, webhooks) takes the action's audit
 * entry and writes it in the same commit, only when the change is done. A
 * refused one (unknown target, name taken) writes neither.
 */
import assert from "node:assert/strict";
import type {
  NewAuditEntry,
  Store,
  StoredRoom,
} from "../../server/store/mod.ts";
import { account, append, BAN, type StoreTest } from "./support.ts";

// An entry with every field, named by its action so a test can tell them
// apart in the log.
function entry(action: string): NewAuditEntry {
  return {
    at: 1_700_000_000_000,
    by: "root",
    action,
    target: "mallory",
    room: "dev",
    reason: "why",
    address: "10.0.0.1",
    details: { n: 1, on: true, word: "x" },
  };
}

// The actions in the log, oldest first.
async function logged(store: Store): Promise<string[]> {
  return (await store.auditLog({ limit: 100 })).map((e) => e.action)
    .reverse();
}

/** Registers the audited-write scenarios. */
export function auditedWrites(test: StoreTest): void {
  test("addBan writes the ban, a guest's addresses, the end of a room's membership and the audit entry together", async (store) => {
    await store.createRoom("dev", "dev");
    await store.createAccount(account("mallory"));
    assert.equal(await store.addMember("mallory", "dev"), true);
    await store.addBan(
      { ...BAN, userKey: "mallory", roomKey: "dev" },
      { audit: entry("ban_room") },
    );
    assert.equal(
      (await store.findBan({ userKey: "mallory" }, "dev"))?.roomKey,
      "dev",
    );
    assert.equal(await store.isMember("mallory", "dev"), false);
    await store.addBan(
      { ...BAN, userKey: "guest1" },
      { addresses: ["10.9.9.9", "10.9.9.8"], audit: entry("ban") },
    );
    assert.equal(
      (await store.findBan({ userKey: "guest1" }))?.userKey,
      "guest1",
    );
    for (const address of ["10.9.9.9", "10.9.9.8"]) {
      assert.equal((await store.findBan({ address }))?.userKey, "guest1");
    }
    // No entry given, none written.
    await store.addBan({ ...BAN, userKey: "other" });
    assert.deepEqual(await logged(store), ["ban_room", "ban"]);
    const [newest] = await store.auditLog({ limit: 1 });
    assert.deepEqual(newest, { id: newest.id, ...entry("ban") });
  });

  test("removeBans writes its audit entry only when it lifted a ban", async (store) => {
    await store.addBan({ ...BAN, userKey: "mallory" });
    assert.equal(
      await store.removeBans("mallory", undefined, entry("unban")),
      1,
    );
    assert.equal(await store.findBan({ userKey: "mallory" }), undefined);
    assert.equal(
      await store.removeBans("mallory", undefined, entry("unban_nothing")),
      0,
    );
    assert.deepEqual(await logged(store), ["unban"]);
  });

  test("setRole and deleteAccount write their audit entry with the change, none for an unknown account", async (store) => {
    await store.createAccount(account("mallory"));
    assert.equal(
      await store.setRole("mallory", "moderator", entry("set_role")),
      true,
    );
    assert.equal((await store.findAccount("mallory"))?.role, "moderator");
    assert.equal(
      await store.setRole("nobody", "moderator", entry("set_role_nobody")),
      false,
    );
    assert.ok(
      await store.deleteAccount("mallory", "keep", entry("delete_account")),
    );
    assert.equal(await store.findAccount("mallory"), undefined);
    assert.equal(
      await store.deleteAccount("mallory", "keep", entry("delete_again")),
      false,
    );
    assert.deepEqual(await logged(store), ["set_role", "delete_account"]);
  });

  test("renameRoom with a change renames the room and changes its settings in the commit of its audit entry; taken or unknown, neither", async (store) => {
    await store.createAccount(account("ann"));
    for (const name of ["dev", "ops"]) {
      await store.createRoom(name, name);
    }
    await store.createInvite({
      code: "inv",
      roomKey: "dev",
      createdBy: "ann",
      createdAt: Date.now(),
    });
    const change = { private: true, owner: "ann", retentionDays: 7 };
    assert.equal(
      await store.renameRoom("dev", "ops", "ops", entry("taken"), change),
      "taken",
    );
    assert.equal(
      await store.renameRoom("nothing", "x", "x", entry("unknown"), change),
      undefined,
    );
    const untouched = (await store.listRooms()).find((r) => r.key === "dev");
    assert.equal(untouched?.private, false);
    assert.equal((await store.findInvite("inv"))?.revoked, false);

    const renamed = await store.renameRoom(
      "dev",
      "lab",
      "Lab",
      entry("update_room"),
      change,
    ) as StoredRoom;
    assert.deepEqual(
      [renamed.key, renamed.name, renamed.private, renamed.owner],
      ["lab", "Lab", true, "ann"],
    );
    assert.equal(renamed.retentionDays, 7);
    const stored = (await store.listRooms()).find((r) => r.key === "lab");
    assert.deepEqual(stored, renamed);
    // Made private as updateRoom makes it: the open links end with it.
    assert.equal((await store.findInvite("inv"))?.revoked, true);
    assert.deepEqual(await logged(store), ["update_room"]);
  });

  test("createPasswordReset writes its audit entry with the link", async (store) => {
    await store.createAccount(account("ann"));
    const now = Date.now();
    await store.createPasswordReset(
      "r1",
      { userKey: "ann", expiresAt: now + 60_000 },
      entry("reset_password"),
    );
    assert.equal(await store.takePasswordReset("r1", now), "ann");
    assert.deepEqual(await logged(store), ["reset_password"]);
  });

  test("deleteRoom, renameRoom, updateRoom, setRoomTopic and setRoomArchived write their audit entry with the change, none when the room is unknown or the name taken", async (store) => {
    for (const name of ["dev", "ops", "gone"]) {
      await store.createRoom(name, name);
    }
    assert.equal(
      (await store.updateRoom("dev", { private: true }, entry("update_room")))
        ?.private,
      true,
    );
    assert.equal(
      await store.updateRoom("nothing", { private: true }, entry("update_x")),
      undefined,
    );
    assert.equal(
      (await store.setRoomTopic("dev", "t", entry("set_topic")))?.topic,
      "t",
    );
    assert.equal(
      await store.setRoomTopic("nothing", "t", entry("set_topic_x")),
      undefined,
    );
    assert.equal(
      (await store.setRoomArchived("ops", true, entry("archive_room")))
        ?.archived,
      true,
    );
    assert.equal(
      await store.setRoomArchived("nothing", true, entry("archive_x")),
      undefined,
    );
    assert.equal(
      await store.setRoomArchived("ops", true, entry("archive_again")),
      undefined,
    );
    assert.equal(
      await store.renameRoom("dev", "ops", "ops", entry("rename_taken")),
      "taken",
    );
    assert.equal(
      await store.renameRoom("nothing", "new", "new", entry("rename_x")),
      undefined,
    );
    assert.equal(
      ((await store.renameRoom(
        "dev",
        "lab",
        "Lab",
        entry("rename"),
      )) as StoredRoom).name,
      "Lab",
    );
    assert.ok(await store.deleteRoom("gone", entry("delete_room")));
    assert.equal(await store.deleteRoom("gone", entry("delete_again")), false);
    assert.deepEqual(
      (await store.listRooms()).map((room) => room.key).sort(),
      ["general", "lab", "ops"],
    );
    assert.deepEqual(await logged(store), [
      "update_room",
      "set_topic",
      "archive_room",
      "rename",
      "delete_room",
    ]);
  });

  test("updateMessage writes a moderator's audit entry with the delete, none for an unknown message", async (store) => {
    await store.createRoom("dev", "dev");
    const [message] = await append(store, "dev", ["hello"]);
    const deleted = await store.updateMessage(
      message.id,
      { deleted: true },
      entry("delete_message"),
    );
    assert.equal(deleted?.deleted, true);
    assert.equal(
      await store.updateMessage(
        "01NOSUCHMESSAGE000000000000",
        { deleted: true },
        entry("delete_nothing"),
      ),
      undefined,
    );
    assert.deepEqual(await logged(store), ["delete_message"]);
  });

  test("a bot, its tokens and webhooks are written with their audit entry; a name taken, an unknown token, hook or room writes none", async (store) => {
    await store.createRoom("dev", "dev");
    const bot = { ...account("robo"), bot: true };
    assert.equal(
      (await store.createAccount(bot, { audit: entry("create_bot") }))?.bot,
      true,
    );
    assert.equal(
      await store.createAccount(bot, { audit: entry("create_bot_taken") }),
      null,
    );
    const now = Date.now();
    const token = {
      id: "t1",
      userKey: "robo",
      name: "ci",
      tokenHash: "h1",
      createdAt: now,
    };
    await store.createApiToken(token, entry("create_bot_token"));
    assert.deepEqual(await store.listApiTokens("robo"), [token]);
    assert.equal(
      await store.deleteApiToken("robo", "t1", entry("revoke_bot_token")),
      true,
    );
    assert.equal(
      await store.deleteApiToken("robo", "t1", entry("revoke_again")),
      false,
    );
    const hook = {
      id: "k1",
      roomKey: "dev",
      name: "CI",
      secretHash: "s1",
      createdBy: "root",
      createdAt: now,
    };
    await store.createHook(hook, entry("create_webhook"));
    assert.equal((await store.findHookById("k1"))?.name, "CI");
    assert.equal(await store.deleteHook("k1", entry("delete_webhook")), true);
    assert.equal(await store.deleteHook("k1", entry("delete_again")), false);
    const outgoing = {
      id: "w1",
      roomKey: "dev",
      url: "http://127.0.0.1:9/hook",
      secret: "x",
      createdBy: "root",
      createdAt: now,
    };
    assert.equal(
      await store.createWebhook(outgoing, entry("create_outgoing_webhook")),
      true,
    );
    assert.equal(
      await store.createWebhook(
        { ...outgoing, id: "w2", roomKey: "nothing" },
        entry("create_outgoing_nothing"),
      ),
      false,
    );
    assert.equal(
      await store.deleteWebhook("w1", entry("delete_outgoing_webhook")),
      true,
    );
    assert.equal(
      await store.deleteWebhook("w1", entry("delete_outgoing_again")),
      false,
    );
    assert.deepEqual(await logged(store), [
      "create_bot",
      "create_bot_token",
      "revoke_bot_token",
      "create_webhook",
      "delete_webhook",
      "create_outgoing_webhook",
      "delete_outgoing_webhook",
    ]);
  });

  test("setMissedMail writes an unsubscribe's audit entry only when it turned the mails off: again, or for an unknown account, none", async (store) => {
    await store.createAccount(account("mallory"));
    assert.deepEqual(
      await store.setMissedMail(
        "mallory",
        { enabled: false },
        entry("unsubscribe"),
      ),
      { enabled: false, language: null },
    );
    await store.setMissedMail(
      "mallory",
      { enabled: false },
      entry("unsubscribe_again"),
    );
    assert.equal(
      await store.setMissedMail(
        "nobody",
        { enabled: false },
        entry("unsubscribe_nobody"),
      ),
      undefined,
    );
    assert.deepEqual(await logged(store), ["unsubscribe"]);
    const [newest] = await store.auditLog({ limit: 1 });
    assert.deepEqual(newest, { id: newest.id, ...entry("unsubscribe") });
  });
}
