/**
 * The contract every login Throttle keeps (server/accounts/login_throttle.ts):
 * fixed windows per name and address (5) and per address (50) that refuse,
 * a name's failures from anywhere that only slow it down (a second per 50,
 * 10 s at most), a right password that starts its name and address afresh,
 * a withdrawn attempt that does not count, and throttles of other names
 * apart. Where several nodes share one (Redis), what one node counts, the
 * others see. Each implementation's test file calls {@link throttleContract};
 * the clock is the `now` each attempt passes.
 */
import assert from "node:assert/strict";
import type {
  Attempt,
  Refusal,
  Throttle,
  ThrottleOptions,
} from "../server/accounts/login_throttle.ts";

import { type NodesFixture, nodesTest } from "./nodes_fixture.ts";

const MINUTE = 60_000;
const T0 = 1_800_000_000_000;
const LOGIN: ThrottleOptions = { name: "login", windowMs: 15 * MINUTE };

function admitted(answer: Attempt | Refusal): Attempt {
  assert.ok(answer.admitted, `refused: wait ${JSON.stringify(answer)}`);
  return answer;
}

function refused(answer: Attempt | Refusal): Refusal {
  assert.ok(!answer.admitted, "admitted");
  return answer;
}

export function throttleContract(
  name: string,
  makeFixture: () => Promise<NodesFixture<ThrottleOptions, Throttle>>,
  options: { nodes: boolean },
): void {
  const test = nodesTest(name, makeFixture, { ...options, defaults: LOGIN });

  test("five attempts for a name from one address are admitted, the sixth waits for the window's end", async (open) => {
    const throttle = await open();
    for (let i = 0; i < 5; i++) {
      admitted(await throttle.admit("alice", "192.0.2.1", T0 + i));
    }
    const wait = refused(
      await throttle.admit("alice", "192.0.2.1", T0 + MINUTE),
    );
    assert.equal(wait.retryAfterMs, 14 * MINUTE);
    // The same name from elsewhere, and another name from here, go on.
    admitted(await throttle.admit("alice", "192.0.2.2", T0 + MINUTE));
    admitted(await throttle.admit("bob", "192.0.2.1", T0 + MINUTE));
    admitted(await throttle.admit("alice", "192.0.2.1", T0 + 15 * MINUTE));
  });

  test("fifty attempts from one address for any names are admitted, then it waits", async (open) => {
    const throttle = await open();
    for (let i = 0; i < 50; i++) {
      admitted(await throttle.admit(`user${i}`, "192.0.2.1", T0));
    }
    const wait = refused(await throttle.admit("zoe", "192.0.2.1", T0 + 1));
    assert.equal(wait.retryAfterMs, 15 * MINUTE - 1);
    admitted(await throttle.admit("zoe", "192.0.2.9", T0 + 1));
  });

  test("a name's failures from many addresses slow it down a second per fifty, never refuse it", async (open) => {
    const throttle = await open();
    for (let i = 0; i < 120; i++) {
      const attempt = admitted(
        await throttle.admit("alice", `198.51.100.${i}`, T0),
      );
      assert.equal(attempt.delayMs, Math.floor(i / 50) * 1000);
    }
    const owner = admitted(await throttle.admit("alice", "192.0.2.1", T0));
    assert.equal(owner.delayMs, 2000);
    owner.succeeded();
    // A success uncounts itself only: the others' failures still count.
    assert.equal(
      admitted(await throttle.admit("alice", "192.0.2.1", T0)).delayMs,
      2000,
    );
  });

  test("the slowdown stops at ten seconds", async (open) => {
    const throttle = await open({
      ...LOGIN,
      perName: 2,
      perAddress: Infinity,
    });
    let last = 0;
    for (let i = 0; i < 40; i++) {
      last = admitted(await throttle.admit("alice", `198.51.100.${i}`, T0))
        .delayMs;
    }
    assert.equal(last, 10_000);
  });

  test("a right password starts its name and address afresh", async (open) => {
    const throttle = await open();
    for (let i = 0; i < 4; i++) {
      admitted(await throttle.admit("alice", "192.0.2.1", T0));
    }
    admitted(await throttle.admit("alice", "192.0.2.1", T0)).succeeded();
    for (let i = 0; i < 5; i++) {
      admitted(await throttle.admit("alice", "192.0.2.1", T0 + 1));
    }
    refused(await throttle.admit("alice", "192.0.2.1", T0 + 2));
  });

  test("an attempt withdrawn (its password never checked) does not count, and settles once", async (open) => {
    const throttle = await open();
    for (let i = 0; i < 5; i++) {
      const attempt = admitted(await throttle.admit("alice", "192.0.2.1", T0));
      attempt.withdrawn();
      attempt.withdrawn();
    }
    for (let i = 0; i < 5; i++) {
      admitted(await throttle.admit("alice", "192.0.2.1", T0));
    }
    refused(await throttle.admit("alice", "192.0.2.1", T0));
  });

  test("an outcome settled after its window ended leaves the next window alone", async (open) => {
    const throttle = await open();
    const late = admitted(await throttle.admit("alice", "192.0.2.1", T0));
    for (let i = 0; i < 5; i++) {
      admitted(await throttle.admit("alice", "192.0.2.1", T0 + 15 * MINUTE));
    }
    late.withdrawn();
    refused(await throttle.admit("alice", "192.0.2.1", T0 + 15 * MINUTE));
  });

  test("throttles of other names count apart, and a limit may be none", async (open) => {
    const logins = await open();
    const registrations = await open({
      name: "register",
      perNameAndAddress: Infinity,
      perName: Infinity,
      perAddress: 20,
      windowMs: 60 * MINUTE,
    });
    for (let i = 0; i < 5; i++) {
      admitted(await logins.admit("alice", "192.0.2.1", T0));
    }
    for (let i = 0; i < 20; i++) {
      const attempt = admitted(await registrations.admit("", "192.0.2.1", T0));
      assert.equal(attempt.delayMs, 0);
    }
    const wait = refused(await registrations.admit("", "192.0.2.1", T0 + 1));
    assert.equal(wait.retryAfterMs, 60 * MINUTE - 1);
    refused(await logins.admit("alice", "192.0.2.1", T0 + 1));
  });

  test(
    "attempts on one node count on every node sharing the throttle",
    async (open) => {
      const [a, b] = [await open(), await open()];
      for (let i = 0; i < 3; i++) {
        admitted(await a.admit("alice", "192.0.2.1", T0));
      }
      for (let i = 0; i < 2; i++) {
        admitted(await b.admit("alice", "192.0.2.1", T0));
      }
      refused(await a.admit("alice", "192.0.2.1", T0));
      refused(await b.admit("alice", "192.0.2.1", T0));
    },
    { nodes: true },
  );
}
