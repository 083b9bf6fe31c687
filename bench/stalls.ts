/**
 * The event-loop stalls in a V8 CPU profile of the server (`--cpu-prof`):
 * runs of samples in which the main thread was never idle, longest first,
 * each with where its time went. A sample's weight is capped at twice the
 * sampling interval: a longer gap between samples is the process waiting
 * for a core, not work, and is shown apart ("wall" against "CPU").
 *
 *   BENCH_SERVER_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/prof" \
 *     deno task bench --scenario chat --duration 20
 *   deno run --allow-read bench/stalls.ts /tmp/prof/CPU.*.cpuprofile \
 *     [--from S] [--to S] [--top N] [--over MS]
 *
 * `--from`/`--to` keep seconds since the profile began (the bench's window
 * starts after its clients connected: the first `sendMessage` sample is
 * printed to find it).
 */
import { parseArgs } from "node:util";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({
  args: Deno.args,
  options: {
    from: { type: "string", default: "0" },
    to: { type: "string", default: "1e9" },
    top: { type: "string", default: "10" },
    over: { type: "string", default: "10" },
  },
  allowPositionals: true,
});
if (positionals.length !== 1) {
  console.error(
    "usage: bench/stalls.ts PROFILE [--from S] [--to S] [--top N] [--over MS]",
  );
  Deno.exit(2);
}
const profile = JSON.parse(await Deno.readTextFile(positionals[0])) as Profile;
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) {
  for (const child of n.children ?? []) parent.set(child, n.id);
}
const label = (id: number) => {
  const { functionName, url, lineNumber } = nodes.get(id)!.callFrame;
  const file = url.split("/").at(-1);
  return file
    ? `${functionName || "(anonymous)"} ${file}:${lineNumber + 1}`
    : (functionName || "(anonymous)");
};
const stackOf = (id: number) => {
  const frames: string[] = [];
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    frames.push(label(at));
  }
  return frames;
};

const deltas = profile.timeDeltas;
const sorted = [...deltas].sort((a, b) => a - b);
const cap = 2 * sorted[Math.floor(sorted.length / 2)];
const from = Number(values.from) * 1e6;
const to = Number(values.to) * 1e6;

interface Run {
  start: number;
  end: number;
  samples: number[];
}
const runs: Run[] = [];
let current: Run | undefined;
let t = 0;
let firstSend: number | undefined;
let busy = 0;
let gc = 0;
for (let k = 0; k < profile.samples.length; k++) {
  const before = t;
  t += deltas[k];
  const node = profile.samples[k];
  const name = nodes.get(node)!.callFrame.functionName;
  if (t < from || t > to) continue;
  if (
    firstSend === undefined &&
    stackOf(node).some((f) => f.startsWith("sendMessage "))
  ) {
    firstSend = t;
  }
  if (name === "(idle)") {
    if (current) runs.push(current);
    current = undefined;
    continue;
  }
  busy += Math.min(deltas[k], cap);
  if (name === "(garbage collector)") gc += Math.min(deltas[k], cap);
  current ??= { start: before, end: t, samples: [] };
  current.end = t;
  current.samples.push(k);
}
if (current) runs.push(current);

const cpuOf = (run: Run) =>
  run.samples.reduce((s, k) => s + Math.min(deltas[k], cap), 0);
runs.sort((a, b) => cpuOf(b) - cpuOf(a));
const ms = (us: number) => (us / 1000).toFixed(1);
console.log(
  `sampling interval ~${cap / 2} µs; first sendMessage at ${
    firstSend === undefined ? "-" : (firstSend / 1e6).toFixed(2)
  } s; main thread busy ${ms(busy)} ms, of which GC ${ms(gc)} ms (${
    (gc / busy * 100).toFixed(1)
  }%)`,
);
const over = Number(values.over) * 1000;
console.log(
  `busy runs over ${values.over} ms of CPU: ${
    runs.filter((r) => cpuOf(r) > over).length
  }; ` +
    `over ${values.over} ms of wall: ${
      runs.filter((r) => r.end - r.start > over).length
    }`,
);
for (const run of runs.slice(0, Number(values.top))) {
  const self = new Map<string, number>();
  for (const k of run.samples) {
    const frame = label(profile.samples[k]);
    self.set(frame, (self.get(frame) ?? 0) + Math.min(deltas[k], cap));
  }
  const top = [...self].sort((a, b) => b[1] - a[1]).slice(0, 4)
    .map(([frame, us]) => `${ms(us)} ${frame}`).join("; ");
  console.log(
    `${(run.start / 1e6).toFixed(2)} s: CPU ${ms(cpuOf(run))} ms, wall ${
      ms(run.end - run.start)
    } ms: ${top}`,
  );
}
