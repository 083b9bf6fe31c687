/**
 * The measured windows: every generator is told when a window starts and
 * ends (on the epoch clock they share); around it the bench reads the
 * target's CPU time, the generators', the whole machine's, the target's
 * event-loop delay and, when asked, its collections and allocations.
 */
import {
  cpuSeconds,
  machineBusySeconds,
  sleep,
  type ThreadTime,
  threadTimes,
} from "./proc.ts";
import type { Result } from "./report.ts";
import {
  type DelayBuckets,
  readDelayBuckets,
  windowDelay,
} from "./loop_delay.ts";
import type { GcWindow } from "./gc_trace.ts";
import {
  type HeapProfile,
  HeapSampler,
  topAllocators,
} from "./heap_sampling.ts";
import { round } from "./stats.ts";
import { HOST, type Target } from "./targets.ts";
import { genCpu, type Message, type Worker } from "./workers.ts";

/** Now, in ms since the epoch, on the clock the generators share. */
function nowEpoch(): number {
  return performance.timeOrigin + performance.now();
}

async function sleepUntilEpoch(t: number): Promise<void> {
  await sleep(t - nowEpoch());
}

/**
 * The busiest thread of a process (or of several) over a window: the
 * share of the window it ran, and the share it waited for a core. Run
 * and wait together near 1 mean it never idled: that process bounds the
 * figure (by its own work if `run` is near 1, by the machine's other
 * processes if `wait` is most of it).
 */
export interface ThreadShare {
  run: number;
  wait: number;
}

/** Every thread of these processes, keyed by process and thread id. */
async function threadsOf(pids: number[]): Promise<Map<string, ThreadTime>> {
  const all = new Map<string, ThreadTime>();
  for (const pid of pids) {
    try {
      for (const [tid, t] of await threadTimes(pid)) {
        all.set(`${pid}/${tid}`, t);
      }
    } catch {
      // The process ended.
    }
  }
  return all;
}

function busiest(
  before: Map<string, ThreadTime>,
  after: Map<string, ThreadTime>,
  seconds: number,
): ThreadShare {
  let top: ThreadShare = { run: 0, wait: 0 };
  for (const [key, t] of after) {
    const t0 = before.get(key);
    if (!t0) continue;
    const share = {
      run: (t.run - t0.run) / 1e9 / seconds,
      wait: (t.wait - t0.wait) / 1e9 / seconds,
    };
    if (share.run + share.wait > top.run + top.wait) top = share;
  }
  return top;
}

/** What one measured window gave. */
export interface Measured {
  results: Message[];
  cpu: number;
  seconds: number;
  genCpu: number;
  /** CPU seconds used by everything else on the machine meanwhile. */
  otherCpu: number;
  /** The target's busiest thread over the window. */
  serverThread: ThreadShare;
  /** The generators' busiest thread over the window. */
  genThread: ThreadShare;
  /** The project's event-loop delay over the window (ms, "at most"). */
  loop?: { samples: number; p50: number; p99: number; max: number };
  /** The server's collections in the window, with --gc. */
  gc?: { main: GcWindow; workers: GcWindow };
  /** The main thread's sampled allocations, with --heap-profile. */
  profile?: HeapProfile;
}

/** Runs one measured window on every worker, reading CPU around it. */
export async function measure(
  target: Target,
  workers: Worker[],
  phase: string,
  seconds: number,
  resultTimeoutMs: number,
): Promise<Measured> {
  const start = nowEpoch() + 300;
  const end = start + seconds * 1000;
  await Promise.all(
    workers.map((w) => w.send({ cmd: "go", phase, start, end })),
  );
  // The event-loop delay histogram (the server's /metrics, and the
  // relays' own, made the same way) is read around the window, just
  // outside it.
  const delays = (): Promise<DelayBuckets | undefined> =>
    readDelayBuckets(`http://${HOST}:${target.port}`);
  const delay0 = await delays();
  const sampler = target.inspector && new HeapSampler(target.inspector.url);
  await sampler?.start(4096, !Deno.env.get("BENCH_HEAP_LIVE"));
  await sleepUntilEpoch(start);
  const genPids = workers.map((w) => w.pid);
  const server0 = await threadsOf([target.pid]);
  const threads0 = await threadsOf(genPids);
  const cpu0 = await cpuSeconds(target.pid);
  const gen0 = await genCpu(workers);
  const all0 = await machineBusySeconds();
  await sleepUntilEpoch(end);
  const cpu1 = await cpuSeconds(target.pid);
  const gen1 = await genCpu(workers);
  const all1 = await machineBusySeconds();
  const server1 = await threadsOf([target.pid]);
  const threads1 = await threadsOf(genPids);
  const profile = await sampler?.stop();
  const delay1 = await delays();
  const results = await Promise.all(
    workers.map((w) => w.expect("result", resultTimeoutMs)),
  );
  const cpu = cpu1 - cpu0;
  const gen = gen1 - gen0;
  const other = Math.max(0, all1 - all0 - cpu - gen);
  return {
    results,
    cpu,
    seconds,
    genCpu: gen,
    otherCpu: other,
    serverThread: busiest(server0, server1, seconds),
    genThread: busiest(threads0, threads1, seconds),
    loop: windowDelay(delay0, delay1),
    // The trace lines of the window have arrived by the time the results
    // have.
    gc: target.gc?.window(start, end),
    profile,
  };
}

