/**
 * Slash commands typed in the composer. Each command is one entry of
 * {@linkcode COMMANDS}: adding `/msg` later means adding one entry.
 */

import * as actions from "./actions.ts";
import type { Connection, RequestError } from "./connection.ts";
import type { AppState } from "./state.ts";

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
  /** What it does, shown by /help. */
  summary: string;
  /** Runs it with the text after the command name (trimmed). */
  run(context: CommandContext, arg: string): Promise<void>;
}

/** What the composer's text means. */
export type ParsedInput =
  | { kind: "empty" }
  | { kind: "message"; text: string }
  | { kind: "command"; name: string; arg: string };

/** Every command, by name. */
export const COMMANDS: Record<string, CommandSpec> = {
  join: {
    usage: "/join <room>",
    summary: "Move to a room.",
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
    summary: "Create a room and move into it.",
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
    summary: "Go back to #general.",
    run: async (ctx) => report(ctx, await ctx.connection.leaveRoom()),
  },
  rooms: {
    usage: "/rooms",
    summary: "List the rooms and how many people are in each.",
    run: async (ctx) => {
      const result = await ctx.connection.listRooms();
      if (!result.ok) return report(ctx, result.error);
      const list = result.data.rooms.map((r) => `${r.name} (${r.users})`).join(
        ", ",
      );
      say(ctx, "info", `Rooms: ${list}`);
    },
  },
  help: {
    usage: "/help",
    summary: "Show this list.",
    run: (ctx) => {
      say(ctx, "info", helpText());
      return Promise.resolve();
    },
  },
};

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

/** Sends a message or runs a command, printing command output and errors as local lines. */
export async function runInput(
  context: CommandContext,
  input: string,
): Promise<void> {
  const parsed = parseInput(input);
  if (parsed.kind === "empty") return;
  if (parsed.kind === "message") {
    context.connection.sendMessage(parsed.text);
    return;
  }
  const command = COMMANDS[parsed.name];
  if (!command) {
    say(
      context,
      "error",
      `Unknown command /${parsed.name}. Type /help for the list.`,
    );
    return;
  }
  await command.run(context, parsed.arg);
}

/** The /help text, one command a line. */
export function helpText(): string {
  const lines = Object.values(COMMANDS).map((c) => `${c.usage} — ${c.summary}`);
  return ["Commands:", ...lines, "//text — Send a message that starts with /."]
    .join("\n");
}

async function needsRoom(
  context: CommandContext,
  usage: string,
  arg: string,
  run: (room: string) => Promise<RequestError | null>,
): Promise<void> {
  if (arg === "" || /\s/.test(arg)) {
    say(context, "error", `Usage: ${usage}`);
    return;
  }
  report(context, await run(arg));
}

function report(context: CommandContext, error: RequestError | null): void {
  if (error) say(context, "error", error.message);
}

function say(
  context: CommandContext,
  kind: "info" | "error",
  text: string,
): void {
  actions.noticeAdded(context.state, {
    room: context.state.currentRoom.value,
    kind,
    text,
  });
}
