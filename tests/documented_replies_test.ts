/**
 * What docs/protocol.md and docs/api.md say against what the server
 * answers and serves: the keys of every action's success reply, and of
 * the items of the lists it shows (the Actions and Administration
 * tables), every route of /api/openapi.json in the route tables
 * (and every route those tables name answered), and each action's rate
 * limit. The docs are the contract outside clients are written against;
 * each of these had drifted (an account's `leave_room` reply without the
 * `epoch` the table promised, `limits` in every login reply but not in the
 * table, routes served but not listed, `invite` on `create_room`'s budget).
 */
import { type SmtpReceiver, startSmtpReceiver } from "./smtp_receiver.ts";
import { PNG } from "./file_helpers.ts";
import assert from "node:assert/strict";
import { MEMBER_HANDLERS, PUBLIC_HANDLERS } from "../server/handlers/mod.ts";
import { NO_RATE_LIMITS } from "../server/mod.ts";
import { totpCode } from "../server/accounts/totp.ts";
import { categoryOf, DEFAULT_RATE_LIMITS } from "../server/rate_limit.ts";
import {
  type Frame,
  TEST_PASSWORD,
  type TestClient,
  withClients,
  withServer,
} from "./harness.ts";

const PROTOCOL = new URL("../docs/protocol.md", import.meta.url);
const API = new URL("../docs/api.md", import.meta.url);

/** The text of a `## title` section, up to the next `## `. */
function section(doc: string, title: string): string {
  return doc.split(`\n## ${title}\n`)[1].split("\n## ")[0];
}

/** A table's rows as cells, bars escaped as `\|` kept inside their cell. */
function rows(table: string): string[][] {
  return table.split("\n")
    .filter((line) => line.startsWith("|") && !/^\|\s*-/.test(line))
    .map((line) =>
      line.split(/(?<!\\)\|/).slice(1, -1).map((cell) => cell.trim())
    );
}

/**
 * One object a success cell shows: its keys, which are required, `…`, and
 * the shapes of the items of a key shown as a list of objects.
 */
interface Shape {
  allowed: Set<string>;
  required: Set<string>;
  open: boolean;
  items: Map<string, Shape[]>;
}

/**
 * The objects of a success cell: `{"room","epoch","history":[…],"left"?}`
 * is room, epoch and history required, left allowed; `"a"\|"b"` allows
 * either; `…` among the keys leaves the object open; a name outside the
 * braces (`"expires_at"` too) is allowed in every object. A key shown as
 * a list of objects (`"bans":[{"user","room"?}…]`) holds items of that
 * shape, read the same way.
 */
function shapesOf(cell: string): Shape[] {
  const shapes: Shape[] = [];
  const loose: string[] = [];
  const stack: string[] = [];
  let previous = "";
  for (let i = 0; i < cell.length; i++) {
    const char = cell[i];
    if (char === "{" || char === "[") {
      if (stack.length === 0 && char === "{") {
        shapes.push({
          allowed: new Set(),
          required: new Set(),
          open: false,
          items: new Map(),
        });
      }
      stack.push(char);
    } else if (char === "}" || char === "]") {
      stack.pop();
    } else if (char === "…" && stack.length === 1) {
      shapes[shapes.length - 1].open = true;
    } else if (char === '"') {
      const end = cell.indexOf('"', i + 1);
      const name = cell.slice(i + 1, end);
      const after = cell[end + 1];
      const optional = after === "?" || after === "\\" ||
        cell.slice(0, i).endsWith("\\|");
      // A value (`"epoch":"…"`) is no key.
      if (previous !== ":" && stack.length === 1) {
        const shape = shapes[shapes.length - 1];
        shape.allowed.add(name);
        if (!optional) shape.required.add(name);
        if (cell.startsWith(":[{", end + 1)) {
          shape.items.set(name, shapesOf(listAt(cell, end + 2)));
        }
      } else if (stack.length === 0) {
        loose.push(name);
      }
      i = end;
    }
    if (char.trim() !== "") previous = char;
  }
  for (const shape of shapes) for (const name of loose) shape.allowed.add(name);
  return shapes;
}

