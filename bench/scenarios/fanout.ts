/**
 * The fan-out scenario: `--fanout-clients` (500) clients in one room, 4 of
 * them sending; as guests, or as accounts that are members of the room
 * (written into the database before the server starts) looking at it or
 * elsewhere.
 */
import { rssKiB } from "../proc.ts";
import type { Result } from "../report.ts";
import { nameKey } from "../../server/protocol/names.ts";
import { hashToken } from "../../server/accounts/tokens.ts";
import { GENERAL_ROOM } from "../../server/protocol/types.ts";
import { SqliteStore } from "../../server/store/sqlite.ts";
import { DEFAULT_CONFIG } from "../../server/config.ts";
import type { BenchOptions } from "../options.ts";
import { HOST, type Kind, serverLog, startTarget } from "../targets.ts";
import { abandon, finish, type Setup, spawnWorkers } from "../workers.ts";
import { deliveryFields, measure, saveProfile } from "../measure.ts";
import {
  mergeCounts,
  quantiles,
  reasons,
  round,
  samples,
  sum,
} from "../stats.ts";

const FANOUT_SENDERS = 4;
const FANOUT_INFLIGHT = 8;

/**
 * Accounts for the members fan-out: `b0_0` … with session tokens
 * `${FANOUT_TOKEN}${i}`, every one a member of FANOUT_ROOM, written into a
 * new database before the server starts (no scrypt per account, no
 * join traffic to settle).
 */
const FANOUT_ROOM = "fanroom";
const FANOUT_TOKEN = "bench-session-";

/** A new database folder with `clients` such accounts. */
async function membersDatabase(clients: number): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "chat-bench-" });
  const store = new SqliteStore(`${dir}/bench.db`, {
    permanentRooms: [{ name: GENERAL_ROOM, key: nameKey(GENERAL_ROOM) }],
    busyTimeoutMs: DEFAULT_CONFIG.dbBusyTimeoutMs,
  });
  try {
    const roomKey = nameKey(FANOUT_ROOM);
    await store.createRoom(FANOUT_ROOM, roomKey);
    const expiresAt = Date.now() + 24 * 3600_000;
    await Promise.all(Array.from({ length: clients }, async (_, i) => {
      const username = `b0_${i}`;
      const key = nameKey(username);
      // Not a hash a password matches: these accounts log in by token only.
      await store.createAccount({
        key,
        username,
        passwordHash: "!",
        role: "user",
      });
      await store.addMember(key, roomKey);
      await store.createSession(hashToken(`${FANOUT_TOKEN}${i}`), {
        userKey: key,
        expiresAt,
      });
    }));
  } finally {
    await store.close();
  }
  return dir;
}

/**
 * Fan-out to 500 clients in one room. `members`: they are accounts, members
 * of the room, either looking at it or at `general` (issue 13: an account
 * receives its rooms' messages wherever it looks).
 */
export async function fanout(
  o: BenchOptions,
  kind: Kind,
  members?: "looking" | "away",
): Promise<Result> {
  const target = members
    ? await startTarget(kind, o, {
      dir: await membersDatabase(o.fanoutClients),
    })
    : await startTarget(kind, o);
  let setup: Setup | undefined;
  try {
    const rss0 = await rssKiB(target.pid);
    // The clients, spread over --fanout-workers generators; the senders
    // are the first worker's first clients.
    const workers = o.fanoutWorkers;
    const share = (w: number) =>
      Math.floor((o.fanoutClients * (w + 1)) / workers) -
      Math.floor((o.fanoutClients * w) / workers);
    setup = await spawnWorkers(
      Array.from({ length: workers }, (_, w) => ({
        scenario: "fanout" as const,
        url: `ws://${HOST}:${target.port}/ws`,
        worker: w,
        clients: share(w),
        batch: 100,
        connectBudgetMs: 60_000,
        settleMaxMs: 30_000,
        senders: w === 0 ? FANOUT_SENDERS : 0,
        inflight: FANOUT_INFLIGHT,
        sampleEvery: 10,
        ...(members
          ? {
            tokenPrefix: FANOUT_TOKEN,
            tokenBase: Math.floor((o.fanoutClients * w) / workers),
            viewRoom: FANOUT_ROOM,
            allView: members === "looking",
          }
          : {}),
      })),
      120_000,
    );
    const m = await measure(
      target,
      setup.workers,
      "main",
      o.duration,
      o.duration * 1000 + 30_000,
    );
    const rss1 = await rssKiB(target.pid);
    const deliveries = sum(m.results, "deliveries");
    await saveProfile(
      m,
      members ? `fanout-members-${members}` : "fanout",
      { messages: sum(m.results, "sentInWindow"), heapProfile: o.heapProfile },
    );
    const lat = quantiles(m.results.map((r) => r.latency));
    const ready = setup.ready;
    const stopped = await finish(target, setup.workers);
    return {
      target: kind,
      ...(members ? { members } : {}),
      clients: o.fanoutClients,
      connected: sum(ready, "connected"),
      setup_s: round(
        Math.max(...ready.map((r) => r.connectMs + r.settleMs)) / 1000,
      ),
      setup_objects: sum(ready, "setupObjects"),
      seconds: m.seconds,
      deliveries,
      deliveries_per_s: round(deliveries / m.seconds, 0),
      deliveries_per_frame: round(deliveries / sum(m.results, "frames"), 2),
      sent_per_s: round(sum(m.results, "sentInWindow") / m.seconds, 1),
      acked: sum(m.results, "acked"),
      unacked: sum(m.results, "unacked"),
      receivers_open: sum(m.results, "receivers"),
      latency_samples: lat.n,
      ...deliveryFields(m, {
        latency: lat,
        messages: sum(m.results, "sentInWindow"),
        deliveries,
      }),
      rss_before_kib: rss0,
      rss_after_kib: rss1,
      errors: sum(m.results, "errors"),
      error_samples: samples([...ready, ...m.results]),
      closes_during_run: sum(m.results, "closesDuringRun"),
      close_codes: mergeCounts(m.results, "closeCodes"),
      close_reasons: reasons(m.results),
      ...serverLog(target, stopped, o.limits),
    };
  } catch (error) {
    await abandon(target, setup);
    throw error;
  }
}
