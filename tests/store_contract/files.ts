/**
 * The store contract for the records of shared files: saveFile and
 * findFile.
 */
import assert from "node:assert/strict";
import { type StoredFile } from "../../server/store/mod.ts";
import { type StoreTest } from "./support.ts";

/** The contract of saveFile and findFile. */
export function files(test: StoreTest): void {
  const FILE: StoredFile = {
    hash: "ab".repeat(32),
    name: "photo.png",
    size: 1234,
    type: "image/png",
    uploader: "alice",
    createdAt: 1_700_000_000_000,
  };

  test("saveFile records a file and findFile finds it by hash", async (store) => {
    await store.saveFile(FILE);
    assert.deepEqual(await store.findFile(FILE.hash), FILE);
    const big = { ...FILE, hash: "cd".repeat(32), size: 10 * 1024 * 1024 };
    await store.saveFile(big);
    assert.deepEqual(await store.findFile(big.hash), big);
  });

  test("saveFile of a hash already recorded keeps the first record", async (store) => {
    await store.saveFile(FILE);
    await store.saveFile({
      ...FILE,
      name: "renamed.png",
      uploader: "bob",
      createdAt: FILE.createdAt + 1,
    });
    assert.deepEqual(await store.findFile(FILE.hash), FILE);
  });

  test("findFile of an unknown hash is undefined", async (store) => {
    await store.saveFile(FILE);
    assert.equal(await store.findFile("ef".repeat(32)), undefined);
    assert.equal(await store.findFile(""), undefined);
  });
}
