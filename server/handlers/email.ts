/**
 * An account's email address (`set_email`): kept on the account's row,
 * unverified until its owner opens the link mailed to it
 * (mail/verification.ts, `POST /api/verify-email`). Offered only by a
 * server with `--smtp-url`; others answer `forbidden`.
 */
import type { ChatNode } from "../node.ts";
import { fail, isFailure, type Outcome, succeed } from "../protocol/errors.ts";
import { setEmailData } from "../protocol/schemas.ts";
import type { EmailState } from "../protocol/types.ts";
import { log } from "../log.ts";
import { takeMail } from "../mail/mail_pace.ts";
import {
  newEmailLink,
  verificationMail,
  verifyLinkPath,
} from "../mail/verification.ts";
import { type MemberContext, parseData } from "./context.ts";

const logger = log("mail");

/** The refusal of every email action on a server without `--smtp-url`. */
export const NO_MAIL = "This server sends no email.";

/**
 * `set_email` `{"address"}`: stores the address, not verified, and mails
 * a link to it that verifies it (an earlier link stops working); null
 * removes the address. The account's other connections get `email`. A
 * mail the SMTP server refuses is `internal`, the address kept unverified:
 * the owner sets it again to get another link.
 */
export async function setEmail(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const data = parseData(setEmailData, raw);
  if (isFailure(data)) return data;
  const { node } = ctx;
  const member = ctx.client.member;
  if (member.guest) {
    return fail(
      "forbidden",
      "Guests have no email address: log in with an account.",
    );
  }
  const mail = node.mail;
  if (mail === undefined) return fail("forbidden", NO_MAIL);
  const { address } = data;
  if (address === null) {
    await node.store.setEmail(member.userKey, null);
    return announced(node, member, { address: null, verified: false });
  }
  const refused = takeMail(node.addressLimits, {
    client: member.address,
    mailbox: address,
  });
  if (refused !== undefined) return refused;
  const link = newEmailLink(Date.now());
  await node.store.setEmail(member.userKey, address, link.stored);
  try {
    await mail.mailer.send(verificationMail({
      to: address,
      username: member.username,
      link: `${mail.publicUrl}${verifyLinkPath(link.token)}`,
    }));
  } catch (error) {
    // The SMTP server's answer may name the address: logged, not told.
    logger.warn("A verification mail was not sent: {error}", { error });
    return fail(
      "internal",
      "The mail could not be sent: try again later.",
    );
  }
  return announced(node, member, { address, verified: false });
}

function announced(
  node: ChatNode,
  member: MemberContext["client"]["member"],
  state: EmailState,
): Outcome {
  return succeed(
    { ...state },
    () =>
      node.publish({ kind: "user", key: member.userKey }, "email", state, {
        exceptConnection: member.id,
      }),
  );
}

/** The account's address as the login reply and `get_profile` show it. */
export async function emailStateOf(
  node: ChatNode,
  userKey: string,
): Promise<EmailState> {
  const kept = await node.store.emailOf(userKey);
  return kept === undefined
    ? { address: null, verified: false }
    : { address: kept.address, verified: kept.verified };
}
