/**
 * The baseline the bench compares the chat server with: the least a relay
 * on Deno.serve can do for the fan-out scenario. `login` gets a success
 * reply; `send_message` is broadcast as one receive_message frame
 * (JSON.stringify once) to every open socket and answered with success.
 * No storage, no validation, no batching, one room.
 *
 *   deno run -A bench/baseline_relay.ts [--port 0]
 *
 * Prints "Listening on http://127.0.0.1:PORT" when ready; always binds
 * 127.0.0.1.
 */
import { parseArgs } from "node:util";

const { values } = parseArgs({
  args: Deno.args,
  options: { port: { type: "string", default: "0" } },
});

const sockets = new Set<WebSocket>();
let seq = 0;

function reply(request: { action: string; id?: string }, data: object) {
  return JSON.stringify({
    action: "success",
    ...(request.id === undefined ? {} : { id: request.id }),
    data: { request: request.action, ...data },
    timestamp: new Date().toISOString(),
  });
}

function onMessage(socket: WebSocket, text: string, user: { name: string }) {
  let request: {
    action: string;
    id?: string;
    data?: { username?: string; text?: string };
  };
  try {
    request = JSON.parse(text);
  } catch {
    return;
  }
  if (request.action === "login") {
    user.name = String(request.data?.username ?? "guest");
    socket.send(reply(request, {
      username: user.name,
      role: "user",
      room: "general",
      rooms: [],
    }));
  } else if (request.action === "send_message") {
    const ts = new Date().toISOString();
    const message = {
      id: String(++seq),
      seq,
      room: "general",
      user: user.name,
      text: String(request.data?.text ?? ""),
      ts,
    };
    const frame = JSON.stringify({
      action: "receive_message",
      data: message,
      timestamp: ts,
    });
    socket.send(reply(request, { message }));
    for (const s of sockets) {
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
    return new Response("baseline relay\n");
  }
  const { socket, response } = Deno.upgradeWebSocket(req);
  const user = { name: "" };
  socket.onopen = () => sockets.add(socket);
  socket.onmessage = (e) => onMessage(socket, e.data as string, user);
  socket.onclose = () => sockets.delete(socket);
  socket.onerror = () => {};
  return response;
});

Deno.addSignalListener("SIGTERM", () => Deno.exit(0));
Deno.addSignalListener("SIGINT", () => Deno.exit(0));
