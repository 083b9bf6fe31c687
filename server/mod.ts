/**
 * The server's public face: start it with a config, stop it with
 * `shutdown()`. Tests and `main.ts` use nothing else.
 */
import { createApp } from "./app.ts";
import { type Config, DEFAULT_CONFIG } from "./config.ts";
import { log } from "./log.ts";
import { ChatNode } from "./node.ts";
import { openBackends } from "./backends.ts";
import type { EarlyStore } from "./early_store.ts";
import { FileStorage } from "./files.ts";
import type { Resolver } from "./outbound.ts";
import type { Throttle, ThrottleOptions } from "./accounts/login_throttle.ts";
import type { Passwords } from "./accounts/password.ts";
import { CLOSE_GOING_AWAY } from "./protocol/close_codes.ts";
import type { StaticFiles } from "./static_files.ts";
import { createWebSocketEndpoint, WEBSOCKET_PATH } from "./websocket.ts";
import { type HttpServer, startHttpServer } from "./http_server.ts";
import { connectionBudget } from "./file_limit.ts";
import { mailSettingsProblem, publicBase } from "./mail/mail_settings.ts";
import { type MailSettings, smtpMailer } from "./mail/mailer.ts";
import { SettingError } from "./setting_kinds.ts";

export type { Config } from "./config.ts";
export { DEFAULT_CONFIG } from "./config.ts";
export { type CommandLine, helpText, readCommandLine } from "./command_line.ts";
export { SettingError } from "./setting_kinds.ts";
export { VERSION } from "./version.ts";
export { setupLogging } from "./log.ts";
export { DEFAULT_RATE_LIMITS, NO_RATE_LIMITS } from "./rate_limit.ts";
export type { ChatNode } from "./node.ts";
export {
  type EmbeddedFile,
  type StaticFiles,
  staticFilesFrom,
} from "./static_files.ts";

const logger = log("server");

/** A running server. */
export interface RunningServer {
  /** Base URL, e.g. `http://127.0.0.1:8000`. */
  readonly url: string;
  readonly hostname: string;
  readonly port: number;
  /** The node, for tests that look inside. */
  readonly node: ChatNode;
  /**
   * Stops accepting, closes every socket with 1001, lets in-flight writes
   * finish and closes the store. Safe to call twice.
   */
  shutdown(): Promise<void>;
  /** Resolves once the server has stopped. */
  readonly finished: Promise<void>;
}

/** What a server is started with besides its settings. */
export interface StartParts {
  /**
   * The web client in memory (the one-file builds); default: the files of
   * `config.staticDir`.
   */
  staticFiles?: StaticFiles;
  /**
   * The store the entry began to open before the server loaded
   * (early_store.ts); used when it is the one the settings choose.
   */
  store?: EarlyStore;
  /**
   * How outgoing webhooks and Web Push resolve host names; default: the
   * system resolver. The door through which tests play a DNS server that
   * changes its answers (DNS rebinding).
   */
  resolve?: Resolver;
  /**
   * Addresses or ranges link previews may fetch besides public ones
   * (`--link-previews-private` allows every one): tests allow a page
   * server's own address and no other. No flag reaches it.
   */
  linkPreviewAllow?: readonly string[];
  /**
   * The login throttles; default: the settings' (Redis, else this
   * process). The door through which tests hold a login under way for as
   * long as they need, whatever the machine's speed.
   */
  throttles?: (options: ThrottleOptions) => Throttle;
  /**
   * How passwords are hashed and checked; default: scrypt at the cost
   * password.ts gives. The door through which tests hash at a lower cost
   * (hundreds of accounts, each a second's hash on a busy machine) or hold
   * a check under way; no flag, setting or variable reaches it.
   */
  passwords?: Passwords;
  /**
   * The folder in which a node on PostgreSQL stages uploads (its
   * `chat-uploads-UID`, file_contents/postgres.ts); default: the system's
   * temporary folder. The door through which tests keep it in a folder of
   * their own, removed with it: in the system's, it outlives the node by
   * design.
   */
  tempDir?: string;
  /**
   * How long a node's claim holds a due reminder before any node may
   * claim it again (reminders.ts); default: a minute. The door through
   * which tests see a reminder whose firing failed fire again without
   * waiting that long; no flag, setting or variable reaches it.
   */
  reminderLeaseMs?: number;
}

