/**
 * The server's custom emoji: read at each login and resume, kept in step
 * by the `emoji_updated` events every connection gets (events.ts); added
 * over HTTP (`PUT /api/emoji/:name`, the picture's bytes as the body) and
 * removed with `remove_emoji`.
 */

import * as actions from "../actions.ts";
import type { AppState } from "../state.ts";
import { isCustomEmoji } from "../wire.ts";
import type { RequestError } from "./errors.ts";
import type { Requests } from "./requests.ts";

/** Reads, adds and removes the custom emoji. */
export class CustomEmojiList {
  #state: AppState;
  #requests: Requests;

  constructor(state: AppState, requests: Requests) {
    this.#state = state;
    this.#requests = requests;
  }

  /** Reads every custom emoji again (a guest's too: it reads messages). */
  async refresh(): Promise<void> {
    const result = await this.#requests.request("list_emoji", {});
    // Unread, the list stays as it was.
    if (result.ok) actions.customEmojiListed(this.#state, result.data.emoji);
  }

  /** Removes one (its author's or an admin's); the refusal, or null. */
  async remove(name: string): Promise<RequestError | null> {
    const result = await this.#requests.request("remove_emoji", { name });
    if (!result.ok) return result.error;
    actions.customEmojiUpdated(this.#state, { removed: name });
    return null;
  }
}

/**
 * Adds the custom emoji `name` with `file` as its picture, by this page's
 * session: null once added (this page knows it at once), else the
 * server's error code and fields, or `unreachable`.
 */
export async function addCustomEmoji(
  state: AppState,
  name: string,
  file: File,
): Promise<{ code: string; fields: Record<string, unknown> } | null> {
  let response: Response;
  try {
    response = await fetch(`/api/emoji/${encodeURIComponent(name)}`, {
      method: "PUT",
      credentials: "same-origin",
      headers: { "content-type": file.type },
      body: file,
    });
  } catch {
    return { code: "unreachable", fields: {} };
  }
  let body: Record<string, unknown> = {};
  try {
    body = await response.json();
  } catch {
    // Judged by the status alone.
  }
  if (!response.ok || !isCustomEmoji(body.emoji)) {
    return {
      code: typeof body.error === "string" ? body.error : "internal",
      fields: body,
    };
  }
  actions.customEmojiUpdated(state, { added: body.emoji });
  return null;
}
