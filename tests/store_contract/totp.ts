/**
 * The store contract for two-factor authentication (TotpStore): a setup
 * waiting, its enabling, codes used once, recovery codes, turning it off.
 */
import assert from "node:assert/strict";
import type { NewAuditEntry } from "../../server/store/mod.ts";
import { account, type StoreTest } from "./support.ts";

const RESET: NewAuditEntry = {
  at: 1_700_000_000_000,
  by: "root",
  action: "reset_totp",
  target: "ann",
  room: "",
  reason: "",
  address: "",
  details: {},
};

/** The contract of the accounts' two-factor authentication. */
export function totp(test: StoreTest): void {
  test(
    "a TOTP setup waits until its secret is enabled, then survives a reopen with its last step and recovery codes",
    async (store, reopen) => {
      await store.createAccount(account("ann"));
      assert.equal(await store.totpOf("ann"), undefined);
      assert.equal(await store.setPendingTotp("nobody", "AAAA"), false);
      assert.equal(await store.setPendingTotp("ann", "FIRST"), true);
      assert.equal(await store.setPendingTotp("ann", "SECOND"), true);
      assert.deepEqual(await store.totpOf("ann"), {
        secret: null,
        pendingSecret: "SECOND",
        lastStep: 0,
        recoveryCodes: 0,
      });
      // The secret a later setup replaced enables nothing.
      const codes = { step: 100, recoveryHashes: ["h1", "h2", "h3"] };
      assert.equal(
        await store.enableTotp("ann", { secret: "FIRST", ...codes }),
        false,
      );
      assert.equal(
        await store.enableTotp("ann", { secret: "SECOND", ...codes }),
        true,
      );
      assert.equal(
        await store.enableTotp("ann", { secret: "SECOND", ...codes }),
        false,
      );
      // On, it takes no new setup.
      assert.equal(await store.setPendingTotp("ann", "THIRD"), false);
      const again = await reopen();
      assert.deepEqual(await again.totpOf("ann"), {
        secret: "SECOND",
        pendingSecret: null,
        lastStep: 100,
        recoveryCodes: 3,
      });
    },
  );

  test("useTotpStep takes only a step later than the last one used", async (store) => {
    await store.createAccount(account("ann"));
    assert.equal(await store.useTotpStep("ann", 5), false);
    await store.setPendingTotp("ann", "S");
    assert.equal(await store.useTotpStep("ann", 5), false, "not enabled yet");
    await store.enableTotp("ann", {
      secret: "S",
      step: 10,
      recoveryHashes: [],
    });
    assert.equal(await store.useTotpStep("ann", 10), false);
    assert.equal(await store.useTotpStep("ann", 9), false);
    assert.equal(await store.useTotpStep("ann", 11), true);
    assert.equal(await store.useTotpStep("ann", 11), false);
    assert.equal((await store.totpOf("ann"))?.lastStep, 11);
  });

  test("of eight uses of one step at once one is taken, and of eight of one recovery code likewise", async (store) => {
    await store.createAccount(account("ann"));
    await store.setPendingTotp("ann", "S");
    await store.enableTotp("ann", {
      secret: "S",
      step: 10,
      recoveryHashes: ["a"],
    });
    // Two nodes checking the same code: only one login gets in.
    const steps = await Promise.all(
      Array.from({ length: 8 }, () => store.useTotpStep("ann", 11)),
    );
    assert.equal(steps.filter(Boolean).length, 1);
    const codes = await Promise.all(
      Array.from({ length: 8 }, () => store.useRecoveryCode("ann", "a")),
    );
    assert.equal(codes.filter(Boolean).length, 1);
  });

  test("a recovery code is used once; new ones void the old", async (store) => {
    await store.createAccount(account("ann"));
    await store.createAccount(account("ben"));
    await store.setPendingTotp("ann", "S");
    await store.enableTotp("ann", {
      secret: "S",
      step: 1,
      recoveryHashes: ["a", "b"],
    });
    assert.equal(await store.useRecoveryCode("ben", "a"), false);
    assert.equal(await store.useRecoveryCode("ann", "a"), true);
    assert.equal(await store.useRecoveryCode("ann", "a"), false);
    assert.equal((await store.totpOf("ann"))?.recoveryCodes, 1);
    assert.equal(
      await store.replaceRecoveryCodes("ann", ["c", "d", "e"]),
      true,
    );
    assert.equal(await store.useRecoveryCode("ann", "b"), false);
    assert.equal(await store.useRecoveryCode("ann", "e"), true);
    assert.equal((await store.totpOf("ann"))?.recoveryCodes, 2);
    assert.equal(await store.replaceRecoveryCodes("ben", ["x"]), false);
    assert.equal(await store.useRecoveryCode("ben", "x"), false);
  });

  test("disableTotp turns 2FA off with its codes, audited only when it was on; a deleted account's rows go with it", async (store) => {
    await store.createAccount(account("ann"));
    await store.createAccount(account("ben"));
    await store.setPendingTotp("ben", "P");
    assert.equal(await store.disableTotp("ben", RESET), false);
    assert.equal(await store.totpOf("ben"), undefined);
    await store.setPendingTotp("ann", "S");
    await store.enableTotp("ann", {
      secret: "S",
      step: 1,
      recoveryHashes: ["a"],
    });
    assert.equal(await store.disableTotp("ann", RESET), true);
    assert.equal(await store.totpOf("ann"), undefined);
    assert.equal(await store.useRecoveryCode("ann", "a"), false);
    assert.deepEqual(
      (await store.auditLog({ limit: 10 })).map((e) => e.action),
      ["reset_totp"],
    );
    await store.setPendingTotp("ann", "T");
    await store.enableTotp("ann", {
      secret: "T",
      step: 1,
      recoveryHashes: ["b"],
    });
    assert.ok(await store.deleteAccount("ann", "keep"));
    assert.equal(await store.totpOf("ann"), undefined);
    await store.createAccount(account("ann"));
    assert.equal(await store.totpOf("ann"), undefined);
    assert.equal(await store.useRecoveryCode("ann", "b"), false);
  });
}
