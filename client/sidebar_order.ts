/**
 * The rooms and conversations in the order the sidebar lists them, and
 * the one before or after the log on screen: what Alt+Up and Alt+Down
 * (with Shift: the unread ones only) move to, as in Slack. One order for
 * both, so the keys never walk a list other than the one seen.
 */

import type { RoomSummary, Section } from "../server/protocol/types.ts";
import { itemKey } from "./sections.ts";
import { GENERAL_ROOM } from "../server/protocol/types.ts";
import {
  type AppState,
  type Conversation,
  dmKey,
  entry,
  notifyLevelOf,
  roomKey,
} from "./state.ts";

/** A row of the sidebar the keys stop at: a room or a conversation. */
export interface Stop {
  kind: "room" | "dm";
  /** The room's name, or the other person's. */
  name: string;
  /** Its log key (state.unread's, state.viewKey's). */
  key: string;
}

/**
 * The rooms of the sidebar: an account's own (`mine`) and the public ones
 * it has not joined, under "More rooms" (`others`). A guest has one room
 * at a time: every room is its.
 */
export function listedRooms(
  state: AppState,
): { mine: RoomSummary[]; others: RoomSummary[] } {
  const all = state.rooms.value;
  if (!state.account.value) return { mine: sortRooms(all), others: [] };
  const memberships = state.memberships.value;
  // By key, once: looking each membership up in the list instead made a
  // key per room per membership (275,000 for one new room among 300).
  const byKey = new Map(all.map((r) => [roomKey(r.name), r]));
  return {
    mine: sortRooms(
      Object.entries(memberships).map(([key, m]) => ({
        name: m.room,
        users: byKey.get(key)?.users ?? 0,
        private: m.private || byKey.get(key)?.private === true,
        ...(byKey.get(key)?.archived ? { archived: true as const } : {}),
      })),
    ),
    others: sortRooms(all.filter((r) => !entry(memberships, roomKey(r.name)))),
  };
}

/**
 * The room or conversation `step` rows away from the one on screen (-1:
 * above, 1: below), or null at either end. With `unread`, the nearest
 * one with unread messages that is not muted, going round the list; null
 * when there is none. The rooms under "More rooms" are not stops.
 */
export function nextStop(
  state: AppState,
  options: { step: 1 | -1; unread?: boolean },
): Stop | null {
  // In the sidebar's order: the starred rooms and conversations first,
  // then the account's sections (a collapsed one's rows are not seen).
  const rooms = starredRooms(state, listedRooms(state).mine);
  const talks = starredConversations(
    state,
    sortConversations(state.conversations.value),
  );
  const room = (r: RoomSummary): Stop => ({
    kind: "room",
    name: r.name,
    key: roomKey(r.name),
  });
  const dm = (c: Conversation): Stop => ({
    kind: "dm",
    name: c.name,
    key: dmKey(c.name),
  });
  const sectioned = sectionedPlaces(state, rooms.rest, talks.rest);
  const stops = [
    ...rooms.starred.map(room),
    ...talks.starred.map(dm),
    ...sectioned.sections.flatMap((s) =>
      s.collapsed ? [] : [...s.rooms.map(room), ...s.talks.map(dm)]
    ),
    ...sectioned.rooms.map(room),
    ...sectioned.talks.map(dm),
  ];
  const here = state.viewKey.value;
  const at = stops.findIndex((s) => s.key === here);
  if (!options.unread) {
    const next = at < 0 ? 0 : at + options.step;
    return stops[next] ?? null;
  }
  const unread = state.unread.value;
  const n = stops.length;
  // Round the list from where the view is (from either end if nowhere).
  const from = at >= 0 ? at : options.step > 0 ? -1 : n;
  for (let i = 1; i <= n; i++) {
    const stop = stops[(((from + i * options.step) % n) + n) % n];
    if (
      stop.key !== here && (entry(unread, stop.key) ?? 0) > 0 &&
      notifyLevelOf(state, stop.key) !== "none"
    ) {
      return stop;
    }
  }
  return null;
}

