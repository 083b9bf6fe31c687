/**
 * The TCP front's count of open connections (http_server.ts): each
 * accepted connection takes a slot, against the total cap and the
 * per-address rules of address_share.ts, and a silent one gives way to a
 * newcomer at the cap.
 */
import type net from "node:net";
import { AddressCounts, type AddressRefusal } from "../address_share.ts";
import type { HttpServerOptions } from "../http_server.ts";
import { log } from "../log.ts";
import { type Refusal, refuse } from "./front_refusals.ts";

const logger = log("http");

export const SLOT = Symbol("slot");
export type SlotSocket = net.Socket & { [SLOT]?: ConnectionSlot };

/** The connection sent a whole request head: it no longer gives way (ConnectionSlots). */
export function spoke(socket: net.Socket): void {
  (socket as SlotSocket)[SLOT]?.spoke();
}

/** One accepted connection's place in the counts. */
export interface ConnectionSlot {
  /** Gives the place back; more than once is safe. */
  release(): void;
  /** Its WebSocket logged in to an account (address_share.ts). */
  favour(): void;
  /** It sent a whole request head (ConnectionSlots). */
  spoke(): void;
}

export const UNCOUNTED: ConnectionSlot = {
  release() {},
  favour() {},
  spoke() {},
};

/**
 * Open connections in all and per address, against their caps and shares.
 *
 * At the cap, a newcomer takes the place of the connection that has waited
 * longest without sending a whole request head, which gets 408 and is
 * closed; only when every open connection has sent one is the newcomer
 * refused (503). Why: a raw TCP connection costs nothing to open and may
 * stay silent until `--header-timeout` (20 s); with no proxy in front, 400
 * silent sockets from 40 addresses (each within its share) against a cap
 * of 200 had every WebSocket login refused with 503 for as long as they
 * stayed; now ten logins in a row come in (docs/security.md). A flood of
 * them only shortens each one's life: a silent connection lasts until as
 * many newcomers came as the cap, and a real client, whose request head
 * follows its connection within a round trip, is not one of the silent for
 * long. The cost: at the cap, a client whose request head
 * comes later than that many newcomers (a very slow link, under a flood)
 * gets 408 and must try again; the per-address rules are checked first,
 * so an address at its share cannot push others out.
 */
export class ConnectionSlots {
  #max: number;
  #addresses: AddressCounts;
  #refusedLogged = 0;
  #evictedLogged = 0;
  // Connections with no whole request head yet, oldest first (a Set keeps
  // the order things were added in).
  #silent = new Set<Slot>();
  total = 0;

  constructor(options: HttpServerOptions) {
    this.#max = options.maxConnections;
    this.#addresses = new AddressCounts({
      perAddressMax: options.maxConnectionsPerAddress,
      max: options.maxConnections,
      sharePercent: options.addressSharePercent ?? 0,
      siteSharePercent: options.siteSharePercent ?? 0,
      // No accounts' reserve here: every connection is a stranger when it
      // is accepted, a member's too; the WebSocket endpoint keeps it.
    });
  }

  /** Takes a place for `socket`, or says why not. */
  acquire(address: string, socket: net.Socket): ConnectionSlot | Refusal {
    const full = this.#max > 0 && this.total >= this.#max;
    if (full && this.#silent.size === 0) {
      this.#logRefusal("{open} connections open, the most allowed", {
        open: this.total,
      });
      return "full";
    }
    const refusal = this.#addresses.refusal(address, this.total);
    if (refusal) {
      this.#logRefusal(
        REFUSAL_LOG[refusal],
        { address, count: this.#addresses.count(address) },
      );
      return refusal;
    }
    if (full) this.#closeOldestSilent();
    this.#addresses.add(address);
    this.total++;
    const slot = new Slot(this, this.#addresses, address, socket);
    this.#silent.add(slot);
    return slot;
  }

  /** `slot` sent a request head, or closed: it no longer gives way. */
  heard(slot: Slot): void {
    this.#silent.delete(slot);
  }

  #closeOldestSilent(): void {
    const [oldest] = this.#silent;
    this.#silent.delete(oldest);
    const now = Date.now();
    if (now - this.#evictedLogged >= 1000) {
      this.#evictedLogged = now;
      logger.warn(
        "Connections full ({open}): closing the oldest that sent no request",
        { open: this.total },
      );
    }
    oldest.giveWay();
  }

  // A flood would log a line per refused connection: one a second.
  #logRefusal(message: string, values: Record<string, unknown>): void {
    const now = Date.now();
    if (now - this.#refusedLogged < 1000) return;
    this.#refusedLogged = now;
    logger.warn(`Refusing connections: ${message}`, values);
  }
}

const REFUSAL_LOG: Record<AddressRefusal, string> = {
  address: "{address} has {count} connections open",
  share:
    "{address} has {count} connections open, its share of a server half full",
  site: "the IPv6 /48 of {address} holds its share of a server half full",
  guests: "the guests' part of the connections is full",
};

class Slot implements ConnectionSlot {
  #slots: ConnectionSlots;
  #addresses: AddressCounts;
  #address: string;
  // Until it speaks: what giveWay closes. Let go of then, so an upgraded
  // connection's slot does not keep its `node:net` socket alive.
  #socket: net.Socket | undefined;
  #released = false;
  #favoured = false;

  constructor(
    slots: ConnectionSlots,
    addresses: AddressCounts,
    address: string,
    socket: net.Socket,
  ) {
    this.#slots = slots;
    this.#addresses = addresses;
    this.#address = address;
    this.#socket = socket;
  }

  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#socket = undefined;
    this.#slots.heard(this);
    this.#slots.total--;
    this.#addresses.remove(this.#address, this.#favoured);
  }

  spoke(): void {
    if (!this.#socket) return;
    this.#socket = undefined;
    this.#slots.heard(this);
  }

  /** Closes the connection, silent yet, for a newcomer: its place is free at once. */
  giveWay(): void {
    const socket = this.#socket;
    this.release();
    if (socket) refuse(socket, "silent");
  }

  favour(): void {
    if (this.#released || this.#favoured) return;
    this.#favoured = true;
    this.#addresses.favour(this.#address);
  }
}
