/**
 * The second baseline: the relay of bench/baseline_relay.ts on Bun, with
 * Bun's native pub/sub (uWebSockets inside: `ws.subscribe(room)` and
 * `server.publish(room, frame)`, fanned out in native code). Same subset:
 * `login` (into `general`), `create_room` and `join_room` (move),
 * `send_message` (success, then receive_message with the room's next seq
 * to the room), anything else an empty success. A bench tool, never a
 * dependency of the server: bench/bun.ts installs Bun from npm.
 *
 *   bun bench/baseline_bun.ts [--port 0]
 *
 * Prints "Listening on http://127.0.0.1:PORT" when ready; always binds
 * 127.0.0.1. `GET /metrics` gives its event-loop delay, as the Deno
 * relay's does.
 */
import process from "node:process";
import { parseArgs } from "node:util";
import { LoopDelayMonitor } from "../server/loop_delay.ts";

/** One socket's state (Bun's `ws.data`). */
interface Client {
  name: string;
  room: string;
}

// The little of Bun's API this file uses, so that `deno check` reads it.
interface BunSocket {
  data: Client;
  send(text: string): number;
  subscribe(topic: string): void;
  unsubscribe(topic: string): void;
}
interface BunServer {
  hostname: string;
  port: number;
  upgrade(request: Request, options: { data: Client }): boolean;
  publish(topic: string, text: string): number;
}
interface BunServeOptions {
  hostname: string;
  port: number;
  fetch(request: Request, server: BunServer): Response | undefined;
  websocket: {
    message(ws: BunSocket, message: string | Uint8Array): void;
    close(ws: BunSocket): void;
  };
}
declare const Bun: { serve(options: BunServeOptions): BunServer };

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: { port: { type: "string", default: "0" } },
});

const seqs = new Map<string, number>();
const delay = new LoopDelayMonitor();
delay.start();

function enter(ws: BunSocket, room: string): void {
  if (ws.data.room !== "") ws.unsubscribe(ws.data.room);
  ws.data.room = room;
  ws.subscribe(room);
}

function reply(request: { action: string; id?: string }, data: object) {
  return JSON.stringify({
    action: "success",
    ...(request.id === undefined ? {} : { id: request.id }),
    data: { request: request.action, ...data },
    timestamp: new Date().toISOString(),
  });
}

function onMessage(ws: BunSocket, text: string): void {
  let request: {
    action: string;
    id?: string;
    data?: { username?: string; text?: string; room?: string };
  };
  try {
    request = JSON.parse(text);
  } catch {
    return;
  }
  const client = ws.data;
  if (request.action === "login") {
    client.name = String(request.data?.username ?? "guest");
    enter(ws, "general");
    ws.send(reply(request, {
      username: client.name,
      role: "user",
      room: "general",
      rooms: [],
    }));
  } else if (
    request.action === "create_room" || request.action === "join_room"
  ) {
    const room = String(request.data?.room ?? "general");
    enter(ws, room);
    ws.send(reply(request, { room, history: [] }));
  } else if (request.action === "send_message") {
    const ts = new Date().toISOString();
    const seq = (seqs.get(client.room) ?? 0) + 1;
    seqs.set(client.room, seq);
    const message = {
      id: `${client.room}-${seq}`,
      seq,
      room: client.room,
      user: client.name,
      text: String(request.data?.text ?? ""),
      ts,
    };
    ws.send(reply(request, { message }));
    server.publish(
      client.room,
      JSON.stringify({
        action: "receive_message",
        data: message,
        timestamp: ts,
      }),
    );
  } else {
    ws.send(reply(request, {}));
  }
}

const server = Bun.serve({
  hostname: "127.0.0.1",
  port: Number(values.port),
  fetch(request, server) {
    if (server.upgrade(request, { data: { name: "", room: "" } })) {
      return undefined;
    }
    if (new URL(request.url).pathname === "/metrics") {
      return new Response(delay.render());
    }
    return new Response("baseline relay (bun)\n");
  },
  websocket: {
    message(ws, message) {
      onMessage(
        ws,
        typeof message === "string"
          ? message
          : new TextDecoder().decode(message),
      );
    },
    close() {
      // Bun unsubscribes a closed socket from its topics by itself.
    },
  },
});
console.log(`Listening on http://${server.hostname}:${server.port}`);

process.on("SIGTERM", () => process.exit(0));
process.on("SIGINT", () => process.exit(0));
