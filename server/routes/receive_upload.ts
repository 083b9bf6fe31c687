// @ts-types="npm:@types/busboy@^1.5"
import type busboy from "busboy";
import { createHash } from "node:crypto";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { storageProblem } from "../disk_errors.ts";
import type { ErrorCode } from "../protocol/types.ts";

/** A file received into the staging folder, whole and within the limit. */
export interface ReceivedFile {
  /** The staged file; the caller moves it away or removes it. */
  path: string;
  /** SHA-256 of the content, hex. */
  hash: string;
  size: number;
  /** The form's `name` field, else the part's filename (uncleaned). */
  name: string;
  /** The part's Content-Type as the client sent it (unchecked). */
  type: string;
}

/** Why an upload was refused, as an HTTP answer. */
export interface UploadRefusal {
  status: 400 | 413 | 507;
  error: ErrorCode;
  message: string;
}

/** Options of {@link receiveUpload}. */
export interface ReceiveOptions {
  /** Largest file, in bytes. */
  maxBytes: number;
  /** Where the file is written while it arrives. */
  stagingDir: string;
}

// Multipart framing and a `name` field around the file itself.
const FRAMING_BYTES = 16 * 1024;

/**
 * The most bytes an upload can leave in the staging folder: its declared
 * `Content-Length` when that is smaller (the file is part of the body),
 * else the size at which reading stops. A body sent without a length
 * (chunked) is counted at that largest size rather than checked as it
 * streams: browsers always send the length of a form, the difference is
 * one file of `--max-file-bytes` (10 MiB by default) held for the time of
 * one upload, and the disk is then looked at once, before the body.
 */
export function mostStagedBytes(request: Request, maxBytes: number): number {
  const declared = Number(request.headers.get("content-length") ?? NaN);
  // busboy's limit below: a file that reaches it is cut short and dropped.
  const cut = maxBytes + 1;
  return Number.isSafeInteger(declared) && declared >= 0
    ? Math.min(declared, cut)
    : cut;
}

/**
 * Reads a `multipart/form-data` upload (field `file`, optional field
 * `name`) straight to a file in the staging folder, hashing it on the way:
 * the body is never held in memory, and reading stops (the rest of the
 * body cancelled) as soon as it passes the limit, however it is sent. On
 * any refusal or failure no staged file is left behind.
 */
