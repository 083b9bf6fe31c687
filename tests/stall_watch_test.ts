/**
 * The sweep that finds WebSockets whose client stopped reading
 * (server/http/stall_watch.ts), with sockets that only say their idle
 * timer and count their cuts. Through a real server: http_limits_test.ts.
 */
import assert from "node:assert/strict";
import { StallWatch, type Watched } from "../server/http/stall_watch.ts";

class FakeSocket implements Watched {
  timer: unknown = 1;
  stallTimer: unknown;
  stallSince = 0;
  cuts: string[] = [];
  idleTimer(): unknown {
    return this.timer;
  }
  cut(why: string): void {
    this.cuts.push(why);
  }
  sweeps = 0;
  behind(): void {
    this.sweeps++;
  }
}

function watchOf(
  sockets: FakeSocket[],
  idleTimeoutSeconds: number,
): StallWatch<FakeSocket> {
  return new StallWatch<FakeSocket>({
    open: () => sockets,
    count: () => sockets.length,
  }, { idleTimeoutSeconds });
}

Deno.test("stall watch: a socket whose idle timer stayed the same for the whole idle timeout is cut by the next sweep, one whose timer was armed again is not", () => {
  const stuck = new FakeSocket();
  const alive = new FakeSocket();
  const watch = watchOf([stuck, alive], 30);
  try {
    watch.opened(stuck);
    watch.opened(alive);
    watch.sweep();
    assert.deepEqual([stuck.cuts, alive.cuts], [[], []]);
    // 30 s later by their clocks: alive's timer was armed again meanwhile.
    stuck.stallSince -= 30_000;
    alive.stallSince -= 30_000;
    alive.timer = 2;
    watch.sweep();
    assert.deepEqual(stuck.cuts, []);
    watch.sweep();
    assert.equal(stuck.cuts.length, 1);
    assert.match(stuck.cuts[0], /nothing came in 30 s/);
    assert.deepEqual(alive.cuts, []);
    // Seen again now: its 30 s start over.
    alive.stallSince -= 29_000;
    watch.sweep();
    assert.deepEqual(alive.cuts, []);
  } finally {
    watch.stop();
  }
});

Deno.test("stall watch: after the server's own loop stood still past the idle timeout, a silent socket whose ping goes out once it runs again is not cut", () => {
  const silent = new FakeSocket();
  const watch = watchOf([silent], 30);
  try {
    watch.opened(silent);
    // The loop stood still 30 s: no ping could leave meanwhile.
    silent.stallSince -= 30_000;
    watch.sweep();
    // Running again, Deno's ping timer fired and its ping went out.
    silent.timer = 2;
    watch.sweep();
    assert.deepEqual(silent.cuts, []);
    // A new silence is counted afresh, and found once again first.
    silent.stallSince -= 30_000;
    watch.sweep();
    assert.deepEqual(silent.cuts, []);
  } finally {
    watch.stop();
  }
});

Deno.test("stall watch: with no idle timeout, a silent socket is never cut", () => {
  const silent = new FakeSocket();
  const watch = watchOf([silent], 0);
  try {
    watch.opened(silent);
    silent.stallSince -= 3_600_000;
    watch.sweep();
    assert.deepEqual(silent.cuts, []);
  } finally {
    watch.stop();
  }
});

Deno.test("stall watch: a socket the server asked to close is cut once the grace (half the idle timeout, 1 to 10 s) passed, not before, and not once it closed", async () => {
  assert.equal(watchOf([], 4).graceMs, 2000);
  assert.equal(watchOf([], 0).graceMs, 10_000);
  assert.equal(watchOf([], 3600).graceMs, 10_000);
  assert.equal(watchOf([], 1).graceMs, 1000);
  const closing = new FakeSocket();
  const polite = new FakeSocket();
  const sockets = [closing, polite];
  const watch = watchOf(sockets, 2);
  try {
    for (const socket of sockets) {
      watch.opened(socket);
      watch.closing(socket);
    }
    watch.sweep();
    assert.deepEqual([closing.cuts, polite.cuts], [[], []]);
    // polite answered its close.
    sockets.pop();
    watch.forget(polite);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    watch.sweep();
    assert.equal(closing.cuts.length, 1);
    assert.match(closing.cuts[0], /its close took over 1 s/);
    assert.deepEqual(polite.cuts, []);
  } finally {
    watch.stop();
  }
});
