/**
 * The WebSocket layer itself (RFC 6455), frame by frame from a raw client:
 * the cases of the Autobahn TestSuite that apply to a server which takes
 * JSON text (groups 1 framing, 2 pings and pongs, 3 reserved bits, 4
 * opcodes, 5 fragmentation, 6 UTF-8, 7 close handling, 9 a subset of the
 * limits), each asserting what the server must show. A failure (invalid
 * UTF-8, reserved bits or opcodes, bad fragments or close frames) ends the
 * connection and carries nothing out; its close frame, when the runtime
 * sends one, says 1002 or 1007. A message over the frame limit closes with
 * 1009. What Deno checks itself, and what it buffers before the server can
 * check anything, is in docs/protocol.md.
 */
import assert from "node:assert/strict";
import {
  encodeFrame,
  RawSocket,
  type TestServer,
  withServer,
} from "./harness.ts";

const TEXT = 0x1;
const BINARY = 0x2;
const CONTINUATION = 0x0;
const CLOSE = 0x8;
const PING = 0x9;
const PONG = 0xa;

/** What the server did after the frames were sent. */
interface Outcome {
  /** The close code of the server's close frame; undefined without one. */
  code?: number;
  /** True once the server ended the connection (close frame or not). */
  ended: boolean;
  /** Pong payloads received, as text. */
  pongs: string[];
  /** Text frames received (replies), as text. */
  texts: string[];
}

/**
 * Sends frames, then reads until the server closes, `until` holds (the
 * answer a test waits for came), or 30 s of silence: only a server
 * that neither answers nor closes is waited for that long.
 */
async function exchange(
  server: TestServer,
  frames: Uint8Array[],
  options: {
    login?: boolean;
    until?: (out: Outcome) => boolean;
  } = {},
): Promise<Outcome> {
  const socket = await RawSocket.open(server.wsUrl);
  assert.equal(socket.status, 101);
  const outcome: Outcome = { ended: false, pongs: [], texts: [] };
  try {
    if (options.login) {
      await socket.sendText(
        '{"action":"login","id":"l","data":{"username":"tester"}}',
      );
      const reply = await socket.readText();
      assert.match(reply, /"success"/);
    }
    for (const frame of frames) await socket.sendBytes(frame);
    const quietMs = 30_000;
    for (;;) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const frame = await Promise.race([
        socket.readFrame(),
        new Promise<"quiet">((resolve) =>
          timer = setTimeout(() => resolve("quiet"), quietMs)
        ),
      ]);
      clearTimeout(timer);
      if (frame === "quiet") break;
      if (frame === null) {
        outcome.ended = true;
        break;
      }
      const text = new TextDecoder().decode(frame.payload);
      if (frame.opcode === CLOSE) {
        outcome.code = frame.payload.length >= 2
          ? (frame.payload[0] << 8) | frame.payload[1]
          : 1005;
        outcome.ended = true;
        break;
      }
      if (frame.opcode === PONG) outcome.pongs.push(text);
      if (frame.opcode === TEXT) outcome.texts.push(text);
      if (options.until?.(outcome)) break;
    }
  } finally {
    socket.abort();
  }
  return outcome;
}

/**
 * A frame RFC 6455 calls a failure: the connection ends, nothing in it is
 * carried out, and a close frame, when Deno sends one, has `code`. Deno
 * 2.9.6 validates frames natively and, for most failures, drops the TCP
 * connection without a close frame (clients see 1006): see
 * docs/protocol.md, "What the runtime checks".
 */
function assertFailed(out: Outcome, code: number): void {
  assert.ok(out.ended, "the connection stayed open");
  assert.deepEqual(out.texts, [], "a request in it was carried out");
  if (out.code !== undefined) assert.equal(out.code, code);
}

/** Whether a text frame holding `needle` came (a reply waited for). */
function answered(needle: string): (out: Outcome) => boolean {
  return (out) => out.texts.some((t) => t.includes(needle));
}

