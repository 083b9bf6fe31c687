import { imageSize } from "image-size";
import pLimit from "p-limit";

/** What the bytes of an image say about it. */
export interface ImageInfo {
  /** From the bytes' own signature, whatever the uploader claimed. */
  type: "image/png" | "image/jpeg" | "image/gif" | "image/webp";
  width: number;
  height: number;
  /** Frames of an animation; absent for a still image. */
  frames?: number;
}

const TYPES: Record<string, ImageInfo["type"]> = {
  png: "image/png",
  jpg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
};

// Where JPEG, PNG and WebP keep their dimensions, with room to spare.
const HEAD_BYTES = 512 * 1024;

// Counting the frames of a GIF or WebP reads the whole file: two at a
// time keeps that to twice the largest file in memory.
const wholeFiles = pLimit(2);

/**
 * Reads the type, dimensions and frame count of a PNG, JPEG, GIF or WebP
 * from a file's bytes (never from its name or claimed type); undefined for
 * anything else, SVG included, and for bytes that only look like an image.
 */
export async function inspectImage(
  path: string,
): Promise<ImageInfo | undefined> {
  const head = await readHead(path);
  let size: { width: number; height: number; type?: string };
  try {
    size = imageSize(head);
  } catch {
    return undefined;
  }
  const type = size.type === undefined ? undefined : TYPES[size.type];
  if (type === undefined || !(size.width > 0 && size.height > 0)) {
    return undefined;
  }
  const info: ImageInfo = { type, width: size.width, height: size.height };
  if (type === "image/jpeg") {
    // image-size resyncs on any 0xFF it meets and reads past the image's
    // start: a 0xFF fill byte before the frame header (which decoders
    // skip) sent it to a 1 x 1 header planted 48 KiB on, and a 6,000 x
    // 6,000 JPEG was recorded as 1 x 1 and previewed inline.
    const found = jpegSize(head);
    const frame = found !== PAST_THE_END
      ? found
      : await wholeFiles(async () => {
        const whole = jpegSize(await Deno.readFile(path));
        return whole === PAST_THE_END ? undefined : whole;
      });
    if (frame === undefined) return undefined;
    info.width = frame.width;
    info.height = frame.height;
  }
  let frames: number | undefined;
  if (type === "image/png") {
    const found = apngFrames(head);
    // The chunks before the first IDAT ran past the head (ancillary ones
    // may be as long as the file): the acTL may be behind them. Read from
    // the head alone, 600 KiB of text before it made an animation of any
    // frames a still image, previewed past the cap on all frames.
    frames = found !== PAST_THE_END ? found : await wholeFiles(async () => {
      const whole = apngFrames(await Deno.readFile(path));
      return whole === PAST_THE_END ? undefined : whole;
    });
  }
  if (type === "image/gif") {
    const gif = await wholeFiles(async () =>
      readGif(await Deno.readFile(path))
    );
    if (gif === undefined) return undefined;
    // What a browser draws on: its first frame past the screen the header
    // declares enlarges it (Chromium 156 decoded a 43-byte GIF of a 1 x 1
    // screen as 10,000 x 10,000, past the preview cap that 1 x 1 passed).
    info.width = Math.max(info.width, gif.width);
    info.height = Math.max(info.height, gif.height);
    frames = gif.frames;
  }
  if (type === "image/webp") {
    frames = await wholeFiles(async () =>
      webpFrames(await Deno.readFile(path))
    );
  }
  if (frames !== undefined && frames > 1) info.frames = frames;
  return info;
}

async function readHead(path: string): Promise<Uint8Array> {
  using file = await Deno.open(path);
  const head = new Uint8Array(HEAD_BYTES);
  let filled = 0;
  while (filled < head.length) {
    const n = await file.read(head.subarray(filled));
    if (n === null) break;
    filled += n;
  }
  return head.subarray(0, filled);
}

/** What walking a GIF's blocks tells: its frames, and its first frame's extent. */
interface GifBlocks {
  frames: number;
  /** Right and bottom edges of the first frame (its offset plus its size). */
  width: number;
  height: number;
}

// A JPEG's frame header (SOFn) is one of these markers; the 4 between
// them are DHT, JPG and DAC, the rest past them what follows the header.
function isFrameHeader(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 &&
    marker !== 0xc8 && marker !== 0xcc;
}

