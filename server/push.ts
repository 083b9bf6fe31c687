/**
 * Web Push (RFC 8030, 8291, 8292): a private message, a mention, or a message
 * of a room the account set to `all`, for an
 * account with no connection open, or whose every client said it is hidden
 * (`visibility`), goes, encrypted, to every browser that
 * account subscribed, through that browser's own push service. The VAPID
 * key pair is made on first start and kept in the store, the same for
 * every node. Encryption and the VAPID JWT are web-push's; the request
 * goes out through outbound_post.ts (node:http, to the addresses the check
 * found, never to the name resolved again), after the same address checks
 * as webhooks, the look-up and the call under one deadline.
 */
import { Buffer } from "node:buffer";
import { createECDH, createHash } from "node:crypto";
import { Lanes } from "./lanes.ts";
import { log } from "./log.ts";
import { HERE_MENTION_KEY, mentionKeys } from "./mentions.ts";
import { nameKey } from "./protocol/names.ts";
import { type Notice, reaches } from "./notify_rule.ts";
import type { OutboundGuard } from "./outbound.ts";
import { postOutbound } from "./outbound_post.ts";
import type {
  ChatMessage,
  MessageBadge,
  PrivateMessage,
} from "./protocol/types.ts";
import {
  conversationKey,
  type Store,
  type StoredPushSubscription,
} from "./store/mod.ts";

const logger = log("push");

/**
 * Members an `@room` reads at a time: a larger room (its owner's, a
 * moderator's, an admin's) is read page after page, each page's probes
 * done before the next read, so that one `@room` holds at most that many
 * names and probes at once, whatever the room's size.
 */
const ROOM_PUSH_PAGE = 1_000;

// web-push (with its JWT and ASN.1 dependencies) takes about 0.2 s to load:
// it loads with the first push sent, not at every start.
type WebPush = typeof import("web-push");
let webPush: Promise<WebPush> | undefined;

function loadWebPush(): Promise<WebPush> {
  // A CommonJS module: its exports are the default of the ES namespace.
  webPush ??= import("web-push").then((module) =>
    (module as unknown as { default: WebPush }).default
  );
  return webPush;
}

// A VAPID key pair as web-push's generateVAPIDKeys makes it (a P-256 pair:
// the uncompressed public point and the 32-byte private scalar, base64url),
// without loading web-push at start-up.
function vapidKeys(): { publicKey: string; privateKey: string } {
  const curve = createECDH("prime256v1");
  curve.generateKeys();
  // The scalar may come shorter than 32 bytes: zeros in front, as web-push.
  const privateKey = Buffer.alloc(32);
  const scalar = curve.getPrivateKey();
  scalar.copy(privateKey, 32 - scalar.length);
  return {
    publicKey: curve.getPublicKey().toString("base64url"),
    privateKey: privateKey.toString("base64url"),
  };
}

/** What a push carries (the service worker shows it). */
export interface PushPayload {
  /**
   * `mention`, `private`, `room`: a message of a room the account set
   * to `all`, which mentions nobody it pushes to, `reminder`: a saved
   * message's reminder came due (reminders.ts), or `scheduled_failed`:
   * the account's scheduled message was refused at its time
   * (scheduled_sends.ts).
   */
  kind: "mention" | "private" | "room" | "reminder" | "scheduled_failed";
  /**
   * The room, for a mention, a room's message, a reminder of one, or a
   * scheduled message that was to go there.
   */
  room?: string;
  /** Whom a scheduled message that failed was to go to privately. */
  to?: string;
  /** Why a scheduled message failed: its send's error code. */
  code?: string;
  sender: string;
  /**
   * `hook` or `bot` when the sender is not a person: a hook may show any
   * name, so the notification must say, as the chat's badge does.
   */
  badge?: MessageBadge;
  /** The start of the message. */
  text: string;
  /** One per conversation: a newer notification replaces the older. */
  tag: string;
}

/** The store parts push needs. */
export type PushStore = Pick<
  Store,
  | "secret"
  | "pushSubscriptions"
  | "mentionSubscriptions"
  | "deletePushSubscription"
  | "isMember"
  | "isIgnoring"
  | "notifyLevel"
  | "membersAtAll"
  | "roomMembers"
  | "doNotDisturb"
  | "findBan"
>;

