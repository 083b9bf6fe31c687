/**
 * The chat scenario: many small rooms, every client talking at a steady
 * rate, each message's latency to every reader and what was lost or
 * duplicated.
 */
import type { Result } from "../report.ts";
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

const CHAT_ROOMS = 50;
const CHAT_PER_ROOM = 20;

/**
 * Chat: 50 rooms of 20 clients, each client sending `--chat-rate` messages
 * a second to its room.
 */
export async function chat(o: BenchOptions, kind: Kind): Promise<Result> {
  const target = await startTarget(kind, o);
  let setup: Setup | undefined;
  try {
    const rooms = Array.from(
      { length: CHAT_ROOMS },
      (_, i) => `room${String(i).padStart(2, "0")}`,
    );
    setup = await spawnWorkers([{
      scenario: "chat",
      url: `ws://${HOST}:${target.port}/ws`,
      worker: 0,
      clients: CHAT_ROOMS * CHAT_PER_ROOM,
      batch: 200,
      connectBudgetMs: 60_000,
      settleMaxMs: 30_000,
      rooms,
      perRoom: CHAT_PER_ROOM,
      phaseBase: 0,
      phaseTotal: CHAT_ROOMS * CHAT_PER_ROOM,
      rate: o.chatRate,
    }], 180_000);
    const m = await measure(
      target,
      setup.workers,
      "main",
      o.duration,
      o.duration * 1000 + 30_000,
    );
    const r = m.results;
    const lat = quantiles(r.map((x) => x.latency));
    const ready = setup.ready;
    const inWindow = sum(r, "deliveriesInWindow");
    await saveProfile(m, "chat", {
      messages: sum(r, "sent"),
      heapProfile: o.heapProfile,
    });
    const stopped = await finish(target, setup.workers);
    return {
      target: kind,
      clients: CHAT_ROOMS * CHAT_PER_ROOM,
      rooms: CHAT_ROOMS,
      rate_per_client: o.chatRate,
      connected: sum(ready, "connected"),
      connect_s: round(Math.max(...ready.map((x) => x.connectMs)) / 1000),
      rooms_s: round(Math.max(...ready.map((x) => x.roomsMs)) / 1000),
      settle_s: round(Math.max(...ready.map((x) => x.settleMs)) / 1000),
      setup_objects: sum(ready, "setupObjects"),
      room_failures: sum(ready, "roomFailures"),
      seconds: m.seconds,
      sent: sum(r, "sent"),
      acked: sum(r, "acked"),
      unacked: sum(r, "unacked"),
      expected: sum(r, "expected"),
      deliveries: sum(r, "deliveries"),
      deliveries_per_s: round(inWindow / m.seconds, 0),
      lost: sum(r, "lost"),
      duplicated: sum(r, "duplicated"),
      misrouted: sum(r, "misrouted"),
      unacked_delivered: sum(r, "unackedDelivered"),
      seq_gaps: sum(r, "seqGaps"),
      ...deliveryFields(m, {
        latency: lat,
        messages: sum(r, "sent"),
        deliveries: inWindow,
      }),
      errors: sum(r, "errors"),
      error_samples: samples([...ready, ...r]),
      closes_during_run: sum(r, "closesDuringRun"),
      close_codes: mergeCounts(r, "closeCodes"),
      close_reasons: reasons(r),
      ...serverLog(target, stopped, o.limits),
    };
  } catch (error) {
    await abandon(target, setup);
    throw error;
  }
}
