/**
 * The server's garbage collections over a measured window, read from V8's
 * `--trace-gc-nvp` lines on its stdout (`deno task bench --gc`). Each line
 * is one collection of one isolate (the main thread's or a worker's):
 *
 *   [pid:0x55c3…:0]   190 ms: GC: {"pause":3.6,"gc":"s",…,"allocated":3507704,…}
 *
 * `gc` is "s" for a scavenge (young generation) and "ms" or "mc" for a
 * full mark-sweep(-compact); `pause` is how long the isolate's thread was
 * stopped; the bytes allocated since its previous collection are its heap's
 * size before it less the size after that one (V8's own `allocated`
 * counts far more under `--single-threaded-gc`).
 * The time is the isolate's own (ms since it started), so each isolate's
 * start is estimated from when its lines arrived: the smallest gap between
 * a line's arrival and its time. The main thread's isolate is the one that
 * started first.
 *
 * Counts and bytes do not depend on how busy the machine is; pause
 * durations do (a collection waiting for a core lasts longer), hence both.
 */

const LINE = /^\[\d+:(0x[0-9a-f]+)(?::\d+)?\]\s+([\d.]+) ms: GC: (\{.*\})\s*$/;

/** One collection. */
interface Collection {
  /** When it ran, in ms since the epoch (estimated). */
  at: number;
  /** Its time in the isolate's own clock. */
  own: number;
  kind: "scavenge" | "mark-compact" | "other";
  pauseMs: number;
  allocatedBytes: number;
  /** Incremental marking steps before a mark-compact, in ms. */
  markingMs: number;
  /** Bytes a scavenge copied within the young generation or promoted. */
  survivedBytes: number;
}

/** The collections of one isolate in a window. */
export interface GcWindow {
  scavenges: number;
  markCompacts: number;
  /** Sum of pauses, ms. */
  pauseMs: number;
  /** The median pause, ms. */
  pauseP50Ms: number;
  /** The longest pause, ms. */
  pauseMaxMs: number;
  /** Pauses over 10 ms. */
  pausesOver10Ms: number;
  /** Incremental marking steps on the thread, ms (not in the pauses). */
  markingMs: number;
  /** Bytes allocated in the window. */
  allocatedBytes: number;
  /**
   * Mean bytes a scavenge kept (copied or promoted): what its work grows
   * with, whatever the load.
   */
  survivedBytesPerScavenge: number;
}

/** True for a line the trace wrote (to keep it out of the server's log). */
export function isTraceLine(line: string): boolean {
  // Threads print at once: a line may come cut in two.
  return /^\[\d+:0x[0-9a-f]+/.test(line) ||
    line.startsWith(", removed zone reservations") ||
    /"(scavenge|heap|incremental|background)\.[a-z_.]+":/.test(line);
}

/** Collects the trace lines of one server process as they arrive. */
export class GcTrace {
  #isolates = new Map<
    string,
    { offset: number; gcs: Collection[]; end: number }
  >();

  /** Feeds one output line, with when it arrived (ms since the epoch). */
  line(text: string, arrived = Date.now()): void {
    const m = LINE.exec(text);
    if (!m) return;
    let nvp: Record<string, unknown>;
    try {
      nvp = JSON.parse(m[3]);
    } catch {
      return;
    }
    const own = Number(m[2]);
    let isolate = this.#isolates.get(m[1]);
    if (!isolate) {
      this.#isolates.set(m[1], isolate = { offset: Infinity, gcs: [], end: 0 });
    }
    const startSize = Number(nvp.start_object_size) || 0;
    const allocated = isolate.gcs.length === 0
      ? Number(nvp.allocated) || 0
      : Math.max(0, startSize - isolate.end);
    isolate.end = Number(nvp.end_object_size) || 0;
    isolate.offset = Math.min(isolate.offset, arrived - own);
    const gc = String(nvp.gc);
    isolate.gcs.push({
      at: 0,
      own,
      kind: gc === "s"
        ? "scavenge"
        : gc === "ms" || gc === "mc"
        ? "mark-compact"
        : "other",
      pauseMs: Number(nvp.pause) || 0,
      allocatedBytes: allocated,
      markingMs: Number(nvp["incremental.steps_took"]) || 0,
      survivedBytes: (Number(nvp.new_space_survived) || 0) +
        (Number(nvp.promoted) || 0),
    });
  }

  /**
   * The main thread's collections between two instants (ms since the
   * epoch), and those of every other isolate (the workers) together.
   */
  window(start: number, end: number): { main: GcWindow; workers: GcWindow } {
    const isolates = [...this.#isolates.values()].sort((a, b) =>
      a.offset - b.offset
    );
    const pick = (list: typeof isolates) =>
      list.flatMap(({ offset, gcs }) =>
        gcs.map((gc) => ({ ...gc, at: offset + gc.own }))
          .filter((gc) => gc.at >= start && gc.at < end)
      );
    return {
      main: summarize(pick(isolates.slice(0, 1))),
      workers: summarize(pick(isolates.slice(1))),
    };
  }
}

function summarize(gcs: Collection[]): GcWindow {
  const scavenges = gcs.filter((gc) => gc.kind === "scavenge");
  const pauses = gcs.map((gc) => gc.pauseMs).sort((a, b) => a - b);
  return {
    scavenges: scavenges.length,
    markCompacts: gcs.filter((gc) => gc.kind === "mark-compact").length,
    pauseMs: pauses.reduce((a, b) => a + b, 0),
    pauseP50Ms: pauses.length > 0 ? pauses[Math.floor(pauses.length / 2)] : 0,
    pauseMaxMs: pauses.at(-1) ?? 0,
    pausesOver10Ms: pauses.filter((p) => p > 10).length,
    markingMs: gcs.reduce((a, gc) => a + gc.markingMs, 0),
    allocatedBytes: gcs.reduce((a, gc) => a + gc.allocatedBytes, 0),
    survivedBytesPerScavenge: scavenges.length === 0
      ? 0
      : scavenges.reduce((a, gc) => a + gc.survivedBytes, 0) /
        scavenges.length,
  };
}
