/**
 * Sidebar sections (Slack's sections, Mattermost's custom categories): an
 * account groups its rooms and conversations under its own headings,
 * kept on the server so that every device draws one layout.
 */
import type { ChatNode } from "../node.ts";
import { fail, isFailure, type Outcome, succeed } from "../protocol/errors.ts";
import { nameKey } from "../protocol/names.ts";
import { setSectionsData } from "../protocol/schemas.ts";
import type { Section, SectionsEvent } from "../protocol/types.ts";
import {
  conversationKey,
  type StoredSection,
  type StoredSectionItem,
} from "../store/mod.ts";
import { type MemberContext, parseData } from "./context.ts";

const GUESTS = "Guests cannot keep sidebar sections: log in with an account.";

/**
 * `set_sections`: replaces the account's whole layout. An item the
 * account cannot name (a room it does not belong to, or none of that
 * name; a conversation with someone who has no account) is dropped, not
 * refused: another device's layout may still hold a room this one has
 * just left, and a refusal would tell it no more than the drop does
 * (`room_not_found` says no more either). Its other connections, on every
 * node, get `sections` with what was kept.
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
  const { stored, names } = await placed(
    node,
    member.userKey,
    data.sections,
  );
  // The store drops the conversations with nobody, in the write.
  const kept = await node.store.setSections(member.userKey, stored);
  const event: SectionsEvent = {
    sections: kept.map((section) => ({
      name: section.name,
      collapsed: section.collapsed,
      items: section.items.map((item) => names.get(item.stream)!),
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
): Promise<{ stored: StoredSection[]; names: Map<string, string> }> {
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
  return { stored, names };
}

/**
 * An account's layout as the login says it, undefined when it has none:
 * rooms it no longer belongs to are left out (kept, for a rejoin, as its
 * stars are: named, they told a former member that a private room still
 * existed; the next set_sections, which names only rooms the account is
 * in, drops them); conversations with a deleted account went with it.
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
