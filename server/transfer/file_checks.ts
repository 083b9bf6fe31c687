/**
 * An import's `file` lines held to the bytes it places (`--include-files`):
 * the bytes must be the file's (their SHA-256 its hash, their length its
 * size), and its type, dimensions and frames are what the server reads of
 * them, whatever the line says; each message's attachments then say what
 * their file's record says. A line could claim a 10,000 x 10,000 GIF was
 * 1 x 1 (an export of a server whose readers got it wrong, or a tampered
 * file), and every reader's browser was sent to decode it inline.
 *
 * Without the bytes (their folder copied by hand, maybe after the import),
 * an image is marked for the server to read at its start, in the
 * background (upload_rereads.ts): until then its dimensions are the line's
 * (the round trip of an export stays exact), and a lie holds for the
 * seconds the server's pass takes to reach it.
 */
import { createHash } from "node:crypto";
import { type ImageInfo, inspectImage } from "../image_info.ts";
import { INLINE_TYPES } from "../protocol/previews.ts";
import type { Attachment } from "../protocol/types.ts";
import type { UploadFacts } from "../store/mod.ts";
import { UPLOAD_URL } from "../store/rows.ts";
import { attachmentOf, uploadFacts } from "../upload_facts.ts";
import type { Row } from "./format.ts";

/** What the bytes of a file say of it: the facts a record must hold. */
type Checked = UploadFacts & { size: number };

/**
 * Why a file line cannot be imported as it is: its bytes are not its own.
 * `message` is a sentence for the operator.
 */
export class FileRefusal extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FileRefusal";
  }
}

/**
 * What one import learnt of the bytes it placed, and of the records it
 * took: a few numbers per hash and per file, for the messages after them.
 */
export class FileChecks {
  #bytes = new Map<string, { size: number; image: ImageInfo | undefined }>();
  #uploads = new Map<string, Checked>();
  #attachmentsCorrected = 0;
  #unread: string[] = [];

  /**
   * Reads the bytes staged for `hash` (once per hash): refuses them
   * (FileRefusal) when their SHA-256 is another.
   */
  async readBytes(hash: string, path: string): Promise<void> {
    if (this.#bytes.has(hash)) return;
    const digest = createHash("sha256");
    let size = 0;
    using file = await Deno.open(path);
    for await (const chunk of file.readable) {
      digest.update(chunk);
      size += chunk.length;
    }
    const actual = digest.digest("hex");
    if (actual !== hash) {
      throw new FileRefusal(
        `its bytes are not this file's: their SHA-256 is ${actual}, the line ` +
          `says ${hash} (the folder of files was changed after the export)`,
      );
    }
    this.#bytes.set(hash, { size, image: await inspectImage(path) });
  }

  /**
   * Holds a `file` line whose bytes were read to them: refuses it
   * (FileRefusal) when its size is not theirs, and corrects its type,
   * width, height and frames to what the bytes read as. Returns a warning
   * when it corrected something, else undefined.
   */
  hold(row: Row): string | undefined {
    const bytes = this.#bytes.get(String(row.hash));
    if (bytes === undefined) return undefined;
    if (row.size !== bytes.size) {
      throw new FileRefusal(
        `the file says it is ${row.size} bytes, its bytes are ${bytes.size}`,
      );
    }
    const facts = uploadFacts(bytes.image, String(row.type));
    const said = describe(row as Partial<Checked>);
    const read = describe(facts);
    this.#uploads.set(String(row.id), { ...facts, size: bytes.size });
    row.type = facts.type;
    row.width = facts.width ?? null;
    row.height = facts.height ?? null;
    row.frames = facts.frames ?? null;
    if (said === read) return undefined;
    return `file ${row.id} (${
      JSON.stringify(row.name)
    }) was recorded as ${said}, its bytes read as ${read}: imported as read`;
  }

  /**
   * Takes a `file` line whose bytes this import does not have as it is, and
   * keeps an image's id for {@link unread}: its dimensions are the line's
   * word until a server reads its bytes.
   */
  holdUnread(row: Row): void {
    if (INLINE_TYPES.has(String(row.type))) this.#unread.push(String(row.id));
  }

  /** The images {@link holdUnread} took on the line's word. */
  get unread(): readonly string[] {
    return this.#unread;
  }

  /**
   * Makes a message line's attachments say what their files' records say
   * (size, type, dimensions, frames), for the files this import held.
   */
  holdAttachments(row: Row): void {
    if (!Array.isArray(row.attachments)) return;
    row.attachments = (row.attachments as Attachment[]).map((attachment) => {
      const id = UPLOAD_URL.exec(attachment.url)?.[1];
      const checked = id === undefined ? undefined : this.#uploads.get(id);
      if (checked === undefined) return attachment;
      const held = attachmentOf(checked, attachment);
      if (
        describe(attachment) !== describe(held) ||
        attachment.size !== held.size
      ) {
        this.#attachmentsCorrected++;
      }
      return held;
    });
  }

  /** How many attachments of messages said other than their file's bytes. */
  get attachmentsCorrected(): number {
    return this.#attachmentsCorrected;
  }
}

// "image/gif 1 x 1", "image/webp 10 x 10, 3 frames", "text/plain".
function describe(facts: Partial<Checked>): string {
  const { type, width, height, frames } = facts;
  const size = width == null || height == null ? "" : ` ${width} x ${height}`;
  return `${type}${size}${frames == null ? "" : `, ${frames} frames`}`;
}