/** What is inside the brackets of the list that opens at `start`. */
function listAt(cell: string, start: number): string {
  let depth = 0;
  for (let i = start; i < cell.length; i++) {
    if (cell[i] === "[" || cell[i] === "{") depth++;
    else if (cell[i] === "]" || cell[i] === "}") depth--;
    else if (cell[i] === '"') i = cell.indexOf('"', i + 1);
    if (depth === 0) return cell.slice(start + 1, i);
  }
  throw new Error(`an unclosed list in ${cell}`);
}

/** Why `data` fits none of the shapes, or undefined when it fits one. */
function misfit(
  data: Record<string, unknown>,
  shapes: Shape[],
): string | undefined {
  const keys = Object.keys(data).filter((key) => key !== "request");
  const reasons = shapes.map((shape) => {
    const extra = shape.open ? [] : keys.filter((k) => !shape.allowed.has(k));
    const missing = [...shape.required].filter((k) => !keys.includes(k));
    if (extra.length > 0 || missing.length > 0) {
      return `not documented: [${extra}], missing: [${missing}]`;
    }
    for (const [key, items] of shape.items) {
      const list = data[key];
      if (list === undefined) continue;
      if (!Array.isArray(list)) return `${key}: not a list`;
      for (const [i, item] of list.entries()) {
        const wrong = misfit(item, items);
        if (wrong !== undefined) return `${key}[${i}]: ${wrong}`;
      }
    }
    return undefined;
  });
  return reasons.includes(undefined) ? undefined : reasons.join("; or ");
}

/**
 * Each action of the Actions and Administration tables and the shapes of
 * its success data (the column so headed).
 */
function documentedShapes(doc: string): Map<string, Shape[]> {
  const documented = new Map<string, Shape[]>();
  for (const title of ["Actions", "Administration"]) {
    const [header, ...table] = rows(section(doc, title));
    const column = header.indexOf("success data");
    assert.ok(column > 0, `${title}: no success data column`);
    for (const cells of table) {
      const action = /^`([a-z_]+)`$/.exec(cells[0])?.[1];
      if (action !== undefined) documented.set(action, shapesOf(cells[column]));
    }
  }
  return documented;
}

