/**
 * User groups (Slack's user groups, Zulip's groups, Mattermost's custom
 * groups): a name that mentions a team at once (`@design`). Any account
 * makes one; its creator, the moderators and the admins change or delete
 * it. A group's name is in the accounts' namespace (an account's name,
 * `here` and `room` are refused, and `register` of a group's name is), so
 * `@name` is one or the other. Every account's connection (no guest's), on every node,
 * hears each change (`group_updated`): the web client offers the groups
 * as it completes `@`. What a mention of a group does is
 * group_mentions.ts's.
 */
import type { ChatNode } from "../node.ts";
import {
  fail,
  type Failure,
  isFailure,
  type Outcome,
  succeed,
} from "../protocol/errors.ts";
import {
  MAX_GROUP_MEMBERS,
  MAX_GROUP_MEMBERSHIPS,
  MAX_GROUPS,
  MAX_OWN_GROUP_MEMBERSHIPS,
} from "../protocol/limits.ts";
import { cleanName, NAME_ALPHABET_RULE, nameKey } from "../protocol/names.ts";
import {
  createGroupData,
  deleteGroupData,
  emptyData,
  updateGroupData,
} from "../protocol/schemas.ts";
import type {
  Group,
  GroupChange,
  GroupUpdatedEvent,
} from "../protocol/types.ts";
import { reservedName } from "../accounts/reserved_names.ts";
import { guestRefusal } from "../accounts/guest_names.ts";
import type { GroupCaps, MembersRefusal, StoredGroup } from "../store/mod.ts";
import type { Member } from "../registry.ts";
import { type MemberContext, parseData } from "./context.ts";

const GUESTS = "Log in with an account to use groups.";

// The caps of a group's write (store/mod.ts GroupCaps) by `member`: a
// moderator's or an admin's write (groups made for the team, or a change
// to an account's group) is held to the server's caps only; an account's
// groups together to MAX_OWN_GROUP_MEMBERSHIPS, so that one account cannot
// take all of MAX_GROUP_MEMBERSHIPS (ten create_groups of 1,000 did,
// within the bucket's burst) and leave the others none.
function groupCaps(member: Member): GroupCaps {
  const caps = {
    maxMembers: MAX_GROUP_MEMBERS,
    maxMemberships: MAX_GROUP_MEMBERSHIPS,
  };
  return isStaff(member)
    ? caps
    : { ...caps, maxOwnMemberships: MAX_OWN_GROUP_MEMBERSHIPS };
}

/**
 * `create_group {"name","description"?,"members"?}`: a new group, its
 * creator the caller. Every account's connection gets `group_updated`.
 */
export async function createGroup(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const data = parseData(createGroupData, raw);
  if (isFailure(data)) return data;
  const member = ctx.client.member;
  if (member.guest) return fail("forbidden", GUESTS);
  const name = cleanName(data.name);
  if (name === null) {
    return fail(
      "username_invalid",
      `A group's name is as an account's: ${NAME_ALPHABET_RULE}.`,
    );
  }
  const reserved = reservedName(name);
  if (reserved) return reserved;
  const key = nameKey(name);
  // A guest online under the name or a look-alike of it would read as the
  // group, as it would as an account (register refuses them too). One
  // presence read.
  const guest = await ctx.node.presence.guestLookingLike(name);
  if (guest !== undefined) return guestRefusal(name, guest);
  const names = byKey(data.members ?? []);
  // The store refuses an account's or a group's name, and a look-alike
  // of one (Cyrillic `bоb` would read as `@bob`), as `register` does, in
  // the step that writes it: a register of the name at the same moment
  // makes the account or the group, never both.
  const stored = await ctx.node.store.createGroup({
    key,
    name,
    description: data.description ?? "",
    creatorKey: member.userKey,
    members: [...names.keys()],
  }, { maxGroups: MAX_GROUPS, ...groupCaps(member) });
  if ("taken" in stored) {
    return fail(
      "username_taken",
      nameKey(stored.taken) === key
        ? `The name '${name}' is an account's or a group's already.`
        : `The name '${name}' looks like '${stored.taken}', an account's or a group's.`,
    );
  }
  if ("key" in stored) {
    // A guest that claimed the name while the group was written: read
    // after the commit, as a guest's login reads the groups after its
    // claim (handlers/session.ts), so that one of the two sees the other.
    // The group is taken back before anyone is told of it; a node that
    // read the groups' keys meanwhile reads them again.
    const claimed = await ctx.node.presence.guestLookingLike(name);
    if (claimed !== undefined) {
      await ctx.node.store.deleteGroup(key);
      keysChanged(ctx.node);
      return guestRefusal(name, claimed);
    }
    keysChanged(ctx.node);
  }
  return written(ctx.node, stored, names);
}

