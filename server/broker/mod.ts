import type { MembershipEvent, Role, SystemEvent } from "../protocol/types.ts";

/**
 * Who an event is for. `room` and `user` take name keys; `everyone` is
 * every logged-in connection (room lists, server notices).
 */
export type Topic =
  | { kind: "room"; key: string }
  | { kind: "user"; key: string }
  | { kind: "everyone" };

/** An encoded event on its way to the members of a topic. */
export interface EventPublication {
  type: "event";
  topic: Topic;
  /** The encoded frame, serialized once for every recipient. */
  frame: string;
  /** Name key of a user whose connections must not get it (the actor). */
  exceptUser?: string;
  /** One connection that must not get it: `<node id>:<connection id>`. */
  exceptConnection?: string;
  /** Only connections looking at the room get it (typing). */
  viewersOnly?: boolean;
  /**
   * Only accounts' connections get it, no guest's (`group_updated`: groups
   * are for accounts). A node from before it delivers to guests too.
   */
  accountsOnly?: boolean;
  /**
   * For the update of a private message: when it was sent (ms). A
   * connection whose name became its own later (a new guest under a freed
   * name, an account registered again) does not get it: the message was
   * never its to read.
   */
  sentAt?: number;
  /** For room messages: receivers deliver in this order, filling gaps. */
  sequence?: { roomKey: string; seq: number };
  /**
   * For `message_updated`: which message, whether this update deletes it,
   * and its version (MessageBase.version). A receiver drops an update older
   * than one it delivered for that message (two edits, or an edit and a
   * reaction, committed by two nodes or two database connections, whose
   * events crossed on the way), and any update after a delete, which is
   * final. `version` is absent from a node that predates it: only the
   * delete's rule applies to its updates.
   */
  updated?: MessageUpdate;
}

/** Which message a `message_updated` is about (EventPublication.updated). */
export interface MessageUpdate {
  id: string;
  deleted: boolean;
  version?: number;
}

/** Something every node must do to its own connections and rooms. */
export type ControlEvent =
  | {
    kind: "room_created";
    key: string;
    name: string;
    private?: boolean;
    owner?: string;
    /** Creation time (ms): the room's epoch. */
    createdAt?: number;
  }
  | {
    /** An account joined or left a room: every node updates its connections. */
    kind: "membership_changed";
    userKey: string;
    roomKey: string;
    /** What the account's connections are told (`membership` event). */
    event: MembershipEvent;
    /** A `system` notice for them too (invited, removed). */
    notice?: SystemEvent;
  }
  | { kind: "room_deleted"; key: string; name: string; by: string }
  | {
    /** An admin renamed a room: `key` and `from` were its key and name. */
    kind: "room_renamed";
    key: string;
    newKey: string;
    name: string;
    from: string;
    by: string;
  }
  | {
    /** A room's topic changed (`set_topic`); absent: none. */
    kind: "room_topic";
    key: string;
    topic?: string;
  }
  | {
    /** Who posts in a room changed (`set_room_posting`). */
    kind: "room_posting";
    key: string;
    posting: "everyone" | "moderators";
  }
  | {
    /** A room was archived or brought back (`archive_room`). */
    kind: "room_archived";
    key: string;
    archived: boolean;
  }
  | {
    /** An admin made a room private or public, or gave it an owner. */
    kind: "room_changed";
    key: string;
    private: boolean;
    owner?: string;
  }
  | {
    kind: "remove_user";
    userKey: string;
    reason: "kicked" | "banned";
    text: string;
    /** The moderator or admin, for the notice's `by`. */
    by?: string;
    /** The moderator's reason, for the notice's `reason`. */
    because?: string;
    /** An admin deleted the account (the notice's `account_deleted`). */
    accountDeleted?: true;
  }
  | {
    kind: "evict_user";
    userKey: string;
    roomKey: string;
    text: string;
    /** The moderator and the reason, for the notice's `by` and `reason`. */
    by?: string;
    because?: string;
  }
  | {
    kind: "role_changed";
    userKey: string;
    role: Role;
    by: string;
    /** The account's name and creation time, for moderators' `role_changed`. */
    user: string;
    createdAt: number;
  }
  | {
    kind: "end_sessions";
    userKey: string;
    /** Only this session (its token's hash)... */
    session?: string;
    /** ...or every session but this one... */
    except?: string;
    /**
     * ...or the sockets of this personal access token (its hash), which
     * have no session; the other two never end them.
     */
    token?: string;
    /** The close reason the sockets get. */
    reason: string;
  }
  | {
    /**
     * A user group was created or deleted: every node reads the groups'
     * keys again when next needed (group_names.ts). A node of before
     * ignores it, as any kind it does not know.
     */
    kind: "groups_changed";
  }
  | {
    kind: "presence_changed";
    /**
     * The node whose users moved: it reads its own from memory (absent
     * from nodes of before: read again).
     */
    node?: string;
  };

/** A control event for every node, this one included. */
export interface ControlPublication {
  type: "control";
  event: ControlEvent;
}

/** What travels through a broker. */
export type Publication = EventPublication | ControlPublication;

/** Receives publications for local delivery. */
export type DeliveryHandler = (publication: Publication) => void;

/**
 * Fan-out between nodes (one PubSub API; the adapter is a start-up choice).
 * Publishing delivers to this node's handler without a round trip, and to
 * every other node when there are others.
 */
export interface Broker {
  /** Sets the local handler; called once at start-up. */
  onDelivery(handler: DeliveryHandler): void;
  /**
   * Sets what to do when publications reach this node again after an
   * outage (the subscription was lost and is back): what other nodes
   * published meanwhile never came. Never called by a broker that cannot
   * lose any.
   */
  onReturn(handler: () => void): void;
  /** Delivers a publication here and on every other node. */
  publish(publication: Publication): void;
  /** True while publications reach the other nodes. */
  healthy(): boolean;
  /** Stops; later publishes are dropped. Closing again is harmless. */
  close(): Promise<void>;
}
