/**
 * Who a published frame is for. `room` and `user` take name keys; `everyone`
 * is every logged-in connection (room lists, server notices).
 */
export type Topic =
  | { kind: "room"; key: string }
  | { kind: "user"; key: string }
  | { kind: "everyone" };

/** A frame on its way to the members of a topic. */
export interface Publication {
  topic: Topic;
  /** The encoded frame, serialized once for every recipient. */
  frame: string;
  /** Name key of a user whose connections must not get it (the actor). */
  exceptUser?: string;
}

/** Receives publications for local delivery. */
export type DeliveryHandler = (publication: Publication) => void;

/**
 * Fan-out between nodes. Publishing delivers to this node's handler without
 * a round trip, and to every other node when there are others. The memory
 * broker is for one process; a distributed one carries frames between them.
 */
export interface Broker {
  /** Sets the local handler; called once at start-up. */
  onDelivery(handler: DeliveryHandler): void;
  /** Delivers a publication here and on every other node. */
  publish(publication: Publication): void;
  /** Stops; later publishes are dropped. */
  close(): Promise<void>;
}
