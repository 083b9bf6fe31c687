/**
 * The import: an export's lines back into an empty store, in one
 * transaction, ids and seqs as they were. Every line is checked before it
 * is written; the first bad one (broken JSON, an unknown kind, a missing
 * field, a duplicate id, a line out of order, a missing end) stops the
 * import with its line number, and the transaction is rolled back.
 */
import { join } from "node:path";
import { type FileContents, PLACED_LIST } from "../file_contents/mod.ts";
import { reservedName } from "../accounts/reserved_names.ts";
import { MAX_KEPT_EDITS } from "../protocol/limits.ts";
import { nameKey } from "../protocol/names.ts";
import { mailboxKey } from "../protocol/mailbox_key.ts";
import { nameSkeleton } from "../protocol/skeleton.ts";
import { GENERAL_ROOM } from "../protocol/types.ts";
import { DELETED_OWNER } from "../store/mod.ts";
import {
  cleanLabels,
  endLine,
  FORMAT,
  FORMAT_VERSION,
  type Header,
  headerLine,
  type LineKind,
  lineKinds,
  REREADS,
  type Row,
  TABLES,
  type TableSpec,
} from "./format.ts";
import { FileChecks, FileRefusal } from "./file_checks.ts";
import { GroupCapCheck } from "./group_caps.ts";
import {
  type ImportTarget,
  RowError,
  type SettledEdits,
  type TableWriter,
} from "./mod.ts";
import { Progress } from "./progress.ts";

/** A line longer than this is refused (a message is at most 64 KiB). */
export const MAX_LINE_BYTES = 8 * 1024 * 1024;
const BATCH = 500;

/** Why an import stopped; `line` is 1-based (0: not about one line). */
export class ImportError extends Error {
  readonly line: number;

  constructor(line: number, message: string) {
    super(line > 0 ? `line ${line}: ${message}` : message);
    this.line = line;
    this.name = "ImportError";
  }
}

/** How an import reads. */
export interface ImportOptions {
  /**
   * The folder an export with `--include-files` wrote the bytes into;
   * needed when the header says it holds files.
   */
  filesDir?: string;
  /** Where the bytes go (the target's files). */
  contents?: FileContents;
  /** Receives a progress line now and then (stderr). */
  progress?: (line: string) => void;
}

/** Splits a byte stream into lines; refuses one longer than MAX_LINE_BYTES. */
export async function* linesOf(
  input: ReadableStream<Uint8Array>,
): AsyncGenerator<string> {
  let pending = "";
  let number = 0;
  const decoder = new TextDecoder("utf-8", { fatal: true });
  for await (const bytes of input) {
    try {
      pending += decoder.decode(bytes, { stream: true });
    } catch {
      throw new ImportError(number + 1, "not UTF-8 text");
    }
    let start = 0;
    let end: number;
    while ((end = pending.indexOf("\n", start)) !== -1) {
      number++;
      yield pending.slice(start, end).replace(/\r$/, "");
      start = end + 1;
    }
    pending = pending.slice(start);
    if (pending.length > MAX_LINE_BYTES) {
      throw new ImportError(number + 1, "the line is too long");
    }
  }
  if (pending !== "") yield pending;
}

/** Imports lines into an empty store; returns the count of each kind. */
export async function importStore(
  lines: AsyncIterable<string>,
  target: ImportTarget,
  options: ImportOptions = {},
): Promise<Record<string, number>> {
  const placed = new Set<string>();
  const list = options.contents ? new PlacedList(options.contents) : undefined;
  try {
    let counts: Record<string, number> = {};
    await target.transaction(async (writer) => {
      const busy = await writer.inUse();
      if (busy) {
        throw new ImportError(
          0,
          `${target.describe} is not empty (${busy}): import into a new database`,
        );
      }
      await writer.clear();
      counts = await readLines(lines, writer, options, placed, list);
      const problem = await writer.check();
      if (problem) throw new ImportError(0, `inconsistent export: ${problem}`);
    });
    await list?.remove();
    return counts;
  } catch (error) {
    // The bytes placed for files the rolled-back rows named.
    for (const hash of placed) await options.contents?.delete(hash);
    await list?.remove();
    throw error;
  }
}

