/**
 * The composer: drafts, files being uploaded, the message being edited,
 * who is typing, and what completion and the emoji picker read.
 */

import { batch } from "@preact/signals";
import type { EmojiNames } from "../emoji_names.ts";
import type { EmojiTones, SkinTone } from "../emoji_tones.ts";
import type { Lang } from "../i18n.ts";
import {
  type AppState,
  entry,
  memberMatchKey,
  put,
  roomKey,
  type Typist,
  type Upload,
} from "../state.ts";

/** Shows that someone is typing in a log, until `typist.until`. */
export function typingStarted(
  state: AppState,
  typing: { key: string; typist: Typist },
): void {
  const { key, typist } = typing;
  batch(() => {
    const others = (entry(state.typing.value, key) ?? []).filter((t) =>
      roomKey(t.name) !== roomKey(typist.name)
    );
    state.typing.value = { ...state.typing.value, [key]: [...others, typist] };
  });
}

/**
 * Stops showing someone typing: their message came (`force`), or the
 * time ran out (only if no later `typing` event moved it).
 */
export function typingStopped(
  state: AppState,
  stop: { key: string; name: string; force?: boolean },
): void {
  batch(() => {
    const list = entry(state.typing.value, stop.key);
    if (!list) return;
    const now = Date.now();
    const kept = list.filter((t) =>
      roomKey(t.name) !== roomKey(stop.name) || (!stop.force && t.until > now)
    );
    if (kept.length === list.length) return;
    const typing = { ...state.typing.value };
    if (kept.length === 0) delete typing[stop.key];
    else put(typing, stop.key, kept);
    state.typing.value = typing;
  });
}

/** Adds a file to a log's composer. */
export function uploadAdded(
  state: AppState,
  added: { key: string; upload: Upload },
): void {
  batch(() => {
    const list = entry(state.uploads.value, added.key) ?? [];
    state.uploads.value = {
      ...state.uploads.value,
      [added.key]: [...list, added.upload],
    };
  });
}

/** Records an upload's progress: done with its attachment, or failed. */
export function uploadChanged(
  state: AppState,
  change: { key: string; id: string; patch: Partial<Upload> },
): void {
  batch(() => {
    const list = entry(state.uploads.value, change.key);
    if (!list) return;
    state.uploads.value = {
      ...state.uploads.value,
      [change.key]: list.map((u) =>
        u.id === change.id ? { ...u, ...change.patch } : u
      ),
    };
  });
}

/** Takes files out of a log's composer: the ones named, or all of them. */
export function uploadsRemoved(
  state: AppState,
  removed: { key: string; ids?: string[] },
): void {
  batch(() => {
    const list = entry(state.uploads.value, removed.key);
    if (!list) return;
    const ids = removed.ids;
    const kept = ids ? list.filter((u) => !ids.includes(u.id)) : [];
    const uploads = { ...state.uploads.value };
    if (kept.length === 0) delete uploads[removed.key];
    else put(uploads, removed.key, kept);
    state.uploads.value = uploads;
  });
}

/** The text being written in a room or conversation changed ("" forgets it). */
export function draftChanged(
  state: AppState,
  draft: { key: string; text: string },
): void {
  batch(() => {
    const { [draft.key]: _was, ...rest } = state.drafts.value;
    state.drafts.value = draft.text === ""
      ? rest
      : { ...rest, [draft.key]: draft.text };
  });
}

/** The emoji shortcodes fetched for an interface language, for the composer. */
export function emojiNamesLoaded(
  state: AppState,
  loaded: { lang: Lang; names: EmojiNames },
): void {
  batch(() => {
    state.emojiNames.value = loaded;
  });
}

/** The skin tone chosen (in the picker or the menu) or remembered for the account. */
export function skinToneChosen(state: AppState, tone: SkinTone): void {
  batch(() => {
    state.skinTone.value = tone;
  });
}

/** The toned forms of emoji, fetched once a tone is chosen. */
export function emojiTonesLoaded(state: AppState, tones: EmojiTones): void {
  batch(() => {
    state.emojiTones.value = tones;
  });
}

/** The accounts of a room that start with a prefix, as `list_members` answered. */
export function memberMatchesLoaded(
  state: AppState,
  matches: { room: string; prefix: string; names: string[] },
): void {
  batch(() => {
    const next = { ...state.memberMatches.value };
    put(next, memberMatchKey(matches.room, matches.prefix), matches.names);
    state.memberMatches.value = next;
  });
}

/**
 * The account's drafts as the server keeps them (by log key), after a
 * login: they replace the browser's, which another device may have sent.
 */
export function draftsListed(
  state: AppState,
  drafts: Record<string, string>,
): void {
  batch(() => {
    state.drafts.value = drafts;
  });
}

/** The message box of a log got the focus (its key) or lost it (null). */
export function composingChanged(state: AppState, key: string | null): void {
  batch(() => {
    state.composing.value = key;
  });
}

/**
 * The unsent text the browser kept from an earlier page, by log key; what
 * was typed in this page since wins.
 */
export function draftsRestored(
  state: AppState,
  saved: Record<string, string>,
): void {
  batch(() => {
    state.drafts.value = { ...saved, ...state.drafts.value };
  });
}

/** Shows a message row's actions on a touch screen (its key), or none (null). */
export function rowTapped(state: AppState, key: string | null): void {
  batch(() => {
    state.tapped.value = key;
  });
}

/** Starts editing a message in place (its id), or stops (null). */
export function editingChanged(state: AppState, id: string | null): void {
  batch(() => {
    state.editing.value = id;
  });
}
