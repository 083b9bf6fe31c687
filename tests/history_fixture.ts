/**
 * A SQLite store full of history, written straight through the store (a
 * thousand messages per group commit), for the backup test and bench.
 */
import { SqliteStore } from "../server/store/sqlite.ts";

/** Writes `count` messages of about 330 bytes to `general` in a new store. */
export async function fillHistory(path: string, count: number): Promise<void> {
  const store = new SqliteStore(path, {
    busyTimeoutMs: 2000,
    permanentRooms: [{ name: "general", key: "general" }],
  });
  try {
    const text = "history ".repeat(40);
    for (let i = 0; i < count; i += 1000) {
      await Promise.all(
        Array.from(
          { length: Math.min(1000, count - i) },
          (_, j) =>
            store.appendMessage({
              roomKey: "general",
              userKey: "bob",
              user: "bob",
              text: `${i + j} ${text}`,
            }),
        ),
      );
    }
  } finally {
    await store.close();
  }
}