/**
 * The hashes an import placed, one a line, in the staging folder
 * (`import-<random>.placed`), each written before its bytes are put and the
 * list removed once the import committed or took its bytes back. An import
 * killed in between leaves the list, and a server's start (files.ts) has
 * the bytes no upload refers to deleted: no walk of every file kept.
 */
class PlacedList {
  readonly path: string;
  #made = false;

  constructor(contents: FileContents) {
    this.path = join(
      contents.stagingDir,
      `import-${crypto.randomUUID()}${PLACED_LIST}`,
    );
  }

  async add(hash: string): Promise<void> {
    this.#made = true;
    await Deno.writeTextFile(this.path, `${hash}\n`, { append: true });
  }

  async remove(): Promise<void> {
    if (this.#made) await Deno.remove(this.path).catch(() => {});
  }
}

/** How many of the label fields cleaned the import's warning names. */
const CLEANED_NAMED = 20;

/** A batch of rows of one table with the line numbers they came from. */
interface Batch {
  spec: TableSpec;
  rows: Row[];
  lines: number[];
  kinds: string[];
}

async function readLines(
  lines: AsyncIterable<string>,
  writer: TableWriter,
  options: ImportOptions,
  placed: Set<string>,
  list: PlacedList | undefined,
): Promise<Record<string, number>> {
  const progress = new Progress("Imported", options.progress);
  const counts: Record<string, number> = {};
  let header: Header | undefined;
  let kinds = new Map<string, LineKind>();
  let batch: Batch | undefined;
  let tableIndex = -1;
  let ended = false;
  let number = 0;
  // The accounts read so far (they come before every line that names
  // one): one short string each.
  const accounts = new Set<string>();
  const groups = new Set<string>();
  const groupCaps = new GroupCapCheck();
  // Each room line's name by its key, for its messages' `room`.
  const rooms = new Map<string, string>();
  const checks = new FileChecks();
  let summariesCorrected = 0;
  // The label fields cleaned (cleanLabels): the first few named.
  const cleaned: string[] = [];
  let cleanedCount = 0;
  // The first edit line's number: a file's edit lines are one run.
  let editsFrom = 0;
  // Once the edit lines are in: one whose message was never edited (no
  // edit leaves one) stops the import at its line.
  const judgeEdits = async () => {
    if (batch?.spec.table !== "message_edits") return;
    const stray = await writer.strayEdit();
    if (stray) {
      throw new ImportError(
        editsFrom + stray.index,
        `bad message_edit: message ${stray.messageId} was never edited ` +
          "(it has no edited_at)",
      );
    }
  };
  let edits: SettledEdits = { dropped: 0, retimed: 0 };
  const flush = async () => {
    if (!batch || batch.rows.length === 0) return;
    try {
      await writer.insert(batch.spec, batch.rows);
    } catch (error) {
      if (!(error instanceof RowError)) throw error;
      throw new ImportError(
        batch.lines[error.index],
        `the store refused this ${batch.kinds[error.index]}: ${error.message}`,
      );
    }
    progress.advance(batch.rows.length);
    batch = { ...batch, rows: [], lines: [], kinds: [] };
  };

  for await (const text of lines) {
    number++;
    if (ended) {
      if (text.trim() === "") continue;
      throw new ImportError(number, "a line after the end line");
    }
    if (text.trim() === "") {
      throw new ImportError(number, "an empty line");
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new ImportError(
        number,
        `not JSON (${(error as Error).message})`,
      );
    }
    const kind = typeof value === "object" && value !== null
      ? (value as { kind?: unknown }).kind
      : undefined;
    if (typeof kind !== "string") {
      throw new ImportError(number, 'not an object with a "kind"');
    }
    if (!header) {
      header = readHeader(value, number, options);
      kinds = lineKinds(header.secrets);
      continue;
    }
    if (kind === "end") {
      await flush();
      await judgeEdits();
      checkEnd(value, counts, number);
      // A message line's summary of its reactions is what readers are
      // served, its reaction lines what a reaction changes: summed up from
      // the lines, as the store sums them, whatever the summary said (the
      // export writes both from one snapshot: an honest dump's agree).
      summariesCorrected = await writer.sumReactions();
      edits = await writer.settleEdits();
      // After every file line: read by the server at its start.
      if (checks.unread.length > 0) {
        await writer.insert(REREADS, checks.unread.map((id) => ({ id })));
      }
      ended = true;
      continue;
    }
    const found = kinds.get(kind);
    if (!found) {
      const secret = lineKinds(true).has(kind) && !header.secrets;
      throw new ImportError(
        number,
        secret
          ? `a ${kind} line in an export without secrets`
          : `unknown kind "${kind}"`,
      );
    }
    for (const field of cleanLabels(found.spec, value as Row)) {
      if (cleaned.length < CLEANED_NAMED) {
        cleaned.push(`line ${number} ${kind} ${field}`);
      }
      cleanedCount++;
    }
    const parsed = found.schema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ImportError(
        number,
        `bad ${kind}: ${issue.path.join(".") || "line"}: ${issue.message}`,
      );
    }
    const index = TABLES.indexOf(found.spec);
    if (index < tableIndex) {
      throw new ImportError(
        number,
        `a ${kind} after ${batch?.kinds.at(-1) ?? batch?.spec.kind} lines: ` +
          "lines must be in the order an export writes them",
      );
    }
    if (index > tableIndex) {
      await flush();
      await judgeEdits();
      if (found.spec.table === "message_edits") editsFrom = number;
      tableIndex = index;
      batch = { spec: found.spec, rows: [], lines: [], kinds: [] };
      progress.table(found.spec.table);
    }
    const row = completed(found.spec, parsed.data);
    checkNames(found.spec, row, { accounts, groups }, number);
    if (found.spec.table === "user_groups") groups.add(String(row.key));
    const pastCap = found.spec.table === "user_groups"
      ? groupCaps.group()
      : found.spec.table === "group_members"
      ? groupCaps.member(String(row.group_key))
      : undefined;
    if (pastCap !== undefined) throw new ImportError(number, pastCap);
    // A skeleton is this server's reading of the name (protocol/skeleton.ts),
    // never the dump's: an older server's (R00T stored as rOOt) or a forged
    // one would leave the account's look-alikes free.
    if (found.spec.table === "accounts") {
      row.skeleton = nameSkeleton(String(row.username));
      row.email_key = typeof row.email === "string"
        ? mailboxKey(row.email)
        : null;
      accounts.add(String(row.key));
    }
    if (found.spec.table === "rooms") {
      // The rule archive_room keeps: general, every account's room,
      // always takes messages.
      if (row.key === GENERAL_ROOM && row.archived === true) {
        throw new ImportError(number, "the room general cannot be archived");
      }
      rooms.set(String(row.key), String(row.name));
    }
    // Messages only: read positions and file references are in rooms and
    // conversations alike (checked on all rows, a private conversation's
    // read position or file refused every export that held one).
    if (
      found.spec.table === "messages" &&
      kind === "private_message" !== String(row.stream).startsWith("@")
    ) {
      throw new ImportError(
        number,
        `a ${kind} in stream "${row.stream}": private messages are in ` +
          "conversations ('@a:b'), room messages in rooms",
      );
    }
    if (kind === "message") checkRoomName(row, rooms, number);
    if (found.spec.table === "uploads" && header.files) {
      const hash = String(row.hash);
      await placeBytes(hash, number, options, placed, list, checks);
      let warning: string | undefined;
      try {
        warning = checks.hold(row);
      } catch (error) {
        fileError(number, error);
      }
      if (warning) options.progress?.(`warning: line ${number}: ${warning}`);
    }
    if (found.spec.table === "uploads" && !header.files) {
      checks.holdUnread(row);
    }
    if (found.spec.table === "messages") checks.holdAttachments(row);
    batch!.rows.push(row);
    batch!.lines.push(number);
    batch!.kinds.push(kind);
    counts[kind] = (counts[kind] ?? 0) + 1;
    if (batch!.rows.length >= BATCH) await flush();
  }
  if (!header) throw new ImportError(0, "the input is empty");
  if (!ended) {
    throw new ImportError(
      number,
      "the input ends without its end line: the export was cut short",
    );
  }
  if (checks.unread.length > 0) {
    options.progress?.(
      `warning: ${checks.unread.length} images came without their bytes ` +
        "(no --include-files): their sizes are the file's word until a " +
        "server started on this store has read them from the bytes",
    );
  }
  if (checks.attachmentsCorrected > 0) {
    options.progress?.(
      `warning: ${checks.attachmentsCorrected} attachments of messages said ` +
        "other than their file's bytes: imported as the bytes read",
    );
  }
  if (cleanedCount > 0) {
    const more = cleanedCount - cleaned.length;
    options.progress?.(
      `warning: ${cleanedCount} labels held direction marks or invisible ` +
        "spaces, which an older server let in and this one refuses: " +
        "imported without them (" + cleaned.join(", ") +
        (more > 0 ? `, and ${more} more` : "") + ")",
    );
  }
  if (summariesCorrected > 0) {
    options.progress?.(
      `warning: ${summariesCorrected} messages' reactions said other than ` +
        "their reaction lines: imported as the lines say",
    );
  }
  if (edits.dropped > 0) {
    options.progress?.(
      `warning: ${edits.dropped} edits of messages past the last ` +
        `${MAX_KEPT_EDITS} each were left out, as the server's next edit ` +
        "drops them",
    );
  }
  if (edits.retimed > 0) {
    options.progress?.(
      `warning: ${edits.retimed} edits said a time before their message's ` +
        "or the edit's before them, or after the message's last edit: " +
        "imported within them, in order",
    );
  }
  progress.done(counts);
  return counts;
}