Deno.test("documented replies: every action's success reply, administration's too, has exactly the keys (and its lists' items those) that the Actions and Administration tables of docs/protocol.md show", () =>
  withMail((smtp) =>
    withClients(async (pool, server) => {
      const documented = documentedShapes(await Deno.readTextFile(PROTOCOL));
      const replies: [string, string, Frame["data"]][] = [];
      const ok = async (
        client: TestClient,
        action: string,
        data: Record<string, unknown>,
      ) => {
        const reply = await client.request(action, data);
        assert.equal(
          reply.action,
          "success",
          `${action} ${JSON.stringify(data)}: ${JSON.stringify(reply.data)}`,
        );
        replies.push([action, JSON.stringify(data), reply.data]);
        return reply.data;
      };
      const entered = (client: TestClient, how: string) => {
        const reply = client.received.find((f) =>
          f.action === "success" && f.data.request === how.split(" ")[0]
        )!;
        replies.push([reply.data.request!, how, reply.data]);
      };
      const boss = await pool.register("boss");
      entered(boss, "register");
      const bob = await pool.register("bob");
      entered(await pool.login({ token: bob.token }), "login with a token");
      entered(
        await pool.login({ username: "bob", password: TEST_PASSWORD }),
        "login with a password",
      );
      const visitor = await pool.guest("visitor");
      entered(visitor, "login as a guest");

      await ok(boss, "list_rooms", {});
      await ok(boss, "create_room", { room: "dev" });
      await ok(boss, "list_users", {});
      await ok(boss, "list_members", { prefix: "b" });
      const sent = await ok(boss, "send_message", {
        text: "hello",
        client_id: "k",
      });
      const id = (sent.message as { id: string }).id;
      await ok(boss, "history", { room: "dev" });
      await ok(boss, "history", { with: "bob" });
      await ok(boss, "private_message", { to: "bob", text: "psst" });
      await ok(boss, "typing", {});
      await ok(boss, "visibility", { hidden: false });
      await ok(boss, "react", { id, emoji: "👍" });
      const poll = await ok(boss, "create_poll", {
        room: "general",
        question: "Lunch?",
        options: ["Pizza", "Sushi"],
      });
      const pollId = (poll.message as { id: string }).id;
      await ok(boss, "vote", { id: pollId, options: [1] });
      await ok(boss, "close_poll", { id: pollId });
      await ok(boss, "poll_choices", { ids: [pollId] });
      await ok(boss, "forward_message", { id, room: "general", text: "see" });
      await ok(boss, "forward_message", { id, with: "bob" });
      await ok(boss, "pin", { id });
      await ok(boss, "list_pins", {});
      await ok(boss, "list_pins", { with: "bob" });
      await ok(boss, "search", { query: "hello" });
      await ok(boss, "find_people", { query: "bo" });
      await ok(boss, "edit_message", { id, text: "hello again" });
      await ok(boss, "message_edits", { id });
      await ok(boss, "remove_link_previews", { id });
      await ok(boss, "mark_read", { room: "dev", seq: 1 });
      await ok(boss, "mark_read", { with: "bob", seq: 1 });
      await ok(boss, "mark_unread", { room: "dev", seq: 1 });
      await ok(boss, "list_conversations", {});
      await ok(boss, "ignore_user", { user: "bob" });
      await ok(boss, "list_ignored", {});
      await ok(boss, "unignore_user", { user: "bob" });
      await ok(boss, "set_draft", { room: "dev", text: "half" });
      await ok(boss, "set_draft", { with: "bob", text: "hi" });
      await ok(boss, "list_drafts", {});
      await ok(boss, "save_message", { id });
      await ok(boss, "list_saved", {});
      await ok(boss, "list_saved", { ids: true });
      await ok(boss, "list_mentions", {});
      await ok(boss, "unsave_message", { id });
      const later = new Date(Date.now() + 3600_000).toISOString();
      const scheduled = await ok(boss, "schedule_message", {
        room: "dev",
        text: "later",
        send_at: later,
      });
      const scheduledId = (scheduled.scheduled as { id: string }).id;
      await ok(boss, "schedule_message", {
        to: "bob",
        text: "psst",
        send_at: later,
      });
      await ok(boss, "list_scheduled", {});
      await ok(boss, "update_scheduled", { id: scheduledId, text: "later on" });
      await ok(boss, "cancel_scheduled", { id: scheduledId });
      await ok(boss, "list_replies", { id });
      await ok(boss, "list_threads", {});
      await ok(boss, "mark_thread_read", { id });
      await ok(boss, "set_topic", { room: "dev", topic: "plans" });
      await ok(boss, "archive_room", { room: "dev" });
      await ok(boss, "unarchive_room", { room: "dev" });
      await ok(boss, "set_room_posting", {
        room: "dev",
        posting: "moderators",
      });
      await ok(boss, "set_room_posting", { room: "dev", posting: "everyone" });
      await ok(boss, "join_room", { room: "dev" });
      await ok(boss, "set_notify_level", { room: "dev", level: "none" });
      await ok(boss, "set_notify_level", { with: "bob", level: "all" });
      await ok(boss, "list_notify_levels", {});
      await ok(boss, "star", { room: "dev" });
      await ok(boss, "star", { with: "bob" });
      await ok(boss, "unstar", { with: "bob" });
      await ok(boss, "set_sections", {
        sections: [{ name: "Team", items: ["#dev", "@bob"], collapsed: true }],
      });
      await ok(boss, "set_do_not_disturb", { until: Date.now() + 3_600_000 });
      await ok(boss, "set_status", {
        text: "In a meeting",
        emoji: "📅",
        until: Date.now() + 3_600_000,
      });
      await ok(visitor, "get_status", { users: ["boss", "bob"] });
      await ok(boss, "set_profile", { title: "Boss", timezone: "UTC" });
      await ok(boss, "get_profile", { name: "bob" });
      await ok(bob, "get_profile", { name: "boss" });
      await ok(boss, "create_group", {
        name: "design",
        description: "The designers",
        members: ["bob"],
      });
      await ok(boss, "update_group", { group: "design", add: ["boss"] });
      await ok(boss, "list_groups", {});
      await ok(boss, "delete_group", { group: "design" });
      // A custom emoji is added over HTTP (its bytes are no JSON).
      const added = await fetch(`${server.url}/api/emoji/walk_emoji`, {
        method: "PUT",
        headers: {
          authorization: `Bearer ${boss.token}`,
          "content-type": "image/png",
          origin: server.url,
        },
        body: PNG,
      });
      await added.body?.cancel();
      assert.equal(added.status, 200);
      await ok(boss, "list_emoji", {});
      await ok(boss, "remove_emoji", { name: "walk_emoji" });
      await ok(boss, "create_room", { room: "club", private: true });
      await ok(boss, "invite", { room: "club", user: "bob" });
      const { code } = await ok(boss, "create_invite", { room: "club" });
      await ok(boss, "list_invites", { room: "club" });
      await ok(boss, "revoke_invite", { code });
      await ok(boss, "remove_member", { room: "club", user: "bob" });
      await ok(boss, "delete_message", { id });
      await ok(visitor, "join_room", { room: "dev" });
      await ok(visitor, "leave_room", {});
      await ok(boss, "leave_room", { room: "dev" });
      await ok(boss, "set_role", { user: "bob", role: "moderator" });
      await ok(boss, "set_role", { user: "bob", role: "user" });
      await ok(boss, "ban", { user: "bob", room: "dev" });
      await ok(boss, "ban", { user: "bob", room: "dev", duration_s: 60 });
      await ok(boss, "list_bans", {});
      await ok(boss, "unban", { user: "bob", room: "dev" });
      await ok(boss, "ban", { user: "bob", duration_s: 60 });
      await ok(boss, "list_accounts", {});
      await ok(boss, "list_accounts", { query: "bo", limit: 1 });
      await ok(boss, "list_bans", { limit: 1 });
      await ok(boss, "unban", { user: "bob" });
      await ok(boss, "kick", { user: "visitor" });
      await ok(boss, "update_room", {
        room: "club",
        owner: "bob",
        retention_days: 30,
      });
      await ok(boss, "list_all_rooms", {});
      await ok(boss, "update_room", {
        room: "club",
        name: "Club",
        private: false,
        owner: null,
        retention_days: null,
      });
      await ok(boss, "update_room", { room: "Club", archived: true });
      await ok(boss, "update_room", { room: "Club", archived: false });
      await ok(boss, "reset_password", { user: "bob", reason: "forgot it" });
      // bob is banned by now: another account turns its 2FA on and off.
      const erin = await pool.register("erin");
      const { secret } = await ok(erin, "totp_setup", {
        password: TEST_PASSWORD,
      });
      const { recovery_codes: codes } = await ok(erin, "totp_enable", {
        code: totpCode(secret as string),
      });
      const renewed = await ok(erin, "totp_recovery_codes", {
        password: TEST_PASSWORD,
        code: (codes as string[])[0],
      });
      await ok(erin, "totp_disable", {
        password: TEST_PASSWORD,
        code: (renewed.recovery_codes as string[])[0],
      });
      const again = await ok(erin, "totp_setup", { password: TEST_PASSWORD });
      await ok(erin, "totp_enable", { code: totpCode(again.secret as string) });
      await ok(boss, "reset_totp", { user: "erin", reason: "lost the phone" });
      await pool.register("carol");
      await pool.register("dave");
      await ok(boss, "delete_account", { user: "carol", messages: "keep" });
      await ok(boss, "delete_account", { user: "dave", messages: "anonymise" });
      await ok(boss, "audit_log", { limit: 2 });
      await ok(boss, "audit_log", {});
      await ok(boss, "delete_room", { room: "dev" });
      await ok(boss, "change_password", {
        old_password: TEST_PASSWORD,
        new_password: `${TEST_PASSWORD} 2`,
      });
      await ok(boss, "set_email", { address: "boss@example.org" });
      await ok(boss, "set_email", { address: null });
      await ok(boss, "set_missed_mail", { enabled: false, language: "fr" });
      await ok(boss, "logout", {});

      const failures = replies.flatMap(([action, how, data]) => {
        const shapes = documented.get(action);
        if (shapes === undefined) return [`${action}: not in the table`];
        const wrong = misfit(data, shapes);
        return wrong === undefined ? [] : [`${action} ${how}: ${wrong}`];
      });
      assert.deepEqual(failures, []);
      // Every action of the table was answered above.
      const answered = new Set(replies.map(([action]) => action));
      assert.deepEqual(
        [...documented.keys()].filter((a) => !answered.has(a)),
        [],
      );
    }, {
      rateLimits: NO_RATE_LIMITS,
      admin: "boss",
      smtpUrl: smtp.url,
      mailFrom: "chat@example.org",
      publicUrl: "https://chat.example.org",
    })
  ));

