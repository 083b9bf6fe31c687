/**
 * Requests that set a time a moment ahead (a scheduled message's
 * `send_at`, a reminder's `remind_at`), for tests that then wait for it to
 * come: the time must still be ahead when the server reads the request.
 */
import type { Frame, TestClient } from "./harness.ts";

/** What {@link dueSoon} sends: which field holds the time, how far ahead. */
export interface DueSoonOptions {
  /** The field of the time, e.g. `send_at`. */
  field: string;
  /** How far ahead of now, in milliseconds. */
  ms: number;
}

/**
 * Sends `action` with `data` and `options.field` set `options.ms` from now;
 * returns the time sent and the success data. A request a busy machine held
 * past its time is refused (invalid_message): it is then sent again with a
 * new time. Refused while its time was still ahead, it fails the test.
 */
export async function dueSoon(
  client: TestClient,
  action: string,
  data: Record<string, unknown>,
  options: DueSoonOptions,
): Promise<{ at: string; data: Frame["data"] }> {
  for (;;) {
    const at = new Date(Date.now() + options.ms).toISOString();
    const reply = await client.request(action, {
      ...data,
      [options.field]: at,
    });
    if (reply.action === "success") return { at, data: reply.data };
    if (reply.data.code !== "invalid_message" || Date.now() < Date.parse(at)) {
      throw new Error(`${action} failed: ${JSON.stringify(reply.data)}`);
    }
  }
}
