/**
 * Who becomes admin (docs/protocol.md, Login): without `--admin`, the first
 * account registered, and only one, however many register at the same
 * moment, on one node or on two nodes sharing PostgreSQL.
 */
import assert from "node:assert/strict";
import {
  ClientPool,
  type Cluster,
  PATIENT_WAIT_MS,
  startCluster,
  TEST_PASSWORD,
  withClients,
} from "./harness.ts";
import {
  postgresSkipReason,
  redisSkipReason,
  startPostgres,
  startRedis,
} from "./services.ts";

/** Registers `username` on a new socket of `pool`; returns the role it got. */
async function registerRole(
  pool: ClientPool,
  username: string,
): Promise<string> {
  const client = await pool.connect();
  const reply = await client.request("register", {
    username,
    password: TEST_PASSWORD,
  }, { timeoutMs: PATIENT_WAIT_MS });
  assert.equal(reply.action, "success", JSON.stringify(reply.data));
  return reply.data.role as string;
}

/** POSTs /api/register as the web client does; returns the role it got. */
async function registerRoleOverHttp(
  url: string,
  username: string,
): Promise<string> {
  const response = await fetch(`${url}/api/register`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: url },
    body: JSON.stringify({ username, password: TEST_PASSWORD }),
  });
  const body = await response.json();
  assert.equal(response.status, 201, JSON.stringify(body));
  return body.role;
}

function assertOneAdmin(roles: string[]): void {
  assert.deepEqual(roles.sort(), [
    "admin",
    ...Array(roles.length - 1).fill("user"),
  ]);
}

Deno.test("register: ten accounts registered at once on an empty server make exactly one admin", () =>
  withClients(async (pool, server) => {
    const roles = await Promise.all(
      Array.from(
        { length: 10 },
        (_, i) =>
          i % 2
            ? registerRole(pool, `user${i}`)
            : registerRoleOverHttp(server.url, `user${i}`),
      ),
    );
    assertOneAdmin(roles);
  }));

const skipReason = postgresSkipReason() ?? redisSkipReason();

Deno.test({
  name:
    "scale-out: ten accounts registered at once on two nodes sharing PostgreSQL make exactly one admin",
  ignore: skipReason !== undefined,
  async fn() {
    const pg = (await startPostgres())!;
    const redis = (await startRedis())!;
    let cluster: Cluster | undefined;
    let pools: ClientPool[] = [];
    try {
      cluster = await startCluster(pg.url, redis.url, { nodes: 2 });
      pools = cluster.nodes.map((node) => new ClientPool(node.wsUrl));
      const roles = await Promise.all(
        Array.from(
          { length: 10 },
          (_, i) => registerRole(pools[i % 2], `user${i}`),
        ),
      );
      assertOneAdmin(roles);
    } finally {
      await Promise.all(pools.map((pool) => pool.closeAll()));
      await cluster?.stop();
      await redis.stop();
      await pg.stop();
    }
  },
});

if (skipReason !== undefined) {
  Deno.test({
    name: `scale-out first admin: skipped, ${skipReason}`,
    ignore: true,
    fn() {},
  });
}
