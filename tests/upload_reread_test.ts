/**
 * Upgrading past the readers that got GIF and JPEG sizes wrong: uploads a
 * server of before recorded are read again from their bytes after the
 * start-up, on SQLite (files in a folder) and PostgreSQL (files in the
 * database), and never shown inline at the size recorded before meanwhile.
 */
import assert from "node:assert/strict";
import type { Config } from "../server/config.ts";
import { DiskFileContents } from "../server/file_contents/disk.ts";
import type { Attachment } from "../server/protocol/types.ts";
import { SqliteStore } from "../server/store/sqlite.ts";
import { rereadUploads } from "../server/upload_rereads.ts";
import {
  fetchFile,
  gifOfFrames,
  jpegBehindFill,
  markToReadAgain,
  member,
  uploaded,
} from "./file_helpers.ts";
import { startTestServer, TestClient, type TestServer } from "./harness.ts";
import { rewindServerDatabase } from "./old_schema.ts";
import { bothStores } from "./both_stores.ts";
import { redisSkipReason, startRedis } from "./services.ts";
import { UPLOAD_REREADS_MIGRATION } from "./store_contract/support.ts";

const stores = await bothStores();
const pg = stores.postgres;

/**
 * Records the uploads with these ids at 1 x 1, in their rows and in the
 * messages that carry them, as the readers of before did, and sets the
 * schema back to before the migration that marks them.
 */
async function recordAsBefore(
  options: Partial<Config>,
  dbPath: string,
  ids: string[],
): Promise<void> {
  const oneByOne = (attachments: Attachment[]) =>
    attachments.map((a) =>
      ids.some((id) => a.url.startsWith(`/files/${id}/`))
        ? { ...a, width: 1, height: 1 }
        : a
    );
  await rewindServerDatabase(options, dbPath, {
    marker: UPLOAD_REREADS_MIGRATION,
    postgres: async (sql) => {
      await sql`UPDATE uploads SET width = 1, height = 1 WHERE id IN ${
        sql(ids)
      }`;
      const rows = await sql<{ id: string; attachments: Attachment[] }[]>`
        SELECT id, attachments FROM messages WHERE attachments IS NOT NULL`;
      for (const row of rows) {
        await sql`UPDATE messages SET attachments = ${
          sql.json(oneByOne(row.attachments) as never)
        } WHERE id = ${row.id}`;
      }
    },
    sqlite: (db) => {
      const update = db.prepare(
        "UPDATE uploads SET width = 1, height = 1 WHERE id = ?",
      );
      for (const id of ids) update.run(id);
      const rows = db.prepare(
        "SELECT id, attachments FROM messages WHERE attachments IS NOT NULL",
      ).all() as { id: string; attachments: string }[];
      for (const row of rows) {
        db.prepare("UPDATE messages SET attachments = ? WHERE id = ?").run(
          JSON.stringify(oneByOne(JSON.parse(row.attachments))),
          row.id,
        );
      }
    },
  });
}

function idOf(file: Attachment): string {
  return file.url.split("/")[2];
}

/** The sizes of the attachments of general's messages, as readers get them. */
async function shownSizes(client: TestClient): Promise<unknown[][]> {
  const { messages } = await client.ok("history", { room: "general" });
  return (messages as { attachments?: Attachment[] }[])
    .flatMap((m) => m.attachments ?? [])
    .map((a) => [a.name, a.type, a.width, a.height]);
}

