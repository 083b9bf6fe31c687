/**
 * The search scenario: a store filled with a corpus before the server
 * starts (SQLite, or a schema of its own on PostgreSQL), then one client's
 * searches timed one at a time.
 */
import { cpuSeconds, machineBusySeconds } from "../proc.ts";
import { Prober } from "../prober.ts";
import type { Result } from "../report.ts";
import { fillCorpus, searchKinds } from "../search_corpus.ts";
import { nameKey } from "../../server/protocol/names.ts";
import { GENERAL_ROOM } from "../../server/protocol/types.ts";
import { PostgresStore } from "../../server/store/postgres.ts";
import { SqliteStore } from "../../server/store/sqlite.ts";
import { DEFAULT_CONFIG } from "../../server/config.ts";
import postgres from "postgres";
import type { BenchOptions } from "../options.ts";
import {
  HOST,
  serverLog,
  startTarget,
  stopTarget,
  type Target,
} from "../targets.ts";
import { msQuantiles, round } from "../stats.ts";

const SEARCH_ROUNDS = 10;

/**
 * Search latency with `--search-messages` stored: the store is filled before
 * the server starts, then one client sends each query of the mix
 * SEARCH_ROUNDS times, one at a time, and times each round trip.
 */
export async function search(o: BenchOptions): Promise<Result> {
  const dir = await Deno.makeTempDir({ prefix: "chat-bench-" });
  const permanentRooms = [{ name: GENERAL_ROOM, key: nameKey(GENERAL_ROOM) }];
  let url: string | undefined;
  let dropSchema: (() => Promise<void>) | undefined;
  if (o.databaseUrl) {
    const schema = `bench_search_${Deno.pid}`;
    const admin = postgres(o.databaseUrl, { max: 1, onnotice: () => {} });
    await admin.unsafe(`CREATE SCHEMA ${schema}`);
    dropSchema = async () => {
      await admin.unsafe(`DROP SCHEMA ${schema} CASCADE`);
      await admin.end();
    };
    url = `${o.databaseUrl}${
      o.databaseUrl.includes("?") ? "&" : "?"
    }search_path=${schema}`;
  }
  let target: Target | undefined;
  try {
    const filling = performance.now();
    const store = url
      ? await PostgresStore.open(url, { permanentRooms })
      : new SqliteStore(`${dir}/bench.db`, {
        permanentRooms,
        busyTimeoutMs: DEFAULT_CONFIG.dbBusyTimeoutMs,
      });
    try {
      await fillCorpus(store, o.searchMessages);
    } finally {
      await store.close();
    }
    if (url) {
      // As autovacuum would soon: the planner needs the words' statistics
      // to choose between the GIN index and walking ids newest first.
      const sql = postgres(url, { max: 1, onnotice: () => {} });
      await sql`ANALYZE messages`;
      await sql.end();
    }
    const fillSeconds = (performance.now() - filling) / 1000;
    target = await startTarget("project", o, {
      args: url ? ["--database-url", url] : [],
      dir,
    });
    const client = await Prober.open(`ws://${HOST}:${target.port}/ws`);
    await client.request("login", { username: "searcher" });
    const kinds = searchKinds();
    const latencies: Record<string, number[]> = {};
    const found: Record<string, number> = {};
    let cpu0 = 0;
    let all0 = 0;
    const began = performance.now();
    // Round 0 warms up (statements prepared, pages cached) and is not counted.
    for (let round = 0; round <= SEARCH_ROUNDS; round++) {
      if (round === 1) {
        cpu0 = await cpuSeconds(target.pid);
        all0 = await machineBusySeconds();
      }
      for (const kind of kinds) {
        for (const query of kind.queries) {
          const { reply, ms } = await client.request("search", query);
          if (round === 0) {
            // How many results the first page had.
            found[kind.label] = (found[kind.label] ?? 0) +
              reply.data.results.length;
            continue;
          }
          (latencies[kind.label] ??= []).push(ms);
        }
      }
    }
    const seconds = (performance.now() - began) / 1000;
    const cpu = await cpuSeconds(target.pid) - cpu0;
    const other = Math.max(0, await machineBusySeconds() - all0 - cpu);
    await client.close();
    const stopped = await stopTarget(target);
    const log = serverLog(target, stopped, o.limits);
    target = undefined;
    const all = Object.values(latencies).flat();
    const byKind = Object.fromEntries(
      kinds.map((k) => [k.label, {
        ...msQuantiles(latencies[k.label]),
        results_per_search: round(found[k.label] / k.queries.length, 1),
      }]),
    );
    return {
      target: "project",
      store: url ? "postgres" : "sqlite",
      messages: o.searchMessages,
      fill_s: round(fillSeconds, 1),
      searches: all.length,
      searches_per_s: round(all.length / seconds, 0),
      ...Object.fromEntries(
        Object.entries(msQuantiles(all)).map(([k, v]) => [`${k}_ms`, v]),
      ),
      cpu_util: round(cpu / seconds, 3),
      other_cpu_util: round(other / seconds, 3),
      cpu_us_per_search: round((cpu * 1e6) / all.length, 1),
      by_kind: byKind,
      ...log,
    };
  } finally {
    if (target) await stopTarget(target);
    else await Deno.remove(dir, { recursive: true }).catch(() => {});
    await dropSchema?.();
  }
}
