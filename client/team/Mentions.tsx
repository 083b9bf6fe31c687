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
import { Dialog } from "../components/Dialog.tsx";
import { t } from "../i18n.ts";
import * as teamActions from "./actions.ts";
import { jumpTo } from "./api.ts";
import { AtIcon } from "./icons.tsx";
import { ListedMessage, placeOf, usePagedList } from "./listed_messages.tsx";

/** Mentions the panel lists a click: the server's largest page. */
const PANEL_PAGE = 100;

/** The header's button that opens the recent mentions panel. */
export function MentionsOpenButton(): JSX.Element {
  const { state } = useApp();
  return (
    <button
      type="button"
      class="icon-button"
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
  const { list, next, busy, error, more } = usePagedList<
    ChatMessage | PrivateMessage
  >(async (before) => {
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
  const heard = state.team.mentionsHeard.value;
  const listed = list.value ?? [];
  const shown = [
    ...heard.filter((m) => !listed.some((l) => l.id === m.id)),
    ...listed,
  ];
  return (
    <Dialog
      title={t("mentions.panel")}
      testId="mentions-panel"
      size="wide"
      onClose={() => teamActions.mentionsToggled(state, false)}
    >
      {error.value && <p class="field-error" role="alert">{error.value}</p>}
      {list.value === null && heard.length === 0
        ? !error.value &&
          <p class="search-status" role="status">{t("pin.loading")}</p>
        : shown.length === 0 && next.value === null
        ? <p class="search-status" role="status">{t("mentions.none")}</p>
        : (
          <ul class="search-results" data-testid="mentions-list">
            {shown.map((message) => (
              <li key={message.id}>
                <button
                  type="button"
                  class="search-result"
                  data-testid="mentions-item"
                  onClick={() => {
                    teamActions.mentionsToggled(state, false);
                    void jumpTo(
                      services,
                      placeOf(services, message),
                      message.seq,
                    );
                  }}
                >
                  <ListedMessage message={message} />
                </button>
              </li>
            ))}
          </ul>
        )}
      {next.value !== null && (
        <button
          type="button"
          class="button ghost search-more"
          data-testid="mentions-more"
          disabled={busy.value}
          onClick={more}
        >
          {t("mentions.more")}
        </button>
      )}
    </Dialog>
  );
}
