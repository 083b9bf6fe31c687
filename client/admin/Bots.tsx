/**
 * The admin page's bot screen: the bots (made here, with the name rules
 * of `register`), and for the bot chosen its tokens (a secret shown once,
 * revoked after asking twice) and the URLs its private messages are
 * POSTed to. Names and URLs are rendered as text. A secret is drawn beside
 * the token or hook it belongs to, and a refusal inside the form or item
 * that was refused: the page's notice is off screen on a phone. Focus
 * follows the work: to the bot's heading when chosen, to a secret when
 * shown, back to the field that made it when done.
 */

import { useSignal } from "@preact/signals";
import type { JSX, RefObject } from "preact";
import { useEffect, useRef } from "preact/hooks";
import { formatDateTime } from "../format.ts";
import { t } from "../i18n.ts";
import type { BotHookRow } from "./bots_api.ts";
import { ConfirmButton } from "./ConfirmButton.tsx";
import type { AdminService } from "./service.ts";
import type { AdminState, BotErrorPlace, ShownSecret } from "./state.ts";

/** What every part of the screen gets. */
interface ScreenProps {
  state: AdminState;
  service: AdminService;
}

/** The bots section: the list, a form to make one, the chosen bot's panel. */
export function Bots({ state, service }: ScreenProps): JSX.Element {
  const name = useSignal("");
  const bots = state.bots.value;
  const chosen = state.bot.value;
  return (
    <section
      class="admin-section"
      aria-label={t("admin.bots")}
      data-testid="admin-bots"
    >
      <p class="admin-meta">{t("admin.botsIntro")}</p>
      <form
        class="admin-search admin-wrap"
        onSubmit={async (e) => {
          e.preventDefault();
          const wanted = name.value.trim();
          if (wanted !== "" && await service.createBot(wanted)) {
            name.value = "";
          }
        }}
      >
        <input
          data-testid="admin-bot-name"
          aria-label={t("admin.botName")}
          placeholder={t("admin.botName")}
          maxLength={64}
          value={name.value}
          onInput={(e) => name.value = e.currentTarget.value}
        />
        <button type="submit" data-testid="admin-bot-create">
          {t("admin.createBot")}
        </button>
        <Refusal state={state} at="bot" />
      </form>
      {bots.length === 0
        ? (
          <p class="admin-empty" data-testid="admin-no-bots">
            {t("admin.noBots")}
          </p>
        )
        : (
          <ul class="admin-list">
            {bots.map((bot) => (
              <li key={bot.username}>
                <button
                  type="button"
                  class="admin-row"
                  data-testid="admin-bot"
                  data-bot={bot.username}
                  aria-pressed={chosen === bot.username}
                  onClick={() => void service.chooseBot(bot.username)}
                >
                  <span class="admin-name">{bot.username}</span>
                  <span class="admin-role">
                    {t("admin.created", {
                      date: formatDateTime(bot.created_at),
                    })}
                  </span>
                </button>
              </li>
            ))}
          </ul>
        )}
      {chosen !== null && (
        <BotPanel key={chosen} bot={chosen} state={state} service={service} />
      )}
    </section>
  );
}

function BotPanel(
  { bot, state, service }: ScreenProps & { bot: string },
): JSX.Element {
  const tokenName = useSignal("");
  const hookUrl = useSignal("");
  const heading = useRef<HTMLHeadingElement>(null);
  const tokenField = useRef<HTMLInputElement>(null);
  const hookField = useRef<HTMLInputElement>(null);
  useEffect(() => heading.current?.focus(), []);
  const secret = state.botSecret.value;
  const shown = secret?.bot === bot ? secret : null;
  const tokens = state.botTokens.value;
  const hooks = state.botHooks.value;
  // Beside its item; under the form that made it while the item is not
  // listed (the list failed to load): never lost.
  const besideItem = (kind: ShownSecret["kind"], id: string) =>
    shown?.kind === kind && shown.id === id;
  const unlisted = (kind: ShownSecret["kind"]) =>
    shown?.kind === kind &&
    !(kind === "token" ? tokens : hooks).some((row) => row.id === shown.id);
  // Done with it: back to the field that made it.
  const secretBox = shown && (
    <Secret
      secret={shown}
      onDone={() => {
        service.dismissSecret();
        (shown.kind === "token" ? tokenField : hookField).current?.focus();
      }}
    />
  );
  // Focus where the admin goes on from: the button that acted is gone.
  const then = (ok: boolean, field: RefObject<HTMLInputElement>) => {
    if (ok) field.current?.focus();
  };
  return (
    <div
      class="admin-panel"
      data-testid="admin-bot-panel"
      aria-label={t("admin.botOf", { bot })}
    >
      <h2 tabIndex={-1} ref={heading}>{bot}</h2>

      <h3>{t("admin.botTokens")}</h3>
      <form
        class="admin-line"
        onSubmit={async (e) => {
          e.preventDefault();
          const wanted = tokenName.value.trim();
          if (wanted !== "" && await service.createBotToken(wanted)) {
            tokenName.value = "";
          }
        }}
      >
        <input
          ref={tokenField}
          data-testid="admin-bot-token-name"
          aria-label={t("tokens.name")}
          placeholder={t("tokens.name")}
          maxLength={64}
          value={tokenName.value}
          onInput={(e) => tokenName.value = e.currentTarget.value}
        />
        <button type="submit" data-testid="admin-bot-token-create">
          {t("tokens.create")}
        </button>
        <Refusal state={state} at="token" />
      </form>
      {unlisted("token") && secretBox}
      {tokens.length === 0
        ? <p class="admin-empty">{t("tokens.none")}</p>
        : (
          <ul class="admin-list">
            {tokens.map((token) => (
              <li
                key={token.id}
                class="admin-bot-item"
                data-testid="admin-bot-token"
                data-token={token.id}
              >
                <span class="admin-name">{token.name}</span>
                <span class="admin-meta">
                  {t("admin.created", {
                    date: formatDateTime(token.created_at),
                  })}
                </span>
                <ConfirmButton
                  label={t("tokens.revoke", { name: token.name })}
                  testId="admin-bot-token-revoke"
                  onConfirm={async () =>
                    then(
                      await service.revokeBotToken(token.id, token.name),
                      tokenField,
                    )}
                />
                <Refusal state={state} at={`token:${token.id}`} />
                {besideItem("token", token.id) && secretBox}
              </li>
            ))}
          </ul>
        )}

      <h3>{t("admin.botHooks")}</h3>
      <p class="admin-meta">{t("admin.botHooksIntro")}</p>
      <form
        class="admin-line"
        onSubmit={async (e) => {
          e.preventDefault();
          const url = hookUrl.value.trim();
          if (url !== "" && await service.addBotHook(url)) hookUrl.value = "";
        }}
      >
        <input
          ref={hookField}
          class="admin-url"
          type="url"
          data-testid="admin-bot-hook-url"
          aria-label={t("hooks.outgoingUrl")}
          placeholder={t("hooks.outgoingUrl")}
          value={hookUrl.value}
          onInput={(e) => hookUrl.value = e.currentTarget.value}
        />
        <button type="submit" data-testid="admin-bot-hook-add">
          {t("hooks.register")}
        </button>
        <Refusal state={state} at="hook" />
      </form>
      {unlisted("hook") && secretBox}
      {hooks.length === 0
        ? <p class="admin-empty">{t("hooks.noOutgoing")}</p>
        : (
          <ul class="admin-list">
            {hooks.map((hook) => (
              <li
                key={hook.id}
                class="admin-bot-item"
                data-testid="admin-bot-hook"
                data-url={hook.url}
              >
                <span class="admin-name">{hook.url}</span>
                <Delivery hook={hook} />
                <ConfirmButton
                  label={t("hooks.delete", { name: hook.url })}
                  testId="admin-bot-hook-remove"
                  onConfirm={async () =>
                    then(
                      await service.removeBotHook(hook.id, hook.url),
                      hookField,
                    )}
                />
                <Refusal state={state} at={`hook:${hook.id}`} />
                {besideItem("hook", hook.id) && secretBox}
              </li>
            ))}
          </ul>
        )}
    </div>
  );
}

