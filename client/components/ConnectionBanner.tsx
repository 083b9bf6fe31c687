/** The banner shown while the connection is down, with a countdown to the next try. */

import { useSignal } from "@preact/signals";
import type { JSX } from "preact";
import { useEffect } from "preact/hooks";
import { useApp } from "../app_context.ts";
import { t } from "../i18n.ts";

/** Says the connection is lost and when the next try is; hidden while online. */
export function ConnectionBanner(): JSX.Element | null {
  const { state, connection } = useApp();
  const status = state.status.value;
  const now = useSignal(Date.now());
  const offline = status.kind === "offline";
  useEffect(() => {
    if (!offline) return;
    now.value = Date.now();
    const timer = setInterval(() => now.value = Date.now(), 250);
    return () => clearInterval(timer);
  }, [offline]);
  if (
    status.kind === "online" || status.kind === "idle" ||
    (status.kind === "connecting" && !state.resuming.value)
  ) return null;
  let text = t("banner.lost");
  if (status.kind === "offline") {
    const seconds = Math.ceil((status.retryAt - now.value) / 1000);
    if (seconds > 0) text = t("banner.lostIn", { s: seconds });
  }
  return (
    <div class="banner" role="status" data-testid="connection-banner">
      <span class="banner-dot" aria-hidden="true" />
      <span>{text}</span>
      {offline && (
        <button
          type="button"
          class="banner-retry"
          title={t("banner.retryLabel")}
          onClick={() => connection.reconnectNow()}
        >
          {t("banner.retry")}
        </button>
      )}
    </div>
  );
}
