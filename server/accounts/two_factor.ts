/**
 * Two-factor authentication's rules (totp_setup, totp_enable, the code a
 * login of an account with 2FA needs): a secret waits until a code of it
 * enables it; a code is accepted once (its step must be later than the
 * last used, kept in the store, so on every node); a recovery code works
 * once. The codes themselves are totp.ts's.
 */
import type { KeyedBuckets } from "../buckets/mod.ts";
import { fail, type Failure } from "../protocol/errors.ts";
import type { NewAuditEntry, TotpStore } from "../store/mod.ts";
import {
  hashRecoveryCode,
  isTotpCode,
  newRecoveryCodes,
  newTotpSecret,
  totpStep,
  totpUri,
} from "./totp.ts";

/** A setup waiting for its first code: what an authenticator app reads. */
export interface TotpSetup {
  /** The secret, base32, for typing it in. */
  secret: string;
  /** The `otpauth://` URI, for a QR code. */
  uri: string;
}

/** An account's two-factor authentication, over the store's TotpStore. */
export class TwoFactor {
  #store: TotpStore;
  #guesses?: KeyedBuckets;

  /**
   * `guesses` counts an account's 6-digit codes from every address
   * (rate_limit.ts, perAccountTotpGuess): the login throttle counts them
   * per address, and whoever holds the password and many addresses would
   * otherwise try one every 2 s (the password budget's cap). Left out,
   * none is counted.
   */
  constructor(store: TotpStore, guesses?: KeyedBuckets) {
    this.#store = store;
    this.#guesses = guesses;
  }

  /** True when the account has 2FA on. One read by the account's key. */
  async enabled(userKey: string): Promise<boolean> {
    return (await this.#store.totpOf(userKey))?.secret != null;
  }

  /**
   * A new secret waiting for its first code, in place of one waiting;
   * `totp_already_enabled` when 2FA is on (turning it off comes first).
   */
  async setup(
    account: { key: string; username: string },
  ): Promise<TotpSetup | Failure> {
    const secret = newTotpSecret();
    if (!await this.#store.setPendingTotp(account.key, secret)) {
      return alreadyEnabled();
    }
    return { secret, uri: totpUri(secret, account.username) };
  }

  /**
   * Turns 2FA on with a code of the secret waiting; its ten recovery
   * codes, told only now. `totp_invalid` for a wrong code or no setup
   * waiting (or one replaced meanwhile).
   */
  async enable(userKey: string, code: string): Promise<string[] | Failure> {
    const totp = await this.#store.totpOf(userKey);
    if (totp?.secret != null) return alreadyEnabled();
    const pending = totp?.pendingSecret;
    if (pending == null) {
      return fail(
        "totp_invalid",
        "No setup is waiting: ask for a new secret (totp_setup) first.",
      );
    }
    const step = totpStep(pending, code);
    if (step === undefined) return wrongCode();
    const codes = newRecoveryCodes();
    const enabled = await this.#store.enableTotp(userKey, {
      secret: pending,
      step,
      recoveryHashes: codes.map(hashRecoveryCode),
    });
    return enabled ? codes : wrongCode();
  }

  /**
   * The second factor of a login: false when the account has 2FA off,
   * true when it is on and `code` (a 6-digit code or a recovery code) is
   * right, and now used up; else `totp_required` (no code) or
   * `totp_invalid`. One read by the account's key, and a write for a code.
   */
  async check(
    userKey: string,
    code: string | undefined,
  ): Promise<boolean | Failure> {
    const totp = await this.#store.totpOf(userKey);
    if (totp?.secret == null) return false;
    return await this.#checkOn(userKey, totp.secret, code) ?? true;
  }

  /**
   * As check, for an action that needs 2FA on: `totp_not_enabled` when
   * it is off.
   */
  async checkEnabled(
    userKey: string,
    code: string | undefined,
  ): Promise<Failure | undefined> {
    const totp = await this.#store.totpOf(userKey);
    if (totp?.secret == null) return notEnabled();
    return await this.#checkOn(userKey, totp.secret, code);
  }

  async #checkOn(
    userKey: string,
    secret: string,
    code: string | undefined,
  ): Promise<Failure | undefined> {
    if (code === undefined || code.trim() === "") {
      return fail(
        "totp_required",
        "This account has two-factor authentication: send its code as 'totp'.",
      );
    }
    if (isTotpCode(code)) {
      // Taken before the check, so that guesses sent at once cannot all
      // pass it; given back when right. Recovery codes (50 bits) are not
      // counted: they stay the owner's way in while a thief spends this.
      const wait = await this.#guesses?.take(userKey) ?? 0;
      if (wait > 0) {
        return fail(
          "rate_limited",
          `Too many wrong codes for this account: try again in ${
            Math.ceil(wait / 1000)
          } s, or use a recovery code.`,
          { retry_after_ms: wait },
        );
      }
      const step = totpStep(secret, code);
      // A step at or before the last used is a code seen already: a
      // replay, or the same code sent twice (refused on every node).
      if (step === undefined || !await this.#store.useTotpStep(userKey, step)) {
        return wrongCode();
      }
      await this.#guesses?.give(userKey, 1);
      return undefined;
    }
    if (!await this.#store.useRecoveryCode(userKey, hashRecoveryCode(code))) {
      return wrongCode();
    }
    return undefined;
  }

  /** Ten new recovery codes in place of the old; `totp_not_enabled` when off. */
  async newRecoveryCodes(userKey: string): Promise<string[] | Failure> {
    const codes = newRecoveryCodes();
    if (
      !await this.#store.replaceRecoveryCodes(
        userKey,
        codes.map(hashRecoveryCode),
      )
    ) {
      return notEnabled();
    }
    return codes;
  }

  /**
   * Turns 2FA off (its owner's, or an admin's `reset_totp` with `audit`
   * in the same commit); `totp_not_enabled` when it was off.
   */
  async disable(
    userKey: string,
    audit?: NewAuditEntry,
  ): Promise<Failure | undefined> {
    return await this.#store.disableTotp(userKey, audit)
      ? undefined
      : notEnabled();
  }
}

function alreadyEnabled(): Failure {
  return fail(
    "totp_already_enabled",
    "Two-factor authentication is on already: turn it off first.",
  );
}

function notEnabled(): Failure {
  return fail(
    "totp_not_enabled",
    "This account has no two-factor authentication.",
  );
}

function wrongCode(): Failure {
  return fail(
    "totp_invalid",
    "This code is wrong, or used already: wait for the next one.",
  );
}
