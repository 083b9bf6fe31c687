/**
 * `/verify-email#<token>`: the link set_email mailed. The page sends the
 * token (`POST /api/verify-email`) as it opens, says whether the address
 * is verified, and drops the fragment: the token is used up either way.
 */

import { useSignal } from "@preact/signals";
import type { JSX } from "preact";
import { useEffect } from "preact/hooks";
import { t } from "../i18n.ts";
import { postEmailVerification } from "./api.ts";

/** The verification page; the token is the page's fragment. */
export function VerifyEmailPage({ token }: { token: string }): JSX.Element {
  const outcome = useSignal<{ ok: boolean; text: string } | null>(null);
  useEffect(() => {
    if (token === "") return;
    history.replaceState(null, "", location.pathname);
    void postEmailVerification(token).then((result) => {
      outcome.value = result.ok
        ? {
          ok: true,
          text: t("email.verified", { address: result.data.address }),
        }
        : { ok: false, text: result.message };
    });
  }, []);
  return (
    <main class="admin-page admin-reset">
      <h1>{t("email.verifyTitle")}</h1>
      {token === ""
        ? <p role="alert">{t("email.noToken")}</p>
        : outcome.value === null
        ? <p role="status">{t("email.verifying")}</p>
        : (
          <p
            role={outcome.value.ok ? "status" : "alert"}
            data-testid="verify-email-outcome"
          >
            {outcome.value.text}
          </p>
        )}
      <a href="/">{t("email.back")}</a>
    </main>
  );
}