// A file line's refusal as the import's error at its line.
function fileError(number: number, error: unknown): never {
  if (!(error instanceof FileRefusal)) throw error;
  throw new ImportError(number, `bad file: ${error.message}`);
}

/**
 * What a line says of names that the store cannot check: that an account's
 * or a room's key is the key of its name (a dump's "alice" named "mallory"
 * could be logged into as alice and showed as mallory, whose name was then
 * taken by an account nobody could log into; a room whose key was not its
 * name's could be neither joined nor made again), and that the account a
 * membership or an owner names exists. An owner that is no account is
 * given the owner no account can be, as the store's own migration does
 * (a dump made before it holds such rooms): kept, whoever registered the
 * name later managed the room. A membership, a draft or a saved message of
 * no account is refused: the name's next account would have been a member
 * of a private room, or read another's unsent text or list.
 */
function checkNames(
  spec: TableSpec,
  row: Row,
  known: { accounts: Set<string>; groups: Set<string> },
  number: number,
): void {
  const { accounts } = known;
  const name = spec.table === "accounts"
    ? String(row.username)
    : spec.table === "rooms" || spec.table === "user_groups"
    ? String(row.name)
    : undefined;
  if (name !== undefined && nameKey(name) !== row.key) {
    const shown = (text: string) =>
      JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}…` : text);
    throw new ImportError(
      number,
      `the ${spec.kind} ${shown(name)} has the key ${
        shown(String(row.key))
      }, not its name's (${shown(nameKey(name))})`,
    );
  }
  if (
    spec.table === "rooms" && typeof row.owner === "string" &&
    row.owner !== DELETED_OWNER && !accounts.has(row.owner)
  ) {
    row.owner = DELETED_OWNER;
  }
  if (spec.table === "user_groups") checkGroup(row, known, number);
  if (
    spec.table === "group_members" && !known.groups.has(String(row.group_key))
  ) {
    throw new ImportError(
      number,
      `a group_member of "${row.group_key}", which has no group line`,
    );
  }
  if (
    (spec.table === "memberships" || spec.table === "drafts" ||
      spec.table === "saved_messages" || spec.table === "thread_follows" ||
      spec.table === "scheduled_messages" ||
      spec.table === "group_members" || spec.table === "totp" ||
      spec.table === "totp_recovery_codes" ||
      spec.table === "sidebar_sections" || spec.table === "sidebar_items") &&
    !accounts.has(String(row.user_key))
  ) {
    throw new ImportError(
      number,
      `a ${spec.kind} of "${row.user_key}", which has no account line`,
    );
  }
  // A section's conversation goes with the other side's account: one with
  // nobody is no line an export writes.
  if (
    spec.table === "sidebar_items" && typeof row.with_key === "string" &&
    !accounts.has(row.with_key)
  ) {
    throw new ImportError(
      number,
      `a sidebar_item with "${row.with_key}", which has no account line`,
    );
  }
}

