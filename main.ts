/**
 * Development entry (`deno task start`): the `chat-server` program of
 * server/cli.ts, serving the web client from static/. The one-file builds
 * run the same program from a generated entry (scripts/release.ts).
 */
import { runCli } from "./server/cli.ts";

if (import.meta.main) await runCli(Deno.args);
