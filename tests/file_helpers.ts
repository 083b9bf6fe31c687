/**
 * Helpers for the tests of shared files: accounts with a session cookie,
 * uploads over HTTP, fetches as someone, and image bytes made to measure.
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import type { Attachment } from "../server/protocol/types.ts";
import { TEST_PASSWORD, TestClient, type TestServer } from "./harness.ts";

/** A file as `POST /api/files` and messages describe it. */
export type Uploaded = Attachment;

/** Where a server listens: a test server's, or a spawned process's. */
export type ServerAddress = Pick<TestServer, "url" | "wsUrl">;

/** An account with its session cookie and a logged-in socket. */
export interface Member {
  cookie: string;
  client: TestClient;
}

/** Registers an account over HTTP and logs a socket in with the cookie. */
export async function member(
  server: ServerAddress,
  username: string,
): Promise<Member> {
  const res = await fetch(`${server.url}/api/register`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      origin: server.url,
    },
    body: JSON.stringify({ username, password: TEST_PASSWORD }),
  });
  await res.body?.cancel();
  assert.equal(res.status, 201);
  const cookie = res.headers.get("set-cookie")!.split(";")[0];
  const client = await TestClient.loginWith(server.wsUrl, {}, {
    headers: { cookie },
  });
  return { cookie, client };
}

// A fresh connection per upload. Deno's fetch polls its pooled connections
// only between JavaScript turns, so on a busy machine it may send a large
// body on a keep-alive connection the server closed seconds ago (broken
// pipe). Browsers retry such a request; a test should not depend on it.
const uploadClient = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });

/** Uploads a file with a session cookie; the status and the JSON body. */
export async function upload(
  server: ServerAddress,
  cookie: string,
  file: File,
): Promise<{ status: number; body: Uploaded & { error?: string } }> {
  const form = new FormData();
  form.append("file", file);
  form.append("name", file.name);
  const init: RequestInit & { client: Deno.HttpClient } = {
    method: "POST",
    body: form,
    headers: { cookie, origin: server.url },
    client: uploadClient,
  };
  const res = await fetch(`${server.url}/api/files`, init);
  return { status: res.status, body: await res.json() };
}

/** Uploads a file and fails the test unless it is accepted. */
export async function uploaded(
  server: ServerAddress,
  cookie: string,
  file: File,
): Promise<Uploaded> {
  const up = await upload(server, cookie, file);
  assert.equal(up.status, 201, JSON.stringify(up.body));
  return up.body;
}

/** GETs a file (as a cookie's account, or anonymously) and reads it all. */
export async function fetchFile(
  server: ServerAddress,
  url: string,
  cookie?: string,
): Promise<{ status: number; headers: Headers; bytes: Uint8Array }> {
  const res = await fetch(`${server.url}${url}`, {
    headers: cookie ? { cookie } : {},
  });
  return {
    status: res.status,
    headers: res.headers,
    bytes: new Uint8Array(await res.arrayBuffer()),
  };
}

/** A 1x1 transparent PNG. */
export const PNG = Uint8Array.from(
  atob(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
  ),
  (c) => c.charCodeAt(0),
);

/**
 * A PNG whose header says `width` x `height` (the pixels are not there: a
 * preview would try to decode them all).
 */
export function pngOfSize(
  width: number,
  height: number,
): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(8 + 25 + 12);
  bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const view = new DataView(bytes.buffer);
  view.setUint32(8, 13);
  bytes.set([0x49, 0x48, 0x44, 0x52], 12); // IHDR
  view.setUint32(16, width);
  view.setUint32(20, height);
  bytes.set([8, 6, 0, 0, 0], 24);
  view.setUint32(37, 0);
  bytes.set([0x49, 0x45, 0x4e, 0x44], 41); // IEND (length 0, no CRC check)
  return bytes;
}

/**
 * An animated PNG announcing `frames` frames of `width` x `height` pixels
 * in its acTL chunk, which comes after `textBytes` of text (a tEXt chunk:
 * a PNG may hold any ancillary chunks before its first IDAT); no frame's
 * pixels are there, the count is what a frame cap reads.
 */
