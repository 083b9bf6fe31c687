/**
 * What admins and room owners do through the REST API (bots, bot tokens,
 * incoming and outgoing webhooks) is in the audit log, as WebSocket admin
 * actions are.
 */
import assert from "node:assert/strict";
import { call } from "./api_helpers.ts";
import { ClientPool, withServer } from "./harness.ts";

Deno.test("audit_log: making and removing bots' tokens and webhooks over the API is written with who and where", () =>
  withServer(async (server) => {
    const pool = new ClientPool(server.wsUrl);
    try {
      const root = await pool.register("root");
      const admin = { token: root.token! };
      const bot = await call(server, "POST", "/api/bots", {
        ...admin,
        body: { name: "ci" },
      });
      assert.equal(bot.status, 201);
      const token = await call(server, "POST", "/api/bots/ci/tokens", {
        ...admin,
        body: { name: "deploy" },
      });
      assert.equal(token.status, 201);
      const revoked = await call(
        server,
        "DELETE",
        `/api/bots/ci/tokens/${token.body.id}`,
        admin,
      );
      assert.equal(revoked.status, 204);
      const hook = await call(server, "POST", "/api/rooms/general/hooks", {
        ...admin,
        body: { name: "alerts" },
      });
      assert.equal(hook.status, 201);
      assert.equal(
        (await call(server, "DELETE", `/api/hooks/${hook.body.id}`, admin))
          .status,
        204,
      );
      const url = "http://127.0.0.1:9/hook";
      const outgoing = await call(
        server,
        "POST",
        "/api/rooms/general/outgoing-hooks",
        { ...admin, body: { url } },
      );
      assert.equal(outgoing.status, 201);
      assert.equal(
        (await call(
          server,
          "DELETE",
          `/api/outgoing-hooks/${outgoing.body.id}`,
          admin,
        )).status,
        204,
      );
      // A refused act writes nothing.
      const refused = await call(server, "DELETE", "/api/hooks/nothing", admin);
      assert.equal(refused.status, 404);

      const { entries } = await root.ok("audit_log", {});
      const seen = (entries as Record<string, unknown>[]).toReversed().map((
        e,
      ) => ({
        by: e.by,
        action: e.action,
        target: e.target,
        room: e.room,
        details: e.details,
        address: e.address,
      }));
      const by = "root";
      const address = "127.0.0.1";
      assert.deepEqual(seen, [
        {
          by,
          action: "create_bot",
          target: "ci",
          room: undefined,
          details: undefined,
          address,
        },
        {
          by,
          action: "create_bot_token",
          target: "ci",
          room: undefined,
          details: { token: token.body.id, name: "deploy" },
          address,
        },
        {
          by,
          action: "revoke_bot_token",
          target: "ci",
          room: undefined,
          details: { token: token.body.id },
          address,
        },
        {
          by,
          action: "create_webhook",
          target: undefined,
          room: "general",
          details: { hook: hook.body.id, name: "alerts" },
          address,
        },
        {
          by,
          action: "delete_webhook",
          target: undefined,
          room: "general",
          details: { hook: hook.body.id, name: "alerts" },
          address,
        },
        {
          by,
          action: "create_outgoing_webhook",
          target: undefined,
          room: "general",
          details: { hook: outgoing.body.id, url },
          address,
        },
        {
          by,
          action: "delete_outgoing_webhook",
          target: undefined,
          room: "general",
          details: { hook: outgoing.body.id, url },
          address,
        },
      ]);
    } finally {
      await pool.closeAll();
    }
  }, { webhookAllow: ["127.0.0.1"] }));
