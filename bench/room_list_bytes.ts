/**
 * What the room list costs a bystander (docs/security.md, Known limits):
 * a server with 2,000 rooms, one client logging in and out in a loop, and
 * observers that count the bytes they receive, half of them asking for
 * `room_changes`, half not. Prints bytes per second per observer of each
 * kind. `deno run -A bench/room_list_bytes.ts [rooms] [observers] [seconds]`
 */
import { sleep } from "./proc.ts";

const [rooms = 2000, observers = 50, seconds = 10] = Deno.args.map(Number);

const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
const port = (probe.addr as Deno.NetAddr).port;
probe.close();
const server = new Deno.Command(Deno.execPath(), {
  args: [
    "run",
    "-A",
    "main.ts",
    "--db",
    ":memory:",
    "--host",
    "127.0.0.1",
    "--port",
    String(port),
    "--rate-limits",
    "off",
    "--max-rooms-per-user",
    "0",
    // One account makes every room, and belongs to each.
    "--max-memberships",
    "0",
    "--log-level",
    "warning",
  ],
  stdout: "null",
  stderr: "inherit",
}).spawn();
const url = `ws://127.0.0.1:${port}/ws`;
const encoder = new TextEncoder();

/** A socket that counts what it receives and answers requests in order. */
class Counter {
  /** Bytes received, by action. */
  bytes = new Map<string, number>();
  #socket: WebSocket;
  #waiting: ((data: string) => void)[] = [];
  constructor(socket: WebSocket) {
    this.#socket = socket;
    socket.onmessage = (event) => {
      for (const line of String(event.data).split("\n")) {
        const action = /"action":"(\w+)"/.exec(line)?.[1] ?? "?";
        const size = encoder.encode(line).length + 1;
        this.bytes.set(action, (this.bytes.get(action) ?? 0) + size);
        if (line.includes('"id":"')) this.#waiting.shift()?.(line);
      }
    };
  }
  static async open(): Promise<Counter> {
    for (;;) {
      try {
        const socket = new WebSocket(url);
        await new Promise((resolve, reject) => {
          socket.onopen = resolve;
          socket.onerror = reject;
        });
        return new Counter(socket);
      } catch {
        await sleep(100); // the server is still starting
      }
    }
  }
  request(action: string, data: Record<string, unknown>): Promise<string> {
    const reply = new Promise<string>((resolve) => this.#waiting.push(resolve));
    this.#socket.send(JSON.stringify({ action, id: "r", data }));
    return reply;
  }
  close(): void {
    this.#socket.close();
  }
}

const owner = await Counter.open();
await owner.request("register", {
  username: "owner",
  password: "x".repeat(12),
});
for (let i = 0; i < rooms; i++) {
  await owner.request("create_room", { room: `room${i}` });
}
const plain: Counter[] = [];
const changes: Counter[] = [];
for (let i = 0; i < observers; i++) {
  const c = await Counter.open();
  const changesToo = i % 2 === 1;
  await c.request("login", {
    username: `watcher${i}`,
    ...(changesToo ? { room_changes: true } : {}),
  });
  (changesToo ? changes : plain).push(c);
}
await sleep(1000);
for (const c of [...plain, ...changes]) c.bytes.clear();
const started = performance.now();
let logins = 0;
while (performance.now() - started < seconds * 1000) {
  const c = await Counter.open();
  await c.request("login", { username: `looper${logins++ % 2}` });
  c.close();
  await sleep(5);
}
const elapsed = (performance.now() - started) / 1000;
// KiB a second per observer of the group, of these actions (all: none).
const rate = (group: Counter[], ...actions: string[]) => {
  let sum = 0;
  for (const c of group) {
    for (const [action, bytes] of c.bytes) {
      if (actions.length === 0 || actions.includes(action)) sum += bytes;
    }
  }
  return (sum / group.length / elapsed / 1024).toFixed(2);
};
console.log(
  `${rooms} rooms, ${observers} observers, ${logins} logins in ${
    elapsed.toFixed(1)
  } s; KiB/s per observer:`,
);
console.log(
  `without room_changes: ${rate(plain, "room_list")} of room_list, ${
    rate(plain)
  } in all`,
);
console.log(
  `with room_changes: ${rate(changes, "room_list", "room_changes")} of ` +
    `room_list and room_changes, ${rate(changes)} in all`,
);
for (const c of [owner, ...plain, ...changes]) c.close();
server.kill("SIGTERM");
await server.status;
