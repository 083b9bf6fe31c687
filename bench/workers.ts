/**
 * The load generators: each a child process running bench/load_worker.ts
 * with a JSON spec, told by lines on its stdin when to measure and
 * answering with one JSON report a line on its stdout.
 */
import { cpuSeconds, eachLine, withTimeout } from "./proc.ts";
import type { WorkerSpec } from "./load_worker.ts";
import { children } from "./children.ts";
import { CHILD_ENV, ROOT, stopTarget, type Target } from "./targets.ts";

const WORKER = new URL("./load_worker.ts", import.meta.url).pathname;

/** One report line of a load generator. */
// deno-lint-ignore no-explicit-any
export type Message = Record<string, any>;

/** One load generator process. */
export class Worker {
  readonly child: Deno.ChildProcess;
  readonly pid: number;
  #messages: Message[] = [];
  #wake: (() => void) | undefined;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #stderr: string[] = [];
  exited = false;

  constructor(spec: WorkerSpec) {
    this.child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", WORKER, JSON.stringify(spec)],
      cwd: ROOT,
      env: CHILD_ENV,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    children.add(this.child);
    this.pid = this.child.pid;
    this.#writer = this.child.stdin.getWriter();
    eachLine(this.child.stdout, (line) => {
      try {
        this.#messages.push(JSON.parse(line));
      } catch {
        this.#stderr.push(line);
      }
      this.#wake?.();
    }).catch(() => {});
    eachLine(this.child.stderr, (line) => {
      if (this.#stderr.length < 20) this.#stderr.push(line);
    }).catch(() => {});
    this.child.status.then(() => {
      this.exited = true;
      this.#wake?.();
    });
  }

  /** The next message of a type; throws on a worker error or timeout. */
  async expect(type: string, timeoutMs: number): Promise<Message> {
    const until = performance.now() + timeoutMs;
    while (true) {
      const i = this.#messages.findIndex((m) =>
        m.type === type || m.type === "error"
      );
      if (i >= 0) {
        const [m] = this.#messages.splice(i, 1);
        if (m.type === "error") throw new Error(`worker: ${m.message}`);
        return m;
      }
      if (this.exited) {
        throw new Error(
          `worker exited before '${type}': ${this.#stderr.join(" | ")}`,
        );
      }
      const left = until - performance.now();
      if (left <= 0) throw new Error(`worker: no '${type}' in ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 1000));
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
  }

  /** Writes one command line to the generator. */
  async send(command: Message): Promise<void> {
    await this.#writer.write(
      new TextEncoder().encode(JSON.stringify(command) + "\n"),
    );
  }

  /** Tells the generator to exit; kills it after 5 s. */
  async stop(): Promise<void> {
    try {
      await this.send({ cmd: "exit" });
      await this.#writer.close();
    } catch {
      // Exited already.
    }
    try {
      await withTimeout(this.child.status, 5000, "worker exit");
    } catch {
      try {
        this.child.kill("SIGKILL");
      } catch {
        // Gone.
      }
      await this.child.status;
    }
    children.delete(this.child);
  }
}

/** Load generators that all reported ready, with their ready reports. */
export interface Setup {
  workers: Worker[];
  ready: Message[];
}

/** Starts the generators and waits for each one's `ready` (all stopped if one fails). */
export async function spawnWorkers(
  specs: WorkerSpec[],
  readyTimeoutMs: number,
): Promise<Setup> {
  const workers = specs.map((spec) => new Worker(spec));
  try {
    const ready = await Promise.all(
      workers.map((w) => w.expect("ready", readyTimeoutMs)),
    );
    return { workers, ready };
  } catch (error) {
    await Promise.all(workers.map((w) => w.stop()));
    throw error;
  }
}

/** CPU seconds the generators used so far. */
export async function genCpu(workers: Worker[]): Promise<number> {
  let total = 0;
  for (const w of workers) total += await cpuSeconds(w.pid).catch(() => 0);
  return total;
}

/** After a failure: stops the generators (if they started), then the target. */
export async function abandon(target: Target, setup?: Setup): Promise<void> {
  if (setup) await Promise.all(setup.workers.map((w) => w.stop()));
  await stopTarget(target);
}

/** Stops the target, then the generators; the target's stop figures. */
export async function finish(target: Target, workers: Worker[]) {
  // The server first: it closes every socket (1001) while the clients can
  // still answer; then the generators.
  const stopped = await stopTarget(target);
  await Promise.all(workers.map((w) => w.stop()));
  return stopped;
}
