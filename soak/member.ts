/**
 * A soak client with an account: what a team's member does all day, not
 * only room messages. It registers once (its own address, through
 * `X-Forwarded-For` on a `--trust-proxy` server, since registrations are
 * counted per address), then on each tick sends to its room (now and then
 * as a reply), writes privately to another member, reacts, edits one of
 * its own messages, marks its room read, lists its conversations,
 * searches, reads back, switches rooms or comes back with its session
 * token. Each of those keeps state on the server (memberships, read marks,
 * conversations, reactions, search's index), which a guests-only soak
 * never grows.
 */
import { withTimeout } from "../bench/proc.ts";
import {
  type ServerFrame,
  SoakSocket,
  type SoakSocketOptions,
} from "./socket.ts";

/** Counters shared by every member. */
export interface MemberTotals {
  /** Acknowledged requests, by action. */
  acked: Map<string, number>;
  /** Room messages sent and acknowledged (counted again at the end). */
  roomSent: number;
  roomAcked: number;
  /** Private messages sent and acknowledged. */
  privateSent: number;
  privateAcked: number;
  delivered: number;
  reconnects: number;
  /** Sockets that closed without the member asking. */
  dropped: number;
  errors: Map<string, number>;
}

export function memberTotals(): MemberTotals {
  return {
    acked: new Map(),
    roomSent: 0,
    roomAcked: 0,
    privateSent: 0,
    privateAcked: 0,
    delivered: 0,
    reconnects: 0,
    dropped: 0,
    errors: new Map(),
  };
}

/** What a member does on a tick, as cumulative chances (the rest: a message). */
const MIX: [string, number][] = [
  ["reconnect", 0.02],
  ["switch", 0.05],
  ["private", 0.15],
  ["react", 0.1],
  ["edit", 0.05],
  ["mark_read", 0.08],
  ["list_conversations", 0.03],
  ["search", 0.03],
  ["history", 0.04],
];

/** Words the messages are made of, so searches find something. */
const WORDS = [
  "deploy",
  "review",
  "lunch",
  "release",
  "bug",
  "meeting",
  "café",
  "déploiement",
  "test",
  "design",
];

const EMOJI = ["👍", "🎉", "👀", "❤️"];

/** A name for member `i` (also its password's seed). */
export function memberName(i: number): string {
  return `m${i}`;
}

