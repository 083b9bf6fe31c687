/**
 * The store contract for email addresses (setEmail, emailOf, verifyEmail,
 * verifiedEmailAccounts).
 */
import assert from "node:assert/strict";
import { account, type StoreTest } from "./support.ts";

/** The contract of the accounts' email addresses and their links. */
export function emails(test: StoreTest): void {
  test(
    "setEmail keeps an address unverified across a reopen; its link verifies it once, before it expires; null removes it",
    async (store, reopen) => {
      for (const who of ["ann", "ben"]) {
        await store.createAccount(account(who));
      }
      assert.equal(await store.emailOf("ann"), undefined);
      const now = 1_800_000_000_000;
      assert.equal(
        await store.setEmail("ann", "ann@example.org", {
          tokenHash: "hash-ann",
          expiresAt: now + 1000,
        }),
        true,
      );
      await store.setEmail("ben", "ben@example.org", {
        tokenHash: "hash-ben",
        expiresAt: now + 1000,
      });
      assert.equal(
        await store.setEmail("nobody", "x@example.org", {
          tokenHash: "hash-x",
          expiresAt: now + 1000,
        }),
        false,
      );
      const again = await reopen();
      assert.deepEqual(await again.emailOf("ann"), {
        address: "ann@example.org",
        verified: false,
      });
      assert.equal(await again.verifyEmail("hash-x", now), undefined);
      assert.equal(await again.verifyEmail("hash-ben", now + 1000), undefined);
      assert.deepEqual(await again.verifyEmail("hash-ann", now), {
        userKey: "ann",
        address: "ann@example.org",
      });
      assert.equal(await again.verifyEmail("hash-ann", now), undefined);
      assert.deepEqual(await again.emailOf("ann"), {
        address: "ann@example.org",
        verified: true,
      });
      assert.deepEqual(await again.emailOf("ben"), {
        address: "ben@example.org",
        verified: false,
      });
      assert.equal(await again.setEmail("ann", null), true);
      assert.equal(await again.emailOf("ann"), undefined);
    },
  );

  test("a new address replaces the link of the old one, which verifies nothing", async (store) => {
    await store.createAccount(account("ann"));
    const now = 1_800_000_000_000;
    await store.setEmail("ann", "old@example.org", {
      tokenHash: "hash-old",
      expiresAt: now + 1000,
    });
    await store.setEmail("ann", "new@example.org", {
      tokenHash: "hash-new",
      expiresAt: now + 1000,
    });
    assert.equal(await store.verifyEmail("hash-old", now), undefined);
    assert.deepEqual(await store.emailOf("ann"), {
      address: "new@example.org",
      verified: false,
    });
    assert.deepEqual(await store.verifyEmail("hash-new", now), {
      userKey: "ann",
      address: "new@example.org",
    });
  });

  test("a new address, or none, ends the account's password reset links (the old address may be read by someone else); another account's stay", async (store) => {
    for (const who of ["ann", "ben"]) await store.createAccount(account(who));
    const now = Date.now();
    await store.setEmail("ann", "ann@example.org");
    for (
      const [hash, userKey] of [["a1", "ann"], ["a2", "ann"], ["b1", "ben"]]
    ) {
      await store.createPasswordReset(hash, {
        userKey,
        expiresAt: now + 3_600_000,
      });
    }
    assert.equal(await store.setEmail("ann", "new@example.org"), true);
    assert.equal(await store.takePasswordReset("a1", now), undefined);
    await store.createPasswordReset("a3", {
      userKey: "ann",
      expiresAt: now + 3_600_000,
    });
    assert.equal(await store.setEmail("ann", null), true);
    assert.equal(await store.takePasswordReset("a2", now), undefined);
    assert.equal(await store.takePasswordReset("a3", now), undefined);
    assert.equal(await store.takePasswordReset("b1", now), "ben");
  });

  test("a deleted account's address and link go with it; its name registered again has none", async (store) => {
    await store.createAccount(account("ann"));
    await store.setEmail("ann", "ann@example.org", {
      tokenHash: "hash-ann",
      expiresAt: 1_800_000_000_000,
    });
    await store.deleteAccount("ann", "anonymise");
    assert.equal(await store.verifyEmail("hash-ann", 0), undefined);
    await store.createAccount(account("ann"));
    assert.equal(await store.emailOf("ann"), undefined);
  });

  test("verifiedEmailAccounts finds the accounts whose verified address it is, without case, at most the limit; an unverified one never", async (store) => {
    const now = 1_800_000_000_000;
    for (const who of ["cat", "ann", "ben", "dan"]) {
      await store.createAccount(account(who));
      await store.setEmail(
        who,
        `${who === "dan" ? "dan" : "team"}@example.org`,
        {
          tokenHash: `hash-${who}`,
          expiresAt: now + 1000,
        },
      );
    }
    assert.deepEqual(
      await store.verifiedEmailAccounts("team@example.org", 5),
      [],
    );
    for (const who of ["ann", "cat", "dan"]) {
      await store.verifyEmail(`hash-${who}`, now);
    }
    assert.deepEqual(
      (await store.verifiedEmailAccounts("Team@EXAMPLE.org", 5)).sort(),
      ["ann", "cat"],
    );
    assert.equal(
      (await store.verifiedEmailAccounts("team@example.org", 1)).length,
      1,
    );
    assert.deepEqual(await store.verifiedEmailAccounts("dan@example.org", 5), [
      "dan",
    ]);
    assert.deepEqual(await store.verifiedEmailAccounts("x@example.org", 5), []);
    await store.setEmail("cat", "cat@example.org", {
      tokenHash: "hash-cat2",
      expiresAt: now + 1000,
    });
    assert.deepEqual(
      await store.verifiedEmailAccounts("team@example.org", 5),
      ["ann"],
    );
  });

  test(
    "verifiedEmailAccounts folds Unicode's case, not ASCII's alone: ÉLISE@ finds élise@ and the reverse, across a reopen, on every store",
    async (store, reopen) => {
      const now = 1_800_000_000_000;
      await store.createAccount(account("elise"));
      await store.createAccount(account("oscar"));
      await store.setEmail("elise", "élise@example.com", {
        tokenHash: "hash-elise",
        expiresAt: now + 1000,
      });
      await store.setEmail("oscar", "ÖSCAR@Example.com", {
        tokenHash: "hash-oscar",
        expiresAt: now + 1000,
      });
      await store.verifyEmail("hash-elise", now);
      await store.verifyEmail("hash-oscar", now);
      for (const reading of [store, undefined]) {
        const found = reading ?? await reopen();
        assert.deepEqual(
          await found.verifiedEmailAccounts("ÉLISE@example.com", 5),
          ["elise"],
        );
        assert.deepEqual(
          await found.verifiedEmailAccounts("öscar@example.COM", 5),
          ["oscar"],
        );
        // Composed or not, one mailbox: E and U+0301 is É.
        assert.deepEqual(
          await found.verifiedEmailAccounts("E\u0301LISE@example.com", 5),
          ["elise"],
        );
        // The address as kept, its spelling unchanged.
        assert.deepEqual(await found.emailOf("oscar"), {
          address: "ÖSCAR@Example.com",
          verified: true,
        });
      }
    },
  );
}
