/**
 * Development entry (`deno task start`): the `chat-server` program of
 * server/cli.ts, serving the web client from static/. The one-file builds
 * run the same program from a generated entry (scripts/release.ts).
 *
 * The store's threads start first and the server's modules load after
 * (server/early_store.ts), so that both load at once. The server is
 * imported by a computed URL: Deno reads and parses every module a
 * literal `import()` names before running this one (0.1 s), which would
 * hold the threads back.
 */
import { openStoreEarly } from "./server/early_store.ts";

if (import.meta.main) {
  const store = openStoreEarly(Deno.args, (name) => Deno.env.get(name));
  const cli: typeof import("./server/cli.ts") = await import(
    new URL("./server/cli.ts", import.meta.url).href
  );
  await cli.runCli(Deno.args, { store });
}