/** #general first, then the rest by name. */
export function sortRooms(rooms: RoomSummary[]): RoomSummary[] {
  // Keys made once per room, not twice per comparison.
  const general = rooms.find((r) => roomKey(r.name) === GENERAL_ROOM);
  const rest = rooms.filter((r) => r !== general)
    .sort((a, b) => BY_NAME.compare(a.name, b.name));
  // Archived rooms last, apart: finished work below the live rooms.
  const live = rest.filter((r) => !r.archived);
  const archived = rest.filter((r) => r.archived);
  return general ? [general, ...live, ...archived] : [...live, ...archived];
}

/** What `localeCompare` does, without making a collator per comparison. */
const BY_NAME = new Intl.Collator();

/** The most recent conversation first. */
export function sortConversations(
  conversations: Record<string, Conversation>,
): Conversation[] {
  // ISO-8601 times in UTC sort as plain strings: `localeCompare` asked the
  // locale's collation at each of the ~35,000 comparisons of 3,000
  // conversations. With the sort made only when they change, a new
  // message's main-thread time went 90 → 46 ms (docs/performance.md).
  return Object.values(conversations).sort((a, b) =>
    a.lastTs === b.lastTs
      ? BY_NAME.compare(a.name, b.name)
      : a.lastTs < b.lastTs
      ? 1
      : -1
  );
}

/** Places split into the starred ones and the rest, each in its order. */
export interface Starred<T> {
  starred: T[];
  rest: T[];
}

/**
 * The account's rooms split by star (state.starred): the starred ones go
 * to the sidebar's "Starred" section, the rest stay under "Rooms".
 */
export function starredRooms(
  state: AppState,
  rooms: RoomSummary[],
): Starred<RoomSummary> {
  const stars = state.starred.value;
  const starred = rooms.filter((r) => entry(stars, roomKey(r.name)));
  return { starred, rest: rooms.filter((r) => !starred.includes(r)) };
}

/**
 * The conversations split by star, as {@link starredRooms}. A starred one
 * the sidebar has not listed (older than the pages fetched, or without a
 * message yet) is shown all the same, after the listed ones, by name.
 */
export function starredConversations(
  state: AppState,
  conversations: Conversation[],
): Starred<Conversation> {
  const stars = state.starred.value;
  const starred = conversations.filter((c) => entry(stars, dmKey(c.name)));
  const listed = new Set(starred.map((c) => dmKey(c.name)));
  const unlisted = Object.entries(stars)
    .filter(([key]) => key.startsWith("@") && !listed.has(key))
    .map(([, name]): Conversation => ({ name, lastTs: "" }))
    .sort((a, b) => BY_NAME.compare(a.name, b.name));
  return {
    starred: [...starred, ...unlisted],
    rest: conversations.filter((c) => !listed.has(dmKey(c.name))),
  };
}

/** A section of the sidebar with the rooms and conversations it shows. */
export interface ShownSection extends Section {
  rooms: RoomSummary[];
  talks: Conversation[];
}

/**
 * The account's sections (state.sections) with the rooms and
 * conversations each holds, in its order, taken out of `rooms` and
 * `talks` (those not starred: the Starred part stays first); what no
 * section holds stays under Rooms and Conversations. A room the account
 * is not in is not shown; a conversation the sidebar has not listed is,
 * as a starred one is.
 */
export function sectionedPlaces(
  state: AppState,
  rooms: RoomSummary[],
  talks: Conversation[],
): { sections: ShownSection[]; rooms: RoomSummary[]; talks: Conversation[] } {
  const layout = state.sections.value;
  if (layout.length === 0) return { sections: [], rooms, talks };
  const roomsByKey = new Map(rooms.map((r) => [roomKey(r.name), r]));
  const talksByKey = new Map(talks.map((c) => [dmKey(c.name), c]));
  const stars = state.starred.value;
  const taken = new Set<string>();
  const sections = layout.map((section): ShownSection => {
    const shown: ShownSection = { ...section, rooms: [], talks: [] };
    for (const item of section.items) {
      const key = itemKey(item);
      if (item.startsWith("#")) {
        const room = roomsByKey.get(key);
        if (room) shown.rooms.push(room);
      } else if (!entry(stars, key)) {
        shown.talks.push(
          talksByKey.get(key) ?? { name: item.slice(1), lastTs: "" },
        );
      }
      taken.add(key);
    }
    return shown;
  });
  return {
    sections,
    rooms: rooms.filter((r) => !taken.has(roomKey(r.name))),
    talks: talks.filter((c) => !taken.has(dmKey(c.name))),
  };
}
