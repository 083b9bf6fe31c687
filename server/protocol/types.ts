/**
 * Wire types shared by the server and the web client: types and a few
 * constants, no runtime logic, so the client bundle can import it for free.
 */
import type { ErrorCode } from "./error_codes.ts";

/** A role stored with an account; guests are always `user`. */
export type Role = "admin" | "moderator" | "user";

/** A file shared in a message (uploaded first with `POST /api/files`). */
export interface Attachment {
  /** Where the file is served, e.g. `/files/<sha256>/photo.png`. */
  url: string;
  name: string;
  /** Size in bytes. */
  size: number;
  /**
   * MIME type: an image type only when the bytes are such an image (an
   * image claimed but not found is `application/octet-stream`).
   */
  type: string;
  /** Pixels of an image the server read (PNG, JPEG, GIF, WebP). */
  width?: number;
  height?: number;
  /** Frames of an animated image; absent for a still one. */
  frames?: number;
}

/** What room and private messages have in common. */
export interface MessageBase {
  /** Server-assigned unique id (ULID: sortable by creation time). */
  id: string;
  /** Sequence number in its room or conversation: increasing, no gaps. */
  seq: number;
  /** The author's username as they wrote it. */
  user: string;
  /** The trimmed text. */
  text: string;
  /** When the server stored it, UTC ISO-8601 with milliseconds. */
  ts: string;
  /** The sender's idempotency key, echoed when given. */
  client_id?: string;
  /** Files shared with the message. */
  attachments?: Attachment[];
  /** When the author last edited it. */
  edited_at?: string;
  /** True once deleted: the text and attachments are gone. */
  deleted?: boolean;
}

/** A room message as it appears everywhere: events, history, HTTP API. */
export interface ChatMessage extends MessageBase {
  /** The room it was posted in. */
  room: string;
}

/** A private message: no room, and the recipient in `to`. */
export interface PrivateMessage extends MessageBase {
  /** The recipient's username. */
  to: string;
}

/** One entry of a room list: its name and how many distinct users are in it. */
export interface RoomSummary {
  name: string;
  users: number;
}

/** What a `system` event reports. */
export type SystemKind =
  | "joined"
  | "left"
  | "created"
  | "deleted"
  | "kicked"
  | "banned"
  | "info";

/** Data of a `system` event. */
export interface SystemEvent {
  room: string;
  kind: SystemKind;
  user?: string;
  text: string;
}

/** Data of `room_list` events and `list_rooms` replies. */
export interface RoomListEvent {
  rooms: RoomSummary[];
}

/** The envelope of every frame, in both directions. */
export interface Envelope<D = Record<string, unknown>> {
  action: string;
  data?: D;
  id?: string;
  timestamp?: string;
}

/** Every error code, listed in error_codes.ts. */
export type { ErrorCode };

/** Data of an `error` reply. */
export interface ErrorData {
  request?: string;
  code: ErrorCode;
  message: string;
}

/** Success data of `login`. */
export interface LoginSuccess {
  request: "login" | "register";
  username: string;
  role: Role;
  room: string;
  rooms: RoomSummary[];
  token?: string;
  /**
   * A guest's secret: sent back with a later guest login under the same
   * name, it makes that login the same guest (retried `client_id`s then
   * return the first message).
   */
  guest_key?: string;
}

/** Success data of `create_room`, `join_room` and `leave_room`. */
export interface RoomEntered {
  request: string;
  room: string;
  history: ChatMessage[];
}

/** Success data of `history`. */
export interface HistoryPage {
  request: "history";
  room: string;
  messages: ChatMessage[];
}

/** The name of the room that always exists. */
export const GENERAL_ROOM = "general";
