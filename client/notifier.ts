/**
 * Telling the user about messages they are not looking at: a short sound
 * made with Web Audio (no file to load) and, when the page is in the
 * background, a desktop notification. Permission is only ever asked after
 * the user clicks a button for it.
 */

import * as actions from "./actions.ts";
import { t } from "./i18n.ts";
import { type AppState, isPaused, notifyLevelOf, roomKey } from "./state.ts";

/** A new message from someone else, as the notifier needs it. */
export interface Incoming {
  /** The log it belongs to: a room's key or a conversation's `@name`. */
  key: string;
  /** Whether it is a private message. */
  dm: boolean;
  /** Whether it mentions this user. */
  mention: boolean;
  /** The author, with its badge when a bot or a hook (format.ts senderLabel). */
  user: string;
  /** The room, for a room message, as the interface names it (state.ts roomTitle). */
  room?: string;
  /** The text, or a word about its files. */
  body: string;
  /** When the server stored it, ISO-8601. */
  ts: string;
  /** Shows the message's room or conversation when the notification is clicked. */
  open: () => void;
}

/** Messages older than this when they arrive (queued while offline) make no noise. */
const STALE_MS = 2 * 60 * 1000;
/** Least time between two sounds: a burst of messages blips once. */
const SOUND_GAP_MS = 1500;
/** Longest notification body. */
const BODY_MAX = 140;

/**
 * Whether a message deserves a sound: its room or conversation is not at
 * the `none` level, it is not on screen, and its level is `all`, or it is
 * private, mentions the user, or belongs to the current room while a
 * conversation is open. A plain message in the open room while the tab is
 * hidden, or in another room, only counts as unread.
 */
export function shouldAlert(
  state: AppState,
  incoming: Pick<Incoming, "key" | "dm" | "mention">,
): boolean {
  const { key, dm, mention } = incoming;
  // Paused on every device (do not disturb): unread counts and the
  // title's count go on, nothing sounds or pops up.
  if (isPaused(state, Date.now())) return false;
  const level = notifyLevelOf(state, key);
  if (level === "none") return false;
  const open = state.viewKey.value === key;
  if (open && state.visible.value) return false;
  if (level === "all") return true;
  // An account hears all its rooms: the other rooms' plain messages only
  // count, as in Slack; the room it sits in (behind a conversation) blips.
  const current = key === roomKey(state.currentRoom.value);
  return dm || mention || (!open && current);
}

/** Plays sounds and shows desktop notifications. */
export class Notifier {
  #state: AppState;
  #audio: AudioContext | null = null;
  #lastSound = 0;

  constructor(state: AppState) {
    this.#state = state;
    actions.notifyPermissionChanged(state, currentPermission());
  }

  /**
   * Browsers only let a page make sound after the user did something on
   * it: call this from the first click or key press.
   */
  unlock(): void {
    if (typeof AudioContext === "undefined") return;
    try {
      this.#audio ??= new AudioContext();
      if (this.#audio.state === "suspended") void this.#audio.resume();
    } catch {
      this.#audio = null;
    }
  }

  /** Asks for desktop notification permission (call from a click). */
  async requestPermission(): Promise<void> {
    if (typeof Notification === "undefined") return;
    try {
      await Notification.requestPermission();
    } catch {
      // Old Safari takes a callback and returns nothing; the check below tells.
    }
    actions.notifyPermissionChanged(this.#state, currentPermission());
    actions.notifyBannerDismissed(this.#state);
  }

  /** Tells the user about a new message when {@linkcode shouldAlert} says so. */
  alert(incoming: Incoming): void {
    if (!shouldAlert(this.#state, incoming)) return;
    if (Date.now() - Date.parse(incoming.ts) > STALE_MS) return;
    this.#blip();
    // On screen the sound and the unread badge are enough; a desktop
    // notification is for a page in the background.
    if (this.#state.visible.value && document.hasFocus()) return;
    this.#notify(incoming);
  }

  #blip(): void {
    const audio = this.#audio;
    const now = Date.now();
    if (
      !audio || audio.state !== "running" ||
      now - this.#lastSound < SOUND_GAP_MS
    ) {
      return;
    }
    this.#lastSound = now;
    // Two quick rising tones, soft attack and decay: a "pop", not a beep.
    const start = audio.currentTime + 0.01;
    const gain = audio.createGain();
    gain.connect(audio.destination);
    gain.gain.setValueAtTime(0.0001, start);
    gain.gain.exponentialRampToValueAtTime(0.12, start + 0.015);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.22);
    const tone = audio.createOscillator();
    tone.type = "sine";
    tone.frequency.setValueAtTime(740, start);
    tone.frequency.setValueAtTime(988, start + 0.07);
    tone.connect(gain);
    tone.start(start);
    tone.stop(start + 0.24);
  }

  #notify(incoming: Incoming): void {
    if (currentPermission() !== "granted") return;
    const title = incoming.dm
      ? `${incoming.user} · ${t("notify.dmTag")}`
      : t("notify.roomTitle", {
        user: incoming.user,
        room: incoming.room ?? "",
      });
    const body = shortened(incoming.body);
    try {
      const notification = new Notification(title, {
        body,
        tag: incoming.key,
        icon: "/favicon.svg",
      });
      notification.onclick = () => {
        globalThis.focus();
        incoming.open();
        notification.close();
      };
    } catch {
      // Android Chrome only notifies through a service worker: the sound did it.
    }
  }
}

/**
 * The permission, or "unsupported": no Notification API, or a touch-only
 * device, where pages cannot show them (Android Chrome only notifies
 * through a service worker; iOS only for installed apps).
 */
function currentPermission(): NotificationPermission | "unsupported" {
  if (typeof Notification === "undefined") return "unsupported";
  if (matchMedia("(hover: none) and (pointer: coarse)").matches) {
    return "unsupported";
  }
  return Notification.permission;
}

// Cut by code points, as the server's pushes are: cut by UTF-16 units, an
// emoji across the cut left half of itself, shown as a replacement mark.
function shortened(text: string): string {
  if (text.length <= BODY_MAX) return text;
  const characters = [...text];
  return characters.length > BODY_MAX
    ? `${characters.slice(0, BODY_MAX - 1).join("")}…`
    : text;
}
