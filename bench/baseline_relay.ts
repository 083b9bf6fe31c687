/**
 * The baseline the bench compares the chat server with: the least a relay
 * on Deno.serve can do. `login` puts a socket in `general`; `create_room`
 * and `join_room` move it to a room; `send_message` is answered with
 * success and broadcast as one receive_message frame (JSON.stringify once,
 * with the room's next seq) to every open socket of the sender's room;
 * anything else gets an empty success. No storage, no validation, no
 * batching. bench/baseline_bun.ts speaks the same subset on Bun.
 *
 *   deno run -A bench/baseline_relay.ts [--port 0]
 *
 * Prints "Listening on http://127.0.0.1:PORT" when ready; always binds
 * 127.0.0.1. `GET /metrics` gives its event-loop delay as the server's
 * /metrics does (server/loop_delay.ts), so that the bench shows what the
 * machine lets a bare relay's loop do beside the server's.
 */
import { parseArgs } from "node:util";
import { LoopDelayMonitor } from "../server/loop_delay.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { port: { type: "string", default: "0" } },
});

/** One socket's state. */
interface Client {
  name: string;
  room: string;
}

const rooms = new Map<string, Set<WebSocket>>();
const delay = new LoopDelayMonitor();
delay.start();
const seqs = new Map<string, number>();

function enter(socket: WebSocket, client: Client, room: string): void {
  rooms.get(client.room)?.delete(socket);
  client.room = room;
  let members = rooms.get(room);
  if (!members) rooms.set(room, members = new Set());
  members.add(socket);
}

function reply(request: { action: string; id?: string }, data: object) {
  return JSON.stringify({
    action: "success",
    ...(request.id === undefined ? {} : { id: request.id }),
    data: { request: request.action, ...data },
    timestamp: new Date().toISOString(),
  });
}

function onMessage(socket: WebSocket, text: string, client: Client) {
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
  if (request.action === "login") {
    client.name = String(request.data?.username ?? "guest");
    enter(socket, client, "general");
    socket.send(reply(request, {
      username: client.name,
      role: "user",
      room: "general",
      rooms: [],
    }));
  } else if (
    request.action === "create_room" || request.action === "join_room"
  ) {
    const room = String(request.data?.room ?? "general");
    enter(socket, client, room);
    socket.send(reply(request, { room, history: [] }));
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
    const frame = JSON.stringify({
      action: "receive_message",
      data: message,
      timestamp: ts,
    });
    socket.send(reply(request, { message }));
    for (const s of rooms.get(client.room) ?? []) {
      if (s.readyState === WebSocket.OPEN) s.send(frame);
    }
  } else {
    socket.send(reply(request, {}));
  }
}

Deno.serve({
  hostname: "127.0.0.1",
  port: Number(values.port),
  onListen: ({ hostname, port }) => {
    console.log(`Listening on http://${hostname}:${port}`);
  },
}, (req) => {
  if (req.headers.get("upgrade")?.toLowerCase() !== "websocket") {
    if (new URL(req.url).pathname === "/metrics") {
      return new Response(delay.render());
    }
    return new Response("baseline relay\n");
  }
  const { socket, response } = Deno.upgradeWebSocket(req);
  const client: Client = { name: "", room: "" };
  socket.onmessage = (e) => onMessage(socket, e.data as string, client);
  socket.onclose = () => rooms.get(client.room)?.delete(socket);
  socket.onerror = () => {};
  return response;
});

Deno.addSignalListener("SIGTERM", () => Deno.exit(0));
Deno.addSignalListener("SIGINT", () => Deno.exit(0));
