/**
 * Load generator process: real WebSocket clients against one server on
 * 127.0.0.1. Started by bench/workers.ts with a JSON spec as its argument; it
 * connects and logs in its clients, prepares its scenario, then answers
 * commands read from stdin (one JSON object a line) and reports on stdout
 * (one JSON object a line).
 *
 *   stdout: {"type":"ready",...}     clients connected, set up, quiet
 *   stdin:  {"cmd":"go","phase":P,"start":EPOCH_MS,"end":EPOCH_MS}
 *   stdout: {"type":"result","phase":P,...}
 *   stdin:  {"cmd":"exit"}  (or stdin closing) ends the process
 *
 * Frames that are only counted are never parsed: objects are counted by
 * searching the frame text, and the few fields read (seq, the send time in
 * the text) are cut out of it.
 */
import { eachLine, sleep } from "./proc.ts";

/** What a worker is told to do. */
export interface WorkerSpec {
  scenario: "fanout" | "chat" | "connections" | "history";
  /** ws://127.0.0.1:PORT/ws; any other host is refused. */
  url: string;
  /** Index of this worker, for names. */
  worker: number;
  /** Clients this worker opens. */
  clients: number;
  /** Parallel connects. */
  batch: number;
  /** Stop starting new connects after this long. */
  connectBudgetMs: number;
  /** Longest wait for the server's setup traffic to end. */
  settleMaxMs: number;
  /** fanout: senders among this worker's clients (the first ones). */
  senders?: number;
  /** fanout: messages each sender keeps in flight. */
  inflight?: number;
  /** fanout: every n-th client reads send times for latency. */
  sampleEvery?: number;
  /** chat, history: rooms of this worker, each filled with `perRoom` clients. */
  rooms?: string[];
  /** chat: clients per room. */
  perRoom?: number;
  /** chat: this worker's first client's place among all senders. */
  phaseBase?: number;
  /** chat: senders over all workers (spreads send times over the second). */
  phaseTotal?: number;
  /** chat: messages per second per client. */
  rate?: number;
  /** history: `limit` of history requests. */
  historyLimit?: number;
  /**
   * Log in with the session token `${tokenPrefix}${index}` (accounts the
   * bench stored before the server started) instead of as a guest.
   */
  tokenPrefix?: string;
  /** With `tokenPrefix`: the number of this worker's first token. */
  tokenBase?: number;
  /** fanout: the room the senders (and, with `allView`, everyone) look at. */
  viewRoom?: string;
  /** fanout: every client looks at `viewRoom`, not only the senders. */
  allView?: boolean;
}

interface Client {
  index: number;
  name: string;
  ws?: WebSocket;
  open: boolean;
  loggedIn: boolean;
  /** Room index in `spec.rooms` (chat, history). */
  room: number;
  sender: boolean;
  sampled: boolean;
  inflight: number;
  /** chat: receipts per seq of the client's room. */
  seen?: Uint8Array;
  /** Setup: the reply marker waited for, and its resolver. */
  waitFor?: string;
  waiter?: (object: string | undefined) => void;
}

const RM = '"action":"receive_message"';
const TEXT_T = '"text":"t:';
const SEQ = '"seq":';
const ROOM = '"room":"';
const REQ_SEND = '"request":"send_message"';
const REQ_HISTORY = '"request":"history"';
const ERROR_START = '{"action":"error"';

/** Log-bucketed latency histogram (2 % wide buckets), mergeable by sum. */
class Histogram {
  static readonly FACTOR = Math.log(1.02);
  counts = new Map<number, number>();
  n = 0;
  max = 0;
  add(ms: number): void {
    const us = Math.max(1, ms * 1000);
    const bucket = Math.floor(Math.log(us) / Histogram.FACTOR);
    this.counts.set(bucket, (this.counts.get(bucket) ?? 0) + 1);
    this.n++;
    if (ms > this.max) this.max = ms;
  }
  toJSON() {
    return { n: this.n, max: this.max, buckets: [...this.counts] };
  }
}

function fail(message: string): never {
  console.log(JSON.stringify({ type: "error", message }));
  Deno.exit(1);
}

