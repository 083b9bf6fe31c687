import { log } from "../log.ts";
import { fail, isFailure, type Outcome, succeed } from "../protocol/errors.ts";
import { changePasswordData } from "../protocol/schemas.ts";
import { type MemberContext, parseData } from "./context.ts";

const logger = log("session");

/**
 * `change_password`: an account proves its current password and sets a new
 * one; every other session of the account ends, and its sockets close with
 * 4004 on every node. This connection's session stays.
 */
export async function changePassword(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const { node, client } = ctx;
  const member = client.member;
  if (member.guest || !member.session) {
    return fail("forbidden", "Guests have no password: register an account.");
  }
  const data = parseData(changePasswordData, raw);
  if (isFailure(data)) return data;
  const keep = member.session.tokenHash;
  const changed = await node.accounts.changePassword({
    userKey: member.userKey,
    oldPassword: data.old_password,
    newPassword: data.new_password,
    keepSession: keep,
  }, { address: client.remoteAddress, signal: client.signal });
  if (isFailure(changed)) return changed;
  logger.info("{name} changed their password", { name: member.username });
  return succeed(
    {},
    () =>
      node.endSessions(member.userKey, { except: keep }, "Password changed"),
  );
}