const f = encodeFrame;
const LIST_ROOMS = '{"action":"list_rooms","id":"q"}';
const INVALID_UTF8 = [
  Uint8Array.of(0xff),
  Uint8Array.of(0xc0, 0x80), // overlong NUL
  Uint8Array.of(0xed, 0xa0, 0x80), // a surrogate
  Uint8Array.of(0xf4, 0x90, 0x80, 0x80), // past U+10FFFF
  Uint8Array.of(0xe2, 0x82), // cut short
];

// Autobahn 1.x, 2.x: framing, pings and pongs.

Deno.test("websocket frames: a ping of up to 125 bytes gets a pong with the same payload (2.1-2.3)", () =>
  withServer(async (server) => {
    const payload = "p".repeat(125);
    const out = await exchange(server, [f({ opcode: PING, payload })], {
      until: (out) => out.pongs.length > 0,
    });
    assert.deepEqual(out.pongs, [payload]);
    assert.equal(out.code, undefined);
  }));

Deno.test("websocket frames: a ping over 125 bytes closes with 1002 (2.5)", () =>
  withServer(async (server) => {
    const out = await exchange(server, [
      f({ opcode: PING, payload: "p".repeat(126) }),
    ]);
    assertFailed(out, 1002);
  }));

Deno.test("websocket frames: an unsolicited pong is ignored and the connection still answers (2.7, 2.8)", () =>
  withServer(async (server) => {
    const out = await exchange(server, [
      f({ opcode: PONG, payload: "unsolicited" }),
      f({ opcode: TEXT, payload: LIST_ROOMS }),
    ], { login: true, until: answered('"list_rooms"') });
    assert.equal(out.code, undefined);
    assert.ok(
      out.texts.some((t) => t.includes('"list_rooms"')),
      out.texts.join(),
    );
  }));

// Autobahn 3.x: reserved bits.

for (const rsv of [1, 2, 3, 4, 5, 6, 7]) {
  Deno.test(`websocket frames: reserved bits ${rsv.toString(2).padStart(3, "0")} on a text frame close with 1002 (3.${rsv})`, () =>
    withServer(async (server) => {
      const out = await exchange(server, [
        f({ opcode: TEXT, payload: LIST_ROOMS, rsv }),
      ]);
      assertFailed(out, 1002);
    }));
}

Deno.test("websocket frames: reserved bits on a ping close with 1002 (3.6)", () =>
  withServer(async (server) => {
    const out = await exchange(server, [f({ opcode: PING, rsv: 4 })]);
    assertFailed(out, 1002);
  }));

// Autobahn 4.x: opcodes.

for (const opcode of [3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf]) {
  Deno.test(`websocket frames: reserved opcode ${opcode} closes with 1002 (4.x)`, () =>
    withServer(async (server) => {
      const out = await exchange(server, [f({ opcode, payload: "x" })]);
      assertFailed(out, 1002);
    }));
}

// Autobahn 5.x: fragmentation.

Deno.test("websocket frames: a text message in fragments, with a ping between them, is one request (5.6-5.9)", () =>
  withServer(async (server) => {
    const [a, b] = [LIST_ROOMS.slice(0, 10), LIST_ROOMS.slice(10)];
    const out = await exchange(server, [
      f({ opcode: TEXT, payload: a, fin: false }),
      f({ opcode: PING, payload: "between" }),
      f({ opcode: CONTINUATION, payload: b }),
    ], {
      login: true,
      until: (out) => out.pongs.length > 0 && answered('"list_rooms"')(out),
    });
    assert.equal(out.code, undefined);
    assert.deepEqual(out.pongs, ["between"]);
    assert.ok(
      out.texts.some((t) => t.includes('"list_rooms"')),
      out.texts.join(),
    );
  }));

Deno.test("websocket frames: a fragmented ping closes with 1002 (5.1, 5.2)", () =>
  withServer(async (server) => {
    const out = await exchange(server, [
      f({ opcode: PING, payload: "a", fin: false }),
      f({ opcode: CONTINUATION, payload: "b" }),
    ]);
    assertFailed(out, 1002);
  }));

Deno.test("websocket frames: a continuation with nothing to continue closes with 1002 (5.9-5.14)", () =>
  withServer(async (server) => {
    const out = await exchange(server, [
      f({ opcode: CONTINUATION, payload: "x" }),
    ]);
    assertFailed(out, 1002);
  }));

