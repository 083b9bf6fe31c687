import { randomBytes } from "node:crypto";
import { emailStateOf } from "./email.ts";
import { missedMailStateOf } from "./missed_mail.ts";
import type {
  Authenticated,
  LiveSession,
  Requester,
} from "../accounts/service.ts";
import { memberBan } from "../access.ts";
import { accountIdentity } from "../accounts/identity.ts";
import { reservedName } from "../accounts/reserved_names.ts";
import { hashToken } from "../accounts/tokens.ts";
import { log } from "../log.ts";
import {
  fail,
  type Failure,
  isFailure,
  type Outcome,
  rateLimited,
  succeed,
} from "../protocol/errors.ts";
import { cleanName, nameKey } from "../protocol/names.ts";
import {
  guestLoginData,
  loginOptionsData,
  passwordLoginData,
  registerData,
  tokenLoginData,
} from "../protocol/schemas.ts";
import {
  GENERAL_ROOM,
  type LoginSuccess,
  type PrivateMessage,
  type Role,
} from "../protocol/types.ts";
import type { Member, MemberSession } from "../registry.ts";
import { newRoomView } from "../room_changes.ts";
import {
  type MemberContext,
  parseData,
  type RequestContext,
} from "./context.ts";
import { CLOSE_SESSION_ENDED } from "../protocol/close_codes.ts";
import type { ChatNode } from "../node.ts";
import { notifyLevelsOf } from "./notify_levels.ts";
import { starsOf } from "./stars.ts";
import { sectionsOf } from "./sections.ts";
import { doNotDisturbOf } from "./do_not_disturb.ts";
import { statusOf } from "./status.ts";
import { avatarOf } from "../avatars.ts";

const logger = log("session");

/** Who is logging in, once proven. */
interface Identity {
  username: string;
  role: Role;
  guest: boolean;
  token?: string;
  /** The session an account logged in with. */
  session?: MemberSession;
  /** Or the personal access token's hash (Member.apiToken). */
  apiToken?: string;
  /** A bot account's (Member.bot). */
  bot?: true;
  /** Private messages to this name before this time are not theirs. */
  since: number;
  /** The holder beyond the name (Member.identity). */
  identity: string;
  /** A guest's secret, given back in the reply. */
  guestKey?: string;
  /** An account's 2FA, when its login knows it (a password's does). */
  totp?: boolean;
}

/**
 * `login`: as a guest (`username`), with a password (`username` and
 * `password`), with a session `token`, or with no data at all when the
 * WebSocket upgrade carried the web client's session cookie.
 */
export async function login(
  ctx: RequestContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  if (ctx.client.member) return alreadyLoggedIn();
  const options = parseData(loginOptionsData, raw);
  if (isFailure(options)) return options;
  let identity: Identity | Failure;
  if ("token" in raw) {
    const data = parseData(tokenLoginData, raw);
    identity = isFailure(data) ? data : await resume(ctx, data.token);
  } else if ("password" in raw) {
    const data = parseData(passwordLoginData, raw);
    identity = isFailure(data) ? data : toIdentity(
      await ctx.node.accounts.authenticate(data, requester(ctx)),
    );
  } else if ("username" in raw) {
    const data = parseData(guestLoginData, raw);
    identity = isFailure(data)
      ? data
      : await guest(ctx, data.username, data.guest_key);
  } else if (ctx.client.cookieToken !== undefined) {
    identity = await resume(ctx, ctx.client.cookieToken);
    // The cookie is HttpOnly: page scripts must not see the token.
    if (!isFailure(identity)) delete identity.token;
  } else {
    identity = fail(
      "invalid_message",
      "Send a 'username', a 'username' and 'password', or a 'token'.",
    );
  }
  if (isFailure(identity)) {
    logger.info("Login refused from {address}: {code}", {
      address: ctx.client.remoteAddress,
      code: identity.code,
    });
    return identity;
  }
  return await enterServer(ctx, identity, "login", options);
}

/** `register`: creates an account and logs this connection in with it. */
export async function register(
  ctx: RequestContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  if (ctx.client.member) return alreadyLoggedIn();
  const data = parseData(registerData.merge(loginOptionsData), raw);
  if (isFailure(data)) return data;
  const result = await ctx.node.accounts.register(data, requester(ctx));
  if (isFailure(result)) return result;
  logger.info("{name} registered an account ({role})", {
    name: result.account.username,
    role: result.account.role,
  });
  return await enterServer(
    ctx,
    toIdentity(result) as Identity,
    "register",
    data,
  );
}

