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
  type Frame,
  metric,
  PATIENT_WAIT_MS,
  spawnServer,
  TestClient,
  withClients,
} from "./harness.ts";

/** Sends a request and waits for its reply as long as the server needs. */
async function answer(
  client: TestClient,
  id: string,
  action: string,
  data: Record<string, unknown>,
): Promise<Frame> {
  client.send({ action, data, id });
  return await client.waitFor((f) => f.id === id, `reply to ${action}`, {
    timeoutMs: PATIENT_WAIT_MS,
  });
}

Deno.test("login: a password login still being checked when the login timeout passes is answered, not closed", () =>
  withClients(async (pool) => {
    // One worker and a dozen logins at once: the last waits for eleven
    // hashes, well over the one-second login timeout on any machine.
    const clients: TestClient[] = [];
    const replies = await Promise.all(
      Array.from({ length: 12 }, async (_, i) => {
        // Each asks as soon as it is open: the timeout counts from its own
        // upgrade, and waiting for all twelve to open first could let a
        // busy machine pass it before the login was even sent.
        const client = clients[i] = await pool.connect();
        return await answer(client, "in", "login", {
          username: `nobody${i}`,
          password: "not the password",
        });
      }),
    );
    // Each got its answer: none was closed while its login waited.
    for (const reply of replies) {
      assert.equal(reply.action, "error");
      assert.equal(reply.data.code, "bad_credentials");
    }
    // Refused, a connection gets a fresh timeout to try again, then goes.
    const closed = await clients[0].closed;
    assert.equal(closed.code, 4001);
  }, { loginTimeoutSeconds: 1, passwordWorkers: 1 }));

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
