import type { Failure } from "./errors.ts";
import { fail } from "./errors.ts";
import type { ErrorCode } from "./error_codes.ts";
import { MAX_JSON_DEPTH, nestedDeeperThan } from "./json_depth.ts";

/** A request frame after its envelope was checked. */
export interface Request {
  action: string;
  data: Record<string, unknown>;
  id?: string;
}

/** A frame that failed the envelope check: the reply keeps what was readable. */
export interface RejectedFrame extends Failure {
  action?: string;
  id?: string;
}

/**
 * Parses one client frame. Anything that is not a JSON object with a string
 * `action`, or that nests deeper than {@link MAX_JSON_DEPTH}, is rejected
 * with `invalid_json` or `invalid_message`.
 */
export function decodeRequest(text: string): Request | RejectedFrame {
  // Before the parse, which is what a deep frame costs (json_depth.ts).
  if (nestedDeeperThan(text, MAX_JSON_DEPTH)) {
    return fail(
      "invalid_message",
      `The frame nests arrays and objects more than ${MAX_JSON_DEPTH} deep.`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return fail("invalid_json", "The frame is not valid JSON.");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return fail("invalid_message", "The frame must be a JSON object.");
  }
  const frame = value as Record<string, unknown>;
  const id = typeof frame.id === "string" && frame.id.length >= 1 &&
      (frame.id.length <= 64 || [...frame.id].length <= 64)
    ? frame.id
    : undefined;
  if (frame.id !== undefined && id === undefined) {
    return reject("'id' must be a string of 1 to 64 characters.", frame);
  }
  if (typeof frame.action !== "string" || frame.action.length === 0) {
    return { ...reject("'action' must be a non-empty string.", frame), id };
  }
  const data = frame.data === undefined ? {} : frame.data;
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    return {
      ...fail("invalid_message", "'data' must be an object."),
      action: frame.action,
      id,
    };
  }
  return { action: frame.action, data: data as Record<string, unknown>, id };
}

function reject(message: string, frame: Record<string, unknown>) {
  const action = typeof frame.action === "string" && frame.action.length > 0
    ? frame.action.slice(0, 64)
    : undefined;
  return { ...fail("invalid_message", message), action };
}

/** True when decoding failed. */
export function isRejected(
  frame: Request | RejectedFrame,
): frame is RejectedFrame {
  return "ok" in frame && frame.ok === false;
}

// Frames made in the same millisecond share one timestamp string: a busy
// turn encodes hundreds, and each new Date and its string is garbage.
let stampedAt = NaN;
let stamp = "";

function timestamp(): string {
  const now = Date.now();
  if (now !== stampedAt) {
    stampedAt = now;
    stamp = new Date(now).toISOString();
  }
  return stamp;
}

/** Encodes a frame the server pushes on its own (no `id`). */
export function encodeEvent(action: string, data: unknown): string {
  return JSON.stringify({ action, data, timestamp: timestamp() });
}

/** Encodes the `success` reply to a request. */
export function encodeSuccess(
  request: { action: string; id?: string },
  data: Record<string, unknown>,
): string {
  const body = { request: request.action, ...data };
  // Written out rather than spread: the same keys in the same order, with
  // no object made only to be copied (one per reply).
  return JSON.stringify(
    request.id === undefined
      ? { action: "success", data: body, timestamp: timestamp() }
      : {
        action: "success",
        id: request.id,
        data: body,
        timestamp: timestamp(),
      },
  );
}

/** Encodes the `error` reply to a request, or to an unreadable frame. */
export function encodeError(
  request: { action?: string; id?: string },
  code: ErrorCode,
  message: string,
  details?: Record<string, unknown>,
): string {
  const data = request.action === undefined
    ? { code, message, ...details }
    : { request: request.action, code, message, ...details };
  return JSON.stringify({
    action: "error",
    ...(request.id === undefined ? {} : { id: request.id }),
    data,
    timestamp: timestamp(),
  });
}
