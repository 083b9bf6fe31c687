/**
 * A Slack workspace export as the lines of our own export
 * (transfer/format.ts), for the import to take as it takes any: users are
 * accounts without a password (bots and deleted users kept, as names of
 * their messages), channels public rooms, private channels and group DMs
 * private rooms with their members, archived channels archived rooms,
 * DMs private conversations; every message in its place at its time.
 * Everything imported is read: each member's read position is the end.
 * The rows are made in memory (one per message), their lines as the
 * import reads them, which writes them in one transaction.
 */
import { conversationKey } from "../../store/mod.ts";
import { GENERAL_ROOM } from "../../protocol/types.ts";
import { cleanTopic } from "../../protocol/topics.ts";
import { nameKey } from "../../protocol/names.ts";
import { VERSION } from "../../version.ts";
import { FORMAT, FORMAT_VERSION, type Row } from "../format.ts";
import {
  convertConversation,
  count,
  type Person,
  type Place,
  type Read,
  type Rows,
  type Tally,
} from "./conversation.ts";
import { SlackExportError, type SlackFiles } from "./export_files.ts";
import { type SlackNames, slackToMarkup } from "./markup.ts";
import { NameBook } from "./names.ts";
import {
  listOf,
  type SlackChannel,
  slackChannel,
  slackDm,
  slackMessage,
  type SlackUser,
  slackUser,
} from "./slack_json.ts";

/** The converted export. */
export interface ConvertedSlack {
  /** The lines, header first and end last, each made as it is read. */
  lines(): Iterable<string>;
  /** Where a line came from in the Slack export, by its 1-based number. */
  origin(line: number): string | undefined;
  /** What became of the export, for stderr: renames, counts, skips. */
  report: string[];
}

interface RoomPlan {
  place: Place;
  folder: string;
  line: Row;
  members: string[];
  /** The channel it is made of (none: a general the export lacked). */
  channel?: SlackChannel;
}