/** Member `i`'s own address, as its proxy would say it. */
function memberAddress(i: number): string {
  return `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
}

/** One member with an account; see the module's comment. */
export class SoakMember extends SoakSocket {
  #members: number;
  #totals: MemberTotals;
  #token?: string;
  #next = 1;
  #room = "general";
  /** Ids of recent messages of the current room (for replies, reactions). */
  #recent: string[] = [];
  /** Ids of its own recent room messages (for edits). */
  #own: string[] = [];
  #lastSeq = 0;
  #waiting = new Map<string, (frame: Record<string, unknown>) => void>();
  #asked = 0;

  constructor(
    index: number,
    options: SoakSocketOptions & {
      totals: MemberTotals;
      /** How many members there are (private messages go to one of them). */
      members: number;
    },
  ) {
    super(index, options);
    this.#members = options.members;
    this.#totals = options.totals;
  }

  /**
   * Connects and registers (first time) or comes back with its session
   * token, then joins its room; resolves once in.
   */
  async connect(): Promise<void> {
    this.#waiting.clear();
    await this.openSocket({
      // The member's own address.
      headers: { "X-Forwarded-For": memberAddress(this.index) },
      onFrame: (frame) => this.#frame(frame),
      onClose: () => {
        for (const resolve of this.#waiting.values()) {
          resolve({ closed: true });
        }
        this.#waiting.clear();
      },
    });
    const name = memberName(this.index);
    const reply = this.#token === undefined
      ? await this.ask("register", {
        username: name,
        password: `pw-${name}-soak`,
      })
      : await this.ask("login", { token: this.#token });
    if (reply.action !== "success") {
      throw new Error(`login: ${errorCode(reply)}`);
    }
    const data = reply.data as { token?: string; room: string };
    this.#token = data.token ?? this.#token;
    this.#room = data.room;
    const room = this.rooms[this.index % this.rooms.length];
    if (room.toLowerCase() !== this.#room.toLowerCase()) {
      await this.#enter(room);
    }
  }

  /** Sends a request and resolves with its answer (or `{closed}`). */
  ask(
    action: string,
    data: Record<string, unknown>,
  ): Promise<Record<string, unknown>> {
    if (!this.open) return Promise.resolve({ closed: true });
    const id = `r${++this.#asked}`;
    const answer = new Promise<Record<string, unknown>>((resolve) =>
      this.#waiting.set(id, resolve)
    );
    this.send({ action, data, id });
    return withTimeout(answer, 30_000, action);
  }

  #frame(frame: ServerFrame): void {
    const id = frame.id;
    if (id !== undefined && this.#waiting.has(id)) {
      this.#waiting.get(id)!(frame);
      this.#waiting.delete(id);
    }
    if (frame.action === "receive_message") {
      this.#totals.delivered++;
      const message = frame.data as { id: string; seq: number; room: string };
      if (message.room.toLowerCase() === this.#room.toLowerCase()) {
        this.#remember(message.id, message.seq);
      }
    } else if (frame.action === "private_message") {
      this.#totals.delivered++;
    } else if (frame.action === "error") {
      count(this.#totals.errors, errorCode(frame));
    } else if (frame.action === "success") {
      count(this.#totals.acked, String(frame.data?.request));
    }
  }

  #remember(id: string, seq: number): void {
    this.#recent.push(id);
    if (this.#recent.length > 20) this.#recent.shift();
    this.#lastSeq = Math.max(this.#lastSeq, seq);
  }

  async #enter(room: string): Promise<void> {
    const reply = await this.ask(
      room === "general" ? "leave_room" : "join_room",
      room === "general" ? {} : { room },
    );
    if (reply.action !== "success") return;
    this.#room = room;
    this.#recent = [];
    this.#own = [];
    this.#lastSeq = 0;
    const history = (reply.data as { history: { id: string; seq: number }[] })
      .history;
    for (const m of history) this.#remember(m.id, m.seq);
  }

  protected async act(): Promise<void> {
    const what = pick(Math.random());
    const words = () =>
      Array.from(
        { length: 4 },
        () => WORDS[Math.floor(Math.random() * WORDS.length)],
      ).join(" ");
    switch (what) {
      case "reconnect":
        await this.reconnect();
        return;
      case "switch": {
        const others = this.rooms.filter((r) => r !== this.#room);
        await this.#enter(others[Math.floor(Math.random() * others.length)]);
        return;
      }
      case "private": {
        if (this.#members < 2) return;
        let to = Math.floor(Math.random() * (this.#members - 1));
        if (to >= this.index) to++;
        this.#totals.privateSent++;
        const reply = await this.ask("private_message", {
          to: memberName(to),
          text: `${words()} (private ${this.#next++})`,
          client_id: `p${this.index}-${this.#next}`,
        });
        if (reply.action === "success") this.#totals.privateAcked++;
        return;
      }
      case "react": {
        const id = sample(this.#recent);
        if (id === undefined) break;
        await this.ask("react", {
          id,
          emoji: sample(EMOJI),
          on: Math.random() < 0.7,
        });
        return;
      }
      case "edit": {
        const id = sample(this.#own);
        if (id === undefined) break;
        await this.ask("edit_message", { id, text: `${words()} (edited)` });
        return;
      }
      case "mark_read":
        if (this.#lastSeq === 0) break;
        await this.ask("mark_read", { room: this.#room, seq: this.#lastSeq });
        return;
      case "list_conversations":
        await this.ask("list_conversations", {});
        return;
      case "search":
        await this.ask("search", { query: sample(WORDS)! });
        return;
      case "history":
        if (this.#lastSeq <= 1) break;
        await this.ask("history", {
          room: this.#room,
          before_seq: 1 + Math.floor(Math.random() * this.#lastSeq),
          limit: 50,
        });
        return;
    }
    // A message to its room, one in five answering a recent one.
    const n = this.#next++;
    const replyTo = Math.random() < 0.2 ? sample(this.#recent) : undefined;
    this.#totals.roomSent++;
    const reply = await this.ask("send_message", {
      text: `${words()} (${n} from ${memberName(this.index)})`,
      client_id: `r${this.index}-${n}`,
      ...(replyTo === undefined ? {} : { reply_to: replyTo }),
    });
    if (reply.action === "success") {
      this.#totals.roomAcked++;
      const message = (reply.data as { message: { id: string; seq: number } })
        .message;
      this.#own.push(message.id);
      if (this.#own.length > 10) this.#own.shift();
      this.#remember(message.id, message.seq);
    }
  }
}

/**
 * Private messages stored, from the members' own lists: each conversation's
 * `last_seq` is how many it holds (seqs have no gaps), and both of its
 * members list it, so the sum is twice the number stored.
 */
export async function storedPrivate(members: SoakMember[]): Promise<number> {
  let twice = 0;
  for (const member of members) {
    let before: string | undefined;
    for (;;) {
      const reply = await member.ask("list_conversations", {
        limit: 100,
        ...(before === undefined ? {} : { before }),
      });
      if (reply.action !== "success") {
        throw new Error(
          `list_conversations of ${memberName(member.index)}: ${
            errorCode(reply)
          }`,
        );
      }
      const data = reply.data as {
        conversations: { last_seq: number }[];
        next?: string;
      };
      for (const c of data.conversations) twice += c.last_seq;
      if (data.next === undefined) break;
      before = data.next;
    }
  }
  return twice / 2;
}

function pick(roll: number): string {
  let at = 0;
  for (const [what, chance] of MIX) {
    at += chance;
    if (roll < at) return what;
  }
  return "message";
}

function sample<T>(items: T[]): T | undefined {
  return items.length === 0
    ? undefined
    : items[Math.floor(Math.random() * items.length)];
}

function count(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function errorCode(frame: Record<string, unknown>): string {
  if (frame.closed) return "closed";
  const data = frame.data as { code?: string; request?: string } | undefined;
  return `${data?.request ?? "?"}: ${data?.code ?? "?"}`;
}
