/**
 * The TCP front's listener (http_server.ts), and the watchdog's probe
 * that tells a listener that stopped accepting (EMFILE) from one that is
 * alive.
 */
import net from "node:net";
import { log } from "../log.ts";

const logger = log("http");

// A watchdog connects to the server this often to prove it still accepts.
export const PROBE_INTERVAL_MS = 5000;

export function listen(
  hostname: string,
  port: number,
  accept: (socket: net.Socket) => void,
): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    // Small frames go out at once: Nagle would hold each for an ACK.
    const acceptor = net.createServer({ noDelay: true }, accept);
    acceptor.once("error", reject);
    acceptor.listen({ host: hostname, port }, () => {
      acceptor.off("error", reject);
      acceptor.on("error", (error) => {
        logger.error("Listener error: {error}", { error });
      });
      resolve(acceptor);
    });
  });
}

export function probeAddress(bound: string): string {
  if (bound === "0.0.0.0") return "127.0.0.1";
  if (bound === "::") return "::1";
  return bound;
}

/**
 * Connects to the server and waits for it to accept: "ok", "stalled" when
 * the connection was made but never accepted, or "out-of-files" when the
 * process could not even open the probe's own socket.
 */
export async function probe(
  hostname: string,
  port: number,
  context: {
    probes: Set<number>;
    acceptedSoFar: () => number;
    signal: AbortSignal;
  },
): Promise<"ok" | "stalled" | "out-of-files"> {
  const { probes, acceptedSoFar, signal } = context;
  const before = acceptedSoFar();
  let conn: Deno.Conn;
  try {
    conn = await Deno.connect({ hostname, port });
  } catch (error) {
    return /os error 24|Too many open files/.test(String(error))
      ? "out-of-files"
      : "ok";
  }
  const local = (conn.localAddr as Deno.NetAddr).port;
  probes.add(local);
  try {
    const deadline = Date.now() + PROBE_INTERVAL_MS;
    while (probes.has(local) && Date.now() < deadline && !signal.aborted) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // Under a flood the probe may wait behind others: a listener that
    // accepted anything meanwhile is alive.
    const stalled = probes.has(local) && acceptedSoFar() === before &&
      !signal.aborted;
    return stalled ? "stalled" : "ok";
  } finally {
    probes.delete(local);
    conn.close();
  }
}
