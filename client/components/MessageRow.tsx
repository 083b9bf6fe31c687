/**
 * One chat message: avatar, name, time, rich text and files; greyed while
 * pending, marked when failed, "(edited)" or "message deleted" after a
 * change. Hover (or tap, on touch screens) shows edit and delete.
 */

import { useComputed, useSignal } from "@preact/signals";
import type { JSX } from "preact";
import { useLayoutEffect, useRef } from "preact/hooks";
import type { ChatMessage } from "../../server/protocol/types.ts";
import { MAX_MESSAGE_LENGTH } from "../../server/protocol/limits.ts";
import * as actions from "../actions.ts";
import { useApp } from "../app_context.ts";
import { fit } from "../dom.ts";
import { colourClass, formatDateTime, formatTime } from "../format.ts";
import { t } from "../i18n.ts";
import { mentionsReader } from "../room_mention.ts";
import { isAuthor, mayDeleteOthers } from "../ranks.ts";
import { canModerate } from "../commands.ts";
import { type AppState, composerBar, entry } from "../state.ts";
import { ANONYMOUS_NAME, nameKey } from "../../server/protocol/names.ts";
import { othersAfter, type PendingMessage } from "../room_log.ts";
import { Attachments } from "./Attachments.tsx";
import { LinkPreviews } from "./LinkPreviews.tsx";
import { PollCard } from "./PollCard.tsx";
import { Avatar } from "./Avatar.tsx";
import { MarkUnreadIcon, PencilIcon, TrashIcon } from "./Icons.tsx";
import { RichText } from "./RichText.tsx";
import { EditHistory } from "./EditHistory.tsx";
import { CopyLinkButton } from "../team/CopyLinkButton.tsx";
import { SenderBadge } from "./SenderBadge.tsx";
import { ReactButton, ReactionBar } from "../team/Reactions.tsx";
import { QuoteLine, ReplyButton } from "../team/Replies.tsx";
import { ForwardButton, ForwardedCard } from "../team/Forward.tsx";
import { canPin, PinButton, PinnedMark } from "../team/TeamLayer.tsx";
import { RemindButton } from "../team/Remind.tsx";
import { SaveButton } from "../team/Saved.tsx";
import { ThreadLink } from "../team/Thread.tsx";

/** Props of {@linkcode MessageRow}: a confirmed message, or a pending one. */
export interface MessageRowProps {
  /** The server's copy, once confirmed. */
  message?: ChatMessage;
  /** This user's unconfirmed message. */
  pending?: PendingMessage;
  /** Whether this user wrote it. */
  own: boolean;
  /** Whether it continues the previous message's group (no header). */
  grouped: boolean;
  /** Sends a failed message again. */
  onRetry?: () => void;
}

/** An ignored account's message, hidden: who, and a button that shows it. */
function IgnoredRow({ message }: { message: ChatMessage }): JSX.Element {
  const { state } = useApp();
  return (
    <div
      class="msg ignored"
      data-testid="message"
      data-user={message.user}
      data-seq={message.seq}
      data-key={`m${message.seq}`}
      data-ignored="true"
      tabIndex={-1}
    >
      <div class="msg-gutter" />
      <div class="msg-body">
        <span class="msg-text msg-ignored">
          {t("msg.ignoredHidden", { user: message.user })}
        </span>{" "}
        <button
          type="button"
          class="link-button"
          data-testid="show-ignored"
          onClick={() => actions.ignoredMessageShown(state, message.id)}
        >
          {t("msg.showIgnored")}
        </button>
      </div>
    </div>
  );
}

