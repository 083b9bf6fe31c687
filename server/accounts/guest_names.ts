/**
 * Names a guest online holds: an account or a group may not take one, nor
 * a look-alike of one (UTS #39 skeleton), or `@name` would read as both.
 * Presence knows the guests' skeletons (PresenceManager.guestLookingLike).
 */
import { fail, type Failure } from "../protocol/errors.ts";
import { nameKey } from "../protocol/names.ts";

/**
 * `username_taken` for `name`, which is, or looks like, the name of
 * `guest`, a guest online.
 */
export function guestRefusal(name: string, guest: string): Failure {
  return fail(
    "username_taken",
    nameKey(guest) === nameKey(name)
      ? `The name '${name}' is in use.`
      : `The name '${name}' looks like '${guest}', a guest's online.`,
  );
}
