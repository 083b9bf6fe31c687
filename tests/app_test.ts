/**
 * The HTTP side of the app (server/app.ts): /healthz, /metrics, the
 * read-only API, the web client's files, and the security headers of every
 * page.
 */
import assert from "node:assert/strict";
import {
  eventually,
  httpGet,
  type Message,
  metric,
  PATIENT_WAIT_MS,
  range,
  sendMany,
  startTestServer,
  withClients,
} from "./harness.ts";
import { redisSkipReason, startRedis, startRedisOnPort } from "./services.ts";

Deno.test("http: /healthz answers 200 {status: ok}", () =>
  withClients(async (_pool, server) => {
    const response = await fetch(`${server.url}/healthz`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { status: "ok" });
  }));

Deno.test("http: /healthz answers 503 once the store is down", () =>
  withClients(async (_pool, server) => {
    await server.node.store.close();
    const response = await fetch(`${server.url}/healthz`);
    assert.equal(response.status, 503);
    await response.body?.cancel();
  }));

Deno.test("http: /metrics is Prometheus text with connections, messages and rooms", () =>
  withClients(async (pool, server) => {
    const alice = await pool.guest("alice");
    await alice.ok("send_message", { text: "counted" });
    await alice.ok("create_room", { room: "dev" });
    const response = await fetch(`${server.url}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /^text\/plain/);
    const body = await response.text();
    assert.match(body, /^# TYPE chat_connections gauge$/m);
    assert.match(body, /^chat_connections 1$/m);
    assert.match(body, /^chat_rooms 2$/m);
    assert.match(body, /^chat_messages_stored_total 1$/m);
    // Its search index thread has not died.
    assert.match(body, /^# TYPE chat_search_index_restarts_total counter$/m);
    assert.match(body, /^chat_search_index_restarts_total 0$/m);
    assert.match(body, /^chat_event_loop_delay_seconds\{quantile="0.99"\} /m);
    assert.match(body, /^chat_event_loop_delay_max_seconds /m);
    assert.match(body, /^# HELP /m);
    for (const line of body.split("\n")) {
      if (line === "" || line.startsWith("#")) continue;
      assert.match(
        line,
        /^[a-zA-Z_:][\w:]*(\{[^}]*\})? -?[\d.e+-]+|NaN|\+Inf$/,
        line,
      );
    }
  }));

Deno.test("http: /metrics has the store's health as /healthz sees it: chat_store_up 1, then 0 once the store is down", () =>
  withClients(async (_pool, server) => {
    assert.equal(await metric(server.url, "chat_store_up"), 1);
    assert.equal(await metric(server.url, "chat_disk_full"), 0);
    assert.equal(await metric(server.url, "chat_disk_read_only"), 0);
    await server.node.store.close();
    // The answer of the checks just made stands for 100 ms: ask again.
    await eventually(async () =>
      assert.equal(await metric(server.url, "chat_store_up"), 0)
    );
    // Down, but not for want of disk.
    assert.equal(await metric(server.url, "chat_disk_full"), 0);
    const health = await fetch(`${server.url}/healthz`);
    assert.equal(health.status, 503);
    await health.body?.cancel();
  }));

const redisSkip = redisSkipReason();

Deno.test({
  name: redisSkip
    ? `http: skipped chat_redis_up, ${redisSkip}`
    : "http: /metrics has Redis's health as /healthz sees it: chat_redis_up 1 while it carries fan-out and presence, 0 once it is gone, and no such series without --redis-url",
  ignore: redisSkip !== undefined,
  async fn() {
    let redis = (await startRedis())!;
    const server = await startTestServer({ redisUrl: redis.url });
    try {
      await eventually(async () =>
        assert.equal(await metric(server.url, "chat_redis_up"), 1)
      );
      await redis.stop();
      await eventually(async () =>
        assert.equal(await metric(server.url, "chat_redis_up"), 0)
      );
      const health = await fetch(`${server.url}/healthz`);
      assert.deepEqual(await health.json(), {
        status: "degraded",
        store: "ok",
        redis: "down",
      });
      // Back on its port: the node reconnects (and its retry timers end).
      redis = (await startRedisOnPort(redis.port))!;
      await eventually(
        async () => assert.equal(await metric(server.url, "chat_redis_up"), 1),
        { timeoutMs: PATIENT_WAIT_MS },
      );
    } finally {
      await server.close();
      await redis.stop();
    }
    const alone = await startTestServer();
    try {
      const { text } = await httpGet(`${alone.url}/metrics`);
      assert.match(text, /^chat_store_up 1$/m);
      assert.doesNotMatch(text, /chat_redis_up/);
    } finally {
      await alone.close();
    }
  },
});

Deno.test("http: /api/rooms lists rooms with their user counts", () =>
  withClients(async (pool, server) => {
    const alice = await pool.guest("alice");
    await pool.guest("bob");
    await alice.ok("create_room", { room: "Dev" });
    const response = await fetch(`${server.url}/api/rooms`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), {
      rooms: [{ name: "general", users: 1 }, { name: "Dev", users: 1 }],
    });
  }));

Deno.test("http: /api/rooms/:room/messages pages history like the history action", () =>
  withClients(async (pool, server) => {
    const alice = await pool.guest("alice");
    const sent = await sendMany(alice, range(1, 8).map((n) => `m${n}`));
    async function page(query: string): Promise<Message[]> {
      const response = await fetch(
        `${server.url}/api/rooms/general/messages${query}`,
      );
      assert.equal(response.status, 200, query);
      const body = await response.json();
      assert.equal(body.room, "general");
      return body.messages;
    }
    assert.deepEqual(await page(""), sent);
    assert.deepEqual((await page("?limit=2")).map((m) => m.seq), [7, 8]);
    assert.deepEqual((await page("?before_seq=4")).map((m) => m.seq), [
      1,
      2,
      3,
    ]);
    assert.deepEqual(
      (await page("?after_seq=5&limit=2")).map((m) => m.seq),
      [6, 7],
    );
    assert.deepEqual(
      (await page("?after_seq=1&before_seq=4")).map((m) => m.seq),
      [2, 3],
    );
    const missing = await fetch(`${server.url}/api/rooms/nope/messages`);
    assert.equal(missing.status, 404);
    await missing.body?.cancel();
  }));

Deno.test("http: GET / serves the web client when it is built", () =>
  withClients(async (_pool, server) => {
    const response = await fetch(`${server.url}/`);
    const built = await Deno.stat(
      new URL("../static/index.html", import.meta.url),
    ).then(() => true, () => false);
    if (built) {
      assert.equal(response.status, 200);
      assert.match(response.headers.get("content-type") ?? "", /text\/html/);
      assert.match(await response.text(), /<html|<!doctype html/i);
    } else {
      // The client is not built in this checkout: nothing to serve yet.
      await response.body?.cancel();
    }
  }));

Deno.test("http: responses carry nosniff and a CSP that forbids framing", () =>
  withClients(async (_pool, server) => {
    for (const path of ["/", "/healthz", "/api/rooms", "/no-such-page"]) {
      const response = await fetch(`${server.url}${path}`);
      await response.body?.cancel();
      assert.equal(
        response.headers.get("x-content-type-options"),
        "nosniff",
        path,
      );
      const csp = response.headers.get("content-security-policy") ?? "";
      assert.match(csp, /frame-ancestors 'none'/, path);
    }
  }));

Deno.test("http: every page has a CSP without 'unsafe-inline' scripts nor plugins that forbids framing, nosniff and a Referrer-Policy", () =>
  withClients(async (_pool, server) => {
    const paths = [
      "/",
      "/healthz",
      "/metrics",
      "/api/rooms",
      "/api/rooms/general/messages",
      "/api/rooms/nope/messages",
      "/api/session",
      "/ws",
      "/no-such-page",
      "/app.js",
    ];
    for (const path of paths) {
      const response = await fetch(`${server.url}${path}`);
      await response.body?.cancel();
      const headers = response.headers;
      const csp = headers.get("content-security-policy");
      assert.ok(csp, `${path}: no Content-Security-Policy`);
      const directives = new Map(
        csp.split(";").map((d) => d.trim().split(/\s+/)).filter((d) => d[0])
          .map(([name, ...values]) => [name, values]),
      );
      const scripts = directives.get("script-src") ??
        directives.get("default-src");
      assert.ok(scripts, `${path}: no script-src nor default-src`);
      assert.ok(!scripts.includes("'unsafe-inline'"), `${path}: ${csp}`);
      assert.ok(!scripts.includes("'unsafe-eval'"), `${path}: ${csp}`);
      assert.deepEqual(directives.get("frame-ancestors"), ["'none'"], path);
      assert.equal(headers.get("x-frame-options"), "DENY", path);
      // No plugin content, not even same-origin (that includes uploads).
      const objects = directives.get("object-src") ??
        directives.get("default-src");
      assert.deepEqual(objects, ["'none'"], path);
      assert.equal(headers.get("x-content-type-options"), "nosniff", path);
      assert.ok(headers.get("referrer-policy"), `${path}: no Referrer-Policy`);
    }
  }));

Deno.test("http: what /api/ answers is never stored by a browser or a proxy (Cache-Control: no-store), errors included", () =>
  withClients(async (pool, server) => {
    // The first account is the admin: its audit log holds addresses.
    const admin = await pool.register("root");
    await admin.ok("send_message", { text: "private enough" });
    const paths = [
      "/api/session",
      "/api/me",
      "/api/tokens",
      "/api/rooms",
      "/api/rooms/general/messages",
      "/api/rooms/nope/messages",
      "/api/search?q=private",
      "/api/admin/audit_log",
      "/api/admin/list_accounts",
      "/api/push/vapid-public-key",
    ];
    for (const path of paths) {
      const response = await fetch(`${server.url}${path}`, {
        headers: { authorization: `Bearer ${admin.token}` },
      });
      await response.body?.cancel();
      assert.equal(response.headers.get("cache-control"), "no-store", path);
    }
  }));