const spec = JSON.parse(Deno.args[0] ?? "null") as WorkerSpec | null;
if (!spec) fail("usage: load_worker.ts SPEC_JSON");
{
  const url = new URL(spec.url);
  if (url.protocol !== "ws:" || url.hostname !== "127.0.0.1") {
    fail(`refusing ${spec.url}: the bench only talks to ws://127.0.0.1`);
  }
}

// Never outlive the bench: a hard cap on this process's life.
const LIFETIME_MS = 10 * 60 * 1000;
setTimeout(() => fail("worker lifetime exceeded"), LIFETIME_MS);

const origin = performance.timeOrigin;
const clients: Client[] = [];
const closeCodes: Record<string, number> = {};
/** First close reason seen per code. */
const closeReasons: Record<string, string> = {};
let closesDuringRun = 0;
let running = false;
let lastFrameAt = performance.now();
let setupObjects = 0;
let setupFrames = 0;
const errorSamples: string[] = [];
let errors = 0;

function noteError(object: string): void {
  errors++;
  if (errorSamples.length < 5) errorSamples.push(object.slice(0, 300));
}

function countOf(data: string, marker: string): number {
  let n = 0;
  let i = data.indexOf(marker);
  while (i >= 0) {
    n++;
    i = data.indexOf(marker, i + marker.length);
  }
  return n;
}

/** The object (line) of a frame that holds position `at`. */
function objectAt(data: string, at: number): string {
  const start = data.lastIndexOf("\n", at) + 1;
  const end = data.indexOf("\n", at);
  return data.slice(start, end < 0 ? data.length : end);
}

function intAfter(data: string, marker: string, from: number): number {
  const i = data.indexOf(marker, from);
  return i < 0
    ? -1
    : parseInt(data.slice(i + marker.length, i + marker.length + 16));
}

// ---------------------------------------------------------------- handlers

type Handler = (c: Client, data: string) => void;

/** During setup: remember traffic, resolve the one pending request. */
const setupHandler: Handler = (c, data) => {
  lastFrameAt = performance.now();
  setupFrames++;
  setupObjects += countOf(data, "\n") + 1;
  if (c.waiter && c.waitFor) {
    const at = data.indexOf(c.waitFor);
    if (at >= 0) {
      const resolve = c.waiter;
      c.waiter = undefined;
      resolve(objectAt(data, at));
    }
  }
};

let handler: Handler = setupHandler;

function request(
  c: Client,
  frame: string,
  action: string,
  timeoutMs: number,
): Promise<string | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      c.waiter = undefined;
      resolve(undefined);
    }, timeoutMs);
    c.waitFor = `"request":"${action}"`;
    c.waiter = (object) => {
      clearTimeout(timer);
      resolve(object);
    };
    try {
      c.ws!.send(frame);
    } catch {
      clearTimeout(timer);
      c.waiter = undefined;
      resolve(undefined);
    }
  });
}

function connect(c: Client, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (ok: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(ok);
    };
    const timer = setTimeout(() => {
      try {
        c.ws?.close();
      } catch {
        // Not open yet.
      }
      done(false);
    }, timeoutMs);
    let ws: WebSocket;
    try {
      ws = new WebSocket(spec!.url);
    } catch {
      done(false);
      return;
    }
    c.ws = ws;
    ws.onopen = () => {
      c.open = true;
      done(true);
    };
    ws.onmessage = (e: MessageEvent) => handler(c, e.data as string);
    ws.onclose = (e: CloseEvent) => {
      const wasOpen = c.open;
      c.open = false;
      c.loggedIn = false;
      if (wasOpen) {
        closeCodes[e.code] = (closeCodes[e.code] ?? 0) + 1;
        closeReasons[e.code] ??= e.reason.slice(0, 100);
        if (running) closesDuringRun++;
      }
      done(false);
    };
    ws.onerror = () => {};
  });
}

