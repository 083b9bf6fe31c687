/**
 * A thread's count as the client shows it: of two states of one thread (a
 * message as served, a `replies_updated`), the later. Nodes read a thread's
 * count after each reply's commit and publish at once, so two events may
 * reach a reader in either order (count 2, then 1); the server numbers a
 * thread's states (`thread_version`: one per reply stored, one per reply
 * deleted), and the higher one wins, whatever came last.
 */

/** A thread's state as messages and `replies_updated` carry it. */
export interface ThreadCount {
  /** Its live replies; absent on a message while none. */
  reply_count?: number;
  /** The seq of its newest live reply, with `reply_count`. */
  last_reply_seq?: number;
  /** How many changes the thread has had; absent while none. */
  thread_version?: number;
}

/** A `replies_updated` as the client takes it: which message, and its thread. */
export interface ThreadEvent extends ThreadCount {
  id: string;
  seq: number;
}

/**
 * Whether `next` is a later state of the thread than `held`: a higher
 * `thread_version`. Equal versions are one state (or, at most, two read
 * at once, of which the later read's event comes with a higher version),
 * so the one held stays. Without versions on either side (a server before
 * them) the later arrival wins, as it did.
 */
export function isLaterThread(held: ThreadCount, next: ThreadCount): boolean {
  const was = held.thread_version ?? 0;
  const now = next.thread_version ?? 0;
  return now > was || (now === 0 && was === 0);
}

/**
 * `message` with the thread of `other` when `other`'s is the later, else
 * `message` itself (the same object): how a copy of a message that wins
 * for its text (an edit, a page read later) keeps a count that a newer
 * `replies_updated` brought.
 */
export function withLaterThread<M extends ThreadCount>(
  message: M,
  other: ThreadCount,
): M {
  const mine = message.thread_version ?? 0;
  if ((other.thread_version ?? 0) <= mine) return message;
  return threadOf(message, other);
}

/** `message` with the thread state `thread` (a count of 0: none shown). */
export function threadOf<M extends ThreadCount>(
  message: M,
  thread: ThreadCount,
): M {
  const {
    reply_count: _count,
    last_reply_seq: _last,
    thread_version: _version,
    ...rest
  } = message;
  return {
    ...rest,
    ...((thread.reply_count ?? 0) > 0 && thread.last_reply_seq !== undefined
      ? {
        reply_count: thread.reply_count,
        last_reply_seq: thread.last_reply_seq,
      }
      : {}),
    ...(thread.thread_version === undefined
      ? {}
      : { thread_version: thread.thread_version }),
  } as M;
}
