/**
 * The account's sidebar sections (set_sections), below the "Starred"
 * section: as the login gave them, and as `sections` events and this
 * client's own writes (connection/mod.ts' setSections) changed them since.
 */

import type { Section } from "../../server/protocol/types.ts";
import type { AppState } from "../state.ts";
import { sectionsOf } from "../wire.ts";

/**
 * The account's sidebar sections, as a login or a `sections` event gave
 * them (none from a server that predates them, or for a guest): what the
 * server has.
 */
export function sectionsListed(state: AppState, sections: unknown): void {
  const layout = sectionsOf(sections);
  state.sections.value = layout;
  state.sectionWrites.value = {
    ...state.sectionWrites.value,
    confirmed: layout,
  };
}

/** A layout this client sends: shown at once, before the server answers. */
export function sectionsSent(state: AppState, layout: Section[]): void {
  const writes = state.sectionWrites.value;
  state.sectionWrites.value = {
    ...writes,
    pending: [...writes.pending, layout],
  };
  state.sections.value = layout;
}

/** The server took a layout this client sent: it is what the server has. */
export function sectionsTaken(state: AppState, layout: Section[]): void {
  const writes = state.sectionWrites.value;
  state.sectionWrites.value = {
    confirmed: layout,
    pending: writes.pending.filter((sent) => sent !== layout),
  };
}

/**
 * The server refused a layout this client sent. While it is still what is
 * shown (nothing sent or heard since), the sidebar goes back to the newest
 * layout still under way, else to the last the server confirmed: never to
 * what was shown before this one was sent, which a later write the server
 * took (or a `sections` event) may have replaced since.
 */
export function sectionsRefused(state: AppState, layout: Section[]): void {
  const writes = state.sectionWrites.value;
  const pending = writes.pending.filter((sent) => sent !== layout);
  state.sectionWrites.value = { ...writes, pending };
  if (state.sections.value === layout) {
    state.sections.value = pending.at(-1) ?? writes.confirmed;
  }
}
