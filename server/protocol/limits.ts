/**
 * Fixed limits of the protocol that both sides check: the server refuses
 * past them with an error code, the web client warns before sending.
 * Limits an operator may change are settings (server/config.ts), not here.
 */

/** Longest message text, in characters, after trimming. */
export const MAX_MESSAGE_LENGTH = 4000;

/** Most attachments on one message. */
export const MAX_ATTACHMENTS = 10;

/** Longest user or room name, in characters (code points). */
export const MAX_NAME_LENGTH = 32;

/** Shortest and longest password, in characters (code points). */
export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 1024;

/** Default and largest page sizes of `history`. */
export const HISTORY_DEFAULT_LIMIT = 50;
export const HISTORY_MAX_LIMIT = 200;
