/**
 * An administration action and its audit entry through a crash: the server
 * runs as its own process on a real PostgreSQL, and is killed (SIGKILL)
 * while the database holds its `ban` back. Afterwards the ban and its
 * audit entry are both stored or neither: no action is left done unlogged.
 *
 * The window is made from outside, not by a wrapper in the server: another
 * session holds the audit log locked, so whatever writes to it waits there,
 * and the database drops the waiting statement once its client is gone
 * (`client_connection_check_interval`, set on the server's connections
 * through its URL). When the ban and its entry were two commits, the ban
 * committed, the entry waited, and the kill left the ban with no entry.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import {
  eventually,
  PATIENT_WAIT_MS,
  spawnServer,
  TEST_PASSWORD,
  TestClient,
} from "./harness.ts";
import { POSTGRES, testsOnService } from "./services.ts";

await testsOnService("audit kill", POSTGRES, (pg) => {
  Deno.test("audit kill: a server killed while its ban waits to be written leaves the ban and its audit entry both stored or neither", async () => {
    await using cleanup = new AsyncDisposableStack();
    const schema = await pg.freshSchema();
    cleanup.defer(() => schema.drop());
    // The server's connections notice within 100 ms that it is gone, even
    // while they wait for a lock.
    const server = await spawnServer([
      "--database-url",
      `${schema.url}&client_connection_check_interval=100`,
      "--admin",
      "root",
      "--rate-limits",
      "off",
    ]);
    cleanup.defer(async () => {
      await server.stop("SIGKILL");
    });
    const root = await TestClient.register(server.wsUrl, "root");
    cleanup.defer(() => root.close());
    const bob = await TestClient.register(server.wsUrl, "bob", TEST_PASSWORD);
    cleanup.defer(() => bob.close());

    const sql = postgres(schema.url, { max: 2, onnotice: () => {} });
    cleanup.defer(() => sql.end({ timeout: 5 }));
    const holder = await sql.reserve();
    cleanup.defer(() => holder.release());
    await holder`BEGIN`;
    await holder`LOCK TABLE audit_log IN ACCESS EXCLUSIVE MODE`;

    // Sent, never answered: the server waits for the database.
    root.send({
      action: "ban",
      data: { user: "bob", reason: "spam" },
      id: "ban-1",
    });
    await eventually(async () => {
      const [{ waiting }] = await sql<{ waiting: number }[]>`
        SELECT count(*)::int AS waiting FROM pg_stat_activity
        WHERE wait_event_type = 'Lock' AND query LIKE '%audit_log%'`;
      assert.equal(waiting, 1);
    }, { timeoutMs: PATIENT_WAIT_MS });
    await server.stop("SIGKILL");
    // Once the database has dropped the dead server's statement, the lock
    // goes; nothing of the server's can commit after that.
    await eventually(async () => {
      const [{ waiting }] = await sql<{ waiting: number }[]>`
        SELECT count(*)::int AS waiting FROM pg_stat_activity
        WHERE wait_event_type = 'Lock' AND query LIKE '%audit_log%'`;
      assert.equal(waiting, 0);
    }, { timeoutMs: PATIENT_WAIT_MS });
    await holder`ROLLBACK`;

    const [{ bans }] = await sql<{ bans: number }[]>`
      SELECT count(*)::int AS bans FROM bans WHERE user_key = 'bob'`;
    const [{ entries }] = await sql<{ entries: number }[]>`
      SELECT count(*)::int AS entries FROM audit_log
      WHERE action = 'ban' AND target = 'bob'`;
    assert.equal(
      bans,
      entries,
      `${bans} ban(s) of bob stored, ${entries} audit entry(ies)`,
    );
    assert.ok(!root.received.some((frame) => frame.id === "ban-1"));
  });
});