/** Runs `body` with a real SMTP server taking the server's mails. */
async function withMail(
  body: (smtp: SmtpReceiver) => Promise<void>,
): Promise<void> {
  const smtp = await startSmtpReceiver();
  try {
    await body(smtp);
  } finally {
    await smtp.close();
  }
}

Deno.test("documented replies: the success replies of docs/protocol.md's examples have the keys of its Actions and Administration tables", async () => {
  const doc = await Deno.readTextFile(PROTOCOL);
  const documented = documentedShapes(doc);
  const failures: string[] = [];
  let checked = 0;
  for (const line of doc.split("\n")) {
    const at = line.indexOf('{"action":"success"');
    if (at < 0) continue;
    // Examples elide lists and objects as […] and {…}.
    const json = line.slice(at).replace(/\s*\(batched\)\s*$/, "")
      .replaceAll("[…]", "[]").replaceAll("{…}", "{}");
    const data = (JSON.parse(json) as Frame).data;
    const shapes = documented.get(data.request!);
    if (shapes === undefined) continue;
    checked++;
    const wrong = misfit(data, shapes);
    if (wrong !== undefined) failures.push(`${data.request}: ${wrong}`);
  }
  assert.deepEqual(failures, []);
  assert.ok(checked > 20, `only ${checked} examples read`);
});

