/**
 * delegate: a store made of parts answers as one store.
 */
import assert from "node:assert/strict";
import { delegate } from "../server/store/parts.ts";

interface Greeter {
  greet(name: string): Promise<string>;
}

class Greetings implements Greeter {
  #word: string;
  constructor(word: string) {
    this.#word = word;
  }
  greet(name: string): Promise<string> {
    return Promise.resolve(`${this.#word}, ${name}`);
  }
}

interface Shop extends Greeter {}
class Shop {
  #greetings: Greetings;
  constructor(word: string) {
    this.#greetings = new Greetings(word);
  }
  open(): string {
    return "open";
  }
  static {
    delegate(Shop, Greetings, (shop) => shop.#greetings);
  }
}

Deno.test("a store part's methods answer through the store, each store with its own part", async () => {
  const a = new Shop("hello");
  const b = new Shop("bonjour");
  assert.equal(await a.greet("ann"), "hello, ann");
  assert.equal(await b.greet("ann"), "bonjour, ann");
  assert.equal(a.open(), "open");
});

Deno.test("a store part's methods sit on the store's prototype, where its worker thread looks for them", () => {
  const names = Object.getOwnPropertyNames(Shop.prototype);
  assert.equal(names.includes("greet"), true);
  assert.equal(names.includes("open"), true);
});

Deno.test("a store part cannot lend a method the store already has", () => {
  class Other {
    open(): string {
      return "other";
    }
  }
  class Store {
    open(): string {
      return "store";
    }
  }
  assert.throws(
    () => delegate(Store, Other, () => new Other()),
    {
      name: "TypeError",
      message: "Store.open exists already: Other cannot lend it",
    },
  );
});

Deno.test("a store part lends methods only, not getters", () => {
  class Part {
    get size(): number {
      return 1;
    }
  }
  class Store {}
  assert.throws(
    () => delegate(Store, Part, () => new Part()),
    /Part\.size is not a method/,
  );
});
