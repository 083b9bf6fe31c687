/**
 * Which URLs the server itself may call (outgoing webhooks, Web Push), so
 * that a user who registers a URL cannot make it reach into the server's
 * own machine or network (SSRF). Rules, from `--webhook-allow` entries:
 *
 * - a webhook's host must be named by an entry (a host name, `*` for any
 *   host, or an address or CIDR range holding its literal address);
 * - a push endpoint may be any host (browsers choose their push service),
 *   over HTTPS only unless an entry allows its host or covers every
 *   address it resolves to (an operator's own service): every push service
 *   speaks TLS (RFC 8030), so an `http:` endpoint is never a browser's,
 *   and each push to it told anyone on the way when its account was
 *   written to (the payload itself is encrypted, RFC 8291);
 * - either way, every address the host resolves to must be public unicast
 *   and none of this machine's own, unless an address or range entry
 *   covers it: naming a host is not enough to reach a private address.
 */
import { lookup } from "node:dns/promises";
import ipaddr from "ipaddr.js";
import { log } from "./log.ts";

const logger = log("outbound");

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/**
 * Whether a URL may be called, and why not. Allowed, it carries the
 * addresses that were checked: the call must go to one of those (see
 * outbound_post.ts), not to what the name resolves to a moment later.
 */
export type OutboundVerdict =
  | { ok: true; addresses: string[] }
  | { ok: false; reason: string };

/** What an outbound call is for: webhooks need their host allowed by name. */
export type OutboundUse = "webhook" | "push";

/**
 * How a guard resolves names (by default node:dns's lookup: the system
 * resolver, /etc/hosts included). The signal aborts when the caller gives
 * up; a resolver that cannot stop (node:dns) may ignore it: the guard stops
 * waiting all the same.
 */
export type Resolver = (
  host: string,
  options?: { signal?: AbortSignal },
) => Promise<string[]>;

/** Options of {@link OutboundGuard.check}. */
export interface CheckOptions {
  /**
   * Aborts the look-up: the call's own deadline, so that a name whose
   * server never answers holds the call no longer than a receiver that
   * never answers. Default: none (the resolver's own time-outs).
   */
  signal?: AbortSignal;
  /**
   * At most this long for the look-up, said in the refusal: for a check a
   * client waits on (a webhook or push subscription registered), which
   * had no deadline, so a name whose server never answers held the
   * request for the system resolver's time-outs. Default: none.
   */
  timeoutMs?: number;
}

// A host name as a URL's hostname shows it (letters lower-cased, an
// international name in its xn-- form).
const HOST_NAME = /^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/;

/**
 * What is wrong with one `--webhook-allow` entry, or `undefined`: an empty
 * one, or a URL, would match no host, silently.
 */
export function webhookAllowProblem(raw: string): string | undefined {
  const entry = raw.trim().toLowerCase();
  if (
    entry === "*" || ipaddr.isValidCIDR(entry) || ipaddr.isValid(bare(entry)) ||
    HOST_NAME.test(entry)
  ) return undefined;
  return `takes a host name, an address, a CIDR range or *, not '${raw}'`;
}

/** Options of an {@link OutboundGuard}. */
export interface GuardOptions {
  /**
   * How an operator lets a private address through, said in the refusal;
   * default: `--webhook-allow <address>`.
   */
  privateHint?: (address: string) => string;
}

/** Checks outbound URLs against `--webhook-allow` and the address rules. */
export class OutboundGuard {
  #names = new Set<string>();
  #anyHost = false;
  #ranges: [Address, number][] = [];
  #own: Address[];
  #resolve: Resolver;
  #privateHint: (address: string) => string;

  constructor(
    allow: readonly string[],
    resolve: Resolver = resolveAll,
    options: GuardOptions = {},
  ) {
    this.#privateHint = options.privateHint ??
      ((address) => `--webhook-allow ${address}`);
    for (const raw of allow) {
      const entry = raw.trim().toLowerCase();
      if (entry === "*") this.#anyHost = true;
      else if (ipaddr.isValidCIDR(entry)) {
        const [address, bits] = ipaddr.parseCIDR(entry);
        this.#ranges.push([normal(address), bits]);
      } else if (ipaddr.isValid(bare(entry))) {
        const address = normal(ipaddr.parse(bare(entry)));
        this.#ranges.push([address, address.kind() === "ipv4" ? 32 : 128]);
      } else this.#names.add(entry);
    }
    this.#own = ownAddresses();
    this.#resolve = resolve;
  }

  /** True when nothing may be called as a webhook (no `--webhook-allow`). */
  get closed(): boolean {
    return !this.#anyHost && this.#names.size === 0 &&
      this.#ranges.length === 0;
  }

