/**
 * `deno task import-slack` (server/transfer/slack/): a Slack workspace
 * export built here (a zip made with fflate, and the same files in a
 * folder) imported through the command, run as its own process as the
 * task runs it, into a real store on SQLite and PostgreSQL; then a server
 * on that store, where imported people set a password with a reset link
 * and read what they wrote in Slack. A bad export stops with a message
 * naming what is wrong, and nothing is imported.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { strToU8, zipSync } from "fflate";
import { createPasswordReset } from "../server/accounts/password_reset.ts";
import {
  type ConvertedSlack,
  convertSlack,
} from "../server/transfer/slack/convert.ts";
import {
  openSlackExport,
  SlackExportError,
} from "../server/transfer/slack/export_files.ts";
import { slackToMarkup } from "../server/transfer/slack/markup.ts";
import { NameBook } from "../server/transfer/slack/names.ts";
import { ThreadBook } from "../server/transfer/slack/thread_book.ts";
import { slackReaction } from "../server/transfer/slack/reactions.ts";
import { isFailure } from "../server/protocol/errors.ts";
import { parseMarkup } from "../client/markup.ts";
import { bothStores } from "./both_stores.ts";
import {
  expectError,
  historyOf,
  startTestServer,
  TestClient,
  type TestServer,
} from "./harness.ts";

const stores = await bothStores();
const ROOT = new URL("../", import.meta.url).pathname;

// 2024-03-01T08:00:00Z, in Slack's seconds.
const T = 1709280000;
const ts = (seconds: number, micros = 0) =>
  `${T + seconds}.${String(micros).padStart(6, "0")}`;

/** A small workspace: every kind of thing the importer maps. */
function workspace(): Record<string, unknown> {
  return {
    "users.json": [
      {
        id: "U1",
        name: "ann",
        is_admin: true,
        real_name: "Ann",
        tz: "Europe/Paris",
        profile: { title: " Head of release " },
      },
      { id: "U2", name: "bob", tz: "Mars/Olympus", profile: { title: "" } },
      { id: "U3", name: "Carl Jones" },
      { id: "U4", name: "gone", deleted: true },
      { id: "B1", name: "deploybot", is_bot: true },
      { id: "U5", name: "here" },
    ],
    "channels.json": [
      {
        id: "C1",
        name: "general",
        is_general: true,
        created: T,
        members: ["U1", "U2", "U3"],
      },
      {
        id: "C2",
        name: "dev",
        created: T + 1,
        creator: "U1",
        members: ["U1", "U2"],
        topic: { value: "Ship on *Fridays* in <#C1|general>" },
      },
      {
        id: "C3",
        name: "old-stuff",
        created: T + 2,
        is_archived: true,
        members: ["U1"],
      },
    ],
    "groups.json": [
      {
        id: "G1",
        name: "secret",
        created: T + 3,
        creator: "U1",
        members: ["U1", "U2"],
      },
    ],
    "mpims.json": [
      {
        id: "G2",
        name: "mpdm-ann--bob--carl-1",
        created: T + 4,
        members: ["U1", "U2", "U3"],
      },
    ],
    "dms.json": [{ id: "D1", created: T + 5, members: ["U1", "U2"] }],
    "general/2024-03-01.json": [
      { type: "message", subtype: "channel_join", user: "U3", ts: ts(10) },
      {
        type: "message",
        user: "U1",
        text: "Welcome <@U3>! *Read* the _guide_ at " +
          "<https://example.org/guide|the guide> &amp; say &lt;hi&gt;, <!here> :wave:",
        ts: ts(20),
      },
      { type: "message", user: "U4", text: "bye all", ts: ts(30) },
      {
        type: "message",
        user: "U1",
        text: "`*not bold*` stays",
        ts: ts(40),
        edited: { user: "U1", ts: ts(50) },
      },
    ],
    "dev/2024-03-01.json": [
      {
        type: "message",
        user: "U1",
        text: "Release plan?",
        ts: ts(100),
        thread_ts: ts(100),
        reply_count: 2,
        reactions: [
          { name: "+1", users: ["U2", "U1"], count: 2 },
          { name: "thumbsup::skin-tone-3", users: ["U2"], count: 1 },
          { name: "partyparrot", users: ["U2"], count: 1 },
        ],
        pinned_to: ["C2"],
      },
      {
        type: "message",
        user: "U2",
        text: "Friday",
        ts: ts(110),
        thread_ts: ts(100),
        parent_user_id: "U1",
      },
    ],
    "dev/2024-03-02.json": [
      {
        type: "message",
        user: "U1",
        text: "Agreed, see the notes",
        ts: ts(86400 + 5),
        thread_ts: ts(100),
        files: [{ id: "F1", name: "notes.pdf", url_private: "https://x" }],
      },
      {
        type: "message",
        subtype: "bot_message",
        user: "B1",
        text: "deployed",
        ts: ts(86400 + 6),
      },
      {
        type: "message",
        subtype: "bot_message",
        user: "B9",
        bot_id: "B9",
        text: "an integration's bot, not listed",
        ts: ts(86400 + 6, 5),
      },
      {
        type: "message",
        user: "USLACKBOT",
        text: "reminder",
        ts: ts(86400 + 6, 6),
      },
      {
        type: "message",
        user: "U2",
        text: "x".repeat(4500),
        ts: ts(86400 + 7),
      },
    ],
    "secret/2024-03-01.json": [
      { type: "message", user: "U2", text: "psst, in secret", ts: ts(200) },
    ],
    "mpdm-ann--bob--carl-1/2024-03-01.json": [
      { type: "message", user: "U3", text: "lunch?", ts: ts(300) },
    ],
    "D1/2024-03-01.json": [
      { type: "message", user: "U1", text: "hi bob", ts: ts(400) },
      { type: "message", user: "U2", text: "hi <@U1>", ts: ts(410) },
    ],
  };
}