/** A message row. */
export function MessageRow(props: MessageRowProps): JSX.Element {
  const { state, connection } = useApp();
  const { message, pending, own, grouped } = props;
  const confirming = useSignal(false);
  const showHistory = useSignal(false);
  // The keyboard brought the focus into the row (Tab from the row to its
  // thread link, on to its actions): a touch screen shows the actions
  // then too (styles.css, .keyed). Kept until the focus leaves the row: a
  // rule on :focus-visible hid the bar while the focus left the link for
  // the bar's first button, which went with it (the focus fell to the
  // page).
  const keyed = useSignal(false);
  const source = message ?? pending!;
  const { user, text, ts } = source;
  const rowKey = message ? message.id : `p${pending!.clientId}`;
  // Through a computed: a tap re-renders the rows it changes, not them all.
  const selected = useComputed(() => state.tapped.value === rowKey).value;
  // One's own messages are never unread: from one of them, "Mark unread"
  // does something only if someone else wrote after it.
  const othersLater = useComputed(() => {
    const me = state.username.value;
    return !own || message === undefined ||
      othersAfter(
        state.currentLog.value,
        message.seq,
        (name) => me !== null && nameKey(name) === nameKey(me),
      );
  }).value;
  // An ignored account's room message: one line and a button, until shown.
  if (
    message !== undefined && !own && state.view.value.kind === "room" &&
    entry(state.ignored.value, nameKey(user)) !== undefined &&
    entry(state.shownIgnored.value, message.id) === undefined
  ) {
    return <IgnoredRow message={message} />;
  }
  const deleted = message?.deleted === true;
  const me = state.username.value;
  const failed = pending?.status === "failed";
  const editing = message !== undefined &&
    state.editing.value === message.id;
  // Not a former holder's of the name, which the row shows as one's own.
  const author = own && message !== undefined && isAuthor(state, message);
  // A poll is not edited (docs/protocol.md, "Polls").
  const canEdit = author && message !== undefined && !deleted &&
    message.poll === undefined;
  // Others' room messages: a moderator's or admin's, when the author
  // ranks no higher (the server refuses the rest).
  const canDelete = message !== undefined && !deleted &&
    (author ||
      (state.view.value.kind === "room" && mayDeleteOthers(state, message)));
  // remove_link_previews' rule (server/handlers/link_previews.ts): the
  // author's own, or any room message for a moderator or admin, whatever
  // the author's rank. A conversation's messages carry its log's key as
  // their room: the view tells them apart, as for Delete.
  const canRemovePreviews = canEdit ||
    (message !== undefined && !deleted && state.view.value.kind === "room" &&
      canModerate(state.role.value));
  const mentioned = !own && !deleted &&
    mentionsReader(message ?? { text }, me, state.myGroups.value);
  const quote = deleted ? undefined : message?.reply_to ?? pending?.replyTo;
  const pinned = message?.pinned === true && !deleted;
  const flash = state.team.flash.value;
  const flashed = message !== undefined && flash !== null &&
    flash.seq === message.seq && flash.key === state.viewKey.value;
  const live = message !== undefined && !deleted;
  // Reply fills the composer: none where a bar stands in its place (an
  // archived room, an announcement room this account does not manage),
  // where it chose a reply nobody saw.
  const mayReply = state.view.value.kind !== "room" ||
    composerBar(state, state.currentRoom.value) === null;

  const classes = ["msg"];
  if (own) classes.push("own");
  if (grouped) classes.push("grouped");
  if (pending) classes.push(failed ? "failed" : "pending");
  if (mentioned) classes.push("mentioned");
  if (selected) classes.push("selected");
  if (editing) classes.push("editing");
  if (pinned) classes.push("pinned");
  if (flashed) classes.push("flash");
  if (keyed.value) classes.push("keyed");

  // "Mark unread" from the mouse or the keyboard, as in Slack: Alt+click
  // on the message, or U on the message focused (Up and Down walk them).
  const marksUnread = live && othersLater && keepsReadState(state);
  async function markUnread(): Promise<void> {
    actions.errorShown(state, await connection.markUnread(message!.seq));
  }

  function onClick(event: MouseEvent): void {
    const target = event.target as HTMLElement;
    if (target.closest("a, button, textarea, img, input")) return;
    // A dialog the row opened (its edit history, Forward…) sits inside it:
    // a tap or an Alt+click there is the dialog's, not the message's.
    if (target.closest(".dialog-scrim")) return;
    if (event.altKey && marksUnread) {
      event.preventDefault();
      void markUnread();
      return;
    }
    // Touch screens have no hover: a tap on the row shows its actions,
    // and hides those of the row tapped before, as a hover moving on does.
    if (!matchMedia("(hover: none)").matches) return;
    actions.rowTapped(state, selected ? null : rowKey);
  }

  function onKeyDown(event: KeyboardEvent): void {
    if (event.target !== event.currentTarget || !marksUnread) return;
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.key !== "u" && event.key !== "U") return;
    event.preventDefault();
    void markUnread();
  }

  return (
    <div
      class={classes.join(" ")}
      data-testid="message"
      data-user={user}
      data-seq={message?.seq}
      data-key={message ? `m${message.seq}` : `p${pending!.clientId}`}
      data-pending={pending && !failed ? "true" : undefined}
      data-failed={failed ? "true" : undefined}
      data-deleted={deleted ? "true" : undefined}
      data-edited={message?.edited_at ? "true" : undefined}
      tabIndex={-1}
      onClick={onClick}
      onKeyDown={onKeyDown}
      onFocusIn={(e) => {
        // A tap focuses a chip or link with no :focus-visible: no bar.
        if ((e.target as Element).matches(":focus-visible")) {
          keyed.value = true;
        }
      }}
      onFocusOut={(e) => {
        const row = e.currentTarget as HTMLElement;
        if (!row.contains(e.relatedTarget as Node | null)) keyed.value = false;
      }}
    >
      <div class="msg-gutter">
        {grouped
          ? (
            <time
              class="msg-time-hover"
              dateTime={ts}
              title={formatDateTime(ts)}
            >
              {formatTime(ts)}
            </time>
          )
          : <Avatar name={user} />}
      </div>
      <div class="msg-body">
        {!grouped && (
          <div class="msg-meta">
            {state.account.value && message?.badge !== "hook" &&
                user !== ANONYMOUS_NAME
              ? (
                // An account opens the author's card (a guest may not
                // read cards: get_profile refuses it). A webhook's name is
                // whatever it posts as: no account's, whose card it was.
                // An anonymised author's is no account's either: its card
                // could only say user_not_found.
                <button
                  type="button"
                  class={`msg-user ${colourClass(user)}`}
                  data-testid="msg-user"
                  title={t("profile.of", { name: user })}
                  onClick={() => actions.profileCardChanged(state, user)}
                >
                  {user}
                </button>
              )
              : <span class={`msg-user ${colourClass(user)}`}>{user}</span>}
            <SenderBadge badge={message?.badge} />
            {own && <span class="msg-you">{t("msg.you")}</span>}
            <time class="msg-time" dateTime={ts} title={formatDateTime(ts)}>
              {formatTime(ts)}
            </time>
            {pinned && <PinnedMark />}
          </div>
        )}
        {grouped && pinned && <PinnedMark />}
        {quote && <QuoteLine quote={quote} pending={!message} />}
        {deleted
          ? (
            <div class="msg-text msg-deleted" data-testid="message-deleted">
              {t("msg.deleted")}
            </div>
          )
          : editing
          ? <EditBox message={message!} />
          : (
            <>
              {message?.poll && message.room !== undefined && (
                <PollCard message={message} poll={message.poll} />
              )}
              {text !== "" && !message?.poll && (
                <div class="msg-text" data-testid="message-text">
                  <RichText
                    text={text}
                    me={me}
                    roomMention={message?.room_mention === true}
                    hereMention={message?.here_mention === true}
                    groups={message?.room !== undefined
                      ? state.myGroups.value
                      : undefined}
                    suffix={message?.edited_at
                      ? (
                        <button
                          type="button"
                          class="msg-edited"
                          data-testid="message-edited"
                          title={t("msg.editedAt", {
                            date: formatDateTime(message.edited_at),
                          })}
                          aria-label={t("msg.historyShow", {
                            date: formatDateTime(message.edited_at),
                          })}
                          aria-haspopup="dialog"
                          onClick={(e) => {
                            e.stopPropagation();
                            showHistory.value = true;
                          }}
                        >
                          {t("msg.edited")}
                        </button>
                      )
                      : null}
                  />
                </div>
              )}
              {message?.forwarded && (
                <ForwardedCard
                  copy={message.forwarded}
                  forwarder={message.user}
                />
              )}
              {source.attachments && source.attachments.length > 0 && (
                <Attachments files={source.attachments} />
              )}
              {message?.previews && message.previews.length > 0 && (
                <LinkPreviews
                  id={message.id}
                  previews={message.previews}
                  removable={canRemovePreviews}
                />
              )}
              {message && <ReactionBar message={message} />}
              {message && showHistory.value && (
                <EditHistory
                  id={message.id}
                  onClose={() => showHistory.value = false}
                />
              )}
              {message && (
                <ThreadLink message={message} logKey={state.viewKey.value} />
              )}
            </>
          )}
        {pending && failed && (
          <FailedNote pending={pending} onRetry={props.onRetry} />
        )}
      </div>
      {live && !editing && (
        <div
          class={`msg-actions${confirming.value ? " open" : ""}`}
          role="group"
          aria-label={t("msg.actions")}
        >
          {confirming.value
            ? (
              <ConfirmDelete
                id={message!.id}
                onDone={() => confirming.value = false}
              />
            )
            : (
              <>
                <ReactButton message={message!} />
                {mayReply && <ReplyButton message={message!} />}
                {canPin(state) && <PinButton message={message!} />}
                {canEdit && (
                  <button
                    type="button"
                    class="msg-action"
                    data-testid="message-edit"
                    aria-label={t("msg.editLabel")}
                    title={t("msg.edit")}
                    onClick={() => actions.editingChanged(state, message!.id)}
                  >
                    <PencilIcon />
                  </button>
                )}
                {/* After edit: the keyboard order of the others stays. */}
                {marksUnread && <MarkUnreadButton seq={message!.seq} />}
                {state.account.value && <SaveButton message={message!} />}
                {state.account.value && <RemindButton id={message!.id} />}
                {/* Shares it, beside its link, as Slack's "Share message". */}
                <ForwardButton message={message!} />
                <CopyLinkButton message={message!} />
                {canDelete && (
                  <button
                    type="button"
                    class="msg-action danger"
                    data-testid="message-delete"
                    aria-label={t("msg.deleteLabel")}
                    title={t("msg.delete")}
                    onClick={() => confirming.value = true}
                  >
                    <TrashIcon />
                  </button>
                )}
              </>
            )}
        </div>
      )}
    </div>
  );
}

