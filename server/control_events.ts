import type { ControlEvent } from "./broker/mod.ts";
import { NO_REASON, SERVER_ACTOR } from "./handlers/audit.ts";
import {
  CLOSE_REMOVED,
  CLOSE_SESSION_ENDED,
  closeReason,
} from "./protocol/close_codes.ts";
import { encodeEvent } from "./protocol/envelope.ts";
import { RANK } from "./protocol/ranks.ts";
import {
  GENERAL_ROOM,
  type RoleChangedEvent,
  type RoomOwnerEvent,
  type SystemEvent,
} from "./protocol/types.ts";
import type { PresenceManager } from "./presence/mod.ts";
import type { Member, RoomRegistry } from "./registry.ts";
import type { RoomLists } from "./room_lists.ts";
import type { RoomSequencer } from "./sequencer.ts";
import type { SessionExpiry } from "./session_expiry.ts";
import { shownOwner } from "./store/mod.ts";

/**
 * The node's parts a control event changes: its registry, presence,
 * delivery order, session timers and room lists, and the moves and notices
 * the node makes for its handlers too.
 */
export interface ControlTarget {
  /** The node's id: its connections are `<id>:<connection id>` in presence. */
  readonly id: string;
  readonly registry: RoomRegistry;
  readonly presence: PresenceManager;
  readonly sequencer: RoomSequencer;
  readonly sessionExpiry: SessionExpiry;
  readonly roomLists: RoomLists;
  /** ChatNode.notifyRoom. */
  notifyRoom(roomKey: string, event: SystemEvent, exceptUser?: string): void;
  /** ChatNode.moveMember: returns the notices to make after. */
  moveMember(member: Member, roomKey: string): () => void;
  /** ChatNode.presenceChanged. */
  presenceChanged(): void;
  /** A group was created or deleted: the node forgets their keys. */
  groupsChanged(): void;
  /** Tells presence where a member is and which rooms it belongs to. */
  updatePresence(member: Member): void;
  /** Ends a membership on this node: those looking at it go to `general`. */
  leaveHere(userKey: string, roomKey: string): void;
  /** "joined" or "left", unless the user is in the room on another node. */
  announceUnlessElsewhere(
    roomKey: string,
    member: Member,
    kind: "joined" | "left",
    expected: number,
  ): void;
}

/**
 * Whatever must happen on every node (a room created, deleted, renamed or
 * made private, a membership changed, a user removed, banned from a room
 * or given a role, sessions ended) comes as a control event; each node
 * applies it here to its own members.
 */
export class ControlEvents {
  #node: ControlTarget;
  #accessChanges = 0;

  constructor(node: ControlTarget) {
    this.#node = node;
  }

  /**
   * How many control events that can refuse a request were applied
   * (ChatNode.accessChanges).
   */
  get accessChanges(): number {
    return this.#accessChanges;
  }

  /** Applies a control event to this node's members. */
  apply(event: ControlEvent): void {
    if (refuses(event)) this.#accessChanges++;
    switch (event.kind) {
      case "presence_changed":
        // Counts and lists read after this see the change (presence/redis.ts
        // keeps a read of the other nodes a quarter second otherwise); this
        // node's own moves are in its memory, no reason to read the others.
        if (event.node !== this.#node.id) this.#node.presence.othersChanged();
        this.#node.roomLists.schedule();
        return;
      case "groups_changed":
        this.#node.groupsChanged();
        return;
      case "room_created":
        if (this.#node.registry.addRoom(event.key, event.name, event)) {
          this.#node.sequencer.expect(event.key, 1);
        }
        this.#node.roomLists.schedule();
        return;
      case "membership_changed":
        this.#membershipChanged(event);
        return;
      case "room_deleted":
        this.#roomDeleted(event.key, event.name, event.by);
        return;
      case "room_changed":
        this.#roomChanged(event);
        return;
      case "room_topic":
        // The room lists carry it: every connection that sees the room.
        if (this.#node.registry.setTopic(event.key, event.topic)) {
          this.#node.roomLists.schedule();
        }
        return;
      case "room_posting":
        // The room lists carry it, and the registry's flag refuses posts.
        if (this.#node.registry.setPosting(event.key, event.posting)) {
          this.#node.roomLists.schedule();
        }
        return;
      case "room_archived":
        // The room lists carry it, and the registry's flag refuses sends.
        if (this.#node.registry.setArchived(event.key, event.archived)) {
          this.#node.roomLists.schedule();
        }
        return;
      case "room_renamed":
        this.#roomRenamed(event);
        return;
      case "remove_user":
        this.#removeUser(event);
        return;
      case "evict_user":
        this.#evict(event);
        return;
      case "role_changed":
        this.#applyRole(event);
        return;
      case "end_sessions":
        this.#endSessions(event);
        return;
    }
  }

  // Every connection of a user here gets the notice and is closed; its
  // room hears it instead of "left".
  #removeUser(event: Extract<ControlEvent, { kind: "remove_user" }>): void {
    const { userKey, reason: kind, text } = event;
    const who: Pick<SystemEvent, "by" | "reason" | "account_deleted"> = actor(
      event.by,
      event.because,
    );
    if (event.accountDeleted) who.account_deleted = true;
    const members = [...this.#node.registry.connectionsOf(userKey)];
    const rooms = new Set<string>();
    for (const member of members) {
      rooms.add(member.roomKey);
      const room = this.#node.registry.roomName(member.roomKey) ??
        member.roomKey;
      member.outbox.push(
        encodeEvent("system", {
          room,
          kind,
          user: member.username,
          text,
          ...who,
          scope: "server",
        }),
      );
      this.#node.registry.release(member);
      this.#node.sessionExpiry.forget(member);
      this.#node.presence.remove(`${this.#node.id}:${member.id}`);
      member.disconnect(CLOSE_REMOVED, closeReason(text));
    }
    // The node that held the connections tells their rooms, on every node.
    const name = members[0]?.username;
    for (const roomKey of rooms) {
      const room = this.#node.registry.roomName(roomKey) ?? roomKey;
      this.#node.notifyRoom(
        roomKey,
        { room, kind, user: name, text, ...who },
        userKey,
      );
    }
    if (members.length > 0) this.#node.roomLists.schedule();
  }

