/**
 * What the team features ask the server: search, pins, and bringing a
 * message into view, loading it first when its log does not hold it.
 */

import type { SearchAsk } from "./search_query.ts";
import type {
  ChatMessage,
  PrivateMessage,
  SearchResult,
} from "../../server/protocol/types.ts";
import { HISTORY_MAX_LIMIT } from "../../server/protocol/limits.ts";
import * as actions from "../actions.ts";
import type { AppServices } from "../app_context.ts";
import type { RequestError, Result } from "../connection/mod.ts";
import { firstSeq, lastSeq } from "../room_log.ts";
import { searchZone } from "../profile_time.ts";
import { type AppState, dmKey, entry, roomKey } from "../state.ts";
import * as teamActions from "./actions.ts";

/** Where a message lives: a room, or the conversation with a user. */
export type Place = { room: string } | { with: string };

/** Results asked per search page. */
export const SEARCH_PAGE = 20;
/**
 * Pages of history fetched backwards to reach an older message, so the
 * log stays whole down to the present; farther back, the page around the
 * message replaces the log (1000 messages is where scrolling stops being
 * the way back).
 */
const MAX_BACK_PAGES = 5;
/** Messages fetched around a message that is too far back to page to. */
const AROUND = 50;

/** The log key of a place. */
export function placeKey(place: Place): string {
  return "with" in place ? dmKey(place.with) : roomKey(place.room);
}

/** The place on screen: the current room, or the open conversation. */
export function shownPlace(state: AppState): Place {
  const shown = state.view.value;
  return shown.kind === "dm"
    ? { with: shown.with }
    : { room: state.currentRoom.value };
}

/** Where a message served is, for the account `me`: its room, or the other side. */
export function messagePlace(
  message: ChatMessage | PrivateMessage,
  me: string | null,
): Place {
  if ("room" in message && typeof message.room === "string") {
    return { room: message.room };
  }
  const { user, to } = message as PrivateMessage;
  return { with: user === me ? to : user };
}

/** The place of a search result. */
export function resultPlace(result: SearchResult): Place {
  return "with" in result ? { with: result.with } : { room: result.room };
}

/**
 * One page of search results, newest first, for the words and filters of
 * `ask` (search_query.ts); `before` is the last page's `next`. Its days
 * are the reader's: `zone`, this browser's, when the server has days in
 * it (else UTC's).
 */
export async function search(
  services: AppServices,
  ask: SearchAsk,
  before?: string,
): Promise<Result<{ results: SearchResult[]; next?: string }>> {
  const zone = ask.after !== undefined || ask.until !== undefined
    ? searchZone()
    : undefined;
  return await services.connection.request("search", {
    ...ask,
    ...(zone === undefined ? {} : { zone }),
    limit: SEARCH_PAGE,
    ...(before === undefined ? {} : { before }),
  });
}

/** The pinned messages of a place, latest pinned first; each is also filed in its log. */
export async function listPins(
  services: AppServices,
  place: Place,
): Promise<Result<(ChatMessage | PrivateMessage)[]>> {
  const result = await services.connection.request("list_pins", place);
  if (!result.ok) return result;
  for (const message of result.data.messages) {
    services.connection.fileUpdate(message);
  }
  return { ok: true, data: result.data.messages };
}

/**
 * Opens a place (moving there when needed), loads the message with `seq`
 * when its log misses it, and asks the list to bring it into view.
 * Errors are shown; resolves to the error, or null.
 */
export async function jumpTo(
  services: AppServices,
  place: Place,
  seq: number,
): Promise<RequestError | null> {
  const { state, connection } = services;
  const key = placeKey(place);
  if (state.viewKey.value !== key) {
    if ("with" in place) {
      await connection.openConversation(place.with);
    } else {
      const error = await connection.joinRoom(place.room);
      if (error) {
        actions.errorShown(state, error);
        return error;
      }
    }
  }
  const error = await load(services, place, seq);
  if (error) {
    actions.errorShown(state, error);
    return error;
  }
  teamActions.jumpRequested(state, { key, seq });
  return null;
}

/** Makes the log of `place` hold the message with `seq`. */
async function load(
  services: AppServices,
  place: Place,
  seq: number,
): Promise<RequestError | null> {
  const { state, connection } = services;
  const key = placeKey(place);
  const held = () =>
    entry(state.logs.value, key)?.messages.some((m) => m.seq === seq) === true;
  for (let i = 0; i < MAX_BACK_PAGES && !held(); i++) {
    const log = entry(state.logs.value, key);
    const first = firstSeq(log);
    // Newer than the log, or too far back: the page around it will do.
    if (
      first === 0 || seq > lastSeq(log) ||
      first - seq > MAX_BACK_PAGES * HISTORY_MAX_LIMIT
    ) {
      break;
    }
    const page = await connection.loadPage(place, {
      before_seq: first,
      limit: HISTORY_MAX_LIMIT,
    });
    if (!page.ok) return page.error;
    if (page.data.length === 0) break;
  }
  if (held()) return null;
  const page = await connection.loadPage(place, {
    around_seq: seq,
    limit: AROUND,
  });
  return page.ok ? null : page.error;
}
