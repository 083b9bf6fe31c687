/** The server's version, from deno.json (one place to bump it). */
import project from "../deno.json" with { type: "json" };

/** This release, e.g. `0.3.0`; `--version` prints it. */
export const VERSION: string = project.version;