/** Longest text in a push. */
const TEXT_MAX = 140;
/** Pushes at a time, and waiting, per account and in all (see Lanes). */
const LANE_LIMITS = { inFlight: 8, perLane: 100, waiting: 2000 };
/** A push service that has not answered by then has failed. */
const TIMEOUT_MS = 10_000;
/** How long a push service keeps an undelivered notification: a day-old mention is still news. */
const TTL_SECONDS = 24 * 3600;
/**
 * How long a room's members at `all` are read once for all its messages.
 * Read per message, they cost every room message a store query (1,000 a
 * second in the chat bench, where nobody chose `all`); read once a second
 * a room, a level set on another node counts up to a second late (one set
 * on this node counts at once: levelChanged).
 */
const AT_ALL_MS = 1000;
/** VAPID's contact; push services want a mailto: or https: URL. */
const SUBJECT = "mailto:postmaster@localhost";

/** Sends Web Push notifications to accounts that are offline or hidden. */
export class PushNotifier {
  #store: PushStore;
  #guard: OutboundGuard;
  #watching: (userKeys: readonly string[]) => Promise<Set<string>>;
  #keys?: { publicKey: string; privateKey: string };
  // One lane per account: endpoints that never answer hold one slot of
  // eight, whatever they are sent, and keep at most 100 pushes waiting;
  // once they have failed, the account cools down and shares 4 slots with
  // the other failing accounts.
  #lanes = new Lanes(LANE_LIMITS);
  /** How long a push service has to answer; tests shorten it. */
  readonly timing = { timeoutMs: TIMEOUT_MS };
  /**
   * How many members an `@room` reads at a time (ROOM_PUSH_PAGE); tests
   * lower it to page through a room of a few members.
   */
  readonly paging = { roomMembers: ROOM_PUSH_PAGE };
  #running = new Set<Promise<void>>();
  #stop = new AbortController();
  // `known`: the keys once their read has answered.
  #atAll = new Map<
    string,
    { at: number; keys: Promise<string[]>; known?: string[] }
  >();

  constructor(
    store: PushStore,
    guard: OutboundGuard,
    watching: (userKeys: readonly string[]) => Promise<Set<string>>,
  ) {
    this.#store = store;
    this.#guard = guard;
    this.#watching = watching;
  }

