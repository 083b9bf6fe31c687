/**
 * Polls (Zulip's `/poll`, Slack's and Mattermost's poll apps): a room
 * message whose text is the question and which carries `poll`
 * (server/polls.ts). `create_poll` sends it, `vote` sets an account's
 * choice, `close_poll` ends the voting; each change reaches the room's
 * readers as `message_updated`, in the order of the message's version.
 * Accounts only: a guest's name is not theirs for long, and a vote is
 * counted per account.
 */
import { accountCreatedAt } from "../accounts/identity.ts";
import {
  belongsTo,
  findReadable,
  findReadableRoom,
  mayReadAt,
  readerOf,
} from "../access.ts";
import {
  fail,
  type Failure,
  isFailure,
  type Outcome,
  succeed,
} from "../protocol/errors.ts";
import {
  MAX_POLL_OPTION,
  MAX_POLL_OPTIONS,
  MAX_POLL_QUESTION,
  MIN_POLL_OPTIONS,
} from "../protocol/limits.ts";
import {
  closePollData,
  createPollData,
  pollChoicesData,
  voteData,
} from "../protocol/schemas.ts";
import type { ChatMessage, PollChoiceEvent } from "../protocol/types.ts";
import { newPoll, type PollChange } from "../polls.ts";
import { conversationUsers, type PollResult } from "../store/mod.ts";
import { archivedRefusal, storeRefusing } from "./archive.ts";
import { appendRefusal, postRefusal } from "./post_check.ts";
import { type MemberContext, parseData } from "./context.ts";
import { messageNotFound } from "./messages.ts";
import { publishUpdate, readable } from "./message_updates.ts";
import { RANK } from "./roles.ts";

const GUESTS = "Log in with an account to create polls and vote.";

/**
 * `create_poll {room, question, options, multiple?}`: sends a poll to a
 * room the account belongs to; answers `{message}`, the message with its
 * `poll`, which the room's members get as any message.
 */
export async function createPoll(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const data = parseData(createPollData, raw);
  if (isFailure(data)) return data;
  const { node } = ctx;
  const member = ctx.client.member;
  if (member.guest) return fail("forbidden", GUESTS);
  const question = data.question.trim();
  const texts = data.options.map((o) => o.trim());
  const refusal = pollRefusal(question, texts);
  if (refusal !== undefined) return fail("invalid_message", refusal);
  const notFound = fail("room_not_found", `No room named '${data.room}'.`);
  const key = await findReadableRoom(node, readerOf(member), data.room);
  if (key === undefined || !node.registry.roomInfo(key)) return notFound;
  // A poll is a post, to a room its author belongs to.
  const refused = postRefusal(node, member, key, {
    belongs: await belongsTo(node, member.userKey, key),
  });
  if (refused) return refused;
  const post = {
    roomKey: key,
    userKey: member.userKey,
    user: member.username,
    sender: member.identity,
    roomCreatedAt: node.registry.createdAtOf(key),
    text: question,
  };
  let appended;
  try {
    appended = await node.store.appendMessage(post);
  } catch (error) {
    return appendRefusal(node, post, error);
  }
  node.metrics.messagesStored++;
  // Its poll in a second commit: the append's path (and PostgreSQL's
  // chat_append) stays the one every message takes. The message goes out
  // only after it, with its poll; should this commit fail, the question
  // stays as a plain message of its author's, who may delete it.
  const result = await node.store.changePoll(appended.message.id, {
    kind: "create",
    poll: newPoll(question, { texts, multiple: data.multiple ?? false }),
  });
  if (result.status !== "done") return messageNotFound(appended.message.id);
  const message = result.message as ChatMessage;
  return succeed({ message }, () => node.publishMessage(key, message));
}

/**
 * `vote {id, options}`: the account's choice in a poll it may read, in
 * place of its earlier one; `[]` takes the vote back. Answers `{options}`,
 * the account's choice now, in order: `voters` names only the first
 * 100 (MAX_POLL_VOTERS), so a client cannot always find it there. The
 * room's readers get the message again when the count changed, and the
 * account's other connections its choice (`poll_choice`).
 */
export async function vote(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const data = parseData(voteData, raw);
  if (isFailure(data)) return data;
  const member = ctx.client.member;
  if (member.guest) return fail("forbidden", GUESTS);
  const outcome = await changePoll(ctx, data.id, {
    kind: "vote",
    userKey: member.userKey,
    user: member.username,
    options: data.options,
    accountCreatedAt: accountCreatedAt(member.identity),
  });
  if (!outcome.ok) return outcome;
  // The store took exactly these (each once, else bad_option).
  const options = [...data.options].sort((a, b) => a - b);
  const published = outcome.after;
  // The same choice again changed nothing and sends nothing.
  if (!published) return succeed({ options });
  const event: PollChoiceEvent = { id: data.id, options };
  return succeed({ options }, () => {
    published();
    // Its other connections, on every node: past the 100 voters a poll
    // names, the counts that reach them cannot tell whose vote it was.
    ctx.node.publish(
      { kind: "user", key: member.userKey },
      "poll_choice",
      event,
      {
        exceptConnection: member.id,
      },
    );
  });
}

