import { log } from "../log.ts";
import { fail, isFailure, type Outcome, succeed } from "../protocol/errors.ts";
import { cleanName, nameKey } from "../protocol/names.ts";
import { loginData } from "../protocol/schemas.ts";
import { GENERAL_ROOM, type LoginSuccess } from "../protocol/types.ts";
import type { Member } from "../registry.ts";
import { parseData, type RequestContext } from "./context.ts";

const logger = log("session");

/** `login`: takes a guest name, places the user in `general`. */
export function login(
  ctx: RequestContext,
  raw: Record<string, unknown>,
): Outcome {
  if (ctx.client.member) {
    return fail("already_logged_in", "This connection is logged in already.");
  }
  const data = parseData(loginData, raw);
  if (isFailure(data)) return data;
  if (!("username" in data)) {
    return fail(
      "bad_credentials",
      "This server has no session with that token.",
    );
  }
  const username = cleanName(data.username);
  if (username === null) {
    logger.info("Rejected name {name} from {address}: invalid", {
      name: data.username.slice(0, 64),
      address: ctx.client.remoteAddress,
    });
    return fail(
      "username_invalid",
      "A username is 1 to 32 letters, digits, '_', '-' or '.', without spaces.",
    );
  }
  if (data.password !== undefined) {
    return fail("bad_credentials", "Wrong username or password.");
  }
  const member: Member = {
    id: ctx.client.id,
    outbox: ctx.client.outbox,
    username,
    userKey: nameKey(username),
    roomKey: "",
  };
  if (!ctx.node.registry.claim(member, { guest: true })) {
    logger.info("Rejected name {name} from {address}: taken", {
      name: username,
      address: ctx.client.remoteAddress,
    });
    return fail("username_taken", `The name '${username}' is in use.`);
  }
  ctx.client.member = member;
  logger.info("{name} logged in as a guest from {address}", {
    name: username,
    address: ctx.client.remoteAddress,
  });
  const announce = ctx.node.moveMember(member, GENERAL_ROOM);
  const reply: Omit<LoginSuccess, "request"> = {
    username,
    role: "user",
    room: GENERAL_ROOM,
    // Read after the move, so the list already counts the new user.
    rooms: ctx.node.registry.summaries(),
  };
  return succeed(reply, announce);
}