async function connectAndLogin(c: Client): Promise<boolean> {
  if (!await connect(c, 20_000)) return false;
  const login = spec!.tokenPrefix === undefined
    ? `{"username":"${c.name}"}`
    : `{"token":"${spec!.tokenPrefix}${(spec!.tokenBase ?? 0) + c.index}"}`;
  const reply = await request(
    c,
    `{"action":"login","data":${login},"id":"l"}`,
    "login",
    20_000,
  );
  if (reply === undefined) return false;
  if (!reply.startsWith('{"action":"success"')) {
    noteError(reply);
    return false;
  }
  c.loggedIn = true;
  const view = spec!.viewRoom;
  if (view !== undefined && (c.sender || spec!.allView)) {
    const joined = await request(
      c,
      `{"action":"join_room","data":{"room":"${view}"}}`,
      "join_room",
      20_000,
    );
    if (!joined?.startsWith('{"action":"success"')) {
      if (joined) noteError(joined);
      c.loggedIn = false;
      return false;
    }
  }
  return true;
}

/** Runs `task` over `items`, at most `limit` at a time. */
async function pool<T>(
  items: T[],
  limit: number,
  task: (item: T) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  const lanes = Array.from(
    { length: Math.min(limit, items.length) },
    async () => {
      while (next < items.length) await task(items[next++]);
    },
  );
  await Promise.all(lanes);
}

/** Waits until no frame arrived for `quietMs` (or `maxMs` passed). */
async function settle(quietMs: number, maxMs: number): Promise<boolean> {
  const until = performance.now() + maxMs;
  while (performance.now() < until) {
    if (performance.now() - lastFrameAt >= quietMs) return true;
    await sleep(25);
  }
  return false;
}

function send(c: Client, frame: string): boolean {
  if (!c.open) return false;
  try {
    c.ws!.send(frame);
    return true;
  } catch {
    return false;
  }
}

function sendTimed(c: Client): boolean {
  return send(
    c,
    '{"action":"send_message","data":{"text":"t:' +
      (origin + performance.now()).toFixed(3) + '"}}',
  );
}

// ------------------------------------------------------------------- setup

const t0 = performance.now();
const perRoom = spec.perRoom ?? spec.clients;
for (let i = 0; i < spec.clients; i++) {
  clients.push({
    index: i,
    name: `b${spec.worker}_${i}`,
    open: false,
    loggedIn: false,
    room: spec.rooms ? Math.floor(i / perRoom) : -1,
    sender: spec.senders === undefined || i < spec.senders,
    sampled: spec.sampleEvery !== undefined && i % spec.sampleEvery === 0,
    inflight: 0,
  });
}

{
  const deadline = t0 + spec.connectBudgetMs;
  let next = 0;
  const lanes = Array.from({ length: spec.batch }, async () => {
    while (next < clients.length && performance.now() < deadline) {
      await connectAndLogin(clients[next++]);
    }
  });
  await Promise.all(lanes);
}
const connectMs = performance.now() - t0;
const connected = clients.filter((c) => c.loggedIn).length;

// Rooms: the first client of each creates it, the others join.
const tRooms = performance.now();
let roomFailures = 0;
if (spec.rooms) {
  const rooms = spec.rooms;
  await pool(rooms.map((_, r) => r), 50, async (r) => {
    const members = clients.filter((c) => c.room === r && c.loggedIn);
    if (members.length === 0) return;
    const created = await request(
      members[0],
      `{"action":"create_room","data":{"room":"${rooms[r]}"}}`,
      "create_room",
      30_000,
    );
    if (!created?.startsWith('{"action":"success"')) {
      roomFailures++;
      if (created) noteError(created);
      return;
    }
    await pool(members.slice(1), 20, async (c) => {
      const joined = await request(
        c,
        `{"action":"join_room","data":{"room":"${rooms[r]}"}}`,
        "join_room",
        30_000,
      );
      if (!joined?.startsWith('{"action":"success"')) {
        roomFailures++;
        if (joined) noteError(joined);
      }
    });
  });
}
const roomsMs = performance.now() - tRooms;
const tSettle = performance.now();
const quiet = await settle(300, spec.settleMaxMs);
const settleMs = performance.now() - tSettle;

function report(object: Record<string, unknown>): void {
  console.log(JSON.stringify(object));
}

report({
  type: "ready",
  worker: spec.worker,
  clients: spec.clients,
  connected,
  connectMs,
  roomsMs,
  roomFailures,
  settleMs,
  quiet,
  setupFrames,
  setupObjects,
  errors,
  errorSamples,
  closeCodes,
  closeReasons,
});

