/**
 * A room's webhooks, for its owner or an admin: incoming hooks (made with
 * a name, their secret URL shown once, listed, deleted) and outgoing ones
 * (a receiver URL registered, its signing secret shown once, listed with
 * how its deliveries went, deleted). Names and URLs are rendered as text.
 */

import type { JSX } from "preact";
import { type Signal, useSignal } from "@preact/signals";
import { useEffect, useRef } from "preact/hooks";
import * as actions from "../actions.ts";
import { useApp } from "../app_context.ts";
import { formatDateTime } from "../format.ts";
import {
  createIncoming,
  createOutgoing,
  deleteIncoming,
  deleteOutgoing,
  type IncomingHook,
  listIncoming,
  listOutgoing,
  type OutgoingHook,
} from "../hooks_api.ts";
import { t } from "../i18n.ts";
import { roomTitle } from "../state.ts";
import type { RestResult } from "../rest.ts";
import { SettingsPage } from "./SettingsPage.tsx";

/** The webhooks page of a room, when open. */
export function HooksPage(): JSX.Element | null {
  const { state } = useApp();
  const room = state.hooksOpen.value;
  // Each opening mounts the page afresh: a URL or secret shown once must
  // not be drawn again, even for the one frame before an effect clears it.
  return room === null ? null : <OpenHooksPage key={room} room={room} />;
}

