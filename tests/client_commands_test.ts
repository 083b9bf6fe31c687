/**
 * Slash commands typed in the composer (client/commands.ts): what each one
 * asks the server, and the lines the user reads after it, with a scripted
 * server behind a real connection.
 */

import assert from "node:assert/strict";
import {
  canModerate,
  helpText,
  parseInput,
  pauseMinutes,
  pollParts,
  runInput,
} from "../client/commands.ts";
import { lang } from "../client/i18n.ts";
import { noticeText } from "../client/system_text.ts";
import type { AppState } from "../client/state.ts";
import {
  enterRoom,
  loginAsGuest,
  rig,
  settle,
  until,
} from "./client_fake_server.ts";

/** The notices of a log, as `kind: text`. */
function notices(state: AppState, key: string): string[] {
  return (state.logs.value[key]?.notices ?? []).map((n) =>
    `${n.kind}: ${n.text}`
  );
}

Deno.test("commands read the composer's text: a message, a command, or nothing", () => {
  assert.deepEqual(parseInput("   "), { kind: "empty" });
  assert.deepEqual(parseInput(" hello "), { kind: "message", text: "hello" });
  assert.deepEqual(parseInput("//shrug"), { kind: "message", text: "/shrug" });
  assert.deepEqual(parseInput("/JOIN  #dev "), {
    kind: "command",
    name: "join",
    arg: "#dev",
  });
  assert.deepEqual(parseInput("/"), { kind: "command", name: "", arg: "" });
});

Deno.test("commands read /poll's question and options in straight or curly quotes, a bare word alone, empty ones left out", () => {
  assert.deepEqual(pollParts('"Lunch today?" "Pizza" "Sushi"'), [
    "Lunch today?",
    "Pizza",
    "Sushi",
  ]);
  assert.deepEqual(pollParts('“Déjeuner ?” “Pizza” salade ""'), [
    "Déjeuner ?",
    "Pizza",
    "salade",
  ]);
  assert.deepEqual(pollParts(""), []);
});

Deno.test("commands list in /help only what the user's role may do", () => {
  const user = helpText("user");
  assert.ok(user.includes("/join <room>"));
  assert.ok(!user.includes("/kick"));
  const moderator = helpText("moderator");
  assert.ok(moderator.includes("/kick <user> [reason]"));
  assert.ok(!moderator.includes("/role"));
  assert.ok(helpText("admin").includes("/role <user> <admin|moderator|user>"));
  assert.equal(canModerate("user"), false);
  assert.equal(canModerate("moderator"), true);
  // The keys, the composer's completions among them.
  assert.ok(user.includes("@ — Mention someone"));
  assert.ok(user.includes("# — A room; :thu — An emoji by its name"));
  assert.equal(canModerate(null), false);
});

Deno.test("commands answer an unknown command or a wrong usage with a line, asking nothing", async () => {
  const r = rig();
  const { state, connection, server } = r;
  try {
    await loginAsGuest(r, "ida");
    const context = { state, connection };
    for (
      const input of [
        "/nope",
        "/join",
        "/join two words",
        "/kick",
        "/role ida boss",
        "/unban ida dev",
        "/msg bob",
        // A property every object has: before, taken for a command.
        "/constructor",
      ]
    ) {
      await runInput(context, input);
    }
    await settle();
    assert.deepEqual(server.waiting, []);
    assert.deepEqual(notices(state, "general"), [
      "error: Unknown command /nope. Type /help for the list.",
      "error: Usage: /join <room>",
      "error: Usage: /join <room>",
      "error: Usage: /kick <user> [reason]",
      "error: Usage: /role <user> <admin|moderator|user>",
      "error: Usage: /unban <user> [#room]",
      "error: Usage: /msg <user> <text>",
      "error: Unknown command /constructor. Type /help for the list.",
    ]);
  } finally {
    await r.stop();
  }
});

Deno.test("commands ban from one room with a reason, in the server's spelling of the name", async () => {
  const r = rig();
  const { state, connection, server } = r;
  try {
    await loginAsGuest(r, "ida");
    const done = runInput({ state, connection }, "/ban IDA2 #dev too loud");
    const ban = await server.next("ban");
    assert.deepEqual(ban.data, {
      user: "IDA2",
      room: "dev",
      reason: "too loud",
    });
    server.reply(ban, { user: "ida2", room: "dev" });
    await done;
    assert.deepEqual(notices(state, "general"), [
      "info: ida2 was banned from #dev: too loud",
    ]);
    const refused = runInput({ state, connection }, "/kick bob");
    server.refuse(await server.next("kick"), "forbidden", "You cannot.");
    await refused;
    assert.equal(notices(state, "general")[1], "error: You cannot.");
  } finally {
    await r.stop();
  }
});