/** Reads a Slack export and converts it; a bad one throws SlackExportError. */
export async function convertSlack(
  files: SlackFiles,
  options: { now?: number } = {},
): Promise<ConvertedSlack> {
  const report: string[] = [];
  const tally: Tally = new Map();
  const usersFile = await files.json("users.json");
  if (usersFile === undefined) {
    throw new SlackExportError(
      `users.json is not in ${files.describe}: not a Slack workspace export`,
    );
  }
  const channelsFile = await files.json("channels.json");
  if (channelsFile === undefined) {
    throw new SlackExportError(
      `channels.json is not in ${files.describe}: not a Slack workspace export`,
    );
  }
  const users = listOf(usersFile, slackUser, "users.json");
  const optional = async (name: string) => (await files.json(name)) ?? [];
  const channels = listOf(channelsFile, slackChannel, "channels.json");
  const groups = listOf(
    await optional("groups.json"),
    slackChannel,
    "groups.json",
  );
  const mpims = listOf(
    await optional("mpims.json"),
    slackChannel,
    "mpims.json",
  );
  const dms = listOf(await optional("dms.json"), slackDm, "dms.json");

  // People first: every other file names them by id.
  const accounts = new NameBook("user", { people: true });
  const people = new Map<string, Person & { role: string }>();
  for (const user of users) {
    if (people.has(user.id)) {
      throw new SlackExportError(`users.json: ${user.id} is there twice`);
    }
    const name = accounts.give(user.name || user.real_name || user.id, user.id);
    if (name !== user.name) {
      report.push(`renamed: user ${user.id} "${user.name}" is ${name}`);
    }
    const admin = user.is_primary_owner || user.is_owner || user.is_admin;
    people.set(user.id, {
      key: nameKey(name),
      name,
      bot: user.is_bot === true || user.id === "USLACKBOT",
      role: admin ? "admin" : "user",
    });
  }

  const rooms = new NameBook("room", { people: false });
  rooms.reserve(GENERAL_ROOM);
  const roomNames = new Map<string, string>();
  const plans: RoomPlan[] = [];
  const general = channels.find((channel) => channel.is_general);
  const plan = (
    channel: SlackChannel,
    kind: "channel" | "private channel" | "group DM",
    name: string,
  ) => {
    if (name !== channel.name) {
      report.push(
        `renamed: ${kind} ${channel.id} "${channel.name}" is ${name}`,
      );
    }
    roomNames.set(channel.id, name);
    const members = known(channel.members ?? [], people, tally);
    const created = (channel.created ?? 0) * 1000;
    const owner = channel.creator
      ? people.get(channel.creator)?.key
      : undefined;
    plans.push({
      folder: channel.name,
      members,
      place: {
        stream: nameKey(name),
        slackId: channel.id,
        room: name,
        readers: new Set(members),
      },
      line: {
        kind: "room",
        key: nameKey(name),
        name,
        created_at: created,
        private: kind !== "channel",
        archived: channel.is_archived === true && channel !== general,
        posting: "everyone",
        owner: owner ?? null,
      },
      channel,
    });
  };
  if (general) plan(general, "channel", GENERAL_ROOM);
  for (const channel of channels) {
    if (channel !== general) plan(channel, "channel", rooms.give(channel.name));
  }
  for (const group of groups) {
    plan(group, "private channel", rooms.give(group.name));
  }
  for (const mpim of mpims) {
    plan(mpim, "group DM", rooms.give(groupDmName(mpim, people)));
  }
  const names = {
    user: (id: string) => people.get(id)?.name,
    room: (id: string) => roomNames.get(id),
  };
  // Once every room has its name: a topic may name any.
  for (const { line, channel } of plans) {
    if (channel) line.topic = topicOf(channel, names, report);
  }

  const rows: Rows = {
    messages: [],
    origins: [],
    reactions: [],
    mentions: [],
    follows: [],
  };
  const streams: Row[] = [];
  const reads: Row[] = [];
  const everyone = [...new Set([...people.values()].map((p) => p.key))];
  if (!general) {
    plans.unshift({
      folder: "",
      members: everyone,
      place: {
        stream: GENERAL_ROOM,
        slackId: "",
        room: GENERAL_ROOM,
        readers: new Set(everyone),
      },
      line: {
        kind: "room",
        key: GENERAL_ROOM,
        name: GENERAL_ROOM,
        created_at: 0,
        private: false,
        archived: false,
        posting: "everyone",
      },
    });
  }
  // Every account is a member of general, as the server has it.
  const generalPlan = plans.find((p) => p.place.stream === GENERAL_ROOM)!;
  generalPlan.members = everyone;
  generalPlan.place.readers = new Set(everyone);
  const context = { people, names, rows, tally };
  let earliest = Infinity;
  const seen = (ms: number) => {
    if (ms > 0) earliest = Math.min(earliest, ms);
  };
  for (const room of plans) {
    seen(Number(room.line.created_at));
    const read = room.folder === "" ? [] : await readDays(files, room.folder);
    const last = convertConversation(room.place, read, context);
    streams.push({ kind: "stream", key: room.place.stream, last_seq: last });
    for (const key of room.members) {
      reads.push({
        kind: "read_position",
        user_key: key,
        stream: room.place.stream,
        last_read_seq: last,
      });
    }
  }
  const conversations = new Set<string>();
  for (const dm of dms) {
    seen((dm.created ?? 0) * 1000);
    const sides = known(dm.members, people, tally).map((key) =>
      [...people.values()].find((p) => p.key === key)!
    );
    if (sides.length === 0 || sides.length > 2) {
      count(tally, "direct messages without one or two known members");
      continue;
    }
    const stream = conversationKey(sides[0].key, sides.at(-1)!.key);
    if (conversations.has(stream)) {
      throw new SlackExportError(`dms.json: two direct messages of ${stream}`);
    }
    conversations.add(stream);
    const place: Place = {
      stream,
      slackId: dm.id,
      readers: new Set(sides.map((side) => side.key)),
      sides,
    };
    const last = convertConversation(
      place,
      await readDays(files, dm.id),
      context,
    );
    if (last === 0) continue;
    streams.push({ kind: "stream", key: stream, last_seq: last });
    for (const key of place.readers) {
      reads.push({
        kind: "read_position",
        user_key: key,
        stream,
        last_read_seq: last,
      });
    }
  }
  for (const row of rows.messages) seen(Number(row.ts));
  // Each account exists from the export's first moment: a conversation's
  // history shows only what was sent since its sides' accounts were made.
  const createdAt = earliest === Infinity
    ? (options.now ?? Date.now())
    : earliest;
  for (const row of rows.messages) row.sender = `${row.sender}${createdAt}`;
  for (const { line } of plans) {
    if (Number(line.created_at) === 0) line.created_at = createdAt;
  }

  const byKey = new Map([...people.values()].map((p) => [p.key, p]));
  const accountRows: Row[] = [...byKey.values()].map((person) => ({
    kind: "account",
    key: person.key,
    username: person.name,
    role: person.role,
    created_at: createdAt,
    bot: person.bot,
  }));
  const memberships: Row[] = plans.flatMap((room) =>
    room.members.map((key) => ({
      kind: "membership",
      user_key: key,
      room_key: room.place.stream,
      joined_at: Number(room.line.created_at),
    }))
  );
  // In the order of the export's tables (format.ts TABLES).
  const sections: Row[][] = [
    accountRows,
    plans.map((plan) => plan.line),
    streams,
    memberships,
    reads,
    rows.follows,
    rows.messages,
    rows.reactions,
    rows.mentions,
  ];
  const counts: Record<string, number> = {};
  for (const row of sections.flat()) {
    counts[String(row.kind)] = (counts[String(row.kind)] ?? 0) + 1;
  }
  // The header is line 1: the messages' lines follow the sections before.
  const firstMessage = 2 +
    sections.slice(0, sections.indexOf(rows.messages))
      .reduce((sum, section) => sum + section.length, 0);
  const header = {
    kind: "header",
    format: FORMAT,
    version: FORMAT_VERSION,
    server_version: VERSION,
    exported_at: options.now ?? Date.now(),
    secrets: false,
    files: false,
  };
  report.push(summary(users, people, plans, rows, counts, tally));
  return {
    // Made as they are read: the rows are in memory once, not twice.
    *lines() {
      yield JSON.stringify(header);
      for (const section of sections) {
        for (const row of section) yield JSON.stringify(withoutNulls(row));
      }
      yield JSON.stringify({ kind: "end", counts });
    },
    origin: (line) => rows.origins[line - firstMessage],
    report,
  };
}

