import { fail, type Failure } from "../protocol/errors.ts";
import { nameKey } from "../protocol/names.ts";

/**
 * Words that mention many people at once (`@room`, server/mentions.ts;
 * `@here`, kept for the same use, as Slack and Mattermost have it): no new
 * account or guest may take them, so that `@room` never reads as one
 * person's name. Folded as names are (`Room`, full-width forms). An
 * account that held one before stays: its `@room` is then the room's
 * where its author may ping the room, and its own elsewhere
 * (room_mentions.ts).
 */
const RESERVED = new Set(["room", "here"]);

/** Why a new account or a guest may not take this name, if reserved. */
export function reservedName(username: string): Failure | undefined {
  if (!RESERVED.has(nameKey(username))) return undefined;
  return fail(
    "username_taken",
    `The name '${username}' is reserved: @${username} mentions a whole room.`,
  );
}
