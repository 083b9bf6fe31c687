/**
 * GroupNames (server/group_names.ts): the node's keys of the user groups,
 * read once, shared by those who ask meanwhile, and read again after a
 * forget, a read under way then not kept.
 */
import assert from "node:assert/strict";
import { GroupNames } from "../server/group_names.ts";

/** A store whose groupKeys answers when told, counting its reads. */
function heldStore(keys: string[]) {
  const held: PromiseWithResolvers<string[]>[] = [];
  return {
    held,
    reads: () => held.length,
    groupKeys(): Promise<string[]> {
      const read = Promise.withResolvers<string[]>();
      held.push(read);
      return read.promise;
    },
    answer(i: number, answer = keys): void {
      held[i].resolve([...answer]);
    },
  };
}

Deno.test("group names are read once and then known at once, by those who asked meanwhile too", async () => {
  const store = heldStore(["crew"]);
  const names = new GroupNames(store);
  const first = names.keys();
  const second = names.keys();
  assert.equal(store.reads(), 1);
  store.answer(0);
  assert.deepEqual([...await first], ["crew"]);
  assert.deepEqual([...await second], ["crew"]);
  const known = names.keys();
  assert.ok(!(known instanceof Promise), "known without a promise");
  assert.deepEqual([...known], ["crew"]);
  assert.equal(store.reads(), 1);
});

Deno.test("group names forgotten are read again; a read under way when they are forgotten is not kept", async () => {
  const store = heldStore(["crew"]);
  const names = new GroupNames(store);
  const before = names.keys();
  // A group made while the first read was under way.
  names.forget();
  const after = names.keys();
  assert.equal(store.reads(), 2);
  // The older read answers last, with what it read before the group.
  store.answer(1, ["crew"]);
  assert.deepEqual([...await after], ["crew"]);
  store.answer(0, []);
  assert.deepEqual([...await before], []);
  const known = names.keys();
  assert.ok(!(known instanceof Promise));
  assert.deepEqual([...known], ["crew"]);
  names.forget();
  const again = names.keys();
  assert.equal(store.reads(), 3);
  store.answer(2, []);
  assert.deepEqual([...await again], []);
});

Deno.test("group names whose read failed are read again at the next ask", async () => {
  const store = heldStore([]);
  const names = new GroupNames(store);
  const failed = names.keys();
  store.held[0].reject(new Error("the store is down"));
  await assert.rejects(Promise.resolve(failed), /the store is down/);
  const again = names.keys();
  assert.equal(store.reads(), 2);
  store.answer(1, ["ops"]);
  assert.deepEqual([...await again], ["ops"]);
});
