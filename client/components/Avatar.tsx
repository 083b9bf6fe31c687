/** A round avatar with the user's initial, coloured from the name. */

import type { JSX } from "preact";
import { colourClass, initial } from "../format.ts";

/** Props of {@linkcode Avatar}. */
export interface AvatarProps {
  /** The user's name. */
  name: string;
  /** `small` for member lists, `tiny` for the conversation list. */
  size?: "tiny" | "small" | "normal";
}

/** A user's avatar circle; decorative, the name is always shown beside it. */
export function Avatar({ name, size = "normal" }: AvatarProps): JSX.Element {
  return (
    <span
      class={`avatar ${colourClass(name)}${
        size === "normal" ? "" : ` ${size}`
      }`}
      aria-hidden="true"
    >
      {initial(name)}
    </span>
  );
}
