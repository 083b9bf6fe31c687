/**
 * Two-factor authentication (docs/protocol.md, Two-factor authentication):
 * `totp_setup`, `totp_enable`, the code a password login of such an
 * account needs (WebSocket and `POST /api/login`), a code used once,
 * recovery codes, `totp_disable`, `totp_recovery_codes`, an admin's
 * `reset_totp`, the login throttle, a password reset link, an upgrade;
 * through a real server on both stores.
 * Codes are computed from the secret the server gave (totp_codes.ts).
 */
import assert from "node:assert/strict";
import { bothStores } from "./both_stores.ts";
import { TOTP_MIGRATION } from "./store_contract/support.ts";
import { codeAt as code, wrongCode } from "./totp_codes.ts";
import { withUpgradedServer } from "./upgraded_server.ts";
import {
  type ClientPool,
  expectError,
  PATIENT_WAIT_MS,
  TEST_PASSWORD,
  type TestClient,
  type TestServer,
  withPool,
} from "./harness.ts";

const patiently = { timeoutMs: PATIENT_WAIT_MS };

/** Turns 2FA on for `client`'s account; its secret and recovery codes. */
async function enable(
  client: TestClient,
): Promise<{ secret: string; recovery: string[] }> {
  const setup = await client.ok("totp_setup", { password: TEST_PASSWORD });
  const secret = setup.secret as string;
  const done = await client.ok("totp_enable", { code: code(secret) });
  return { secret, recovery: done.recovery_codes as string[] };
}

/** A password login's reply (success or error) on a new connection. */
async function login(
  pool: ClientPool,
  data: Record<string, unknown>,
) {
  const client = await pool.connect();
  return await client.request(
    "login",
    { username: "ann", password: TEST_PASSWORD, ...data },
    patiently,
  );
}

