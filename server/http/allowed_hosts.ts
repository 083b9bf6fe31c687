/**
 * `--allowed-host`: the names this server answers to, against DNS
 * rebinding. A page on `evil.example` that points its name at a server
 * only reachable inside a network (or on loopback) is same-origin with
 * itself, so the Origin checks pass: only the `Host` its requests carry,
 * `evil.example:PORT`, tells them apart from the server's own pages.
 */
import { isIPv4, isIPv6 } from "node:net";
import type { MiddlewareHandler } from "hono";
import { log } from "../log.ts";
import { remoteAddressOf } from "./client_info.ts";
import { httpError } from "./errors.ts";
import { loggablePath } from "./loggable_path.ts";

const logger = log("http");

// A host name (labels of letters, digits, `-` and `_`, an optional final
// dot) and an optional port: what an `--allowed-host` entry may be.
const ENTRY = /^([a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?)(?::(\d{1,5}))?$/i;

/**
 * What is wrong with an `--allowed-host` entry, or `undefined` when it is
 * a host name with an optional port (1 to 65535).
 */
export function allowedHostProblem(entry: string): string | undefined {
  if (entry === "*") {
    return "takes host names; leave it out to answer any Host";
  }
  const match = ENTRY.exec(entry);
  const port = match?.[2] === undefined ? 1 : Number(match[2]);
  if (!match || port < 1 || port > 65535) {
    return `takes a host name with an optional port (chat.example, chat.example:8443), not '${entry}'`;
  }
  return undefined;
}

/**
 * Refuses with 421 Misdirected Request every request, WebSocket upgrades
 * included, whose `Host` is not one of `hosts` (each a name, which then
 * matches on any port, or `name:port`, only that port; letter case and a
 * final dot do not count). Always served: IP addresses (`127.0.0.1`,
 * `[::1]`) and `localhost` and its subdomains, which no one else's DNS can
 * point anywhere (browsers resolve `localhost` names to loopback
 * themselves), and `GET /healthz`, which a load balancer may ask by any
 * name and which tells nothing private. With no hosts every Host is served.
 *
 * The `Host` is the one this server received: X-Forwarded-Host is never
 * read, even with `--trust-proxy` (which trusts only X-Forwarded-For and
 * -Proto); a proxy in front must pass the client's Host on, as the Origin
 * check needs too. The hosts of `--allow-origin` origins are not added:
 * they name other sites' pages, which reach this server by its own name,
 * so a request whose `Host` is one of them was misdirected all the same.
 */
export function allowedHostsOnly(hosts: readonly string[]): MiddlewareHandler {
  const allowed = new Set(hosts.map(normalised));
  return async (c, next) => {
    if (allowed.size === 0 || isHealthCheck(c.req.method, c.req.path)) {
      return await next();
    }
    const host = c.req.header("host") ?? "";
    if (hostAllowed(host, allowed)) return await next();
    logger.debug("Refused {method} {path} from {address} for Host {host}", {
      method: c.req.method,
      path: loggablePath(c.req.path),
      address: remoteAddressOf(c),
      host: host.slice(0, 200),
    });
    return httpError(
      c,
      "forbidden",
      `This server does not answer to the host '${
        host.slice(0, 200)
      }': use one of its own names.`,
      { status: 421 },
    );
  };
}

function isHealthCheck(method: string, path: string): boolean {
  return path === "/healthz" && (method === "GET" || method === "HEAD");
}

function hostAllowed(host: string, allowed: ReadonlySet<string>): boolean {
  const { name, port } = split(host.toLowerCase());
  if (name.startsWith("[")) return isIPv6(name.slice(1, -1));
  if (isIPv4(name) || name === "localhost" || name.endsWith(".localhost")) {
    return true;
  }
  return allowed.has(name) || (port !== "" && allowed.has(`${name}:${port}`));
}

/** An entry as requests' Hosts are compared with it. */
function normalised(entry: string): string {
  const { name, port } = split(entry.toLowerCase());
  return port === "" ? name : `${name}:${port}`;
}

/** A Host's name (without a final dot; `[…]` kept) and port (or ""). */
function split(host: string): { name: string; port: string } {
  const match = /^(.*?)(?::(\d*))?$/.exec(host);
  let name = match?.[1] ?? host;
  if (name.endsWith(".")) name = name.slice(0, -1);
  return { name, port: match?.[2] ?? "" };
}
