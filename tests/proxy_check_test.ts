/**
 * `http/proxy_check.ts`: the server names a `--trust-proxy` that does not
 * match how it is reached, once, in its log. Real server processes (their
 * log is what the operator reads), requests from 127.0.0.1 (a proxy on
 * this host) and from 127.0.0.2 (another machine, or a client that went
 * around the proxy).
 */
import assert from "node:assert/strict";
import net from "node:net";
import { spawnServer } from "./harness.ts";

const NO_TRUST = /but --trust-proxy is off/g;
const BYPASSED = /without the proxy \(no X-Forwarded-For\)/g;

/**
 * One HTTP/1.1 GET from `localAddress`, with `headers`; resolves with the
 * status once the server has answered and closed.
 */
function get(
  url: string,
  options: { path: string; localAddress: string; headers?: string[] },
): Promise<number> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    let received = "";
    const socket = net.connect({
      host: hostname,
      port: Number(port),
      localAddress: options.localAddress,
    });
    socket.on("connect", () => {
      socket.write(
        [
          `GET ${options.path} HTTP/1.1`,
          `Host: ${hostname}:${port}`,
          "Connection: close",
          ...(options.headers ?? []),
          "",
          "",
        ].join("\r\n"),
      );
    });
    socket.on("data", (chunk: Uint8Array) => {
      received += new TextDecoder().decode(chunk);
    });
    socket.on("error", reject);
    socket.on("close", () => {
      const status = /^HTTP\/1\.1 (\d{3})/.exec(received)?.[1];
      if (status) resolve(Number(status));
      else reject(new Error(`no HTTP answer: ${JSON.stringify(received)}`));
    });
  });
}

Deno.test("proxy check: without --trust-proxy, the first request a proxy on this host forwards is named in the log once; a client elsewhere claiming an address is not", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-proxy-check-" });
  const server = await spawnServer(["--db", `${dir}/chat.db`]);
  try {
    // A client that sends the header itself proves nothing about a proxy.
    assert.equal(
      await get(server.url, {
        path: "/api/rooms",
        localAddress: "127.0.0.2",
        headers: ["X-Forwarded-For: 198.51.100.1"],
      }),
      200,
    );
    // nginx on this host: loopback, and the client's address forwarded.
    for (const client of ["203.0.113.7", "203.0.113.8"]) {
      assert.equal(
        await get(server.url, {
          path: "/api/rooms",
          localAddress: "127.0.0.1",
          headers: [`X-Forwarded-For: ${client}`],
        }),
        200,
      );
    }
  } finally {
    // Stopped, the process has written all it will: the count is final.
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
  const output = server.output();
  assert.equal(output.match(NO_TRUST)?.length, 1, output);
  assert.match(output, /X-Forwarded-For from 127\.0\.0\.1\) but --trust-proxy/);
  assert.doesNotMatch(output, BYPASSED);
});

Deno.test("proxy check: with --trust-proxy, a request that went around the proxy is named in the log once with its address; the proxy's and a load balancer's /healthz are not", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-proxy-check-" });
  const server = await spawnServer(["--db", `${dir}/chat.db`, "--trust-proxy"]);
  try {
    // A load balancer's probe reaches the node directly.
    assert.equal(
      await get(server.url, { path: "/healthz", localAddress: "127.0.0.2" }),
      200,
    );
    // Through the proxy on this host.
    assert.equal(
      await get(server.url, {
        path: "/api/rooms",
        localAddress: "127.0.0.1",
        headers: ["X-Forwarded-For: 203.0.113.7"],
      }),
      200,
    );
    // Around it, twice.
    for (let i = 0; i < 2; i++) {
      assert.equal(
        await get(server.url, {
          path: "/api/rooms",
          localAddress: "127.0.0.2",
        }),
        200,
      );
    }
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
  const output = server.output();
  assert.equal(output.match(BYPASSED)?.length, 1, output);
  assert.match(output, /A request from 127\.0\.0\.2 \(\/api\/rooms\)/);
  assert.doesNotMatch(output, NO_TRUST);
});
