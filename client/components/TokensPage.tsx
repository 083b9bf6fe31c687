/**
 * Settings › Access tokens: make a named token (its secret shown once),
 * see the account's tokens, revoke them. Token names are rendered as text.
 */

import type { JSX } from "preact";
import { useSignal } from "@preact/signals";
import { useEffect, useRef } from "preact/hooks";
import * as actions from "../actions.ts";
import { useApp } from "../app_context.ts";
import { formatDateTime } from "../format.ts";
import { t } from "../i18n.ts";
import {
  createToken,
  listTokens,
  revokeToken,
  type TokenInfo,
} from "../tokens_api.ts";
import { SettingsPage } from "./SettingsPage.tsx";

/** The tokens page, when open. */
export function TokensPage(): JSX.Element | null {
  const { state } = useApp();
  // Each opening mounts the page afresh: a secret shown once must not be
  // drawn again, even for the one frame before an effect clears it.
  return state.tokensOpen.value ? <OpenTokensPage /> : null;
}

function OpenTokensPage(): JSX.Element {
  const { state } = useApp();
  const tokens = useSignal<TokenInfo[]>([]);
  const secret = useSignal<string | null>(null);
  const problem = useSignal<string | null>(null);
  const name = useSignal("");
  const busy = useSignal(false);
  const inputRef = useRef<HTMLInputElement>(null);

  async function reload(): Promise<void> {
    const answer = await listTokens();
    if (answer.ok) tokens.value = answer.data;
    else problem.value = answer.message;
  }

  useEffect(() => {
    void reload();
    inputRef.current?.focus();
  }, []);

  const close = () => actions.tokensPageChanged(state, false);

  async function onCreate(event: Event): Promise<void> {
    event.preventDefault();
    const wanted = name.value.trim();
    if (wanted === "" || busy.value) return;
    busy.value = true;
    const made = await createToken(wanted);
    busy.value = false;
    if (!made.ok) {
      problem.value = made.message;
      return;
    }
    problem.value = null;
    secret.value = made.data.token;
    name.value = "";
    await reload();
  }

  async function onRevoke(id: string): Promise<void> {
    const gone = await revokeToken(id);
    if (!gone.ok) problem.value = gone.message;
    await reload();
  }

  return (
    <SettingsPage
      name="tokens"
      title={t("tokens.title")}
      closeLabel={t("tokens.close")}
      onClose={close}
    >
      <p class="page-intro">{t("tokens.intro")}</p>
      <form class="page-form" onSubmit={(e) => void onCreate(e)}>
        <input
          ref={inputRef}
          class="field small"
          data-testid="token-name"
          aria-label={t("tokens.name")}
          placeholder={t("tokens.name")}
          maxLength={64}
          value={name.value}
          onInput={(e) => name.value = (e.target as HTMLInputElement).value}
        />
        <button
          type="submit"
          class="button primary"
          data-testid="token-create"
          disabled={busy.value || name.value.trim() === ""}
        >
          {t("tokens.create")}
        </button>
      </form>
      {secret.value && (
        <div class="token-secret" data-testid="token-secret">
          <p>{t("tokens.secret")}</p>
          <code>{secret.value}</code>
        </div>
      )}
      {problem.value && (
        <p class="page-error" role="alert" data-testid="tokens-error">
          {problem.value}
        </p>
      )}
      {tokens.value.length === 0
        ? <p class="page-empty">{t("tokens.none")}</p>
        : (
          <ul class="token-list" data-testid="token-list">
            {tokens.value.map((token) => (
              <li key={token.id} class="token-row" data-testid="token-row">
                <span class="token-name">{token.name}</span>
                <span class="token-date">
                  {t("tokens.created", {
                    date: formatDateTime(token.created_at),
                  })}
                </span>
                <button
                  type="button"
                  class="button danger"
                  data-testid="token-revoke"
                  aria-label={t("tokens.revoke", { name: token.name })}
                  onClick={() =>
                    void onRevoke(token.id)}
                >
                  {t("tokens.revokeButton")}
                </button>
              </li>
            ))}
          </ul>
        )}
    </SettingsPage>
  );
}
