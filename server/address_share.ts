/**
 * Open connections per address, and the two rules they are held to: the
 * per-address cap (`--max-connections-per-address`, 256), and, once the
 * server holds half of its connection cap (`--max-connections`), each
 * address's share of that cap (`--address-share`, 10%).
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
 * big NAT's guests are capped at the share (85 connections at 857), and
 * many addresses together can still fill the server, as they always could.
 *
 * The HTTP front (http_server.ts) counts TCP connections by peer; the
 * WebSocket endpoint (websocket.ts) counts sockets by client address (the
 * forwarded one behind `--trust-proxy`, where every TCP peer is the
 * proxy). 127.0.0.1 and ::1 are never held to either rule (isLoopback).
 */
import { addressKey, isLoopback } from "./addresses.ts";

/** Options of {@link AddressCounts}. */
export interface AddressCountsOptions {
  /** Open connections per address; 0 for no limit. */
  perAddressMax: number;
  /**
   * The server's connection cap (`--max-connections`, resolved): past half
   * of it, the share applies; 0 for no share.
   */
  max: number;
  /** Percent of `max` one address may weigh past half full; 0 for no share. */
  sharePercent: number;
}

/** Why a connection is refused: its address is at its cap, or at its share. */
export type AddressRefusal = "address" | "share";

interface Held {
  /** Connections open. */
  all: number;
  /** Of them, those logged in to an account. */
  accounts: number;
}

/** Connections per address (an IPv6 one by its /64, addressKey), against their cap and share. */
export class AddressCounts {
  #perAddressMax: number;
  #halfFull: number;
  #share: number;
  #held = new Map<string, Held>();

  constructor(options: AddressCountsOptions) {
    this.#perAddressMax = options.perAddressMax;
    const shared = options.max > 0 && options.sharePercent > 0;
    this.#halfFull = shared ? Math.ceil(options.max / 2) : Infinity;
    // One at least: a share rounded down to none would refuse every address.
    this.#share = Math.max(
      1,
      Math.floor(options.max * options.sharePercent / 100),
    );
  }

  /** The most one address may weigh past half full (a guest's connection weighs 1, an account's 1/2). */
  get share(): number {
    return this.#share;
  }

  /**
   * Why one more connection from `address` is refused while `open` are
   * open on the server in all; undefined when it may come in.
   */
  refusal(address: string, open: number): AddressRefusal | undefined {
    if (isLoopback(address)) return undefined;
    const held = this.#held.get(addressKey(address));
    if (!held) return undefined;
    const cap = this.#perAddressMax;
    if (cap > 0 && held.all >= cap) return "address";
    if (open < this.#halfFull) return undefined;
    // The newcomer weighs 1 until it logs in to an account.
    const weight = held.all - held.accounts / 2;
    return weight + 1 > this.#share ? "share" : undefined;
  }

  /** How many connections `address` holds now. */
  count(address: string): number {
    return this.#held.get(addressKey(address))?.all ?? 0;
  }

  /** Counts a connection from `address`. */
  add(address: string): void {
    const key = addressKey(address);
    const held = this.#held.get(key);
    if (held) held.all++;
    else this.#held.set(key, { all: 1, accounts: 0 });
  }

  /** One of the connections of `address` logged in to an account. */
  favour(address: string): void {
    const held = this.#held.get(addressKey(address));
    if (held && held.accounts < held.all) held.accounts++;
  }

  /** A connection of `address` closed; `favoured` if it had logged in to an account. */
  remove(address: string, favoured: boolean): void {
    const key = addressKey(address);
    const held = this.#held.get(key);
    if (!held) return;
    held.all--;
    if (favoured && held.accounts > 0) held.accounts--;
    if (held.all <= 0) this.#held.delete(key);
  }
}
