/**
 * The contract every Store implementation keeps, member by member: rooms
 * and their messages, edits and deletes, private conversations, accounts,
 * sessions, bans, files, memberships and invites, ignores, replies, reactions, pins,
 * search, tokens, bots and webhooks, the audit entries written with
 * moderation's and administration's writes, and the store's own life
 * (group commits, ping, close). Each implementation's test file calls {@link storeContract} with
 * a way to open it; the same scenarios then run against each, so the
 * stores cannot drift apart unnoticed (they did once, on the history
 * limit). Behaviour only one store has (several processes on one
 * PostgreSQL database, a locked SQLite file) is tested in its own file.
 */
import assert from "node:assert/strict";
import { StoreUnavailableError } from "../server/protocol/errors.ts";
import type { Store, StoredUpload } from "../server/store/mod.ts";
import { accounts, bans, sessions } from "./store_contract/accounts.ts";
import { administration } from "./store_contract/admin.ts";
import { auditedWrites } from "./store_contract/audited.ts";
import { files } from "./store_contract/files.ts";
import { ignores } from "./store_contract/ignores.ts";
import { messageRecords } from "./store_contract/messages.ts";
import { polls } from "./store_contract/polls.ts";
import { forwards } from "./store_contract/forwarded.ts";
import { privateMessages } from "./store_contract/private.ts";
import { drafts } from "./store_contract/drafts.ts";
import { mentionLists } from "./store_contract/mentions.ts";
import { savedMessages } from "./store_contract/saved.ts";
import { scheduledMessages } from "./store_contract/scheduled.ts";
import { threadFollows } from "./store_contract/thread_follows.ts";
import { notifyLevels } from "./store_contract/notify_levels.ts";
import { sections } from "./store_contract/sections.ts";
import { stars } from "./store_contract/stars.ts";
import { messageEdits } from "./store_contract/edits.ts";
import { doNotDisturb } from "./store_contract/do_not_disturb.ts";
import { statuses } from "./store_contract/status.ts";
import { emails } from "./store_contract/email.ts";
import { missedMails } from "./store_contract/missed_mail.ts";
import { profiles } from "./store_contract/profile.ts";
import { customEmoji } from "./store_contract/emoji.ts";
import { totp } from "./store_contract/totp.ts";
import { groups } from "./store_contract/groups.ts";
import { mentionPushes } from "./store_contract/mention_pushes.ts";
import { roomDeletion, roomsAndMessages } from "./store_contract/rooms.ts";
import { teamChat } from "./store_contract/team.ts";
import { integrations } from "./store_contract/integrations.ts";
import { threads } from "./store_contract/threads.ts";
import {
  account,
  BAN,
  dm,
  draft,
  type HoldAppends,
  range,
  type StoreTest,
} from "./store_contract/support.ts";

/** How the contract opens one implementation on fresh storage. */
export interface StoreFixture {
  /**
   * Opens the store, or opens it again on the same data after a close. The
   * store must have the permanent room `general` (key and name "general").
   */
  open(): Promise<Store>;
  /** Removes the storage; called once per test, after every store closed. */
  dispose(): Promise<void>;
  /** As {@link HoldAppends}; none: the store needs no hold. */
  holdAppends?: HoldAppends;
}

/**
 * Registers the store contract tests for one implementation; with
 * `only: "threads"`, only the threads' and search's (a second path of one
 * implementation: SQLite's search index in its own database).
 */
