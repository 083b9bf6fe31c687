/**
 * The edits the web client makes to an account's sidebar layout
 * (set_sections): each takes a layout and gives the new one, which the
 * connection sends whole. An item is `#room` or `@name`, compared by its
 * log key (state.ts' roomKey, dmKey), as the server compares names.
 */

import type { Section } from "../server/protocol/types.ts";
import { dmKey, roomKey } from "./state.ts";

/** The log key of an item (`#room` or `@name`). */
export function itemKey(item: string): string {
  return item.startsWith("#") ? roomKey(item.slice(1)) : dmKey(item.slice(1));
}

/** The item of a room or a conversation. */
export function itemOf(place: { room: string } | { with: string }): string {
  return "room" in place ? `#${place.room}` : `@${place.with}`;
}

/** Whether a name is taken by a section already (case aside). */
export function sectionNamed(layout: Section[], name: string): boolean {
  const wanted = roomKey(name.trim());
  return layout.some((s) => roomKey(s.name) === wanted);
}

/** The layout with a new, empty section at its end. */
export function withSection(layout: Section[], name: string): Section[] {
  return [...layout, { name: name.trim(), collapsed: false, items: [] }];
}

/** The layout without the section `name` (its items go back to the lists). */
export function withoutSection(layout: Section[], name: string): Section[] {
  return layout.filter((s) => s.name !== name);
}

/** The layout with the section `from` called `to`. */
export function renamedSection(
  layout: Section[],
  from: string,
  to: string,
): Section[] {
  return layout.map((s) => s.name === from ? { ...s, name: to.trim() } : s);
}

/** The layout with the section `name` collapsed or not. */
export function collapsedSection(
  layout: Section[],
  name: string,
  collapsed: boolean,
): Section[] {
  return layout.map((s) => s.name === name ? { ...s, collapsed } : s);
}

/**
 * The layout with `item` at the end of the section `to`, out of any other
 * (`to` null: out of every section, back to the usual lists).
 */
export function movedItem(
  layout: Section[],
  item: string,
  to: string | null,
): Section[] {
  const key = itemKey(item);
  return layout.map((s) => {
    const items = s.items.filter((i) => itemKey(i) !== key);
    return { ...s, items: s.name === to ? [...items, item] : items };
  });
}

/** The section holding the item of log key `key`, if any. */
export function sectionOf(
  layout: Section[],
  key: string,
): Section | undefined {
  return layout.find((s) => s.items.some((i) => itemKey(i) === key));
}

/**
 * The layout with a renamed room's items under its new name. An item
 * already under that name (a room deleted since, kept as a left room's
 * is) goes, as the server's rename drops it: kept, the layout named the
 * room twice, and set_sections refused every change after it.
 */
export function renamedRoom(
  layout: Section[],
  oldKey: string,
  to: string,
): Section[] {
  const newKey = roomKey(to);
  return layout.map((s) => ({
    ...s,
    items: s.items.flatMap((i) => {
      if (!i.startsWith("#")) return [i];
      const key = itemKey(i);
      if (key === oldKey) return [`#${to}`];
      return key === newKey ? [] : [i];
    }),
  }));
}
