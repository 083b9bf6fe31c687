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
 * name; a conversation with nobody) is dropped, not refused: another
 * device's layout may still hold a room this one has just left, and a
 * refusal would tell it no more than the drop does (`room_not_found`
 * says no more either). Its other connections, on every node, get
 * `sections` with what was kept.
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
  const kept = await keptItems(node, member.userKey, data.sections);
  await node.store.setSections(member.userKey, kept.stored);
  const event: SectionsEvent = { sections: kept.named };
  return succeed(
    {},
    () =>
      node.publish({ kind: "user", key: member.userKey }, "sections", event, {
        exceptConnection: member.id,
      }),
  );
}

/**
 * The layout as the store keeps it and as the protocol names it, each
 * item checked: a room by the account's memberships (one read when it is
 * not online here), a conversation by its other side's account, read only
 * when the stored layout did not hold it already (its deletion takes the
 * stored item along), so a layout moved about costs one read, and at most
 * one more per new conversation.
 */
async function keptItems(
  node: ChatNode,
  userKey: string,
  sections: { name: string; items: string[]; collapsed?: boolean }[],
): Promise<{ stored: StoredSection[]; named: Section[] }> {
  const [rooms, before] = await Promise.all([
    node.roomsOf(userKey),
    node.store.listSections(userKey),
  ]);
  const known = new Set(
    before.flatMap((s) => s.items.flatMap((i) => i.with ? [i.with.key] : [])),
  );
  const stored: StoredSection[] = [];
  const named: Section[] = [];
  for (const section of sections) {
    const items: StoredSectionItem[] = [];
    const names: string[] = [];
    for (const item of section.items) {
      const name = item.slice(1);
      const key = nameKey(name);
      if (item[0] === "#") {
        const room = rooms.has(key)
          ? await node.findRoomAnywhere(name)
          : undefined;
        if (room === undefined) continue;
        items.push({ stream: room });
        names.push(`#${node.registry.roomName(room)}`);
        continue;
      }
      if (!known.has(key) && await node.accounts.find(name) === undefined) {
        continue;
      }
      items.push({
        stream: conversationKey(userKey, key),
        with: { name, key },
      });
      names.push(`@${name}`);
    }
    const collapsed = section.collapsed ?? false;
    stored.push({ name: section.name, collapsed, items });
    named.push({ name: section.name, collapsed, items: names });
  }
  return { stored, named };
}

/**
 * An account's layout as the login says it, undefined when it has none:
 * rooms it no longer belongs to are left out (kept, for a rejoin, as its
 * stars are: named, they told a former member that a private room still
 * existed); conversations with a deleted account went with it.
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
