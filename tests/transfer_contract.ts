/**
 * The contract every export source and import target keeps
 * (server/transfer/mod.ts): a snapshot reads the store at one moment while
 * a server keeps writing, pages walk a table once in its order whatever
 * their size, a transaction changes all or nothing, a refused row is named
 * by its index, `inUse` and `check` say what an import would mix with or
 * leave inconsistent, and what one source exports its target imports back
 * as it was. Each implementation's test file calls {@link transferContract}
 * with a way to open its store, source and target on fresh storage; moving
 * from one store to the other is tested in tests/transfer_test.ts.
 */
import assert from "node:assert/strict";
import { MAX_KEPT_EDITS } from "../server/protocol/limits.ts";
import { conversationKey, type Store } from "../server/store/mod.ts";
import { exportStore } from "../server/transfer/export.ts";
import { type Row, TABLES, type TableSpec } from "../server/transfer/format.ts";
import { importStore } from "../server/transfer/import.ts";
import {
  type ExportSource,
  type ImportTarget,
  RowError,
  type TableReader,
  type TableWriter,
} from "../server/transfer/mod.ts";
import {
  account,
  append,
  BAN,
  dm,
  draft,
  UPLOAD,
} from "./store_contract/support.ts";

/** How the contract opens one implementation on fresh storage. */
export interface TransferFixture {
  /**
   * Opens the server's store on the storage, which a first start has
   * already opened: the permanent room `general` (key and name "general")
   * and nothing else. A test may keep it open beside a source or target.
   */
  store(): Promise<Store>;
  /** Opens an export source on the storage. */
  source(): Promise<ExportSource>;
  /** Opens an import target on the storage. */
  target(): Promise<ImportTarget>;
  /** Removes the storage; called once per test, after every one closed. */
  dispose(): Promise<void>;
}

/** What a test opens on one storage; all of it is closed after the test. */
export interface TransferStorage {
  store(): Promise<Store>;
  source(): Promise<ExportSource>;
  target(): Promise<ImportTarget>;
}