/**
 * A group line as create_group makes one: its name no account's (the
 * accounts' namespace: `@name` would be both) nor a reserved word's, its
 * creator an account line's or none (deleted since, as the store keeps
 * it); and a member line of a group line.
 */
function checkGroup(
  row: Row,
  known: { accounts: Set<string>; groups: Set<string> },
  number: number,
): void {
  const key = String(row.key);
  if (known.accounts.has(key) || reservedName(String(row.name))) {
    throw new ImportError(
      number,
      `the group "${row.name}" has an account's or a reserved name`,
    );
  }
  if (
    typeof row.creator_key === "string" && !known.accounts.has(row.creator_key)
  ) {
    row.creator_key = null;
  }
}

/**
 * A room message's `room` is its room line's name, as the store writes it
 * (and a rename rewrites it): readers are served it as it is, and a
 * message of `team` showing `general` was filed under the room it named.
 * A room without a line (none of a dump's) is left to the key's rule.
 */
function checkRoomName(
  row: Row,
  rooms: Map<string, string>,
  number: number,
): void {
  const name = rooms.get(String(row.stream));
  if (name !== undefined && row.room !== name) {
    throw new ImportError(
      number,
      `bad message: room: ${JSON.stringify(row.room)} is not the name of ` +
        `its room line (${JSON.stringify(name)})`,
    );
  }
}

