/**
 * Command line entry: flags and environment -> Config -> startServer, and
 * SIGINT/SIGTERM -> graceful shutdown.
 */
import { parseArgs } from "node:util";
import {
  type Config,
  DEFAULT_CONFIG,
  NO_RATE_LIMITS,
  setupLogging,
  startServer,
} from "./server/mod.ts";

const HELP = `chat-server: a multi-room WebSocket chat server with a web client

Usage: deno task start [options]

Options:
  --port N             TCP port (env PORT; default ${DEFAULT_CONFIG.port}; 0 picks a free one)
  --host ADDR          interface to listen on (default ${DEFAULT_CONFIG.hostname})
  --database-url URL   store in PostgreSQL (postgres://...) instead of SQLite; for several nodes
  --redis-url URL      fan-out and presence through Redis (redis://...); for several nodes
  --presence-ttl S     with Redis: a dead node's users leave counts within S seconds (default ${DEFAULT_CONFIG.presenceTtlSeconds})
  --node-id ID         this node's name in logs and in Redis (default: random)
  --db PATH            SQLite database file, or :memory: (default ${DEFAULT_CONFIG.db})
  --files-dir DIR      where shared files are kept (default: files/ beside the database;
                       with --database-url, in the database unless a folder is given)
  --max-file-bytes N   largest file an account may share (default ${DEFAULT_CONFIG.maxFileBytes})
  --trust-proxy        behind a reverse proxy: client address from X-Forwarded-For (last hop),
                       scheme from X-Forwarded-Proto (for per-address limits, bans, Secure cookies)
  --allow-origin URL   also accept WebSocket upgrades from this origin; repeatable; * for any
  --log-level LEVEL    trace, debug, info, warning, error or fatal (default ${DEFAULT_CONFIG.logLevel})
  --log-format FORMAT  pretty (coloured on a terminal) or json (default ${DEFAULT_CONFIG.logFormat})
  --max-frame-bytes N  largest client frame; bigger closes with 1009 (default ${DEFAULT_CONFIG.maxFrameBytes})
  --admin NAME         this account is an admin (default: the first account registered)
  --session-days N     how long a login session lasts (default ${DEFAULT_CONFIG.sessionDays})
  --idle-timeout S     seconds of silence before a ping, and to wait for the pong (default ${DEFAULT_CONFIG.idleTimeoutSeconds})
  --max-connections-per-address N
                       open WebSockets allowed from one address; 0 = no limit (default ${DEFAULT_CONFIG.maxConnectionsPerAddress})
  --login-timeout S    seconds a new connection has to log in, else closed with 4001 (default ${DEFAULT_CONFIG.loginTimeoutSeconds})
  --rate-limits on|off request rate limits per connection and per user (default on; see README)
  --max-buffered-bytes N
                       unsent bytes a slow reader may hold before it is closed with 4008 (default ${DEFAULT_CONFIG.maxBufferedBytes})
  --announce-limit N   rooms with more users get no joined/left notices (default ${DEFAULT_CONFIG.announceLimit})
  --db-busy-timeout MS how long SQLite waits for a lock another process holds (default ${DEFAULT_CONFIG.dbBusyTimeoutMs})
  -h, --help           print this help
`;

const LOG_LEVELS = ["trace", "debug", "info", "warning", "error", "fatal"];

function fatal(message: string): never {
  console.error(`error: ${message}\n\n${HELP}`);
  Deno.exit(2);
}

function integer(
  value: string | undefined,
  flag: string,
  min: number,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) {
    fatal(`${flag} takes a whole number of at least ${min}, not '${value}'`);
  }
  return n;
}

