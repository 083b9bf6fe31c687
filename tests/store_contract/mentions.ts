/**
 * The store contract for the list of an account's mentions
 * (listMentions): its own mention rows and its rooms' `@room` markers,
 * newest first, paged by id.
 */
import assert from "node:assert/strict";
import { append, dm, draft, type StoreTest } from "./support.ts";

/** The contract of listMentions. */
export function mentionLists(test: StoreTest): void {
  test(
    "listMentions reads the messages that name the account, in every room and conversation, newest first, across a reopen",
    async (store, reopen) => {
      await store.createRoom("dev", "dev");
      const [first] = await append(store, "general", ["hi @bob", "plain"]);
      const [second] = await append(store, "dev", ["`@bob` in code", "@BOB?"])
        .then((m) => m.slice(1));
      const third = (await store.appendPrivate(dm("carol", "bob", "@bob, see")))
        .message;
      await append(store, "general", ["@carol only"]);
      const expected = [third.id, second.id, first.id];
      assert.deepEqual(
        await store.listMentions("bob", { limit: 10 }),
        expected,
      );
      const again = await reopen();
      assert.deepEqual(
        await again.listMentions("bob", { limit: 10 }),
        expected,
      );
      assert.deepEqual(await again.listMentions("nobody", { limit: 10 }), []);
    },
  );

  test("listMentions pages by the id of the last one read, and a page may end anywhere", async (store) => {
    const sent = await append(store, "general", ["@bob 1", "@bob 2", "@bob 3"]);
    const [a, b, c] = sent.map((m) => m.id);
    const page = (before?: string) =>
      store.listMentions("bob", {
        ...(before === undefined ? {} : { before }),
        limit: 2,
      });
    assert.deepEqual(await page(), [c, b]);
    assert.deepEqual(await page(b), [a]);
    assert.deepEqual(await page(a), []);
  });

  test("listMentions counts a roomWide @room for the members of its room only, not for its author", async (store) => {
    await store.createRoom("dev", "dev");
    await store.addMember("bob", "general");
    await store.addMember("alice", "general");
    const { message } = await store.appendMessage(
      draft("general", "@room look", { roomWide: true }),
    );
    await store.appendMessage(draft("dev", "@room here", { roomWide: true }));
    assert.deepEqual(await store.listMentions("bob", { limit: 10 }), [
      message.id,
    ]);
    assert.deepEqual(await store.listMentions("alice", { limit: 10 }), []);
    assert.deepEqual(await store.listMentions("carol", { limit: 10 }), []);
    await store.removeMember("bob", "general");
    assert.deepEqual(await store.listMentions("bob", { limit: 10 }), []);
  });

  test("listMentions merges the @room markers of each of the account's rooms newest first, with its own, pages them, and lists no marker of a room it is not in", async (store) => {
    for (const room of ["dev", "ops", "ext"]) {
      await store.createRoom(room, room);
    }
    for (const room of ["general", "dev", "ops"]) {
      await store.addMember("bob", room);
    }
    const room = async (key: string, text = "@room look") =>
      (await store.appendMessage(draft(key, text, { roomWide: true })))
        .message.id;
    const listed = [];
    for (const key of ["general", "dev", "ext", "ops", "dev", "ext"]) {
      const id = await room(key);
      if (key !== "ext") listed.push(id);
    }
    const [own] = await append(store, "ext", ["@bob in a room not his"]);
    const gone = await room("ops");
    await store.updateMessage(gone, { deleted: true });
    listed.push(own.id, await room("general"));
    const newest = listed.reverse();
    assert.deepEqual(
      await store.listMentions("bob", { limit: 10 }),
      newest,
    );
    const pages = [];
    let before: string | undefined;
    for (;;) {
      const page = await store.listMentions("bob", {
        ...(before === undefined ? {} : { before }),
        limit: 2,
      });
      if (page.length === 0) break;
      pages.push(page);
      before = page.at(-1);
    }
    assert.deepEqual(pages, [
      newest.slice(0, 2),
      newest.slice(2, 4),
      newest.slice(4, 6),
    ]);
    assert.deepEqual(await store.listMentions("carol", { limit: 10 }), []);
  });

  test("listMentions leaves out deleted messages, those of authors the account ignores, and a deleted room's", async (store) => {
    await store.createRoom("dev", "dev");
    const [gone, kept] = await append(store, "general", ["@bob a", "@bob b"]);
    await store.appendMessage(
      draft("general", "@bob c", { userKey: "mallory", user: "Mallory" }),
    );
    const [inDev] = await append(store, "dev", ["@bob d"]);
    await store.updateMessage(gone.id, { deleted: true });
    assert.equal(
      await store.ignore("bob", { key: "mallory", name: "Mallory", max: 10 }),
      true,
    );
    assert.deepEqual(await store.listMentions("bob", { limit: 10 }), [
      inDev.id,
      kept.id,
    ]);
    assert.ok(await store.deleteRoom("dev"));
    assert.deepEqual(await store.listMentions("bob", { limit: 10 }), [
      kept.id,
    ]);
  });

  test("listMentions lists an @room that also names the account once, and still after it left the room and joined again, while an edit keeps the name; the marker alone counts from the join", async (store) => {
    await store.createRoom("dev", "dev");
    await store.addMember("bob", "dev");
    const room = async (text: string) =>
      (await store.appendMessage(draft("dev", text, { roomWide: true })))
        .message;
    const named = await room("@room deploy, @bob");
    const plain = await room("@room lunch");
    const listed = () => store.listMentions("bob", { limit: 10 });
    assert.deepEqual(await listed(), [plain.id, named.id]);
    await store.removeMember("bob", "dev");
    assert.deepEqual(await listed(), [named.id]);
    // The join's very millisecond counts: let the last marker's pass.
    while (Date.now() <= Date.parse(plain.ts)) {
      await new Promise((done) => setTimeout(done, 1));
    }
    await store.addMember("bob", "dev");
    assert.deepEqual(await listed(), [named.id]);
    await store.updateMessage(named.id, {
      text: "@room deploy",
      roomWide: true,
    });
    assert.deepEqual(await listed(), [], "its marker is from before the join");
    await store.updateMessage(plain.id, {
      text: "@room lunch, @bob",
      roomWide: true,
    });
    assert.deepEqual(await listed(), [plain.id]);
  });

  test("listMentions follows an edit: a name added is listed, a name taken out is not", async (store) => {
    const [message] = await append(store, "general", ["hi @bob"]);
    await store.updateMessage(message.id, { text: "hi @carol" });
    assert.deepEqual(await store.listMentions("bob", { limit: 10 }), []);
    assert.deepEqual(await store.listMentions("carol", { limit: 10 }), [
      message.id,
    ]);
  });
}
