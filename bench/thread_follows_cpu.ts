/**
 * What noting a reply in the threads its readers take part in costs
 * (`followThread`; docs/performance.md, "The threads an account takes
 * part in"), in process through the SQLite store as the server calls it
 * after each reply: CPU per call, its commit included, in a thread of 1,
 * 10 and 100 followers, over a table of `background` other threads.
 * Medians and range of `rounds` rounds of 200 replies each.
 *
 *   deno run -A bench/thread_follows_cpu.ts [background=2000] [rounds=5]
 *
 * CPU (user and system, the checkpoint thread's included), not wall
 * time: the machine may be busy.
 */
import process from "node:process";
import { BACKGROUND_CHECKPOINTS } from "../server/store/checkpoints.ts";
import { SqliteStore } from "../server/store/sqlite.ts";

const [background = 2000, rounds = 5] = Deno.args.map(Number);
const REPLIES = 200;

function cpuMs(): number {
  const used = process.cpuUsage();
  return (used.user + used.system) / 1000;
}

const dir = await Deno.makeTempDir();
const store = await SqliteStore.open(`${dir}/chat.db`, {
  busyTimeoutMs: 5000,
  commitWaitMs: 0,
  backgroundCheckpoints: BACKGROUND_CHECKPOINTS,
});
try {
  for (let t = 0; t < background; t++) {
    await store.followThread({
      rootId: `other${t}`,
      followers: [`u${t % 97}`, `u${t % 89}`],
      authorKey: `u${t % 83}`,
      seq: t,
      at: t,
    });
  }
  for (const followers of [1, 10, 100]) {
    const perCall: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const rootId = `root-${followers}-${round}`;
      const keys = Array.from({ length: followers }, (_, i) => `f${i}`);
      // The first reply writes the rows; each next one moves them all.
      await store.followThread({
        rootId,
        followers: keys,
        authorKey: "a",
        seq: 1,
        at: 1,
      });
      const start = cpuMs();
      for (let i = 0; i < REPLIES; i++) {
        await store.followThread({
          rootId,
          followers: ["f0"],
          authorKey: `f${i % followers}`,
          seq: i + 2,
          at: i + 2,
        });
      }
      perCall.push((cpuMs() - start) / REPLIES * 1000);
    }
    perCall.sort((a, b) => a - b);
    const median = perCall[Math.floor(perCall.length / 2)];
    console.log(
      `${followers} followers: ${median.toFixed(0)} us CPU a reply ` +
        `(median of ${rounds}, ${perCall[0].toFixed(0)} to ` +
        `${perCall.at(-1)!.toFixed(0)})`,
    );
  }
} finally {
  await store.close();
  await Deno.remove(dir, { recursive: true });
}
