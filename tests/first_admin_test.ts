/**
 * Who becomes admin (docs/protocol.md, Login): without `--admin`, the first
 * account registered, and only one, however many register at the same
 * moment, on one node or on two nodes sharing PostgreSQL.
 */
import assert from "node:assert/strict";
import {
  type ClientPool,
  clusterSkipReason,
  PATIENT_WAIT_MS,
  postAsPage,
  TEST_PASSWORD,
  withClients,
  withCluster,
} from "./harness.ts";

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

/** Registers `username` over HTTP as the web client does; returns the role. */
async function registerRoleOverHttp(
  url: string,
  username: string,
): Promise<string> {
  const reply = await postAsPage(url, "/api/register", {
    body: { username, password: TEST_PASSWORD },
  });
  assert.equal(reply.status, 201, reply.text);
  return reply.body!.role as string;
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

const skipReason = clusterSkipReason();

Deno.test({
  name:
    "scale-out: ten accounts registered at once on two nodes sharing PostgreSQL make exactly one admin",
  ignore: skipReason !== undefined,
  fn: () =>
    withCluster(2, async (_cluster, pools) => {
      const roles = await Promise.all(
        Array.from(
          { length: 10 },
          (_, i) => registerRole(pools[i % 2], `user${i}`),
        ),
      );
      assertOneAdmin(roles);
    }),
});

if (skipReason !== undefined) {
  Deno.test({
    name: `scale-out first admin: skipped, ${skipReason}`,
    ignore: true,
    fn() {},
  });
}
