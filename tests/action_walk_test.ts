/**
 * Every action walked field by field, as a guest, an account and an admin:
 * each field missing, of every wrong type, empty, past its size, a huge,
 * negative or fractional number, a lone surrogate, NUL, an RTL override or
 * 10,000 combining marks. Each answer must be one of the codes
 * docs/protocol.md lists for that action, with a message, never `internal`,
 * and the connection must stay open and usable. Where fuzz_test.ts draws
 * frames at random, this walks every field with every edge, in order.
 */
import assert from "node:assert/strict";
import { MEMBER_HANDLERS, PUBLIC_HANDLERS } from "../server/handlers/mod.ts";
import { NO_RATE_LIMITS } from "../server/mod.ts";
import { type Frame, type TestClient, withClients } from "./harness.ts";

const PROTOCOL = new URL("../docs/protocol.md", import.meta.url);

/** Each action's data at rest: every field it reads, each of a valid type. */
const BASE: Record<string, Record<string, unknown>> = {
  // Passwords that hash (0.1 s or more each) only where a field's edge
  // makes them: a session token is looked up, a short password refused.
  login: {
    token: "no such session",
    room_changes: true,
    room_list_in_reply: true,
  },
  register: { username: "walker", password: "short" },
  list_rooms: {},
  create_room: { room: "walkroom", private: false },
  join_room: { room: "general", invite: "abc" },
  leave_room: { room: "walkroom" },
  list_users: { room: "general" },
  list_members: { room: "general", prefix: "vi" },
  send_message: { text: "hi", client_id: "c1", attachments: [], reply_to: "M" },
  history: { room: "general", before_seq: 5, after_seq: 1, limit: 10 },
  private_message: { to: "victim", text: "hi", client_id: "p1" },
  kick: { user: "nobody", reason: "r" },
  ban: { user: "nobody", room: "general", reason: "r", duration_s: 10 },
  unban: { user: "nobody", room: "general" },
  delete_room: { room: "nowhere" },
  set_role: { user: "nobody", role: "user" },
  typing: { to: "victim" },
  visibility: { hidden: false },
  edit_message: { id: "M", text: "edited" },
  message_edits: { id: "M" },
  delete_message: { id: "nothing" },
  remove_link_previews: { id: "nothing" },
  change_password: { old_password: "wrong one!", new_password: "short" },
  totp_setup: { password: "wrong one!" },
  totp_enable: { code: "123456" },
  totp_disable: { password: "wrong one!", code: "123456" },
  totp_recovery_codes: { password: "wrong one!", code: "123456" },
  mark_read: { room: "general", seq: 1 },
  mark_unread: { room: "general", seq: 1 },
  list_conversations: { before: "M", limit: 5 },
  ignore_user: { user: "victim" },
  unignore_user: { user: "victim" },
  list_ignored: {},
  set_draft: { room: "general", text: "half a thought" },
  list_drafts: {},
  set_topic: { room: "general", topic: "walked" },
  archive_room: { room: "nowhere" },
  unarchive_room: { room: "nowhere" },
  set_room_posting: { room: "nowhere", posting: "moderators" },
  set_notify_level: { room: "general", level: "none" },
  list_notify_levels: {},
  star: { room: "general" },
  unstar: { with: "victim" },
  set_sections: {
    sections: [{ name: "Walked", items: ["#general", "@victim"] }],
  },
  set_do_not_disturb: { until: Date.now() + 3_600_000 },
  set_status: { text: "In a meeting", emoji: "📅" },
  get_status: { users: ["victim", "nobody"] },
  set_profile: { title: "Walker", timezone: "Europe/Paris" },
  set_email: { address: "walker@example.org" },
  set_missed_mail: { enabled: false, language: "fr" },
  get_profile: { name: "victim" },
  create_group: { name: "walkers", description: "d", members: ["victim"] },
  update_group: {
    group: "walkers",
    description: "e",
    add: ["victim"],
    remove: ["nobody"],
  },
  delete_group: { group: "nogroup" },
  list_groups: {},
  list_emoji: {},
  remove_emoji: { name: "no_such_emoji" },
  save_message: { id: "M" },
  unsave_message: { id: "M" },
  list_saved: { before: "M", limit: 5 },
  schedule_message: {
    room: "general",
    text: "later",
    send_at: "2099-01-01T09:00:00Z",
    attachments: [],
    reply_to: "M",
  },
  list_scheduled: {},
  update_scheduled: { id: "M", text: "later", send_at: "2099-01-01T09:00:00Z" },
  cancel_scheduled: { id: "M" },
  list_mentions: { before: "M", limit: 5 },
  list_replies: { id: "M", after_seq: 0, limit: 5 },
  list_threads: { before: "M", limit: 5 },
  mark_thread_read: { id: "M" },
  invite: { room: "club", user: "victim" },
  remove_member: { room: "club", user: "nobody" },
  create_invite: { room: "club", max_uses: 1, expires_in_s: 60 },
  list_invites: { room: "club" },
  revoke_invite: { code: "nothing" },
  react: { id: "M", emoji: "👍", on: true },
  create_poll: {
    room: "general",
    question: "Q?",
    options: ["A", "B"],
    multiple: true,
  },
  vote: { id: "M", options: [0] },
  close_poll: { id: "M" },
  poll_choices: { ids: ["M"] },
  forward_message: { id: "M", room: "general", text: "see" },
  pin: { id: "M", on: false },
  list_pins: { with: "victim" },
  search: { query: "hello", room: "general", before: "M", limit: 5 },
  find_people: { query: "vi", limit: 5 },
  audit_log: { before: 5, limit: 5 },
  list_accounts: { query: "a", limit: 5 },
  list_bans: { limit: 5 },
  list_all_rooms: {},
  reset_password: { user: "nobody", reason: "r" },
  reset_totp: { user: "nobody", reason: "r" },
  delete_account: { user: "nobody", messages: "keep", reason: "r" },
  update_room: { room: "nowhere", name: "zz", owner: null, retention_days: 1 },
};

