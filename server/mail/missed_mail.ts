/**
 * Missed-message mails (Zulip's "missed message emails"): an account away
 * (no page watching: offline, or every page hidden) when a private message
 * or a mention its settings would push reaches it gets one mail, a delay
 * later (`--missed-mail-delay`), of what it missed in that window: the
 * messages are queued in the store, one mail an account, and the sweep of
 * reminders (reminders.ts) claims each mail due under a lease, so of
 * several nodes one sends it. At the send the mail is written by the rules
 * of now: a message read meanwhile (read state, on any device), deleted,
 * no longer the account's to read, or by someone it has ignored since is
 * left out, and nothing is sent when the account is watching again (back,
 * it sees its unread counts), has no verified address any more, turned the
 * mails off, or is banned.
 *
 * Only to a verified address, only on a server with `--smtp-url`. Each
 * mail carries a signed unsubscribe link (mail/unsubscribe.ts), and is in
 * the account's language (`set_missed_mail`), text and HTML, the messages'
 * text escaped.
 *
 * What it costs a message: nothing for one that names nobody; for a
 * mention or a private message, one presence read and one store read of
 * those named (most have no verified address: done), then for each away
 * with the mails on the probes a push makes and one write. An `@room`
 * mails nobody: its push pages through the whole room, and a mail a
 * member of a large room for every `@room` would be a flood (Zulip's
 * wildcard mentions are off in mails by default for large streams).
 */
import { html } from "hono/html";
import { mayReadRecord } from "../access.ts";
import { readable } from "../handlers/message_updates.ts";
import { log } from "../log.ts";
import { HERE_MENTION_KEY, mentionKeys } from "../mentions.ts";
import type { ChatNode } from "../node.ts";
import { type Notice, reaches } from "../notify_rule.ts";
import { nameKey } from "../protocol/names.ts";
import type {
  ChatMessage,
  MissedMailState,
  PrivateMessage,
} from "../protocol/types.ts";
import {
  conversationKey,
  conversationUsers,
  type DueMissedMail,
} from "../store/mod.ts";
import { missedMailState } from "./mail_language.ts";
import { giveMailbox, takeMailbox } from "./mail_pace.ts";
import type { Mail, MailSettings } from "./mailer.ts";
import { unsubscribeLink } from "./unsubscribe.ts";

const logger = log("mail");

/** Messages one account's mail holds at most; past them, counted and told. */
export const MISSED_MAX = 50;

/** Longest text of one message in a mail, in characters. */
const TEXT_MAX = 1000;

/** A mail claimed by the sweep, with what it read and so clears. */
export interface ClaimedMissedMail extends DueMissedMail {
  /** The queued messages' ids the send read: cleared once it is done. */
  read?: string[];
  /** How many past those the send read (and told): taken from the count. */
  told?: number;
  /**
   * Set when the mailbox's budget was spent (mail_pace.ts): nothing sent,
   * nothing cleared, the mail due again after this many ms.
   */
  postponedMs?: number;
}

/** One message as a mail shows it. */
interface MailedMessage {
  /** Its room's key or conversation's key: the mail's thread is by it. */
  stream: string;
  sender: string;
  /** The room's name; absent for a private message. */
  room?: string;
  text: string;
  link: string;
}

/** Queues and sends the missed-message mails of a node with mail. */
export class MissedMail {
  #node: ChatNode;
  #mail: MailSettings;
  #delayMs: number;
  #running = new Set<Promise<void>>();

  constructor(
    node: ChatNode,
    mail: MailSettings,
    options: { delayMs: number },
  ) {
    this.#node = node;
    this.#mail = mail;
    this.#delayMs = options.delayMs;
  }

  /**
   * A room message was stored: the members it names or whose `@group` it
   * notifies, away, get it queued (the probes of a mention's push). Its
   * `@here` named members online, most watching; `@room` mails nobody.
   */
  roomMessage(
    room: { key: string; name: string },
    message: ChatMessage,
    authorKey: string,
    notified: { groups?: readonly string[] } = {},
  ): void {
    const keys = mentionKeys(
      message.text,
      authorKey,
      false,
      undefined,
      notified.groups,
    ).filter((key) => key !== HERE_MENTION_KEY && key !== authorKey);
    this.mentioned(room, message, authorKey, keys);
  }