// ---------------------------------------------------------------- scenarios

interface Window {
  phase: string;
  /** performance.now() bounds of the measured window. */
  start: number;
  end: number;
}

async function drain(
  pending: () => number,
  quietMs: number,
  maxMs: number,
): Promise<number> {
  const started = performance.now();
  const until = started + maxMs;
  while (performance.now() < until) {
    if (pending() === 0 && performance.now() - lastFrameAt >= quietMs) break;
    await sleep(20);
  }
  return performance.now() - started;
}

async function waitUntil(t: number): Promise<void> {
  while (performance.now() < t) {
    await sleep(Math.min(50, t - performance.now()));
  }
}

async function runFanout(w: Window): Promise<Record<string, unknown>> {
  const inflight = spec!.inflight ?? 8;
  const latency = new Histogram();
  let deliveries = 0;
  let deliveriesAfter = 0;
  let frames = 0;
  let sent = 0;
  let sentInWindow = 0;
  let acked = 0;
  let sending = false;
  const senders = clients.filter((c) => c.sender && c.loggedIn);

  const topUp = (c: Client) => {
    while (sending && c.inflight < inflight) {
      if (!sendTimed(c)) return;
      c.inflight++;
      sent++;
      sentInWindow++;
    }
  };

  handler = (c, data) => {
    const t = performance.now();
    lastFrameAt = t;
    let n = 0;
    let i = data.indexOf(RM);
    if (c.sampled && t >= w.start && t < w.end) {
      const now = origin + t;
      while (i >= 0) {
        n++;
        const j = data.indexOf(TEXT_T, i);
        if (j >= 0) {
          const from = j + TEXT_T.length;
          latency.add(now - Number(data.slice(from, data.indexOf('"', from))));
        }
        i = data.indexOf(RM, i + RM.length);
      }
    } else {
      while (i >= 0) {
        n++;
        i = data.indexOf(RM, i + RM.length);
      }
    }
    if (t >= w.start && t < w.end) {
      deliveries += n;
      frames++;
    } else if (t >= w.end) deliveriesAfter += n;
    if (c.sender) {
      let r = data.indexOf(REQ_SEND);
      while (r >= 0) {
        c.inflight--;
        acked++;
        const object = objectAt(data, r);
        if (object.startsWith(ERROR_START)) noteError(object);
        r = data.indexOf(REQ_SEND, r + REQ_SEND.length);
      }
      topUp(c);
    }
  };

  await waitUntil(w.start);
  running = true;
  sending = senders.length > 0;
  for (const c of senders) topUp(c);
  await waitUntil(w.end);
  sending = false;
  const drainMs = await drain(
    () => senders.reduce((s, c) => s + Math.max(0, c.inflight), 0),
    300,
    5000,
  );
  running = false;
  return {
    deliveries,
    deliveriesAfter,
    frames,
    sent,
    sentInWindow,
    acked,
    unacked: senders.reduce((s, c) => s + Math.max(0, c.inflight), 0),
    receivers: clients.filter((c) => c.open).length,
    latency: latency.toJSON(),
    drainMs,
  };
}

