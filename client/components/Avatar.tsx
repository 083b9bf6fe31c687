/**
 * A round avatar: the account's profile picture when it has one, else the
 * user's initial on a colour from the name (guests, accounts without one,
 * a picture that fails to load).
 */

import type { JSX } from "preact";
import { useContext } from "preact/hooks";
import { nameKey } from "../../server/protocol/names.ts";
import { avatarMissing } from "../actions.ts";
import { AppContext } from "../app_context.ts";
import { colourClass, initial } from "../format.ts";
import type { AppState } from "../state.ts";

/** Props of {@linkcode Avatar}. */
export interface AvatarProps {
  /** The user's name. */
  name: string;
  /** `small` for member lists, `tiny` for the conversation list. */
  size?: "tiny" | "small" | "normal";
}

/**
 * Where a name's picture is asked for: with its version when one was
 * heard (a change is a new URL), without one for a name not heard of (the
 * server answers its current picture, or 404 once: see avatarsMissing);
 * undefined when it has none, or this URL failed.
 */
export function avatarUrl(state: AppState, name: string): string | undefined {
  const key = nameKey(name);
  const version = state.avatars.value[key];
  if (version === null) return undefined;
  const url = `/avatars/${encodeURIComponent(name)}${
    version === undefined ? "" : `?v=${version}`
  }`;
  return state.avatarsMissing.value[key] === url ? undefined : url;
}

/** A user's avatar circle; decorative, the name is always shown beside it. */
export function Avatar({ name, size = "normal" }: AvatarProps): JSX.Element {
  const app = useContext(AppContext);
  const url = app ? avatarUrl(app.state, name) : undefined;
  return (
    <span
      class={`avatar ${colourClass(name)}${
        size === "normal" ? "" : ` ${size}`
      }${url ? " pictured" : ""}`}
      aria-hidden="true"
    >
      {initial(name)}
      {url && app && (
        <img
          key={url}
          src={url}
          alt=""
          loading="lazy"
          decoding="async"
          data-testid="avatar-picture"
          onError={() => avatarMissing(app.state, name, url)}
        />
      )}
    </span>
  );
}