/** The number fields with a maximum of their own (docs/protocol.md). */
const BOUNDED = [
  "limit",
  "max_uses",
  "expires_in_s",
  "duration_s",
  "retention_days",
];

/** What each field is replaced with, one at a time. */
const EDGES: [string, unknown][] = [
  ["missing", undefined],
  ["null", null],
  ["a boolean", true],
  ["-1", -1],
  ["1.5", 1.5],
  ["1e308", 1e308],
  ["empty", ""],
  ["4,097 characters", "n".repeat(4097)],
  ["an array", ["a"]],
  ["an object", { a: { b: [1] } }],
  ["a lone surrogate", "a\uD800b"],
  ["NUL", "a\u0000b"],
  ["an RTL override", "\u202Eab"],
  ["10,000 combining marks", "a" + "\u0301".repeat(10_000)],
];

/**
 * The codes docs/protocol.md allows each action: its row of the Actions
 * table, or for the admin actions (Administration) the codes that section
 * names; `invalid_message` (the envelope) and `rate_limited` for any.
 */
async function documentedCodes(): Promise<Map<string, Set<string>>> {
  const doc = await Deno.readTextFile(PROTOCOL);
  const table = doc.split("\n## Actions\n")[1].split("\n## ")[0];
  const codes = new Map<string, Set<string>>();
  for (const line of table.split("\n")) {
    // Cells split on bars that are not escaped (`{"room"\|"with"}`).
    const cells = line.split(/(?<!\\)\|/).map((cell) => cell.trim());
    const action = /^`([a-z_]+)`$/.exec(cells[1] ?? "")?.[1];
    if (action === undefined) continue;
    const listed = [...(cells[4] ?? "").matchAll(/`([a-z_]+)`/g)]
      .map((match) => match[1]);
    codes.set(action, new Set(listed));
  }
  const admin = doc.split("\n## Administration\n")[1].split("\n## ")[0];
  const adminCodes = [
    "forbidden",
    "user_not_found",
    "room_not_found",
    "room_name_invalid",
    "room_exists",
  ].filter((code) => admin.includes(`\`${code}\``));
  for (const action of Object.keys(BASE)) {
    if (!codes.has(action)) codes.set(action, new Set(adminCodes));
    codes.get(action)!.add("invalid_message").add("rate_limited");
  }
  return codes;
}

/** Every request of the walk for one action: its data, and a label. */
function variants(action: string, messageId: string): [string, unknown][] {
  const base = JSON.parse(
    JSON.stringify(BASE[action]).replaceAll(
      '"M"',
      JSON.stringify(messageId),
    ),
  ) as Record<string, unknown>;
  const out: [string, unknown][] = [
    ["as it is", base],
    ["without data", undefined],
    ["data null", null],
    ["data an array", []],
    ["an unknown field", { ...base, extra: { deep: [1] } }],
  ];
  for (const field of Object.keys(base)) {
    for (const [label, value] of EDGES) {
      const data = { ...base };
      if (value === undefined) delete data[field];
      else data[field] = value;
      out.push([`'${field}' ${label}`, data]);
    }
  }
  return out;
}