/**
 * A secret the server gives this once: focused when shown so a screen
 * reader reads the warning with it, with a copy button (or the text
 * selected where the clipboard is refused).
 */
function Secret(
  { secret, onDone }: { secret: ShownSecret; onDone: () => void },
): JSX.Element {
  const field = useRef<HTMLInputElement>(null);
  const copied = useSignal<"no" | "yes" | "failed">("no");
  useEffect(() => {
    copied.value = "no";
    field.current?.focus();
  }, [secret.value]);
  const id = `admin-secret-${secret.kind}`;
  async function copy(): Promise<void> {
    try {
      await navigator.clipboard.writeText(secret.value);
      copied.value = "yes";
    } catch {
      // No clipboard (an insecure origin, a refusal): select it instead.
      field.current?.focus();
      field.current?.select();
      copied.value = "failed";
    }
  }
  return (
    <div class="admin-secret" data-testid="admin-bot-secret" role="group">
      <p id={`${id}-warning`}>
        {t(
          secret.kind === "token"
            ? "admin.botTokenSecret"
            : "admin.botHookSecret",
          { bot: secret.bot },
        )}
      </p>
      <div class="admin-line">
        <input
          ref={field}
          class="admin-url"
          data-testid="admin-bot-secret-value"
          readOnly
          aria-label={t(
            secret.kind === "token" ? "admin.tokenSecret" : "admin.hookSecret",
          )}
          aria-describedby={`${id}-warning`}
          value={secret.value}
          onFocus={(e) => e.currentTarget.select()}
        />
        <button
          type="button"
          data-testid="admin-bot-secret-copy"
          onClick={() => void copy()}
        >
          {copied.value === "yes" ? t("invite.copied") : t("invite.copy")}
        </button>
        <button
          type="button"
          data-testid="admin-bot-secret-done"
          onClick={onDone}
        >
          {t("admin.secretDone")}
        </button>
      </div>
      {copied.value === "failed" && (
        <p class="admin-meta" role="status">{t("admin.copyFailed")}</p>
      )}
    </div>
  );
}

/**
 * Why the action at `at` was refused, in the server's words; an alert, so
 * a screen reader says it where the admin is.
 */
function Refusal(
  { state, at }: { state: AdminState; at: BotErrorPlace },
): JSX.Element | null {
  const error = state.botError.value;
  if (error?.at !== at) return null;
  return (
    <p class="admin-field-error" role="alert" data-testid="admin-bot-error">
      {error.text}
    </p>
  );
}

/** How a hook's deliveries went: failures stand out. */
function Delivery({ hook }: { hook: BotHookRow }): JSX.Element {
  return (
    <span
      class={`admin-meta${hook.failures > 0 ? " admin-failing" : ""}`}
      data-testid="admin-bot-hook-status"
    >
      {hook.failures > 0
        ? t("hooks.failures", {
          n: hook.failures,
          error: hook.last_error ?? "?",
          date: hook.last_failure_at
            ? formatDateTime(hook.last_failure_at)
            : "",
        })
        : hook.last_success_at
        ? t("hooks.delivered", { date: formatDateTime(hook.last_success_at) })
        : t("hooks.never")}
    </span>
  );
}
