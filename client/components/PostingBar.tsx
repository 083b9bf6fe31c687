/**
 * What a member who may not post sees instead of the composer in an
 * announcement room (`set_room_posting` `moderators`): a line that says
 * who posts there. Reactions, threads' read state and reading go on.
 */

import type { JSX } from "preact";
import { t } from "../i18n.ts";

/** The bar in place of the composer of an announcement room. */
export function PostingBar(): JSX.Element {
  return (
    <div class="archived-bar" role="status" data-testid="posting-bar">
      <span>{t("posting.bar")}</span>
    </div>
  );
}