/**
 * Whether the log on screen has a read state on the server: a room the
 * account belongs to, or one of its conversations (guests keep none).
 */
function keepsReadState(state: AppState): boolean {
  if (!state.account.value) return false;
  return state.view.value.kind === "dm" ||
    entry(state.memberships.value, state.viewKey.value) !== undefined;
}

/** "Mark unread": this message and the later ones are unread again, on every device. */
function MarkUnreadButton(props: { seq: number }): JSX.Element {
  const { state, connection } = useApp();
  return (
    <button
      type="button"
      class="msg-action"
      data-testid="message-mark-unread"
      aria-label={t("msg.markUnreadLabel")}
      title={t("msg.markUnread")}
      onClick={async () => {
        actions.errorShown(state, await connection.markUnread(props.seq));
      }}
    >
      <MarkUnreadIcon />
    </button>
  );
}

/** "Delete this message?" with Cancel and Delete, in place of the hover actions. */
function ConfirmDelete(
  props: { id: string; onDone: () => void },
): JSX.Element {
  const { state, connection } = useApp();
  const busy = useSignal(false);
  const cancelRef = useRef<HTMLButtonElement>(null);
  const box = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => cancelRef.current?.focus(), []);
  // The bar's buttons go with it: a focus that was in it goes back to the
  // message's row, where Up and Down walk on, not to the page's body.
  // Asked before the request: the Delete button, disabled while it runs,
  // has dropped the focus by its answer.
  function leaving(): () => void {
    const row = box.current?.closest<HTMLElement>('[data-testid="message"]');
    const had = box.current?.contains(document.activeElement) ?? false;
    return () => {
      props.onDone();
      if (had) row?.focus();
    };
  }
  async function remove(): Promise<void> {
    const done = leaving();
    busy.value = true;
    const error = await connection.deleteMessage(props.id);
    busy.value = false;
    done();
    actions.errorShown(state, error);
  }
  return (
    <div
      ref={box}
      class="msg-confirm"
      role="alertdialog"
      aria-label={t("msg.deleteConfirm")}
      onKeyDown={(e) => {
        if (e.key === "Escape") {
          e.stopPropagation();
          leaving()();
        }
      }}
    >
      <span>{t("msg.deleteConfirm")}</span>
      <button
        ref={cancelRef}
        type="button"
        class="button ghost"
        onClick={() => leaving()()}
      >
        {t("msg.cancel")}
      </button>
      <button
        type="button"
        class="button danger"
        data-testid="message-delete-confirm"
        disabled={busy.value}
        onClick={() => void remove()}
      >
        {t("msg.delete")}
      </button>
    </div>
  );
}

