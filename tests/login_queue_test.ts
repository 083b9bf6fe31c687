/**
 * Password checks under load: they wait their turn for a few workers
 * (`--password-workers`), a login that waits is never closed by the login
 * timeout, and a flood of logins keeps the server's memory bounded while
 * other users keep chatting. Speeds are measured by `deno task bench
 * --scenario login-flood`, not here: these tests wait for the server's
 * answers, however long a busy machine takes.
 */
import assert from "node:assert/strict";
import {
  ClientPool,
  metric,
  PATIENT_WAIT_MS,
  spawnServer,
  startTestServer,
  TestClient,
} from "./harness.ts";
import {
  LoginThrottle,
  type Throttle,
  type ThrottleOptions,
} from "../server/accounts/login_throttle.ts";

Deno.test("login: a password login still being checked when the login timeout passes is answered, not closed", async () => {
  // The login waits at a gate in its first step (the throttle) until the
  // server has closed, for want of a login, a connection opened after it:
  // its own timeout has then passed as well, however slow the machine.
  const arrived = Promise.withResolvers<void>();
  const gate = Promise.withResolvers<void>();
  const throttles = (options: ThrottleOptions): Throttle => {
    const throttle = new LoginThrottle(options);
    return {
      async admit(userKey, address, now) {
        if (options.name === "login") {
          arrived.resolve();
          await gate.promise;
        }
        return await throttle.admit(userKey, address, now);
      },
    };
  };
  const server = await startTestServer(
    { loginTimeoutSeconds: 1, passwordWorkers: 1 },
    { throttles },
  );
  const pool = new ClientPool(server.wsUrl);
  try {
    // The timeout counts from the upgrade: a machine that holds the server
    // a second before it reads the login closes the socket first. That
    // proves nothing either way, so the test asks again on a new socket.
    let client: TestClient | undefined;
    for (let attempt = 0; attempt < 10 && !client; attempt++) {
      const candidate = await pool.connect();
      candidate.send({
        action: "login",
        data: { username: "nobody", password: "not the password" },
        id: "in",
      });
      const first = await Promise.race([
        arrived.promise.then(() => "arrived"),
        candidate.closed.then(() => "closed"),
      ]);
      if (first === "arrived") client = candidate;
    }
    assert.ok(client, "no login reached the server within its timeout");
    // Opened after the login arrived, so its deadline is later: once the
    // server has closed it, the login's deadline has passed too.
    const later = await pool.connect();
    assert.equal((await later.closed).code, 4001);
    gate.resolve();
    const reply = await client.waitFor((f) => f.id === "in", "login reply", {
      timeoutMs: PATIENT_WAIT_MS,
    });
    assert.equal(reply.action, "error");
    assert.equal(reply.data.code, "bad_credentials");
    // Refused, a connection gets a fresh timeout to try again, then goes.
    assert.equal((await client.closed).code, 4001);
  } finally {
    gate.resolve();
    await pool.closeAll();
    await server.close();
  }
});

Deno.test("login: 200 sockets sending logins under fresh names keep memory bounded and a bystander chatting", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-test-" });
  const server = await spawnServer([
    "--trust-proxy",
    "--password-workers",
    "2",
    "--db",
    `${dir}/chat.db`,
  ]);
  const pool = new ClientPool(server.wsUrl);
  try {
    const bystander = await pool.guest("bystander");
    // Each socket from an address of its own, so that no per-address
    // throttle stops the flood before the queue does.
    const attackers = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        pool.connect({
          headers: { "x-forwarded-for": `10.1.${i >> 8}.${i & 255}` },
        })),
    );
    let answered = 0;
    for (const [i, client] of attackers.entries()) {
      client.send({
        action: "login",
        data: { username: `fresh${i}`, password: "guess guess guess" },
        id: "flood",
      });
      client.waitFor((f) => f.id === "flood", "flood reply", {
        timeoutMs: PATIENT_WAIT_MS,
      }).then(() => answered++, () => {});
    }
    // Until every login has reached the queue (or been answered), the
    // bystander keeps talking and is answered each time.
    let sent = 0;
    let maxRunning = 0;
    for (;;) {
      const reply = await bystander.ok("send_message", {
        text: `still here ${sent++}`,
      });
      assert.ok(reply.message);
      const running = await metric(server.url, "chat_password_hashes_running");
      const waiting = await metric(server.url, "chat_password_hashes_waiting");
      maxRunning = Math.max(maxRunning, running);
      if (running + waiting + answered >= 200) break;
    }
    assert.ok(maxRunning <= 2, `${maxRunning} hashes ran at once`);
    // Unqueued, 200 scrypt hashes of 32 MiB each would take over 6 GiB.
    const status = await Deno.readTextFile(
      `/proc/${server.process.pid}/status`,
    );
    const peakKiB = Number(/^VmHWM:\s+(\d+)/m.exec(status)?.[1]);
    assert.ok(
      peakKiB < 768 * 1024,
      `peak memory ${Math.round(peakKiB / 1024)} MiB`,
    );
  } finally {
    await pool.closeAll();
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
