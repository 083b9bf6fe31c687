/**
 * The message box: Enter sends, Shift+Enter adds a line, Up edits the last
 * message, "/" starts a command, "@" offers the names to mention. Files
 * come from the paperclip, a paste or a drop, upload at once and wait
 * above the text until the message goes.
 */

import { useSignal } from "@preact/signals";
import type { JSX } from "preact";
import { useLayoutEffect, useRef } from "preact/hooks";
import type { Attachment } from "../../server/protocol/types.ts";
import { MAX_MESSAGE_LENGTH } from "../../server/protocol/limits.ts";
import { nameKey } from "../../server/protocol/names.ts";
import * as actions from "../actions.ts";
import { useApp } from "../app_context.ts";
import { parseInput, runInput } from "../commands.ts";
import { formatSize } from "../format.ts";
import { t } from "../i18n.ts";
import {
  completeMention,
  mentionAt,
  mentionCandidates,
  type MentionQuery,
  spelledOut,
} from "../mention_query.ts";
import { entry, type Upload, viewTitle } from "../state.ts";
import { discardUploads, shareFiles } from "../uploads.ts";
import { CloseIcon, FileIcon, PaperclipIcon, SendIcon } from "./Icons.tsx";
import {
  MENTION_LIST_ID,
  MentionList,
  mentionOptionId,
} from "./MentionList.tsx";
import { fit } from "../dom.ts";
import * as teamActions from "../team/actions.ts";
import { ReplyBar } from "../team/Replies.tsx";

