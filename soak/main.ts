/**
 * Soak test: runs the chat server as a child process on 127.0.0.1 with a
 * temporary database, keeps N guest clients talking in several rooms for a
 * few minutes (a message every few seconds each, now and then a room
 * switch or a reconnect), beside them M members with accounts doing what a
 * team does (soak/member.ts: private messages, replies, reactions, edits,
 * read marks, conversation lists, searches), and samples the server's memory (VmRSS), open
 * file descriptors and connections every 5 s. Prints one row per sample,
 * then totals and a verdict comparing RSS in the last quarter of the run
 * with the quarter before it (soak/verdict.ts). Stops by itself and removes what it made.
 *
 *   deno task soak -- --clients 300 --minutes 2
 *
 * Not part of `deno task test`: it takes minutes.
 */
import { parseArgs } from "node:util";
import { listeningPort, rssKiB, sleep, withTimeout } from "../bench/proc.ts";
import { soakVerdict } from "./verdict.ts";
import {
  type MemberTotals,
  memberTotals,
  SoakMember,
  storedPrivate,
} from "./member.ts";
import { SoakSocket, type SoakSocketOptions } from "./socket.ts";

const HELP = `deno task soak -- [options]

  --clients N    guest clients (default 300)
  --accounts N   members with accounts, 0 to 1000 (default 50)
  --minutes M    how long they talk, 0.1 to 240 (default 2)
  --rooms N      rooms they spread over, general included (default 8)
  --interval S   mean seconds between two messages of one client (default 3)
  -h, --help     this text
`;

const ROOT = new URL("../", import.meta.url).pathname;
const HOST = "127.0.0.1";
const SAMPLE_MS = 5000;
/** Chances per tick of a client: switch rooms, reconnect (else: a message). */
const SWITCH_CHANCE = 0.05;
const RECONNECT_CHANCE = 0.02;

/** What the command line asked for. */
interface Options {
  clients: number;
  accounts: number;
  minutes: number;
  rooms: number;
  intervalS: number;
}

