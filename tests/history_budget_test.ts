/**
 * Scraping and amplification: history pages (WebSocket `history` and HTTP
 * `GET /api/rooms/:room/messages`, together) are a per-address budget, a
 * token bucket of 100 pages refilled at 10 a second, a page costing a
 * token per 128 Ki characters of its reply (server/page_budget.ts). Clients
 * act as other machines through a trusted proxy's X-Forwarded-For.
 */
import assert from "node:assert/strict";
import { DEFAULT_RATE_LIMITS } from "../server/rate_limit.ts";
import { type ClientPool, type TestServer, withClients } from "./harness.ts";

const BURST = DEFAULT_RATE_LIMITS.perAddress!.history!.burst;
const FROM = (address: string) => ({
  headers: { "x-forwarded-for": address },
});

async function page(server: TestServer, address: string) {
  const response = await fetch(`${server.url}/api/rooms/general/messages`, {
    headers: FROM(address).headers,
  });
  return {
    status: response.status,
    retryAfter: response.headers.get("retry-after"),
    body: await response.json(),
  };
}

function viaProxy(
  body: (pool: ClientPool, server: TestServer) => Promise<void>,
): Promise<void> {
  return withClients(body, { trustProxy: true });
}

Deno.test("history budget: past 100 pages an address gets HTTP 429 rate_limited with retry_after_ms, others do not", () =>
  viaProxy(async (_pool, server) => {
    // All at once, so that the refill during the burst stays small.
    const pages = await Promise.all(
      Array.from({ length: 3 * BURST }, () => page(server, "192.0.2.50")),
    );
    const served = pages.filter((p) => p.status === 200).length;
    const refused = pages.find((p) => p.status === 429);
    assert.ok(served >= BURST, `only ${served} pages served`);
    assert.ok(refused, "no page was refused");
    assert.equal(refused.body.error, "rate_limited");
    assert.ok(refused.body.retry_after_ms > 0);
    assert.ok(Number(refused.retryAfter) >= 1);
    assert.equal((await page(server, "192.0.2.51")).status, 200);
    // Loopback (a local proxy without --trust-proxy, the operator) is never
    // limited.
    for (let i = 0; i < BURST + 5; i++) {
      const response = await fetch(`${server.url}/api/rooms/general/messages`);
      assert.equal(response.status, 200);
      await response.body?.cancel();
    }
  }));

Deno.test("history budget: WebSocket history and HTTP pages from one address share the budget", () =>
  viaProxy(async (pool, server) => {
    const scraper = await pool.login(
      { username: "scraper" },
      FROM("192.0.2.60"),
    );
    await Promise.all(
      Array.from({ length: BURST / 2 }, () => page(server, "192.0.2.60")),
    );
    // Sent without waiting for replies, so the refill meanwhile stays
    // small; and not so many over that the connection is closed for it.
    const replies = await Promise.all(
      Array.from(
        { length: BURST / 2 + 40 },
        () => scraper.request("history", { room: "general" }),
      ),
    );
    const refused = replies.find((r) => r.action === "error");
    assert.ok(refused, "history was never limited");
    assert.equal(refused.data.code, "rate_limited");
    assert.ok((refused.data.retry_after_ms as number) > 0);
    // The connection stays open and other requests still work.
    await scraper.ok("list_rooms");
    const other = await pool.login({ username: "reader" }, FROM("192.0.2.61"));
    await other.ok("history", { room: "general" });
  }));

Deno.test("history budget: join_room, leave_room and list_pins, whose replies carry messages (the newest 50, up to 100 pinned), draw on it too", () =>
  viaProxy(async (pool) => {
    const scraper = await pool.login(
      { username: "joiner" },
      FROM("192.0.2.70"),
    );
    // Joining the room it is in answers its history each time (leaving
    // general is refused, but only once the budget let it through). All
    // sent at once, so that the refill meanwhile stays small.
    const kinds = ["join_room", "leave_room", "list_pins"];
    const actions = Array.from({ length: BURST + 45 }, (_, i) => kinds[i % 3]);
    const replies = await Promise.all(
      actions.map((action) => scraper.request(action, { room: "general" })),
    );
    for (const action of kinds) {
      const refused = replies.find((r, i) =>
        actions[i] === action && r.data.code === "rate_limited"
      );
      assert.ok(refused, `${action} was never limited`);
      assert.ok((refused.data.retry_after_ms as number) > 0);
    }
    const other = await pool.login({ username: "mover" }, FROM("192.0.2.71"));
    await other.ok("join_room", { room: "general" });
  }));