stores.database(
  `upgrading: a GIF and a JPEG recorded 1 x 1 by the readers of before are read again after the start, download meanwhile, and a small GIF shows inline again`,
  async (store) => {
    const old = await startTestServer(store);
    const dbPath = `${old.dir}/chat.db`;
    let server: TestServer | undefined;
    let client: TestClient | undefined;
    try {
      const alice = await member(old, "alice");
      const sent: Attachment[] = [];
      try {
        const files = [
          // Chromium decodes it as 10,000 x 10,000: four times the cap.
          new File(
            [gifOfFrames(1, 10_000, 10_000, { screen: [1, 1] })],
            "bomb.gif",
            { type: "image/gif" },
          ),
          new File([jpegBehindFill(6000, 6000)], "photo.jpg", {
            type: "image/jpeg",
          }),
          new File([gifOfFrames(1, 2, 3)], "small.gif", { type: "image/gif" }),
        ];
        for (const file of files) {
          sent.push(await uploaded(old, alice.cookie, file));
        }
        await alice.client.ok("send_message", {
          text: "",
          attachments: sent.map((f) => ({ url: f.url })),
        });
      } finally {
        await alice.client.close();
        await old.shutdown();
      }
      await recordAsBefore(store, dbPath, sent.map(idOf));

      server = await startTestServer({ ...store, db: dbPath });
      client = await TestClient.loginWith(server.wsUrl, {}, {
        headers: { cookie: alice.cookie },
      });
      // Before the pass or after it, never at the size recorded before.
      for (const [name, , width, height] of await shownSizes(client)) {
        assert.ok(
          width === undefined || width !== 1 || height !== 1,
          `${name} shown at 1 x 1`,
        );
      }
      await server.node.files.rereadMarked();
      assert.deepEqual(await shownSizes(client), [
        ["bomb.gif", "image/gif", 10_000, 10_000],
        ["photo.jpg", "image/jpeg", 6000, 6000],
        ["small.gif", "image/gif", 2, 3],
      ]);
      const served = [];
      for (const file of sent) {
        const got = await fetchFile(server, file.url, alice.cookie);
        served.push([file.name, got.status, got.headers.get("content-type")]);
      }
      assert.deepEqual(served, [
        ["bomb.gif", 200, "application/octet-stream"],
        ["photo.jpg", 200, "application/octet-stream"],
        ["small.gif", 200, "image/gif"],
      ]);
      // Nothing is left to read: a pass after a restart reads nothing.
      assert.equal(await server.node.files.rereadMarked(), 0);
    } finally {
      await client?.close();
      await server?.close();
      await Deno.remove(old.dir, { recursive: true }).catch(() => {});
    }
  },
);

Deno.test("upgrading: a pass over the uploads to read again that is stopped after its first leaves the others marked, and the next pass reads only those", async () => {
  const old = await startTestServer();
  const dbPath = `${old.dir}/chat.db`;
  let store: SqliteStore | undefined;
  const contents = new DiskFileContents(`${old.dir}/files`);
  try {
    const alice = await member(old, "alice");
    const sent: Attachment[] = [];
    try {
      for (const size of [4, 5, 6]) {
        const bytes = gifOfFrames(1, size, size);
        sent.push(
          await uploaded(
            old,
            alice.cookie,
            new File([bytes], `${size}.gif`, { type: "image/gif" }),
          ),
        );
      }
      await alice.client.ok("send_message", {
        text: "",
        attachments: sent.map((f) => ({ url: f.url })),
      });
    } finally {
      await alice.client.close();
      await old.shutdown();
    }
    await recordAsBefore({}, dbPath, sent.map(idOf));
    store = await SqliteStore.open(dbPath, { busyTimeoutMs: 5000 });
    const marked = async () =>
      (await store!.uploadsToReread("", 10)).map((u) => u.name);
    assert.deepEqual((await marked()).sort(), ["4.gif", "5.gif", "6.gif"]);
    let read = 0;
    const first = await rereadUploads({
      store,
      contents,
      // Stops before its second upload, as a server's stop does.
      stopped: () => read++ > 0,
    });
    assert.equal(first, 1);
    assert.equal((await marked()).length, 2);
    const rest = await rereadUploads({ store, contents, stopped: () => false });
    assert.equal(rest, 2);
    assert.deepEqual(await marked(), []);
    const sizes = [];
    for (const file of sent) {
      const upload = await store.findUpload(idOf(file));
      sizes.push(`${upload?.name} ${upload?.width} x ${upload?.height}`);
    }
    assert.deepEqual(sizes, ["4.gif 4 x 4", "5.gif 5 x 5", "6.gif 6 x 6"]);
  } finally {
    await store?.close();
    await Deno.remove(old.dir, { recursive: true }).catch(() => {});
  }
});