  // A room ban: the user's connections in that room go back to `general`.
  #evict(event: Extract<ControlEvent, { kind: "evict_user" }>): void {
    const { userKey, roomKey, text } = event;
    const who = actor(event.by, event.because);
    const room = this.#node.registry.roomName(roomKey) ?? roomKey;
    let name: string | undefined;
    for (const member of [...this.#node.registry.connectionsOf(userKey)]) {
      if (member.roomKey !== roomKey) continue;
      name = member.username;
      member.outbox.push(
        encodeEvent("system", {
          room,
          kind: "banned",
          user: name,
          text,
          ...who,
          scope: "room",
        }),
      );
      // The room hears "banned" below, not "left".
      const change = this.#node.registry.enter(member, GENERAL_ROOM);
      if (change.joinedTo) {
        this.#node.announceUnlessElsewhere(GENERAL_ROOM, member, "joined", 1);
      }
    }
    // An account's membership ended with the ban (the handler stored it).
    const members = [...this.#node.registry.connectionsOf(userKey)];
    const wasMember = this.#node.registry.isMemberOf(userKey, roomKey);
    this.#node.leaveHere(userKey, roomKey);
    const left = encodeEvent("membership", { room, member: false });
    for (const member of members) {
      this.#node.updatePresence(member);
      if (wasMember) member.outbox.push(left);
    }
    if (members.length > 0) this.#node.presenceChanged();
    if (name !== undefined) {
      this.#node.notifyRoom(
        roomKey,
        { room, kind: "banned", user: name, text, ...who },
        userKey,
      );
    }
  }