Deno.test("history budget: a page costs a token per 128 Ki characters of its reply, so 41 pages of 200 long messages spend it over HTTP and WebSocket alike", () =>
  viaProxy(async (pool, server) => {
    // 200 messages of 4,000 emoji: a page of them is 1.6 million UTF-16
    // units of JSON, 13 tokens; 41 of them cost 533, far past the burst of
    // 100 and the 10 a second it refills however slow the machine, where
    // 41 pages of a token each would all be served.
    const poster = await pool.login({ username: "poster" }, FROM("192.0.2.89"));
    const text = "\u{1F600}".repeat(4000);
    await Promise.all(
      Array.from(
        { length: 200 },
        () => poster.ok("send_message", { room: "general", text }),
      ),
    );
    const big = async (address: string) => {
      const response = await fetch(
        `${server.url}/api/rooms/general/messages?limit=200`,
        { headers: FROM(address).headers },
      );
      const body = await response.json();
      return { status: response.status, body };
    };
    const served = await Promise.all(
      Array.from({ length: 40 }, () => big("192.0.2.90")),
    );
    served.push(await big("192.0.2.90"));
    assert.equal(served[0].status, 200);
    assert.equal(served[0].body.messages.length, 200);
    const refused = served.filter((p) => p.status !== 200);
    assert.ok(refused.length > 0, "41 pages of 200 long messages all served");
    for (const p of refused) {
      assert.equal(p.status, 429);
      assert.equal(p.body.error, "rate_limited");
    }
    // Another address is not touched.
    assert.equal((await page(server, "192.0.2.91")).status, 200);

    const scraper = await pool.login(
      { username: "scraper" },
      FROM("192.0.2.92"),
    );
    // One page at a time (a socket holds at most 8 MiB unsent), 13 tokens
    // each, until one is refused: never more pages served than the burst
    // of 100 and the 10 a second refilled since allow, however slow the
    // machine (at a token a page, 20 would all be served at once).
    const started = performance.now();
    let limited;
    let pages = 0;
    while (!limited && pages < 200) {
      const reply = await scraper.request("history", {
        room: "general",
        limit: 200,
      });
      if (reply.action === "error") limited = reply;
      else pages++;
      const seconds = (performance.now() - started) / 1000;
      assert.ok(
        pages <= Math.ceil((100 + 10 * seconds) / 13),
        `${pages} pages of 200 long messages served in ${seconds} s`,
      );
    }
    assert.ok(limited, `${pages} pages of 200 long messages all served`);
    assert.equal(limited.data.code, "rate_limited");
  }));

Deno.test("history budget: a thread's pages over HTTP (GET /api/messages/:id/replies) draw on it as list_replies does, by their size", () =>
  viaProxy(async (pool, server) => {
    // A thread of 200 replies of 4,000 emoji: a page of it costs 13
    // tokens, as a history page of them does.
    const poster = await pool.register("poster");
    const root = (await poster.ok("send_message", { text: "a thread" }))
      .message as { id: string };
    const text = "\u{1F600}".repeat(4000);
    await Promise.all(
      Array.from(
        { length: 200 },
        () => poster.ok("send_message", { text, reply_to: root.id }),
      ),
    );
    const thread = (address: string) =>
      fetch(`${server.url}/api/messages/${root.id}/replies?limit=200`, {
        headers: {
          authorization: `Bearer ${poster.token}`,
          ...FROM(address).headers,
        },
      });

    // Twenty pages of the thread (the token's search bucket holds 20)
    // spend 260 tokens, paid back at 10 a second: the address's next
    // history page waits, however slow the machine is up to 16 s.
    const pages = await Promise.all(
      Array.from({ length: 20 }, () => thread("192.0.2.100")),
    );
    for (const response of pages) {
      assert.equal(response.status, 200);
      assert.equal((await response.json()).replies.length, 200);
    }
    const after = await page(server, "192.0.2.100");
    assert.equal(after.status, 429, "thread pages spent nothing");
    assert.equal(after.body.error, "rate_limited");

    // An address whose budget history pages spent (40 of 13 tokens, paid
    // back at 10 a second) gets no thread page either.
    const spent = await Promise.all(
      Array.from(
        { length: 40 },
        () =>
          fetch(`${server.url}/api/rooms/general/messages?limit=200`, {
            headers: FROM("192.0.2.101").headers,
          }).then((r) => r.body?.cancel()),
      ),
    );
    assert.equal(spent.length, 40);
    const refused = await thread("192.0.2.101");
    const body = await refused.json();
    assert.equal(refused.status, 429, JSON.stringify(body).slice(0, 200));
    assert.equal(body.error, "rate_limited");
    assert.ok(body.retry_after_ms > 0);
    // Another address still reads the thread.
    const other = await thread("192.0.2.102");
    assert.equal(other.status, 200);
    await other.body?.cancel();
  }));