/**
 * With --heap-profile: writes the window's profile to
 * `<FILE>.<name>.heapprofile` and prints who allocated most per message.
 */
export async function saveProfile(
  m: Measured,
  name: string,
  options: { messages: number; heapProfile?: string },
): Promise<void> {
  const { messages, heapProfile } = options;
  if (!m.profile || !heapProfile) return;
  const file = `${heapProfile}.${name}.heapprofile`;
  await Deno.writeTextFile(file, JSON.stringify(m.profile));
  console.log(`bench: ${name}: heap profile in ${file}`);
  for (const line of topAllocators(m.profile, Math.max(1, messages))) {
    console.log(`bench: ${line}`);
  }
}

/**
 * The main thread's collections in the window (--gc), per 10,000 messages
 * and per delivery: counts and bytes do not depend on the machine's load,
 * pause lengths do. The store's and checkpointer's threads are summed
 * apart (`gc_workers_*`).
 */
function gcFields(
  m: Measured,
  messages: number,
  deliveries: number,
): Result {
  if (!m.gc) return {};
  const { main, workers } = m.gc;
  const per10k = (x: number) => round((x * 10_000) / Math.max(1, messages), 2);
  return {
    gc_scavenges: main.scavenges,
    gc_mark_compacts: main.markCompacts,
    gc_pause_ms: round(main.pauseMs, 1),
    gc_pause_p50_ms: round(main.pauseP50Ms, 2),
    gc_pause_max_ms: round(main.pauseMaxMs, 2),
    gc_pauses_over_10ms: main.pausesOver10Ms,
    gc_marking_ms: round(main.markingMs, 1),
    gc_scavenges_per_10k_msgs: per10k(main.scavenges),
    gc_mark_compacts_per_10k_msgs: per10k(main.markCompacts),
    gc_pause_ms_per_10k_msgs: per10k(main.pauseMs),
    gc_alloc_bytes_per_msg: round(
      main.allocatedBytes / Math.max(1, messages),
      0,
    ),
    gc_alloc_bytes_per_delivery: round(
      main.allocatedBytes / Math.max(1, deliveries),
      0,
    ),
    gc_survived_bytes_per_scavenge: round(main.survivedBytesPerScavenge, 0),
    gc_workers_pause_ms: round(workers.pauseMs, 1),
    gc_workers_alloc_bytes_per_msg: round(
      workers.allocatedBytes / Math.max(1, messages),
      0,
    ),
  };
}

/**
 * The figures fan-out and chat both give of their window, in this order:
 * latency quantiles, CPU shares, CPU per delivery, loop delay and (--gc)
 * collections per message and per delivery.
 */
export function deliveryFields(
  m: Measured,
  of: {
    latency: { p50: number; p99: number; max: number };
    messages: number;
    deliveries: number;
  },
): Result {
  const { latency: lat, messages, deliveries } = of;
  return {
    p50_ms: round(lat.p50, 3),
    p99_ms: round(lat.p99, 3),
    max_ms: round(lat.max, 3),
    server_cpu_s: round(m.cpu, 3),
    server_cpu_util: round(m.cpu / m.seconds, 3),
    gen_cpu_util: round(m.genCpu / m.seconds, 3),
    other_cpu_util: round(m.otherCpu / m.seconds, 3),
    cpu_us_per_delivery: round((m.cpu * 1e6) / deliveries, 3),
    // The receiving side's cost, and what each side's busiest thread did:
    // a generator thread that ran or waited the whole window bounds the
    // rate, not the target.
    gen_cpu_us_per_delivery: round((m.genCpu * 1e6) / deliveries, 3),
    server_thread_run: round(m.serverThread.run, 3),
    server_thread_wait: round(m.serverThread.wait, 3),
    gen_thread_run: round(m.genThread.run, 3),
    gen_thread_wait: round(m.genThread.wait, 3),
    ...loopFields(m),
    ...gcFields(m, messages, deliveries),
  };
}

/** The loop-delay fields of a result (none when the target gave no histogram). */
export function loopFields(m: Measured, prefix = "loop"): Result {
  if (!m.loop) return {};
  return {
    [`${prefix}_p50_ms`]: m.loop.p50,
    [`${prefix}_p99_ms`]: m.loop.p99,
    [`${prefix}_max_ms`]: m.loop.max,
    [`${prefix}_samples`]: m.loop.samples,
  };
}
