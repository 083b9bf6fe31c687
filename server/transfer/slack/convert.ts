/**
 * A Slack workspace export as the lines of our own export
 * (transfer/format.ts), for the import to take as it takes any: users are
 * accounts without a password (bots and deleted users kept, as names of
 * their messages), channels public rooms, private channels and group DMs
 * private rooms with their members, archived channels archived rooms,
 * DMs private conversations; every message in its place at its time.
 * Everything imported is read: each member's read position is the end.
 * A conversation's rows are made a group of days at a time (a day file,
 * unless days overlap in time), then written to temporary files, one a
 * table (spool.ts), and their lines made as the import reads them, which
 * writes them in one transaction; what a reply needs of the messages
 * before it is in a temporary SQLite file (thread_book.ts): the converter
 * holds the lists (accounts, rooms, streams, memberships) and a day's
 * messages, whatever the size of a conversation.
 */
import { conversationKey } from "../../store/mod.ts";
import { GENERAL_ROOM } from "../../protocol/types.ts";
import { cleanTopic } from "../../protocol/topics.ts";
import { nameKey } from "../../protocol/names.ts";
import { mentionKeys } from "../../mentions.ts";
import { isTimeZone, profileTitle } from "../../protocol/profiles.ts";
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
import { RowSpool } from "./spool.ts";
import { ThreadBook } from "./thread_book.ts";
import {
  compareTs,
  listOf,
  SLACK_TS,
  type SlackChannel,
  slackChannel,
  type SlackDm,
  slackDm,
  slackMessage,
  type SlackUser,
  slackUser,
} from "./slack_json.ts";

/** The converted export. */
export interface ConvertedSlack {
  /** The lines, header first and end last, each made as it is read. */
  lines(): AsyncIterable<string>;
  /** Where a line came from in the Slack export, by its 1-based number. */
  origin(line: number): Promise<string | undefined>;
  /** What became of the export, for stderr: renames, counts, skips. */
  report: string[];
  /**
   * How many names were looked at to give each account and room its own
   * (NameBook.tried), so far: a test counts the work of choosing.
   */
  namesTried(): number;
  /** Removes the temporary files of its rows. */
  close(): Promise<void>;
}

/** A room to make, and where its messages are. */
interface RoomPlan {
  place: Place;
  /** Its folder in the export ("" for none). */
  folder: string;
  line: Row;
  /** The channel it is made of (none: a general the export lacked). */
  channel?: SlackChannel;
}

/** The lists of a Slack export: who, and which conversations. */
interface Lists {
  users: SlackUser[];
  channels: SlackChannel[];
  groups: SlackChannel[];
  mpims: SlackChannel[];
  dms: SlackDm[];
}

/** An account made of a Slack user, with its role and profile card. */
type Account = Person & {
  role: string;
  title: string | null;
  timeZone: string | null;
  /** Made from a message's profile: not in users.json. */
  external?: boolean;
};

/** What a conversation's rows are added to, and what it counts. */
interface Made {
  /** One conversation's rows, moved to `spools` once it is converted. */
  rows: Rows;
  spools: Spools;
  streams: Row[];
  reads: Row[];
  tally: Tally;
  report: string[];
  /** The earliest message's time, and the replies among them. */
  earliest: number;
  replies: number;
  /** The ids of the pinned messages kept (a row's pin is dropped else). */
  pins: Set<string>;
  /** The spooled rows by kind. */
  kinds: Map<string, number>;
}

/** Every conversation's rows so far, a file a table. */
interface Spools {
  messages: RowSpool;
  origins: RowSpool<string>;
  reactions: RowSpool;
  mentions: RowSpool;
  follows: RowSpool;
  /** The conversation's thread roots and threads. */
  threads: ThreadBook;
}

/** The spooled rows' kinds, in the order the end line counts them. */
const KIND_ORDER = [
  "thread_follow",
  "message",
  "reaction",
  "mention",
  "private_message",
];