// The address for the throttles; the signal drops a check still waiting
// when the connection closes.
function requester(ctx: RequestContext): Requester {
  return { address: ctx.client.remoteAddress, signal: ctx.client.signal };
}

/**
 * `logout`: ends this connection's session (an account's: on every node,
 * every socket that logged in with it closes with 4004; a guest's: this
 * connection). The reply comes first.
 */
export async function logout(ctx: MemberContext): Promise<Outcome> {
  const { node, client } = ctx;
  const member = client.member;
  const session = member.session;
  // A socket that logged in with an access token logs out as POST
  // /api/logout with it does: the token is revoked, not just this socket.
  const token = session ? undefined : member.apiToken;
  if (session) await node.accounts.endSession(session.tokenHash);
  else if (token) await node.accounts.revokeTokenHash(token);
  logger.info("{name} logged out", { name: member.username });
  return succeed({}, () => {
    if (session) {
      node.endSessions(
        member.userKey,
        { session: session.tokenHash },
        "Logged out",
      );
    } else if (token) {
      node.endSessions(member.userKey, { token }, "Token revoked");
    } else {
      client.disconnect(CLOSE_SESSION_ENDED, "Logged out");
    }
  });
}

function alreadyLoggedIn(): Failure {
  return fail("already_logged_in", "This connection is logged in already.");
}

function toIdentity(result: Authenticated | Failure): Identity | Failure {
  if (isFailure(result)) return result;
  return {
    username: result.account.username,
    role: result.account.role,
    guest: false,
    token: result.token,
    session: sessionOf(result.session),
    since: result.account.createdAt,
    identity: accountIdentity(result.account),
    totp: result.totp,
  };
}

function sessionOf(session: LiveSession): MemberSession {
  return { tokenHash: session.tokenHash, expiresAt: session.expiresAt };
}

async function resume(
  ctx: RequestContext,
  token: string,
): Promise<Identity | Failure> {
  const resumed = await ctx.node.accounts.resumeSession(token);
  if (isFailure(resumed)) return resumed;
  const { account, session, apiToken } = resumed;
  return {
    username: account.username,
    role: account.role,
    guest: false,
    token,
    // A personal access token has no session: it lasts until revoked.
    session: session && sessionOf(session),
    apiToken,
    bot: account.bot || undefined,
    since: account.createdAt,
    identity: accountIdentity(account),
  };
}

// A guest is whoever knows the key of its first login; only a hash of it
// is kept with messages.
function guestIdentity(userKey: string, key: string): string {
  return `g:${hashToken(`${userKey}\n${key}`).slice(0, 22)}`;
}

async function guest(
  ctx: RequestContext,
  rawName: string,
  givenKey: string | undefined,
): Promise<Identity | Failure> {
  if (ctx.client.mayLogInAsGuest?.() === false) {
    return fail(
      "rate_limited",
      "The server keeps its last connections for accounts, and guests hold the rest: log in to an account, or try again shortly.",
    );
  }
  const username = cleanName(rawName);
  if (username === null) {
    return fail(
      "username_invalid",
      "A username is 1 to 32 letters, digits, '_', '-' or '.', without spaces.",
    );
  }
  const reserved = reservedName(username);
  if (reserved) return reserved;
  if (await ctx.node.accounts.find(username)) {
    return fail(
      "username_taken",
      `The name '${username}' belongs to an account: log in with its password.`,
    );
  }
  const lookalike = await ctx.node.accounts.findLookingLike(username);
  if (lookalike) {
    return fail(
      "username_taken",
      `The name '${username}' looks like the account '${lookalike.username}'.`,
    );
  }
  const group = await ctx.node.accounts.groupRefusal(username);
  if (group) return group;
  // 128 random bits unless the guest comes back with the key it was given.
  const guestKey = givenKey ?? randomBytes(16).toString("base64url");
  return {
    username,
    role: "user",
    guest: true,
    since: Date.now(),
    identity: guestIdentity(nameKey(username), guestKey),
    guestKey,
  };
}