Deno.test("websocket frames: a new text frame inside a fragmented message closes with 1002 (5.18)", () =>
  withServer(async (server) => {
    const out = await exchange(server, [
      f({ opcode: TEXT, payload: "a", fin: false }),
      f({ opcode: TEXT, payload: "b" }),
    ]);
    assertFailed(out, 1002);
  }));

// Autobahn 6.x: UTF-8.

for (const [i, bytes] of INVALID_UTF8.entries()) {
  Deno.test(`websocket frames: invalid UTF-8 in a text frame closes with 1007 (6.x #${i + 1})`, () =>
    withServer(async (server) => {
      const payload = new Uint8Array([0x22, ...bytes, 0x22]);
      const out = await exchange(server, [f({ opcode: TEXT, payload })]);
      assertFailed(out, 1007);
    }));
}

Deno.test("websocket frames: invalid UTF-8 split across fragments closes with 1007 (6.4)", () =>
  withServer(async (server) => {
    const out = await exchange(server, [
      f({ opcode: TEXT, payload: Uint8Array.of(0x22, 0xe2), fin: false }),
      f({ opcode: CONTINUATION, payload: Uint8Array.of(0x28, 0x22) }),
    ]);
    assertFailed(out, 1007);
  }));

Deno.test("websocket frames: valid UTF-8 split inside a character across fragments is one request (6.2)", () =>
  withServer(async (server) => {
    const text = '{"action":"list_rooms","id":"é€😀"}';
    const bytes = new TextEncoder().encode(text);
    const cut = bytes.indexOf(0xe2) + 1; // inside the euro sign
    const out = await exchange(server, [
      f({ opcode: TEXT, payload: bytes.subarray(0, cut), fin: false }),
      f({ opcode: CONTINUATION, payload: bytes.subarray(cut) }),
    ], { login: true, until: answered("é€😀") });
    assert.equal(out.code, undefined);
    assert.ok(out.texts.some((t) => t.includes("é€😀")), out.texts.join());
  }));

// Autobahn 7.x: close handling.

Deno.test("websocket frames: a close with code 1000 is answered with a close (7.1, 7.3)", () =>
  withServer(async (server) => {
    const out = await exchange(server, [
      f({ opcode: CLOSE, payload: Uint8Array.of(0x03, 0xe8) }),
    ]);
    assert.equal(out.code, 1000);
  }));

Deno.test("websocket frames: a close with a one-byte payload closes with 1002 (7.3.2)", () =>
  withServer(async (server) => {
    const out = await exchange(server, [
      f({ opcode: CLOSE, payload: Uint8Array.of(0x03) }),
    ]);
    assertFailed(out, 1002);
  }));

for (const code of [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000]) {
  Deno.test(`websocket frames: a close with the invalid code ${code} closes with 1002 (7.9)`, () =>
    withServer(async (server) => {
      const out = await exchange(server, [
        f({ opcode: CLOSE, payload: Uint8Array.of(code >> 8, code & 0xff) }),
      ]);
      assert.equal(out.code, 1002);
    }));
}

Deno.test("websocket frames: a close whose reason is invalid UTF-8 closes with 1007 (7.5.1)", () =>
  withServer(async (server) => {
    const out = await exchange(server, [
      f({ opcode: CLOSE, payload: Uint8Array.of(0x03, 0xe8, 0xff, 0xfe) }),
    ]);
    assertFailed(out, 1007);
  }));

// Autobahn 9.x, the part about limits: messages over --max-frame-bytes.

Deno.test("websocket frames: one frame over the limit closes with 1009 (9.1)", () =>
  withServer(async (server) => {
    const out = await exchange(server, [
      f({ opcode: TEXT, payload: "x".repeat(2048) }),
    ]);
    assert.equal(out.code, 1009);
  }, { maxFrameBytes: 1024 }));

Deno.test("websocket frames: a binary message over the limit closes with 1009 too", () =>
  withServer(async (server) => {
    const out = await exchange(server, [
      f({ opcode: BINARY, payload: new Uint8Array(4096) }),
    ]);
    assert.equal(out.code, 1009);
  }, { maxFrameBytes: 1024 }));
