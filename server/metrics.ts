/**
 * Counters and latency histograms in the Prometheus text format, kept by
 * hand: a handful of numbers does not need a client library.
 */
import { LoopDelayMonitor } from "./loop_delay.ts";
import type { StoreHealth } from "./store_health.ts";

const LATENCY_BUCKETS_MS = [0.5, 1, 2, 5, 10, 25, 50, 100, 250, 1000];

/** A latency histogram in milliseconds. */
export class Histogram {
  #counts = new Array<number>(LATENCY_BUCKETS_MS.length).fill(0);
  #sum = 0;
  #count = 0;

  /** Records one observation. */
  observe(ms: number): void {
    this.#sum += ms;
    this.#count++;
    for (let i = 0; i < LATENCY_BUCKETS_MS.length; i++) {
      if (ms <= LATENCY_BUCKETS_MS[i]) {
        this.#counts[i]++;
        break;
      }
    }
  }

  /** Prometheus text lines for this histogram (seconds, as is customary). */
  render(name: string, help: string): string {
    const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} histogram`];
    let cumulative = 0;
    for (let i = 0; i < LATENCY_BUCKETS_MS.length; i++) {
      cumulative += this.#counts[i];
      lines.push(
        `${name}_bucket{le="${LATENCY_BUCKETS_MS[i] / 1000}"} ${cumulative}`,
      );
    }
    lines.push(`${name}_bucket{le="+Inf"} ${this.#count}`);
    lines.push(`${name}_sum ${this.#sum / 1000}`);
    lines.push(`${name}_count ${this.#count}`);
    return lines.join("\n");
  }
}

/** The server's metrics. Gauges are read from their owners at render time. */
export class Metrics {
  messagesStored = 0;
  eventsDelivered = 0;
  framesReceived = 0;
  connectionsOpened = 0;
  /** Moderation requests that waited for presence to be whole (presence/mod.ts `settled`). */
  presenceWaits = 0;
  errors = new Map<string, number>();
  storeLatency = new Histogram();
  requestLatency = new Histogram();
  /** Event-loop delay; started and stopped by the node. */
  readonly loopDelay = new LoopDelayMonitor();

  /** Counts one error reply by code. */
  countError(code: string): void {
    this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
  }

  /** The whole exposition, given the readings kept elsewhere. */
  render(
    readings: {
      connections: number;
      users: number;
      rooms: number;
      appendCommits: number;
      /** Times the store's search index thread died and was started again. */
      searchIndexRestarts: number;
      passwordChecks: { running: number; waiting: number };
      /** The store's check, as /healthz makes it. */
      store: StoreHealth;
      /** Uploads whose bytes were gone at the last daily walk. */
      filesMissing: number;
      /** Whether Redis carries fan-out and presence, as /healthz judges it; undefined without Redis. */
      redisUp?: boolean;
      /** Link previews' pages asked for, by result; undefined when they are off. */
      linkPreviews?: ReadonlyMap<string, number>;
    },
  ): string {
    const { store } = readings;
    const out = [
      gauge(
        "chat_store_up",
        "1 when the store answered and wrote within 10 s (as /healthz asks), else 0.",
        store.up ? 1 : 0,
      ),
      // Only with --redis-url: an absent series is "not used", which an
      // alert on == 0 does not mistake for "down".
      ...(readings.redisUp === undefined ? [] : [
        gauge(
          "chat_redis_up",
          "1 when Redis carries this node's fan-out and presence (/healthz is not degraded), else 0.",
          readings.redisUp ? 1 : 0,
        ),
      ]),
      gauge(
        "chat_disk_full",
        "1 when the store cannot write because its disk is full, else 0.",
        store.storage === "full" ? 1 : 0,
      ),
      gauge(
        "chat_disk_read_only",
        "1 when the store cannot write because its disk is read-only, else 0.",
        store.storage === "read_only" ? 1 : 0,
      ),
      gauge(
        "chat_connections",
        "Open WebSocket connections.",
        readings.connections,
      ),
      gauge(
        "chat_users_online",
        "Distinct users online on this node.",
        readings.users,
      ),
      gauge("chat_rooms", "Rooms that exist.", readings.rooms),
      gauge(
        "chat_files_missing",
        "Uploads whose file was gone at the last count of them (one soon after start, then daily; 0 before the first).",
        readings.filesMissing,
      ),
      gauge(
        "chat_password_hashes_running",
        "Password hashes being computed now (at most --password-workers).",
        readings.passwordChecks.running,
      ),
      gauge(
        "chat_password_hashes_waiting",
        "Password checks waiting for a worker.",
        readings.passwordChecks.waiting,
      ),
      counter(
        "chat_connections_opened_total",
        "WebSocket connections accepted.",
        this.connectionsOpened,
      ),
      counter(
        "chat_frames_received_total",
        "Frames received from clients.",
        this.framesReceived,
      ),
      counter(
        "chat_messages_stored_total",
        "Messages stored.",
        this.messagesStored,
      ),
      counter(
        "chat_store_append_commits_total",
        "Commits of stored messages (several messages can share one).",
        readings.appendCommits,
      ),
      counter(
        "chat_search_index_restarts_total",
        "Times the search index's thread died and was started again from its marks (SQLite).",
        readings.searchIndexRestarts,
      ),
      counter(
        "chat_presence_waits_total",
        "Moderation requests that waited for another node to write its users again after Redis came back empty.",
        this.presenceWaits,
      ),
      counter(
        "chat_events_delivered_total",
        "Events queued to connections.",
        this.eventsDelivered,
      ),
      // Only with link previews on: absent is "off", not "none fetched".
      ...(readings.linkPreviews === undefined ? [] : [
        "# HELP chat_link_previews_total Pages link previews asked for, by result: ok (an HTML page read), refused (an address the rules forbid), not_html, timeout, error.\n# TYPE chat_link_previews_total counter",
        ...[...readings.linkPreviews].map(([result, n]) =>
          `chat_link_previews_total{result="${result}"} ${n}`
        ),
      ]),
      "# HELP chat_errors_total Error replies sent, by code.\n# TYPE chat_errors_total counter",
      ...[...this.errors].map(([code, n]) =>
        `chat_errors_total{code="${code}"} ${n}`
      ),
      this.storeLatency.render(
        "chat_store_append_seconds",
        "Time to store a message.",
      ),
      this.requestLatency.render(
        "chat_request_seconds",
        "Time to handle a request.",
      ),
      this.loopDelay.render(),
    ];
    return out.join("\n") + "\n";
  }
}

function gauge(name: string, help: string, value: number): string {
  return `# HELP ${name} ${help}\n# TYPE ${name} gauge\n${name} ${value}`;
}

function counter(name: string, help: string, value: number): string {
  return `# HELP ${name} ${help}\n# TYPE ${name} counter\n${name} ${value}`;
}