Deno.test("commands name a private room without '#' in what they say, as its header does, even once it is deleted", async () => {
  const r = rig();
  const { state, connection, server } = r;
  try {
    await loginAsGuest(r, "ida");
    state.memberships.value = {
      secret: { room: "Secret", private: true },
    } as typeof state.memberships.value;
    const banned = runInput({ state, connection }, "/ban bob #secret");
    server.reply(await server.next("ban"), { user: "bob", room: "Secret" });
    await banned;
    const deleted = runInput({ state, connection }, "/delete secret");
    const step = await server.next("delete_room");
    // The room is gone (and its privacy with it) before the reply comes.
    state.memberships.value = {};
    server.reply(step, { room: "Secret" });
    await deleted;
    assert.deepEqual(notices(state, "general"), [
      "info: bob was banned from Secret",
      "info: Secret was deleted",
    ]);
  } finally {
    await r.stop();
  }
});

Deno.test("commands name their placeholders in the chosen language: '/msg <nom> <texte>' in French", async () => {
  const r = rig();
  const { state, connection } = r;
  try {
    await loginAsGuest(r, "ida");
    lang.value = "fr";
    const help = helpText("admin");
    for (const line of ["/join <salon>", "/msg <nom> <texte>"]) {
      assert.ok(help.includes(line), `/help names ${line}`);
    }
    assert.ok(help.includes("/ban <nom> [#salon] [raison]"));
    assert.ok(help.includes("/search <mots>"));
    // A role is typed as is, in any language.
    assert.ok(help.includes("/role <nom> <admin|moderator|user>"));
    assert.doesNotMatch(help, /<room>|<user>|<text>|<words>|\[reason\]/);
    await runInput({ state, connection }, "/msg");
    await runInput({ state, connection }, "/join");
    assert.deepEqual(notices(state, "general"), [
      "error: Syntaxe : /msg <nom> <texte>",
      "error: Syntaxe : /join <salon>",
    ]);
  } finally {
    lang.value = "en";
    await r.stop();
  }
});

Deno.test("commands' lines, and the server's refusals they show, are said again in the language chosen after them", async () => {
  const r = rig();
  const { state, connection, server } = r;
  try {
    await loginAsGuest(r, "ida");
    await runInput({ state, connection }, "/join");
    const kicked = runInput({ state, connection }, "/kick bob");
    server.refuse(await server.next("kick"), "forbidden", "You cannot.");
    await kicked;
    const said = () =>
      (state.logs.value.general?.notices ?? []).map((n) => noticeText(n));
    assert.deepEqual(said(), ["Usage: /join <room>", "You cannot."]);
    lang.value = "fr";
    assert.deepEqual(said(), [
      "Syntaxe : /join <salon>",
      "Vous n'avez pas le droit de faire cela.",
    ]);
  } finally {
    lang.value = "en";
    await r.stop();
  }
});

Deno.test("commands name a role in the chosen language: '/role tom moderator' reads 'modérateur' in French", async () => {
  const r = rig();
  const { state, connection, server } = r;
  try {
    await loginAsGuest(r, "ida");
    lang.value = "fr";
    const done = runInput({ state, connection }, "/role tom moderator");
    const request = await server.next("set_role");
    assert.deepEqual(request.data, { user: "tom", role: "moderator" });
    server.reply(request, { user: "tom", role: "moderator" });
    await done;
    assert.deepEqual(notices(state, "general"), [
      "info: tom est maintenant modérateur",
    ]);
  } finally {
    lang.value = "en";
    await r.stop();
  }
});

Deno.test("commands confirm /delete of the room one is in where the server moves the user: #general", async () => {
  const r = rig();
  const { state, connection, server } = r;
  try {
    await loginAsGuest(r, "ida");
    await enterRoom(r, "dev");
    const done = runInput({ state, connection }, "/delete");
    const request = await server.next("delete_room");
    assert.deepEqual(request.data, { room: "dev" });
    // The reply and the event that moves the user share one frame.
    server.reply(request, { room: "dev" }, {
      action: "system",
      data: { room: "dev", kind: "deleted", text: "#dev was deleted by ida" },
    });
    await done;
    server.reply(await server.next("list_users"), { users: ["ida"] });
    server.reply(await server.next("history"), {
      room: "general",
      messages: [],
    });
    await until(() => notices(state, "general").length === 2, "two notices");
    assert.equal(state.currentRoom.value, "general");
    assert.deepEqual(notices(state, "general"), [
      "info: #dev was deleted",
      "warning: You were moved to #general: #dev was deleted by ida",
    ]);
    assert.deepEqual(notices(state, "dev"), []);
  } finally {
    await r.stop();
  }
});

Deno.test("commands send //text as a message and /msg as a private message", async () => {
  const r = rig();
  const { state, connection, server } = r;
  try {
    await loginAsGuest(r, "ida");
    await runInput({ state, connection }, "//shrug");
    const send = await server.next("send_message");
    assert.equal(send.data.text, "/shrug");
    const ran = runInput({ state, connection }, "/msg @bob see you\nat 4");
    const page = await server.next("history");
    assert.deepEqual(page.data, { with: "bob", limit: 50 });
    const sent = await server.next("private_message");
    assert.deepEqual(
      { to: sent.data.to, text: sent.data.text },
      { to: "bob", text: "see you\nat 4" },
    );
    assert.deepEqual(state.view.value, { kind: "dm", with: "bob" });
    // A refusal other than "nobody is called that" keeps the conversation.
    server.reply(page, { with: "bob", messages: [] });
    server.refuse(sent, "mailbox_full", "bob's mailbox is full.");
    await ran;
    assert.deepEqual(state.view.value, { kind: "dm", with: "bob" });
    // In a conversation, plain text goes to it.
    await runInput({ state, connection }, "still there?");
    assert.equal((await server.next("private_message")).data.to, "bob");
  } finally {
    await r.stop();
  }
});