// Bans, then the name, then `general`: the reply goes first, then the
// notices, then private messages that waited for this account.
async function enterServer(
  ctx: RequestContext,
  identity: Identity,
  request: "login" | "register",
  options: { room_changes?: boolean; room_list_in_reply?: boolean },
): Promise<Outcome> {
  const { node, client } = ctx;
  const userKey = nameKey(identity.username);
  // The reply counts the unread messages of every room of an account:
  // its logins share one bucket on this node, whatever socket they come
  // through, so that reconnecting in a loop cannot repeat that cost at
  // will. A guest has no rooms to count.
  if (!identity.guest) {
    const wait = node.userLimits.take(userKey, "login");
    if (wait > 0) return rateLimited(wait);
  }
  // Accounts were checked by name already; guests by name and address.
  const ban = identity.guest
    ? await memberBan(node.store, {
      userKey,
      guest: true,
      address: client.remoteAddress,
    })
    : undefined;
  if (ban) {
    return fail("banned", `You are banned from this server: ${ban.reason}`);
  }
  if (client.member) return alreadyLoggedIn();
  const member: Member = {
    id: client.id,
    outbox: client.outbox,
    username: identity.username,
    userKey,
    address: client.remoteAddress,
    roomKey: "",
    role: identity.role,
    guest: identity.guest,
    since: identity.since,
    identity: identity.identity,
    session: identity.session,
    apiToken: identity.apiToken,
    bot: identity.bot,
    roomView: options.room_changes ? newRoomView() : undefined,
    // The node's lists skip this connection until its reply's list is made.
    listedInReply: options.room_list_in_reply ? {} : undefined,
    // Bound, not a closure: a closure here would keep this whole login's
    // scope alive as long as the connection (memory per idle connection).
    disconnect: client.disconnect.bind(client),
  };
  if (!await node.claim(member)) {
    logger.info("Rejected name {name} from {address}: in use", {
      name: identity.username,
      address: client.remoteAddress,
    });
    return fail("username_taken", `The name '${identity.username}' is in use.`);
  }
  // A guest's name: a create_group of it that committed while this login
  // was checked is seen here, now that the name is claimed, and
  // create_group reads the claim after its commit (handlers/groups.ts):
  // of the two, one sees the other, never both succeed. One store read
  // more per guest login.
  const grouped = identity.guest
    ? await node.accounts.groupRefusal(identity.username)
    : undefined;
  if (grouped) {
    node.removeMember(member);
    return grouped;
  }
  // Registered now: what ends the credential from here on closes this
  // socket; what ended it while this login was checked is seen here.
  const ended = identity.guest ? undefined : await node.accounts.recheck(
    userKey,
    { session: identity.session?.tokenHash, apiToken: identity.apiToken },
  );
  if (ended) {
    node.removeMember(member);
    return ended;
  }
  client.member = member;
  // The rooms deliver from the moment they are joined, but the reply's
  // counts may already hold those messages: they wait for it (and a
  // client skips what its numbers counted, docs/protocol.md, Login).
  const release = identity.guest ? undefined : client.holdEvents?.();
  let succeeded = false;
  try {
    // Only what was sent to this account: a message stored after a former
    // holder of the name was deleted (it waited for its commit meanwhile)
    // is taken and dropped, as its history is out of this one's reach.
    const pending = identity.guest
      ? []
      : await takePending(node, userKey, identity.since).catch(() => []);
    logger.info("{name} logged in ({how}) from {address}", {
      name: identity.username,
      how: identity.guest
        ? "guest"
        : request === "register"
        ? "new account"
        : "account",
      address: client.remoteAddress,
    });
    // An account gets the events of all its rooms from here on.
    const memberships = identity.guest
      ? undefined
      : await node.enterRooms(member);
    const announce = node.moveMember(member, GENERAL_ROOM);
    // Read after the move, so the list already counts the new user.
    const rooms = await node.roomSummaries(
      identity.guest ? undefined : userKey,
    );
    const reply: Omit<LoginSuccess, "request"> = {
      username: identity.username,
      role: identity.role,
      room: GENERAL_ROOM,
      rooms,
      limits: node.serverLimits(),
    };
    if (identity.token !== undefined) reply.token = identity.token;
    if (memberships) reply.memberships = memberships;
    if (!identity.guest) {
      // Read here, after the member was placed, not with the identity's
      // row (which holds both columns): a change another device makes in
      // between then reaches this socket as its event, where a read before
      // would answer the old value and miss the event. Two primary-key
      // reads a login of an account (stores25 measured 11 store calls
      // against 9 for a token login).
      reply.notify_levels = await notifyLevelsOf(node, userKey);
      // Its stars: one more range of the stars' primary key a login, read
      // here for the same reason (a star on another device meanwhile).
      reply.starred = await starsOf(node, userKey);
      // Its sidebar sections: two more ranges of primary keys (sections,
      // then items) for an account that has some, one for the others.
      const sections = await sectionsOf(node, userKey);
      if (sections !== undefined) reply.sections = sections;
      reply.do_not_disturb = await doNotDisturbOf(node, userKey);
      reply.status = await statusOf(node, userKey);
      reply.avatar = await avatarOf(node, userKey);
      // A token's login reads it (one read by key); a password's knows.
      reply.totp = identity.totp ??
        await node.accounts.twoFactor.enabled(userKey);
      // Messages under the name from before are a former holder's: the
      // client offers no Close on their polls (close_poll refuses them).
      reply.since = identity.since;
      // One read by key, only on a server that sends mail.
      if (node.mail !== undefined) {
        reply.email = await emailStateOf(node, userKey);
        reply.missed_mail = await missedMailStateOf(node, userKey);
      }
    }
    if (identity.guestKey !== undefined) reply.guest_key = identity.guestKey;
    if (client.isClosed) {
      // The socket died while this login was made. Its close saw no member
      // (or one about to be placed again): leave now, or the name would stay
      // online for good, and let what waited wait for the next login. A
      // message pushed to a socket that dies on the way is beyond what the
      // server can know: the conversation's history still has it.
      node.removeMember(member);
      await returnPending(ctx, userKey, pending, identity.since);
      return fail("internal", "The connection closed during login.");
    }
    succeeded = true;
    return succeed(reply, () => {
      // The reply is queued: from here the node's lists send this
      // connection what differs from the reply's list.
      node.repliedWithRooms(member, rooms);
      release?.();
      announce();
      pushPending(node, userKey, pending);
    });
  } finally {
    if (!succeeded) release?.();
  }
}