/** Registers the export and import contract tests for one implementation. */
export function transferContract(
  name: string,
  makeFixture: () => Promise<TransferFixture>,
): void {
  function test(
    title: string,
    body: (
      storage: TransferStorage,
      fresh: () => Promise<TransferStorage>,
    ) => Promise<void>,
  ): void {
    Deno.test(`${name}: ${title}`, async () => {
      // Undone last to first, pass or fail: each storage outlives what
      // was opened on it.
      await using cleanup = new AsyncDisposableStack();
      const track = async <T extends { close(): Promise<void> }>(
        opening: Promise<T>,
      ): Promise<T> => {
        const it = await opening;
        cleanup.defer(() => it.close());
        return it;
      };
      const fresh = async (): Promise<TransferStorage> => {
        const fixture = await makeFixture();
        cleanup.defer(() => fixture.dispose());
        return {
          store: () => track(fixture.store()),
          source: () => track(fixture.source()),
          target: () => track(fixture.target()),
        };
      };
      await body(await fresh(), fresh);
    });
  }

  test("a snapshot reads the store as it was at its first read; the next snapshot has what was appended meanwhile", async (storage) => {
    const store = await storage.store();
    const source = await storage.source();
    for (const text of ["one", "two"]) {
      await store.appendMessage(draft("general", text));
    }
    await source.snapshot(async (reader) => {
      assert.equal(await reader.count(spec("messages")), 2);
      // A server goes on writing while the export reads.
      await store.appendMessage(draft("general", "three"));
      await store.createAccount(account("bob"));
      await store.createRoom("kitchen", "kitchen");
      assert.equal(await reader.count(spec("messages")), 2);
      assert.deepEqual(texts(await walk(reader, "messages", 1)), [
        "one",
        "two",
      ]);
      assert.equal(await reader.count(spec("accounts")), 0);
      assert.deepEqual(await walk(reader, "accounts", 10), []);
      assert.deepEqual(keys(await walk(reader, "rooms", 10)), ["general"]);
      assert.deepEqual(await walk(reader, "streams", 10), [
        { key: "general", last_seq: 2 },
      ]);
    });
    await source.snapshot(async (reader) => {
      assert.equal(await reader.count(spec("messages")), 3);
      assert.deepEqual(texts(await walk(reader, "messages", 1)), [
        "one",
        "two",
        "three",
      ]);
      assert.deepEqual(keys(await walk(reader, "accounts", 10)), ["bob"]);
      assert.deepEqual(keys(await walk(reader, "rooms", 10)), [
        "general",
        "kitchen",
      ]);
    });
  });

  test("pages walk a table in key order, each row once, whatever the page size, and the last page's cursor leads to an empty page", async (storage) => {
    const store = await storage.store();
    for (const key of ["amy", "bob"]) {
      await store.createAccount(account(key));
    }
    await store.createRoom("kitchen", "kitchen");
    await store.createRoom("attic", "attic");
    // Appended round the rooms, so the order they came in is not the key's.
    for (let i = 1; i <= 3; i++) {
      for (const room of ["kitchen", "general", "attic"]) {
        await store.appendMessage(draft(room, `${room} ${i}`));
      }
    }
    for (const [user, room] of [["bob", "kitchen"], ["amy", "attic"]]) {
      await store.addMember(user, room);
    }
    await store.addMember("bob", "attic");
    await store.addMember("amy", "kitchen");
    const source = await storage.source();
    await source.snapshot(async (reader) => {
      const everything = await walk(reader, "messages", 1000);
      assert.deepEqual(
        everything.map((row) => [row.stream, row.seq]),
        ["attic", "general", "kitchen"].flatMap((stream) =>
          [1, 2, 3].map((seq) => [stream, seq])
        ),
      );
      for (const limit of [1, 2, 4, 1000]) {
        const pages = await pagesOf(reader, spec("messages"), limit);
        assert.deepEqual(pages.flat(), everything, `pages of ${limit}`);
      }
      // A key of two text columns (general's rows are the accounts' own,
      // from their creation).
      for (const limit of [1, 3, 1000]) {
        assert.deepEqual(
          (await walk(reader, "memberships", limit)).map((row) => [
            row.user_key,
            row.room_key,
          ]),
          ["amy", "bob"].flatMap((user) =>
            ["attic", "general", "kitchen"].map((room) => [user, room])
          ),
        );
      }
    });
  });

  test("rooms page in the order they were created and reactions in the order they came, not by key", async (storage) => {
    const store = await storage.store();
    await store.createRoom("zebra", "zebra");
    await store.createRoom("apple", "apple");
    const { message } = await store.appendMessage(draft("general", "hi"));
    for (const user of ["zed", "amy", "kim"]) {
      await store.react({
        id: message.id,
        userKey: user,
        user,
        emoji: "👍",
        on: true,
      });
    }
    const source = await storage.source();
    await source.snapshot(async (reader) => {
      for (const limit of [1, 2, 1000]) {
        assert.deepEqual(keys(await walk(reader, "rooms", limit)), [
          "general",
          "zebra",
          "apple",
        ]);
        assert.deepEqual(
          (await walk(reader, "reactions", limit)).map((row) => row.user_key),
          ["zed", "amy", "kim"],
        );
      }
    });
  });

  test("count matches the rows the pages give, in every table", async (storage) => {
    await populate(await storage.store());
    const source = await storage.source();
    await source.snapshot(async (reader) => {
      for (const table of TABLES) {
        const count = await reader.count(table);
        assert.ok(count > 0, `${table.table} holds rows`);
        assert.equal(
          (await walk(reader, table.table, 3)).length,
          count,
          table.table,
        );
      }
    });
  });

  test("inUse is undefined on a store as a first start leaves it, its rooms without messages counting as empty", async (storage) => {
    const store = await storage.store();
    await store.createRoom("kitchen", "kitchen");
    const source = await storage.source();
    await source.snapshot(async (reader) => {
      assert.equal(await reader.count(spec("rooms")), 2);
      assert.equal(await reader.count(spec("streams")), 2);
    });
    const target = await storage.target();
    assert.equal(await inUse(target), undefined);
  });

  test(
    "inUse names what a store with accounts or with messages holds",
    async (storage, fresh) => {
      await (await storage.store()).createAccount(account("amy"));
      assert.match((await inUse(await storage.target()))!, /accounts/);
      const other = await fresh();
      await (await other.store()).appendMessage(draft("general", "hi"));
      assert.match((await inUse(await other.target()))!, /messages/);
    },
  );

  test("a transaction commits when its work resolves, and one whose work throws changes nothing", async (storage) => {
    const target = await storage.target();
    const failure = new Error("the import failed half-way");
    await assert.rejects(
      target.transaction(async (writer) => {
        await writer.clear();
        await writer.insert(spec("accounts"), [accountRow("amy")]);
        assert.match((await writer.inUse())!, /accounts/);
        throw failure;
      }),
      (error) => error === failure,
    );
    const source = await storage.source();
    await source.snapshot(async (reader) => {
      assert.deepEqual(await walk(reader, "accounts", 10), []);
      assert.deepEqual(keys(await walk(reader, "rooms", 10)), ["general"]);
    });
    await target.transaction(async (writer) => {
      await writer.insert(spec("accounts"), [accountRow("bob")]);
    });
    await source.snapshot(async (reader) => {
      assert.deepEqual(await walk(reader, "accounts", 10), [
        accountRow("bob"),
      ]);
    });
    const store = await storage.store();
    assert.equal(await store.findAccount("amy"), undefined);
    assert.equal((await store.findAccount("bob"))?.username, "BOB");
  });

  test("a refused row throws RowError with its index in the batch, and the transaction changes nothing", async (storage) => {
    const target = await storage.target();
    const accounts = spec("accounts");
    const refused = (index: number) => (error: unknown) => {
      assert.ok(error instanceof RowError, String(error));
      assert.equal(error.index, index);
      return true;
    };
    // A duplicate key inside one batch, the key of a row an earlier batch
    // inserted, and a batch of one: each refused at its index in its batch.
    const cases = [
      { batches: [["amy", "bob", "amy", "cy"]], index: 2 },
      { batches: [["amy"], ["bob", "cy", "amy", "dan"]], index: 2 },
      { batches: [["amy"], ["amy"]], index: 0 },
    ];
    for (const { batches, index } of cases) {
      await assert.rejects(
        target.transaction(async (writer) => {
          for (const keys of batches) {
            await writer.insert(accounts, keys.map((key) => accountRow(key)));
          }
        }),
        refused(index),
      );
    }
    const source = await storage.source();
    await source.snapshot(async (reader) => {
      assert.equal(await reader.count(accounts), 0);
    });
  });

  test("check reports a message beyond its stream's last seq and a room without a stream line, and nothing when consistent", async (storage) => {
    const target = await storage.target();
    const rolledBack = new Error("rolled back");
    await assert.rejects(
      target.transaction(async (writer) => {
        await writer.clear();
        await writer.insert(spec("rooms"), [roomRow("general")]);
        await writer.insert(spec("streams"), [
          { key: "general", last_seq: 2 },
        ]);
        await writer.insert(spec("messages"), [messageRow(1), messageRow(2)]);
        assert.equal(await writer.check(), undefined);
        await writer.insert(spec("messages"), [messageRow(3)]);
        assert.match(
          (await writer.check())!,
          /^message m3 has seq 3 beyond its stream general \(last_seq 2\)$/,
        );
        throw rolledBack;
      }),
      (error) => error === rolledBack,
    );
    await assert.rejects(
      target.transaction(async (writer) => {
        await writer.clear();
        await writer.insert(spec("rooms"), [roomRow("general")]);
        assert.equal(await writer.check(), "room general has no stream line");
        throw rolledBack;
      }),
      (error) => error === rolledBack,
    );
    // As a first start left it.
    await target.transaction(async (writer) => {
      assert.equal(await writer.check(), undefined);
    });
  });

  test(
    "what the source exports, the target of a fresh store imports, and the lines read back are the same",
    async (storage, fresh) => {
      await populate(await storage.store());
      const lines = await exportLines(await storage.source());
      const kinds = new Set(lines.map((line) => JSON.parse(line).kind));
      for (const table of TABLES) {
        assert.ok(kinds.has(table.kind), `${table.kind} lines`);
      }
      assert.ok(kinds.has("private_message"));
      const copy = await fresh();
      await importStore(each(lines), await copy.target());
      const again = await exportLines(await copy.source());
      // The header holds the time of the export.
      assert.deepEqual(again.slice(1), lines.slice(1));
      // A column of accounts, not a table: said here, not by a kind.
      assert.equal(
        await (await copy.store()).doNotDisturb("bob"),
        PAUSED_UNTIL,
      );
      assert.deepEqual(await (await copy.store()).statuses(["bob"]), [
        { userKey: "bob", ...BOB_STATUS },
      ]);
      assert.deepEqual(await (await copy.store()).profile("bob"), BOB_PROFILE);
      assert.deepEqual(await (await copy.store()).profile("alice"), {
        title: null,
        timezone: "",
      });
      assert.deepEqual(await (await copy.store()).emailOf("bob"), {
        address: "bob@example.org",
        verified: true,
      });
      // Never chosen: carried as such, not as English.
      assert.deepEqual(await (await copy.store()).missedMailSetting("bob"), {
        enabled: false,
        language: null,
      });
      assert.deepEqual(
        await (await copy.store()).missedMailSetting("alice"),
        { enabled: true, language: "fr" },
      );
      assert.deepEqual(
        await (await copy.store()).verifyEmail("alice-link", Date.now()),
        { userKey: "alice", address: "alice@example.org" },
      );
      // An imported account keeps its 2FA, and a code used stays used.
      assert.deepEqual(await (await copy.store()).totpOf("alice"), {
        secret: "ALICESECRETALICESECRETALICESECRE",
        pendingSecret: null,
        lastStep: 56_000_000,
        recoveryCodes: 1,
      });
    },
  );

  test(
    "after an import, each uploader's bytes of files are what they were before, and its quota counts them",
    async (storage, fresh) => {
      const store = await storage.store();
      await populate(store);
      await store.saveUpload({ ...UPLOAD, id: "1f".repeat(16) });
      await store.saveUpload({
        ...UPLOAD,
        id: "2f".repeat(16),
        uploader: "bob",
      });
      const before = {
        alice: await store.uploadedBytes("alice"),
        bob: await store.uploadedBytes("bob"),
      };
      // Bob's profile picture (populate's) counts as an upload.
      assert.deepEqual(before, {
        alice: 2 * UPLOAD.size,
        bob: 2 * UPLOAD.size,
      });
      const lines = await exportLines(await storage.source());
      const copy = await fresh();
      await importStore(each(lines), await copy.target());
      const imported = await copy.store();
      assert.deepEqual({
        alice: await imported.uploadedBytes("alice"),
        bob: await imported.uploadedBytes("bob"),
      }, before);
      const third = { ...UPLOAD, id: "3f".repeat(16) };
      const quotaBytes = 3 * UPLOAD.size - 1;
      assert.equal(await imported.saveUpload(third, { quotaBytes }), false);
      assert.equal(
        await imported.saveUpload(third, { quotaBytes: quotaBytes + 1 }),
        true,
      );
    },
  );

  test(
    "after an import, a room made again under an imported room's name is later than every imported room, one made ahead of the clock too",
    async (storage, fresh) => {
      const store = await storage.store();
      // Made a day ahead of this clock (another machine's, or a clock set
      // back since), where the store runs in this thread.
      const now = Date.now;
      const ahead = now() + 86_400_000;
      Date.now = () => ahead;
      let made;
      try {
        made = await store.createRoom("dev", "dev");
      } finally {
        Date.now = now;
      }
      assert.ok(made);
      const lines = await exportLines(await storage.source());
      const copy = await fresh();
      await importStore(each(lines), await copy.target());
      const imported = await copy.store();
      assert.ok(await imported.deleteRoom("dev"));
      const again = await imported.createRoom("dev", "dev");
      assert.ok(again);
      assert.ok(again.createdAt > made.createdAt, `${again.createdAt}`);
    },
  );

  test(
    "after an import, the store goes on from the imported seqs and audit ids, and lists each account's conversations as before",
    async (storage, fresh) => {
      const store = await storage.store();
      await populate(store);
      const history = await store.history("general", { limit: 100 });
      const audit = await store.auditLog({ limit: 100 });
      // Not a table of the export: its rows come back with the messages.
      const conversations = await store.listConversations("alice", {
        since: 0,
        limit: 10,
      });
      assert.deepEqual(conversations.map((c) => c.withKey), ["carol", "bob"]);
      const lines = await exportLines(await storage.source());
      const copy = await fresh();
      await importStore(each(lines), await copy.target());
      const imported = await copy.store();
      assert.deepEqual(
        await imported.history("general", { limit: 100 }),
        history,
      );
      assert.deepEqual(await imported.auditLog({ limit: 100 }), audit);
      assert.deepEqual(
        await imported.listConversations("alice", { since: 0, limit: 10 }),
        conversations,
      );
      const next = await imported.appendMessage(draft("general", "next"));
      assert.equal(next.message.seq, history.at(-1)!.seq + 1);
      const entry = await imported.addAuditEntry({
        at: 3000,
        by: "root",
        action: "delete_room",
        room: "kitchen",
        address: "10.0.0.1",
      });
      assert.equal(entry.id, Math.max(...audit.map((a) => a.id)) + 1);
    },
  );

  test(
    "an import keeps a message's edit history in its order, drops a deleted message's, as a delete does, and refuses an edit line naming no message at its line",
    async (storage, fresh) => {
      const store = await storage.store();
      const [kept, gone] = await append(store, "general", ["one", "said"]);
      for (const text of ["two", "three"]) {
        await store.updateMessage(kept.id, { text });
      }
      await store.updateMessage(gone.id, { deleted: true });
      const lines = await exportLines(await storage.source());
      const edit = (id: string, text: string) =>
        JSON.stringify({ kind: "message_edit", message_id: id, text, ts: 1 });
      const at = lines.findIndex((l) => JSON.parse(l).kind === "message_edit");
      const withEdits = (extra: string) => {
        return lines.map((l) => {
          const row = JSON.parse(l);
          if (row.kind !== "end") return l;
          row.counts.message_edit++;
          return JSON.stringify(row);
        }).toSpliced(at, 0, extra);
      };
      const copy = await fresh();
      await importStore(
        each(withEdits(edit(gone.id, "what an edit hid"))),
        await copy.target(),
      );
      const imported = await copy.store();
      assert.deepEqual(
        (await imported.listEdits(kept.id)).map((e) => e.text),
        ["one", "two"],
      );
      assert.deepEqual(await imported.listEdits(gone.id), []);
      await assert.rejects(
        importStore(
          each(withEdits(edit("01J00000000000000000000000", "x"))),
          await (await fresh()).target(),
        ),
        (error: Error) => {
          assert.match(error.message, new RegExp(`^line ${at + 1}: `));
          return true;
        },
      );
    },
  );

  test(
    "an import refuses at its line an edit of a message never edited, keeps a message's newest 50 edits, and moves an edit's time within its message's span and after the edits before it, saying so; 50 in order import as they were",
    async (storage, fresh) => {
      const store = await storage.store();
      const [edited, plain] = await append(store, "general", ["one", "plain"]);
      await store.updateMessage(edited.id, { text: "two" });
      const exported = await exportLines(await storage.source());
      const at = exported.findIndex((l) =>
        JSON.parse(l).kind === "message_edit"
      );
      // The edited message sent at t, its last edit 100 ms later.
      let t = 0;
      const lines = exported.filter((l) =>
        JSON.parse(l).kind !== "message_edit"
      ).map((l) => {
        const row = JSON.parse(l);
        if (row.id === edited.id) {
          t = row.ts;
          row.edited_at = t + 100;
        }
        return JSON.stringify(row);
      });
      const plainTs = Date.parse(plain.ts);
      const withEdits = (edits: { id: string; ts: number }[]) =>
        lines.map((l) => {
          const row = JSON.parse(l);
          if (row.kind !== "end") return l;
          row.counts.message_edit = edits.length;
          return JSON.stringify(row);
        }).toSpliced(
          at,
          0,
          ...edits.map(({ id, ts }, i) =>
            JSON.stringify({
              kind: "message_edit",
              message_id: id,
              text: `text ${i}`,
              ts,
            })
          ),
        );
      const times = (n: number) =>
        Array.from({ length: n }, (_, i) => ({ id: edited.id, ts: t + i }));
      const imported = async (edits: { id: string; ts: number }[]) => {
        const copy = await fresh();
        const said: string[] = [];
        await importStore(each(withEdits(edits)), await copy.target(), {
          progress: (line) => said.push(line),
        });
        const kept = await (await copy.store()).listEdits(edited.id);
        return { kept, warned: said.filter((l) => l.startsWith("warning")) };
      };

      // An edit of a message never edited: no edit leaves one.
      await assert.rejects(
        importStore(
          each(withEdits([...times(1), { id: plain.id, ts: plainTs }])),
          await (await fresh()).target(),
        ),
        (error: Error) => {
          assert.match(error.message, new RegExp(`^line ${at + 2}: `));
          assert.match(error.message, /never edited/);
          return true;
        },
      );

      // 50 in order: as they were, without a word.
      const honest = await imported(times(MAX_KEPT_EDITS));
      assert.deepEqual(
        honest.kept.map((e) => e.ts),
        times(MAX_KEPT_EDITS).map((e) => e.ts),
      );
      assert.deepEqual(honest.warned, []);

      // One more: the oldest goes, as the next edit would drop it.
      const past = await imported(times(MAX_KEPT_EDITS + 1));
      assert.equal(past.kept.length, MAX_KEPT_EDITS);
      assert.equal(past.kept[0].text, "text 1");
      assert.match(past.warned.join("\n"), /1 edits of messages past/);

      // Times before the message's, before the edit's above, after the
      // last edit: within the message's span, in order.
      const skewed = await imported(
        [t - 1, t + 2, t + 1, t + 101].map((ts) => ({ id: edited.id, ts })),
      );
      assert.deepEqual(skewed.kept.map((e) => e.ts), [
        t,
        t + 2,
        t + 2,
        t + 100,
      ]);
      assert.match(skewed.warned.join("\n"), /3 edits said a time/);
    },
  );

  test(
    "an import sums each message's reactions up from its reaction lines, as the store does: a summary saying otherwise is made again, one without lines cleared (each message's version one more), a deleted message's reactions dropped, an honest message kept as it was",
    async (storage, fresh) => {
      const store = await storage.store();
      const sent: Record<string, string> = {};
      for (const text of ["told", "honest", "plain", "gone"]) {
        sent[text] = (await store.appendMessage(draft("general", text)))
          .message.id;
      }
      const reactions = [
        ["told", "zed", "👍"],
        ["told", "amy", "👍"],
        ["told", "kim", "🎉"],
        ["honest", "amy", "👍"],
        ["gone", "amy", "👍"],
      ];
      for (const [text, user, emoji] of reactions) {
        await store.react({
          id: sent[text],
          userKey: user,
          user,
          emoji,
          on: true,
        });
      }
      await store.updateMessage(sent.gone, { deleted: true });
      const lines = await exportLines(await storage.source());
      const line = (all: string[], text: string) =>
        all.map((l) => JSON.parse(l)).find((row) =>
          row.kind === "message" && row.id === sent[text]
        );
      const before = Object.fromEntries(
        Object.keys(sent).map((text) => [text, line(lines, text)]),
      );
      const told = [
        { count: 2, emoji: "👍", users: ["zed", "amy"] },
        { count: 1, emoji: "🎉", users: ["kim"] },
      ];
      assert.deepEqual(before.told.reactions, told, "the export agrees");
      // A summary that names who never reacted, one on a message with no
      // reaction lines, and a reaction line on a deleted message.
      const crafted = lines.map((l) => {
        const row = JSON.parse(l);
        if (row.id === sent.told) {
          row.reactions = [{ count: 9, emoji: "👍", users: ["mallory"] }];
        } else if (row.id === sent.plain) {
          row.reactions = [{ count: 1, emoji: "🎉", users: ["amy"] }];
        } else if (row.kind === "end") {
          row.counts.reaction++;
        } else return l;
        return JSON.stringify(row);
      });
      const last = crafted.findLastIndex((l) =>
        JSON.parse(l).kind === "reaction"
      );
      crafted.splice(
        last + 1,
        0,
        JSON.stringify({
          kind: "reaction",
          message_id: sent.gone,
          emoji: "👍",
          user_key: "mallory",
          user: "mallory",
        }),
      );
      const copy = await fresh();
      const said: string[] = [];
      await importStore(each(crafted), await copy.target(), {
        progress: (text) => said.push(text),
      });
      assert.ok(
        said.some((text) =>
          text.startsWith("warning: 2 messages' reactions said other")
        ),
        said.join("\n"),
      );
      const again = await exportLines(await copy.source());
      const after = (text: string) => line(again, text);
      assert.deepEqual(after("told"), {
        ...before.told,
        version: before.told.version + 1,
      });
      assert.deepEqual(after("plain"), {
        ...before.plain,
        version: before.plain.version + 1,
      });
      assert.deepEqual(after("honest"), before.honest);
      assert.deepEqual(after("gone"), before.gone);
      assert.ok(
        !again.some((l) => JSON.parse(l).message_id === sent.gone),
        "no reaction of the deleted message",
      );
      const imported = await copy.store();
      const shown = (await imported.history("general", { limit: 10 }))
        .find((m) => m.id === sent.told);
      assert.deepEqual(shown?.reactions, [
        { emoji: "👍", count: 2, users: ["zed", "amy"] },
        { emoji: "🎉", count: 1, users: ["kim"] },
      ]);
      // More different emoji on one message than react ever let in.
      const many = [..."😀😁😂🤣😃😄😅😆😉😊😋😎😍😘🥰😗😙😚🙂🤗"].map((
        emoji,
      ) =>
        JSON.stringify({
          kind: "reaction",
          message_id: sent.honest,
          emoji,
          user_key: "amy",
          user: "amy",
        })
      );
      const tooMany = lines.flatMap((l) => {
        const row = JSON.parse(l);
        if (row.kind === "end") {
          row.counts.reaction += many.length;
          return [JSON.stringify(row)];
        }
        return row.kind === "reaction" && row.message_id === sent.honest
          ? [l, ...many]
          : [l];
      });
      await assert.rejects(
        importStore(each(tooMany), await (await fresh()).target()),
        new RegExp(
          `^ImportError: inconsistent export: message ${sent.honest} has 21 ` +
            "different reactions, where every version took at most 20$",
        ),
      );
    },
  );

  test(
    "after an import, each account's drafts are there as they were, and the cap counts them",
    async (storage, fresh) => {
      const store = await storage.store();
      await populate(store);
      const drafts = {
        alice: await store.listDrafts("alice"),
        bob: await store.listDrafts("bob"),
      };
      assert.deepEqual(drafts.alice.map((d) => d.with), ["Bob"]);
      assert.deepEqual(drafts.bob.map((d) => d.stream), ["team"]);
      const lines = await exportLines(await storage.source());
      const copy = await fresh();
      await importStore(each(lines), await copy.target());
      const imported = await copy.store();
      assert.deepEqual({
        alice: await imported.listDrafts("alice"),
        bob: await imported.listDrafts("bob"),
      }, drafts);
      // One draft held: a cap of one refuses a second, not a change.
      const one = { text: "x", updatedAt: Date.now() };
      assert.equal(
        await imported.setDraft("bob", { ...one, stream: "general" }, 1),
        "too_many",
      );
      assert.equal(
        await imported.setDraft("bob", { ...one, stream: "team" }, 1),
        "written",
      );
    },
  );
  test(
    "after an import, each account's saved messages are there as they were, their reminders too, and the cap counts them",
    async (storage, fresh) => {
      const store = await storage.store();
      await populate(store);
      const saved = await store.listSaved("bob", { limit: 10 });
      assert.equal(saved.length, 2);
      assert.equal(saved.filter((row) => row.remindAt).length, 1);
      const lines = await exportLines(await storage.source());
      const copy = await fresh();
      await importStore(each(lines), await copy.target());
      const imported = await copy.store();
      assert.deepEqual(await imported.listSaved("bob", { limit: 10 }), saved);
      assert.equal(
        await imported.saveMessage("bob", "another", Date.now(), 2),
        "full",
      );
    },
  );
  test(
    "after an import, each account's scheduled messages are there as they were, and the cap counts them",
    async (storage, fresh) => {
      const store = await storage.store();
      await populate(store);
      const scheduled = await store.listScheduled("bob");
      assert.equal(scheduled.length, 2);
      const lines = await exportLines(await storage.source());
      const copy = await fresh();
      await importStore(each(lines), await copy.target());
      const imported = await copy.store();
      assert.deepEqual(await imported.listScheduled("bob"), scheduled);
      assert.equal(
        await imported.addScheduled({ ...scheduled[0], id: "another" }, 2),
        "full",
      );
    },
  );
  test(
    "after an import, an account's mentions are listed as they were: each mention row finds its message's id again",
    async (storage, fresh) => {
      const store = await storage.store();
      await populate(store);
      const mentions = await store.listMentions("bob", { limit: 10 });
      assert.equal(mentions.length, 1);
      const lines = await exportLines(await storage.source());
      const copy = await fresh();
      await importStore(each(lines), await copy.target());
      const imported = await copy.store();
      assert.deepEqual(
        await imported.listMentions("bob", { limit: 10 }),
        mentions,
      );
    },
  );
  test(
    "after an import, each account's threads are there as they were, read as far",
    async (storage, fresh) => {
      const store = await storage.store();
      await populate(store);
      const threads = {
        alice: await store.listThreads("alice", { limit: 10 }),
        bob: await store.listThreads("bob", { limit: 10 }),
      };
      assert.equal(threads.bob.length, 1);
      assert.ok(threads.bob[0].lastReadSeq > 0);
      const lines = await exportLines(await storage.source());
      const copy = await fresh();
      await importStore(each(lines), await copy.target());
      const imported = await copy.store();
      assert.deepEqual(
        {
          alice: await imported.listThreads("alice", { limit: 10 }),
          bob: await imported.listThreads("bob", { limit: 10 }),
        },
        threads,
      );
    },
  );
}

