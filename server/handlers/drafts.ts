import { fail, isFailure, type Outcome, succeed } from "../protocol/errors.ts";
import { MAX_MESSAGE_LENGTH } from "../protocol/limits.ts";
import { nameKey } from "../protocol/names.ts";
import { setDraftData } from "../protocol/schemas.ts";
import type { DraftEvent } from "../protocol/types.ts";
import { type StoredDraft } from "../store/mod.ts";
import { type MemberContext, parseData } from "./context.ts";
import { ownPlace } from "./own_place.ts";

/**
 * Drafts an account may keep at once. A person has a few; without a cap,
 * drafts to every account's name would be rows without end.
 */
export const MAX_DRAFTS = 200;

/**
 * `set_draft`: an account's unsent text in a room it belongs to or a
 * private conversation, stored so that its other devices show it; an empty
 * text deletes it. Its other connections, on every node, get `draft`.
 */
export async function setDraft(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const data = parseData(setDraftData, raw);
  if (isFailure(data)) return data;
  const { node } = ctx;
  const member = ctx.client.member;
  if (member.guest) {
    return fail(
      "forbidden",
      "Guests keep their drafts in the browser: log in with an account.",
    );
  }
  // Characters are code points, as a message's are.
  if (
    data.text.length > MAX_MESSAGE_LENGTH &&
    [...data.text].length > MAX_MESSAGE_LENGTH
  ) {
    return fail(
      "message_too_long",
      `A draft is at most ${MAX_MESSAGE_LENGTH} characters, as a message.`,
    );
  }
  const place = await ownPlace(ctx, data);
  if (isFailure(place)) return place;
  // A draft to nobody would be a row no conversation shows; clearing one
  // stays allowed (its account may have been deleted since). One account
  // read, as private_message makes, when its owner is not online here.
  if (
    data.with !== undefined && data.text !== "" &&
    await node.onlineName(nameKey(data.with)) === undefined &&
    await node.accounts.find(data.with) === undefined
  ) {
    return fail("user_not_found", `Nobody is called '${data.with}'.`);
  }
  const { stream, where } = place;
  const draft: StoredDraft = {
    stream,
    ...(where.with === undefined ? {} : { with: where.with }),
    text: data.text,
    updatedAt: Date.now(),
  };
  if (!await node.store.setDraft(member.userKey, draft, MAX_DRAFTS)) {
    return fail(
      "too_many_drafts",
      `An account keeps at most ${MAX_DRAFTS} drafts: send or clear one.`,
    );
  }
  const event: DraftEvent = { ...where, ...wireDraft(draft) };
  return succeed(
    { ...event },
    () =>
      node.publish({ kind: "user", key: member.userKey }, "draft", event, {
        exceptConnection: member.id,
      }),
  );
}

/**
 * `list_drafts`: the account's drafts, the newest first; those of rooms
 * that no longer exist are left out.
 */
export async function listDrafts(ctx: MemberContext): Promise<Outcome> {
  const { node } = ctx;
  const member = ctx.client.member;
  if (member.guest) {
    return fail(
      "forbidden",
      "Guests keep their drafts in the browser: log in with an account.",
    );
  }
  const drafts: DraftEvent[] = [];
  for (const draft of await node.store.listDrafts(member.userKey)) {
    if (draft.with !== undefined) {
      drafts.push({ with: draft.with, ...wireDraft(draft) });
      continue;
    }
    const room = node.registry.roomName(draft.stream);
    if (room !== undefined) drafts.push({ room, ...wireDraft(draft) });
  }
  return succeed({ drafts });
}

/** A stored draft's text and time as the protocol says them. */
function wireDraft(
  draft: StoredDraft,
): Pick<DraftEvent, "text" | "updated_at"> {
  return {
    text: draft.text,
    updated_at: new Date(draft.updatedAt).toISOString(),
  };
}
