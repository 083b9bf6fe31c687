/**
 * Sidebar sections (Slack's sections, Mattermost's custom categories): an
 * account groups its rooms and conversations under its own headings,
 * kept on the server so that every device draws one layout.
 */
import type { ChatNode } from "../node.ts";
import { fail, isFailure, type Outcome, succeed } from "../protocol/errors.ts";
import { nameKey } from "../protocol/names.ts";
import { MAX_SECTION_ITEMS, setSectionsData } from "../protocol/schemas.ts";
import type { Section, SectionsEvent } from "../protocol/types.ts";
import {
  conversationKey,
  type StoredSection,
  type StoredSectionItem,
} from "../store/mod.ts";
import { type MemberContext, parseData } from "./context.ts";

const GUESTS = "Guests cannot keep sidebar sections: log in with an account.";

/**
 * `set_sections`: replaces the account's whole layout, the places of the
 * rooms it has left kept (withRoomsLeft). An item the account cannot name
 * (a room it does not belong to, or none of that name; a conversation
 * with someone who has no account) is dropped, not refused: another
 * device's layout may still hold a room this one has just left, and a
 * refusal would tell it no more than the drop does (`room_not_found` says
 * no more either). Its other connections, on every node, get `sections`
 * with what was kept, rooms left not named.
 */
export async function setSections(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const data = parseData(setSectionsData, raw);
  if (isFailure(data)) return data;
  const member = ctx.client.member;
  if (member.guest) return fail("forbidden", GUESTS);
  const { node } = ctx;
  const [{ stored, names, rooms }, before] = await Promise.all([
    placed(node, member.userKey, data.sections),
    node.store.listSections(member.userKey),
  ]);
  // The store drops the conversations with nobody, in the write.
  const kept = await node.store.setSections(
    member.userKey,
    withRoomsLeft(stored, before, rooms),
  );
  const event: SectionsEvent = {
    sections: kept.map((section) => ({
      name: section.name,
      collapsed: section.collapsed,
      // Rooms left stay in the store only: named, they would tell a
      // former member that a private room still exists.
      items: section.items.flatMap((item) => names.get(item.stream) ?? []),
    })),
  };
  return succeed(
    {},
    () =>
      node.publish({ kind: "user", key: member.userKey }, "sections", event, {
        exceptConnection: member.id,
      }),
  );
}

/**
 * The layout as the store keeps it, rooms the account does not belong to
 * left out (its rooms: the registry's when it is online here, else one
 * read), with how the protocol names each item by its stream: a room by
 * its own name, a conversation as the account wrote it.
 */
async function placed(
  node: ChatNode,
  userKey: string,
  sections: { name: string; items: string[]; collapsed?: boolean }[],
): Promise<
  {
    stored: StoredSection[];
    names: Map<string, string>;
    rooms: ReadonlySet<string>;
  }
> {
  const rooms = await node.roomsOf(userKey);
  const names = new Map<string, string>();
  const stored = sections.map((section): StoredSection => {
    const items: StoredSectionItem[] = [];
    for (const item of section.items) {
      const name = item.slice(1);
      const key = nameKey(name);
      if (item[0] === "@") {
        const stream = conversationKey(userKey, key);
        items.push({ stream, with: { name, key } });
        names.set(stream, item);
        continue;
      }
      const room = rooms.has(key) ? node.registry.roomName(key) : undefined;
      if (room === undefined) continue;
      items.push({ stream: key });
      names.set(key, `#${room}`);
    }
    return {
      name: section.name,
      collapsed: section.collapsed ?? false,
      items,
    };
  });
  return { stored, names, rooms };
}

/**
 * The new layout with the places of the rooms the account has left (or
 * was removed from) kept, as Slack keeps them: no device shows those
 * rooms, so none can write them, and a write from any device would lose
 * them; kept, a room goes back to its section on a rejoin. Each goes back
 * into the section of the same name (names compared as names are) at its
 * old place, or as near as the section's length allows; a section no
 * longer there takes its rooms' places with it. Within the bound on items
 * (MAX_SECTION_ITEMS, what the account wrote first). Cost: the layout
 * read once more per write (at most 550 rows).
 */
export function withRoomsLeft(
  next: StoredSection[],
  before: StoredSection[],
  rooms: ReadonlySet<string>,
): StoredSection[] {
  const byName = new Map(next.map((section) => [nameKey(section.name), {
    ...section,
    items: [...section.items],
  }]));
  let count = next.reduce((n, section) => n + section.items.length, 0);
  for (const section of before) {
    const target = byName.get(nameKey(section.name));
    if (target === undefined) continue;
    section.items.forEach((item, place) => {
      if (item.with !== undefined || rooms.has(item.stream)) return;
      if (count >= MAX_SECTION_ITEMS) return;
      if (target.items.some((other) => other.stream === item.stream)) return;
      target.items.splice(Math.min(place, target.items.length), 0, item);
      count++;
    });
  }
  return next.map((section) => byName.get(nameKey(section.name))!);
}

/**
 * An account's layout as the login says it, undefined when it has none:
 * rooms it no longer belongs to are left out (kept, for a rejoin, as its
 * stars are: named, they told a former member that a private room still
 * existed; set_sections keeps their places, withRoomsLeft);
 * conversations with a deleted account went with it.
 */
export async function sectionsOf(
  node: ChatNode,
  userKey: string,
): Promise<Section[] | undefined> {
  const [layout, rooms] = await Promise.all([
    node.store.listSections(userKey),
    node.roomsOf(userKey),
  ]);
  if (layout.length === 0) return undefined;
  return named(node, layout, rooms);
}

/**
 * The `sections` event a join makes when the account's layout kept the
 * room's place (it left the room, or was removed, and is back): without
 * it the room showed under Rooms until the next login or layout write.
 * Undefined when the layout does not hold the room, the common join. Read
 * once the membership is stored, so the room is named. Cost: the layout
 * read once per join (at most 550 rows), the account's rooms once more
 * when the room is placed.
 */
export async function sectionsOnJoin(
  node: ChatNode,
  userKey: string,
  roomKey: string,
): Promise<SectionsEvent | undefined> {
  const layout = await node.store.listSections(userKey);
  const placed = layout.some((section) =>
    section.items.some((item) =>
      item.with === undefined && item.stream === roomKey
    )
  );
  if (!placed) return undefined;
  return { sections: named(node, layout, await node.roomsOf(userKey)) };
}

/** A stored layout as the protocol names it, rooms not in `rooms` left out. */
function named(
  node: ChatNode,
  layout: StoredSection[],
  rooms: ReadonlySet<string>,
): Section[] {
  return layout.map((section) => ({
    name: section.name,
    collapsed: section.collapsed,
    items: section.items.flatMap((item) => {
      if (item.with !== undefined) return [`@${item.with.name}`];
      const room = node.registry.roomName(item.stream);
      return room !== undefined && rooms.has(item.stream) ? [`#${room}`] : [];
    }),
  }));
}
