/**
 * A host name that rebinds (DNS rebinding), for the tests of outgoing
 * calls: `localhost`, as the server's resolver (StartParts.resolve) answers
 * it, is 127.0.0.2, an address the test allows with --webhook-allow; after
 * `rebind()`, that resolver answers 127.0.0.2 once more (for the check) and
 * 127.0.0.1 from then on. The system resolver, which a call that resolves
 * the name again on its own would ask, answers 127.0.0.1 (or ::1). One port
 * listens on all three addresses: the allowed listener is the receiver the
 * test gives, the forbidden ones only note who reached them.
 */
import type { Resolver } from "../server/outbound.ts";

/** The three listeners on one port, and the resolver that rebinds. */
export interface Rebinding {
  port: number;
  /** Give the server this (StartParts.resolve). */
  resolve: Resolver;
  /** The next answer is the allowed address, every later one a forbidden one. */
  rebind(): void;
  /** Requests that reached 127.0.0.1 or ::1 ("address path" each). */
  forbidden: string[];
  /** Resolves with the first request that reaches any of the listeners. */
  reached: Promise<"allowed" | "forbidden">;
  close(): Promise<void>;
}

const ALLOWED = "127.0.0.2";
const FORBIDDEN = ["127.0.0.1", "::1"];

/** Starts the listeners; `receiver` answers on the allowed address. */
export async function startRebinding(
  receiver: (request: Request) => Response | Promise<Response>,
): Promise<Rebinding> {
  const forbidden: string[] = [];
  const reached = Promise.withResolvers<"allowed" | "forbidden">();
  let answers = [ALLOWED];
  for (let attempt = 0;; attempt++) {
    const allowed = Deno.serve(
      { hostname: ALLOWED, port: 0, onListen() {} },
      (request) => {
        reached.resolve("allowed");
        return receiver(request);
      },
    );
    const port = allowed.addr.port;
    const servers = [allowed];
    try {
      for (const hostname of FORBIDDEN) {
        try {
          servers.push(Deno.serve(
            { hostname, port, onListen() {} },
            (request) => {
              forbidden.push(`${hostname} ${new URL(request.url).pathname}`);
              reached.resolve("forbidden");
              return new Response(null, { status: 200 });
            },
          ));
        } catch (error) {
          // A machine without IPv6 has no ::1 to reach either.
          if (hostname !== "::1" || error instanceof Deno.errors.AddrInUse) {
            throw error;
          }
        }
      }
    } catch (error) {
      await Promise.all(servers.map((server) => server.shutdown()));
      // Another process holds that port on a forbidden address: another port.
      if (error instanceof Deno.errors.AddrInUse && attempt < 20) continue;
      throw error;
    }
    return {
      port,
      resolve(host) {
        if (host !== "localhost") {
          return Promise.reject(new Error(`${host} does not resolve`));
        }
        const answer = answers.length > 1 ? answers.shift()! : answers[0];
        return Promise.resolve([answer]);
      },
      rebind() {
        answers = [ALLOWED, FORBIDDEN[0]];
      },
      forbidden,
      reached: reached.promise,
      async close() {
        await Promise.all(servers.map((server) => server.shutdown()));
      },
    };
  }
}