/** Turns command-line arguments and the environment into a Config. */
export function configFromArgs(args: string[]): Partial<Config> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: {
        port: { type: "string" },
        host: { type: "string" },
        db: { type: "string" },
        "database-url": { type: "string" },
        "redis-url": { type: "string" },
        "node-id": { type: "string" },
        "files-dir": { type: "string" },
        "trust-proxy": { type: "boolean" },
        "max-file-bytes": { type: "string" },
        "presence-ttl": { type: "string" },
        "allow-origin": { type: "string", multiple: true },
        "log-level": { type: "string" },
        "log-format": { type: "string" },
        "max-frame-bytes": { type: "string" },
        "idle-timeout": { type: "string" },
        admin: { type: "string" },
        "max-connections-per-address": { type: "string" },
        "login-timeout": { type: "string" },
        "rate-limits": { type: "string" },
        "max-buffered-bytes": { type: "string" },
        "db-busy-timeout": { type: "string" },
        "announce-limit": { type: "string" },
        "session-days": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    fatal((error as Error).message);
  }
  const v = parsed.values;
  if (v.help) {
    console.log(HELP);
    Deno.exit(0);
  }
  const config: Partial<Config> = {};
  const port = integer(v.port ?? Deno.env.get("PORT"), "--port", 0);
  if (port !== undefined) {
    if (port > 65535) fatal(`--port must be at most 65535, not ${port}`);
    config.port = port;
  }
  if (v.host !== undefined) config.hostname = v.host;
  if (v.db !== undefined) config.db = v.db;
  const databaseUrl = v["database-url"] ?? Deno.env.get("DATABASE_URL");
  if (databaseUrl) config.databaseUrl = databaseUrl;
  const redisUrl = v["redis-url"] ?? Deno.env.get("REDIS_URL");
  if (redisUrl) config.redisUrl = redisUrl;
  if (v["node-id"] !== undefined) config.nodeId = v["node-id"];
  if (v["files-dir"] !== undefined) config.filesDir = v["files-dir"];
  if (v["trust-proxy"]) config.trustProxy = true;
  const maxFile = integer(v["max-file-bytes"], "--max-file-bytes", 1);
  if (maxFile !== undefined) config.maxFileBytes = maxFile;
  const ttl = integer(v["presence-ttl"], "--presence-ttl", 1);
  if (ttl !== undefined) config.presenceTtlSeconds = ttl;
  if (v["allow-origin"]) config.allowOrigins = v["allow-origin"];
  if (v["log-level"] !== undefined) {
    if (!LOG_LEVELS.includes(v["log-level"])) {
      fatal(`--log-level must be one of ${LOG_LEVELS.join(", ")}`);
    }
    config.logLevel = v["log-level"] as Config["logLevel"];
  }
  if (v["log-format"] !== undefined) {
    if (v["log-format"] !== "pretty" && v["log-format"] !== "json") {
      fatal("--log-format must be pretty or json");
    }
    config.logFormat = v["log-format"];
  }
  const maxFrame = integer(v["max-frame-bytes"], "--max-frame-bytes", 1024);
  if (maxFrame !== undefined) config.maxFrameBytes = maxFrame;
  if (v.admin !== undefined) config.admin = v.admin;
  const perAddress = integer(
    v["max-connections-per-address"],
    "--max-connections-per-address",
    0,
  );
  if (perAddress !== undefined) config.maxConnectionsPerAddress = perAddress;
  const loginTimeout = integer(v["login-timeout"], "--login-timeout", 1);
  if (loginTimeout !== undefined) config.loginTimeoutSeconds = loginTimeout;
  if (v["rate-limits"] !== undefined) {
    if (v["rate-limits"] !== "on" && v["rate-limits"] !== "off") {
      fatal("--rate-limits must be on or off");
    }
    if (v["rate-limits"] === "off") config.rateLimits = NO_RATE_LIMITS;
  }
  const buffered = integer(
    v["max-buffered-bytes"],
    "--max-buffered-bytes",
    65536,
  );
  if (buffered !== undefined) config.maxBufferedBytes = buffered;
  const announce = integer(v["announce-limit"], "--announce-limit", 0);
  if (announce !== undefined) config.announceLimit = announce;
  const busy = integer(v["db-busy-timeout"], "--db-busy-timeout", 0);
  if (busy !== undefined) config.dbBusyTimeoutMs = busy;
  const days = integer(v["session-days"], "--session-days", 1);
  if (days !== undefined) config.sessionDays = days;
  const idle = integer(v["idle-timeout"], "--idle-timeout", 1);
  if (idle !== undefined) config.idleTimeoutSeconds = idle;
  return config;
}

if (import.meta.main) {
  const config = configFromArgs(Deno.args);
  await setupLogging({
    level: config.logLevel ?? DEFAULT_CONFIG.logLevel,
    format: config.logFormat ?? DEFAULT_CONFIG.logFormat,
  });
  let server;
  try {
    server = await startServer(config);
  } catch (error) {
    console.error(`error: ${(error as Error).message}`);
    Deno.exit(1);
  }
  const running = server;
  // Scripts wait for this line even when info logs are off.
  if (!["trace", "debug", "info"].includes(config.logLevel ?? "info")) {
    console.log(`Listening on ${running.url}`);
  }
  const stop = async () => {
    await running.shutdown();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
}
