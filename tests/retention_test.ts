/**
 * `--retention-days N`: messages older than N days go in the background,
 * with the files only they showed; history starts later, never with a gap,
 * and new messages keep counting from where the room was.
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import type { Config } from "../server/config.ts";
import { fetchFile, member, PNG, uploaded } from "./file_helpers.ts";
import { eventually, historyOf, startTestServer } from "./harness.ts";
import { logLines } from "./log_lines.ts";
import { postgresSkipReason, startPostgres } from "./services.ts";

const DAY_MS = 24 * 3600 * 1000;
const DAYS_AGO_10 = 10 * DAY_MS;

interface Message {
  seq: number;
  text: string;
}

/**
 * Runs a server on `options` for a while (an image shared in an old
 * message), makes the first messages ten days old with `age`, and starts
 * it again with `--retention-days 7`.
 */
async function scenario(
  options: Partial<Config>,
  age: (ms: number) => Promise<void>,
): Promise<void> {
  const first = await startTestServer(options);
  let fileUrl: string;
  try {
    const alice = await member(first, "alice");
    const file = await uploaded(
      first,
      alice.cookie,
      new File([PNG], "old.png", { type: "image/png" }),
    );
    fileUrl = file.url;
    await alice.client.ok("send_message", {
      text: "old with a picture",
      attachments: [{ url: file.url, name: "old.png", size: PNG.length }],
    });
    await alice.client.ok("send_message", { text: "old @alice" });
    await alice.client.ok("private_message", { to: "alice", text: "note" });
    await alice.client.close();
  } finally {
    await first.close();
  }
  await age(DAYS_AGO_10);

  const again = await startTestServer({ ...options, retentionDays: 7 });
  try {
    const alice = await member(again, "alice2");
    await alice.client.ok("send_message", { text: "new" });
    await eventually(async () => {
      const history = await historyOf<Message>(alice.client, "general");
      assert.deepEqual(history.map((m) => [m.seq, m.text]), [[3, "new"]]);
    });
    await eventually(async () => {
      const got = await fetchFile(again, fileUrl, alice.cookie);
      assert.equal(got.status, 404);
    });
    await alice.client.close();
  } finally {
    await again.close();
  }
}

Deno.test("retention: on SQLite, messages older than --retention-days go with their files, and history starts later", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-retention-" });
  try {
    const db = `${dir}/chat.db`;
    await scenario({ db }, (ms) => {
      const sqlite = new DatabaseSync(db);
      sqlite.prepare("UPDATE messages SET ts = ts - ?").run(ms);
      sqlite.close();
      return Promise.resolve();
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const pgSkip = postgresSkipReason();

Deno.test({
  name: pgSkip
    ? `retention: skipped PostgreSQL, ${pgSkip}`
    : "retention: on PostgreSQL, messages older than --retention-days go with their files, and history starts later",
  ignore: pgSkip !== undefined,
  async fn() {
    const pg = (await startPostgres())!;
    try {
      await scenario({ databaseUrl: pg.url }, async (ms) => {
        await pg.psql(`UPDATE messages SET ts = ts - ${ms}`);
      });
    } finally {
      await pg.stop();
    }
  },
});

Deno.test("retention: without --retention-days, old messages stay", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-keep-" });
  try {
    const db = `${dir}/chat.db`;
    const first = await startTestServer({ db });
    try {
      const alice = await member(first, "alice");
      await alice.client.ok("send_message", { text: "old" });
      await alice.client.close();
    } finally {
      await first.close();
    }
    const sqlite = new DatabaseSync(db);
    sqlite.prepare("UPDATE messages SET ts = ts - ?").run(DAYS_AGO_10 * 100);
    sqlite.close();
    const again = await startTestServer({ db });
    try {
      const alice = await member(again, "bob");
      await alice.client.ok("send_message", { text: "new" });
      const history = await historyOf<Message>(alice.client, "general");
      assert.deepEqual(history.map((m) => m.text), ["old", "new"]);
      await alice.client.close();
    } finally {
      await again.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * An admin gives a room its own retention on a server without
 * `--retention-days`: its messages older than that go at once, the
 * other rooms keep theirs.
 */
async function roomRetention(
  options: Partial<Config>,
  age: (ms: number) => Promise<void>,
): Promise<void> {
  const server = await startTestServer(options);
  try {
    const alice = await member(server, "alice");
    await alice.client.ok("create_room", { room: "dev" });
    await alice.client.ok("send_message", { text: "dev old" });
    await alice.client.ok("join_room", { room: "general" });
    await alice.client.ok("send_message", { text: "general old" });
    await age(DAYS_AGO_10);
    const reply = await alice.client.ok("update_room", {
      room: "dev",
      retention_days: 7,
    });
    assert.equal(reply.retention_days, 7);
    await eventually(async () => {
      assert.deepEqual(await historyOf<Message>(alice.client, "dev"), []);
    });
    const general = await historyOf<Message>(alice.client, "general");
    assert.deepEqual(general.map((m) => m.text), ["general old"]);
    await alice.client.close();
  } finally {
    await server.close();
  }
}

Deno.test("retention: on SQLite, a room's retention_days from update_room deletes its older messages at once, other rooms keep theirs", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-room-retention-" });
  try {
    const db = `${dir}/chat.db`;
    await roomRetention({ db }, (ms) => {
      const sqlite = new DatabaseSync(db);
      sqlite.exec("PRAGMA busy_timeout = 10000");
      sqlite.prepare("UPDATE messages SET ts = ts - ?").run(ms);
      sqlite.close();
      return Promise.resolve();
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: pgSkip
    ? `retention: skipped PostgreSQL room retention, ${pgSkip}`
    : "retention: on PostgreSQL, a room's retention_days from update_room deletes its older messages at once, other rooms keep theirs",
  ignore: pgSkip !== undefined,
  async fn() {
    const pg = (await startPostgres())!;
    try {
      await roomRetention({ databaseUrl: pg.url }, async (ms) => {
        await pg.psql(`UPDATE messages SET ts = ts - ${ms}`);
      });
    } finally {
      await pg.stop();
    }
  },
});

Deno.test("retention: its log line and the files sweep's say one message, one day and one file in the singular", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-retention-log-" });
  try {
    const db = `${dir}/chat.db`;
    const server = await startTestServer({ db, retentionDays: 1 });
    try {
      const alice = await member(server, "alice");
      const file = await uploaded(
        server,
        alice.cookie,
        new File([PNG], "old.png", { type: "image/png" }),
      );
      await alice.client.ok("send_message", {
        text: "old with a picture",
        attachments: [{ url: file.url, name: "old.png", size: PNG.length }],
      });
      await alice.client.close();
      const sqlite = new DatabaseSync(db);
      sqlite.exec("PRAGMA busy_timeout = 10000");
      sqlite.prepare("UPDATE messages SET ts = ts - ?").run(2 * DAY_MS);
      sqlite.close();
      const { result, lines } = await logLines(
        ["chat"],
        () => server.node.expireOldMessages(),
      );
      assert.equal(result, 1);
      assert.deepEqual(
        lines.map((line) => line.text).filter((text) =>
          text.startsWith("Deleted")
        ),
        [
          "Deleted 1 file nobody refers to",
          "Deleted 1 message past their retention (1 day)",
        ],
      );
    } finally {
      await server.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