export function apngOfFrames(
  frames: number,
  width: number,
  height: number,
  textBytes = 0,
): Uint8Array<ArrayBuffer> {
  const chunks: [string, Uint8Array][] = [];
  const ihdr = new Uint8Array(13);
  const view = new DataView(ihdr.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  ihdr.set([8, 6, 0, 0, 0], 8);
  chunks.push(["IHDR", ihdr]);
  if (textBytes > 0) chunks.push(["tEXt", new Uint8Array(textBytes).fill(97)]);
  const actl = new Uint8Array(8);
  new DataView(actl.buffer).setUint32(0, frames);
  chunks.push(["acTL", actl], ["IDAT", new Uint8Array()], [
    "IEND",
    new Uint8Array(),
  ]);
  const size = chunks.reduce((sum, [, data]) => sum + 12 + data.length, 8);
  const bytes = new Uint8Array(size);
  bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const out = new DataView(bytes.buffer);
  let at = 8;
  for (const [kind, data] of chunks) {
    out.setUint32(at, data.length);
    bytes.set(new TextEncoder().encode(kind), at + 4);
    bytes.set(data, at + 8);
    at += 12 + data.length; // the CRC left 0: nothing here checks it
  }
  return bytes;
}

/** Options of {@link gifOfFrames}: a header that says other than the frames. */
export interface GifShape {
  /** The logical screen the header declares (default: the frames' size). */
  screen?: [number, number];
  /** Where each frame sits on the screen (default 0, 0). */
  offset?: [number, number];
}

/** A GIF of `frames` frames of `width` x `height` pixels. */
export function gifOfFrames(
  frames: number,
  width: number,
  height: number,
  shape: GifShape = {},
): Uint8Array<ArrayBuffer> {
  const [screenWidth, screenHeight] = shape.screen ?? [width, height];
  const [left, top] = shape.offset ?? [0, 0];
  const head = [
    ...new TextEncoder().encode("GIF89a"),
    screenWidth & 0xff,
    screenWidth >> 8,
    screenHeight & 0xff,
    screenHeight >> 8,
    0x80, // a global colour table of 2 entries
    0,
    0,
    0,
    0,
    0,
    255,
    255,
    255,
  ];
  const frame = [
    0x2c,
    left & 0xff,
    left >> 8,
    top & 0xff,
    top >> 8,
    width & 0xff,
    width >> 8,
    height & 0xff,
    height >> 8,
    0,
    2, // LZW minimum code size
    2,
    0x4c,
    0x01,
    0, // one sub-block, then the terminator
  ];
  const bytes = new Uint8Array(head.length + frames * frame.length + 1);
  bytes.set(head);
  for (let i = 0; i < frames; i++) {
    bytes.set(frame, head.length + i * frame.length);
  }
  bytes[bytes.length - 1] = 0x3b;
  return bytes;
}

/**
 * An animated WebP of `frames` empty frames (ANMF chunks of no data, which
 * is all a frame count looks at) of `width` x `height` pixels.
 */
export function webpOfFrames(
  frames: number,
  width: number,
  height: number,
): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(12 + 18 + frames * 8);
  const view = new DataView(bytes.buffer);
  const ascii = (at: number, text: string) =>
    bytes.set(new TextEncoder().encode(text), at);
  ascii(0, "RIFF");
  view.setUint32(4, bytes.length - 8, true);
  ascii(8, "WEBP");
  ascii(12, "VP8X");
  view.setUint32(16, 10, true);
  bytes[20] = 0x02; // animated
  view.setUint32(24, width - 1, true); // 24 bits, then the height's
  view.setUint32(27, height - 1, true);
  for (let i = 0; i < frames; i++) ascii(30 + i * 8, "ANMF");
  return bytes;
}

/**
 * The head of a JPEG whose frame header says `width` x `height`, as a
 * decoder reads it, with a 0xFF fill byte before that header (decoders
 * skip fill bytes) and, where a reader that takes the fill byte for a
 * marker and the marker for a length lands (48 KiB on), another frame
 * header of 1 x 1. No image data: only headers are read on upload.
 */
export function jpegBehindFill(
  width: number,
  height: number,
): Uint8Array<ArrayBuffer> {
  const jfif = [0xff, 0xe0, 0, 16, ...new TextEncoder().encode("JFIF\0")];
  const head = [0xff, 0xd8, ...jfif, 1, 1, 0, 0, 1, 0, 1, 0, 0];
  const frame = (w: number, h: number) => [
    0xff,
    0xc0,
    0,
    11, // length
    8, // precision
    h >> 8,
    h & 0xff,
    w >> 8,
    w & 0xff,
    1, // one component: id, sampling, table
    1,
    0x11,
    0,
  ];
  // The fill byte, then the real frame header.
  const real = [0xff, ...frame(width, height)];
  // Past the fill byte, C0 00 read as a length: 0xC000 bytes on.
  const planted = head.length + 2 + 0xc000;
  const bytes = new Uint8Array(planted + 13 + 2);
  bytes.set([...head, ...real]);
  bytes.set(frame(1, 1), planted);
  bytes.set([0xff, 0xd9], planted + 13);
  return bytes;
}

/** Every file under a folder, staging included, as relative paths. */
export async function filesUnder(dir: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (at: string, prefix: string) => {
    try {
      for await (const entry of Deno.readDir(at)) {
        const path = `${prefix}${entry.name}`;
        if (entry.isDirectory) await walk(`${at}/${entry.name}`, `${path}/`);
        else found.push(path);
      }
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  };
  await walk(dir, "");
  return found.sort();
}

/**
 * Marks an upload of a running server's SQLite file to be read again, and
 * records it in its row and in the first attachment of the messages that
 * carry it at `size` (dimensions cleared when undefined, as the migration
 * that marks uploads does): as an import without its bytes, or an upgrade,
 * leaves it. The server reads it at its next pass (`rereadMarked`).
 */
export function markToReadAgain(
  dbPath: string,
  id: string,
  size?: { width: number; height: number },
): void {
  const db = new DatabaseSync(dbPath);
  try {
    db.exec("PRAGMA busy_timeout = 10000");
    db.prepare("INSERT INTO upload_rereads (id) VALUES (?)").run(id);
    db.prepare("UPDATE uploads SET width = ?, height = ? WHERE id = ?")
      .run(size?.width ?? null, size?.height ?? null, id);
    const attachments = size === undefined
      ? "json_remove(attachments, '$[0].width', '$[0].height')"
      : `json_set(attachments, '$[0].width', ${size.width},
           '$[0].height', ${size.height})`;
    db.prepare(
      `UPDATE messages SET attachments = ${attachments}
       WHERE id IN (SELECT message_id FROM file_refs WHERE upload_id = ?)`,
    ).run(id);
  } finally {
    db.close();
  }
}
