/**
 * Slash commands typed in the composer. Each command is one entry of
 * {@linkcode COMMANDS}; moderation commands also back the member menu.
 */

import {
  type Attachment,
  GENERAL_ROOM,
  type Role,
} from "../server/protocol/types.ts";
import { RANK } from "../server/protocol/ranks.ts";
import { nameKey } from "../server/protocol/names.ts";
import * as actions from "./actions.ts";
import * as teamActions from "./team/actions.ts";
import type { Connection, RequestError, Result } from "./connection/mod.ts";
import { errorWords } from "./connection/errors.ts";
import type { Words } from "./room_log.ts";
import { type MessageKey, roleName, t } from "./i18n.ts";
import { type AppState, entry, roomKey, roomTitle } from "./state.ts";
import { pauseEnd } from "./do_not_disturb.ts";

/** What a command may use: the state to print into and the connection to act through. */
export interface CommandContext {
  /** The client state. */
  state: AppState;
  /** The connection to the server. */
  connection: Connection;
}

/** One slash command. */
export interface CommandSpec {
  /** How to call it, shown by /help. */
  usage: string;
  /** What it does, shown by /help (a key of client/i18n.ts). */
  summary: MessageKey;
  /** The least role that may use it; /help hides it from others. Default: user. */
  role?: Role;
  /** Runs it with the text after the command name (trimmed); what it resolves to is not used. */
  run(context: CommandContext, arg: string): Promise<unknown>;
}

/** What the composer's text means. */
export type ParsedInput =
  | { kind: "empty" }
  | { kind: "message"; text: string }
  | { kind: "command"; name: string; arg: string };

/** A moderation step, as the member menu and the commands ask for it. */
export type Moderation =
  | { action: "kick"; user: string; reason?: string }
  | { action: "ban"; user: string; room?: string; reason?: string }
  | { action: "unban"; user: string; room?: string }
  | { action: "delete_room"; room: string }
  | { action: "set_role"; user: string; role: Role };

const ROLES: Role[] = ["admin", "moderator", "user"];