  /** Whether `url` may be called for `use`, resolving its host now, and at which addresses. */
  async check(
    url: string,
    use: OutboundUse,
    options: CheckOptions = {},
  ): Promise<OutboundVerdict> {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return refuse("It is not a URL.");
    }
    if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
      return refuse("Only http and https URLs can be called.");
    }
    if (parsed.username || parsed.password) {
      return refuse("A URL with a user name or password is not accepted.");
    }
    const host = bare(parsed.hostname.toLowerCase());
    const literal = ipaddr.isValid(host) ? normal(ipaddr.parse(host)) : null;
    if (use === "webhook" && !this.#hostAllowed(host, literal)) {
      return refuse(
        `${host} is not allowed: the operator allows hosts with --webhook-allow.`,
      );
    }
    let addresses: Address[];
    const deadline = options.timeoutMs === undefined
      ? undefined
      : AbortSignal.timeout(options.timeoutMs);
    const signal = deadline && options.signal
      ? AbortSignal.any([deadline, options.signal])
      : deadline ?? options.signal;
    try {
      if (literal) addresses = [literal];
      else {
        const found = await resolveWithin(this.#resolve, host, signal);
        addresses = found.map((a) => normal(ipaddr.parse(a)));
      }
    } catch {
      return refuse(
        deadline?.aborted
          ? `${host} did not resolve within ${
            options.timeoutMs! / 1000
          } s: its name server did not answer; try again later.`
          : signal?.aborted
          ? `${host} did not resolve in time.`
          : `${host} does not resolve.`,
      );
    }
    if (addresses.length === 0) return refuse(`${host} does not resolve.`);
    if (
      use === "push" && parsed.protocol !== "https:" &&
      !this.#hostAllowed(host, literal) &&
      !addresses.every((address) => this.#inRanges(address))
    ) {
      return refuse(
        "A push endpoint must be an https URL: push services speak only HTTPS.",
      );
    }
    for (const address of addresses) {
      if (this.#inRanges(address)) continue;
      if (address.range() !== "unicast") {
        return refuse(
          `${host} is a private or reserved address (${address}); the operator can allow it with ${
            this.#privateHint(String(address))
          }.`,
        );
      }
      if (this.#own.some((own) => sameAddress(own, address))) {
        return refuse(`${host} is this server's own address.`);
      }
    }
    return { ok: true, addresses: addresses.map(String) };
  }

  /**
   * False when `check` refuses `url` for a push whatever its host resolves
   * to, for being plain `http:`: its host is not one `--webhook-allow`
   * names, and it is an address outside the allowed ranges, or a name
   * while no range is allowed (a name could resolve into one). No look-up:
   * start-up drops such subscriptions with it (push_http_sweep.ts).
   */
  refusesHttpPush(url: string): boolean {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return false;
    }
    if (parsed.protocol !== "http:") return false;
    const host = bare(parsed.hostname.toLowerCase());
    const literal = ipaddr.isValid(host) ? normal(ipaddr.parse(host)) : null;
    if (this.#hostAllowed(host, literal)) return false;
    return literal ? !this.#inRanges(literal) : this.#ranges.length === 0;
  }

  #hostAllowed(host: string, literal: Address | null): boolean {
    if (literal) return this.#anyHost || this.#inRanges(literal);
    return this.#anyHost || this.#names.has(host);
  }

  #inRanges(address: Address): boolean {
    return this.#ranges.some(([range, bits]) =>
      range.kind() === address.kind() && address.match(range, bits)
    );
  }
}

function refuse(reason: string): OutboundVerdict {
  return { ok: false, reason };
}

// URL hostnames keep IPv6 brackets.
function bare(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

// ::ffff:10.0.0.1 is 10.0.0.1, and so is the IPv4-compatible ::10.0.0.1
// (::/96, deprecated): ipaddr.js calls that one plain unicast, so ::7f00:1
// would pass for a public address while it names 127.0.0.1. :: and ::1
// keep their own meaning.
function normal(address: Address): Address {
  if (address.kind() === "ipv4") return address;
  const v6 = address as ipaddr.IPv6;
  if (v6.isIPv4MappedAddress()) return v6.toIPv4Address();
  const parts = v6.parts;
  const compatible = parts.slice(0, 6).every((p) => p === 0) &&
    (parts[6] !== 0 || parts[7] > 1);
  return compatible
    ? ipaddr.fromByteArray(v6.toByteArray().slice(12))
    : address;
}

// The resolver's answer, or a rejection as soon as `signal` aborts. The
// system resolver cannot be stopped: its look-up goes on in its thread
// until its own time-out (glibc: 5 s a try, two tries a name server), but
// the call no longer waits for it.
function resolveWithin(
  resolve: Resolver,
  host: string,
  signal: AbortSignal | undefined,
): Promise<string[]> {
  if (!signal) return resolve(host);
  if (signal.aborted) return Promise.reject(signal.reason);
  const gaveUp = Promise.withResolvers<never>();
  const onAbort = () => gaveUp.reject(signal.reason);
  signal.addEventListener("abort", onAbort, { once: true });
  return Promise.race([resolve(host, { signal }), gaveUp.promise]).finally(
    () => signal.removeEventListener("abort", onAbort),
  );
}

function sameAddress(a: Address, b: Address): boolean {
  return a.kind() === b.kind() &&
    a.toNormalizedString() === b.toNormalizedString();
}

// The system resolver (/etc/hosts included). The call does not resolve
// the name again: it connects to the addresses checked here, so a name
// that answers differently a moment later (DNS rebinding) gains nothing.
async function resolveAll(host: string): Promise<string[]> {
  const found = await lookup(host, { all: true, verbatim: true });
  return found.map((entry) => entry.address);
}

// Every address of this machine's interfaces: a public one is still "us".
// Without the permission (--allow-sys=networkInterfaces) the private ranges
// still cover loopback, but a public address of this machine would pass:
// said once, at start, so an operator does not run that way unknowingly.
function ownAddresses(): Address[] {
  try {
    return Deno.networkInterfaces()
      .filter((i) => ipaddr.isValid(i.address))
      .map((i) => normal(ipaddr.parse(i.address)));
  } catch (error) {
    logger.warn(
      "Cannot list this machine's addresses ({error}): outgoing webhooks " +
        "and Web Push are not kept from its public ones; run with " +
        "--allow-sys=networkInterfaces",
      { error: (error as Error).message },
    );
    return [];
  }
}
