/**
 * The store contract for sidebar sections: setSections and listSections,
 * a whole layout replaced at once, gone with the account, an item gone
 * with its room and with the other side's account, moved by a room's
 * rename.
 */
import assert from "node:assert/strict";
import {
  conversationKey,
  type Store,
  type StoredSection,
} from "../../server/store/mod.ts";
import { account, type StoreTest } from "./support.ts";

async function accounts(store: Store, ...keys: string[]): Promise<void> {
  for (const key of keys) await store.createAccount(account(key));
}

async function streams(store: Store, key: string): Promise<string[][]> {
  return (await store.listSections(key)).map((s) =>
    s.items.map((i) => i.stream)
  );
}

/** The contract of the sidebar sections. */
export function sections(test: StoreTest): void {
  test(
    "setSections keeps an account's layout in its order across a reopen, and a second write replaces it whole",
    async (store, reopen) => {
      await accounts(store, "ann", "ben", "cat");
      const withBen = conversationKey("ann", "ben");
      const layout: StoredSection[] = [
        {
          name: "Work",
          collapsed: false,
          items: [
            { stream: "dev" },
            { stream: withBen, with: { name: "Ben", key: "ben" } },
            { stream: "general" },
          ],
        },
        { name: "Empty", collapsed: true, items: [] },
        { name: "Later", collapsed: false, items: [{ stream: "books" }] },
      ];
      await store.setSections("ann", layout);
      await store.setSections("cat", [
        { name: "Mine", collapsed: false, items: [{ stream: "dev" }] },
      ]);
      assert.deepEqual(await store.listSections("ann"), layout);
      const again = await reopen();
      assert.deepEqual(await again.listSections("ann"), layout);
      await again.setSections("ann", [
        { name: "Only", collapsed: true, items: [{ stream: "general" }] },
      ]);
      assert.deepEqual(await streams(again, "ann"), [["general"]]);
      assert.deepEqual(await streams(again, "cat"), [["dev"]]);
      await again.setSections("ann", []);
      assert.deepEqual(await again.listSections("ann"), []);
      assert.deepEqual(await again.listSections("nobody"), []);
    },
  );

  test("setSections leaves out a conversation whose other side has no account, and answers the layout as kept", async (store) => {
    await accounts(store, "ann", "ben");
    const layout: StoredSection[] = [{
      name: "People",
      collapsed: false,
      items: [
        {
          stream: conversationKey("ann", "nobody"),
          with: { name: "Nobody", key: "nobody" },
        },
        {
          stream: conversationKey("ann", "ben"),
          with: { name: "Ben", key: "ben" },
        },
        { stream: "general" },
      ],
    }, { name: "Else", collapsed: true, items: [] }];
    const kept = [{ ...layout[0], items: layout[0].items.slice(1) }, layout[1]];
    assert.deepEqual(await store.setSections("ann", layout), kept);
    assert.deepEqual(await store.listSections("ann"), kept);
  });

  test("deleteAccount takes the account's layout and others' items of their conversations with it", async (store) => {
    await accounts(store, "ann", "ben");
    const withBen = conversationKey("ann", "ben");
    await store.setSections("ann", [{
      name: "People",
      collapsed: false,
      items: [
        { stream: withBen, with: { name: "ben", key: "ben" } },
        { stream: "general" },
      ],
    }]);
    await store.setSections("ben", [
      { name: "Rooms", collapsed: false, items: [{ stream: "general" }] },
    ]);
    assert.ok(await store.deleteAccount("ben", "keep"));
    assert.deepEqual(await store.listSections("ben"), []);
    assert.deepEqual(await streams(store, "ann"), [["general"]]);
  });

  test("renameRoom moves every account's items there to the new key; deleteRoom takes them", async (store) => {
    await accounts(store, "ann", "ben");
    await store.createRoom("dev", "dev");
    for (const who of ["ann", "ben"]) await store.addMember(who, "dev");
    await store.setSections("ann", [
      { name: "A", collapsed: false, items: [{ stream: "general" }] },
      // A row under the new key that no room has: the moved one takes
      // its place.
      {
        name: "B",
        collapsed: false,
        items: [{ stream: "dev" }, {
          stream: "lab",
        }],
      },
    ]);
    await store.setSections("ben", [
      { name: "C", collapsed: false, items: [{ stream: "dev" }] },
    ]);
    assert.ok(typeof await store.renameRoom("dev", "lab", "lab") === "object");
    assert.deepEqual(await streams(store, "ann"), [["general"], ["lab"]]);
    assert.deepEqual(await streams(store, "ben"), [["lab"]]);
    assert.ok(await store.deleteRoom("lab"));
    assert.deepEqual(await streams(store, "ann"), [["general"], []]);
    assert.deepEqual(await streams(store, "ben"), [[]]);
  });
}
