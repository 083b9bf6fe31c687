import { type Context, Hono } from "hono";
import { INLINE_TYPES } from "../files.ts";
import { httpError } from "../http/errors.ts";
import { sessionCookie } from "../http/session_cookie.ts";
import type { ChatNode } from "../node.ts";
import { isFailure } from "../protocol/errors.ts";
import { limitBody } from "./body_limit.ts";

/**
 * `POST /api/files` (accounts only) and `GET /files/:hash/:name`. Files are
 * served so they can never run as the chat's own page: a sandboxing CSP,
 * nosniff, and only plain images inline; SVG, HTML and the rest download.
 */
export function fileRoutes(node: ChatNode, maxFileBytes: number): Hono {
  const routes = new Hono();

  const tooLarge = (c: Context) =>
    httpError(
      c,
      "invalid_message",
      `A file is at most ${maxFileBytes} bytes.`,
      { status: 413 },
    );
  const notMultipart = (c: Context) =>
    httpError(
      c,
      "invalid_message",
      "Send the file as multipart/form-data, field 'file'.",
    );

  routes.post(
    "/api/files",
    // Multipart framing on top of the file itself.
    limitBody(maxFileBytes + 16 * 1024, tooLarge),
    async (c) => {
      // The web client's cookie, or a bot's token as a bearer token.
      const bearer = c.req.header("authorization")?.match(/^Bearer (\S+)$/)
        ?.[1];
      const token = bearer ?? sessionCookie(c);
      const account = token === undefined
        ? undefined
        : await node.accounts.resume(token);
      if (!account || isFailure(account)) {
        return httpError(c, "bad_credentials", "Sign in to share files.");
      }
      let form: Record<string, string | File | (string | File)[]>;
      try {
        form = await c.req.parseBody();
      } catch {
        return notMultipart(c);
      }
      const file = form.file;
      if (!(file instanceof File)) return notMultipart(c);
      if (file.size > maxFileBytes) return tooLarge(c);
      const attachment = await node.files.save(
        new Uint8Array(await file.arrayBuffer()),
        {
          name: uploadName(form, file),
          type: file.type,
          uploader: account.username,
        },
      );
      return c.json(attachment, 201);
    },
  );

  routes.get("/files/:hash/:name", async (c) => {
    const found = await node.files.open(c.req.param("hash"));
    if (!found) {
      return httpError(c, "not_found", "No such file.");
    }
    const { body, attachment } = found;
    const inline = INLINE_TYPES.has(attachment.type);
    const encoded = encodeURIComponent(attachment.name);
    return c.body(body, 200, {
      "content-type": inline ? attachment.type : "application/octet-stream",
      "content-length": String(attachment.size),
      "content-disposition": `${inline ? "inline" : "attachment"}; filename="${
        asciiName(attachment.name)
      }"; filename*=UTF-8''${encoded}`,
      "content-security-policy": "default-src 'none'; sandbox",
      "x-content-type-options": "nosniff",
      "cache-control": "private, max-age=31536000, immutable",
    });
  });

  return routes;
}

// The form's `name` field when the client sent one: the runtime's multipart
// parser cuts a filename at "=". Browsers send '"', CR and LF in filenames
// as %22, %0D and %0A (the HTML spec's encoding): those are decoded.
function uploadName(
  form: Record<string, string | File | (string | File)[]>,
  file: File,
): string {
  if (typeof form.name === "string" && form.name !== "") return form.name;
  return file.name.replace(
    /%(22|0D|0A)/gi,
    (_, code: string) => String.fromCharCode(parseInt(code, 16)),
  );
}

// The plain filename= parameter takes ASCII only; filename* has the rest.
function asciiName(name: string): string {
  return name.replace(/[^\x20-\x7e]|["\\]/g, "_");
}
