/**
 * The contract every FileContents implementation keeps: the bytes of a
 * staged upload kept under their hash, once, read back whole, deleted on
 * demand, listed with their size and time, found absent, and the staging
 * folder the uploads arrive in. Each
 * implementation's test file calls {@link fileContentsContract} with a way
 * to open it on fresh storage; what only one of them has (a folder shared
 * by the nodes of one machine) is tested beside it.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import type { FileContents } from "../server/file_contents/mod.ts";

/** How the contract opens one implementation on fresh storage. */
export interface FileContentsFixture {
  /** Opens the contents; a test may open several on the same storage. */
  open(): Promise<FileContents>;
  /** Removes the storage; called once per test, after every one closed. */
  dispose(): Promise<void>;
}

/** Registers the FileContents contract tests for one implementation. */
export function fileContentsContract(
  name: string,
  makeFixture: () => Promise<FileContentsFixture>,
): void {
  function test(
    title: string,
    body: (
      contents: FileContents,
      another: () => Promise<FileContents>,
    ) => Promise<void>,
  ): void {
    Deno.test(`${name}: ${title}`, async () => {
      // Undone last to first, pass or fail: what was opened, the storage.
      await using cleanup = new AsyncDisposableStack();
      const fixture = await makeFixture();
      cleanup.defer(() => fixture.dispose());
      const open = async () => {
        const contents = await fixture.open();
        cleanup.defer(() => contents.close());
        return contents;
      };
      await body(await open(), open);
    });
  }

  test("keeps a staged file's bytes under their hash and takes the staged file away", async (contents) => {
    const bytes = new TextEncoder().encode("the minutes of Monday");
    const { hash, path } = await stage(contents, bytes);
    await contents.put(hash, path);
    assert.deepEqual(await read(contents, hash), bytes);
    await assert.rejects(Deno.stat(path), Deno.errors.NotFound);
  });

  test("the same bytes put twice are kept once and read back whole", async (contents) => {
    const bytes = randomBytes(300_000);
    const first = await stage(contents, bytes);
    const second = await stage(contents, bytes);
    assert.equal(first.hash, second.hash);
    await contents.put(first.hash, first.path);
    await contents.put(second.hash, second.path);
    assert.deepEqual(await read(contents, first.hash), bytes);
    await assert.rejects(Deno.stat(second.path), Deno.errors.NotFound);
  });

  test("an unknown hash reads as nothing, and deleting it does nothing", async (contents) => {
    const unknown = "0".repeat(64);
    assert.equal(await contents.get(unknown), undefined);
    await contents.delete(unknown);
    assert.equal(await contents.get(unknown), undefined);
  });

  test("deleted bytes read as nothing; the other files stay", async (contents) => {
    const kept = await stage(contents, new TextEncoder().encode("kept"));
    const gone = await stage(contents, new TextEncoder().encode("gone"));
    await contents.put(kept.hash, kept.path);
    await contents.put(gone.hash, gone.path);
    await contents.delete(gone.hash);
    assert.equal(await contents.get(gone.hash), undefined);
    assert.deepEqual(
      await read(contents, kept.hash),
      new TextEncoder().encode("kept"),
    );
  });

  test(
    "bytes put through one are read through another on the same storage",
    async (contents, another) => {
      const bytes = new TextEncoder().encode("shared between nodes");
      const { hash, path } = await stage(contents, bytes);
      await contents.put(hash, path);
      const other = await another();
      assert.deepEqual(await read(other, hash), bytes);
    },
  );

  test("list gives each hash kept once, with its size and when it was written, and leaves out uploads still arriving", async (contents) => {
    // A file system stamps times from a coarse clock (a tick or so behind
    // the one Date.now reads): a second either side is plenty.
    const start = Date.now() - 1000;
    const minutes = new TextEncoder().encode("the minutes");
    const photo = randomBytes(70_000);
    for (const bytes of [minutes, photo, minutes]) {
      const { hash, path } = await stage(contents, bytes);
      await contents.put(hash, path);
    }
    await stage(contents, new TextEncoder().encode("half an upload"));
    const end = Date.now() + 1000;
    const listed = await Array.fromAsync(contents.list());
    assert.deepEqual(
      listed.map(({ hash, size }) => ({ hash, size })).sort(byHash),
      [
        { hash: sha256(minutes), size: minutes.length },
        { hash: sha256(photo), size: photo.length },
      ].sort(byHash),
    );
    for (const kept of listed) {
      assert.ok(
        kept.writtenAt >= start && kept.writtenAt <= end,
        `${new Date(kept.writtenAt).toISOString()} is not between ` +
          `${new Date(start).toISOString()} and ${new Date(end).toISOString()}`,
      );
    }
  });

  test("absent names those of the hashes given that keep no bytes, and nothing when all do", async (contents) => {
    const kept = await stage(contents, new TextEncoder().encode("kept"));
    await contents.put(kept.hash, kept.path);
    const gone = await stage(contents, new TextEncoder().encode("gone"));
    await contents.put(gone.hash, gone.path);
    await contents.delete(gone.hash);
    const never = "0".repeat(64);
    assert.deepEqual(
      (await contents.absent([kept.hash, gone.hash, never])).sort(),
      [gone.hash, never].sort(),
    );
    assert.deepEqual(await contents.absent([kept.hash]), []);
    assert.deepEqual(await contents.absent([]), []);
  });
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function byHash(a: { hash: string }, b: { hash: string }): number {
  return a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0;
}

/** Writes bytes into the staging folder as an upload arrives there. */
export async function stage(
  contents: FileContents,
  bytes: Uint8Array,
): Promise<{ hash: string; path: string }> {
  await Deno.mkdir(contents.stagingDir, { recursive: true });
  const path = join(contents.stagingDir, `${crypto.randomUUID()}.part`);
  await Deno.writeFile(path, bytes);
  return { hash: createHash("sha256").update(bytes).digest("hex"), path };
}

async function read(
  contents: FileContents,
  hash: string,
): Promise<Uint8Array | undefined> {
  const stream = await contents.get(hash);
  if (stream === undefined) return undefined;
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function randomBytes(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i += 65_536) {
    crypto.getRandomValues(bytes.subarray(i, Math.min(length, i + 65_536)));
  }
  return bytes;
}
