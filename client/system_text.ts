/**
 * The sentence of a `system` notice in the interface's language. The
 * server writes each notice in English (its `text`, which other clients
 * show as is) and gives the facts in fields too: who joined or left, who
 * pinned, renamed, deleted, kicked, banned, added or removed (`by`), why
 * (`reason`), the new role. Said again here from those fields; a notice
 * missing the fields its sentence needs keeps the server's text.
 */

import type { SystemEvent } from "../server/protocol/types.ts";
import type { Notice } from "./room_log.ts";
import { roomKey } from "./state.ts";
import { lang, roleName, t } from "./i18n.ts";

/** What a notice's sentence needs beyond the event. */
export interface SystemTextContext {
  /** Who wrote a message the client holds (a pin names the author only in its text). */
  authorOf(id: string): string | undefined;
  /** This user's name: "removed you" and "removed lea" differ. */
  me: string;
}

/** The words to show for `event`. */
export function systemText(
  event: SystemEvent,
  context: SystemTextContext,
): string {
  // English is the server's own sentence, exact (it may say "was added to").
  if (lang.value === "en") return event.text;
  return said(event, context) ?? event.text;
}

/**
 * A notice's words in the interface's language now: a server event's, and
 * a line the client wrote, are said again (reading `lang`, so a line
 * re-renders when it changes).
 */
export function noticeText(
  notice: Pick<Notice, "text" | "system" | "words">,
): string {
  const system = notice.system;
  if (system === undefined) return notice.words?.() ?? notice.text;
  return systemText(system.event, {
    authorOf: () => system.author,
    me: system.me,
  });
}

function said(
  event: SystemEvent,
  context: SystemTextContext,
): string | undefined {
  const { user, room, by, reason } = event;
  switch (event.kind) {
    case "joined":
      return user === undefined
        ? undefined
        : t("system.joined", { user, room });
    case "left":
      return user === undefined ? undefined : t("system.left", { user, room });
    case "renamed":
      return user === undefined || event.from === undefined
        ? undefined
        : t("system.renamed", { user, from: event.from, room });
    case "topic":
      if (user === undefined) return undefined;
      return event.topic === undefined
        ? t("system.topicCleared", { user })
        : t("system.topicSet", { user, topic: event.topic });
    case "archived":
      return user === undefined ? undefined : t("system.archived", { user });
    case "unarchived":
      return user === undefined ? undefined : t("system.unarchived", { user });
    case "pinned":
    case "unpinned":
      return user === undefined ? undefined : pin(event, user, context);
    case "info":
      // Sent to the user whose role changed; no `by`: the server did it.
      if (event.role === undefined) return undefined;
      return by === undefined
        ? t("system.roleByServer", { role: roleName(event.role) })
        : t("system.role", { by, role: roleName(event.role) });
    case "deleted":
      return by === undefined
        ? t("system.deletedByServer", { room })
        : t("system.deleted", { by, room });
    case "kicked":
      if (user === undefined || by === undefined) return undefined;
      if (event.account_deleted) {
        return t("system.accountDeleted", { user, by });
      }
      return reason === undefined
        ? t("system.kicked", { user, by })
        : t("system.kickedFor", { user, by, reason });
    case "banned": {
      if (user === undefined || by === undefined) return undefined;
      // Only the banned user's notice says which ban (`scope`); the rooms
      // hear that the user was banned.
      const from = event.scope === "room";
      if (reason === undefined) {
        return from
          ? t("system.bannedFrom", { user, by, room })
          : t("system.banned", { user, by });
      }
      return from
        ? t("system.bannedFromFor", { user, by, room, reason })
        : t("system.bannedFor", { user, by, reason });
    }
    case "invited":
      return by === undefined ? undefined : t("system.invited", { by, room });
    case "removed":
      if (event.private) return t("system.private", { room });
      if (user === undefined || by === undefined) return undefined;
      return roomKey(user) === roomKey(context.me)
        ? t("system.removedYou", { by, room })
        : t("system.removed", { by, user, room });
    default:
      return undefined;
  }
}

function pin(
  event: SystemEvent,
  user: string,
  context: SystemTextContext,
): string {
  const pinned = event.kind === "pinned";
  // The server says whose it is (`own`, by the author's account): the
  // names compared here took a hook's post under the pinner's name for
  // the pinner's own. "ana pinned a message by ana" read as two people.
  if (event.own === true) {
    return t(pinned ? "system.pinnedOwn" : "system.unpinnedOwn", { user });
  }
  const author = event.id === undefined
    ? undefined
    : context.authorOf(event.id);
  if (author === undefined) {
    return t(pinned ? "system.pinned" : "system.unpinned", { user });
  }
  return t(pinned ? "system.pinnedBy" : "system.unpinnedBy", { user, author });
}
