/**
 * "Forgot password?" (`POST /api/forgot-password`): someone at the login
 * page gives an account's name or an email address, and when the account
 * (or each account, at most five, whose VERIFIED address it is) has a
 * verified address, it is mailed a password reset link: the admin's
 * mechanism (accounts/password_reset.ts), valid an hour
 * (MAILED_RESET_MS).
 *
 * The answer says nothing of the account: whether it exists, has an
 * address, or was mailed. So the request is accepted (202) before
 * anything is looked up, and the work starts once the answer has left
 * and a turn more (on the same thread, a commit's fsync and an SMTP
 * exchange started with it delayed a found account's answers: 27.7 ms at
 * the median against 10.0 for an unknown name; after, 5.6 against 5.0,
 * the server in its own process, load 15), on the accounts' tracker
 * (close waits for it). What can refuse a request
 * depends on the asker alone: its body, its address's budget (5 at once,
 * then one every 10 minutes; loopback not counted, as every per-address
 * limit), and this node's requests under way (32). The mailbox's budget,
 * which every mail to it takes (mail_pace.ts: 5 at once, then one every
 * 20 minutes, verification links and missed-message mails included), is
 * spent silently: past it nothing is mailed, and the answer is the same.
 */
import { auditEntry, SERVER_ACTOR } from "../handlers/audit.ts";
import { log } from "../log.ts";
import type { ChatNode } from "../node.ts";
import { fail, type Failure, isFailure } from "../protocol/errors.ts";
import { nameKey } from "../protocol/names.ts";
import { MAILED_RESET_MS, resetLinkPath } from "../accounts/password_reset.ts";
import { giveMailbox, takeAsk, takeMailbox } from "./mail_pace.ts";
import type { MailSettings } from "./mailer.ts";
import { type MailLang, resetMail } from "./password_mail.ts";

const logger = log("mail");

/** Accounts mailed for one address at most (addresses are not unique). */
export const ACCOUNTS_AN_ADDRESS = 5;

/** Requests whose look-up and mail are under way on a node, at most. */
export const FORGOT_UNDERWAY_MAX = 32;

/** The refusal of a server without `--smtp-url`. */
export const NO_RESET_MAIL =
  "This server sends no email: ask an admin for a password reset link.";

/** One request, as the route read it. */
export interface ForgotRequest {
  /** An account's name, or an address (it has `@`). */
  account: string;
  lang: MailLang;
  /** The asker's address, for its budget and the audit log. */
  address: string;
  /**
   * Resolves once the answer has left (http_server.ts): the work starts
   * then, so that none of it delays the answer.
   */
  answered: Promise<void>;
}

/** The "Forgot password?" of one node. */
export class ForgotPassword {
  #node: ChatNode;
  #mail: MailSettings;
  #underway = new Set<Promise<void>>();

  constructor(node: ChatNode, mail: MailSettings) {
    this.#node = node;
    this.#mail = mail;
  }

  /**
   * Takes a request: undefined when accepted (its work goes on after),
   * or `rate_limited` for the asker's address or a busy node; the same
   * whatever account it names.
   */
  ask(request: ForgotRequest): Promise<Failure | undefined> {
    const wait = takeAsk(
      this.#node.addressLimits,
      "forgot_password",
      request.address,
    );
    if (wait > 0) {
      return Promise.resolve(fail(
        "rate_limited",
        `Too many password reset requests from your address: try again in ${
          Math.ceil(wait / 1000)
        } s.`,
        { retry_after_ms: wait },
      ));
    }
    if (this.#underway.size >= FORGOT_UNDERWAY_MAX) {
      return Promise.resolve(fail(
        "rate_limited",
        "The server is busy sending password reset mails: try again in a minute.",
        { retry_after_ms: 60_000 },
      ));
    }
    const work: Promise<void> = this.#node.accounts.track(
      request.answered.then(nextTurn).then(() => this.#mailLinks(request))
        .catch((error) => {
          logger.warn("A password reset request failed: {error}", { error });
        }).finally(() => this.#underway.delete(work)),
    );
    this.#underway.add(work);
    return Promise.resolve(undefined);
  }

  /** Resolves once the requests under way now have ended (tests wait for it). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.#underway]);
  }

  async #mailLinks(request: ForgotRequest): Promise<void> {
    const byAddress = request.account.includes("@");
    const store = this.#node.store;
    const keys = byAddress
      ? await store.verifiedEmailAccounts(request.account, ACCOUNTS_AN_ADDRESS)
      : [nameKey(request.account)];
    for (const key of keys) {
      await this.#mailOne(key, request, byAddress);
    }
  }

  async #mailOne(
    key: string,
    request: ForgotRequest,
    byAddress: boolean,
  ): Promise<void> {
    const store = this.#node.store;
    const account = await store.findAccount(key);
    // A bot has no password (password_reset.ts refuses it too).
    if (account === undefined || account.bot) return;
    const email = await store.emailOf(key);
    // Only an address its owner proved to read: a typed one may be anyone's.
    if (email === undefined || !email.verified) return;
    const limits = this.#node.addressLimits;
    if (takeMailbox(limits, email.address) > 0) {
      logger.info("No reset mailed to {user}: its mailbox's budget is spent", {
        user: account.username,
      });
      return;
    }
    const reset = await this.#node.accounts.createPasswordReset(
      account,
      auditEntry(SERVER_ACTOR, request.address, {
        action: "forgot_password",
        target: account.username,
        details: { asked_with: byAddress ? "email" : "name" },
      }),
      MAILED_RESET_MS,
    );
    if (isFailure(reset)) {
      giveMailbox(limits, email.address);
      return;
    }
    try {
      await this.#mail.mailer.send(resetMail({
        to: email.address,
        username: account.username,
        link: `${this.#mail.publicUrl}${resetLinkPath(reset.token)}`,
        minutes: MAILED_RESET_MS / 60_000,
        lang: request.lang,
      }));
    } catch (error) {
      // The SMTP server's answer may name the address: logged, not told.
      // The link, unsent, expires within the hour.
      logger.warn("A password reset mail was not sent: {error}", { error });
    }
  }
}

// A macrotask later: node:http's "finish" comes as the answer is handed
// to the socket, whose write the runtime completes at its next turn.
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

// One per node: its buckets and the requests under way.
const perNode = new WeakMap<ChatNode, ForgotPassword>();

/** The "Forgot password?" of `node`; none without `--smtp-url`. */
export function forgotPassword(node: ChatNode): ForgotPassword | undefined {
  if (node.mail === undefined) return undefined;
  let found = perNode.get(node);
  if (found === undefined) {
    found = new ForgotPassword(node, node.mail);
    perNode.set(node, found);
  }
  return found;
}
