import { Buffer } from "node:buffer";
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { Coalesced } from "./coalesced.ts";
import { DiskReserve, type SpaceClaim } from "./disk_reserve.ts";
import { type FileContents, PLACED_LIST } from "./file_contents/mod.ts";
import { counted, log } from "./log.ts";
import { EVERY_DISGUISING } from "./protocol/disguises.ts";
import { fail, type Failure } from "./protocol/errors.ts";
import type { Attachment, MessageBase } from "./protocol/types.ts";
import type { ReceivedFile } from "./routes/receive_upload.ts";
import type {
  EmojiStore,
  FileStore,
  NewAuditEntry,
  StoredUpload,
  UploadFacts,
} from "./store/mod.ts";
import { UPLOAD_URL } from "./store/rows.ts";
import { attachmentOf, readUploadFacts } from "./upload_facts.ts";
import { rereadUploads } from "./upload_rereads.ts";

const logger = log("files");

/** How long a signed file URL works: 7 to 8 days (it changes once a day). */
const SIGNED_DAYS = 7;
const DAY_MS = 24 * 3600 * 1000;

/** A staged upload this old was left by a crash. */
const STALE_STAGED_MS = 3600 * 1000;

/** An upload nobody attached is forgotten after this long. */
const UNATTACHED_MS = DAY_MS;

/**
 * Bytes no upload names are removed only once they are this old: an
 * upload's bytes are placed after its row is committed, an import's before
 * its commit, and neither takes near this long.
 */
const UNNAMED_GRACE_MS = 3600 * 1000;

/** How often the files folder is walked for bytes no upload names. */
const WALK_EVERY_MS = DAY_MS;

/** Recorded deletions read from the store at a time. */
const DELETIONS_PAGE = 1000;

/** Uploads read from the store at a time by the walk for missing bytes. */
const UPLOADS_PAGE = 1000;

/** Uploads whose bytes are gone that the walk's log line names. */
const MISSING_NAMED = 5;

/** What a walk for uploads whose bytes are gone found. */
export interface MissingFiles {
  /** Uploads recorded over an hour ago whose bytes are not kept. */
  count: number;
  /** The first few of them, by id. */
  ids: string[];
}

/** Options of {@link FileStorage}. */
export interface FileStorageOptions {
  /** Where the bytes are kept, by content hash. */
  contents: FileContents;
  /** Uploads and who refers to them. */
  store: FileStore & EmojiStore;
  /** Largest file an upload may be, in bytes (`--max-file-bytes`). */
  maxFileBytes: number;
  /** How often forgotten uploads are swept (default hourly; 0: never). */
  sweepEveryMs?: number;
  /**
   * Most bytes of files one account may keep recorded (default 0: no
   * quota); see {@link FileStorage.quotaRefusal}.
   */
  quotaBytes?: number;
  /**
   * Bytes uploads leave free where the bytes are kept (default 0: none;
   * only where `contents` can tell its free space); see
   * {@link FileStorage.claimSpace}.
   */
  reserveBytes?: number;
}

/**
 * Shared files: each upload with its own record (name, type checked from
 * the bytes, dimensions, uploader) under a random id, the bytes once per
 * SHA-256. Uploads no live message carries are swept away with their
 * bytes; URLs of files in private messages are signed for their readers.
 */