function zipOf(files: Record<string, unknown>): Uint8Array {
  return zipSync(Object.fromEntries(
    Object.entries(files).filter(([, value]) => value !== undefined).map((
      [path, value],
    ) => [
      path,
      strToU8(typeof value === "string" ? value : JSON.stringify(value)),
    ]),
  ));
}

async function writeFolder(
  dir: string,
  files: Record<string, unknown>,
): Promise<void> {
  for (const [path, value] of Object.entries(files)) {
    const full = `${dir}/${path}`;
    await Deno.mkdir(full.slice(0, full.lastIndexOf("/")), { recursive: true });
    await Deno.writeTextFile(full, JSON.stringify(value));
  }
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a deno task as its own process, as an operator would. */
async function task(
  name: string,
  args: string[],
  stdin?: string,
): Promise<Run> {
  // Its TMPDIR: on PostgreSQL files would stage in a chat-uploads-UID there.
  const tempDir = await Deno.makeTempDir({ prefix: "chat-slack-task-" });
  try {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["task", "-q", name, ...args],
      cwd: ROOT,
      stdin: stdin ? "piped" : "null",
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1", TMPDIR: tempDir },
    }).spawn();
    const writing = stdin
      ? (await Deno.open(stdin)).readable.pipeTo(child.stdin)
      : Promise.resolve();
    const [output] = await Promise.all([child.output(), writing]);
    const text = new TextDecoder();
    return {
      code: output.code,
      stdout: text.decode(output.stdout),
      stderr: text.decode(output.stderr),
    };
  } finally {
    await Deno.remove(tempDir, { recursive: true });
  }
}

/**
 * The workspace's zip written in `dir` and imported by the task into the
 * store `options` names: its PostgreSQL database, else `dir`/chat.db.
 */
async function importWorkspace(
  dir: string,
  options: { databaseUrl?: string },
): Promise<Run> {
  const zip = `${dir}/export.zip`;
  await Deno.writeFile(zip, zipOf(workspace()));
  const where = options.databaseUrl
    ? ["--database-url", options.databaseUrl]
    : ["--db", `${dir}/chat.db`];
  return await task("import-slack", [zip, ...where]);
}

/** A converted export's lines, its temporary files removed after. */
async function linesOf(converted: ConvertedSlack): Promise<string[]> {
  try {
    return await Array.fromAsync(converted.lines());
  } finally {
    await converted.close();
  }
}

/** A temporary folder for one test, removed when it ends. */
async function withDir(
  body: (dir: string) => Promise<void> | void,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "chat-slack-" });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * Logs in an imported account after a reset link: the operator's for an
 * admin (as `reset-password` makes it), else the admin's `reset_password`.
 */
async function afterReset(
  server: TestServer,
  name: string,
  admin?: TestClient,
): Promise<TestClient> {
  let token: string;
  if (admin) {
    const made = await admin.ok("reset_password", { user: name });
    token = String(made.link).split("#")[1];
  } else {
    const account = await server.node.store.findAccount(name);
    assert.ok(account, `${name} was imported`);
    const made = await createPasswordReset(server.node.store, account);
    assert.ok(!isFailure(made));
    token = made.token;
  }
  const password = `${name} chose this secret`;
  const response = await fetch(`${server.url}/api/reset-password`, {
    method: "POST",
    headers: { origin: server.url, "content-type": "application/json" },
    body: JSON.stringify({ token, password }),
  });
  assert.equal(response.status, 200, await response.text());
  return await TestClient.loginWith(server.wsUrl, {
    username: name,
    password,
  });
}

