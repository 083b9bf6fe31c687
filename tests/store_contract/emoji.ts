/**
 * The store contract for custom emoji (addEmoji, removeEmoji, listEmoji,
 * findEmoji): each names an upload, forgotten with it.
 */
import assert from "node:assert/strict";
import type { NewEmoji } from "../../server/store/mod.ts";
import { account, type StoreTest, UPLOAD } from "./support.ts";

// An emoji of Alice's named `name`, its upload's id made from `n`.
function emojiOf(name: string, n: number): NewEmoji {
  const id = n.toString(16).padStart(32, "e");
  return {
    name,
    upload: { ...UPLOAD, id, name, createdAt: 1_700_000_000_000 + n },
    authorKey: "alice",
    createdAt: 1_700_000_000_000 + n,
  };
}

/** The contract of the custom emoji. */
export function customEmoji(test: StoreTest): void {
  test(
    "addEmoji keeps an emoji and its upload across a reopen, by name; a name taken is exists, past the cap too_many, no author gone",
    async (store, reopen) => {
      await store.createAccount(account("alice"));
      assert.deepEqual(await store.listEmoji(), []);
      const parrot = emojiOf("party_parrot", 1);
      assert.equal(await store.addEmoji(parrot, { max: 2 }), "added");
      assert.equal(
        await store.addEmoji(emojiOf("party_parrot", 2), { max: 2 }),
        "exists",
      );
      assert.equal(
        await store.addEmoji(emojiOf("+1x", 3), { max: 2 }),
        "added",
      );
      assert.equal(
        await store.addEmoji(emojiOf("third", 4), { max: 2 }),
        "too_many",
      );
      // Refused, recorded nothing: no upload of theirs either.
      assert.equal(
        await store.findUpload(emojiOf("party_parrot", 2).upload.id),
        undefined,
      );
      assert.equal(
        await store.findUpload(emojiOf("third", 4).upload.id),
        undefined,
      );
      assert.equal(
        await store.addEmoji(
          { ...emojiOf("ghost", 5), authorKey: "nobody" },
          { max: 10 },
        ),
        "gone",
      );
      assert.equal(
        await store.addEmoji(emojiOf("late", 6), {
          max: 10,
          authorCreatedAt: 1,
        }),
        "gone",
      );
      const again = await reopen();
      const entry = (name: string, n: number) => ({
        name,
        uploadId: emojiOf(name, n).upload.id,
        authorKey: "alice",
        author: "ALICE",
        createdAt: 1_700_000_000_000 + n,
      });
      assert.deepEqual(await again.listEmoji(), [
        entry("+1x", 3),
        entry("party_parrot", 1),
      ]);
      assert.deepEqual(await again.findEmoji("party_parrot"), {
        ...entry("party_parrot", 1),
        upload: parrot.upload,
      });
      assert.equal(await again.findEmoji("ghost"), undefined);
    },
  );

  test(
    "removeEmoji forgets the emoji and its upload, recording its hash for deletion only when no other upload uses it",
    async (store) => {
      await store.createAccount(account("alice"));
      const parrot = emojiOf("party_parrot", 1);
      await store.addEmoji(parrot, { max: 10 });
      // The same bytes in a shared file: they stay when the emoji goes.
      await store.saveUpload(UPLOAD);
      const cat = emojiOf("cat_jam", 2);
      cat.upload.hash = "cd".repeat(32);
      await store.addEmoji(cat, { max: 10 });
      assert.equal(await store.removeEmoji("party_parrot"), true);
      assert.equal(await store.findEmoji("party_parrot"), undefined);
      assert.equal(await store.findUpload(parrot.upload.id), undefined);
      assert.deepEqual(await store.pendingFileDeletions("", 10), []);
      assert.equal(await store.removeEmoji("cat_jam"), true);
      assert.deepEqual(await store.pendingFileDeletions("", 10), [
        cat.upload.hash,
      ]);
      assert.equal(await store.removeEmoji("cat_jam"), false);
      assert.deepEqual(await store.listEmoji(), []);
    },
  );

  test(
    "removeEmoji writes an admin's audit entry with the removal, none when there was no such emoji",
    async (store) => {
      await store.createAccount(account("alice"));
      await store.addEmoji(emojiOf("party_parrot", 1), { max: 10 });
      const entry = (details: Record<string, string>) => ({
        at: 1_700_000_000_000,
        by: "root",
        action: "remove_emoji",
        target: "ALICE",
        address: "10.0.0.1",
        details,
      });
      assert.equal(
        await store.removeEmoji("party_parrot", entry({ emoji: "first" })),
        true,
      );
      assert.equal(
        await store.removeEmoji("party_parrot", entry({ emoji: "again" })),
        false,
      );
      const log = await store.auditLog({ limit: 10 });
      assert.deepEqual(log.map((e) => e.details), [{ emoji: "first" }]);
    },
  );

  test(
    "the sweep leaves an emoji's upload, and a deleted author leaves the emoji without one",
    async (store) => {
      await store.createAccount(account("alice"));
      const parrot = emojiOf("party_parrot", 1);
      await store.addEmoji(parrot, { max: 10 });
      await store.sweepUploads(Date.now() + 60_000);
      assert.deepEqual(
        await store.findUpload(parrot.upload.id),
        parrot.upload,
      );
      await store.deleteAccount("alice", "keep");
      assert.deepEqual(await store.listEmoji(), [{
        name: "party_parrot",
        uploadId: parrot.upload.id,
        authorKey: null,
        author: null,
        createdAt: parrot.createdAt,
      }]);
    },
  );
}