Deno.test("commands: /msg to a name nobody has leaves no conversation and gives the words back where they were typed", async () => {
  const r = rig();
  const { state, connection, server } = r;
  try {
    await loginAsGuest(r, "ida");
    const ran = runInput({ state, connection }, "/msg nobody hi there");
    server.reply(await server.next("history"), {
      with: "nobody",
      messages: [],
    });
    const sent = await server.next("private_message");
    assert.deepEqual(state.view.value, { kind: "dm", with: "nobody" });
    server.refuse(sent, "user_not_found", "Nobody is called 'nobody'.");
    await ran;
    assert.deepEqual(state.view.value, { kind: "room" });
    assert.equal(state.conversations.value["nobody"], undefined);
    assert.equal(state.logs.value["@nobody"], undefined);
    assert.equal(state.drafts.value["general"], "/msg nobody hi there");
    assert.deepEqual(notices(state, "general"), [
      "error: No one here is called nobody: the message was not sent. Check the name and send again.",
    ]);
  } finally {
    await r.stop();
  }
});

Deno.test("commands set the room's topic, invite, set one's status and pause notifications, as Slack's do", async () => {
  const r = rig();
  const { state, connection, server } = r;
  try {
    await loginAsGuest(r, "ida");
    const run = (text: string) => runInput({ state, connection }, text);
    const topic = run("/topic ship on **friday**");
    const set = await server.next("set_topic");
    assert.deepEqual(set.data, {
      room: "general",
      topic: "ship on **friday**",
    });
    server.reply(set, { room: "general", topic: "ship on **friday**" });
    await topic;

    const invite = run("/invite @bob");
    const asked = await server.next("invite");
    assert.deepEqual(asked.data, { room: "general", user: "bob" });
    server.reply(asked, { room: "general", user: "bob" });
    await invite;

    const status = run("/status in the lab");
    const statusSet = await server.next("set_status");
    assert.deepEqual(statusSet.data, { text: "in the lab" });
    server.reply(statusSet, {
      status: { text: "in the lab", emoji: null, until: null },
    });
    await status;
    const cleared = run("/status");
    const clear = await server.next("set_status");
    assert.deepEqual(clear.data, { text: "" });
    server.reply(clear, { status: null });
    await cleared;

    const before = Date.now();
    const pause = run("/dnd 2h");
    const paused = await server.next("set_do_not_disturb");
    const until = paused.data.until as number;
    assert.ok(
      until >= before + 120 * 60_000 && until <= Date.now() + 120 * 60_000,
    );
    server.reply(paused, { until });
    await pause;
    const resume = run("/dnd off");
    const resumed = await server.next("set_do_not_disturb");
    assert.deepEqual(resumed.data, { until: null });
    server.reply(resumed, { until: null });
    await resume;

    await run("/shrug fine");
    assert.equal(
      (await server.next("send_message")).data.text,
      "fine ¯\\_(ツ)_/¯",
    );

    // Wrong usage asks nothing.
    await run("/topic");
    await run("/invite bob carol");
    await run("/dnd soon");
    const lines = notices(state, "general");
    assert.deepEqual(lines.slice(0, 4), [
      "info: bob was added to #general.",
      "info: Status: in the lab",
      "info: Your status is cleared.",
      lines[3], // "Paused until <time>", said in the local time zone.
    ]);
    assert.match(lines[3], /^info: Paused until /);
    assert.deepEqual(lines.slice(4), [
      "info: Notifications are on again.",
      "error: Usage: /topic <text>",
      "error: Usage: /invite <user>",
      "error: Usage: /dnd <minutes|off>",
    ]);

    // In a conversation, the room's commands say they are for rooms.
    const opened = connection.openConversation("bob");
    server.reply(await server.next("history"), { with: "bob", messages: [] });
    await opened;
    await run("/topic hello");
    assert.deepEqual(notices(state, "@bob"), [
      "error: This command works in a room, not in a conversation.",
    ]);
  } finally {
    await r.stop();
  }
});

Deno.test("commands read /dnd's pause as minutes or hours, within a week", () => {
  assert.equal(pauseMinutes("30"), 30);
  assert.equal(pauseMinutes("45m"), 45);
  assert.equal(pauseMinutes("45 min"), 45);
  assert.equal(pauseMinutes("2h"), 120);
  assert.equal(pauseMinutes("OFF"), null);
  for (const arg of ["", "0", "soon", "1d", "-5", "1.5h", "10081", "169h"]) {
    assert.equal(pauseMinutes(arg), undefined, arg);
  }
  assert.equal(pauseMinutes("168h"), 7 * 24 * 60);
});
