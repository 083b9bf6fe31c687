/**
 * The store contract for drafts: setDraft and listDrafts, one row per
 * account and stream, capped per account, gone with the account.
 */
import assert from "node:assert/strict";
import { conversationKey, type StoredDraft } from "../../server/store/mod.ts";
import { account, BAN, type StoreTest } from "./support.ts";

function roomDraft(stream: string, text: string, updatedAt: number) {
  return { stream, text, updatedAt };
}

/** The contract of setDraft and listDrafts. */
export function drafts(test: StoreTest): void {
  test(
    "setDraft keeps one draft per account and stream, the last set; listDrafts reads them newest first, across a reopen",
    async (store, reopen) => {
      const withBen = conversationKey("ann", "ben");
      assert.equal(
        await store.setDraft("ann", roomDraft("general", "first", 1_000), 10),
        "written",
      );
      assert.equal(
        await store.setDraft(
          "ann",
          {
            stream: withBen,
            with: "Ben",
            text: "  hi ben\n",
            updatedAt: 2_000,
          },
          10,
        ),
        "written",
      );
      assert.equal(
        await store.setDraft("ann", roomDraft("general", "second", 3_000), 10),
        "written",
      );
      await store.setDraft("cat", roomDraft("general", "cat's", 4_000), 10);
      const expected: StoredDraft[] = [
        { stream: "general", text: "second", updatedAt: 3_000 },
        { stream: withBen, with: "Ben", text: "  hi ben\n", updatedAt: 2_000 },
      ];
      assert.deepEqual(await store.listDrafts("ann"), expected);
      const again = await reopen();
      assert.deepEqual(await again.listDrafts("ann"), expected);
      assert.deepEqual(await again.listDrafts("nobody"), []);
    },
  );

  test("setDraft with an empty text deletes the draft, and one that was never there is no error", async (store) => {
    await store.setDraft("ann", roomDraft("general", "hello", 1_000), 10);
    assert.equal(
      await store.setDraft("ann", roomDraft("general", "", 2_000), 10),
      "written",
    );
    assert.equal(
      await store.setDraft("ann", roomDraft("dev", "", 2_000), 10),
      "written",
    );
    assert.deepEqual(await store.listDrafts("ann"), []);
  });

  test("setDraft refuses a new stream past max drafts, and still replaces or deletes the ones kept", async (store) => {
    for (const stream of ["a", "b", "c"]) {
      assert.equal(
        await store.setDraft("ann", roomDraft(stream, stream, 1_000), 3),
        "written",
      );
    }
    assert.equal(
      await store.setDraft("ann", roomDraft("d", "d", 2_000), 3),
      "too_many",
    );
    assert.equal(
      await store.setDraft("ann", roomDraft("a", "a2", 3_000), 3),
      "written",
    );
    // Another account's cap is its own.
    assert.equal(
      await store.setDraft("ben", roomDraft("d", "d", 2_000), 3),
      "written",
    );
    await store.setDraft("ann", roomDraft("b", "", 4_000), 3);
    assert.equal(
      await store.setDraft("ann", roomDraft("d", "d", 5_000), 3),
      "written",
    );
    assert.deepEqual(
      (await store.listDrafts("ann")).map((d) => [d.stream, d.text]),
      [["d", "d"], ["a", "a2"], ["c", "c"]],
    );
  });

  test("setDraft refuses a text that would take the account's drafts past maxCharacters (code points, the stream's own draft counted as the new text), and still takes a shorter one", async (store) => {
    const set = (who: string, stream: string, text: string) =>
      store.setDraft(who, roomDraft(stream, text, 1_000), 10, 10);
    // Six emoji are twelve UTF-16 units: characters are code points.
    assert.equal(await set("ann", "a", "😀".repeat(6)), "written");
    assert.equal(await set("ann", "b", "xxxxx"), "too_long");
    assert.equal(await set("ann", "b", "xxxx"), "written");
    // Replacing a's draft counts its new text, not the old one too.
    assert.equal(await set("ann", "a", "y".repeat(7)), "too_long");
    assert.equal(await set("ann", "a", "y".repeat(6)), "written");
    assert.equal(await set("ann", "a", "y"), "written");
    assert.equal(await set("ann", "c", "zzzzz"), "written");
    // Another account's characters are its own; deleting is always taken.
    assert.equal(await set("ben", "a", "y".repeat(10)), "written");
    assert.equal(await set("ann", "b", ""), "written");
    assert.deepEqual(
      (await store.listDrafts("ann")).map((d) => [d.stream, d.text]).sort(),
      [["a", "y"], ["c", "zzzzz"]],
    );
  });

  test("deleteAccount forgets the account's drafts", async (store) => {
    await store.createAccount(account("ann"));
    await store.setDraft("ann", roomDraft("general", "bye", 1_000), 10);
    assert.ok(await store.deleteAccount("ann", "keep"));
    assert.deepEqual(await store.listDrafts("ann"), []);
  });

  test("leaving a room deletes the account's draft there: removeMember, a room ban, the room's deletion; its other drafts stay", async (store) => {
    const withBen = conversationKey("ann", "ben");
    for (const room of ["dev", "ops", "den"]) {
      await store.createRoom(room, room);
      for (const who of ["ann", "ben"]) await store.addMember(who, room);
    }
    for (const stream of ["general", "dev", "ops", "den"]) {
      await store.setDraft(
        "ann",
        roomDraft(stream, `ann ${stream}`, 1_000),
        10,
      );
      await store.setDraft(
        "ben",
        roomDraft(stream, `ben ${stream}`, 1_000),
        10,
      );
    }
    await store.setDraft(
      "ann",
      { stream: withBen, with: "ben", text: "psst", updatedAt: 1_000 },
      10,
    );
    const streams = async (who: string) =>
      (await store.listDrafts(who)).map((d) => d.stream).sort();
    assert.equal(await store.removeMember("ann", "dev"), true);
    assert.deepEqual(await streams("ann"), [withBen, "den", "general", "ops"]);
    await store.addBan({ userKey: "ann", roomKey: "ops", ...BAN });
    assert.deepEqual(await streams("ann"), [withBen, "den", "general"]);
    assert.ok(await store.deleteRoom("den"));
    assert.deepEqual(await streams("ann"), [withBen, "general"]);
    // Ben left nothing: only the deleted room's draft of his is gone.
    assert.deepEqual(await streams("ben"), ["dev", "general", "ops"]);
  });

  test("renameRoom moves every account's drafts there to the new key; a room made again under the old name has none", async (store) => {
    await store.createRoom("dev", "dev");
    for (const who of ["ann", "ben"]) await store.addMember(who, "dev");
    await store.setDraft("ann", roomDraft("dev", "ann's", 2_000), 10);
    await store.setDraft("ben", roomDraft("dev", "ben's", 2_000), 10);
    await store.setDraft("ann", roomDraft("general", "hello", 1_000), 10);
    // A row under the new key that no room has (a server of before left
    // them): the moved one takes its place.
    await store.setDraft("ann", roomDraft("lab", "stale", 3_000), 10);
    assert.ok(typeof await store.renameRoom("dev", "lab", "lab") === "object");
    const texts = async (who: string) =>
      (await store.listDrafts(who)).map((d) => [d.stream, d.text]);
    assert.deepEqual(await texts("ann"), [
      ["lab", "ann's"],
      ["general", "hello"],
    ]);
    assert.deepEqual(await texts("ben"), [["lab", "ben's"]]);
    await store.createRoom("dev", "dev");
    assert.deepEqual(await texts("ann"), [
      ["lab", "ann's"],
      ["general", "hello"],
    ]);
  });
}
