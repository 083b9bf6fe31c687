/**
 * Where uploads' bytes live: the FileContents contract
 * (tests/file_contents_contract.ts) on a folder and on a real PostgreSQL
 * server started for this file, then the staging folder of PostgreSQL
 * nodes, which one user's nodes on a machine share.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DiskFileContents } from "../server/file_contents/disk.ts";
import { PostgresFileContents } from "../server/file_contents/postgres.ts";
import { fileContentsContract, stage } from "./file_contents_contract.ts";
import { startTestServer } from "./harness.ts";
import { migratedDatabase } from "./migrated_database.ts";
import { POSTGRES, type PostgresService, testsOnService } from "./services.ts";

fileContentsContract("DiskFileContents", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-files-test-" });
  return {
    open: () => Promise.resolve(new DiskFileContents(join(dir, "files"))),
    dispose: () => Deno.remove(dir, { recursive: true }),
  };
});

Deno.test("DiskFileContents: a hash that is no SHA-256 in hex names no file, so a stored '../x' neither reads nor deletes outside the folder", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-files-test-" });
  try {
    const outside = join(dir, "secret.txt");
    await Deno.writeTextFile(outside, "not a chat file");
    const contents = new DiskFileContents(join(dir, "files"));
    await contents.ready();
    for (const hash of ["../secret.txt", "../../secret.txt", outside]) {
      assert.equal(await contents.get(hash), undefined, hash);
      await contents.delete(hash);
      await assert.rejects(contents.put(hash, outside), /Not a SHA-256/);
    }
    assert.equal(await Deno.readTextFile(outside), "not a chat file");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("DiskFileContents: list gives every hash kept with its size and time, and leaves out staged uploads and names not shaped like its own", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-files-test-" });
  try {
    const folder = join(dir, "files");
    const contents = new DiskFileContents(folder);
    assert.deepEqual(await Array.fromAsync(contents.list()), []);
    await contents.ready();
    const kept = await stage(contents, new TextEncoder().encode("kept"));
    await contents.put(kept.hash, kept.path);
    const written = new Date("2026-01-02T03:04:05Z");
    await Deno.utime(
      join(folder, kept.hash.slice(0, 2), kept.hash),
      written,
      written,
    );
    await stage(contents, new TextEncoder().encode("arriving"));
    const other = kept.hash.startsWith("aa") ? "bb" : "aa";
    await Deno.mkdir(join(folder, other));
    // A hash in the wrong folder, a file that is no hash, a folder that is
    // no two hex digits: not the server's to list.
    await Deno.writeTextFile(join(folder, other, kept.hash), "misplaced");
    await Deno.writeTextFile(join(folder, other, "notes.txt"), "mine");
    await Deno.mkdir(join(folder, "backup"));
    await Deno.writeTextFile(join(folder, "backup", other.repeat(32)), "x");
    assert.deepEqual(await Array.fromAsync(contents.list()), [
      { hash: kept.hash, size: 4, writtenAt: written.getTime() },
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

await testsOnService("PostgresFileContents", POSTGRES, registerPostgresTests);

function registerPostgresTests(pg: PostgresService): void {
  /**
   * A database of its own with the store's tables (file_contents is one
   * of them), and a temporary folder of its own for the staging folders.
   */
  async function freshPlace(): Promise<
    {
      url: string;
      tempDir: string;
      psql(command: string): Promise<string>;
      drop(): Promise<void>;
    }
  > {
    const database = await migratedDatabase(pg);
    const url = database.url;
    const tempDir = await Deno.makeTempDir({ prefix: "chat-tmp-test-" });
    return {
      url,
      tempDir,
      psql: (command) => pg.psql(command, { database: database.name }),
      async drop() {
        await database.drop();
        await Deno.remove(tempDir, { recursive: true });
      },
    };
  }

  fileContentsContract("PostgresFileContents", async () => {
    const place = await freshPlace();
    return {
      open: () =>
        Promise.resolve(
          new PostgresFileContents(place.url, { tempDir: place.tempDir }),
        ),
      dispose: () => place.drop(),
    };
  });

  /** Runs a body with a fresh place, closing every node it opened. */
  function withPlace(
    body: (
      open: () => PostgresFileContents,
      tempDir: string,
      psql: (command: string) => Promise<string>,
    ) => Promise<void>,
  ): () => Promise<void> {
    return async () => {
      const place = await freshPlace();
      const opened: PostgresFileContents[] = [];
      try {
        await body(
          () => {
            const node = new PostgresFileContents(place.url, {
              tempDir: place.tempDir,
            });
            opened.push(node);
            return node;
          },
          place.tempDir,
          place.psql,
        );
      } finally {
        for (const node of opened) await node.close();
        await place.drop();
      }
    };
  }

  Deno.test(
    "PostgresFileContents: the nodes of one user on a machine stage in one private folder, which outlives each of them",
    withPlace(async (open, tempDir) => {
      const first = open();
      const second = open();
      const folder = join(tempDir, `chat-uploads-${Deno.uid()}`);
      assert.equal(first.stagingDir, folder);
      assert.equal(second.stagingDir, folder);
      const info = await Deno.lstat(folder);
      assert.ok(info.isDirectory);
      assert.equal(info.mode! & 0o777, 0o700);
      // An upload the second node is receiving when the first one stops.
      const arriving = await stage(second, new TextEncoder().encode("half"));
      await first.close();
      assert.ok((await Deno.stat(arriving.path)).isFile);
      await second.put(arriving.hash, arriving.path);
      await second.close();
      // A node killed outright runs no close: nothing of its own is left.
      assert.deepEqual(
        [...Deno.readDirSync(tempDir)].map((entry) => entry.name),
        [`chat-uploads-${Deno.uid()}`],
      );
      assert.deepEqual([...Deno.readDirSync(folder)], []);
    }),
  );

  Deno.test(
    "PostgresFileContents: a staging folder others could read or swap is not used; the node's own goes when it stops",
    withPlace(async (open, tempDir) => {
      const shared = join(tempDir, `chat-uploads-${Deno.uid()}`);
      await Deno.mkdir(shared);
      await Deno.chmod(shared, 0o755);
      const readable = open();
      assert.notEqual(readable.stagingDir, shared);
      assert.equal((await Deno.stat(readable.stagingDir)).mode! & 0o777, 0o700);
      await Deno.remove(shared);
      const elsewhere = await Deno.makeTempDir({ dir: tempDir });
      await Deno.symlink(elsewhere, shared);
      const linked = open();
      assert.notEqual(linked.stagingDir, shared);
      assert.notEqual(linked.stagingDir, elsewhere);
      const own = [readable.stagingDir, linked.stagingDir];
      await readable.close();
      await linked.close();
      for (const dir of own) {
        await assert.rejects(Deno.stat(dir), Deno.errors.NotFound);
      }
    }),
  );

  Deno.test(
    "PostgresFileContents: list reads every row, a page at a time, with the time each was written",
    withPlace(async (open, _tempDir, psql) => {
      // 1,001 rows: a page of 1,000 and one more after it.
      await psql(`
        INSERT INTO file_contents (hash, bytes, written_at)
        SELECT lpad(to_hex(i), 64, '0'), '\\x0102'::bytea, i
        FROM generate_series(1, 1001) AS i`);
      const listed = await Array.fromAsync(open().list());
      assert.equal(listed.length, 1001);
      listed.forEach((kept, i) => {
        assert.deepEqual(kept, {
          hash: (i + 1).toString(16).padStart(64, "0"),
          size: 2,
          writtenAt: i + 1,
        });
      });
    }),
  );

  Deno.test(
    "a test server on PostgreSQL stages uploads in its own folder, gone when it closes, not in the shared one of /tmp that outlives it",
    async () => {
      const database = await migratedDatabase(pg);
      try {
        const server = await startTestServer({ databaseUrl: database.url });
        const staging = join(server.dir, `chat-uploads-${Deno.uid()}`);
        try {
          assert.ok((await Deno.stat(staging)).isDirectory);
        } finally {
          await server.close();
        }
        await assert.rejects(Deno.stat(server.dir), Deno.errors.NotFound);
      } finally {
        await database.drop();
      }
    },
  );

  Deno.test(
    "PostgresFileContents: bytes put again are written anew, so the walk for bytes no upload names leaves them an hour more",
    withPlace(async (open, _tempDir, psql) => {
      const contents = open();
      const bytes = new TextEncoder().encode("placed by an import");
      const first = await stage(contents, bytes);
      await contents.put(first.hash, first.path);
      await psql(`UPDATE file_contents SET written_at = 1`);
      const before = Date.now() - 1000;
      const again = await stage(contents, bytes);
      await contents.put(again.hash, again.path);
      const [kept] = await Array.fromAsync(contents.list());
      assert.equal(kept.hash, first.hash);
      assert.ok(kept.writtenAt >= before, String(kept.writtenAt));
    }),
  );
}