export function storeContract(
  name: string,
  makeStore: () => Promise<StoreFixture>,
  options: { only?: "threads" } = {},
): void {
  function test(
    title: string,
    body: Parameters<StoreTest>[1],
    options: { ignore?: boolean; ignoreOn?: string } = {},
  ): void {
    const ignore = options.ignore ||
      (options.ignoreOn !== undefined && name.startsWith(options.ignoreOn));
    Deno.test(`${name}: ${title}`, { ignore }, async () => {
      // Undone last to first, pass or fail: the stores, then the storage.
      await using cleanup = new AsyncDisposableStack();
      const fixture = await makeStore();
      cleanup.defer(() => fixture.dispose());
      const open = async () => {
        const store = await fixture.open();
        cleanup.defer(() => store.close());
        return store;
      };
      let last = await open();
      const hold = fixture.holdAppends ??
        (() => Promise.resolve(() => Promise.resolve()));
      await body(last, async () => {
        await last.close();
        return last = await open();
      }, hold);
    });
  }

  if (options.only === "threads") {
    threads(test);
    return;
  }
  roomsAndMessages(test);
  roomDeletion(test);
  messageRecords(test);
  polls(test);
  forwards(test);
  privateMessages(test);
  drafts(test);
  savedMessages(test);
  mentionLists(test);
  threadFollows(test);
  scheduledMessages(test);
  notifyLevels(test);
  stars(test);
  sections(test);
  messageEdits(test);
  doNotDisturb(test);
  statuses(test);
  emails(test);
  missedMails(test);
  profiles(test);
  customEmoji(test);
  totp(test);
  groups(test);
  mentionPushes(test);
  accounts(test);
  sessions(test);
  bans(test);
  files(test);
  teamChat(test);
  ignores(test);
  threads(test);
  administration(test);
  auditedWrites(test);
  integrations(test);
  lifecycle(test);
}

// ----------------------------------------------------------- the store's life

