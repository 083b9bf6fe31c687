/**
 * The installable app in Chromium: a manifest Chromium accepts with no
 * installability errors (read over CDP), a service worker that opens the
 * app with the server gone, and a Web Push subscription made once the user
 * allowed notifications (PushManager mocked to point at a loopback
 * stand-in, since headless Chromium has no push service).
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createECDH, randomBytes } from "node:crypto";
import ece from "http_ece";
import { browserTest, openPage, register } from "./browser_support.ts";
import { ClientPool, eventually, wentOffline } from "./harness.ts";

browserTest(
  "installable app keeps the emoji names it fetched, so completion works offline too",
  async (browser, server) => {
    const page = await openPage(browser, server);
    await page.goto("/");
    await page.evaluate(async () => {
      await navigator.serviceWorker.ready;
    });
    await page.reload();
    await page.waitForFunction(() => navigator.serviceWorker.controller);
    // The first ":" fetches them (client/emoji_names.ts): the worker keeps them.
    assert.equal(
      await page.evaluate(async () => (await fetch("/emoji/en.json")).status),
      200,
    );
    await eventually(async () =>
      assert.ok(
        await page.evaluate(async () =>
          (await caches.match("/emoji/en.json")) !== undefined
        ),
      )
    );
    await server.shutdown();
    const names = await page.evaluate(async () => {
      const response = await fetch("/emoji/en.json");
      return response.ok ? (await response.json()).length : -1;
    });
    assert.ok(names > 100, `emoji names offline: ${names}`);
  },
);

browserTest(
  "installable app Chromium reads the manifest, finds it installable, and the shell opens offline",
  async (browser, server) => {
    const page = await openPage(browser, server);
    await page.goto("/");
    await page.evaluate(async () => {
      await navigator.serviceWorker.ready;
    });
    const cdp = await page.context().newCDPSession(page);
    const manifest = await cdp.send("Page.getAppManifest") as {
      url: string;
      errors: unknown[];
      data?: string;
    };
    assert.equal(new URL(manifest.url).pathname, "/manifest.webmanifest");
    assert.deepEqual(manifest.errors, []);
    assert.equal(JSON.parse(manifest.data ?? "{}").name, "Chat");
    const installable = await cdp.send("Page.getInstallabilityErrors") as {
      installabilityErrors: { errorId: string }[];
    };
    // Playwright's contexts are off the record, which Chromium reports as
    // its own reason; any other (manifest, icons, worker) would show here.
    assert.deepEqual(
      installable.installabilityErrors.filter((e) =>
        e.errorId !== "in-incognito"
      ),
      [],
    );
    await cdp.detach();

    // Reloaded once so the worker controls the page and keeps the shell.
    await page.reload();
    await page.waitForFunction(() => navigator.serviceWorker.controller);
    await server.shutdown();
    // No server: the worker answers with the kept shell, not a browser error.
    const response = await page.reload();
    assert.equal(response?.fromServiceWorker(), true);
    assert.equal(await page.title(), "Chat");
    await page.locator("#app > *").first().waitFor();
  },
);

browserTest(
  "installable app once notifications are allowed, the browser subscribes and an offline account gets its push",
  async (browser, server) => {
    const ecdh = createECDH("prime256v1");
    ecdh.generateKeys();
    const auth = randomBytes(16);
    const payloads: Record<string, unknown>[] = [];
    const service = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      async (request) => {
        const body = Buffer.from(await request.arrayBuffer());
        const plain = ece.decrypt(body, {
          version: "aes128gcm",
          privateKey: ecdh,
          authSecret: auth.toString("base64url"),
        });
        payloads.push(JSON.parse(plain.toString("utf8")));
        return new Response(null, { status: 201 });
      },
    );
    const pool = new ClientPool(server.wsUrl);
    try {
      const fake = {
        endpoint: `http://127.0.0.1:${service.addr.port}/push/dana`,
        expirationTime: null,
        keys: {
          p256dh: ecdh.getPublicKey().toString("base64url"),
          auth: auth.toString("base64url"),
        },
      };
      const page = await openPage(browser, server);
      await page.context().grantPermissions(["notifications"]);
      await page.addInitScript((subscription) => {
        let made: unknown = null;
        const wrap = () => ({ ...subscription, toJSON: () => subscription });
        PushManager.prototype.getSubscription = () =>
          Promise.resolve(made as PushSubscription | null);
        PushManager.prototype.subscribe = () => {
          made = wrap();
          return Promise.resolve(made as PushSubscription);
        };
      }, fake);
      await page.goto("/");
      await page.evaluate(async () => {
        await navigator.serviceWorker.ready;
      });
      await page.reload();
      await page.waitForFunction(() => navigator.serviceWorker.controller);
      await register(page, "dana");
      const saved = await eventually(async () => {
        const subs = await server.node.store.pushSubscriptions("dana");
        assert.equal(subs.length, 1);
        return subs[0];
      }, { timeoutMs: 60_000 });
      assert.equal(saved.endpoint, fake.endpoint);
      await page.close();
      const erin = await pool.register("erin");
      await wentOffline(erin, "dana");
      await erin.ok("private_message", { to: "dana", text: "ping" });
      await eventually(() => assert.equal(payloads.length, 1));
      assert.deepEqual(payloads[0], {
        kind: "private",
        sender: "erin",
        text: "ping",
        tag: "dm:erin",
      });
    } finally {
      await pool.closeAll();
      await server.close();
      await service.shutdown();
    }
  },
  { webhookAllow: ["127.0.0.1"] },
);
