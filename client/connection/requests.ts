/**
 * Requests and their replies: ids, waiting, timeouts, and the order in
 * which a frame's objects are handled. The server batches: one frame may
 * hold a reply and, behind it, events that happened after it answered
 * (docs/protocol.md, "Frames"). The code awaiting the reply (say, merging a
 * history page) must run before those events, as it would had they come in
 * frames of their own, or the page would undo an edit that followed it. So
 * after an object that answers a request, the rest of the frame waits for a
 * task of its own, once the requester's microtasks have run.
 */

import type { Envelope } from "../../server/protocol/types.ts";
import type { Clock, TimerId } from "../clock.ts";
import { t } from "../i18n.ts";
import { errorText } from "../error_text.ts";
import { type Fields, toErrorData } from "../wire.ts";
import { failure, type Result } from "./errors.ts";
import { type Replies, REPLY_CHECKS, REPLY_READS } from "./replies.ts";

/** Options of {@linkcode Requests}. */
export interface RequestsOptions {
  /** Sends one frame; false when no socket is open. */
  send(text: string): boolean;
  /** Whether a socket is open to send on. */
  isOpen(): boolean;
  /** How long a request waits for its reply, in ms. */
  timeoutMs: number;
  /** Timers. */
  clock: Clock;
  /** Handles an object that answers no request: a server event. */
  event(envelope: Envelope<Fields>): void;
  /**
   * Hears a checked success reply before its requester does, in the order
   * the frame holds it (the login reply's name is needed by the private
   * messages queued right behind it).
   */
  answered(action: string, data: Fields): void;
}

interface Waiter {
  action: string;
  check: (data: Fields) => boolean;
  /** What the requester takes of the reply once checked; the reply when none. */
  read?: (data: Fields) => Fields;
  timer: TimerId;
  resolve: (result: Result<unknown>) => void;
}

/** Matches replies to requests by id, and hands everything else on in order. */
export class Requests {
  #options: RequestsOptions;
  #waiters = new Map<string, Waiter>();
  #nextId = 0;
  /** Objects received and not dispatched yet, in the order the server sent them. */
  #inbox: Envelope<Fields>[] = [];
  /** True while the inbox waits for a reply's requester to run. */
  #paused = false;
  /**
   * Resumes the inbox in a task of its own: not a timer, which a background
   * tab throttles to once a second. Made on first use, closed by {@linkcode close}.
   */
  #resume: MessageChannel | null = null;

  constructor(options: RequestsOptions) {
    this.#options = options;
  }

  /** Sends a request and waits for its reply; never rejects. */
  request<A extends keyof Replies>(
    action: A,
    data: Fields = {},
  ): Promise<Result<Replies[A]>> {
    const read = REPLY_READS[action] as
      | ((data: Fields) => Fields)
      | undefined;
    return this.ask<Replies[A]>(action, data, REPLY_CHECKS[action], read);
  }

  /**
   * Sends a request whose success data must pass `check`, then is given
   * as `read` takes it (as it came without one); never rejects.
   */
  ask<T>(
    action: string,
    data: Fields,
    check: (data: Fields) => boolean,
    read?: (data: Fields) => Fields,
  ): Promise<Result<T>> {
    if (!this.#options.isOpen()) {
      return Promise.resolve(failure("offline", () => t("error.notConnected")));
    }
    this.#nextId++;
    const id = `c${this.#nextId}`;
    return new Promise((resolve) => {
      const timer = this.#options.clock.after(this.#options.timeoutMs, () => {
        this.#waiters.delete(id);
        resolve(failure("timeout", () => t("error.timeout")));
      });
      this.#waiters.set(id, {
        action,
        check,
        read,
        timer,
        resolve: (r) => resolve(r as Result<T>),
      });
      this.#options.send(JSON.stringify({ action, data, id }));
    });
  }

  /** Takes the objects of one frame, and handles them unless a reply's requester goes first. */
  receive(objects: Envelope<Fields>[]): void {
    for (const object of objects) this.#inbox.push(object);
    if (!this.#paused) this.#drain();
  }

  /** Handles everything received at once, without pausing (the socket is closing). */
  flush(): void {
    this.#drain(false);
  }

  /** Forgets what the lost socket still held, and fails the requests sent on it. */
  drop(): void {
    this.#inbox = [];
    for (const waiter of this.#waiters.values()) {
      this.#options.clock.cancel(waiter.timer);
      waiter.resolve(failure("offline", () => t("error.lost")));
    }
    this.#waiters.clear();
  }

  /** Lets go of the task channel (the connection stopped). */
  close(): void {
    this.#resume?.port1.close();
    this.#resume?.port2.close();
    this.#resume = null;
    this.#paused = false;
  }

  /** Dispatches what arrived, in order; after a reply, the rest waits for a task of its own. */
  #drain(pause = true): void {
    this.#paused = false;
    const inbox = this.#inbox;
    let next = 0;
    while (next < inbox.length) {
      const answered = this.#dispatchAlone(inbox[next++]);
      // The socket was dropped meanwhile: what it still held is not wanted.
      if (inbox !== this.#inbox) return;
      if (pause && answered && next < inbox.length) {
        this.#paused = true;
        this.#nextTask();
        break;
      }
    }
    inbox.splice(0, next);
  }

  #nextTask(): void {
    if (this.#resume === null) {
      this.#resume = new MessageChannel();
      this.#resume.port1.onmessage = () => this.#drain();
    }
    this.#resume.port2.postMessage(null);
  }

  /**
   * Dispatches one object, whatever its handling throws: thrown out of
   * {@linkcode Requests.#drain}, the error left the object at the head of
   * the inbox, so every later frame (messages, replies) waited behind it,
   * handled again and throwing again, and the page showed nothing more
   * until reloaded. Now that object alone is lost, and the error logged.
   */
  #dispatchAlone(envelope: Envelope<Fields>): boolean {
    try {
      return this.#dispatch(envelope);
    } catch (error) {
      console.error(`Could not handle '${envelope.action}':`, error);
      return false;
    }
  }

  /** Handles one object from the server; true when it answered a request. */
  #dispatch(envelope: Envelope<Fields>): boolean {
    if (
      envelope.id !== undefined &&
      (envelope.action === "success" || envelope.action === "error")
    ) {
      return this.#settle(
        envelope.id,
        envelope.action === "success",
        envelope.data ?? {},
      );
    }
    this.#options.event(envelope);
    return false;
  }

  /** Resolves the request with this id; false when nothing waits for it. */
  #settle(id: string, ok: boolean, data: Fields): boolean {
    const waiter = this.#waiters.get(id);
    if (!waiter) return false;
    this.#waiters.delete(id);
    this.#options.clock.cancel(waiter.timer);
    if (!ok) {
      const error = toErrorData(data, t("error.unexplained"));
      waiter.resolve(failure(error.code, () => errorText(error.code, data)));
    } else if (waiter.check(data)) {
      const taken = waiter.read?.(data) ?? data;
      this.#options.answered(waiter.action, taken);
      waiter.resolve({ ok: true, data: taken });
    } else {
      waiter.resolve(failure("invalid_message", () => t("error.unreadable")));
    }
    return true;
  }
}
