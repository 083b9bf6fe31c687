/**
 * The message box: Enter sends, Shift+Enter adds a line, Up edits the last
 * message, "/" starts a command, "@" offers the names to mention, "#" the
 * rooms, ":" and two letters the emoji by shortcode. Files
 * come from the paperclip, a paste or a drop, upload at once and wait
 * above the text until the message goes.
 */

import { useSignal } from "@preact/signals";
import type { JSX } from "preact";
import { useEffect, useLayoutEffect, useRef } from "preact/hooks";
import type { Attachment } from "../../server/protocol/types.ts";
import {
  LIST_MEMBERS_LIMIT,
  MAX_MESSAGE_LENGTH,
} from "../../server/protocol/limits.ts";
import { nameKey } from "../../server/protocol/names.ts";
import * as actions from "../actions.ts";
import { useApp } from "../app_context.ts";
import { parseInput, runInput } from "../commands.ts";
import { formatDateTime, formatSize } from "../format.ts";
import { lang, t } from "../i18n.ts";
import {
  completeWith,
  type Completion,
  completionAt,
  SIGNS,
} from "../completion.ts";
import {
  customEmojiCandidates,
  EMOJI_LIMIT,
  emojiCandidates,
  loadEmojiNames,
} from "../emoji_names.ts";
import { toned } from "../emoji_tones.ts";
import { mentionCandidates, mentionChoices } from "../mention_query.ts";
import {
  HERE_MENTION_WORD,
  offersHereMention,
  offersRoomMention,
  ROOM_MENTION_WORD,
} from "../room_completion.ts";
import {
  type AppState,
  entry,
  memberMatchKey,
  type Upload,
  viewTitle,
} from "../state.ts";
import { discardUploads, shareFiles } from "../uploads.ts";
import {
  CloseIcon,
  FileIcon,
  PaperclipIcon,
  PollIcon,
  SendIcon,
} from "./Icons.tsx";
import { PollDialog } from "./PollDialog.tsx";
import {
  COMPLETION_LIST_ID,
  CompletionList,
  type CompletionOption,
  completionOptionId,
} from "./CompletionList.tsx";
import { fit } from "../dom.ts";
import { isAuthor } from "../ranks.ts";
import * as teamActions from "../team/actions.ts";
import { ReplyBar } from "../team/Replies.tsx";
import { ScheduledMark, SendLaterButton } from "../team/Scheduled.tsx";

/**
 * Whether the choice is what was typed already, a name in full: Enter then
 * sends rather than picks. Never for an emoji, whose shortcode is not it.
 */
function spelledOut(completion: Completion, option: CompletionOption): boolean {
  return option.emoji === undefined &&
    nameKey(completion.query) === nameKey(option.name);
}

/**
 * The room's members (online or not) whose names start with `query`, as
 * far as `list_members` told: its answer for the query, or for a shorter
 * start of it (the list filters them); `complete` when that answer holds
 * every one (it was for the query, or it was not cut at the limit).
 */
