import type { Context, Hono } from "hono";
import type { KeyedBuckets } from "../buckets/mod.ts";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { AVATAR_TYPES } from "../avatars.ts";
import { httpError, httpFailure } from "../http/errors.ts";
import { inspectImage } from "../image_info.ts";
import { log } from "../log.ts";
import type { ChatNode } from "../node.ts";
import { isFailure, rateLimited } from "../protocol/errors.ts";
import { PREVIEW_MAX_ANIMATION_PIXELS } from "../protocol/limits.ts";
import { isPreviewable } from "../protocol/previews.ts";
import type { Account, UploadFacts } from "../store/mod.ts";
import { uploadFacts } from "../upload_facts.ts";
import { limitBody } from "./body_limit.ts";
import { sessionAccount } from "./files.ts";
import { outOfSpace, type ReceivedFile } from "./receive_upload.ts";

const logger = log("files");

/** What {@link keepImage} checks a picture against, and names it by. */
export interface ImageRules {
  /** Widest and tallest it may be, in pixels. */
  maxSide: number;
  /** What it is, for people: "A profile picture", "A custom emoji". */
  what: string;
  /** The refusal of bytes that are no PNG, JPEG, WebP or GIF. */
  notAnImage: string;
}

/**
 * A picture sent whole as a request's body (a profile picture, a custom
 * emoji), read by its bytes as uploads are (image_info.ts): staged within
 * the --disk-reserve, refused unless a PNG, JPEG, WebP or GIF within
 * `rules.maxSide` whose frames together a reader's browser may draw, then
 * handed to `keep` (which moves its bytes into place, or removes them).
 * The answer is `keep`'s, or the refusal.
 */
export async function keepImage(
  c: Context,
  node: ChatNode,
  rules: ImageRules,
  keep: (file: ReceivedFile, facts: UploadFacts) => Promise<Response>,
): Promise<Response> {
  const bytes = new Uint8Array(await c.req.arrayBuffer());
  // Against the --disk-reserve as an upload's bytes, released once they
  // are kept (the disk's free space then shows them) or dropped.
  const claim = await node.files.claimSpace(bytes.byteLength);
  if (isFailure(claim)) return httpFailure(c, claim);
  using _space = claim;
  const path = join(node.files.stagingDir, `${crypto.randomUUID()}.part`);
  const refuse = async (response: Response) => {
    await Deno.remove(path).catch(() => {});
    return response;
  };
  try {
    await Deno.mkdir(node.files.stagingDir, { recursive: true });
    await Deno.writeFile(path, bytes);
    const image = await inspectImage(path);
    if (!image || !AVATAR_TYPES.has(image.type)) {
      return await refuse(httpError(c, "not_an_image", rules.notAnImage));
    }
    if (image.width > rules.maxSide || image.height > rules.maxSide) {
      return await refuse(httpError(
        c,
        "invalid_message",
        `${rules.what} is at most ${rules.maxSide}×${rules.maxSide} ` +
          `pixels; this one is ${image.width}×${image.height}.`,
      ));
    }
    // Shown to every reader without a click: an animation past the cap
    // on all frames that a shared file past it downloads (100 megapixels)
    // was taken before (attack round 11: 1,000 frames of 1024 x 1024 in
    // a 15 KiB GIF, a gigapixel for each reader's browser to draw).
    if (!isPreviewable(image)) {
      return await refuse(httpError(
        c,
        "invalid_message",
        `${rules.what}'s frames together are at most ` +
          `${PREVIEW_MAX_ANIMATION_PIXELS} pixels; this one has ` +
          `${image.frames} of ${image.width}×${image.height}.`,
      ));
    }
    return await keep(
      {
        path,
        hash: createHash("sha256").update(bytes).digest("hex"),
        size: bytes.byteLength,
        name: "image",
        type: image.type,
      },
      uploadFacts(image, image.type),
    );
  } catch (error) {
    await Deno.remove(path).catch(() => {});
    const full = outOfSpace(error);
    if (!full) throw error;
    logger.error("Cannot store {what}: {error}", { what: rules.what, error });
    return httpError(c, full.error, full.message, { status: full.status });
  }
}

/**
 * The account of a request's session or token, or the answer refusing it:
 * 401 `bad_credentials` saying `signIn` without one (a guest has none).
 */
export async function accountOrRefusal(
  c: Context,
  node: ChatNode,
  signIn: string,
): Promise<Account | Response> {
  const account = await sessionAccount(c, node);
  if (!account) return httpError(c, "bad_credentials", signIn);
  if (isFailure(account)) return httpFailure(c, account);
  return account;
}

/** What {@link putImageRoute} takes beside the picture's rules. */
export interface ImageUpload extends ImageRules {
  /** Most bytes of the body (413 past it). */
  maxBytes: number;
  /** The 401's sentence, for a request without an account. */
  signIn: string;
  /** The account's pace: a token each PUT let through to its body. */
  pace: KeyedBuckets;
  /** A refusal of the request before its body (a name taken), or none. */
  refuse?: (c: Context) => Promise<Response | undefined>;
}

/**
 * `PUT path` of a picture sent whole as the body (a profile picture, a
 * custom emoji): before the body is read (a chunked one would be read
 * whole by limitBody, up to its limit, for a caller with no session or
 * out of pace), a length said to be too large is refused first, taking no
 * pace, then a request without an account, one `refuse` turns down, a
 * declared type no picture has, and one out of pace; the body, within
 * `maxBytes`, then goes through keepImage to `keep`.
 */
export function putImageRoute(
  routes: Hono,
  path: string,
  node: ChatNode,
  upload: ImageUpload,
  keep: (
    c: Context,
    owner: Account,
    file: ReceivedFile,
    facts: UploadFacts,
  ) => Promise<Response>,
): void {
  const tooLarge = (c: Context) =>
    httpError(
      c,
      "invalid_message",
      `${upload.what} is at most ${upload.maxBytes} bytes.`,
      { status: 413 },
    );
  // The account of each PUT let through to its body.
  const owners = new WeakMap<Context, Account>();
  routes.put(
    path,
    async (c, next) => {
      if (Number(c.req.header("content-length")) > upload.maxBytes) {
        await c.req.raw.body?.cancel().catch(() => {});
        return tooLarge(c);
      }
      const account = await accountOrRefusal(c, node, upload.signIn);
      const declared = (c.req.header("content-type") ?? "").split(";")[0]
        .trim().toLowerCase();
      let refusal = account instanceof Response
        ? account
        : await upload.refuse?.(c) ??
          (!AVATAR_TYPES.has(declared)
            ? httpError(c, "not_an_image", upload.notAnImage)
            : undefined);
      if (!refusal) {
        const wait = await upload.pace.take((account as Account).key);
        if (wait > 0) refusal = httpFailure(c, rateLimited(wait));
      }
      if (refusal) {
        await c.req.raw.body?.cancel().catch(() => {});
        return refusal;
      }
      owners.set(c, account as Account);
      await next();
    },
    limitBody(upload.maxBytes, tooLarge),
    (c) => {
      const owner = owners.get(c)!;
      return keepImage(
        c,
        node,
        upload,
        (file, facts) => keep(c, owner, file, facts),
      );
    },
  );
}
