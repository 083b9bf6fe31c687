/**
 * V8's sampling heap profiler on the server's main thread, over the
 * inspector (`deno task bench --heap-profile FILE`): every allocation,
 * garbage included, is sampled about once per `intervalBytes`, with its
 * stack. The profile opens in Chrome DevTools (Memory tab, a
 * `.heapprofile` file); {@link topAllocators} prints the functions that
 * allocate most, per message of the window.
 */

/** A node of V8's sampling heap profile. */
export interface ProfileNode {
  callFrame: {
    functionName: string;
    url: string;
    lineNumber: number;
    columnNumber: number;
  };
  selfSize: number;
  children: ProfileNode[];
}

/** A profile as `HeapProfiler.stopSampling` returns it. */
export interface HeapProfile {
  head: ProfileNode;
}

/** One inspector session on the server, sampling its allocations. */
export class HeapSampler {
  #socket: WebSocket;
  #next = 1;
  #waiting = new Map<number, (reply: Record<string, unknown>) => void>();
  #opened: Promise<void>;

  /** Connects to the inspector's `ws://` URL the server printed. */
  constructor(url: string) {
    this.#socket = new WebSocket(url);
    this.#opened = new Promise((resolve, reject) => {
      this.#socket.onopen = () => resolve();
      this.#socket.onerror = () => reject(new Error(`cannot reach ${url}`));
    });
    this.#socket.onmessage = (event) => {
      const reply = JSON.parse(event.data);
      this.#waiting.get(reply.id)?.(reply);
      this.#waiting.delete(reply.id);
    };
  }

  async #call(
    method: string,
    params: Record<string, unknown> = {},
  ): Promise<Record<string, unknown>> {
    await this.#opened;
    const id = this.#next++;
    const reply = new Promise<Record<string, unknown>>((resolve) =>
      this.#waiting.set(id, resolve)
    );
    this.#socket.send(JSON.stringify({ id, method, params }));
    const answer = await reply;
    if (answer.error) {
      throw new Error(`${method}: ${JSON.stringify(answer.error)}`);
    }
    return answer.result as Record<string, unknown>;
  }

  /**
   * Starts sampling every allocation, collected or not; with `garbage`
   * false, the profile keeps only what is still alive when it stops.
   */
  async start(intervalBytes = 4096, garbage = true): Promise<void> {
    await this.#call("HeapProfiler.enable");
    await this.#call("HeapProfiler.startSampling", {
      samplingInterval: intervalBytes,
      includeObjectsCollectedByMajorGC: garbage,
      includeObjectsCollectedByMinorGC: garbage,
    });
  }

  /** Stops sampling and returns the profile; closes the session. */
  async stop(): Promise<HeapProfile> {
    const result = await this.#call("HeapProfiler.stopSampling");
    this.#socket.close();
    return result.profile as HeapProfile;
  }
}

// Deno reports every WebSocket frame to an attached inspector (its network
// panel): these allocate only because the profiler is attached.
const INSPECTOR_ONLY = /inspector_network_bridge\.js|^emitWebSocketFrame /;

/**
 * The functions that allocated most (their own allocations, not their
 * callees'), in bytes per `per` (e.g. per message), as printable lines.
 * What Deno allocates only for the attached inspector is left out.
 */
export function topAllocators(
  profile: HeapProfile,
  per: number,
  count = 20,
): string[] {
  const bytes = new Map<string, number>();
  let total = 0;
  let inspector = 0;
  const sizeOf = (node: ProfileNode): number =>
    node.children.reduce((sum, child) => sum + sizeOf(child), node.selfSize);
  const walk = (node: ProfileNode) => {
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url
      ? ` ${url.split("/").slice(-2).join("/")}:${lineNumber + 1}`
      : "";
    const name = `${functionName || "(anonymous)"}${where}`;
    // The frames under an inspector-only one are its allocations too.
    if (INSPECTOR_ONLY.test(name)) {
      inspector += sizeOf(node);
      return;
    }
    bytes.set(name, (bytes.get(name) ?? 0) + node.selfSize);
    total += node.selfSize;
    for (const child of node.children) walk(child);
  };
  walk(profile.head);
  const lines = [
    `allocated ${Math.round(total / per)} B per message (sampled; and ${
      Math.round(inspector / per)
    } B for the inspector itself), by function:`,
  ];
  for (
    const [name, size] of [...bytes].sort((a, b) => b[1] - a[1]).slice(0, count)
  ) {
    lines.push(
      `  ${String(Math.round(size / per)).padStart(7)} B  ${
        (100 * size / total).toFixed(1).padStart(5)
      }%  ${name}`,
    );
  }
  return lines;
}
