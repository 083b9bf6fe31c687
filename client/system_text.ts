/**
 * The sentence of a `system` notice in the interface's language. The
 * server writes each notice in English (its `text`, which other clients
 * show as is); the notices a class sees every day (someone joined or left,
 * a message pinned, a room renamed) are said again here from the event's
 * fields. The others (kicks, bans, deletions) name a moderator only in
 * that text, so they keep the server's sentence.
 */

import type { SystemEvent } from "../server/protocol/types.ts";
import { lang, t } from "./i18n.ts";

/**
 * The words to show for `event`; `authorOf` finds who wrote a message the
 * client holds (a pin names the author only in its text).
 */
export function systemText(
  event: SystemEvent,
  authorOf: (id: string) => string | undefined,
): string {
  // English is the server's own sentence, exact (it may say "was added to").
  if (lang.value === "en" || event.user === undefined) return event.text;
  const user = event.user;
  const room = event.room;
  switch (event.kind) {
    case "joined":
      return t("system.joined", { user, room });
    case "left":
      return t("system.left", { user, room });
    case "renamed":
      return event.from === undefined
        ? event.text
        : t("system.renamed", { user, from: event.from, room });
    case "pinned":
    case "unpinned": {
      const author = event.id === undefined ? undefined : authorOf(event.id);
      const pinned = event.kind === "pinned";
      if (author === undefined) {
        return t(pinned ? "system.pinned" : "system.unpinned", { user });
      }
      return t(pinned ? "system.pinnedBy" : "system.unpinnedBy", {
        user,
        author,
      });
    }
    default:
      return event.text;
  }
}
