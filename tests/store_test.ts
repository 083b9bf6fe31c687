/** SqliteStore against a real temporary file: the store contract, then its own edges. */
import assert from "node:assert/strict";
import { DEFAULT_CONFIG } from "../server/config.ts";
import { StoreUnavailableError } from "../server/protocol/errors.ts";
import { SqliteStore } from "../server/store/sqlite.ts";
import { storeContract } from "./store_contract.ts";

const GENERAL = { name: "general", key: "general" };
const OPTIONS = {
  permanentRooms: [GENERAL],
  busyTimeoutMs: DEFAULT_CONFIG.dbBusyTimeoutMs,
};

storeContract("SqliteStore", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-store-" });
  const path = `${dir}/chat.db`;
  return {
    open: () => Promise.resolve(new SqliteStore(path, OPTIONS)),
    dispose: () => Deno.remove(dir, { recursive: true }),
  };
});

Deno.test("SqliteStore: a file that is not a database fails with StoreUnavailableError naming it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-store-" });
  try {
    const path = `${dir}/garbage.db`;
    await Deno.writeTextFile(path, "this is not a database ".repeat(100));
    assert.throws(
      () => new SqliteStore(path, OPTIONS),
      (error: unknown) =>
        error instanceof StoreUnavailableError &&
        error.message.includes(path),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SqliteStore: reopening does not duplicate the permanent room", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-store-" });
  const path = `${dir}/chat.db`;
  try {
    const first = new SqliteStore(path, OPTIONS);
    await first.appendMessage({
      roomKey: "general",
      userKey: "alice",
      user: "alice",
      text: "kept",
    });
    await first.close();
    const second = new SqliteStore(path, OPTIONS);
    try {
      const rooms = await second.listRooms();
      assert.deepEqual(rooms.map((r) => r.key), ["general"]);
      // Re-creating the permanent room at open must not restart its seq.
      const { message } = await second.appendMessage({
        roomKey: "general",
        userKey: "alice",
        user: "alice",
        text: "next",
      });
      assert.equal(message.seq, 2);
    } finally {
      await second.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
