/**
 * WebSocket close codes the server uses, shared with the web client. The
 * 1xxx codes are RFC 6455's; 4xxx are this protocol's own (docs/protocol.md).
 */

/** The server goes away (shutdown); reconnect. */
export const CLOSE_GOING_AWAY = 1001;
/** A client that keeps going over its rate limits. */
export const CLOSE_POLICY = 1008;
/** A frame over the size limit. */
export const CLOSE_TOO_BIG = 1009;
/** A connection that did not log in in time. */
export const CLOSE_LOGIN_TIMEOUT = 4001;
/** A connection ended by a moderator (kick or ban). */
export const CLOSE_REMOVED = 4003;
/**
 * The connection's session ended: logged out (here or elsewhere), expired,
 * or the account's password changed. Log in again; the old token or cookie
 * no longer works.
 */
export const CLOSE_SESSION_ENDED = 4004;
/** A reader that fell too far behind (too many unsent bytes). */
export const CLOSE_TOO_SLOW = 4008;

/** Most UTF-8 bytes a close frame's reason may hold (RFC 6455: 125 less the code). */
export const MAX_CLOSE_REASON_BYTES = 123;

/**
 * A close reason as a socket takes it: the text's first 120 UTF-16 units,
 * cut further to 123 bytes of UTF-8, never inside a character. Longer, the
 * runtime's close threw and the socket stayed open: a kick or ban whose
 * reason or names were not ASCII (40 CJK characters) left the connection
 * open, unanswered, for ever.
 */
export function closeReason(text: string): string {
  let reason = "";
  let bytes = 0;
  for (const char of text) {
    const size = new TextEncoder().encode(char).length;
    if (reason.length + char.length > 120) break;
    if (bytes + size > MAX_CLOSE_REASON_BYTES) break;
    reason += char;
    bytes += size;
  }
  return reason;
}
