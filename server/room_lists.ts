import { log } from "./log.ts";
import type { Metrics } from "./metrics.ts";
import type { PresenceManager } from "./presence/mod.ts";
import type { RoomSummary } from "./protocol/types.ts";
import type { ListedInReply, Member, RoomRegistry } from "./registry.ts";
import { RoomListChanges } from "./room_changes.ts";
import { frameOf, type RoomList, RoomListPace } from "./room_list_pace.ts";

const logger = log("node");

// Room lists go out at most this often per node: a storm of create_room
// costs every bystander four lists a second, not one per room.
const ROOM_LIST_INTERVAL_MS = 250;

// Whole room lists a connection without `room_changes` may get, in bytes a
// second (room_list_pace.ts): lists up to 4 KiB (about 150 rooms) keep the
// 250 ms pace, longer ones wait in proportion.
const PLAIN_ROOM_LIST_BYTES_PER_SECOND = 16 * 1024;

/** What the room lists are made from: the node's own parts. */
export interface RoomListSource {
  readonly registry: RoomRegistry;
  readonly presence: Pick<PresenceManager, "roomCounts" | "roomCountsNow">;
  readonly metrics: Metrics;
}

/**
 * A node's room lists: when its members get a fresh one (`schedule`), and
 * what each gets, the shared public list, an account's own with its
 * private rooms, the changes (room_changes.ts) or nothing (room_list_pace.ts).
 */
export class RoomLists {
  #source: RoomListSource;
  #timer?: ReturnType<typeof setTimeout>;
  #sentAt = -Infinity;
  // Lists held back from connections without room_changes, and the pass
  // that sends them once their wait is over.
  #pace = new RoomListPace(PLAIN_ROOM_LIST_BYTES_PER_SECOND);
  #catchUp?: ReturnType<typeof setTimeout>;
  #lastSharedList = "";
  #changes = new RoomListChanges();
  #closed = false;

  constructor(source: RoomListSource) {
    this.#source = source;
  }