/** The composer under the message list. */
export function Composer(): JSX.Element {
  const services = useApp();
  const { state, connection } = services;
  const key = state.viewKey.value;
  const target = viewTitle(state);
  // Each room and conversation keeps its own unsent text, in the state.
  const text = entry(state.drafts.value, key) ?? "";
  const ref = useRef<HTMLTextAreaElement>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const uploads = entry(state.uploads.value, key) ?? [];
  const account = state.account.value;
  // Where the caret is, for the mention list; the highlighted name in it;
  // and the "@" whose list Esc closed (it stays closed for that mention).
  const caret = useSignal(0);
  const picked = useSignal(0);
  const dismissed = useSignal<number | null>(null);

  useLayoutEffect(() => {
    if (ref.current) fit(ref.current);
    caret.value = ref.current?.selectionStart ?? 0;
    dismissed.value = null;
  }, [key]);
  useLayoutEffect(() => {
    // Phones open the keyboard on focus: only focus where there is a mouse.
    if (matchMedia("(hover: hover)").matches) ref.current?.focus();
  }, [key]);
  useLayoutEffect(() => {
    if (ref.current) fit(ref.current);
  }, [text]);

  // Read from the signals when asked, not when last rendered: an Enter that
  // comes before the re-render of the last keystroke sees the text as it is.
  const draft = () => entry(state.drafts.value, key) ?? "";
  const sendable = () => {
    const uploads = entry(state.uploads.value, key) ?? [];
    const ready: Attachment[] = uploads.flatMap((u) =>
      u.status === "done" && u.attachment ? [u.attachment] : []
    );
    const busy = uploads.some((u) => u.status === "uploading");
    const length = [...draft().trim()].length;
    const canSend = !busy && (length > 0 || ready.length > 0) &&
      length <= MAX_MESSAGE_LENGTH;
    return { ready, canSend, length };
  };
  /**
   * The mention typed at the caret and the names it may stand for: the
   * people in the room, or in a conversation the other person too. Read
   * from the box itself in a key handler (`at`), as `draft()` is.
   */
  function offered(at: number): {
    mention: MentionQuery | null;
    names: string[];
  } {
    const mention = mentionAt(draft(), at);
    if (!mention || dismissed.value === mention.start) {
      return { mention: null, names: [] };
    }
    const shown = state.view.value;
    const people = shown.kind === "dm"
      ? [shown.with, ...state.members.value]
      : state.members.value;
    const names = mentionCandidates(people, mention.query, {
      me: state.username.value,
    });
    return { mention: names.length > 0 ? mention : null, names };
  }
  const mentionList = offered(caret.value).names;
  const active = Math.min(picked.value, mentionList.length - 1);

  function pickMention(mention: MentionQuery, name: string): void {
    const done = completeMention(draft(), mention, name);
    actions.draftChanged(state, { key, text: done.text });
    const box = ref.current;
    if (box) {
      // Set now, not at the next render, so that the caret lands after it.
      box.value = done.text;
      box.setSelectionRange(done.caret, done.caret);
      box.focus();
    }
    caret.value = done.caret;
    picked.value = 0;
  }

  /** Arrows, Tab, Enter and Esc while names are offered; true if it took the key. */
  function mentionKey(event: KeyboardEvent): boolean {
    if (event.isComposing || event.altKey || event.ctrlKey || event.metaKey) {
      return false;
    }
    const box = ref.current;
    const { mention, names } = offered(box?.selectionStart ?? caret.value);
    if (!mention) return false;
    const n = names.length;
    const at = Math.min(picked.value, n - 1);
    if (event.key === "ArrowDown") picked.value = (at + 1) % n;
    else if (event.key === "ArrowUp") picked.value = (at - 1 + n) % n;
    else if (
      // "thanks @bob" and Enter sends, as it did before the list: the name
      // is whole. Tab still adds the space after it.
      event.key === "Tab" ||
      (event.key === "Enter" && !spelledOut(mention, names[at]))
    ) {
      if (event.shiftKey) return false;
      pickMention(mention, names[at]);
    } else if (event.key === "Escape") {
      // Only the list closes: the reply being written stays.
      dismissed.value = mention.start;
    } else return false;
    event.preventDefault();
    return true;
  }

  // The counter's `length` is this one: without it, the name fell through to
  // the page's global `length` (0, its frames), and the counter never showed.
  const { canSend, length } = sendable();

  function submit(): void {
    const { ready, canSend } = sendable();
    if (!canSend) return;
    const input = draft();
    const command = parseInput(input).kind === "command";
    actions.draftChanged(state, { key, text: "" });
    void runInput(services, input, command ? [] : ready);
    if (!command) discardUploads(state, { key });
    ref.current?.focus();
  }

  function editLast(): boolean {
    const username = state.username.value;
    const me = username === null ? undefined : nameKey(username);
    const log = state.currentLog.value;
    // The newest message is still on its way: it is the one to edit, later.
    if (log && log.pending.length > 0) return false;
    const messages = log?.messages ?? [];
    for (let i = messages.length - 1; i >= 0; i--) {
      const m = messages[i];
      if (nameKey(m.user) === me && !m.deleted) {
        actions.editingChanged(state, m.id);
        return true;
      }
    }
    return false;
  }

  function onKeyDown(event: KeyboardEvent): void {
    if (mentionKey(event)) return;
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submit();
    } else if (event.key === "Escape" && entry(state.team.replyTo.value, key)) {
      event.preventDefault();
      teamActions.replyChosen(state, key, null);
    } else if (
      event.key === "ArrowUp" && draft() === "" && uploads.length === 0 &&
      !event.shiftKey && !event.altKey && !event.metaKey && !event.ctrlKey
    ) {
      if (editLast()) event.preventDefault();
    }
  }

  function onInput(value: string, at: number): void {
    actions.draftChanged(state, { key, text: value });
    caret.value = at;
    picked.value = 0;
    if (dismissed.value !== null && value[dismissed.value] !== "@") {
      dismissed.value = null;
    }
    const trimmed = value.trim();
    if (trimmed !== "" && !trimmed.startsWith("/")) connection.typing();
  }

  function addFiles(files: File[]): void {
    if (files.length === 0) return;
    if (!account) {
      actions.noticeAdded(state, {
        room: key,
        kind: "error",
        text: () => t("upload.signIn"),
      });
      return;
    }
    shareFiles(state, { key, files });
  }

  function onPaste(event: ClipboardEvent): void {
    const files = [...(event.clipboardData?.files ?? [])];
    if (files.length === 0) return;
    event.preventDefault();
    addFiles(files);
  }

  return (
    <form
      class="composer"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      <ReplyBar />
      {uploads.length > 0 && <UploadTray uploadKey={key} uploads={uploads} />}
      <div class="composer-box">
        {mentionList.length > 0 && (
          <MentionList
            names={mentionList}
            active={active}
            onPick={(name) => {
              const { mention } = offered(caret.value);
              if (mention) pickMention(mention, name);
            }}
          />
        )}
        <button
          type="button"
          class={`attach-button${account ? "" : " unavailable"}`}
          data-testid="attach"
          aria-label={account
            ? t("composer.attach")
            : t("composer.signInToShare")}
          aria-disabled={account ? undefined : "true"}
          title={account ? t("composer.attach") : t("composer.signInToShare")}
          onClick={() => {
            if (account) fileInput.current?.click();
          }}
        >
          <PaperclipIcon />
        </button>
        <input
          ref={fileInput}
          type="file"
          multiple
          hidden
          data-testid="file-input"
          aria-hidden="true"
          tabIndex={-1}
          onChange={(e) => {
            const input = e.currentTarget;
            addFiles([...(input.files ?? [])]);
            input.value = "";
          }}
        />
        <textarea
          ref={ref}
          class="composer-input"
          data-testid="composer"
          aria-label={t("composer.message", { target })}
          placeholder={t("composer.message", { target })}
          rows={1}
          enterkeyhint="send"
          value={text}
          aria-autocomplete="list"
          aria-controls={mentionList.length > 0 ? MENTION_LIST_ID : undefined}
          aria-activedescendant={mentionList.length > 0
            ? mentionOptionId(active)
            : undefined}
          onInput={(e) =>
            onInput(
              e.currentTarget.value,
              e.currentTarget.selectionStart ?? e.currentTarget.value.length,
            )}
          onKeyDown={onKeyDown}
          // The caret moves without input too: arrows, a click, a tap.
          onKeyUp={(e) => caret.value = e.currentTarget.selectionStart ?? 0}
          onClick={(e) => caret.value = e.currentTarget.selectionStart ?? 0}
          onPaste={onPaste}
        />
        {length > MAX_MESSAGE_LENGTH - 500 && (
          <span
            data-testid="composer-count"
            class={`composer-count${
              length > MAX_MESSAGE_LENGTH ? " over" : ""
            }`}
            aria-live="polite"
          >
            {MAX_MESSAGE_LENGTH - length}
          </span>
        )}
        <button
          type="submit"
          class="send-button"
          data-testid="send"
          aria-label={t("composer.send")}
          title={t("composer.send")}
          disabled={!canSend}
        >
          <SendIcon />
        </button>
      </div>
      <p class="composer-hint">
        <kbd>Enter</kbd> {t("composer.hintSend")} · <kbd>Shift</kbd>+<kbd>
          Enter
        </kbd>{" "}
        {t("composer.hintLine")} · <kbd>↑</kbd> {t("composer.hintEdit")} ·{" "}
        <kbd>@</kbd> {t("composer.hintMention")} · <kbd>/help</kbd>{" "}
        {t("composer.hintHelp")}
      </p>
    </form>
  );
}

