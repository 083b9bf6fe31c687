import { join } from "node:path";
import type { FileContents } from "./file_contents/mod.ts";
import { log } from "./log.ts";
import type { FileStore, StoredUpload, UploadFacts } from "./store/mod.ts";
import { readUploadFacts } from "./upload_facts.ts";

const logger = log("files");

/** Marked uploads read from the store at a time. */
const PAGE = 100;

/** What {@link rereadUploads} needs. */
export interface RereadOptions {
  store: FileStore;
  contents: FileContents;
  /** True once the server stops: the pass ends after the upload under way. */
  stopped: () => boolean;
  /**
   * Told the ids of the messages an upload's correction changed, after its
   * commit, so that those who see them are sent them again; the pass waits
   * for it (a stop then waits for the sending under way).
   */
  corrected?: (messageIds: string[]) => Promise<void>;
}

/**
 * Reads again the bytes of every upload a migration marked (its type's
 * reader changed: store migration "Uploads whose recorded dimensions the
 * readers of before got wrong") and records what they are, in the upload
 * and the messages that carry it, a commit each (those messages' readers
 * then get them again: {@link RereadOptions.corrected}). In the
 * background, one upload at a time: a start never waits for it, and the
 * marked uploads
 * download meanwhile (their dimensions were cleared with the mark). The
 * bytes are copied to the staging folder to be read (the database's are
 * nowhere else), so the pass costs each marked file's size in reads and
 * writes, once. A stop, a failure, or bytes not there leave the rest
 * marked: the next pass (the next start's, or the next timed sweep's)
 * goes on from there; none marked, a pass is one look at the store.
 * Resolves with how many uploads it read.
 */
export async function rereadUploads(options: RereadOptions): Promise<number> {
  const { store, contents } = options;
  let count = 0;
  let missing = 0;
  let after = "";
  try {
    for (;;) {
      const page = await store.uploadsToReread(after, PAGE);
      for (const upload of page) {
        if (options.stopped()) return count;
        const facts = await readAgain(upload, contents);
        // No bytes (yet: an import's folder copied after the start, or a
        // crash's loss): left marked for the next pass.
        if (facts === undefined) {
          missing++;
          continue;
        }
        const changed = await store.finishReread(upload.id, facts);
        if (changed.length > 0) await options.corrected?.(changed);
        count++;
      }
      if (page.length < PAGE) break;
      after = page[page.length - 1].id;
    }
  } catch (error) {
    logger.error("Reading files again failed: {error}", { error });
  } finally {
    if (count > 0) {
      logger.info("Read the sizes of {count} files again", { count });
    }
    if (missing > 0) {
      logger.warn(
        "{missing} files to read again have no bytes: tried again later",
        { missing },
      );
    }
  }
  return count;
}

// What an upload's bytes are now, or undefined when they are gone.
async function readAgain(
  upload: StoredUpload,
  contents: FileContents,
): Promise<UploadFacts | undefined> {
  const bytes = await contents.get(upload.hash);
  if (bytes === undefined) return undefined;
  await Deno.mkdir(contents.stagingDir, { recursive: true });
  const path = join(contents.stagingDir, `reread-${crypto.randomUUID()}`);
  try {
    await Deno.writeFile(path, bytes, { createNew: true });
    return await readUploadFacts(path, upload.type);
  } finally {
    await Deno.remove(path).catch(() => {});
  }
}