  /**
   * Room lists changed: every member here gets a fresh one. A small server
   * sends the room list at once, in the same turn as the reply that
   * changed it, so a client sees both together, unless it sent one less
   * than ROOM_LIST_INTERVAL_MS ago: then the changes until then go out
   * together. A busy one (or one that must ask Redis) coalesces bursts,
   * hundreds of logins at once, into one list per connection, pausing
   * longer the more it carries.
   */
  schedule(): void {
    if (this.#timer !== undefined || this.#closed) return;
    const { registry, presence } = this.#source;
    const members = registry.memberCount;
    const wait = this.#sentAt + ROOM_LIST_INTERVAL_MS - performance.now();
    const counts = members < 200 && wait <= 0
      ? presence.roomCountsNow()
      : undefined;
    if (counts) {
      this.#send(counts);
      return;
    }
    const pause = Math.max(
      wait,
      members < 200 ? 0 : Math.min(1000, members / 10),
    );
    this.#timer = setTimeout(async () => {
      this.#timer = undefined;
      try {
        this.#send(await presence.roomCounts());
      } catch (error) {
        logger.error("Cannot build the room list: {error}", { error });
      }
    }, pause);
  }

  // One encoded list for everyone; only accounts that belong to private
  // rooms get one of their own (one per account, shared by its
  // connections), and a node without private rooms never looks.
  // Connections that asked for changes get them instead (room_changes.ts):
  // nothing at all when nothing they may see changed.
  #send(counts: Map<string, number>): void {
    const { registry, metrics } = this.#source;
    const now = this.#sentAt = performance.now();
    const publicRooms = this.summaries(counts);
    this.#changes.next(publicRooms);
    const shared: RoomList = { rooms: publicRooms };
    const anyPrivate = registry.rooms().some((room) => room.private);
    const own = new Map<string, RoomList>();
    let delivered = 0;
    registry.everyone().forEach((member) => {
      // A login reply being made carries the list: nothing before it,
      // but what this pass carries comes after it (replied).
      const listed = member.listedInReply;
      if (listed && listed.rooms === undefined) {
        listed.skipped = true;
        return;
      }
      const mine = anyPrivate && !member.guest &&
          registry.hasPrivateRooms(member.userKey)
        ? registry.roomsOf(member.userKey)
        : undefined;
      const list = (): RoomList => {
        if (!mine) return shared;
        let list = own.get(member.userKey);
        if (!list) {
          list = { rooms: this.summaries(counts, mine) };
          own.set(member.userKey, list);
        }
        return list;
      };
      const full = () => frameOf(list());
      const view = member.roomView;
      let frame: string | undefined;
      if (listed?.rooms) {
        // Its first list was its login reply's: what differs from that.
        member.listedInReply = undefined;
        frame = view
          ? this.#changes.frameAfterReply(
            view,
            listed.rooms,
            mine ? this.summaries(counts, mine, true) : [],
            full,
          )
          : this.#paced(member, list(), shared, now, listed);
      } else {
        frame = view
          ? this.#changes.frameFor(
            view,
            mine || view.private.size > 0
              ? this.summaries(counts, mine, true)
              : [],
            full,
          )
          : this.#paced(member, list(), shared, now);
      }
      if (frame === undefined) return;
      member.outbox.push(frame);
      delivered++;
    });
    metrics.eventsDelivered += delivered;
    this.#catchUpLists(now);
  }

  /**
   * A login reply carrying `rooms` is queued: from here the connection's
   * lists are measured against that list. A pass made while the reply was
   * being built skipped the connection, and what it carried (a room
   * created, a topic set, a count changed after the reply's list was read)
   * would reach it only with the next pass, whenever something else
   * changes: so one more pass comes now. It costs a pass of the node (one
   * more list to each connection whose list differs), only for a login
   * that overlapped one.
   */
  replied(member: Member, rooms: RoomSummary[]): void {
    const listed = member.listedInReply;
    if (!listed) return;
    member.listedInReply = { rooms, at: performance.now() };
    if (listed.skipped) this.schedule();
  }

  // A connection without room_changes gets a whole list only when it
  // differs from its last, and not too soon after it (room_list_pace.ts).
  // The public list's text is made once a pass, and when unchanged it is
  // the very string of the pass before, so each connection's comparison
  // stops at the pointer instead of reading the whole list.
  #paced(
    member: Member,
    list: RoomList,
    shared: RoomList,
    now: number,
    listed?: ListedInReply,
  ): string | undefined {
    if (list === shared && shared.text === undefined) {
      const text = JSON.stringify(shared.rooms);
      shared.text = text === this.#lastSharedList
        ? this.#lastSharedList
        : this.#lastSharedList = text;
    }
    list.text ??= JSON.stringify(list.rooms);
    // The login reply counts as the list it was last sent, and when.
    if (listed?.rooms) {
      this.#pace.sent(member, JSON.stringify(listed.rooms), listed.at ?? now);
    }
    if (!this.#pace.take(member, list.text, now)) return undefined;
    return frameOf(list);
  }

  // Lists held back go out with the pass made when the earliest is due
  // (each pass sees every connection again, so the latest pass's time is
  // the one to keep). A pass costs O(rooms) even if nothing changed.
  #catchUpLists(now: number): void {
    const due = this.#pace.due();
    clearTimeout(this.#catchUp);
    this.#catchUp = undefined;
    if (due === Infinity || this.#closed) return;
    this.#catchUp = setTimeout(() => {
      this.#catchUp = undefined;
      this.schedule();
    }, Math.max(0, due - now));
  }

  /**
   * Public rooms, and the private ones the viewer belongs to (or those
   * alone: `onlyPrivate`).
   */
  summaries(
    counts: Map<string, number>,
    mine?: ReadonlySet<string>,
    onlyPrivate = false,
  ): RoomSummary[] {
    const summaries: RoomSummary[] = [];
    for (const room of this.#source.registry.rooms()) {
      if (room.private ? !mine?.has(room.key) : onlyPrivate) continue;
      const summary: RoomSummary = {
        name: room.name,
        users: counts.get(room.key) ?? 0,
      };
      if (room.private) summary.private = true;
      if (room.topic !== undefined) summary.topic = room.topic;
      if (room.archived) summary.archived = true;
      if (room.posting) summary.posting = room.posting;
      summaries.push(summary);
    }
    return summaries;
  }

  /** Stops the timers; nothing is scheduled after. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    clearTimeout(this.#catchUp);
  }
}
