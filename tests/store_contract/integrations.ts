/**
 * The store contract for integrations: personal access tokens
 * (createApiToken, listApiTokens, findApiToken, deleteApiToken), bot
 * accounts (createAccount's `bot`, listBots), incoming webhooks
 * (createHook, listHooks, findHook, findHookById, deleteHook) and the
 * badge their messages carry.
 */
import assert from "node:assert/strict";
import type { MessageBase } from "../../server/protocol/types.ts";
import { accountIdentity } from "../../server/accounts/identity.ts";
import { SenderGoneError, type Store } from "../../server/store/mod.ts";
import { draft, type StoreTest } from "./support.ts";

// Creates an account and returns its identity, what its messages carry.
async function senderOf(
  store: Store,
  key: string,
  options: { bot?: boolean } = {},
): Promise<string> {
  const account = await store.createAccount({
    key,
    username: key,
    passwordHash: "hash",
    role: "user",
    ...options,
  });
  assert.ok(account);
  return accountIdentity(account);
}

/** The contract of tokens, bots and webhooks. */
export function integrations(test: StoreTest): void {
  test("api tokens are found by hash, listed per account oldest first, and revoked by their owner only", async (store) => {
    const account = (key: string) => ({
      key,
      username: key,
      passwordHash: "hash",
      role: "user" as const,
    });
    await store.createAccount(account("alice"));
    await store.createAccount(account("bob"));
    const now = Date.now();
    const first = {
      id: "t1",
      userKey: "alice",
      name: "CI",
      tokenHash: "h1",
      createdAt: now,
    };
    await store.createApiToken(first);
    await store.createApiToken({
      ...first,
      id: "t2",
      tokenHash: "h2",
      createdAt: now + 1,
    });
    await store.createApiToken({
      ...first,
      id: "t3",
      userKey: "bob",
      tokenHash: "h3",
    });
    assert.deepEqual(await store.findApiToken("h1"), first);
    assert.equal(await store.findApiToken("nothing"), undefined);
    assert.deepEqual((await store.listApiTokens("alice")).map((t) => t.id), [
      "t1",
      "t2",
    ]);
    assert.equal(await store.deleteApiToken("bob", "t1"), false);
    assert.equal(await store.deleteApiToken("alice", "t1"), true);
    assert.equal(await store.deleteApiToken("alice", "t1"), false);
    assert.equal(await store.findApiToken("h1"), undefined);
    assert.deepEqual((await store.listApiTokens("alice")).map((t) => t.id), [
      "t2",
    ]);
  });

  test("createAccount keeps the bot flag, and listBots lists bots only", async (store) => {
    const human = await store.createAccount({
      key: "alice",
      username: "Alice",
      passwordHash: "hash",
      role: "user",
    });
    assert.equal(human?.bot, false);
    const bot = await store.createAccount({
      key: "ci",
      username: "CI",
      passwordHash: "!",
      role: "user",
      bot: true,
    });
    assert.equal(bot?.bot, true);
    assert.equal((await store.findAccount("ci"))?.bot, true);
    assert.deepEqual((await store.listBots()).map((a) => a.key), ["ci"]);
  });

  test("messages from a bot or a hook identity carry their badge, in history and on append", async (store) => {
    const ci = await senderOf(store, "ci", { bot: true });
    const alice = await senderOf(store, "alice");
    const bot = await store.appendMessage(
      draft("general", "from a bot", { sender: ci, userKey: "ci", user: "ci" }),
    );
    const hook = await store.appendMessage(
      draft("general", "from a hook", { sender: "h:x", userKey: "hook:x" }),
    );
    const person = await store.appendMessage(
      draft("general", "from a person", { sender: alice }),
    );
    assert.equal(bot.message.badge, "bot");
    assert.equal(hook.message.badge, "hook");
    assert.equal(person.message.badge, undefined);
    assert.deepEqual(await store.history("general", {}), [
      bot.message,
      hook.message,
      person.message,
    ]);
  });

  test("an account's append that commits after its deletion is refused with SenderGoneError, nothing stored; a name registered again is another account", async (store) => {
    const old = await senderOf(store, "alice");
    await store.appendMessage(draft("general", "before", { sender: old }));
    // Its outcome taken at once: the deletion may resolve before or after
    // the append's commit (on PostgreSQL the append may commit first and
    // be kept), and a refusal with no handler yet would go uncaught.
    const queued = store.appendMessage(
      draft("general", "queued", { sender: old }),
    ).then(() => "stored", (e) => e);
    await store.deleteAccount("alice", "anonymise");
    const outcome = await queued;
    assert.ok(outcome === "stored" || outcome instanceof SenderGoneError);
    const late = await store.appendMessage(
      draft("general", "late", { sender: old }),
    ).then(() => "stored", (e) => e);
    assert.ok(late instanceof SenderGoneError);
    const again = await senderOf(store, "alice");
    await store.appendMessage(draft("general", "new", { sender: again }));
    const history = await store.history("general", {});
    assert.deepEqual(
      history.map((m) => [m.user, m.text]),
      outcome === "stored"
        ? [["deleted user", "before"], ["deleted user", "queued"], [
          "Alice",
          "new",
        ]]
        : [["deleted user", "before"], ["Alice", "new"]],
    );
    assert.deepEqual(history.map((m) => m.seq), history.map((_, i) => i + 1));
  });

  test("a reply to a bot's or a hook's message quotes it with its badge, on append, on a retry, when read and once deleted", async (store) => {
    const ci = await senderOf(store, "ci", { bot: true });
    const bob = await senderOf(store, "bob");
    const { message: bot } = await store.appendMessage(
      draft("general", "build passed", {
        sender: ci,
        userKey: "ci",
        user: "ci",
      }),
    );
    // A hook may post under a person's name: only the badge tells.
    const { message: hook } = await store.appendMessage(
      draft("general", "paste the key here", {
        sender: "h:x",
        userKey: "hook:x",
        user: "Alice",
      }),
    );
    const { message: person } = await store.appendMessage(
      draft("general", "no", { sender: bob, userKey: "bob", user: "Bob" }),
    );
    const reply = async (original: MessageBase, clientId: string) =>
      (await store.appendMessage(
        draft("general", "ok", {
          sender: bob,
          userKey: "bob",
          user: "Bob",
          replyTo: original.id,
          clientId,
        }),
      )).message;
    const toBot = await reply(bot, "r1");
    const toHook = await reply(hook, "r2");
    const toPerson = await reply(person, "r3");
    assert.equal(toBot.reply_to?.badge, "bot");
    assert.deepEqual(toHook.reply_to, {
      id: hook.id,
      seq: hook.seq,
      user: "Alice",
      text: "paste the key here",
      badge: "hook",
    });
    assert.equal(toPerson.reply_to?.badge, undefined);
    assert.equal("badge" in toPerson.reply_to!, false);
    // A retry answers with the first reply, quote and badge as they are.
    assert.deepEqual(await reply(hook, "r2"), toHook);
    assert.deepEqual((await store.history("general", {})).slice(3), [
      toBot,
      toHook,
      toPerson,
    ]);
    assert.deepEqual((await store.findMessage(toHook.id))?.message, toHook);
    assert.deepEqual(await store.findReplies(hook.id, 10), [toHook]);
    await store.pin(toHook.id, true);
    assert.equal((await store.listPins("general"))[0].reply_to?.badge, "hook");
    // Deleted, the original still was the hook's: the quote keeps saying so.
    await store.updateMessage(hook.id, { deleted: true });
    assert.deepEqual((await store.findMessage(toHook.id))?.message.reply_to, {
      id: hook.id,
      seq: hook.seq,
      user: "Alice",
      text: "",
      deleted: true,
      badge: "hook",
    });
  });

  test("hooks are found by secret hash (with their room's creation time) or id, listed per room, removed, and go with their room", async (store) => {
    const dev = await store.createRoom("dev", "dev");
    assert.ok(dev);
    const general = (await store.listRooms()).find((r) => r.key === "general");
    assert.ok(general);
    const now = Date.now();
    const hook = {
      id: "k1",
      roomKey: "dev",
      name: "CI",
      secretHash: "s1",
      createdBy: "alice",
      createdAt: now,
    };
    await store.createHook(hook);
    await store.createHook({
      ...hook,
      id: "k2",
      secretHash: "s2",
      createdAt: now + 1,
    });
    await store.createHook({
      ...hook,
      id: "k3",
      secretHash: "s3",
      roomKey: "general",
    });
    assert.deepEqual(await store.findHook("s1"), {
      ...hook,
      roomCreatedAt: dev.createdAt,
    });
    assert.deepEqual(await store.findHookById("k1"), hook);
    assert.equal(await store.findHook("nothing"), undefined);
    assert.deepEqual((await store.listHooks("dev")).map((h) => h.id), [
      "k1",
      "k2",
    ]);
    assert.equal(await store.deleteHook("k1"), true);
    assert.equal(await store.deleteHook("k1"), false);
    assert.equal(await store.findHook("s1"), undefined);
    await store.deleteRoom("dev");
    assert.equal(await store.findHook("s2"), undefined);
    await store.createRoom("dev", "dev");
    assert.deepEqual(await store.listHooks("dev"), []);
    assert.equal((await store.findHook("s3"))?.id, "k3");
    assert.equal(
      (await store.findHook("s3"))?.roomCreatedAt,
      general.createdAt,
    );
  });

  test("renameRoom takes a room's incoming hooks to its new key", async (store) => {
    const dev = await store.createRoom("dev", "dev");
    assert.ok(dev);
    const hook = {
      id: "k1",
      roomKey: "dev",
      name: "CI",
      secretHash: "s1",
      createdBy: "alice",
      createdAt: Date.now(),
    };
    await store.createHook(hook);
    assert.notEqual(await store.renameRoom("dev", "devops", "DevOps"), "taken");
    // Renamed, the room is the same incarnation: its creation time stays.
    assert.deepEqual(await store.findHook("s1"), {
      ...hook,
      roomKey: "devops",
      roomCreatedAt: dev.createdAt,
    });
    assert.deepEqual((await store.listHooks("devops")).map((h) => h.id), [
      "k1",
    ]);
    assert.deepEqual(await store.listHooks("dev"), []);
  });
}
