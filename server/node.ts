import { hookMakerMayRead, privateHookMayRead } from "./access.ts";
import type { Throttle, ThrottleOptions } from "./accounts/login_throttle.ts";
import type { Passwords } from "./accounts/password.ts";
import { MemoryBuckets } from "./buckets/memory.ts";
import type { BucketsOptions, KeyedBuckets } from "./buckets/mod.ts";
import { AccountService } from "./accounts/service.ts";
import type { FileStorage } from "./files.ts";
import type {
  Broker,
  ControlEvent,
  EventPublication,
  MessageUpdate,
  Publication,
  Topic,
} from "./broker/mod.ts";
import {
  publishCorrections,
  publishUpdate,
} from "./handlers/message_updates.ts";
import { sectionsOnJoin } from "./handlers/sections.ts";
import { LinkPreviews } from "./link_previews/mod.ts";
import { log } from "./log.ts";
import { dropHttpPushSubscriptions } from "./push_http_sweep.ts";
import { Metrics } from "./metrics.ts";
import { OutboundGuard, type Resolver } from "./outbound.ts";
import { PushNotifier } from "./push.ts";
import { CLOSE_SESSION_ENDED } from "./protocol/close_codes.ts";
import { encodeEvent } from "./protocol/envelope.ts";
import { nameKey } from "./protocol/names.ts";
import {
  type ChatMessage,
  GENERAL_ROOM,
  type Membership,
  type MembershipEvent,
  type RoomSummary,
  type ServerLimits,
  type SystemEvent,
} from "./protocol/types.ts";
import type { PresenceManager } from "./presence/mod.ts";
import {
  type AddressCategory,
  type BucketSpec,
  KeyedRateLimits,
  type RateCategory,
  type RateLimitConfig,
  type RateLimits,
} from "./rate_limit.ts";
import { type Member, RoomRegistry } from "./registry.ts";
import { RoomLists } from "./room_lists.ts";
import { GroupNames } from "./group_names.ts";
import { ControlEvents } from "./control_events.ts";
import { RoomExpiry } from "./room_expiry.ts";
import { recheckStanding } from "./standing.ts";
import { RoomSequencer } from "./sequencer.ts";
import { SessionExpiry } from "./session_expiry.ts";
import { fireReminder, ReminderSweep, sweepJob } from "./reminders.ts";
import { sendScheduled } from "./scheduled_sends.ts";
import { Retention } from "./retention.ts";
import type { NewAuditEntry, Store, StreamReadState } from "./store/mod.ts";
import { TurnQueue } from "./turns.ts";
import type { MailSettings } from "./mail/mailer.ts";
import { type ClaimedMissedMail, MissedMail } from "./mail/missed_mail.ts";
import { WebhookDispatcher } from "./webhooks.ts";
import { WIDE_BROADCAST } from "./writer.ts";

const logger = log("node");

/**
 * The parts a node is built from: backends as backends.ts picked them,
 * values from Config. The node has no defaults of its own.
 */
export interface NodeParts {
  store: Store;
  broker: Broker;
  /** Presence across nodes, built around this node's registry. */
  presence: (registry: RoomRegistry) => PresenceManager;
  /** The login and registration throttles: this process's by default. */
  throttles?: (options: ThrottleOptions) => Throttle;
  /** The upload and webhook limits: this process's by default. */
  buckets?: (options: BucketsOptions) => KeyedBuckets;
  /** The per-user and per-address request limits: this process's by default. */
  rateLimits?: RateLimitsMaker;
  /** This node's id, unique in a cluster (`--node-id`, or random). */
  nodeId: string;
  /** Where shared files go. */
  files: FileStorage;
  /** The operator's admin account name (`--admin`). */
  admin?: string;
  /** How long a login session lasts, in ms (`--session-days`). */
  sessionTtlMs: number;
  /** Request limits (`--rate-limits`). */
  limits: RateLimitConfig;
  /** Rooms with more users than this get no joined/left notices (`--announce-limit`). */
  announceLimit: number;
  /** Rooms one account may own at once; 0: no cap (`--max-rooms-per-user`). */
  maxRoomsPerUser: number;
  /** Rooms one account may belong to at once; 0: no cap (`--max-memberships`). */
  maxMemberships: number;
  /**
   * Members above which only a room's owner, moderators and admins notify
   * everyone with `@room` (`--room-mention-members`; default 50).
   */
  roomMentionMembers?: number;
  /** Guest-made rooms empty and silent this long are deleted; 0: never. */
  guestRoomTtlMs: number;
  /** Password hashes computed at once (`--password-workers`). */
  passwordWorkers: number;
  /** How passwords are hashed and checked; default: scrypt (tests go cheaper). */
  passwords?: Passwords;
  /** Delete messages older than this many days (`--retention-days`); none: keep. */
  retentionDays?: number;
  /** How often saved messages' due reminders and scheduled messages are fired (`--reminder-sweep`; default 5 s). */
  reminderSweepMs?: number;
  /** How long a claim holds a due reminder (ms); default: a minute (reminders.ts). */
  reminderLeaseMs?: number;
  /** Hosts and addresses webhooks and Web Push may call (`--webhook-allow`). */
  webhookAllow?: readonly string[];
  /** How outgoing calls' host names are resolved; default: the system's (tests play DNS). */
  resolve?: Resolver;
  /** Link previews (`--link-previews`); default on. */
  linkPreviews?: boolean;
  /** Link previews of private addresses too (`--link-previews-private`). */
  linkPreviewsPrivate?: boolean;
  /** StartParts.linkPreviewAllow: addresses previews may fetch (tests). */
  linkPreviewAllow?: readonly string[];
  /** Email (`--smtp-url`); none: the server offers no email feature. */
  mail?: MailSettings;
  /** How long a missed message waits for its mail (`--missed-mail-delay`, ms; default 2 minutes). */
  missedMailDelayMs?: number;
}

