import type { ControlEvent } from "./broker/mod.ts";
import { memberBan } from "./access.ts";
import { SERVER_ACTOR } from "./handlers/audit.ts";
import { log } from "./log.ts";
import { GENERAL_ROOM } from "./protocol/types.ts";
import type { Member, Members } from "./registry.ts";
import type { Store } from "./store/mod.ts";

const logger = log("standing");

/**
 * Re-reads from the store the standing of every connection of this node
 * (its session or token still there, no ban of the server or of the room
 * it looks at, its role) and applies, as control events on this node only,
 * what changed.
 *
 * Why: a ban, a password change, a revoked token or a new role decided on
 * another node reaches this one as a control event through Redis, which
 * keeps nothing. One published while Redis was away (killed, restarted) was
 * lost for this node: the banned user, or the socket of an ended session,
 * read on here for as long as it stayed connected. The node calls this once
 * its subscription is back, so anything stored before that is read here
 * and anything after comes through Redis again. What it costs: two to four
 * store reads per connection after each outage, none in ordinary running.
 * What it does not bring back: room-level changes other than a ban from the
 * room looked at (docs/security.md, Known limits).
 */
export async function recheckStanding(
  connections: Members,
  store: Store,
  apply: (event: ControlEvent) => void,
): Promise<void> {
  const now = Date.now();
  const done = new Set<string>();
  for (const member of [...connections]) {
    if (member.roomKey === undefined) continue;
    try {
      await recheckMember(member, store, now, apply, done);
    } catch (error) {
      // The store is away too: the next outage's end, or the session's own
      // expiry, checks again; nothing here is worse than before.
      logger.error("Cannot re-read the standing of {user}: {error}", {
        user: member.username,
        error: (error as Error).message,
      });
      return;
    }
  }
}

async function recheckMember(
  member: Member,
  store: Store,
  now: number,
  apply: (event: ControlEvent) => void,
  done: Set<string>,
): Promise<void> {
  const userKey = member.userKey;
  if (member.session !== undefined) {
    const session = await store.findSession(member.session.tokenHash);
    if (session === undefined || session.expiresAt <= now) {
      apply({
        kind: "end_sessions",
        userKey,
        session: member.session.tokenHash,
        reason: "Session ended",
      });
      return;
    }
  }
  if (member.apiToken !== undefined) {
    if (await store.findApiToken(member.apiToken) === undefined) {
      apply({
        kind: "end_sessions",
        userKey,
        token: member.apiToken,
        reason: "Token revoked",
      });
      return;
    }
  }
  if (!done.has(userKey)) {
    done.add(userKey);
    const ban = await memberBan(store, member);
    if (ban !== undefined) {
      apply({
        kind: "remove_user",
        userKey,
        reason: "banned",
        text: `${member.username} was banned by ${ban.by}: ${ban.reason}`,
        by: ban.by,
        because: ban.reason,
      });
      return;
    }
    if (!member.guest) {
      const account = await store.findAccount(userKey);
      if (account !== undefined && account.role !== member.role) {
        apply({
          kind: "role_changed",
          userKey,
          role: account.role,
          by: SERVER_ACTOR,
          user: account.username,
          createdAt: account.createdAt,
        });
      }
    }
  }
  const roomKey = member.roomKey;
  if (roomKey !== GENERAL_ROOM) {
    const roomBan = await memberBan(store, member, roomKey);
    if (roomBan?.roomKey === roomKey) {
      apply({
        kind: "evict_user",
        userKey,
        roomKey,
        text:
          `${member.username} was banned from ${roomKey} by ${roomBan.by}: ${roomBan.reason}`,
        by: roomBan.by,
        because: roomBan.reason,
      });
    }
  }
}