/** Every command, by name. */
export const COMMANDS: Record<string, CommandSpec> = {
  join: {
    usage: "/join <room>",
    summary: "cmd.join",
    run: (ctx, arg) =>
      needsRoom(
        ctx,
        "/join <room>",
        arg,
        (room) => ctx.connection.joinRoom(room),
      ),
  },
  create: {
    usage: "/create <room>",
    summary: "cmd.create",
    run: (ctx, arg) =>
      needsRoom(
        ctx,
        "/create <room>",
        arg,
        (room) => ctx.connection.createRoom(room),
      ),
  },
  leave: {
    usage: "/leave",
    summary: "cmd.leave",
    run: async (ctx) => report(ctx, await ctx.connection.leaveRoom()),
  },
  rooms: {
    usage: "/rooms",
    summary: "cmd.rooms",
    run: async (ctx) => {
      const result = await ctx.connection.listRooms();
      if (!result.ok) return report(ctx, result.error);
      const list = result.data.rooms.map((r) => `${r.name} (${r.users})`).join(
        ", ",
      );
      say(ctx, "info", () => t("cmd.roomList", { list }));
    },
  },
  search: {
    usage: "/search <words>",
    summary: "cmd.search",
    run: (ctx, arg) => {
      teamActions.searchToggled(ctx.state, true, arg);
      return Promise.resolve();
    },
  },
  msg: {
    usage: "/msg <user> <text>",
    summary: "cmd.msg",
    run: (ctx, arg) => {
      const match = /^@?(\S+)\s+([\s\S]+)$/.exec(arg);
      if (!match) {
        say(
          ctx,
          "error",
          () => t("cmd.usage", { usage: said("/msg <user> <text>") }),
        );
        return Promise.resolve();
      }
      const [, user, text] = match;
      return sendFirst(ctx, user, text.trim(), `/msg ${arg}`);
    },
  },
  topic: {
    usage: "/topic <text>",
    summary: "cmd.topic",
    run: (ctx, arg) =>
      inRoom(ctx, "/topic <text>", arg, (room) =>
        // The room's notice says it, as when the topic dialog sets it.
        ctx.connection.setTopic(room, arg)),
  },
  poll: {
    usage: '/poll "Question" "A" "B"',
    summary: "cmd.poll",
    run: (ctx, arg) => {
      const parts = pollParts(arg);
      return inRoom(
        ctx,
        '/poll "Question" "A" "B"',
        parts.length >= 3 ? arg : "",
        (room) =>
          ctx.connection.createPoll(room, {
            question: parts[0],
            options: parts.slice(1),
            multiple: false,
          }),
      );
    },
  },
  invite: {
    usage: "/invite <user>",
    summary: "cmd.invite",
    run: (ctx, arg) => {
      const user = arg.replace(/^@/, "");
      return inRoom(
        ctx,
        "/invite <user>",
        /\s/.test(user) ? "" : user,
        async (room) => {
          const error = await ctx.connection.invite(room, user);
          if (!error) {
            say(
              ctx,
              "info",
              () =>
                t("invite.added", { user, room: roomTitle(ctx.state, room) }),
            );
          }
          return error;
        },
      );
    },
  },
  status: {
    usage: "/status [text]",
    summary: "cmd.status",
    run: async (ctx, arg) => {
      const error = await ctx.connection.setStatus({ text: arg });
      if (error) return report(ctx, error);
      say(
        ctx,
        "info",
        () =>
          arg === ""
            ? t("cmd.statusCleared")
            : t("status.mine", { status: arg }),
      );
    },
  },
  dnd: {
    usage: "/dnd <minutes|off>",
    summary: "cmd.dnd",
    run: async (ctx, arg) => {
      const minutes = pauseMinutes(arg);
      if (minutes === undefined) return usage(ctx, "/dnd <minutes|off>");
      const until = minutes === null ? null : Date.now() + minutes * 60_000;
      const error = await ctx.connection.setDoNotDisturb(until);
      if (error) return report(ctx, error);
      say(
        ctx,
        "info",
        () =>
          until === null
            ? t("cmd.dndOff")
            : t("me.pausedUntil", { time: pauseEnd(until, Date.now()) }),
      );
    },
  },
  shrug: {
    usage: "/shrug [text]",
    summary: "cmd.shrug",
    run: (ctx, arg) => {
      const text = arg === "" ? SHRUG : `${arg} ${SHRUG}`;
      const shown = ctx.state.view.value;
      if (shown.kind === "dm") ctx.connection.sendPrivate(shown.with, text);
      else ctx.connection.sendMessage(text);
      return Promise.resolve();
    },
  },
  kick: {
    usage: "/kick <user> [reason]",
    summary: "cmd.kick",
    role: "moderator",
    run: (ctx, arg) => {
      const [user, ...rest] = words(arg);
      if (!user) return usage(ctx, "/kick <user> [reason]");
      return moderate(ctx, { action: "kick", user, reason: joined(rest) });
    },
  },
  ban: {
    usage: "/ban <user> [#room] [reason]",
    summary: "cmd.ban",
    role: "moderator",
    run: (ctx, arg) => {
      const [user, ...rest] = words(arg);
      if (!user) return usage(ctx, "/ban <user> [#room] [reason]");
      const room = rest[0]?.startsWith("#") ? rest.shift()!.slice(1) : "";
      return moderate(ctx, {
        action: "ban",
        user,
        room: room || undefined,
        reason: joined(rest),
      });
    },
  },
  unban: {
    usage: "/unban <user> [#room]",
    summary: "cmd.unban",
    role: "moderator",
    run: (ctx, arg) => {
      const [user, room, extra] = words(arg);
      if (!user || extra !== undefined || (room && !room.startsWith("#"))) {
        return usage(ctx, "/unban <user> [#room]");
      }
      return moderate(ctx, {
        action: "unban",
        user,
        room: room ? room.slice(1) : undefined,
      });
    },
  },
  delete: {
    usage: "/delete [room]",
    summary: "cmd.delete",
    role: "moderator",
    run: (ctx, arg) => {
      const [room, extra] = words(arg);
      if (extra !== undefined) return usage(ctx, "/delete [room]");
      return moderate(ctx, {
        action: "delete_room",
        room: (room ?? ctx.state.currentRoom.value).replace(/^#/, ""),
      });
    },
  },
  role: {
    usage: "/role <user> <admin|moderator|user>",
    summary: "cmd.role",
    role: "admin",
    run: (ctx, arg) => {
      const [user, role, extra] = words(arg);
      const wanted = ROLES.find((r) => r === role?.toLowerCase());
      if (!user || !wanted || extra !== undefined) {
        return usage(ctx, "/role <user> <admin|moderator|user>");
      }
      return moderate(ctx, { action: "set_role", user, role: wanted });
    },
  },
  help: {
    usage: "/help",
    summary: "cmd.help",
    run: (ctx) => {
      const role = ctx.state.role.value ?? "user";
      say(ctx, "info", () => helpText(role));
      return Promise.resolve();
    },
  },
};

/**
 * /msg: opens the conversation and sends. A name nobody has (the server
 * answers `user_not_found`) must not leave a conversation with nobody in
 * the sidebar: a conversation this started goes away again, the user is
 * back where they typed with `input` in the composer, and a line there
 * says why. A conversation the sidebar had keeps its failed message.
 */
async function sendFirst(
  ctx: CommandContext,
  user: string,
  text: string,
  input: string,
): Promise<void> {
  const { state, connection } = ctx;
  const back = state.view.value;
  const started = !entry(state.conversations.value, roomKey(user));
  const opened = connection.openConversation(user);
  const error = await connection.sendPrivate(user, text);
  await opened;
  if (error?.code !== "user_not_found" || !started) return;
  actions.conversationRefused(state, { name: user, back, input });
  say(ctx, "error", () => t("cmd.msg.nobody", { user }));
}

/** What /shrug adds: its backslash is text (only stars are markup here). */
const SHRUG = "¯\\_(ツ)_/¯";

/** The longest pause /dnd takes, in minutes: a week, as the menu's own choices stay within. */
const MAX_PAUSE_MINUTES = 7 * 24 * 60;

/**
 * /dnd's argument: minutes (`30`, `30m`, `2h`), null for `off`, undefined
 * when it is neither (or zero, or more than a week).
 */
export function pauseMinutes(arg: string): number | null | undefined {
  const text = arg.trim().toLowerCase();
  if (text === "off") return null;
  const match = /^(\d{1,6})\s*(m|min|h)?$/.exec(text);
  if (!match) return undefined;
  const minutes = Number(match[1]) * (match[2] === "h" ? 60 : 1);
  return minutes >= 1 && minutes <= MAX_PAUSE_MINUTES ? minutes : undefined;
}

/**
 * Runs `act` on the room on screen with a non-empty `arg`; in a
 * conversation, or without `arg`, says how the command is used.
 */
/**
 * The question and options of `/poll`: each in straight or curly double
 * quotes (a word without them stands alone), empty ones left out.
 */
export function pollParts(arg: string): string[] {
  return [...arg.matchAll(/"([^"]*)"|“([^”]*)”|(\S+)/g)]
    .map((m) => (m[1] ?? m[2] ?? m[3]).trim())
    .filter((part) => part !== "");
}

async function inRoom(
  context: CommandContext,
  usage: string,
  arg: string,
  act: (room: string) => Promise<RequestError | null>,
): Promise<void> {
  if (arg === "") {
    say(context, "error", () => t("cmd.usage", { usage: said(usage) }));
    return;
  }
  if (context.state.view.value.kind === "dm") {
    say(context, "error", () => t("cmd.roomOnly"));
    return;
  }
  report(context, await act(context.state.currentRoom.value));
}

/** Reads composer text: a message, a command, or nothing. "//x" sends "/x" as a message. */
export function parseInput(input: string): ParsedInput {
  const text = input.trim();
  if (text === "") return { kind: "empty" };
  if (text.startsWith("//")) return { kind: "message", text: text.slice(1) };
  if (!text.startsWith("/")) return { kind: "message", text };
  const match = /^\/(\S+)\s*([\s\S]*)$/.exec(text);
  return {
    kind: "command",
    name: (match?.[1] ?? "").toLowerCase(),
    arg: (match?.[2] ?? "").trim(),
  };
}

/**
 * Sends a message (to the room, or to the open conversation) with its
 * files, or runs a command, printing command output and errors as local
 * lines. A command leaves the files alone.
 */
export async function runInput(
  context: CommandContext,
  input: string,
  attachments: Attachment[] = [],
): Promise<void> {
  const parsed = parseInput(input);
  if (parsed.kind === "empty" && attachments.length === 0) return;
  if (parsed.kind !== "command") {
    const text = parsed.kind === "message" ? parsed.text : "";
    const shown = context.state.view.value;
    if (shown.kind === "dm") {
      context.connection.sendPrivate(shown.with, text, attachments);
    } else {
      context.connection.sendMessage(text, attachments);
    }
    return;
  }
  const command = Object.hasOwn(COMMANDS, parsed.name)
    ? COMMANDS[parsed.name]
    : undefined;
  if (!command) {
    say(
      context,
      "error",
      () => t("cmd.unknown", { name: parsed.name }),
    );
    return;
  }
  await command.run(context, parsed.arg);
}

/** The /help text for a role: only the commands it may use, one a line. */
export function helpText(role: Role): string {
  const lines = Object.values(COMMANDS)
    .filter((c) => RANK[role] >= RANK[c.role ?? "user"])
    .map((c) => `${said(c.usage)} — ${t(c.summary)}`);
  // The keys too: those coming from Slack try them, the others learn them here.
  const keys = [
    t("cmd.keys"),
    t("cmd.keyRooms"),
    t("cmd.keyUnread"),
    t("cmd.keyEdit"),
    t("cmd.keyMention"),
    t("cmd.keyJump"),
    t("cmd.keyComplete"),
    t("cmd.keySearch"),
    t("cmd.keyMarkUnread"),
    t("cmd.keyReadAll"),
  ];
  return [t("cmd.list"), ...lines, t("cmd.slash"), ...keys].join("\n");
}

/** Whether a role may kick, ban and delete rooms. */
export function canModerate(role: Role | null): boolean {
  return role !== null && RANK[role] >= RANK.moderator;
}

/**
 * Runs a moderation step and prints the outcome as a local line: what
 * happened, or the server's refusal. Resolves to the error, or null.
 */
export async function moderate(
  context: CommandContext,
  step: Moderation,
): Promise<RequestError | null> {
  const { connection } = context;
  // Named as the room was before the step (a deleted room is no longer
  // known to be private).
  const named = (room: string) => roomTitle(context.state, room);
  const title = "room" in step && step.room ? named(step.room) : undefined;
  let result: Result<unknown>;
  switch (step.action) {
    case "kick":
      result = await connection.request("kick", clean(step));
      break;
    case "ban":
      result = await connection.request("ban", clean(step));
      break;
    case "unban":
      result = await connection.request("unban", clean(step));
      break;
    case "delete_room":
      result = await connection.request("delete_room", clean(step));
      break;
    case "set_role":
      result = await connection.request("set_role", clean(step));
      break;
  }
  if (!result.ok) {
    say(context, "error", errorWords(result.error));
    return result.error;
  }
  if (noticeComes(context.state, step, result.data)) return null;
  // Deleting the room one is in: the server moves this user to general,
  // where the sentence is to be read.
  const movedOut = step.action === "delete_room" &&
    roomKey(step.room) === roomKey(context.state.currentRoom.value);
  say(
    context,
    "info",
    () => done(step, result.data, title),
    movedOut ? GENERAL_ROOM : undefined,
  );
  return null;
}

/**
 * Whether the room on screen will hear this kick or ban from the server
 * ("dave was kicked by alice: …"), so that the moderator's own line would
 * say it twice. The server (server/control_events.ts) tells a kick or a
 * server-wide ban to each room the user's connections were looking at,
 * and a room ban to that room only if the user was looking at it: none
 * for a user offline (an account's ban) or elsewhere. The reply comes
 * before the notice, and the member list is who is looking at the room
 * on screen. A room the moderator is a member of but not looking at may
 * hear it too: its line is read there, and this one here.
 */
function noticeComes(
  state: AppState,
  step: Moderation,
  reply: unknown,
): boolean {
  if (step.action !== "kick" && step.action !== "ban") return false;
  if (state.view.value.kind !== "room") return false;
  const data = (reply ?? {}) as { user?: string; room?: string };
  const room = step.action === "ban" ? data.room ?? step.room : undefined;
  if (
    room !== undefined && roomKey(room) !== roomKey(state.currentRoom.value)
  ) {
    return false;
  }
  const user = nameKey(data.user ?? step.user);
  return state.members.value.some((name) => nameKey(name) === user);
}

/** The sentence for a moderation step that succeeded, in the server's spelling of names. */
function done(
  step: Moderation,
  reply: unknown,
  title: string | undefined,
): string {
  const data = (reply ?? {}) as { user?: string; room?: string };
  const user = data.user ?? ("user" in step ? step.user : "");
  // The server's spelling of the room, marked as `title` marks it.
  const room = data.room === undefined || title === undefined
    ? title
    : title.startsWith("#")
    ? `#${data.room}`
    : data.room;
  const because = "reason" in step && step.reason ? `: ${step.reason}` : "";
  switch (step.action) {
    case "kick":
      return t("cmd.kicked", { user, because });
    case "ban":
      return room
        ? t("cmd.bannedRoom", { user, room, because })
        : t("cmd.banned", { user, because });
    case "unban":
      return room
        ? t("cmd.unbannedRoom", { user, room })
        : t("cmd.unbanned", { user });
    case "delete_room":
      return t("cmd.deleted", { room: room ?? "" });
    case "set_role":
      return t("cmd.role.set", { user, role: roleName(step.role) });
  }
}

/** The request data of a step: no `action`, no empty optional fields. */
function clean(step: Moderation): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(step)) {
    if (key !== "action" && value !== undefined && value !== "") {
      data[key] = value;
    }
  }
  return data;
}