interface Nodes {
  name: string;
  /**
   * Two servers sharing a store, or one; `mark` records an upload at
   * 1 x 1 and marks it to be read again; all stopped by `stop`.
   */
  start(): Promise<{
    first: TestServer;
    second: TestServer;
    mark(id: string): Promise<void>;
    stop(): Promise<void>;
  }>;
}

const NODES: Nodes[] = [{
  name: "SQLite, one node",
  async start() {
    const server = await startTestServer();
    return {
      first: server,
      second: server,
      mark: (id) =>
        Promise.resolve(
          markToReadAgain(`${server.dir}/chat.db`, id, { width: 1, height: 1 }),
        ),
      stop: () => server.close(),
    };
  },
}];
if (pg && !redisSkipReason()) {
  NODES.push({
    name: "PostgreSQL and Redis, read on one node, seen on another",
    async start() {
      const databaseUrl = await pg.createDatabase("upload_reread_live");
      const redis = (await startRedis())!;
      const options = { databaseUrl, redisUrl: redis.url };
      const first = await startTestServer(options);
      const second = await startTestServer(options);
      return {
        first,
        second,
        // As markToReadAgain does on SQLite.
        mark: (id) =>
          pg.psql(
            `INSERT INTO upload_rereads (id) VALUES ('${id}');
             UPDATE uploads SET width = 1, height = 1 WHERE id = '${id}';
             UPDATE messages SET attachments = jsonb_set(jsonb_set(
               attachments, '{0,width}', '1'), '{0,height}', '1')
             WHERE id IN (
               SELECT message_id FROM file_refs WHERE upload_id = '${id}');`,
            { database: "upload_reread_live" },
          ).then(() => {}),
        async stop() {
          await second.close();
          await first.close();
          await redis.stop();
          await pg.dropDatabase("upload_reread_live");
        },
      };
    },
  });
}

for (const nodes of NODES) {
  Deno.test(`upload_reread: those who see a message carrying a file read again get it with its new size at once, in a room and in a private conversation (${nodes.name})`, async () => {
    const { first, second, mark, stop } = await nodes.start();
    const clients: TestClient[] = [];
    try {
      const alice = await member(first, "alice");
      const bob = await member(second, "bob");
      clients.push(alice.client, bob.client);
      // Chromium decodes it as 10,000 x 10,000: four times the cap.
      const bomb = await uploaded(
        first,
        alice.cookie,
        new File(
          [gifOfFrames(1, 10_000, 10_000, { screen: [1, 1] })],
          "b.gif",
          {
            type: "image/gif",
          },
        ),
      );
      const attachments = [{ url: bomb.url }];
      const sent = [
        await alice.client.ok("send_message", { text: "", attachments }),
        await alice.client.ok("private_message", {
          to: "bob",
          text: "",
          attachments,
        }),
      ];
      const [inRoom, inPrivate] = sent.map((reply) =>
        (reply.message as { id: string }).id
      );
      await bob.client.event("receive_message", (m) => m.id === inRoom);
      await bob.client.event("private_message", (m) => m.id === inPrivate);
      await mark(idOf(bomb));
      const from = bob.client.received.length;
      assert.equal(await first.node.files.rereadMarked(), 1);
      const seen = [];
      for (const id of [inRoom, inPrivate]) {
        const { data } = await bob.client.event(
          "message_updated",
          (m) => m.id === id,
          { from },
        );
        const [file] = data.attachments as Attachment[];
        seen.push([file.width, file.height, file.url.startsWith(bomb.url)]);
        assert.ok(Number(data.version) >= 1, "its version counts the change");
      }
      assert.deepEqual(seen, [[10_000, 10_000, true], [10_000, 10_000, true]]);
    } finally {
      for (const client of clients) await client.close();
      await stop();
    }
  });
}

Deno.test({
  name: "upload_reread: PostgreSQL stops",
  ignore: pg === null,
  fn: () => pg!.stop(),
});