  // Members here are told; those looking at it move to `general`; then
  // the room and every membership of it are gone.
  #roomDeleted(roomKey: string, room: string, by: string): void {
    const deleted = encodeEvent("system", {
      room,
      kind: "deleted",
      text: `${by} deleted ${room}`,
      ...actor(by),
    });
    const announcements: (() => void)[] = [];
    const members = [...this.#node.registry.membersOf(roomKey)];
    for (const member of members) {
      member.outbox.push(deleted);
      if (member.roomKey === roomKey) {
        announcements.push(this.#node.moveMember(member, GENERAL_ROOM));
      }
    }
    this.#node.registry.removeRoom(roomKey);
    const ended = encodeEvent("membership", { room, member: false });
    for (const member of members) {
      if (member.guest) continue;
      this.#node.updatePresence(member);
      member.outbox.push(ended);
    }
    this.#node.sequencer.forget(roomKey);
    for (const announce of announcements) announce();
    this.#node.roomLists.schedule();
  }

  #endSessions(event: Extract<ControlEvent, { kind: "end_sessions" }>): void {
    for (
      const member of [...this.#node.registry.connectionsOf(event.userKey)]
    ) {
      if (event.token !== undefined) {
        if (member.apiToken === event.token) {
          member.disconnect(CLOSE_SESSION_ENDED, event.reason);
        }
        continue;
      }
      const hash = member.session?.tokenHash;
      if (hash === undefined) continue;
      const ends = event.session !== undefined
        ? hash === event.session
        : hash !== event.except;
      if (ends) member.disconnect(CLOSE_SESSION_ENDED, event.reason);
    }
  }

  // A room made private keeps its members; guests and others looking at
  // it without being members go back to `general`.
  // A new owner changes who may remove whom (remove_member): everyone
  // getting the room's events hears it, so the pages showing its member
  // list follow at once.
  #roomChanged(event: Extract<ControlEvent, { kind: "room_changed" }>): void {
    const before = this.#node.registry.roomInfo(event.key)?.owner;
    if (!this.#node.registry.updateRoom(event.key, event)) return;
    const owner = shownOwner(event.owner);
    if (owner !== shownOwner(before)) {
      const room = this.#node.registry.roomName(event.key) ?? event.key;
      const data: RoomOwnerEvent = owner === undefined
        ? { room }
        : { room, owner };
      const frame = encodeEvent("room_owner", data);
      for (const member of this.#node.registry.membersOf(event.key)) {
        member.outbox.push(frame);
      }
    }
    const announcements: (() => void)[] = [];
    if (event.private) {
      for (const member of [...this.#node.registry.membersOf(event.key)]) {
        if (member.roomKey !== event.key) continue;
        if (this.#node.registry.isMemberOf(member.userKey, event.key)) continue;
        const room = this.#node.registry.roomName(event.key) ?? event.key;
        member.outbox.push(encodeEvent("system", {
          room,
          kind: "removed",
          user: member.username,
          text: `${room} is now private: for its members only`,
          private: true,
        }));
        announcements.push(this.#node.moveMember(member, GENERAL_ROOM));
      }
    }
    for (const announce of announcements) announce();
    this.#node.roomLists.schedule();
  }

  // Everyone who gets the room's events hears the new name; connections
  // looking at it stay, now under the new key, and presence follows.
  #roomRenamed(event: Extract<ControlEvent, { kind: "room_renamed" }>): void {
    const members = [...this.#node.registry.membersOf(event.key)];
    if (!this.#node.registry.renameRoom(event.key, event.newKey, event.name)) {
      return;
    }
    this.#node.sequencer.rename(event.key, event.newKey);
    const notice = encodeEvent("system", {
      room: event.name,
      kind: "renamed",
      from: event.from,
      user: event.by,
      text: `${event.by} renamed ${event.from} to ${event.name}`,
    });
    for (const member of members) {
      this.#node.updatePresence(member);
      member.outbox.push(notice);
    }
    this.#node.roomLists.schedule();
  }

  // The account's connections take the role and are told; then every
  // moderator and admin here (the account too, if it now is one) hears
  // it, so their pages offer on it what the rank rule now allows. A walk
  // of this node's connections, for an admin's rare act.
  #applyRole(event: Extract<ControlEvent, { kind: "role_changed" }>): void {
    const { userKey, role, by } = event;
    for (const member of this.#node.registry.connectionsOf(userKey)) {
      member.role = role;
      const room = this.#node.registry.roomName(member.roomKey) ??
        member.roomKey;
      member.outbox.push(encodeEvent("system", {
        room,
        kind: "info",
        user: member.username,
        text: `${by} made you ${role}`,
        role,
        ...actor(by),
      }));
    }
    const data: RoleChangedEvent = {
      user: event.user,
      role,
      created_at: new Date(event.createdAt).toISOString(),
    };
    const frame = encodeEvent("role_changed", data);
    this.#node.registry.everyone().forEach((member) => {
      if (RANK[member.role] >= RANK.moderator) member.outbox.push(frame);
    });
  }

  // On every node: the account's connections here follow the change, are
  // told, and everyone's room list is refreshed.
  #membershipChanged(
    event: Extract<ControlEvent, { kind: "membership_changed" }>,
  ): void {
    if (event.event.member) {
      this.#node.registry.joinRooms(event.userKey, [event.roomKey]);
    } else {
      this.#node.leaveHere(event.userKey, event.roomKey);
    }
    const frames = [encodeEvent("membership", event.event)];
    if (event.notice) frames.push(encodeEvent("system", event.notice));
    for (const member of this.#node.registry.connectionsOf(event.userKey)) {
      this.#node.updatePresence(member);
      for (const frame of frames) member.outbox.push(frame);
    }
    this.#node.roomLists.schedule();
  }
}

/**
 * A notice's `by` and `reason`: who acted, left out when the server did
 * (its sentence says "the server", and a client says that in its own
 * words), and why, left out when no reason was given (the sentence's "no
 * reason given" is English, a client leaves it out).
 */
function actor(
  by: string | undefined,
  reason?: string,
): { by?: string; reason?: string } {
  const who: { by?: string; reason?: string } = {};
  if (by !== undefined && by !== SERVER_ACTOR) who.by = by;
  if (reason !== undefined && reason !== NO_REASON) who.reason = reason;
  return who;
}

/** Whether a control event can refuse someone's next request. */
function refuses(event: ControlEvent): boolean {
  switch (event.kind) {
    case "remove_user":
    case "evict_user":
    case "room_deleted":
    case "room_renamed":
    case "end_sessions":
      return true;
    case "room_changed":
      return event.private === true;
    case "room_archived":
      return event.archived;
    case "room_posting":
      return event.posting === "moderators";
    case "membership_changed":
      return !event.event.member;
    default:
      return false;
  }
}
