/**
 * The contract every Store implementation keeps, member by member: rooms
 * and their messages, edits and deletes, private conversations, accounts,
 * sessions, bans, files, memberships and invites, and the store's own life
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
import { files } from "./store_contract/files.ts";
import { messageRecords } from "./store_contract/messages.ts";
import { privateMessages } from "./store_contract/private.ts";
import { roomDeletion, roomsAndMessages } from "./store_contract/rooms.ts";
import { teamChat } from "./store_contract/team.ts";
import {
  account,
  BAN,
  dm,
  draft,
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
}

/** Registers the store contract tests for one implementation. */
export function storeContract(
  name: string,
  makeStore: () => Promise<StoreFixture>,
): void {
  function test(
    title: string,
    body: (store: Store, reopen: () => Promise<Store>) => Promise<void>,
  ): void {
    Deno.test(`${name}: ${title}`, async () => {
      const fixture = await makeStore();
      const opened: Store[] = [];
      try {
        opened.push(await fixture.open());
        await body(opened[0], async () => {
          await opened.at(-1)!.close();
          const store = await fixture.open();
          opened.push(store);
          return store;
        });
      } finally {
        for (const store of opened) await store.close();
        await fixture.dispose();
      }
    });
  }

  roomsAndMessages(test);
  roomDeletion(test);
  messageRecords(test);
  privateMessages(test);
  accounts(test);
  sessions(test);
  bans(test);
  files(test);
  teamChat(test);
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
      ["memberships", () => store.memberships("bob")],
      ["markRead", () => store.markRead("bob", "general", 1)],
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
      ["findUpload", () => store.findUpload("u".repeat(32))],
      ["deleteUpload", () => store.deleteUpload("u".repeat(32))],
      ["uploadStreams", () => store.uploadStreams("u".repeat(32))],
      ["sweepUploads", () => store.sweepUploads(0)],
      ["hashInUse", () => store.hashInUse("ab".repeat(32))],
      ["secret", () => store.secret("files")],
    ];
    for (const [what, call] of calls) {
      await assert.rejects(call(), StoreUnavailableError, what);
    }
    // Closing twice is harmless.
    await store.close();
  });
}
