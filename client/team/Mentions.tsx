/**
 * Recent mentions (Slack's Activity, Mattermost's "Recent mentions"): the
 * header's button and the panel that lists the messages that mention the
 * account in every room and conversation, newest first, from the server;
 * a click opens the room or conversation at the message. While it is
 * open, a new message that mentions the account comes in at its top.
 */

import type { JSX } from "preact";
import type {
  ChatMessage,
  PrivateMessage,
} from "../../server/protocol/types.ts";
import { useApp } from "../app_context.ts";
import { t } from "../i18n.ts";
import * as teamActions from "./actions.ts";
import { AtIcon } from "./icons.tsx";
import { ListedMessagesPanel, usePagedList } from "./listed_messages.tsx";

/** Mentions the panel lists a click: the server's largest page. */
const PANEL_PAGE = 100;

/** The header's button that opens the recent mentions panel. */
export function MentionsOpenButton(): JSX.Element {
  const { state } = useApp();
  return (
    <button
      type="button"
      class="icon-button header-more"
      data-testid="mentions-open"
      aria-label={t("mentions.open")}
      title={t("mentions.open")}
      aria-haspopup="dialog"
      onClick={() => teamActions.mentionsToggled(state, true)}
    >
      <AtIcon />
    </button>
  );
}

/** The recent mentions panel. */
export function MentionsPanel(): JSX.Element {
  const services = useApp();
  const { state } = services;
  const paged = usePagedList<ChatMessage | PrivateMessage>(async (before) => {
    const result = await services.connection.request("list_mentions", {
      limit: PANEL_PAGE,
      ...(before === null ? {} : { before }),
    });
    if (!result.ok) return result;
    const { mentions, next: after } = result.data;
    return { ok: true, data: { items: mentions, next: after } };
  });
  // Those heard since it opened, above the pages (the first page may
  // hold some of them too: each once).
  const listed = paged.list.value ?? [];
  const heard = state.team.mentionsHeard.value.filter((m) =>
    !listed.some((l) => l.id === m.id)
  );
  return (
    <ListedMessagesPanel
      name="mentions"
      title={t("mentions.panel")}
      paged={paged}
      messages={[...heard, ...listed]}
      none={t("mentions.none")}
      more={t("mentions.more")}
      onClose={() => teamActions.mentionsToggled(state, false)}
    />
  );
}
