/**
 * Polls (`create_poll`, `vote`, `close_poll`): the poll as both stores keep
 * it, a JSON value in its message's row, and the rules of a vote. Pure: the
 * stores read the value, apply a change here and write it back in one
 * transaction (SQLite) or under the message's version (PostgreSQL).
 *
 * The voters are kept in the value itself rather than in a table of their
 * own: a poll is read with its message (no join on every history page),
 * and a vote rewrites one row. Cost: the row grows by about 50 bytes per
 * vote, rewritten whole at each vote (a poll of 1,000 voters is a 50 KB
 * write); an account's deletion walks the messages that carry a poll.
 */
import { MAX_POLL_VOTERS } from "./protocol/limits.ts";
import type { Poll } from "./protocol/types.ts";

/** A voter as the store keeps it: the account's key and its name then. */
export interface StoredVoter {
  key: string;
  name: string;
}

/** A poll as the stores keep it: the voters with their account keys. */
export interface StoredPoll {
  question: string;
  options: { text: string; voters: StoredVoter[] }[];
  multiple: boolean;
  closed: boolean;
}

/** One account's choice (`vote`): option indices, none to take it back. */
export interface VoteChange {
  kind: "vote";
  userKey: string;
  /** The account's name, as `voters` list it. */
  user: string;
  options: number[];
  /**
   * When the voting account was created (accountCreatedAt of its
   * identity): a vote of an account deleted since is refused (`gone`), as
   * a reaction is.
   */
  accountCreatedAt?: number;
}

/**
 * What `Store.changePoll` does to a message: gives it its poll (once, to
 * a message that has none), counts a vote, or closes the poll.
 */
export type PollChange =
  | { kind: "create"; poll: StoredPoll }
  | VoteChange
  | { kind: "close" };

/** Why a vote or a close changed nothing, or what it made. */
export type PollChangeResult =
  | { status: "not_found" | "not_a_poll" | "closed" | "bad_option" | "gone" }
  | { status: "done"; poll: StoredPoll; changed: boolean };

/**
 * The message's poll after `change`, from its poll now (null: none); the
 * account check of a vote (`gone`) is the store's.
 */
export function applyPollChange(
  poll: StoredPoll | null,
  change: PollChange,
): PollChangeResult {
  if (change.kind === "create") {
    return poll === null
      ? { status: "done", poll: change.poll, changed: true }
      : { status: "done", poll, changed: false };
  }
  if (poll === null) return { status: "not_a_poll" };
  return change.kind === "vote" ? castVote(poll, change) : closedPoll(poll);
}

/** A new poll, nobody's votes yet. */
export function newPoll(
  question: string,
  options: { texts: string[]; multiple: boolean },
): StoredPoll {
  return {
    question,
    options: options.texts.map((text) => ({ text, voters: [] })),
    multiple: options.multiple,
    closed: false,
  };
}

/**
 * The poll with `change`'s choice in place of the account's earlier one.
 * The same choice again changes nothing; an option kept keeps its place
 * in the voters' order.
 */
export function castVote(
  poll: StoredPoll,
  change: Pick<VoteChange, "userKey" | "user" | "options">,
): PollChangeResult {
  if (poll.closed) return { status: "closed" };
  const chosen = new Set(change.options);
  if (
    chosen.size !== change.options.length ||
    (!poll.multiple && chosen.size > 1) ||
    change.options.some((i) => i >= poll.options.length)
  ) return { status: "bad_option" };
  let changed = false;
  const options = poll.options.map((option, i) => {
    const had = option.voters.some((v) => v.key === change.userKey);
    if (had === chosen.has(i)) return option;
    changed = true;
    return {
      text: option.text,
      voters: had
        ? option.voters.filter((v) => v.key !== change.userKey)
        : [...option.voters, { key: change.userKey, name: change.user }],
    };
  });
  return { status: "done", poll: { ...poll, options }, changed };
}

/** The poll closed: no vote changes it after this. */
export function closedPoll(poll: StoredPoll): PollChangeResult {
  return poll.closed
    ? { status: "done", poll, changed: false }
    : { status: "done", poll: { ...poll, closed: true }, changed: true };
}

/** The poll without the votes of the account `key` (deleted); undefined when it had none. */
export function withoutVoter(
  poll: StoredPoll,
  key: string,
): StoredPoll | undefined {
  if (!poll.options.some((o) => o.voters.some((v) => v.key === key))) {
    return undefined;
  }
  return {
    ...poll,
    options: poll.options.map((o) => ({
      text: o.text,
      voters: o.voters.filter((v) => v.key !== key),
    })),
  };
}

/** The poll as readers are served it: counts and names, no account keys. */
export function pollOf(poll: StoredPoll): Poll {
  return {
    question: poll.question,
    options: poll.options.map((o) => ({
      text: o.text,
      votes: o.voters.length,
      voters: o.voters.slice(0, MAX_POLL_VOTERS).map((v) => v.name),
    })),
    multiple: poll.multiple,
    closed: poll.closed,
  };
}
