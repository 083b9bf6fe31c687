import { type Context, Hono } from "hono";
import { log } from "../log.ts";
import type { ChatNode } from "../node.ts";
import { fail, type Failure, isFailure } from "../protocol/errors.ts";
import { isPreviewable } from "../protocol/previews.ts";
import { canRead, isParty, type Reader, roomRefusal } from "../access.ts";
import type { Account, StoredUpload } from "../store/mod.ts";
import type { KeyedBuckets } from "../buckets/mod.ts";
import { storageProblem } from "../disk_errors.ts";
import { remoteAddressOf } from "../http/client_info.ts";
import { httpError, httpFailure } from "../http/errors.ts";
import { sessionTokenOf } from "../http/session_cookie.ts";
import {
  mostStagedBytes,
  outOfSpace,
  receiveUpload,
} from "./receive_upload.ts";

const logger = log("files");

/**
 * The least share of a full-size file an upload costs against its
 * account's pace, kept or refused: without it an empty or tiny file cost
 * nearly nothing, and one account could record uploads (each a row, a
 * sweep's work, a request's) as fast as it could send them. 30 full-size
 * files at once then one a minute is about 2,900 tiny ones at once (a
 * whole file is held while each is received, so the last token is not
 * spent on them), then 100 a minute.
 */
const LEAST_UPLOAD_COST = 1 / 100;

/**
 * Each account's uploads, in files of the largest size (rate_limit.ts),
 * counted for every node sharing Redis (buckets/mod.ts): made once by the
 * app for the shared files and the custom emoji (routes/emoji.ts).
 */
export function uploadPace(node: ChatNode): KeyedBuckets {
  return node.buckets({ name: "upload", spec: node.limits.perUploader });
}

/**
 * `POST /api/files` (accounts only) and `GET /files/:id/:name`. An upload
 * streams to disk within the size limit and the account's quota. A file is served only while a
 * message carries it, to whoever may read that message (see access.ts and
 * docs/protocol.md), and so that it can never run as the chat's own page: a
 * sandboxing CSP, nosniff, and only images read as such inline.
 */
export function fileRoutes(node: ChatNode, perUploader: KeyedBuckets): Hono {
  const routes = new Hono();
  const { maxFileBytes } = node.files;
  // Gives back what an upload that used `share` of a full-size file did not
  // cost, never under the least cost.
  const settle = (account: Account, share: number) =>
    perUploader.give(account.key, 1 - Math.max(LEAST_UPLOAD_COST, share));

  routes.post("/api/files", async (c) => {
    const account = await sessionAccount(c, node);
    if (!account || isFailure(account)) {
      await c.req.raw.body?.cancel().catch(() => {});
      return httpError(c, "bad_credentials", "Sign in to share files.");
    }
    // A whole file of the largest size is taken before the body is read,
    // so that uploads sent at once cannot all pass, and what a smaller or
    // refused one did not use is given back once it is known (all but
    // LEAST_UPLOAD_COST).
    const wait = await perUploader.take(account.key);
    if (wait > 0) {
      await c.req.raw.body?.cancel().catch(() => {});
      return httpFailure(
        c,
        fail(
          "rate_limited",
          `Slow down: you may upload again in ${Math.ceil(wait / 1000)} s.`,
          { retry_after_ms: wait },
        ),
      );
    }
    // An account at its quota is answered before its body is read; one
    // below it may still send a file too big for what is left, which the
    // store refuses once its size is known (files.ts).
    const full = await node.files.quotaRefusal(account.key);
    if (full) {
      await settle(account, 0);
      await c.req.raw.body?.cancel().catch(() => {});
      return httpFailure(c, full);
    }
    // The space the file may take is set aside before its body is read,
    // against the --disk-reserve, and given back once it is kept or
    // dropped (kept, it shows in the disk's own free space).
    const claimed = mostStagedBytes(c.req.raw, maxFileBytes);
    const claim = await node.files.claimSpace(claimed);
    if (isFailure(claim)) {
      await settle(account, 0);
      await c.req.raw.body?.cancel().catch(() => {});
      return httpFailure(c, claim);
    }
    using _space = claim;
    const received = await receiveUpload(c.req.raw, {
      maxBytes: maxFileBytes,
      stagingDir: node.files.stagingDir,
    });
    if ("status" in received) {
      // The disk's fault costs the least; the client's (a body cut off,
      // timed out, too large, not a form) the space it held meanwhile:
      // given back nearly whole, stalled uploads kept 30 files' space of
      // the reserve per account without end, each dropped only at the
      // request timeout (300 s) and then started again.
      await settle(
        account,
        received.status === 507 ? 0 : Math.min(1, claimed / maxFileBytes),
      );
      return httpError(c, received.error, received.message, {
        status: received.status,
      });
    }
    await settle(account, received.size / maxFileBytes);
    try {
      const saved = await node.files.save(received, account.key);
      if (isFailure(saved)) return httpFailure(c, saved);
      return c.json(saved, 201);
    } catch (error) {
      await Deno.remove(received.path).catch(() => {});
      const refusal = outOfSpace(error);
      if (!refusal) throw error;
      logger.error("Cannot store a file: {error}", { error });
      return httpError(c, refusal.error, refusal.message, {
        status: refusal.status,
      });
    }
  });

  routes.get("/files/:id/:name", async (c) => {
    const upload = await node.files.find(c.req.param("id"));
    if (!upload) return notFound(c);
    const reader = await requestReader(c, node);
    if (isFailure(reader)) return httpFailure(c, reader);
    const verdict = await mayFetch(node, upload, reader, {
      exp: c.req.query("exp"),
      sig: c.req.query("sig"),
    });
    if (verdict !== "ok") {
      if (verdict === "gone") return notFound(c);
      return httpError(c, verdict.code, verdict.message);
    }
    let body: ReadableStream<Uint8Array> | undefined;
    try {
      body = await node.files.open(upload);
    } catch (error) {
      if (storageProblem(error) === undefined) throw error;
    }
    if (!body) return notFound(c);
    const inline = isPreviewable(upload);
    const encoded = encodeURIComponent(upload.name);
    return c.body(body, 200, {
      "content-type": inline ? upload.type : "application/octet-stream",
      "content-length": String(upload.size),
      "content-disposition": `${inline ? "inline" : "attachment"}; filename="${
        asciiName(upload.name)
      }"; filename*=UTF-8''${encoded}`,
      "content-security-policy": "default-src 'none'; sandbox",
      "x-content-type-options": "nosniff",
      // Who may fetch it can change (a delete, a ban): never shared caches.
      "cache-control": "private, max-age=3600",
    });
  });

  return routes;
}