// Takes the private messages waiting for this account: those from before
// `since` were sent to a former holder of the name and are dropped.
async function takePending(
  node: ChatNode,
  userKey: string,
  since: number,
): Promise<PrivateMessage[]> {
  return (await node.store.takeUndelivered(userKey))
    .filter((message) => Date.parse(message.ts) >= since);
}

// Pushes taken private messages to the account's sockets, on every node.
function pushPending(
  node: ChatNode,
  userKey: string,
  messages: PrivateMessage[],
): void {
  for (const message of messages) {
    node.publish(
      { kind: "user", key: userKey },
      "private_message",
      node.files.signed(message),
    );
  }
}

// Puts taken private messages back to wait; a store failure only loses the
// push, never the message (the conversation's history keeps it).
//
// A login of the same account on another socket meanwhile (another device)
// may have looked for waiting messages before these were back, and would
// never get them pushed. It claimed the name before it looked, and this
// login left before putting them back: so either it found them, or it is
// seen online here, and they are taken again and pushed to it. Costs one
// presence read per login whose socket died while it was made.
async function returnPending(
  ctx: RequestContext,
  userKey: string,
  pending: { id: string }[],
  since: number,
): Promise<void> {
  if (pending.length === 0) return;
  const { node } = ctx;
  let putBack = false;
  try {
    await node.store.returnUndelivered(userKey, pending.map((m) => m.id));
    putBack = true;
    if (await node.onlineName(userKey) === undefined) return;
    pushPending(node, userKey, await takePending(node, userKey, since));
  } catch (error) {
    // Which step failed: once put back, the messages wait for the next
    // login and only their push to the other socket is lost.
    if (putBack) {
      logger.error(
        "Put back {count} private messages, but could not take them again for another login: {error}",
        { count: pending.length, error },
      );
    } else {
      logger.error("Could not put back {count} private messages: {error}", {
        count: pending.length,
        error,
      });
    }
  }
}
