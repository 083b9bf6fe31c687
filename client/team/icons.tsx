/** Icons of the team features, in the frame of the app's own icons. */

import type { JSX } from "preact";
import { Svg } from "../components/Icons.tsx";

/** A magnifying glass: search. */
export function SearchIcon(): JSX.Element {
  return (
    <Svg>
      <circle cx="11" cy="11" r="7" />
      <path d="m20 20-4-4" />
    </Svg>
  );
}

/** A pushpin: pins. */
export function PinIcon(): JSX.Element {
  return (
    <Svg>
      <path d="M9 4h6l-1 6 4 4H6l4-4-1-6zM12 14v6" />
    </Svg>
  );
}

/** Two chain links: a link to a message. */
export function LinkIcon(): JSX.Element {
  return (
    <Svg>
      <path d="M10 14a4 4 0 0 0 5.7 0l3-3a4 4 0 0 0-5.7-5.7l-1.2 1.2" />
      <path d="M14 10a4 4 0 0 0-5.7 0l-3 3a4 4 0 0 0 5.7 5.7l1.2-1.2" />
    </Svg>
  );
}

/** A bookmark: saved messages. */
export function BookmarkIcon(): JSX.Element {
  return (
    <Svg>
      <path d="M7 4h10v16l-5-4-5 4z" />
    </Svg>
  );
}

/** An at sign: the messages that mention you. */
export function AtIcon(): JSX.Element {
  return (
    <Svg>
      <circle cx="12" cy="12" r="4" />
      <path d="M16 8v5a3 3 0 0 0 6 0v-1a10 10 0 1 0-4 8" />
    </Svg>
  );
}

/** A clock: remind me about a message. */
export function ClockIcon(): JSX.Element {
  return (
    <Svg>
      <circle cx="12" cy="12" r="8" />
      <path d="M12 8v4l3 2" />
    </Svg>
  );
}

/** Two speech bubbles: the threads the account takes part in. */
export function ThreadsIcon(): JSX.Element {
  return (
    <Svg>
      <path d="M4 5h11v8H9l-3 3v-3H4z" />
      <path d="M15 9h5v8h-2v3l-3-3h-5v-2" />
    </Svg>
  );
}

/** A smiling face: add a reaction. */
export function SmileIcon(): JSX.Element {
  return (
    <Svg>
      <circle cx="12" cy="12" r="9" />
      <path d="M8.5 14.5a4.5 4.5 0 0 0 7 0M9 9.5h.01M15 9.5h.01" />
    </Svg>
  );
}

/** A curved arrow back: reply. */
export function ReplyIcon(): JSX.Element {
  return (
    <Svg>
      <path d="M10 8 5 12l5 4M5 12h9a5 5 0 0 1 5 5v1" />
    </Svg>
  );
}

/** An arrow bending on to the right: forward a message. */
export function ForwardIcon(): JSX.Element {
  return (
    <Svg>
      <path d="M14 5l6 6-6 6" />
      <path d="M20 11H10a6 6 0 0 0-6 6v2" />
    </Svg>
  );
}
