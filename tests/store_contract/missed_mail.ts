/**
 * The store contract for missed-message mails (MissedMailStore): the
 * setting, the queue, its claim under a lease and its confirmation.
 */
import assert from "node:assert/strict";
import { account, type StoreTest } from "./support.ts";

const NOW = 1_800_000_000_000;

/** The contract of the missed-message mails' setting and queue. */
export function missedMails(test: StoreTest): void {
  test(
    "missed mails are on, their language never chosen (null), by default; a change is kept across a reopen; only verified addresses with the mails on are targets",
    async (store, reopen) => {
      for (const who of ["ann", "ben", "cid"]) {
        await store.createAccount(account(who));
      }
      assert.deepEqual(await store.missedMailSetting("ann"), {
        enabled: true,
        language: null,
      });
      assert.equal(await store.missedMailSetting("nobody"), undefined);
      assert.equal(
        await store.setMissedMail("nobody", { enabled: false }),
        undefined,
      );
      for (const who of ["ann", "ben", "cid"]) {
        await store.setEmail(who, `${who}@example.org`, {
          tokenHash: `hash-${who}`,
          expiresAt: NOW + 1000,
        });
      }
      await store.verifyEmail("hash-ann", NOW);
      await store.verifyEmail("hash-ben", NOW);
      assert.deepEqual(await store.setMissedMail("ben", { enabled: false }), {
        enabled: false,
        language: null,
      });
      assert.deepEqual(await store.setMissedMail("ann", { language: "fr" }), {
        enabled: true,
        language: "fr",
      });
      const again = await reopen();
      assert.deepEqual(await again.missedMailSetting("ann"), {
        enabled: true,
        language: "fr",
      });
      assert.deepEqual(await again.missedMailSetting("ben"), {
        enabled: false,
        language: null,
      });
      assert.deepEqual(
        await again.missedMailTargets(["ann", "ben", "cid", "nobody"]),
        ["ann"],
      );
      assert.deepEqual(await again.missedMailTargets([]), []);
    },
  );

  test(
    "a missed mails language chosen, English included, is told apart from none chosen (null) and kept across a reopen; a change of on or off alone keeps it",
    async (store, reopen) => {
      for (const who of ["ann", "ben"]) {
        await store.createAccount(account(who));
      }
      assert.deepEqual(await store.setMissedMail("ann", { language: "en" }), {
        enabled: true,
        language: "en",
      });
      await store.setMissedMail("ann", { enabled: false });
      await store.setMissedMail("ben", { enabled: false });
      await store.setMissedMail("ben", { enabled: true });
      const again = await reopen();
      assert.deepEqual(await again.missedMailSetting("ann"), {
        enabled: false,
        language: "en",
      });
      assert.deepEqual(await again.missedMailSetting("ben"), {
        enabled: true,
        language: null,
      });
    },
  );

  test("queued messages make one mail an account, due at the first one's time; one claimer per lease; a confirmation keeps what came meanwhile, due again", async (store) => {
    await store.createAccount(account("ann"));
    const m = (id: string, at: number) => ({ id, stream: "general", at });
    assert.equal(
      await store.queueMissed("ann", m("m1", NOW), NOW + 100, 3),
      true,
    );
    assert.equal(
      await store.queueMissed("ann", m("m1", NOW), NOW + 100, 3),
      false,
    );
    assert.equal(
      await store.queueMissed("ann", m("m2", NOW + 50), NOW + 150, 3),
      true,
    );
    assert.equal(
      await store.queueMissed("ann", m("m3", NOW + 60), NOW + 160, 3),
      true,
    );
    assert.equal(
      await store.queueMissed("ann", m("m4", NOW + 70), NOW + 170, 3),
      false,
      "past the cap, nothing is queued",
    );
    assert.deepEqual(
      await store.claimDueMissedMails(NOW + 99, 10, NOW + 1000),
      [],
    );
    assert.deepEqual(
      await store.claimDueMissedMails(NOW + 100, 10, NOW + 1000),
      [
        { userKey: "ann", dueAt: NOW + 100 },
      ],
    );
    assert.deepEqual(
      await store.claimDueMissedMails(NOW + 200, 10, NOW + 1000),
      [],
      "held by the lease",
    );
    const queued = await store.missedMessages("ann");
    assert.deepEqual(queued.map((q) => q.id), ["m1", "m2", "m3"]);
    await store.confirmMissedMail("ann", ["m1", "m2"], NOW + 5000);
    assert.deepEqual((await store.missedMessages("ann")).map((q) => q.id), [
      "m3",
    ]);
    assert.deepEqual(
      await store.claimDueMissedMails(NOW + 4999, 10, NOW + 9000),
      [],
    );
    assert.deepEqual(
      await store.claimDueMissedMails(NOW + 5000, 10, NOW + 9000),
      [
        { userKey: "ann", dueAt: NOW + 5000 },
      ],
    );
    await store.confirmMissedMail("ann", ["m3"], NOW + 9999);
    assert.deepEqual(await store.missedMessages("ann"), []);
    assert.deepEqual(
      await store.claimDueMissedMails(NOW + 99_999, 10, NOW + 200_000),
      [],
    );
  });

  test("a mail whose lease ran out is claimed again; turning the mails off or deleting the account drops its queue", async (store) => {
    for (const who of ["ann", "ben"]) await store.createAccount(account(who));
    const m = (id: string) => ({ id, stream: "general", at: NOW });
    await store.queueMissed("ann", m("a1"), NOW, 10);
    await store.queueMissed("ben", m("b1"), NOW, 10);
    assert.equal(
      (await store.claimDueMissedMails(NOW, 10, NOW + 100)).length,
      2,
    );
    assert.deepEqual(
      (await store.claimDueMissedMails(NOW + 100, 10, NOW + 200)).map((d) =>
        d.userKey
      ).sort(),
      ["ann", "ben"],
    );
    await store.setMissedMail("ann", { enabled: false });
    assert.ok(await store.deleteAccount("ben", "keep"));
    assert.deepEqual(await store.missedMessages("ann"), []);
    assert.deepEqual(await store.missedMessages("ben"), []);
    assert.deepEqual(
      await store.claimDueMissedMails(NOW + 500, 10, NOW + 600),
      [],
    );
  });

  test("a full queue counts the messages past it (once each, none queued twice); a confirmation takes away the number told, and the count goes with the mail", async (store) => {
    await store.createAccount(account("ann"));
    const m = (id: string) => ({ id, stream: "general", at: NOW });
    assert.equal(await store.missedMore("ann"), 0);
    await store.queueMissed("ann", m("m1"), NOW, 2);
    await store.queueMissed("ann", m("m2"), NOW, 2);
    assert.equal(await store.queueMissed("ann", m("m3"), NOW, 2), false);
    assert.equal(await store.queueMissed("ann", m("m4"), NOW, 2), false);
    // Queued already: not one more.
    assert.equal(await store.queueMissed("ann", m("m1"), NOW, 2), false);
    assert.equal(await store.missedMore("ann"), 2);
    await store.claimDueMissedMails(NOW, 10, NOW + 100);
    // m5 comes while the mail of m1, m2 and 2 more is being sent.
    await store.queueMissed("ann", m("m5"), NOW, 2);
    assert.equal(await store.missedMore("ann"), 3);
    // m5 came after the queue was full: not queued, counted.
    await store.confirmMissedMail("ann", ["m1"], NOW + 500, 2);
    assert.equal(await store.missedMore("ann"), 1);
    await store.confirmMissedMail("ann", ["m2"], NOW + 900, 0);
    assert.deepEqual(await store.missedMessages("ann"), []);
    assert.equal(await store.missedMore("ann"), 0);
  });
}