/** Reads a Slack export and converts it; a bad one throws SlackExportError. */
export async function convertSlack(
  files: SlackFiles,
  options: { now?: number } = {},
): Promise<ConvertedSlack> {
  const lists = await readLists(files);
  const dir = await Deno.makeTempDir({ prefix: "chat-import-slack-" });
  const spools: Spools = {
    messages: new RowSpool(dir, "messages"),
    origins: new RowSpool<string>(dir, "origins"),
    reactions: new RowSpool(dir, "reactions"),
    mentions: new RowSpool(dir, "mentions"),
    follows: new RowSpool(dir, "follows"),
    threads: new ThreadBook(`${dir}/threads.db`),
  };
  const close = async () => {
    for (const spool of Object.values(spools)) spool.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  try {
    return await convert(files, lists, spools, close, options);
  } catch (error) {
    await close();
    throw error;
  }
}

async function convert(
  files: SlackFiles,
  lists: Lists,
  spools: Spools,
  close: () => Promise<void>,
  options: { now?: number },
): Promise<ConvertedSlack> {
  const made: Made = {
    rows: emptyRows(),
    spools,
    streams: [],
    reads: [],
    tally: new Map(),
    report: [],
    earliest: Infinity,
    replies: 0,
    pins: new Set(),
    kinds: new Map(),
  };
  const { people, book } = readPeople(lists.users, made.report);
  const { plans, names, accountKeys, rooms } = planRooms(
    lists,
    people,
    made,
  );
  const external = (
    id: string,
    profile: { name?: string | null; real_name?: string | null } | undefined,
  ): Account | undefined => {
    const wanted = profile?.name || profile?.real_name;
    if (!wanted) return undefined;
    const name = book.give(wanted, id);
    made.report.push(
      `external: user ${id} "${wanted}" is ${name}, made from a message's ` +
        "profile (not in users.json)",
    );
    const account: Account = {
      key: nameKey(name),
      name,
      bot: false,
      role: "user",
      title: null,
      timeZone: null,
      external: true,
    };
    people.set(id, account);
    accountKeys.add(account.key);
    return account;
  };
  const context = {
    people,
    names,
    rows: made.rows,
    tally: made.tally,
    threads: spools.threads,
    pins: made.pins,
    spill: () => spill(made),
    external,
  };
  for (const room of plans) {
    const days = room.folder === "" ? [] : dayGroups(files, room.folder);
    const last = await convertConversation(room.place, days, context);
    addStream(made, room.place, last);
  }
  const byKey = new Map([...people.values()].map((p) => [p.key, p]));
  const conversations = new Set<string>();
  for (const dm of lists.dms) {
    const sides = known(dm.members, people, made.tally)
      .map((key) => byKey.get(key)!);
    if (sides.length === 0 || sides.length > 2) {
      count(made.tally, "direct messages without one or two known members");
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
    const last = await convertConversation(
      place,
      dayGroups(files, dm.id),
      context,
    );
    // A conversation is made by its first message: none, none made.
    if (last > 0) addStream(made, place, last);
  }
  const createdAt = firstMoment(lists, made.earliest, options.now);
  for (const { line } of plans) {
    if (line.created_at === 0) line.created_at = createdAt;
  }
  const accounts: Row[] = [...people.values()].map((person) => ({
    kind: "account",
    key: person.key,
    username: person.name,
    role: person.role,
    created_at: createdAt,
    bot: person.bot,
    profile_title: person.title,
    profile_timezone: person.timeZone,
  }));
  const memberships: Row[] = plans.flatMap((room) =>
    [...room.place.readers].map((key) => ({
      kind: "membership",
      user_key: key,
      room_key: room.place.stream,
      joined_at: room.line.created_at,
    }))
  );
  // In the order of the export's tables (format.ts TABLES); the spooled
  // ones' kinds counted as they were written.
  const sections: (Row[] | RowSpool)[] = [
    accounts,
    plans.map((plan) => plan.line),
    made.streams,
    memberships,
    made.reads,
    spools.follows,
    spools.messages,
    spools.reactions,
    spools.mentions,
  ];
  const counts: Record<string, number> = {};
  for (const section of sections) {
    if (!Array.isArray(section)) continue;
    for (const row of section) {
      counts[String(row.kind)] = (counts[String(row.kind)] ?? 0) + 1;
    }
  }
  // In the order of the tables, as the converter that held every row
  // counted them (follows are now spooled at a conversation's end).
  const rank = (kind: string) => KIND_ORDER.indexOf(kind);
  for (
    const [kind, n] of [...made.kinds].sort(([a], [b]) => rank(a) - rank(b))
  ) {
    counts[kind] = n;
  }
  // The header is line 1: the messages' lines follow the sections before.
  const firstMessage = 2 +
    sections.slice(0, sections.indexOf(spools.messages))
      .reduce(
        (sum, section) =>
          sum + (Array.isArray(section) ? section.length : section.count),
        0,
      );
  const header = {
    kind: "header",
    format: FORMAT,
    version: FORMAT_VERSION,
    server_version: VERSION,
    exported_at: options.now ?? Date.now(),
    secrets: false,
    files: false,
  };
  made.report.push(summary(lists.users, people, plans, made, counts));
  return {
    // Made as they are read; a message's sender takes the accounts' time,
    // known only once every message was read.
    async *lines() {
      yield JSON.stringify(header);
      for (const section of sections) {
        const messages = section === spools.messages;
        const rows = Array.isArray(section) ? section : section.rows();
        for await (const row of rows) {
          if (messages) {
            row.sender = `${row.sender}${createdAt}`;
            // A pin past its place's newest MAX_PINS (conversation.ts).
            if (row.pinned_at && !made.pins.has(String(row.id))) {
              row.pinned_at = null;
            }
          }
          yield JSON.stringify(withoutNulls(row));
        }
      }
      yield JSON.stringify({ kind: "end", counts });
    },
    origin: (line) => spools.origins.at(line - firstMessage),
    report: made.report,
    namesTried: () => book.tried + rooms.tried,
    close,
  };
}

function emptyRows(): Rows {
  return {
    messages: [],
    origins: [],
    reactions: [],
    mentions: [],
    follows: [],
  };
}

/**
 * A converted conversation's rows to their files (its pins and follows
 * are settled by now), counted by kind for the end line and the summary;
 * the next conversation starts with none in memory.
 */
function spill(made: Made): void {
  const { rows, spools } = made;
  for (const row of rows.messages) {
    made.earliest = Math.min(made.earliest, Number(row.ts));
    if (row.reply_to !== null) made.replies++;
  }
  for (
    const table of ["follows", "messages", "reactions", "mentions"] as const
  ) {
    for (const row of rows[table]) {
      spools[table].push(row);
      made.kinds.set(
        String(row.kind),
        (made.kinds.get(String(row.kind)) ?? 0) + 1,
      );
    }
  }
  for (const origin of rows.origins) spools.origins.push(origin);
  // Emptied in place: convertConversation's context holds these arrays.
  for (const table of Object.values(rows)) table.length = 0;
}

/** users.json and channels.json, and the optional lists. */
async function readLists(files: SlackFiles): Promise<Lists> {
  const needed = async (name: string) => {
    const found = await files.json(name);
    if (found === undefined) {
      throw new SlackExportError(
        `${name} is not in ${files.describe}: not a Slack workspace export`,
      );
    }
    return found;
  };
  const optional = async (name: string) => (await files.json(name)) ?? [];
  return {
    users: listOf(await needed("users.json"), slackUser, "users.json"),
    channels: listOf(
      await needed("channels.json"),
      slackChannel,
      "channels.json",
    ),
    groups: listOf(await optional("groups.json"), slackChannel, "groups.json"),
    mpims: listOf(await optional("mpims.json"), slackChannel, "mpims.json"),
    dms: listOf(await optional("dms.json"), slackDm, "dms.json"),
  };
}

/** Each Slack user's account, by Slack id: every other file names them so. */
function readPeople(
  users: SlackUser[],
  report: string[],
): { people: Map<string, Account>; book: NameBook } {
  const book = new NameBook("user", { people: true });
  const people = new Map<string, Account>();
  for (const user of users) {
    if (people.has(user.id)) {
      throw new SlackExportError(`users.json: ${user.id} is there twice`);
    }
    const name = book.give(user.name || user.real_name || user.id, user.id);
    if (name !== user.name) {
      report.push(`renamed: user ${user.id} "${user.name}" is ${name}`);
    }
    const admin = user.is_primary_owner || user.is_owner || user.is_admin;
    people.set(user.id, {
      key: nameKey(name),
      name,
      bot: user.is_bot === true || user.id === "USLACKBOT",
      role: admin ? "admin" : "user",
      ...cardOf(user, report),
    });
  }
  return { people, book };
}

/**
 * A user's profile card as set_profile keeps one: Slack's title and time
 * zone, each left out (and said) when set_profile would refuse it.
 */
function cardOf(
  user: SlackUser,
  report: string[],
): { title: string | null; timeZone: string | null } {
  const title = user.profile?.title?.normalize("NFC").trim() || null;
  const fits = title === null || profileTitle.safeParse(title).data === title;
  if (!fits) {
    report.push(
      `title left out: user ${user.id}'s is not one a profile may have`,
    );
  }
  const zone = user.tz || null;
  return {
    title: fits ? title : null,
    timeZone: zone !== null && isTimeZone(zone) ? zone : null,
  };
}

/**
 * The rooms: the workspace's general channel as `general` (made empty when
 * the export has none), every account its member as the server has it;
 * the other channels public rooms, private channels and group DMs private
 * ones. Each named under our rules; the topics once every name is known.
 */
function planRooms(
  lists: Lists,
  people: Map<string, Account>,
  made: Made,
): {
  plans: RoomPlan[];
  names: SlackNames;
  accountKeys: Set<string>;
  rooms: NameBook;
} {
  const book = new NameBook("room", { people: false });
  book.reserve(GENERAL_ROOM);
  const roomNames = new Map<string, string>();
  const everyone = [...people.values()].map((p) => p.key);
  const accounts = new Set(everyone);
  const names: SlackNames = {
    user: (id) => people.get(id)?.name,
    room: (id) => roomNames.get(id),
    mentions: (text) => mentionKeys(text, "").some((key) => accounts.has(key)),
  };
  // An export of before `is_general` names it only.
  const general = lists.channels.find((channel) => channel.is_general) ??
    lists.channels.find((channel) => channel.name === GENERAL_ROOM);
  const plans: RoomPlan[] = [];
  const plan = (
    channel: SlackChannel | undefined,
    kind: "channel" | "private channel" | "group DM",
    name: string,
  ) => {
    if (channel && name !== channel.name) {
      made.report.push(
        `renamed: ${kind} ${channel.id} "${channel.name}" is ${name}`,
      );
    }
    if (channel) roomNames.set(channel.id, name);
    const members = name === GENERAL_ROOM
      ? everyone
      : known(channel?.members ?? [], people, made.tally);
    const owner = channel?.creator && people.get(channel.creator)?.key;
    plans.push({
      folder: channel?.name ?? "",
      place: {
        stream: nameKey(name),
        slackId: channel?.id ?? "",
        room: name,
        readers: new Set(members),
      },
      line: {
        kind: "room",
        key: nameKey(name),
        name,
        // No time: the export's first moment (convertSlack).
        created_at: (channel?.created ?? 0) * 1000,
        private: kind !== "channel",
        // The server's rule: general always takes messages.
        archived: channel?.is_archived === true && name !== GENERAL_ROOM,
        posting: "everyone",
        owner: owner || null,
      },
      channel,
    });
  };
  plan(general, "channel", GENERAL_ROOM);
  for (const channel of lists.channels) {
    if (channel !== general) plan(channel, "channel", book.give(channel.name));
  }
  for (const group of lists.groups) {
    plan(group, "private channel", book.give(group.name));
  }
  for (const mpim of lists.mpims) {
    plan(mpim, "group DM", book.give(groupDmName(mpim, people)));
  }
  for (const { line, channel } of plans) {
    if (channel) line.topic = topicOf(channel, names, made.report);
  }
  return { plans, names, accountKeys: accounts, rooms: book };
}

/** A conversation's stream, and its readers' read positions at its end. */
function addStream(made: Made, place: Place, last: number): void {
  made.streams.push({ kind: "stream", key: place.stream, last_seq: last });
  for (const key of place.readers) {
    made.reads.push({
      kind: "read_position",
      user_key: key,
      stream: place.stream,
      last_read_seq: last,
    });
  }
}

/**
 * When every account was made: the export's first moment (its first
 * conversation or message), as a conversation's history shows only what
 * was sent since its sides' accounts were made.
 */
function firstMoment(lists: Lists, messages: number, now?: number): number {
  let earliest = Infinity;
  for (
    const { created } of [
      ...lists.channels,
      ...lists.groups,
      ...lists.mpims,
      ...lists.dms,
    ]
  ) {
    if (created) earliest = Math.min(earliest, created * 1000);
  }
  earliest = Math.min(earliest, messages);
  return earliest === Infinity ? (now ?? Date.now()) : earliest;
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

/**
 * A conversation's messages, a group of day files at a time: each day
 * file on its own, unless days overlap in time (a message of one older
 * than the last of an earlier one), when those that overlap come as one
 * group, so that each group's messages sorted come in the order the whole
 * conversation's sorted would, ties in the order of the export. The
 * files are read twice (first for their times only), about a tenth of a
 * second a 100,000 messages more, so that a day's messages alone are
 * held, not the conversation's.
 */
async function* dayGroups(
  files: SlackFiles,
  folder: string,
): AsyncGenerator<Read[]> {
  const paths = await files.days(folder);
  const spans: { at: number; first?: string; last?: string }[] = [];
  for (const [at, path] of paths.entries()) {
    const span: { at: number; first?: string; last?: string } = { at };
    const list = await files.day(path);
    // A ts the shape refuses is left to listOf's error, when it is read.
    for (const entry of Array.isArray(list) ? list : []) {
      const ts = (entry as { ts?: unknown } | null)?.ts;
      if (typeof ts !== "string" || !SLACK_TS.test(ts)) continue;
      if (span.first === undefined || compareTs(ts, span.first) < 0) {
        span.first = ts;
      }
      if (span.last === undefined || compareTs(ts, span.last) > 0) {
        span.last = ts;
      }
    }
    spans.push(span);
  }
  const byTime = spans.toSorted((a, b) =>
    a.first === undefined
      ? -1
      : b.first === undefined
      ? 1
      : compareTs(a.first, b.first)
  );
  let group: number[] = [];
  let last: string | undefined;
  const read = async (group: number[]) => {
    const messages: Read[] = [];
    for (const at of group.toSorted((a, b) => a - b)) {
      const path = paths[at];
      const file = path.slice(path.lastIndexOf(`${folder}/`));
      for (const message of listOf(await files.day(path), slackMessage, file)) {
        messages.push({ message, file });
      }
    }
    return messages;
  };
  for (const span of byTime) {
    // Sharing a ts with the group's last is overlapping too: a tie keeps
    // the export's order only within a group.
    const overlaps = span.first === undefined || last === undefined ||
      compareTs(span.first, last) <= 0;
    if (!overlaps && group.length > 0) {
      yield await read(group);
      group = [];
    }
    group.push(span.at);
    if (
      span.last !== undefined &&
      (last === undefined || compareTs(span.last, last) > 0)
    ) {
      last = span.last;
    }
  }
  if (group.length > 0) yield await read(group);
}

// Optional fields are left out of a line, as the export writes them.
function withoutNulls(row: Row): Row {
  return Object.fromEntries(
    Object.entries(row).filter(([, value]) => value !== null),
  ) as Row;
}

/** What became of the export, in a few lines. */
function summary(
  users: SlackUser[],
  people: Map<string, Account>,
  plans: RoomPlan[],
  { replies, pins: kept, tally }: Made,
  counts: Record<string, number>,
): string {
  const n = (value: number) => value.toLocaleString("en");
  const pins = kept.size;
  const bots = [...people.values()].filter((p) => p.bot).length;
  const external = [...people.values()].filter((p) => p.external).length;
  const deleted = users.filter((user) => user.deleted).length;
  const privateRooms = plans.filter((p) => p.line.private).length;
  const archived = plans.filter((p) => p.line.archived).length;
  const lines = [
    `Slack export: ${n(users.length + external)} users as accounts ` +
    `(${n(bots)} bots, ${n(deleted)} deleted` +
    (external > 0 ? `, ${n(external)} external` : "") +
    `), ${n(plans.length - privateRooms)} public rooms ` +
    `(${n(archived)} archived), ${n(privateRooms)} private rooms, ` +
    `${n(counts.stream - plans.length)} private conversations; ` +
    `${n(counts.message ?? 0)} room messages, ` +
    `${n(counts.private_message ?? 0)} private messages, ` +
    `${n(replies)} thread replies, ${n(counts.reaction ?? 0)} reactions, ` +
    `${n(pins)} pins, ` +
    `${n(counts.mention ?? 0)} mentions`,
  ];
  if (tally.size > 0) lines.push("Skipped or changed:");
  for (const [reason, value] of [...tally].sort()) {
    lines.push(`  ${reason}: ${n(value)}`);
  }
  return lines.join("\n");
}
