/** A small, dismissable offer to turn on desktop notifications, shown after login (never asked for on its own). */

import type { JSX } from "preact";
import * as actions from "../actions.ts";
import { useApp } from "../app_context.ts";
import { t } from "../i18n.ts";
import { BellIcon, CloseIcon } from "./Icons.tsx";

/** The banner, while permission is still to be asked and the user did not say "not now". */
export function NotifyBanner(): JSX.Element | null {
  const { state, notifier } = useApp();
  if (
    state.notifyPermission.value !== "default" || state.notifyDismissed.value
  ) return null;
  return (
    <div class="notify-banner" role="region" data-testid="notify-banner">
      <span class="notify-icon" aria-hidden="true">
        <BellIcon />
      </span>
      <span class="notify-text">{t("notify.banner")}</span>
      <button
        type="button"
        class="button small accent"
        data-testid="notify-enable"
        onClick={() => void notifier.requestPermission()}
      >
        {t("notify.enable")}
      </button>
      <button
        type="button"
        class="icon-button"
        data-testid="notify-later"
        aria-label={t("notify.later")}
        title={t("notify.later")}
        onClick={() => actions.notifyBannerDismissed(state)}
      >
        <CloseIcon />
      </button>
    </div>
  );
}