/**
 * `poll_choices {ids}`: the account's own choice in each of those polls
 * (a hundred at most) that it may read, `{choices: {id: [indices]}}`,
 * `[]` where it has none; ids of no poll, a deleted one or one it may not
 * read are left out, not refused (a page of history names them as it
 * finds them). For a client past the 100 `voters` a poll names, where its
 * reader's own name may not be: one read by the messages' ids, and a
 * read check per room rather than per poll.
 */
export async function pollChoices(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const data = parseData(pollChoicesData, raw);
  if (isFailure(data)) return data;
  const { node } = ctx;
  const member = ctx.client.member;
  if (member.guest) return fail("forbidden", GUESTS);
  const reader = readerOf(member);
  const rows = await node.store.pollChoices(member.userKey, [
    ...new Set(data.ids),
  ]);
  // A room's answer holds for each of its polls (a ban probe); a
  // conversation's depends on when the message was sent.
  const checks = new Map<string, Promise<boolean>>();
  const choices: [string, number[]][] = [];
  for (const row of rows) {
    const key = conversationUsers(row.stream) === undefined
      ? row.stream
      : `${row.stream} ${row.ts}`;
    let may = checks.get(key);
    if (may === undefined) {
      may = mayReadAt(node, reader, row);
      checks.set(key, may);
    }
    if (await may) choices.push([row.id, row.options]);
  }
  return succeed({ choices: Object.fromEntries(choices) });
}

/**
 * `close_poll {id}`: by the poll's author, a moderator or admin, or the
 * room's owner; no vote counts after it. Answers `{message}`.
 */
export async function closePoll(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const data = parseData(closePollData, raw);
  if (isFailure(data)) return data;
  return await changePoll(ctx, data.id, { kind: "close" });
}

// A vote or a close of a poll the member may read: the checks both share,
// the store's change, its answer and its event.
async function changePoll(
  ctx: MemberContext,
  id: string,
  change: PollChange,
): Promise<Outcome> {
  const { node } = ctx;
  const member = ctx.client.member;
  const record = await findReadable(node, readerOf(member), id);
  if (!record) return messageNotFound(id);
  if (record.message.poll === undefined) return notAPoll(id);
  if (change.kind === "close" && !mayClose(ctx, record)) {
    return fail(
      "forbidden",
      "Only the poll's author, the room's owner, moderators and admins may close it.",
    );
  }
  const archived = archivedRefusal(node, record.stream);
  if (archived) return archived;
  const result: PollResult | Failure = await storeRefusing(
    node,
    record.stream,
    () => node.store.changePoll(id, change),
  );
  if (isFailure(result)) return result;
  switch (result.status) {
    case "not_found":
      return messageNotFound(id);
    case "not_a_poll":
      return notAPoll(id);
    case "gone":
      return fail("forbidden", "Your account was deleted.");
    case "closed":
      return fail("poll_closed", "This poll is closed: no more votes.");
    case "bad_option":
      return fail(
        "invalid_message",
        "Choose options by their index, each once; one only unless the poll allows several.",
      );
  }
  const { message, changed } = result;
  const reply = { message: readable(node, record.stream, message) };
  if (!changed) return succeed(reply);
  return succeed(reply, () => publishUpdate(node, record.stream, message));
}

function mayClose(
  ctx: MemberContext,
  record: { userKey: string; stream: string; message: { ts: string } },
): boolean {
  const member = ctx.client.member;
  // Its author's only if sent since the account holds the name, as an
  // edit's (findOwn): a deleted author's kept poll is not the next
  // holder's of its name.
  const own = record.userKey === member.userKey &&
    Date.parse(record.message.ts) >= member.since;
  return own ||
    RANK[member.role] >= RANK.moderator ||
    ctx.node.registry.roomInfo(record.stream)?.owner === member.userKey;
}

function notAPoll(id: string): Failure {
  return fail("not_a_poll", `The message '${id.slice(0, 64)}' is no poll.`);
}

/** Why a poll's question and options (trimmed) are refused, if they are. */
export function pollRefusal(
  question: string,
  options: string[],
): string | undefined {
  if (question === "") return "A poll needs a question.";
  if ([...question].length > MAX_POLL_QUESTION) {
    return `A poll's question has at most ${MAX_POLL_QUESTION} characters.`;
  }
  if (options.length < MIN_POLL_OPTIONS || options.length > MAX_POLL_OPTIONS) {
    return `A poll has ${MIN_POLL_OPTIONS} to ${MAX_POLL_OPTIONS} options.`;
  }
  if (options.some((o) => o === "")) return "A poll's options are not empty.";
  if (options.some((o) => [...o].length > MAX_POLL_OPTION)) {
    return `A poll's option has at most ${MAX_POLL_OPTION} characters.`;
  }
  const seen = new Set(options.map((o) => o.toLowerCase()));
  if (seen.size !== options.length) {
    return "A poll's options are all different.";
  }
  return undefined;
}
