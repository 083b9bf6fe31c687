/**
 * `set_missed_mail`: an account's choice of missed-message mails
 * (mail/missed_mail.ts), on or off, and their language. Kept on the
 * account's row; offered only by a server with `--smtp-url`, as
 * `set_email`.
 */
import type { ChatNode } from "../node.ts";
import { fail, isFailure, type Outcome, succeed } from "../protocol/errors.ts";
import { missedMailState } from "../mail/mail_language.ts";
import { setMissedMailData } from "../protocol/schemas.ts";
import type { MissedMailState } from "../protocol/types.ts";
import { type MemberContext, parseData } from "./context.ts";
import { NO_MAIL } from "./email.ts";

/**
 * `set_missed_mail` `{"enabled"?, "language"?}`: the setting after, told
 * to the account's other connections too (`missed_mail`). Turned off, the
 * mails waiting are dropped.
 */
export async function setMissedMail(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const data = parseData(setMissedMailData, raw);
  if (isFailure(data)) return data;
  const { node } = ctx;
  const member = ctx.client.member;
  if (member.guest) {
    return fail("forbidden", "Guests get no mail: log in with an account.");
  }
  if (node.mail === undefined) return fail("forbidden", NO_MAIL);
  const setting = await node.store.setMissedMail(member.userKey, data);
  // A deleted account's sockets close with it: what was asked stands.
  const state = missedMailState(
    setting ??
      { enabled: data.enabled ?? true, language: data.language ?? null },
    node.mail,
  );
  return succeed(
    { ...state },
    () =>
      node.publish(
        { kind: "user", key: member.userKey },
        "missed_mail",
        state,
        {
          exceptConnection: member.id,
        },
      ),
  );
}

/** The account's setting as the login reply shows it. */
export async function missedMailStateOf(
  node: ChatNode,
  userKey: string,
): Promise<MissedMailState> {
  return missedMailState(
    await node.store.missedMailSetting(userKey) ??
      { enabled: true, language: null },
    node.mail,
  );
}
