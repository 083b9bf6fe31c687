/**
 * Forwarding (docs/protocol.md, "Forwarding"), as Slack's "Share message"
 * and Mattermost's "Forward": a message's "Forward…" action opens a dialog
 * that finds a room one belongs to or a person (ranked as the quick
 * switcher ranks them, client/quick_switch.ts), with a text of one's own;
 * a forward shows its copy of the original as a card, "Forwarded from
 * alice in #general", with a link to the original for a reader who may
 * open it.
 */

import { useComputed, useSignal } from "@preact/signals";
import type { JSX } from "preact";
import { MAX_MESSAGE_LENGTH } from "../../server/protocol/limits.ts";
import { passedOn } from "../../server/protocol/forwards.ts";
import { nameKey } from "../../server/protocol/names.ts";
import type {
  ChatMessage,
  DeletedForward,
  ForwardedMessage,
} from "../../server/protocol/types.ts";
import { useApp } from "../app_context.ts";
import { ChoiceList, useChoiceList } from "../components/ChoiceList.tsx";
import { Dialog } from "../components/Dialog.tsx";
import { DialogFooter, useDialogForm } from "../components/DialogFooter.tsx";
import { RichText } from "../components/RichText.tsx";
import { SenderBadge } from "../components/SenderBadge.tsx";
import { errorWords } from "../connection/errors.ts";
import { formatDateTime } from "../format.ts";
import { t } from "../i18n.ts";
import { messageLink, type MessageRoute } from "../message_link.ts";
import {
  rankPlaces,
  type SwitchChoice,
  switchPlaces,
  withPeople,
} from "../quick_switch.ts";
import { roomNamed } from "../state.ts";
import { usePeopleFound } from "../use_people_found.ts";
import { ForwardIcon } from "./icons.tsx";

/** How many places the dialog offers at once. */
const CHOICES = 8;

/** The "Forward…" action of a message: opens the dialog. */
export function ForwardButton(props: { message: ChatMessage }): JSX.Element {
  const open = useSignal(false);
  return (
    <>
      <button
        type="button"
        class="msg-action"
        data-testid="message-forward"
        aria-label={t("fwd.label")}
        title={t("fwd.action")}
        onClick={() => open.value = true}
      >
        <ForwardIcon />
      </button>
      {open.value && (
        <ForwardDialog
          message={props.message}
          onClose={() => open.value = false}
        />
      )}
    </>
  );
}

/**
 * Where to forward `message`, and a text of one's own; `onClose` once sent
 * or dismissed. Only rooms one belongs to (and not archived: read only)
 * and people are offered; the server checks the rest and its refusal
 * shows here.
 */
function ForwardDialog(
  props: { message: ChatMessage; onClose: () => void },
): JSX.Element {
  const services = useApp();
  const { state, connection } = services;
  const query = useSignal("");
  const chosen = useSignal<SwitchChoice | null>(null);
  const text = useSignal("");
  const form = useDialogForm(async () => {
    const to = chosen.value;
    if (!to) return t("fwd.pick");
    const refused = await connection.forwardMessage(
      props.message.id,
      to.kind === "room" ? { room: to.name } : { with: to.name },
      text.value,
    );
    return refused ? errorWords(refused)() : null;
  }, props.onClose);
  const { busy, error } = form;
  const places = useComputed(() =>
    switchPlaces(state).filter((p) =>
      p.kind === "dm" || (p.mine && !p.archived)
    )
  );
  const found = usePeopleFound(services, query.value);
  const choices = chosen.value ? [] : rankPlaces(
    withPeople(places.value, found.value, state.username.value),
    query.value,
    { limit: CHOICES },
  );

  function choose(choice: SwitchChoice): void {
    chosen.value = choice;
    query.value = labelOf(choice);
    error.value = null;
    document.getElementById("forward-text")?.focus();
  }

  const list = useChoiceList({
    name: "forward",
    choices,
    query: query.value,
    pick: choose,
  });

  return (
    <Dialog
      title={t("fwd.title")}
      testId="forward-dialog"
      onClose={props.onClose}
    >
      <form class="dialog-form" onSubmit={(e) => void form.submit(e)}>
        <ForwardedCard copy={copyOf(props.message)} />
        <label class="field-label" for="forward-to">{t("fwd.to")}</label>
        <input
          id="forward-to"
          type="text"
          class="field"
          data-testid="forward-to"
          data-autofocus
          {...list.box}
          placeholder={t("fwd.toPlaceholder")}
          value={query.value}
          disabled={busy.value}
          onInput={(e) => {
            query.value = e.currentTarget.value;
            chosen.value = null;
            list.restart();
            error.value = null;
          }}
        />
        <ChoiceList list={list} label={t("fwd.to")} />
        <label class="field-label" for="forward-text">
          {t("fwd.text")}
        </label>
        <textarea
          id="forward-text"
          class="field"
          data-testid="forward-text"
          rows={2}
          maxLength={MAX_MESSAGE_LENGTH * 2}
          value={text.value}
          disabled={busy.value}
          onInput={(e) => {
            text.value = e.currentTarget.value;
            error.value = null;
          }}
        />
        <DialogFooter
          form={form}
          submit={t("fwd.send")}
          cancel={t("fwd.cancel")}
          onCancel={props.onClose}
          testIds={{
            status: "forward-status",
            submit: "forward-send",
            cancel: "forward-cancel",
          }}
        />
      </form>
    </Dialog>
  );
}

