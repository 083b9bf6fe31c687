/**
 * Login, resume and logout, and the connection's state: what a session
 * sets up and what leaving it forgets.
 */

import { batch } from "@preact/signals";
import type {
  EmailState,
  LoginSuccess,
  Membership as ServerMembership,
  MissedMailState,
  Role,
} from "../../server/protocol/types.ts";
import { GENERAL_ROOM } from "../../server/protocol/types.ts";
import type { Words } from "../room_log.ts";
import {
  type AppState,
  type ConnectionStatus,
  entry,
  type Membership,
  put,
  type ReadMark,
  roomKey,
} from "../state.ts";
import { placeUnreadLine, setCounts } from "./counts.ts";
import { avatarsReset } from "./avatars.ts";
import { sectionsListed } from "./sections.ts";
import { starsListed } from "./stars.ts";

/** Records the socket's new state. */
export function connectionChanged(
  state: AppState,
  status: ConnectionStatus,
  resuming = false,
): void {
  batch(() => {
    state.status.value = status;
    state.resuming.value = resuming;
    if (status.kind !== "online") state.presenceKnown.value = false;
  });
}

/** The login's room shows its latest messages. */
export function chatEntered(state: AppState): void {
  state.entered.value = true;
}

/** Marks a login request as in flight. */
export function loginStarted(state: AppState): void {
  batch(() => {
    state.loginBusy.value = true;
    state.loginError.value = null;
  });
}

/** Shows why a login failed, said in the interface's language at each render. */
export function loginFailed(state: AppState, words: Words): void {
  batch(() => {
    state.loginBusy.value = false;
    state.loginError.value = words;
    state.sessionCheck.value = false;
  });
}

/** Forgets the last login error (the user changed how to log in), and a code's step. */
export function loginErrorCleared(state: AppState): void {
  batch(() => {
    state.loginError.value = null;
    state.loginTotp.value = false;
  });
}

/** The password was right and the account asks for its two-factor code. */
export function totpAsked(state: AppState): void {
  batch(() => {
    state.loginBusy.value = false;
    state.loginError.value = null;
    state.loginTotp.value = true;
  });
}

/** Two-factor authentication turned on or off from this page. */
export function totpChanged(state: AppState, on: boolean): void {
  batch(() => {
    state.totp.value = on;
  });
}

/** Ends the look for a saved session: the login form may show. */
export function sessionChecked(state: AppState): void {
  batch(() => {
    state.sessionCheck.value = false;
  });
}

/** Enters the chat after a successful login, in the room the server chose. */
export function loggedIn(
  state: AppState,
  data: LoginSuccess,
  account: boolean,
): void {
  batch(() => {
    state.loginBusy.value = false;
    state.loginError.value = null;
    state.loginTotp.value = false;
    state.sessionCheck.value = false;
    state.removal.value = null;
    state.username.value = data.username;
    state.role.value = data.role;
    state.staff.value = null;
    state.account.value = account;
    state.wayIn.value = account ? "account" : "guest";
    state.currentRoom.value = data.room;
    state.view.value = { kind: "room" };
    state.rooms.value = data.rooms;
    state.maxFileBytes.value = data.limits?.max_file_bytes ?? null;
    state.members.value = [];
    state.membersOwner.value = null;
    state.manages.value = {};
    state.doNotDisturb.value = data.do_not_disturb ?? null;
    starsListed(state, data.starred);
    sectionsListed(state, data.sections);
    // This account's, read once it is in (connection/saved.ts, and
    // connection/mod.ts for the scheduled).
    state.team.saved.value = null;
    state.team.scheduled.value = null;
    state.myStatus.value = data.status ?? null;
    state.totp.value = data.totp ?? false;
    state.email.value = data.email ?? null;
    state.missedMail.value = data.missed_mail ?? null;
    state.since.value = data.since ?? null;
    state.statuses.value = {};
    avatarsReset(state, data.username, data.avatar);
    membershipsLoaded(state, data);
    // The room landed in is opened as any other: its "new" line goes at
    // the read position the login reply gives.
    placeUnreadLine(state, roomKey(data.room));
  });
}

/** Applies a login made again after a reconnect: keeps rooms' logs and the current room. */
export function sessionResumed(state: AppState, data: LoginSuccess): void {
  batch(() => {
    state.username.value = data.username;
    state.role.value = data.role;
    state.rooms.value = data.rooms;
    // The operator may have changed it while this client was away.
    state.maxFileBytes.value = data.limits?.max_file_bytes ?? null;
    // Set or ended on another device while this one was away.
    state.doNotDisturb.value = data.do_not_disturb ?? null;
    starsListed(state, data.starred);
    sectionsListed(state, data.sections);
    state.myStatus.value = data.status ?? null;
    state.totp.value = data.totp ?? false;
    // Set or verified on another device, or by its link, while away.
    state.email.value = data.email ?? null;
    state.missedMail.value = data.missed_mail ?? null;
    // Statuses set or cleared while away came as no event: asked again.
    state.statuses.value = {};
    avatarsReset(state, data.username, data.avatar);
    membershipsLoaded(state, data);
  });
}

