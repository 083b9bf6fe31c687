/**
 * The Origin check of the WebSocket upgrade (server/websocket.ts): other
 * sites and look-alike hosts get 403; no Origin, the server's own and the
 * operator's allowed origins are let in.
 */
import assert from "node:assert/strict";
import { RawSocket, TestClient, withClients } from "./harness.ts";

Deno.test("transport: an upgrade from another site's Origin is refused with 403", () =>
  withClients(async (_pool, server) => {
    const raw = await RawSocket.open(server.wsUrl, {
      Origin: "http://evil.example",
    });
    raw.abort();
    assert.equal(raw.status, 403);
    await assert.rejects(
      TestClient.connect(server.wsUrl, {
        headers: { origin: "http://evil.example" },
      }),
    );
  }));

Deno.test("transport: an upgrade without Origin or from the server's own origin is allowed", () =>
  withClients(async (pool, server) => {
    const bare = await RawSocket.open(server.wsUrl);
    bare.abort();
    assert.equal(bare.status, 101);
    const own = await RawSocket.open(server.wsUrl, {
      Origin: server.url,
    });
    own.abort();
    assert.equal(own.status, 101);
    const client = await pool.connect({ headers: { origin: server.url } });
    await client.ok("login", { username: "alice" });
  }));

Deno.test("transport: an origin the operator allowed may connect", () =>
  withClients(async (pool, server) => {
    const ok = await RawSocket.open(server.wsUrl, {
      Origin: "http://ok.example",
    });
    ok.abort();
    assert.equal(ok.status, 101);
    const evil = await RawSocket.open(server.wsUrl, {
      Origin: "http://evil.example",
    });
    evil.abort();
    assert.equal(evil.status, 403);
    const client = await pool.connect({
      headers: { origin: "http://ok.example" },
    });
    await client.ok("login", { username: "alice" });
  }, { allowOrigins: ["http://ok.example"] }));

Deno.test("upgrade: an Origin of another site, 'null' or a look-alike host is refused with 403", () =>
  withClients(async (_pool, server) => {
    const port = new URL(server.url).port;
    for (
      const origin of [
        "http://evil.example",
        "null",
        `http://127.0.0.1.evil.example:${port}`,
        `http://evil.example:${port}`,
        "file://",
      ]
    ) {
      const raw = await RawSocket.open(server.wsUrl, { Origin: origin });
      raw.abort();
      assert.equal(raw.status, 403, origin);
    }
    const bare = await RawSocket.open(server.wsUrl);
    bare.abort();
    assert.equal(bare.status, 101);
  }));
