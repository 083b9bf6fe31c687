/**
 * What the quick switcher (Ctrl+K, as in Slack, Discord and Mattermost)
 * offers for what is typed: the rooms and conversations one has, then
 * the public rooms one may join and the people one may write to, each
 * ranked by how well its name matches (whole, start, start of a word,
 * inside, letters in order), then unread first, then the most recently
 * visited (as Slack's "recent"), then, among places never visited, the
 * one with the newest message.
 * Names compare as the server compares them (NFKC, case-folded). Pure:
 * it reads the state and writes nothing.
 */

import { nameKey } from "../server/protocol/names.ts";
import { listedRooms, sortConversations } from "./sidebar_order.ts";
import { type AppState, entry } from "./state.ts";

/** How many choices the switcher lists at most: more is a scroll nobody reads. */
export const SWITCH_LIMIT = 30;

/** A place the switcher can go to. */
export interface SwitchChoice {
  /** `room`: join or show it; `dm`: open the conversation with `name`. */
  kind: "room" | "dm";
  /** The room's name, or the other person's, as the server spelled it. */
  name: string;
  /** Its log key (state.unread's, state.viewKey's): unique among choices. */
  key: string;
  /** Whether it is already one's own: a joined room or a listed conversation. */
  mine: boolean;
  /** Whether the room is invite-only (rooms only). */
  private: boolean;
  /**
   * An archived room (rooms only): read only, so offered after the live
   * places that match as well, and marked.
   */
  archived?: true;
  /** Its unread messages. */
  unread: number;
}

/** The rank of a name that holds the query's letters only in order. */
const FUZZY = 4;

/**
 * How well a name key matches a query key, best first: 0 the whole name,
 * 1 its start, 2 the start of a word in it ("ops" in "dev-ops"), 3
 * anywhere in it, 4 its letters in order ("dvps" in "devops"); null when
 * it does not match. A blank query matches everything alike; a single
 * letter only a start, as nearly every name holds it somewhere.
 */
export function matchRank(name: string, query: string): number | null {
  if (query === "") return 0;
  if (name === query) return 0;
  if (name.startsWith(query)) return 1;
  const at = name.indexOf(query);
  if (at > 0) {
    // A word starts after anything that is not a letter or a digit.
    for (let i = at; i >= 0; i = name.indexOf(query, i + 1)) {
      if (!/[\p{L}\p{N}]/u.test(name[i - 1])) return 2;
    }
  }
  if ([...query].length < 2) return null;
  if (at > 0) return 3;
  let next = 0;
  for (const char of query) {
    next = name.indexOf(char, next);
    if (next < 0) return null;
    next += char.length;
  }
  return FUZZY;
}

/**
 * A place the switcher may offer, with what ranking it needs, made once
 * per change of the state rather than at each keystroke.
 */
export interface SwitchPlace extends SwitchChoice {
  /** Its name's key (NFKC, case-folded), which the query is matched in. */
  fold: string;
  /** When something last happened there, ISO-8601 ("" when unknown). */
  ts: string;
  /** When one last had it on screen, ISO-8601 ("" when never). */
  visited: string;
}

/**
 * Every place the switcher may offer, in the sidebar's order: one's rooms,
 * one's conversations, public rooms to join, then people to write to. People
 * are those one has a conversation with, the current room's members and who
 * wrote in the rooms' messages held, never oneself ({@linkcode withPeople}
 * adds those the server's directory finds). Reads the state's signals:
 * inside a `computed`, it is made again only when they change.
 */