/** The way in this browser used last, as it kept it (anything else reads as none). */
export function wayInRemembered(state: AppState, kept: string | null): void {
  batch(() => {
    state.wayIn.value = kept === "account" || kept === "guest" ? kept : null;
  });
}

/** Returns to the login screen, forgetting the session's conversations. */
export function loggedOut(state: AppState, reason: Words | null = null): void {
  batch(() => {
    state.username.value = null;
    state.entered.value = false;
    state.role.value = null;
    state.staff.value = null;
    state.ignored.value = {};
    state.shownIgnored.value = {};
    state.groups.value = {};
    state.account.value = false;
    state.loginBusy.value = false;
    state.loginError.value = reason;
    state.sessionCheck.value = false;
    state.currentRoom.value = GENERAL_ROOM;
    state.view.value = { kind: "room" };
    state.logs.value = {};
    state.conversations.value = {};
    state.closedConversations.value = {};
    state.conversationsNext.value = null;
    state.members.value = [];
    state.membersOwner.value = null;
    state.memberships.value = {};
    state.readMarks.value = {};
    state.manages.value = {};
    state.inviteOpen.value = false;
    state.announcement.value = "";
    state.announcedId.value = null;
    state.switcherOpen.value = false;
    state.drawerOpen.value = false;
    state.membersOpen.value = false;
    state.unread.value = {};
    state.mentions.value = {};
    state.firstUnread.value = {};
    state.lineCounts.value = {};
    state.readHeld.value = null;
    state.notifyLevels.value = {};
    state.starred.value = {};
    state.sections.value = [];
    state.sectionWrites.value = { confirmed: [], pending: [] };
    state.pollChoices.value = {};
    state.pollVotes.value = {};
    state.doNotDisturb.value = null;
    state.team.saved.value = null;
    state.team.scheduled.value = null;
    state.myStatus.value = null;
    state.statuses.value = {};
    state.visited.value = {};
    state.skinTone.value = 0;
    state.typing.value = {};
    state.uploads.value = {};
    state.drafts.value = {};
    state.composing.value = null;
    state.editing.value = null;
    state.tapped.value = null;
    state.lightbox.value = null;
    state.profileCard.value = null;
    state.tokensOpen.value = false;
    state.totp.value = false;
    state.email.value = null;
    state.missedMail.value = null;
    state.since.value = null;
    state.hooksOpen.value = null;
    state.loadingOlder.value = {};
  });
}

/** Returns to the login screen because a moderator kicked or banned this user. */
export function removedByModerator(state: AppState, text: Words): void {
  batch(() => {
    loggedOut(state);
    state.removal.value = text;
  });
}

/** Records a role the server gave this user; others' ranks are read again. */
export function roleChanged(state: AppState, role: Role): void {
  batch(() => {
    state.role.value = role;
    state.staff.value = null;
  });
}

/** The memberships a login reply lists, with their read state; guests get none. */
function membershipsLoaded(state: AppState, data: LoginSuccess): void {
  const list: ServerMembership[] = data.memberships ?? [];
  const memberships: Record<string, Membership> = {};
  const marks: Record<string, ReadMark> = {};
  // Conversations keep their marks; rooms take the server's.
  for (const [key, mark] of Object.entries(state.readMarks.value)) {
    if (key.startsWith("@")) marks[key] = mark;
  }
  const privateRooms = new Set(
    data.rooms.filter((r) => r.private).map((r) => roomKey(r.name)),
  );
  for (const m of list) {
    const key = roomKey(m.room);
    put(memberships, key, { room: m.room, private: privateRooms.has(key) });
    put(marks, key, { lastRead: m.last_read_seq, lastSeq: m.last_seq });
  }
  for (const key of Object.keys(state.memberships.value)) {
    if (!entry(memberships, key)) {
      setCounts(state, key, { unread: 0, mentions: 0 });
    }
  }
  state.memberships.value = memberships;
  state.readMarks.value = marks;
  for (const m of list) setCounts(state, roomKey(m.room), m);
}

/** The account's email address set, removed or verified (here or elsewhere). */
export function emailChanged(state: AppState, email: EmailState): void {
  // A server without mail sends no event: the setting stays hidden.
  if (state.email.value !== null) state.email.value = email;
}

/** The missed-message mails setting changed (here, elsewhere, or by a mail's link). */
export function missedMailChanged(
  state: AppState,
  setting: MissedMailState,
): void {
  if (state.missedMail.value !== null) state.missedMail.value = setting;
}
