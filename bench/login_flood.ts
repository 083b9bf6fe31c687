/**
 * The "login under attack" scenario of the bench: 200 sockets, each from
 * an address of its own (the server runs with --trust-proxy and gets
 * X-Forwarded-For), send password logins under fresh names, one after the
 * other, while a bystander sends messages and times each until its echo
 * comes back. Run from the bench process itself: the load is 200 small
 * frames in flight, nothing a generator process is needed for.
 */
import { rssKiB, sleep } from "./proc.ts";

/** What one run of the scenario measured. */
export interface LoginFloodResult {
  /** Bystander message round trips before the flood, in ms. */
  quietP50Ms: number;
  quietP99Ms: number;
  /** ... and during it. */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Round trips measured during the flood. */
  samples: number;
  /** Login replies per second during the flood (each one scrypt hash). */
  loginsPerS: number;
  /** Server resident memory before the flood and its peak during it. */
  rssBeforeMiB: number;
  rssPeakMiB: number;
}

/** Options of {@link runLoginFlood}. */
export interface LoginFloodOptions {
  /** The server's WebSocket URL (it must run with --trust-proxy). */
  url: string;
  /** The server's process id, for its memory. */
  pid: number;
  /** Seconds of flood measured (and as many quiet ones before, at most 5). */
  seconds: number;
  /** Attacking sockets (default 200). */
  sockets?: number;
}

// One frame object per line, as the server batches them.
function objects(data: unknown): Record<string, unknown>[] {
  return String(data).split("\n").map((line) => JSON.parse(line));
}

function open(url: string, headers?: Record<string, string>) {
  const socket = headers
    ? new WebSocket(url, { headers } as unknown as string[])
    : new WebSocket(url);
  return new Promise<WebSocket>((resolve, reject) => {
    socket.onopen = () => resolve(socket);
    socket.onerror = () => reject(new Error(`cannot connect to ${url}`));
  });
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** The bystander: a guest that times its own messages' round trips. */
class Bystander {
  #socket: WebSocket;
  #sentAt = new Map<string, number>();
  #next = 0;
  latencies: number[] = [];

  constructor(socket: WebSocket) {
    this.#socket = socket;
    socket.onmessage = (event) => {
      for (const frame of objects(event.data)) {
        const id = frame.id as string | undefined;
        const started = id === undefined ? undefined : this.#sentAt.get(id);
        if (started === undefined) continue;
        this.#sentAt.delete(id!);
        this.latencies.push(performance.now() - started);
      }
    };
  }

  /** Sends a message every `everyMs` for `seconds`; returns the round trips. */
  async talk(seconds: number, everyMs = 20): Promise<number[]> {
    this.latencies = [];
    const until = performance.now() + seconds * 1000;
    while (performance.now() < until) {
      const id = `m${this.#next++}`;
      this.#sentAt.set(id, performance.now());
      this.#socket.send(JSON.stringify({
        action: "send_message",
        data: { text: `bystander ${id}` },
        id,
      }));
      await sleep(everyMs);
    }
    // The last replies, however late.
    const deadline = performance.now() + 30_000;
    while (this.#sentAt.size > 0 && performance.now() < deadline) {
      await sleep(20);
    }
    return [...this.latencies].sort((a, b) => a - b);
  }
}

/** Runs the scenario against a started server. */
export async function runLoginFlood(
  options: LoginFloodOptions,
): Promise<LoginFloodResult> {
  const count = options.sockets ?? 200;
  const sockets: WebSocket[] = [];
  try {
    const guest = await open(options.url);
    sockets.push(guest);
    await new Promise<void>((resolve) => {
      guest.onmessage = () => resolve();
      guest.send(JSON.stringify({
        action: "login",
        data: { username: "bystander" },
        id: "in",
      }));
    });
    const bystander = new Bystander(guest);
    const quiet = await bystander.talk(Math.min(5, options.seconds));
    const rssBefore = await rssKiB(options.pid);

    let answered = 0;
    let flooding = true;
    let fresh = 0;
    const attackers = await Promise.all(
      Array.from({ length: count }, (_, i) =>
        open(options.url, {
          "x-forwarded-for": `10.77.${i >> 8}.${i & 255}`,
        })),
    );
    sockets.push(...attackers);
    const attempt = (socket: WebSocket) =>
      socket.send(JSON.stringify({
        action: "login",
        data: { username: `flood${fresh++}`, password: "a wrong password" },
        id: "try",
      }));
    for (const socket of attackers) {
      socket.onmessage = (event) => {
        for (const frame of objects(event.data)) {
          if (frame.id !== "try") continue;
          answered++;
          if (flooding) attempt(socket);
        }
      };
      attempt(socket);
    }
    let rssPeak = rssBefore;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        rssPeak = Math.max(rssPeak, await rssKiB(options.pid));
        await sleep(250);
      }
    })();
    // The queue fills first; measure once every attacker has waited a bit.
    await sleep(1000);
    const before = answered;
    const started = performance.now();
    const loud = await bystander.talk(options.seconds);
    const elapsed = (performance.now() - started) / 1000;
    const logins = answered - before;
    flooding = false;
    sampling = false;
    await sampler;
    return {
      quietP50Ms: quantile(quiet, 0.5),
      quietP99Ms: quantile(quiet, 0.99),
      p50Ms: quantile(loud, 0.5),
      p99Ms: quantile(loud, 0.99),
      maxMs: loud.at(-1) ?? NaN,
      samples: loud.length,
      loginsPerS: logins / elapsed,
      rssBeforeMiB: rssBefore / 1024,
      rssPeakMiB: rssPeak / 1024,
    };
  } finally {
    for (const socket of sockets) socket.close();
  }
}
