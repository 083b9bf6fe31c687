/**
 * A poll under its message (docs/protocol.md, "Polls"): the question, an
 * option a button each with a bar and its count, the account's own choice
 * pressed, the voters' names shown on hover, focus and a long press. A
 * click or Enter votes (again on one's choice takes it back; in a poll of
 * several, each toggles); the author, the room's owner, moderators and
 * admins get "Close poll". Text rendered as text.
 */
import type { JSX } from "preact";
import { useEffect } from "preact/hooks";
import type { ChatMessage, Poll } from "../../server/protocol/types.ts";
import { nameKey } from "../../server/protocol/names.ts";
import { RANK } from "../../server/protocol/ranks.ts";
import * as actions from "../actions.ts";
import { useApp } from "../app_context.ts";
import { isAuthor } from "../ranks.ts";
import { entry } from "../state.ts";
import { useLongPress } from "../use_long_press.ts";
import { t, tn } from "../i18n.ts";

/** Props of {@linkcode PollCard}. */
export interface PollCardProps {
  message: ChatMessage;
  poll: Poll;
}

/**
 * The options a reader chose: those whose voters name `me`, and, where an
 * option's voters stop short of its votes (the first 100 only), those the
 * reader's last `vote` reply here (`known`) named. Past 100 voters the
 * names alone missed the reader's choice: its option showed unpressed,
 * and a click in a poll of several sent a choice without it, taking that
 * vote away.
 */
export function chosenBy(
  poll: Poll,
  me: string | null,
  known: readonly number[] | undefined,
): number[] {
  if (me === null) return [];
  const key = nameKey(me);
  return poll.options.flatMap((o, i) =>
    o.voters.some((v) => nameKey(v) === key) ||
      (o.votes > o.voters.length && known?.includes(i) === true)
      ? [i]
      : []
  );
}

/** The choice after a click on option `i`, from the choice `now`. */
export function nextChoice(
  poll: Poll,
  now: readonly number[],
  i: number,
): number[] {
  if (now.includes(i)) return now.filter((j) => j !== i);
  return poll.multiple ? [...now, i].sort((a, b) => a - b) : [i];
}

/** A poll's card. */
export function PollCard(props: PollCardProps): JSX.Element {
  const { state, connection } = useApp();
  const { message, poll } = props;
  const me = state.username.value;
  const account = state.account.value;
  const known = entry(state.pollChoices.value, message.id);
  const chosen = chosenBy(poll, me, known);
  // Past 100 voters its reader's own name may not be among them: asked
  // once it is shown (after a reload, a history page), unless known.
  const cut = poll.options.some((o) => o.votes > o.voters.length);
  const asks = cut && known === undefined && account;
  useEffect(() => {
    if (asks) connection.askPollChoice(message.id);
  }, [asks, message.id]);
  const total = poll.options.reduce((sum, o) => sum + o.votes, 0);
  const role = state.role.value;
  const mayClose = !poll.closed && account && me !== null && (
    isAuthor(state, message) ||
    (role !== null && RANK[role] >= RANK.moderator) ||
    state.membersOwner.value === nameKey(me)
  );
  const canVote = !poll.closed && account;
  async function choose(i: number): Promise<void> {
    if (!canVote) return;
    // A vote sent that the drawing may not show yet (state.pollVotes),
    // read now, not at the last render: a second click can come first.
    const sent = entry(state.pollVotes.value, message.id)?.choice;
    let now = sent ?? chosen;
    // Clicked before poll_choices answered: the options chosen that
    // `voters` does not show would be dropped (or a click meant to take
    // the vote back would cast it).
    if (cut && known === undefined && sent === undefined) {
      const mine = await connection.pollChoice(message.id);
      if ("error" in mine) return actions.errorShown(state, mine.error);
      now = chosenBy(poll, me, mine.options);
    }
    actions.errorShown(
      state,
      await connection.vote(message.id, nextChoice(poll, now, i)),
    );
  }
  async function close(): Promise<void> {
    actions.errorShown(state, await connection.closePoll(message.id));
  }
  const base = `poll-${message.id}`;
  return (
    <div
      class={`poll${poll.closed ? " closed" : ""}`}
      data-testid="poll"
      role="group"
      aria-label={t("poll.label", { question: poll.question })}
    >
      <div class="poll-question" data-testid="poll-question">
        {poll.question}
      </div>
      <ul class="poll-options">
        {poll.options.map((option, i) => (
          <PollOption
            key={i}
            option={option}
            share={total === 0 ? 0 : option.votes / total}
            mine={chosen.includes(i)}
            canVote={canVote}
            describedBy={`${base}-${i}`}
            onChoose={() => void choose(i)}
          />
        ))}
      </ul>
      <div class="poll-foot">
        <span class="poll-note" data-testid="poll-note">
          {poll.closed
            ? t("poll.closed")
            : poll.multiple
            ? t("poll.multiple")
            : t("poll.single")}
        </span>
        {mayClose && (
          <button
            type="button"
            class="button ghost small"
            data-testid="poll-close"
            onClick={() => void close()}
          >
            {t("poll.close")}
          </button>
        )}
      </div>
    </div>
  );
}

/** Props of {@linkcode PollOption}. */
interface PollOptionProps {
  option: Poll["options"][number];
  /** Its share of all votes, 0 to 1. */
  share: number;
  /** The reader chose it. */
  mine: boolean;
  canVote: boolean | null;
  /** The id of its voters' line. */
  describedBy: string;
  onChoose(): void;
}

/**
 * One option: a button with its bar and count, and its voters shown on
 * hover, keyboard focus and, on a touch screen, a long press (as a
 * reaction's names: a touch cannot hover, and phones never showed them).
 */
function PollOption(props: PollOptionProps): JSX.Element {
  const { option, mine } = props;
  const press = useLongPress();
  const voters = option.voters.length === 0
    ? t("poll.noVoters")
    : option.voters.join(", ") +
      (option.votes > option.voters.length
        ? " " + tn("react.more", option.votes - option.voters.length)
        : "");
  return (
    <li
      class={`poll-item${press.showing.value ? " show" : ""}`}
      onMouseLeave={press.hide}
    >
      <button
        type="button"
        class={`poll-option${mine ? " mine" : ""}`}
        data-testid="poll-option"
        aria-pressed={mine ? "true" : "false"}
        aria-disabled={props.canVote ? undefined : "true"}
        aria-describedby={props.describedBy}
        {...press.handlers}
        onBlur={press.hide}
        onClick={() => {
          // The long press showed who voted: that touch votes nothing.
          if (press.clickActs()) props.onChoose();
        }}
      >
        <span
          class="poll-bar"
          style={{ width: `${Math.round(props.share * 100)}%` }}
          aria-hidden="true"
        />
        <span class="poll-mark" aria-hidden="true">
          {mine ? "✓" : ""}
        </span>
        <span class="poll-text">{option.text}</span>
        <span class="poll-count" data-testid="poll-count">
          {tn("poll.votes", option.votes)}
        </span>
      </button>
      <span
        id={props.describedBy}
        class="poll-voters"
        role="tooltip"
        data-testid="poll-voters"
      >
        {voters}
      </span>
    </li>
  );
}
