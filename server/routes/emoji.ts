import { type Context, Hono } from "hono";
import {
  findCustomEmoji,
  isBuiltInShortcode,
  MAX_CUSTOM_EMOJI,
  MAX_EMOJI_BYTES,
  MAX_EMOJI_SIDE,
  noSuchEmoji,
  publishEmoji,
  removeCustomEmoji,
  shownEmoji,
} from "../custom_emoji.ts";
import { auditOfRequest } from "../api/audit.ts";
import type { KeyedBuckets } from "../buckets/mod.ts";
import { httpError, httpFailure } from "../http/errors.ts";
import type { ChatNode } from "../node.ts";
import { CUSTOM_EMOJI_NAME } from "../protocol/emoji.ts";
import { fail, isFailure } from "../protocol/errors.ts";
import { accountOrRefusal, putImageRoute } from "./images.ts";

const NOT_AN_IMAGE =
  "A custom emoji is a PNG, JPEG, WebP or GIF image, sent as the body " +
  "with its Content-Type (SVG is not taken: it can run scripts).";

const SIGN_IN = "Sign in with an account to add or remove custom emoji.";

const BAD_NAME =
  "An emoji's name is 1 to 32 of a-z, 0-9, _, + and -, as in :party_parrot:.";

/**
 * `PUT /api/emoji/:name` (the image as the body, as `PUT /api/me/avatar`
 * takes a picture, with its checks) by an account's session or token,
 * each addition taking an upload's token of the account's pace
 * (`perUploader`, the bucket of `POST /api/files`: an emoji is an
 * upload); `DELETE /api/emoji/:name` by its author or an admin; `GET
 * /api/emoji` and `GET /api/emoji/:name`, all or one as `list_emoji`
 * shows them, and `GET /emoji/:name`,
 * its picture, to anyone (a guest sees messages too). The body, at most 256 KiB, is read whole into memory.
 */
export function emojiRoutes(
  node: ChatNode,
  perUploader: KeyedBuckets,
): Hono {
  const routes = new Hono();
  // The refusal of a name no emoji may take, before the body is read.
  async function badName(c: Context) {
    const name = c.req.param("name") ?? "";
    if (!CUSTOM_EMOJI_NAME.test(name)) {
      return httpError(c, "invalid_message", BAD_NAME);
    }
    if (isBuiltInShortcode(name) || await node.store.findEmoji(name)) {
      return httpError(
        c,
        "emoji_exists",
        `The emoji :${name}: exists already; choose another name.`,
      );
    }
    return undefined;
  }

  putImageRoute(routes, "/api/emoji/:name", node, {
    maxBytes: MAX_EMOJI_BYTES,
    maxSide: MAX_EMOJI_SIDE,
    what: "A custom emoji",
    notAnImage: NOT_AN_IMAGE,
    signIn: SIGN_IN,
    pace: perUploader,
    refuse: badName,
  }, async (c, owner, file, facts) => {
    const name = c.req.param("name") ?? "";
    const saved = await node.files.saveEmoji(
      file,
      facts,
      { name, author: owner.key, authorCreatedAt: owner.createdAt },
      MAX_CUSTOM_EMOJI,
    );
    if (saved === "gone") {
      return httpError(c, "bad_credentials", "The account is gone.");
    }
    if (saved === "exists") {
      return httpError(
        c,
        "emoji_exists",
        `The emoji :${name}: exists already; choose another name.`,
      );
    }
    if (saved === "too_many") {
      return httpFailure(
        c,
        fail(
          "too_many_emoji",
          `The server has ${MAX_CUSTOM_EMOJI} custom emoji, its most: ` +
            "remove one first.",
        ),
      );
    }
    const added = shownEmoji({
      name,
      uploadId: saved.id,
      authorKey: owner.key,
      author: owner.username,
      createdAt: saved.createdAt,
    });
    publishEmoji(node, { added });
    return c.json({ emoji: added });
  });

  // Every emoji, as list_emoji shows them (the admin page's list, which
  // speaks HTTP), and one of them, to anyone (as their pictures are).
  routes.get("/api/emoji", async (c) => {
    const emoji = await node.store.listEmoji();
    return c.json({ emoji: emoji.map(shownEmoji) });
  });
  routes.get("/api/emoji/:name", async (c) => {
    const name = c.req.param("name");
    const emoji = await findCustomEmoji(node, name);
    if (!emoji) return httpFailure(c, noSuchEmoji(name));
    return c.json({ emoji: shownEmoji(emoji) });
  });

  routes.delete("/api/emoji/:name", async (c) => {
    const account = await accountOrRefusal(c, node, SIGN_IN);
    if (account instanceof Response) return account;
    const removed = await removeCustomEmoji(
      node,
      account,
      c.req.param("name"),
      (facts) => auditOfRequest(c, account.username, facts),
    );
    return isFailure(removed) ? httpFailure(c, removed) : c.body(null, 204);
  });

  // Only names an emoji may have: `/emoji/en.json`, the built-in names,
  // falls through to the static files.
  routes.get("/emoji/:name{[a-z0-9_+-]{1,32}}", async (c) => {
    const name = c.req.param("name");
    const emoji = await node.store.findEmoji(name);
    const body = emoji && await node.files.open(emoji.upload);
    if (!emoji || !body) return httpFailure(c, noSuchEmoji(name));
    // The version is new with each emoji of this name: a client asks with
    // `?v=version` and keeps it; a name removed then added again is
    // another version, another URL.
    const version = shownEmoji(emoji).version;
    const cached = c.req.query("v") === version;
    return c.body(body, 200, {
      "cache-control": cached
        ? "public, max-age=31536000, immutable"
        : "public, max-age=60",
      etag: `"${version}"`,
      "content-security-policy": "default-src 'none'; sandbox",
      "x-content-type-options": "nosniff",
      "content-type": emoji.upload.type,
      "content-length": String(emoji.upload.size),
    });
  });

  return routes;
}
