/**
 * The "Invite" button of the line under a sent message that @mentioned
 * accounts not in its room (not notified): adds them to the room, as
 * Slack's "Invite them". Shown to accounts only, whom `invite` lets; a
 * guest reads the line alone.
 */

import { useSignal } from "@preact/signals";
import type { JSX } from "preact";
import * as actions from "../actions.ts";
import { useApp } from "../app_context.ts";
import { t } from "../i18n.ts";
import type { InviteOffer as Offer } from "../room_log.ts";
import { roomTitle } from "../state.ts";

/** Props of {@linkcode InviteOffer}. */
export interface InviteOfferProps {
  /** Whom to add, and where. */
  offer: Offer;
  /** The line's key: its button goes once used. */
  noticeKey: string;
}

/** The button, or nothing for a guest. */
export function InviteOffer(
  { offer, noticeKey }: InviteOfferProps,
): JSX.Element | null {
  const { state, connection } = useApp();
  const busy = useSignal(false);
  if (!state.account.value) return null;

  async function invite(): Promise<void> {
    if (busy.value) return;
    busy.value = true;
    // One at a time: a refusal (one banned from the room, one who ignores
    // this user) is said for its name, and the others are still added.
    // Each added one's `joined` notice tells the room.
    for (const user of offer.users) {
      actions.errorShown(state, await connection.invite(offer.room, user));
    }
    busy.value = false;
    actions.inviteOfferUsed(state, offer.room, noticeKey);
  }

  return (
    <button
      type="button"
      class="button accent small notice-action"
      data-testid="mention-invite"
      aria-label={t("mention.inviteLabel", {
        users: offer.users.join(", "),
        room: roomTitle(state, offer.room),
      })}
      disabled={busy.value}
      onClick={() => void invite()}
    >
      {t("mention.invite")}
    </button>
  );
}