/**
 * Makes a node's per-user or per-address limits (`name`: `user`,
 * `address`): shared by the nodes with Redis (backends.ts).
 */
export type RateLimitsMaker = <C extends string>(
  name: string,
  specs: Partial<Record<C, BucketSpec>>,
) => RateLimits<C>;

/**
 * Index entries a login counts in one turn of the event loop (each room's
 * unread messages and mentions, up to 1000 each, and one more): 0.4 to 1 µs
 * each, so 1.5 to 4 ms of the thread on a busy 2-core machine, where 100
 * rooms of 1000 unread took 40 to 120 ms in one piece.
 */
const LOGIN_SLICE_ROWS = 4000;

// Messages whose delivered version a node remembers, to drop the older
// updates that come after (#stale).
const VERSIONS_KEPT = 4096;

/**
 * One server process: it holds the registry, the store, the broker and
 * presence it was given, and delivers what the broker hands it to its own
 * members, each room in seq order. Handlers do "store, then publish"
 * themselves: they write to `store`, then return the `publish*` calls to
 * make once their reply is queued. The node never sees a socket. Whatever
 * must happen on every node (a room created or deleted, a user removed)
 * goes out as a control event and is applied by each node to its own
 * members.
 */
export class ChatNode {
  readonly id: string;
  readonly registry = new RoomRegistry();
  // Logins counting their rooms, one slice per turn of the loop, in turn.
  readonly #countTurns = new TurnQueue(1);
  readonly metrics = new Metrics();
  readonly store: Store;
  readonly broker: Broker;
  readonly presence: PresenceManager;
  readonly accounts: AccountService;
  /** The user groups' keys, for a message's `@group` (group_names.ts). */
  readonly groupNames: GroupNames;
  readonly files: FileStorage;
  readonly limits: RateLimitConfig;
  /** Per-user buckets, shared by HTTP and WebSocket (and by the nodes, with Redis). */
  readonly userLimits: RateLimits<RateCategory>;
  /**
   * Per-address buckets (history pages, guest rooms), likewise, keyed by
   * `addressKey` (an IPv6 address's /64).
   */
  readonly addressLimits: RateLimits<AddressCategory>;
  /**
   * Makes the buckets of rare, costly requests (uploads, webhook posts):
   * shared by the nodes with Redis (buckets/mod.ts).
   */
  readonly buckets: (options: BucketsOptions) => KeyedBuckets;
  /** Rooms one account may own at once; 0: no cap. */
  readonly maxRoomsPerUser: number;
  /**
   * Rooms one account may belong to at once; 0: no cap. Each is counted at
   * every login (its unread messages and mentions), so this bounds a
   * login's work.
   */
  readonly maxMemberships: number;
  /** NodeParts.roomMentionMembers (room_mentions.ts). */
  readonly roomMentionMembers: number;
  /** Outgoing webhooks of the messages this node stores. */
  readonly webhooks: WebhookDispatcher;
  /** Web Push to offline accounts. */
  readonly push: PushNotifier;
  /** The link previews of the messages this node stores; none when off. */
  readonly linkPreviews?: LinkPreviews;
  /** The mailer and the links' base; absent without `--smtp-url`. */
  readonly mail?: MailSettings;
  /** Missed-message mails; absent without `--smtp-url`. */
  readonly missedMail?: MissedMail;
  #sequencer: RoomSequencer;
  #retention: Retention;
  #reminders: ReminderSweep;
  #nextConnectionId = 1;
  #roomLists: RoomLists;
  #expiry: RoomExpiry;
  #announceLimit: number;
  #closed = false;
  // Message id -> the newest version delivered (Infinity once deleted).
  #versions = new Map<string, number>();
  #control: ControlEvents;
  #sessionExpiry = new SessionExpiry((member) =>
    member.disconnect(CLOSE_SESSION_ENDED, "Session expired")
  );

  constructor(parts: NodeParts) {
    this.id = parts.nodeId;
    this.store = parts.store;
    this.broker = parts.broker;
    this.files = parts.files;
    this.presence = parts.presence(this.registry);
    this.#roomLists = new RoomLists(this);
    this.limits = parts.limits;
    this.#announceLimit = parts.announceLimit;
    this.maxRoomsPerUser = parts.maxRoomsPerUser;
    this.maxMemberships = parts.maxMemberships;
    this.roomMentionMembers = parts.roomMentionMembers ?? 50;
    this.#expiry = new RoomExpiry(this, parts.guestRoomTtlMs);
    const rateLimits: RateLimitsMaker = parts.rateLimits ??
      ((_name, specs) => new KeyedRateLimits(specs));
    this.userLimits = rateLimits("user", this.limits.perUser);
    this.addressLimits = rateLimits("address", this.limits.perAddress ?? {});
    this.buckets = parts.buckets ??
      ((options) => new MemoryBuckets(options));
    this.groupNames = new GroupNames(parts.store);
    this.accounts = new AccountService(parts.store, {
      admin: parts.admin,
      sessionTtlMs: parts.sessionTtlMs,
      passwordWorkers: parts.passwordWorkers,
      passwords: parts.passwords,
      guestLookingLike: (name) => this.presence.guestLookingLike(name),
      throttles: parts.throttles,
      passwordBudget: {
        perAddress: this.buckets({
          name: "password_login_address",
          spec: this.limits.perPasswordLogin,
        }),
        perAccount: this.buckets({
          name: "password_login",
          spec: this.limits.perAccountPasswordLogin,
        }),
      },
      totpGuesses: this.buckets({
        name: "totp_guess",
        spec: this.limits.perAccountTotpGuess,
      }),
    });
    // Always on: a room may have its own retention without the flag.
    this.#retention = new Retention({
      store: parts.store,
      files: parts.files,
      days: parts.retentionDays,
    });
    // One sweep for all: reminders, scheduled messages' sends, mails.
    const store = parts.store;
    if (parts.mail !== undefined) {
      this.missedMail = new MissedMail(this, parts.mail, {
        delayMs: parts.missedMailDelayMs ?? 120_000,
      });
    }
    const missedMail = this.missedMail;
    this.#reminders = new ReminderSweep({
      everyMs: parts.reminderSweepMs ?? 5000,
      leaseMs: parts.reminderLeaseMs,
      jobs: [
        sweepJob({
          what: "reminder",
          claim: (now, limit, until) =>
            store.claimDueReminders(now, limit, until),
          fire: (due) => fireReminder(this, due),
          confirm: (due) =>
            store.confirmReminder(due.userKey, due.id, due.remindAt),
        }),
        sweepJob({
          what: "scheduled message",
          claim: (now, limit, until) =>
            store.claimDueScheduled(now, limit, until),
          fire: (row) => sendScheduled(this, row),
          confirm: (row) => store.confirmScheduled(row.userKey, row.id),
          holder: (row) => row.userKey,
        }),
        ...missedMail === undefined ? [] : [sweepJob<ClaimedMissedMail>({
          what: "missed-message mail",
          claim: (now, limit, until) =>
            store.claimDueMissedMails(now, limit, until),
          fire: (due) => missedMail.send(due),
          confirm: (due) => missedMail.confirm(due),
        })],
      ],
    });
    const guard = new OutboundGuard(parts.webhookAllow ?? [], parts.resolve);
    this.webhooks = new WebhookDispatcher(
      parts.store,
      guard,
      (hook) =>
        "userKey" in hook
          ? privateHookMayRead(this, hook)
          : hookMakerMayRead(this, {
            makerKey: hook.createdBy,
            createdAt: hook.createdAt,
            roomKey: hook.roomKey,
          }),
    );
    this.push = new PushNotifier(
      parts.store,
      guard,
      (keys) => this.presence.watchingAmong(keys),
    );
    this.mail = parts.mail;
    if (parts.linkPreviews ?? true) {
      this.linkPreviews = new LinkPreviews({
        // Any host; private addresses only when the operator allows them
        // (every range allowed: the guard then skips its address rules).
        guard: new OutboundGuard(
          parts.linkPreviewsPrivate
            ? ["*", "0.0.0.0/0", "::/0"]
            : ["*", ...parts.linkPreviewAllow ?? []],
          parts.resolve,
          { privateHint: () => "--link-previews-private" },
        ),
        store: parts.store,
        stored: (stream, message) => publishUpdate(this, stream, message),
      });
    }
    this.#sequencer = new RoomSequencer((roomKey, afterSeq, beforeSeq) =>
      this.#missed(roomKey, afterSeq, beforeSeq)
    );
    this.#control = new ControlEvents({
      id: this.id,
      registry: this.registry,
      presence: this.presence,
      sequencer: this.#sequencer,
      sessionExpiry: this.#sessionExpiry,
      roomLists: this.#roomLists,
      notifyRoom: (roomKey, event, exceptUser) =>
        this.notifyRoom(roomKey, event, exceptUser),
      moveMember: (member, roomKey) => this.moveMember(member, roomKey),
      presenceChanged: () => this.presenceChanged(),
      groupsChanged: () => this.groupNames.forget(),
      updatePresence: (member) => this.#updatePresence(member),
      leaveHere: (userKey, roomKey) => this.#leaveHere(userKey, roomKey),
      announceUnlessElsewhere: (roomKey, member, kind, expected) =>
        this.#announceUnlessElsewhere(roomKey, member, kind, expected),
    });
    this.broker.onDelivery((publication) => this.#receive(publication));
    this.broker.onReturn(() => {
      // A group created or deleted during the outage may have gone unheard.
      this.groupNames.forget();
      void recheckStanding(
        this.registry.everyone(),
        this.store,
        (event) => this.#control.apply(event),
      );
    });
    this.presence.onChange(() => this.#roomLists.schedule());
  }

  /** Loads the stored rooms; call once before serving. */
  async start(): Promise<void> {
    await this.#loadRooms();
    if (this.registry.roomName(GENERAL_ROOM) === undefined) {
      throw new Error(`The store has no '${GENERAL_ROOM}' room`);
    }
    await this.accounts.start();
    await this.files.start({
      // Their previews changed: readers must not wait for a reload.
      corrected: (ids) =>
        publishCorrections(this, ids).catch((error) =>
          logger.error("Sending corrected previews failed: {error}", { error })
        ),
    });
    this.#retention.start();
    await this.push.start();
    await dropHttpPushSubscriptions(this.store, this.push.guard);
    await this.presence.start();
    this.#expiry.start();
    // After push and presence: the first pass fires those due while down.
    this.#reminders.start();
    this.metrics.loopDelay.start();
  }

  /**
   * Deletes a room from the store. If this call deleted it, returns the
   * announcement that deletes it from every node (its members hear `by`
   * deleted it and return to `general`), to make once a reply is queued.
   * `audit` is written in the deletion's commit, only if this call
   * deleted it.
   */
  async deleteRoom(
    roomKey: string,
    by: string,
    audit?: NewAuditEntry,
  ): Promise<(() => void) | undefined> {
    const room = this.registry.roomName(roomKey) ?? roomKey;
    const deleted = await this.store.deleteRoom(roomKey, audit);
    if (!deleted) return undefined;
    return () => {
      this.control({ kind: "room_deleted", key: roomKey, name: room, by });
      // The messages scheduled to it went with it: each author hears it
      // refused now, as one whose room is gone is at its time, rather than
      // keeping it in its list to wait for a send that never comes.
      for (const { userKey, id } of deleted.unscheduled) {
        this.publish({ kind: "user", key: userKey }, "scheduled_failed", {
          id,
          code: "room_not_found",
        });
      }
      // The room's files are no longer served; their bytes go now.
      void this.files.sweep();
    };
  }

  // Rooms this node has not heard of yet (created by another node just
  // now, or before it started), with where their numbering stands.
  async #loadRooms(): Promise<void> {
    for (const room of await this.store.listRooms()) {
      if (!this.registry.addRoom(room.key, room.name, room)) continue;
      const [last] = await this.store.history(room.key, { limit: 1 });
      this.#sequencer.expect(room.key, (last?.seq ?? 0) + 1);
    }
  }

  /**
   * Runs a retention pass now (a room's retention just changed) instead of
   * at the next hour; resolves with how many messages went.
   */
  expireOldMessages(): Promise<number> {
    return this.#retention.pass();
  }

  /** A fresh node-local connection id. */
  nextConnectionId(): number {
    return this.#nextConnectionId++;
  }

  /** Encodes an event once and publishes it to a topic. */
  publish(
    topic: Topic,
    action: string,
    data: unknown,
    options: {
      exceptUser?: string;
      /** A connection of this node that must not get it. */
      exceptConnection?: number;
      /** Only connections looking at the room (typing). */
      viewersOnly?: boolean;
      /** Only accounts' connections, no guest's (EventPublication). */
      accountsOnly?: boolean;
      /** Only connections whose name was theirs then (ms). */
      sentAt?: number;
      /** A `message_updated`'s message (EventPublication.updated). */
      updated?: MessageUpdate;
    } = {},
  ): void {
    const publication: EventPublication = {
      type: "event",
      topic,
      frame: encodeEvent(action, data),
    };
    if (options.exceptUser !== undefined) {
      publication.exceptUser = options.exceptUser;
    }
    if (options.exceptConnection !== undefined) {
      publication.exceptConnection = `${this.id}:${options.exceptConnection}`;
    }
    if (options.viewersOnly) publication.viewersOnly = true;
    if (options.accountsOnly) publication.accountsOnly = true;
    if (options.sentAt !== undefined) publication.sentAt = options.sentAt;
    if (options.updated !== undefined) publication.updated = options.updated;
    this.broker.publish(publication);
  }

  /**
   * Publishes a message this node just stored to its room, ordered by seq
   * everywhere, and hands it to the room's webhooks and to Web Push for
   * offline members it mentions (here only: the storing node does it once).
   */
  publishMessage(
    roomKey: string,
    message: ChatMessage,
    here?: readonly string[],
    groups?: readonly string[],
    previewAuthor?: string,
  ): void {
    const room = { key: roomKey, name: message.room };
    this.webhooks.messageStored(room, message);
    this.linkPreviews?.messageStored(roomKey, message, previewAuthor);
    this.push.roomMessage(room, message, nameKey(message.user), {
      here,
      groups,
    });
    this.missedMail?.roomMessage(room, message, nameKey(message.user), {
      groups,
    });
    this.broker.publish({
      type: "event",
      topic: { kind: "room", key: roomKey },
      frame: encodeEvent("receive_message", message),
      sequence: { roomKey, seq: message.seq },
    });
  }

  /** Sends a `system` event to a room, except to the user it is about. */
  notifyRoom(roomKey: string, event: SystemEvent, exceptUser?: string): void {
    this.publish({ kind: "room", key: roomKey }, "system", event, {
      exceptUser,
    });
  }

  /**
   * Adds a room the store just created to this node now, and returns the
   * announcement to every node (the room lists), to make once the
   * creator's reply is queued.
   */
  addRoom(
    key: string,
    name: string,
    options: { private?: boolean; owner?: string; createdAt?: number } = {},
  ): () => void {
    if (this.registry.addRoom(key, name, options)) {
      this.#sequencer.expect(key, 1);
    }
    return () => this.control({ kind: "room_created", key, name, ...options });
  }

  /**
   * Closes (4004) the sockets of an account's sessions on every node: the
   * one session given, or every one but `except`, or those that logged in
   * with the personal access token `token` (a hash). The sessions or the
   * token must be gone from the store already, so no socket logs back in.
   */
  endSessions(
    userKey: string,
    which: { session?: string; except?: string; token?: string },
    reason: string,
  ): void {
    this.control({ kind: "end_sessions", userKey, ...which, reason });
  }

  /**
   * How many control events that can refuse a request this node has applied:
   * bans, removals, rooms deleted, renamed or made private, ended sessions
   * and revoked tokens. A socket learns of them by being moved or closed; a
   * REST request, which has no socket, compares this before it writes
   * (api/caller.ts). Counted for everyone: they are rare.
   */
  get accessChanges(): number {
    return this.#control.accessChanges;
  }

  /** Asks every node to apply a control event (this one included). */
  control(event: ControlEvent): void {
    this.broker.publish({ type: "control", event });
  }

  /**
   * Room counts changed: every node sends its members a fresh room list,
   * at once on a small node, after a short pause that merges bursts on a
   * busy one.
   */
  presenceChanged(): void {
    this.control({ kind: "presence_changed", node: this.id });
  }

  /**
   * Every room a user may see (public ones, and the private ones of its
   * memberships) with its distinct user count across nodes, in creation
   * order. Without a viewer: the public rooms.
   */
  async roomSummaries(viewer?: string): Promise<RoomSummary[]> {
    const counts = await this.presence.roomCounts();
    const mine = viewer === undefined ? undefined : await this.roomsOf(viewer);
    return this.#roomLists.summaries(counts, mine);
  }

  /**
   * A login reply carrying the member's first room list is queued: later
   * lists are what differs from it (RoomLists.replied).
   */
  repliedWithRooms(member: Member, rooms: RoomSummary[]): void {
    this.#roomLists.replied(member, rooms);
  }

  /**
   * An account's rooms: this node's registry while it is online here (the
   * rooms its sockets are told of, read at its login), else the store (an
   * HTTP reader with no socket here).
   */
  async roomsOf(userKey: string): Promise<ReadonlySet<string>> {
    return this.registry.roomsOf(userKey) ??
      new Set(await this.store.memberRooms(userKey));
  }

  /** Names of the distinct users in a room across nodes. */
  usersIn(roomKey: string): Promise<string[]> {
    return this.presence.usersIn(roomKey);
  }

  /** The display name of a user online on any node. */
  onlineName(userKey: string): Promise<string | undefined> {
    return this.presence.onlineName(userKey);
  }

  /** When the guest holding a name on any node logged in; undefined: none does. */
  guestSince(userKey: string): Promise<number | undefined> {
    return this.presence.guestSince(userKey);
  }

  /** Records whether a member's client is hidden (`visibility`), for Web Push. */
  setHidden(member: Member, hidden: boolean): void {
    member.hidden = hidden;
    this.presence.setHidden(`${this.id}:${member.id}`, hidden);
  }

  /**
   * Takes the member's name on this node and across nodes; false when it is
   * taken (a guest's, or any for a guest).
   */
  async claim(member: Member): Promise<boolean> {
    if (!this.registry.claim(member)) return false;
    const granted = await this.presence.add({
      id: `${this.id}:${member.id}`,
      userKey: member.userKey,
      username: member.username,
      roomKey: member.roomKey,
      rooms: this.#presenceRooms(member),
      guest: member.guest,
      since: member.since,
      address: member.address,
    });
    if (granted) this.#sessionExpiry.watch(member);
    else this.registry.release(member);
    return granted;
  }

  /**
   * Moves a member to a room now, and returns the notices to publish once
   * the mover's reply is queued: the room left hears "left" when the user's
   * last connection went, the room entered hears "joined" when it is the
   * user's first, and everyone gets the new room list.
   */
  moveMember(member: Member, roomKey: string): () => void {
    const change = this.registry.enter(member, roomKey);
    if (change.moved) this.#updatePresence(member);
    // An account counts in all its rooms whichever it looks at: only its
    // first room (a login) changes the counts.
    const counted = change.moved &&
      (member.guest || change.from === undefined);
    return () => {
      // The socket may have closed while the reply was being made; its
      // departure was announced then, so this move is old news.
      if (counted) this.presenceChanged();
      if (!this.registry.isMember(member)) return;
      if (change.from !== undefined && change.leftFrom) {
        this.#announceUnlessElsewhere(change.from, member, "left", 0);
      }
      if (change.joinedTo) {
        this.#announceUnlessElsewhere(roomKey, member, "joined", 1);
      }
    };
  }

  // The registry knows first and last connections on this node; with other
  // nodes, presence says whether the user is in the room elsewhere too
  // (`expected` counts this connection: 1 after joining, 0 after leaving).
  #announceUnlessElsewhere(
    roomKey: string,
    member: Member,
    kind: "joined" | "left",
    expected: number,
  ): void {
    if (this.presence.roomCountsNow() !== undefined) {
      this.#announce(roomKey, member, kind);
      return;
    }
    this.presence.connectionsIn(member.userKey, roomKey).then((count) => {
      if (count <= expected) this.#announce(roomKey, member, kind);
    }, () => this.#announce(roomKey, member, kind));
  }

  #presenceRooms(member: Member): string[] | undefined {
    const rooms = this.registry.roomsOf(member.userKey);
    return rooms ? [...rooms] : undefined;
  }

  #updatePresence(member: Member): void {
    this.presence.move(
      `${this.id}:${member.id}`,
      member.roomKey,
      this.#presenceRooms(member),
    );
  }

  /**
   * An account's stored rooms, now joined on this node for this connection
   * and its others (`general` is added when missing: every account belongs
   * to it, and its creation stores that row, but an import of an export
   * made by a server of before may hold none), with their read state
   * as the `login` reply lists them.
   *
   * The rooms are joined first, then counted: a message that arrives in
   * between reaches the connection as an event (as it does when the account
   * is online elsewhere), never falls between the count and the join. The
   * counts go in slices of about LOGIN_SLICE_ROWS index entries, one per
   * turn of the event loop node-wide (#countTurns), so that a login in 100
   * rooms of 1000 unread, which held the thread in one piece, lets every
   * socket's messages in between (docs/performance.md, "Logins of accounts
   * in many rooms").
   */
  async enterRooms(member: Member): Promise<Membership[]> {
    let keys = await this.store.memberRooms(member.userKey);
    if (!keys.includes(GENERAL_ROOM)) {
      await this.store.addMember(member.userKey, GENERAL_ROOM);
      keys = await this.store.memberRooms(member.userKey);
    }
    if (keys.some((key) => this.registry.roomName(key) === undefined)) {
      await this.#loadRooms();
    }
    this.registry.joinRooms(member.userKey, keys);
    // Named now: a room deleted while the counts are made keeps its place
    // here, and its `membership` event follows.
    const rooms = keys.flatMap((key) => {
      const room = this.registry.roomName(key);
      return room === undefined ? [] : [{ key, room }];
    });
    const states = await this.countReadStates(
      member.userKey,
      rooms.map((r) => r.key),
    );
    return rooms.map(({ room }, i) => toMembership(room, states[i]));
  }

  /**
   * An account's read states in these streams (rooms or conversations),
   * counted in slices of about LOGIN_SLICE_ROWS index entries, one per
   * turn of the event loop node-wide, as a login counts its rooms.
   */
  async countReadStates(
    userKey: string,
    streams: readonly string[],
  ): Promise<StreamReadState[]> {
    const states: StreamReadState[] = [];
    while (states.length < streams.length) {
      // The first slice at once: most logins need no other, and a server
      // that many clients reconnect to at once must not line them all up
      // (a turn is a millisecond or two); only the rest take turns.
      if (states.length > 0) await this.#countTurns.turn(userKey);
      const slice = await this.store.readStates(
        userKey,
        streams.slice(states.length),
        LOGIN_SLICE_ROWS,
      );
      if (slice.length === 0) throw new Error("readStates counted nothing");
      states.push(...slice);
    }
    return states;
  }

  /**
   * Makes an account a member of a room: stored first, then joined on this
   * node at once (so the caller can move a connection there). Returns the
   * announcements to make once the reply is queued (every node tells the
   * account's connections; the room hears "joined"), undefined when the
   * account was a member already, or "full" when it belongs to `max` rooms
   * (`--max-memberships` unless told). `invitedBy`: the name key of the
   * account that added it (`invite`), kept for `ignore_user`; "ignored"
   * when the account ignores it (checked in the store's step), and the
   * store's RoomArchivedError when the room is archived (an invitation is
   * a write to the room; a join is not).
   */
  addMembership(
    user: { key: string; name: string },
    roomKey: string,
    notice?: SystemEvent,
    max?: number,
  ): Promise<(() => void) | undefined | "full">;
  addMembership(
    user: { key: string; name: string },
    roomKey: string,
    notice: SystemEvent | undefined,
    max: number,
    invitedBy: string,
  ): Promise<(() => void) | undefined | "full" | "ignored">;
  async addMembership(
    user: { key: string; name: string },
    roomKey: string,
    notice?: SystemEvent,
    max: number = this.maxMemberships,
    invitedBy?: string,
  ): Promise<(() => void) | undefined | "full" | "ignored"> {
    const added = await this.store.addMember(user.key, roomKey, max, invitedBy);
    if (added === "full" || added === "ignored") return added;
    if (!added) return undefined;
    const state = await this.store.readState(user.key, roomKey);
    this.registry.joinRooms(user.key, [roomKey]);
    // A room left kept its place in the account's sections: the layout
    // with it back, told after the membership (the client lists the room,
    // then places it).
    const sections = await sectionsOnJoin(this, user.key, roomKey);
    const room = this.registry.roomInfo(roomKey);
    const name = room?.name ?? roomKey;
    const event: MembershipEvent = {
      room: name,
      member: true,
      ...toReadState(state),
      last_seq: state.lastSeq,
    };
    if (room?.private) event.private = true;
    logger.info("{user} joined {room}", { user: user.name, room: name });
    return () => {
      this.control({
        kind: "membership_changed",
        userKey: user.key,
        roomKey,
        event,
        notice,
      });
      if (sections !== undefined) {
        this.publish({ kind: "user", key: user.key }, "sections", sections);
      }
      this.#announceMembership(roomKey, user.name, {
        kind: "joined",
        text: notice
          ? `${user.name} was added to ${name}`
          : `${user.name} joined ${name}`,
      });
    };
  }

  /**
   * Ends an account's membership of a room: stored first, then here at
   * once (its connections looking at the room move to `general`). Returns
   * the announcements to make once the reply is queued, or undefined when
   * the account was no member.
   */
  async removeMembership(
    user: { key: string; name: string },
    roomKey: string,
    how: {
      kind: "left" | "removed";
      text: string;
      /** `removed`: who removed the user (the room's notice says). */
      by?: string;
      notice?: SystemEvent;
    },
  ): Promise<(() => void) | undefined> {
    if (!await this.store.removeMember(user.key, roomKey)) return undefined;
    const name = this.registry.roomName(roomKey) ?? roomKey;
    this.#leaveHere(user.key, roomKey);
    logger.info("{user} left {room}", { user: user.name, room: name });
    return () => {
      this.control({
        kind: "membership_changed",
        userKey: user.key,
        roomKey,
        event: { room: name, member: false },
        notice: how.notice,
      });
      this.#announceMembership(roomKey, user.name, {
        kind: how.kind,
        text: how.text,
        ...(how.by === undefined ? {} : { by: how.by }),
      });
    };
  }

  // Ends a membership on this node: connections looking at the room go
  // back to `general`.
  #leaveHere(userKey: string, roomKey: string): void {
    for (const member of this.registry.leaveRoom(userKey, roomKey) ?? []) {
      this.registry.enter(member, GENERAL_ROOM);
    }
  }

  #announceMembership(
    roomKey: string,
    user: string,
    notice: { kind: "joined" | "left" | "removed"; text: string; by?: string },
  ): void {
    if (this.registry.userCountIn(roomKey) > this.#announceLimit) return;
    const room = this.registry.roomName(roomKey) ?? roomKey;
    this.notifyRoom(roomKey, { room, user, ...notice }, nameKey(user));
  }

  /** Removes a member that disconnected, with the notices it calls for. */
  removeMember(member: Member): void {
    this.#sessionExpiry.forget(member);
    const departure = this.registry.release(member);
    if (!departure) return;
    this.presence.remove(`${this.id}:${member.id}`);
    if (departure.leftRoom) {
      this.#announceUnlessElsewhere(departure.roomKey, member, "left", 0);
    }
    this.presenceChanged();
  }

  // In a crowd, every arrival told to everyone is quadratic traffic that
  // nobody reads: big rooms stay quiet, as in IRC's large channels.
  #announce(roomKey: string, member: Member, kind: "joined" | "left"): void {
    if (this.registry.userCountIn(roomKey) > this.#announceLimit) return;
    const room = this.registry.roomName(roomKey) ?? roomKey;
    this.notifyRoom(roomKey, {
      room,
      kind,
      user: member.username,
      text: `${member.username} ${kind} ${room}`,
    }, member.userKey);
  }

  /** The key of a room name; undefined when there is no such room. */
  findRoom(name: string): string | undefined {
    const key = nameKey(name);
    return this.registry.roomName(key) === undefined ? undefined : key;
  }

  /** Runs the sweep of due reminders and scheduled messages now. */
  sweepDue(): void {
    void this.#reminders.pass();
  }

  /**
   * Like `findRoom`, but asks the store when this node does not know the
   * room: another node may have created it a moment ago.
   */
  async findRoomAnywhere(name: string): Promise<string | undefined> {
    const key = this.findRoom(name);
    if (key !== undefined) return key;
    await this.#loadRooms();
    return this.findRoom(name);
  }

  #receive(publication: Publication): void {
    if (this.#closed) return;
    if (publication.type === "control") {
      this.#control.apply(publication.event);
      return;
    }
    if (publication.updated && this.#stale(publication.updated)) return;
    const sequence = publication.sequence;
    if (sequence) {
      this.#sequencer.offer(
        sequence.roomKey,
        sequence.seq,
        () => this.#deliver(publication),
      );
    } else {
      this.#deliver(publication);
    }
  }

  // Whether an update is older than one this node delivered for its
  // message: of two edits committed at once by two nodes (or an edit and
  // a reaction), each node delivers its own at once and the other's when
  // Redis brings it, and the older last left its readers on the older
  // text until their next page; after a delete, a stale edit, reaction or
  // pin showed the message again, text and all. An equal version passes
  // (a reply's quote changed with its original, not the reply). Remembers
  // the last VERSIONS_KEPT messages updated (an id and a number each,
  // about 400 KiB); a stale update comes within milliseconds of the newer.
  #stale(updated: MessageUpdate): boolean {
    const known = this.#versions.get(updated.id) ?? 0;
    if (!updated.deleted) {
      if (known === Number.POSITIVE_INFINITY) return true;
      // From a node that predates versions: only a delete is known final.
      if (updated.version === undefined) return false;
      if (updated.version < known) return true;
    }
    // Newest last: the entry updated longest ago is the first to go.
    this.#versions.delete(updated.id);
    this.#versions.set(
      updated.id,
      updated.deleted
        ? Number.POSITIVE_INFINITY
        : Math.max(known, updated.version!),
    );
    if (this.#versions.size > VERSIONS_KEPT) {
      this.#versions.delete(this.#versions.keys().next().value!);
    }
    return false;
  }

  #deliver(publication: EventPublication): void {
    const { topic, frame, exceptUser } = publication;
    const members = topic.kind === "room"
      ? this.registry.membersOf(topic.key)
      : topic.kind === "user"
      ? this.registry.connectionsOf(topic.key)
      : this.registry.everyone();
    // Rare filters, read once: the loop of a plain publication is as it was.
    const except = this.#localConnection(publication.exceptConnection);
    const viewing = publication.viewersOnly && topic.kind === "room"
      ? topic.key
      : undefined;
    const sentAt = publication.sentAt ?? Number.POSITIVE_INFINITY;
    let delivered = 0;
    const wide = ("size" in members ? members.size : members.length) >=
      WIDE_BROADCAST;
    const deliver = (member: Member) => {
      if (member.userKey === exceptUser) return;
      if (except !== undefined && member.id === except) return;
      if (viewing !== undefined && member.roomKey !== viewing) return;
      if (member.since > sentAt) return;
      member.outbox.push(frame, wide);
      delivered++;
    };
    // A room's or a user's members come as an array, walked with a plain
    // loop that V8 inlines `deliver` into; everyone's as the registry's
    // Set, with forEach, not for...of: iterating a Set made an object per
    // member (850 bytes per message to a room of 20, docs/performance.md).
    if (publication.accountsOnly) {
      // Rare (a group's change): its own walk, so the loops below, every
      // other publication's, stay as they were.
      members.forEach((member: Member) => {
        if (!member.guest) deliver(member);
      });
    } else if (Array.isArray(members)) {
      for (let i = 0; i < members.length; i++) deliver(members[i]);
    } else {
      members.forEach(deliver);
    }
    this.metrics.eventsDelivered += delivered;
  }

  // The connection id in `<node id>:<id>` when the node is this one.
  #localConnection(id: string | undefined): number | undefined {
    if (id === undefined || !id.startsWith(`${this.id}:`)) return undefined;
    return Number(id.slice(this.id.length + 1));
  }

  // Messages a gap left out, read back from the store.
  async #missed(roomKey: string, afterSeq: number, beforeSeq: number) {
    const messages = await this.store.history(roomKey, {
      afterSeq,
      beforeSeq,
      limit: 200,
    });
    return messages.map((message) => ({
      seq: message.seq,
      deliver: () =>
        this.#deliver({
          type: "event",
          topic: { kind: "room", key: roomKey },
          frame: encodeEvent("receive_message", message),
        }),
    }));
  }

  /**
   * The limits a client keeps to before it asks, as the login reply and
   * `GET /api/me` give them: so it refuses a file too large at once, rather
   * than spend a whole file of its upload pace (routes/files.ts) to learn it.
   */
  serverLimits(): ServerLimits {
    return { max_file_bytes: this.files.maxFileBytes };
  }

  /** Stops timers, then closes presence, the broker, the files and the store. */
  async close(): Promise<void> {
    this.#closed = true;
    this.metrics.loopDelay.stop();
    this.#roomLists.close();
    // It publishes and pushes: it ends before the broker and push close.
    await this.#reminders.close();
    await this.#expiry.close();
    this.#sessionExpiry.close();
    this.#sequencer.close();
    await this.accounts.close();
    await this.webhooks.close();
    await this.push.close();
    await this.missedMail?.idle();
    await this.linkPreviews?.close();
    this.mail?.mailer.close();
    await this.userLimits.close();
    await this.addressLimits.close();
    await this.presence.close();
    await this.broker.close();
    // Retention and the files' sweep use the store: they end first.
    await this.#retention.close();
    await this.files.close();
    await this.store.close();
    logger.debug("Node closed");
  }
}

/** A stored read state as the wire shows it. */
export function toReadState(
  state: StreamReadState,
): { last_read_seq: number; unread: number; mentions: number } {
  return {
    last_read_seq: state.lastReadSeq,
    unread: state.unread,
    mentions: state.mentions,
  };
}

function toMembership(room: string, m: StreamReadState): Membership {
  return { room, ...toReadState(m), last_seq: m.lastSeq };
}
