/**
 * Open connections per address and in all, and the rules they are held
 * to: the per-address cap (`--max-connections-per-address`, 256); once the
 * server holds half of its connection cap (`--max-connections`), each
 * address's share of that cap (`--address-share`, 10%) and each IPv6
 * /48's; and the part of the cap kept for accounts.
 *
 * Why a share: with the cap alone, four addresses held 1,024 guest
 * sockets, which at `ulimit -n` 1,024 is the whole server (857
 * connections). Past half full, an address that holds its share gets no
 * more, so the half left goes to many addresses, not to the few that took
 * the first half. Below half nobody is held to it: one office behind one
 * NAT may use an idle server at will.
 *
 * Accounts are favoured: a connection logged in to an account weighs half
 * of one that is not (a guest's, or one not logged in yet), so an address
 * may hold twice its share of account connections. A guest costs nothing
 * but a name; an account costs a registration (20 an hour per address),
 * and its people are those the server is for. The cost: past half full, a
 * big NAT's guests are capped at the share (85 connections at 857).
 *
 * A share bounds one address, not many: ten addresses past half full (or
 * the /64s of one IPv6 /48, each an address of its own) filled the server,
 * and members of the team got 503. Two more rules close that:
 *
 * - An IPv6 /48 (one site) is counted whole too, against a larger share
 *   (`--site-share`, 25%: 214 at 857), past half full like an address.
 * - The last part of the cap (`--account-reserve`, 20%: 172 at 857) is kept
 *   for accounts: connections not logged in to an account (guests, and
 *   those that have not logged in yet) are refused once they hold the
 *   rest, whatever their addresses. A newcomer is not logged in yet, so
 *   the WebSocket endpoint lets one in to the reserve when its upgrade
 *   carries a live session token (cookie or Bearer), and refuses it a
 *   guest login there (websocket.ts). Measured with `--trust-proxy` and
 *   `--max-connections 100`: ten forwarded addresses opening guests until
 *   refused held 99 places before (the 100th an HTTP connection's), and
 *   an account's socket got 503; now they hold 80, and ten account sockets
 *   come in.
 *
 * The HTTP front (http_server.ts) counts TCP connections by peer; the
 * WebSocket endpoint (websocket.ts) counts sockets by client address (the
 * forwarded one behind `--trust-proxy`, where every TCP peer is the
 * proxy); only the endpoint keeps the accounts' reserve, as every
 * connection the front accepts is a stranger yet. 127.0.0.1 and ::1 are
 * never held to the cap nor the shares (isLoopback); the reserve holds
 * them too.
 */
import { addressKey, isLoopback, siteKey } from "./addresses.ts";

/** Options of {@link AddressCounts}. */
export interface AddressCountsOptions {
  /** Open connections per address; 0 for no limit. */
  perAddressMax: number;
  /**
   * The server's connection cap (`--max-connections`, resolved): past half
   * of it, the shares apply, and the accounts' reserve is a part of it; 0
   * for neither.
   */
  max: number;
  /** Percent of `max` one address may weigh past half full; 0 for no share. */
  sharePercent: number;
  /** Percent of `max` one IPv6 /48 may weigh past half full; 0 or left out: none. */
  siteSharePercent?: number;
  /**
   * Percent of `max` kept for connections logged in to an account: the
   * others together are refused ("guests") once they hold the rest; 0 or
   * left out: none.
   */
  accountReservePercent?: number;
}

/**
 * Why a connection is refused: its address is at its cap, or at its share,
 * its IPv6 /48 at its share, or the guests' part of the cap is full.
 */
export type AddressRefusal = "address" | "share" | "site" | "guests";

interface Held {
  /** Connections open. */
  all: number;
  /** Of them, those logged in to an account. */
  accounts: number;
}

/**
 * Connections per address (an IPv6 one by its /64, addressKey, and by its
 * /48, siteKey) and in all, against their caps, shares and the accounts'
 * reserve.
 */
