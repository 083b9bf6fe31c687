/**
 * Two-factor authentication (TOTP, RFC 6238) of an account, by its owner:
 * `totp_setup` (a secret waiting), `totp_enable` (a code of it turns it
 * on, with ten recovery codes), `totp_disable`, `totp_recovery_codes`.
 * Changing it proves the password (and, once on, a code) as a login does,
 * counted by the login throttle. Sessions and tokens stay as they were.
 */
import { log } from "../log.ts";
import { fail, isFailure, type Outcome, succeed } from "../protocol/errors.ts";
import {
  totpEnableData,
  totpProofData,
  totpSetupData,
} from "../protocol/schemas.ts";
import { type MemberContext, parseData } from "./context.ts";

const logger = log("session");

/** `totp_setup`: a new secret waiting for its first code, and its URI. */
export async function totpSetup(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const refused = ownAccount(ctx);
  if (refused) return refused;
  const data = parseData(totpSetupData, raw);
  if (isFailure(data)) return data;
  const account = await ctx.node.accounts.proveOwner(
    { userKey: ctx.client.member.userKey, password: data.password },
    requester(ctx),
  );
  if (isFailure(account)) return account;
  const setup = await ctx.node.accounts.twoFactor.setup(account);
  if (isFailure(setup)) return setup;
  return succeed({ secret: setup.secret, uri: setup.uri });
}

/** `totp_enable`: a code of the secret waiting turns 2FA on. */
export async function totpEnable(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const refused = ownAccount(ctx);
  if (refused) return refused;
  const data = parseData(totpEnableData, raw);
  if (isFailure(data)) return data;
  const member = ctx.client.member;
  const codes = await ctx.node.accounts.twoFactor.enable(
    member.userKey,
    data.code,
  );
  if (isFailure(codes)) return codes;
  logger.info("{name} turned two-factor authentication on", {
    name: member.username,
  });
  return succeed({ recovery_codes: codes });
}

/** `totp_disable`: the password and a code (or a recovery code) turn it off. */
export async function totpDisable(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const account = await proven(ctx, raw);
  if (isFailure(account)) return account;
  const off = await ctx.node.accounts.twoFactor.disable(account.key);
  if (off) return off;
  logger.info("{name} turned two-factor authentication off", {
    name: account.username,
  });
  return succeed({});
}

/** `totp_recovery_codes`: ten new recovery codes; the old ones no longer work. */
export async function totpRecoveryCodes(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const account = await proven(ctx, raw);
  if (isFailure(account)) return account;
  const codes = await ctx.node.accounts.twoFactor.newRecoveryCodes(
    account.key,
  );
  if (isFailure(codes)) return codes;
  return succeed({ recovery_codes: codes });
}

// The account of this connection, its password and code proven.
async function proven(ctx: MemberContext, raw: Record<string, unknown>) {
  const refused = ownAccount(ctx);
  if (refused) return refused;
  const data = parseData(totpProofData, raw);
  if (isFailure(data)) return data;
  return await ctx.node.accounts.proveOwner({
    userKey: ctx.client.member.userKey,
    password: data.password,
    code: data.code,
  }, requester(ctx));
}

// Guests have no account, and a bot no password.
function ownAccount(ctx: MemberContext) {
  if (ctx.client.member.guest) {
    return fail("forbidden", "Guests have no account: register one.");
  }
  return undefined;
}

function requester(ctx: MemberContext) {
  return { address: ctx.client.remoteAddress, signal: ctx.client.signal };
}
