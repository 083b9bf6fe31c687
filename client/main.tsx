/** Entry point of the web client: state, connection, then the app into #app. */

import { effect, untracked } from "@preact/signals";
import { render } from "preact";
import * as actions from "./actions.ts";
import {
  conversationsPref,
  draftsPref,
  forgetAccounts,
  mutedPref,
  pendingDraftsPref,
  tonePref,
  visitsPref,
} from "./account_storage.ts";
import { AppContext, type AppServices } from "./app_context.ts";
import { App } from "./components/App.tsx";
import { startAdmin, startReset, startVerifyEmail } from "./admin/mod.tsx";
import { Connection } from "./connection/mod.ts";
import { loadEmojiTones, parseTone } from "./emoji_tones.ts";
import { lang, t } from "./i18n.ts";
import { parseInviteHash } from "./invite_link.ts";
import { parseMessageHash, routePlace } from "./message_link.ts";
import { jumpTo } from "./team/api.ts";
import { Notifier } from "./notifier.ts";
import { forgetPrefs, readList, readPref, writePref } from "./prefs.ts";
import {
  registerServiceWorker,
  subscribePush,
  unsubscribePush,
} from "./push.ts";
import {
  type AppState,
  type Conversation,
  createAppState,
  entry,
} from "./state.ts";
import { nameKey } from "../server/protocol/names.ts";
import type { RoomSummary } from "../server/protocol/types.ts";

/** Starts the client in the given element; returns the services for debugging. */
export function startClient(root: HTMLElement): AppServices {
  const state = createAppState();
  const notifier = new Notifier(state);
  const connection = new Connection(state, {
    onIncoming: (incoming) => notifier.alert(incoming),
    onSessionOver: forgetAccounts,
    pendingDrafts: {
      read: (me) => {
        try {
          return JSON.parse(readPref(pendingDraftsPref(me)) ?? "null");
        } catch {
          return null;
        }
      },
      write: (me, pending) =>
        writePref(
          pendingDraftsPref(me),
          pending === null ? null : JSON.stringify(pending),
        ),
    },
    oldMutes: {
      read: () => {
        const me = state.username.value;
        return me === null ? [] : readList(mutedPref(me));
      },
      forget: () => {
        const me = state.username.value;
        if (me !== null) forgetPrefs((name) => name === mutedPref(me));
      },
    },
  });
  const services: AppServices = { state, connection, notifier };
  remember(state);
  followPage(state, notifier);
  followInvites(state, connection);
  followMessageLinks(services);
  render(
    <AppContext.Provider value={services}>
      <App />
    </AppContext.Provider>,
    root,
  );
  connection.start();
  void registerServiceWorker();
  // Web Push once the user allowed notifications (never asked for here),
  // for accounts only: a guest's name does not outlast its connection.
  // At logout the browser drops its subscription, so a shared browser
  // stops showing the last account's mentions (the push service then
  // answers 410 and the server forgets it).
  let subscribed = false;
  effect(() => {
    const account = state.account.value;
    if (account && state.notifyPermission.value === "granted") {
      subscribed = true;
      void subscribePush();
    } else if (!account && subscribed) {
      subscribed = false;
      void unsubscribePush();
    }
  });
  // Tells the server while this tab is hidden, so that an account whose
  // every tab is hidden gets pushes as if offline; again after each
  // reconnection (a new connection starts out shown). Shown tabs that never
  // were hidden send nothing.
  let sentHidden = false;
  effect(() => {
    const hidden = !state.visible.value;
    const ready = state.status.value.kind === "online" &&
      !state.resuming.value && state.account.value;
    if (!ready || (!hidden && !sentHidden)) return;
    sentHidden = hidden;
    connection.reportVisibility(hidden);
  });
  // The browser knows before our backoff does when the network is back.
  addEventListener("online", () => connection.reconnectNow());
  // A reload or a closed tab within the pause after typing: the draft goes
  // now, so the account's next page (or other device) has it.
  addEventListener("pagehide", () => connection.draftLeft());
  return services;
}