function spec(table: string): TableSpec {
  const found = TABLES.find((t) => t.table === table);
  if (!found) throw new Error(`no table ${table}`);
  return found;
}

/**
 * Every page of a table, walked by cursors until an empty page; fails at
 * the first row a page gives again (rather than walking forever).
 */
async function pagesOf(
  reader: TableReader,
  table: TableSpec,
  limit: number,
): Promise<Row[][]> {
  const pages: Row[][] = [];
  const seen = new Set<string>();
  let cursor: unknown[] | undefined;
  while (true) {
    const page = await reader.page(table, cursor, limit);
    assert.ok(page.rows.length <= limit);
    if (page.rows.length === 0) return pages;
    for (const row of page.rows) {
      const key = JSON.stringify(table.key.map((column) => row[column]));
      assert.ok(!seen.has(key), `${table.table} ${key} comes twice`);
      seen.add(key);
    }
    assert.ok(page.cursor !== undefined, "a page with rows has a cursor");
    pages.push(page.rows);
    cursor = page.cursor;
  }
}

async function walk(
  reader: TableReader,
  table: string,
  limit: number,
): Promise<Row[]> {
  return (await pagesOf(reader, spec(table), limit)).flat();
}

function texts(rows: Row[]): unknown[] {
  return rows.map((row) => row.text);
}