export function switchPlaces(state: AppState): SwitchPlace[] {
  const unread = state.unread.value;
  const logs = state.logs.value;
  const talks = state.conversations.value;
  const visited = state.visited.value;
  const me = state.username.value === null
    ? null
    : nameKey(state.username.value);

  const places: SwitchPlace[] = [];
  const seen = new Set<string>();
  function offer(
    place: Omit<SwitchChoice, "key" | "unread">,
    ts?: string,
  ): void {
    const fold = nameKey(place.name);
    // roomKey and dmKey (state.ts), from the one key made here.
    const key = place.kind === "room" ? fold : `@${fold}`;
    if (seen.has(key) || (place.kind === "dm" && fold === me)) return;
    seen.add(key);
    places.push({
      ...place,
      key,
      fold,
      unread: entry(unread, key) ?? 0,
      ts: ts ?? entry(logs, key)?.messages.at(-1)?.ts ?? "",
      visited: entry(visited, key) ?? "",
    });
  }
  const rooms = listedRooms(state);
  for (const r of rooms.mine) {
    offer({
      kind: "room",
      name: r.name,
      mine: true,
      private: !!r.private,
      ...(r.archived ? { archived: true } : {}),
    });
  }
  for (const c of sortConversations(talks)) {
    if (c.deleted) continue;
    offer({ kind: "dm", name: c.name, mine: true, private: false }, c.lastTs);
  }
  for (const r of rooms.others) {
    if (r.private) continue;
    offer({
      kind: "room",
      name: r.name,
      mine: false,
      private: false,
      ...(r.archived ? { archived: true } : {}),
    });
  }
  const people = [...state.members.value];
  for (const [key, log] of Object.entries(logs)) {
    if (key.startsWith("@")) continue;
    // A hook's or a bot's message may bear anyone's name: not a person.
    for (const m of log.messages) if (!m.badge) people.push(m.user);
  }
  for (const name of people) {
    offer({ kind: "dm", name, mine: false, private: false });
  }
  return places;
}

/**
 * The places with the people the server's directory found (`find_people`)
 * added after them, those already offered left as they are: the server
 * knows the accounts the client has never seen a name of.
 */
export function withPeople(
  places: SwitchPlace[],
  people: readonly { username: string }[],
  me?: string | null,
): SwitchPlace[] {
  if (people.length === 0) return places;
  const seen = new Set(places.map((p) => p.key));
  const mine = me ? nameKey(me) : null;
  const added: SwitchPlace[] = [];
  for (const person of people) {
    const fold = nameKey(person.username);
    const key = `@${fold}`;
    if (seen.has(key) || fold === mine) continue;
    seen.add(key);
    added.push({
      kind: "dm",
      name: person.username,
      key,
      fold,
      mine: false,
      private: false,
      unread: 0,
      ts: "",
      visited: "",
    });
  }
  return added.length === 0 ? places : [...places, ...added];
}

/**
 * The text of `query` worth asking the directory about: what follows an
 * `@`, or the whole of it; none for rooms only (`#`) or nothing typed.
 */
export function peopleQuery(query: string): string {
  const typed = query.trim();
  if (typed.startsWith("#")) return "";
  return typed.replace(/^@/, "").trim();
}

/**
 * The places that match `query`, best first, at most `limit`
 * ({@linkcode SWITCH_LIMIT}). A leading `#` asks for rooms only and `@`
 * for people only.
 */
export function rankPlaces(
  places: SwitchPlace[],
  query: string,
  options: { limit?: number } = {},
): SwitchChoice[] {
  let typed = query.trim();
  const only = typed.startsWith("#")
    ? "room"
    : typed.startsWith("@")
    ? "dm"
    : null;
  if (only) typed = typed.slice(1);
  const wanted = nameKey(typed.trim());
  const ranked = [];
  for (const place of places) {
    if (only && place.kind !== only) continue;
    const rank = matchRank(place.fold, wanted);
    if (rank !== null) ranked.push({ place, rank });
  }
  // Names that hold the words before letters merely in order; among
  // them one's own places before the others (joined rooms before rooms to
  // join), then the better match, then live before archived (read only,
  // as the sidebar lists them last), then unread, then the latest
  // visited, then the newest message; the order offered breaks ties (the
  // sidebar's, which is stable).
  ranked.sort((a, b) =>
    Number(a.rank === FUZZY) - Number(b.rank === FUZZY) ||
    Number(b.place.mine) - Number(a.place.mine) ||
    a.rank - b.rank ||
    Number(!!a.place.archived) - Number(!!b.place.archived) ||
    Number(b.place.unread > 0) - Number(a.place.unread > 0) ||
    newestFirst(a.place.visited, b.place.visited) ||
    newestFirst(a.place.ts, b.place.ts)
  );
  return ranked.slice(0, options.limit ?? SWITCH_LIMIT).map((r) => {
    const { fold: _fold, ts: _ts, visited: _visited, ...choice } = r.place;
    return choice;
  });
}

/** Orders two ISO-8601 times newest first, "" (never) last. */
function newestFirst(a: string, b: string): number {
  return a === b ? 0 : a < b ? 1 : -1;
}

/** The choices for `query`, best first: {@linkcode rankPlaces} of {@linkcode switchPlaces}. */
export function switchChoices(
  state: AppState,
  query: string,
  options: { limit?: number } = {},
): SwitchChoice[] {
  return rankPlaces(switchPlaces(state), query, options);
}