async function runChat(w: Window): Promise<Record<string, unknown>> {
  const rooms = spec!.rooms!;
  const seconds = Math.max(1, Math.round((w.end - w.start) / 1000));
  const rate = spec!.rate ?? 1;
  const sends = seconds * rate;
  const cap = perRoom * sends + 64;
  const acked = rooms.map(() => new Uint8Array(cap));
  for (const c of clients) c.seen = new Uint8Array(cap);
  const latency = new Histogram();
  let deliveries = 0;
  let deliveriesInWindow = 0;
  let misrouted = 0;
  let outOfRange = 0;
  let sent = 0;
  let ackCount = 0;
  let pending = 0;
  let badSeq = 0;

  handler = (c, data) => {
    const t = performance.now();
    lastFrameAt = t;
    const now = origin + t;
    let i = data.indexOf(RM);
    while (i >= 0) {
      deliveries++;
      if (t >= w.start && t < w.end) deliveriesInWindow++;
      const seq = intAfter(data, SEQ, i);
      const r = data.indexOf(ROOM, i);
      if (r < 0 || !data.startsWith(rooms[c.room] + '"', r + ROOM.length)) {
        misrouted++;
      } else if (seq > 0 && seq < cap) {
        c.seen![seq]++;
      } else {
        outOfRange++;
      }
      const j = data.indexOf(TEXT_T, i);
      if (j >= 0) {
        const from = j + TEXT_T.length;
        latency.add(now - Number(data.slice(from, data.indexOf('"', from))));
      }
      i = data.indexOf(RM, i + RM.length);
    }
    let q = data.indexOf(REQ_SEND);
    while (q >= 0) {
      pending--;
      const object = objectAt(data, q);
      if (object.startsWith(ERROR_START)) {
        noteError(object);
      } else {
        ackCount++;
        const seq = intAfter(object, SEQ, 0);
        if (seq > 0 && seq < cap) acked[c.room][seq]++;
        else badSeq++;
      }
      q = data.indexOf(REQ_SEND, q + REQ_SEND.length);
    }
  };

  // Client k of the whole bench sends at k/total of each 1/rate second.
  const base = spec!.phaseBase ?? 0;
  const total = spec!.phaseTotal ?? clients.length;
  const period = 1000 / rate;
  const offsets = clients.map((c) => ((base + c.index) / total) * period);
  await waitUntil(w.start);
  running = true;
  let round = 0;
  let next = 0;
  while (round < sends) {
    const elapsed = performance.now() - w.start;
    while (round < sends && round * period + offsets[next] <= elapsed) {
      const c = clients[next];
      if (c.loggedIn && sendTimed(c)) {
        sent++;
        pending++;
      }
      if (++next === clients.length) {
        next = 0;
        round++;
      }
    }
    if (round < sends) await sleep(2);
  }
  const drainMs = await drain(() => pending, 1000, 10_000);
  running = false;

  // Exactly once: every acked (room, seq) reached each member once.
  let lost = 0;
  let duplicated = 0;
  let unackedDelivered = 0;
  let seqGaps = 0;
  let members = 0;
  for (let r = 0; r < rooms.length; r++) {
    const inRoom = clients.filter((c) => c.room === r);
    const listening = inRoom.filter((c) => c.loggedIn).length;
    members += listening;
    let maxAcked = 0;
    for (let s = 1; s < cap; s++) if (acked[r][s]) maxAcked = s;
    for (let s = 1; s < cap; s++) {
      let distinct = 0;
      for (const c of inRoom) {
        const k = c.seen![s];
        if (k > 0) distinct++;
        if (k > 1) duplicated += k - 1;
      }
      if (acked[r][s]) {
        lost += Math.max(0, listening - distinct);
        if (acked[r][s] > 1) duplicated += acked[r][s] - 1;
      } else if (distinct > 0) {
        unackedDelivered++;
      } else if (s <= maxAcked) {
        seqGaps++;
      }
    }
  }
  return {
    sent,
    acked: ackCount,
    unacked: pending,
    deliveries,
    deliveriesInWindow,
    expected: ackCount * perRoom,
    members,
    lost,
    duplicated,
    misrouted,
    outOfRange,
    unackedDelivered,
    seqGaps,
    badSeq,
    latency: latency.toJSON(),
    drainMs,
  };
}

// Messages each history sender keeps in flight: acknowledgements wait for
// the group commit, so throughput needs several per connection.
const HISTORY_IN_FLIGHT = 8;

