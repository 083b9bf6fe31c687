/**
 * Profile cards (Slack's and Mattermost's): an account says what it does
 * (`title`) and where its day runs (`timezone`), and whoever opens its name
 * sees them with its role, status and picture. Who may open whose card is
 * the user directory's rule (`find_people`): an account in a public room
 * or in a room the reader is in, not banned from the server. Nothing is
 * published: a card is read when it is opened.
 */
import { emailStateOf } from "./email.ts";
import { avatarOf } from "../avatars.ts";
import { fail, isFailure, type Outcome, succeed } from "../protocol/errors.ts";
import { nameKey } from "../protocol/names.ts";
import { getProfileData, setProfileData } from "../protocol/schemas.ts";
import type { Profile } from "../protocol/types.ts";
import type { Account, StoredProfile } from "../store/mod.ts";
import { type MemberContext, parseData } from "./context.ts";
import { statusOf } from "./status.ts";

/**
 * `set_profile {"title"?,"timezone"?}`: sets the fields given, "" clearing
 * one, and leaves the others. A cleared zone is kept as "", apart from
 * one never set: the account's own client offers the browser's zone for
 * the latter only, so "None" stays chosen. Guests have no profile, as no
 * status.
 */
export async function setProfile(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const data = parseData(setProfileData, raw);
  if (isFailure(data)) return data;
  const member = ctx.client.member;
  if (member.guest) {
    return fail("forbidden", "Guests have no profile: log in with an account.");
  }
  const changes: Partial<StoredProfile> = {};
  if (data.title !== undefined) {
    // NFC already (setProfileData): kept as its rules were checked.
    changes.title = data.title === "" ? null : data.title;
  }
  if (data.timezone !== undefined) changes.timezone = data.timezone;
  // A deleted account's sockets are closed with it: no row is no error
  // worth a code of its own (as set_status).
  await ctx.node.store.setProfile(member.userKey, changes);
  return succeed({});
}

/**
 * `get_profile {"name"}`: `{"profile":{…}}`, the card of an account the
 * reader may find in the directory (or its own); `user_not_found` for a
 * name the directory hides, as for none, so a card tells no more than
 * `find_people` does. Guests may not ask, as they may not look people up.
 */
export async function getProfile(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const data = parseData(getProfileData, raw);
  if (isFailure(data)) return data;
  const member = ctx.client.member;
  if (member.guest) {
    return fail(
      "forbidden",
      "Guests cannot open profiles: log in with an account.",
    );
  }
  const { store } = ctx.node;
  const key = nameKey(data.name);
  // The directory's own query, held to one key: a probe of the account,
  // its server ban and its first membership that lets the reader see it.
  const account: Account | undefined = key === member.userKey
    ? await store.findAccount(key)
    : (await store.findPeople({
      prefix: key,
      viewerKey: member.userKey,
      among: [key],
      limit: 1,
    }))[0];
  const kept = account ? await store.profile(account.key) : null;
  if (!account || !kept) {
    return fail("user_not_found", `No account is called '${data.name}'.`);
  }
  const [status, avatar] = await Promise.all([
    statusOf(ctx.node, account.key),
    avatarOf(ctx.node, account.key),
  ]);
  const profile: Profile = {
    name: account.username,
    role: account.role,
    created_at: new Date(account.createdAt).toISOString(),
  };
  if (kept.title !== null) profile.title = kept.title;
  // A cleared zone ("") is the account's own business: others see none.
  if (
    kept.timezone !== null &&
    (kept.timezone !== "" || account.key === member.userKey)
  ) profile.timezone = kept.timezone;
  if (status !== null) profile.status = status;
  if (avatar !== null) profile.avatar = avatar;
  // The address is its owner's and the admins' (who may need to reach
  // them): never another member's, moderators included.
  if (
    ctx.node.mail !== undefined &&
    (account.key === member.userKey || member.role === "admin")
  ) profile.email = await emailStateOf(ctx.node, account.key);
  return succeed({ profile });
}