/**
 * Sends one client the whole walk without waiting, then checks each reply;
 * returns the failures as sentences.
 */
async function walk(
  client: TestClient,
  who: string,
  actions: string[],
  messageId: string,
  allowed: Map<string, Set<string>>,
): Promise<string[]> {
  const sent: { id: string; action: string; label: string }[] = [];
  for (const action of actions) {
    for (const [label, data] of variants(action, messageId)) {
      const id = `w${sent.length}`;
      sent.push({ id, action, label });
      client.send(data === undefined ? { action, id } : { action, data, id });
    }
  }
  // Each frame is looked at once, as it comes. Going over every frame
  // received at each one (~85,000 times a walk, each over up to 2,650)
  // held this process's one loop, which the server shares, 7.9 s of the
  // 9.1 s it was busy, and up to 22 s at a time under load: the stalls that
  // cut silent clients (docs/performance.md, "The action walk's stalls").
  const ours = new Set(sent.map(({ id }) => id));
  const replies = new Map<string, Frame>();
  await client.waitFor(
    (f) => {
      if (
        f.id !== undefined && ours.has(f.id) &&
        (f.action === "error" || f.action === "success")
      ) {
        replies.set(f.id, f);
      }
      return replies.size === ours.size;
    },
    `${sent.length} replies to ${who}`,
    { timeoutMs: 60_000 },
  );
  const failures: string[] = [];
  for (const { id, action, label } of sent) {
    const reply = replies.get(id);
    const where = `${who}: ${action} with ${label}`;
    if (reply === undefined) {
      failures.push(`${where}: no reply`);
      continue;
    }
    if (reply.data.request !== action) {
      failures.push(`${where}: answers '${reply.data.request}'`);
    }
    if (reply.action === "success") continue;
    const { code, message } = reply.data as { code: string; message: unknown };
    if (!allowed.get(action)?.has(code)) {
      failures.push(`${where}: ${code} (${message}), not in the docs`);
    }
    if (typeof message !== "string" || message.length < 10) {
      failures.push(`${where}: ${code} without a message`);
    }
    // A name the request wrote is quoted: an empty one, or one of spaces
    // or an RTL override, would otherwise garble the sentence.
    if (/^\s/.test(String(message))) {
      failures.push(`${where}: ${code} (${message}) begins with a space`);
    }
    // A number past its field's own bound is told that bound, not
    // JavaScript's largest safe integer.
    if (
      BOUNDED.some((field) => label.startsWith(`'${field}'`)) &&
      String(message).includes(String(Number.MAX_SAFE_INTEGER))
    ) {
      failures.push(`${where}: ${message}`);
    }
  }
  assert.equal(
    client.closeCode,
    undefined,
    `${who} was closed (${client.closeError ?? "no error"})`,
  );
  // Still usable: a stranger can still log in, the others still ask.
  if (actions.includes("login")) await client.ok("login", { username: who });
  else await client.ok("list_rooms");
  return failures;
}

Deno.test("every action, every field at and past its edges, as a guest, an account and an admin: a documented code with a message each, never internal, the connection usable", () =>
  withClients(async (pool) => {
    const allowed = await documentedCodes();
    const handled = [
      ...Object.keys(PUBLIC_HANDLERS),
      ...Object.keys(MEMBER_HANDLERS),
    ].filter((action) => action !== "logout");
    // A new action is walked once its fields are listed here.
    assert.deepEqual(Object.keys(BASE).sort(), handled.sort());
    const admin = await pool.register("boss");
    const account = await pool.register("member");
    await pool.register("victim");
    await account.ok("create_room", { room: "club", private: true });
    await account.ok("join_room", { room: "general" });
    const posted = await admin.ok("send_message", { text: "hello all" });
    const messageId = (posted.message as { id: string }).id;
    const guest = await pool.guest("visitor");
    const stranger = await pool.connect();
    const member = handled.filter((a) => a !== "login" && a !== "register");
    // The four at once: each connection's answers come in its own order.
    const failures = await Promise.all([
      walk(stranger, "stranger", ["login", "register"], "", allowed),
      walk(guest, "a guest", member, messageId, allowed),
      walk(account, "an account", member, messageId, allowed),
      walk(admin, "the admin", member, messageId, allowed),
    ]);
    assert.deepEqual(failures.flat(), []);
  }, { rateLimits: NO_RATE_LIMITS, admin: "boss" }));