  /**
   * The accounts `keys` a room message mentions, away, get it queued, if
   * a mention's push would reach them: by roomMessage for a message
   * stored, by an edit for those it newly names (handlers/edit_mentions.ts).
   */
  mentioned(
    room: { key: string },
    message: { id: string },
    authorKey: string,
    keys: readonly string[],
  ): void {
    if (keys.length === 0) return;
    this.#queue(keys, message.id, room.key, {
      kind: "mention",
      roomKey: room.key,
      authorKey,
    });
  }

  /** A private message was stored: its recipient, away, gets it queued. */
  privateMessage(toKey: string, fromKey: string, message: PrivateMessage) {
    if (toKey === fromKey) return;
    const stream = conversationKey(toKey, fromKey);
    this.#queue([toKey], message.id, stream, { kind: "private", stream });
  }

  // Those of `keys` with the mails on and a verified address (one read),
  // not watching now (presence, as a push: the moment the message was
  // stored), whom `notice` reaches by a push's rule (notify_rule.ts: not
  // banned, their choices, not paused): the message queued for each.
  #queue(
    keys: readonly string[],
    id: string,
    stream: string,
    notice: Notice,
  ): void {
    const node = this.#node;
    const run = (async () => {
      const watching = await node.presence.watchingAmong(keys);
      const away = keys.filter((key) => !watching.has(key));
      if (away.length === 0) return;
      for (const key of await node.store.missedMailTargets(away)) {
        const now = Date.now();
        if (!await reaches(node.store, key, notice, now)) continue;
        await node.store.queueMissed(
          key,
          { id, stream, at: now },
          now + this.#delayMs,
          MISSED_MAX,
        );
      }
    })().catch((error) =>
      logger.error("A missed message was not queued: {error}", { error })
    ).finally(() => this.#running.delete(run));
    this.#running.add(run);
  }

  /**
   * Sends a claimed mail (the sweep's job): what is still unread and
   * readable of its messages, unless there is no one to send it to. Throws
   * when the SMTP server refuses it: the claim is tried again once its
   * lease runs out.
   */
  async send(due: ClaimedMissedMail): Promise<void> {
    const { store } = this.#node;
    const queued = await store.missedMessages(due.userKey);
    due.read = queued.map((missed) => missed.id);
    const more = await store.missedMore(due.userKey);
    due.told = more;
    const account = await store.findAccount(due.userKey);
    if (!account || await store.findBan({ userKey: account.key })) return;
    const address = await store.emailOf(account.key);
    const setting = await store.missedMailSetting(account.key);
    if (!address?.verified || !setting?.enabled) return;
    // Back (a page watching): it sees its unread counts, no mail needed.
    const watching = await this.#node.presence.watchingAmong([account.key]);
    if (watching.has(account.key)) return;
    const reader = { userKey: account.key, since: account.createdAt };
    const shown: MailedMessage[] = [];
    for (const missed of queued) {
      const record = await store.findMessage(missed.id);
      if (!record || record.message.deleted) continue;
      if (!await mayReadRecord(this.#node, reader, record)) continue;
      // Ignored since it was queued: it no longer reaches the account (no
      // push, no count), so not its mailbox either. A read a message.
      if (await store.isIgnoring(account.key, record.userKey)) continue;
      const state = await store.readState(account.key, record.stream);
      if (state.lastReadSeq >= record.message.seq) continue;
      const message = readable(this.#node, record.stream, record.message);
      shown.push({
        stream: record.stream,
        sender: message.user,
        ...("room" in message ? { room: message.room } : {}),
        text: message.text.length > TEXT_MAX
          ? `${message.text.slice(0, TEXT_MAX)}…`
          : message.text,
        link: this.#messageLink(account.username, record.stream, message),
      });
    }
    if (shown.length === 0) return;
    // The mailbox's pace, which every mail to it takes: past it the mail
    // waits, its messages kept and those coming meanwhile added (up to
    // MISSED_MAX), rather than being dropped.
    const limits = this.#node.addressLimits;
    const wait = takeMailbox(limits, address.address);
    if (wait > 0) {
      due.read = [];
      due.told = 0;
      due.postponedMs = wait;
      return;
    }
    const unsubscribe = await unsubscribeLink(this.#node, account);
    try {
      await this.#mail.mailer.send(
        await missedMail({
          to: address.address,
          username: account.username,
          messages: shown,
          more,
          threads: await threadIds(account, shown, this.#mail.publicUrl),
          setting: missedMailState(setting, this.#mail),
          publicUrl: this.#mail.publicUrl,
          unsubscribe,
        }),
      );
    } catch (error) {
      giveMailbox(limits, address.address);
      throw error;
    }
  }

  /**
   * Clears what a send read, the rest (queued meanwhile) due again; all of
   * it, when the mailbox's pace postponed it, once the pace allows.
   */
  confirm(due: ClaimedMissedMail): Promise<void> {
    return this.#node.store.confirmMissedMail(
      due.userKey,
      due.read ?? [],
      Date.now() + (due.postponedMs ?? this.#delayMs),
      due.told ?? 0,
    );
  }

  // The message's link as client/message_link.ts reads it.
  #messageLink(
    username: string,
    stream: string,
    message: { seq: number; user: string; room?: string },
  ): string {
    const base = this.#mail.publicUrl;
    if (conversationUsers(stream) === undefined && message.room !== undefined) {
      return `${base}/#/room/${
        encodeURIComponent(message.room)
      }/${message.seq}`;
    }
    const other = nameKey(message.user) === nameKey(username)
      ? username
      : message.user;
    return `${base}/#/dm/${encodeURIComponent(username)}/${
      encodeURIComponent(other)
    }/${message.seq}`;
  }

  /** Waits for the queueing under way (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.all([...this.#running]);
  }
}

/**
 * A mail's place in its reader's mail client (RFC 5322's Message-ID,
 * In-Reply-To, References, as GitHub's notifications and Zulip's missed
 * message mails thread): each room or conversation a thread of its own
 * per account, its id stable across mails (a hash of the account, its
 * creation time and the stream: opaque, so no header names a private room
 * or a person, and an account deleted and registered again starts anew).
 * The thread's root is never itself mailed: a client files the mails
 * under it, as replies to one message it has not seen.
 */
export interface MailThreads {
  /** This mail's own id, `<...@host>`, new each mail. */
  messageId: string;
  /** The thread id of each room or conversation the mail is about, in order. */
  parents: string[];
}

async function threadIds(
  account: { key: string; createdAt: number },
  shown: readonly MailedMessage[],
  publicUrl: string,
): Promise<MailThreads> {
  const host = new URL(publicUrl).hostname;
  const streams = [...new Set(shown.map((m) => m.stream))];
  const parents = await Promise.all(streams.map(async (stream) => {
    const digest = await crypto.subtle.digest(
      "SHA-256",
      new TextEncoder().encode(
        JSON.stringify([account.key, account.createdAt, stream]),
      ),
    );
    const hex = [...new Uint8Array(digest).slice(0, 16)]
      .map((b) => b.toString(16).padStart(2, "0")).join("");
    return `<missed.${hex}@${host}>`;
  }));
  return {
    messageId: `<missed.${Date.now()}.${crypto.randomUUID()}@${host}>`,
    parents,
  };
}

const WORDS = {
  en: {
    // The same subject for every mail of a thread: a mail client (Gmail)
    // threads only mails whose subjects agree, so the count is in the
    // lead, not here.
    subject: (about?: { room?: string; sender: string }) =>
      about === undefined
        ? "Messages you missed"
        : about.room === undefined
        ? `Messages you missed from ${about.sender}`
        : `Messages you missed in #${about.room}`,
    lead: (name: string, n: number) =>
      `Hello ${name}, while you were away you got ${
        n === 1 ? "this message" : `these ${n} messages`
      }:`,
    more: (n: number) =>
      n === 1
        ? `And 1 more message, past the ${MISSED_MAX} a mail holds:`
        : `And ${n} more messages, past the ${MISSED_MAX} a mail holds:`,
    direct: "direct message",
    open: "Open it",
    why:
      "You get this mail because you were away when these messages reached you.",
    stop: "Stop these mails:",
  },
  fr: {
    subject: (about?: { room?: string; sender: string }) =>
      about === undefined
        ? "Messages manqués"
        : about.room === undefined
        ? `Messages manqués de ${about.sender}`
        : `Messages manqués dans #${about.room}`,
    lead: (name: string, n: number) =>
      `Bonjour ${name}, pendant votre absence vous avez reçu ${
        n === 1 ? "ce message" : `ces ${n} messages`
      } :`,
    more: (n: number) =>
      n === 1
        ? `Et 1 autre message, au-delà des ${MISSED_MAX} qu’un courriel contient :`
        : `Et ${n} autres messages, au-delà des ${MISSED_MAX} qu’un courriel contient :`,
    direct: "message privé",
    open: "L’ouvrir",
    why:
      "Vous recevez ce courriel car vous étiez absent quand ces messages vous sont parvenus.",
    stop: "Ne plus recevoir ces courriels :",
  },
};

/**
 * The mail of missed messages, in the account's language: text and HTML
 * (every text from people escaped), with RFC 8058's one-click unsubscribe,
 * threaded by room or conversation ({@link MailThreads}), and the number
 * of messages past those it holds (`more`), with a link to the last one
 * shown (its room's, when the mail is about one: the rest follow it there;
 * else the server's page).
 */
export async function missedMail(options: {
  to: string;
  username: string;
  messages: readonly MailedMessage[];
  more?: number;
  threads?: MailThreads;
  setting: MissedMailState;
  publicUrl: string;
  unsubscribe: string;
}): Promise<Mail> {
  const words = WORDS[options.setting.language];
  const where = (m: MailedMessage) =>
    m.room === undefined
      ? `${m.sender} (${words.direct})`
      : `${m.sender} #${m.room}`;
  const messages = options.messages;
  const oneStream = new Set(messages.map((m) => m.stream)).size === 1;
  const more = options.more ?? 0;
  const moreLink = oneStream
    ? messages[messages.length - 1].link
    : `${options.publicUrl}/`;
  const text = [
    words.lead(options.username, messages.length),
    "",
    ...messages.flatMap((m) => [
      `${where(m)}:`,
      m.text,
      m.link,
      "",
    ]),
    ...(more > 0 ? [words.more(more), moreLink, ""] : []),
    words.why,
    `${words.stop} ${options.unsubscribe}`,
  ].join("\n");
  const body = html`
    <!doctype html>
    <html lang="${options.setting.language}">
      <body>
    <p>${words.lead(options.username, messages.length)}</p>
    ${messages.map((m) =>
      html`
        <div style="margin:1em 0"><strong>${where(m)}</strong>
        <div style="white-space:pre-wrap">${m.text}</div>
        <a href="${m.link}">${words.open}</a></div>
      `
    )}${more > 0
      ? html`<p><a href="${moreLink}">${words.more(more)}</a></p>`
      : ""}<p style="color:#666">${words.why}<br>
    <a href="${options.unsubscribe}">${words.stop}</a></p>
      </body>
    </html>
  `;
  const threads = options.threads;
  return {
    to: options.to,
    subject: words.subject(oneStream ? messages[0] : undefined),
    text,
    html: String(await body),
    headers: {
      "List-Unsubscribe": `<${options.unsubscribe}>`,
      "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    },
    ...(threads === undefined ? {} : {
      messageId: threads.messageId,
      inReplyTo: threads.parents.join(" "),
      references: threads.parents,
    }),
  };
}
