/**
 * Tasks run at most `concurrency` at once, each free place given to the
 * owners in turn (round robin), first come first served within an owner.
 * Link previews run their fetches in it by the message's author: in one
 * queue for all (p-limit, first come first served), one account's flood
 * of links to a page that never answers (334 messages of 3 links, sent
 * in a second) held every place for the 5 s of each fetch, and everyone
 * else's links on the node waited behind it for 20 minutes (round 13).
 * Now another author's link is the next one asked for once a place comes
 * free. The cost: a Map entry an author with links waiting, and an
 * array's shift per task (an author's queue is short: link previews
 * bound it, mod.ts).
 */
export class FairQueue {
  #concurrency: number;
  #running = 0;
  #waiting = 0;
  // Insertion order is the turn: an owner served goes to the back.
  #queues = new Map<string, Array<() => void>>();

  constructor(concurrency: number) {
    this.#concurrency = concurrency;
  }

  /** Tasks waiting for a place, of every owner. */
  get waiting(): number {
    return this.#waiting;
  }

  /** Tasks of `owner` waiting for a place. */
  waitingOf(owner: string): number {
    return this.#queues.get(owner)?.length ?? 0;
  }

  /** Runs `task` in `owner`'s turn; its result. */
  run<T>(owner: string, task: () => Promise<T>): Promise<T> {
    const { promise, resolve, reject } = Promise.withResolvers<T>();
    const start = () => {
      this.#running++;
      Promise.resolve().then(task).then(resolve, reject).finally(() => {
        this.#running--;
        this.#next();
      });
    };
    const queue = this.#queues.get(owner);
    if (queue) queue.push(start);
    else this.#queues.set(owner, [start]);
    this.#waiting++;
    this.#next();
    return promise;
  }

  #next(): void {
    while (this.#running < this.#concurrency) {
      const first = this.#queues.entries().next();
      if (first.done) return;
      const [owner, queue] = first.value;
      const start = queue.shift()!;
      this.#queues.delete(owner);
      if (queue.length > 0) this.#queues.set(owner, queue);
      this.#waiting--;
      start();
    }
  }
}
