/**
 * What a room message's `@` costs its send for the groups
 * (group_mentions.ts): the store reads of `groupMemberKeys`, counted and
 * timed through a wrapper, and the send's time and CPU when every name
 * is read for a group's (as before group_names.ts) and when the node's
 * keys of the groups answer (now), in alternated rounds, on SQLite and,
 * when PostgreSQL is installed, on PostgreSQL (tests/services.ts).
 *
 *   deno run -A bench/group_mentions.ts [messages=400] [rounds=6]
 *
 * One server in this process (client and server share its CPU, alike in
 * both modes); `ann` sends `messages` messages one after the other, each
 * waiting for its reply, `@ben hi` (a person named: the common `@`), in a
 * server with 20 groups of 8 members. Prints per mode the medians over
 * the rounds of each message's time and CPU (the spread: lowest and
 * highest round) and the reads a message made, then the median read.
 */
import { cpuUsage } from "node:process";
import { NO_RATE_LIMITS } from "../server/rate_limit.ts";
import type { Store } from "../server/store/mod.ts";
import { ClientPool, startTestServer } from "../tests/harness.ts";
import { startPostgres } from "../tests/services.ts";
import { load, median } from "./store_bench.ts";

const [messages = 400, rounds = 6] = Deno.args.map(Number);

type Mode = "read" | "none";

/** One round's figures: µs a message, wall and CPU. */
interface Round {
  mode: Mode;
  wallUs: number;
  cpuUs: number;
}

async function measure(kind: string, databaseUrl?: string): Promise<void> {
  const server = await startTestServer({
    rateLimits: NO_RATE_LIMITS,
    ...(databaseUrl ? { databaseUrl } : {}),
  });
  const pool = new ClientPool(server.wsUrl);
  try {
    const ann = await pool.register("ann");
    await pool.register("ben");
    // Registrations come 20 an hour from an address: 18 accounts.
    const names = Array.from({ length: 16 }, (_, i) => `m${i}`);
    for (const name of names) await pool.register(name);
    for (let g = 0; g < 20; g++) {
      await ann.ok("create_group", {
        name: `g${g}`,
        members: names.slice(g % 8, g % 8 + 8),
      });
    }
    const store: Store = server.node.store;
    const real = store.groupMemberKeys.bind(store);
    let calls = 0;
    const reads: number[] = [];
    store.groupMemberKeys = async (keys, options) => {
      calls++;
      const started = performance.now();
      const found = await real(keys, options);
      reads.push(performance.now() - started);
      return found;
    };
    // As before group_names.ts: every name is taken for a group's, read.
    const groupNames = server.node.groupNames;
    const known = groupNames.keys.bind(groupNames);
    const everyName: ReadonlySet<string> = new (class extends Set<string> {
      override has(): boolean {
        return true;
      }
    })();
    const modes: Record<Mode, () => void> = {
      read() {
        groupNames.keys = () => everyName;
      },
      none() {
        groupNames.keys = known;
      },
    };
    const callsOf: Record<Mode, number> = { read: 0, none: 0 };
    const results: Round[] = [];
    let sent = 0;
    // A warm-up round first, not counted.
    for (let round = -1; round < rounds * 2; round++) {
      const mode: Mode = round % 2 === 0 ? "read" : "none";
      modes[mode]();
      const callsBefore = calls;
      const cpu = cpuUsage();
      const started = performance.now();
      for (let i = 0; i < messages; i++) {
        await ann.ok("send_message", { text: `@ben hi ${sent++}` });
      }
      const wall = performance.now() - started;
      const used = cpuUsage(cpu);
      if (round >= 0) {
        callsOf[mode] += calls - callsBefore;
        results.push({
          mode,
          wallUs: wall * 1000 / messages,
          cpuUs: (used.user + used.system) / messages,
        });
      }
    }
    store.groupMemberKeys = real;
    groupNames.keys = known;
    console.log(`${kind} (load ${load()}), ${messages} messages a round:`);
    for (const mode of ["read", "none"] as const) {
      const mine = results.filter((r) => r.mode === mode);
      const show = (field: "wallUs" | "cpuUs") => {
        const values = mine.map((r) => r[field]);
        return `${median(values).toFixed(0)} µs (${
          Math.min(...values).toFixed(0)
        } to ${Math.max(...values).toFixed(0)})`;
      };
      console.log(
        `  ${mode === "read" ? "read each time  " : "the node's keys "}: ` +
          `a message ${show("wallUs")}, CPU ${show("cpuUs")}, ` +
          `${(callsOf[mode] / (messages * rounds)).toFixed(2)} reads a message`,
      );
    }
    console.log(
      `  a read: median ${
        (median(reads) * 1000).toFixed(0)
      } µs (${reads.length} timed)`,
    );
  } finally {
    await pool.closeAll();
    await server.close();
  }
}

await measure("SQLite");
const pg = await startPostgres();
if (pg) {
  try {
    await measure("PostgreSQL", await pg.createDatabase("group_mentions"));
  } finally {
    await pg.stop();
  }
} else {
  console.log("PostgreSQL: not installed, not measured");
}
