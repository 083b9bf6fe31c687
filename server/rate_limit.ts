/** A bucket's size and how fast it refills. */
export interface BucketSpec {
  /** Requests allowed at once. */
  burst: number;
  /** Requests per second refilled; 0 turns the limit off. */
  perSecond: number;
}

/** A token bucket: `take()` succeeds while tokens are left. */
export class TokenBucket {
  #tokens: number;
  #updated: number;
  readonly spec: BucketSpec;

  constructor(spec: BucketSpec, now = performance.now()) {
    this.spec = spec;
    this.#tokens = spec.burst;
    this.#updated = now;
  }

  /** Takes one token; returns 0, or the ms to wait for the next one. */
  take(now = performance.now()): number {
    const { burst, perSecond } = this.spec;
    if (perSecond <= 0) return 0;
    this.#tokens = Math.min(
      burst,
      this.#tokens + (now - this.#updated) * perSecond / 1000,
    );
    this.#updated = now;
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - this.#tokens) * 1000 / perSecond);
  }

  /** True when the bucket is full again (and may be forgotten). */
  full(now = performance.now()): boolean {
    const { burst, perSecond } = this.spec;
    return perSecond <= 0 ||
      this.#tokens + (now - this.#updated) * perSecond / 1000 >= burst;
  }
}

/** What a request costs: which buckets it draws from. */
export type RateCategory =
  | "message"
  | "room"
  | "login"
  | "reaction"
  | "search"
  | "request";

/** What is limited per client address, whoever asks. */
export type AddressCategory = "history" | "room";

/** Limits per category, per connection, per user and per address. */
export interface RateLimitConfig {
  perConnection: Record<RateCategory, BucketSpec>;
  perUser: Partial<Record<RateCategory, BucketSpec>>;
  /**
   * Per client address: history pages (WebSocket `history` and HTTP
   * `GET /api/rooms/:room/messages` together), each up to 200 messages,
   * so that scraping a server costs time; rooms created by guests.
   * Loopback is not limited; left out, nothing is.
   */
  perAddress?: Partial<Record<AddressCategory, BucketSpec>>;
  /** Rate-limited replies within 10 s after which a connection is closed. */
  strikesBeforeDisconnect: number;
  /** Posts of one incoming webhook; left out, none are limited. */
  perHook?: BucketSpec;
}

/**
 * Far above what people type, so only floods hit them (scripts that replay
 * a few hundred messages still pass); every figure is in README.
 */
export const DEFAULT_RATE_LIMITS: RateLimitConfig = {
  perConnection: {
    message: { burst: 500, perSecond: 50 },
    room: { burst: 50, perSecond: 1 },
    login: { burst: 60, perSecond: 5 },
    // A person clicks a few a second; a script toggling them floods
    // everyone who sees the message with updates.
    reaction: { burst: 50, perSecond: 5 },
    // Each one reads the index: more than typing ahead needs.
    search: { burst: 20, perSecond: 2 },
    request: { burst: 1000, perSecond: 200 },
  },
  perUser: {
    message: { burst: 1000, perSecond: 100 },
    room: { burst: 100, perSecond: 1 },
    reaction: { burst: 100, perSecond: 10 },
    search: { burst: 40, perSecond: 4 },
  },
  perAddress: {
    // A reconnect catching up on 20 rooms takes 20 pages: well inside.
    history: { burst: 100, perSecond: 10 },
    // Rooms made by guests, whose names cost nothing: a class starting
    // its groups together fits in the burst, a script making hundreds
    // does not (accounts have their own cap, --max-rooms-per-user).
    room: { burst: 10, perSecond: 1 / 60 },
  },
  strikesBeforeDisconnect: 100,
  // Slack's pace for a webhook (about one a second), with room for a burst.
  perHook: { burst: 30, perSecond: 1 },
};

/** No limits at all (benchmarks). */
export const NO_RATE_LIMITS: RateLimitConfig = {
  perConnection: {
    message: { burst: 0, perSecond: 0 },
    room: { burst: 0, perSecond: 0 },
    login: { burst: 0, perSecond: 0 },
    reaction: { burst: 0, perSecond: 0 },
    search: { burst: 0, perSecond: 0 },
    request: { burst: 0, perSecond: 0 },
  },
  perUser: {},
  perAddress: {
    history: { burst: 0, perSecond: 0 },
    room: { burst: 0, perSecond: 0 },
  },
  strikesBeforeDisconnect: 0,
};

/** The category of an action. */
export function categoryOf(action: string): RateCategory {
  switch (action) {
    case "send_message":
    case "private_message":
      return "message";
    case "create_room":
    case "create_invite":
    case "invite":
      return "room";
    case "login":
    case "register":
    case "change_password":
      return "login";
    case "react":
      return "reaction";
    case "search":
      return "search";
    default:
      return "request";
  }
}

/**
 * Buckets by key (a user's, shared by all of its connections on this node,
 * or an address's). Full buckets carry no information and are swept away.
 */
export class KeyedRateLimits<C extends string> {
  #specs: Partial<Record<C, BucketSpec>>;
  #buckets = new Map<string, TokenBucket>();

  constructor(specs: Partial<Record<C, BucketSpec>>) {
    this.#specs = specs;
  }

  /** Takes a token for this key; 0 or the ms to wait. */
  take(
    userKey: string,
    category: C,
    now = performance.now(),
  ): number {
    const spec = this.#specs[category];
    if (!spec || spec.perSecond <= 0) return 0;
    const key = `${category}:${userKey}`;
    let bucket = this.#buckets.get(key);
    if (!bucket) {
      if (this.#buckets.size >= 10_000) this.#sweep(now);
      bucket = new TokenBucket(spec, now);
      this.#buckets.set(key, bucket);
    }
    return bucket.take(now);
  }

  #sweep(now: number): void {
    for (const [key, bucket] of this.#buckets) {
      if (bucket.full(now)) this.#buckets.delete(key);
    }
  }
}