/** Loads remembered settings and keeps them remembered as they change. */
function remember(state: AppState): void {
  if (readPref("notify-banner") === "dismissed") {
    actions.notifyBannerDismissed(state);
  }
  actions.wayInRemembered(state, readPref("way-in"));
  effect(() => {
    const way = state.wayIn.value;
    if (way !== null) writePref("way-in", way);
  });
  // The server lists an account's conversations after each login
  // (list_conversations); the browser keeps the list too, so a reload
  // shows them before that answer, until
  // the session is over (client/account_storage.ts). Guests' names do not
  // last.
  let restored: string | null = null;
  effect(() => {
    const me = state.username.value;
    const conversations = state.conversations.value;
    if (me === null || !state.account.value) {
      restored = null;
      return;
    }
    if (restored !== me) {
      restored = me;
      untracked(() => {
        actions.conversationsRestored(state, readSaved(conversationsPref(me)));
      });
      return;
    }
    writePref(
      conversationsPref(me),
      JSON.stringify(Object.values(conversations)),
    );
  });
  // The unsent text, apart: a keystroke writes the drafts alone, not a
  // sidebar of conversations with them (a few hundred bytes, not 200 kB).
  let draftsOf: string | null = null;
  effect(() => {
    const me = state.username.value;
    const drafts = state.drafts.value;
    if (me === null || !state.account.value) {
      draftsOf = null;
      return;
    }
    if (draftsOf !== me) {
      draftsOf = me;
      untracked(() =>
        actions.draftsRestored(state, readStrings(draftsPref(me)))
      );
      return;
    }
    writePref(
      draftsPref(me),
      Object.keys(drafts).length === 0 ? null : JSON.stringify(drafts),
    );
  });
  // Each place on screen is a visit, the quick switcher's "recent"; an
  // account's visits are kept in the browser (a few kB at most).
  effect(() => {
    const key = state.viewKey.value;
    if (state.username.value === null) return;
    untracked(() => actions.placeVisited(state, key, new Date().toISOString()));
  });
  let visitsOf: string | null = null;
  effect(() => {
    const me = state.username.value;
    const visited = state.visited.value;
    if (me === null || !state.account.value) {
      visitsOf = null;
      return;
    }
    if (visitsOf !== me) {
      visitsOf = me;
      untracked(() =>
        actions.visitsRestored(state, readStrings(visitsPref(me)))
      );
      return;
    }
    writePref(visitsPref(me), JSON.stringify(visited));
  });
  // The skin tone, remembered per account; its toned forms are fetched
  // once one is chosen (a failed fetch leaves emoji untoned until the
  // next choice).
  let toneOf: string | null = null;
  effect(() => {
    const me = state.username.value;
    const tone = state.skinTone.value;
    if (me === null || !state.account.value) {
      toneOf = null;
      return;
    }
    if (toneOf !== me) {
      toneOf = me;
      untracked(() =>
        actions.skinToneChosen(state, parseTone(readPref(tonePref(me))))
      );
      return;
    }
    writePref(tonePref(me), tone === 0 ? null : String(tone));
  });
  effect(() => {
    if (state.skinTone.value === 0 || state.emojiTones.value !== null) return;
    loadEmojiTones().then(
      (tones) => actions.emojiTonesLoaded(state, tones),
      () => {/* Untoned until the next choice. */},
    );
  });
  effect(() => {
    if (state.notifyDismissed.value) writePref("notify-banner", "dismissed");
  });
}

/** Keeps the tab title, the page language and the visibility in step with the state. */
function followPage(state: AppState, notifier: Notifier): void {
  effect(() => {
    const unread = state.totalUnread.value;
    const title = t("app.title");
    document.title = unread > 0 ? `(${unread}) ${title}` : title;
  });
  effect(() => {
    document.documentElement.lang = lang.value;
  });
  actions.visibilityChanged(state, document.visibilityState === "visible");
  document.addEventListener("visibilitychange", () => {
    actions.visibilityChanged(state, document.visibilityState === "visible");
  });
  // Browsers let a page make sound only after the user touched it.
  const unlock = () => notifier.unlock();
  addEventListener("pointerdown", unlock, { capture: true });
  addEventListener("keydown", unlock, { capture: true });
}

/**
 * Opens invite links (`/#/invite/<code>/<room>`): at once when logged in,
 * else right after the login, which keeps the address as it is.
 */
