import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";

/**
 * scrypt at one of OWASP's equivalent settings (N=2^15, r=8, p=3: 32 MiB,
 * about 0.2 s on our machines). The parameters are stored in the hash, so
 * they can be raised later without breaking old accounts.
 */
const PARAMS: ScryptCost = { N: 2 ** 15, r: 8, p: 3 };
const KEY_LENGTH = 32;
const MAX_MEMORY = 256 * 1024 * 1024;

/** scrypt's cost parameters, stored in each hash. */
export interface ScryptCost {
  N: number;
  r: number;
  p: number;
}

function derive(
  password: string,
  salt: Buffer,
  params: ScryptCost,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(
      password.normalize("NFKC"),
      salt,
      KEY_LENGTH,
      { ...params, maxmem: MAX_MEMORY },
      (error, key) => error ? reject(error) : resolve(key),
    );
  });
}

/** Hashes a password as `scrypt$N$r$p$salt$key` (base64 parts). */
export async function hashPassword(
  password: string,
  cost: ScryptCost = PARAMS,
): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, cost);
  const { N, r, p } = cost;
  return `scrypt$${N}$${r}$${p}$${salt.toString("base64")}$${
    key.toString("base64")
  }`;
}

/** Checks a password against a stored hash in constant time. */
export async function verifyPassword(
  password: string,
  stored: string,
): Promise<boolean> {
  const [scheme, n, r, p, salt, key] = stored.split("$");
  if (scheme !== "scrypt" || !key) return false;
  const expected = Buffer.from(key, "base64");
  const actual = await derive(password, Buffer.from(salt, "base64"), {
    N: Number(n),
    r: Number(r),
    p: Number(p),
  });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

// Verifying against this when the account does not exist makes a wrong
// name cost as much time as a wrong password: timing tells nothing. Its
// key is random, not the hash of any password, so nothing matches it and
// nothing is hashed to make it.
const DECOY = decoyHash(PARAMS);

/** A hash at `cost` that no password matches (its key is random). */
export function decoyHash(cost: ScryptCost): string {
  return `scrypt$${cost.N}$${cost.r}$${cost.p}$${
    randomBytes(16).toString("base64")
  }$${randomBytes(KEY_LENGTH).toString("base64")}`;
}

/** Spends the time of a verification, for names with no account. */
export async function verifyNothing(password: string): Promise<false> {
  await verifyPassword(password, DECOY);
  return false;
}

/**
 * What the accounts do with passwords: hash a new one, check one against
 * its hash, spend a check's time on a name with no account. A door for
 * tests (StartParts.passwords), as `throttles` and `resolve` are: the
 * server's own is {@link SCRYPT_PASSWORDS}, and no flag, setting or
 * variable reaches another.
 */
export interface Passwords {
  hash(password: string): Promise<string>;
  verify(password: string, stored: string): Promise<boolean>;
  verifyNothing(password: string): Promise<false>;
}

/** scrypt at the cost above: what every server runs. */
export const SCRYPT_PASSWORDS: Passwords = {
  hash: (password) => hashPassword(password),
  verify: verifyPassword,
  verifyNothing,
};