function readHeader(
  value: unknown,
  number: number,
  options: ImportOptions,
): Header {
  const kind = (value as { kind: string }).kind;
  if (kind !== "header") {
    throw new ImportError(
      number,
      `the first line is a ${kind}, not the header of an export`,
    );
  }
  const { format, version } = value as { format?: unknown; version?: unknown };
  if (format !== FORMAT) {
    throw new ImportError(number, `not a ${FORMAT} file`);
  }
  if (typeof version === "number" && version > FORMAT_VERSION) {
    throw new ImportError(
      number,
      `format version ${version} is newer than this server reads ` +
        `(${FORMAT_VERSION}); import with a newer server`,
    );
  }
  const parsed = headerLine.safeParse(value);
  if (!parsed.success) {
    throw new ImportError(
      number,
      `bad header: ${parsed.error.issues[0].message}`,
    );
  }
  if (parsed.data.files && options.filesDir === undefined) {
    throw new ImportError(
      number,
      "the export holds the bytes of files: give their folder with --include-files DIR",
    );
  }
  return parsed.data;
}

function checkEnd(
  value: unknown,
  counts: Record<string, number>,
  number: number,
): void {
  const parsed = endLine.safeParse(value);
  if (!parsed.success) {
    throw new ImportError(
      number,
      `bad end line: ${parsed.error.issues[0].message}`,
    );
  }
  const said = parsed.data.counts;
  for (const kind of new Set([...Object.keys(said), ...Object.keys(counts)])) {
    if ((said[kind] ?? 0) !== (counts[kind] ?? 0)) {
      throw new ImportError(
        number,
        `the end line counts ${said[kind] ?? 0} ${kind} lines, the file has ${
          counts[kind] ?? 0
        }`,
      );
    }
  }
}

// Fields left out are null; secrets left out get their placeholder, and
// columns newer than the file their `missing` value.
function completed(spec: TableSpec, data: Row): Row {
  const row: Row = {};
  for (const column of spec.columns) {
    row[column.name] = data[column.name] ?? column.secret ?? column.missing ??
      null;
  }
  return row;
}

async function placeBytes(
  hash: string,
  number: number,
  options: ImportOptions,
  placed: Set<string>,
  list: PlacedList | undefined,
  checks: FileChecks,
): Promise<void> {
  if (placed.has(hash)) return;
  const contents = options.contents!;
  if (!/^[0-9a-f]{64}$/.test(hash)) {
    throw new ImportError(number, `a file hash that is not SHA-256: ${hash}`);
  }
  const from = join(options.filesDir!, hash);
  await Deno.mkdir(contents.stagingDir, { recursive: true });
  const staged = join(contents.stagingDir, `import-${hash}`);
  try {
    await Deno.copyFile(from, staged);
  } catch (error) {
    throw new ImportError(
      number,
      `the bytes of this file are not in ${options.filesDir} (${
        (error as Error).message
      })`,
    );
  }
  try {
    await checks.readBytes(hash, staged);
  } catch (error) {
    await Deno.remove(staged).catch(() => {});
    fileError(number, error);
  }
  await list?.add(hash);
  await contents.put(hash, staged);
  placed.add(hash);
}
