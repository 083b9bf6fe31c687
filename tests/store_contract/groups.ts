/** The store contract for user groups (createGroup ... groupMemberKeys). */
import assert from "node:assert/strict";
import { nameKey } from "../../server/protocol/names.ts";
import { account, type StoreTest } from "./support.ts";

const CAPS = { maxGroups: 3, maxMembers: 3 };

/** A group `key` of `members` (keys), made by ann. */
function group(key: string, members: string[] = []) {
  return { key, name: key, description: "", creatorKey: "ann", members };
}

/** The contract of user groups. */
export function groups(test: StoreTest): void {
  test(
    "createGroup keeps a group and its members across a reopen; groupKeys lists the groups' keys; updateGroup changes them; deleteGroup removes it",
    async (store, reopen) => {
      for (const who of ["ann", "ben", "cat"]) {
        await store.createAccount(account(who));
      }
      const made = await store.createGroup({
        key: "design",
        name: "Design",
        description: "The designers",
        creatorKey: "ann",
        members: ["cat", "ben", "ben"],
      }, CAPS);
      assert.ok("members" in made);
      assert.deepEqual(made.members, ["BEN", "CAT"]);
      assert.equal(made.creatorKey, "ann");
      assert.equal(made.creator, "ANN");
      const again = await reopen();
      assert.deepEqual(await again.group("design"), made);
      assert.ok(
        "members" in await again.createGroup({
          key: "art",
          name: "art",
          description: "",
          creatorKey: "ann",
          members: [],
        }, CAPS),
      );
      assert.deepEqual(await again.groupKeys(), ["art", "design"]);
      assert.equal(await again.deleteGroup("art"), true);
      const changed = await again.updateGroup("design", {
        description: "Who draws",
        add: ["ann"],
        remove: ["ben", "nobody"],
      }, CAPS);
      assert.ok(changed && "members" in changed);
      assert.deepEqual(changed.members, ["ANN", "CAT"]);
      assert.equal(changed.description, "Who draws");
      assert.deepEqual(await again.listGroups(), [changed]);
      assert.equal(
        await again.updateGroup("nogroup", { add: [], remove: [] }, CAPS),
        undefined,
      );
      assert.equal(await again.deleteGroup("design"), true);
      assert.equal(await again.deleteGroup("design"), false);
      assert.deepEqual(await again.listGroups(), []);
      assert.deepEqual(await again.groupKeys(), []);
    },
  );

  test(
    "createGroup is refused for an account's or a group's name, past the caps, and for names of nobody; nothing is written",
    async (store) => {
      for (const who of ["ann", "ben", "cat", "dan"]) {
        await store.createAccount(account(who));
      }
      assert.deepEqual(await store.createGroup(group("ben"), CAPS), {
        taken: "BEN",
      });
      assert.deepEqual(
        await store.createGroup(
          group("g1", ["ann", "ben", "cat", "dan"]),
          CAPS,
        ),
        { full: "members" },
      );
      assert.deepEqual(
        await store.createGroup(group("g1", ["zed", "ann", "bob"]), CAPS),
        { unknown: ["bob", "zed"] },
      );
      assert.deepEqual(await store.listGroups(), []);
      for (const key of ["g1", "g2", "g3"]) {
        assert.ok("members" in await store.createGroup(group(key), CAPS));
      }
      assert.deepEqual(await store.createGroup(group("g1"), CAPS), {
        taken: "g1",
      });
      assert.deepEqual(await store.createGroup(group("g4"), CAPS), {
        full: "groups",
      });
      await store.updateGroup("g1", { add: ["ann", "ben"], remove: [] }, CAPS);
      assert.deepEqual(
        await store.updateGroup("g1", {
          description: "x",
          add: ["cat", "dan"],
          remove: [],
        }, CAPS),
        { full: "members" },
      );
      assert.deepEqual(
        await store.updateGroup("g1", { add: ["eve"], remove: ["ann"] }, CAPS),
        { unknown: ["eve"] },
      );
      const g1 = await store.group("g1");
      assert.deepEqual(g1?.members, ["ANN", "BEN"]);
      assert.equal(g1?.description, "");
      // A removal makes room for an add in the same change.
      const swapped = await store.updateGroup("g1", {
        add: ["cat", "dan"],
        remove: ["ann"],
      }, CAPS);
      assert.ok(swapped && "members" in swapped);
      assert.deepEqual(swapped.members, ["BEN", "CAT", "DAN"]);
    },
  );

  test(
    "createGroup and updateGroup are refused past maxMemberships, the members of all groups together (one in two groups counts twice); a change that does not grow them passes",
    async (store) => {
      for (const who of ["ann", "ben", "cat", "dan"]) {
        await store.createAccount(account(who));
      }
      const caps = { maxGroups: 10, maxMembers: 3, maxMemberships: 4 };
      assert.ok(
        "members" in await store.createGroup(group("g1", ["ann", "ben"]), caps),
      );
      assert.ok(
        "members" in await store.createGroup(group("g2", ["ann", "cat"]), caps),
      );
      assert.deepEqual(
        await store.createGroup(group("g3", ["dan"]), caps),
        { full: "memberships" },
      );
      assert.equal(await store.group("g3"), undefined);
      assert.deepEqual(
        await store.updateGroup("g1", { add: ["cat"], remove: [] }, caps),
        { full: "memberships" },
      );
      assert.deepEqual((await store.group("g1"))?.members, ["ANN", "BEN"]);
      // A swap keeps the count: it passes at the cap.
      const swapped = await store.updateGroup("g1", {
        add: ["dan"],
        remove: ["ben"],
      }, caps);
      assert.ok(swapped && "members" in swapped);
      assert.deepEqual(swapped.members, ["ANN", "DAN"]);
      // Over the cap (a lower one now), a change that shrinks still passes.
      const lower = { ...caps, maxMemberships: 2 };
      const shrunk = await store.updateGroup("g2", {
        add: [],
        remove: ["cat"],
      }, lower);
      assert.ok(shrunk && "members" in shrunk);
      assert.ok(
        "members" in await store.createGroup(group("g4", []), lower),
      );
    },
  );

  test(
    "createGroup and updateGroup are refused past maxOwnMemberships, the members of all the groups of the group's creator together; another's groups and a change that does not grow them pass",
    async (store) => {
      for (const who of ["ann", "ben", "cat", "dan"]) {
        await store.createAccount(account(who));
      }
      const caps = { maxGroups: 10, maxMembers: 3, maxOwnMemberships: 3 };
      assert.ok(
        "members" in await store.createGroup(group("g1", ["ann", "ben"]), caps),
      );
      assert.deepEqual(
        await store.createGroup(group("g2", ["cat", "dan"]), caps),
        { full: "own" },
      );
      assert.equal(await store.group("g2"), undefined);
      assert.ok(
        "members" in await store.createGroup(group("g2", ["cat"]), caps),
      );
      assert.deepEqual(
        await store.updateGroup("g1", { add: ["dan"], remove: [] }, caps),
        { full: "own" },
      );
      assert.deepEqual((await store.group("g1"))?.members, ["ANN", "BEN"]);
      // A swap keeps the count: it passes at the cap.
      const swapped = await store.updateGroup("g1", {
        add: ["dan"],
        remove: ["ben"],
      }, caps);
      assert.ok(swapped && "members" in swapped);
      // Ben's groups are his own count.
      assert.ok(
        "members" in await store.createGroup(
          { ...group("g3", ["ann", "cat"]), creatorKey: "ben" },
          caps,
        ),
      );
    },
  );

  test(
    "a group and an account share one namespace with their look-alikes: createGroup refuses an account's look-alike and a group's, createAccount a group's name and its look-alike, and groupLookingLike finds the group",
    async (store, reopen) => {
      await store.createAccount(account("bob"));
      const group = (name: string) => ({
        key: nameKey(name),
        name,
        description: "",
        creatorKey: "bob",
        members: [],
      });
      // Cyrillic о in bоb; zeros in R00T; Cyrillic е in dеsign.
      assert.deepEqual(await store.createGroup(group("b\u043eb"), CAPS), {
        taken: "BOB",
      });
      assert.ok("members" in await store.createGroup(group("design"), CAPS));
      assert.deepEqual(
        await store.createGroup(group("d\u0435sign"), CAPS),
        { taken: "design" },
      );
      assert.equal(await store.createAccount(account("design")), null);
      const lookalike = (name: string) => ({
        ...account(nameKey(name)),
        username: name,
      });
      assert.equal(await store.createAccount(lookalike("d\u0435sign")), null);
      const again = await reopen();
      // Cyrillic і.
      assert.equal(
        await again.createAccount(lookalike("des\u0456gn")),
        null,
        "the skeleton is kept across a reopen",
      );
      for (const name of ["design", "DESIGN", "d\u0435sign", "des\u0456gn"]) {
        assert.deepEqual(await again.groupLookingLike(name), {
          key: "design",
          name: "design",
        });
      }
      assert.equal(await again.groupLookingLike("bob"), undefined);
      assert.equal(await again.findAccount("design"), undefined);
      assert.equal(await again.deleteGroup("design"), true);
      assert.ok(await again.createAccount(account("design")));
    },
  );

  test(
    "a createGroup and a createAccount of one name at the same moment make one of them, never both",
    async (store) => {
      await store.createAccount(account("ann"));
      const caps = { maxGroups: 100, maxMembers: 10 };
      for (let i = 0; i < 20; i++) {
        const key = `name${i}`;
        const [made, account_] = await Promise.all([
          store.createGroup({
            key,
            name: key,
            description: "",
            creatorKey: "ann",
            members: [],
          }, caps),
          store.createAccount(account(key)),
        ]);
        const groupMade = "members" in made;
        assert.notEqual(groupMade, account_ !== null, key);
        assert.equal(
          (await store.group(key)) !== undefined,
          groupMade,
          `${key}: the group is there only when it was made`,
        );
        assert.equal(
          (await store.findAccount(key)) !== undefined,
          account_ !== null,
          `${key}: the account is there only when it was made`,
        );
      }
    },
  );

  test(
    "groupMemberKeys answers the members of the groups named, each once, in a room only its members, at most limit",
    async (store) => {
      for (const who of ["ann", "ben", "cat", "dan"]) {
        await store.createAccount(account(who));
      }
      await store.createRoom("team", "team", { private: true });
      await store.addMember("ann", "team");
      await store.addMember("cat", "team");
      const caps = { maxGroups: 10, maxMembers: 10 };
      await store.createGroup(group("g1", ["ann", "ben"]), caps);
      await store.createGroup(group("g2", ["ben", "cat", "dan"]), caps);
      assert.deepEqual(
        await store.groupMemberKeys(["g1", "g2", "nogroup"], { limit: 10 }),
        ["ann", "ben", "cat", "dan"],
      );
      assert.deepEqual(
        await store.groupMemberKeys(["g1", "g2"], { limit: 2 }),
        ["ann", "ben"],
      );
      assert.deepEqual(
        await store.groupMemberKeys(["g2", "g1"], {
          roomKey: "team",
          limit: 10,
        }),
        ["ann", "cat"],
      );
      assert.deepEqual(await store.groupMemberKeys([], { limit: 10 }), []);
    },
  );

  test(
    "a deleted account leaves its groups; the groups it created stay, without a creator",
    async (store) => {
      for (const who of ["ann", "ben"]) {
        await store.createAccount(account(who));
      }
      await store.createGroup({
        key: "ops",
        name: "ops",
        description: "",
        creatorKey: "ann",
        members: ["ann", "ben"],
      }, CAPS);
      assert.ok(await store.deleteAccount("ann", "keep"));
      const ops = await store.group("ops");
      assert.deepEqual(ops?.members, ["BEN"]);
      assert.equal(ops?.creatorKey, null);
      assert.equal(ops?.creator, null);
      assert.deepEqual(await store.groupMemberKeys(["ops"], { limit: 10 }), [
        "ben",
      ]);
    },
  );
}