  /** Reads the VAPID key pair, making and storing it on the first start. */
  async start(): Promise<void> {
    // A pair is made on every start and kept only on the first: it costs
    // a P-256 key generation (under a millisecond), and a value, unlike a
    // function, crosses to a store on a worker thread.
    const stored = await this.#store.secret(
      "vapid",
      JSON.stringify(vapidKeys()),
    );
    this.#keys = JSON.parse(stored);
  }

  /** The VAPID public key: base64url of the uncompressed P-256 point. */
  get publicKey(): string {
    if (!this.#keys) throw new Error("PushNotifier.start() was not called");
    return this.#keys.publicKey;
  }

  /** The guard push endpoints are checked with. */
  get guard(): OutboundGuard {
    return this.#guard;
  }

  /**
   * A room message was stored: its mentioned members, and the members who
   * set the room to `all`, not watching, get a push. `here`: the members
   * online its `@here` notified (room_mentions.ts hereMembers), as if
   * named: online, most are watching; one whose every page is hidden (a
   * phone in a pocket) is pushed, as for a name. `groups`: the members
   * its `@group`s notified (group_mentions.ts), as if named too.
   */
  roomMessage(
    room: { key: string; name: string },
    message: ChatMessage,
    authorKey: string,
    notified: { here?: readonly string[]; groups?: readonly string[] } = {},
  ): void {
    const { here, groups } = notified;
    const keys = here !== undefined && message.here_mention === true
      ? mentionKeys(message.text, authorKey, false, here, groups)
        .filter((key) => key !== HERE_MENTION_KEY)
      : mentionKeys(message.text, authorKey, false, undefined, groups);
    const payload = (kind: "mention" | "room"): PushPayload =>
      roomPayload(kind, room, message);
    this.mentioned(room, message, authorKey, keys);
    if (message.room_mention === true) {
      this.#roomWide(room.key, authorKey, new Set(keys), payload("mention"));
      return;
    }
    // Most rooms have nobody at `all`: once this second's read said so,
    // the message makes no async step, Set or tracked promise (3 promises
    // a message; 1.3% of chat's busy samples went to this method).
    const known = this.#atAll.get(room.key);
    if (
      known?.known?.length === 0 &&
      performance.now() - known.at < AT_ALL_MS
    ) return;
    // Every message of the room to the members at `all`: one read of a
    // partial index per message, whatever the room's size (a room nobody
    // set to `all` costs that read and nothing more); then, for each of
    // them only, the probes of a mention's push. Mentioned ones got theirs.
    this.#track((async () => {
      const mentioned = new Set(keys);
      await this.#notifyEach(
        (await this.#membersAtAll(room.key))
          .filter((key) => key !== authorKey && !mentioned.has(key)),
        payload("room"),
        room.key,
        { kind: "room", authorKey },
      );
    })());
  }

  /**
   * The accounts `keys` a room message mentions (named, by `@group` or
   * `@here`), not watching, get a mention's push: by roomMessage for a
   * message stored, by an edit for those it newly names
   * (handlers/edit_mentions.ts).
   */
  mentioned(
    room: { key: string; name: string },
    message: ChatMessage,
    authorKey: string,
    keys: readonly string[],
  ): void {
    // Most messages name nobody: no promise for them.
    if (keys.length === 0) return;
    this.#track(this.#notifyEach(
      keys,
      roomPayload("mention", room, message),
      room.key,
      { kind: "mention", roomKey: room.key, authorKey },
    ));
  }

  // An `@room` that notified the room (room_mentions.ts): a mention's
  // push to every other member, those at `all` included, with a
  // mention's probes; named ones got theirs. Page after page of members
  // by key; a page's probes are done before the next page is read (its
  // pushes go on in their lanes): a room of 5,000 gets its 5,000 pushes,
  // one page of names and probes held at a time. A page costs two store
  // reads, its names and mentionSubscriptions, and one presence read,
  // whatever its size (probed one by one as #recipient does, up to five
  // store reads a member: 10,001 reads for 2,000 subscribed members; and
  // presence asked a member at a time, two Redis round trips each:
  // docs/performance.md "An @room's pushes").
  #roomWide(
    roomKey: string,
    authorKey: string,
    mentioned: Set<string>,
    payload: PushPayload,
  ): void {
    this.#track((async () => {
      const size = this.paging.roomMembers;
      let after: string | undefined;
      while (!this.#stop.signal.aborted) {
        const names = await this.#store.roomMembers(
          roomKey,
          "",
          size,
          after === undefined ? {} : { after },
        );
        try {
          await this.#pushPage(
            names.map(nameKey)
              .filter((key) => key !== authorKey && !mentioned.has(key)),
            { roomKey, authorKey },
            payload,
          );
        } catch (error) {
          // This page's members miss this push, said in the log; the next
          // pages' go on.
          logger.error("Push crash: {error}", { error });
        }
        if (names.length < size) return;
        after = nameKey(names.at(-1)!);
      }
    })());
  }

  // One page of an @room's members: those not watching (presence first,
  // as #notifyEach: it answers for the moment the message was stored), one
  // read for them all, then one read for the subscriptions of those of
  // them who take the mention, each account's pushed in its lane.
  async #pushPage(
    keys: string[],
    mention: { roomKey: string; authorKey: string },
    payload: PushPayload,
  ): Promise<void> {
    if (keys.length === 0) return;
    const watching = await this.#watching(keys);
    const away = keys.filter((key) => !watching.has(key));
    if (away.length === 0) return;
    const byAccount = Map.groupBy(
      await this.#store.mentionSubscriptions(away, mention),
      (subscription) => subscription.userKey,
    );
    for (const [key, subscriptions] of byAccount) {
      this.#track(this.#deliver(key, subscriptions, payload, mention.roomKey));
    }
  }

  /** A level was set on this node: the room's members at `all` are read again. */
  levelChanged(stream: string): void {
    this.#atAll.delete(stream);
  }

  // The room's members at `all`, read at most once each AT_ALL_MS.
  #membersAtAll(roomKey: string): Promise<string[]> {
    const now = performance.now();
    const kept = this.#atAll.get(roomKey);
    if (kept && now - kept.at < AT_ALL_MS) return kept.keys;
    if (this.#atAll.size >= 10_000) {
      for (const [key, { at }] of this.#atAll) {
        if (now - at >= AT_ALL_MS) this.#atAll.delete(key);
      }
    }
    const keys = this.#store.membersAtAll(roomKey);
    const entry: { at: number; keys: Promise<string[]>; known?: string[] } = {
      at: now,
      keys,
    };
    // A failed read is the caller's to log (it awaits `keys`), not this one's.
    keys.then((read) => entry.known = read, () => {});
    this.#atAll.set(roomKey, entry);
    return keys;
  }

  /** A private message was stored: its recipient, unless watching, gets a push. */
  privateMessage(toKey: string, fromKey: string, message: PrivateMessage) {
    const payload: PushPayload = {
      kind: "private",
      sender: message.user,
      ...(message.badge ? { badge: message.badge } : {}),
      text: shorten(message),
      tag: `dm:${fromKey}`,
    };
    // Not in a conversation the recipient set to `none`: one key probe.
    this.#track(this.#notifyEach(
      [toKey],
      payload,
      `@${fromKey}`,
      { kind: "private", stream: conversationKey(toKey, fromKey) },
    ));
  }

  /**
   * A saved message's reminder came due: the account, unless watching,
   * gets a push as for a mention (subscribed, not banned, not paused).
   * Its read rules were the caller's (fireReminder).
   */
  reminder(
    userKey: string,
    id: string,
    message:
      & { user: string; text: string; room?: string }
      & Pick<
        PrivateMessage,
        "badge" | "attachments"
      >,
  ): void {
    const payload: PushPayload = {
      kind: "reminder",
      ...(message.room === undefined ? {} : { room: message.room }),
      sender: message.user,
      ...(message.badge ? { badge: message.badge } : {}),
      text: shorten(message),
      tag: `reminder:${id}`,
    };
    this.#track(
      this.#notifyEach(
        [userKey],
        payload,
        `reminder:${id}`,
        { kind: "own" },
      ),
    );
  }

  /**
   * The account's scheduled message was refused at its time: the account,
   * unless watching (its pages got `scheduled_failed`), gets a push as for
   * a reminder, so that it can write it again (subscribed, not banned,
   * not paused). `sender` is the author: the account's own name.
   */
  scheduledFailed(
    userKey: string,
    failed: {
      id: string;
      sender: string;
      room?: string;
      to?: string;
      text: string;
      attachments?: unknown[];
      code: string;
    },
  ): void {
    const tag = `scheduled:${failed.id}`;
    const payload: PushPayload = {
      kind: "scheduled_failed",
      ...(failed.room === undefined ? {} : { room: failed.room }),
      ...(failed.to === undefined ? {} : { to: failed.to }),
      sender: failed.sender,
      text: shorten(failed),
      code: failed.code,
      tag,
    };
    this.#track(
      this.#notifyEach([userKey], payload, tag, { kind: "own" }),
    );
  }

  // Pushes `payload` to each of the accounts not watching that `notice`
  // reaches (#recipient), each in its lane. Presence first, at once, one read
  // for them all (an `@here` names every member online): it answers for
  // the moment the message was stored (a store read first, on its thread,
  // could let a user leave meanwhile), and most mentioned users are
  // watching: no store read for them.
  async #notifyEach(
    keys: readonly string[],
    payload: PushPayload,
    conversation: string,
    notice: Notice,
  ): Promise<void> {
    if (keys.length === 0) return;
    const watching = await this.#watching(keys);
    for (const key of keys) {
      if (watching.has(key)) continue;
      this.#track((async () => {
        const subscriptions = await this.#recipient(key, notice);
        if (subscriptions) {
          await this.#deliver(key, subscriptions, payload, conversation);
        }
      })());
    }
  }

  // The subscriptions of an account not watching when it is to get a push
  // now: subscribed (most are not: no probe more for them), and `notice`
  // reaches it (notify_rule.ts: not banned, its choices, not paused); else
  // null.
  async #recipient(
    userKey: string,
    notice: Notice,
  ): Promise<StoredPushSubscription[] | null> {
    const subscriptions = await this.#store.pushSubscriptions(userKey);
    if (subscriptions.length === 0) return null;
    if (!await reaches(this.#store, userKey, notice)) return null;
    return subscriptions;
  }

  // Sends `payload` to each of the account's subscriptions, in its lane.
  async #deliver(
    userKey: string,
    subscriptions: StoredPushSubscription[],
    payload: PushPayload,
    conversation: string,
  ): Promise<void> {
    const body = JSON.stringify(payload);
    // RFC 8030 Topic: at most 32 base64url characters, one per conversation.
    const topic = createHash("sha256").update(conversation).digest(
      "base64url",
    ).slice(0, 32);
    const queued = await Promise.all(
      subscriptions.map((subscription) =>
        this.#lanes.run(userKey, () => this.#send(subscription, body, topic))
      ),
    );
    // Best effort, as push itself: dropped, and said so (once a message).
    const dropped = queued.filter((ran) => !ran).length;
    if (dropped > 0) {
      logger.warn("Too many pushes waiting: {dropped} dropped", { dropped });
    }
  }

  // False when the push service failed (no answer, its name or itself
  // within the timeout; no connection, 429, 5xx): the account's lane cools
  // down (see Lanes).
  async #send(
    subscription: StoredPushSubscription,
    body: string,
    topic: string,
  ): Promise<boolean> {
    if (this.#stop.signal.aborted || !this.#keys) return true;
    const webpush = await loadWebPush();
    // One deadline for the look-up and the call: the look-up had none of
    // its own, so a name whose server went silent after the subscription
    // was checked held a call for the system resolver's time-outs, and,
    // a refusal being no failure, its lane was never cooled down: eight
    // such accounts, each once answered, held every call.
    const timeout = AbortSignal.timeout(this.timing.timeoutMs);
    const signal = AbortSignal.any([timeout, this.#stop.signal]);
    const verdict = await this.#guard.check(subscription.endpoint, "push", {
      signal,
    });
    if (!verdict.ok) {
      logger.warn("Push endpoint refused: {reason}", {
        reason: verdict.reason,
      });
      return !timeout.aborted;
    }
    let request;
    try {
      request = webpush.generateRequestDetails(
        {
          endpoint: subscription.endpoint,
          keys: { p256dh: subscription.p256dh, auth: subscription.auth },
        },
        body,
        {
          vapidDetails: { subject: SUBJECT, ...this.#keys },
          TTL: TTL_SECONDS,
          topic,
          contentEncoding: "aes128gcm",
        },
      );
    } catch (error) {
      // Keys nothing can encrypt to (off the curve: stored before the
      // route checked them) would fail every push, each a stack in the log
      // and the account's lane held up: the subscription goes, as a gone
      // one does.
      await this.#store.deletePushSubscription(subscription.endpoint);
      logger.warn(
        "Push subscription's keys cannot encrypt ({error}): removed",
        {
          error: (error as Error).message,
        },
      );
      return true;
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      // postOutbound sets the length itself.
      if (name.toLowerCase() !== "content-length") {
        headers[name.toLowerCase()] = String(value);
      }
    }
    try {
      // To the addresses just checked: the name is not resolved again.
      const response = await postOutbound(subscription.endpoint, {
        addresses: verdict.addresses,
        headers,
        body: request.body ? new Uint8Array(request.body) : new Uint8Array(),
        signal,
      });
      // The browser unsubscribed or the subscription expired (RFC 8030 §7.3).
      if (response.status === 404 || response.status === 410) {
        await this.#store.deletePushSubscription(subscription.endpoint);
        logger.info("Push subscription gone ({status}): removed", {
          status: response.status,
        });
      } else if (!response.ok) {
        logger.warn("Push service answered {status}", {
          status: response.status,
        });
        return response.status !== 429 && response.status < 500;
      }
      return true;
    } catch (error) {
      logger.warn("Push failed: {error}", { error: (error as Error).message });
      return false;
    }
  }

  #track(work: Promise<void>): void {
    this.#running.add(work);
    work.catch((error) => logger.error("Push crash: {error}", { error }))
      .finally(() => this.#running.delete(work));
  }

  /** Aborts pushes under way and waits for them. */
  async close(): Promise<void> {
    this.#stop.abort();
    // Pushes waiting in cooling lanes too: they see the abort and end.
    this.#lanes.stop();
    while (this.#running.size > 0) {
      await Promise.allSettled([...this.#running]);
    }
  }
}

// A room message's push: a mention, or a message of a room at `all`.
function roomPayload(
  kind: "mention" | "room",
  room: { key: string; name: string },
  message: ChatMessage,
): PushPayload {
  return {
    kind,
    room: room.name,
    sender: message.user,
    ...(message.badge ? { badge: message.badge } : {}),
    text: shorten(message),
    tag: `room:${room.key}`,
  };
}

// Cut by code points: cut by UTF-16 units, an emoji across the cut left
// half of itself, a lone surrogate that shows as a replacement mark.
function shorten(message: { text: string; attachments?: unknown[] }): string {
  const text = message.text.trim() ||
    (message.attachments?.length ? "(file)" : "");
  if (text.length <= TEXT_MAX) return text;
  const characters = [...text];
  return characters.length > TEXT_MAX
    ? `${characters.slice(0, TEXT_MAX - 1).join("")}…`
    : text;
}
