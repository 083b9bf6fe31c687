/**
 * What the browser keeps for a signed-in account, and forgetting it once
 * that account's session is over.
 *
 * Everything the client keeps in the browser, by kind:
 * - the account's, under its name: the private conversations of the
 *   sidebar (`dms.<name>`: shown at a reload before the server's
 *   `list_conversations` answers), the muted rooms and conversations of
 *   older clients (`muted.<name>`: sent once to the server as `none`
 *   notification levels, then forgotten), the unsent text of each
 *   (`drafts.<name>`: a half-written message outlives a reload, as in
 *   Slack), those typed offline until the server has them (`unsent.<name>`:
 *   with when they were typed, so that the newer of them and the server's
 *   wins once back), when each was last on screen (`visits.<name>`: the
 *   quick switcher's "recent"), and the skin tone chosen for emoji
 *   (`tone.<name>`). They name the people it talks to and its private rooms,
 *   hold what it wrote and, for the tone, something of how a person sees
 *   themself, so
 *   they go at logout and whenever the client learns the session ended
 *   elsewhere (a logout in another tab, a password change, expiry).
 *   Notification levels live on the server.
 * - the device's, kept for whoever comes next: the language (`lang`) and
 *   the dismissed notification banner (`notify-banner`).
 * - the service worker's cache holds the app shell and the emoji files
 *   fetched (names, and skin tones' forms: which tone was chosen is not in
 *   them), the same for everyone (static/sw.js never caches `/api`,
 *   `/ws` or `/files`); its notifications already shown are closed with
 *   the account's data.
 * Read positions and history live in memory only. Guests keep
 * nothing: their name does not outlast the page either.
 */

import { nameKey } from "../server/protocol/names.ts";
import { forgetPrefs } from "./prefs.ts";

/** Where an account's private conversations are remembered. */
export function conversationsPref(me: string): string {
  return `dms.${nameKey(me)}`;
}

/** Where an account's muted rooms and conversations are remembered. */
export function mutedPref(me: string): string {
  return `muted.${nameKey(me)}`;
}

/** Where an account's unsent text is remembered, by log key. */
export function draftsPref(me: string): string {
  return `drafts.${nameKey(me)}`;
}

/**
 * Where an account's drafts typed while offline wait until the server has
 * them, by log key, with when they were typed.
 */
export function pendingDraftsPref(me: string): string {
  return `unsent.${nameKey(me)}`;
}

/** Where an account's last visit of each room and conversation is remembered. */
export function visitsPref(me: string): string {
  return `visits.${nameKey(me)}`;
}

/** Where an account's skin tone for emoji is remembered. */
export function tonePref(me: string): string {
  return `tone.${nameKey(me)}`;
}

/**
 * Forgets every account's remembered data in this browser, not only the
 * last one's: one left by a session that ended while no page was open
 * goes too. `muted` alone is where older clients kept every user's mutes.
 */
export function forgetAccounts(): void {
  forgetPrefs((name) =>
    name.startsWith("dms.") || name.startsWith("muted.") ||
    name.startsWith("drafts.") || name.startsWith("unsent.") ||
    name.startsWith("visits.") || name.startsWith("tone.") || name === "muted"
  );
  void closeNotifications();
}

/** Closes the service worker's notifications still shown (push messages and mentions). */
async function closeNotifications(): Promise<void> {
  if (!("serviceWorker" in navigator)) return;
  try {
    const registration = await navigator.serviceWorker.getRegistration();
    for (const shown of await registration?.getNotifications() ?? []) {
      shown.close();
    }
  } catch {
    // No worker, or the browser refused: the notifications stay shown.
  }
}
