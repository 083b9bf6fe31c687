/**
 * A store made of parts: one class per concept (accounts, sessions, files,
 * integrations...) over the store's one connection, seen from outside as one
 * `Store`. The store class keeps what must stay together (the connection,
 * the group commits of appends, start and close) and hands each other slice
 * of the interface to a part.
 *
 * `delegate` puts each public method of a part's class on the store's
 * prototype, forwarding to that store's own part. The part classes
 * `implements` their slice (`AccountStore`...), so `deno check` proves each
 * slice whole; the store class declares the slices it gets from parts by
 * interface merging (`interface SqliteStore extends AccountStore {}`). The
 * methods live on the prototype, where the store's worker thread finds what
 * it may forward (store_worker.ts). Cost: one more call per method, against
 * a hand-written forwarding line per method in each store.
 */

// Only its prototype and name are used: a class whose constructor is
// private (a store opened by a static `open`) lends and borrows as well.
interface Class<T> {
  readonly prototype: T;
  readonly name: string;
}

/**
 * Forwards every public method of `part`'s class from `store`'s prototype to
 * the part `of(store)` returns; call it once, in the store class's static
 * block (where `of` may read a `#private` field). A method the store, or an
 * earlier part, already has is a mistake: it throws, naming both.
 */
export function delegate<S extends object, P extends object>(
  store: Class<S>,
  part: Class<P>,
  of: (store: S) => P,
): void {
  const target = store.prototype as Record<string, unknown>;
  for (
    const [name, descriptor] of Object.entries(
      Object.getOwnPropertyDescriptors(part.prototype),
    )
  ) {
    if (name === "constructor") continue;
    if (typeof descriptor.value !== "function") {
      throw new TypeError(
        `${part.name}.${name} is not a method: a part lends methods only`,
      );
    }
    if (name in target) {
      throw new TypeError(
        `${store.name}.${name} exists already: ${part.name} cannot lend it`,
      );
    }
    Object.defineProperty(target, name, {
      value: function (this: S, ...args: unknown[]): unknown {
        return (of(this) as Record<string, (...a: unknown[]) => unknown>)
          [name](...args);
      },
      writable: true,
      configurable: true,
    });
  }
}