async function runHistoryStore(w: Window): Promise<Record<string, unknown>> {
  let acked = 0;
  let ackedInWindow = 0;
  let deliveries = 0;
  let sending = false;
  const filler = "x".repeat(80);
  let counter = 0;
  const sendOne = (c: Client) => {
    if (
      sending &&
      send(
        c,
        `{"action":"send_message","data":{"text":"h${c.index}-${counter++} ${filler}"}}`,
      )
    ) c.inflight++;
  };
  // Bounded: a closed socket takes nothing, and must not spin us.
  const topUp = (c: Client) => {
    for (
      let i = 0;
      i < HISTORY_IN_FLIGHT && c.inflight < HISTORY_IN_FLIGHT;
      i++
    ) {
      sendOne(c);
    }
  };
  handler = (c, data) => {
    const t = performance.now();
    lastFrameAt = t;
    deliveries += countOf(data, RM);
    let q = data.indexOf(REQ_SEND);
    while (q >= 0) {
      c.inflight--;
      const object = objectAt(data, q);
      if (object.startsWith(ERROR_START)) noteError(object);
      else {
        acked++;
        if (t >= w.start && t < w.end) ackedInWindow++;
      }
      q = data.indexOf(REQ_SEND, q + REQ_SEND.length);
    }
    topUp(c);
  };
  const active = clients.filter((c) => c.loggedIn);
  await waitUntil(w.start);
  running = true;
  sending = true;
  for (const c of active) topUp(c);
  await waitUntil(w.end);
  sending = false;
  const drainMs = await drain(
    () => active.reduce((s, c) => s + c.inflight, 0),
    300,
    5000,
  );
  running = false;
  return { acked, ackedInWindow, deliveries, drainMs };
}

async function runHistoryRead(w: Window): Promise<Record<string, unknown>> {
  const room = spec!.rooms![0];
  const limit = spec!.historyLimit ?? 50;
  const frame =
    `{"action":"history","data":{"room":"${room}","limit":${limit}}}`;
  let replies = 0;
  let repliesInWindow = 0;
  let checked = 0;
  let short = 0;
  let sending = false;
  handler = (c, data) => {
    const t = performance.now();
    lastFrameAt = t;
    let q = data.indexOf(REQ_HISTORY);
    while (q >= 0) {
      c.inflight--;
      replies++;
      if (t >= w.start && t < w.end) repliesInWindow++;
      // Check the size of one reply in 16 (every reply counts).
      if ((replies & 15) === 0) {
        const object = objectAt(data, q);
        if (object.startsWith(ERROR_START)) noteError(object);
        else {
          checked++;
          if (countOf(object, SEQ) !== limit) short++;
        }
      }
      q = data.indexOf(REQ_HISTORY, q + REQ_HISTORY.length);
    }
    if (sending && c.inflight === 0 && send(c, frame)) c.inflight++;
  };
  const active = clients.filter((c) => c.loggedIn);
  await waitUntil(w.start);
  running = true;
  sending = true;
  for (const c of active) if (send(c, frame)) c.inflight++;
  await waitUntil(w.end);
  sending = false;
  const drainMs = await drain(
    () => active.reduce((s, c) => s + c.inflight, 0),
    300,
    5000,
  );
  running = false;
  return { replies, repliesInWindow, checked, short, drainMs };
}

async function runIdle(w: Window): Promise<Record<string, unknown>> {
  let frames = 0;
  handler = () => {
    lastFrameAt = performance.now();
    frames++;
  };
  await waitUntil(w.start);
  running = true;
  await waitUntil(w.end);
  running = false;
  return { frames, open: clients.filter((c) => c.open).length };
}

async function run(phase: string, w: Window): Promise<Record<string, unknown>> {
  errors = 0;
  errorSamples.length = 0;
  switch (spec!.scenario) {
    case "fanout":
      return await runFanout(w);
    case "chat":
      return await runChat(w);
    case "history":
      return phase === "read"
        ? await runHistoryRead(w)
        : await runHistoryStore(w);
    default:
      return await runIdle(w);
  }
}

// ----------------------------------------------------------------- commands

let busy = Promise.resolve();
await eachLine(Deno.stdin.readable, (line) => {
  if (line.trim() === "") return;
  const cmd = JSON.parse(line) as {
    cmd: string;
    phase?: string;
    start?: number;
    end?: number;
  };
  if (cmd.cmd === "exit") Deno.exit(0);
  if (cmd.cmd === "go") {
    const phase = cmd.phase ?? "main";
    busy = busy.then(async () => {
      const result = await run(phase, {
        phase,
        start: cmd.start! - origin,
        end: cmd.end! - origin,
      });
      report({
        type: "result",
        worker: spec!.worker,
        phase,
        ...result,
        errors,
        errorSamples,
        closesDuringRun,
        closeCodes,
        closeReasons,
        open: clients.filter((c) => c.open).length,
      });
    });
  }
});
// The bench went away: stop.
Deno.exit(0);
