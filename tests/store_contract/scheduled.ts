/**
 * The store contract for scheduled messages: addScheduled (capped per
 * account), listScheduled (the soonest first), updateScheduled and
 * cancelScheduled (not of one claimed), claimDueScheduled (each claimed
 * once per lease, an author's only while none of theirs is held) and
 * confirmScheduled; gone with the account and with
 * the room they go to; their files kept from the uploads' sweep.
 */
import assert from "node:assert/strict";
import type { ScheduledRow } from "../../server/store/mod.ts";
import { account, type StoreTest } from "./support.ts";

/** A scheduled message of `userKey` to general, due at `sendAt`. */
function row(
  id: string,
  userKey: string,
  sendAt: number,
  more: Partial<ScheduledRow> = {},
): ScheduledRow {
  return {
    id,
    userKey,
    room: "general",
    roomKey: "general",
    text: `text of ${id}`,
    sendAt,
    createdAt: 1_000,
    ...more,
  };
}

/** The contract of the scheduled messages' rows. */
export function scheduledMessages(test: StoreTest): void {
  test(
    "addScheduled keeps every field, listScheduled reads an account's the soonest first (ties by id), across a reopen",
    async (store, reopen) => {
      const full = row("s2", "ann", 5_000, {
        room: undefined,
        roomKey: undefined,
        to: "BEN",
        attachments: [{ url: "/files/a/b.png" }],
        replyTo: "m1",
      });
      delete full.room;
      delete full.roomKey;
      assert.equal(await store.addScheduled(full, 10), "added");
      assert.equal(
        await store.addScheduled(row("s3", "ann", 3_000), 10),
        "added",
      );
      assert.equal(
        await store.addScheduled(row("s1", "ann", 3_000), 10),
        "added",
      );
      assert.equal(
        await store.addScheduled(row("s4", "ben", 1_000), 10),
        "added",
      );
      const expected = [
        row("s1", "ann", 3_000),
        row("s3", "ann", 3_000),
        full,
      ];
      assert.deepEqual(await store.listScheduled("ann"), expected);
      const again = await reopen();
      assert.deepEqual(await again.listScheduled("ann"), expected);
      assert.deepEqual(await again.listScheduled("nobody"), []);
    },
  );

  test("addScheduled refuses one past max for its account only, and a cancel makes room", async (store) => {
    for (const id of ["a", "b"]) {
      assert.equal(await store.addScheduled(row(id, "ann", 1_000), 2), "added");
    }
    assert.equal(await store.addScheduled(row("c", "ann", 1_000), 2), "full");
    assert.equal(await store.addScheduled(row("d", "ben", 1_000), 2), "added");
    assert.equal(await store.cancelScheduled("ann", "a", 0), true);
    assert.equal(await store.cancelScheduled("ann", "a", 0), false);
    // Another account's id is not the caller's to cancel.
    assert.equal(await store.cancelScheduled("ann", "d", 0), false);
    assert.equal(await store.addScheduled(row("c", "ann", 1_000), 2), "added");
  });

  test("updateScheduled changes the text or the time or both, and answers the row as it is now; none for another account's or an unknown id", async (store) => {
    await store.addScheduled(row("a", "ann", 5_000), 10);
    assert.deepEqual(
      await store.updateScheduled("ann", "a", { text: "new" }, 0),
      row("a", "ann", 5_000, { text: "new" }),
    );
    assert.deepEqual(
      await store.updateScheduled("ann", "a", { sendAt: 9_000 }, 0),
      row("a", "ann", 9_000, { text: "new" }),
    );
    assert.equal(
      await store.updateScheduled("ben", "a", { text: "x" }, 0),
      undefined,
    );
    assert.equal(
      await store.updateScheduled("ann", "zz", { text: "x" }, 0),
      undefined,
    );
  });

  test("claimDueScheduled claims the due ones once per lease, the soonest first; one claimed is neither changed nor cancelled until its lease runs out; confirmScheduled removes it", async (store) => {
    await store.addScheduled(row("late", "ann", 9_000), 10);
    await store.addScheduled(row("b", "ann", 2_000), 10);
    await store.addScheduled(row("a", "ben", 1_000), 10);
    const claimed = await store.claimDueScheduled(5_000, 10, 6_000);
    assert.deepEqual(claimed.map((r) => r.id), ["a", "b"]);
    // Held: a second claimer at once gets none of them.
    assert.deepEqual(await store.claimDueScheduled(5_500, 10, 6_500), []);
    assert.equal(
      await store.updateScheduled("ann", "b", { text: "x" }, 5_500),
      undefined,
    );
    assert.equal(await store.cancelScheduled("ann", "b", 5_500), false);
    // The lease runs out unconfirmed: claimed again.
    assert.deepEqual(
      (await store.claimDueScheduled(6_000, 1, 7_000)).map((r) => r.id),
      ["a"],
    );
    assert.equal(await store.confirmScheduled("ben", "a"), true);
    assert.equal(await store.confirmScheduled("ben", "a"), false);
    assert.deepEqual(
      (await store.listScheduled("ann")).map((r) => r.id),
      ["b", "late"],
    );
  });

  test("claimDueScheduled takes none of an author's due ones while another of theirs is held, so one author's go out in order whoever claims; two claims at once never split an author's", async (store) => {
    // Written in turns: in claim order (send_at, id) the authors alternate.
    for (let i = 0; i < 6; i++) {
      await store.addScheduled(row(`${i}a`, "ann", 1_000), 10);
      await store.addScheduled(row(`${i}b`, "ben", 1_000), 10);
    }
    // The first claim's batch ends in the middle of both authors' rows:
    // the rest wait until those are confirmed, whoever claims next.
    assert.deepEqual(
      (await store.claimDueScheduled(5_000, 4, 9_000)).map((r) => r.id),
      ["0a", "0b", "1a", "1b"],
    );
    assert.deepEqual(await store.claimDueScheduled(5_000, 10, 9_000), []);
    for (const id of ["0a", "1a"]) {
      assert.equal(await store.confirmScheduled("ann", id), true);
    }
    assert.deepEqual(
      (await store.claimDueScheduled(5_000, 10, 9_000)).map((r) => r.id),
      ["2a", "3a", "4a", "5a"],
    );
    // The leases run out unconfirmed: each author's are claimed again from
    // its first unconfirmed, in order.
    assert.deepEqual(
      (await store.claimDueScheduled(9_000, 10, 12_000)).map((r) => r.id),
      ["0b", "1b", "2a", "2b", "3a", "3b", "4a", "4b", "5a", "5b"],
    );
    for (let i = 0; i < 6; i++) {
      await store.confirmScheduled("ben", `${i}b`);
      if (i >= 2) await store.confirmScheduled("ann", `${i}a`);
    }
    for (let i = 0; i < 10; i++) {
      await store.addScheduled(row(`${i}c`, "cy", 1_000), 10);
    }
    const [one, two] = await Promise.all([
      store.claimDueScheduled(20_000, 5, 30_000),
      store.claimDueScheduled(20_000, 5, 30_000),
    ]);
    assert.deepEqual(
      [...one, ...two].map((r) => r.id),
      ["0c", "1c", "2c", "3c", "4c"],
    );
  });

  test("renameRoom carries the messages scheduled to the room under its new key, its members' under its new name, a former member's under the name written", async (store) => {
    await store.createRoom("plans", "plans");
    await store.addMember("ann", "plans");
    await store.addScheduled(
      row("a", "ann", 1_000, { room: "plans", roomKey: "plans" }),
      10,
    );
    await store.addScheduled(row("b", "ann", 2_000), 10);
    await store.addScheduled(
      row("c", "ben", 1_000, { room: "plans", roomKey: "plans" }),
      10,
    );
    assert.ok(await store.renameRoom("plans", "roadmap", "Roadmap"));
    assert.deepEqual(await store.listScheduled("ann"), [
      row("a", "ann", 1_000, { room: "Roadmap", roomKey: "roadmap" }),
      row("b", "ann", 2_000),
    ]);
    assert.deepEqual(await store.listScheduled("ben"), [
      row("c", "ben", 1_000, { room: "plans", roomKey: "roadmap" }),
    ]);
  });

  test("deleteAccount takes the account's scheduled messages, and deleteRoom those to the room, answering which went (their authors are told)", async (store) => {
    await store.createAccount(account("ann"));
    await store.createRoom("plans", "plans");
    await store.addScheduled(row("a", "ann", 1_000), 10);
    await store.addScheduled(row("b", "ben", 1_000), 10);
    await store.addScheduled(
      row("c", "ben", 1_000, { room: "plans", roomKey: "plans" }),
      10,
    );
    assert.ok(await store.deleteAccount("ann", "keep"));
    assert.deepEqual(await store.listScheduled("ann"), []);
    assert.deepEqual(await store.deleteRoom("plans"), {
      unscheduled: [{ userKey: "ben", id: "c" }],
    });
    assert.deepEqual(
      (await store.listScheduled("ben")).map((r) => r.id),
      ["b"],
    );
    await store.createRoom("empty", "empty");
    assert.deepEqual(await store.deleteRoom("empty"), { unscheduled: [] });
  });

  test("sweepUploads keeps an upload no message carries yet while a scheduled message does, and forgets it once that one is gone", async (store) => {
    await store.createAccount(account("ann"));
    const upload = (id: string, hash: string) => ({
      id,
      hash,
      name: "x.png",
      size: 3,
      type: "image/png",
      uploader: "ann",
      createdAt: 1_000,
    });
    const kept = upload("a".repeat(32), "1".repeat(64));
    const loose = upload("b".repeat(32), "2".repeat(64));
    for (const u of [kept, loose]) await store.saveUpload(u);
    const file = {
      url: `/files/${kept.id}/x.png`,
      name: "x.png",
      size: 3,
      type: "image/png",
    };
    await store.addScheduled(
      row("s", "ann", 9_000_000_000_000, { attachments: [file] }),
      10,
    );
    await store.addScheduled(row("t", "ann", 9_000_000_000_000), 10);
    assert.deepEqual(await store.sweepUploads(Date.now()), [loose.hash]);
    assert.deepEqual(await store.findUpload(kept.id), kept);
    assert.ok(await store.cancelScheduled("ann", "s", Date.now()));
    assert.deepEqual(await store.sweepUploads(Date.now()), [kept.hash]);
  });
}
