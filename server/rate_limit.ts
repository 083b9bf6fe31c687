/** A bucket's size and how fast it refills. */
export interface BucketSpec {
  /** Requests allowed at once. */
  burst: number;
  /** Requests per second refilled; 0 turns the limit off. */
  perSecond: number;
}

/**
 * The tokens a take of `cost` needs: at most the burst, none below 0, and
 * the whole burst for NaN. No caller means to pass NaN, but one that
 * slipped through would otherwise open the bucket for good (NaN compares
 * false with everything: a NaN wait reads as no wait).
 */
export function tokensNeeded(cost: number, burst: number): number {
  return Number.isNaN(cost) ? burst : Math.min(Math.max(cost, 0), burst);
}

/** The tokens a give of `tokens` may add: none for NaN or below 0, at most the burst. */
export function tokensGiven(tokens: number, burst: number): number {
  return tokens > 0 ? Math.min(tokens, burst) : 0;
}

/** A token bucket: `take()` succeeds while tokens are left. */
export class TokenBucket {
  #tokens: number;
  #updated: number;
  readonly spec: BucketSpec;

  constructor(spec: BucketSpec, now = performance.now()) {
    this.spec = spec;
    this.#tokens = spec.burst;
    this.#updated = now;
  }

  /**
   * Takes `cost` tokens (one by default, at most the burst); returns 0, or
   * the ms to wait until there are that many.
   */
  take(now = performance.now(), cost = 1): number {
    const { burst, perSecond } = this.spec;
    if (perSecond <= 0) return 0;
    const needed = tokensNeeded(cost, burst);
    this.#refill(now);
    if (this.#tokens >= needed) {
      this.#tokens -= needed;
      return 0;
    }
    return Math.ceil((needed - this.#tokens) * 1000 / perSecond);
  }

  /**
   * Takes `tokens` more without asking (none for NaN or below 0): what a
   * request was found to cost past what it took. The bucket may go below
   * 0, a debt the refill pays, whole, before a take passes.
   */
  spend(tokens: number, now = performance.now()): void {
    if (this.spec.perSecond <= 0 || !(tokens > 0)) return;
    this.#refill(now);
    this.#tokens -= tokens;
  }

  /** Gives back tokens taken for more than was used, up to the burst. */
  give(tokens: number): void {
    const { burst } = this.spec;
    this.#tokens = Math.min(burst, this.#tokens + tokensGiven(tokens, burst));
  }

  /**
   * Lowers the tokens to `level` when they are more (never raises them):
   * what the nodes sharing this bucket left of it. A level below 0 is a
   * debt, whole, that the refill pays before a take passes.
   */
  lower(level: number, now = performance.now()): void {
    if (this.spec.perSecond <= 0) return;
    this.#refill(now);
    if (level < this.#tokens) this.#tokens = level;
  }

  // A clock read behind the last (another clock's `now`) refills nothing.
  #refill(now: number): void {
    if (now <= this.#updated) return;
    const { burst, perSecond } = this.spec;
    this.#tokens = Math.min(
      burst,
      this.#tokens + (now - this.#updated) * perSecond / 1000,
    );
    this.#updated = now;
  }

  /** True when the bucket is full again (and may be forgotten). */
  full(now = performance.now()): boolean {
    const { burst, perSecond } = this.spec;
    return perSecond <= 0 ||
      this.#tokens + (now - this.#updated) * perSecond / 1000 >= burst;
  }
}

/** What a request costs: which buckets it draws from. */
export type RateCategory =
  | "message"
  | "room"
  | "login"
  | "reaction"
  | "search"
  | "read"
  | "conversations"
  | "draft"
  | "drafts"
  | "membership"
  | "people"
  | "users"
  | "status"
  | "group"
  | "mail"
  | "request";

/**
 * What is limited per client address, whoever asks; and `mailbox`, per
 * mailbox the server mails (a key of its own, not a client's): every mail
 * to a person takes it (mail/mail_pace.ts).
 */
export type AddressCategory =
  | "history"
  | "room"
  | "people"
  | "mail"
  | "forgot_password"
  | "mailbox";

/** Limits per category, per connection, per user and per address. */
export interface RateLimitConfig {
  perConnection: Record<RateCategory, BucketSpec>;
  perUser: Partial<Record<RateCategory, BucketSpec>>;
  /**
   * Per client address: history pages (WebSocket `history` and HTTP
   * `GET /api/rooms/:room/messages` together), each up to 200 messages,
   * so that scraping a server costs time; rooms created by guests; the
   * accounts guests list (`list_members`); set_email's mails and "Forgot
   * password?" requests by the address that asks (`mail`,
   * `forgot_password`); and every mail by the mailbox it goes to
   * (`mailbox`: verification links, reset links, missed-message mails).
   * Loopback is not limited (but for `mailbox`, which is no client's);
   * left out, nothing is.
   */
  perAddress?: Partial<Record<AddressCategory, BucketSpec>>;
  /** Rate-limited replies within 10 s after which a connection is closed. */
  strikesBeforeDisconnect: number;
  /** Posts of one incoming webhook; left out, none are limited. */
  perHook?: BucketSpec;
  /**
   * Uploads of one account, in files of `--max-file-bytes` (a smaller file
   * costs its share); left out, none are limited.
   */
  perUploader?: BucketSpec;
  /**
   * Profile pictures one account sets or removes (PUT and DELETE
   * /api/me/avatar); left out, none are limited.
   */
  perAvatarChange?: BucketSpec;
  /**
   * Integrations one account sets up or removes: access tokens, incoming
   * and outgoing webhooks, push subscriptions (http/setup_pace.ts); left
   * out, none are limited.
   */
  perIntegrationSetup?: BucketSpec;
  /**
   * Password logins of one account from one address (an IPv4 address or
   * an IPv6 /64, addresses.ts) whose password was right, reserved before
   * each hash and given back when it was wrong
   * (accounts/password_budget.ts); left out, none are limited.
   */
  perPasswordLogin?: BucketSpec;
  /**
   * The same of one account from every address together: a cap well above
   * one address's budget, so that its hashes stay bounded however many
   * addresses log in with its password; left out, none is.
   */
  perAccountPasswordLogin?: BucketSpec;
  /**
   * 6-digit two-factor codes tried for one account, from every address
   * together, each taken before its check and given back when right
   * (accounts/two_factor.ts); left out, none are limited.
   */
  perAccountTotpGuess?: BucketSpec;
}

/**
 * Far above what people type, so only floods hit them (scripts that replay
 * a few hundred messages still pass); every figure is in README.
 */
export const DEFAULT_RATE_LIMITS: RateLimitConfig = {
  perConnection: {
    message: { burst: 500, perSecond: 50 },
    room: { burst: 50, perSecond: 1 },
    login: { burst: 60, perSecond: 5 },
    // A person clicks a few a second; a script toggling them floods
    // everyone who sees the message with updates.
    reaction: { burst: 50, perSecond: 5 },
    // Each one reads the index: more than typing ahead needs.
    search: { burst: 20, perSecond: 2 },
    read: { burst: 100, perSecond: 10 },
    conversations: { burst: 20, perSecond: 1 },
    draft: { burst: 30, perSecond: 2 },
    drafts: { burst: 20, perSecond: 1 },
    membership: { burst: 100, perSecond: 10 },
    // The user directory as a person types a name (the web client waits
    // for a pause in the typing): a few a second; a script walking every
    // prefix to list the accounts goes at this pace.
    people: { burst: 30, perSecond: 5 },
    // list_users, with a token more per KiB of its reply past the first
    // (connection.ts): 200 short lists at once, then 20 a second, is
    // what a harness polling every 50 ms asks, and a room of 2,000
    // online (15 tokens a list) once a second. The web client asks at
    // each room it goes into, at most one a second after each (a pause
    // of 10 ms a name, client/connection/members.ts), and join_room's
    // own bucket refills at 10 a second.
    users: { burst: 200, perSecond: 20 },
    // The account's bucket below is the one that binds.
    status: { burst: 10, perSecond: 1 },
    // The account's bucket below is the one that binds.
    group: { burst: 20, perSecond: 2 },
    // The account's bucket below is the one that binds.
    mail: { burst: 5, perSecond: 1 },
    request: { burst: 1000, perSecond: 200 },
  },
  perUser: {
    message: { burst: 1000, perSecond: 100 },
    room: { burst: 100, perSecond: 1 },
    reaction: { burst: 100, perSecond: 10 },
    search: { burst: 40, perSecond: 4 },
    // Each mark_read counts the stream's unread messages and mentions (up
    // to 1000 each: 0.6-0.8 ms of the server, moved or not). At the 200/s
    // of any request per connection, one account's 8 sockets held the
    // server busy (another client's list_rooms took 2 s, 3 ms before).
    // The web client sends at most one a second per log on screen.
    read: { burst: 100, perSecond: 10 },
    // An account's login counts the unread messages of every room it
    // belongs to (100 rooms of 1000 unread: 100 ms or more of the thread
    // that serves the sockets). 20 at once covers every tab and device of
    // a person reconnecting after a network drop (each tab is a socket of
    // its own); then one every 3 s bounds a reconnect loop to about 3 % of
    // that thread per account. Also draws on: register, change_password,
    // the totp_ actions.
    login: { burst: 20, perSecond: 1 / 3 },
    // list_conversations counts the unread messages of up to 100
    // conversations, as a login counts its rooms', and the web client asks
    // once per login: the login's figures, in a bucket of its own so that
    // the lists of many tabs never refuse their logins.
    conversations: { burst: 20, perSecond: 1 / 3 },
    // Each set_draft is a commit (an fsync, about 10 ms of the thread with
    // SQLite on it) and an event to every other socket of the account.
    // The web client sends one when typing stops for 1.5 s and when the
    // box loses focus: a person in several tabs stays far inside; a script
    // is held to two commits a second.
    draft: { burst: 60, perSecond: 2 },
    // list_drafts answers every draft the account keeps: up to 200 of a
    // message's 4,000 characters, 3.2 MB of emoji, whose read and JSON
    // took 300 to 600 ms of the thread that serves the sockets (a busy
    // machine). At the 200/s of any request, one account's 8 sockets
    // asking it 4 at a time took another's list_rooms from 0.9 ms to 13
    // s. The web client asks once per login and resume, as it asks
    // list_conversations: the same figures.
    drafts: { burst: 20, perSecond: 1 / 3 },
    // A join_room or leave_room writes the membership (a commit: its fsync
    // holds the server's thread about 10 ms with SQLite on it) and tells
    // the room. At the 200/s of any request, one account toggling a room
    // from 16 requests at a time (141 a second) took another account's
    // list_rooms from 0.9 to 59 ms (p50); at 45 a second it stays at 0.8.
    // The address's history budget holds them to 10/s too, but not from
    // loopback, behind a proxy or from many addresses. A person switches
    // rooms a few times a second at most, a reconnect joins one.
    membership: { burst: 100, perSecond: 10 },
    // Each find_people probes the accounts online with the prefix, then
    // walks those whose name starts with it until `limit` more visible
    // ones: at 100,000 accounts on SQLite 0.6 ms for one letter (machine
    // at load 25; docs/performance.md, "The user directory"), more when
    // few of them are visible. A person's tabs together type no faster.
    people: { burst: 60, perSecond: 10 },
    // Each list_users reads the room's presence (every node's, through
    // Redis, once a quarter second), sorts its names (0.68 ms for
    // 2,002, a reply of 15 KB) and pays per KiB as above. At the 200/s of
    // any request, one account's sockets each listed at that pace; now
    // all of them together list at two sockets' pace: a person's tabs
    // ask far less (each only when it goes into a room or the room's
    // people move), a script walking rooms is held to it.
    users: { burst: 400, perSecond: 40 },
    // Each set_status reaches every logged-in connection: ten at once
    // (a person trying presets), then one every 6 s, whatever the tabs.
    status: { burst: 10, perSecond: 1 / 6 },
    // A group's change reaches every logged-in connection with its
    // members (up to 1,000 names), and list_groups answers every group:
    // a person setting up a team's groups fits in twenty, then one every
    // 3 s; a script rewriting groups is held to that pace.
    group: { burst: 20, perSecond: 1 / 3 },
    // Each set_email with an address mails a link to it: to anyone's
    // address, in our name. Five at once (a typo, then the right one),
    // then one every 10 minutes: no mailbox is flooded from here, and
    // the SMTP server's reputation is not spent on a script.
    mail: { burst: 5, perSecond: 1 / 600 },
  },
  perAddress: {
    // A reconnect catching up on 20 rooms takes 20 pages: well inside.
    history: { burst: 100, perSecond: 10 },
    // Rooms made by guests, whose names cost nothing: a class starting
    // its groups together fits in the burst, a script making hundreds
    // does not (accounts have their own cap, --max-rooms-per-user).
    room: { burst: 10, perSecond: 1 / 60 },
    // list_members by guests, whose names cost nothing: a new socket and
    // name per request would start each with a full bucket. One address
    // of guests gets what one account gets.
    people: { burst: 60, perSecond: 10 },
    // set_email's mails from one address, whatever accounts ask: an
    // address makes 20 accounts an hour, each with the five of its own
    // bucket, and mailed 100 links to one mailbox in 18 s (round 18).
    // A household or an office behind one address sets its addresses
    // within ten; then one every 10 minutes, as an account's.
    mail: { burst: 10, perSecond: 1 / 600 },
    // "Forgot password?" requests from one address, whatever they name:
    // each may mail someone, in our name. A person who mistypes their
    // name, then their address, fits in 5; then one every 10 minutes
    // (150 a day) holds a script walking names or addresses from one
    // address to a crawl, and an office behind one NAT still gets its
    // occasional forgetter through.
    forgot_password: { burst: 5, perSecond: 1 / 600 },
    // Every mail to one mailbox (verification links, reset links,
    // missed-message mails), whoever asks and from wherever (many
    // addresses, a /48's /64s): five at once (its owner's typo, a mail in
    // the spam folder), then one every 20 minutes, 72 a day at most,
    // whatever mixes them (a reset link took a bucket of its own, and
    // each account of a shared address its own: 5 accounts' resets and
    // the verification links made 447 a day). The cost: someone who knows
    // an address and spends its bucket keeps its owner's link waiting up
    // to 20 minutes at a time; missed-message mails then wait too, and
    // gather what comes meanwhile (mail/missed_mail.ts).
    mailbox: { burst: 5, perSecond: 1 / 1200 },
  },
  strikesBeforeDisconnect: 100,
  // Slack's pace for a webhook (about one a second), with room for a burst.
  perHook: { burst: 30, perSecond: 1 },
  // Every upload stays on disk for a day even if it is never sent, and
  // loopback writes 200+ MiB/s: without this one account filled a disk at
  // that pace. 30 full-size files at once (an album), then one a minute:
  // at most 14 GiB a day per account at the default 10 MiB.
  perUploader: { burst: 30, perSecond: 1 / 60 },
  // Each a commit, a file of up to 1 MiB and an `avatar_updated` to every
  // connection on every node: a person trying pictures on gets ten at
  // once, then one a minute.
  perAvatarChange: { burst: 10, perSecond: 1 / 60 },
  // Each a commit of its own (an fsync); a browser subscribes to pushes
  // once per page it loads, so 30 at once covers one restoring its tabs.
  perIntegrationSetup: { burst: 30, perSecond: 1 / 10 },
  // Each a scrypt hash (about 0.2 s of a core) in the queue every login
  // waits in. A person proves the password once per device and session
  // (--session-days; reconnects and tabs use the session), so 20 at once
  // covers every device signing in together; then one every 10 s keeps a
  // script that logs in with its password each run, and holds one account
  // at one address to about 2 % of a worker (one every 3 s, the login
  // bucket's pace, is 7 %). Per address, so that someone who holds the
  // password and spends it from theirs leaves the owner's own.
  perPasswordLogin: { burst: 20, perSecond: 1 / 10 },
  // Five addresses' worth: one account's hashes stay within 10 % of a
  // worker however many addresses use its password. The cost: a thief
  // flooding from five addresses or more (or /64s) at once keeps the
  // owner's password logins out again (docs/security.md).
  perAccountPasswordLogin: { burst: 100, perSecond: 1 / 2 },
  // Whoever tries codes holds the password (wrong ones are refused before
  // the code), so the login throttle's 5 per address and the cap above
  // let one who has many addresses try 100, then one every 2 s: 43,200
  // guesses a day at 3 good codes in a million, 2FA broken in about a
  // week (round 13). 10 wrong codes, then one every 10 minutes (144 a
  // day) makes it years. The cost: that thief keeps the owner's 6-digit
  // codes out too; a recovery code, a session or a token still log in.
  perAccountTotpGuess: { burst: 10, perSecond: 1 / 600 },
};

/** No limits at all (benchmarks). */
export const NO_RATE_LIMITS: RateLimitConfig = {
  perConnection: {
    message: { burst: 0, perSecond: 0 },
    room: { burst: 0, perSecond: 0 },
    login: { burst: 0, perSecond: 0 },
    reaction: { burst: 0, perSecond: 0 },
    search: { burst: 0, perSecond: 0 },
    read: { burst: 0, perSecond: 0 },
    conversations: { burst: 0, perSecond: 0 },
    draft: { burst: 0, perSecond: 0 },
    drafts: { burst: 0, perSecond: 0 },
    membership: { burst: 0, perSecond: 0 },
    people: { burst: 0, perSecond: 0 },
    users: { burst: 0, perSecond: 0 },
    status: { burst: 0, perSecond: 0 },
    group: { burst: 0, perSecond: 0 },
    mail: { burst: 0, perSecond: 0 },
    request: { burst: 0, perSecond: 0 },
  },
  perUser: {},
  perAddress: {
    history: { burst: 0, perSecond: 0 },
    room: { burst: 0, perSecond: 0 },
    people: { burst: 0, perSecond: 0 },
    mail: { burst: 0, perSecond: 0 },
    forgot_password: { burst: 0, perSecond: 0 },
    mailbox: { burst: 0, perSecond: 0 },
  },
  strikesBeforeDisconnect: 0,
};

/** The category of an action. */
export function categoryOf(action: string): RateCategory {
  switch (action) {
    case "send_message":
    case "private_message":
    // An edit or a delete sends the message again to every reader (and
    // the replies quoting it: see message_updates.ts), and so does a pin
    // (with a notice in a room): at the 200/s of any request, one account's
    // connections toggling pins flooded the other side of a conversation
    // past the messages it may send there.
    case "edit_message":
    case "delete_message":
    case "remove_link_previews":
    case "pin":
    // A poll is a message, sent then given its poll (two commits).
    case "create_poll":
    // A forward likewise: a message, then the copy it carries.
    case "forward_message":
    // Each one a message sent later: written at a send's pace, so that a
    // script cannot line up more sends for one time than it could make.
    case "schedule_message":
      return "message";
    case "create_room":
    case "create_invite":
    case "invite":
    // A commit, a notice to the room and a room list to everyone.
    case "set_topic":
    case "archive_room":
    case "unarchive_room":
    case "set_room_posting":
      return "room";
    case "login":
    case "register":
    case "change_password":
    // Each hashes a password (totp_enable guesses a code), as a login.
    case "totp_setup":
    case "totp_enable":
    case "totp_disable":
    case "totp_recovery_codes":
      return "login";
    case "list_conversations":
      return "conversations";
    case "set_draft":
      return "draft";
    case "list_drafts":
      return "drafts";
    case "react":
    // A vote, as a reaction, sends the message again to every reader: the
    // account's reaction bucket holds a script toggling votes.
    case "vote":
    case "close_poll":
    // Up to 100 polls read by id, a ban probe a room: asked as a page of
    // history shows polls past 100 voters, a few times a minute.
    case "poll_choices":
      return "reaction";
    case "search":
    // A page of up to 100 saved messages is a message read and a ban probe
    // each, as a search page reads its messages: the same bucket.
    case "list_saved":
    // A page of mentions likewise: up to 100 messages read and checked.
    case "list_mentions":
    // A page of threads: a message read and a ban probe each, as list_saved.
    case "list_threads":
    // A message read and a ban probe, and up to 50 texts, as a search's.
    case "message_edits":
      return "search";
    case "mark_read":
    case "mark_unread":
    // A commit and an event to the account's other sockets, as mark_read.
    case "set_notify_level":
    case "star":
    case "unstar":
    // A whole layout: one commit of at most 550 rows, an event, and an
    // account key probe per conversation, in the write.
    case "set_sections":
    case "set_do_not_disturb":
    case "set_missed_mail":
    case "save_message":
    case "unsave_message":
    case "mark_thread_read":
    // A commit and nothing sent: a profile is set a few times a year.
    case "set_profile":
    case "update_scheduled":
    case "cancel_scheduled":
      return "read";
    case "join_room":
    case "leave_room":
      return "membership";
    // list_members of general names every account, 20 at a time by
    // prefix: the directory by another door. At the 200/s of any request
    // one guest's socket walking the prefixes listed 2,000 accounts in
    // 0.7 s; a composer's "@" asks as one types, as the quick switcher's
    // find_people does.
    case "find_people":
    case "list_members":
    // A page of members' statuses, one key probe each: the member list's
    // companion, as list_members is.
    case "get_status":
    // A card: the directory's query for one name, as find_people's.
    case "get_profile":
      return "people";
    // Who is online in a room: its own bucket, which its long replies
    // pay into per KiB, so that neither a busy room's lists spend the
    // bucket every other request shares nor that one's 200 a second
    // pays for them.
    case "list_users":
      return "users";
    // A commit, then an event to every logged-in connection (every one
    // shares general with the account): a status is set a few times a
    // day, a script toggling it would flood every screen.
    case "set_status":
      return "status";
    // A mail to the address given (set_email): its own slow bucket.
    case "set_email":
      return "mail";
    // A commit and an event to every logged-in connection, or every group
    // with its members (list_groups): the groups' own bucket. The custom
    // emoji's likewise: a removal reaches every connection, and the list
    // is up to 1,000 of them (about 100 KiB), asked once a login.
    case "create_group":
    case "update_group":
    case "delete_group":
    case "list_groups":
    case "list_emoji":
    case "remove_emoji":
      return "group";
    default:
      return "request";
  }
}

/**
 * Token buckets by key and category (a user's, shared by all of its
 * connections, or an address's), answered at once: they guard every chat
 * message, and a Redis round trip each (0.15 ms, against 1 µs here) would
 * cost more than a flood spread over the nodes does. KeyedRateLimits counts
 * on this node; RedisRateLimits (buckets/redis_rate_limits.ts) decides the
 * same way and tells Redis what it took every 100 ms, so the nodes share
 * one budget per key. One contract: tests/rate_limits_contract.ts.
 */
export interface RateLimits<C extends string> {
  /** Takes `cost` tokens (default one) for this key; 0 or the ms to wait. */
  take(key: string, category: C, now?: number, cost?: number): number;
  /** Gives back tokens taken for more than was used. */
  give(key: string, category: C, tokens: number): void;
  /**
   * Takes `tokens` more without asking: what a request was found to cost
   * past what it took (a page of history measured once read). The bucket
   * may go below 0, a debt paid whole before a take passes.
   */
  spend(key: string, category: C, tokens: number, now?: number): void;
  /**
   * Shares what was taken since the last sync with the other nodes and
   * lowers this node's buckets to what they all left (nothing to do on a
   * single node). Runs by itself; tests call it to know it happened.
   */
  sync(): Promise<void>;
  /** Stops syncing. */
  close(): Promise<void>;
}

/**
 * This node's buckets by key. Full buckets carry no information and are
 * swept away.
 */
export class KeyedRateLimits<C extends string> implements RateLimits<C> {
  #specs: Partial<Record<C, BucketSpec>>;
  #buckets = new Map<string, TokenBucket>();

  constructor(specs: Partial<Record<C, BucketSpec>>) {
    this.#specs = specs;
  }

  /** Takes `cost` tokens (default one) for this key; 0 or the ms to wait. */
  take(
    userKey: string,
    category: C,
    now = performance.now(),
    cost = 1,
  ): number {
    return this.#bucket(userKey, category, now)?.take(now, cost) ?? 0;
  }

  // This key's bucket, made full if it has none; none for a category not
  // limited.
  #bucket(userKey: string, category: C, now: number): TokenBucket | undefined {
    const spec = this.#specs[category];
    if (!spec || spec.perSecond <= 0) return undefined;
    const key = `${category}:${userKey}`;
    let bucket = this.#buckets.get(key);
    if (!bucket) {
      if (this.#buckets.size >= 10_000) this.#sweep(now);
      bucket = new TokenBucket(spec, now);
      this.#buckets.set(key, bucket);
    }
    return bucket;
  }

  /** Gives back tokens taken for more than was used (a bucket swept: none). */
  give(userKey: string, category: C, tokens: number): void {
    this.#buckets.get(`${category}:${userKey}`)?.give(tokens);
  }

  /** Takes `tokens` more without asking, into debt if need be. */
  spend(
    userKey: string,
    category: C,
    tokens: number,
    now = performance.now(),
  ): void {
    this.#bucket(userKey, category, now)?.spend(tokens, now);
  }

  /**
   * Lowers this key's bucket to `level` when it holds more (a bucket swept
   * as full is made again to hold it).
   */
  lower(
    userKey: string,
    category: C,
    level: number,
    now = performance.now(),
  ): void {
    const spec = this.#specs[category];
    if (!spec || spec.perSecond <= 0) return;
    const key = `${category}:${userKey}`;
    let bucket = this.#buckets.get(key);
    if (!bucket) {
      if (level >= spec.burst) return;
      bucket = new TokenBucket(spec, now);
      this.#buckets.set(key, bucket);
    }
    bucket.lower(level, now);
  }

  sync(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  #sweep(now: number): void {
    for (const [key, bucket] of this.#buckets) {
      if (bucket.full(now)) this.#buckets.delete(key);
    }
  }
}
