/**
 * The store contract for polls (server/polls.ts): changePoll gives a
 * message its poll, counts votes and closes it, one version each change;
 * a delete takes the poll, an account's deletion its votes.
 */
import assert from "node:assert/strict";
import { newPoll, type PollChange } from "../../server/polls.ts";
import { RoomArchivedError } from "../../server/store/mod.ts";
import { account, draft, type StoreTest } from "./support.ts";

/** The contract of changePoll. */
export function polls(test: StoreTest): void {
  test("changePoll gives a message its poll once, counts each account's vote in place of its last, and closes it; each change one more version", async (store) => {
    const { message } = await store.appendMessage(draft("general", "Lunch?"));
    const poll = newPoll("Lunch?", { texts: ["A", "B"], multiple: false });
    const made = await store.changePoll(message.id, { kind: "create", poll });
    assert.equal(made.status, "done");
    if (made.status !== "done") return;
    assert.equal(made.message.version, 1);
    assert.deepEqual(made.message.poll, {
      question: "Lunch?",
      options: [
        { text: "A", votes: 0, voters: [] },
        { text: "B", votes: 0, voters: [] },
      ],
      multiple: false,
      closed: false,
    });
    // A second poll does not replace the first.
    const again = await store.changePoll(message.id, {
      kind: "create",
      poll: newPoll("Other?", { texts: ["C", "D"], multiple: true }),
    });
    assert.equal(again.status === "done" && again.changed, false);
    const vote = (userKey: string, options: number[]) =>
      store.changePoll(message.id, {
        kind: "vote",
        userKey,
        user: userKey.toUpperCase(),
        options,
      });
    await vote("ann", [0]);
    await vote("ben", [0]);
    const moved = await vote("ann", [1]);
    assert.ok(moved.status === "done" && moved.changed);
    assert.deepEqual(
      moved.message.poll?.options.map((o) => [o.votes, o.voters]),
      [[1, ["BEN"]], [1, ["ANN"]]],
    );
    assert.equal(moved.message.version, 4);
    const same = await vote("ann", [1]);
    assert.ok(same.status === "done" && !same.changed);
    assert.equal(same.message.version, 4);
    assert.deepEqual((await vote("ann", [0, 1])).status, "bad_option");
    assert.deepEqual((await vote("ann", [2])).status, "bad_option");
    const closed = await store.changePoll(message.id, { kind: "close" });
    assert.ok(closed.status === "done" && closed.message.poll?.closed);
    assert.equal(closed.message.version, 5);
    assert.deepEqual((await vote("ann", [])).status, "closed");
    assert.deepEqual(
      (await store.findMessage(message.id))?.message,
      closed.message,
    );
  });

  test("changePoll: a message without a poll is not_a_poll, a deleted one not_found and its poll gone", async (store) => {
    const { message } = await store.appendMessage(draft("general", "hello"));
    assert.equal(
      (await store.changePoll(message.id, { kind: "close" })).status,
      "not_a_poll",
    );
    await store.changePoll(message.id, {
      kind: "create",
      poll: newPoll("hello", { texts: ["A", "B"], multiple: false }),
    });
    const deleted = await store.updateMessage(message.id, { deleted: true });
    assert.equal(deleted?.poll, undefined);
    assert.equal(
      (await store.changePoll(message.id, { kind: "close" })).status,
      "not_found",
    );
    assert.equal(
      (await store.changePoll("01ARZ3NDEKTSV4RRFFQ69G5FAV", { kind: "close" }))
        .status,
      "not_found",
    );
  });

  test("deleteAccount takes the account's votes away from every poll, one more version each, and names those polls; a vote of an account deleted since is gone", async (store) => {
    assert.ok(await store.createAccount(account("ann")));
    const created = await store.findAccount("ann");
    const { message } = await store.appendMessage(draft("general", "Q?"));
    await store.changePoll(message.id, {
      kind: "create",
      poll: newPoll("Q?", { texts: ["A", "B"], multiple: true }),
    });
    const vote = (userKey: string, accountCreatedAt?: number) =>
      store.changePoll(message.id, {
        kind: "vote",
        userKey,
        user: userKey.toUpperCase(),
        options: [0, 1],
        accountCreatedAt,
      });
    await vote("ann", created?.createdAt);
    await vote("ben");
    // A poll ann did not vote in is not named.
    const other = await store.appendMessage(draft("general", "Tea?"));
    await store.changePoll(other.message.id, {
      kind: "create",
      poll: newPoll("Tea?", { texts: ["A", "B"], multiple: false }),
    });
    const before = (await store.findMessage(message.id))?.message.version ?? 0;
    assert.deepEqual(await store.deleteAccount("ann", "keep"), {
      polls: [message.id],
    });
    const after = await store.findMessage(message.id);
    assert.deepEqual(
      after?.message.poll?.options.map((o) => o.voters),
      [["BEN"], ["BEN"]],
    );
    // Readers sent it again keep it over the copy they hold.
    assert.equal(after?.message.version, before + 1);
    assert.equal((await vote("ann", created?.createdAt)).status, "gone");
  });

  test("pollChoices: the account's choice in each poll asked, past the 100 voters named too; [] where it has none; no message, a deleted one or one without a poll left out", async (store) => {
    const poll = async (text: string, multiple: boolean) => {
      const { message } = await store.appendMessage(draft("general", text));
      await store.changePoll(message.id, {
        kind: "create",
        poll: newPoll(text, { texts: ["A", "B", "C"], multiple }),
      });
      return message;
    };
    const vote = (id: string, userKey: string, options: number[]) =>
      store.changePoll(id, { kind: "vote", userKey, user: userKey, options });
    const big = await poll("Big?", true);
    // 101 voters before ann: `voters` names none of her choice.
    for (let i = 0; i < 101; i++) await vote(big.id, `v${i}`, [0, 2]);
    await vote(big.id, "ann", [2, 0]);
    const small = await poll("Small?", false);
    await vote(small.id, "ben", [1]);
    const gone = await poll("Gone?", false);
    await vote(gone.id, "ann", [1]);
    await store.updateMessage(gone.id, { deleted: true });
    const plain = await store.appendMessage(draft("general", "no poll"));
    const rows = await store.pollChoices("ann", [
      big.id,
      small.id,
      gone.id,
      plain.message.id,
      "01ARZ3NDEKTSV4RRFFQ69G5FAV",
    ]);
    assert.deepEqual(
      rows.map((r) => [r.id, r.stream, r.ts, r.options])
        .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
      [
        [big.id, "general", Date.parse(big.ts), [0, 2]],
        [small.id, "general", Date.parse(small.ts), []],
      ],
    );
    assert.deepEqual(await store.pollChoices("ann", []), []);
  });

  // As a reaction: a node whose flag has not heard of another node's
  // archive yet lets a vote or a close through its handler, and the store
  // refuses it.
  test("an archived room's poll takes no vote nor close: RoomArchivedError naming the room, the poll unchanged; brought back, both are taken again", async (store) => {
    await store.createRoom("Dev", "dev");
    const { message } = await store.appendMessage(draft("dev", "Q?"));
    await store.changePoll(message.id, {
      kind: "create",
      poll: newPoll("Q?", { texts: ["A", "B"], multiple: false }),
    });
    await store.setRoomArchived("dev", true);
    const refused = (error: unknown) =>
      error instanceof RoomArchivedError && error.roomKey === "dev";
    const vote: PollChange = {
      kind: "vote",
      userKey: "ann",
      user: "ann",
      options: [0],
    };
    await assert.rejects(store.changePoll(message.id, vote), refused);
    await assert.rejects(
      store.changePoll(message.id, { kind: "close" }),
      refused,
    );
    const kept = await store.findMessage(message.id);
    assert.equal(kept?.message.version, 1);
    assert.deepEqual(
      kept?.message.poll?.options.map((o) => o.votes),
      [0, 0],
    );
    assert.equal(kept?.message.poll?.closed, false);
    await store.setRoomArchived("dev", false);
    const counted = await store.changePoll(message.id, vote);
    assert.ok(counted.status === "done" && counted.changed);
    const closed = await store.changePoll(message.id, { kind: "close" });
    assert.ok(closed.status === "done" && closed.message.poll?.closed);
  });
}
