/**
 * The web client's files: from the static/ folder, or held in memory for
 * the one-file builds (`deno task dist`, `deno task compile`: the release
 * entry embeds the folder, scripts/release.ts). Hono's own static
 * middleware does the rest (index document, content types, HEAD, refusing
 * climbs out), fed from the disk or from a map.
 */
import { join } from "node:path";
import type { MiddlewareHandler } from "hono";
import { serveStatic } from "hono/serve-static";
import { log } from "./log.ts";

const logger = log("http");

/** The static files by URL path (`/index.html`, `/app.js`). */
export type StaticFiles = ReadonlyMap<string, Uint8Array<ArrayBuffer>>;

/**
 * One embedded file as the generated entry writes it: text as it is (it
 * reads well and is no bigger), anything else in base64.
 */
export type EmbeddedFile = { text: string } | { base64: string };

/** Turns the generated entry's record into files served from memory. */
export function staticFilesFrom(
  embedded: Readonly<Record<string, EmbeddedFile>>,
): StaticFiles {
  const encoder = new TextEncoder();
  const files = new Map<string, Uint8Array<ArrayBuffer>>();
  for (const [path, file] of Object.entries(embedded)) {
    files.set(
      path,
      "text" in file
        ? encoder.encode(file.text)
        : Uint8Array.from(atob(file.base64), (c) => c.charCodeAt(0)),
    );
  }
  return files;
}

/**
 * Middleware that answers GET and HEAD from the files, like a folder would;
 * with `path`, always with that one file (a page the client routes itself).
 */
export function serveStaticFiles(
  files: StaticFiles,
  path?: string,
): MiddlewareHandler {
  // Every folder that holds a file, so "/" and "/sub/" get their index.html.
  const folders = new Set<string>(["/"]);
  for (const path of files.keys()) {
    for (let i = path.indexOf("/", 1); i > 0; i = path.indexOf("/", i + 1)) {
      folders.add(path.slice(0, i));
      folders.add(path.slice(0, i + 1));
    }
  }
  return serveStatic({
    root: "/",
    path,
    isDir: (path) => folders.has(path),
    // The body is copied into each response, so the map stays intact.
    getContent: (path) => Promise.resolve(files.get(path) ?? null),
  });
}

/**
 * Middleware that answers GET and HEAD from the folder `root`, as
 * `hono/deno`'s serveStatic does, but quietly: a path the disk cannot open
 * for any reason is simply not there. The adapter printed every error but
 * NotFound with console.warn, outside the log and its format, so any
 * client could write lines to the server's output at will: a NUL
 * (`/x%00`), a file taken for a folder (`/index.html/x`), a name over 255
 * bytes. Those go to the debug log now, as the client's doing.
 */
export function serveStaticFolder(
  root: string,
  path?: string,
): MiddlewareHandler {
  return serveStatic({
    root,
    path,
    join,
    isDir: async (path) => {
      try {
        return (await Deno.stat(path)).isDirectory;
      } catch {
        return false;
      }
    },
    getContent: async (path) => {
      try {
        return (await Deno.open(path)).readable;
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) {
          logger.debug("Cannot serve {path}: {error}", { path, error });
        }
        return null;
      }
    },
  });
}
