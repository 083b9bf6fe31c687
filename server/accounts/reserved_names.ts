import { fail, type Failure } from "../protocol/errors.ts";
import { nameSkeleton } from "../protocol/skeleton.ts";

/**
 * Words that mention many people at once (`@room`, server/mentions.ts;
 * `@here`, the room's members online, room_mentions.ts): no new account
 * or guest may take them, so that `@room` never reads as one person's
 * name. Compared by confusable skeleton (protocol/skeleton.ts, as names
 * that look alike are), so `Room`, Cyrillic `rооm`, `R00M`, `roorn` and
 * full-width forms are refused too: a look-alike would read as the word.
 * An account that held one before stays: its `@room` is then the room's
 * where its author may ping the room, and its own elsewhere
 * (room_mentions.ts).
 */
const RESERVED = new Set(["room", "here"].map(nameSkeleton));

/** Why a new account or a guest may not take this name, if reserved. */
export function reservedName(username: string): Failure | undefined {
  if (!RESERVED.has(nameSkeleton(username))) return undefined;
  return fail(
    "username_taken",
    `The name '${username}' is reserved: it reads as @room or @here, which mention a whole room.`,
  );
}
