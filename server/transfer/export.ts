/**
 * The export: every table of a store, page by page in one snapshot, as
 * JSON Lines (format.ts). Memory stays bounded by one page whatever the
 * size of the store; the writer's promise is awaited before the next page,
 * so a slow disk or pipe slows the export instead of filling memory.
 */
import { join } from "node:path";
import type { FileContents } from "../file_contents/mod.ts";
import { VERSION } from "../version.ts";
import {
  FORMAT,
  FORMAT_VERSION,
  type Header,
  kindOf,
  type Row,
  TABLES,
} from "./format.ts";
import type { ExportSource } from "./mod.ts";
import { Progress } from "./progress.ts";

/** How an export is written. */
export interface ExportOptions {
  /** Password hashes, sessions, invite codes and server secrets too. */
  includeSecrets?: boolean;
  /**
   * Copies the bytes of every file into this folder, one file per content
   * hash; without it, files are references only.
   */
  filesDir?: string;
  /** Where the bytes are read from, with `filesDir`. */
  contents?: FileContents;
  /** Receives a progress line now and then (stderr). */
  progress?: (line: string) => void;
  /** Rows a page (default 1000). */
  pageSize?: number;
}

/** Writes the store as lines through `write`; returns the count of each kind. */
export async function exportStore(
  source: ExportSource,
  write: (text: string) => Promise<void>,
  options: ExportOptions = {},
): Promise<Record<string, number>> {
  const withSecrets = options.includeSecrets ?? false;
  const pageSize = options.pageSize ?? 1000;
  if (options.filesDir !== undefined) {
    if (!options.contents) throw new Error("filesDir needs contents");
    await Deno.mkdir(options.filesDir, { recursive: true });
  }
  const progress = new Progress("Exported", options.progress);
  const counts: Record<string, number> = {};
  // Uploads whose bytes could not be read (--include-files): left out with
  // their file_ref lines. The bytes are read outside the snapshot, so a
  // file whose last message was deleted meanwhile has a row but no bytes,
  // and an import refuses a file line without them. Without the row the
  // message keeps its attachment and its download answers 404, as on the
  // server once the bytes are gone. One id each, few in practice.
  const leftOut = new Set<string>();
  await source.snapshot(async (reader) => {
    const header: Header = {
      kind: "header",
      format: FORMAT,
      version: FORMAT_VERSION,
      server_version: VERSION,
      exported_at: Date.now(),
      secrets: withSecrets,
      files: options.filesDir !== undefined,
    };
    await write(`${JSON.stringify(header)}\n`);
    for (const spec of TABLES) {
      if (spec.secret && !withSecrets) continue;
      progress.table(spec.table, await reader.count(spec));
      let cursor: unknown[] | undefined;
      while (true) {
        const page = await reader.page(spec, cursor, pageSize);
        if (page.rows.length === 0) break;
        cursor = page.cursor;
        let text = "";
        for (const row of page.rows) {
          if (
            spec.table === "uploads" && options.filesDir !== undefined &&
            !await copyBytes(row, options.filesDir, options)
          ) {
            leftOut.add(String(row.id));
            continue;
          }
          if (
            (spec.table === "file_refs" || spec.table === "avatars" ||
              spec.table === "custom_emoji") &&
            leftOut.has(String(row.upload_id))
          ) continue;
          const kind = kindOf(spec, row);
          counts[kind] = (counts[kind] ?? 0) + 1;
          text += `${JSON.stringify(line(kind, row, spec, withSecrets))}\n`;
        }
        await write(text);
        progress.advance(page.rows.length);
      }
    }
    await write(`${JSON.stringify({ kind: "end", counts })}\n`);
  });
  progress.done(counts);
  return counts;
}

function line(
  kind: string,
  row: Row,
  spec: (typeof TABLES)[number],
  withSecrets: boolean,
): Row {
  const out: Row = { kind };
  for (const column of spec.columns) {
    if (column.secret !== undefined && !withSecrets) continue;
    // Nulls are left out: shorter lines, and the import reads them back.
    if (row[column.name] === null) continue;
    out[column.name] = row[column.name];
  }
  return out;
}

// Files shared under several names keep their bytes once, as the server
// does. False when the bytes are missing: the file is left out.
async function copyBytes(
  row: Row,
  dir: string,
  options: ExportOptions,
): Promise<boolean> {
  const hash = String(row.hash);
  const path = join(dir, hash);
  try {
    await Deno.stat(path);
    return true;
  } catch {
    // Not copied yet.
  }
  const bytes = await options.contents!.get(hash);
  if (!bytes) {
    options.progress?.(
      `warning: the bytes of file ${hash} are missing: file ${row.id} ` +
        `(${JSON.stringify(row.name)}) is left out, its messages keep a ` +
        "link that answers 404",
    );
    return false;
  }
  const partial = `${path}.partial`;
  const file = await Deno.open(partial, { write: true, create: true });
  await bytes.pipeTo(file.writable);
  await Deno.rename(partial, path);
  return true;
}