export class FileStorage {
  /** Largest file an upload may be, in bytes; clients learn it at login. */
  readonly maxFileBytes: number;
  #contents: FileContents;
  #store: FileStore & EmojiStore;
  #key: Uint8Array | undefined;
  #sweepEveryMs: number;
  #quotaBytes: number;
  #reserve: DiskReserve;
  #timer: ReturnType<typeof setInterval> | undefined;
  // One sweep at a time; a delete during one gets another after it.
  #sweeps = new Coalesced(() => this.#sweep());
  // One pass reading marked uploads again at a time (upload_rereads.ts).
  #rereads = new Coalesced(() =>
    rereadUploads({
      store: this.#store,
      contents: this.#contents,
      stopped: () => this.#closed,
      corrected: async (ids) => await this.#corrected?.(ids),
    })
  );
  // Who sends the messages a pass corrected to their readers (start()).
  #corrected: ((messageIds: string[]) => Promise<void>) | undefined;
  // One walk of the files kept at a time, and when the last one began.
  #walks = new Coalesced(() => this.#removeUnnamed());
  #walkedAt = 0;
  // One walk of the uploads at a time, and what the last one counted.
  #missingWalks = new Coalesced(() => this.#findMissing());
  #missing = 0;
  // Saving and deleting the bytes of one hash take turns in this process,
  // so a sweep never deletes bytes that an upload of the same content is
  // recording (the store's deletion turn does the same across processes).
  #hashLocks = new Map<string, Promise<unknown>>();
  #closed = false;

  constructor(options: FileStorageOptions) {
    this.maxFileBytes = options.maxFileBytes;
    this.#contents = options.contents;
    this.#store = options.store;
    this.#sweepEveryMs = options.sweepEveryMs ?? 3600 * 1000;
    this.#quotaBytes = options.quotaBytes ?? 0;
    this.#reserve = new DiskReserve({
      reserveBytes: options.reserveBytes ?? 0,
      freeBytes: this.#contents.freeBytes?.bind(this.#contents),
    });
  }

  /** Where uploads are staged while they arrive. */
  get stagingDir(): string {
    return this.#contents.stagingDir;
  }

  /**
   * Reads the signing key and starts sweeping; call once before serving.
   * `corrected` is told the ids of the messages whose attachments a pass
   * reading uploads again changed (their previews), after each commit.
   */
  async start(
    options: { corrected?: (messageIds: string[]) => Promise<void> } = {},
  ): Promise<void> {
    this.#corrected = options.corrected;
    this.#key = new TextEncoder().encode(await this.#store.secret("files"));
    await this.#clearStaging();
    await this.#reserve.warnIfBelow();
    // The first sweep also finishes the deletions a stop cut short. Then
    // the count of uploads whose bytes are gone, for /metrics: read 0 for
    // the hour before the first timed walk, so a restore that lost files
    // went unseen for that hour. In the background, after the sweep (which
    // forgets uploads nobody carries): a start does not wait for it, and it
    // reads the store a page at a time and looks at each upload's bytes
    // (lstat; one query a page in the database), never lists the folder.
    void this.sweep().then(() => this.findMissing());
    void this.rereadMarked();
    if (this.#sweepEveryMs > 0) {
      this.#timer = setInterval(() => {
        void this.sweep();
        // What a failed or stopped pass left (none marked: one look).
        void this.rereadMarked();
        // Not at start: a clean restart reads no folder of the files
        // (crash_files_test), and what a crash left is an hour old, so
        // removable, by the first timed sweep anyway.
        if (Date.now() - this.#walkedAt >= WALK_EVERY_MS) {
          void this.removeUnnamed().then(() => this.findMissing());
        }
      }, this.#sweepEveryMs);
    }
  }

  // Whatever a crash left half uploaded. Only old files: another node
  // sharing the folder may be receiving one right now. The list of the
  // hashes a killed import placed is recorded for deletion first (the
  // first sweep then deletes those no upload refers to).
  async #clearStaging(): Promise<void> {
    try {
      for await (const entry of Deno.readDir(this.stagingDir)) {
        const path = `${this.stagingDir}/${entry.name}`;
        const { mtime } = await Deno.stat(path);
        if (!mtime || Date.now() - mtime.getTime() <= STALE_STAGED_MS) {
          continue;
        }
        if (entry.name.endsWith(PLACED_LIST)) {
          const hashes = (await Deno.readTextFile(path)).split("\n")
            .filter((line) => /^[0-9a-f]{64}$/.test(line));
          await this.#store.recordFileDeletions(hashes);
        }
        await Deno.remove(path).catch(() => {});
      }
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) {
        logger.error("Clearing the staging folder failed: {error}", { error });
      }
    }
  }

  /**
   * `quota_exceeded` for an uploader (an account's name key) that keeps
   * its quota's worth of files already, so that an upload that cannot fit
   * is refused before its body is read; else undefined. An upload counts
   * from the moment it is recorded until it is swept: a day after it was
   * made if no message carried it, or once every message that carried it
   * is deleted (by its author, a moderator, the room's deletion or
   * retention). Each upload counts in full, even when another upload (of
   * this account or another) holds the same bytes.
   */
  async quotaRefusal(uploader: string): Promise<Failure | undefined> {
    if (this.#quotaBytes === 0) return undefined;
    const used = await this.#store.uploadedBytes(uploader);
    return used < this.#quotaBytes ? undefined : this.#overQuota(used);
  }

  #overQuota(used: number): Failure {
    return fail(
      "quota_exceeded",
      `An account may keep ${this.#quotaBytes} bytes of files and yours ` +
        `take ${used}: delete messages that carry files, or wait a day ` +
        "for files never sent to go.",
      { quota_bytes: this.#quotaBytes, used_bytes: used },
    );
  }

  /**
   * Sets aside `bytes` (the most an upload can write) until the claim is
   * released, or `insufficient_storage` when the disk would then keep less
   * than the reserve free.
   */
  async claimSpace(bytes: number): Promise<SpaceClaim | Failure> {
    const claim = await this.#reserve.claim(bytes);
    return claim ?? fail(
      "insufficient_storage",
      `The server keeps its last ${this.#reserve.reserveBytes} bytes of ` +
        "disk for the chat itself, and this file would take some of " +
        "them: try again later or with a smaller file.",
    );
  }

  /**
   * Records a received file for its uploader (an account's name key) and
   * moves its bytes into place; returns how messages refer to it, or
   * `quota_exceeded` (the staged file removed, nothing recorded) when the
   * uploader's files with this one would pass the quota. The store checks
   * and records in one step, so uploads racing each other never take an
   * account past its quota: one that loses the race was received for
   * nothing, the cost of not reserving before the body's size is known.
   */
  async save(
    file: ReceivedFile,
    uploader: string,
  ): Promise<Attachment | Failure> {
    const upload: StoredUpload = {
      id: randomBytes(16).toString("hex"),
      hash: file.hash,
      name: cleanFileName(file.name),
      ...await readUploadFacts(file.path, cleanType(file.type)),
      size: file.size,
      uploader,
      createdAt: Date.now(),
    };
    const saved = await this.#withHash(file.hash, async () => {
      // The record first: a sweep then sees the hash in use.
      const saved = await this.#store.saveUpload(upload, {
        quotaBytes: this.#quotaBytes,
      });
      if (!saved) return false;
      try {
        await this.#contents.put(file.hash, file.path);
      } catch (error) {
        // Recorded for deletion if no other upload has these bytes: a put
        // cut short may have left some.
        await this.#store.deleteUpload(upload.id)
          .then(() => this.#deleteRecorded(file.hash))
          .catch(() => {});
        throw error;
      }
      return true;
    });
    if (!saved) {
      await Deno.remove(file.path).catch(() => {});
      return this.#overQuota(await this.#store.uploadedBytes(uploader));
    }
    logger.info("{user} shared {name} ({bytes})", {
      user: uploader,
      name: upload.name,
      size: upload.size,
      bytes: counted(upload.size, "byte"),
    });
    return toAttachment(upload);
  }

  /**
   * Keeps a received image as its owner's profile picture (an account's
   * name key, created at `ownerCreatedAt`), replacing the one it had, and
   * moves its bytes into place; undefined (the staged file removed,
   * nothing kept) when that account is gone, its name perhaps registered
   * again since the body began. Not held to the quota: one picture an account, of at most
   * 1 MiB, replacing its last. The bytes of the picture replaced go with
   * the sweep this starts.
   */
  saveAvatar(
    file: ReceivedFile,
    facts: UploadFacts,
    owner: string,
    ownerCreatedAt: number,
  ): Promise<StoredUpload | undefined> {
    return this.#keepImage(
      { file, facts, owner, name: "avatar" },
      async (upload) =>
        await this.#store.setAvatar(owner, upload, ownerCreatedAt)
          ? upload
          : undefined,
    );
  }

  /**
   * Keeps a received image as the custom emoji `name`, added by `author`
   * (an account's name key, created at `authorCreatedAt`), its bytes moved
   * into place first: what the store answered (`exists`, `too_many`,
   * `gone`), or the upload once added. Not held to the quota: an emoji is
   * at most 256 KiB and the server keeps at most so many.
   */
  saveEmoji(
    file: ReceivedFile,
    facts: UploadFacts,
    emoji: { name: string; author: string; authorCreatedAt: number },
    max: number,
  ): Promise<StoredUpload | "exists" | "too_many" | "gone"> {
    return this.#keepImage(
      { file, facts, owner: emoji.author, name: emoji.name },
      async (upload) => {
        const added = await this.#store.addEmoji(
          {
            name: emoji.name,
            upload,
            authorKey: emoji.author,
            createdAt: upload.createdAt,
          },
          { max, authorCreatedAt: emoji.authorCreatedAt },
        );
        return added === "added" ? upload : added;
      },
    );
  }

  // Records a received image as an upload of `owner`, moves its bytes into
  // place, then lets `keep` name it (a profile picture, a custom emoji):
  // what `keep` answered, or, when it kept nothing (anything but the
  // upload), nothing stays (the staged file removed, the upload forgotten).
  // The record comes first, as an upload's: a sweep then sees the hash in
  // use. It is named only once its bytes are in place: a write that fails
  // (a full disk) leaves what was there, and nobody told of a change. The
  // cost: a commit more than one that records and names at once. The
  // bytes of a picture replaced go with the sweep this starts.
  async #keepImage<T>(
    image: {
      file: ReceivedFile;
      facts: UploadFacts;
      owner: string;
      name: string;
    },
    keep: (upload: StoredUpload) => Promise<T>,
  ): Promise<T> {
    const { file } = image;
    const upload: StoredUpload = {
      id: randomBytes(16).toString("hex"),
      hash: file.hash,
      name: image.name,
      ...image.facts,
      size: file.size,
      uploader: image.owner,
      createdAt: Date.now(),
    };
    const kept = await this.#withHash(file.hash, async () => {
      await this.#store.saveUpload(upload);
      const forget = () =>
        this.#store.deleteUpload(upload.id)
          .then(() => this.#deleteRecorded(file.hash))
          .catch(() => {});
      try {
        await this.#contents.put(file.hash, file.path);
      } catch (error) {
        await forget();
        throw error;
      }
      const answer = await keep(upload);
      if (answer !== upload) await forget();
      return answer;
    });
    if (kept !== upload) {
      await Deno.remove(file.path).catch(() => {});
      return kept;
    }
    void this.sweep();
    return kept;
  }

  /**
   * Removes a custom emoji (its bytes go with the sweep this starts), with
   * `audit` in its commit; false when there was none.
   */
  async removeEmoji(name: string, audit?: NewAuditEntry): Promise<boolean> {
    const removed = await this.#store.removeEmoji(name, audit);
    if (removed) void this.sweep();
    return removed;
  }

  /**
   * Removes an account's profile picture (its bytes go with the sweep this
   * starts); false when it had none.
   */
  async removeAvatar(owner: string): Promise<boolean> {
    const removed = await this.#store.removeAvatar(owner);
    if (removed) void this.sweep();
    return removed;
  }

  /** The upload of an account's profile picture, or undefined. */
  avatar(owner: string): Promise<StoredUpload | undefined> {
    return this.#store.findAvatar(owner);
  }

  /**
   * The attachment a URL refers to, for a message `uploader` sends: only
   * its own uploads (a file seen elsewhere cannot be re-shared by URL, so
   * a private file cannot be made public by someone who saw its URL).
   * Size, type and dimensions are the record's, never a client's claim.
   */
  async attach(url: string, uploader: string): Promise<Attachment | undefined> {
    const id = UPLOAD_URL.exec(url)?.[1];
    if (id === undefined) return undefined;
    const upload = await this.#store.findUpload(id);
    return upload?.uploader === uploader ? toAttachment(upload) : undefined;
  }

  /** An upload's record by its id; undefined for a malformed or unknown one. */
  async find(id: string): Promise<StoredUpload | undefined> {
    if (!/^[0-9a-f]{32}(?:[0-9a-f]{32})?$/.test(id)) return undefined;
    return await this.#store.findUpload(id);
  }

  /** The bytes of an upload, or undefined when they are gone. */
  open(upload: StoredUpload): Promise<ReadableStream<Uint8Array> | undefined> {
    return this.#contents.get(upload.hash);
  }

  /**
   * A private message as its readers get it: each attachment URL signed
   * (`?exp=…&sig=…`), so a party without a session (a guest) can fetch it.
   */
  signed<M extends MessageBase>(message: M, now = Date.now()): M {
    if (!message.attachments?.length) return message;
    const exp = Math.ceil((now + SIGNED_DAYS * DAY_MS) / DAY_MS) * DAY_MS /
      1000;
    return {
      ...message,
      attachments: message.attachments.map((a) => {
        const id = UPLOAD_URL.exec(a.url)?.[1];
        if (id === undefined) return a;
        const bare = a.url.split("?")[0];
        return { ...a, url: `${bare}?exp=${exp}&sig=${this.#sign(id, exp)}` };
      }),
    };
  }

  /** True when `exp` and `sig` are a signature of this upload, not expired. */
  verify(
    id: string,
    exp: string | undefined,
    sig: string | undefined,
  ): boolean {
    if (exp === undefined || sig === undefined || !/^\d{1,12}$/.test(exp)) {
      return false;
    }
    if (Number(exp) * 1000 < Date.now()) return false;
    const expected = Buffer.from(this.#sign(id, Number(exp)));
    const given = Buffer.from(sig);
    return given.length === expected.length &&
      timingSafeEqual(given, expected);
  }

  #sign(id: string, exp: number): string {
    if (!this.#key) throw new Error("FileStorage.start() was not called");
    return createHmac("sha256", this.#key).update(`${id}:${exp}`)
      .digest("base64url").slice(0, 22);
  }

  /**
   * Forgets the uploads no live message carries (at once for those whose
   * messages or rooms were deleted, after a day for those never attached)
   * and deletes the bytes no upload uses. Runs one at a time; failures are
   * logged and retried at the next sweep. Resolves once a sweep that
   * started after this call has finished.
   */
  sweep(): Promise<void> {
    return this.#sweeps.run();
  }

  // The store records the hashes whose last upload goes in the commit that
  // forgets the uploads; their bytes go after it, then each record. So the
  // sweep deletes the bytes of every recorded hash: those it just recorded,
  // and those a process killed after such a commit left (the start's
  // sweep finishes them). It reads the records, never every file kept.
  async #sweep(): Promise<void> {
    try {
      await this.#store.sweepUploads(Date.now() - UNATTACHED_MS);
      let count = 0;
      let after = "";
      for (;;) {
        const hashes = await this.#store.pendingFileDeletions(
          after,
          DELETIONS_PAGE,
        );
        for (const hash of hashes) {
          if (this.#closed) break;
          const deleted = await this.#withHash(
            hash,
            () => this.#deleteRecorded(hash),
          );
          if (deleted) count++;
        }
        if (hashes.length < DELETIONS_PAGE || this.#closed) break;
        after = hashes[hashes.length - 1];
      }
      if (count > 0) {
        logger.info("Deleted {files} nobody refers to", {
          count,
          files: counted(count, "file"),
        });
      }
    } catch (error) {
      logger.error("Sweeping files failed: {error}", { error });
    }
  }

  /**
   * Reads again the bytes of the uploads a migration marked, in the
   * background (upload_rereads.ts): at start, and with each timed sweep
   * while some are left. Resolves with how many a pass that started after
   * this call read.
   */
  rereadMarked(): Promise<number> {
    return this.#rereads.run();
  }

  /**
   * Removes the bytes that no upload names and nobody recorded for
   * deletion, written over an hour ago: what the sweep, which reads only
   * the records, never finds. A crash leaves them (an import killed before
   * it listed what it placed), and so does a database restored from a
   * backup older than the files. Each goes through the deletion turn, as
   * the sweep's do, so an upload of the same bytes recorded meanwhile
   * keeps them; staged uploads are never looked at. Runs with the first
   * timed sweep after a day since the last walk (the first an hour after
   * start), since it reads every file kept (the folder, or the rows of
   * `file_contents` a page at a time): one look at the store per file.
   * Resolves with what a walk that started after this call removed.
   */
  removeUnnamed(): Promise<{ files: number; bytes: number }> {
    return this.#walks.run();
  }

  async #removeUnnamed(): Promise<{ files: number; bytes: number }> {
    const removed = { files: 0, bytes: 0 };
    this.#walkedAt = Date.now();
    const before = Date.now() - UNNAMED_GRACE_MS;
    try {
      for await (const kept of this.#contents.list()) {
        if (this.#closed) break;
        if (kept.writtenAt > before) continue;
        if (await this.#store.hashInUse(kept.hash)) continue;
        // Recorded first: a stop before the removal leaves it to the
        // next sweep, as a recorded deletion.
        await this.#store.recordFileDeletions([kept.hash]);
        const gone = await this.#withHash(
          kept.hash,
          () => this.#deleteRecorded(kept.hash),
        );
        if (!gone) continue;
        removed.files++;
        removed.bytes += kept.size;
        logger.info(
          "Removed {hash} ({bytes}, written {writtenAt}): no upload names it",
          {
            hash: kept.hash,
            size: kept.size,
            bytes: counted(kept.size, "byte"),
            writtenAt: new Date(kept.writtenAt).toISOString(),
          },
        );
      }
    } catch (error) {
      logger.error("Looking for files no upload names failed: {error}", {
        error,
      });
    }
    if (removed.files > 0) {
      logger.warn("Removed {howMany} ({howBig}) that no upload names", {
        ...removed,
        howMany: counted(removed.files, "file"),
        howBig: counted(removed.bytes, "byte"),
      });
    }
    return removed;
  }

  /**
   * Counts the uploads whose bytes are gone (a file removed by hand, a
   * restore of the database newer than its files, a `file_contents` row
   * deleted): each one's download answers 404, and nothing else shows it.
   * Only uploads recorded over an hour ago count (an upload's bytes are
   * put after its row's commit, so a newer one may still be arriving),
   * and one whose bytes are found gone is looked up again, so an upload a
   * sweep forgot meanwhile (its bytes then go) is not counted. Logs one
   * line each walk, with the count and the first few ids, and keeps the
   * count for /metrics ({@link FileStorage.missingFiles}). Runs after the
   * start's sweep, and after the daily walk for bytes no upload names:
   * one look at the store per page of uploads, and one at the bytes per
   * upload (one query a page for the database's bytes). Resolves with what a walk that started after
   * this call found; a walk that fails logs why and keeps the last count.
   */
  findMissing(): Promise<MissingFiles> {
    return this.#missingWalks.run();
  }

  /**
   * Uploads whose bytes were gone at the last walk (0 before the first, the
   * one a start begins after its sweep).
   */
  get missingFiles(): number {
    return this.#missing;
  }

  async #findMissing(): Promise<MissingFiles> {
    const missing: MissingFiles = { count: 0, ids: [] };
    const before = Date.now() - UNNAMED_GRACE_MS;
    let looked = 0;
    try {
      let after = "";
      for (;;) {
        const page = await this.#store.listUploads(after, UPLOADS_PAGE);
        const old = page.filter((upload) => upload.createdAt <= before);
        looked += old.length;
        const gone = new Set(
          await this.#contents.absent([...new Set(old.map((u) => u.hash))]),
        );
        for (const upload of old) {
          if (this.#closed) return missing;
          if (!gone.has(upload.hash)) continue;
          if (await this.#store.findUpload(upload.id) === undefined) continue;
          missing.count++;
          if (missing.ids.length < MISSING_NAMED) missing.ids.push(upload.id);
        }
        if (page.length < UPLOADS_PAGE) break;
        after = page[page.length - 1].id;
      }
    } catch (error) {
      logger.error("Looking for uploads whose file is gone failed: {error}", {
        error,
      });
      return missing;
    }
    this.#missing = missing.count;
    if (missing.count > 0) {
      logger.warn(
        "{count} of {uploads} {verb} a file that is gone from {where} " +
          "(their downloads answer 404), among them {ids}",
        {
          count: missing.count,
          looked,
          uploads: counted(looked, "upload"),
          verb: missing.count === 1 ? "names" : "name",
          where: this.#contents.describe,
          ids: missing.ids.join(", "),
        },
      );
    } else {
      logger.info(
        "Every upload's file is kept ({uploads} over an hour old)",
        { looked, uploads: counted(looked, "upload") },
      );
    }
    return missing;
  }

  /**
   * Deletes the bytes of a hash recorded for deletion, in the store's turn
   * for it, and clears the record; false when they stay (an upload uses
   * them again, or another process is deleting them). Call it in the
   * hash's turn of this process.
   */
  async #deleteRecorded(hash: string): Promise<boolean> {
    if (!await this.#store.claimFileDeletion(hash)) return false;
    let deleted = false;
    try {
      await this.#contents.delete(hash);
      deleted = true;
    } finally {
      await this.#store.finishFileDeletion(hash, deleted);
    }
    return true;
  }

  async #withHash<T>(hash: string, step: () => Promise<T>): Promise<T> {
    const before = this.#hashLocks.get(hash) ?? Promise.resolve();
    const mine = before.catch(() => {}).then(step);
    this.#hashLocks.set(hash, mine);
    try {
      return await mine;
    } finally {
      if (this.#hashLocks.get(hash) === mine) this.#hashLocks.delete(hash);
    }
  }

  /** Stops sweeping and releases what holds the bytes (a database pool). */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#sweeps.idle();
    await this.#rereads.idle();
    await this.#walks.idle();
    await this.#missingWalks.idle();
    await this.#contents.close();
  }
}

/** How a message sent now refers to an upload: at its own URL and name. */
function toAttachment(upload: StoredUpload): Attachment {
  return attachmentOf(upload, {
    url: `/files/${upload.id}/${encodeURIComponent(upload.name)}`,
    name: upload.name,
  });
}

/** A file name safe to show and to send back in a header. */
export function cleanFileName(raw: string): string {
  const base = raw.split(/[\\/]/).pop() ?? "";
  // Control characters, and those that disguise a name ("exe.png").
  const name = base.replace(/\p{Cc}/gu, "").replace(EVERY_DISGUISING, "")
    .trim().slice(0, 200)
    // The cut at 200 UTF-16 units may fall inside an emoji: its lone first
    // half made encodeURIComponent (the URL, the download's header) throw.
    .replace(/[\uD800-\uDBFF]$/, "");
  return name === "" || name === "." || name === ".." ? "file" : name;
}

function cleanType(raw: string): string {
  const type = raw.split(";")[0].trim().toLowerCase();
  return /^[a-z0-9.+-]+\/[a-z0-9.+-]+$/.test(type)
    ? type
    : "application/octet-stream";
}
