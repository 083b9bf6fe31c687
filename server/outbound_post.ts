/**
 * The POST of the server's own outgoing calls (webhooks, Web Push), sent to
 * the addresses OutboundGuard checked and to no other. fetch would resolve
 * the name again on its own, and a name that answers a public address to
 * the check and 127.0.0.1 to the call (DNS rebinding) would lead the call
 * inside. node:http takes a `lookup` instead of asking DNS: it is handed
 * the checked addresses. TLS still verifies the certificate against the
 * URL's host name, which is also the SNI name.
 *
 * No redirect is followed (node:http follows none): a 3xx is an answer.
 * The answer's body is never read, only its status: a large one costs
 * nothing.
 */
import { Buffer } from "node:buffer";
import http from "node:http";
import https from "node:https";
import { isIP } from "node:net";
import type { LookupAddress } from "node:dns";

/** What to POST, where it may go, and when to give up. */
export interface OutboundPostOptions {
  /** The addresses the guard checked for the URL's host (not empty). */
  addresses: readonly string[];
  headers: Record<string, string>;
  body: string | Uint8Array;
  /** Aborts the call (a timeout, the server stopping). */
  signal: AbortSignal;
}

/** The answer to a POST: its status, and whether it is a 2xx as fetch's `ok`. */
export interface OutboundAnswer {
  status: number;
  ok: boolean;
}

/** POSTs to `url` at one of the checked addresses; resolves with the answer's status. */
export function postOutbound(
  url: string,
  options: OutboundPostOptions,
): Promise<OutboundAnswer> {
  const target = new URL(url);
  const body = Buffer.from(options.body);
  let pinned: PinnedRequest;
  try {
    pinned = pinnedRequest(target, options.addresses);
  } catch (error) {
    return Promise.reject(error);
  }
  return new Promise((resolve, reject) => {
    let status: number | undefined;
    const call = pinned.request(target, {
      ...pinned.options,
      method: "POST",
      headers: {
        ...options.headers,
        host: target.host,
        "content-length": String(body.length),
      },
      signal: options.signal,
    }, (response) => {
      status = response.statusCode;
      response.destroy();
    });
    // Once the status is in, the connection's end (destroyed by us, or
    // the timeout firing then) is no failure.
    call.on("error", (error) => {
      if (status === undefined) reject(error);
    });
    // Settled once the connection is gone, so that nothing outlives it.
    call.on("close", () => {
      if (status === undefined) reject(new Error("no answer"));
      else resolve({ status, ok: status >= 200 && status < 300 });
    });
    call.end(body);
  });
}

/** A node:http(s) request function and the options that pin it to checked addresses. */
export interface PinnedRequest {
  request: typeof http.request;
  options: http.RequestOptions;
}

/**
 * How to call `target` at one of `addresses` (those the guard checked)
 * and no other: an address in the URL is connected to as the guard read
 * it, a name is "resolved" to the checked addresses. Throws when there are
 * none.
 */
export function pinnedRequest(
  target: URL,
  addresses: readonly string[],
): PinnedRequest {
  const request = target.protocol === "https:" ? https.request : http.request;
  const found: LookupAddress[] = addresses.map((address) => ({
    address,
    family: address.includes(":") ? 6 : 4,
  }));
  const literal = isIP(target.hostname.replace(/^\[|\]$/g, "")) !== 0;
  if (found.length === 0) {
    throw new Error(`${target.hostname} has no checked address`);
  }
  return {
    request,
    options: {
      // An address in the URL is connected to as the guard read it: the
      // IPv4-compatible [::127.0.0.2] was checked as 127.0.0.2 and would
      // otherwise go to the IPv6 address ::7f00:2, never checked. The Host
      // header stays the URL's.
      ...(literal ? { hostname: found[0].address } : {}),
      // A connection of its own: one kept alive could have been opened to
      // another address under the same name.
      agent: false,
      // Called for names only.
      lookup: (_host, lookupOptions, callback) => {
        if (lookupOptions.all) callback(null, found);
        else callback(null, found[0].address, found[0].family);
      },
    },
  };
}
