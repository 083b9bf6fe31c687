/**
 * The account's sidebar sections (set_sections), below the "Starred"
 * section: as the login gave them, and as `sections` events and this
 * client's own writes (connection/mod.ts' setSections) changed them since.
 */

import type { AppState } from "../state.ts";
import { sectionsOf } from "../wire.ts";

/**
 * The account's sidebar sections, as a login or a `sections` event gave
 * them (none from a server that predates them, or for a guest).
 */
export function sectionsListed(state: AppState, sections: unknown): void {
  state.sections.value = sectionsOf(sections);
}
