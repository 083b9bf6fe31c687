import { addressKey } from "../addresses.ts";
import { banRefusal } from "../access.ts";
import { auditEntry, OPERATOR_ACTOR } from "../handlers/audit.ts";
import { log } from "../log.ts";
import { MemoryBuckets } from "../buckets/memory.ts";
import type { KeyedBuckets } from "../buckets/mod.ts";
import { fail, type Failure, isFailure } from "../protocol/errors.ts";
import { cleanName, nameKey } from "../protocol/names.ts";
import type {
  Account,
  AccountStore,
  GroupStore,
  IntegrationStore,
  NewAuditEntry,
  StoredApiToken,
  TotpStore,
} from "../store/mod.ts";
import { TwoFactor } from "./two_factor.ts";
import {
  LoginThrottle,
  type Throttle,
  type ThrottleOptions,
} from "./login_throttle.ts";
import {
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
} from "../protocol/limits.ts";
import { type Passwords, SCRYPT_PASSWORDS } from "./password.ts";
import {
  type PasswordBuckets,
  PasswordBudget,
  type Reservation,
} from "./password_budget.ts";
import { PasswordQueue } from "./password_queue.ts";
import { reservedName } from "./reserved_names.ts";
import { guestRefusal } from "./guest_names.ts";
import { createPasswordReset, type PasswordReset } from "./password_reset.ts";
import {
  API_TOKEN_PREFIX,
  hashToken,
  newApiToken,
  newPublicId,
  newSessionToken,
} from "./tokens.ts";

/** Options of {@link AccountService}. */
export interface AccountServiceOptions {
  /** The operator's admin; when unset the first account registered is admin. */
  admin?: string;
  /** How long a session lasts, in ms (`--session-days`). */
  sessionTtlMs: number;
  /**
   * The name of a guest online right now, on any node, whose name is this
   * one or looks like it (PresenceManager.guestLookingLike).
   */
  guestLookingLike: (name: string) => Promise<string | undefined>;
  /**
   * Makes the throttles of logins and of registrations: in this process by
   * default, in Redis for a cluster (backends.ts).
   */
  throttles?: (options: ThrottleOptions) => Throttle;
  /** Password hashes computed at once (`--password-workers`). */
  passwordWorkers: number;
  /** How passwords are hashed and checked; default: scrypt (password.ts). */
  passwords?: Passwords;
  /**
   * Each account's budget of passwords proven right, per address and for
   * the account (password_budget.ts); left out, none is limited.
   */
  passwordBudget?: PasswordBuckets;
  /** An account's 6-digit codes from every address (TwoFactor); left out, not counted. */
  totpGuesses?: KeyedBuckets;
}

/** A name and password to check. */
export interface Credentials {
  username: string;
  password: string;
  /** The second factor, for an account with 2FA: a code or a recovery code. */
  totp?: string;
}

/** Where an attempt comes from. */
export interface Requester {
  /** The client's address, for the throttles. */
  address: string;
  /** Aborts when the client has gone: a check still waiting is dropped. */
  signal?: AbortSignal;
}

/** A session as the server knows it: never its token, only the token's hash. */
export interface LiveSession {
  /** SHA-256 of the token: what the store keys the session by. */
  tokenHash: string;
  userKey: string;
  /** When it ends (ms since the epoch). */
  expiresAt: number;
}

/** A personal access token just made: the only time its secret is told. */
export interface NewApiToken {
  token: StoredApiToken;
  secret: string;
}

/** An account that proved who it is, with the session it may resume. */
export interface Authenticated {
  account: Account;
  token: string;
  session: LiveSession;
  /** Whether the account has two-factor authentication on. */
  totp: boolean;
}

/** A password reset of an account with 2FA on: no session; log in with a code. */
export interface SecondFactorNeeded {
  account: Account;
  secondFactor: true;
}

/**
 * What a password reset did besides: the hashes of the personal access
 * tokens it revoked, whose sockets the caller closes.
 */
export interface ResetDone {
  revokedTokens: string[];
}

/** The account of a session token that is still live. */
export interface Resumed {
  account: Account;
  /** None for a personal access token. */
  session?: LiveSession;
  /** SHA-256 of the personal access token it was, if it was one. */
  apiToken?: string;
}