function words(arg: string): string[] {
  return arg.split(/\s+/).filter((w) => w !== "");
}

function joined(rest: string[]): string | undefined {
  return rest.length > 0 ? rest.join(" ") : undefined;
}

/** The placeholders a usage line names, and how each is said. */
const ARGS = {
  room: "cmd.arg.room",
  user: "cmd.arg.user",
  text: "cmd.arg.text",
  words: "cmd.arg.words",
  reason: "cmd.arg.reason",
} as const;

/**
 * A usage line in the interface's language: `<room>`, `[#room]`,
 * `[reason]`... are words to replace, the rest (the command, a role's
 * name in `<admin|moderator|user>`) is typed as is.
 */
function said(usage: string): string {
  return usage.replace(
    /([<[]#?)(room|user|text|words|reason)([\]>])/g,
    (_, open: string, arg: keyof typeof ARGS, close: string) =>
      `${open}${t(ARGS[arg])}${close}`,
  );
}

function usage(context: CommandContext, text: string): Promise<void> {
  say(context, "error", () => t("cmd.usage", { usage: said(text) }));
  return Promise.resolve();
}

async function needsRoom(
  context: CommandContext,
  usage: string,
  arg: string,
  run: (room: string) => Promise<RequestError | null>,
): Promise<void> {
  if (arg === "" || /\s/.test(arg)) {
    say(context, "error", () => t("cmd.usage", { usage: said(usage) }));
    return;
  }
  report(context, await run(arg));
}

function report(context: CommandContext, error: RequestError | null): void {
  if (error) say(context, "error", errorWords(error));
}

function say(
  context: CommandContext,
  kind: "info" | "error",
  text: Words,
  room = context.state.viewKey.value,
): void {
  actions.noticeAdded(context.state, {
    room,
    kind,
    text,
  });
}
