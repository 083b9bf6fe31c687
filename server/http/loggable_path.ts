/**
 * A request's path as the log may show it. An incoming webhook's URL,
 * `/api/hooks/<secret>`, is its credential: whoever reads it posts as the
 * hook, and logs travel further than the admin page (shipped, kept,
 * pasted into issues). Every line that names a request's path takes it
 * from here, so a refused or failed post to a hook shows the route, never
 * the secret.
 */

// `/api/hooks/<anything>`: the post's secret or, for DELETE, a hook's id
// (not secret, but one rule is easier to trust than two).
const HOOK_PATH = /^(\/api\/hooks\/)[^/]+/;

/** The path with an incoming webhook's secret replaced by `…`. */
export function loggablePath(path: string): string {
  return path.replace(HOOK_PATH, "$1…");
}