/** The paths a route table names, `[/:id]` read as with and without. */
function documentedPaths(table: string): Set<string> {
  const paths = new Set<string>();
  for (const cells of rows(table)) {
    for (const [, path] of cells[0].matchAll(/(\/[^\s`,]*)/g)) {
      paths.add(path.replace(/\[.*\]$/, ""));
      if (path.includes("[")) paths.add(path.replace(/[[\]]/g, ""));
    }
  }
  return paths;
}

Deno.test("documented routes: the route tables of docs/protocol.md and docs/api.md name every route of /api/openapi.json, and every route they name is served", () =>
  withServer(async (server) => {
    const tables = [
      section(await Deno.readTextFile(PROTOCOL), "HTTP endpoints"),
      section(await Deno.readTextFile(API), "Routes"),
    ];
    const documented = new Set(tables.flatMap((t) => [...documentedPaths(t)]));
    const answer = await fetch(`${server.url}/api/openapi.json`);
    const openapi = (await answer.json()) as { paths: Record<string, unknown> };
    const served = Object.keys(openapi.paths)
      .map((path) => path.replace(/\{([a-z_]+)\}/g, ":$1"));
    assert.deepEqual(served.filter((path) => !documented.has(path)), []);
    // The others, outside the OpenAPI document: each answers something
    // other than the catch-all 404 (a parameter taken as a name).
    const unknown: string[] = [];
    for (const path of documented) {
      if (served.includes(path)) continue;
      const url = server.url +
        path.replace("<action>", "list_bans").replace(/:[a-z_]+/g, "x");
      const response = await fetch(url);
      const body = await response.text();
      if (response.status === 404 && body.includes("No such page.")) {
        unknown.push(path);
      }
    }
    assert.deepEqual(unknown, []);
  }));

Deno.test("documented rate limits: each action outside 'everything else' is named in the table's row with its per-connection figures", async () => {
  const doc = await Deno.readTextFile(PROTOCOL);
  const table = doc.split("\n**Request rate limits**")[1].split("\n**")[0];
  const limits = rows(table).slice(1);
  const failures: string[] = [];
  for (
    const action of [
      ...Object.keys(PUBLIC_HANDLERS),
      ...Object.keys(MEMBER_HANDLERS),
    ]
  ) {
    const category = categoryOf(action);
    if (category === "request") continue;
    const row = limits.find((cells) => cells[0].includes(`\`${action}\``));
    const { burst, perSecond } = DEFAULT_RATE_LIMITS.perConnection[category];
    const figures = `burst ${burst}, then ${perSecond}/s`;
    if (row === undefined) failures.push(`${action}: in no row`);
    else if (row[1] !== figures) {
      failures.push(`${action}: '${row[1]}', the server's is '${figures}'`);
    }
  }
  assert.deepEqual(failures, []);
});
