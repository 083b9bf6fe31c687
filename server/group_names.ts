import type { GroupStore } from "./store/mod.ts";

/**
 * The keys of the server's user groups, kept by each node, so that a
 * room message that names people but no group (most messages with an
 * "@") reads nothing for its groups (group_mentions.ts). Read whole from
 * the store when first needed (at most MAX_GROUPS keys: 1,000 short
 * strings), and forgotten, to be read again, whenever a group is created
 * or deleted on any node (the `groups_changed` control event,
 * handlers/groups.ts) and after the broker's outage, which may have lost
 * such an event.
 *
 * Before it, every text with an "@" read the store for its groups: on
 * PostgreSQL a round trip (a median of 0.2 to 0.8 ms on a busy machine)
 * that was 15 % of such a send's time and 18 % of its CPU
 * (bench/group_mentions.ts, docs/performance.md).
 */
export class GroupNames {
  #store: Pick<GroupStore, "groupKeys">;
  #keys?: ReadonlySet<string>;
  #loading?: Promise<ReadonlySet<string>>;
  // One more at each forget: a read that began before it is not kept.
  #generation = 0;

  constructor(store: Pick<GroupStore, "groupKeys">) {
    this.#store = store;
  }

  /**
   * The groups' keys: at once when known, else one read (shared by those
   * who ask meanwhile).
   */
  keys(): ReadonlySet<string> | Promise<ReadonlySet<string>> {
    return this.#keys ?? (this.#loading ??= this.#load());
  }

  /** A group was created or deleted: the next {@linkcode keys} reads them. */
  forget(): void {
    this.#generation++;
    this.#keys = undefined;
    this.#loading = undefined;
  }

  async #load(): Promise<ReadonlySet<string>> {
    const generation = this.#generation;
    try {
      const keys = new Set(await this.#store.groupKeys());
      if (generation === this.#generation) this.#keys = keys;
      return keys;
    } finally {
      if (generation === this.#generation) this.#loading = undefined;
    }
  }
}
