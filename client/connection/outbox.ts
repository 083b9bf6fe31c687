/**
 * Messages the user sent that the server has not confirmed. Each is shown at
 * once as pending, under a `client_id` made here; offline it waits in its
 * log and goes out after the session resumes. The server answers a
 * `client_id` it already stored with the stored message, so a message sent
 * twice across a reconnect is posted once.
 */

import type {
  Attachment,
  ChatMessage,
  PrivateMessage,
  ReplyQuote,
} from "../../server/protocol/types.ts";
import * as actions from "../actions.ts";
import * as teamActions from "../team/actions.ts";
import { t } from "../i18n.ts";
import type { PendingMessage } from "../room_log.ts";
import { type AppState, dmKey, entry, roomKey, roomTitle } from "../state.ts";
import type { Fields } from "../wire.ts";
import { errorWords, type RequestError } from "./errors.ts";
import type { Requests } from "./requests.ts";

/** What the {@linkcode Outbox} works with. */
export interface OutboxOptions {
  /** Sends requests. */
  requests: Requests;
  /** Whether the session is logged in and online (not resuming). */
  ready(): boolean;
  /** A room message the server confirmed. */
  confirmed(message: ChatMessage): void;
  /** A private message the server confirmed. */
  confirmedPrivate(message: PrivateMessage): void;
  /** A message is about to go to the log `key` (stops the typing throttle there). */
  sending(key: string): void;
}

/** Pending messages by `client_id`, sent now or after the next resume. */
export class Outbox {
  #state: AppState;
  #options: OutboxOptions;

  constructor(state: AppState, options: OutboxOptions) {
    this.#state = state;
    this.#options = options;
  }

  /** Shows a room message at once as pending and sends it; the server's copy replaces it. */
  sendMessage(text: string, attachments: Attachment[] = []): void {
    const state = this.#state;
    const user = state.username.value;
    if (user === null) return;
    const key = roomKey(state.currentRoom.value);
    this.#options.sending(key);
    void this.#queue({
      clientId: newClientId(),
      room: state.currentRoom.value,
      user,
      text,
      attachments: attachments.length > 0 ? attachments : undefined,
      replyTo: this.#takeReply(key),
      ts: new Date().toISOString(),
      status: "pending",
    });
  }

  /**
   * Sends a private message, shown at once in its conversation as pending.
   * Resolves to the server's refusal, or null (sent, or waiting offline).
   */
  sendPrivate(
    to: string,
    text: string,
    attachments: Attachment[] = [],
  ): Promise<RequestError | null> {
    const user = this.#state.username.value;
    const name = to.trim().replace(/^@/, "");
    if (user === null || name === "") return Promise.resolve(null);
    this.#options.sending(dmKey(name));
    return this.#queue({
      clientId: newClientId(),
      room: dmKey(name),
      to: name,
      user,
      text,
      attachments: attachments.length > 0 ? attachments : undefined,
      replyTo: this.#takeReply(dmKey(name)),
      ts: new Date().toISOString(),
      status: "pending",
    });
  }

  /** Sends a failed message again with the same client_id, so it cannot be posted twice. */
  retry(pending: PendingMessage): void {
    actions.pendingChanged(this.#state, {
      room: pending.room,
      clientId: pending.clientId,
      status: "pending",
    });
    if (this.#options.ready()) void this.#deliver(pending);
  }

  /**
   * Sends what waited while offline (after a resume). A room message is
   * only sent to the room it was written in: one left meanwhile fails.
   */
  flush(): void {
    const state = this.#state;
    const current = roomKey(state.currentRoom.value);
    for (const log of Object.values(state.logs.value)) {
      for (const pending of log.pending) {
        if (pending.status !== "pending") continue;
        if (pending.to !== undefined || roomKey(pending.room) === current) {
          void this.#deliver(pending);
        } else {
          actions.pendingChanged(state, {
            room: pending.room,
            clientId: pending.clientId,
            status: "failed",
            error: () =>
              t("error.notInRoom", { room: roomTitle(state, pending.room) }),
          });
        }
      }
    }
  }

  /** The message the composer of log `key` answers, as a quote; the composer lets go of it. */
  #takeReply(key: string): ReplyQuote | undefined {
    const message = entry(this.#state.team.replyTo.value, key);
    if (!message) return undefined;
    teamActions.replyChosen(this.#state, key, null);
    const { id, seq, user, text, badge } = message;
    return badge ? { id, seq, user, text, badge } : { id, seq, user, text };
  }

  /** Shows a message as pending and sends it when the session is ready; resolves to the refusal. */
  #queue(pending: PendingMessage): Promise<RequestError | null> {
    actions.pendingAdded(this.#state, pending);
    // Offline, it waits in the log and goes out after the session resumes.
    return this.#options.ready()
      ? this.#deliver(pending)
      : Promise.resolve(null);
  }

  /**
   * Says under a sent message that the accounts it @mentions outside its
   * room were not notified, and offers to invite them (the line's button,
   * for accounts: the `invite` action's rule), as Slack does.
   */
  #notMembers(pending: PendingMessage, users: string[]): void {
    const state = this.#state;
    const room = roomTitle(state, pending.room);
    actions.noticeAdded(state, {
      room: pending.room,
      kind: "info",
      text: () =>
        users.length === 1
          ? t("mention.notMember", { user: users[0], room })
          : t("mention.notMembers", { users: users.join(", "), room }),
      invite: { room: pending.room, users },
    });
  }

  async #deliver(pending: PendingMessage): Promise<RequestError | null> {
    const { requests } = this.#options;
    let error: RequestError | null = null;
    const files: Fields = pending.attachments
      ? { attachments: pending.attachments.map((a) => ({ url: a.url })) }
      : {};
    if (pending.replyTo) files.reply_to = pending.replyTo.id;
    if (pending.to === undefined) {
      const result = await requests.request("send_message", {
        text: pending.text,
        client_id: pending.clientId,
        ...files,
      });
      if (result.ok) {
        this.#options.confirmed(result.data.message);
        const outside = result.data.not_members;
        if (outside && outside.length > 0) this.#notMembers(pending, outside);
      } else error = result.error;
    } else {
      const result = await requests.request("private_message", {
        to: pending.to,
        text: pending.text,
        client_id: pending.clientId,
        ...files,
      });
      if (result.ok) this.#options.confirmedPrivate(result.data.message);
      else error = result.error;
    }
    // Offline: it stays pending and goes out after the resume.
    if (error && error.code !== "offline") {
      actions.pendingChanged(this.#state, {
        room: pending.room,
        clientId: pending.clientId,
        status: "failed",
        error: errorWords(error),
      });
      return error;
    }
    return null;
  }
}

/** crypto.randomUUID exists only in secure contexts; a LAN server on plain http is not one. */
function newClientId(): string {
  if (typeof crypto.randomUUID === "function") {
    return crypto.randomUUID();
  }
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