/** The message's text in a box: Enter saves, Shift+Enter adds a line, Esc cancels. */
function EditBox({ message }: { message: ChatMessage }): JSX.Element {
  const { state, connection } = useApp();
  const text = useSignal(message.text);
  const busy = useSignal(false);
  const confirming = useSignal(false);
  const error = useSignal<string | null>(null);
  const ref = useRef<HTMLTextAreaElement>(null);
  const formRef = useRef<HTMLFormElement>(null);
  const deleteRef = useRef<HTMLButtonElement>(null);
  useLayoutEffect(() => {
    if (confirming.value) deleteRef.current?.focus();
  }, [confirming.value]);
  useLayoutEffect(() => {
    const form = formRef.current;
    // Saved, given up or deleted, the box goes with the focus in it (or,
    // while saving, on the page: a disabled box loses it): the keys typed
    // next went nowhere. The composer takes them, where the next message
    // is written, as in Slack; where there is a mouse only, as the
    // composer's own focus, for a phone would open its keyboard again.
    return () => {
      const at = document.activeElement;
      const lost = at === null || at === document.body ||
        (form !== null && form.contains(at));
      if (lost && matchMedia("(hover: hover)").matches) {
        document.querySelector<HTMLElement>('[data-testid="composer"]')
          ?.focus();
      }
    };
  }, []);
  // Before the first paint, not after it: a deferred effect could move the
  // caret while the user (or a quick script) already selected the text.
  useLayoutEffect(() => {
    const box = ref.current;
    if (!box) return;
    box.focus();
    box.setSelectionRange(box.value.length, box.value.length);
    fit(box);
  }, []);
  const hasFiles = (message.attachments?.length ?? 0) > 0;
  // Read from the signal when asked, not when last rendered: an Enter that
  // comes before the re-render of the last keystroke sees the text as it is.
  const current = () => {
    const trimmed = text.value.trim();
    // Emptied, a message without files is offered for deletion (as in
    // Slack): the keyboard's way to delete.
    const emptied = trimmed === "" && !hasFiles;
    const valid = !emptied && [...trimmed].length <= MAX_MESSAGE_LENGTH;
    return { trimmed, emptied, valid };
  };
  const { emptied, valid } = current();

  function cancel(): void {
    actions.editingChanged(state, null);
  }
  async function save(): Promise<void> {
    if (busy.value) return;
    const { trimmed, emptied, valid } = current();
    if (emptied) {
      // Enter again, with the question on screen, deletes.
      if (confirming.value) void remove();
      else confirming.value = true;
      return;
    }
    if (!valid) return;
    if (trimmed === message.text) {
      cancel();
      return;
    }
    busy.value = true;
    const failure = await connection.editMessage(message.id, trimmed);
    busy.value = false;
    if (failure) error.value = failure.message;
    else cancel();
  }
  return (
    <form
      ref={formRef}
      class="edit-box"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
      onKeyDown={(e) => {
        if (e.key === "Escape") {
          e.stopPropagation();
          cancel();
        }
      }}
    >
      <textarea
        ref={ref}
        class="edit-input"
        data-testid="edit-input"
        aria-label={t("msg.editBox")}
        value={text.value}
        disabled={busy.value}
        onInput={(e) => {
          text.value = e.currentTarget.value;
          error.value = null;
          fit(e.currentTarget);
        }}
        onKeyDown={(e) => {
          if (e.key === "Escape") {
            e.preventDefault();
            e.stopPropagation();
            cancel();
          } else if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
            e.preventDefault();
            void save();
          }
        }}
      />
      {error.value && <p class="field-error" role="alert">{error.value}</p>}
      {confirming.value
        ? (
          <div
            class="edit-actions"
            role="alertdialog"
            aria-label={t("msg.deleteConfirm")}
          >
            <span class="edit-hint strong">{t("msg.deleteConfirm")}</span>
            <button
              type="button"
              class="button ghost"
              onClick={() => {
                confirming.value = false;
                ref.current?.focus();
              }}
            >
              {t("msg.cancel")}
            </button>
            <button
              type="button"
              class="button danger"
              data-testid="edit-delete-confirm"
              ref={deleteRef}
              disabled={busy.value}
              onClick={() => void remove()}
            >
              {t("msg.delete")}
            </button>
          </div>
        )
        : (
          <div class="edit-actions">
            <span class="edit-hint">{t("msg.editHint")}</span>
            <button type="button" class="button ghost" onClick={cancel}>
              {t("msg.cancel")}
            </button>
            <button
              type="submit"
              class="button primary small"
              data-testid="edit-save"
              disabled={(!valid && !emptied) || busy.value}
            >
              {t("msg.save")}
            </button>
          </div>
        )}
    </form>
  );

  async function remove(): Promise<void> {
    busy.value = true;
    const failure = await connection.deleteMessage(message.id);
    busy.value = false;
    if (failure) {
      confirming.value = false;
      error.value = failure.message;
    } else {
      cancel();
    }
  }
}

function FailedNote(
  props: { pending: PendingMessage; onRetry?: () => void },
): JSX.Element {
  const { state } = useApp();
  const { pending } = props;
  return (
    <div class="msg-failed" role="alert" data-testid="message-error">
      <span>
        {t("msg.notSent", {
          error: pending.error?.() ?? t("msg.unknownError"),
        })}
      </span>
      {props.onRetry && (
        <button
          type="button"
          class="link-button"
          aria-label={t("msg.retryLabel")}
          onClick={props.onRetry}
        >
          {t("msg.retry")}
        </button>
      )}
      <button
        type="button"
        class="link-button"
        aria-label={t("msg.dismissLabel")}
        onClick={() => actions.pendingRemoved(state, pending)}
      >
        {t("msg.dismiss")}
      </button>
    </div>
  );
}
