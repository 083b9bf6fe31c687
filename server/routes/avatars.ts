import { type Context, Hono } from "hono";
import {
  avatarOf,
  avatarVersion,
  MAX_AVATAR_BYTES,
  MAX_AVATAR_SIDE,
  publishAvatar,
} from "../avatars.ts";
import { httpError, httpFailure } from "../http/errors.ts";
import type { ChatNode } from "../node.ts";
import { rateLimited } from "../protocol/errors.ts";
import { nameKey } from "../protocol/names.ts";
import type { Account } from "../store/mod.ts";
import { accountOrRefusal, putImageRoute } from "./images.ts";

const SIGN_IN = "Sign in with an account to change its profile picture.";

const NOT_AN_IMAGE =
  "A profile picture is a PNG, JPEG, WebP or GIF image, sent as the body " +
  "with its Content-Type (SVG is not taken: it can run scripts).";

/**
 * `PUT /api/me/avatar` (the image as the body) and `DELETE
 * /api/me/avatar`, by an account's session or token, each change paced per
 * account, and `GET /api/me/avatar`, its version; `GET /avatars/:name`,
 * the current picture of an account, to anyone (names are seen by guests
 * too). A picture is read by its bytes as uploads are (image_info.ts),
 * served as files are (a sandboxing CSP, nosniff), and every connection
 * hears of a change (`avatar_updated`). The body, at most 1 MiB, is read
 * whole into memory: one picture per account at a time, by its pace.
 */
export function avatarRoutes(node: ChatNode): Hono {
  const routes = new Hono();
  const perAccount = node.buckets({
    name: "avatar",
    spec: node.limits.perAvatarChange,
  });
  // The account asking, or the answer refusing it (no session: 401).
  const changer = (c: Context) => accountOrRefusal(c, node, SIGN_IN);

  async function paced(c: Context, account: Account) {
    const wait = await perAccount.take(account.key);
    return wait > 0 ? httpFailure(c, rateLimited(wait)) : undefined;
  }

  putImageRoute(routes, "/api/me/avatar", node, {
    maxBytes: MAX_AVATAR_BYTES,
    maxSide: MAX_AVATAR_SIDE,
    what: "A profile picture",
    notAnImage: NOT_AN_IMAGE,
    signIn: SIGN_IN,
    pace: perAccount,
  }, async (c, owner, file, facts) => {
    const saved = await node.files.saveAvatar(
      { ...file, name: "avatar" },
      facts,
      owner.key,
      owner.createdAt,
    );
    if (!saved) {
      return httpError(c, "bad_credentials", "The account is gone.");
    }
    const version = avatarVersion(saved);
    publishAvatar(node, owner.username, version);
    return c.json({ avatar: version });
  });

  routes.get("/api/me/avatar", async (c) => {
    const account = await changer(c);
    if (account instanceof Response) return account;
    return c.json({ avatar: await avatarOf(node, account.key) });
  });

  routes.delete("/api/me/avatar", async (c) => {
    const account = await changer(c);
    if (account instanceof Response) return account;
    const refusal = await paced(c, account);
    if (refusal) return refusal;
    if (await node.files.removeAvatar(account.key)) {
      publishAvatar(node, account.username, null);
    }
    return c.body(null, 204);
  });

  routes.get("/avatars/:name", async (c) => {
    const upload = await node.files.avatar(nameKey(c.req.param("name")));
    if (!upload) return noPicture(c);
    // The version is new at every change: a client that has this one
    // keeps it (304), and one told of a change asks with the new `?v=`.
    const etag = `"${avatarVersion(upload)}"`;
    const headers = {
      "cache-control": "public, max-age=60",
      etag,
      "content-security-policy": "default-src 'none'; sandbox",
      "x-content-type-options": "nosniff",
    };
    if (c.req.header("if-none-match") === etag) {
      return c.body(null, 304, headers);
    }
    const body = await node.files.open(upload);
    if (!body) return noPicture(c);
    return c.body(body, 200, {
      ...headers,
      "content-type": upload.type,
      "content-length": String(upload.size),
    });
  });

  return routes;
}

function noPicture(c: Context): Response {
  return httpError(c, "not_found", "This account has no profile picture.");
}