async function postLogin(
  server: TestServer,
  body: Record<string, unknown>,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${server.url}/api/login`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: server.url },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

const stores = await bothStores();

stores.clients(
  "totp: an account turns 2FA on with a code of its new secret, and then its password login needs a code",
  async (pool) => {
    const ann = await pool.register("ann");
    await expectError(
      ann,
      "totp_setup",
      { password: "not the password" },
      "bad_credentials",
      patiently,
    );
    const first = await ann.ok("totp_setup", { password: TEST_PASSWORD });
    assert.match(first.secret as string, /^[A-Z2-7]{32}$/);
    assert.match(
      first.uri as string,
      /^otpauth:\/\/totp\/Chat:ann\?issuer=Chat&secret=[A-Z2-7]{32}&algorithm=SHA1&digits=6&period=30$/,
    );
    // A new setup replaces the one waiting: the first secret's code is wrong.
    const setup = await ann.ok("totp_setup", { password: TEST_PASSWORD });
    const secret = setup.secret as string;
    assert.notEqual(secret, first.secret);
    await expectError(
      ann,
      "totp_enable",
      { code: code(first.secret as string) },
      "totp_invalid",
    );
    const done = await ann.ok("totp_enable", { code: code(secret) });
    const recovery = done.recovery_codes as string[];
    assert.equal(recovery.length, 10);
    assert.equal(new Set(recovery).size, 10);
    await expectError(
      ann,
      "totp_setup",
      { password: TEST_PASSWORD },
      "totp_already_enabled",
      patiently,
    );

    // A wrong password says nothing of 2FA; the right one asks for a code.
    const wrong = await login(pool, { password: "not the password" });
    assert.equal(wrong.data.code, "bad_credentials");
    assert.equal((await login(pool, {})).data.code, "totp_required");
    assert.equal(
      (await login(pool, { totp: wrongCode(secret) })).data.code,
      "totp_invalid",
    );
    const next = code(secret, 1);
    const entered = await login(pool, { totp: next });
    assert.equal(entered.action, "success");
    assert.equal(entered.data.totp, true);
    // The same code again is a replay.
    assert.equal((await login(pool, { totp: next })).data.code, "totp_invalid");
    // A recovery code works once, typed in capitals and without its dash.
    const typed = recovery[0].toUpperCase().replace("-", "");
    assert.equal((await login(pool, { totp: typed })).action, "success");
    assert.equal(
      (await login(pool, { totp: typed })).data.code,
      "totp_invalid",
    );
  },
);

stores.clients(
  "totp: enabling it leaves the sessions and tokens as they were, and a session's login says totp",
  async (pool) => {
    const ann = await pool.register("ann");
    const other = await pool.login({
      username: "ann",
      password: TEST_PASSWORD,
    });
    assert.equal(
      other.received.find((f) => f.data.request === "login")?.data.totp,
      false,
    );
    await enable(ann);
    // The other socket is still served; its token logs in without a code.
    await other.ok("list_rooms");
    const resumed = await pool.login({ token: other.token });
    assert.equal(
      resumed.received.find((f) => f.data.request === "login")?.data.totp,
      true,
    );
  },
);

stores.clients(
  "totp: totp_disable needs the password and a code; then a login needs no code",
  async (pool) => {
    const ann = await pool.register("ann");
    await expectError(
      ann,
      "totp_disable",
      { password: TEST_PASSWORD, code: "123456" },
      "totp_not_enabled",
      patiently,
    );
    const { secret, recovery } = await enable(ann);
    await expectError(
      ann,
      "totp_disable",
      { password: "not the password", code: code(secret, 1) },
      "bad_credentials",
      patiently,
    );
    await expectError(
      ann,
      "totp_disable",
      { password: TEST_PASSWORD, code: "not-a-code" },
      "totp_invalid",
      patiently,
    );
    await ann.ok("totp_disable", {
      password: TEST_PASSWORD,
      code: recovery[3],
    });
    const entered = await login(pool, {});
    assert.equal(entered.action, "success");
    assert.equal(entered.data.totp, false);
    // Its recovery codes went with it.
    await enable(ann);
    assert.equal(
      (await login(pool, { totp: recovery[4] })).data.code,
      "totp_invalid",
    );
  },
);

stores.clients(
  "totp: totp_recovery_codes gives ten new codes, and the old ones no longer log in",
  async (pool) => {
    const ann = await pool.register("ann");
    const { recovery } = await enable(ann);
    const renewed = await ann.ok("totp_recovery_codes", {
      password: TEST_PASSWORD,
      code: recovery[0],
    });
    const fresh = renewed.recovery_codes as string[];
    assert.equal(fresh.length, 10);
    assert.equal(
      (await login(pool, { totp: recovery[1] })).data.code,
      "totp_invalid",
    );
    assert.equal((await login(pool, { totp: fresh[0] })).action, "success");
  },
);

stores.clients(
  "totp: an admin's reset_totp turns an account's 2FA off, audited; a moderator may not",
  async (pool) => {
    const root = await pool.register("root");
    const ann = await pool.register("ann");
    const ben = await pool.register("ben");
    await enable(ann);
    // A moderator outranks ann, and still may not: admins only.
    await root.ok("set_role", { user: "ben", role: "moderator" });
    await expectError(ben, "reset_totp", { user: "ann" }, "forbidden");
    await expectError(root, "reset_totp", { user: "nobody" }, "user_not_found");
    const reset = await root.ok("reset_totp", {
      user: "ann",
      reason: "lost her phone",
    });
    assert.equal(reset.user, "ann");
    await expectError(root, "reset_totp", { user: "ann" }, "totp_not_enabled");
    const log = await root.ok("audit_log");
    const entry = (log.entries as Record<string, unknown>[])
      .find((e) => e.action === "reset_totp");
    assert.equal(entry?.target, "ann");
    assert.equal(entry?.reason, "lost her phone");
    assert.equal((await login(pool, {})).action, "success");
  },
);

stores.clients(
  "totp: wrong codes count in the login throttle: after 5 even the right code is rate_limited",
  async (pool) => {
    const ann = await pool.register("ann");
    const { secret } = await enable(ann);
    for (let i = 0; i < 5; i++) {
      const reply = await login(pool, { totp: wrongCode(secret, i * 10) });
      assert.equal(reply.data.code, "totp_invalid");
    }
    const limited = await login(pool, { totp: code(secret, 1) });
    assert.equal(limited.data.code, "rate_limited");
  },
);

stores.clients(
  "totp: wrong codes from many addresses are counted for the account: past 10 even the right code waits, a recovery code still logs in",
  async (pool) => {
    const ann = await pool.register("ann");
    const { secret, recovery } = await enable(ann);
    // One guess an address, each far within its name-and-address limit
    // (5): only a count for the account from everywhere stops them.
    const from = async (address: number, data: Record<string, unknown>) => {
      const client = await pool.connect({
        headers: { "x-forwarded-for": `10.49.0.${address}` },
      });
      return await client.request(
        "login",
        { username: "ann", password: TEST_PASSWORD, ...data },
        patiently,
      );
    };
    const answers: (string | undefined)[] = [];
    for (let i = 0; i < 12; i++) {
      answers.push((await from(i, { totp: wrongCode(secret, i) })).data.code);
    }
    assert.deepEqual(answers, [
      ...Array(10).fill("totp_invalid"),
      "rate_limited",
      "rate_limited",
    ]);
    const right = await from(100, { totp: code(secret, 1) });
    assert.equal(right.data.code, "rate_limited");
    assert.match(right.data.message as string, /codes/);
    // The owner's way in stays: a recovery code is not a 6-digit guess.
    assert.equal((await from(101, { totp: recovery[0] })).action, "success");
  },
  { trustProxy: true },
);

stores.test(
  "totp: POST /api/login takes the code as 'totp', and a password reset link leaves 2FA on",
  async (server) => {
    await withPool(server, async (pool) => {
      await pool.register("root");
      const ann = await pool.register("ann");
      const { secret } = await enable(ann);
      const asked = await postLogin(server, {
        username: "ann",
        password: TEST_PASSWORD,
      });
      assert.deepEqual([asked.status, asked.body.error], [
        401,
        "totp_required",
      ]);
      const wrong = await postLogin(server, {
        username: "ann",
        password: "not the password",
      });
      assert.equal(wrong.body.error, "bad_credentials");
      const entered = await postLogin(server, {
        username: "ann",
        password: TEST_PASSWORD,
        totp: code(secret, 1),
      });
      assert.equal(entered.status, 200);
      assert.deepEqual(entered.body, {
        username: "ann",
        role: "user",
        totp: true,
      });

      const admin = await pool.login({
        username: "root",
        password: TEST_PASSWORD,
      });
      const link = (await admin.ok("reset_password", { user: "ann" }))
        .link as string;
      const res = await fetch(`${server.url}/api/reset-password`, {
        method: "POST",
        headers: { "content-type": "application/json", origin: server.url },
        body: JSON.stringify({
          token: link.split("#")[1],
          password: "a new password here",
        }),
      });
      // No session: the new password logs in with a code, as any login.
      assert.equal(res.headers.get("set-cookie"), null);
      assert.deepEqual(await res.json(), {
        username: "ann",
        role: "user",
        totp: true,
      });
      const again = await postLogin(server, {
        username: "ann",
        password: "a new password here",
      });
      assert.equal(again.body.error, "totp_required");
    });
  },
);

stores.database(
  "totp: upgrading, an account of a server of before logs in with its password alone, and may turn 2FA on",
  (options) =>
    withUpgradedServer({
      options,
      async setUp(pool) {
        await pool.register("ann");
      },
      old: {
        marker: TOTP_MIGRATION,
        postgres: () => Promise.resolve(),
        sqlite: () => {},
      },
    }, (server) =>
      withPool(server, async (pool) => {
        const entered = await login(pool, {});
        assert.equal(entered.action, "success");
        assert.equal(entered.data.totp, false);
        const ann = await pool.login({
          username: "ann",
          password: TEST_PASSWORD,
        });
        const { secret } = await enable(ann);
        assert.equal((await login(pool, {})).data.code, "totp_required");
        assert.equal(
          (await login(pool, { totp: code(secret, 1) })).action,
          "success",
        );
      })),
);

stores.finish();