interface Seen {
  id: string;
  seq: number;
  user: string;
  text: string;
  ts: string;
  edited_at?: string;
  reply_to?: { id: string };
  reply_count?: number;
  reactions?: { emoji: string; count: number; users: string[] }[];
  pinned?: boolean;
}

stores.database(
  "import-slack: a workspace's zip comes in with its people, rooms, threads, reactions, pins and conversations, read after a reset link",
  async (options) => {
    await withDir(async (dir) => {
      const run = await importWorkspace(dir, options);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stderr, /renamed: user U3 "Carl Jones" is Carl_Jones/);
      assert.match(run.stderr, /renamed: user U5 "here" is here2/);
      assert.match(
        run.stderr,
        /renamed: group DM G2 "mpdm-ann--bob--carl-1" is ann-bob-Carl_Jones/,
      );
      assert.match(
        run.stderr,
        /6 users as accounts \(1 bots, 1 deleted\), 3 public rooms \(1 archived\), 2 private rooms, 1 private conversations; 11 room messages, 2 private messages, 2 thread replies, 3 reactions, 1 pins, 2 mentions/,
      );
      assert.match(run.stderr, /events \(channel_join\): 1/);
      assert.match(run.stderr, /reactions with a custom emoji: 1/);
      assert.match(run.stderr, /bot messages of a bot not in users\.json: 2/);
      assert.match(run.stderr, /messages over 4000 characters split: 1/);
      assert.match(run.stderr, /Imported .*message/);

      const server = await startTestServer({
        ...options,
        db: `${dir}/chat.db`,
      });
      const clients: TestClient[] = [];
      try {
        const ann = await afterReset(server, "ann");
        clients.push(ann);
        const bob = await afterReset(server, "bob", ann);
        clients.push(bob);

        const card = await bob.ok("get_profile", { name: "ann" });
        assert.deepEqual(card.profile, {
          name: "ann",
          role: "admin",
          title: "Head of release",
          timezone: "Europe/Paris",
          created_at: "2024-03-01T08:00:00.000Z",
        });
        const own = await bob.ok("get_profile", { name: "bob" });
        assert.equal((own.profile as { title?: string }).title, undefined);
        assert.equal(
          (own.profile as { timezone?: string }).timezone,
          undefined,
        );

        const general = await historyOf<Seen>(bob, "general");
        assert.deepEqual(general.map((m) => [m.user, m.text]), [
          [
            "ann",
            "Welcome @Carl_Jones! **Read** the *guide* at " +
            "the guide (https://example.org/guide) & say <hi>, @here 👋",
          ],
          ["gone", "bye all"],
          ["ann", "`*not bold*` stays"],
        ]);
        assert.equal(general[0].ts, "2024-03-01T08:00:20.000Z");
        assert.equal(general[2].edited_at, "2024-03-01T08:00:50.000Z");

        const dev = await historyOf<Seen>(bob, "dev");
        assert.deepEqual(dev.map((m) => m.user), [
          "ann",
          "bob",
          "ann",
          "deploybot",
          "bob",
          "bob",
        ]);
        const [root, reply, late] = dev;
        assert.equal(reply.reply_to?.id, root.id);
        assert.equal(late.text, "Agreed, see the notes\n📎 notes.pdf");
        assert.equal(root.reply_count, 2);
        assert.deepEqual(root.reactions, [
          { emoji: "👍", count: 2, users: ["bob", "ann"] },
          { emoji: "👍🏼", count: 1, users: ["bob"] },
        ]);
        assert.equal(root.pinned, true);
        assert.deepEqual(
          [...dev[4].text + dev[5].text].length,
          4500,
          "the long message split in two",
        );
        const thread = await bob.ok("list_replies", { id: root.id });
        assert.deepEqual(
          (thread.replies as Seen[]).map((m) => m.text),
          ["Friday", "Agreed, see the notes\n📎 notes.pdf"],
        );
        const pins = await bob.ok("list_pins", { room: "dev" });
        assert.deepEqual((pins.messages as Seen[]).map((m) => m.id), [root.id]);

        const rooms = await bob.ok("list_rooms");
        const listed = rooms.rooms as {
          name: string;
          private?: boolean;
          archived?: boolean;
          topic?: string;
        }[];
        const room = (name: string) => listed.find((r) => r.name === name);
        assert.equal(room("dev")?.topic, "Ship on **Fridays** in #general");
        assert.equal(room("old-stuff")?.archived, true);
        assert.equal(room("secret")?.private, true);
        assert.equal(room("ann-bob-Carl_Jones")?.private, true);

        assert.deepEqual(
          (await historyOf<Seen>(bob, "secret")).map((m) => m.text),
          ["psst, in secret"],
        );
        assert.deepEqual(
          (await historyOf<Seen>(bob, "ann-bob-Carl_Jones")).map((m) => m.text),
          ["lunch?"],
        );
        const dm = await bob.ok("history", { with: "ann" });
        assert.deepEqual(
          (dm.messages as Seen[]).map((m) => [m.user, m.text]),
          [["ann", "hi bob"], ["bob", "hi @ann"]],
        );

        // Carl is in neither the private room nor the conversation.
        const carl = await afterReset(server, "Carl_Jones", ann);
        clients.push(carl);
        await expectError(
          carl,
          "history",
          { room: "secret" },
          "room_not_found",
        );
        assert.deepEqual(
          (await carl.ok("history", { with: "ann" })).messages,
          [],
        );
      } finally {
        for (const client of clients) await client.close();
        await server.close();
      }
    });
  },
);