function knownMembers(
  state: AppState,
  room: string,
  query: string,
): { names: string[]; complete: boolean } | null {
  const wanted = [...nameKey(query)];
  for (let n = wanted.length; n >= 0; n--) {
    const prefix = wanted.slice(0, n).join("");
    const names = entry(
      state.memberMatches.value,
      memberMatchKey(room, prefix),
    );
    if (names !== undefined) {
      return {
        names,
        complete: n === wanted.length || names.length < LIST_MEMBERS_LIMIT,
      };
    }
  }
  return null;
}

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
  // Where the caret is, for the completion list; the highlighted choice in
  // it; and the "@", "#" or ":" whose list Esc closed (it stays closed).
  const caret = useSignal(0);
  const picked = useSignal(0);
  // The poll form's room while it is open (accounts, in a room).
  const pollRoom = useSignal<string | null>(null);
  const dismissed = useSignal<number | null>(null);

  useLayoutEffect(() => {
    if (ref.current) fit(ref.current);
    caret.value = ref.current?.selectionStart ?? 0;
    dismissed.value = null;
  }, [key]);
  useLayoutEffect(() => {
    // Phones open the keyboard on focus: only focus where there is a mouse.
    if (matchMedia("(hover: hover)").matches) ref.current?.focus();
    // The box stays focused across views: it now writes in this one.
    if (document.activeElement === ref.current) {
      actions.composingChanged(state, key);
    }
    // Leaving the view: its draft goes to the other devices now.
    return () => connection.draftLeft();
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
   * The completion typed at the caret and what it may stand for: the
   * people in the room (in a conversation the other person too), the
   * rooms, or emoji. Read from the box itself in a key handler (`at`), as
   * `draft()` is.
   */
  function offered(at: number): {
    completion: Completion | null;
    options: CompletionOption[];
  } {
    const completion = completionAt(draft(), at);
    if (!completion || dismissed.value === completion.start) {
      return { completion: null, options: [] };
    }
    const options = choices(completion);
    return { completion: options.length > 0 ? completion : null, options };
  }
  function choices(completion: Completion): CompletionOption[] {
    if (completion.kind === "emoji") {
      // Until the names for this language arrive, those of the last one.
      const loaded = state.emojiNames.value;
      if (!loaded) return [];
      // In the person's skin tone (👍🏽 for `:thumbsup:`) once its toned
      // forms are here.
      const tone = state.skinTone.value;
      const tones = state.emojiTones.value;
      // The server's custom emoji first (a name of theirs is no built-in
      // one's), then the built-in set.
      const custom = customEmojiCandidates(
        Object.keys(state.customEmoji.value),
        completion.query,
      ).map((name): CompletionOption => ({
        name,
        emoji: `:${name}:`,
        custom: true,
      }));
      return [
        ...custom,
        ...emojiCandidates(loaded.names, completion.query).map((choice) => ({
          ...choice,
          emoji: toned(tones, choice.emoji, tone),
        })),
      ].slice(0, Math.max(custom.length, EMOJI_LIMIT));
    }
    if (completion.kind === "room") {
      const rooms = state.rooms.value.map((room) => room.name);
      return mentionCandidates(rooms, completion.query).map((name) => ({
        name,
      }));
    }
    const shown = state.view.value;
    const me = state.username.value;
    if (shown.kind === "dm") {
      return mentionCandidates(
        [shown.with, ...state.members.value],
        completion.query,
        { me },
      ).map((name) => ({ name }));
    }
    // The people online first, then the room's other members.
    const offline = knownMembers(
      state,
      state.currentRoom.value,
      completion.query,
    );
    const people: CompletionOption[] = mentionChoices(
      state.members.value,
      offline?.names ?? [],
      completion.query,
      { me },
    ).map(({ name, online }) => ({ name, offline: !online }));
    // The words that ping many first (`@room`, then `@here`), as Slack
    // offers `@channel` and `@here`.
    const wide: CompletionOption[] = [];
    if (offersRoomMention(completion.query)) {
      wide.push({
        name: ROOM_MENTION_WORD,
        about: t("completion.roomMention"),
      });
    }
    if (offersHereMention(completion.query)) {
      wide.push({
        name: HERE_MENTION_WORD,
        about: t("completion.hereMention"),
      });
    }
    // The groups after the people (Slack's order), each with what it is.
    const groups = state.groups.value;
    const teams: CompletionOption[] = mentionCandidates(
      Object.values(groups).map((group) => group.name),
      completion.query,
    ).map((name) => {
      const group = groups[nameKey(name)];
      return {
        name,
        about: group?.description ||
          t("completion.group", { n: group?.members.length ?? 0 }),
      };
    });
    return [...wide, ...people, ...teams];
  }
  const shown = offered(caret.value);
  const options = shown.options;
  const active = Math.min(picked.value, options.length - 1);

  // The room's members who match an "@" are asked for unless known.
  const typed = completionAt(text, caret.value);
  const memberQuery = typed?.kind === "mention" &&
      state.view.value.kind === "room"
    ? typed.query
    : null;
  useEffect(() => {
    if (memberQuery === null) return;
    const room = state.currentRoom.value;
    if (knownMembers(state, room, memberQuery)?.complete) return;
    void connection.findMembers(room, memberQuery);
  }, [memberQuery, state.currentRoom.value]);

  // The emoji names are fetched at the first ":" that asks for them.
  const wantsEmoji = typed?.kind === "emoji";
  useEffect(() => {
    const want = lang.value;
    if (!wantsEmoji || state.emojiNames.value?.lang === want) return;
    loadEmojiNames(want).then(
      (names) => actions.emojiNamesLoaded(state, { lang: want, names }),
      () => {/* Nothing offered; the next ":" tries again. */},
    );
  }, [wantsEmoji, lang.value]);

  function pick(completion: Completion, option: CompletionOption): void {
    const inserted = option.emoji ?? SIGNS[completion.kind] + option.name;
    const done = completeWith(draft(), completion, inserted);
    actions.draftChanged(state, { key, text: done.text });
    connection.draftTyped(done.text);
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

  /** Arrows, Tab, Enter and Esc while choices are offered; true if it took the key. */
  function completionKey(event: KeyboardEvent): boolean {
    if (event.isComposing || event.altKey || event.ctrlKey || event.metaKey) {
      return false;
    }
    const box = ref.current;
    const { completion, options } = offered(
      box?.selectionStart ?? caret.value,
    );
    if (!completion) return false;
    const n = options.length;
    const at = Math.min(picked.value, n - 1);
    if (event.key === "ArrowDown") picked.value = (at + 1) % n;
    else if (event.key === "ArrowUp") picked.value = (at - 1 + n) % n;
    else if (
      // "thanks @bob" and Enter sends, as it did before the list: the name
      // is whole. Tab still adds the space after it. An emoji's shortcode
      // is never the message: Enter puts the emoji in.
      event.key === "Tab" ||
      (event.key === "Enter" && !spelledOut(completion, options[at]))
    ) {
      if (event.shiftKey) return false;
      pick(completion, options[at]);
    } else if (event.key === "Escape") {
      // Only the list closes: the reply being written stays.
      dismissed.value = completion.start;
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
    connection.draftSent();
    void runInput(services, input, command ? [] : ready);
    if (!command) discardUploads(state, { key });
    ref.current?.focus();
  }

  /**
   * Schedules what the box holds (its text, files and the message it
   * answers) for `at`, to the room or person on screen; the box empties
   * as a send's does. A command is not scheduled: it runs now or not.
   */
  async function later(at: Date): Promise<void> {
    const { ready, canSend } = sendable();
    const input = draft();
    if (!canSend || parseInput(input).kind === "command") return;
    const shown = state.view.value;
    const reply = entry(state.team.replyTo.value, key);
    const result = await connection.scheduleMessage({
      ...(shown.kind === "dm"
        ? { to: shown.with }
        : { room: state.currentRoom.value }),
      text: input,
      send_at: at.toISOString(),
      ...(ready.length > 0
        ? { attachments: ready.map((file) => ({ url: file.url })) }
        : {}),
      ...(reply ? { reply_to: reply.id } : {}),
    });
    if (!("send_at" in result)) {
      actions.errorShown(state, result);
      return;
    }
    actions.draftChanged(state, { key, text: "" });
    connection.draftSent();
    discardUploads(state, { key });
    teamActions.replyChosen(state, key, null);
    actions.noticeAdded(state, {
      room: key,
      kind: "info",
      text: t("scheduled.done", { when: formatDateTime(result.send_at) }),
    });
    ref.current?.focus();
  }

  function editLast(): boolean {
    const log = state.currentLog.value;
    // The newest message is still on its way: it is the one to edit, later.
    if (log && log.pending.length > 0) return false;
    const messages = log?.messages ?? [];
    for (let i = messages.length - 1; i >= 0; i--) {
      const m = messages[i];
      // A poll is not edited: the one before it is; nor a former
      // holder's of the name.
      if (isAuthor(state, m) && !m.deleted && m.poll === undefined) {
        actions.editingChanged(state, m.id);
        return true;
      }
    }
    return false;
  }

  function onKeyDown(event: KeyboardEvent): void {
    if (completionKey(event)) return;
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
    connection.draftTyped(value);
    caret.value = at;
    picked.value = 0;
    if (
      dismissed.value !== null && !/^[@#:]$/.test(value[dismissed.value] ?? "")
    ) {
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
      <ScheduledMark />
      <ReplyBar />
      {pollRoom.value !== null && (
        <PollDialog
          room={pollRoom.value}
          onClose={() => pollRoom.value = null}
        />
      )}
      {uploads.length > 0 && <UploadTray uploadKey={key} uploads={uploads} />}
      <div class="composer-box">
        {shown.completion && (
          <CompletionList
            kind={shown.completion.kind}
            options={options}
            active={active}
            onPick={(index) => {
              const { completion, options } = offered(caret.value);
              if (completion && options[index]) {
                pick(completion, options[index]);
              }
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
        {account && state.view.value.kind === "room" && (
          <button
            type="button"
            class="attach-button"
            data-testid="poll-button"
            aria-label={t("poll.menu")}
            title={t("poll.menu")}
            onClick={() => pollRoom.value = state.currentRoom.value}
          >
            <PollIcon />
          </button>
        )}
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
          aria-controls={shown.completion ? COMPLETION_LIST_ID : undefined}
          aria-activedescendant={shown.completion
            ? completionOptionId(active)
            : undefined}
          onInput={(e) =>
            onInput(
              e.currentTarget.value,
              e.currentTarget.selectionStart ?? e.currentTarget.value.length,
            )}
          onKeyDown={onKeyDown}
          onFocus={() => actions.composingChanged(state, key)}
          onBlur={() => {
            actions.composingChanged(state, null);
            connection.draftLeft();
          }}
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
        {account && (
          <SendLaterButton
            disabled={!canSend}
            onPick={(at) => void later(at)}
          />
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
        <kbd>@</kbd> {t("composer.hintMention")} · <kbd>:</kbd>{" "}
        {t("composer.hintEmoji")} · <kbd>/help</kbd> {t("composer.hintHelp")}
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