/**
 * Whether a reader may fetch an upload: its uploader always; otherwise only
 * while a live message carries it, in a room the reader may read (no ban
 * on its account or address), or in a private conversation of which the
 * reader is a party (by session) or holds a signed URL (`gone`: no live
 * message carries it, as if it never existed).
 */
async function mayFetch(
  node: ChatNode,
  upload: StoredUpload,
  reader: Reader,
  signature: { exp?: string; sig?: string },
): Promise<"ok" | "gone" | { code: "banned" | "forbidden"; message: string }> {
  const uses = await node.store.uploadStreams(upload.id);
  if (uses.length === 0) {
    // Not yet sent: its uploader's alone. Sent, then every message that
    // carried it deleted: gone for everyone, before the sweep forgets it.
    // The sweep takes the upload and its references at once, so one that
    // ran since `upload` was read shows here as no references: the upload
    // is read again (a look-up more, for the uploader's drafts only), or
    // its uploader got its deleted message's file during the sweep.
    const draft = reader.userKey === upload.uploader &&
      !await node.store.uploadCarried(upload.id) &&
      await node.store.findUpload(upload.id) !== undefined;
    return draft ? "ok" : "gone";
  }
  if (reader.userKey === upload.uploader) return "ok";
  let refusal: { code: "banned" | "forbidden"; message: string } = {
    code: "forbidden",
    message: "This file is in a private conversation.",
  };
  const signed = node.files.verify(upload.id, signature.exp, signature.sig);
  for (const { stream, ts } of uses) {
    if (stream.startsWith("@")) {
      if (signed || isParty(reader, stream, ts)) return "ok";
      continue;
    }
    // A private room's file is for its members only, as its messages are.
    if (!await canRead(node, reader, stream)) continue;
    const banned = await roomRefusal(node.store, reader, stream);
    if (!banned) return "ok";
    refusal = { code: "banned", message: banned.message };
  }
  return refusal;
}

/**
 * Who a request comes from: its address, and the account of its session
 * cookie or bearer token if any; `banned` for a session of an account
 * banned from the server.
 */
export async function requestReader(
  c: Context,
  node: ChatNode,
): Promise<Reader | Failure> {
  const account = await sessionAccount(c, node);
  if (isFailure(account)) return account;
  return {
    userKey: account?.key,
    since: account?.createdAt,
    address: remoteAddressOf(c),
  };
}

/**
 * The account of the request's session cookie or bearer token; undefined
 * without a live session, `banned` for a banned account's.
 */
export async function sessionAccount(
  c: Context,
  node: ChatNode,
): Promise<Account | Failure | undefined> {
  const token = sessionTokenOf(c);
  if (token === undefined) return undefined;
  const account = await node.accounts.resume(token);
  if (!isFailure(account)) return account;
  return account.code === "banned" ? account : undefined;
}

function notFound(c: Context): Response {
  return httpError(c, "not_found", "No such file.");
}

// The plain filename= parameter takes ASCII only; filename* has the rest.
function asciiName(name: string): string {
  return name.replace(/[^\x20-\x7e]|["\\]/g, "_");
}