/** The files waiting to go with the message: a thumbnail or icon, the name, progress, remove. */
function UploadTray(
  props: { uploadKey: string; uploads: Upload[] },
): JSX.Element {
  const { state } = useApp();
  return (
    <ul class="upload-tray" aria-label={t("composer.files")}>
      {props.uploads.map((upload) => {
        let label = t("composer.uploaded", { name: upload.name });
        if (upload.status === "uploading") {
          label = t("composer.uploading", { name: upload.name });
        } else if (upload.status === "failed") {
          label = t("composer.failed", {
            name: upload.name,
            error: upload.error ?? "",
          });
        }
        return (
          <li
            key={upload.id}
            class={`upload ${upload.status}`}
            data-testid="upload"
            data-status={upload.status}
            title={label}
          >
            <span class="upload-thumb" aria-hidden="true">
              {upload.preview
                ? <img src={upload.preview} alt="" />
                : <FileIcon />}
              {upload.status === "uploading" && <span class="spinner" />}
            </span>
            <span class="upload-text">
              <span class="upload-name">{upload.name}</span>
              <span class="upload-meta" role="status">
                {upload.status === "failed"
                  ? upload.error
                  : upload.status === "uploading"
                  ? t("composer.uploadingShort")
                  : formatSize(upload.size)}
              </span>
            </span>
            <button
              type="button"
              class="upload-remove"
              aria-label={t("composer.remove", { name: upload.name })}
              title={t("composer.remove", { name: upload.name })}
              onClick={() =>
                discardUploads(state, {
                  key: props.uploadKey,
                  ids: [upload.id],
                })}
            >
              <CloseIcon />
            </button>
          </li>
        );
      })}
    </ul>
  );
}
