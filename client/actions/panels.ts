/**
 * Panels and dialogs opened over the chat: drawers, member panel, quick
 * switcher, invite dialog, lightbox, webhooks and tokens pages.
 */

import { batch } from "@preact/signals";
import type { Attachment } from "../../server/protocol/types.ts";
import type { AppState, LinkPreview } from "../state.ts";

/** Opens or closes the current room's invite dialog. */
export function inviteDialogToggled(state: AppState, open: boolean): void {
  batch(() => {
    state.inviteOpen.value = open;
    if (open) {
      state.drawerOpen.value = false;
      state.membersOpen.value = false;
    }
  });
}

/** Shows a message link's room before joining it, or closes it (null). */
export function linkPreviewChanged(
  state: AppState,
  preview: LinkPreview | null,
): void {
  batch(() => {
    state.linkPreview.value = preview;
  });
}

/** Shows an image full size, or closes the view (null). */
export function lightboxChanged(
  state: AppState,
  image: Attachment | null,
): void {
  batch(() => {
    state.lightbox.value = image;
  });
}

/** Opens someone's profile card, or closes it (null). */
export function profileCardChanged(
  state: AppState,
  name: string | null,
): void {
  batch(() => {
    state.profileCard.value = name;
  });
}

/** Opens the webhooks page of a room, or closes it (null). */
export function hooksPageChanged(state: AppState, room: string | null): void {
  batch(() => {
    state.hooksOpen.value = room;
  });
}

/** Opens or closes the access tokens page. */
export function tokensPageChanged(state: AppState, open: boolean): void {
  batch(() => {
    state.tokensOpen.value = open;
  });
}

/** Opens or closes the member panel on narrow screens. */
export function membersToggled(
  state: AppState,
  open: boolean = !state.membersOpen.value,
): void {
  batch(() => {
    state.membersOpen.value = open;
    if (open) state.drawerOpen.value = false;
  });
}

/**
 * Opens or closes the quick switcher (Ctrl+K); opening it closes the
 * search dialog and the pins panel, and the drawers it would sit over.
 */
export function switcherToggled(
  state: AppState,
  open: boolean = !state.switcherOpen.value,
): void {
  batch(() => {
    state.switcherOpen.value = open;
    if (!open) return;
    state.team.searchOpen.value = false;
    state.team.searchQuery.value = "";
    state.team.pinsOpen.value = false;
    // The team's other dialogs too: two modal dialogs at once each pulled
    // Tab back into itself (dom.ts keepTabInside) and Escape closed both.
    state.team.savedOpen.value = false;
    state.team.mentionsOpen.value = false;
    state.team.mentionsHeard.value = [];
    state.team.threadsOpen.value = false;
    state.team.thread.value = null;
    state.drawerOpen.value = false;
    state.membersOpen.value = false;
  });
}

/** Opens or closes the room drawer on narrow screens. */
export function drawerToggled(
  state: AppState,
  open: boolean = !state.drawerOpen.value,
): void {
  batch(() => {
    state.drawerOpen.value = open;
    if (open) state.membersOpen.value = false;
  });
}