export async function receiveUpload(
  request: Request,
  options: ReceiveOptions,
): Promise<ReceivedFile | UploadRefusal> {
  const contentType = request.headers.get("content-type") ?? "";
  const declared = Number(request.headers.get("content-length") ?? NaN);
  if (declared > options.maxBytes + FRAMING_BYTES) {
    await request.body?.cancel().catch(() => {});
    return tooLarge(options.maxBytes);
  }
  if (!/^multipart\/form-data\b/i.test(contentType) || !request.body) {
    await request.body?.cancel().catch(() => {});
    return badForm();
  }
  // busboy loads with the first upload: 17-29 ms of CPU that a server's
  // start need not pay (docs/performance.md).
  const { default: makeParser }: { default: typeof busboy } = await import(
    "busboy"
  );
  let parser: busboy.Busboy;
  try {
    parser = makeParser({
      headers: { "content-type": contentType },
      // Browsers send UTF-8 filenames, not busboy's default Latin-1.
      defParamCharset: "utf8",
      limits: {
        files: 1,
        // busboy calls a file that reaches this size cut short.
        fileSize: options.maxBytes + 1,
        fields: 4,
        fieldSize: 4096,
        parts: 8,
      },
    });
  } catch {
    await request.body.cancel().catch(() => {});
    return badForm();
  }
  try {
    await Deno.mkdir(options.stagingDir, { recursive: true });
  } catch (error) {
    await request.body.cancel().catch(() => {});
    const refusal = outOfSpace(error);
    if (!refusal) throw error;
    return refusal;
  }
  const path = join(options.stagingDir, `${crypto.randomUUID()}.part`);
  const state = { name: "", type: "", size: 0, tooLarge: false };
  const hash = createHash("sha256");
  const reader = request.body.getReader();
  let written: Promise<void> | undefined;
  let failure: unknown;
  // Wakes the loop below from a wait for the parser. (Racing each read
  // against a promise that lives as long as the request would keep every
  // chunk reachable until the end: the whole file in memory.)
  let wake: (() => void) | undefined;
  const halt = () => {
    void reader.cancel().catch(() => {});
    wake?.();
  };
  const waitFor = (event: string) =>
    new Promise<void>((resolve) => {
      wake = resolve;
      parser.once(event, () => resolve());
    });
  parser.on("error", (error) => {
    failure ??= error;
    halt();
  });
  parser.on("field", (field, value) => {
    if (field === "name") state.name = value;
  });
  parser.on("file", (field, stream, info) => {
    // A form that ends inside a part (no closing boundary) has busboy
    // destroy the part's stream with "Unexpected end of form", maybe
    // before anything reads it (writeStaged is still opening its file):
    // with no listener that error was uncaught and the process exited,
    // one request from any account. The parser reports it too.
    stream.on("error", (error) => {
      failure ??= error;
      halt();
    });
    if (field !== "file" || written) {
      stream.resume();
      return;
    }
    state.type = info.mimeType;
    // Browsers send '"', CR and LF in filenames as %22, %0D and %0A (the
    // HTML spec's encoding); the form's `name` field, when sent, wins.
    if (state.name === "") {
      state.name = (info.filename ?? "").replace(
        /%(22|0D|0A)/gi,
        (_, code: string) => String.fromCharCode(parseInt(code, 16)),
      );
    }
    stream.on("limit", () => {
      state.tooLarge = true;
      halt();
    });
    written = writeStaged(stream, path, (chunk) => {
      hash.update(chunk);
      state.size += chunk.byteLength;
    });
    written.catch((error) => {
      failure ??= error;
      halt();
    });
  });
  try {
    let received = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done || failure !== undefined || state.tooLarge) break;
      received += value.byteLength;
      if (received > options.maxBytes + FRAMING_BYTES) {
        state.tooLarge = true;
        break;
      }
      if (!parser.write(value)) await waitFor("drain");
      if (failure !== undefined || state.tooLarge) break;
    }
    if (failure === undefined && !state.tooLarge) {
      const closed = waitFor("close");
      parser.end();
      await closed;
      await written;
    }
  } catch (error) {
    failure ??= error;
  }
  if (failure !== undefined || state.tooLarge || !written) {
    await discard(reader, parser, written, path);
    if (state.tooLarge) return tooLarge(options.maxBytes);
    return outOfSpace(failure) ?? badForm();
  }
  return {
    path,
    hash: hash.digest("hex"),
    size: state.size,
    name: state.name,
    type: state.type,
  };
}

// Copies a part to a new file chunk by chunk: busboy pauses the body while
// the disk catches up, so memory holds a chunk or two.
async function writeStaged(
  stream: Readable,
  path: string,
  onChunk: (chunk: Uint8Array) => void,
): Promise<void> {
  using file = await Deno.open(path, { write: true, createNew: true });
  for await (const chunk of stream) {
    const bytes = chunk as Uint8Array;
    onChunk(bytes);
    for (let at = 0; at < bytes.length;) {
      at += await file.write(bytes.subarray(at));
    }
  }
}

// Stops reading, drops the parser and the staged file.
async function discard(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  parser: busboy.Busboy,
  written: Promise<void> | undefined,
  path: string,
): Promise<void> {
  await reader.cancel().catch(() => {});
  parser.destroy();
  await written?.catch(() => {});
  await Deno.remove(path).catch(() => {});
}

/** A refusal for a full or read-only disk, else undefined. */
export function outOfSpace(error: unknown): UploadRefusal | undefined {
  if (storageProblem(error) === undefined) return undefined;
  return {
    status: 507,
    error: "internal",
    message: "The server has no room to store files right now.",
  };
}

function tooLarge(maxBytes: number): UploadRefusal {
  return {
    status: 413,
    error: "invalid_message",
    message: `A file is at most ${maxBytes} bytes.`,
  };
}

function badForm(): UploadRefusal {
  return {
    status: 400,
    error: "invalid_message",
    message: "Send the file as multipart/form-data, field 'file'.",
  };
}