/** Starts a server; every setting left out takes its default. */
export async function startServer(
  options: Partial<Config> = {},
  parts: StartParts = {},
): Promise<RunningServer> {
  const config: Config = { ...DEFAULT_CONFIG, ...options };
  const mailProblem = mailSettingsProblem(config);
  if (mailProblem !== undefined) throw new SettingError(mailProblem);
  const nodeId = config.nodeId ?? crypto.randomUUID().slice(0, 8);
  const backends = await openBackends(config, nodeId, {
    early: parts.store,
    tempDir: parts.tempDir,
  });
  const node = new ChatNode({
    nodeId,
    files: new FileStorage({
      contents: backends.contents,
      store: backends.store,
      maxFileBytes: config.maxFileBytes,
      quotaBytes: config.uploadQuotaBytes,
      reserveBytes: config.diskReserveBytes,
    }),
    store: backends.store,
    broker: backends.broker,
    presence: backends.presence,
    throttles: parts.throttles ?? backends.throttles,
    buckets: backends.buckets,
    rateLimits: backends.rateLimits,
    admin: config.admin,
    limits: config.rateLimits,
    announceLimit: config.announceLimit,
    maxRoomsPerUser: config.maxRoomsPerUser,
    maxMemberships: config.maxMemberships,
    roomMentionMembers: config.roomMentionMembers,
    guestRoomTtlMs: config.guestRoomTtlSeconds * 1000,
    webhookAllow: config.webhookAllow,
    linkPreviews: config.linkPreviews,
    linkPreviewsPrivate: config.linkPreviewsPrivate,
    linkPreviewAllow: parts.linkPreviewAllow,
    resolve: parts.resolve,
    sessionTtlMs: config.sessionDays * 24 * 3600 * 1000,
    passwordWorkers: config.passwordWorkers,
    passwords: parts.passwords,
    retentionDays: config.retentionDays,
    reminderSweepMs: config.reminderSweepMs,
    reminderLeaseMs: parts.reminderLeaseMs,
    mail: mailSettings(config),
    missedMailDelayMs: config.missedMailDelaySeconds * 1000,
  });
  await node.start();
  const maxConnections = config.maxConnections || connectionBudget();
  let server: HttpServer;
  const websocket = createWebSocketEndpoint(node, {
    ...config,
    maxConnections,
    addressSharePercent: config.addressShare,
    siteSharePercent: config.siteShare,
    accountReservePercent: config.accountReserve,
    // Read once the server listens: no upgrade comes before.
    openConnections: () => server.openConnections,
  });
  const app = createApp({
    node,
    websocket,
    staticDir: config.staticDir,
    staticFiles: parts.staticFiles,
    trustProxy: config.trustProxy,
    allowOrigins: config.allowOrigins,
    allowedHosts: config.allowedHosts,
    sessionSeconds: config.sessionDays * 24 * 3600,
    redis: config.redisUrl !== undefined,
  });

  try {
    server = await startHttpServer({
      hostname: config.hostname,
      port: config.port,
      fetch: (request, info) => app.fetch(request, info),
      headerTimeoutSeconds: config.headerTimeoutSeconds,
      keepAliveTimeoutSeconds: config.keepAliveTimeoutSeconds,
      upgradePath: WEBSOCKET_PATH,
      maxConnections,
      descriptorBudget: connectionBudget(),
      // Behind a proxy every connection comes from the proxy: WebSockets
      // are capped and shared per forwarded address instead (websocket.ts).
      maxConnectionsPerAddress: config.trustProxy
        ? 0
        : config.maxConnectionsPerAddress,
      addressSharePercent: config.trustProxy ? 0 : config.addressShare,
      siteSharePercent: config.trustProxy ? 0 : config.siteShare,
    });
  } catch (error) {
    await node.close();
    throw error;
  }
  const addr = server.addr;
  const shownHost = addr.hostname === "0.0.0.0" ? "localhost" : addr.hostname;
  const url = `http://${
    shownHost.includes(":") ? `[${shownHost}]` : shownHost
  }:${addr.port}`;
  logger.info("Listening on {url} ({backends}{mail})", {
    url,
    backends: backends.describe,
    mail: config.smtpUrl === undefined
      ? ""
      : `, mail through ${new URL(config.smtpUrl).host}`,
  });

  let stopping: Promise<void> | undefined;
  function shutdown(): Promise<void> {
    stopping ??= (async () => {
      const began = performance.now();
      logger.info("Shutting down");
      // Password checks still waiting are refused at once (they could keep
      // the HTTP server and the sockets busy for seconds); those running end.
      await Promise.all([
        websocket.closeAll(CLOSE_GOING_AWAY, "Server shutting down"),
        node.accounts.close(),
      ]);
      await server.shutdown();
      // Read before node.close() stops the monitor. With the loop's stalls
      // since start, a reader (the shutdown tests) tells a slow shutdown
      // from a machine that held the process.
      const stalledMs = node.metrics.loopDelay.stalledMs;
      await node.close();
      logger.info(
        "Stopped in {ms} ms (event loop stalls since start: {stalledMs} ms)",
        {
          ms: Math.round(performance.now() - began),
          stalledMs: Math.round(stalledMs),
        },
      );
    })();
    return stopping;
  }

  return {
    url,
    hostname: addr.hostname,
    port: addr.port,
    node,
    shutdown,
    finished: server.finished,
  };
}

/** The mailer and links of a server with `--smtp-url`; none without. */
function mailSettings(config: Config): MailSettings | undefined {
  if (config.smtpUrl === undefined) return undefined;
  return {
    mailer: smtpMailer(config.smtpUrl, { from: config.mailFrom! }),
    publicUrl: publicBase(config.publicUrl!),
    language: config.mailLanguage,
  };
}