// The dimensions of a JPEG's first frame header, found as libjpeg (in
// Chromium and Firefox) finds it: SOI first, then each marker after any
// bytes that are not 0xFF and any 0xFF fill bytes (an FF 00 is skipped
// too), segments skipped by their length; libjpeg refuses a second frame
// header, so the first is what a reader decodes. Undefined when the image
// data (SOS) or the end (EOI) comes first, or the height or width is 0
// (libjpeg refuses it; a DNL marker would give it later); PAST_THE_END
// when the bytes end first.
function jpegSize(
  bytes: Uint8Array,
): { width: number; height: number } | undefined | typeof PAST_THE_END {
  if (bytes[0] !== 0xff || bytes[1] !== 0xd8) return undefined;
  for (let at = 2;;) {
    let marker = 0;
    while (marker === 0) {
      while (at < bytes.length && bytes[at] !== 0xff) at++;
      while (at < bytes.length && bytes[at] === 0xff) at++;
      if (at >= bytes.length) return PAST_THE_END;
      marker = bytes[at++];
    }
    if (isFrameHeader(marker)) {
      // Length (2), precision (1), height (2), width (2).
      if (at + 7 > bytes.length) return PAST_THE_END;
      const height = bytes[at + 3] << 8 | bytes[at + 4];
      const width = bytes[at + 5] << 8 | bytes[at + 6];
      return width > 0 && height > 0 ? { width, height } : undefined;
    }
    if (marker === 0xda || marker === 0xd9 || marker === 0xd8) {
      return undefined;
    }
    // RST0 to RST7 and TEM stand alone; every other marker has a length.
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) continue;
    if (at + 2 > bytes.length) return PAST_THE_END;
    at += bytes[at] << 8 | bytes[at + 1];
  }
}

// A GIF's frames, counted by walking its blocks (GIF89a: an image
// descriptor per frame; extensions and image data are sub-blocks, each a
// length byte, ended by a zero). omggif's GifReader built an object per
// frame before it could count them: a 10 MiB GIF of 870,000 empty frames
// held 350 MiB and the event loop for half a second per upload. Walking
// keeps nothing and costs a few milliseconds. Undefined when the blocks run
// past the end or a block is unknown (not an image we can show).
//
// The first frame's edges too: Chromium enlarges the screen to hold the
// first frame (offset included) and Firefox to the first frame's size, so
// a frame larger than the declared screen is what a reader decodes. Later
// frames are cut to the screen by both.
function readGif(bytes: Uint8Array): GifBlocks | undefined {
  let at = 13 + colourTableBytes(bytes[10]);
  const found: GifBlocks = { frames: 0, width: 0, height: 0 };
  while (at < bytes.length) {
    const block = bytes[at++];
    if (block === 0x3b) return found; // the trailer
    if (block === 0x21) {
      at = skipSubBlocks(bytes, at + 1); // past the extension's label
    } else if (block === 0x2c) {
      if (at + 9 > bytes.length) return undefined;
      if (found.frames === 0) {
        // Left, top, width and height, little-endian 16-bit each.
        const word = (i: number) => bytes[at + i] | bytes[at + i + 1] << 8;
        found.width = word(0) + word(4);
        found.height = word(2) + word(6);
      }
      at += 9 + colourTableBytes(bytes[at + 8]);
      at = skipSubBlocks(bytes, at + 1); // past the LZW code size
      found.frames++;
    } else {
      return undefined;
    }
    if (at < 0) return undefined;
  }
  // No trailer: browsers show the frames that came, as omggif counted them.
  return found;
}

// A global or local colour table's size, from its descriptor's flags.
function colourTableBytes(flags: number | undefined): number {
  return flags !== undefined && flags & 0x80 ? 3 << ((flags & 7) + 1) : 0;
}

// Where the sub-blocks starting at `at` end, or -1 past the end.
function skipSubBlocks(bytes: Uint8Array, at: number): number {
  while (at < bytes.length) {
    const size = bytes[at++];
    if (size === 0) return at;
    at += size;
  }
  return -1;
}

// The chunks of a PNG's bytes ended before its first IDAT.
const PAST_THE_END = "past the end";

// An animated PNG announces its frames in an acTL chunk before the first
// IDAT (the APNG specification); a plain PNG has none.
function apngFrames(
  bytes: Uint8Array,
): number | undefined | typeof PAST_THE_END {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = 8; at + 12 <= bytes.length;) {
    const length = view.getUint32(at);
    const kind = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    if (kind === "IDAT") return undefined;
    if (kind === "acTL") return view.getUint32(at + 8);
    at += 12 + length;
  }
  return PAST_THE_END;
}

// An animated WebP holds one ANMF chunk per frame (RIFF chunks: a FourCC,
// a little-endian size, the data padded to an even length).
const ANMF = 0x414e4d46; // "ANMF", big-endian

function webpFrames(bytes: Uint8Array): number | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let frames = 0;
  for (let at = 12; at + 8 <= bytes.length;) {
    // The FourCC compared as a number: a string made for each chunk held
    // the event loop 330 ms to 1 s for 10 MiB of empty 8-byte chunks.
    if (view.getUint32(at) === ANMF) frames++;
    const size = view.getUint32(at + 4, true);
    at += 8 + size + (size & 1);
  }
  return frames;
}
