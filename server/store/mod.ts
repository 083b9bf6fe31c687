import type { ChatMessage } from "../protocol/types.ts";

/** A room as the store keeps it. */
export interface StoredRoom {
  /** Case-folded name: the identity of the room. */
  key: string;
  /** The name as first written. */
  name: string;
  /** Creation time, ms since the epoch. */
  createdAt: number;
}

/** A message about to be stored: the store assigns `id`, `seq` and `ts`. */
export interface MessageDraft {
  roomKey: string;
  userKey: string;
  user: string;
  text: string;
  clientId?: string;
}

/** What `appendMessage` did. */
export interface AppendResult {
  message: ChatMessage;
  /** True when `clientId` was seen before: `message` is the first one. */
  duplicate: boolean;
}

/** Which page of a room's history to read. */
export interface HistoryQuery {
  /** Only messages with a smaller seq. */
  beforeSeq?: number;
  /** Only messages with a greater seq. */
  afterSeq?: number;
  /** At most this many (default 50). */
  limit?: number;
}

/**
 * Durable state: rooms and messages. A promise it resolves means the data is
 * on disk (or in the database) and survives a crash. Implementations throw
 * `StoreUnavailableError` when they cannot reach their storage.
 */
export interface Store {
  /** Every room, oldest first. */
  listRooms(): Promise<StoredRoom[]>;
  /** Creates a room; null when a room with that key exists already. */
  createRoom(name: string, key: string): Promise<StoredRoom | null>;
  /**
   * Stores a message with the room's next seq, or returns the first message
   * sent with the same (room, user, clientId).
   */
  appendMessage(draft: MessageDraft): Promise<AppendResult>;
  /**
   * A page of a room's messages, oldest first. With `afterSeq` the page
   * starts right after it; otherwise it ends at the newest (or `beforeSeq`).
   */
  history(roomKey: string, query: HistoryQuery): Promise<ChatMessage[]>;
  /** Resolves when the storage answers; for health checks. */
  ping(): Promise<void>;
  /** Flushes and closes; later calls fail. */
  close(): Promise<void>;
}

/** Default and largest page sizes of `history`. */
export const HISTORY_DEFAULT_LIMIT = 50;
export const HISTORY_MAX_LIMIT = 200;