function parseOptions(args: string[]): Options {
  // `deno task soak -- --clients 3` passes the "--" along.
  const rest = args[0] === "--" ? args.slice(1) : args;
  let values;
  try {
    values = parseArgs({
      args: rest,
      options: {
        clients: { type: "string", default: "300" },
        accounts: { type: "string", default: "50" },
        minutes: { type: "string", default: "2" },
        rooms: { type: "string", default: "8" },
        interval: { type: "string", default: "3" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    }).values;
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${HELP}`);
    Deno.exit(2);
  }
  if (values.help) {
    console.log(HELP);
    Deno.exit(0);
  }
  const options = {
    clients: Number(values.clients),
    accounts: Number(values.accounts),
    minutes: Number(values.minutes),
    rooms: Number(values.rooms),
    intervalS: Number(values.interval),
  };
  const bad = !(Number.isInteger(options.clients) && options.clients >= 1 &&
    options.clients <= 20_000) ||
    !(Number.isInteger(options.accounts) && options.accounts >= 0 &&
      options.accounts <= 1000) ||
    !(options.minutes >= 0.1 && options.minutes <= 240) ||
    !(Number.isInteger(options.rooms) && options.rooms >= 1 &&
      options.rooms <= 100) ||
    !(options.intervalS >= 0.1 && options.intervalS <= 600);
  if (bad) {
    console.error(`an option is out of range\n\n${HELP}`);
    Deno.exit(2);
  }
  return options;
}

/** Counters shared by every client. */
interface Totals {
  sent: number;
  acked: number;
  delivered: number;
  switches: number;
  reconnects: number;
  /** Sockets that closed without the client asking. */
  dropped: number;
  errors: Map<string, number>;
}

/** The server process under test. */
interface Server {
  child: Deno.ChildProcess;
  pid: number;
  url: string;
  wsUrl: string;
  dir: string;
  /** The last lines it printed (warnings and errors only). */
  tail: string[];
}

async function startServer(): Promise<Server> {
  const dir = await Deno.makeTempDir({ prefix: "chat-soak-" });
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "main.ts",
      "--host",
      HOST,
      "--port",
      "0",
      "--db",
      `${dir}/soak.db`,
      // Every guest comes from 127.0.0.1.
      "--max-connections-per-address",
      "0",
      // Members say their own address (registrations count per address).
      "--trust-proxy",
      "--log-level",
      "warning",
    ],
    cwd: ROOT,
    env: { NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const tail: string[] = [];
  const keep = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      for (const line of decoder.decode(chunk).split("\n")) {
        if (line.trim() === "") continue;
        tail.push(line);
        if (tail.length > 20) tail.shift();
      }
    }
  };
  keep(child.stdout);
  keep(child.stderr);
  // With warnings only, "Listening on" is not printed: find the port.
  let port: number | undefined;
  for (let i = 0; i < 200 && port === undefined; i++) {
    await sleep(100);
    port = await listeningPort(child.pid);
  }
  if (port === undefined) {
    child.kill("SIGKILL");
    await child.status;
    throw new Error(`The server did not listen:\n${tail.join("\n")}`);
  }
  const url = `http://${HOST}:${port}`;
  return {
    child,
    pid: child.pid,
    url,
    wsUrl: `ws://${HOST}:${port}/ws`,
    dir,
    tail,
  };
}

async function stopServer(server: Server): Promise<number | null> {
  try {
    server.child.kill("SIGTERM");
  } catch {
    // Exited already.
  }
  let status: Deno.CommandStatus;
  try {
    status = await withTimeout(server.child.status, 10_000, "server exit");
  } catch {
    server.child.kill("SIGKILL");
    status = await server.child.status;
  }
  await Deno.remove(server.dir, { recursive: true }).catch(() => {});
  return status.code;
}

/**
 * One simulated user: logs in as a guest, joins a room, then on each tick
 * sends a message, sometimes switches rooms or reconnects under a new name.
 */
class SoakClient extends SoakSocket {
  #totals: Totals;
  #generation = 0;
  #next = 1;
  #room = "general";

  constructor(index: number, options: SoakSocketOptions & { totals: Totals }) {
    super(index, options);
    this.#totals = options.totals;
  }

  /** Connects, logs in, joins its room; resolves once in. */
  async connect(): Promise<void> {
    this.#generation++;
    const loggedIn = Promise.withResolvers<void>();
    // Rejected when the socket closes first; awaited only once open.
    loggedIn.promise.catch(() => {});
    await this.openSocket({
      onFrame: (frame) => {
        if (frame.action === "receive_message") this.#totals.delivered++;
        else if (frame.action === "error") {
          const code = String(frame.data?.code);
          this.#totals.errors.set(
            code,
            (this.#totals.errors.get(code) ?? 0) + 1,
          );
          if (frame.id === "login") {
            loggedIn.reject(new Error(`login: ${code}`));
          }
        } else if (frame.action === "success") {
          if (frame.data?.request === "send_message") this.#totals.acked++;
          if (frame.id === "login") loggedIn.resolve();
        }
      },
      onClose: () => loggedIn.reject(new Error("closed before login")),
    });
    this.send({
      action: "login",
      data: { username: `s${this.index}x${this.#generation}` },
      id: "login",
    });
    await loggedIn.promise;
    const room = this.rooms[this.index % this.rooms.length];
    this.#room = room;
    if (room !== "general") this.send({ action: "join_room", data: { room } });
  }

  protected async act(): Promise<void> {
    const roll = Math.random();
    if (roll < RECONNECT_CHANCE) {
      await this.reconnect();
    } else if (roll < RECONNECT_CHANCE + SWITCH_CHANCE) {
      // Another room than the current one.
      const others = this.rooms.filter((r) => r !== this.#room);
      const room = others[Math.floor(Math.random() * others.length)];
      this.#totals.switches++;
      this.#room = room;
      this.send(
        room === "general"
          ? { action: "leave_room", data: {} }
          : { action: "join_room", data: { room } },
      );
    } else {
      const n = this.#next++;
      this.#totals.sent++;
      this.send({
        action: "send_message",
        data: {
          text: `soak message ${n} from client ${this.index}`,
          client_id: `${this.index}-${this.#generation}-${n}`,
        },
      });
    }
  }
}

/** One row of the table. */
interface Sample {
  seconds: number;
  rssMiB: number;
  fds: number;
  serverConnections: number;
  clientsOpen: number;
  acked: number;
  delivered: number;
}

async function countFds(pid: number): Promise<number> {
  let n = 0;
  for await (const _ of Deno.readDir(`/proc/${pid}/fd`)) n++;
  return n;
}

async function serverConnections(url: string): Promise<number> {
  try {
    const text = await (await fetch(`${url}/metrics`)).text();
    return Number(/^chat_connections (\d+)/m.exec(text)?.[1] ?? NaN);
  } catch {
    return NaN;
  }
}

function pad(value: string | number, width: number): string {
  return String(value).padStart(width);
}

function row(s: Sample, previous?: Sample): string {
  const dt = previous ? s.seconds - previous.seconds : s.seconds;
  const rate = previous && dt > 0 ? (s.delivered - previous.delivered) / dt : 0;
  return [
    pad(s.seconds.toFixed(0), 6),
    pad(s.rssMiB.toFixed(1), 8),
    pad(s.fds, 6),
    pad(s.serverConnections, 7),
    pad(s.clientsOpen, 7),
    pad(s.acked, 8),
    pad(s.delivered, 10),
    pad(rate.toFixed(0), 8),
  ].join(" ");
}

const HEADER = [
  pad("t(s)", 6),
  pad("RSS MiB", 8),
  pad("fds", 6),
  pad("conns", 7),
  pad("clients", 7),
  pad("acked", 8),
  pad("delivered", 10),
  pad("deliv/s", 8),
].join(" ");

/** Every message of every room, to check seqs and count what was stored. */
async function storedMessages(
  wsUrl: string,
): Promise<{ stored: number; gaps: string[] }> {
  const socket = new WebSocket(wsUrl);
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = () => reject(new Error("cannot connect to count"));
  });
  const waiting = new Map<string, (frame: Record<string, unknown>) => void>();
  socket.onmessage = (event) => {
    for (const line of String(event.data).split("\n")) {
      const frame = JSON.parse(line);
      if (frame.id && waiting.has(frame.id)) {
        waiting.get(frame.id)!(frame);
        waiting.delete(frame.id);
      }
    }
  };
  let n = 0;
  const ask = (action: string, data: Record<string, unknown>) => {
    const id = `q${++n}`;
    const reply = new Promise<Record<string, unknown>>((resolve) =>
      waiting.set(id, resolve)
    );
    socket.send(JSON.stringify({ action, data, id }));
    return withTimeout(reply, 10_000, action);
  };
  try {
    await ask("login", { username: "soak-counter" });
    const rooms =
      ((await ask("list_rooms", {})).data as { rooms: { name: string }[] })
        .rooms;
    let stored = 0;
    const gaps: string[] = [];
    for (const { name } of rooms) {
      let after = 0;
      for (;;) {
        const page =
          ((await ask("history", { room: name, after_seq: after, limit: 200 }))
            .data as {
              messages: { seq: number }[];
            }).messages;
        for (const m of page) {
          if (m.seq !== after + 1) gaps.push(`${name}: ${after} -> ${m.seq}`);
          after = m.seq;
        }
        stored += page.length;
        if (page.length < 200) break;
      }
    }
    return { stored, gaps };
  } finally {
    const closed = new Promise((resolve) => socket.onclose = resolve);
    socket.close();
    await closed;
  }
}

async function main(): Promise<void> {
  const options = parseOptions(Deno.args);
  const server = await startServer();
  const totals: Totals = {
    sent: 0,
    acked: 0,
    delivered: 0,
    switches: 0,
    reconnects: 0,
    dropped: 0,
    errors: new Map(),
  };
  const rooms = [
    "general",
    ...Array.from({ length: options.rooms - 1 }, (_, i) => `soak-${i + 1}`),
  ];
  const shared = {
    url: server.wsUrl,
    rooms,
    intervalMs: options.intervalS * 1000,
  };
  const clients = Array.from(
    { length: options.clients },
    (_, i) => new SoakClient(i, { ...shared, totals }),
  );
  const team: MemberTotals = memberTotals();
  const members = Array.from(
    { length: options.accounts },
    (_, i) =>
      new SoakMember(i, { ...shared, totals: team, members: options.accounts }),
  );
  let stopRequested = false;
  const onSignal = () => stopRequested = true;
  Deno.addSignalListener("SIGINT", onSignal);
  const samples: Sample[] = [];
  let exitCode: number | null = null;
  try {
    console.log(
      `soak: ${options.clients} guests, ${options.accounts} members, ${options.rooms} rooms, a message every ~${options.intervalS} s each, ${options.minutes} min; server pid ${server.pid} at ${server.url}`,
    );
    // The rooms first, made by a client that then leaves.
    const maker = new WebSocket(server.wsUrl);
    await new Promise((resolve) => maker.onopen = resolve);
    const made = Promise.withResolvers<void>();
    let replies = 0;
    maker.onmessage = (event) => {
      for (const line of String(event.data).split("\n")) {
        if (
          /"action":"(success|error)"/.test(line) && ++replies === rooms.length
        ) made.resolve();
      }
    };
    maker.send(
      JSON.stringify({ action: "login", data: { username: "soak-maker" } }),
    );
    for (const room of rooms.slice(1)) {
      maker.send(JSON.stringify({ action: "create_room", data: { room } }));
    }
    await withTimeout(made.promise, 10_000, "creating rooms");
    await new Promise((resolve) => {
      maker.onclose = resolve;
      maker.close();
    });
    // Connect the rest, 25 at a time.
    const ramp = performance.now();
    for (let i = 0; i < clients.length; i += 25) {
      await Promise.all(clients.slice(i, i + 25).map((c) => c.connect()));
    }
    // Each registration hashes a password: a few at a time.
    for (let i = 0; i < members.length; i += 4) {
      await Promise.all(members.slice(i, i + 4).map((m) => m.connect()));
    }
    console.log(
      `soak: ${clients.length} guests and ${members.length} members connected in ${
        ((performance.now() - ramp) / 1000).toFixed(1)
      } s`,
    );
    for (const client of clients) client.start();
    for (const member of members) member.start();

    console.log(HEADER);
    const started = performance.now();
    const end = started + options.minutes * 60_000;
    let nextSample = started;
    while (!stopRequested) {
      const now = performance.now();
      if (now >= nextSample) {
        const sample: Sample = {
          seconds: (now - started) / 1000,
          rssMiB: (await rssKiB(server.pid)) / 1024,
          fds: await countFds(server.pid),
          serverConnections: await serverConnections(server.url),
          clientsOpen: clients.filter((c) => c.open).length +
            members.filter((m) => m.open).length,
          acked: totals.acked + team.roomAcked + team.privateAcked,
          delivered: totals.delivered + team.delivered,
        };
        console.log(row(sample, samples.at(-1)));
        samples.push(sample);
        nextSample += SAMPLE_MS;
      }
      if (now >= end) break;
      await sleep(Math.min(nextSample, end) - performance.now());
    }
    await Promise.all(clients.map((c) => c.stop()));
    await Promise.all(members.map((m) => m.pause()));
    // Let the last replies and deliveries land before counting.
    await sleep(500);
    const { stored, gaps } = await storedMessages(server.wsUrl);
    const privateStored = await storedPrivate(members);
    await Promise.all(members.map((m) => m.stop()));
    const roomSent = totals.sent + team.roomSent;
    const roomAcked = totals.acked + team.roomAcked;

    console.log("");
    console.log(
      `totals: ${roomSent} room messages sent, ${roomAcked} acknowledged, ${stored} stored; ` +
        `${team.privateSent} private sent, ${team.privateAcked} acknowledged, ${privateStored} stored; ` +
        `${totals.delivered + team.delivered} delivered, ` +
        `${totals.switches} guest room switches, ${
          totals.reconnects + team.reconnects
        } reconnects, ${totals.dropped + team.dropped} dropped by the server`,
    );
    console.log(
      `members' requests answered: ${
        [...team.acked].sort().map(([action, n]) => `${action} ${n}`).join(
          ", ",
        )
      }`,
    );
    const errors = [...totals.errors, ...team.errors].map(([code, n]) =>
      `${code} x${n}`
    ).join(", ");
    console.log(`errors: ${errors || "none"}`);
    console.log(
      `history: ${
        gaps.length === 0
          ? "every room's seqs are 1..n"
          : `gaps: ${gaps.slice(0, 5).join("; ")}`
      }`,
    );
    // The first sample is taken before any message: leave it out.
    const verdict = soakVerdict(samples.slice(1));
    console.log(
      verdict
        ? `verdict: ${verdict.text}`
        : "verdict: too short to compare quarters (run at least 25 s)",
    );
    if (roomAcked > stored) {
      console.log(
        `LOST: ${roomAcked - stored} acknowledged room messages are not stored`,
      );
    }
    if (stored > roomSent) {
      console.log(`DUPLICATED: ${stored - roomSent} more stored than sent`);
    }
    if (team.privateAcked > privateStored) {
      console.log(
        `LOST: ${
          team.privateAcked - privateStored
        } acknowledged private messages are not stored`,
      );
    }
    if (privateStored > team.privateSent) {
      console.log(
        `DUPLICATED: ${
          privateStored - team.privateSent
        } more private messages stored than sent`,
      );
    }
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
    await Promise.all(clients.map((c) => c.stop()));
    await Promise.all(members.map((m) => m.stop()));
    exitCode = await stopServer(server);
    if (exitCode !== 0) {
      console.log(
        `server exited with ${exitCode}; its last lines:\n${
          server.tail.join("\n")
        }`,
      );
    }
  }
}

if (import.meta.main) {
  await main();
}
