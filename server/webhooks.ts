/**
 * Outgoing webhooks: every new message of a room is POSTed as JSON to each
 * URL its owner registered, and every private message to a bot to each URL
 * an admin registered for the bot, signed with the hook's secret
 * (`X-Chat-Signature-256: sha256=<hex HMAC-SHA256 of the body>`), retried
 * with backoff, a few at a time and one at a time per hook. The node that stored a message delivers
 * it; a delivery waiting for its retry when the process stops is lost (at
 * most once, never twice from two nodes). Each failed attempt is recorded
 * on the hook, for its owner to see.
 */
import { createHmac } from "node:crypto";
import { Lanes } from "./lanes.ts";
import { log } from "./log.ts";
import type { OutboundGuard } from "./outbound.ts";
import { postOutbound } from "./outbound_post.ts";
import type { ChatMessage, PrivateMessage } from "./protocol/types.ts";
import type {
  OutboundStore,
  StoredPrivateWebhook,
  StoredWebhook,
} from "./store/mod.ts";
import { VERSION } from "./version.ts";

const logger = log("webhooks");

/** How deliveries are paced; tests shorten it. */
export interface WebhookTiming {
  /** Pauses before the 2nd, 3rd, … attempt; its length + 1 is the number of attempts. */
  retryDelaysMs: number[];
  /** A receiver that has not answered by then has failed this attempt. */
  timeoutMs: number;
}

/** Attempts at a time, over every hook of this node. */
export const WEBHOOK_MAX_IN_FLIGHT = 8;
/**
 * One lane per hook (see Lanes): a receiver that never answers holds one
 * of the 8 slots, not all of them, and other hooks' deliveries go out
 * meanwhile; once its calls have failed it is cooled down and shares 4
 * slots with the other failing hooks. Past 500 waiting for a hook, or 2000
 * in all, a delivery is dropped (and recorded as failed).
 */
const LANE_LIMITS = {
  inFlight: WEBHOOK_MAX_IN_FLIGHT,
  perLane: 500,
  waiting: 2000,
};
/** How long the list of hooks is trusted: another node's change shows within it. */
const CACHE_MS = 5000;
/** A success is written at most this often while nothing fails (a write per message is too many). */
const SUCCESS_NOTE_MS = 60_000;

/** The default pacing: 5 attempts over about 2.5 minutes, 10 s each. */
export const DEFAULT_WEBHOOK_TIMING: WebhookTiming = {
  retryDelaysMs: [1000, 5000, 30_000, 120_000],
  timeoutMs: 10_000,
};

/** The JSON body of a delivery: a room's message, or a private one to a bot. */
export type WebhookPayload =
  & {
    /** Unique per delivery, the same on its retries: receivers drop repeats by it. */
    delivery: string;
    /** The hook's id. */
    hook: string;
  }
  & (
    | { event: "message"; room: string; message: ChatMessage }
    | {
      event: "private_message";
      /** The bot's username (the message's `to`). */
      to: string;
      message: PrivateMessage;
    }
  );

/** A room's hook or a bot's private-message hook. */
export type AnyWebhook = StoredWebhook | StoredPrivateWebhook;

/**
 * True while the account that made a room's hook may still read its room
 * (a hook is its maker's eyes, so a removal or a ban, of the room or the
 * server, must close them as it closes the maker's sockets), or while the
 * account of a private-message hook may still read its messages.
 */
export type HookReader = (hook: AnyWebhook) => Promise<boolean>;

/**
 * The hooks of every room (or every account), read from the store at most
 * every CACHE_MS: another node's change shows within it.
 */
class HookList<T> {
  #read: () => Promise<Map<string, T[]>>;
  #hooks?: Promise<Map<string, T[]>>;
  // The same list once it has arrived, to see at once that a room has no
  // hook: most rooms have none, and their messages then cost no promise.
  #loaded?: Map<string, T[]>;
  #loadedAt = 0;

  constructor(read: () => Promise<T[]>, keyOf: (hook: T) => string) {
    this.#read = async () => {
      const byKey = new Map<string, T[]>();
      for (const hook of await read()) {
        const key = keyOf(hook);
        byKey.set(key, [...byKey.get(key) ?? [], hook]);
      }
      return byKey;
    };
  }

  /** True when the list, read lately, holds no hook of `key`. */
  knownEmpty(key: string): boolean {
    return this.#loaded !== undefined && !this.#loaded.has(key) &&
      Date.now() - this.#loadedAt < CACHE_MS;
  }

  /** The hooks of `key`; a failed read is forgotten, to read again. */
  async of(key: string): Promise<T[]> {
    try {
      return (await this.#list()).get(key) ?? [];
    } catch (error) {
      this.changed();
      throw error;
    }
  }

  /** Forgets the list (a hook was added or removed here). */
  changed(): void {
    this.#hooks = undefined;
    this.#loaded = undefined;
  }

  #list(): Promise<Map<string, T[]>> {
    if (this.#hooks && Date.now() - this.#loadedAt < CACHE_MS) {
      return this.#hooks;
    }
    this.#loadedAt = Date.now();
    this.#loaded = undefined;
    const hooks = this.#read().then((byKey) => {
      // Unless a change made while reading has made this list old.
      if (this.#hooks === hooks) this.#loaded = byKey;
      return byKey;
    });
    this.#hooks = hooks;
    return hooks;
  }
}

