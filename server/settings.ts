/**
 * Every start-up setting, once: its flag, environment variable, kind (with
 * its checks), default and the text of `--help` and of README's Options
 * table. `Config` and `DEFAULT_CONFIG` (config.ts), the command line
 * (command_line.ts) and README (`deno task readme`) all come from here, so
 * a new setting is one entry below, in the order README lists them.
 */
import { allowedHostProblem } from "./http/allowed_hosts.ts";
import {
  mailFromProblem,
  publicUrlProblem,
  smtpUrlProblem,
} from "./mail/mail_settings.ts";
import { webhookAllowProblem } from "./outbound.ts";
import { cleanName } from "./protocol/names.ts";
import { DEFAULT_RATE_LIMITS, NO_RATE_LIMITS } from "./rate_limit.ts";
import {
  choice,
  flagSwitch,
  integer,
  onOff,
  setting,
  text,
  textList,
} from "./setting_kinds.ts";

/** The log levels accepted by `--log-level`. */
export const LOG_LEVELS = [
  "trace",
  "debug",
  "info",
  "warning",
  "error",
  "fatal",
] as const;

/** The settings table: the key is the `Config` field it fills. */
export const SETTINGS = {
  /** TCP port; 0 picks a free one. */
  port: setting({
    flag: "port",
    placeholder: "N",
    env: "PORT",
    kind: integer({ min: 0, max: 65535 }),
    default: 8000,
    help: "TCP port; `0` picks a free one",
  }),
  /** Interface to listen on. */
  hostname: setting({
    flag: "host",
    placeholder: "ADDR",
    kind: text(),
    default: "0.0.0.0",
    help: "interface to listen on",
  }),
  /** SQLite file, or ":memory:". */
  db: setting({
    flag: "db",
    placeholder: "PATH",
    kind: text(),
    default: "chat.db",
    help: "SQLite file (WAL mode), or `:memory:`",
  }),
  /** Folder of shared files; default: `files` beside the database. */
  filesDir: setting({
    flag: "files-dir",
    placeholder: "DIR",
    kind: text(),
    default: undefined,
    shownDefault: "`files/` beside the db",
    help:
      "folder for shared files, by content hash; with `--database-url` they go in the database unless this is given",
  }),
  /** PostgreSQL URL: store there instead of SQLite (for several nodes). */
  databaseUrl: setting({
    flag: "database-url",
    placeholder: "URL",
    env: "DATABASE_URL",
    kind: text(),
    default: undefined,
    help: "PostgreSQL instead of SQLite, for several nodes",
  }),
  /** Redis URL: fan-out and presence across nodes. */
  redisUrl: setting({
    flag: "redis-url",
    placeholder: "URL",
    env: "REDIS_URL",
    kind: text(),
    default: undefined,
    help: "fan-out and presence through Redis, for several nodes",
  }),
  /** This node's id in a cluster; unset: a random one at start. */
  nodeId: setting({
    flag: "node-id",
    placeholder: "ID",
    kind: text(),
    default: undefined,
    shownDefault: "random",
    help: "this node's name in logs and in Redis",
  }),
  /** Seconds after which a dead node's users leave presence (Redis only). */
  presenceTtlSeconds: setting({
    flag: "presence-ttl",
    placeholder: "S",
    kind: integer({ min: 1 }),
    default: 15,
    help: "with Redis: a dead node's users leave the counts within S seconds",
  }),
  /** The operator's admin account; unset: the first account registered. */
  admin: setting({
    flag: "admin",
    placeholder: "NAME",
    // A name no account can have would leave the server with no admin
    // (not even the first account), silently.
    kind: text((name) =>
      cleanName(name) === null
        ? `takes an account name (letters, digits, _ - ., 1 to 32), not '${name}'`
        : undefined
    ),
    default: undefined,
    shownDefault: "first account",
    help: "this account is an admin, and a server ban of it is lifted at start",
  }),
  /** How long a login session lasts, in days. */
  sessionDays: setting({
    flag: "session-days",
    placeholder: "N",
    kind: integer({ min: 1 }),
    default: 30,
    help: "how long a login session (cookie or token) lasts",
  }),
  /**
   * Members above which only a room's moderators, admins and owner may
   * mention the whole room with `@room`, or its members online with
   * `@here` (room_mentions.ts).
   */
  roomMentionMembers: setting({
    flag: "room-mention-members",
    placeholder: "N",
    kind: integer({ min: 0 }),
    default: 50,
    help:
      "in a room of more than N members, only its owner, moderators and admins notify everyone with `@room` or `@here`",
  }),
  /**
   * Password hashes (scrypt, 32 MiB each) computed at once; more wait. One
   * core is left to the event loop, so a flood of logins never slows the
   * chat: on 2 cores one hash at a time kept a bystander's p99 at 165 ms
   * under a 200-socket login flood, two at a time let it reach 328 ms.
   */
  passwordWorkers: setting({
    flag: "password-workers",
    placeholder: "N",
    kind: integer({ min: 1 }),
    default: Math.min(4, Math.max(1, navigator.hardwareConcurrency - 1)),
    shownDefault: "cores - 1 (1 to 4)",
    help:
      "password hashes (scrypt, 32 MiB each) computed at once; more logins wait their turn",
  }),
  /** Delete messages older than this many days; unset: keep forever. */
  retentionDays: setting({
    flag: "retention-days",
    placeholder: "N",
    kind: integer({ min: 1 }),
    default: undefined,
    shownDefault: "keep forever",
    help:
      "delete messages older than N days, and the files only they showed, in small batches in the background; history then starts later, never with a gap",
  }),
  /** Behind a reverse proxy: trust its X-Forwarded-For and -Proto. */
  trustProxy: setting({
    flag: "trust-proxy",
    kind: flagSwitch(),
    default: false,
    help:
      "behind a reverse proxy: client address from X-Forwarded-For, scheme from X-Forwarded-Proto",
  }),
  /** Extra origins allowed to open the WebSocket (besides the server's own). */
  allowOrigins: setting({
    flag: "allow-origin",
    placeholder: "URL",
    kind: textList(),
    default: [],
    help:
      "also accept WebSocket upgrades from this origin; repeatable; `*` for any",
  }),
  /**
   * The names this server answers to, against DNS rebinding; none: any
   * Host. IP addresses, `localhost` and `/healthz` are always answered.
   */
  allowedHosts: setting({
    flag: "allowed-host",
    placeholder: "HOST",
    kind: textList(allowedHostProblem),
    default: [],
    shownDefault: "any",
    help:
      "serve only requests whose Host is this name (any port) or name:port, others get 421 (DNS rebinding); repeatable; IP addresses, `localhost`, `/healthz` always served",
  }),
  /** Hosts outgoing webhooks may call, and private addresses they and Web Push may reach. */
  webhookAllow: setting({
    flag: "webhook-allow",
    placeholder: "HOST",
    kind: textList(webhookAllowProblem),
    default: [],
    help:
      "outgoing webhooks may call this host name, address or CIDR range (only those); private and own addresses only by address or range; repeatable; `*`: any public host",
  }),
  /** Link previews: the server fetches the pages of messages' links. */
  linkPreviews: setting({
    flag: "link-previews",
    placeholder: "on|off",
    kind: onOff({ on: true, off: false }),
    default: true,
    shownDefault: "on",
    help:
      "`off`: no link previews; `on`: the server fetches the first 3 http(s) links of each message (public addresses only, 5 s, 512 KiB of text/html) and shows their title, description and site name",
  }),
  /** Link previews may fetch private, loopback and link-local addresses. */
  linkPreviewsPrivate: setting({
    flag: "link-previews-private",
    kind: flagSwitch(),
    default: false,
    help:
      "link previews may fetch private, loopback and link-local addresses too (an intranet's pages); never on a server open to strangers",
  }),
  /** Log level: trace, debug, info, warning, error, fatal. */
  logLevel: setting({
    flag: "log-level",
    placeholder: "LEVEL",
    kind: choice(LOG_LEVELS),
    default: "info",
    help: "`trace`, `debug`, `info`, `warning`, `error`, `fatal`",
  }),
  /** `pretty` (coloured on a terminal) or `json` (one object a line). */
  logFormat: setting({
    flag: "log-format",
    placeholder: "FORMAT",
    kind: choice(["pretty", "json"]),
    default: "pretty",
    help: "`pretty` (coloured on a terminal) or `json` (one object per line)",
  }),
  /** Largest client frame in bytes; bigger ones close the socket with 1009. */
  maxFrameBytes: setting({
    flag: "max-frame-bytes",
    placeholder: "N",
    kind: integer({ min: 1024 }),
    default: 64 * 1024,
    help: "largest client frame; a bigger one closes the socket with 1009",
  }),
  /** Largest file accounts may share, in bytes. */
  maxFileBytes: setting({
    flag: "max-file-bytes",
    placeholder: "N",
    kind: integer({ min: 1 }),
    default: 10 * 1024 * 1024,
    help: "largest file an account may share (413 above)",
  }),
  /**
   * Bytes of files one account may keep at once (its uploads not yet sent,
   * and those its live messages carry); 0: no quota.
   */
  uploadQuotaBytes: setting({
    flag: "upload-quota",
    placeholder: "BYTES",
    kind: integer({ min: 0 }),
    default: 1024 * 1024 * 1024,
    shownDefault: "1073741824 (1 GiB)",
    help:
      "bytes of files one account may keep (uploads not yet sent, and those its messages carry until deleted); more get 413 `quota_exceeded`; 0 = no quota",
  }),
  /**
   * Bytes of the files folder's file system that uploads never take, so
   * that accounts together cannot fill the disk the chat itself writes to
   * (disk_reserve.ts); 0: none. 512 MiB holds the messages of weeks of a
   * busy community (about 1 KiB each with the search index) and the
   * database's WAL, time for someone to notice; a fixed figure rather than
   * a share, since what the chat needs does not grow with the disk.
   */
  diskReserveBytes: setting({
    flag: "disk-reserve",
    placeholder: "BYTES",
    kind: integer({ min: 0 }),
    default: 512 * 1024 * 1024,
    shownDefault: "536870912 (512 MiB)",
    help:
      "free bytes uploads never take on the files folder's file system (not with files in PostgreSQL); an upload that would leave less gets 507 `insufficient_storage`; 0 = no reserve",
  }),
  /**
   * Seconds a silent connection lasts: Deno pings it after half, and closes
   * it (1001) if nothing, pong included, comes in the other half.
   */
  idleTimeoutSeconds: setting({
    flag: "idle-timeout",
    placeholder: "S",
    kind: integer({ min: 1 }),
    default: 30,
    help:
      "a client silent this long is closed (1001): pinged after half, closed if no pong in the other half",
  }),
  /** Seconds a new connection has to log in before it is closed (4001). */
  loginTimeoutSeconds: setting({
    flag: "login-timeout",
    placeholder: "S",
    kind: integer({ min: 1 }),
    default: 10,
    help: "a connection that has not logged in by then is closed with 4001",
  }),
  /**
   * Open connections (HTTP and WebSocket) allowed from one address; 0 for
   * no limit. Behind `trustProxy` it counts WebSockets per forwarded address.
   */
  maxConnectionsPerAddress: setting({
    flag: "max-connections-per-address",
    placeholder: "N",
    kind: integer({ min: 0 }),
    default: 256,
    help:
      "open connections (HTTP and WebSocket) from one address (127.0.0.1 and ::1 never counted); more get HTTP 429; 0 = no limit; with `--trust-proxy`, WebSockets per forwarded address",
  }),
  /**
   * Open connections in all; 0 derives it from the open-file limit
   * (`ulimit -n`, see file_limit.ts).
   */
  maxConnections: setting({
    flag: "max-connections",
    placeholder: "N",
    kind: integer({ min: 0 }),
    default: 0,
    help:
      "open connections in all; past it a newcomer takes the place of the oldest that has sent no request (which gets 408), else gets HTTP 503; `0`: the open-file limit (`ulimit -n`) less 64 and a tenth (857 at 1024)",
  }),
  /**
   * Past half of `maxConnections`, the percent of it one address may hold
   * (an account's connection counting half); 0 for none.
   */
  addressShare: setting({
    flag: "address-share",
    placeholder: "P",
    kind: integer({ min: 0, max: 100 }),
    default: 10,
    help:
      "once half of `--max-connections` are open, an address holding this percent of it (a connection logged in to an account counting half) gets HTTP 429 for more; 0 = no share",
  }),
  /**
   * Past half of `maxConnections`, the percent of it one IPv6 /48 (its
   * /64s together) may hold, as `addressShare` counts; 0 for none.
   */
  siteShare: setting({
    flag: "site-share",
    placeholder: "P",
    kind: integer({ min: 0, max: 100 }),
    default: 25,
    help:
      "the same for all the /64s of one IPv6 /48 (a site, 65,536 of them) together: once half of `--max-connections` are open, a /48 holding this percent gets HTTP 429 for more; 0 = none",
  }),
  /**
   * Percent of `maxConnections` kept for WebSockets of accounts: the others
   * (guests, and sockets not logged in that carry no live session token)
   * may hold the rest; 0 for none.
   */
  accountReserve: setting({
    flag: "account-reserve",
    placeholder: "P",
    kind: integer({ min: 0, max: 100 }),
    default: 20,
    help:
      "percent of `--max-connections` kept for WebSockets logged in to an account: once the others (guests, and sockets not logged in yet without a live session cookie or Bearer token) hold the rest, more get HTTP 429; 0 = none",
  }),
  /** Seconds a client has to send a request's headers. */
  // Long enough for a saturated server: with 20 parallel 10 MiB uploads on
  // a loaded 2-core machine, the last connection's headers were read 11 s
  // after it opened. A slow sender still ties up one of its address's
  // capped connections for this long, no more. A slow reader likewise:
  // one that takes nothing of an answer for this long is cut off.
  headerTimeoutSeconds: setting({
    flag: "header-timeout",
    placeholder: "S",
    kind: integer({ min: 1 }),
    default: 20,
    help:
      "a connection that has not sent a request's headers by then gets 408 and is closed; one that takes nothing of an answer for as long is cut off",
  }),
  /** Seconds an idle HTTP keep-alive connection stays open. */
  keepAliveTimeoutSeconds: setting({
    flag: "keep-alive-timeout",
    placeholder: "S",
    kind: integer({ min: 1 }),
    default: 5,
    help: "an idle HTTP keep-alive connection is closed after this",
  }),
  /** Request rate limits per connection and per user. */
  rateLimits: setting({
    flag: "rate-limits",
    placeholder: "on|off",
    kind: onOff({ on: DEFAULT_RATE_LIMITS, off: NO_RATE_LIMITS }),
    default: DEFAULT_RATE_LIMITS,
    shownDefault: "on",
    help: "per-connection and per-user request limits (see README)",
    readme: "per-connection and per-user request limits (below)",
  }),
  /** Unsent bytes a socket may hold before it is closed as too slow. */
  maxBufferedBytes: setting({
    flag: "max-buffered-bytes",
    placeholder: "N",
    kind: integer({ min: 65536 }),
    default: 8 * 1024 * 1024,
    help: "unsent bytes a reader may hold before it is closed with 4008",
  }),
  /** Rooms with more users than this get no joined/left notices. */
  announceLimit: setting({
    flag: "announce-limit",
    placeholder: "N",
    kind: integer({ min: 0 }),
    default: 500,
    help: "rooms with more users get no joined/left notices",
  }),
  /** Rooms one account may own at once; 0: no cap. */
  maxRoomsPerUser: setting({
    flag: "max-rooms-per-user",
    placeholder: "N",
    kind: integer({ min: 0 }),
    default: 100,
    help:
      "rooms one account may have created and own at once, more get `too_many_rooms`; 0 = no cap",
  }),
  /** Rooms one account may belong to at once; 0: no cap. */
  maxMemberships: setting({
    flag: "max-memberships",
    placeholder: "N",
    kind: integer({ min: 0 }),
    default: 1000,
    help:
      "rooms (public and private, `general` included) one account may belong to at once, joining or being added to more gets `too_many_rooms`; 0 = no cap",
  }),
  /** Seconds a guest-made room may stay empty and silent before it goes. */
  guestRoomTtlSeconds: setting({
    flag: "guest-room-ttl",
    placeholder: "S",
    kind: integer({ min: 0 }),
    default: 3600,
    help:
      "a room made by a guest is deleted, with its history, once nobody has been in it nor written in it for this long; 0 = never",
  }),
  /**
   * How often each node looks for saved messages' reminders and scheduled
   * messages now due (reminders.ts): either goes up to this late. At most what
   * a timer holds: past 2^31 - 1 ms, setInterval runs every millisecond instead.
   */
  reminderSweepMs: setting({
    flag: "reminder-sweep",
    placeholder: "MS",
    kind: integer({ min: 50, max: 2_147_483_647 }),
    default: 5000,
    help:
      "how often each node fires the saved messages' reminders and sends the scheduled messages now due (one read of each index's few due rows); either comes up to this late",
  }),
  /**
   * The SMTP server mail goes out through; unset: no email at all (no
   * address to set, no mail sent). Its password may be in the URL: the
   * variable keeps it off the command line, as DATABASE_URL does.
   */
  smtpUrl: setting({
    flag: "smtp-url",
    placeholder: "URL",
    env: "SMTP_URL",
    kind: text(smtpUrlProblem),
    default: undefined,
    shownDefault: "no email",
    help:
      "send email (address verification, forgot-password links, missed-message mails) through this SMTP server: `smtp://user:password@host:587` (STARTTLS when offered) or `smtps://…:465`; needs `--mail-from` and `--public-url`",
  }),
  /** The `From:` of the mails the server sends. */
  mailFrom: setting({
    flag: "mail-from",
    placeholder: "ADDR",
    env: "MAIL_FROM",
    kind: text(mailFromProblem),
    default: undefined,
    help:
      "the sender of the server's mails: `chat@example.org` or `Chat <chat@example.org>`",
  }),
  /**
   * How long a missed private message or mention waits before its mail
   * (mail/missed_mail.ts): the ones within it go in one mail.
   */
  missedMailDelaySeconds: setting({
    flag: "missed-mail-delay",
    placeholder: "SECONDS",
    kind: integer({ min: 0, max: 7 * 24 * 3600 }),
    default: 120,
    help:
      "with `--smtp-url`, how long a private message or a mention missed by someone away waits before it is mailed to them (those within this window go in one mail; one read meanwhile is left out)",
  }),
  /**
   * The language of the missed-message mails of accounts that never chose
   * one (`set_missed_mail`; the web client sends its own when switched).
   */
  mailLanguage: setting({
    flag: "mail-language",
    placeholder: "LANGUAGE",
    kind: choice(["en", "fr"]),
    default: "en",
    help:
      "with `--smtp-url`, the language (`en` or `fr`) of the missed-message mails of accounts that never chose one",
  }),
  /** The server's address as people open it: the links in mails start so. */
  publicUrl: setting({
    flag: "public-url",
    placeholder: "URL",
    env: "PUBLIC_URL",
    kind: text(publicUrlProblem),
    default: undefined,
    help:
      "the server's address as people open it (`https://chat.example.org`): the links in its mails start with it",
  }),
  /** How long SQLite waits for a lock held by another process, in ms. */
  dbBusyTimeoutMs: setting({
    flag: "db-busy-timeout",
    placeholder: "MS",
    kind: integer({ min: 0 }),
    default: 2000,
    help: "how long SQLite waits for a lock another process holds",
  }),
  /**
   * A commit of a few appends waits until this many ms after the last one:
   * on a busy server the messages of a few turns share a commit and its
   * fsync, for up to that much more latency each (docs/performance.md, "A
   * commit wait").
   */
  dbCommitWaitMs: setting({
    flag: "db-commit-wait",
    placeholder: "MS",
    kind: integer({ min: 0, max: 1000 }),
    default: 5,
    help:
      "SQLite: a commit of a few messages waits until MS after the last, for more to share it (0: each turn's at once)",
  }),
  /**
   * SQLite on a worker thread of its own, or on the event loop's thread.
   * Off by default: waking the thread costs about 80 µs of CPU a call, more
   * than a chat message's whole commit, and reads run faster on the event
   * loop's thread (docs/performance.md, "The store's thread, measured").
   */
  dbThread: setting({
    flag: "db-thread",
    placeholder: "on|off",
    kind: onOff({ on: true, off: false }),
    default: false,
    shownDefault: "off",
    help:
      "`on`: SQLite on a thread of its own, its fsyncs never holding up the sockets (for a slow disk), at about 25% more CPU per chat message; not in the one file of `deno task dist`",
  }),
  /** Folder the web client is served from (no flag: tests and `compile`). */
  staticDir: setting({
    kind: text(),
    default: new URL("../static/", import.meta.url).pathname,
    help: "folder the web client is served from",
  }),
};