/** How a chosen place reads in the box: "#ops", "@bob". */
function labelOf(choice: SwitchChoice): string {
  return choice.kind === "room"
    ? roomNamed(choice.name, choice.private)
    : `@${choice.name}`;
}

/**
 * The copy the dialog previews, as the server will make it for a room's
 * message (a conversation's shows no room); a forward without a text of
 * its own passes on its copy.
 */
function copyOf(message: ChatMessage): ForwardedMessage | DeletedForward {
  const carried = passedOn(message);
  if (carried !== undefined) return carried;
  const { id, seq, user, ts, text, badge } = message;
  return { id, seq, user, ts, text, ...(badge ? { badge } : {}) };
}

/**
 * A forward's copy of the original: who wrote it and where (a public
 * room's name, or a conversation's other side), its text, and a link to
 * it when the reader may open it: a public room's, or a conversation's
 * for its two people; "Original message deleted" once it is. `forwarder`
 * is the forward's author.
 */
export function ForwardedCard(
  props: { copy: ForwardedMessage | DeletedForward; forwarder?: string },
): JSX.Element {
  const { state } = useApp();
  const { copy, forwarder } = props;
  // Its original deleted: the server left only its id.
  if ("deleted" in copy) {
    return (
      <div class="forward-card" data-testid="forwarded">
        <div class="forward-meta" data-testid="forwarded-deleted">
          {t("fwd.deleted")}
        </div>
      </div>
    );
  }
  const me = state.username.value;
  const route = routeOf(copy, forwarder, me);
  const where = copy.room !== undefined
    ? t("fwd.fromRoom", { user: copy.user, room: `#${copy.room}` })
    : copy.with !== undefined
    ? t("fwd.fromConversation", { user: copy.user, with: copy.with })
    : t("fwd.from", { user: copy.user });
  return (
    <div class="forward-card" data-testid="forwarded">
      <div class="forward-meta">
        <span data-testid="forwarded-from">{where}</span>{" "}
        <SenderBadge badge={copy.badge} />{" "}
        <time dateTime={copy.ts}>{formatDateTime(copy.ts)}</time>
      </div>
      {copy.text !== "" && (
        <div class="msg-text forward-text" data-testid="forwarded-text">
          <RichText text={copy.text} me={me} />
        </div>
      )}
      {route && (
        <a
          class="link-button forward-link"
          data-testid="forwarded-link"
          href={messageLink(location.origin, route)}
        >
          {t("fwd.open")}
        </a>
      )}
    </div>
  );
}

/**
 * The original's message link for this reader, or null: a public room's
 * for anyone, a conversation's for its two people (the forwarder and
 * `with`) only, whom it opens for.
 */
function routeOf(
  copy: ForwardedMessage,
  forwarder: string | undefined,
  me: string | null,
): MessageRoute | null {
  if (copy.room !== undefined) return { room: copy.room, seq: copy.seq };
  if (copy.with === undefined || forwarder === undefined || me === null) {
    return null;
  }
  const mine = nameKey(me);
  if (mine !== nameKey(forwarder) && mine !== nameKey(copy.with)) return null;
  return { between: [forwarder, copy.with], seq: copy.seq };
}