function followInvites(state: AppState, connection: Connection): void {
  let waiting = parseInviteHash(location.hash);
  function open(): void {
    if (
      waiting === null || state.username.value === null ||
      state.status.value.kind !== "online" || state.resuming.value
    ) {
      return;
    }
    const route = waiting;
    waiting = null;
    // The link is used: a reload must not try it again.
    history.replaceState(null, "", location.pathname + location.search);
    untracked(() =>
      void connection.openInvite(route).then((error) =>
        actions.errorShown(state, error)
      )
    );
  }
  addEventListener("hashchange", () => {
    waiting = parseInviteHash(location.hash) ?? waiting;
    open();
  });
  effect(open);
}

/**
 * Opens message links (`/#/room/<room>/<seq>`, `/#/dm/<a>/<b>/<seq>`: client/
 * message_link.ts) as a search result opens its message: at once when
 * logged in, else once the login has shown its room (a jump before would
 * be covered by the login's page of latest messages). The address is left without the
 * link once followed, so that a reload does not jump again and the same
 * link clicked again in a message is a change the page hears.
 */
function followMessageLinks(services: AppServices): void {
  const { state } = services;
  let waiting = parseMessageHash(location.hash);
  function open(): void {
    const me = state.username.value;
    if (
      waiting === null || me === null || !state.entered.value ||
      state.status.value.kind !== "online" || state.resuming.value
    ) {
      return;
    }
    const route = waiting;
    waiting = null;
    history.replaceState(null, "", location.pathname + location.search);
    const place = routePlace(route, me);
    untracked(() => {
      if (place === null) {
        actions.errorShown(state, { message: t("link.notYours") });
      } else if ("room" in place && previewedRoom(state, place.room)) {
        void preview(services, place.room, route.seq);
      } else {
        void jumpTo(services, place, route.seq);
      }
    });
  }
  addEventListener("hashchange", () => {
    waiting = parseMessageHash(location.hash) ?? waiting;
    open();
  });
  effect(open);
}

/**
 * The public room `room` as listed, when the account is not in it: a link
 * there shows the room and the message first, with a Join button, as
 * Slack's does, instead of joining at once. A guest's one room is where it
 * is taken (it belongs to none); a private room is not listed to an
 * outsider, whose link gets `join_room`'s refusal as before.
 */
function previewedRoom(state: AppState, room: string): RoomSummary | undefined {
  if (!state.account.value) return undefined;
  const key = nameKey(room);
  if (entry(state.memberships.value, key) !== undefined) return undefined;
  return state.rooms.value.find((r) =>
    nameKey(r.name) === key && r.private !== true
  );
}

/**
 * Reads the link's message (a public room's history is anyone's to read,
 * without joining) and opens the preview of its room.
 */
async function preview(
  services: AppServices,
  room: string,
  seq: number,
): Promise<void> {
  const { state, connection } = services;
  const listed = previewedRoom(state, room);
  if (!listed) return;
  const page = await connection.request("history", {
    room: listed.name,
    around_seq: seq,
    limit: 1,
  });
  const message = page.ok
    ? page.data.messages.find((m) => m.seq === seq) ?? null
    : null;
  actions.linkPreviewChanged(state, { room: listed, seq, message });
}

/** The conversations remembered under `key`; anything unreadable is left out. */
function readSaved(key: string): Conversation[] {
  try {
    const value: unknown = JSON.parse(readPref(key) ?? "[]");
    if (!Array.isArray(value)) return [];
    return value.filter((c): c is Conversation =>
      typeof c?.name === "string" && typeof c?.lastTs === "string"
    ).map((c) => ({ name: c.name, lastTs: c.lastTs }));
  } catch {
    return [];
  }
}

/** The remembered record of strings under `key` (drafts, visits: by log key); anything else reads as none. */
function readStrings(key: string): Record<string, string> {
  try {
    const value: unknown = JSON.parse(readPref(key) ?? "{}");
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      return {};
    }
    return Object.fromEntries(
      Object.entries(value).filter(([, text]) =>
        typeof text === "string" && text !== ""
      ),
    );
  } catch {
    return {};
  }
}

const root = document.getElementById("app");
// One bundle, four pages: the chat, /admin, the /reset form and the
// /verify-email link's page.
if (root && location.pathname === "/admin") startAdmin(root);
else if (root && location.pathname === "/reset") startReset(root);
else if (root && location.pathname === "/verify-email") {
  startVerifyEmail(root);
} else if (root) startClient(root);
