/**
 * The GET of the server's own outgoing reads (link previews), sent to the
 * addresses OutboundGuard checked and to no other (outbound_post.ts says
 * why: DNS rebinding). No redirect is followed here: a 3xx comes back with
 * its `Location`, for the caller to check again. The body is read only for
 * a type the caller accepts, and at most `maxBytes` of it: the connection
 * is cut past that, so a huge page costs that many bytes, not its size.
 */
import { Buffer } from "node:buffer";
import { pinnedRequest } from "./outbound_post.ts";

/** Where a GET may go, what it says, and how much of the answer it reads. */
export interface OutboundGetOptions {
  /** The addresses the guard checked for the URL's host (not empty). */
  addresses: readonly string[];
  headers: Record<string, string>;
  /** Aborts the call (a deadline, the server stopping). */
  signal: AbortSignal;
  /** The body's bytes read at most; the rest is never read. */
  maxBytes: number;
  /** Whether a body of this `Content-Type` (lower case, no parameters) is read. */
  accepts: (type: string) => boolean;
}

/** The answer to a GET. */
export interface OutboundPage {
  status: number;
  /** The `Location` of a redirect. */
  location?: string;
  /** The `Content-Type`, lower case, parameters left out; "" when none. */
  type: string;
  /** The `Content-Type`'s `charset`, lower case, when it names one. */
  charset?: string;
  /** The body's first `maxBytes`, read when its type was accepted. */
  body?: Uint8Array;
}

/** GETs `url` at one of the checked addresses. */
export function getOutbound(
  url: string,
  options: OutboundGetOptions,
): Promise<OutboundPage> {
  const target = new URL(url);
  let pinned;
  try {
    pinned = pinnedRequest(target, options.addresses);
  } catch (error) {
    return Promise.reject(error);
  }
  return new Promise((resolve, reject) => {
    let page: OutboundPage | undefined;
    const chunks: Buffer[] = [];
    let read = 0;
    const call = pinned.request(target, {
      ...pinned.options,
      method: "GET",
      headers: { ...options.headers, host: target.host },
      signal: options.signal,
    }, (response) => {
      const status = response.statusCode ?? 0;
      const [type, ...parameters] = String(
        response.headers["content-type"] ?? "",
      ).toLowerCase().split(";").map((part) => part.trim());
      const charset = parameters.find((p) => p.startsWith("charset="))
        ?.slice("charset=".length).replace(/^"|"$/g, "");
      const location = response.headers.location;
      const answer: OutboundPage = {
        status,
        type,
        ...(charset ? { charset } : {}),
        ...(location ? { location } : {}),
      };
      if (status < 200 || status >= 300 || !options.accepts(type)) {
        page = answer;
        response.destroy();
        return;
      }
      response.on("data", (chunk: Buffer) => {
        const room = options.maxBytes - read;
        chunks.push(chunk.length > room ? chunk.subarray(0, room) : chunk);
        read += Math.min(chunk.length, room);
        if (read >= options.maxBytes) {
          page = { ...answer, body: Buffer.concat(chunks) };
          response.destroy();
        }
      });
      response.on("end", () => {
        page ??= { ...answer, body: Buffer.concat(chunks) };
      });
    });
    call.on("error", (error) => {
      if (page === undefined) reject(error);
    });
    // Settled once the connection is gone, so that nothing outlives it.
    call.on("close", () => {
      if (page === undefined) reject(new Error("no answer"));
      else resolve(page);
    });
    call.end();
  });
}