Deno.test("import-slack: an unzipped folder gives the lines its zip gives, and --jsonl's lines import with deno task import", async () => {
  await withDir(async (dir) => {
    await Deno.writeFile(`${dir}/export.zip`, zipOf(workspace()));
    await writeFolder(`${dir}/export`, workspace());
    const fromZip = await task("import-slack", [
      `${dir}/export.zip`,
      "--jsonl",
    ]);
    assert.equal(fromZip.code, 0, fromZip.stderr);
    const fromFolder = await task("import-slack", [`${dir}/export`, "--jsonl"]);
    assert.equal(fromFolder.code, 0, fromFolder.stderr);
    // Past the header, which holds the time it was made.
    const body = (text: string) => text.trimEnd().split("\n").slice(1);
    assert.deepEqual(body(fromFolder.stdout), body(fromZip.stdout));
    assert.ok(!existsSync(`${dir}/chat.db`), "--jsonl imports nothing");
    await Deno.writeTextFile(`${dir}/slack.jsonl`, fromZip.stdout);
    const imported = await task(
      "import",
      ["--db", `${dir}/chat.db`],
      `${dir}/slack.jsonl`,
    );
    assert.equal(imported.code, 0, imported.stderr);
    assert.match(imported.stderr, /Imported .*11 message, 2 private_message/);
  });
});

Deno.test("import-slack: a bad export (not a zip, no users.json) stops with a clear error, exit 1, and nothing imported", async () => {
  await withDir(async (dir) => {
    const db = `${dir}/chat.db`;
    const cases: [string, Uint8Array, RegExp][] = [
      [
        "not a zip",
        strToU8("hello, I am a text file"),
        /is not a zip file nor a folder/,
      ],
      [
        "no users.json",
        zipOf({ ...workspace(), "users.json": undefined }),
        /users\.json is not in zip .*: not a Slack workspace export/,
      ],
    ];
    for (const [what, bytes, message] of cases) {
      const zip = `${dir}/export.zip`;
      await Deno.writeFile(zip, bytes);
      const run = await task("import-slack", [zip, "--db", db]);
      assert.equal(run.code, 1, `${what}: ${run.stderr}`);
      assert.match(run.stderr, message, what);
      assert.match(run.stderr, /nothing was imported/, what);
      assert.ok(!existsSync(db), `${what}: no database made`);
    }
  });
});