/** A password change: the account, both passwords, the session to keep. */
export interface PasswordChange {
  userKey: string;
  oldPassword: string;
  newPassword: string;
  /** The session the change is made from: every other one ends. */
  keepSession?: string;
}

const logger = log("accounts");

const BAD_CREDENTIALS = "Wrong username or password.";

/** Most API tokens one account (a bot included) holds at once. */
export const MAX_TOKENS_PER_ACCOUNT = 100;

/**
 * Accounts and sessions: registering, password logins (slowed down per name
 * and per address), session tokens stored only as hashes, logout. Used by
 * both the WebSocket handlers and the HTTP routes.
 */
export class AccountService {
  #store:
    & AccountStore
    & IntegrationStore
    & TotpStore
    & Pick<GroupStore, "groupLookingLike">;
  #admin?: string;
  #adminKey?: string;
  #ttl: number;
  #guestLookingLike: (name: string) => Promise<string | undefined>;
  #throttle: Throttle;
  #queue: PasswordQueue;
  #passwords: Passwords;
  // Checks under way, so that close() can wait for them.
  #underway = new Set<Promise<unknown>>();
  // Slowed-down attempts waiting for their turn; close() ends them.
  #pauses = new Set<() => void>();
  #registrations: Throttle;
  #budget: PasswordBudget;
  /** Two-factor authentication's secrets and codes. */
  readonly twoFactor: TwoFactor;