function lifecycle(test: StoreTest): void {
  test("ping resolves while the store is open", async (store) => {
    await store.ping();
  });

  test("appendCommits counts group commits: appends made in one turn share one", async (store) => {
    assert.equal(store.appendCommits, 0);
    await store.appendMessage(draft("general", "alone"));
    assert.equal(store.appendCommits, 1);
    await Promise.all([
      ...range(1, 20).map((n) =>
        store.appendMessage(draft("general", `m${n}`))
      ),
      ...range(1, 5).map((n) =>
        store.appendPrivate(dm("alice", "bob", `p${n}`))
      ),
    ]);
    assert.equal(store.appendCommits, 2);
    await store.appendPrivate(dm("bob", "alice", "back"));
    assert.equal(store.appendCommits, 3);
  });

  test("close commits the appends already accepted", async (store, reopen) => {
    const pending = [
      ...range(1, 5).map((n) => store.appendMessage(draft("general", `m${n}`))),
      store.appendPrivate(dm("alice", "bob", "psst", { delivered: false })),
    ];
    const closing = store.close();
    const acknowledged = await Promise.all(pending);
    await closing;
    const again = await reopen();
    assert.deepEqual(
      await again.history("general", {}),
      acknowledged.slice(0, 5).map((r) => r.message),
    );
    assert.deepEqual(
      await again.takeUndelivered("bob"),
      [acknowledged[5].message],
    );
  });

  test(
    "accounts, sessions, bans, files and private messages survive a close and reopen",
    async (store, reopen) => {
      const dave = await store.createAccount(account("dave"), {
        firstRole: "admin",
      });
      await store.setRole("dave", "moderator");
      const expiresAt = Date.now() + 3600_000;
      await store.createSession("t1", { userKey: "dave", expiresAt });
      await store.addBan({ userKey: "eve", address: "10.0.0.9", ...BAN });
      const file: StoredUpload = {
        id: "f".repeat(32),
        hash: "ab".repeat(32),
        name: "a.txt",
        size: 1,
        type: "text/plain",
        uploader: "dave",
        createdAt: 1,
      };
      await store.saveUpload(file);
      const read = await store.appendPrivate(dm("dave", "erin", "read"));
      const unread = await store.appendPrivate(
        dm("dave", "erin", "unread", { delivered: false, clientId: "c1" }),
      );
      const again = await reopen();
      assert.deepEqual(await again.findAccount("dave"), {
        ...dave,
        role: "moderator",
      });
      assert.deepEqual(await again.findSession("t1"), {
        userKey: "dave",
        expiresAt,
      });
      assert.equal(
        (await again.findBan({ address: "10.0.0.9" }))?.userKey,
        "eve",
      );
      assert.deepEqual(await again.findUpload(file.id), file);
      assert.deepEqual(await again.conversation("erin", "dave", {}), [
        read.message,
        unread.message,
      ]);
      assert.deepEqual(await again.takeUndelivered("erin"), [unread.message]);
      // The conversation's numbering and its retries go on.
      const retry = await again.appendPrivate(
        dm("dave", "erin", "unread", { clientId: "c1" }),
      );
      assert.deepEqual([retry.duplicate, retry.message], [
        true,
        unread.message,
      ]);
      const next = await again.appendPrivate(dm("erin", "dave", "hi"));
      assert.equal(next.message.seq, 3);
      // The first account is taken: firstRole does not apply any more.
      assert.equal(
        (await again.createAccount(account("root"), { firstRole: "admin" }))
          ?.role,
        "user",
      );
    },
  );

  test("a closed store fails with StoreUnavailableError", async (store) => {
    const { message } = await store.appendMessage(draft("general", "x"));
    await store.close();
    const calls: [string, () => Promise<unknown>][] = [
      ["ping", () => store.ping()],
      ["listRooms", () => store.listRooms()],
      ["createRoom", () => store.createRoom("dev", "dev")],
      ["deleteRoom", () => store.deleteRoom("general")],
      ["appendMessage", () => store.appendMessage(draft("general", "x"))],
      ["history", () => store.history("general", {})],
      ["findMessage", () => store.findMessage(message.id)],
      ["updateMessage", () => store.updateMessage(message.id, { text: "y" })],
      ["appendPrivate", () => store.appendPrivate(dm("alice", "bob", "x"))],
      ["conversation", () => store.conversation("alice", "bob", {})],
      ["takeUndelivered", () => store.takeUndelivered("bob")],
      ["returnUndelivered", () => store.returnUndelivered("bob", ["x"])],
      ["createAccount", () => store.createAccount(account("dave"))],
      ["findAccount", () => store.findAccount("dave")],
      ["findAccountLookingLike", () => store.findAccountLookingLike("dave")],
      ["setRole", () => store.setRole("dave", "admin")],
      [
        "createSession",
        () =>
          store.createSession("t", { userKey: "dave", expiresAt: Date.now() }),
      ],
      ["findSession", () => store.findSession("t")],
      ["deleteSession", () => store.deleteSession("t")],
      ["addBan", () => store.addBan({ userKey: "eve", ...BAN })],
      ["removeBans", () => store.removeBans("eve")],
      ["findBan", () => store.findBan({ userKey: "eve" })],
      ["addMember", () => store.addMember("bob", "general")],
      ["removeMember", () => store.removeMember("bob", "general")],
      ["isMember", () => store.isMember("bob", "general")],
      ["memberRooms", () => store.memberRooms("bob")],
      ["readStates", () => store.readStates("bob", ["general"])],
      ["markRead", () => store.markRead("bob", "general", 1)],
      ["markUnread", () => store.markUnread("bob", "general", 1)],
      ["readState", () => store.readState("bob", "general")],
      ["createInvite", () =>
        store.createInvite({
          code: "c",
          roomKey: "general",
          createdBy: "bob",
          createdAt: 1,
          expiresAt: Date.now() + 1000,
          maxUses: 1,
        })],
      ["findInvite", () => store.findInvite("c")],
      ["useInvite", () => store.useInvite("c", Date.now())],
      ["revokeInvite", () => store.revokeInvite("c")],
      ["listInvites", () => store.listInvites("general", Date.now())],
      ["saveUpload", () =>
        store.saveUpload({
          id: "u".repeat(32),
          hash: "ab".repeat(32),
          name: "a.png",
          size: 1,
          type: "image/png",
          uploader: "alice",
          createdAt: 1,
        })],
      ["uploadedBytes", () => store.uploadedBytes("alice")],
      ["findUpload", () => store.findUpload("u".repeat(32))],
      ["deleteUpload", () => store.deleteUpload("u".repeat(32))],
      ["uploadStreams", () => store.uploadStreams("u".repeat(32))],
      ["uploadCarried", () => store.uploadCarried("u".repeat(32))],
      ["sweepUploads", () => store.sweepUploads(0)],
      ["hashInUse", () => store.hashInUse("ab".repeat(32))],
      ["listUploads", () => store.listUploads("", 10)],
      ["recordFileDeletions", () => store.recordFileDeletions(["ab"])],
      ["pendingFileDeletions", () => store.pendingFileDeletions("", 10)],
      ["claimFileDeletion", () => store.claimFileDeletion("ab".repeat(32))],
      ["secret", () => store.secret("files")],
      ["updateRoom", () => store.updateRoom("general", { owner: null })],
      ["setRoomTopic", () => store.setRoomTopic("general", "t")],
      ["setRoomArchived", () => store.setRoomArchived("general", false)],
      ["setRoomPosting", () => store.setRoomPosting("general", "everyone")],
      ["listBans", () => store.listBans(Date.now(), 10)],
      ["listAccounts", () => store.listAccounts({ limit: 10 })],
      [
        "findPeople",
        () => store.findPeople({ prefix: "a", viewerKey: "alice", limit: 10 }),
      ],
      ["deleteAccount", () => store.deleteAccount("dave", "keep")],
      ["setPasswordHash", () => store.setPasswordHash("dave", "h")],
      [
        "createPasswordReset",
        () =>
          store.createPasswordReset("r", {
            userKey: "dave",
            expiresAt: Date.now(),
          }),
      ],
      ["takePasswordReset", () => store.takePasswordReset("r", Date.now())],
      ["addAuditEntry", () =>
        store.addAuditEntry({
          at: 1,
          by: "root",
          action: "kick",
          address: "::1",
        })],
      ["auditLog", () => store.auditLog({ limit: 10 })],
      ["createApiToken", () =>
        store.createApiToken({
          id: "t",
          userKey: "dave",
          name: "t",
          tokenHash: "h",
          createdAt: 1,
        })],
      ["listApiTokens", () => store.listApiTokens("dave")],
      ["findApiToken", () => store.findApiToken("h")],
      ["deleteApiToken", () => store.deleteApiToken("dave", "t")],
      ["listBots", () => store.listBots()],
      ["createHook", () =>
        store.createHook({
          id: "k",
          roomKey: "general",
          name: "k",
          secretHash: "s",
          createdBy: "dave",
          createdAt: 1,
        })],
      ["listHooks", () => store.listHooks("general")],
      ["findHook", () => store.findHook("s")],
      ["findHookById", () => store.findHookById("k")],
      ["deleteHook", () => store.deleteHook("k")],
    ];
    for (const [what, call] of calls) {
      await assert.rejects(call(), StoreUnavailableError, what);
    }
    // Closing twice is harmless.
    await store.close();
  });
  test("webhooks are kept per room, record how deliveries went, and go with their room", async (store) => {
    await store.createRoom("dev", "dev");
    const base = { url: "https://ci.example/hook", createdBy: "alice" };
    assert.equal(
      await store.createWebhook({
        ...base,
        id: "h1",
        roomKey: "dev",
        secret: "s1",
        createdAt: 1000,
      }),
      true,
    );
    await store.createWebhook({
      ...base,
      id: "h2",
      roomKey: "general",
      secret: "s2",
      createdAt: 2000,
    });
    assert.equal(
      await store.createWebhook({
        ...base,
        id: "h3",
        roomKey: "nowhere",
        secret: "s3",
        createdAt: 3000,
      }),
      false,
    );
    assert.deepEqual(await store.findWebhook("h1"), {
      ...base,
      id: "h1",
      roomKey: "dev",
      secret: "s1",
      createdAt: 1000,
      failures: 0,
    });
    assert.deepEqual((await store.listWebhooks()).map((h) => h.id), [
      "h1",
      "h2",
    ]);
    assert.deepEqual((await store.listWebhooks("general")).map((h) => h.id), [
      "h2",
    ]);
    await store.recordWebhookOutcome("h1", {
      at: 5000,
      ok: false,
      status: 500,
      error: "HTTP 500",
    });
    await store.recordWebhookOutcome("h1", {
      at: 6000,
      ok: false,
      error: "timed out",
    });
    const failing = await store.findWebhook("h1");
    assert.equal(failing?.failures, 2);
    assert.equal(failing?.lastError, "timed out");
    assert.equal(failing?.lastStatus, undefined);
    assert.equal(failing?.lastFailureAt, 6000);
    await store.recordWebhookOutcome("h1", { at: 7000, ok: true });
    const healed = await store.findWebhook("h1");
    assert.equal(healed?.failures, 0);
    assert.equal(healed?.lastSuccessAt, 7000);
    assert.equal(await store.deleteWebhook("h2"), true);
    assert.equal(await store.deleteWebhook("h2"), false);
    await store.deleteRoom("dev");
    assert.equal(await store.findWebhook("h1"), undefined);
    assert.deepEqual(await store.listWebhooks(), []);
  });

  test("a bot's private-message webhooks are kept per account, record how deliveries went, and go with the account", async (store) => {
    for (const name of ["echo", "lint"]) {
      await store.createAccount({
        key: name,
        username: name,
        passwordHash: "",
        role: "user",
        bot: true,
      });
    }
    const base = { url: "https://bot.example/dm", createdBy: "root" };
    const made = (id: string, userKey: string, createdAt: number) =>
      store.createPrivateWebhook({
        ...base,
        id,
        userKey,
        secret: `s-${id}`,
        createdAt,
      });
    assert.equal(await made("p1", "echo", 1000), true);
    assert.equal(await made("p2", "lint", 2000), true);
    assert.equal(await made("p3", "nobody", 3000), false);
    assert.deepEqual(await store.findPrivateWebhook("p1"), {
      ...base,
      id: "p1",
      userKey: "echo",
      secret: "s-p1",
      createdAt: 1000,
      failures: 0,
    });
    // Not a room's hook, and a room's hook is not one of these.
    assert.equal(await store.findWebhook("p1"), undefined);
    assert.deepEqual(
      (await store.listPrivateWebhooks()).map((h) => h.id),
      ["p1", "p2"],
    );
    assert.deepEqual(
      (await store.listPrivateWebhooks("lint")).map((h) => h.id),
      ["p2"],
    );
    await store.recordWebhookOutcome("p1", {
      at: 5000,
      ok: false,
      status: 503,
      error: "HTTP 503",
    });
    const failing = await store.findPrivateWebhook("p1");
    assert.equal(failing?.failures, 1);
    assert.equal(failing?.lastStatus, 503);
    assert.equal(failing?.lastFailureAt, 5000);
    await store.recordWebhookOutcome("p1", { at: 6000, ok: true });
    const healed = await store.findPrivateWebhook("p1");
    assert.equal(healed?.failures, 0);
    assert.equal(healed?.lastSuccessAt, 6000);
    assert.equal(await store.deletePrivateWebhook("p2"), true);
    assert.equal(await store.deletePrivateWebhook("p2"), false);
    assert.ok(await store.deleteAccount("echo", "keep"));
    assert.equal(await store.findPrivateWebhook("p1"), undefined);
    assert.deepEqual(await store.listPrivateWebhooks(), []);
  });

  test("push subscriptions belong to one account per endpoint and are removed", async (store) => {
    for (const name of ["alice", "bob"]) {
      await store.createAccount({
        key: name,
        username: name,
        passwordHash: "x",
        role: "user",
      });
    }
    const sub = {
      endpoint: "https://push.example/1",
      userKey: "alice",
      p256dh: "key",
      auth: "auth",
      createdAt: 1000,
    };
    await store.savePushSubscription(sub);
    await store.savePushSubscription({
      ...sub,
      endpoint: "https://push.example/2",
      createdAt: 2000,
    });
    assert.deepEqual(
      (await store.pushSubscriptions("alice")).map((s) => s.endpoint),
      ["https://push.example/1", "https://push.example/2"],
    );
    assert.deepEqual((await store.pushSubscriptions("alice"))[0], sub);
    // The same browser, now signed in as bob.
    await store.savePushSubscription({ ...sub, userKey: "bob", auth: "new" });
    assert.deepEqual(
      (await store.pushSubscriptions("alice")).map((s) => s.endpoint),
      ["https://push.example/2"],
    );
    assert.equal((await store.pushSubscriptions("bob"))[0].auth, "new");
    assert.equal(
      await store.deletePushSubscription("https://push.example/1", "alice"),
      false,
    );
    assert.equal(
      await store.deletePushSubscription("https://push.example/1", "bob"),
      true,
    );
    assert.equal(
      await store.deletePushSubscription("https://push.example/2"),
      true,
    );
    assert.deepEqual(await store.pushSubscriptions("alice"), []);
  });

  test("plainHttpPushEndpoints lists every account's plain http endpoints, in any case, and no https one", async (store) => {
    for (const name of ["alice", "bob"]) {
      await store.createAccount({
        key: name,
        username: name,
        passwordHash: "x",
        role: "user",
      });
    }
    const endpoints = [
      ["alice", "http://8.8.8.8/push/a"],
      ["bob", "HTTP://push.example/b"],
      ["bob", "https://push.example/c"],
      ["alice", "https://http.example/d"],
    ];
    for (const [userKey, endpoint] of endpoints) {
      await store.savePushSubscription({
        endpoint,
        userKey,
        p256dh: "key",
        auth: "auth",
        createdAt: 1000,
      });
    }
    assert.deepEqual(await store.plainHttpPushEndpoints(), [
      "HTTP://push.example/b",
      "http://8.8.8.8/push/a",
    ]);
    await store.deletePushSubscription("http://8.8.8.8/push/a");
    await store.deletePushSubscription("HTTP://push.example/b");
    assert.deepEqual(await store.plainHttpPushEndpoints(), []);
  });

  test("a push subscription goes with the session or token that made it: logout, a password change, revocation", async (store) => {
    await store.createAccount({
      key: "alice",
      username: "alice",
      passwordHash: "x",
      role: "user",
    });
    const later = Date.now() + 3_600_000;
    for (const hash of ["s-out", "s-kept", "s-other"]) {
      await store.createSession(hash, { userKey: "alice", expiresAt: later });
    }
    await store.createApiToken({
      id: "t1",
      userKey: "alice",
      name: "leaked",
      tokenHash: "t-hash",
      createdAt: 1000,
    });
    const sub = { userKey: "alice", p256dh: "key", auth: "auth" };
    const made = [
      { endpoint: "https://push.example/out", session: "s-out" },
      { endpoint: "https://push.example/kept", session: "s-kept" },
      { endpoint: "https://push.example/other", session: "s-other" },
      { endpoint: "https://push.example/token", apiToken: "t-hash" },
    ];
    for (const [i, one] of made.entries()) {
      await store.savePushSubscription({ ...sub, ...one, createdAt: i });
    }
    const endpoints = async () =>
      (await store.pushSubscriptions("alice")).map((s) =>
        s.endpoint.slice("https://push.example/".length)
      );
    assert.deepEqual(
      (await store.pushSubscriptions("alice"))[3].apiToken,
      "t-hash",
    );
    await store.deleteSession("s-out");
    assert.deepEqual(await endpoints(), ["kept", "other", "token"]);
    await store.deleteSessionsOf("alice", "s-kept");
    assert.deepEqual(await endpoints(), ["kept", "token"]);
    assert.equal(await store.deleteApiToken("alice", "t1"), true);
    assert.deepEqual(await endpoints(), ["kept"]);
    // One whose credential ended meanwhile (a logout racing it) is not kept.
    assert.equal(
      await store.savePushSubscription({
        ...sub,
        endpoint: "https://push.example/late",
        session: "s-out",
        createdAt: 9,
      }),
      false,
    );
    assert.deepEqual(await endpoints(), ["kept"]);
    // Expiry deletes sessions the same way (as new ones come).
    await store.deleteSession("s-kept");
    assert.deepEqual(await endpoints(), []);
  });

  test(
    "a secret given by the caller is kept the first time and read the same after a reopen",
    async (store, reopen) => {
      assert.equal(await store.secret("vapid", "pair-1"), "pair-1");
      assert.equal(await store.secret("vapid", "pair-2"), "pair-1");
      const again = await reopen();
      assert.equal(await again.secret("vapid", "pair-3"), "pair-1");
    },
  );
}
