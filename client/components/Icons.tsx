/** Inline SVG icons: no icon font, nothing loaded from the network. */

import type { JSX } from "preact";

/** The frame every icon shares: 24×24, stroked, hidden from screen readers. */
export function Svg(
  props: { children: JSX.Element | JSX.Element[] },
): JSX.Element {
  return (
    <svg
      class="icon"
      viewBox="0 0 24 24"
      width="20"
      height="20"
      fill="none"
      stroke="currentColor"
      stroke-width="2"
      stroke-linecap="round"
      stroke-linejoin="round"
      aria-hidden="true"
      focusable="false"
    >
      {props.children}
    </svg>
  );
}

/** Three lines: opens the room drawer. */
export function MenuIcon(): JSX.Element {
  return (
    <Svg>
      <path d="M4 6h16M4 12h16M4 18h16" />
    </Svg>
  );
}

/** A plus sign: creates a room. */
export function PlusIcon(): JSX.Element {
  return (
    <Svg>
      <path d="M12 5v14M5 12h14" />
    </Svg>
  );
}

/** A paper plane: sends a message. */
export function SendIcon(): JSX.Element {
  return (
    <Svg>
      <path d="M22 2 11 13" />
      <path d="M22 2 15 22l-4-9-9-4 20-7z" />
    </Svg>
  );
}

/** A door with an arrow: logs out or leaves. */
export function ExitIcon(): JSX.Element {
  return (
    <Svg>
      <path d="M9 21H5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2h4" />
      <path d="m16 17 5-5-5-5M21 12H9" />
    </Svg>
  );
}

/** One person: how many are online in a room (the sidebar), unlike an unread pill. */
export function PersonIcon(): JSX.Element {
  return (
    <Svg>
      <path d="M19 21v-2a4 4 0 0 0-4-4H9a4 4 0 0 0-4 4v2" />
      <circle cx="12" cy="7" r="4" />
    </Svg>
  );
}

/** Two people: the member count. */
export function UsersIcon(): JSX.Element {
  return (
    <Svg>
      <path d="M17 21v-2a4 4 0 0 0-4-4H5a4 4 0 0 0-4 4v2" />
      <circle cx="9" cy="7" r="4" />
      <path d="M23 21v-2a4 4 0 0 0-3-3.87M16 3.13a4 4 0 0 1 0 7.75" />
    </Svg>
  );
}

/** A speech bubble: the app's mark. */
export function LogoIcon(): JSX.Element {
  return (
    <Svg>
      <path d="M21 15a2 2 0 0 1-2 2H7l-4 4V5a2 2 0 0 1 2-2h14a2 2 0 0 1 2 2z" />
    </Svg>
  );
}

/** A paperclip: attaches files. */
export function PaperclipIcon(): JSX.Element {
  return (
    <Svg>
      <path d="m21.44 11.05-9.19 9.19a6 6 0 0 1-8.49-8.49l8.57-8.57A4 4 0 1 1 18 8.84l-8.59 8.57a2 2 0 0 1-2.83-2.83l8.49-8.48" />
    </Svg>
  );
}

/** Three bars: a poll. */
export function PollIcon(): JSX.Element {
  return (
    <Svg>
      <path d="M4 20V10M12 20V4M20 20v-6" />
    </Svg>
  );
}

/** A pencil: edits a message. */
export function PencilIcon(): JSX.Element {
  return (
    <Svg>
      <path d="M17 3a2.85 2.85 0 1 1 4 4L7.5 20.5 2 22l1.5-5.5Z" />
    </Svg>
  );
}

/** A bin: deletes a message. */
export function TrashIcon(): JSX.Element {
  return (
    <Svg>
      <path d="M3 6h18M8 6V4a2 2 0 0 1 2-2h4a2 2 0 0 1 2 2v2M19 6l-1 14a2 2 0 0 1-2 2H8a2 2 0 0 1-2-2L5 6" />
    </Svg>
  );
}

/** A sheet of paper: a file that downloads. */
export function FileIcon(): JSX.Element {
  return (
    <Svg>
      <path d="M14 2H6a2 2 0 0 0-2 2v16a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V8z" />
      <path d="M14 2v6h6M16 13H8M16 17H8M10 9H8" />
    </Svg>
  );
}

/** An arrow into a tray: downloads. */
export function DownloadIcon(): JSX.Element {
  return (
    <Svg>
      <path d="M21 15v4a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2v-4M7 10l5 5 5-5M12 15V3" />
    </Svg>
  );
}

/** A cross: closes. */
export function CloseIcon(): JSX.Element {
  return (
    <Svg>
      <path d="M18 6 6 18M6 6l12 12" />
    </Svg>
  );
}