  constructor(
    store:
      & AccountStore
      & IntegrationStore
      & TotpStore
      & Pick<GroupStore, "groupLookingLike">,
    options: AccountServiceOptions,
  ) {
    this.#store = store;
    this.twoFactor = new TwoFactor(store, options.totpGuesses);
    this.#admin = options.admin;
    this.#adminKey = options.admin === undefined
      ? undefined
      : nameKey(options.admin);
    this.#ttl = options.sessionTtlMs;
    this.#guestLookingLike = options.guestLookingLike;
    const throttle = options.throttles ??
      ((options: ThrottleOptions) => new LoginThrottle(options));
    this.#throttle = throttle({ name: "login" });
    // 20 accounts per address per hour; the per-name limits do not apply.
    this.#registrations = throttle({
      name: "register",
      perNameAndAddress: Infinity,
      perName: Infinity,
      perAddress: 20,
      windowMs: 3600 * 1000,
    });
    this.#queue = new PasswordQueue({ workers: options.passwordWorkers });
    this.#passwords = options.passwords ?? SCRYPT_PASSWORDS;
    this.#budget = new PasswordBudget(
      options.passwordBudget ?? {
        perAddress: new MemoryBuckets({ name: "password_login_address" }),
        perAccount: new MemoryBuckets({ name: "password_login" }),
      },
    );
  }

  /** Password hashes running and waiting for a worker now, for /metrics. */
  get passwordChecks(): { running: number; waiting: number } {
    return { running: this.#queue.running, waiting: this.#queue.waiting };
  }

  /**
   * Refuses the password checks still waiting and resolves once those
   * under way have ended, so nothing outlives the server.
   */
  async close(): Promise<void> {
    const closing = this.#queue.close();
    for (const end of this.#pauses) end();
    await closing;
    await Promise.allSettled([...this.#underway]);
  }

  /**
   * Keeps work on accounts started outside a request (a mailed reset,
   * mail/forgot_password.ts) until it ends: close() waits for it, so it
   * never meets a closed store or mailer.
   */
  track<T>(work: Promise<T>): Promise<T> {
    return this.#track(work);
  }

  // Keeps track of a register or login until it ends.
  #track<T>(work: Promise<T>): Promise<T> {
    this.#underway.add(work);
    work.finally(() => this.#underway.delete(work)).catch(() => {});
    return work;
  }

  /**
   * Makes the operator's named admin an admin, if that account exists, and
   * lifts a server ban of that name: otherwise an operator whom a ban
   * locked out had no way back in (an admin cannot be banned, but the
   * account may have been banned before `--admin` named it). Audited as
   * the operator's `unban`; only when there was a ban.
   */
  async start(): Promise<void> {
    const key = this.#adminKey;
    if (key === undefined) return;
    await this.#store.setRole(key, "admin");
    const user = (await this.#store.findAccount(key))?.username ??
      this.#admin!;
    const lifted = await this.#store.removeBans(
      key,
      undefined,
      auditEntry(OPERATOR_ACTOR, "", {
        action: "unban",
        target: user,
        reason: "named by --admin",
      }),
    );
    if (lifted > 0) {
      logger.warn("{user}'s server ban lifted: --admin names this account", {
        user,
      });
    }
  }

  /** The account with this name, if any. */
  find(username: string): Promise<Account | undefined> {
    return this.#store.findAccount(nameKey(username));
  }

  /** An account whose name looks like this one (UTS #39 skeleton), if any. */
  findLookingLike(username: string): Promise<Account | undefined> {
    return this.#store.findAccountLookingLike(username);
  }

  /**
   * Creates an account and a session for it. Registrations count against
   * the address like failed logins: each costs a password hash.
   */
  register(
    credentials: Credentials,
    from: Requester,
  ): Promise<Authenticated | Failure> {
    return this.#track(this.#register(credentials, from));
  }

  async #register(
    { username: rawName, password }: Credentials,
    from: Requester,
  ): Promise<Authenticated | Failure> {
    // Every well-formed registration counts, successful or not.
    const admission = await this.#registrations.admit(
      "",
      addressKey(from.address),
    );
    if (!admission.admitted) {
      return fail(
        "rate_limited",
        `Too many new accounts from your address: try again in ${
          Math.ceil(admission.retryAfterMs / 1000)
        } s.`,
      );
    }
    const username = cleanName(rawName);
    if (username === null) return invalidName();
    const weak = checkPassword(password);
    if (weak) return weak;
    const key = nameKey(username);
    const refused = await this.#nameRefused(username);
    if (refused) return refused;
    const role = key === this.#adminKey ? "admin" : "user";
    const passwordHash = await this.#queue.run(
      () => this.#passwords.hash(password),
      from.signal,
    );
    if (isFailure(passwordHash)) return passwordHash;
    const account = await this.#store.createAccount(
      { key, username, passwordHash, role },
      { firstRole: this.#adminKey === undefined ? "admin" : undefined },
    );
    if (!account) {
      return fail("username_taken", `The name '${username}' is taken.`);
    }
    return await this.#newSession(account);
  }

  /**
   * Creates a bot account (for an admin): marked `bot`, with no password
   * that could ever match, so it acts only through its tokens.
   */
  async createBot(
    rawName: string,
    audit?: (username: string) => NewAuditEntry,
  ): Promise<Account | Failure> {
    const username = cleanName(rawName);
    if (username === null) return invalidName();
    const refused = await this.#nameRefused(username);
    if (refused) return refused;
    const account = await this.#store.createAccount({
      key: nameKey(username),
      username,
      // Not a hash scrypt verification accepts: no password logs a bot in.
      passwordHash: "!bot",
      role: "user",
      bot: true,
    }, { audit: audit?.(username) });
    return account ??
      fail("username_taken", `The name '${username}' is taken.`);
  }

  /**
   * `username_taken` when a user group's name is `username` or looks like
   * it: `@name` mentions the group (handlers/groups.ts), so an account or
   * a guest of that name would read as it. One probe of each index.
   */
  async groupRefusal(username: string): Promise<Failure | undefined> {
    const group = await this.#store.groupLookingLike(username);
    if (!group) return undefined;
    return fail(
      "username_taken",
      group.key === nameKey(username)
        ? `The name '${username}' is a group's: choose another.`
        : `The name '${username}' looks like '${group.name}', a group's.`,
    );
  }

  /** Bot accounts, oldest first. */
  listBots(): Promise<Account[]> {
    return this.#store.listBots();
  }

  // Why a new account may not take this name: reserved, banned, in use by
  // a guest or looking like a guest's online, or looking like another
  // account's.
  async #nameRefused(username: string): Promise<Failure | undefined> {
    const reserved = reservedName(username);
    if (reserved) return reserved;
    const key = nameKey(username);
    const ban = await this.#store.findBan({ userKey: key });
    if (ban) {
      return fail(
        "banned",
        `This name is banned from this server: ${ban.reason}`,
      );
    }
    const guest = await this.#guestLookingLike(username);
    if (guest !== undefined) return guestRefusal(username, guest);
    // Asked before the password's hash for its message; createAccount
    // checks again as it writes, for a group made in the moment between.
    const group = await this.groupRefusal(username);
    if (group) return group;
    const lookalike = await this.#store.findAccountLookingLike(username);
    if (lookalike && lookalike.key !== key) {
      return fail(
        "username_taken",
        `The name '${username}' looks like '${lookalike.username}', which is taken.`,
      );
    }
    return undefined;
  }

  /**
   * Makes a personal access token for an account; its secret is told once.
   * `forbidden` past MAX_TOKENS_PER_ACCOUNT: each is a row kept until it
   * is revoked, and making them is only rate-limited.
   */
  async createToken(
    userKey: string,
    name: string,
    audit?: (token: StoredApiToken) => NewAuditEntry,
  ): Promise<NewApiToken | Failure> {
    const held = await this.#store.listApiTokens(userKey);
    if (held.length >= MAX_TOKENS_PER_ACCOUNT) {
      return fail(
        "forbidden",
        `An account has at most ${MAX_TOKENS_PER_ACCOUNT} tokens: revoke one first.`,
      );
    }
    const secret = newApiToken();
    const token: StoredApiToken = {
      id: newPublicId(),
      userKey,
      name,
      tokenHash: hashToken(secret),
      createdAt: Date.now(),
    };
    await this.#store.createApiToken(token, audit?.(token));
    return { token, secret };
  }

  /** An account's tokens, oldest first (hashes only). */
  listTokens(userKey: string): Promise<StoredApiToken[]> {
    return this.#store.listApiTokens(userKey);
  }

  /**
   * Revokes one of an account's tokens; returns it (its hash closes the
   * sockets that logged in with it), or undefined when the account has
   * none by that id.
   */
  async revokeToken(
    userKey: string,
    id: string,
    audit?: NewAuditEntry,
  ): Promise<StoredApiToken | undefined> {
    const token = (await this.#store.listApiTokens(userKey)).find((t) =>
      t.id === id
    );
    if (!token || !await this.#store.deleteApiToken(userKey, id, audit)) {
      return undefined;
    }
    return token;
  }

  /**
   * Checks a password. The attempt counts before the check: refused with
   * `rate_limited` past the throttle's limits, slowed down while its name
   * fails often; and it reserves one login of the account's budget of
   * right passwords at its address, and of the account's cap, before its
   * hash, given back when wrong: once either is spent
   * (password_budget.ts), refused before the hash, with the wait.
   */
  authenticate(
    credentials: Credentials,
    from: Requester,
  ): Promise<Authenticated | Failure> {
    return this.#track(this.#authenticate(credentials, from));
  }

  async #authenticate(
    { username, password, totp }: Credentials,
    from: Requester,
  ): Promise<Authenticated | Failure> {
    const userKey = nameKey(username);
    let twoFactor = false;
    // Draws on the account's budget of right passwords (password changes
    // do not: they draw on the login bucket before their check, and are
    // how the owner takes the account back from someone who holds the
    // password and spends this budget).
    const account = await this.#prove(userKey, password, from, {
      refused: "Too many failed logins",
      wrong: BAD_CREDENTIALS,
      budgeted: true,
      // Asked only once the password is right: a wrong one never tells
      // whether the account has 2FA.
      second: async (account) => {
        const checked = await this.twoFactor.check(account.key, totp);
        if (isFailure(checked)) return checked;
        twoFactor = checked;
      },
    });
    if (isFailure(account)) return account;
    return await this.#banned(account.key) ??
      await this.#newSession(account, twoFactor);
  }

  /**
   * Proves an account's password, and with `code` its second factor (a
   * code or a recovery code, which is then used up; `totp_not_enabled`
   * when it has 2FA off), as changing its 2FA needs: counted by the login
   * throttle as a password change is, a wrong code as a wrong password.
   */
  proveOwner(
    proof: { userKey: string; password: string; code?: string },
    from: Requester,
  ): Promise<Account | Failure> {
    const { userKey, password, code } = proof;
    return this.#track(this.#prove(userKey, password, from, {
      refused: "Too many wrong passwords",
      wrong: "The password is wrong.",
      second: code === undefined
        ? undefined
        : (account) => this.twoFactor.checkEnabled(account.key, code),
    }));
  }

  /**
   * Changes an account's password once its current one is proved, and
   * ends every other session of the account (the caller closes their
   * sockets). The proof counts against the login throttle like a login.
   */
  changePassword(
    change: PasswordChange,
    from: Requester,
  ): Promise<Account | Failure> {
    return this.#track(this.#changePassword(change, from));
  }

  async #changePassword(
    change: PasswordChange,
    from: Requester,
  ): Promise<Account | Failure> {
    const weak = checkPassword(change.newPassword);
    if (weak) return weak;
    const account = await this.#prove(
      change.userKey,
      change.oldPassword,
      from,
      {
        refused: "Too many wrong passwords",
        wrong: "The current password is wrong.",
      },
    );
    if (isFailure(account)) return account;
    const newHash = await this.#queue.run(
      () => this.#passwords.hash(change.newPassword),
      from.signal,
    );
    if (isFailure(newHash)) return newHash;
    await this.#store.setPasswordHash(account.key, newHash);
    await this.#store.deleteSessionsOf(account.key, change.keepSession);
    return account;
  }

  /**
   * Proves the password of `userKey`, as the throttle allows: the attempt
   * counts before the check (refused past the limits, slowed down while
   * the name fails often), and stops counting once the password proves
   * right or when the server could not check it (busy, stopping, store
   * down). A client that leaves before its check still spent an attempt.
   * A wrong name costs a hash like a wrong password.
   */
  async #prove(
    userKey: string,
    password: string,
    from: Requester,
    options: {
      refused: string;
      wrong: string;
      budgeted?: boolean;
      /**
       * The second factor, asked once the password is right; its refusal
       * counts as a failed attempt, as a wrong password does.
       */
      second?: (account: Account) => Promise<Failure | undefined | void>;
    },
  ): Promise<Account | Failure> {
    const address = addressKey(from.address);
    const attempt = await this.#throttle.admit(userKey, address);
    if (!attempt.admitted) {
      const seconds = Math.ceil(attempt.retryAfterMs / 1000);
      return fail(
        "rate_limited",
        `${options.refused}: try again in ${seconds} s.`,
      );
    }
    let checked = false;
    let reserved: Reservation | undefined;
    let proven = false;
    try {
      if (attempt.delayMs > 0) await this.#pause(attempt.delayMs, from.signal);
      const account = await this.#store.findAccount(userKey);
      const ok = await this.#queue.run(async () => {
        // Reserved once a worker is ours, just before the hash: wrong
        // passwords then hold at most a node's workers (1 to 4) of the
        // owner's budget at once, never all of it. Taken before the queue,
        // 50 guesses at once held all 20 and the owner was refused until
        // they were checked. A refusal here withdraws the attempt (no
        // failure) and costs no hash.
        if (options.budgeted) {
          const reservation = await this.#budget.reserve(userKey, address);
          if (isFailure(reservation)) return reservation;
          reserved = reservation;
        }
        // A bot has no password: it costs the same time as a wrong name.
        return account && !account.bot
          ? this.#passwords.verify(password, account.passwordHash)
          : this.#passwords.verifyNothing(password);
      }, from.signal);
      if (isFailure(ok)) return ok;
      checked = true;
      if (!account || !ok) return fail("bad_credentials", options.wrong);
      // The password was right: its budget is spent, whatever the code.
      proven = true;
      const refused = await options.second?.(account);
      if (refused) return refused;
      attempt.succeeded();
      return account;
    } finally {
      if (!checked && !from.signal?.aborted) attempt.withdrawn();
      if (reserved && !proven) await reserved.giveBack();
    }
  }

  // Waits before a check, unless the server stops or the client leaves.
  #pause(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.resolve();
    const { promise, resolve } = Promise.withResolvers<void>();
    const timer = setTimeout(end, ms);
    this.#pauses.add(end);
    signal?.addEventListener("abort", end, { once: true });
    function end() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", end);
      resolve();
    }
    return promise.finally(() => this.#pauses.delete(end));
  }

  /**
   * The account of a live session token or personal access token (those
   * start with `chat_` and last until revoked).
   */
  async resume(token: string): Promise<Account | Failure> {
    const resumed = await this.resumeSession(token);
    return isFailure(resumed) ? resumed : resumed.account;
  }

  /**
   * The account of a live session token, with its session; or of a
   * personal access token, which has no session (it ends when revoked).
   */
  async resumeSession(token: string): Promise<Resumed | Failure> {
    const expired = "This session has ended: log in again.";
    const tokenHash = hashToken(token);
    // One session token in 64^5 starts with the prefix too: then both are asked.
    const apiToken = token.startsWith(API_TOKEN_PREFIX)
      ? await this.#store.findApiToken(tokenHash)
      : undefined;
    let userKey = apiToken?.userKey;
    let session: LiveSession | undefined;
    if (userKey === undefined) {
      const found = await this.#store.findSession(tokenHash);
      if (!found || found.expiresAt <= Date.now()) {
        return fail(
          "bad_credentials",
          token.startsWith(API_TOKEN_PREFIX)
            ? "This token is unknown or revoked."
            : expired,
        );
      }
      userKey = found.userKey;
      session = { tokenHash, ...found };
    }
    const account = await this.#store.findAccount(userKey);
    if (!account) return fail("bad_credentials", expired);
    return await this.#banned(account.key) ??
      { account, session, apiToken: apiToken?.tokenHash };
  }

  /**
   * Checks a login's credential again once its connection is registered
   * (so that from then on a logout, revocation or ban reaches it): the
   * session or personal access token (hashes) must still be there, the
   * account not banned. A logout, password change, revocation or ban
   * acknowledged while the login was under way found no socket to close;
   * without this the login would go on with what it ended. Two indexed
   * reads per account login.
   */
  async recheck(
    userKey: string,
    credential: { session?: string; apiToken?: string },
  ): Promise<Failure | undefined> {
    const ended = fail(
      "bad_credentials",
      "This session has ended: log in again.",
    );
    if (credential.session !== undefined) {
      const found = await this.#store.findSession(credential.session);
      if (!found || found.expiresAt <= Date.now()) return ended;
    } else if (credential.apiToken !== undefined) {
      if (!await this.#store.findApiToken(credential.apiToken)) return ended;
    }
    return await this.#banned(userKey);
  }

  // A server-wide ban of the name; address bans only stop guests, so a
  // moderator sharing an address with a banned guest is not locked out.
  async #banned(userKey: string): Promise<Failure | undefined> {
    const ban = await this.#store.findBan({ userKey });
    return ban && banRefusal(ban);
  }

  /**
   * A one-time password reset for an account: the token for its link,
   * valid a day unless `lifetimeMs` says (password_reset.ts); only its
   * hash is stored, with `audit` in the same commit. `forbidden` for a bot.
   */
  createPasswordReset(
    account: Account,
    audit?: NewAuditEntry,
    lifetimeMs?: number,
  ): Promise<PasswordReset | Failure> {
    return createPasswordReset(this.#store, account, audit, lifetimeMs);
  }

  /**
   * Sets a new password with a reset token, which is then used up; every
   * earlier session and every personal access token of the account ends
   * (the caller closes their sockets: `revokedTokens`) and a new session
   * starts, unless the account has 2FA on: the link does not turn it
   * off, nor stand in for its code, so no session starts and the owner
   * logs in with the new password and a code (`secondFactor`).
   * `bad_credentials` for an unknown, used or expired token.
   */
  resetPassword(
    token: string,
    password: string,
    from: Requester,
  ): Promise<((Authenticated | SecondFactorNeeded) & ResetDone) | Failure> {
    return this.#track(this.#resetPassword(token, password, from));
  }

  async #resetPassword(
    token: string,
    password: string,
    from: Requester,
  ): Promise<((Authenticated | SecondFactorNeeded) & ResetDone) | Failure> {
    const weak = checkPassword(password);
    if (weak) return weak;
    // The token is taken before the hash, so a made-up one costs no
    // scrypt; a hash the server is too busy for then costs the link.
    const key = await this.#store.takePasswordReset(
      hashToken(token),
      Date.now(),
    );
    const account = key === undefined
      ? undefined
      : await this.#store.findAccount(key);
    // A bot's link (made before reset_password refused bots) opens nothing.
    if (!account || account.bot) {
      return fail(
        "bad_credentials",
        "This reset link is unknown, used or expired: ask for a new one.",
      );
    }
    const newHash = await this.#queue.run(
      () => this.#passwords.hash(password),
      from.signal,
    );
    if (isFailure(newHash)) return newHash;
    await this.#store.setPasswordHash(account.key, newHash);
    await this.#store.deleteSessionsOf(account.key);
    // A reset link (mailed, or an admin's) is what an owner uses when the
    // password is lost or known to someone else: a token made with a
    // stolen session would outlive it otherwise, as Mastodon revokes an
    // account's apps on a reset. The cost: the owner's own scripts need
    // a new token.
    const revokedTokens: string[] = [];
    for (const held of await this.#store.listApiTokens(account.key)) {
      if (await this.#store.deleteApiToken(account.key, held.id)) {
        revokedTokens.push(held.tokenHash);
      }
    }
    const banned = await this.#banned(account.key);
    if (banned) return banned;
    if (await this.twoFactor.enabled(account.key)) {
      return { account, secondFactor: true, revokedTokens };
    }
    const session = await this.#newSession(account);
    return isFailure(session) ? session : { ...session, revokedTokens };
  }

  /**
   * Revokes the session of a token; returns it (for closing its sockets),
   * or undefined when there was none.
   */
  async logout(token: string): Promise<LiveSession | undefined> {
    const tokenHash = hashToken(token);
    const session = await this.#store.findSession(tokenHash);
    await this.#store.deleteSession(tokenHash);
    return session && { tokenHash, ...session };
  }

  /**
   * Revokes the personal access (or bot) token `token` is, as a logout
   * with it asks; returns it (for closing its sockets), or undefined when
   * it is none.
   */
  logoutToken(token: string): Promise<StoredApiToken | undefined> {
    if (!token.startsWith(API_TOKEN_PREFIX)) return Promise.resolve(undefined);
    return this.revokeTokenHash(hashToken(token));
  }

  /**
   * Revokes the personal access (or bot) token whose SHA-256 this is (a
   * socket's `apiToken`, for its `logout`); returns it, or undefined when
   * it is gone already.
   */
  async revokeTokenHash(
    tokenHash: string,
  ): Promise<StoredApiToken | undefined> {
    const found = await this.#store.findApiToken(tokenHash);
    if (!found) return undefined;
    await this.#store.deleteApiToken(found.userKey, found.id);
    return found;
  }

  /** Revokes a session known by its token's hash. */
  async endSession(tokenHash: string): Promise<void> {
    await this.#store.deleteSession(tokenHash);
  }

  async #newSession(
    account: Account,
    totp = false,
  ): Promise<Authenticated | Failure> {
    const token = newSessionToken();
    const session = {
      tokenHash: hashToken(token),
      userKey: account.key,
      expiresAt: Date.now() + this.#ttl,
    };
    try {
      await this.#store.createSession(session.tokenHash, {
        userKey: session.userKey,
        expiresAt: session.expiresAt,
      });
    } catch (error) {
      // The account was deleted while its password was checked: the
      // session's row has no account to belong to. Told as a wrong
      // password, as a login a moment later is; one look-up, on failure
      // only.
      if (await this.#store.findAccount(account.key)) throw error;
      return fail("bad_credentials", BAD_CREDENTIALS);
    }
    return { account, token, session, totp };
  }
}

function invalidName(): Failure {
  return fail(
    "username_invalid",
    "A username is 1 to 32 letters, digits, '_', '-' or '.', without spaces.",
  );
}

function checkPassword(password: string): Failure | undefined {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH || length > PASSWORD_MAX_LENGTH) {
    return fail(
      "invalid_message",
      `A password is ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters.`,
    );
  }
  return undefined;
}