export class AddressCounts {
  #perAddressMax: number;
  #halfFull: number;
  #share: number;
  #siteShare: number;
  #guestMax: number;
  // Both kinds of keys: an address's ("…::/64", "192.0.2.7") and a site's
  // ("…::/48") never collide.
  #held = new Map<string, Held>();
  #all = 0;
  #accounts = 0;

  constructor(options: AddressCountsOptions) {
    const max = options.max;
    this.#perAddressMax = options.perAddressMax;
    this.#halfFull = max > 0 ? Math.ceil(max / 2) : Infinity;
    this.#share = shareOf(max, options.sharePercent);
    this.#siteShare = shareOf(max, options.siteSharePercent ?? 0);
    const reserve = options.accountReservePercent ?? 0;
    this.#guestMax = max > 0 && reserve > 0
      ? Math.floor(max * (100 - reserve) / 100)
      : Infinity;
  }

  /** The most one address may weigh past half full (a guest's connection weighs 1, an account's 1/2). */
  get share(): number {
    return this.#share;
  }

  /** The most one IPv6 /48 may weigh past half full, as {@link share} counts. */
  get siteShare(): number {
    return this.#siteShare;
  }

  /** The most connections not logged in to an account there may be at once. */
  get guestMax(): number {
    return this.#guestMax;
  }

  /**
   * Why one more connection from `address` is refused while `open` are
   * open on the server in all; undefined when it may come in. The
   * newcomer is not logged in to an account (yet): it weighs 1, and it
   * needs room among the guests.
   */
  refusal(address: string, open: number): AddressRefusal | undefined {
    if (!isLoopback(address)) {
      const held = this.#held.get(addressKey(address));
      const cap = this.#perAddressMax;
      if (held && cap > 0 && held.all >= cap) return "address";
      if (open >= this.#halfFull) {
        if (held && weightOf(held) + 1 > this.#share) return "share";
        const site = siteKey(address);
        const siteHeld = site === undefined ? undefined : this.#held.get(site);
        if (siteHeld && weightOf(siteHeld) + 1 > this.#siteShare) {
          return "site";
        }
      }
    }
    // Loopback too: behind a local proxy without `--trust-proxy` every
    // client comes from it, and the reserve needs no address to hold.
    return this.guestsRoom() ? undefined : "guests";
  }

  /**
   * Whether one more connection not logged in to an account fits among
   * the guests; `counted` when it is counted already (a socket let in to
   * the accounts' reserve that would now log in as a guest).
   */
  guestsRoom(counted = false): boolean {
    return this.#all - this.#accounts - (counted ? 1 : 0) < this.#guestMax;
  }

  /** How many connections `address` holds now. */
  count(address: string): number {
    return this.#held.get(addressKey(address))?.all ?? 0;
  }

  /** Counts a connection from `address`. */
  add(address: string): void {
    this.#all++;
    for (const key of keysOf(address)) {
      const held = this.#held.get(key);
      if (held) held.all++;
      else this.#held.set(key, { all: 1, accounts: 0 });
    }
  }

  /** One of the connections of `address` logged in to an account. */
  favour(address: string): void {
    if (this.#accounts < this.#all) this.#accounts++;
    for (const key of keysOf(address)) {
      const held = this.#held.get(key);
      if (held && held.accounts < held.all) held.accounts++;
    }
  }

  /** A connection of `address` closed; `favoured` if it had logged in to an account. */
  remove(address: string, favoured: boolean): void {
    if (this.#all > 0) this.#all--;
    if (favoured && this.#accounts > 0) this.#accounts--;
    for (const key of keysOf(address)) {
      const held = this.#held.get(key);
      if (!held) continue;
      held.all--;
      if (favoured && held.accounts > 0) held.accounts--;
      if (held.all <= 0) this.#held.delete(key);
    }
  }
}

function weightOf(held: Held): number {
  return held.all - held.accounts / 2;
}

// One at least: a share rounded down to none would refuse every address.
function shareOf(max: number, percent: number): number {
  return max > 0 && percent > 0
    ? Math.max(1, Math.floor(max * percent / 100))
    : Infinity;
}

function keysOf(address: string): string[] {
  const site = siteKey(address);
  const key = addressKey(address);
  return site === undefined ? [key] : [key, site];
}