/** The Slack ids that are users of the export, as keys; others counted. */
function known(
  ids: string[],
  people: Map<string, Person>,
  tally: Tally,
): string[] {
  const keys: string[] = [];
  for (const id of ids) {
    const person = people.get(id);
    if (person) keys.push(person.key);
    else count(tally, "members not in users.json");
  }
  return [...new Set(keys)];
}

// A group DM's name is Slack's `mpdm-ann--bob--carl-1`: its members'.
function groupDmName(
  channel: SlackChannel,
  people: Map<string, Person>,
): string {
  const names = (channel.members ?? []).map((id) => people.get(id)?.name)
    .filter((name) => name !== undefined);
  return names.length > 0 ? names.join("-") : channel.name;
}

/** A channel's topic (else its purpose) as a topic of ours, if one fits. */
function topicOf(
  channel: SlackChannel,
  names: SlackNames,
  report: string[],
): string | null {
  const raw = channel.topic?.value || channel.purpose?.value || "";
  if (raw === "") return null;
  const text = slackToMarkup(raw, names).replace(/\s+/g, " ");
  const topic = cleanTopic(text) ??
    cleanTopic([...text].slice(0, 249).join("") + "…");
  if (topic === null) {
    report.push(
      `topic left out: channel ${channel.id}'s is not one a room may have`,
    );
  }
  return topic || null;
}

async function readDays(files: SlackFiles, folder: string): Promise<Read[]> {
  const read: Read[] = [];
  for (const path of await files.days(folder)) {
    const file = path.slice(path.lastIndexOf(`${folder}/`));
    for (const message of listOf(await files.day(path), slackMessage, file)) {
      read.push({ message, file });
    }
  }
  return read;
}

// Optional fields are left out of a line, as the export writes them.
function withoutNulls(row: Row): Row {
  return Object.fromEntries(
    Object.entries(row).filter(([, value]) => value !== null),
  ) as Row;
}

function summary(
  users: SlackUser[],
  people: Map<string, Person>,
  plans: RoomPlan[],
  rows: Rows,
  counts: Record<string, number>,
  tally: Tally,
): string {
  const n = (value: number) => value.toLocaleString("en");
  const bots = [...people.values()].filter((p) => p.bot).length;
  const deleted = users.filter((user) => user.deleted).length;
  const privateRooms = plans.filter((p) => p.line.private).length;
  const archived = plans.filter((p) => p.line.archived).length;
  const lines = [
    `Slack export: ${n(users.length)} users as accounts (${n(bots)} bots, ` +
    `${n(deleted)} deleted), ${n(plans.length - privateRooms)} public rooms ` +
    `(${n(archived)} archived), ${n(privateRooms)} private rooms, ` +
    `${n(counts.stream - plans.length)} private conversations; ` +
    `${n(counts.message ?? 0)} room messages, ` +
    `${n(counts.private_message ?? 0)} private messages, ` +
    `${n(rows.messages.filter((row) => row.reply_to !== null).length)} ` +
    `thread replies, ${n(counts.reaction ?? 0)} reactions, ` +
    `${n(rows.messages.filter((row) => row.pinned_at).length)} pins, ` +
    `${n(counts.mention ?? 0)} mentions`,
  ];
  if (tally.size > 0) lines.push("Skipped or changed:");
  for (const [reason, value] of [...tally].sort()) {
    lines.push(`  ${reason}: ${n(value)}`);
  }
  return lines.join("\n");
}
