/**
 * Who may fetch a shared file: whoever may read the message that carries
 * it, while it carries it. Room files are public except to those banned;
 * private files belong to the two parties (by session, or by the signed URL
 * their messages carry); deleted messages and rooms take their files with
 * them. Each scenario runs on SQLite and on PostgreSQL.
 */
import assert from "node:assert/strict";
import { bothStores, type StoreUnderTest } from "./both_stores.ts";
import {
  fetchFile,
  filesUnder,
  member,
  PNG,
  type Uploaded,
  uploaded,
} from "./file_helpers.ts";
import { eventually, TestClient, type TestServer } from "./harness.ts";

const stores = await bothStores();

/** Fails unless the bytes of every file shared are gone from storage. */
async function bytesGone(server: TestServer, store: StoreUnderTest) {
  await eventually(async () => {
    if (store.psql) {
      const count = await store.psql(
        "SELECT count(*) FROM file_contents",
      );
      assert.match(count, /^\s*count\s*-+\s*0\s/m);
    } else {
      assert.deepEqual(await filesUnder(`${server.dir}/files`), []);
    }
  });
}

function png(name: string): File {
  return new File([PNG], name, { type: "image/png" });
}

stores.test(
  "file access: a room's file downloads without login until its message is deleted, then it is gone with its bytes",
  async (server, store) => {
    const alice = await member(server, "alice");
    try {
      const file = await uploaded(server, alice.cookie, png("a.png"));
      const sent = await alice.client.ok("send_message", {
        text: "",
        attachments: [{ url: file.url }],
      });
      assert.equal((await fetchFile(server, file.url)).status, 200);
      await alice.client.ok("delete_message", {
        id: (sent.message as { id: string }).id,
      });
      assert.equal((await fetchFile(server, file.url)).status, 404);
      assert.equal(
        (await fetchFile(server, file.url, alice.cookie)).status,
        404,
      );
      await bytesGone(server, store);
    } finally {
      await alice.client.close();
    }
  },
);

stores.test(
  "file access: a private room's file is for its members only, by session",
  async (server) => {
    const alice = await member(server, "alice");
    const bob = await member(server, "bob");
    try {
      await alice.client.ok("create_room", { room: "secret", private: true });
      const file = await uploaded(server, alice.cookie, png("s.png"));
      await alice.client.ok("send_message", {
        text: "",
        attachments: [{ url: file.url }],
      });
      // Anonymous and non-member readers are refused; nothing leaks.
      assert.notEqual((await fetchFile(server, file.url)).status, 200);
      assert.notEqual(
        (await fetchFile(server, file.url, bob.cookie)).status,
        200,
      );
      await alice.client.ok("invite", { room: "secret", user: "bob" });
      assert.equal(
        (await fetchFile(server, file.url, bob.cookie)).status,
        200,
      );
    } finally {
      await alice.client.close();
      await bob.client.close();
    }
  },
);

stores.test(
  "file access: a deleted room's files are gone with its messages",
  async (server, store) => {
    const admin = await member(server, "admin");
    try {
      await admin.client.ok("create_room", { room: "dev" });
      const file = await uploaded(server, admin.cookie, png("d.png"));
      await admin.client.ok("send_message", {
        text: "",
        attachments: [{ url: file.url }],
      });
      assert.equal((await fetchFile(server, file.url)).status, 200);
      await admin.client.ok("delete_room", { room: "dev" });
      assert.equal((await fetchFile(server, file.url)).status, 404);
      await bytesGone(server, store);
    } finally {
      await admin.client.close();
    }
  },
);