/**
 * `update_group {"group","description"?,"add"?,"remove"?}`: changes a
 * group, for its creator, the moderators and the admins.
 */
export async function updateGroup(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const data = parseData(updateGroupData, raw);
  if (isFailure(data)) return data;
  const group = await ownGroup(ctx, data.group);
  if (isFailure(group)) return group;
  const names = byKey([...data.add ?? [], ...data.remove ?? []]);
  const stored = await ctx.node.store.updateGroup(group.key, {
    ...(data.description !== undefined
      ? { description: data.description }
      : {}),
    add: (data.add ?? []).map(nameKey),
    remove: (data.remove ?? []).map(nameKey),
  }, groupCaps(ctx.client.member));
  if (stored === undefined) return noSuchGroup(data.group);
  if (!("key" in stored)) return written(ctx.node, stored, names);
  // Only what the change did, as it asked it: an add or a remove is the
  // same on a page whatever else changed meanwhile.
  const now = new Set(stored.members.map(nameKey));
  const added = stored.members.filter((name) =>
    (data.add ?? []).some((asked) => nameKey(asked) === nameKey(name))
  );
  const removed = [...byKey(data.remove ?? []).entries()]
    .filter(([key]) => !now.has(key))
    .map(([key, asked]) =>
      group.members.find((name) => nameKey(name) === key) ?? asked
    );
  const changed: GroupChange = {
    ...(data.description !== undefined
      ? { description: stored.description }
      : {}),
    ...(added.length > 0 ? { added } : {}),
    ...(removed.length > 0 ? { removed } : {}),
  };
  return written(ctx.node, stored, names, changed);
}

/**
 * `delete_group {"group"}`: deletes a group, for its creator, the
 * moderators and the admins. Every account's connection gets
 * `group_updated` with `group` null.
 */
export async function deleteGroup(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const data = parseData(deleteGroupData, raw);
  if (isFailure(data)) return data;
  const group = await ownGroup(ctx, data.group);
  if (isFailure(group)) return group;
  if (!await ctx.node.store.deleteGroup(group.key)) {
    return noSuchGroup(data.group);
  }
  keysChanged(ctx.node);
  const event: GroupUpdatedEvent = { group: null, name: group.name };
  return succeed(
    { name: group.name },
    () => published(ctx.node, event),
  );
}

/** `list_groups {}`: every group, with its description and members. */
export async function listGroups(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const data = parseData(emptyData, raw);
  if (isFailure(data)) return data;
  if (ctx.client.member.guest) return fail("forbidden", GUESTS);
  const groups = await ctx.node.store.listGroups();
  return succeed({ groups: groups.map(shown) });
}

/**
 * The groups an account is a member or the creator of, read before its
 * deletion takes it out of them (handlers/admin.ts), so that
 * {@link groupsChanged} can tell every connection after. One read of
 * every group: deletions are an admin's, and rare.
 */
export async function groupsOfAccount(
  node: ChatNode,
  userKey: string,
): Promise<StoredGroup[]> {
  const groups = await node.store.listGroups();
  return groups.filter((group) =>
    group.creatorKey === userKey ||
    group.members.some((name) => nameKey(name) === userKey)
  );
}

/**
 * The `group_updated` events of the groups `userKey`'s deletion changed
 * (`before`: groupsOfAccount), each saying what it lost: the member, the
 * creator; without them every page kept showing the deleted name among
 * the members (and a new account of that name as one) until its next
 * login. Undefined when none changed.
 */
