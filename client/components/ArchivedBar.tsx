/**
 * What an archived room shows instead of the composer: it says the room
 * is archived, and offers "Unarchive" to those who manage it (the rule of
 * server/handlers/archive.ts: owner, moderators, admins).
 */

import type { JSX } from "preact";
import * as actions from "../actions.ts";
import { useApp } from "../app_context.ts";
import { t } from "../i18n.ts";
import { entry, roomKey } from "../state.ts";

/** The bar in place of the composer of an archived room. */
export function ArchivedBar(props: { room: string }): JSX.Element {
  const { state, connection } = useApp();
  const manages = state.account.value &&
    entry(state.manages.value, roomKey(props.room)) === true;
  return (
    <div class="archived-bar" role="status" data-testid="archived-bar">
      <span>{t("archived.bar")}</span>
      {manages && (
        <button
          type="button"
          class="button"
          data-testid="archived-unarchive"
          onClick={async () =>
            actions.errorShown(
              state,
              await connection.archiveRoom(props.room, false),
            )}
        >
          {t("archived.unarchive")}
        </button>
      )}
    </div>
  );
}
