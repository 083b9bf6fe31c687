import ipaddr from "ipaddr.js";

/**
 * True for the loopback addresses a reverse proxy on this host connects
 * from, 127.0.0.1 and ::1 (IPv4-mapped too). They are never capped nor
 * banned: behind such a proxy (without `--trust-proxy`) every client comes
 * from one of them, and so do the operator's own tools. Other 127.x.y.z
 * addresses count like any other address: local tools and tests use them
 * to act as different machines.
 */
export function isLoopback(address: string): boolean {
  return address === "127.0.0.1" || address === "::1" ||
    address === "::ffff:127.0.0.1";
}

/**
 * What the per-address limits count by: an IPv4 address (IPv4-mapped IPv6
 * written as IPv4), or the /64 an IPv6 address lies in. One IPv6 machine
 * holds a whole /64 (every home line and hosted server is given one at
 * least, and picks its addresses within it at will), so counting each of
 * its 2^64 addresses apart gave it as many budgets: 22 accounts in a row
 * from one /64 where an address gets 20 an hour. The cost: people sharing
 * a /64 (one home, one office) share its budgets, as people behind one
 * IPv4 NAT do. Anything that is no address (`unknown`) is its own key.
 */
export function addressKey(address: string): string {
  let key = keys.get(address);
  if (key === undefined) {
    key = keyOf(address);
    if (keys.size >= KEYS_KEPT) keys.clear();
    keys.set(address, key);
  }
  return key;
}

// The keys of the addresses seen last, since a guest's every stored message
// asks twice (its ban probe, its link previews' turn): parsing took 0.24 µs
// an IPv4 address and 1.1 an IPv6 one (docs/performance.md, "The search
// index on a thread of its own"), a lookup here a few ns. Emptied whole
// when full: at most this many short strings twice, about 1 MB.
const KEYS_KEPT = 4096;
const keys = new Map<string, string>();

function keyOf(address: string): string {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.process(address);
  } catch {
    return address;
  }
  if (parsed.kind() === "ipv4") return parsed.toString();
  const parts = (parsed as ipaddr.IPv6).parts.slice(0, 4);
  return `${parts.map((part) => part.toString(16)).join(":")}::/64`;
}

/**
 * The /48 an IPv6 address lies in (`2001:db8:1::/48`), or undefined for an
 * IPv4 address or anything else. A /48 is what one site is given (a
 * company, a hosting customer, some home lines): 65,536 /64s, each an
 * address of its own to addressKey, so it is also counted whole
 * (address_share.ts), with a larger share than one /64's.
 */
export function siteKey(address: string): string | undefined {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.process(address);
  } catch {
    return undefined;
  }
  if (parsed.kind() === "ipv4") return undefined;
  const parts = (parsed as ipaddr.IPv6).parts.slice(0, 3);
  return `${parts.map((part) => part.toString(16)).join(":")}::/48`;
}
