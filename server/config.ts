import { DEFAULT_RATE_LIMITS, type RateLimitConfig } from "./rate_limit.ts";

/** Everything the server can be told at start-up, with every default here. */
export interface Config {
  /** Interface to listen on. */
  hostname: string;
  /** TCP port; 0 picks a free one. */
  port: number;
  /** SQLite file, or ":memory:". */
  db: string;
  /** Extra origins allowed to open the WebSocket (besides the server's own). */
  allowOrigins: string[];
  /** Folder the web client is served from. */
  staticDir: string;
  /** Largest client frame in bytes; bigger ones close the socket with 1009. */
  maxFrameBytes: number;
  /** Seconds without traffic before a ping; no pong in as long closes it. */
  idleTimeoutSeconds: number;
  /** Unsent bytes a socket may hold before it is closed as too slow. */
  maxBufferedBytes: number;
  /** Log level: trace, debug, info, warning, error, fatal. */
  logLevel: LogLevelName;
  /** `pretty` (coloured on a terminal) or `json` (one object a line). */
  logFormat: "pretty" | "json";
  /** The operator's admin account; unset: the first account registered. */
  admin?: string;
  /** How long a login session lasts, in days. */
  sessionDays: number;
  /** Open WebSockets allowed from one address; 0 for no limit. */
  maxConnectionsPerAddress: number;
  /** Seconds a new connection has to log in before it is closed (4001). */
  loginTimeoutSeconds: number;
  /** Request rate limits per connection and per user. */
  rateLimits: RateLimitConfig;
  /** How long SQLite waits for a lock held by another process, in ms. */
  dbBusyTimeoutMs: number;
  /** Rooms with more users than this get no joined/left notices. */
  announceLimit: number;
  /** PostgreSQL URL: store there instead of SQLite (for several nodes). */
  databaseUrl?: string;
  /** Redis URL: fan-out and presence across nodes. */
  redisUrl?: string;
  /** This node's id in a cluster (default: random). */
  nodeId?: string;
  /** Seconds after which a dead node's users leave presence (Redis only). */
  presenceTtlSeconds: number;
  /** Folder of shared files; default: `files` beside the database. */
  filesDir?: string;
  /** Largest file accounts may share, in bytes. */
  maxFileBytes: number;
  /** Behind a reverse proxy: trust its X-Forwarded-For and -Proto. */
  trustProxy: boolean;
}

/** The log levels accepted by `--log-level`. */
export type LogLevelName =
  | "trace"
  | "debug"
  | "info"
  | "warning"
  | "error"
  | "fatal";

/** Defaults of every setting. */
export const DEFAULT_CONFIG: Config = {
  hostname: "0.0.0.0",
  port: 8000,
  db: "chat.db",
  allowOrigins: [],
  staticDir: new URL("../static/", import.meta.url).pathname,
  maxFrameBytes: 64 * 1024,
  idleTimeoutSeconds: 30,
  maxBufferedBytes: 8 * 1024 * 1024,
  logLevel: "info",
  logFormat: "pretty",
  sessionDays: 30,
  maxConnectionsPerAddress: 256,
  loginTimeoutSeconds: 10,
  rateLimits: DEFAULT_RATE_LIMITS,
  dbBusyTimeoutMs: 2000,
  announceLimit: 500,
  presenceTtlSeconds: 15,
  maxFileBytes: 10 * 1024 * 1024,
  trustProxy: false,
};