function keys(rows: Row[]): unknown[] {
  return rows.map((row) => row.key);
}

async function inUse(target: ImportTarget): Promise<string | undefined> {
  let said: string | undefined;
  await target.transaction(async (writer: TableWriter) => {
    said = await writer.inUse();
  });
  return said;
}

/** A row of a table: the values given, every other column null. */
function rowOf(table: string, values: Row): Row {
  const row: Row = {};
  for (const column of spec(table).columns) {
    // A column added later has what an import stores when a line lacks it.
    const value = values[column.name] ?? column.missing ?? null;
    if (value === null && !column.nullable) {
      throw new Error(`${table}.${column.name} needs a value`);
    }
    row[column.name] = value;
  }
  return row;
}

function accountRow(key: string): Row {
  return rowOf("accounts", {
    key,
    username: key.toUpperCase(),
    password_hash: `hash-${key}`,
    role: "user",
    created_at: 1_700_000_000_000,
    skeleton: key,
    bot: false,
  });
}

function roomRow(key: string): Row {
  return rowOf("rooms", {
    key,
    name: key,
    created_at: 1_700_000_000_000,
    private: false,
  });
}

/** Message `seq` of general, with the id `m<seq>`. */
function messageRow(seq: number): Row {
  return rowOf("messages", {
    stream: "general",
    seq,
    id: `m${seq}`,
    user_key: "alice",
    user: "Alice",
    room: "general",
    text: `message ${seq}`,
    ts: 1_700_000_000_000 + seq,
    sender: "",
    deleted: false,
  });
}