/** A bell: notifications on. */
export function BellIcon(): JSX.Element {
  return (
    <Svg>
      <path d="M6 8a6 6 0 0 1 12 0c0 7 3 9 3 9H3s3-2 3-9" />
      <path d="M10.3 21a1.94 1.94 0 0 0 3.4 0" />
    </Svg>
  );
}

/** A five-pointed star: starred (filled by CSS when pressed). */
export function StarIcon(): JSX.Element {
  return (
    <Svg>
      <path d="M12 2l3.1 6.3 6.9 1-5 4.9 1.2 6.8L12 17.8l-6.2 3.2L7 14.2 2 9.3l6.9-1z" />
    </Svg>
  );
}

/** A crossed-out bell: muted. */
export function BellOffIcon(): JSX.Element {
  return (
    <Svg>
      <path d="M8.7 3A6 6 0 0 1 18 8a21.3 21.3 0 0 0 .6 5M17 17H3s3-2 3-9a4.67 4.67 0 0 1 .3-1.7" />
      <path d="M10.3 21a1.94 1.94 0 0 0 3.4 0M2 2l20 20" />
    </Svg>
  );
}

/** Three dots: more actions. */
export function MoreIcon(): JSX.Element {
  return (
    <Svg>
      <circle cx="12" cy="12" r="1" />
      <circle cx="19" cy="12" r="1" />
      <circle cx="5" cy="12" r="1" />
    </Svg>
  );
}

/** An arrow down: jumps to the newest messages. */
export function ArrowDownIcon(): JSX.Element {
  return (
    <Svg>
      <path d="M12 5v14M19 12l-7 7-7-7" />
    </Svg>
  );
}

/** A dot on a speech bubble: marks a message unread. */
export function MarkUnreadIcon(): JSX.Element {
  return (
    <Svg>
      <path d="M13 4H5a2 2 0 0 0-2 2v10a2 2 0 0 0 2 2h2v3l4-3h8a2 2 0 0 0 2-2v-5" />
      <circle cx="19" cy="5" r="3" />
    </Svg>
  );
}

/** A gear: settings. */
export function GearIcon(): JSX.Element {
  return (
    <Svg>
      <circle cx="12" cy="12" r="3" />
      <path d="M19.4 15a1.65 1.65 0 0 0 .33 1.82l.06.06a2 2 0 1 1-2.83 2.83l-.06-.06a1.65 1.65 0 0 0-1.82-.33 1.65 1.65 0 0 0-1 1.51V21a2 2 0 1 1-4 0v-.09A1.65 1.65 0 0 0 9 19.4a1.65 1.65 0 0 0-1.82.33l-.06.06a2 2 0 1 1-2.83-2.83l.06-.06A1.65 1.65 0 0 0 4.68 15a1.65 1.65 0 0 0-1.51-1H3a2 2 0 1 1 0-4h.09A1.65 1.65 0 0 0 4.6 9a1.65 1.65 0 0 0-.33-1.82l-.06-.06a2 2 0 1 1 2.83-2.83l.06.06A1.65 1.65 0 0 0 9 4.68a1.65 1.65 0 0 0 1-1.51V3a2 2 0 1 1 4 0v.09a1.65 1.65 0 0 0 1 1.51 1.65 1.65 0 0 0 1.82-.33l.06-.06a2 2 0 1 1 2.83 2.83l-.06.06A1.65 1.65 0 0 0 19.4 9a1.65 1.65 0 0 0 1.51 1H21a2 2 0 1 1 0 4h-.09a1.65 1.65 0 0 0-1.51 1z" />
    </Svg>
  );
}

/** A padlock: an invite-only room. */
export function LockIcon(): JSX.Element {
  return (
    <Svg>
      <rect x="5" y="11" width="14" height="10" rx="2" />
      <path d="M8 11V7a4 4 0 0 1 8 0v4" />
    </Svg>
  );
}

/** A person with a plus: invites someone. */
export function InviteIcon(): JSX.Element {
  return (
    <Svg>
      <circle cx="9" cy="8" r="4" />
      <path d="M2 21v-1a6 6 0 0 1 12 0v1M19 8v6M16 11h6" />
    </Svg>
  );
}

/** A chevron pointing right (closed) or down (open, by CSS). */
export function ChevronIcon(): JSX.Element {
  return (
    <Svg>
      <path d="m9 6 6 6-6 6" />
    </Svg>
  );
}

/** Two check marks: everything read. */
export function CheckAllIcon(): JSX.Element {
  return (
    <Svg>
      <path d="m2 12 5 5L18 6M13 16l1 1L22 8" />
    </Svg>
  );
}