Deno.test("import-slack: a message by someone users.json does not list (a Slack Connect guest) makes them an account from its profile, named external in the summary; one without a profile is skipped and counted; the lines import", async () => {
  await withDir(async (dir) => {
    const files = workspace();
    files["dev/2024-03-03.json"] = [
      {
        type: "message",
        user: "U9",
        text: "hello from another workspace",
        ts: ts(999990),
        user_profile: { name: "ann", real_name: "Ann Other" },
      },
      { type: "message", user: "U9", text: "again", ts: ts(999991) },
      {
        type: "message",
        user: "U8",
        text: "who am I",
        ts: ts(999999),
      },
    ];
    await Deno.writeFile(`${dir}/export.zip`, zipOf(files));
    const run = await task("import-slack", [
      `${dir}/export.zip`,
      "--db",
      `${dir}/chat.db`,
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(
      run.stderr,
      /external: user U9 "ann" is ann2, made from a message's profile \(not in users\.json\)/,
    );
    assert.match(
      run.stderr,
      /7 users as accounts \(1 bots, 1 deleted, 1 external\)/,
    );
    assert.match(
      run.stderr,
      /messages by someone not in users\.json, without a profile: 1/,
    );
    const jsonl = await task("import-slack", [`${dir}/export.zip`, "--jsonl"]);
    assert.equal(jsonl.code, 0, jsonl.stderr);
    const rows = jsonl.stdout.trimEnd().split("\n").map((line) =>
      JSON.parse(line)
    );
    assert.ok(
      rows.some((row) => row.kind === "account" && row.username === "ann2"),
    );
    assert.deepEqual(
      rows.filter((row) => row.kind === "message" && row.user === "ann2")
        .map((row) => row.text),
      ["hello from another workspace", "again"],
    );
    assert.ok(!rows.some((row) => row.text === "who am I"));
  });
});

stores.database(
  "import-slack: a store that is not empty is refused, and what it held stays",
  async (options) => {
    await withDir(async (dir) => {
      const first = await importWorkspace(dir, options);
      assert.equal(first.code, 0, first.stderr);
      const again = await importWorkspace(dir, options);
      assert.equal(again.code, 1, again.stderr);
      assert.match(again.stderr, /is not empty \(.*accounts?.*\)/);
      assert.match(again.stderr, /nothing was imported/);
      const server = await startTestServer({
        ...options,
        db: `${dir}/chat.db`,
      });
      try {
        const ann = await afterReset(server, "ann");
        assert.equal((await historyOf<Seen>(ann, "general")).length, 3);
        await ann.close();
      } finally {
        await server.close();
      }
    });
  },
);

Deno.test("import-slack: --help says what is imported, and a command line without an export is a usage error", async () => {
  const help = await task("import-slack", ["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Usage: chat-server import-slack EXPORT/);
  assert.match(help.stdout, /accounts without a password/);
  const none = await task("import-slack", []);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /name one Slack export/);
});

Deno.test("import-slack: a channel or DM whose folder would lie outside the export (`..`, a slash) stops it, its day files unread, from a folder as from a zip", async () => {
  await withDir(async (dir) => {
    // Day files beside the export, where `../outside` points from it.
    await writeFolder(`${dir}/export`, workspace());
    await writeFolder(dir, {
      "outside/2024-03-01.json": [
        { type: "message", user: "U1", text: "not the export's", ts: ts(5) },
      ],
    });
    const hostile = (name: string, id = "C9") => ({
      ...workspace(),
      "channels.json": [
        ...(workspace()["channels.json"] as unknown[]),
        { id, name, created: T, members: ["U1"] },
      ],
    });
    for (const name of ["../outside", "a/../../outside", "..", "a\\b"]) {
      await writeFolder(`${dir}/export`, {
        "channels.json": hostile(name)["channels.json"],
      });
      await assert.rejects(
        async () => convertSlack(await openSlackExport(`${dir}/export`)),
        /a conversation's folder is ".*": not one name in the export/,
        name,
      );
      await Deno.writeFile(`${dir}/export.zip`, zipOf(hostile(name)));
      await assert.rejects(
        async () => convertSlack(await openSlackExport(`${dir}/export.zip`)),
        /a conversation's folder is ".*": not one name in the export/,
        `${name} in a zip`,
      );
    }
    await writeFolder(`${dir}/export`, {
      "channels.json": workspace()["channels.json"],
      "dms.json": [{ id: "../outside", members: ["U1", "U2"] }],
    });
    await assert.rejects(
      async () => convertSlack(await openSlackExport(`${dir}/export`)),
      /a conversation's folder is "\.\.\/outside"/,
      "a DM's id",
    );
  });
});

Deno.test("import-slack: a zip whose JSON files unpack to more than 2 GiB together, each under one file's cap (a bomb of many files), is refused, not held in memory", async () => {
  await withDir(async (dir) => {
    const bomb: Record<string, unknown> = { ...workspace() };
    for (let i = 0; i < 5; i++) bomb[`bomb/${i}.json`] = [];
    const bytes = zipOf(bomb);
    // Each bomb file's central directory entry says 450 MiB unpacked, as
    // a deflated run of zeros would: fflate makes room for what it says.
    const view = new DataView(bytes.buffer);
    const names = new TextDecoder();
    for (let at = 0; at + 46 <= bytes.length; at++) {
      if (view.getUint32(at, true) !== 0x02014b50) continue;
      const name = names.decode(
        bytes.subarray(at + 46, at + 46 + view.getUint16(at + 28, true)),
      );
      if (name.startsWith("bomb/")) {
        view.setUint32(at + 24, 450 * 1024 * 1024, true);
      }
    }
    await Deno.writeFile(`${dir}/export.zip`, bytes);
    await assert.rejects(
      () => openSlackExport(`${dir}/export.zip`),
      /export\.zip's JSON files unpack to more than 2147483648 bytes/,
    );
  });
});

Deno.test("import-slack: a thread whose last reply is split (over 4,000 characters) is followed as read to its last part", async () => {
  await withDir(async (dir) => {
    const files = workspace();
    files["dev/2024-03-02.json"] = [
      ...(files["dev/2024-03-02.json"] as unknown[]),
      {
        type: "message",
        user: "U2",
        text: "y ".repeat(2500),
        ts: ts(86400 + 8),
        thread_ts: ts(100),
      },
    ];
    await writeFolder(dir, files);
    const converted = await convertSlack(await openSlackExport(dir));
    const rows = (await linesOf(converted)).map((line) => JSON.parse(line));
    const root = rows.find((row) => row.text === "Release plan?");
    const replies = rows.filter((row) => row.reply_to === root.id)
      .map((row) => row.seq as number);
    assert.equal(replies.length, 4, "Friday, Agreed, and two parts");
    const follows = rows.filter((row) =>
      row.kind === "thread_follow" && row.root_id === root.id
    );
    assert.deepEqual(follows.map((row) => row.user_key).sort(), ["ann", "bob"]);
    for (const follow of follows) {
      // The server's thread list: unread while the root's last reply's seq
      // is past the follower's (handlers/thread_list.ts).
      assert.equal(follow.last_read_seq, Math.max(...replies), follow.user_key);
    }
  });
});

Deno.test("import-slack: JSON files that start with a byte order mark read from a folder as from its zip", async () => {
  await withDir(async (dir) => {
    const files = workspace();
    await writeFolder(`${dir}/export`, files);
    for (const name of ["users.json", "dev/2024-03-01.json"]) {
      await Deno.writeTextFile(
        `${dir}/export/${name}`,
        `\uFEFF${JSON.stringify(files[name])}`,
      );
    }
    const now = { now: T * 1000 };
    const folder = await convertSlack(
      await openSlackExport(`${dir}/export`),
      now,
    );
    await Deno.writeFile(`${dir}/export.zip`, zipOf(workspace()));
    const zip = await convertSlack(
      await openSlackExport(`${dir}/export.zip`),
      now,
    );
    assert.deepEqual(await linesOf(folder), await linesOf(zip));
  });
});

Deno.test("import-slack: from a folder, a file past the one file's cap stops it with the file named, and a channel whose folder is a file has no messages, as from a zip", async () => {
  await withDir(async (dir) => {
    const files = workspace();
    files["channels.json"] = [
      ...(files["channels.json"] as unknown[]),
      { id: "C9", name: "users.json", created: T, members: ["U1"] },
    ];
    await writeFolder(`${dir}/export`, files);
    const now = { now: T * 1000 };
    const folder = await convertSlack(
      await openSlackExport(`${dir}/export`),
      now,
    );
    await Deno.writeFile(`${dir}/export.zip`, zipOf(files));
    const zip = await convertSlack(
      await openSlackExport(`${dir}/export.zip`),
      now,
    );
    assert.deepEqual(await linesOf(folder), await linesOf(zip));
    // 513 MiB, sparse: no disk written, and the cap read before the bytes.
    await Deno.truncate(`${dir}/export/dev/2024-03-01.json`, 513 * 1024 ** 2);
    await assert.rejects(
      async () => convertSlack(await openSlackExport(`${dir}/export`)),
      SlackExportError,
      "dev/2024-03-01.json is more than 536870888 bytes",
    );
  });
});

Deno.test("import-slack: a zip's file that unpacks to more than V8's longest string (2^29 - 24) is refused by name before it is unpacked", async () => {
  await withDir(async (dir) => {
    const bytes = zipOf(workspace());
    // users.json's central directory entry says 512 MiB less 4 bytes: its
    // text would fail TextDecoder ("buffer exceeds maximum length").
    const view = new DataView(bytes.buffer);
    const names = new TextDecoder();
    for (let at = 0; at + 46 <= bytes.length; at++) {
      if (view.getUint32(at, true) !== 0x02014b50) continue;
      const name = names.decode(
        bytes.subarray(at + 46, at + 46 + view.getUint16(at + 28, true)),
      );
      if (name === "users.json") view.setUint32(at + 24, 2 ** 29 - 4, true);
    }
    await Deno.writeFile(`${dir}/export.zip`, bytes);
    await assert.rejects(
      () => openSlackExport(`${dir}/export.zip`),
      SlackExportError,
      "users.json unpacks to more than 536870888 bytes",
    );
  });
});

Deno.test("import-slack: a zip's file that inflates past the size its directory says is cut there and the rest never inflated (round 18: a 256 KiB zip inflated 256 MiB, 13.7 s)", async () => {
  await withDir(async (dir) => {
    // users.json: `[]` then 64 MiB of spaces, said to be 2 bytes, its
    // deflated bytes cut in half: read to their end, they fail (an
    // unexpected end), which shows whether inflating stopped at 2 bytes.
    const text = new Uint8Array(64 * 1024 * 1024).fill(0x20);
    text.set(strToU8("[]"));
    const whole = zipSync({ "users.json": [text, { level: 9 }] });
    const view = new DataView(whole.buffer);
    const dataAt = 30 + view.getUint16(26, true) + view.getUint16(28, true);
    const length = Math.floor(view.getUint32(18, true) / 2);
    const local = whole.slice(0, dataAt);
    const central = whole.slice(view.getUint32(whole.length - 6, true));
    const localView = new DataView(local.buffer);
    localView.setUint32(18, length, true);
    localView.setUint32(22, 2, true);
    const centralView = new DataView(central.buffer);
    centralView.setUint32(20, length, true);
    centralView.setUint32(24, 2, true);
    centralView.setUint32(central.length - 6, dataAt + length, true);
    const bytes = new Uint8Array(dataAt + length + central.length);
    bytes.set(local);
    bytes.set(whole.subarray(dataAt, dataAt + length), dataAt);
    bytes.set(central, dataAt + length);
    await Deno.writeFile(`${dir}/export.zip`, bytes);
    const files = await openSlackExport(`${dir}/export.zip`);
    assert.deepEqual(await files.json("users.json"), []);
  });
});

Deno.test("import-slack: a mention of someone the export does not list, or of a user group, labelled with an account's name, mentions nobody here rather than that account", async () => {
  await withDir(async (dir) => {
    const files = workspace();
    files["general/2024-03-01.json"] = [
      ...(files["general/2024-03-01.json"] as unknown[]),
      {
        type: "message",
        user: "U1",
        text: "ask <@U9|bob> or <@U8|@Stranger>, <!subteam^S1|@bob> too",
        ts: ts(45),
      },
    ];
    await writeFolder(dir, files);
    const converted = await convertSlack(await openSlackExport(dir));
    const rows = (await linesOf(converted)).map((line) => JSON.parse(line));
    const asked = rows.find((row) =>
      row.kind === "message" && String(row.text).startsWith("ask")
    );
    // bob (U2) is an account: U9's label would mention him.
    assert.equal(asked.text, "ask @U9 or @Stranger, bob too");
    assert.deepEqual(
      rows.filter((row) =>
        row.kind === "mention" && row.stream === "general" &&
        row.seq === asked.seq
      ).map((row) => row.user_key),
      [],
      "not bob",
    );
  });
});

Deno.test("import-slack: each message's line names the day file and ts it came from, for an error the import finds in it", async () => {
  await withDir(async (dir) => {
    await writeFolder(dir, workspace());
    const converted = await convertSlack(await openSlackExport(dir));
    try {
      const lines = await Array.fromAsync(converted.lines());
      const number = lines.findIndex((line) =>
        line.includes('"text":"Friday"')
      ) + 1;
      assert.ok(number > 1);
      assert.equal(
        await converted.origin(number),
        `dev/2024-03-01.json, the message of ts ${ts(110)}`,
      );
      assert.equal(
        await converted.origin(1),
        undefined,
        "the header is no message",
      );
      assert.equal(
        await converted.origin(lines.length),
        undefined,
        "nor the end",
      );
    } finally {
      await converted.close();
    }
  });
});

Deno.test("import-slack: Slack's markup reads as ours, code as written, words with underscores and stars untouched", () => {
  const names = {
    user: (id: string) => id === "U1" ? "ann" : undefined,
    room: (id: string) => id === "C1" ? "dev" : undefined,
  };
  const cases: [string, string][] = [
    ["<@U1> in <#C1>, <#C9|lost>, <@U9>", "@ann in #dev, #lost, @U9"],
    [
      "<https://a.org/x_y_z|x_y> and <https://a.org>",
      "x_y (https://a.org/x_y_z) and https://a.org",
    ],
    ["<mailto:ann@a.org|ann@a.org>", "ann@a.org"],
    [
      "<!here> <!channel> <!everyone> <!subteam^S1|@design>",
      "@here @room @room @design",
    ],
    ["*bold _both_* _it_ ~struck~", "**bold *both*** *it* ~struck~"],
    [
      "snake_case_name, 2*3*4 and *unclosed",
      "snake_case_name, 2*3*4 and *unclosed",
    ],
    ["```*stars* &lt;b&gt;``` `_x_` &amp;lt;", "```*stars* <b>``` `_x_` &lt;"],
    [
      "done :white_check_mark: :+1::skin-tone-3: :party_parrot: at 10:30:00",
      "done ✅ 👍🏼 :party_parrot: at 10:30:00",
    ],
  ];
  for (const [slack, ours] of cases) {
    assert.equal(slackToMarkup(slack, names), ours, slack);
  }
});

Deno.test("import-slack: a mailto link labelled with other words keeps its address beside them, as a link keeps its URL", () => {
  const names = { user: () => undefined, room: () => undefined };
  assert.equal(
    slackToMarkup("write <mailto:ann@a.org|Ann Smith> today", names),
    "write Ann Smith (ann@a.org) today",
  );
  assert.equal(
    slackToMarkup("<mailto:ann@a.org> or <mailto:bo@a.org|bo@a.org>", names),
    "ann@a.org or bo@a.org",
  );
});

Deno.test("import-slack: Slack's >>> quotes the rest of the message, each line as ours quotes; one in code stays as written", () => {
  const names = { user: () => undefined, room: () => undefined };
  const cases: [string, string][] = [
    ["&gt;&gt;&gt; all\nof *this*", "> all\n> of **this**"],
    ["intro\n&gt;&gt;&gt;a\n\nb", "intro\n> a\n> \n> b"],
    [
      "&gt;&gt;&gt; see\n```\ncode\n```\nafter",
      "> see\n```\ncode\n```\n> after",
    ],
    ["```\n&gt;&gt;&gt; in code\n```\nplain", "```\n>>> in code\n```\nplain"],
    ["x &gt;&gt;&gt; mid-line", "x >>> mid-line"],
  ];
  for (const [slack, ours] of cases) {
    assert.equal(slackToMarkup(slack, names), ours, slack);
  }
  // As the web client reads it: one quote of both lines.
  assert.deepEqual(
    parseMarkup(slackToMarkup("&gt;&gt;&gt; all\nof it", names)),
    [{ kind: "quote", children: [{ kind: "text", text: "all\nof it" }] }],
  );
});

Deno.test("import-slack: names are made valid and unique by look, and people never take room or here", () => {
  const book = new NameBook("user", { people: true });
  const given = [
    ["root"],
    ["R00T"],
    ["room"],
    ["Here"],
    ["x".repeat(40)],
    ["😀😀", "U0ABC"],
    ["😀"],
    ["ann smith"],
    ["ann_smith"],
    ["r\u043e\u043et", "U0DEF"],
  ].map(([wanted, id]) => book.give(wanted, id));
  assert.deepEqual(given, [
    "root",
    "R00T2",
    "room2",
    "Here2",
    "x".repeat(32),
    "U0ABC",
    "user",
    "ann_smith",
    "ann_smith2",
    "U0DEF",
  ]);
});

Deno.test("import-slack: an export of 8,000 people and 8,000 channels all of one name looks at one name a person and one a channel to give each a number of its own, not every number from 2 up again (round 18)", async () => {
  // A hostile users.json: each name tried every number from 2 up again
  // (quadratic): 4,000 people of one name took 15 s, 8,000 more than a
  // minute, 100,000 (a few MB of JSON) hours of the operator's import.
  // Counted, not timed: that walk looks at about 32 million names here
  // (8,000 × 8,001 / 2 a book), a busy machine's clock at none.
  const count = 8_000;
  await withDir(async (dir) => {
    await writeFolder(dir, {
      "users.json": Array.from(
        { length: count },
        (_, i) => ({ id: `U${i}`, name: "ann" }),
      ),
      "channels.json": Array.from(
        { length: count },
        (_, i) => ({ id: `C${i}`, name: "dev", created: T }),
      ),
    });
    const converted = await convertSlack(await openSlackExport(dir));
    const rows = (await linesOf(converted)).map((line) => JSON.parse(line));
    const people = rows.filter((row) => row.kind === "account")
      .map((row) => row.username);
    assert.equal(new Set(people).size, count);
    assert.equal(people.at(-1), `ann${count}`);
    const rooms = rows.filter((row) => row.kind === "room")
      .map((row) => row.name);
    assert.ok(rooms.includes(`dev${count}`));
    assert.equal(converted.namesTried(), 2 * count, "one name a give");
  });
});

Deno.test("import-slack: the thread book begins a transaction only for a conversation with a root: 8,000 channels without messages begin none (each took 3 ms in BEGIN, DELETEs and COMMIT)", async () => {
  await withDir((dir) => {
    const book = new ThreadBook(`${dir}/threads.db`);
    try {
      for (let n = 0; n < 8_000; n++) {
        book.begin();
        assert.deepEqual([...book.threads()], []);
        book.end();
      }
      assert.equal(book.transactions, 0);
      book.begin();
      book.addRoot("1.000001", "R1", "ann");
      book.addRoot("1.000002", "R2", "bob");
      assert.deepEqual({ ...book.root("1.000001") }, {
        id: "R1",
        author: "ann",
      });
      book.end();
      assert.equal(book.transactions, 1, "one a conversation with roots");
    } finally {
      book.close();
    }
  });
});

Deno.test("import-slack: reactions' names are the built-in set's emoji, with their skin tones; a team's own emoji are none", () => {
  assert.equal(slackReaction("+1"), "👍");
  assert.equal(slackReaction("thumbsup::skin-tone-2"), "👍🏻");
  assert.equal(slackReaction("wave::skin-tone-6"), "👋🏿");
  assert.equal(slackReaction("heart"), "❤️");
  assert.equal(slackReaction("flag-fr"), "🇫🇷");
  assert.equal(slackReaction("partyparrot"), undefined);
});

stores.finish();
