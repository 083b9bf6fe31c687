/**
 * An import's user groups held to the server's caps, as `create_group` and
 * `update_group` hold them (store/mod.ts GroupCaps): at most MAX_GROUPS
 * groups, MAX_GROUP_MEMBERS members in one, MAX_GROUP_MEMBERSHIPS in all.
 * No server of ours passes them (the store checks them under its lock), so
 * a file past one was made by hand or by something else, and a server
 * fed it sent every account's `list_groups` past the size the caps keep
 * it to (limits.ts). Refused, not cut: which members to drop is the
 * operator's choice.
 *
 * The share of one account's groups (MAX_OWN_GROUP_MEMBERSHIPS) is not
 * held: an honest server passes it, a moderator's or an admin's writes to
 * an account's groups are held to the server's caps only, and a
 * moderator's groups stay as they are after a demotion. Refusing those
 * would refuse the server's own export; the account's next write that adds
 * members is refused there, as it would have been before the export.
 */
import {
  MAX_GROUP_MEMBERS,
  MAX_GROUP_MEMBERSHIPS,
  MAX_GROUPS,
} from "../protocol/limits.ts";

/** Counts an import's group and member lines against the caps. */
export class GroupCapCheck {
  #groups = 0;
  #memberships = 0;
  #members = new Map<string, number>();

  /** Why the next group line is one too many, or undefined. */
  group(): string | undefined {
    this.#groups++;
    return this.#groups > MAX_GROUPS
      ? `more than ${MAX_GROUPS} groups, which a server holds at most`
      : undefined;
  }

  /** Why the next member line of `group` is one too many, or undefined. */
  member(group: string): string | undefined {
    const members = (this.#members.get(group) ?? 0) + 1;
    this.#members.set(group, members);
    this.#memberships++;
    if (members > MAX_GROUP_MEMBERS) {
      return `the group "${group}" has more than ${MAX_GROUP_MEMBERS} ` +
        "members, which a group holds at most";
    }
    return this.#memberships > MAX_GROUP_MEMBERSHIPS
      ? `the groups have more than ${MAX_GROUP_MEMBERSHIPS} members in all ` +
        "(a member of two counting twice), which a server holds at most"
      : undefined;
  }
}