export function groupsChanged(
  node: ChatNode,
  before: readonly StoredGroup[],
  userKey: string,
): (() => void) | undefined {
  if (before.length === 0) return undefined;
  return () => {
    for (const group of before) {
      const member = group.members.find((name) => nameKey(name) === userKey);
      const changed: GroupChange = {
        ...(group.creatorKey === userKey ? { creator: null } : {}),
        ...(member !== undefined ? { removed: [member] } : {}),
      };
      published(node, { changed, name: group.name });
    }
  };
}

/** A group as the protocol shows it. */
export function shown(stored: StoredGroup): Group {
  return {
    name: stored.name,
    description: stored.description,
    creator: stored.creator,
    members: stored.members,
  };
}

// The group `name` when the caller may change it: its creator, a
// moderator or an admin.
async function ownGroup(
  ctx: MemberContext,
  name: string,
): Promise<StoredGroup | Failure> {
  const member = ctx.client.member;
  if (member.guest) return fail("forbidden", GUESTS);
  const group = await ctx.node.store.group(nameKey(name));
  if (!group) return noSuchGroup(name);
  if (!mayChange(member, group)) {
    return fail(
      "forbidden",
      `Only the group's creator, moderators and admins may change '${group.name}'.`,
    );
  }
  return group;
}

function mayChange(member: Member, group: StoredGroup): boolean {
  return isStaff(member) || group.creatorKey === member.userKey;
}

function isStaff(member: Member): boolean {
  return member.role === "admin" || member.role === "moderator";
}

// The reply and `group_updated` of a group written, or the refusal's
// error; `names` says the names asked for, by key, for an error to quote.
// The event is the whole group when it was made, else `changed`.
function written(
  node: ChatNode,
  stored: StoredGroup | MembersRefusal,
  names: Map<string, string>,
  changed?: GroupChange,
): Outcome {
  if ("unknown" in stored) {
    const who = stored.unknown.map((key) => `'${names.get(key) ?? key}'`);
    return fail("user_not_found", `No account is called ${who.join(", ")}.`);
  }
  if ("full" in stored) {
    return stored.full === "groups"
      ? fail(
        "too_many_groups",
        `This server has ${MAX_GROUPS} groups already: delete one first.`,
      )
      : stored.full === "memberships"
      ? fail(
        "group_full",
        `This server's groups have at most ${MAX_GROUP_MEMBERSHIPS} members in all: remove some first.`,
      )
      : stored.full === "own"
      ? fail(
        "group_full",
        `The groups one account made have at most ${MAX_OWN_GROUP_MEMBERSHIPS} members in all: remove some first.`,
      )
      : fail(
        "group_full",
        `A group has at most ${MAX_GROUP_MEMBERS} members.`,
      );
  }
  const group = shown(stored);
  const event: GroupUpdatedEvent = changed === undefined
    ? { group, name: group.name }
    : { changed, name: group.name };
  return succeed(
    { group },
    () => published(node, event),
  );
}

// Every account's connection, on every node, hears of a group's change;
// no guest's: groups are for accounts (list_groups refuses guests), and
// each event named the group's members to whoever sat in a guest's tab.
function published(node: ChatNode, event: GroupUpdatedEvent): void {
  node.publish({ kind: "everyone" }, "group_updated", event, {
    accountsOnly: true,
  });
}

// A group was created or deleted: every node reads the groups' keys
// again (group_names.ts), this one before it answers, so that the
// creator's next message names the group; the others before they hear
// group_updated, published after this.
function keysChanged(node: ChatNode): void {
  node.groupNames.forget();
  node.control({ kind: "groups_changed" });
}

// Names by their keys, the first spelling of each.
function byKey(names: readonly string[]): Map<string, string> {
  const keys = new Map<string, string>();
  for (const name of names) {
    const key = nameKey(name);
    if (!keys.has(key)) keys.set(key, name);
  }
  return keys;
}

function noSuchGroup(name: string): Failure {
  return fail("group_not_found", `No group is called '${name}'.`);
}
