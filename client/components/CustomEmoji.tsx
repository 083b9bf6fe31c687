/**
 * Custom emoji in the web client: a `:name:` of one the server has shown
 * as its picture at text size (the name as its alt text and title), in
 * messages and reactions; and the "Add emoji…" form of the picker (name,
 * file, preview), which sends `PUT /api/emoji/:name`.
 */

import { useSignal } from "@preact/signals";
import type { JSX } from "preact";
import { CUSTOM_EMOJI_NAME } from "../../server/protocol/emoji.ts";
import { MAX_EMOJI_BYTES } from "../../server/protocol/limits.ts";
import type { CustomEmoji } from "../../server/protocol/types.ts";
import { useApp } from "../app_context.ts";
import { addCustomEmoji } from "../connection/custom_emoji.ts";
import { errorText } from "../error_text.ts";
import { IMAGE_ACCEPT, useImageChoice } from "../image_choice.ts";
import { t } from "../i18n.ts";

// A `:name:` as messages write a custom emoji (server/protocol/emoji.ts).
const WRITTEN = /:([a-z0-9_+-]{1,32}):/g;

/** Where a custom emoji's picture is, by its version (cached for good). */
export function customEmojiUrl(emoji: CustomEmoji): string {
  return `/emoji/${encodeURIComponent(emoji.name)}?v=${emoji.version}`;
}

/** A custom emoji's picture at text size, its `:name:` as alt and title. */
export function CustomEmojiImage(
  props: { emoji: CustomEmoji },
): JSX.Element {
  const written = `:${props.emoji.name}:`;
  return (
    <img
      class="custom-emoji"
      src={customEmojiUrl(props.emoji)}
      alt={written}
      title={written}
      data-testid="custom-emoji"
      loading="lazy"
    />
  );
}

/**
 * A run of a message's text with each `:name:` of a custom emoji the
 * server has shown as its picture; any other `:name:` (a removed one's)
 * stays text.
 */
export function EmojiText(props: { text: string }): JSX.Element {
  const { state } = useApp();
  const known = state.customEmoji.value;
  const parts: (JSX.Element | string)[] = [];
  let last = 0;
  for (const match of props.text.matchAll(WRITTEN)) {
    const emoji = Object.hasOwn(known, match[1]) ? known[match[1]] : null;
    if (emoji === null) continue;
    if (match.index > last) parts.push(props.text.slice(last, match.index));
    parts.push(<CustomEmojiImage key={match.index} emoji={emoji} />);
    last = match.index + match[0].length;
  }
  if (last === 0) return <>{props.text}</>;
  if (last < props.text.length) parts.push(props.text.slice(last));
  return <>{parts}</>;
}

/** A reaction's emoji: a custom one's picture, else the emoji as text. */
export function ReactionEmoji(props: { emoji: string }): JSX.Element {
  const { state } = useApp();
  const name = /^:([a-z0-9_+-]{1,32}):$/.exec(props.emoji)?.[1];
  const known = state.customEmoji.value;
  if (name !== undefined && Object.hasOwn(known, name)) {
    return <CustomEmojiImage emoji={known[name]} />;
  }
  return <>{props.emoji}</>;
}

/** The "Add emoji…" form: a name, a picture and its preview; `onDone` once added. */
export function AddEmojiForm(
  props: { onDone: (name: string) => void },
): JSX.Element {
  const { state } = useApp();
  const name = useSignal("");
  const busy = useSignal(false);
  const { chosen, preview, error, choose: chooseImage } = useImageChoice(
    MAX_EMOJI_BYTES,
    () => t("emoji.tooLarge"),
  );

  function choose(file: File | undefined): void {
    if (!chooseImage(file) || !file) return;
    // A name from the file's, as Slack offers: "party-parrot.gif".
    if (name.value === "") {
      name.value = file.name.replace(/\.[^.]*$/, "").toLowerCase()
        .replace(/[^a-z0-9_+-]+/g, "_").slice(0, 32);
    }
  }

  async function send(event: Event): Promise<void> {
    event.preventDefault();
    const file = chosen.value;
    const wanted = name.value.trim().replace(/^:|:$/g, "");
    if (!CUSTOM_EMOJI_NAME.test(wanted)) {
      error.value = t("emoji.badName");
      return;
    }
    if (!file) return;
    busy.value = true;
    error.value = null;
    const refused = await addCustomEmoji(state, wanted, file);
    busy.value = false;
    if (refused) {
      error.value = refused.code === "unreachable"
        ? t("error.unreachable")
        : errorText(refused.code, refused.fields);
      return;
    }
    props.onDone(wanted);
  }

  return (
    <form
      class="emoji-add"
      data-testid="emoji-add-form"
      aria-label={t("emoji.addTitle")}
      onSubmit={(e) => void send(e)}
    >
      <div class="emoji-add-row">
        {preview.value && (
          <img
            class="custom-emoji emoji-add-preview"
            src={preview.value}
            alt={t("emoji.preview")}
            data-testid="emoji-add-preview"
          />
        )}
        <label class="button ghost small">
          {t("emoji.file")}
          <input
            type="file"
            class="sr-only"
            accept={IMAGE_ACCEPT}
            data-testid="emoji-add-file"
            disabled={busy.value}
            onChange={(e) => choose(e.currentTarget.files?.[0])}
          />
        </label>
      </div>
      <label class="emoji-add-name">
        <span>{t("emoji.name")}</span>
        <input
          type="text"
          value={name.value}
          maxLength={34}
          data-testid="emoji-add-name"
          disabled={busy.value}
          onInput={(e) => name.value = e.currentTarget.value}
        />
      </label>
      <p class="dialog-note">{t("emoji.hint")}</p>
      {error.value && (
        <p
          class="dialog-status error"
          role="alert"
          data-testid="emoji-add-error"
        >
          {error.value}
        </p>
      )}
      <button
        type="submit"
        class="button primary small"
        data-testid="emoji-add-save"
        disabled={busy.value || !chosen.value}
      >
        {t("emoji.save")}
      </button>
    </form>
  );
}
