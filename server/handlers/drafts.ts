import { fail, isFailure, type Outcome, succeed } from "../protocol/errors.ts";
import { MAX_MESSAGE_LENGTH } from "../protocol/limits.ts";
import { setDraftData } from "../protocol/schemas.ts";
import type { DraftEvent } from "../protocol/types.ts";
import { type StoredDraft } from "../store/mod.ts";
import { type MemberContext, parseData } from "./context.ts";
import { keptPlace } from "./own_place.ts";

/**
 * Drafts an account may keep at once. A person has a few; without a cap,
 * drafts to every account's name would be rows without end.
 */
export const MAX_DRAFTS = 200;

/**
 * Characters (code points) an account's drafts may hold together: 50
 * messages of the longest kind, or all 200 drafts of 1,000 characters. A
 * person keeps a few drafts of a line or two and now and then a long one;
 * 200 drafts of 4,000 emoji were 3.2 MB that each `list_drafts` read and
 * encoded on the thread that serves the sockets (a quarter of that now).
 */
export const MAX_DRAFT_CHARACTERS = 200_000;

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
  // An empty text clears the draft.
  const place = await keptPlace(ctx, data, {
    guests: "Guests keep their drafts in the browser: log in with an account.",
    adds: data.text !== "",
  });
  if (isFailure(place)) return place;
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
  const { stream, where } = place;
  const draft: StoredDraft = {
    stream,
    ...(where.with === undefined ? {} : { with: where.with }),
    text: data.text,
    updatedAt: Date.now(),
  };
  const written = await node.store.setDraft(
    member.userKey,
    draft,
    MAX_DRAFTS,
    MAX_DRAFT_CHARACTERS,
  );
  if (written === "too_many") {
    return fail(
      "too_many_drafts",
      `An account keeps at most ${MAX_DRAFTS} drafts: send or clear one.`,
    );
  }
  if (written === "too_long") {
    return fail(
      "drafts_too_long",
      `An account's drafts hold at most ${MAX_DRAFT_CHARACTERS} characters together: send or clear one.`,
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
 * it does not belong to are left out, as notification levels' are
 * (notifyLevelsOf). Leaving deletes a room's draft, but a leave (or
 * `remove_member`) between `set_draft`'s membership check and its write
 * leaves a row, which, named, would tell a former member that a private
 * room still exists (also one made again by others under its key). Such a
 * row is kept, unnamed, and shown again on a rejoin. Costs one read of the
 * account's rooms (none when it is online here: the registry has them).
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
  const [rows, rooms] = await Promise.all([
    node.store.listDrafts(member.userKey),
    node.roomsOf(member.userKey),
  ]);
  const drafts: DraftEvent[] = [];
  for (const draft of rows) {
    if (draft.with !== undefined) {
      drafts.push({ with: draft.with, ...wireDraft(draft) });
      continue;
    }
    const room = node.registry.roomName(draft.stream);
    if (room !== undefined && rooms.has(draft.stream)) {
      drafts.push({ room, ...wireDraft(draft) });
    }
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
