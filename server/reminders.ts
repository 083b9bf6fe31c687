/**
 * Reminders on saved messages (save_message's `remind_at`, Slack's "Remind
 * me about this"): every node sweeps the store every `--reminder-sweep` ms
 * (and once at start, for the reminders due while it was down), claims
 * the due ones (the store clears each in the step that answers it, so of
 * several nodes sweeping at once one fires it), and fires each: the
 * account's connections on every node get `reminder` through the broker,
 * and its browsers a Web Push as for a mention. A claim is a lease of
 * `leaseMs`: the row is cleared only once the reminder fired, and one
 * whose node died or failed to fire it is claimed again when its lease
 * runs out, by any node (at least once: nothing acknowledged is lost).
 * It fires twice only when a node fires it and dies before it confirms,
 * or takes longer than the lease to; the client shows one line per id.
 * The same sweep, one timer, claims scheduled messages' sends too
 * (scheduled_sends.ts), under the same leases: a job each.
 */
import { mayReadRecord } from "./access.ts";
import { Coalesced } from "./coalesced.ts";
import { readable } from "./handlers/message_updates.ts";
import { log } from "./log.ts";
import type { ChatNode } from "./node.ts";
import type { ReminderEvent } from "./protocol/types.ts";
import type { DueReminder } from "./store/mod.ts";

const logger = log("reminders");

/** Reminders claimed at once: a short transaction, then their firing. */
const BATCH = 100;

/** How long a claim holds its reminders unless told (ms). */
const LEASE_MS = 60_000;

/**
 * One kind of due work the sweep claims, fires and confirms: saved
 * messages' reminders, scheduled messages' sends (scheduled_sends.ts).
 */
export interface SweepJob<T> {
  /** What it fires, for the logs ("reminder"). */
  what: string;
  /** Claims up to `limit` due at `now`, leased until `until` (ms). */
  claim(now: number, limit: number, until: number): Promise<T[]>;
  /** Fires one; a throw leaves it claimed, to be claimed again. */
  fire(item: T): Promise<void>;
  /** Clears one fired. */
  confirm(item: T): Promise<unknown>;
  /**
   * Whose an item is, when one holder's items go out in their order (the
   * store's claim keeps a holder's rows to one node at a time, leases.ts):
   * after one fails to fire, the holder's later ones of the batch wait,
   * held, for its lease to run out, to be claimed again behind it.
   */
  holder?(item: T): string;
}

/** A job of any kind, as the sweep holds it. */
export function sweepJob<T>(job: SweepJob<T>): SweepJob<unknown> {
  return job as SweepJob<unknown>;
}

/** What {@link ReminderSweep} works on. */
export interface ReminderSweepOptions {
  /** Its jobs, swept in turn in each pass. */
  jobs: readonly SweepJob<unknown>[];
  /** How often a pass runs (ms). */
  everyMs: number;
  /**
   * How long a claim holds an item before another pass may claim it
   * again (ms; a minute unless told): longer than a batch takes to fire.
   */
  leaseMs?: number;
}

/**
 * Claims and fires due reminders and scheduled messages now and then, one
 * timer for both; `close` waits for a pass.
 */
export class ReminderSweep {
  #options: ReminderSweepOptions;
  #timer: ReturnType<typeof setInterval> | undefined;
  #passes = new Coalesced(() => this.#pass());
  #closed = false;

  constructor(options: ReminderSweepOptions) {
    this.#options = options;
  }

  /** Runs a first pass in the background and schedules the others. */
  start(): void {
    void this.pass();
    this.#timer = setInterval(() => void this.pass(), this.#options.everyMs);
    // A pending sweep never keeps a process alive: close() stops it.
    Deno.unrefTimer(this.#timer);
  }

  /** One pass: each job claims and fires batch after batch until one is not full. */
  pass(): Promise<number> {
    return this.#passes.run();
  }

  async #pass(): Promise<number> {
    let fired = 0;
    for (const job of this.#options.jobs) fired += await this.#sweep(job);
    return fired;
  }

  async #sweep(job: SweepJob<unknown>): Promise<number> {
    let fired = 0;
    try {
      while (!this.#closed) {
        const now = Date.now();
        const { leaseMs = LEASE_MS } = this.#options;
        const due = await job.claim(now, BATCH, now + leaseMs);
        const stalled = new Set<string>();
        for (const item of due) {
          const holder = job.holder?.(item);
          if (holder !== undefined && stalled.has(holder)) continue;
          try {
            await job.fire(item);
          } catch (error) {
            // Not confirmed, so claimed again once its lease runs out; the
            // others of the batch still fire.
            logger.error("A {what} failed to fire, to retry: {error}", {
              what: job.what,
              error: (error as Error).message,
            });
            if (holder !== undefined) stalled.add(holder);
            continue;
          }
          fired++;
          await job.confirm(item);
        }
        if (due.length < BATCH) break;
      }
    } catch (error) {
      logger.error(
        "The {what} sweep stopped, to retry at the next pass: {error}",
        {
          what: job.what,
          error: (error as Error).message,
        },
      );
    }
    return fired;
  }

  /** Stops the schedule and waits for a running pass to end. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#passes.idle();
  }
}

/**
 * Fires a claimed reminder, by the read rules of now: nothing when the
 * account is gone or banned from the server, or the message deleted, gone
 * or no longer the account's to read (a private room left); the reminder
 * is cleared all the same, the message stays saved. Else `reminder` to
 * the account's connections on every node, and a push to its browsers if
 * none is watching (do-not-disturb holds the push, not the event).
 */
export async function fireReminder(
  node: ChatNode,
  due: DueReminder,
): Promise<void> {
  const account = await node.store.findAccount(due.userKey);
  if (!account || await node.store.findBan({ userKey: account.key })) return;
  const record = await node.store.findMessage(due.id);
  if (!record || record.message.deleted) return;
  const reader = { userKey: account.key, since: account.createdAt };
  if (!await mayReadRecord(node, reader, record)) return;
  const message = readable(node, record.stream, record.message);
  const event: ReminderEvent = {
    id: due.id,
    saved_at: new Date(due.savedAt).toISOString(),
    remind_at: new Date(due.remindAt).toISOString(),
    message,
  };
  node.publish({ kind: "user", key: account.key }, "reminder", event);
  node.push.reminder(account.key, due.id, message);
}