function OpenHooksPage(props: { room: string }): JSX.Element {
  const { state } = useApp();
  const { room } = props;
  const incoming = useSignal<IncomingHook[]>([]);
  const outgoing = useSignal<OutgoingHook[]>([]);
  const shownUrl = useSignal<string | null>(null);
  const shownSecret = useSignal<string | null>(null);
  const problem = useSignal<string | null>(null);
  const hookName = useSignal("");
  const receiver = useSignal("");
  const busy = useSignal(false);
  const inputRef = useRef<HTMLInputElement>(null);

  function take<T>(answer: RestResult<T>, into: Signal<T>): void {
    if (answer.ok) into.value = answer.data;
    else problem.value = answer.message;
  }

  async function reload(name: string): Promise<void> {
    const [ins, outs] = await Promise.all([
      listIncoming(name),
      listOutgoing(name),
    ]);
    take(ins, incoming);
    take(outs, outgoing);
  }

  useEffect(() => {
    void reload(room);
    inputRef.current?.focus();
  }, []);

  const close = () => actions.hooksPageChanged(state, null);

  // Runs a change, shows what it made once, and lists the hooks again.
  async function change<T>(
    work: () => Promise<RestResult<T>>,
    made?: (data: T) => void,
  ): Promise<void> {
    if (busy.value) return;
    busy.value = true;
    const answer = await work();
    busy.value = false;
    if (!answer.ok) {
      problem.value = answer.message;
      return;
    }
    problem.value = null;
    made?.(answer.data);
    await reload(room);
  }

  function onCreateIncoming(event: Event): void {
    event.preventDefault();
    const wanted = hookName.value.trim();
    if (wanted === "") return;
    void change(() => createIncoming(room, wanted), (url) => {
      shownUrl.value = new URL(url, location.href).href;
      hookName.value = "";
    });
  }

  function onCreateOutgoing(event: Event): void {
    event.preventDefault();
    const url = receiver.value.trim();
    if (url === "") return;
    void change(() => createOutgoing(room, url), (secret) => {
      shownSecret.value = secret;
      receiver.value = "";
    });
  }

  return (
    <SettingsPage
      name="hooks"
      title={t("hooks.title", { room: roomTitle(state, room) })}
      closeLabel={t("hooks.close")}
      onClose={close}
    >
      {problem.value && (
        <p class="page-error" role="alert" data-testid="hooks-error">
          {problem.value}
        </p>
      )}

      <h3 class="page-section">{t("hooks.incoming")}</h3>
      <p class="page-intro">{t("hooks.incomingIntro")}</p>
      <form class="page-form" onSubmit={onCreateIncoming}>
        <input
          ref={inputRef}
          class="field small"
          data-testid="hook-name"
          aria-label={t("hooks.name")}
          placeholder={t("hooks.name")}
          maxLength={64}
          value={hookName.value}
          onInput={(e) => hookName.value = (e.target as HTMLInputElement).value}
        />
        <button
          type="submit"
          class="button primary"
          data-testid="hook-create"
          disabled={busy.value || hookName.value.trim() === ""}
        >
          {t("hooks.create")}
        </button>
      </form>
      {shownUrl.value && (
        <div class="token-secret" data-testid="hook-url">
          <p>{t("hooks.url")}</p>
          <code>{shownUrl.value}</code>
        </div>
      )}
      {incoming.value.length === 0
        ? <p class="page-empty">{t("hooks.noIncoming")}</p>
        : (
          <ul class="token-list" data-testid="hook-list">
            {incoming.value.map((hook) => (
              <li key={hook.id} class="token-row" data-testid="hook-row">
                <span class="token-name">{hook.name}</span>
                <span class="token-date">
                  {t("hooks.by", {
                    user: hook.created_by,
                    date: formatDateTime(hook.created_at),
                  })}
                </span>
                <button
                  type="button"
                  class="button danger"
                  data-testid="hook-delete"
                  aria-label={t("hooks.delete", { name: hook.name })}
                  onClick={() =>
                    void change(() =>
                      deleteIncoming(hook.id)
                    )}
                >
                  {t("hooks.deleteButton")}
                </button>
              </li>
            ))}
          </ul>
        )}

      <h3 class="page-section">{t("hooks.outgoing")}</h3>
      <p class="page-intro">{t("hooks.outgoingIntro")}</p>
      <form class="page-form" onSubmit={onCreateOutgoing}>
        <input
          class="field small"
          type="url"
          data-testid="outgoing-url"
          aria-label={t("hooks.outgoingUrl")}
          placeholder={t("hooks.outgoingUrl")}
          maxLength={2048}
          value={receiver.value}
          onInput={(e) => receiver.value = (e.target as HTMLInputElement).value}
        />
        <button
          type="submit"
          class="button primary"
          data-testid="outgoing-create"
          disabled={busy.value || receiver.value.trim() === ""}
        >
          {t("hooks.register")}
        </button>
      </form>
      {shownSecret.value && (
        <div class="token-secret" data-testid="outgoing-secret">
          <p>{t("hooks.secret")}</p>
          <code>{shownSecret.value}</code>
        </div>
      )}
      {outgoing.value.length === 0
        ? <p class="page-empty">{t("hooks.noOutgoing")}</p>
        : (
          <ul class="token-list" data-testid="outgoing-list">
            {outgoing.value.map((hook) => (
              <li key={hook.id} class="token-row" data-testid="outgoing-row">
                <span class="token-name hook-url">{hook.url}</span>
                <Delivery hook={hook} />
                <button
                  type="button"
                  class="button danger"
                  data-testid="outgoing-delete"
                  aria-label={t("hooks.delete", { name: hook.url })}
                  onClick={() =>
                    void change(() =>
                      deleteOutgoing(hook.id)
                    )}
                >
                  {t("hooks.deleteButton")}
                </button>
              </li>
            ))}
          </ul>
        )}
    </SettingsPage>
  );
}

/** How an outgoing hook's deliveries went: failures stand out. */
function Delivery(props: { hook: OutgoingHook }): JSX.Element {
  const { hook } = props;
  if (hook.failures > 0) {
    return (
      <span class="token-date hook-failing" data-testid="outgoing-failures">
        {t("hooks.failures", {
          n: hook.failures,
          error: hook.last_error ?? "?",
          date: hook.last_failure_at
            ? formatDateTime(hook.last_failure_at)
            : "",
        })}
      </span>
    );
  }
  return (
    <span class="token-date" data-testid="outgoing-status">
      {hook.last_success_at
        ? t("hooks.delivered", { date: formatDateTime(hook.last_success_at) })
        : t("hooks.never")}
    </span>
  );
}