/**
 * Delivers new room messages to the rooms' outgoing webhooks, and private
 * messages to a bot to the bot's.
 */
export class WebhookDispatcher {
  /** Pacing of retries and timeouts (tests shorten it). */
  readonly timing: WebhookTiming;
  #store: OutboundStore;
  #guard: OutboundGuard;
  #mayRead: HookReader;
  #lanes = new Lanes(LANE_LIMITS);
  #rooms: HookList<StoredWebhook>;
  #accounts: HookList<StoredPrivateWebhook>;
  #noted = new Map<string, number>();
  #timers = new Set<ReturnType<typeof setTimeout>>();
  #running = new Set<Promise<void>>();
  #stop = new AbortController();

  constructor(
    store: OutboundStore,
    guard: OutboundGuard,
    mayRead: HookReader,
    timing: WebhookTiming = DEFAULT_WEBHOOK_TIMING,
  ) {
    this.#store = store;
    this.#guard = guard;
    this.#mayRead = mayRead;
    this.timing = { ...timing, retryDelaysMs: [...timing.retryDelaysMs] };
    this.#rooms = new HookList(() => store.listWebhooks(), (h) => h.roomKey);
    this.#accounts = new HookList(
      () => store.listPrivateWebhooks(),
      (h) => h.userKey,
    );
  }

  /** The guard webhook URLs are checked with. */
  get guard(): OutboundGuard {
    return this.#guard;
  }

  /** Forgets the cached lists of hooks (one was added or removed here). */
  changed(): void {
    this.#rooms.changed();
    this.#accounts.changed();
  }

  /** A message was stored in a room by this node: queue it for the room's hooks. */
  messageStored(room: { key: string; name: string }, message: ChatMessage) {
    if (this.#stop.signal.aborted) return;
    // Messages of bots and incoming hooks are not delivered, as Slack's and
    // Mattermost's outgoing webhooks ignore bot posts: a bot answering each
    // delivery with a message would otherwise call itself forever. A bot
    // that wants other bots' messages reads history over the REST API.
    if (message.badge !== undefined) return;
    if (this.#rooms.knownEmpty(room.key)) return;
    this.#track(
      this.#dispatch(this.#rooms, room.key, (hook, delivery) => ({
        event: "message",
        delivery,
        hook: hook.id,
        room: room.name,
        message,
      })),
    );
  }

  /**
   * A private message to the account `toKey` (not from itself) was stored
   * by this node: queue it for the account's hooks (a bot's). One from a
   * bot is not delivered, as in rooms: two bots answering each other's
   * private messages would otherwise call each other forever.
   */
  privateMessageStored(toKey: string, message: PrivateMessage): void {
    if (this.#stop.signal.aborted) return;
    if (message.badge !== undefined) return;
    if (this.#accounts.knownEmpty(toKey)) return;
    this.#track(
      this.#dispatch(this.#accounts, toKey, (hook, delivery) => ({
        event: "private_message",
        delivery,
        hook: hook.id,
        to: message.to,
        message,
      })),
    );
  }

  async #dispatch<T extends AnyWebhook>(
    list: HookList<T>,
    key: string,
    payloadOf: (hook: T, delivery: string) => WebhookPayload,
  ): Promise<void> {
    let hooks: T[];
    try {
      hooks = await list.of(key);
    } catch (error) {
      logger.error("Cannot read the webhooks: {error}", { error });
      return;
    }
    for (const hook of hooks) {
      // Asked per message, not cached: a ban must stop the very next
      // delivery. Costs a ban look-up (and, for a private room whose maker
      // is offline, a membership read) per hook of a room with hooks.
      if (!await this.#mayReadNow(hook)) continue;
      const payload = payloadOf(hook, crypto.randomUUID());
      this.#attempt(hook, payload, JSON.stringify(payload), 0);
    }
  }

  async #mayReadNow(hook: AnyWebhook): Promise<boolean> {
    try {
      return await this.#mayRead(hook);
    } catch (error) {
      // Unknown is no: a delivery lost beats one to a reader shut out.
      logger.error("Cannot check webhook {hook}'s maker: {error}", {
        hook: hook.id,
        error,
      });
      return false;
    }
  }

  #attempt(
    hook: AnyWebhook,
    payload: WebhookPayload,
    body: string,
    attempt: number,
  ): void {
    this.#track(
      this.#lanes.run(hook.id, async () => {
        if (this.#stop.signal.aborted) return;
        // A retry goes only to a hook that is still there: one deleted (on
        // any node) since the first attempt answered 204 to its owner, who
        // expects no more calls to its URL with its secret. A read per
        // retry; first attempts, the many, read nothing.
        if (attempt > 0 && !await this.#stillThere(hook)) return;
        const result = await this.#send(hook, payload, body);
        this.#record(hook, result);
        if (result.ok || !result.retry) return true;
        const delay = this.timing.retryDelaysMs[attempt];
        if (delay !== undefined && !this.#stop.signal.aborted) {
          const timer = setTimeout(() => {
            this.#timers.delete(timer);
            this.#attempt(hook, payload, body, attempt + 1);
          }, delay);
          this.#timers.add(timer);
        }
        // A failure worth a retry (no answer, 408, 429, 5xx) cools the
        // hook's lane down (see Lanes); a refusal does not.
        return false;
      }).then((queued) => {
        if (!queued) {
          this.#record(hook, {
            ok: false,
            error: "too many deliveries waiting",
          });
        }
      }),
    );
  }

  #stillThere(hook: AnyWebhook): Promise<unknown> {
    return "userKey" in hook
      ? this.#store.findPrivateWebhook(hook.id)
      : this.#store.findWebhook(hook.id);
  }

  async #send(
    hook: AnyWebhook,
    payload: WebhookPayload,
    body: string,
  ): Promise<
    { ok: true } | { ok: false; retry: boolean; status?: number; error: string }
  > {
    // One deadline for the look-up and the call: a name whose server went
    // silent held the call for the system resolver's time-outs, and, its
    // refusal being no failure, never cooled the hook's lane down.
    const timeout = AbortSignal.timeout(this.timing.timeoutMs);
    const signal = AbortSignal.any([timeout, this.#stop.signal]);
    // Checked at every attempt: what a name resolves to can change.
    const verdict = await this.#guard.check(hook.url, "webhook", { signal });
    if (!verdict.ok) {
      return timeout.aborted
        ? { ok: false, retry: true, error: noAnswer(this.timing.timeoutMs) }
        : { ok: false, retry: false, error: verdict.reason };
    }
    const signature = createHmac("sha256", hook.secret).update(body).digest(
      "hex",
    );
    try {
      // To the addresses just checked: the name is not resolved again.
      const response = await postOutbound(hook.url, {
        addresses: verdict.addresses,
        body,
        signal,
        headers: {
          "content-type": "application/json",
          "user-agent": `chat-server/${VERSION} webhook`,
          "x-chat-event": payload.event,
          "x-chat-delivery": payload.delivery,
          "x-chat-signature-256": `sha256=${signature}`,
        },
      });
      // A redirect could lead anywhere: it counts as an answer, not a hop.
      if (response.ok) return { ok: true };
      const status = response.status;
      return {
        ok: false,
        // The receiver's trouble may pass; a refusal will not.
        retry: status === 408 || status === 429 || status >= 500,
        status,
        error: `HTTP ${status}`,
      };
    } catch (error) {
      return {
        ok: false,
        retry: true,
        error: timeout.aborted
          ? noAnswer(this.timing.timeoutMs)
          : `cannot connect: ${(error as Error).message}`.slice(0, 300),
      };
    }
  }

  #record(
    hook: AnyWebhook,
    result: { ok: boolean; status?: number; error?: string },
  ): void {
    const at = Date.now();
    if (result.ok) {
      const noted = this.#noted.get(hook.id);
      if (noted !== undefined && at - noted < SUCCESS_NOTE_MS) return;
      this.#noted.set(hook.id, at);
    } else {
      this.#noted.delete(hook.id);
      // The receiver's origin, not its URL: a chat's or CI's incoming hook
      // URL (Slack's /services/…, Discord's /api/webhooks/<id>/<token>)
      // holds that service's credential in its path or query, and logs go
      // further than the hook's owner, who sees the whole URL in its list.
      logger.warn("Webhook {id} to {origin} failed: {error}", {
        id: hook.id,
        origin: originOf(hook.url),
        error: result.error,
      });
    }
    this.#track(
      this.#store.recordWebhookOutcome(hook.id, { at, ...result }).catch(
        (error) => logger.error("Cannot record a delivery: {error}", { error }),
      ),
    );
  }

  #track(work: Promise<void>): void {
    this.#running.add(work);
    work.catch((error) => logger.error("Webhook crash: {error}", { error }))
      .finally(() => this.#running.delete(work));
  }

  /** Drops waiting retries, aborts calls under way and waits for them. */
  async close(): Promise<void> {
    this.#stop.abort();
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    // Queued attempts, cooling lanes' too, see the abort and end at once
    // (clearQueue would leave their promises pending for ever).
    this.#lanes.stop();
    while (this.#running.size > 0) {
      await Promise.allSettled([...this.#running]);
    }
  }
}

function noAnswer(timeoutMs: number): string {
  return `no answer within ${timeoutMs / 1000} s`;
}

// An imported hook's URL may be no URL at all (the guard refuses it): said
// as such rather than thrown while its failure is recorded.
function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return "(not a URL)";
  }
}