stores.test(
  "file access: a private message's file is served to its two parties and to the signed URL they got, to nobody else",
  async (server) => {
    const alice = await member(server, "alice");
    const bob = await member(server, "bob");
    const carol = await member(server, "carol");
    const gina = await TestClient.login(server.wsUrl, "gina");
    try {
      const file = await uploaded(server, alice.cookie, png("secret.png"));
      await alice.client.ok("private_message", {
        to: "bob",
        text: "",
        attachments: [{ url: file.url }],
      });
      await alice.client.ok("private_message", {
        to: "gina",
        text: "",
        attachments: [{ url: file.url }],
      });
      assert.equal((await fetchFile(server, file.url)).status, 403);
      assert.equal(
        (await fetchFile(server, file.url, carol.cookie)).status,
        403,
      );
      assert.equal((await fetchFile(server, file.url, bob.cookie)).status, 200);
      assert.equal(
        (await fetchFile(server, file.url, alice.cookie)).status,
        200,
      );
      // The guest has no session: its copy of the message has a signed URL.
      const got = await gina.event("private_message");
      const signed = (got.data.attachments as Uploaded[])[0].url;
      assert.match(signed, /\?exp=\d+&sig=[\w-]{22}$/);
      assert.equal((await fetchFile(server, signed)).status, 200);
      // One character of the signature changed (to another one: the
      // signature's first character is "A" once in 64).
      const forged = signed.replace(
        /sig=(.)/,
        (_, first) => `sig=${first === "A" ? "B" : "A"}`,
      );
      assert.notEqual(forged, signed);
      assert.equal((await fetchFile(server, forged)).status, 403);
      // Nor can carol make it public by attaching its URL in a room.
      const reply = await carol.client.request("send_message", {
        text: "",
        attachments: [{ url: file.url }],
      });
      assert.equal(reply.data.code, "invalid_message");
    } finally {
      await Promise.all(
        [alice.client, bob.client, carol.client, gina].map((c) => c.close()),
      );
    }
  },
);

stores.test(
  "file access: room- and server-banned accounts are refused a room's files and its history over HTTP",
  async (server) => {
    const admin = await member(server, "admin");
    const mallory = await member(server, "mallory");
    try {
      await admin.client.ok("create_room", { room: "dev" });
      const file = await uploaded(server, admin.cookie, png("d.png"));
      await admin.client.ok("send_message", {
        text: "",
        attachments: [{ url: file.url }],
      });
      const history = (cookie?: string) =>
        fetch(`${server.url}/api/rooms/dev/messages`, {
          headers: cookie ? { cookie } : {},
        }).then(async (r) => {
          await r.body?.cancel();
          return r.status;
        });
      assert.equal(
        (await fetchFile(server, file.url, mallory.cookie)).status,
        200,
      );
      assert.equal(await history(mallory.cookie), 200);
      await admin.client.ok("ban", { user: "mallory", room: "dev" });
      const refused = await fetchFile(server, file.url, mallory.cookie);
      assert.equal(refused.status, 403);
      assert.equal(await history(mallory.cookie), 403);
      // Public to the rest.
      assert.equal((await fetchFile(server, file.url)).status, 200);
      assert.equal(await history(), 200);
      await admin.client.ok("unban", { user: "mallory", room: "dev" });
      await admin.client.ok("ban", { user: "mallory" });
      assert.equal(
        (await fetchFile(server, file.url, mallory.cookie)).status,
        403,
      );
      assert.equal(await history(mallory.cookie), 403);
    } finally {
      await admin.client.close();
      await mallory.client.close();
    }
  },
);

stores.test(
  "file access: an upload nobody attached is served to its uploader only",
  async (server) => {
    const alice = await member(server, "alice");
    const bob = await member(server, "bob");
    try {
      const file = await uploaded(server, alice.cookie, png("draft.png"));
      assert.equal(
        (await fetchFile(server, file.url, alice.cookie)).status,
        200,
      );
      assert.equal((await fetchFile(server, file.url, bob.cookie)).status, 404);
      assert.equal((await fetchFile(server, file.url)).status, 404);
    } finally {
      await alice.client.close();
      await bob.client.close();
    }
  },
);

stores.finish();