/**
 * The lines of an export with secrets, the header first. Fails past
 * `MAX_LINES` (the stores here hold far fewer rows) rather than forever
 * when a source's pages do not move on.
 */
async function exportLines(source: ExportSource): Promise<string[]> {
  const lines: string[] = [];
  await exportStore(source, (chunk) => {
    lines.push(...chunk.trimEnd().split("\n"));
    if (lines.length > MAX_LINES) {
      return Promise.reject(new Error(`an export of over ${MAX_LINES} lines`));
    }
    return Promise.resolve();
  }, { includeSecrets: true, pageSize: 2 });
  return lines;
}

const MAX_LINES = 1000;

async function* each(lines: string[]): AsyncGenerator<string> {
  yield* lines;
}

/** bob's do not disturb in {@link populate}. */
const PAUSED_UNTIL = 1_700_000_000_000 + 3_600_000;

/** bob's custom status in {@link populate}. */
const BOB_STATUS = {
  text: "On holiday",
  emoji: "🌴",
  until: PAUSED_UNTIL,
};

/** bob's profile card in {@link populate}. */
const BOB_PROFILE = { title: "Night nurse", timezone: "Pacific/Auckland" };

/** Writes a row into every table an export holds, as a server does. */
async function populate(store: Store): Promise<void> {
  const now = 1_700_000_000_000;
  const later = Date.now() + 86_400_000;
  await store.secret("contract", "a secret value");
  for (const key of ["alice", "bob"]) {
    await store.createAccount(account(key));
  }
  await store.createAccount({ ...account("ci"), bot: true });
  await store.createSession("session-hash", {
    userKey: "alice",
    expiresAt: later,
  });
  await store.createApiToken({
    id: "token-1",
    userKey: "ci",
    name: "deploys",
    tokenHash: "token-hash",
    createdAt: now,
  });
  await store.createRoom("Team", "team", { private: true, owner: "alice" });
  await store.updateRoom("team", { retentionDays: 30 });
  await store.setRoomTopic("team", "Plans, the week's");
  await store.createHook({
    id: "hook-1",
    roomKey: "team",
    name: "CI",
    secretHash: "hook-hash",
    createdBy: "alice",
    createdAt: now,
  });
  await store.addMember("bob", "team", 0, "alice");
  await store.ignore("bob", { key: "mallory", name: "Mallory", max: 10 });
  await store.setDraft(
    "bob",
    { stream: "team", text: "see you at ", updatedAt: now },
    200,
  );
  await store.setDraft("alice", {
    stream: conversationKey("alice", "bob"),
    with: "Bob",
    text: "psst, about",
    updatedAt: now + 1,
  }, 200);
  await store.setNotifyLevel(
    "bob",
    { stream: "team", level: "none", updatedAt: now },
    10,
  );
  await store.star("bob", { stream: "team", createdAt: now }, 10);
  await store.star("alice", {
    stream: conversationKey("alice", "bob"),
    with: "Bob",
    createdAt: now + 1,
  }, 10);
  // alice's sidebar: a section with a room and a conversation, an empty one.
  await store.setSections("alice", [
    {
      name: "Work",
      collapsed: false,
      items: [
        { stream: "team" },
        {
          stream: conversationKey("alice", "bob"),
          with: { name: "Bob", key: "bob" },
        },
      ],
    },
    { name: "Later", collapsed: true, items: [] },
  ]);
  await store.setDoNotDisturb("bob", PAUSED_UNTIL);
  await store.setStatus("bob", BOB_STATUS);
  await store.setProfile("bob", BOB_PROFILE);
  // alice cleared her zone: kept as "", apart from never set.
  await store.setProfile("alice", { timezone: "" });
  // bob's address verified; alice's with its link waiting (a secret).
  await store.setEmail("bob", "bob@example.org", {
    tokenHash: "bob-link",
    expiresAt: later,
  });
  await store.verifyEmail("bob-link", now);
  // bob's missed-message mails off, their language never chosen; alice's
  // in French.
  await store.setMissedMail("bob", { enabled: false });
  await store.setMissedMail("alice", { language: "fr" });
  await store.setEmail("alice", "alice@example.org", {
    tokenHash: "alice-link",
    expiresAt: later,
  });
  // After the addresses: a new address ends the account's reset links.
  await store.createPasswordReset("reset-hash", {
    userKey: "bob",
    expiresAt: later,
  });
  // alice's 2FA: her secret, the last step used, a recovery code's hash.
  await store.setPendingTotp("alice", "ALICESECRETALICESECRETALICESECRE");
  await store.enableTotp("alice", {
    secret: "ALICESECRETALICESECRETALICESECRE",
    step: 56_000_000,
    recoveryHashes: ["recovery-hash"],
  });
  await store.createGroup({
    key: "design",
    name: "Design",
    description: "The designers",
    creatorKey: "alice",
    members: ["alice", "bob"],
  }, { maxGroups: 10, maxMembers: 10 });
  await store.createInvite({
    code: "invite-code",
    roomKey: "team",
    createdBy: "alice",
    createdAt: now,
    expiresAt: later,
  });
  await store.addBan({ userKey: "mallory", ...BAN });
  await store.addBan({
    userKey: "eve",
    roomKey: "team",
    ...BAN,
    expiresAt: later,
  });
  const upload = { ...UPLOAD, createdAt: now };
  await store.saveUpload(upload);
  // Bob's profile picture: an upload of its own, named by its row.
  await store.setAvatar("bob", {
    ...UPLOAD,
    id: "ab".repeat(16),
    name: "avatar",
    uploader: "bob",
    createdAt: now,
  });
  // A custom emoji (the bot's: the uploaders' bytes above stay as they
  // are), its upload named by its row, and a reaction of it below.
  await store.addEmoji({
    name: "party_parrot",
    upload: {
      ...UPLOAD,
      id: "cd".repeat(16),
      name: "party_parrot",
      uploader: "ci",
      createdAt: now,
    },
    authorKey: "ci",
    createdAt: now,
  }, { max: 10 });
  const { message: first } = await store.appendMessage(
    draft("general", "a picture for @bob", {
      clientId: "c1",
      attachments: [{
        url: `/files/${upload.id}/photo.png`,
        name: "photo.png",
        size: 1234,
        type: "image/png",
      }],
    }),
  );
  const { message: typo } = await store.appendMessage(
    draft("general", "typo"),
  );
  await store.updateMessage(typo.id, { text: "fixed" });
  const { message: gone } = await store.appendMessage(
    draft("general", "oops"),
  );
  await store.updateMessage(gone.id, { deleted: true });
  const { message: reply } = await store.appendMessage(
    draft("general", "nice", {
      userKey: "bob",
      user: "BOB",
      replyTo: first.id,
    }),
  );
  for (const key of ["bob", "alice"]) {
    await store.react({
      id: reply.id,
      userKey: key,
      user: key.toUpperCase(),
      emoji: "👍",
      on: true,
    });
  }
  await store.react({
    id: reply.id,
    userKey: "alice",
    user: "ALICE",
    emoji: ":party_parrot:",
    on: true,
  });
  await store.pin(first.id, true);
  await store.saveMessage("bob", first.id, now, 1000);
  await store.saveMessage("bob", reply.id, now + 1, 1000);
  await store.setReminder("bob", reply.id, now + 3_600_000);
  await store.addScheduled({
    id: "01SCHEDULED0000000000000001",
    userKey: "bob",
    room: "general",
    roomKey: "general",
    text: "later",
    attachments: [{ url: "/files/x/a.png" }],
    replyTo: first.id,
    sendAt: now + 3_600_000,
    createdAt: now,
  }, 100);
  await store.addScheduled({
    id: "01SCHEDULED0000000000000002",
    userKey: "bob",
    to: "Alice",
    text: "psst",
    sendAt: now + 7_200_000,
    createdAt: now,
  }, 100);
  await store.followThread({
    rootId: first.id,
    followers: ["alice"],
    authorKey: "bob",
    seq: reply.seq,
    at: now,
  });
  await store.appendMessage(draft("team", "team only"));
  // Archived once its message is in: an archived room takes none.
  await store.setRoomArchived("team", true);
  await store.setRoomPosting("team", "moderators");
  await store.markRead("bob", "general", 2);
  await store.appendPrivate(dm("alice", "bob", "psst"));
  await store.appendPrivate(
    dm("alice", "carol", "later", { delivered: false }),
  );
  await store.createWebhook({
    id: "webhook-1",
    roomKey: "general",
    url: "https://hooks.example/general",
    secret: "signing-secret",
    createdBy: "alice",
    createdAt: now,
  });
  await store.recordWebhookOutcome("webhook-1", {
    at: now + 1,
    ok: false,
    status: 500,
    error: "HTTP 500",
  });
  await store.createPrivateWebhook({
    id: "private-webhook-1",
    userKey: "ci",
    url: "https://hooks.example/ci",
    secret: "bot-signing-secret",
    createdBy: "alice",
    createdAt: now,
  });
  await store.savePushSubscription({
    endpoint: "https://push.example/bob",
    userKey: "bob",
    p256dh: "bob-p256dh",
    auth: "bob-auth",
    createdAt: now,
  });
  await store.addAuditEntry({
    at: now,
    by: "alice",
    action: "ban",
    target: "mallory",
    reason: "spam",
    address: "10.0.0.1",
    details: { server: true, duration_s: 60 },
  });
  await store.addAuditEntry({
    at: now + 1,
    by: "alice",
    action: "delete_room",
    room: "kitchen",
    address: "10.0.0.1",
  });
}
